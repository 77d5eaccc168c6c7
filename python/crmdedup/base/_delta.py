"""Reading a delta: upserts conformed to the base's columns and types, deletions, decisions.

Every check names the table, column, row or id at fault; nothing is written here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from crmdedup._arrow import TableLike, to_polars
from crmdedup._ids import cast_ids, check_ids, id_values
from crmdedup.base._tables import FIRST_GEN, State, decision_schema
from crmdedup.cluster import decision_tables
from crmdedup.errors import SchemaError

__all__ = ["apply_records", "conform", "decision_rows"]


def apply_records(
    state: State, upserts: TableLike | None, deletes: Iterable[Any] | None
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The live records after the delta, and what the delta did."""
    records = state.records
    id_col = state.id_column
    columns = [c for c in records.columns if c != FIRST_GEN]
    up = records.clear().drop(FIRST_GEN)
    if upserts is not None:
        up = conform(state, to_polars(upserts, name="upserts"), columns)
    gone = pl.Series(id_col, [], dtype=state.id_dtype)
    if deletes is not None:
        gone = id_values(deletes, id_col, state.id_dtype, table="deletes").unique()
        known = records.get_column(id_col).append(state.deleted.get_column(id_col))
        unknown = gone.filter(~gone.is_in(known.implode()))
        if unknown.len():
            raise SchemaError(f"`deletes`: id {unknown[0]!r} is not in the base")
        gone = gone.filter(gone.is_in(records.get_column(id_col).implode()))
        both = gone.filter(gone.is_in(up.get_column(id_col).implode()))
        if both.len():
            raise SchemaError(f"id {both[0]!r} is both upserted and deleted")
    old = up.join(records, on=id_col, how="inner", suffix="__old")
    same = (
        pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}__old")) for c in columns if c != id_col)
        if len(columns) > 1
        else pl.lit(True)
    )
    changed = old.filter(~same).get_column(id_col)
    unchanged = old.filter(same).height
    inserted = up.join(records, on=id_col, how="anti")
    replaced = changed.append(gone)
    keep = records.filter(~pl.col(id_col).is_in(replaced.implode()))
    renewed = up.join(changed.to_frame(), on=id_col, how="semi").join(
        records.select(id_col, FIRST_GEN), on=id_col
    )
    fresh = inserted.with_columns(
        pl.lit(state.manifest.generation + 1, dtype=pl.UInt32).alias(FIRST_GEN)
    )
    after = pl.concat([keep, renewed.select(records.columns), fresh.select(records.columns)])
    report = {
        "records_inserted": inserted.height,
        "records_changed": changed.len(),
        "records_unchanged": unchanged,
        "records_deleted": gone.len(),
    }
    touched = bool(inserted.height or changed.len() or gone.len())
    return after, {
        "touched": touched,
        "changed": changed.cast(pl.String),
        "report": report,
    }


def conform(
    state: State, frame: pl.DataFrame, columns: list[str], *, table: str = "upserts"
) -> pl.DataFrame:
    """Records (``table``) with exactly the base's columns and types, ids checked."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"`{table}` has no column `{missing[0]}` (the base has it)")
    extra = [c for c in frame.columns if c not in columns]
    if extra:
        raise SchemaError(f"`{table}` has a column `{extra[0]}` that the base does not have")
    check_ids(frame, state.id_column, table=table)
    frame = cast_ids(frame, state.id_column, state.id_dtype, table=table)
    schema = state.records.schema
    out = []
    for c in columns:
        target = schema[c]
        if frame.schema[c] == target or frame.schema[c] == pl.Null:
            out.append(pl.col(c).cast(target))
            continue
        try:
            cast = frame.select(pl.col(c).cast(target, strict=False))
        except pl.exceptions.PolarsError:
            raise SchemaError(
                f"`{table}` column `{c}` has type {frame.schema[c]}; the base's column is {target}"
            ) from None
        lost = cast.to_series().is_null() & frame.get_column(c).is_not_null()
        if lost.any():
            row = int(lost.arg_true()[0]) + 1
            raise SchemaError(
                f"`{table}` column `{c}` holds {frame.get_column(c)[row - 1]!r} at row {row}, "
                f"which is not a {target} like the base's column"
            )
        out.append(pl.col(c).cast(target, strict=False))
    return frame.select(out)


def decision_rows(
    state: State, decisions: TableLike | None, *, actor: str, generation: int
) -> pl.DataFrame:
    """New decisions as stored rows (checked: known ids, valid kinds)."""
    dtype = state.id_dtype
    schema = decision_schema(dtype)
    if decisions is None:
        return pl.DataFrame(schema=schema)
    frame = to_polars(decisions, name="decisions")
    decision_tables(frame)  # checks the columns and kinds, naming the row
    frame = cast_ids(frame, "id_l", dtype, table="decisions")
    frame = cast_ids(frame, "id_r", dtype, table="decisions")
    note = pl.col("note").cast(pl.String) if "note" in frame.columns else pl.lit("")
    return frame.select(
        pl.min_horizontal("id_l", "id_r").alias("id_l"),
        pl.max_horizontal("id_l", "id_r").alias("id_r"),
        pl.col("decision").cast(pl.String),
        pl.lit(actor, dtype=pl.String).alias("actor"),
        note.alias("note"),
        pl.lit(generation, dtype=pl.UInt32).alias("generation"),
    )
