"""Consent events: contact point canonicalisation and conversion from wide CRM columns.

The implementation lives in :mod:`crmdedup.merge`; this module keeps the public names where
users import them.
"""

from crmdedup.merge._consent import (
    canonical_contact_point,
    canonical_contact_point_expr,
    consents_from_columns,
)

__all__ = ["canonical_contact_point", "canonical_contact_point_expr", "consents_from_columns"]
