"""Data-subject rights over clusters: erasure plans and access/portability exports.

A request names one record; the clusters extend it to every duplicate of the person, and weak
links are routed to human review rather than erased blindly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import polars as pl

from crmdedup._arrow import to_polars
from crmdedup._ids import id_values
from crmdedup.cluster import cluster
from crmdedup.errors import ConfigError, SchemaError
from crmdedup.merge import merge
from crmdedup.merge._frames import MEMBER_CLUSTER, MEMBER_ROW, members_of, require_columns
from crmdedup.merge._policy import MergePolicy

__all__ = ["erasure_plan", "subject_export"]


def _requested_ids(requests: Any, id_column: str, dtype: pl.DataType) -> pl.Series:
    if isinstance(requests, Sequence) and not isinstance(requests, str | bytes):
        return id_values(requests, id_column, dtype, table="requests")
    if isinstance(requests, str | bytes | int | float):
        raise SchemaError(
            f"`requests` must be a sequence of ids or a table with column `{id_column}`, "
            f"got {requests!r}\nhint: pass [{requests!r}] for one request"
        )
    frame = to_polars(requests, name="requests")
    require_columns(frame, [id_column], table="requests")
    return id_values(frame.get_column(id_column), id_column, dtype, table="requests")


def erasure_plan(
    records: Any,
    clusters: Any,
    requests: Any,
    *,
    id_column: str,
    pairs: Any = None,
    min_probability: float = 0.99,
) -> pl.DataFrame:
    """List every record to erase for erasure requests, and the links needing human review.

    Parameters
    ----------
    records
        The contacts (any Arrow-compatible table).
    clusters
        The id column and ``cluster_id``, as produced by :func:`crmdedup.dedupe`.
    requests
        The requesters' record ids: a sequence of ids or a table with the id column.
    id_column
        Column holding the record ids.
    pairs
        Optional scored pairs with ``<id>_l``, ``<id>_r`` and ``match_probability``. When given,
        a member is erased only if a chain of links of at least ``min_probability`` joins it to
        the requested record; other members of the cluster go to review. Without pairs, every
        member of the cluster is erased.
    min_probability
        The stricter confidence required to erase without review.

    Returns
    -------
    pl.DataFrame
        One row per (request, member of its cluster): ``requested_id``, the id column,
        ``cluster_id``, ``action`` (``erase`` or ``review``), ``reason`` (``requested_record``,
        ``same_cluster``, ``strong_link`` or ``weak_link``) and ``best_link_probability`` (the
        highest link from a reviewed record to a record being erased).

    Raises
    ------
    SchemaError
        If a requested id is not a record, or an input lacks a column.

    Examples
    --------
    >>> people = pl.DataFrame({"id": [1, 2, 3, 4]})
    >>> clusters = pl.DataFrame({"id": [1, 2, 3, 4], "cluster_id": [1, 1, 1, 4]})
    >>> pairs = pl.DataFrame({"id_l": [1, 2], "id_r": [2, 3], "match_probability": [0.999, 0.9]})
    >>> plan = erasure_plan(people, clusters, [1], id_column="id", pairs=pairs)
    >>> plan.select("id", "action", "reason").rows()
    [(1, 'erase', 'requested_record'), (2, 'erase', 'strong_link'), (3, 'review', 'weak_link')]
    """
    if not 0.0 <= min_probability <= 1.0:
        raise ConfigError(f"`min_probability` must be in [0, 1], got {min_probability}")
    frame = to_polars(records, name="records")
    members = members_of(frame, to_polars(clusters, name="clusters"), id_column)
    dtype = frame.schema[id_column]
    wanted = pl.DataFrame({"requested_id": _requested_ids(requests, id_column, dtype)})
    seeds = wanted.unique(maintain_order=True).join(
        members.select(pl.col(id_column).alias("requested_id"), MEMBER_CLUSTER),
        on="requested_id",
        how="left",
    )
    if seeds.get_column(MEMBER_CLUSTER).null_count():
        row = seeds.with_row_index("r").filter(pl.col(MEMBER_CLUSTER).is_null()).row(0, named=True)
        raise SchemaError(
            f"requested id {row['requested_id']!r} is not a value of column `{id_column}` "
            "of `records`"
        )
    plan = seeds.join(members.select(id_column, MEMBER_CLUSTER), on=MEMBER_CLUSTER)
    is_self = pl.col(id_column) == pl.col("requested_id")
    if pairs is None:
        return plan.select(
            "requested_id",
            id_column,
            MEMBER_CLUSTER,
            pl.lit("erase").alias("action"),
            pl.when(is_self)
            .then(pl.lit("requested_record"))
            .otherwise(pl.lit("same_cluster"))
            .alias("reason"),
            pl.lit(None, pl.Float64).alias("best_link_probability"),
        ).sort("requested_id", id_column)
    links = to_polars(pairs, name="pairs")
    left, right = f"{id_column}_l", f"{id_column}_r"
    require_columns(links, [left, right, "match_probability"], table="pairs")
    links = links.select(
        pl.col(left).cast(dtype).alias("src"),
        pl.col(right).cast(dtype).alias("dst"),
        pl.col("match_probability").cast(pl.Float64),
    )
    both = pl.concat(
        [
            links,
            links.select(
                pl.col("dst").alias("src"), pl.col("src").alias("dst"), "match_probability"
            ),
        ]
    )
    # Records joined to the requested one by a chain of strong links: the engine's clustering
    # (connected components over the strong links, every record a node).
    strong = cluster(
        links.select(
            pl.col("src").alias(f"{id_column}_l"),
            pl.col("dst").alias(f"{id_column}_r"),
            "match_probability",
        ),
        frame.select(id_column),
        id_column=id_column,
        method="connected_components",
        threshold=min_probability,
    ).select(id_column, pl.col("cluster_id").alias("__component"))
    plan = (
        plan.join(
            strong.select(pl.col(id_column).alias("requested_id"), __own="__component"),
            on="requested_id",
            how="left",
        )
        .join(strong, on=id_column, how="left")
        .with_columns(__reached=pl.col("__component") == pl.col("__own"))
    )
    erased = plan.filter(pl.col("__reached")).select("requested_id", pl.col(id_column).alias("dst"))
    best = (
        both.join(erased, on="dst")
        .group_by("requested_id", pl.col("src").alias(id_column))
        .agg(pl.col("match_probability").max().alias("best_link_probability"))
    )
    plan = plan.join(best, on=["requested_id", id_column], how="left")
    reached_expr = pl.col("__reached").fill_null(False)
    return plan.select(
        "requested_id",
        id_column,
        MEMBER_CLUSTER,
        pl.when(reached_expr).then(pl.lit("erase")).otherwise(pl.lit("review")).alias("action"),
        pl.when(is_self)
        .then(pl.lit("requested_record"))
        .when(reached_expr)
        .then(pl.lit("strong_link"))
        .otherwise(pl.lit("weak_link"))
        .alias("reason"),
        pl.when(~is_self).then(pl.col("best_link_probability")).alias("best_link_probability"),
    ).sort("requested_id", id_column)


def _json_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as JSON-ready dicts, datetimes in ISO 8601."""
    iso = [
        pl.col(name).dt.to_string("%Y-%m-%dT%H:%M:%S%.f")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime)
    ]
    rows: list[dict[str, Any]] = json.loads(frame.with_columns(iso).write_json())
    return rows


def subject_export(
    records: Any,
    clusters: Any,
    consents: Any,
    id: Any,
    *,
    id_column: str,
    oppositions: Any = None,
    policy: MergePolicy | None = None,
) -> str:
    """Export everything held about the person behind record ``id``, as a JSON string.

    Parameters
    ----------
    records
        The contacts (any Arrow-compatible table).
    clusters
        The id column and ``cluster_id``, as produced by :func:`crmdedup.dedupe`.
    consents
        Consent events as for :func:`crmdedup.merge`, or ``None``.
    id
        Any record id of the person.
    id_column
        Column holding the record ids.
    oppositions, policy
        As for :func:`crmdedup.merge`; used for the resolved consent summary.

    Returns
    -------
    str
        A JSON object with ``requested_id``, ``golden_id``, ``records`` (every member record as
        given), ``consent_events`` (every event of those records, as given) and ``consent``
        (the merged status per purpose and contact point). Datetimes are ISO 8601 text.

    Raises
    ------
    SchemaError
        If ``id`` is not a record id, or an input is malformed.

    Examples
    --------
    >>> people = pl.DataFrame({"id": [1, 2, 3], "email": ["a@x.fr", "A@x.fr", "c@z.fr"]})
    >>> clusters = pl.DataFrame({"id": [1, 2, 3], "cluster_id": [1, 1, 3]})
    >>> export = json.loads(subject_export(people, clusters, None, 2, id_column="id"))
    >>> [r["id"] for r in export["records"]]
    [1, 2]
    """
    frame = to_polars(records, name="records")
    links = to_polars(clusters, name="clusters")
    members = members_of(frame, links, id_column)
    wanted = id_values([id], id_column, frame.schema[id_column], table="id")
    mine = members.filter(pl.col(id_column).is_in(wanted.implode()))
    if mine.height == 0:
        raise SchemaError(f"id {id!r} is not a value of column `{id_column}` of `records`")
    cluster = mine.get_column(MEMBER_CLUSTER)[0]
    rows = members.filter(pl.col(MEMBER_CLUSTER) == cluster).get_column(MEMBER_ROW)
    person = frame[rows.to_list()]
    member_ids = person.get_column(id_column)
    person_links = members.filter(pl.col(MEMBER_CLUSTER) == cluster).select(
        id_column, MEMBER_CLUSTER
    )
    events = None
    raw_events: list[dict[str, Any]] = []
    if consents is not None:
        all_events = to_polars(consents, name="consents")
        require_columns(all_events, ["record_id"], table="consents")
        ids = all_events.get_column("record_id").cast(frame.schema[id_column], strict=False)
        events = all_events.filter(ids.is_in(member_ids.implode()))
        raw_events = _json_rows(events)
    result = merge(
        person,
        person_links,
        id_column=id_column,
        consents=events,
        oppositions=oppositions,
        policy=policy,
    )
    export = {
        "requested_id": id,
        "golden_id": result.golden.get_column("golden_id")[0],
        "records": _json_rows(person),
        "consent_events": raw_events,
        "consent": _json_rows(result.consent),
    }
    return json.dumps(export, ensure_ascii=False, default=str)
