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


def block_pairs(keys: pl.DataFrame, settings: crmdedup.Settings, id_column: str) -> pl.DataFrame:
    """Per rule, the pairs a batch run makes from a :func:`crmdedup.blocking_keys` table.

    Written from the documented rule, not from the engine: blocks of 2 to ``max_block_size``
    records, ordered by (``order``, id), each record paired with the next
    ``pairs_per_record``. With a ``side`` column (0 left, 1 right: the keys of two tables),
    blocks count and order both sides (left before right on equal order) and only pairs
    across them are kept, left id first. Columns ``rule``, ``<id>_l`` and ``<id>_r`` (else
    smaller id first).
    """
    left, right = f"{id_column}_l", f"{id_column}_r"
    if "side" not in keys.columns:
        keys = keys.with_columns(side=pl.lit(None, pl.Int8))
    sizes = keys.group_by("rule", "key").agg(pl.len().alias("n"))
    ordered = (
        keys.join(sizes, on=["rule", "key"])
        .filter(pl.col("n").is_between(2, settings.max_block_size))
        .sort("rule", "key", "order", "side", id_column)
        .with_columns(pos=pl.int_range(pl.len()).over("rule", "key"))
        .select("rule", "key", "pos", "side", id_column)
    )
    near = ordered.join(ordered, on=["rule", "key"], suffix="_b").filter(
        (pl.col("pos_b") > pl.col("pos"))
        & (pl.col("pos_b") - pl.col("pos") <= settings.pairs_per_record)
    )
    a, b = pl.col(id_column), pl.col(f"{id_column}_b")
    first = pl.when(pl.col("side").is_null()).then(a < b).otherwise(pl.col("side") == 0)
    return near.filter(pl.col("side").is_null() | (pl.col("side") != pl.col("side_b"))).select(
        "rule",
        pl.when(first).then(a).otherwise(b).alias(left),
        pl.when(first).then(b).otherwise(a).alias(right),
    )
