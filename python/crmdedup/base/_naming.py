"""Entity ids for a new partition: inherited by overlap, restored, or minted.

The partition (which records are one person) is decided by the engine; this module only names
its clusters, so that ids change as little as possible from one generation to the next:

1. A cluster inherits the id of the old entity it shares most records with. Pairs (cluster,
   old entity) are taken by overlap, largest first; ties go to the cluster that holds the
   entity's founding record, then to the older entity, then to the smaller entity id, then to
   the cluster whose earliest record comes first. Each old id goes to at most one cluster and
   each cluster takes at most one id.
2. A cluster left without an id may restore a retired (merged) id whose last members it holds
   in majority, so that adding a bridging record and deleting it again gives the ids back.
3. Any other cluster mints ``e_`` + a hash of (namespace, its earliest record, generation):
   the same history gives the same ids, and an id is never issued twice.
4. An old entity that no cluster took is retired: ``merged`` into the entity that now holds
   most of its records, or ``deleted`` when none of its records is left.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import polars as pl

from crmdedup.errors import CrmdedupError

__all__ = ["Naming", "entity_ids", "name_clusters"]

CLUSTER = "__cluster"
ENTITY = "entity_id"
KEY = "__key"  # a record id as text, the form ids take inside entity metadata


@dataclass(frozen=True)
class Naming:
    """How the clusters of a region were named.

    ``ids`` maps ``__cluster`` to ``entity_id``; ``how`` is ``inherited``, ``restored`` or
    ``minted``; ``founder`` is the founding record (as text) of a minted id. ``retired`` has
    ``entity_id``, ``status`` (``merged`` or ``deleted``) and ``into`` (the absorbing entity).
    """

    ids: pl.DataFrame
    retired: pl.DataFrame


def entity_ids(namespace: str, founders: pl.Series, generation: int) -> pl.Series:
    """Ids minted in ``generation`` for clusters founded by ``founders`` (record ids as text).

    ``e_`` and 16 base32 letters: the first 80 bits of BLAKE2b over the namespace, the founder
    and the generation separated by unit separators (UTF-8). Opaque: it does not show the
    record id.
    """
    ids = [
        "e_"
        + base64.b32encode(
            hashlib.blake2b(f"{namespace}\x1f{f}\x1f{generation}".encode(), digest_size=10).digest()
        )
        .decode("ascii")
        .lower()
        for f in founders.cast(pl.String).to_list()
    ]
    return pl.Series(ENTITY, ids, dtype=pl.String)


def _greedy(candidates: pl.DataFrame, left: str, right: str) -> list[tuple[object, object]]:
    """Take rows in order, each ``left`` and each ``right`` at most once."""
    taken_l: set[object] = set()
    taken_r: set[object] = set()
    out = []
    for a, b in candidates.select(left, right).iter_rows():
        if a in taken_l or b in taken_r:
            continue
        taken_l.add(a)
        taken_r.add(b)
        out.append((a, b))
    return out


def name_clusters(
    clusters: pl.DataFrame,
    old_members: pl.DataFrame,
    entities: pl.DataFrame,
    *,
    namespace: str,
    generation: int,
) -> Naming:
    """Name ``clusters`` (``__key``, ``__cluster``, ``__first_gen``) against the old entities.

    ``old_members`` holds ``__key`` and ``entity_id`` of the records before the change;
    ``entities`` is the entity table (``entity_id``, ``status``, ``founded_by``,
    ``created_gen``, ``last_members``).

    A cluster made of exactly the records of one old entity keeps its id at once: no other
    cluster overlaps that entity and the cluster overlaps no other, so the greedy assignment
    would give it that id whatever the order. Only the other clusters and entities (those an
    update touched) go through the assignment, which costs the size of the change rather
    than of the base and gives the same ids (a test compares both).
    """
    same = _unchanged(clusters, old_members)
    if same.height == 0:
        return _name(clusters, clusters, old_members, entities, namespace, generation)
    region = clusters.join(same, on=CLUSTER, how="anti")
    old = old_members.join(same.select(ENTITY), on=ENTITY, how="anti")
    naming = _name(region, clusters, old, entities, namespace, generation)
    kept = same.select(
        pl.col(CLUSTER).cast(clusters.schema[CLUSTER]),
        pl.col(ENTITY).cast(pl.String),
        pl.lit("inherited", dtype=pl.String).alias("how"),
        pl.lit(None, dtype=pl.String).alias("founder"),
    )
    return Naming(ids=pl.concat([kept, naming.ids]), retired=naming.retired)


def _unchanged(clusters: pl.DataFrame, old_members: pl.DataFrame) -> pl.DataFrame:
    """``__cluster`` and ``entity_id`` of the clusters whose records are exactly an entity's."""
    old_size = old_members.group_by(ENTITY).agg(pl.len().alias("__old"))
    per = (
        clusters.select(KEY, CLUSTER)
        .join(old_members, on=KEY, how="left")
        .group_by(CLUSTER)
        .agg(
            pl.len().alias("__n"),
            pl.col(ENTITY).n_unique().alias("__k"),
            pl.col(ENTITY).null_count().alias("__new"),
            pl.col(ENTITY).first(),
        )
    )
    return (
        per.filter((pl.col("__k") == 1) & (pl.col("__new") == 0))
        .join(old_size, on=ENTITY)
        .filter(pl.col("__n") == pl.col("__old"))
        .select(CLUSTER, ENTITY)
    )


def _name(
    clusters: pl.DataFrame,
    everyone: pl.DataFrame,
    old_members: pl.DataFrame,
    entities: pl.DataFrame,
    namespace: str,
    generation: int,
) -> Naming:
    """The naming of ``clusters`` against ``old_members`` (``everyone``: all new clusters)."""
    first = (
        clusters.sort("__first_gen", KEY)
        .group_by(CLUSTER, maintain_order=True)
        .agg(pl.col(KEY).first().alias("__earliest"), pl.col("__first_gen").first())
        .sort("__first_gen", "__earliest")
        .with_row_index("__order")
    )
    overlap = (
        clusters.join(old_members, on=KEY, how="inner")
        .group_by(CLUSTER, ENTITY)
        .agg(pl.len().alias("__overlap"), pl.col(KEY).alias("__keys"))
        .join(entities.select(ENTITY, "founded_by", "created_gen"), on=ENTITY, how="left")
        .with_columns(pl.col("__keys").list.contains(pl.col("founded_by")).alias("__founder"))
        .join(first.select(CLUSTER, "__order"), on=CLUSTER)
        .sort(
            ["__overlap", "__founder", "created_gen", ENTITY, "__order"],
            descending=[True, True, False, False, False],
        )
    )
    inherited = _greedy(overlap, CLUSTER, ENTITY)
    named = {c: e for c, e in inherited}
    restored = _restore(clusters, everyone, entities, named, first)
    named_restored = {c: e for c, e in restored}
    rest = first.filter(~pl.col(CLUSTER).is_in(list(named) + list(named_restored)))
    minted = entity_ids(namespace, rest.get_column("__earliest"), generation)
    used = set(entities.get_column(ENTITY).to_list())
    if minted.n_unique() != minted.len() or used.intersection(minted.to_list()):
        raise CrmdedupError("two entities received the same id; please report this")
    ids = pl.concat(
        [
            _frame(clusters, inherited, "inherited"),
            _frame(clusters, restored, "restored"),
            rest.select(
                CLUSTER,
                minted.alias(ENTITY),
                pl.lit("minted").alias("how"),
                pl.col("__earliest").alias("founder"),
            ),
        ]
    )
    return Naming(ids=ids, retired=_retired(old_members, clusters, ids))


def _frame(clusters: pl.DataFrame, rows: list[tuple[object, object]], how: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            CLUSTER: pl.Series([c for c, _ in rows], dtype=clusters.schema[CLUSTER]),
            ENTITY: pl.Series([e for _, e in rows], dtype=pl.String),
            "how": pl.Series([how] * len(rows), dtype=pl.String),
            "founder": pl.Series([None] * len(rows), dtype=pl.String),
        }
    )


def _restore(
    clusters: pl.DataFrame,
    everyone: pl.DataFrame,
    entities: pl.DataFrame,
    named: dict[object, object],
    first: pl.DataFrame,
) -> list[tuple[object, object]]:
    """Retired ids given back to unnamed clusters holding most of their last live members.

    A member counts as live when it is in any cluster of ``everyone``.
    """
    retired = entities.filter(pl.col("status") == "merged").select(ENTITY, "last_members")
    if retired.height == 0:
        return []
    unnamed = clusters.filter(~pl.col(CLUSTER).is_in(list(named)))
    last = retired.explode("last_members").rename({"last_members": KEY}).drop_nulls(KEY)
    live = last.join(everyone.select(KEY), on=KEY, how="semi")
    size = live.group_by(ENTITY).agg(pl.len().alias("__live"))
    held = (
        live.join(unnamed.select(KEY, CLUSTER), on=KEY)
        .group_by(CLUSTER, ENTITY)
        .agg(pl.len().alias("__overlap"))
        .join(size, on=ENTITY)
        .filter(pl.col("__overlap") * 2 > pl.col("__live"))
        .join(first.select(CLUSTER, "__order"), on=CLUSTER)
        .sort(["__overlap", ENTITY, "__order"], descending=[True, False, False])
    )
    return _greedy(held, CLUSTER, ENTITY)


def _retired(old_members: pl.DataFrame, clusters: pl.DataFrame, ids: pl.DataFrame) -> pl.DataFrame:
    """Old entities that no cluster took: where their records went, or that none is left."""
    kept = set(ids.get_column(ENTITY).to_list())
    lost = old_members.filter(~pl.col(ENTITY).is_in(list(kept)))
    schema = {ENTITY: pl.String, "status": pl.String, "into": pl.String}
    if lost.height == 0:
        return pl.DataFrame(schema=schema)
    went = (
        lost.join(clusters.select(KEY, CLUSTER), on=KEY)
        .join(ids.select(CLUSTER, pl.col(ENTITY).alias("into")), on=CLUSTER)
        .group_by(ENTITY, "into")
        .agg(pl.len().alias("__n"))
        .sort(["__n", "into"], descending=[True, False])
        .group_by(ENTITY, maintain_order=True)
        .agg(pl.col("into").first())
    )
    out = (
        lost.select(ENTITY)
        .unique()
        .join(went, on=ENTITY, how="left")
        .with_columns(
            pl.when(pl.col("into").is_null())
            .then(pl.lit("deleted"))
            .otherwise(pl.lit("merged"))
            .alias("status")
        )
        .select(ENTITY, "status", "into")
        .sort(ENTITY)
    )
    return out.cast(schema)  # type: ignore[arg-type]
