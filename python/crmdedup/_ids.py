"""The one place record ids are checked: nulls, blanks, duplicates and types.

Every message names the table and the column, shows the offending value, and counts rows from 1
(the first data row is row 1, as a user counts; a CSV header is not a row), so the API, merge,
data-subject rights and the command line all point at the same row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from crmdedup.errors import SchemaError

__all__ = ["cast_ids", "check_ids", "first_row", "id_values"]

_ROW = "__crmdedup_id_row"


def first_row(frame: pl.DataFrame, mask: pl.Expr, column: str) -> tuple[int, Any]:
    """Row number (from 1) and value of ``column`` of the first row of ``frame`` where ``mask``."""
    hit = frame.with_row_index(_ROW, offset=1).filter(mask).select(_ROW, column).row(0)
    return int(hit[0]), hit[1]


def _hint(why: str, fix: str | None) -> str:
    return f"\nhint: {why}; {fix}" if fix else ""


def check_ids(
    frame: pl.DataFrame,
    column: str,
    *,
    table: str,
    blank: bool = False,
    fix: str | None = None,
) -> None:
    """Check that ``column`` of ``frame`` holds usable record ids.

    Parameters
    ----------
    frame
        The records.
    column
        The id column (present in ``frame``).
    table
        How the table is named in messages (an argument name or a file).
    blank
        Also refuse ids made only of spaces, calling both kinds "empty" (as in a file).
    fix
        What the user can do, appended to the ``hint:`` line (e.g. a command-line option).

    Raises
    ------
    SchemaError
        When an id is null (or blank), two rows share one, or the column is neither text nor
        integers; the message names the column, the value and the rows, counted from 1.

    Examples
    --------
    >>> check_ids(pl.DataFrame({"id": ["a", "b", "a"]}), "id", table="records")
    Traceback (most recent call last):
    ...
    crmdedup.errors.SchemaError: duplicate id 'a' in column `id` of `records` at rows 1 and 3
    """
    dtype = frame.schema[column]
    if not (dtype == pl.String or dtype.is_integer() or dtype == pl.Null):
        raise SchemaError(
            f"column `{column}` of `{table}` has type {dtype}, expected string or integer ids"
        )
    empty = pl.col(column).is_null()
    if blank and dtype == pl.String:
        empty = empty | (pl.col(column).str.strip_chars() == "")
    if frame.select(empty.any()).item():
        row, _ = first_row(frame, empty, column)
        # In a file, a missing id and one of spaces look alike: both are empty fields.
        kind = "empty" if blank else "null"
        raise SchemaError(
            f"{kind} id in column `{column}` of `{table}` at row {row}"
            + _hint("every record needs an id", fix)
        )
    if frame.get_column(column).n_unique() != frame.height:
        dup = frame.select(column).with_row_index(_ROW, offset=1)
        dup = dup.filter(pl.col(column).is_duplicated())
        value = dup.get_column(column)[0]
        rows = dup.filter(pl.col(column) == value).get_column(_ROW).head(2).to_list()
        raise SchemaError(
            f"duplicate id {value!r} in column `{column}` of `{table}` at rows "
            f"{rows[0]} and {rows[1]}" + _hint("ids must be unique", fix)
        )


def cast_ids(frame: pl.DataFrame, column: str, dtype: pl.DataType, *, table: str) -> pl.DataFrame:
    """Cast ``column`` to the records' id ``dtype``, naming the column when a value does not fit."""
    if frame.schema[column] == dtype:
        return frame
    found = frame.schema[column]
    if found.is_nested() or found == pl.Object:
        raise SchemaError(
            f"column `{column}` of `{table}` has type {found}, expected ids of type {dtype}"
        )
    cast = frame.with_columns(pl.col(column).cast(dtype, strict=False).alias("__cast"))
    bad = pl.col("__cast").is_null() & pl.col(column).is_not_null()
    if cast.select(bad.any()).item():
        row, value = first_row(cast, bad, column)
        raise SchemaError(
            f"column `{column}` of `{table}` holds {value!r} at row {row}, which is not a valid "
            f"id of type {dtype}\nhint: use the same id type as the records"
        )
    return cast.drop(column).rename({"__cast": column}).select(frame.columns)


def id_values(values: Iterable[Any], column: str, dtype: pl.DataType, *, table: str) -> pl.Series:
    """Ids given by the caller as a series of the records' id ``dtype``, naming a bad one."""
    items = list(values)
    try:
        series = pl.Series(column, items)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        shown = next((v for v in items if not isinstance(v, str | int | float)), items[:3])
        raise SchemaError(
            f"`{table}`: {shown!r} is not an id of column `{column}` ({dtype}); "
            "expected plain values of one type"
        ) from None
    if series.dtype.is_nested() or series.dtype == pl.Object:
        raise SchemaError(
            f"`{table}`: {items[0]!r} is not an id of column `{column}` ({dtype}); "
            "expected plain values of one type"
        )
    return cast_ids(pl.DataFrame([series]), column, dtype, table=table).get_column(column)
