"""What :meth:`Base.update` and :meth:`Base.match` return."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from crmdedup.base._naming import ENTITY
from crmdedup.base._store import BaseError
from crmdedup.merge import MergeResult

if TYPE_CHECKING:
    from crmdedup.base._base import Base

__all__ = ["Match", "Update", "match_of"]

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


def match_of(
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
