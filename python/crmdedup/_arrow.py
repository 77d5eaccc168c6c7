"""Turning whatever table the caller has into something that crosses into Rust as Arrow."""

from __future__ import annotations

from typing import Any, Protocol

import polars as pl

from crmdedup.errors import SchemaError

__all__ = ["ArrowStreamExportable", "TableLike", "to_arrow", "to_polars"]


class ArrowStreamExportable(Protocol):
    """Any object implementing the Arrow PyCapsule stream interface."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...


TableLike = pl.DataFrame | pl.LazyFrame | ArrowStreamExportable | Any
"""A polars DataFrame or LazyFrame, a pyarrow Table, a pandas DataFrame, or any object with
``__arrow_c_stream__``."""


def to_arrow(data: TableLike, *, name: str = "data") -> ArrowStreamExportable:
    """Return an object exposing ``__arrow_c_stream__`` for ``data``, without copying if possible.

    Raises
    ------
    SchemaError
        When ``data`` is not a table.
    """
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    if hasattr(data, "__arrow_c_stream__"):
        return data
    module = type(data).__module__
    if module.startswith("pandas") and type(data).__name__ == "DataFrame":
        return pl.from_pandas(data)
    if isinstance(data, dict):
        try:
            return pl.DataFrame(data)
        except Exception as e:  # polars raises several types for ragged or odd dicts
            raise SchemaError(f"`{name}`: cannot build a table from this dict: {e}") from None
    raise SchemaError(
        f"`{name}` must be a polars, pyarrow or pandas table, or expose __arrow_c_stream__; "
        f"got {type(data).__name__}"
    )


def to_polars(data: TableLike, *, name: str = "data") -> pl.DataFrame:
    """Return ``data`` as a polars DataFrame (zero-copy for Arrow producers)."""
    arrow = to_arrow(data, name=name)
    if isinstance(arrow, pl.DataFrame):
        return arrow
    # pl.from_arrow returns a Series for non-pyarrow capsule objects; the constructor does not.
    return pl.DataFrame(arrow)
