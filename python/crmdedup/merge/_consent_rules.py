"""Consent resolution for merged clusters: no invention, withdrawals win, oppositions win.

Every step is a polars join, sort or group-by over all clusters at once. The rules are written
out in :func:`crmdedup.merge`; this module only implements them.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from crmdedup.merge._consent_inputs import (
    _EVENT,
    _HOLDER,
    KEY,
    with_golden,
)
from crmdedup.merge._policy import MergePolicy

__all__ = ["resolve_consent"]

# An undated withdrawal is treated as the latest event: a grant cannot be proven to follow it.
_UNDATED_WITHDRAWAL = dt.datetime(9999, 12, 31)


def _candidates(
    events: pl.DataFrame,
    points: pl.DataFrame,
    purposes: pl.DataFrame,
    goldens: pl.Series,
    id_column: str,
) -> pl.DataFrame:
    """Every (golden, purpose, contact point) to decide, with a record holding the point."""
    key = [KEY, "purpose", "contact_point"]
    held = points.group_by(KEY, "channel", "contact_point").agg(pl.col(id_column).min())
    from_points = held.join(purposes, on="channel").select(
        *key, "channel", pl.col(id_column).alias(_HOLDER)
    )
    from_events = events.select(*key, "channel", pl.col(id_column).alias(_HOLDER))
    found = (
        pl.concat([from_points, from_events])
        .group_by(key, maintain_order=False)
        .agg(pl.col("channel").first(), pl.col(_HOLDER).min())
    )
    everyone = pl.DataFrame({KEY: pl.int_range(len(goldens), dtype=pl.UInt32, eager=True)}).join(
        purposes, how="cross"
    )
    empty = everyone.join(found, on=[KEY, "purpose"], how="anti").select(
        KEY,
        "purpose",
        pl.lit(None, pl.String).alias("contact_point"),
        "channel",
        pl.lit(None, found.schema[_HOLDER]).alias(_HOLDER),
    )
    return pl.concat([found, empty])


def _latest_withdrawals(events: pl.DataFrame, keys: list[str], id_column: str) -> pl.DataFrame:
    effective = pl.col("recorded_at").fill_null(_UNDATED_WITHDRAWAL).alias("__w_effective")
    return (
        events.filter(pl.col("status") == "withdrawn")
        .with_columns(effective)
        .sort(["__w_effective", id_column, _EVENT], descending=[True, False, False])
        .group_by(keys)
        .agg(
            pl.col("__w_effective").first(),
            pl.col("recorded_at").first().alias("__w_at"),
            pl.col(id_column).first().alias("__w_id"),
            pl.col("source").first().alias("__w_source"),
            pl.col("proof").first().alias("__w_proof"),
        )
    )


def _deciding_grants(
    events: pl.DataFrame,
    withdrawals: pl.DataFrame,
    wkeys: list[str],
    id_column: str,
    policy: MergePolicy,
) -> pl.DataFrame:
    """Latest grant per (golden, purpose, contact point) that no withdrawal overrides."""
    has_proof = pl.col("proof").str.strip_chars().str.len_bytes().fill_null(0) > 0
    later = pl.col("recorded_at").is_not_null() & (pl.col("recorded_at") > pl.col("__w_effective"))
    if policy.reenable_requires_proof:
        later = later & has_proof
    return (
        events.filter(pl.col("status") == "granted")
        .join(withdrawals.select(*wkeys, "__w_effective"), on=wkeys, how="left", nulls_equal=True)
        .filter(pl.col("__w_effective").is_null() | later)
        .sort(["recorded_at", id_column, _EVENT], descending=[True, False, False], nulls_last=True)
        .group_by(KEY, "purpose", "contact_point")
        .agg(
            pl.col("recorded_at").first().alias("__g_at"),
            pl.col(id_column).first().alias("__g_id"),
            pl.col("source").first().alias("__g_source"),
            pl.col("proof").first().alias("__g_proof"),
        )
    )


def _opposition_hits(candidates: pl.DataFrame, oppositions: pl.DataFrame) -> pl.DataFrame:
    """First opposition-list entry (by listing time, then list) hitting each golden and purpose."""
    return (
        candidates.filter(pl.col("contact_point").is_not_null())
        .join(oppositions, on=["purpose", "contact_point"], how="inner")
        .sort(["listed_at", "list_name", "contact_point"], nulls_last=True)
        .group_by(KEY, "purpose")
        .agg(
            pl.col("listed_at").first().alias("__o_at"),
            pl.col("list_name").first().alias("__o_list"),
            pl.col("contact_point").first().alias("__o_point"),
            pl.col(_HOLDER).first().alias("__o_id"),
        )
    )


def resolve_consent(
    events: pl.DataFrame,
    points: pl.DataFrame,
    oppositions: pl.DataFrame | None,
    goldens: pl.Series,
    id_column: str,
    policy: MergePolicy,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return the ``consent`` and ``conflicts`` frames of a merge.

    Parameters
    ----------
    events
        Output of :func:`normalise_events`.
    points
        Output of :func:`record_points`.
    oppositions
        Output of :func:`normalise_oppositions`, or ``None``.
    goldens
        Every golden id, sorted: events and points refer to them by position (``__g``).
    id_column, policy
        As given to :func:`crmdedup.merge`.
    """
    opp_purposes = [] if oppositions is None else oppositions.get_column("purpose").to_list()
    names = sorted(set(events.get_column("purpose").to_list()) | set(opp_purposes))
    purposes = pl.DataFrame(
        {"purpose": names, "channel": [policy.channel_of(p) for p in names]},
        schema={"purpose": pl.String, "channel": pl.String},
    )
    candidates = _candidates(events, points, purposes, goldens, id_column)
    wkeys = [KEY, "purpose"]
    if policy.withdrawal_scope == "contact_point":
        wkeys.append("contact_point")
    withdrawals = _latest_withdrawals(events, wkeys, id_column)
    grants = _deciding_grants(events, withdrawals, wkeys, id_column, policy)
    key = [KEY, "purpose", "contact_point"]
    table = candidates.join(grants, on=key, how="left", nulls_equal=True).join(
        withdrawals, on=wkeys, how="left", nulls_equal=True
    )
    if oppositions is not None:
        table = table.join(
            _opposition_hits(candidates, oppositions), on=[KEY, "purpose"], how="left"
        )
    else:
        table = table.with_columns(
            pl.lit(None, pl.Datetime("us")).alias("__o_at"),
            pl.lit(None, pl.String).alias("__o_list"),
            pl.lit(None, pl.String).alias("__o_point"),
            pl.lit(None, table.schema[_HOLDER]).alias("__o_id"),
        )

    def pick(opposed: str | pl.Expr, granted: str, withdrawn: str) -> pl.Expr:
        chosen = pl.col(opposed) if isinstance(opposed, str) else opposed
        return (
            pl.when(pl.col("__o_list").is_not_null())
            .then(chosen)
            .when(pl.col("__g_id").is_not_null())
            .then(pl.col(granted))
            .otherwise(pl.col(withdrawn))
        )

    status = (
        pl.when(pl.col("__o_list").is_not_null())
        .then(pl.lit("opposed"))
        .when(pl.col("__g_id").is_not_null())
        .then(pl.lit("granted"))
        .when(pl.col("__w_id").is_not_null())
        .then(pl.lit("withdrawn"))
        .otherwise(pl.lit("no_consent"))
    )
    consent = table.select(
        KEY,
        "purpose",
        "channel",
        "contact_point",
        status.alias("status"),
        pick("__o_at", "__g_at", "__w_at").alias("decided_at"),
        pick("__o_id", "__g_id", "__w_id").alias(id_column),
        pick("__o_list", "__g_source", "__w_source").alias("source"),
        pick(pl.lit(None, pl.String), "__g_proof", "__w_proof").alias("proof"),
        pl.col("__o_list").alias("opposition_list"),
        pl.col("__o_point").alias("opposed_contact_point"),
    ).sort(key, nulls_last=True)
    opposed = table.filter(pl.col("__o_list").is_not_null()).select(wkeys[:2]).unique()
    conflicts = _conflicts(events, opposed, id_column)
    return with_golden(consent, goldens), with_golden(conflicts, goldens)


def _conflicts(events: pl.DataFrame, opposed: pl.DataFrame, id_column: str) -> pl.DataFrame:
    """Every event of a (golden, purpose) whose events disagree, with the reason."""
    flags = (
        events.group_by(KEY, "purpose")
        .agg(
            (pl.col("status") == "granted").any().alias("__granted"),
            (pl.col("status") == "withdrawn").any().alias("__withdrawn"),
        )
        .join(
            opposed.with_columns(pl.lit(True).alias("__opposed")),
            on=[KEY, "purpose"],
            how="left",
        )
        .with_columns(pl.col("__opposed").fill_null(False))
    )
    reason = (
        pl.when(pl.col("__opposed") & pl.col("__granted"))
        .then(pl.lit("opposition_overrides_grant"))
        .when(pl.col("__granted") & pl.col("__withdrawn"))
        .then(pl.lit("grant_and_withdrawal"))
    )
    flagged = flags.select(KEY, "purpose", reason.alias("reason")).filter(
        pl.col("reason").is_not_null()
    )
    return (
        events.join(flagged, on=[KEY, "purpose"], how="inner")
        .sort([KEY, "purpose", "recorded_at", _EVENT], nulls_last=True)
        .select(
            KEY,
            "purpose",
            id_column,
            "contact_point",
            "status",
            "recorded_at",
            "source",
            "proof",
            "reason",
        )
    )
