"""``Base``: a persistent, deduplicated contact base updated night after night."""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from crmdedup._arrow import TableLike, to_polars
from crmdedup._core import __version__
from crmdedup._files import write_table
from crmdedup._ids import cast_ids, check_ids, id_values
from crmdedup.api import ProgressCallback, _settings_for, dedupe
from crmdedup.base import _changes
from crmdedup.base._naming import CLUSTER, ENTITY, KEY, Naming, name_clusters
from crmdedup.base._store import TABLES, BaseError, Manifest, Store, sha256_file
from crmdedup.cluster import cluster, decision_tables
from crmdedup.errors import ConfigError, SchemaError
from crmdedup.merge import MergePolicy, MergeResult, merge
from crmdedup.model import Model, probability_of, weight_of
from crmdedup.settings import Settings
from crmdedup.term_frequency import tf_tables as count_tf

__all__ = ["Base", "Match", "Update"]

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
_CANDIDATE = pl.Struct({ENTITY: pl.String(), "match_probability": pl.Float64()})
"""One of :attr:`Match.assignments`' ``candidates``."""


@dataclass(frozen=True)
class Update:
    """What :meth:`Base.update` did (or, with ``dry_run=True``, would do).

    Attributes
    ----------
    generation
        The generation the base is at afterwards (unchanged when nothing changed or on a dry
        run; a dry run's staged generation is ``generation + 1`` until :meth:`commit`).
    changes
        The change log of the update (see :meth:`Base.changes` for the columns).
    assignments
        One row per record whose entity changed: ``record_id`` (text), ``entity_id_before``,
        ``entity_id_after`` (null when removed or new) and ``change`` (``added``, ``moved``,
        ``removed``).
    entity_changes
        One row per entity event: ``entity_id``, ``change`` (``created``, ``split_from``,
        ``restored``, ``merged_into``, ``deleted``, ``erased``), ``other_entity_id``.
    report
        Counts (records inserted, changed, unchanged, deleted; entities created, retired) and
        milliseconds per step.
    committed
        False for a dry run not yet committed.
    """

    generation: int
    changes: pl.DataFrame
    report: dict[str, Any]
    committed: bool
    _base: Base | None = field(default=None, repr=False)
    _staged: Any = field(default=None, repr=False)

    @property
    def assignments(self) -> pl.DataFrame:
        kinds = {"record_added": "added", "record_moved": "moved", "record_removed": "removed"}
        rows = self.changes.filter(pl.col("kind").is_in(list(kinds)))
        return rows.select(
            "record_id",
            pl.when(pl.col("kind") == "record_moved")
            .then(pl.col("other_entity_id"))
            .when(pl.col("kind") == "record_removed")
            .then(pl.col(ENTITY))
            .alias("entity_id_before"),
            pl.when(pl.col("kind") == "record_removed")
            .then(None)
            .otherwise(pl.col(ENTITY))
            .alias("entity_id_after"),
            pl.col("kind").replace_strict(kinds).alias("change"),
        )

    @property
    def entity_changes(self) -> pl.DataFrame:
        rows = self.changes.filter(pl.col("kind").str.starts_with("entity_"))
        return rows.select(
            ENTITY,
            pl.col("kind").str.strip_prefix("entity_").alias("change"),
            "other_entity_id",
        )

    @property
    def changed_entities(self) -> list[str]:
        """Active entities whose members or values changed."""
        touched = self.changes.filter(pl.col(ENTITY).is_not_null()).get_column(ENTITY)
        if self._base is None:
            return sorted(set(touched.to_list()))
        active = self._base.entities.filter(pl.col("status") == "active").get_column(ENTITY)
        return sorted(set(touched.to_list()) & set(active.to_list()))

    def golden(self, **merge_options: Any) -> MergeResult:
        """Golden records of the changed entities (:meth:`Base.golden` options)."""
        if self._base is None or not self.committed:
            raise BaseError("golden records are read from a committed base; commit() first")
        return self._base.golden(self.changed_entities, **merge_options)

    def commit(self) -> Update:
        """Publish a dry run's staged generation (refused if the base moved meanwhile)."""
        if self.committed or self._staged is None or self._base is None:
            raise BaseError("only a dry run that changes something can be committed")
        self._base._publish(self._staged)
        return Update(self._base.generation, self.changes, self.report, True, self._base)


@dataclass(frozen=True)
class Match:
    """What :meth:`Base.match` found for each new record (nothing is written).

    Attributes
    ----------
    assignments
        One row per new record: its id, ``entity_id`` (the entity it would join, or null),
        ``match_probability`` (its strongest link into that entity, or the strongest link to
        the base when it joins none), ``status`` and ``candidates`` (up to ``top_k`` entities,
        strongest first, as a list of ``{entity_id, match_probability}``). ``status`` is
        ``matched`` (it would join one entity), ``bridges`` (it would be in a cluster merging
        two entities or more, through its own links or those of another new record: look
        before updating), ``review`` (it joins no entity but has a link to the base within
        the review band, or one the guarded clustering refused) or ``new``.
    pairs
        The scored pairs between the new records and the base at or above the review floor:
        ``<id>_l`` (new record), ``<id>_r``, ``entity_id_r``, ``match_probability``,
        ``match_weight``.
    """

    assignments: pl.DataFrame
    pairs: pl.DataFrame


@dataclass
class _State:
    """The tables of one generation, in memory."""

    manifest: Manifest
    records: pl.DataFrame
    members: pl.DataFrame
    entities: pl.DataFrame
    aliases: pl.DataFrame
    decisions: pl.DataFrame
    edges: pl.DataFrame
    deleted: pl.DataFrame


@dataclass
class _Staged:
    parent: int
    generation: int
    tables: dict[str, pl.DataFrame]
    changelog: pl.DataFrame
    run: dict[str, Any]
    frozen: dict[str, dict[str, str]] | None = None


class Base:
    """A deduplicated base kept on disk: stable entity ids, steward decisions, change feed.

    Create it once with :meth:`create`, then every night :meth:`update` it with the new and
    changed contacts; downstream systems read :meth:`changes`. The partition of records into
    entities always equals what :func:`crmdedup.dedupe` gives on the live records with the
    base's frozen settings, model, term-frequency tables and decisions; entity ids are kept
    from one generation to the next by overlap (see ``docs/base.md``).
    """

    def __init__(self, store: Store, generation: int | None = None) -> None:
        self._store = store
        current = store.current()
        self._read_only = generation is not None and generation != current
        self._load(current if generation is None else generation)

    # -- creating and opening -----------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        data: TableLike,
        settings: Settings | str | os.PathLike[str] | None = None,
        *,
        id_column: str | None = None,
        model: Model | None = None,
        decisions: TableLike | None = None,
        namespace: str | None = None,
        threads: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> Base:
        """Deduplicate ``data`` into a new base at ``path`` (generation 1).

        The settings (inferred when None), the model (fitted on ``data`` when None) and the
        term-frequency tables of ``data`` are frozen: every later update scores with them, so
        that an update equals a batch run; :meth:`rebuild` changes them. ``namespace`` seeds
        entity ids (a random UUID by default; give one to get the same ids from the same
        history).

        Raises
        ------
        BaseError
            When ``path`` already holds files.
        SchemaError, ConfigError
            As :func:`crmdedup.dedupe`.
        """
        store = Store(path)
        if store.path.exists() and any(store.path.iterdir()):
            raise BaseError(f"{store.path} already exists and is not empty")
        frame = to_polars(data)
        resolved = _settings_for(frame, settings)
        id_col = id_column if id_column is not None else resolved.id_column
        if id_col is None:
            raise ConfigError("a base needs an id column: pass `id_column=`")
        if id_col not in frame.columns:
            raise SchemaError(f"`data` has no column `{id_col}` (the id column)")
        check_ids(frame, id_col, table="data")
        if FIRST_GEN in frame.columns:
            raise SchemaError(
                f"`data` has a column `{FIRST_GEN}`, a name the base keeps for itself"
            )
        if model is None:
            model = dedupe(frame, resolved, id_column=id_col, threads=threads).model
        tf = count_tf(frame, resolved, threads=threads)
        with store.writer():
            frozen = store.write_frozen("frozen", resolved.to_json(), model.to_json(), tf)
            records = frame.with_columns(pl.lit(1, dtype=pl.UInt32).alias(FIRST_GEN))
            empty = _empty_state(records, id_col)
            manifest = Manifest(
                generation=0,
                parent=None,
                parent_hash=None,
                id_column=id_col,
                id_dtype=str(frame.schema[id_col]),
                namespace=namespace if namespace is not None else str(uuid.uuid4()),
                frozen=frozen,
                files={},
                changelog=None,
                counts={},
                crmdedup=__version__,
            )
            base = cls.__new__(cls)
            base._store = store
            base._read_only = False
            base._settings, base._model, base._tf = resolved, model, tf
            base._state = _State(manifest=manifest, **empty)
            decided = base._decision_rows(decisions, actor="steward", generation=1)
            staged = base._stage(
                records,
                decided,
                reason="create",
                actor="pipeline",
                threads=threads,
                progress=progress,
            )
            base._publish(staged, expected_parent=None)
        return base

    @classmethod
    def open(cls, path: str | os.PathLike[str], generation: int | None = None) -> Base:
        """Open the base at ``path``, at its current generation or a past one (read-only).

        Raises
        ------
        BaseError
            When ``path`` is not a base or the generation does not exist (vacuumed).
        """
        return cls(Store(path), generation)

    def _load(self, generation: int) -> None:
        manifest = self._store.manifest(generation)
        tables = {t: self._store.read(manifest, t) for t in TABLES}
        self._state = _State(manifest=manifest, **tables)
        self._settings = Settings.from_dict(
            json.loads(self._store.frozen_text(manifest, "settings"))
        )
        self._model = Model(self._store.frozen_text(manifest, "model"))
        self._tf = self._store.frozen_frame(manifest, "tf")

    # -- reading ------------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._store.path

    @property
    def generation(self) -> int:
        return self._state.manifest.generation

    @property
    def id_column(self) -> str:
        return self._state.manifest.id_column

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def model(self) -> Model:
        return self._model

    @property
    def records(self) -> pl.DataFrame:
        """The live source records, as given (last version of each id)."""
        return self._state.records.drop(FIRST_GEN)

    @property
    def members(self) -> pl.DataFrame:
        """One row per live record: the id column and ``entity_id``."""
        return self._state.members

    @property
    def entities(self) -> pl.DataFrame:
        """Every entity ever issued.

        Columns: ``entity_id``, ``status`` (``active``, ``merged``,
        ``deleted``, ``erased``), ``founded_by``, ``created_gen``, ``retired_gen``,
        ``n_records``, ``last_members`` (of a retired one, as text).
        """
        return self._state.entities

    @property
    def aliases(self) -> pl.DataFrame:
        """``old_id`` → ``new_id`` of every merged entity, with ``reason`` and ``generation``."""
        return self._state.aliases

    @property
    def decisions(self) -> pl.DataFrame:
        """Steward decisions in force.

        Columns: ``id_l``, ``id_r``, ``decision``, ``actor``, ``note``,
        ``generation`` (the latest decision about a pair wins).
        """
        return self._state.decisions

    @property
    def edges(self) -> pl.DataFrame:
        """The scored links at or above the threshold between live records."""
        return self._state.edges

    def changes(self, since: int = 0) -> pl.DataFrame:
        """Every event of the generations after ``since``, in order (the change feed).

        Columns: ``event``, ``generation``, ``kind``, ``record_id``, ``other_record_id``,
        ``entity_id``, ``other_entity_id``, ``reason``, ``probability``, ``actor``; see
        ``docs/base.md`` for the kinds and how to apply them to a warehouse table.

        Change logs are kept by :meth:`vacuum` and :meth:`erase` (which blanks erased ids).
        """
        frames = [self._store.changelog(g) for g in range(since + 1, self.generation + 1)]
        return pl.concat(frames) if frames else _changes.empty()

    def resolve(self, ids: Iterable[str]) -> pl.DataFrame:
        """The current entity of any entity id ever issued.

        Returns ``entity_id``, ``current_id`` (null when the entity was deleted or erased, or
        when the id was never issued) and ``status`` of the final entity (``unknown`` for an
        id never issued), in the order given.
        """
        asked = pl.DataFrame({ENTITY: pl.Series(list(ids), dtype=pl.String)})
        alias = dict(self.aliases.select("old_id", "new_id").iter_rows())
        status = dict(self.entities.select(ENTITY, "status").iter_rows())
        rows = []
        for entity in asked.get_column(ENTITY).to_list():
            seen = set()
            current = entity
            while current in alias and current not in seen:
                seen.add(current)
                current = alias[current]
            final = status.get(current, "unknown")
            rows.append((current if final == "active" else None, final))
        return asked.with_columns(
            pl.Series("current_id", [r[0] for r in rows], dtype=pl.String),
            pl.Series("status", [r[1] for r in rows], dtype=pl.String),
        )

    def golden(
        self,
        entity_ids: Sequence[str] | None = None,
        *,
        consents: TableLike | None = None,
        oppositions: TableLike | None = None,
        policy: MergePolicy | None = None,
    ) -> MergeResult:
        """Golden records of the active entities (all, or those named), by :func:`crmdedup.merge`.

        The ``golden`` frame gets an ``entity_id`` column beside ``golden_id``.
        """
        members = self.members
        if entity_ids is not None:
            members = members.filter(pl.col(ENTITY).is_in(list(entity_ids)))
        records = self.records.join(members, on=self.id_column, how="semi")
        clusters = members.rename({ENTITY: "cluster_id"})
        result = merge(
            records,
            clusters,
            id_column=self.id_column,
            consents=consents,
            oppositions=oppositions,
            policy=policy,
        )
        names = result.lineage.select("golden_id", pl.col("cluster_id").alias(ENTITY)).unique(
            "golden_id"
        )
        golden = result.golden.join(names, on="golden_id", how="left")
        return MergeResult(**{**result.__dict__, "golden": golden})

    def match(
        self,
        new: TableLike,
        *,
        top_k: int = 3,
        review_band: float = 3.0,
        threads: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> Match:
        """Where ``new`` records would go if they were upserted now (read-only: nothing is written).

        ``new`` has the base's columns. A record whose id is already in the base is matched as
        the new version of that record. The records are scored with the frozen model and term
        frequencies against the base and against each other, and clustered with the base's
        decisions, exactly as :meth:`update` would; ``review_band`` is the number of bits
        below the threshold's match weight down to which links are reported (the review band of
        ``crmdedup review``).

        Raises
        ------
        SchemaError
            When ``new`` has other columns or types than the base, or duplicate or null ids.
        ConfigError
            When ``top_k`` is below 1 or ``review_band`` is negative.
        """
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ConfigError(f"`top_k` must be a whole number >= 1, got {top_k!r}")
        if not review_band >= 0:
            raise ConfigError(f"`review_band` must be >= 0 bits, got {review_band!r}")
        id_col = self.id_column
        left, right = f"{id_col}_l", f"{id_col}_r"
        columns = [c for c in self._state.records.columns if c != FIRST_GEN]
        frame = self._conform(to_polars(new, name="new"), columns, table="new")
        threshold = self._settings.threshold
        floor = probability_of(weight_of(threshold) - review_band)
        together = pl.concat([self.records.join(frame, on=id_col, how="anti"), frame])
        decided = self._state.decisions.select("id_l", "id_r", "decision")
        decisions = decided if decided.height else None
        scored = dedupe(
            together,
            self._settings.with_(threshold=min(floor, threshold)),
            id_column=id_col,
            model=self._model,
            tf_tables=self._tf,
            decisions=decisions,
            threads=threads,
            progress=progress,
        ).pairs.select(left, right, "match_probability", "match_weight")
        clusters = cluster(
            scored,
            together.select(id_col),
            id_column=id_col,
            method=self._settings.clustering,
            guard_probability=self._settings.guard_probability,
            threshold=threshold,
            decisions=decisions,
            threads=threads,
        ).select(id_col, "cluster_id")
        return _match_of(frame.select(id_col), self.members, scored, clusters, id_col, top_k)

    # -- writing ------------------------------------------------------------------------------

    def update(
        self,
        upserts: TableLike | None = None,
        deletes: Iterable[Any] | None = None,
        decisions: TableLike | None = None,
        *,
        dry_run: bool = False,
        actor: str = "pipeline",
        threads: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> Update:
        """Apply new and changed records, deletions and steward decisions; commit a generation.

        ``upserts`` has the base's columns: a new id is inserted, a known id with other values
        replaces that record, a known id with the same values changes nothing. ``deletes``
        lists ids to remove. ``decisions`` are ``id_l``, ``id_r``, ``decision``
        (``must_link`` / ``cannot_link``), optional ``note``. The result's ``changes`` list
        every event. When nothing changes, no generation is committed (re-applying a delta is
        a no-op).

        Raises
        ------
        SchemaError
            Upserts with other columns or id type, duplicate or null ids, deleted or decided
            ids that are not in the base, an id both upserted and deleted, or decisions that
            contradict each other (must-links joining a cannot-link pair): nothing is written.
        BaseError
            When another writer holds the base or committed since it was opened, or when the
            base was opened at a past generation.
        """
        self._writable()
        with self._store.writer():
            self._check_current()
            started = time.perf_counter()
            records, diff = self._apply_records(upserts, deletes)
            decided = self._decision_rows(decisions, actor=actor, generation=self.generation + 1)
            decided = decided.unique(["id_l", "id_r"], keep="last", maintain_order=True).join(
                self._state.decisions, on=["id_l", "id_r", "decision"], how="anti"
            )
            if not diff["touched"] and decided.height == 0:
                return Update(self.generation, _changes.empty(), diff["report"], True, self)
            staged = self._stage(
                records,
                decided,
                reason="update",
                actor=actor,
                changed=diff["changed"],
                threads=threads,
                progress=progress,
            )
            staged.run["ms_total"] = round((time.perf_counter() - started) * 1000, 1)
            staged.run.update(diff["report"])
            if dry_run:
                return Update(self.generation, staged.changelog, staged.run, False, self, staged)
            self._publish(staged)
        return Update(self.generation, staged.changelog, staged.run, True, self)

    def decide(self, decisions: TableLike, *, actor: str = "steward") -> Update:
        """Record steward decisions and re-cluster what they touch.

        ``decisions`` has ``id_l``, ``id_r``, ``decision`` and an optional ``note``. A later
        decision about a pair replaces the earlier one.
        """
        return self.update(decisions=decisions, actor=actor)

    def split(
        self, entity_id: str, record_ids: Iterable[Any], *, actor: str = "steward", note: str = ""
    ) -> Update:
        """Take ``record_ids`` out of ``entity_id`` into one entity of their own.

        Recorded as decisions: a cannot-link between each moved record and each other member,
        and must-links holding the moved records together.
        """
        moved = id_values(record_ids, self.id_column, self._id_dtype, table="record_ids")
        members = self.members.filter(pl.col(ENTITY) == entity_id).get_column(self.id_column)
        if members.len() == 0:
            raise SchemaError(f"entity {entity_id!r} is not an active entity of the base")
        outside = moved.filter(~moved.is_in(members.implode()))
        if outside.len():
            raise SchemaError(f"record {outside[0]!r} is not a member of entity {entity_id!r}")
        rest = members.filter(~members.is_in(moved.implode()))
        if rest.len() == 0:
            raise SchemaError("a split must leave at least one record in the entity")
        pairs = [(a, b, "cannot_link") for a in moved.to_list() for b in rest.to_list()]
        chain = moved.sort().to_list()
        pairs += [(a, b, "must_link") for a, b in itertools.pairwise(chain)]
        return self.update(decisions=self._pairs_frame(pairs, note), actor=actor)

    def merge(
        self, entity_a: str, entity_b: str, *, actor: str = "steward", note: str = ""
    ) -> Update:
        """Join two active entities, recorded as a must-link between their smallest records."""
        anchors = []
        for entity in (entity_a, entity_b):
            ids = self.members.filter(pl.col(ENTITY) == entity).get_column(self.id_column)
            if ids.len() == 0:
                raise SchemaError(f"entity {entity!r} is not an active entity of the base")
            anchors.append(ids.min())
        return self.update(
            decisions=self._pairs_frame([(anchors[0], anchors[1], "must_link")], note),
            actor=actor,
        )

    def unmerge(self, entity_id: str, *, actor: str = "steward", note: str = "") -> Update:
        """Undo the merge that retired ``entity_id``.

        Its last members (still live) become an entity again, kept apart from the entity
        that absorbed them by cannot-links.
        """
        row = self.entities.filter((pl.col(ENTITY) == entity_id) & (pl.col("status") == "merged"))
        if row.height == 0:
            raise SchemaError(f"entity {entity_id!r} is not a merged (retired) entity")
        keys = row.get_column("last_members")[0].to_list()
        live = self.members.with_columns(pl.col(self.id_column).cast(pl.String).alias(KEY))
        mine = live.filter(pl.col(KEY).is_in(keys))
        if mine.height == 0:
            raise SchemaError(f"none of entity {entity_id!r}'s records is left")
        host = mine.get_column(ENTITY)[0]
        moved = mine.get_column(self.id_column).to_list()
        rest = live.filter((pl.col(ENTITY) == host) & ~pl.col(KEY).is_in(keys))
        pairs = [
            (a, b, "cannot_link") for a in moved for b in rest.get_column(self.id_column).to_list()
        ]
        chain = sorted(moved)
        pairs += [(a, b, "must_link") for a, b in itertools.pairwise(chain)]
        if not rest.height:
            raise SchemaError(f"entity {entity_id!r} holds its records alone; nothing to undo")
        return self.update(decisions=self._pairs_frame(pairs, note), actor=actor)

    def rebuild(
        self,
        settings: Settings | str | os.PathLike[str] | None = None,
        *,
        model: Model | None = None,
        threads: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> Update:
        """Refit (or take) a model and term-frequency tables, and re-cluster everything.

        The model and tables are those of the live records, frozen again; the clusters and
        carry the entity ids over by overlap.
        """
        self._writable()
        with self._store.writer():
            self._check_current()
            records = self._state.records
            frame = records.drop(FIRST_GEN)
            resolved = self._settings if settings is None else _settings_for(frame, settings)
            if model is None:
                model = dedupe(frame, resolved, id_column=self.id_column, threads=threads).model
            tf = count_tf(frame, resolved, threads=threads)
            generation = self.generation + 1
            frozen = self._store.write_frozen(
                f"frozen/{generation:08d}", resolved.to_json(), model.to_json(), tf
            )
            old = (self._settings, self._model, self._tf)
            self._settings, self._model, self._tf = resolved, model, tf
            try:
                staged = self._stage(
                    records,
                    self._decision_rows(None, actor="pipeline", generation=generation),
                    reason="rebuild",
                    actor="pipeline",
                    threads=threads,
                    progress=progress,
                )
                staged.frozen = frozen
                self._publish(staged)
            except BaseException:
                self._settings, self._model, self._tf = old
                raise
        return Update(self.generation, staged.changelog, staged.run, True, self)

    def erase(self, record_ids: Iterable[Any], *, actor: str = "steward") -> Update:
        """Erase records for good (GDPR Art. 17).

        They are gone from the base and from every older generation (which are vacuumed),
        their ids blanked in every change log.

        The entities they belonged to keep their ids (an id only names a lineage); an entity
        left without records is ``erased``.
        """
        ids = id_values(record_ids, self.id_column, self._id_dtype, table="record_ids")
        update = self.update(deletes=ids, actor=actor)
        keys = set(ids.cast(pl.String).to_list())
        with self._store.writer():
            self._scrub(keys, update.generation)
        return Update(
            update.generation,
            self._store.changelog(update.generation),
            update.report,
            True,
            self,
        )

    def export(
        self,
        directory: str | os.PathLike[str],
        *,
        since: int = 0,
        format: Literal["parquet", "delta"] = "parquet",
    ) -> dict[str, Path]:
        """Write the tables a downstream system syncs from into ``directory``.

        ``members``, ``entities`` (without ``last_members``), ``aliases`` and ``decisions`` are
        snapshots of this generation; ``changes`` holds the events after generation ``since``.
        With ``format="parquet"`` each is a ``<table>.parquet`` file, written atomically; with
        ``format="delta"`` each is a Delta Lake table ``<table>/`` (needs the ``deltalake``
        package: ``pip install 'crmdedup[delta]'``): snapshots are overwritten, ``changes``
        are appended, so that exporting every night with ``since`` set to the generation
        exported last keeps the whole feed. No personal value is written.

        Returns the path of each table.

        Raises
        ------
        ConfigError
            An unknown ``format``, or ``delta`` without the ``deltalake`` package.
        """
        if format not in ("parquet", "delta"):
            raise ConfigError(f"`format` must be 'parquet' or 'delta', got {format!r}")
        if format == "delta":
            try:
                import deltalake  # noqa: F401
            except ImportError:
                raise ConfigError(
                    "exporting to Delta Lake needs the deltalake package\n"
                    "hint: pip install 'crmdedup[delta]'"
                ) from None
        tables = {
            "members": self.members,
            "entities": self.entities.drop("last_members"),
            "aliases": self.aliases,
            "decisions": self.decisions,
            "changes": self.changes(since=since),
        }
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = {}
        for name, frame in tables.items():
            if format == "parquet":
                written[name] = write_table(frame, out / f"{name}.parquet")
                continue
            target = out / name
            mode: Literal["append", "overwrite"] = (
                "append" if name == "changes" and target.exists() else "overwrite"
            )
            frame.write_delta(target, mode=mode)
            written[name] = target
        return written

    def vacuum(self, keep_generations: int = 1) -> list[int]:
        """Delete the files of all but the last ``keep_generations`` generations.

        Returns the generations removed. Their change logs stay (the feed is complete).
        """
        if keep_generations < 1:
            raise ConfigError("`keep_generations` must be at least 1")
        self._writable()
        with self._store.writer():
            return self._vacuum(keep_generations)

    def verify(self, *, batch: bool = False) -> list[str]:
        """Check the base's invariants; return the problems found (empty when sound).

        Checks: every live record is in exactly one active entity and every active entity has
        a record; entity ids are unique; every id ever issued resolves; decisions are
        honoured; each manifest's parent hash and file checksums match. With ``batch=True``,
        also that the partition equals a batch :func:`crmdedup.dedupe` of the live records
        with the frozen model, term frequencies and decisions.
        """
        from crmdedup.base._verify import problems

        return problems(self, batch=batch)

    # -- internals ----------------------------------------------------------------------------

    @property
    def _id_dtype(self) -> pl.DataType:
        return self._state.records.schema[self.id_column]

    def _writable(self) -> None:
        if self._read_only:
            raise BaseError(
                f"{self.path} was opened at generation {self.generation}, not its current one; "
                "open it without `generation=` to update it"
            )

    def _check_current(self) -> None:
        current = self._store.current()
        if current != self.generation:
            raise BaseError(
                f"{self.path} is at generation {current}, this object at {self.generation}: "
                "another writer committed meanwhile; reopen the base"
            )

    def _pairs_frame(self, pairs: list[tuple[Any, Any, str]], note: str) -> pl.DataFrame:
        dtype = self._id_dtype
        return pl.DataFrame(
            {
                "id_l": pl.Series([p[0] for p in pairs], dtype=dtype),
                "id_r": pl.Series([p[1] for p in pairs], dtype=dtype),
                "decision": [p[2] for p in pairs],
                "note": [note] * len(pairs),
            }
        )

    def _apply_records(
        self, upserts: TableLike | None, deletes: Iterable[Any] | None
    ) -> tuple[pl.DataFrame, dict[str, Any]]:
        """The live records after the delta, and what the delta did."""
        records = self._state.records
        id_col = self.id_column
        columns = [c for c in records.columns if c != FIRST_GEN]
        up = records.clear().drop(FIRST_GEN)
        if upserts is not None:
            up = self._conform(to_polars(upserts, name="upserts"), columns)
        gone = pl.Series(id_col, [], dtype=self._id_dtype)
        if deletes is not None:
            gone = id_values(deletes, id_col, self._id_dtype, table="deletes").unique()
            known = records.get_column(id_col).append(self._state.deleted.get_column(id_col))
            unknown = gone.filter(~gone.is_in(known.implode()))
            if unknown.len():
                raise SchemaError(f"`deletes`: id {unknown[0]!r} is not in the base")
            gone = gone.filter(gone.is_in(records.get_column(id_col).implode()))
            both = gone.filter(gone.is_in(up.get_column(id_col).implode()))
            if both.len():
                raise SchemaError(f"id {both[0]!r} is both upserted and deleted")
        old = up.join(records, on=id_col, how="inner", suffix="__old")
        same = (
            pl.all_horizontal(
                pl.col(c).eq_missing(pl.col(f"{c}__old")) for c in columns if c != id_col
            )
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
        fresh = inserted.with_columns(pl.lit(self.generation + 1, dtype=pl.UInt32).alias(FIRST_GEN))
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

    def _conform(
        self, frame: pl.DataFrame, columns: list[str], *, table: str = "upserts"
    ) -> pl.DataFrame:
        """Records (``table``) with exactly the base's columns and types, ids checked."""
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise SchemaError(f"`{table}` has no column `{missing[0]}` (the base has it)")
        extra = [c for c in frame.columns if c not in columns]
        if extra:
            raise SchemaError(f"`{table}` has a column `{extra[0]}` that the base does not have")
        check_ids(frame, self.id_column, table=table)
        frame = cast_ids(frame, self.id_column, self._id_dtype, table=table)
        schema = self._state.records.schema
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
                    f"`{table}` column `{c}` has type {frame.schema[c]}; the base's column is "
                    f"{target}"
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

    def _decision_rows(
        self, decisions: TableLike | None, *, actor: str, generation: int
    ) -> pl.DataFrame:
        """New decisions as stored rows (checked: known ids, valid kinds)."""
        dtype = self._state.records.schema[self.id_column]
        schema = {
            "id_l": dtype,
            "id_r": dtype,
            "decision": pl.String(),
            "actor": pl.String(),
            "note": pl.String(),
            "generation": pl.UInt32(),
        }
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

    def _partition(
        self,
        records: pl.DataFrame,
        decisions: pl.DataFrame,
        *,
        threads: int | None,
        progress: ProgressCallback | None,
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Clusters (``id``, ``__cluster``) and links of ``records`` with the frozen model."""
        id_col = self.id_column
        result = dedupe(
            records.drop(FIRST_GEN),
            self._settings,
            id_column=id_col,
            model=self._model,
            tf_tables=self._tf,
            decisions=decisions.select("id_l", "id_r", "decision") if decisions.height else None,
            threads=threads,
            progress=progress,
        )
        clusters = result.clusters.select(id_col, pl.col("cluster_id").alias(CLUSTER))
        edges = result.pairs.select(
            f"{id_col}_l", f"{id_col}_r", "match_probability", "match_weight"
        )
        return clusters, edges

    def _stage(
        self,
        records: pl.DataFrame,
        decided: pl.DataFrame,
        *,
        reason: str,
        actor: str,
        changed: pl.Series | None = None,
        threads: int | None,
        progress: ProgressCallback | None,
    ) -> _Staged:
        """Cluster and name ``records``, and lay out the next generation's tables."""
        state = self._state
        id_col = self.id_column
        generation = state.manifest.generation + 1
        timings: dict[str, float] = {}
        tick = time.perf_counter()
        decisions = _merge_decisions(state.decisions, decided)
        live_ids = records.get_column(id_col).implode()
        in_force = decisions.filter(pl.col("id_l").is_in(live_ids) & pl.col("id_r").is_in(live_ids))
        unknown = decided.filter(~pl.col("id_l").is_in(live_ids) | ~pl.col("id_r").is_in(live_ids))
        if unknown.height:
            a, b = unknown.select("id_l", "id_r").row(0)
            bad = a if a not in set(records.get_column(id_col).to_list()) else b
            raise SchemaError(f"`decisions`: id {bad!r} is not a live record of the base")
        clusters, edges = self._partition(records, in_force, threads=threads, progress=progress)
        timings["ms_cluster"] = round((time.perf_counter() - tick) * 1000, 1)
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
        entities = _next_entities(state.entities, naming, before, after, generation)
        aliases = _next_aliases(state.aliases, naming, generation, reason)
        strength = _strength(edges, members, id_col)
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
        return _Staged(state.manifest.generation, generation, tables, changelog, run)

    def _publish(self, staged: _Staged, expected_parent: int | str | None = "current") -> None:
        """Write a staged generation's files and commit its manifest."""
        store = self._store
        state = self._state
        parent = staged.parent
        files = {}
        for table, frame in staged.tables.items():
            files[table] = store.write_table(staged.generation, table, frame)
        log = store.write_changelog(staged.generation, staged.changelog)
        manifest = Manifest(
            generation=staged.generation,
            parent=parent if parent > 0 else None,
            parent_hash=store.manifest_hash(parent) if parent > 0 else None,
            id_column=state.manifest.id_column,
            id_dtype=state.manifest.id_dtype,
            namespace=state.manifest.namespace,
            frozen=staged.frozen or state.manifest.frozen,
            files=files,
            changelog=log,
            counts={
                "records": staged.tables["records"].height,
                "entities_active": staged.tables["entities"]
                .filter(pl.col("status") == "active")
                .height,
                "events": staged.changelog.height,
            },
            run=staged.run,
            crmdedup=__version__,
        )
        store.commit(manifest, expected_parent=None if parent == 0 else parent)
        self._state = _State(manifest=manifest, **staged.tables)

    def _scrub(self, keys: set[str], generation: int) -> None:
        """Blank erased ids in every change log and entity, and vacuum older generations."""
        store = self._store
        for path in sorted((store.path / "changelog").glob("*.parquet")):
            log = pl.read_parquet(path)
            hit = pl.col("record_id").is_in(list(keys))
            hit_other = pl.col("other_record_id").is_in(list(keys))
            if not log.select((hit | hit_other).any()).item():
                continue
            log = log.with_columns(
                pl.when(hit).then(None).otherwise(pl.col("record_id")).alias("record_id"),
                pl.when(hit_other)
                .then(None)
                .otherwise(pl.col("other_record_id"))
                .alias("other_record_id"),
                pl.when(hit & (pl.col("kind") == "record_removed"))
                .then(pl.lit("record_erased"))
                .otherwise(pl.col("kind"))
                .alias("kind"),
            )
            log.write_parquet(path, statistics=False)
        entities = self._state.entities.with_columns(
            pl.col("last_members").list.set_difference(pl.lit(sorted(keys))),
            pl.when(pl.col("founded_by").is_in(list(keys)))
            .then(None)
            .otherwise(pl.col("founded_by"))
            .alias("founded_by"),
            pl.when(pl.col("status") == "deleted")
            .then(pl.lit("erased"))
            .otherwise(pl.col("status"))
            .alias("status"),
        )
        manifest = self._state.manifest
        manifest.files["entities"] = store.write_table(generation, "entities", entities)
        deleted = self._state.deleted.filter(
            ~pl.col(self.id_column).cast(pl.String).is_in(list(keys))
        )
        manifest.files["deleted"] = store.write_table(generation, "deleted", deleted)
        self._state.deleted = deleted
        if manifest.changelog is not None:
            manifest.changelog["sha256"] = sha256_file(store.path / manifest.changelog["path"])
        store.commit(manifest, expected_parent=None)
        self._state.entities = entities
        self._vacuum(1)

    def _vacuum(self, keep_generations: int) -> list[int]:
        store = self._store
        numbers = store.generations()
        keep = numbers[-keep_generations:]
        kept_paths: set[str] = set()
        for number in keep:
            manifest = store.manifest(number)
            kept_paths.update(e["path"] for e in manifest.files.values())
            kept_paths.update(e["path"] for e in manifest.frozen.values())
        removed = []
        for number in numbers:
            if number in keep:
                continue
            manifest = store.manifest(number)
            if manifest.changelog is not None:
                kept_paths.add(manifest.changelog["path"])
            store.remove_generation(number, kept_paths)
            removed.append(number)
        return removed


def _empty_state(records: pl.DataFrame, id_col: str) -> dict[str, pl.DataFrame]:
    dtype = records.schema[id_col]
    return {
        "records": records.clear(),
        "members": pl.DataFrame(schema={id_col: dtype, ENTITY: pl.String()}),
        "entities": pl.DataFrame(schema=ENTITY_SCHEMA),
        "aliases": pl.DataFrame(schema=ALIAS_SCHEMA),
        "decisions": pl.DataFrame(
            schema={
                "id_l": dtype,
                "id_r": dtype,
                "decision": pl.String(),
                "actor": pl.String(),
                "note": pl.String(),
                "generation": pl.UInt32(),
            }
        ),
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


def _merge_decisions(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Decisions in force: the latest about each (unordered) pair."""
    if new.height == 0:
        return old
    both = pl.concat([old, new.select(old.columns)], how="vertical_relaxed")
    return both.unique(["id_l", "id_r"], keep="last", maintain_order=True)


def _next_entities(
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


def _next_aliases(
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


def _strength(edges: pl.DataFrame, members: pl.DataFrame, id_col: str) -> pl.DataFrame:
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


def _match_of(
    new: pl.DataFrame,
    members: pl.DataFrame,
    scored: pl.DataFrame,
    clusters: pl.DataFrame,
    id_col: str,
    top_k: int,
) -> Match:
    """The :class:`Match` of ``new`` ids from the links and clusters of base plus new records."""
    left, right = f"{id_col}_l", f"{id_col}_r"
    fresh = new.get_column(id_col).implode()
    kept = members.join(new, on=id_col, how="anti")
    values = ["match_probability", "match_weight"]
    across = pl.concat(
        [
            scored.filter(pl.col(left).is_in(fresh) & ~pl.col(right).is_in(fresh)),
            scored.filter(pl.col(right).is_in(fresh) & ~pl.col(left).is_in(fresh)).select(
                pl.col(right).alias(left), pl.col(left).alias(right), *values
            ),
        ]
    )
    pairs = across.join(
        kept.select(pl.col(id_col).alias(right), pl.col(ENTITY).alias("entity_id_r")), on=right
    ).sort([left, "match_probability", right], descending=[False, True, False])
    best = pairs.group_by(left, "entity_id_r").agg(pl.col("match_probability").max())
    candidates = (
        best.sort([left, "match_probability", "entity_id_r"], descending=[False, True, False])
        .group_by(left, maintain_order=True)
        .head(top_k)
        .group_by(left, maintain_order=True)
        .agg(
            pl.struct(pl.col("entity_id_r").alias(ENTITY), "match_probability").alias("candidates"),
            pl.col("match_probability").first().alias("__best"),
        )
    )
    joined = (
        clusters.join(kept, on=id_col)
        .group_by("cluster_id")
        .agg(pl.col(ENTITY).unique().sort().alias("__entities"))
    )
    out = (
        new.join(clusters, on=id_col, how="left", maintain_order="left")
        .join(joined, on="cluster_id", how="left", maintain_order="left")
        .join(candidates.rename({left: id_col}), on=id_col, how="left", maintain_order="left")
        .with_columns(pl.col("__entities").list.len().fill_null(0).alias("__n"))
        .with_columns(
            pl.when(pl.col("__n") == 1).then(pl.col("__entities").list.first()).alias(ENTITY)
        )
        .join(
            best.rename({left: id_col, "entity_id_r": ENTITY, "match_probability": "__direct"}),
            on=[id_col, ENTITY],
            how="left",
            maintain_order="left",
        )
    )
    status = (
        pl.when(pl.col("__n") >= 2)
        .then(pl.lit("bridges"))
        .when(pl.col("__n") == 1)
        .then(pl.lit("matched"))
        .when(pl.col("__best").is_not_null())
        .then(pl.lit("review"))
        .otherwise(pl.lit("new"))
    )
    assignments = out.select(
        id_col,
        ENTITY,
        pl.when(pl.col("__n") == 1)
        .then(pl.col("__direct"))
        .otherwise(pl.col("__best"))
        .alias("match_probability"),
        status.alias("status"),
        pl.col("candidates").fill_null(pl.lit([], dtype=pl.List(_CANDIDATE))),
    )
    return Match(assignments=assignments, pairs=pairs.select(left, right, "entity_id_r", *values))
