"""Consent-preserving merge of duplicate contacts into golden records.

A merge never invents consent, never loses a withdrawal, keeps every proof and can be undone:
see :func:`merge` for the rules. The pieces live in private modules: ``_policy`` (the
:class:`MergePolicy`), ``_frames`` (input checks), ``_survivorship`` (which value wins),
``_consent``, ``_consent_inputs`` and ``_consent_rules`` (consent events, made comparable,
and how they combine), ``_merge`` (the
whole merge).
"""

from crmdedup.merge._consent import canonical_contact_point, consents_from_columns
from crmdedup.merge._merge import MergeResult, merge
from crmdedup.merge._policy import Channel, MergePolicy, SurvivorshipRule

__all__ = [
    "Channel",
    "MergePolicy",
    "MergeResult",
    "SurvivorshipRule",
    "canonical_contact_point",
    "consents_from_columns",
    "merge",
]
