"""The merge policy: how purposes map to channels and how each field's surviving value is chosen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import polars as pl

from crmdedup import _core
from crmdedup.errors import ConfigError

__all__ = [
    "Channel",
    "MergePolicy",
    "SurvivorshipRule",
    "TieBreak",
    "WithdrawalScope",
    "check_region",
]

Channel = Literal["email", "phone", "postal", "other"]
SurvivorshipRule = Literal[
    "most_recent", "most_frequent", "longest", "source_priority", "first_non_null"
]
TieBreak = Literal["smallest_id", "first_row"]
WithdrawalScope = Literal["cluster", "contact_point"]


def check_region(code: object, name: str) -> None:
    """Raise :class:`ConfigError` unless ``code`` is a region the engine reads phones in."""
    known = isinstance(code, str) and len(code) == 2 and code.isascii() and code.isupper()
    if known:
        try:
            _core.canonical_contact_points(
                pl.Series([], dtype=pl.String), "phone", default_region=str(code)
            )
        except ConfigError:
            known = False
    if not known:
        raise ConfigError(
            f"`{name}` must be an upper-case ISO 3166 alpha-2 region code known to the phone "
            f'metadata, got {code!r}\nhint: for example "FR", "BE" or "GB"'
        )


def _default_purpose_channels() -> dict[str, Channel]:
    return {
        "email_marketing": "email",
        "email_newsletter": "email",
        "sms_marketing": "phone",
        "phone_canvassing": "phone",
        "phone_marketing": "phone",
        "postal": "postal",
        "postal_marketing": "postal",
    }


def _default_channel_columns() -> dict[Channel, str]:
    return {"email": "email", "phone": "phone", "postal": "address"}


@dataclass(frozen=True)
class MergePolicy:
    """How :func:`crmdedup.merge` builds golden records and resolves consent.

    Parameters
    ----------
    purpose_channels
        Purpose → channel. A consent event without a ``contact_point`` covers the record's
        contact point on its purpose's channel. Purposes not listed (e.g. ``profiling``) have
        channel ``"other"``: they are decided per person, with a null contact point.
    channel_columns
        Channel → column of the records holding that contact point. Missing columns are skipped.
    field_rules
        Field → survivorship rule; fields not listed use ``default_rule``.
    default_rule
        ``"most_recent"`` (by ``timestamp_column``; without that column, every record ties),
        ``"most_frequent"``, ``"longest"`` (text length), ``"source_priority"`` (by
        ``source_column`` following ``source_priority``) or ``"first_non_null"`` (input order).
        Only valid values compete: not null, not NaN and, for text, not blank.
    timestamp_column
        Column of the records giving their last update, used by ``"most_recent"``.
    source_column, source_priority
        Column naming each record's source system, and those systems from most to least
        trusted; unlisted sources rank last.
    tie_break
        Ties left by a rule go to the record with the ``"smallest_id"`` (order independent) or
        to the ``"first_row"`` of the input.
    withdrawal_scope
        ``"cluster"`` (default, rule 2): a withdrawal for a purpose on any contact point
        withdraws every earlier grant for that purpose in the cluster. ``"contact_point"``:
        a withdrawal affects only its own contact point.
    reenable_requires_proof
        A grant recorded after a withdrawal re-enables its contact point only if it carries a
        non-blank ``proof`` (default ``True``).
    default_region
        ISO 3166 alpha-2 region (upper case, default ``"FR"``) in which phone numbers written
        without country code are read, in records, consent events and opposition lists alike
        (use the ``default_region`` of the settings the clusters were found with).
    region_column
        Optional column of the records giving each record's region (``fr``, ``BE``, ``UK``),
        like ``Settings.region_column``: the record's phones and the contact points of its
        consent events are read there; an opposition list may carry its own ``region``
        column. Rows without a readable code use ``default_region``.

    Examples
    --------
    >>> policy = MergePolicy(field_rules={"first_name": "longest"}, timestamp_column="seen_at")
    >>> policy.rule_for("first_name"), policy.rule_for("email")
    ('longest', 'most_recent')
    >>> policy.channel_of("sms_marketing"), policy.channel_of("profiling")
    ('phone', 'other')
    """

    purpose_channels: Mapping[str, Channel] = field(default_factory=_default_purpose_channels)
    channel_columns: Mapping[Channel, str] = field(default_factory=_default_channel_columns)
    field_rules: Mapping[str, SurvivorshipRule] = field(default_factory=dict)
    default_rule: SurvivorshipRule = "most_recent"
    timestamp_column: str = "updated_at"
    source_column: str = "source"
    source_priority: Sequence[str] = ()
    tie_break: TieBreak = "smallest_id"
    withdrawal_scope: WithdrawalScope = "cluster"
    reenable_requires_proof: bool = True
    default_region: str = "FR"
    region_column: str | None = None

    def __post_init__(self) -> None:
        rules = set(get_args(SurvivorshipRule))
        for name, rule in {**self.field_rules, "default_rule": self.default_rule}.items():
            if rule not in rules:
                raise ConfigError(
                    f"unknown survivorship rule {rule!r} for `{name}`; "
                    f"expected one of {sorted(rules)}"
                )
        channels = set(get_args(Channel))
        for purpose, channel in self.purpose_channels.items():
            if channel not in channels:
                raise ConfigError(
                    f"unknown channel {channel!r} for purpose `{purpose}`; "
                    f"expected one of {sorted(channels)}"
                )
        for channel in self.channel_columns:
            if channel not in channels:
                raise ConfigError(f"unknown channel `{channel}` in `channel_columns`")
        if self.tie_break not in get_args(TieBreak):
            raise ConfigError(f"unknown `tie_break` {self.tie_break!r}")
        if self.withdrawal_scope not in get_args(WithdrawalScope):
            raise ConfigError(f"unknown `withdrawal_scope` {self.withdrawal_scope!r}")
        check_region(self.default_region, "default_region")
        if self.region_column is not None and not isinstance(self.region_column, str):
            raise ConfigError(f"`region_column` must be a column name, got {self.region_column!r}")
        if isinstance(self.source_priority, str):
            raise ConfigError("`source_priority` must be a sequence of source names, not a string")

    def rule_for(self, field_name: str) -> SurvivorshipRule:
        """Return the survivorship rule applied to ``field_name``."""
        return self.field_rules.get(field_name, self.default_rule)

    def channel_of(self, purpose: str) -> Channel:
        """Return the channel of ``purpose`` (``"other"`` when the purpose is not mapped)."""
        return self.purpose_channels.get(purpose, "other")
