"""Consent inputs made comparable: events, opposition lists and records' contact points.

Each is checked and put in the engine's canonical form per channel, read in the policy's region.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from crmdedup.errors import SchemaError
from crmdedup.merge._consent import canonical_contact_point
from crmdedup.merge._frames import as_naive_datetime, cast_ids, require_columns, to_frame
from crmdedup.merge._policy import Channel, MergePolicy

__all__ = [
    "GOLDEN",
    "KEY",
    "normalise_events",
    "normalise_oppositions",
    "record_points",
    "record_regions",
    "with_golden",
]

GOLDEN = "golden_id"


# Golden records are joined on their dense index in the sorted golden ids: integers join fast.
KEY = "__g"


_EVENT = "__event"


_HOLDER = "__holder"


_STATUSES = ("granted", "withdrawn")


_CHANNELS: tuple[Channel, ...] = ("email", "phone", "postal")


def with_golden(frame: pl.DataFrame, goldens: pl.Series) -> pl.DataFrame:
    """Replace the dense golden index ``__g`` of ``frame`` by ``golden_id``, in first position."""
    golden = goldens.gather(frame.get_column(KEY)).alias(GOLDEN)
    return frame.select(pl.lit(golden), pl.all().exclude(KEY))


def _channel_expr(purpose: pl.Expr, policy: MergePolicy) -> pl.Expr:
    mapping = dict(policy.purpose_channels)
    return purpose.replace_strict(mapping, default="other", return_dtype=pl.String)


def _canonical_by_channel(
    values: pl.Series, channels: pl.Series, policy: MergePolicy, regions: pl.Series | None
) -> pl.Series:
    """Canonical form of each contact point on its row's channel, phones read in its region."""
    out = canonical_contact_point(values, "other")
    for name in _CHANNELS:
        rows = (channels == name).fill_null(False).arg_true()
        if rows.len():
            canonical = canonical_contact_point(
                values.gather(rows),
                name,
                region=policy.default_region,
                regions=None if regions is None else regions.gather(rows),
            )
            out = out.scatter(rows, canonical)
    return out


def record_regions(records: pl.DataFrame, policy: MergePolicy) -> pl.Series | None:
    """Each record's region code from ``policy.region_column``, or None without one."""
    if policy.region_column is None:
        return None
    require_columns(records, [policy.region_column], table="records")
    return records.get_column(policy.region_column).cast(pl.String)


def _row_of(frame: pl.DataFrame, mask: pl.Expr, column: str) -> tuple[int, Any]:
    row, value = frame.with_row_index("__row").filter(mask).select("__row", column).row(0)
    return int(row), value


def record_points(
    records: pl.DataFrame, lineage: pl.DataFrame, id_column: str, policy: MergePolicy
) -> pl.DataFrame:
    """Return the canonical contact points held by each record, one row per record and channel.

    Columns: the id column, ``golden_id``, ``channel``, ``contact_point`` (never null).
    """
    parts = []
    regions = record_regions(records, policy)
    for channel, column in policy.channel_columns.items():
        if column not in records.columns:
            continue
        dtype = records.schema[column]
        if dtype.is_nested() or dtype == pl.Object:
            raise SchemaError(
                f"column `{column}` of `records` has type {dtype}, expected text "
                f"(the {channel} contact point of each record)"
            )
        parts.append(
            records.select(
                pl.col(id_column),
                pl.lit(channel).alias("channel"),
                canonical_contact_point(
                    records.get_column(column),
                    channel,
                    region=policy.default_region,
                    regions=regions,
                ).alias("contact_point"),
            ).filter(pl.col("contact_point").is_not_null())
        )
    schema = {
        id_column: records.schema[id_column],
        "channel": pl.String(),
        "contact_point": pl.String(),
    }
    points = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    return points.join(lineage.select(id_column, KEY), on=id_column, how="inner")


def normalise_events(
    consents: Any,
    records: pl.DataFrame,
    lineage: pl.DataFrame,
    points: pl.DataFrame,
    id_column: str,
    policy: MergePolicy,
) -> pl.DataFrame:
    """Check consent events and attach their golden record, channel and canonical contact point.

    Returns columns ``golden_id``, the id column, ``purpose``, ``channel``, ``contact_point``,
    ``status``, ``recorded_at``, ``source``, ``proof`` and the event's row number.
    """
    events = to_frame(consents, name="consents")
    require_columns(events, ["record_id", "purpose", "status", "recorded_at"], table="consents")
    for optional in ("source", "proof", "contact_point"):
        if optional not in events.columns:
            events = events.with_columns(pl.lit(None, pl.String).alias(optional))
    dtype = records.schema[id_column]
    events = cast_ids(events, "record_id", dtype, table="consents")
    events = as_naive_datetime(events, "recorded_at", table="consents")
    for column in ("record_id", "purpose", "status"):
        if events.get_column(column).null_count():
            row, _ = _row_of(events, pl.col(column).is_null(), column)
            raise SchemaError(f"null value in column `{column}` of `consents` at row {row}")
    status = pl.col("status").cast(pl.String).str.strip_chars().str.to_lowercase()
    events = events.with_columns(status.alias("status"), pl.col("purpose").cast(pl.String))
    unknown = ~pl.col("status").is_in(_STATUSES)
    if events.select(unknown.any()).item():
        row, value = _row_of(events, unknown, "status")
        raise SchemaError(
            f"column `status` of `consents` holds {value!r} at row {row}, "
            "expected `granted` or `withdrawn`"
        )
    events = events.with_row_index(_EVENT).join(
        lineage.select(pl.col(id_column).alias("record_id"), KEY), on="record_id", how="left"
    )
    orphan = pl.col(KEY).is_null()
    if events.select(orphan.any()).item():
        row, value = _row_of(events, orphan, "record_id")
        raise SchemaError(
            f"column `record_id` of `consents` holds {value!r} at row {row}, "
            f"which is not an id of the records (column `{id_column}`)"
        )
    events = events.with_columns(_channel_expr(pl.col("purpose"), policy).alias("channel"))
    held = points.select(
        pl.col(id_column).alias("record_id"), "channel", pl.col("contact_point").alias("__held")
    )
    events = events.join(held, on=["record_id", "channel"], how="left")
    regions = record_regions(records, policy)
    if regions is not None:
        by_record = records.select(pl.col(id_column).alias("record_id"), regions.alias("__region"))
        events = events.join(by_record, on="record_id", how="left", maintain_order="left")
    explicit = _canonical_by_channel(
        events.get_column("contact_point"),
        events.get_column("channel"),
        policy,
        None if regions is None else events.get_column("__region"),
    )
    return events.select(
        KEY,
        pl.col("record_id").alias(id_column),
        "purpose",
        "channel",
        pl.coalesce(pl.lit(explicit), pl.col("__held")).alias("contact_point"),
        "status",
        "recorded_at",
        pl.col("source").cast(pl.String),
        pl.col("proof").cast(pl.String),
        _EVENT,
    ).sort(_EVENT)


def normalise_oppositions(oppositions: Any, policy: MergePolicy) -> pl.DataFrame:
    """Check opposition lists and canonicalise their contact points by purpose channel."""
    frame = to_frame(oppositions, name="oppositions")
    require_columns(
        frame, ["contact_point", "purpose", "listed_at", "list_name"], table="oppositions"
    )
    frame = as_naive_datetime(frame, "listed_at", table="oppositions")
    for column in ("contact_point", "purpose", "list_name"):
        if frame.get_column(column).null_count():
            row, _ = _row_of(frame, pl.col(column).is_null(), column)
            raise SchemaError(f"null value in column `{column}` of `oppositions` at row {row}")
    channels = frame.select(_channel_expr(pl.col("purpose").cast(pl.String), policy)).to_series()
    regions = frame.get_column("region").cast(pl.String) if "region" in frame.columns else None
    canonical = _canonical_by_channel(frame.get_column("contact_point"), channels, policy, regions)
    return frame.select(
        pl.col("purpose").cast(pl.String),
        pl.lit(canonical).alias("contact_point"),
        "listed_at",
        pl.col("list_name").cast(pl.String),
    ).filter(pl.col("contact_point").is_not_null())
