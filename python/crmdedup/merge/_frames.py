"""Input checks shared by merge, consent and data-subject functions.

Tables arrive as polars, pyarrow, pandas or any Arrow C stream; they are turned into polars frames
once, and every check names the offending column and an example value so a caller can fix the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from crmdedup._arrow import to_polars
from crmdedup.errors import SchemaError

__all__ = [
    "MEMBER_CLUSTER",
    "MEMBER_ROW",
    "as_naive_datetime",
    "cast_ids",
    "check_ids",
    "id_values",
    "members_of",
    "require_columns",
    "to_frame",
]

MEMBER_CLUSTER = "cluster_id"
MEMBER_ROW = "__crmdedup_row"


def to_frame(data: Any, *, name: str) -> pl.DataFrame:
    """Return ``data`` as a polars DataFrame without copying when it already is one.

    Parameters
    ----------
    data
        A polars DataFrame or LazyFrame, a pyarrow Table, a pandas DataFrame or any object
        exposing ``__arrow_c_stream__``.
    name
        Argument name used in the error message.

    Returns
    -------
    pl.DataFrame
        The same rows and columns.

    Raises
    ------
    SchemaError
        If ``data`` cannot be read as a table.
    """
    if isinstance(data, pl.DataFrame):
        return data
    return to_polars(data, name=name)


def require_columns(frame: pl.DataFrame, columns: Iterable[str], *, table: str) -> None:
    """Raise :class:`SchemaError` naming the first column of ``columns`` missing from ``frame``."""
    for column in columns:
        if column not in frame.columns:
            available = ", ".join(f"`{c}`" for c in frame.columns) or "none"
            raise SchemaError(
                f"column `{column}` is missing from `{table}` (available: {available})"
            )


def _example(frame: pl.DataFrame, mask: pl.Expr, column: str) -> tuple[int, Any]:
    """Return (row, value) of the first row of ``frame`` where ``mask`` holds."""
    hit = frame.with_row_index("__row").filter(mask).select("__row", column).row(0)
    return int(hit[0]), hit[1]


def check_ids(frame: pl.DataFrame, column: str, *, table: str) -> None:
    """Check that ``column`` of ``frame`` has no null and no duplicate value."""
    ids = frame.get_column(column)
    if ids.null_count():
        row, _ = _example(frame, pl.col(column).is_null(), column)
        raise SchemaError(f"null id in column `{column}` of `{table}` at row {row}")
    if ids.n_unique() != frame.height:
        row, value = _example(frame, pl.col(column).is_duplicated(), column)
        raise SchemaError(
            f"duplicate id {value!r} in column `{column}` of `{table}` (first at row {row})"
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
        row, value = _example(cast, bad, column)
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


def members_of(records: pl.DataFrame, clusters: pl.DataFrame, id_column: str) -> pl.DataFrame:
    """Return one row per record: the id, its ``cluster_id`` and its row number in ``records``.

    Every record must be in exactly one cluster; cluster rows for ids absent from ``records``
    are ignored, so a cluster frame built on a larger table can be reused.
    """
    require_columns(records, [id_column], table="records")
    require_columns(clusters, [id_column, MEMBER_CLUSTER], table="clusters")
    check_ids(records, id_column, table="records")
    dtype = records.schema[id_column]
    links = cast_ids(clusters.select(id_column, MEMBER_CLUSTER), id_column, dtype, table="clusters")
    links = cast_ids(links, MEMBER_CLUSTER, dtype, table="clusters").unique()
    if links.get_column(MEMBER_CLUSTER).null_count():
        row, value = _example(links, pl.col(MEMBER_CLUSTER).is_null(), id_column)
        raise SchemaError(
            f"null value in column `{MEMBER_CLUSTER}` of `clusters` for id {value!r} (row {row})"
        )
    if links.get_column(id_column).n_unique() != links.height:
        _, value = _example(links, pl.col(id_column).is_duplicated(), id_column)
        raise SchemaError(
            f"record {value!r} of column `{id_column}` is in two clusters in `clusters`; "
            "expected exactly one `cluster_id` per record"
        )
    members = (
        records.select(id_column)
        .with_row_index(MEMBER_ROW)
        .join(links, on=id_column, how="left", maintain_order="left")
    )
    orphan = pl.col(MEMBER_CLUSTER).is_null()
    if members.select(orphan.any()).item():
        row, value = _example(members, orphan, id_column)
        raise SchemaError(
            f"record {value!r} (row {row}) of column `{id_column}` is in no cluster of `clusters`"
            "\nhint: pass the clusters frame produced from these same records"
        )
    return members.select(id_column, MEMBER_CLUSTER, MEMBER_ROW)


_OFFSET_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z")
_HAS_OFFSET = r"T\d{2}:\d{2}.*[+-]\d{2}:?\d{2}$"


def _parse_times(column: str) -> pl.Expr:
    """Text timestamps as naive UTC: ISO 8601 with an offset or ``Z`` converted, others as is."""
    text = pl.col(column).str.strip_chars()
    iso = (
        text.str.replace(r"^(\d{4}-\d{2}-\d{2})[ tT](\d)", "${1}T${2}")
        .str.replace(r"[Zz]$", "+00:00")
        .str.replace(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*([+-]\d{2})$", "${1}${2}:00")
    )
    with_offset = iso.str.contains(_HAS_OFFSET)
    aware = [
        pl.when(with_offset)
        .then(iso)
        .str.to_datetime(f, strict=False, time_unit="us")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
        for f in _OFFSET_FORMATS
    ]
    # Without an offset the format is inferred (ISO dates and times, and the usual variants).
    naive = pl.when(~with_offset).then(text).str.to_datetime(strict=False, time_unit="us")
    return pl.coalesce(*aware, naive)


def as_naive_datetime(frame: pl.DataFrame, column: str, *, table: str) -> pl.DataFrame:
    """Return ``frame`` with ``column`` as a naive UTC ``Datetime("us")``.

    Time-zone aware datetimes, and ISO 8601 text with an offset (``+01:00``, ``+0100``,
    ``+01``) or ``Z``, are converted to UTC; naive datetimes and text without an offset are
    taken as UTC already; dates become midnight. A value that cannot be read is reported with
    its row.
    """
    dtype = frame.schema[column]
    target = pl.Datetime("us")
    if isinstance(dtype, pl.Datetime):
        expr = pl.col(column)
        if dtype.time_zone is not None:
            expr = expr.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return frame.with_columns(expr.cast(target))
    if dtype in (pl.Date, pl.Null):
        return frame.with_columns(pl.col(column).cast(target))
    if dtype == pl.String:
        cast = frame.with_columns(_parse_times(column).alias("__parsed"))
        bad = pl.col("__parsed").is_null() & pl.col(column).is_not_null()
        if cast.select(bad.any()).item():
            row, value = _example(cast, bad, column)
            raise SchemaError(
                f"column `{column}` of `{table}` holds {value!r} at row {row}, "
                "expected a date or datetime (ISO 8601, e.g. 2024-05-01T10:00:00+02:00)"
            )
        return cast.with_columns(pl.col("__parsed").cast(target).alias(column)).drop("__parsed")
    raise SchemaError(
        f"column `{column}` of `{table}` has type {dtype}, expected a date or datetime"
    )
