"""Helpers the test modules share (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from click.testing import CliRunner, Result

import crmdedup
from crmdedup.base import Base, Match
from crmdedup.base._results import match_of
from crmdedup.cli import main
from crmdedup.model import probability_of, weight_of

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


def rerun_match(base: Base, new: pl.DataFrame, top_k: int, review_band: float) -> Match:
    """What ``Base.match`` returned when it re-ran a whole batch over base and new records."""
    id_col = base.id_column
    left, right = f"{id_col}_l", f"{id_col}_r"
    threshold = base.settings.threshold
    floor = probability_of(weight_of(threshold) - review_band)
    together = pl.concat([base.records.join(new, on=id_col, how="anti"), new])
    decided = base.decisions.select("id_l", "id_r", "decision")
    decisions = decided if decided.height else None
    scored = crmdedup.dedupe(
        together,
        base.settings.with_(threshold=min(floor, threshold)),
        id_column=id_col,
        model=base.model,
        tf_tables=base._tf,
        decisions=decisions,
    ).pairs.select(left, right, "match_probability", "match_weight")
    clusters = crmdedup.cluster(
        scored,
        together.select(id_col),
        id_column=id_col,
        method=base.settings.clustering,
        guard_probability=base.settings.guard_probability,
        threshold=threshold,
        decisions=decisions,
    ).select(id_col, "cluster_id")
    return match_of(new.select(id_col), base.members, scored, clusters, id_col, top_k)
