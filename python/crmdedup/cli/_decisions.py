"""Review decisions of ``crmdedup review``: must-link and cannot-link pairs that later runs honour.

A decisions file is a small CSV (``id_l``, ``id_r``, ``decision``, ``decided_at``, ``note``)
written by ``crmdedup review``. :func:`apply_decisions` clusters a run's pairs again with them,
by the engine's clustering (:func:`crmdedup.cluster`): a must-link merges the clusters of its
records, a cannot-link is a union the clustering refuses.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from crmdedup._files import atomic_write_text
from crmdedup.cluster import cluster
from crmdedup.errors import SchemaError
from crmdedup.model import weight_of

__all__ = [
    "DECISIONS",
    "Decision",
    "apply_decisions",
    "decision_counts",
    "empty_decisions",
    "load_decisions",
    "near_threshold",
    "save_decisions",
    "with_decision",
]

Decision = Literal["must_link", "cannot_link"]
DECISIONS: tuple[Decision, ...] = ("must_link", "cannot_link")
_COLUMNS = ("id_l", "id_r", "decision", "decided_at", "note")


def empty_decisions() -> pl.DataFrame:
    """Return an empty decisions frame with the right columns."""
    return pl.DataFrame(schema={c: pl.String for c in _COLUMNS})


def _ordered(frame: pl.DataFrame) -> pl.DataFrame:
    """Put the smaller id of each pair first (as text) and keep the last decision per pair."""
    lo = pl.min_horizontal("id_l", "id_r")
    hi = pl.max_horizontal("id_l", "id_r")
    return (
        frame.with_columns(lo.alias("id_l"), hi.alias("id_r"))
        .unique(subset=["id_l", "id_r"], keep="last", maintain_order=True)
        .select(_COLUMNS)
    )


def load_decisions(path: str | os.PathLike[str]) -> pl.DataFrame:
    """Read a decisions file; a missing file means no decisions.

    Raises
    ------
    SchemaError
        When a column is missing, or a row has an empty id or an unknown decision (naming the
        row).

    Examples
    --------
    >>> load_decisions("no-such-file.csv").height
    0
    """
    p = Path(path)
    if not p.exists():
        return empty_decisions()
    try:
        frame = pl.read_csv(p, infer_schema=False, empty_string_is_null=True)
    except pl.exceptions.NoDataError:
        return empty_decisions()
    except pl.exceptions.PolarsError as e:
        raise SchemaError(f"decisions file `{p}` is not a readable CSV: {e}") from None
    missing = [c for c in ("id_l", "id_r", "decision") if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"decisions file `{p}` lacks column `{missing[0]}` (expected: {', '.join(_COLUMNS)})"
        )
    for extra in ("decided_at", "note"):
        if extra not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(extra))
    bad = frame.with_row_index("row", offset=2).filter(
        pl.col("id_l").is_null()
        | pl.col("id_r").is_null()
        | ~pl.col("decision").is_in(list(DECISIONS)).fill_null(False)
    )
    if bad.height:
        row, decision = bad.select("row", "decision").row(0)
        raise SchemaError(
            f"decisions file `{p}` line {row}: expected two ids and a decision "
            f"(one of {', '.join(DECISIONS)}), got decision {decision!r}"
        )
    return _ordered(frame.select(_COLUMNS))


def with_decision(
    decisions: pl.DataFrame, id_a: Any, id_b: Any, decision: Decision, note: str = ""
) -> pl.DataFrame:
    """Return ``decisions`` with one more, replacing an earlier one on the same pair.

    Examples
    --------
    >>> d = with_decision(empty_decisions(), "b", "a", "must_link")
    >>> with_decision(d, "a", "b", "cannot_link").select("id_l", "id_r", "decision").rows()
    [('a', 'b', 'cannot_link')]
    """
    row = pl.DataFrame(
        {
            "id_l": [str(id_a)],
            "id_r": [str(id_b)],
            "decision": [decision],
            "decided_at": [datetime.now().isoformat(timespec="seconds")],
            "note": [note or None],
        },
        schema={c: pl.String for c in _COLUMNS},
    )
    return _ordered(pl.concat([decisions.select(_COLUMNS), row]))


def save_decisions(decisions: pl.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write decisions as CSV, atomically."""
    atomic_write_text(path, _ordered(decisions).write_csv())


def _typed(decisions: pl.DataFrame, dtype: pl.DataType) -> pl.DataFrame:
    """Decisions with ids cast to the id dtype; ids that do not cast are dropped."""
    return decisions.with_columns(
        pl.col("id_l").cast(dtype, strict=False), pl.col("id_r").cast(dtype, strict=False)
    ).drop_nulls(["id_l", "id_r"])


def apply_decisions(
    clusters: pl.DataFrame,
    pairs: pl.DataFrame,
    decisions: pl.DataFrame,
    *,
    id_column: str,
    method: Literal["guarded", "connected_components"] = "guarded",
    guard_probability: float = 0.999,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Cluster a run's pairs again with review decisions, by the engine's clustering.

    Parameters
    ----------
    clusters
        The id column and ``cluster_id`` (as written by ``crmdedup dedupe``): every record, and
        the clustering the counts compare with.
    pairs
        Matched pairs: ``<id>_l``, ``<id>_r``, ``match_probability``.
    decisions
        As read by :func:`load_decisions`. Ids that are not in ``clusters`` are ignored.
    id_column
        The id column.
    method, guard_probability
        The run's ``clustering`` and ``guard_probability``.

    Returns
    -------
    tuple[pl.DataFrame, dict[str, int]]
        The clusters (id column, ``cluster_id`` named after the smallest id, ``cluster_size``,
        input order kept) and counts: ``must_link``, ``cannot_link`` (decisions that applied)
        and ``split_clusters`` (clusters of ``clusters`` now spread over several).

    Examples
    --------
    >>> clusters = pl.DataFrame({"id": ["a", "b", "c"], "cluster_id": ["a", "a", "c"]})
    >>> pairs = pl.DataFrame({"id_l": ["a"], "id_r": ["b"], "match_probability": [0.95]})
    >>> d = with_decision(empty_decisions(), "a", "b", "cannot_link")
    >>> d = with_decision(d, "b", "c", "must_link")
    >>> out, counts = apply_decisions(clusters, pairs, d, id_column="id")
    >>> out["cluster_id"].to_list(), counts["split_clusters"]
    (['a', 'b', 'b'], 1)
    """
    known = _known(decisions, clusters, id_column)
    out = cluster(
        pairs,
        clusters.select(id_column),
        id_column=id_column,
        method=method,
        guard_probability=guard_probability,
        decisions=known,
    )
    return out, _counts(known, clusters, out, id_column)


def decision_counts(result: Any, decisions: pl.DataFrame, *, id_column: str) -> dict[str, int]:
    """The counts of :func:`apply_decisions` for a run that clustered with ``decisions``.

    ``result`` is the :class:`~crmdedup.DedupeResult`; the clusters it is compared with are
    those its pairs give without decisions.
    """
    known = _known(decisions, result.clusters, id_column)
    if not known.height:
        return {**{kind: 0 for kind in DECISIONS}, "split_clusters": 0}
    plain = cluster(
        result.pairs,
        result.clusters.select(id_column),
        id_column=id_column,
        method=result.settings.clustering,
        guard_probability=result.settings.guard_probability,
    )
    return _counts(known, plain, result.clusters, id_column)


def _known(decisions: pl.DataFrame, clusters: pl.DataFrame, id_column: str) -> pl.DataFrame:
    """The decisions whose two ids are records of ``clusters``, typed like them."""
    ids = clusters.get_column(id_column).implode()
    return (
        _typed(decisions, clusters.schema[id_column])
        .filter(pl.col("id_l").is_in(ids) & pl.col("id_r").is_in(ids))
        .select("id_l", "id_r", "decision")
    )


def _counts(
    known: pl.DataFrame, before: pl.DataFrame, after: pl.DataFrame, id_column: str
) -> dict[str, int]:
    """Decisions applied per kind, and clusters of ``before`` spread over several in ``after``."""
    counts: dict[str, int] = {
        kind: known.filter(pl.col("decision") == kind).height for kind in DECISIONS
    }
    spread = (
        before.select(id_column, before="cluster_id")
        .join(after.select(id_column, after="cluster_id"), on=id_column)
        .group_by("before")
        .agg(pl.col("after").n_unique())
    )
    counts["split_clusters"] = spread.filter(pl.col("after") > 1).height
    return counts


def near_threshold(
    pairs: pl.DataFrame,
    threshold: float,
    *,
    band_bits: float = 3.0,
    decisions: pl.DataFrame | None = None,
    id_column: str,
) -> pl.DataFrame:
    """Pairs whose match weight is within ``band_bits`` of the threshold's, closest first.

    Pairs already decided are left out.

    Examples
    --------
    >>> pairs = pl.DataFrame({"id_l": ["a", "c"], "id_r": ["b", "d"],
    ...                       "match_weight": [3.0, 20.0], "match_probability": [0.89, 1.0]})
    >>> near_threshold(pairs, 0.9, id_column="id")["id_l"].to_list()
    ['a']
    """
    centre = weight_of(threshold)
    left, right = f"{id_column}_l", f"{id_column}_r"
    out = pairs.filter((pl.col("match_weight") - centre).abs() <= band_bits)
    if decisions is not None and decisions.height:
        # Ordered again once typed: the file orders them as text ("10" before "9").
        decided = _typed(decisions, pairs.schema[left]).select(
            pl.min_horizontal("id_l", "id_r").alias(left),
            pl.max_horizontal("id_l", "id_r").alias(right),
        )
        ordered = out.with_columns(
            pl.min_horizontal(left, right).alias("__lo"),
            pl.max_horizontal(left, right).alias("__hi"),
        )
        out = ordered.join(
            decided, left_on=["__lo", "__hi"], right_on=[left, right], how="anti"
        ).drop("__lo", "__hi")
    return out.sort((pl.col("match_weight") - centre).abs(), maintain_order=True)
