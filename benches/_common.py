"""Plumbing the benchmark scripts share: their command line, the synthetic data, the results file.

Imported as ``from _common import ...``: the scripts run from this directory (``python
benches/<script>.py``), which Python puts first on the path.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import polars as pl


def arguments(doc: str | None, *, rows: bool = True) -> argparse.ArgumentParser:
    """A parser described by the first line of ``doc``, with ``--seed`` and maybe ``--rows``."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    if rows:
        parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def add_worker_arguments(parser: argparse.ArgumentParser, **worker: Any) -> None:
    """``--json`` for the results, and the hidden options by which the parent starts a worker.

    ``worker`` is how ``--worker`` is declared (a flag, or the name of what to run).
    """
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS, **worker)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)


def synthetic(rows: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Synthetic contacts without their ground truth, and the truth (record_id, entity_id)."""
    import crmdedup

    data = crmdedup.datasets.generate_contacts(rows, seed=seed)
    return data.drop("entity_id"), data.select("record_id", "entity_id")


def write_results(results: list[dict[str, Any]], path: Path | None) -> None:
    """Write the results as JSON to ``path`` (``--json``), when given."""
    if path:
        path.write_text(json.dumps(results, indent=2, default=str))
