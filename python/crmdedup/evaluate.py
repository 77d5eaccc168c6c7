"""Evaluation against known truth: pairwise and B-cubed metrics, and a threshold table.

A user with a few labels can check a run and pick a threshold without re-running the matcher:
pairwise metrics come from the clusters, the threshold table from the scored pairs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from crmdedup._arrow import TableLike, to_polars
from crmdedup._ids import cast_ids
from crmdedup.api import DedupeResult
from crmdedup.errors import SchemaError

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    """Metrics of a run against the truth.

    Attributes
    ----------
    precision, recall, f1
        Pairwise, from the clusters: a pair of records is predicted when they share a cluster.
    bcubed_precision, bcubed_recall, bcubed_f1
        B-cubed: per record, the share of its cluster that is truly its entity (and back).
    true_pairs, predicted_pairs, correct_pairs
        The counts behind the pairwise metrics.
    thresholds
        One row per threshold: ``threshold``, ``pairs``, ``precision``, ``recall``, ``f1`` of
        the scored pairs at or above it (pairs only, before clustering).
    """

    precision: float
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    thresholds: pl.DataFrame

    def as_dict(self) -> dict[str, Any]:
        """Scalar metrics as a dict."""
        return {k: v for k, v in self.__dict__.items() if k != "thresholds"}


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _pair_count(sizes: pl.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def _truth_frame(truth: TableLike | Mapping[Any, Any], id_column: str) -> pl.DataFrame:
    if isinstance(truth, Mapping):
        try:
            return pl.DataFrame({id_column: list(truth.keys()), "entity": list(truth.values())})
        except (TypeError, ValueError, pl.exceptions.PolarsError):
            raise SchemaError(
                f"`truth` maps ids of several types, or entities of several types, to each other "
                f"(e.g. {next(iter(truth.items()), None)!r}); expected one type for each"
            ) from None
    frame = to_polars(truth, name="truth")
    if id_column not in frame.columns or frame.width != 2:
        raise SchemaError(
            f"`truth` must map record id to entity id: two columns, one named `{id_column}` "
            f"(got {', '.join(frame.columns)})"
        )
    other = next(c for c in frame.columns if c != id_column)
    return frame.rename({other: "entity"})


def evaluate(
    result: DedupeResult,
    truth: TableLike | Mapping[Any, Any],
    *,
    thresholds: Sequence[float] = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999),
) -> Evaluation:
    """Compare a run with the true entities.

    Parameters
    ----------
    result
        What :func:`crmdedup.dedupe` returned (run it with a low threshold to see the whole
        threshold table).
    truth
        Record id → entity id, as a dict or a two-column table (the id column and the entity).
    thresholds
        Probabilities at which to tabulate pair precision and recall.

    Raises
    ------
    SchemaError
        When truth does not cover every clustered record.

    Examples
    --------
    >>> import crmdedup
    >>> data = crmdedup.datasets.load_sample()
    >>> result = crmdedup.dedupe(data.drop("entity_id"), id_column="record_id")
    >>> ev = evaluate(result, data.select("record_id", "entity_id"))
    >>> 0.5 < ev.f1 <= 1.0
    True
    """
    idc = result.id_column
    truth_frame = _truth_frame(truth, idc)
    truth_frame = cast_ids(truth_frame, idc, result.clusters.schema[idc], table="truth")
    clusters = result.clusters.select(idc, "cluster_id").join(truth_frame, on=idc, how="left")
    missing = clusters.filter(pl.col("entity").is_null())
    if missing.height:
        raise SchemaError(
            f"truth has no entity for {missing.height} record(s), e.g. "
            f"{missing[idc][0]!r} of column `{idc}`"
        )
    both = clusters.group_by("cluster_id", "entity").len("n")
    by_cluster = clusters.group_by("cluster_id").len("n")["n"]
    by_entity = clusters.group_by("entity").len("n")["n"]
    predicted, true, correct = (
        _pair_count(by_cluster),
        _pair_count(by_entity),
        _pair_count(both["n"]),
    )
    precision = correct / predicted if predicted else 1.0
    recall = correct / true if true else 1.0
    # B-cubed: sum over records of |cluster ∩ entity| / |cluster| (and / |entity|).
    sizes = (
        both.join(clusters.group_by("cluster_id").len("c"), on="cluster_id")
        .join(clusters.group_by("entity").len("e"), on="entity")
        .select(
            (pl.col("n") * pl.col("n") / pl.col("c")).sum().alias("p"),
            (pl.col("n") * pl.col("n") / pl.col("e")).sum().alias("r"),
        )
    )
    n = max(clusters.height, 1)
    bp = float(sizes["p"][0] or 0.0) / n if clusters.height else 1.0
    br = float(sizes["r"][0] or 0.0) / n if clusters.height else 1.0
    pairs = (
        result.pairs.select(f"{idc}_l", f"{idc}_r", "match_probability")
        .join(truth_frame.rename({idc: f"{idc}_l", "entity": "el"}), on=f"{idc}_l", how="left")
        .join(truth_frame.rename({idc: f"{idc}_r", "entity": "er"}), on=f"{idc}_r", how="left")
        .with_columns((pl.col("el") == pl.col("er")).fill_null(False).alias("ok"))
    )
    rows = []
    for t in thresholds:
        above = pairs.filter(pl.col("match_probability") >= t)
        ok = int(above["ok"].sum())
        p = ok / above.height if above.height else 1.0
        r = ok / true if true else 1.0
        rows.append(
            {"threshold": t, "pairs": above.height, "precision": p, "recall": r, "f1": _f1(p, r)}
        )
    return Evaluation(
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        bcubed_precision=bp,
        bcubed_recall=br,
        bcubed_f1=_f1(bp, br),
        true_pairs=true,
        predicted_pairs=predicted,
        correct_pairs=correct,
        thresholds=pl.DataFrame(rows),
    )
