"""The invariants of a base, checked by :meth:`Base.verify`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from crmdedup.base._store import sha256_file

if TYPE_CHECKING:
    from crmdedup.base._base import Base

__all__ = ["problems"]

ENTITY = "entity_id"


def problems(base: Base, *, batch: bool = False) -> list[str]:
    """Every broken invariant of ``base``'s current generation, as sentences."""
    out: list[str] = []
    id_col = base.id_column
    records, members, entities = base._state.records, base.members, base.entities
    if members.height != records.height or members.get_column(id_col).n_unique() != members.height:
        out.append("a live record is in no entity or in more than one")
    missing = records.join(members, on=id_col, how="anti")
    if missing.height:
        out.append(f"record {missing.get_column(id_col)[0]!r} is in no entity")
    if entities.get_column(ENTITY).n_unique() != entities.height:
        out.append("two entities share an id")
    active = entities.filter(pl.col("status") == "active")
    used = members.get_column(ENTITY).unique()
    empty = active.filter(~pl.col(ENTITY).is_in(used.implode()))
    if empty.height:
        out.append(f"active entity {empty.get_column(ENTITY)[0]} has no record")
    stray = used.filter(~used.is_in(active.get_column(ENTITY).implode()))
    if stray.len():
        out.append(f"records belong to {stray[0]}, which is not an active entity")
    resolved = base.resolve(entities.get_column(ENTITY).to_list())
    merged = resolved.join(entities.select(ENTITY, "status"), on=ENTITY, suffix="__own")
    dangling = merged.filter(
        (pl.col("status__own") == "merged") & pl.col("status").is_in(["unknown", "merged"])
    )
    if dangling.height:
        out.append(f"merged entity {dangling.get_column(ENTITY)[0]} resolves to no entity")
    out += _decisions(base)
    out += _files(base)
    if batch and not out:
        out += _batch(base)
    return out


def _decisions(base: Base) -> list[str]:
    id_col = base.id_column
    pairs = base.decisions.join(
        base.members.rename({id_col: "id_l", ENTITY: "__el"}), on="id_l"
    ).join(base.members.rename({id_col: "id_r", ENTITY: "__er"}), on="id_r")
    broken = pairs.filter(
        ((pl.col("decision") == "must_link") & (pl.col("__el") != pl.col("__er")))
        | ((pl.col("decision") == "cannot_link") & (pl.col("__el") == pl.col("__er")))
    )
    if broken.height:
        a, b, kind = broken.select("id_l", "id_r", "decision").row(0)
        return [f"decision {kind} between {a!r} and {b!r} is not honoured"]
    return []


def _files(base: Base) -> list[str]:
    store, manifest = base._store, base._state.manifest
    out = []
    entries = [*manifest.files.values(), *manifest.frozen.values()]
    if manifest.changelog is not None:
        entries.append(manifest.changelog)
    for entry in entries:
        path = store.path / entry["path"]
        if not path.is_file():
            out.append(f"file {entry['path']} is missing")
        elif sha256_file(path) != entry["sha256"]:
            out.append(f"file {entry['path']} does not match its checksum")
    generation = manifest.generation
    while manifest.parent is not None and manifest.parent in store.generations():
        if store.manifest_hash(manifest.parent) != manifest.parent_hash:
            out.append(f"generation {generation}'s parent hash does not match its parent")
        generation = manifest.parent
        manifest = store.manifest(manifest.parent)
    return out


def _batch(base: Base) -> list[str]:
    clusters, _ = base._partition(base._state.records, base.decisions, threads=None, progress=None)
    id_col = base.id_column
    ours = base.members.group_by(ENTITY).agg(pl.col(id_col).sort())
    theirs = clusters.group_by("__cluster").agg(pl.col(id_col).sort())
    a = sorted(map(tuple, ours.get_column(id_col).to_list()))
    b = sorted(map(tuple, theirs.get_column(id_col).to_list()))
    return [] if a == b else ["the partition differs from a batch run of the live records"]
