"""The change log of a generation: record and entity events, ids only.

Columns (``SCHEMA``): ``event`` (its number in the generation), ``generation``, ``kind``,
``record_id`` and ``other_record_id`` (record ids as text), ``entity_id``, ``other_entity_id``,
``reason``, ``probability`` (the strongest link of the record inside its entity) and ``actor``.

Record kinds: ``record_added``, ``record_moved`` (``other_entity_id`` is where it was),
``record_changed`` (new values, same entity), ``record_removed``, ``record_erased``. Entity
kinds: ``entity_created``, ``entity_split_from`` (created from records of
``other_entity_id``), ``entity_restored``, ``entity_merged_into`` (retired into
``other_entity_id``), ``entity_deleted`` (no record left), ``entity_erased``. Steward kinds:
``decision_added`` (``record_id`` and ``other_record_id``, ``reason`` is the decision).

No personal value is written here, so that erasing a record only blanks its id.
"""

from __future__ import annotations

import polars as pl

__all__ = ["SCHEMA", "empty", "events", "replay"]

SCHEMA: dict[str, pl.DataType] = {
    "event": pl.UInt32(),
    "generation": pl.UInt32(),
    "kind": pl.String(),
    "record_id": pl.String(),
    "other_record_id": pl.String(),
    "entity_id": pl.String(),
    "other_entity_id": pl.String(),
    "reason": pl.String(),
    "probability": pl.Float64(),
    "actor": pl.String(),
}
KEY = "__key"
ENTITY = "entity_id"


def empty() -> pl.DataFrame:
    """A change log with no event."""
    return pl.DataFrame(schema=SCHEMA)


def _rows(frame: pl.DataFrame, **columns: pl.Expr | str | None) -> pl.DataFrame:
    exprs = []
    for name, dtype in SCHEMA.items():
        if name in ("event", "generation", "actor"):
            continue
        value = columns.get(name)
        expr = pl.lit(value) if isinstance(value, str) or value is None else value
        exprs.append(expr.cast(dtype).alias(name))
    return frame.select(exprs)


def events(
    *,
    before: pl.DataFrame,
    after: pl.DataFrame,
    changed: pl.Series,
    strength: pl.DataFrame,
    ids: pl.DataFrame,
    retired: pl.DataFrame,
    decisions: pl.DataFrame,
    generation: int,
    actor: str,
    reason: str,
) -> pl.DataFrame:
    """Events turning ``before`` into ``after`` (``__key``, ``entity_id`` of live records).

    ``changed`` holds the keys of records given new values; ``strength`` the ``__key`` and
    ``probability`` of each record's strongest link inside its entity; ``ids`` and
    ``retired`` the naming of the new clusters (:mod:`._naming`); ``decisions`` the steward
    decisions added (``id_l``, ``id_r`` as text, ``decision``).
    """
    joined = before.join(after, on=KEY, how="full", coalesce=True, suffix="__after")
    old, new = pl.col(ENTITY), pl.col(f"{ENTITY}__after")
    touched = pl.col(KEY).is_in(changed.implode())
    records = [
        _rows(
            joined.filter(old.is_null()),
            kind="record_added",
            record_id=pl.col(KEY),
            entity_id=new,
            reason=reason,
        ),
        _rows(
            joined.filter(new.is_null()),
            kind="record_removed",
            record_id=pl.col(KEY),
            entity_id=old,
            reason=reason,
        ),
        _rows(
            joined.filter(old.is_not_null() & new.is_not_null() & (old != new)),
            kind="record_moved",
            record_id=pl.col(KEY),
            entity_id=new,
            other_entity_id=old,
            reason=pl.when(touched).then(pl.lit("record_changed")).otherwise(pl.lit(reason)),
        ),
        _rows(
            joined.filter(touched & (old == new)),
            kind="record_changed",
            record_id=pl.col(KEY),
            entity_id=new,
            reason="record_changed",
        ),
    ]
    record_events = (
        pl.concat(records)
        .join(
            strength.rename({KEY: "record_id"}).rename({"probability": "__p"}),
            on="record_id",
            how="left",
        )
        .with_columns(pl.col("__p").alias("probability"))
        .drop("__p")
    )
    origin = (
        before.join(after, on=KEY, suffix="__after")
        .group_by(f"{ENTITY}__after", ENTITY)
        .agg(pl.len().alias("n"))
        .sort(["n", ENTITY], descending=[True, False])
        .group_by(f"{ENTITY}__after", maintain_order=True)
        .agg(pl.col(ENTITY).first().alias("__from"))
        .rename({f"{ENTITY}__after": ENTITY})
    )
    minted = ids.filter(pl.col("how") == "minted").join(origin, on=ENTITY, how="left")
    entity_events = [
        _rows(
            minted.filter(pl.col("__from").is_null()),
            kind="entity_created",
            entity_id=pl.col(ENTITY),
            record_id=pl.col("founder"),
            reason=reason,
        ),
        _rows(
            minted.filter(pl.col("__from").is_not_null()),
            kind="entity_split_from",
            entity_id=pl.col(ENTITY),
            other_entity_id=pl.col("__from"),
            record_id=pl.col("founder"),
            reason=reason,
        ),
        _rows(
            ids.filter(pl.col("how") == "restored"),
            kind="entity_restored",
            entity_id=pl.col(ENTITY),
            reason=reason,
        ),
        _rows(
            retired.filter(pl.col("status") == "merged"),
            kind="entity_merged_into",
            entity_id=pl.col(ENTITY),
            other_entity_id=pl.col("into"),
            reason=reason,
        ),
        _rows(
            retired.filter(pl.col("status") == "deleted"),
            kind="entity_deleted",
            entity_id=pl.col(ENTITY),
            reason=reason,
        ),
        _rows(
            decisions,
            kind="decision_added",
            record_id=pl.col("id_l"),
            other_record_id=pl.col("id_r"),
            reason=pl.col("decision"),
        ),
    ]
    out = pl.concat(
        [
            pl.concat(entity_events[:5]).sort("kind", ENTITY),
            record_events.sort("kind", "record_id"),
            entity_events[5],
        ]
    )
    return stamp(out, generation, actor)


def stamp(frame: pl.DataFrame, generation: int, actor: str) -> pl.DataFrame:
    """Number the events and add the generation and the actor."""
    return frame.with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.UInt32).alias("event"),
        pl.lit(generation, dtype=pl.UInt32).alias("generation"),
        pl.lit(actor, dtype=pl.String).alias("actor"),
    ).select(list(SCHEMA))


def replay(
    members: pl.DataFrame, entities: pl.DataFrame, changes: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply a change log: what a downstream copy does with the feed.

    ``members`` has ``record_id`` and ``entity_id`` as text, ``entities`` ``entity_id`` and
    ``status``.

    Returns the members and entity statuses of the next generation.
    """
    removed = changes.filter(pl.col("kind").is_in(["record_removed", "record_erased"]))
    placed = changes.filter(pl.col("kind").is_in(["record_added", "record_moved"])).select(
        "record_id", "entity_id"
    )
    out = (
        members.filter(~pl.col("record_id").is_in(removed.get_column("record_id").implode()))
        .join(placed, on="record_id", how="full", coalesce=True, suffix="__new")
        .select("record_id", pl.coalesce("entity_id__new", "entity_id").alias("entity_id"))
    )
    status = {
        "entity_created": "active",
        "entity_split_from": "active",
        "entity_restored": "active",
        "entity_merged_into": "merged",
        "entity_deleted": "deleted",
        "entity_erased": "erased",
    }
    moves = changes.filter(pl.col("kind").is_in(list(status))).select(
        "entity_id", pl.col("kind").replace_strict(status).alias("status__new")
    )
    states = (
        entities.select("entity_id", "status")
        .join(moves, on="entity_id", how="full", coalesce=True)
        .select("entity_id", pl.coalesce("status__new", "status").alias("status"))
    )
    return out, states
