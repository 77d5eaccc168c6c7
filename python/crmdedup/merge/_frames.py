"""Input checks shared by merge, consent and data-subject functions.

Tables arrive as polars, pyarrow, pandas or any Arrow C stream; they are turned into polars frames
once (:func:`crmdedup._arrow.to_polars`), ids are checked by :mod:`crmdedup._ids`, and every check
names the offending column, an example value and its row (from 1) so a caller can fix the data.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

# The one converter and the one id validator; re-exported for the merge modules.
from crmdedup._arrow import to_polars as to_frame
from crmdedup._ids import cast_ids, check_ids, first_row, id_values
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


def require_columns(frame: pl.DataFrame, columns: Iterable[str], *, table: str) -> None:
    """Raise :class:`SchemaError` naming the first column of ``columns`` missing from ``frame``."""
    for column in columns:
        if column not in frame.columns:
            available = ", ".join(f"`{c}`" for c in frame.columns) or "none"
            raise SchemaError(
                f"column `{column}` is missing from `{table}` (available: {available})"
            )


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
        row, value = first_row(links, pl.col(MEMBER_CLUSTER).is_null(), id_column)
        raise SchemaError(
            f"null value in column `{MEMBER_CLUSTER}` of `clusters` for id {value!r} (row {row})"
        )
    if links.get_column(id_column).n_unique() != links.height:
        _, value = first_row(links, pl.col(id_column).is_duplicated(), id_column)
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
        row, value = first_row(members, orphan, id_column)
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
            row, value = first_row(cast, bad, column)
            raise SchemaError(
                f"column `{column}` of `{table}` holds {value!r} at row {row}, "
                "expected a date or datetime (ISO 8601, e.g. 2024-05-01T10:00:00+02:00)"
            )
        return cast.with_columns(pl.col("__parsed").cast(target).alias(column)).drop("__parsed")
    raise SchemaError(
        f"column `{column}` of `{table}` has type {dtype}, expected a date or datetime"
    )
