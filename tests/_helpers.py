"""Helpers the test modules share (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from click.testing import CliRunner, Result

from crmdedup.cli import main

EVENT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "record_id": pl.Int64,
    "purpose": pl.String,
    "status": pl.String,
    "recorded_at": pl.Datetime("us"),
    "source": pl.String,
    "proof": pl.String,
}
"""Columns of a table of consent events, with integer record ids."""


def run(*args: str | Path, input: str | None = None) -> Result:
    """Run the command line with ``args`` (no colours), as a user would type them."""
    return CliRunner(env={"NO_COLOR": "1"}).invoke(main, [str(a) for a in args], input=input)
