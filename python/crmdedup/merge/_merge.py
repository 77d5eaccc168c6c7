"""The merge itself: golden records, members, consent ledger and the merge report.

A merge never invents consent, never loses a withdrawal, keeps every proof and can be undone:
see :func:`merge` for the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from crmdedup.errors import ConfigError, CrmdedupError, SchemaError
from crmdedup.merge._consent_inputs import (
    KEY,
    normalise_events,
    normalise_oppositions,
    record_points,
    with_golden,
)
from crmdedup.merge._consent_rules import resolve_consent
from crmdedup.merge._frames import MEMBER_CLUSTER, MEMBER_ROW, members_of, to_frame
from crmdedup.merge._policy import MergePolicy
from crmdedup.merge._survivorship import CLUSTER, GOLDEN, golden_ids, survivors

__all__ = ["MergeResult", "merge"]

_RESERVED = (GOLDEN, "n_records")


@dataclass(frozen=True)
class MergeResult:
    """Outcome of :func:`merge`.

    Attributes
    ----------
    golden
        One row per cluster: ``golden_id``, the surviving value of every field of the records
        (all columns but the id) and ``n_records``.
    lineage
        One row per source record, in input order: the id column, ``golden_id``, ``cluster_id``.
    provenance
        One row per non-null golden value: ``golden_id``, ``field``, ``value`` (as text), the id
        column (the record the value came from) and ``rule``.
    consent
        One row per (``golden_id``, ``purpose``, ``contact_point``): ``channel``, ``status``
        (``granted``, ``withdrawn``, ``opposed`` or ``no_consent``), ``decided_at``, the id
        column of the deciding record, ``source``, ``proof``, ``opposition_list`` and
        ``opposed_contact_point``. A purpose with no contact point in a cluster gets one row
        with a null ``contact_point``.
    conflicts
        Every consent event of a (``golden_id``, ``purpose``) whose events disagree (grants and
        withdrawals, or a grant overridden by an opposition), with ``reason``.
    consent_events
        All consent events as checked: ``golden_id``, the id column, ``purpose``, ``channel``,
        canonical ``contact_point``, ``status``, ``recorded_at``, ``source``, ``proof``.
    """

    golden: pl.DataFrame
    lineage: pl.DataFrame
    provenance: pl.DataFrame
    consent: pl.DataFrame
    conflicts: pl.DataFrame
    consent_events: pl.DataFrame
    id_column: str
    _records: pl.DataFrame = field(repr=False)

    def unmerge(self, golden_id: str) -> pl.DataFrame:
        """Return the member records of ``golden_id`` exactly as given to :func:`merge`.

        Parameters
        ----------
        golden_id
            A value of ``golden["golden_id"]``.

        Returns
        -------
        pl.DataFrame
            The original rows, columns and types, in input order.

        Raises
        ------
        CrmdedupError
            If ``golden_id`` is not a golden record of this merge.
        """
        rows = self.lineage.with_row_index("__row").filter(pl.col(GOLDEN) == golden_id)
        if rows.height == 0:
            raise CrmdedupError(f"unknown `golden_id` {golden_id!r}")
        return self._records[rows.get_column("__row").to_list()]


def _empty_events(dtype: pl.DataType) -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "record_id": dtype,
            "purpose": pl.String,
            "status": pl.String,
            "recorded_at": pl.Datetime("us"),
        }
    )


def merge(
    records: Any,
    clusters: Any,
    *,
    id_column: str,
    consents: Any = None,
    oppositions: Any = None,
    policy: MergePolicy | None = None,
) -> MergeResult:
    """Merge each cluster of duplicate records into one golden record, keeping consent lawful.

    Consent rules (``policy`` offers the alternatives):

    1. No invention: (purpose P, contact point C) is ``granted`` only if a ``granted`` event for
       P covering C exists in the cluster; consent never moves to another address or channel.
    2. Withdrawals win: a ``withdrawn`` event for P on any contact point of the cluster
       overrides every grant for P recorded at or before it; only a later grant with a proof
       re-enables P, for its own contact point. An undated withdrawal counts as the latest
       event, an undated grant as the earliest.
    3. Oppositions win: a contact point of the cluster on an opposition list for P makes P
       ``opposed`` on every contact point of the cluster, citing the list.
    4. Proof is kept: ``consent`` holds the deciding event's record, source, proof and time;
       the other events stay in ``conflicts`` and ``consent_events``.

    Parameters
    ----------
    records
        The contacts (polars, pyarrow, pandas or any Arrow C stream).
    clusters
        The id column and ``cluster_id``, as produced by :func:`crmdedup.dedupe`. Every record
        must be in exactly one cluster; rows for other ids are ignored.
    id_column
        Column holding the record ids (unique, not null).
    consents
        Consent events: ``record_id``, ``purpose``, ``status`` (``granted`` or ``withdrawn``),
        ``recorded_at``, and optional ``source``, ``proof``, ``contact_point``. An event
        without ``contact_point`` covers the record's contact point on the purpose's channel.
    oppositions
        Opposition lists: ``contact_point``, ``purpose``, ``listed_at``, ``list_name``.
    policy
        Channels and survivorship; :class:`MergePolicy` defaults when ``None``.

    Returns
    -------
    MergeResult
        ``golden``, ``lineage``, ``provenance``, ``consent``, ``conflicts`` and ``unmerge``.

    Raises
    ------
    SchemaError
        If a column is missing, an id is null or duplicated, a record is in no cluster or in
        two, or a consent event has an unknown status, record or unreadable time.

    Examples
    --------
    >>> import datetime as dt
    >>> people = pl.DataFrame({"id": [1, 2], "email": ["a@x.fr", "B@y.fr "]})
    >>> clusters = pl.DataFrame({"id": [1, 2], "cluster_id": [1, 1]})
    >>> events = pl.DataFrame({
    ...     "record_id": [1, 2],
    ...     "purpose": ["email_marketing", "email_marketing"],
    ...     "status": ["granted", "withdrawn"],
    ...     "recorded_at": [dt.datetime(2021, 3, 1), dt.datetime(2023, 6, 1)],
    ...     "source": ["web", "unsubscribe_link"],
    ...     "proof": ["form-2021-03", "mail-2023-06"],
    ... })
    >>> result = merge(people, clusters, id_column="id", consents=events)
    >>> result.consent.select("contact_point", "status", "proof").rows()
    [('a@x.fr', 'withdrawn', 'mail-2023-06'), ('b@y.fr', 'withdrawn', 'mail-2023-06')]
    >>> result.unmerge(result.golden["golden_id"][0]).equals(people)
    True
    """
    policy = MergePolicy() if policy is None else policy
    if not isinstance(policy, MergePolicy):
        raise ConfigError(f"`policy`: expected a MergePolicy or None, got {policy!r}")
    frame = to_frame(records, name="records")
    links = to_frame(clusters, name="clusters")
    if id_column in (*_RESERVED, MEMBER_CLUSTER):
        raise SchemaError(f"id column `{id_column}` clashes with an output column; rename it")
    for name in _RESERVED:
        if name in frame.columns:
            raise SchemaError(
                f"column `{name}` of `records` clashes with an output column of `golden`"
                "\nhint: rename or drop it before merging"
            )
    members = members_of(frame, links, id_column).rename({MEMBER_CLUSTER: CLUSTER})
    ids = golden_ids(members, id_column).sort(GOLDEN).with_row_index(KEY)
    lineage = members.join(
        ids.select(CLUSTER, GOLDEN, KEY), on=CLUSTER, how="left", maintain_order="left"
    )
    work = frame.with_columns(lineage.get_column(CLUSTER), lineage.get_column(MEMBER_ROW))
    fields = [c for c in frame.columns if c != id_column]
    values, provenance = survivors(work, fields, id_column, policy)
    golden = (
        ids.join(values, on=CLUSTER, how="left").select(GOLDEN, *fields, "n_records").sort(GOLDEN)
    )
    by_cluster = ids.select(CLUSTER, GOLDEN)
    provenance = provenance.join(by_cluster, on=CLUSTER, how="left").select(
        GOLDEN, "field", "value", id_column, "rule"
    )
    lineage_out = lineage.select(id_column, GOLDEN, pl.col(CLUSTER).alias(MEMBER_CLUSTER))
    keys = lineage.select(id_column, KEY)
    points = record_points(frame, keys, id_column, policy)
    raw_events = _empty_events(frame.schema[id_column]) if consents is None else consents
    events = normalise_events(raw_events, frame, keys, points, id_column, policy)
    opposition_lists = None if oppositions is None else normalise_oppositions(oppositions, policy)
    goldens = ids.get_column(GOLDEN)
    consent, conflicts = resolve_consent(
        events, points, opposition_lists, goldens, id_column, policy
    )
    return MergeResult(
        golden=golden,
        lineage=lineage_out,
        provenance=provenance,
        consent=consent,
        conflicts=conflicts,
        consent_events=with_golden(events.drop("__event"), goldens),
        id_column=id_column,
        _records=frame,
    )
