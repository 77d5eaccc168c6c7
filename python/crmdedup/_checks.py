"""Checks of the arguments of dedupe and link before the engine sees them."""

from __future__ import annotations

import polars as pl

from crmdedup._ids import check_ids
from crmdedup.errors import ConfigError, SchemaError
from crmdedup.model import Model
from crmdedup.settings import Settings

__all__ = ["MAX_THREADS", "check_call", "check_output_names", "check_threads"]


MAX_THREADS = 1024
"""Most worker threads a call may ask for."""


def check_threads(threads: object) -> None:
    """Refuse a ``threads`` argument that is not None or an integer from 1 to MAX_THREADS."""
    if threads is not None and (
        not isinstance(threads, int) or isinstance(threads, bool) or not 1 <= threads <= MAX_THREADS
    ):
        raise ConfigError(
            f"`threads`: expected an integer from 1 to {MAX_THREADS} or None, got {threads!r}"
        )


def check_call(
    settings: Settings,
    tables: dict[str, pl.DataFrame],
    *,
    id_column: object,
    threads: object,
    progress: object,
    model: object,
    link: bool,
) -> None:
    """Check the arguments of :func:`dedupe` and :func:`link` before the engine sees them.

    Ids are checked here rather than by the engine so that rows are counted from 1, as
    everywhere else; a missing id column is left to the engine, which lists the columns.
    """
    check_threads(threads)
    if id_column is not None and not isinstance(id_column, str):
        raise ConfigError(f"`id_column`: expected a column name or None, got {id_column!r}")
    if progress is not None and not callable(progress):
        raise ConfigError(f"`progress`: expected a callable or None, got {progress!r}")
    if model is not None and not isinstance(model, Model):
        raise ConfigError(
            f"`model`: expected a crmdedup.Model (a result's `model` or Model.load(path)), "
            f"got {type(model).__name__}"
        )
    settings.validate()
    check_output_names(settings, id_column if isinstance(id_column, str) else None, link=link)
    for name, frame in tables.items():
        if isinstance(id_column, str) and id_column in frame.columns:
            check_ids(frame, id_column, table=name)


def check_output_names(settings: Settings, id_column: str | None, *, link: bool) -> None:
    """Refuse an id column whose output columns would collide with the others."""
    ident = id_column if id_column is not None else "row_id"
    outputs = {
        "clusters": [*(["source_dataset"] if link else []), ident, "cluster_id", "cluster_size"],
        "pairs": [
            f"{ident}_l",
            f"{ident}_r",
            "match_weight",
            "match_probability",
            *(f"{kind}_{c.name}" for kind in ("gamma", "weight") for c in settings.comparisons),
        ],
    }
    for table, names in outputs.items():
        clash = next((n for i, n in enumerate(names) if n in names[:i]), None)
        if clash is not None:
            raise SchemaError(
                f"id column `{ident}` would give the {table} two columns named `{clash}`\n"
                "hint: rename the id column (or the comparison) before deduplicating"
            )
