"""Reading a command's input: the settings to use and the id column, checked before any work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from crmdedup._ids import check_ids
from crmdedup.errors import ConfigError, SchemaError

__all__ = ["id_column", "id_value", "read_columns", "settings_for"]

_FIX = "fix the export or choose another --id-column"


def settings_for(frame: pl.DataFrame, config: Path | None, input_path: Path) -> Any:
    """The settings of ``config``, checked against the columns, or inferred from ``frame``."""
    import crmdedup

    if config is None:
        try:
            inferred = crmdedup.infer_settings(frame)
        except ConfigError as e:
            raise ConfigError(f"`{input_path}`: {e}") from None
        return inferred
    settings = crmdedup.Settings.from_toml(config)
    for c in settings.comparisons:
        if c.column not in frame.columns:
            raise SchemaError(
                f"settings file `{config}` names column `{c.column}`, which `{input_path}` "
                f"lacks (available: {', '.join(frame.columns)})\n"
                f"hint: fix `column` of comparison `{c.name}` or regenerate the file with "
                "`crmdedup init-config`"
            )
    return settings


def read_columns(settings: Any, available: list[str]) -> list[str]:
    """The columns a run with ``settings`` reads, in table order.

    Those are the id, the compared columns and the region column phone numbers are read in
    (when the table has it).
    """
    wanted = {settings.id_column, *(c.column for c in settings.comparisons)}
    if settings.region_column is not None:
        wanted.add(settings.region_column)
    return [c for c in available if c in wanted]


def id_column(frame: pl.DataFrame, given: str | None, settings: Any, input_path: Path) -> str:
    """The id column (``given``, else the settings'), present and holding usable ids."""
    column = given or (settings.id_column if settings is not None else None)
    available = ", ".join(f"`{c}`" for c in frame.columns)
    if column is None:
        raise SchemaError(
            f"no id column found in `{input_path}` (columns: {available})\n"
            "hint: name it with --id-column"
        )
    if column not in frame.columns:
        raise SchemaError(
            f"id column `{column}` is missing from `{input_path}` (available: {available})\n"
            "hint: pass the right name with --id-column"
        )
    check_ids(frame, column, table=str(input_path), blank=True, fix=_FIX)
    return column


def id_value(value: str, frame: pl.DataFrame, column: str, input_path: Path) -> Any:
    """An id typed on the command line, as a value of ``column``, which must hold it."""
    dtype = frame.schema[column]
    try:
        found = pl.Series([value]).cast(dtype).item()
    except pl.exceptions.PolarsError:
        raise SchemaError(
            f"id {value!r} is not a valid value of column `{column}` ({dtype})"
        ) from None
    if frame.select((pl.col(column) == found).any()).item() is not True:
        raise SchemaError(f"id {found!r} is not in column `{column}` of `{input_path}`")
    return found
