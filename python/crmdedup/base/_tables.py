"""The tables of a generation: their schemas, the in-memory state, and how the next one is derived.

Pure functions over polars frames; :class:`~crmdedup.base._base.Base` calls them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import polars as pl

from crmdedup.base import _changes
from crmdedup.base._naming import CLUSTER, ENTITY, KEY, Naming, name_clusters
from crmdedup.base._store import Manifest

__all__ = [
    "ALIAS_SCHEMA",
    "DECISION_COLUMNS",
    "ENTITY_SCHEMA",
    "FIRST_GEN",
    "Staged",
    "State",
    "decision_schema",
    "empty_state",
    "link_strength",
    "merge_decisions",
    "next_aliases",
    "next_entities",
    "next_generation",
]

FIRST_GEN = "_first_gen"
ENTITY_SCHEMA: dict[str, pl.DataType] = {
    ENTITY: pl.String(),
    "status": pl.String(),
    "founded_by": pl.String(),
    "created_gen": pl.UInt32(),
    "retired_gen": pl.UInt32(),
    "n_records": pl.UInt32(),
    "last_members": pl.List(pl.String()),
}
ALIAS_SCHEMA: dict[str, pl.DataType] = {
    "old_id": pl.String(),
    "new_id": pl.String(),
    "reason": pl.String(),
    "generation": pl.UInt32(),
}
DECISION_COLUMNS = ("id_l", "id_r", "decision", "actor", "note", "generation")


@dataclass
class State:
    """The tables of one generation, in memory."""

    manifest: Manifest
    records: pl.DataFrame
    members: pl.DataFrame
    entities: pl.DataFrame
    aliases: pl.DataFrame
    decisions: pl.DataFrame
    edges: pl.DataFrame
    deleted: pl.DataFrame
    keys: pl.DataFrame | None = None

    @property
    def id_column(self) -> str:
        return self.manifest.id_column

    @property
    def id_dtype(self) -> pl.DataType:
        return self.records.schema[self.manifest.id_column]


@dataclass
class Staged:
    parent: int
    generation: int
    tables: dict[str, pl.DataFrame]
    changelog: pl.DataFrame
    run: dict[str, Any]
    frozen: dict[str, dict[str, str]] | None = None


def decision_schema(dtype: pl.DataType) -> dict[str, pl.DataType]:
    """Columns of the stored steward decisions, for ids of type ``dtype``."""
    return {
        "id_l": dtype,
        "id_r": dtype,
        "decision": pl.String(),
        "actor": pl.String(),
        "note": pl.String(),
        "generation": pl.UInt32(),
    }


def empty_state(records: pl.DataFrame, id_col: str) -> dict[str, pl.DataFrame]:
    dtype = records.schema[id_col]
    return {
        "records": records.clear(),
        "members": pl.DataFrame(schema={id_col: dtype, ENTITY: pl.String()}),
        "entities": pl.DataFrame(schema=ENTITY_SCHEMA),
        "aliases": pl.DataFrame(schema=ALIAS_SCHEMA),
        "decisions": pl.DataFrame(schema=decision_schema(dtype)),
        "edges": pl.DataFrame(
            schema={
                f"{id_col}_l": dtype,
                f"{id_col}_r": dtype,
                "match_probability": pl.Float64(),
                "match_weight": pl.Float64(),
            }
        ),
        "deleted": pl.DataFrame(schema={id_col: dtype, "generation": pl.UInt32()}),
    }


def merge_decisions(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Decisions in force: the latest about each (unordered) pair."""
    if new.height == 0:
        return old
    both = pl.concat([old, new.select(old.columns)], how="vertical_relaxed")
    return both.unique(["id_l", "id_r"], keep="last", maintain_order=True)


def next_entities(
    entities: pl.DataFrame,
    naming: Naming,
    before: pl.DataFrame,
    after: pl.DataFrame,
    generation: int,
) -> pl.DataFrame:
    counts = after.group_by(ENTITY).agg(pl.len().cast(pl.UInt32).alias("__n"))
    last = (
        before.join(naming.retired.select(ENTITY), on=ENTITY, how="semi")
        .group_by(ENTITY)
        .agg(pl.col(KEY).sort().alias("__last"))
    )
    minted = naming.ids.filter(pl.col("how") == "minted").select(
        ENTITY,
        pl.lit("active").alias("status"),
        pl.col("founder").alias("founded_by"),
        pl.lit(generation, dtype=pl.UInt32).alias("created_gen"),
        pl.lit(None, dtype=pl.UInt32).alias("retired_gen"),
        pl.lit(0, dtype=pl.UInt32).alias("n_records"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("last_members"),
    )
    table = pl.concat([entities, minted.cast(ENTITY_SCHEMA)])  # type: ignore[arg-type]
    kept = naming.ids.filter(pl.col("how") != "minted").get_column(ENTITY).implode()
    retired = naming.retired.select(ENTITY, pl.col("status").alias("__status"))
    table = (
        table.join(counts, on=ENTITY, how="left")
        .join(retired, on=ENTITY, how="left")
        .join(last, on=ENTITY, how="left")
    )
    active = pl.col(ENTITY).is_in(kept) | pl.col("__n").is_not_null()
    return table.select(
        ENTITY,
        pl.when(active)
        .then(pl.lit("active"))
        .otherwise(pl.coalesce("__status", "status"))
        .alias("status"),
        "founded_by",
        "created_gen",
        pl.when(active)
        .then(None)
        .when(pl.col("__status").is_not_null())
        .then(pl.lit(generation, dtype=pl.UInt32))
        .otherwise(pl.col("retired_gen"))
        .alias("retired_gen"),
        pl.when(pl.col("__n").is_not_null())
        .then(pl.col("__n"))
        .when(pl.col("__status").is_not_null())
        .then(pl.lit(0, dtype=pl.UInt32))
        .otherwise(pl.col("n_records"))
        .alias("n_records"),
        pl.when(active)
        .then(None)
        .when(pl.col("__last").is_not_null())
        .then(pl.col("__last"))
        .otherwise(pl.col("last_members"))
        .alias("last_members"),
    ).cast(ENTITY_SCHEMA)  # type: ignore[arg-type]


def next_aliases(
    aliases: pl.DataFrame, naming: Naming, generation: int, reason: str
) -> pl.DataFrame:
    restored = naming.ids.filter(pl.col("how") == "restored").get_column(ENTITY).implode()
    kept = aliases.filter(~pl.col("old_id").is_in(restored))
    merged = naming.retired.filter(pl.col("status") == "merged").select(
        pl.col(ENTITY).alias("old_id"),
        pl.col("into").alias("new_id"),
        pl.lit("merge" if reason != "rebuild" else "rebuild").alias("reason"),
        pl.lit(generation, dtype=pl.UInt32).alias("generation"),
    )
    return pl.concat([kept, merged.cast(ALIAS_SCHEMA)])  # type: ignore[arg-type]


def link_strength(edges: pl.DataFrame, members: pl.DataFrame, id_col: str) -> pl.DataFrame:
    """Each record's strongest link inside its entity (``__key``, ``probability``)."""
    left, right = f"{id_col}_l", f"{id_col}_r"
    named = (
        edges.join(members.rename({id_col: left, ENTITY: "__el"}), on=left)
        .join(members.rename({id_col: right, ENTITY: "__er"}), on=right)
        .filter(pl.col("__el") == pl.col("__er"))
    )
    ends = pl.concat(
        [
            named.select(pl.col(left).alias("__id"), "match_probability"),
            named.select(pl.col(right).alias("__id"), "match_probability"),
        ]
    )
    return (
        ends.group_by("__id")
        .agg(pl.col("match_probability").max().alias("probability"))
        .select(pl.col("__id").cast(pl.String).alias(KEY), "probability")
    )


def next_generation(
    state: State,
    records: pl.DataFrame,
    clusters: pl.DataFrame,
    edges: pl.DataFrame,
    *,
    keys: pl.DataFrame,
    decisions: pl.DataFrame,
    decided: pl.DataFrame,
    changed: pl.Series | None,
    reason: str,
    actor: str,
    timings: dict[str, float],
) -> Staged:
    """The next generation's tables and change log, from the new partition of ``records``.

    ``clusters`` (id column, ``__cluster``) and ``edges`` come from the engine; ``decisions``
    are those in force afterwards, ``decided`` those this update adds; ``changed`` the ids (as
    text) of records given new values.
    """
    id_col = state.manifest.id_column
    generation = state.manifest.generation + 1
    tick = time.perf_counter()
    keyed = clusters.join(records.select(id_col, FIRST_GEN), on=id_col).select(
        pl.col(id_col).cast(pl.String).alias(KEY),
        pl.col(CLUSTER).cast(pl.String),
        pl.col(FIRST_GEN).alias("__first_gen"),
    )
    before = state.members.select(pl.col(id_col).cast(pl.String).alias(KEY), ENTITY)
    naming = name_clusters(
        keyed,
        before,
        state.entities,
        namespace=state.manifest.namespace,
        generation=generation,
    )
    after = keyed.join(naming.ids.select(CLUSTER, ENTITY), on=CLUSTER).select(KEY, ENTITY)
    members = (
        clusters.select(id_col, pl.col(CLUSTER).cast(pl.String))
        .join(naming.ids.select(CLUSTER, ENTITY), on=CLUSTER)
        .select(id_col, ENTITY)
    )
    entities = next_entities(state.entities, naming, before, after, generation)
    aliases = next_aliases(state.aliases, naming, generation, reason)
    strength = link_strength(edges, members, id_col)
    changelog = _changes.events(
        before=before,
        after=after,
        changed=changed if changed is not None else pl.Series([], dtype=pl.String),
        strength=strength,
        ids=naming.ids,
        retired=naming.retired,
        decisions=decided.select(
            pl.col("id_l").cast(pl.String), pl.col("id_r").cast(pl.String), "decision"
        ),
        generation=generation,
        actor=actor,
        reason=reason,
    )
    timings["ms_name"] = round((time.perf_counter() - tick) * 1000, 1)
    gone = state.records.join(records, on=id_col, how="anti").select(
        id_col, pl.lit(generation, dtype=pl.UInt32).alias("generation")
    )
    deleted = pl.concat([state.deleted, gone]).join(records, on=id_col, how="anti")
    tables = {
        "deleted": deleted,
        "records": records,
        "members": members.sort(id_col),
        "entities": entities,
        "aliases": aliases,
        "decisions": decisions,
        "edges": edges,
        "keys": keys,
    }
    run = {
        "reason": reason,
        "actor": actor,
        "entities_created": naming.ids.filter(pl.col("how") == "minted").height,
        "entities_restored": naming.ids.filter(pl.col("how") == "restored").height,
        "entities_retired": naming.retired.height,
        "records_moved": changelog.filter(pl.col("kind") == "record_moved").height,
        **timings,
    }
    return Staged(state.manifest.generation, generation, tables, changelog, run)
