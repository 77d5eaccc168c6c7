"""Turning whatever table the caller has into something that crosses into Rust as Arrow."""

from __future__ import annotations

from typing import Any, Protocol

import polars as pl

from crmdedup.errors import SchemaError

__all__ = ["ArrowStreamExportable", "TableLike", "to_arrow", "to_engine", "to_polars"]


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
    module = type(data).__module__
    if module.startswith("pandas") and type(data).__name__ == "DataFrame":
        return _from_pandas(data, name)
    if hasattr(data, "__arrow_c_stream__"):
        return data
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
    try:
        return pl.DataFrame(arrow)
    except pl.exceptions.DuplicateError as e:
        raise SchemaError(f"`{name}` has two columns of one name: {e}") from None


def _from_pandas(data: Any, name: str) -> pl.DataFrame:
    """A pandas frame as polars, naming the column that cannot be converted."""
    columns = [str(c) for c in data.columns]
    seen: set[str] = set()
    for c in columns:
        if c in seen:
            raise SchemaError(f"`{name}` has two columns named `{c}`\nhint: rename one of them")
        seen.add(c)
    try:
        return pl.from_pandas(data.set_axis(columns, axis=1))
    except Exception:  # pyarrow and polars raise several types for unconvertible columns
        pass
    for i, c in enumerate(columns):
        try:
            pl.from_pandas(data.iloc[:, [i]].set_axis([c], axis=1))
        except Exception as e:  # same as above, one column at a time to name it
            kinds = sorted({type(v).__name__ for v in data.iloc[:, i].dropna()})
            raise SchemaError(
                f"column `{c}` of `{name}` mixes value types ({', '.join(kinds)}) and cannot be "
                f"read as one type: {str(e).splitlines()[0] if str(e) else type(e).__name__}\n"
                "hint: convert it to one type first, e.g. `df[col].astype(str)`"
            ) from None
    return pl.from_pandas(data.set_axis(columns, axis=1))


def to_engine(data: TableLike, *, name: str = "data") -> pl.DataFrame:
    """``data`` as the engine reads it: all-null (``Null``) columns typed as text.

    Raises
    ------
    SchemaError
        When ``data`` is not a table or a column holds Python objects.
    """
    frame = to_polars(data, name=name)
    objects = [c for c, t in frame.schema.items() if t == pl.Object]
    if objects:
        raise SchemaError(
            f"column `{objects[0]}` of `{name}` holds Python objects, expected strings, numbers, "
            "booleans or dates"
        )
    nulls = [c for c, t in frame.schema.items() if t == pl.Null]
    return frame.with_columns(pl.col(nulls).cast(pl.String)) if nulls else frame
