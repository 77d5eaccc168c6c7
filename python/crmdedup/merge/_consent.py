"""Consent events: contact point canonicalisation and conversion from wide CRM columns.

Consent is given per purpose and per contact point, so contact points are compared in one
canonical form: trimmed lower-case email, E.164 phone (default region France).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import polars as pl

from crmdedup.errors import ConfigError, SchemaError
from crmdedup.merge._frames import as_naive_datetime, check_ids, require_columns, to_frame
from crmdedup.merge._policy import Channel

__all__ = ["canonical_contact_point", "canonical_contact_point_expr", "consents_from_columns"]

_TRUE = ("true", "yes", "y", "1", "granted", "opt_in", "optin", "oui")
_FALSE = ("false", "no", "n", "0", "withdrawn", "opt_out", "optout", "non")


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.len_bytes() > 0).then(expr)


def _canonical_phone(expr: pl.Expr) -> pl.Expr:
    text = expr.str.strip_chars()
    digits = text.str.replace_all(r"\D", "")
    international = (
        pl.when(text.str.starts_with("+"))
        .then(digits)
        .when(digits.str.starts_with("00"))
        .then(digits.str.slice(2))
    )
    national_fr = pl.when(digits.str.contains(r"^0\d{9}$")).then(pl.lit("33") + digits.str.slice(1))
    # "+33 (0)6 …" carries the French trunk zero after the country code.
    e164 = pl.lit("+") + international.str.replace(r"^330(\d{9})$", "33${1}")
    return _blank_to_null(pl.coalesce(e164, pl.lit("+") + national_fr, digits))


def canonical_contact_point_expr(expr: pl.Expr, channel: Channel) -> pl.Expr:
    """Return an expression canonicalising the contact points in ``expr`` for ``channel``.

    See :func:`canonical_contact_point` for the rules.
    """
    text = expr.cast(pl.String)
    if channel == "email":
        return _blank_to_null(text.str.strip_chars().str.to_lowercase())
    if channel == "phone":
        return _canonical_phone(text)
    if channel == "postal":
        collapsed = text.str.strip_chars().str.replace_all(r"\s+", " ")
        return _blank_to_null(collapsed.str.to_lowercase())
    return _blank_to_null(text.str.strip_chars())


def canonical_contact_point(
    values: pl.Series, channel: Literal["email", "phone", "postal", "other"]
) -> pl.Series:
    """Canonicalise contact points so that equal addresses compare equal.

    Parameters
    ----------
    values
        Contact points as text.
    channel
        ``"email"``: trimmed and lower-cased. ``"phone"``: E.164, keeping digits and a leading
        ``+``; ``00`` becomes ``+`` and a French national number ``0XXXXXXXXX`` becomes
        ``+33XXXXXXXXX``; other numbers without a country code are kept as bare digits.
        ``"postal"``: trimmed, inner whitespace collapsed, lower-cased. ``"other"``: trimmed.
        Blank values become null.

    Returns
    -------
    pl.Series
        Canonical text, same length and name as ``values``.

    Examples
    --------
    >>> canonical_contact_point(pl.Series([" A@X.fr ", ""]), "email").to_list()
    ['a@x.fr', None]
    >>> phones = pl.Series(["06 12 34 56 78", "0033 6 12 34 56 78", "+33 (0)6 12-34-56-78"])
    >>> canonical_contact_point(phones, "phone").to_list()
    ['+33612345678', '+33612345678', '+33612345678']
    """
    if not isinstance(values, pl.Series):
        raise SchemaError(f"`values` must be a polars Series of text, got {type(values).__name__}")
    frame = pl.DataFrame({"v": values})
    out = frame.select(canonical_contact_point_expr(pl.col("v"), channel)).to_series()
    return out.alias(values.name)


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
