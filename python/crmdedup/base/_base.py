"""``Base``: a persistent, deduplicated contact base updated night after night.

This module is the public facade (every method a user calls, with its documentation); the work
lives beside it: ``_delta`` reads a delta, ``_tables`` derives the next generation, ``_naming``
names entities, ``_changes`` writes the change log, ``_store`` the files.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import polars as pl

from crmdedup._arrow import TableLike, to_polars
from crmdedup._core import REVISION, __version__
from crmdedup._files import write_table
from crmdedup._ids import cast_ids, check_ids, id_values
from crmdedup.api import ProgressCallback, _settings_for, dedupe
from crmdedup.base import _changes
from crmdedup.base._delta import apply_records, conform, decision_rows
from crmdedup.base._naming import CLUSTER, ENTITY, KEY
from crmdedup.base._region import (
    Components,
    Keys,
    SortedKeys,
    cluster_region,
    region_links,
    region_partition,
)
from crmdedup.base._results import Match, Update, match_of
from crmdedup.base._store import TABLES, BaseError, Manifest, Store, sha256_file
from crmdedup.base._tables import (
    FIRST_GEN,
    Staged,
    State,
    empty_state,
    merge_decisions,
    next_generation,
)
from crmdedup.errors import ConfigError, SchemaError
from crmdedup.kernels import blocking_keys
from crmdedup.merge import MergePolicy, MergeResult, merge
from crmdedup.model import Model, probability_of, weight_of
from crmdedup.settings import Settings
from crmdedup.term_frequency import tf_tables as count_tf

__all__ = ["Base", "Match", "Update"]


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
            empty = empty_state(records, id_col)
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
                revision=REVISION,
            )
            base = cls.__new__(cls)
            base._store = store
            base._read_only = False
            base._settings, base._model, base._tf = resolved, model, tf
            base._state = State(manifest=manifest, **empty)
            decided = decision_rows(base._state, decisions, actor="steward", generation=1)
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
        tables = {t: self._store.read(manifest, t) for t in TABLES if t in manifest.files}
        frozen = json.loads(self._store.frozen_text(manifest, "settings"))
        if "pairs_per_record" not in frozen:
            # A base created before blocks were windowed: each block within the cap gave all
            # its pairs, which a window of the cap keeps (and makes the order immaterial).
            frozen["pairs_per_record"] = frozen.get("max_block_size", 50)
            if tables.get("keys") is not None and "order" not in tables["keys"].columns:
                tables["keys"] = tables["keys"].with_columns(order=pl.lit(0, pl.UInt64))
        if manifest.revision != REVISION:
            # Keys made by another engine revision would miss or invent candidates: they are
            # recomputed, and the next update re-partitions every record (see `REVISION`).
            tables.pop("keys", None)
        self._state = State(manifest=manifest, **tables)
        self._settings = Settings.from_dict(frozen)
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
        state = self._state
        id_col = self.id_column
        columns = [c for c in state.records.columns if c != FIRST_GEN]
        frame = conform(state, to_polars(new, name="new"), columns, table="new")
        floor = probability_of(weight_of(self._settings.threshold) - review_band)
        keys, components = self._match_index(threads)
        new_ids = frame.get_column(id_col)
        known = components.of(new_ids).get_column(id_col)
        fresh_ids = new_ids.filter(~new_ids.is_in(known.implode()))
        # The upsert of ``new`` computed around it, as :meth:`update` does, scored down to the
        # review floor; then the components holding a new record clustered again.
        region = region_links(
            settings=self._settings,
            model=self._model,
            tf=self._tf,
            id_col=id_col,
            old_records=state.records,
            old_keys=keys,
            old_edges=state.edges,
            removed=known,
            arriving=frame,
            floor=floor,
            threads=threads,
        )
        if progress is not None:
            progress("score", 1, 1)
        # Decisions about a record the base deleted come back in force with it.
        revived = state.decisions.filter(
            pl.col("id_l").is_in(fresh_ids.implode()) | pl.col("id_r").is_in(fresh_ids.implode())
        )
        if revived.height:
            ends = pl.concat([revived.get_column("id_l"), revived.get_column("id_r")])
            live = pl.concat([components.of(ends).get_column(id_col), fresh_ids]).implode()
            revived = revived.filter(pl.col("id_l").is_in(live) & pl.col("id_r").is_in(live))
        fresh = region.scored.filter(pl.col("match_probability") >= self._settings.threshold)
        inside = components.around(
            new_ids, fresh, revived.filter(pl.col("decision") == "must_link")
        )
        clusters = cluster_region(
            self._settings, id_col, inside, region.links, state.decisions
        ).select(id_col, pl.col(CLUSTER).alias("cluster_id"))
        if progress is not None:
            progress("cluster", 1, 1)
        members = components.of(
            pl.concat(
                [
                    inside,
                    region.scored.get_column(f"{id_col}_l"),
                    region.scored.get_column(f"{id_col}_r"),
                ]
            )
        )
        return match_of(
            frame.select(id_col),
            members.select(id_col, ENTITY),
            region.scored,
            clusters,
            id_col,
            top_k,
        )

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
            records, diff = apply_records(self._state, upserts, deletes)
            decided = decision_rows(
                self._state, decisions, actor=actor, generation=self.generation + 1
            )
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
                    decision_rows(self._state, None, actor="pipeline", generation=generation),
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

    def _match_index(self, threads: int | None) -> tuple[Keys, Components]:
        """The keys and components of this generation, kept for the matches that read them.

        The first match reads the keys by semi-joins (a pass each); from the second on the same
        generation, they are sorted once and read by binary search.
        """
        cached = self.__dict__.get("_match_cache")
        if cached is None or cached[0] is not self._state:
            state = self._state
            keys = state.keys
            if keys is None:
                keys = blocking_keys(
                    self.records, self._settings, id_column=self.id_column, threads=threads
                )
            components = Components(state.members, state.edges, state.decisions, self.id_column)
            cached = (state, Keys(keys, self.id_column), components)
        elif not isinstance(cached[1], SortedKeys):
            cached = (cached[0], SortedKeys(cached[1].table, self.id_column), cached[2])
        self._match_cache = cached
        return cached[1], cached[2]

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
    ) -> Staged:
        """Cluster and name ``records``, and lay out the next generation's tables."""
        state = self._state
        id_col = self.id_column
        timings: dict[str, float] = {}
        tick = time.perf_counter()
        decisions = merge_decisions(state.decisions, decided)
        live_ids = records.get_column(id_col).implode()
        in_force = decisions.filter(pl.col("id_l").is_in(live_ids) & pl.col("id_r").is_in(live_ids))
        unknown = decided.filter(~pl.col("id_l").is_in(live_ids) | ~pl.col("id_r").is_in(live_ids))
        if unknown.height:
            a, b = unknown.select("id_l", "id_r").row(0)
            bad = a if a not in set(records.get_column(id_col).to_list()) else b
            raise SchemaError(f"`decisions`: id {bad!r} is not a live record of the base")
        if reason == "update" and state.keys is not None:
            old_ids = state.records.get_column(id_col).implode()
            clusters, edges, keys = region_partition(
                settings=self._settings,
                model=self._model,
                tf=self._tf,
                id_col=id_col,
                old_records=state.records,
                records=records,
                old_keys=state.keys,
                old_edges=state.edges,
                old_members=state.members,
                old_decisions=state.decisions.filter(
                    pl.col("id_l").is_in(old_ids) & pl.col("id_r").is_in(old_ids)
                ),
                decisions=in_force,
                changed=cast_ids(
                    pl.DataFrame({id_col: changed if changed is not None else []}),
                    id_col,
                    self._id_dtype,
                    table="changed",
                ).get_column(id_col),
                threads=threads,
            )
        else:
            clusters, edges = self._partition(records, in_force, threads=threads, progress=progress)
            keys = blocking_keys(
                records.drop(FIRST_GEN), self._settings, id_column=id_col, threads=threads
            )
        timings["ms_cluster"] = round((time.perf_counter() - tick) * 1000, 1)
        return next_generation(
            state,
            records,
            clusters,
            edges,
            keys=keys,
            decisions=decisions,
            decided=decided,
            changed=changed,
            reason=reason,
            actor=actor,
            timings=timings,
        )

    def _publish(self, staged: Staged, expected_parent: int | str | None = "current") -> None:
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
            revision=REVISION,
        )
        store.commit(manifest, expected_parent=None if parent == 0 else parent)
        self._state = State(manifest=manifest, **staged.tables)

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
