"""Review decisions of ``crmdedup review``: must-link and cannot-link pairs that later runs honour.

A decisions file is a small CSV (``id_l``, ``id_r``, ``decision``, ``decided_at``, ``note``)
written by ``crmdedup review``. :func:`apply_decisions` post-processes the clusters of a run:
must-link pairs join their clusters, cannot-link pairs split theirs. Joins are computed for all
clusters at once (label propagation over polars frames); only the few clusters holding a
cannot-link pair are rebuilt one by one, strongest link first, never joining a forbidden pair.
"""

from __future__ import annotations

import math
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from crmdedup._files import atomic_write_text
from crmdedup.errors import SchemaError

__all__ = [
    "DECISIONS",
    "Decision",
    "apply_decisions",
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


def _components(edges: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """Connected components of cluster labels: columns ``label`` and ``root`` (smallest label).

    ``edges`` has ``a`` and ``b`` (labels); ``labels`` has every ``label``. Label propagation:
    each step gives every label the smallest root among its neighbours, until nothing moves.
    """
    both = pl.concat([edges.select("a", "b"), edges.select(a="b", b="a")])
    roots = labels.select("label", root=pl.col("label"))
    while True:
        step = (
            both.join(roots, left_on="b", right_on="label")
            .group_by("a")
            .agg(pl.col("root").min().alias("nb"))
        )
        moved = roots.join(step, left_on="label", right_on="a", how="left").with_columns(
            pl.min_horizontal("root", "nb").alias("new")
        )
        if moved.filter(pl.col("new") != pl.col("root")).height == 0:
            return roots
        # Jump to the root's root so chains collapse in a logarithmic number of steps.
        roots = moved.select("label", root="new")
        roots = roots.join(
            roots.select(pl.col("label").alias("r"), pl.col("root").alias("rr")),
            left_on="root",
            right_on="r",
        ).select("label", root=pl.min_horizontal("root", "rr"))


def _split(
    members: list[Any], edges: list[tuple[Any, Any, float]], forbidden: set[tuple[Any, Any]]
) -> dict[Any, Any]:
    """Rebuild one cluster strongest edge first, never joining a forbidden pair."""
    parent = {m: m for m in members}
    groups: dict[Any, set[Any]] = {m: {m} for m in members}

    def find(x: Any) -> Any:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in sorted(edges, key=lambda e: -e[2]):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if any((x, y) in forbidden or (y, x) in forbidden for x in groups[ra] for y in groups[rb]):
            continue
        if len(groups[ra]) < len(groups[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        groups[ra] |= groups.pop(rb)
    return {m: min(groups[find(m)]) for m in members}


def apply_decisions(
    clusters: pl.DataFrame,
    pairs: pl.DataFrame,
    decisions: pl.DataFrame,
    *,
    id_column: str,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Honour review decisions on the clusters of a run.

    Parameters
    ----------
    clusters
        The id column and ``cluster_id`` (as written by ``crmdedup dedupe``).
    pairs
        Matched pairs: ``<id>_l``, ``<id>_r``, ``match_probability``. Used to rebuild a cluster
        that a cannot-link pair splits.
    decisions
        As read by :func:`load_decisions`. Ids that are not in ``clusters`` are ignored.
    id_column
        The id column.

    Returns
    -------
    tuple[pl.DataFrame, dict[str, int]]
        The clusters (id column, ``cluster_id`` named after the smallest id, ``cluster_size``,
        input order kept) and counts: ``must_link``, ``cannot_link`` (decisions that applied)
        and ``split_clusters``.

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
    dtype = clusters.schema[id_column]
    ids = clusters.select(id_column, "cluster_id")
    known = _typed(decisions, dtype)
    known = known.join(ids.select(pl.col(id_column).alias("id_l")), on="id_l", how="semi").join(
        ids.select(pl.col(id_column).alias("id_r")), on="id_r", how="semi"
    )
    must = known.filter(pl.col("decision") == "must_link")
    cannot = known.filter(pl.col("decision") == "cannot_link")
    counts = {"must_link": must.height, "cannot_link": cannot.height, "split_clusters": 0}

    label_of = ids.rename({id_column: "id", "cluster_id": "label"})
    # 1. must-link: join the clusters of both ends (all at once).
    if must.height:
        edges = (
            must.join(label_of, left_on="id_l", right_on="id")
            .join(label_of, left_on="id_r", right_on="id", suffix="_r")
            .select(a="label", b="label_r")
        )
        roots = _components(edges, label_of.select("label").unique())
        label_of = label_of.join(roots, on="label", how="left").select("id", label="root")

    # 2. cannot-link: rebuild only the clusters that hold a forbidden pair.
    violated = (
        cannot.join(label_of, left_on="id_l", right_on="id")
        .join(label_of, left_on="id_r", right_on="id", suffix="_r")
        .filter(pl.col("label") == pl.col("label_r"))
    )
    if violated.height:
        bad_labels = violated.get_column("label").unique()
        counts["split_clusters"] = bad_labels.len()
        affected = label_of.filter(pl.col("label").is_in(bad_labels.implode()))
        left, right = f"{id_column}_l", f"{id_column}_r"
        links = pl.concat(
            [
                pairs.select(a=left, b=right, p=pl.col("match_probability").cast(pl.Float64)),
                must.select(a="id_l", b="id_r", p=pl.lit(math.inf)),
            ]
        )
        inside = (
            links.join(affected, left_on="a", right_on="id")
            .join(affected, left_on="b", right_on="id", suffix="_b")
            .filter(pl.col("label") == pl.col("label_b"))
        )
        forbidden = set(cannot.select("id_l", "id_r").iter_rows())
        relabelled: list[tuple[Any, Any]] = []
        for (label,), group in affected.group_by("label"):
            edges_in = inside.filter(pl.col("label") == label).select("a", "b", "p").rows()
            names = _split(group.get_column("id").to_list(), edges_in, forbidden)
            relabelled.extend(names.items())
        fixed = pl.DataFrame(relabelled, schema={"id": dtype, "new": dtype}, orient="row")
        label_of = label_of.join(fixed, on="id", how="left").select(
            "id", label=pl.coalesce("new", "label")
        )

    # Name each cluster after its smallest id, in input order.
    out = (
        clusters.select(id_column)
        .join(label_of, left_on=id_column, right_on="id", how="left", maintain_order="left")
        .with_columns(pl.col(id_column).min().over("label").alias("cluster_id"))
        .with_columns(pl.len().over("cluster_id").cast(pl.UInt32).alias("cluster_size"))
        .select(id_column, "cluster_id", "cluster_size")
    )
    return out, counts


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
    centre = math.log2(threshold / (1 - threshold))
    left, right = f"{id_column}_l", f"{id_column}_r"
    out = pairs.filter((pl.col("match_weight") - centre).abs() <= band_bits)
    if decisions is not None and decisions.height:
        decided = _typed(decisions, pairs.schema[left]).select(
            pl.col("id_l").alias(left), pl.col("id_r").alias(right)
        )
        ordered = out.with_columns(
            pl.min_horizontal(left, right).alias("__lo"),
            pl.max_horizontal(left, right).alias("__hi"),
        )
        out = ordered.join(
            decided, left_on=["__lo", "__hi"], right_on=[left, right], how="anti"
        ).drop("__lo", "__hi")
    return out.sort((pl.col("match_weight") - centre).abs(), maintain_order=True)
