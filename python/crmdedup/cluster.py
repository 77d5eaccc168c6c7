"""Clustering of scored pairs with the engine's own clustering, honouring steward decisions.

This is the clustering ``dedupe`` runs, exposed on its own: for pairs scored elsewhere, for
re-clustering a run after review decisions, or for reachability over strong links (erasure
plans). Decisions are part of the clustering, not patched on afterwards: a must-link pair is a
certain edge, a cannot-link pair a union the clustering refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import polars as pl

from crmdedup import _core
from crmdedup._arrow import to_polars
from crmdedup.errors import SchemaError

__all__ = ["cluster", "decision_tables"]

DECISIONS = ("must_link", "cannot_link")


def decision_tables(decisions: Any) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """Split steward decisions (``id_l``, ``id_r``, ``decision``) into must- and cannot-links.

    Each side is a frame of ``id_l`` and ``id_r``, or None when there is none. Decisions whose
    ids name no record are ignored by the clustering (they may refer to deleted records).

    Raises
    ------
    SchemaError
        When a column is missing or a decision is neither ``must_link`` nor ``cannot_link``
        (naming its 1-based row).
    """
    if decisions is None:
        return None, None
    frame = to_polars(decisions, name="decisions")
    missing = [c for c in ("id_l", "id_r", "decision") if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"`decisions` has no column `{missing[0]}` (expected id_l, id_r, decision)"
        )
    bad = frame.with_row_index("row", offset=1).filter(
        ~pl.col("decision").cast(pl.String).is_in(DECISIONS) | pl.col("decision").is_null()
    )
    if bad.height:
        row, value = bad.select("row", "decision").row(0)
        raise SchemaError(
            f"`decisions` row {row}: decision {value!r} is not one of {', '.join(DECISIONS)}"
        )

    def side(kind: str) -> pl.DataFrame | None:
        part = frame.filter(pl.col("decision") == kind).select("id_l", "id_r")
        return part if part.height else None

    return side("must_link"), side("cannot_link")


def cluster(
    pairs: Any,
    ids: Any,
    *,
    id_column: str,
    method: Literal["guarded", "connected_components"] = "guarded",
    guard_probability: float = 0.999,
    threshold: float | None = None,
    decisions: Any = None,
    threads: int | None = None,
) -> pl.DataFrame:
    """Cluster scored pairs the way :func:`crmdedup.dedupe` does.

    Parameters
    ----------
    pairs
        Scored pairs: ``<id>_l``, ``<id>_r`` and ``match_probability`` (any Arrow-compatible
        table, e.g. ``DedupeResult.pairs``).
    ids
        Every record: a table holding ``id_column``, or a sequence or Series of ids. Records in
        no pair are singletons.
    id_column
        The id column.
    method, guard_probability
        As :attr:`Settings.clustering` and :attr:`Settings.guard_probability`.
    threshold
        When given, only pairs with ``match_probability >= threshold`` are linked.
    decisions
        Steward decisions: ``id_l``, ``id_r``, ``decision`` (``must_link`` or
        ``cannot_link``), as written by ``crmdedup review``.
    threads
        Worker threads (default: all cores).

    Returns
    -------
    pl.DataFrame
        The id column, ``cluster_id`` (smallest id of the cluster) and ``cluster_size``, in the
        order of ``ids``.

    Raises
    ------
    SchemaError
        When a pair names an id that is not a record (with its 1-based row), or when the
        must-links alone join a cannot-link pair (naming both and the chain between them).

    Examples
    --------
    >>> pairs = pl.DataFrame({"id_l": ["a", "b"], "id_r": ["b", "c"],
    ...                       "match_probability": [0.99, 0.9]})
    >>> decisions = pl.DataFrame({"id_l": ["a"], "id_r": ["c"], "decision": ["cannot_link"]})
    >>> out = cluster(pairs, ["a", "b", "c", "d"], id_column="id",
    ...               method="connected_components", decisions=decisions)
    >>> out["cluster_id"].to_list()
    ['a', 'a', 'c', 'd']
    """
    if isinstance(ids, Sequence) and not isinstance(ids, str | bytes):
        records = pl.DataFrame({id_column: list(ids)})
    elif isinstance(ids, pl.Series):
        records = ids.alias(id_column).to_frame()
    else:
        records = to_polars(ids, name="ids").select(id_column)
    links = to_polars(pairs, name="pairs")
    if threshold is not None:
        links = links.filter(pl.col("match_probability") >= threshold)
    must, cannot = decision_tables(decisions)
    table = _core.cluster(
        records,
        links,
        id_column=id_column,
        method=method,
        guard=guard_probability,
        must_link=must,
        cannot_link=cannot,
        threads=threads,
    )
    return pl.DataFrame(table)
