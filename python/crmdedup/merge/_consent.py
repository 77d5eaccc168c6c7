"""Consent events: contact point canonicalisation and conversion from wide CRM columns.

Consent is given per purpose and per contact point, so contact points are compared in one
canonical form, the one the matcher uses: the engine's normalisers, phones read in a region.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

import polars as pl

from crmdedup import _core
from crmdedup.errors import ConfigError, SchemaError
from crmdedup.merge._frames import as_naive_datetime, check_ids, require_columns, to_frame
from crmdedup.merge._policy import Channel, check_region

__all__ = ["canonical_contact_point", "canonical_contact_point_expr", "consents_from_columns"]

_TRUE = ("true", "yes", "y", "1", "granted", "opt_in", "optin", "oui")
_FALSE = ("false", "no", "n", "0", "withdrawn", "opt_out", "optout", "non")


def canonical_contact_point(
    values: pl.Series,
    channel: Channel,
    *,
    region: str = "FR",
    regions: pl.Series | None = None,
) -> pl.Series:
    """Canonicalise contact points so that equal addresses compare equal.

    The canonical form is the one deduplication compares (the ``<column>_norm`` column of
    :func:`crmdedup.normalize`), computed by the same engine code, so a merge sees every
    consent, withdrawal and opposition that matching would.

    Parameters
    ----------
    values
        Contact points as text.
    channel
        ``"email"``: the engine's canonical address: a display name (``Jean <j@x.fr>``), a
        ``mailto:`` prefix, spaces and case dropped, an international domain in punycode.
        Provider rules (Gmail dots, ``+tags``) are *not* applied: consent covers the address
        as the person gave it. ``"phone"``: E.164, a number without country code read in its
        region. ``"postal"``: the engine's address form (accents folded, lower case, street
        types expanded). ``"other"``: trimmed. Blank values become null; a value the engine
        finds nothing usable in (masked ``j***@x.fr``, a phone without digits) is kept as
        trimmed text, so it still matches the identical value and never a null.
    region
        ISO 3166 alpha-2 region (upper case) for phone numbers written without country code.
    regions
        Optional region code per value (``fr``, ``BE``, ``UK`` for GB), read like
        ``Settings.region_column``; null or unreadable codes fall back to ``region``.

    Returns
    -------
    pl.Series
        Canonical text, same length and name as ``values``.

    Raises
    ------
    SchemaError
        If ``values`` (or ``regions``) is not a Series of the same length.
    ConfigError
        If ``channel`` or ``region`` is unknown.

    Examples
    --------
    >>> canonical_contact_point(pl.Series([" A@X.fr ", ""]), "email").to_list()
    ['a@x.fr', None]
    >>> canonical_contact_point(pl.Series(["Jean Dupont <JEAN@x.fr>"]), "email").to_list()
    ['jean@x.fr']
    >>> phones = pl.Series(["06 12 34 56 78", "0033 6 12 34 56 78", "+33 (0)6 12-34-56-78"])
    >>> canonical_contact_point(phones, "phone").to_list()
    ['+33612345678', '+33612345678', '+33612345678']
    >>> canonical_contact_point(pl.Series(["0470 12 34 56"]), "phone", region="BE").to_list()
    ['+32470123456']
    """
    if not isinstance(values, pl.Series):
        raise SchemaError(f"`values` must be a polars Series of text, got {type(values).__name__}")
    if regions is not None and (
        not isinstance(regions, pl.Series) or regions.len() != values.len()
    ):
        raise SchemaError(
            f"`regions` must be a polars Series with one region code per value ({values.len()})"
        )
    if channel not in get_args(Channel):
        raise ConfigError(
            f"unknown `channel` {channel!r}; expected one of {sorted(get_args(Channel))}"
        )
    check_region(region, "region")
    text = values if values.dtype == pl.String else values.cast(pl.String)
    out = _core.canonical_contact_points(
        text,
        channel,
        default_region=region,
        regions=None if regions is None else regions.cast(pl.String),
    )
    return pl.Series(out).cast(pl.String).alias(values.name)


def canonical_contact_point_expr(expr: pl.Expr, channel: Channel, *, region: str = "FR") -> pl.Expr:
    """Return an expression canonicalising the contact points in ``expr`` for ``channel``.

    A thin wrapper of :func:`canonical_contact_point` (one region for every row).

    Examples
    --------
    >>> df = pl.DataFrame({"email": ["Jo <JO@x.fr>"]})
    >>> df.select(canonical_contact_point_expr(pl.col("email"), "email")).item()
    'jo@x.fr'
    """
    check_region(region, "region")
    return expr.map_batches(
        lambda s: canonical_contact_point(s, channel, region=region), return_dtype=pl.String
    )


def _flag_status(frame: pl.DataFrame, column: str, false_means: str) -> pl.Expr:
    """Map an opt-in flag column to ``granted``/``withdrawn``/null, rejecting unknown values."""
    dtype = frame.schema[column]
    if dtype == pl.Boolean:
        flag = pl.col(column)
    elif dtype.is_integer():
        flag = pl.col(column).cast(pl.Boolean)
    elif dtype == pl.String:
        text = pl.col(column).str.strip_chars().str.to_lowercase()
        known = text.is_in([*_TRUE, *_FALSE, ""]) | text.is_null()
        bad = frame.with_row_index("__row").filter(~known)
        if bad.height:
            row, value = bad.select("__row", column).row(0)
            raise SchemaError(
                f"column `{column}` holds {value!r} at row {row}, expected a yes/no opt-in flag "
                f"(one of {', '.join(_TRUE + _FALSE)})"
            )
        flag = pl.when(text.is_in(_TRUE)).then(True).when(text.is_in(_FALSE)).then(False)
    else:
        raise SchemaError(f"column `{column}` has type {dtype}, expected a boolean opt-in flag")
    withdrawn = pl.lit("withdrawn") if false_means == "withdrawn" else pl.lit(None, pl.String)
    return pl.when(flag).then(pl.lit("granted")).when(~flag).then(withdrawn)


def consents_from_columns(
    records: Any,
    *,
    id_column: str,
    purposes: Mapping[str, str],
    at_suffix: str = "_at",
    source_suffix: str = "_source",
    proof_suffix: str = "_proof",
    contact_points: Mapping[str, str] | None = None,
    false_means: Literal["withdrawn", "no_event"] = "withdrawn",
) -> pl.DataFrame:
    """Build the consent-event frame of :func:`crmdedup.merge` from wide opt-in columns.

    Parameters
    ----------
    records
        The contacts (any Arrow-compatible table).
    id_column
        Column holding the record ids.
    purposes
        Purpose → opt-in flag column, e.g. ``{"email_marketing": "email_optin"}``. The flag is
        a boolean, 0/1 or yes/no text; null means no event.
    at_suffix, source_suffix, proof_suffix
        The event time is read from ``<flag><at_suffix>`` (required; a date, a datetime or ISO
        8601 text, converted to naive UTC: values with an offset or ``Z`` are converted, naive
        ones taken as UTC); source and proof from ``<flag><source_suffix>`` and
        ``<flag><proof_suffix>`` when those columns exist.
    contact_points
        Purpose → column holding the contact point the flag covers. Without it the event has no
        ``contact_point`` and :func:`crmdedup.merge` takes it from the purpose's channel column.
    false_means
        ``"withdrawn"`` (default) turns a false flag into a withdrawal; ``"no_event"`` reads it
        as "never asked" and emits nothing.

    Returns
    -------
    pl.DataFrame
        Columns ``record_id``, ``purpose``, ``status``, ``recorded_at``, ``source``, ``proof``,
        ``contact_point``; one row per non-null flag.

    Raises
    ------
    SchemaError
        If a flag or timestamp column is missing or holds an unreadable value.

    Examples
    --------
    >>> import datetime as dt
    >>> crm = pl.DataFrame({
    ...     "id": [1, 2],
    ...     "email_optin": [True, None],
    ...     "email_optin_at": [dt.datetime(2021, 5, 1), None],
    ...     "email_optin_proof": ["form-17", None],
    ... })
    >>> events = consents_from_columns(crm, id_column="id",
    ...                                purposes={"email_marketing": "email_optin"})
    >>> events.select("record_id", "purpose", "status", "proof").rows()
    [(1, 'email_marketing', 'granted', 'form-17')]
    """
    if not isinstance(purposes, Mapping):
        raise ConfigError(
            f"`purposes`: expected a mapping of purpose to flag column, got {purposes!r}"
        )
    frame = to_frame(records, name="records")
    require_columns(frame, [id_column], table="records")
    check_ids(frame, id_column, table="records")
    contact_points = contact_points or {}
    parts: list[pl.DataFrame] = []
    for purpose, flag in purposes.items():
        at = f"{flag}{at_suffix}"
        require_columns(frame, [flag, at], table="records")
        timed = as_naive_datetime(frame, at, table="records")
        point = contact_points.get(purpose)
        if point is not None:
            require_columns(frame, [point], table="records")
        optional: dict[str, pl.Expr] = {}
        for target, column in (
            ("source", f"{flag}{source_suffix}"),
            ("proof", f"{flag}{proof_suffix}"),
            ("contact_point", point or ""),
        ):
            present = bool(column) and column in frame.columns
            optional[target] = (
                pl.col(column).cast(pl.String) if present else pl.lit(None, pl.String)
            )
        parts.append(
            timed.select(
                pl.col(id_column).alias("record_id"),
                pl.lit(purpose).alias("purpose"),
                _flag_status(frame, flag, false_means).alias("status"),
                pl.col(at).alias("recorded_at"),
                *(expr.alias(name) for name, expr in optional.items()),
            ).filter(pl.col("status").is_not_null())
        )
    if not parts:
        return pl.DataFrame(
            schema={
                "record_id": frame.schema[id_column],
                "purpose": pl.String,
                "status": pl.String,
                "recorded_at": pl.Datetime("us"),
                "source": pl.String,
                "proof": pl.String,
                "contact_point": pl.String,
            }
        )
    return pl.concat(parts)
