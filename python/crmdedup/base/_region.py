"""An update's partition computed around what the delta touched, equal to a batch run's.

A batch run's clusters are a function of its links (pairs at or above the threshold) and of
the decisions, component by component: the clustering of one connected component of links and
must-links never looks at another. So an update only has to

1. find the candidate pairs that appear and disappear (:func:`crmdedup.candidate_changes`
   over the stored blocking keys: deletions and old versions of changed records first, then
   insertions and new versions, with the block-size cap applied as a batch run would);
2. score the new pairs (:func:`crmdedup.score_pairs` with the frozen model and term
   frequencies) and update the stored links;
3. re-cluster the components that hold a touched record (inserted, changed, an end of a link
   that appeared or disappeared, or named by a decision that came or went); every other
   component is one the previous generation clustered with the same links and decisions, so
   its entities stay as they are.

The property tests compare the result with a batch run after random histories.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from crmdedup.base._naming import CLUSTER, ENTITY
from crmdedup.base._tables import FIRST_GEN
from crmdedup.cluster import cluster
from crmdedup.kernels import blocking_keys, candidate_changes, score_pairs
from crmdedup.model import Model
from crmdedup.settings import Settings

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "Components",
    "Keys",
    "Region",
    "SortedKeys",
    "cluster_region",
    "recluster_region",
    "region_links",
    "region_partition",
]


def _canonical(pairs: pl.DataFrame, left: str, right: str) -> pl.DataFrame:
    """Pairs with the smaller id on the left."""
    return pairs.with_columns(
        pl.min_horizontal(left, right).alias(left), pl.max_horizontal(left, right).alias(right)
    )


def _status(keys: pl.DataFrame, id_col: str, ids: pl.Series, status: str) -> pl.DataFrame:
    flag = pl.col(id_col).is_in(ids.implode())
    return keys.with_columns(
        pl.when(flag).then(pl.lit(status)).otherwise(pl.lit("unchanged")).alias("status")
    )


class Keys:
    """A generation's blocking keys, read by record or by block: each read a pass over them."""

    def __init__(self, table: pl.DataFrame, id_col: str) -> None:
        self.table = table
        self.id_col = id_col

    def of_ids(self, ids: pl.Series) -> pl.DataFrame:
        """The rows of records ``ids``."""
        return self.table.join(ids.unique().to_frame(self.id_col), on=self.id_col, how="semi")

    def of_blocks(self, blocks: pl.DataFrame) -> pl.DataFrame:
        """The rows of the blocks (``rule``, ``key``) given."""
        return self.table.join(blocks.unique(), on=["rule", "key"], how="semi")


class SortedKeys(Keys):
    """The same keys sorted once by record and once by block, each read a binary search.

    Worth its two sorts when one generation is read many times (:meth:`Base.match`). Blocks
    are found per rule with numpy on the keys' hashes: a match of one record reads a few
    dozen blocks, and a polars call per rule cost more than the search.
    """

    def __init__(self, table: pl.DataFrame, id_col: str) -> None:
        super().__init__(table, id_col)
        self._by_id = table.sort(id_col)
        self._ids = self._by_id.get_column(id_col)
        self._by_block = table.sort("rule", "key")
        self._keys_np = self._by_block.get_column("key").to_numpy()
        rules = self._by_block.get_column("rule")
        found = rules.unique().sort()
        starts = rules.search_sorted(found, "left").to_list()
        ends = rules.search_sorted(found, "right").to_list()
        self._rules = dict(zip(found.to_list(), zip(starts, ends, strict=True), strict=True))

    def of_ids(self, ids: pl.Series) -> pl.DataFrame:
        return self._by_id[_positions(self._ids, ids)]

    def of_blocks(self, blocks: pl.DataFrame) -> pl.DataFrame:
        import numpy as np  # only once a base is matched: `import crmdedup` stays light

        blocks = blocks.unique()
        rules = blocks.get_column("rule").to_numpy()
        keys = blocks.get_column("key").cast(self._by_block.schema["key"]).to_numpy()
        los, his = [], []
        for rule in np.unique(rules):
            if int(rule) not in self._rules:
                continue
            start, end = self._rules[int(rule)]
            segment = self._keys_np[start:end]
            wanted = keys[rules == rule]
            los.append(np.searchsorted(segment, wanted, "left") + start)
            his.append(np.searchsorted(segment, wanted, "right") + start)
        if not los:
            return self.table.clear()
        return self._by_block[_ranges(np.concatenate(los), np.concatenate(his))]


def _positions(sorted_ids: pl.Series, ids: pl.Series) -> np.ndarray:
    """The positions in ``sorted_ids`` of every one of ``ids``.

    Polars' binary search: ids may be text, which numpy would compare as Python objects.
    """
    wanted = ids.unique().cast(sorted_ids.dtype)
    lo = sorted_ids.search_sorted(wanted, "left").to_numpy()
    hi = sorted_ids.search_sorted(wanted, "right").to_numpy()
    return _ranges(lo, hi)


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The positions ``lo[i] .. hi[i] - 1`` of every ``i``, in order."""
    import numpy as np

    lengths = (hi - lo).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(lo.astype(np.int64) - (np.cumsum(lengths) - lengths), lengths)
    positions: np.ndarray = np.arange(total, dtype=np.int64) + offsets
    return positions


def _near(
    keys: Keys, id_col: str, moving: pl.Series, without: pl.Series, extra: pl.DataFrame
) -> pl.DataFrame:
    """The keys ``candidate_changes`` needs: whole blocks of the records near a moving one.

    These are every block of every record sharing a block with a moving record, in the keys
    ``keys`` less the records ``without`` plus the rows ``extra``.

    A pair can only appear or disappear in a block holding a moving record, and whether it is
    a candidate, and which rule owns it, depends on the other blocks holding both its records:
    those are blocks of records of a touched block, kept whole so that their sizes (and the
    cap) are those of the full table.
    """
    gone = without.implode()

    def of_ids(ids: pl.Series) -> pl.DataFrame:
        rows = keys.of_ids(ids).filter(~pl.col(id_col).is_in(gone))
        return pl.concat([rows, extra.join(ids.to_frame(id_col), on=id_col, how="semi")])

    def of_blocks(blocks: pl.DataFrame) -> pl.DataFrame:
        rows = keys.of_blocks(blocks).filter(~pl.col(id_col).is_in(gone))
        return pl.concat([rows, extra.join(blocks, on=["rule", "key"], how="semi")])

    touched = of_ids(moving).select("rule", "key").unique()
    neighbours = of_blocks(touched).get_column(id_col).unique()
    blocks = of_ids(neighbours).select("rule", "key").unique()
    return of_blocks(blocks)


def _changes(
    keys: Keys,
    settings: Settings,
    moving: pl.Series,
    status: str,
    without: pl.Series,
    extra: pl.DataFrame,
) -> pl.DataFrame:
    """The candidate pairs that appear and disappear when ``moving`` come or go.

    Over the keys ``keys`` less the records ``without`` plus the rows ``extra``.
    """
    id_col = keys.id_col
    left, right = f"{id_col}_l", f"{id_col}_r"
    near = _near(keys, id_col, moving, without, extra) if moving.len() else extra.clear()
    if near.height == 0:
        dtype = keys.table.schema[id_col]
        return pl.DataFrame(schema={left: dtype, right: dtype, "change": pl.String})
    return candidate_changes(
        _status(near, id_col, moving, status), settings, id_column=id_col
    ).select(left, right, "change")


@dataclass(frozen=True)
class Region:
    """What a change of records does to the candidate pairs and links of a base.

    Attributes
    ----------
    links
        The links (pairs at or above the threshold) after the change, smaller id first.
    scored
        Every candidate pair that appeared, scored, at or above the floor asked for.
    new_keys
        The blocking keys of the arriving records.
    touched
        The live ids whose links changed: the arriving records and the ends of the links that
        appeared or disappeared.
    """

    links: pl.DataFrame
    scored: pl.DataFrame
    new_keys: pl.DataFrame
    touched: pl.Series


def region_links(
    *,
    settings: Settings,
    model: Model,
    tf: pl.DataFrame,
    id_col: str,
    old_records: pl.DataFrame,
    old_keys: Keys,
    old_edges: pl.DataFrame,
    removed: pl.Series,
    arriving: pl.DataFrame,
    floor: float | None = None,
    threads: int | None,
) -> Region:
    """The candidate pairs and links of a base whose ``removed`` ids go and ``arriving`` come.

    ``old_*`` are the records, keys and links before; a changed record is removed (its old
    version) and arriving (its new one). Pairs that appear are scored down to ``floor``
    (default: the threshold).
    """
    left, right = f"{id_col}_l", f"{id_col}_r"
    columns = [c for c in old_records.columns if c != FIRST_GEN]
    arrived = arriving.get_column(id_col)
    # Deletions and old versions first, then insertions and new versions.
    nothing = old_keys.table.clear()
    first = _changes(old_keys, settings, removed, "removed", removed.clear(), nothing)
    new_keys = blocking_keys(
        arriving.select(columns), settings, id_column=id_col, threads=threads
    ).select(nothing.columns)
    second = _changes(old_keys, settings, arrived, "inserted", removed, new_keys)
    gone = _canonical(
        pl.concat([first, second]).filter(pl.col("change") == "removed"), left, right
    ).select(left, right)
    came = pl.concat(
        [
            _canonical(first.filter(pl.col("change") == "added"), left, right)
            .select(left, right)
            .join(gone, on=[left, right], how="anti"),
            _canonical(second.filter(pl.col("change") == "added"), left, right).select(left, right),
        ]
    ).unique()
    links = _canonical(old_edges, left, right)
    dropped = links.filter(
        pl.col(left).is_in(removed.implode()) | pl.col(right).is_in(removed.implode())
    ).vstack(links.join(gone, on=[left, right], how="semi"))
    links = links.join(dropped.select(left, right), on=[left, right], how="anti")
    threshold = settings.threshold
    if came.height:
        ends = came.get_column(left).append(came.get_column(right)).unique().implode()
        rows = pl.concat(
            [
                old_records.filter(
                    pl.col(id_col).is_in(ends) & ~pl.col(id_col).is_in(arrived.implode())
                ).select(columns),
                arriving.filter(pl.col(id_col).is_in(ends)).select(columns),
            ]
        )
        scored = score_pairs(
            rows,
            came,
            settings,
            model,
            id_column=id_col,
            tf_tables=tf,
            threads=threads,
        ).select(left, right, "match_probability", "match_weight")
        scored = scored.filter(
            pl.col("match_probability") >= (threshold if floor is None else min(floor, threshold))
        )
    else:
        scored = links.clear()
    fresh = scored.filter(pl.col("match_probability") >= threshold)
    links = pl.concat([links, fresh.select(links.columns)])
    touched = pl.concat(
        [
            arrived,
            dropped.get_column(left),
            dropped.get_column(right),
            fresh.get_column(left),
            fresh.get_column(right),
        ]
    )
    gone_ids = removed.filter(~removed.is_in(arrived.implode())).implode()
    touched = touched.filter(~touched.is_in(gone_ids)).unique()
    return Region(links=links, scored=scored, new_keys=new_keys, touched=touched)


def region_partition(
    *,
    settings: Settings,
    model: Model,
    tf: pl.DataFrame,
    id_col: str,
    old_records: pl.DataFrame,
    records: pl.DataFrame,
    old_keys: pl.DataFrame,
    old_edges: pl.DataFrame,
    old_members: pl.DataFrame,
    old_decisions: pl.DataFrame,
    decisions: pl.DataFrame,
    changed: pl.Series,
    threads: int | None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Clusters (``id``, ``__cluster``), links and blocking keys of ``records`` after an update.

    ``old_*`` are the previous generation's records, keys, links, members (``entity_id``) and
    decisions in force; ``decisions`` those in force now; ``changed`` the ids (typed) of the
    records given new values.
    """
    before = old_records.get_column(id_col)
    after = records.get_column(id_col)
    removed = before.filter(~before.is_in(after.implode())).append(changed)
    region = region_links(
        settings=settings,
        model=model,
        tf=tf,
        id_col=id_col,
        old_records=old_records,
        old_keys=Keys(old_keys, id_col),
        old_edges=old_edges,
        removed=removed,
        arriving=records.filter(
            ~pl.col(id_col).is_in(before.implode()) | pl.col(id_col).is_in(changed.implode())
        ),
        threads=threads,
    )
    touched = pl.concat([region.touched, *_decision_ids(old_decisions, decisions)])
    touched = touched.filter(touched.is_in(after.implode())).unique()
    clusters = _recluster(settings, id_col, records, region.links, decisions, old_members, touched)
    kept_keys = old_keys.filter(~pl.col(id_col).is_in(removed.implode()))
    return clusters, region.links, pl.concat([kept_keys, region.new_keys])


def _decision_ids(old: pl.DataFrame, new: pl.DataFrame) -> list[pl.Series]:
    """The ids of the decisions in force in one generation and not the other."""
    cols = ["id_l", "id_r", "decision"]
    diff = pl.concat(
        [
            old.select(cols).join(new.select(cols), on=cols, how="anti"),
            new.select(cols).join(old.select(cols), on=cols, how="anti"),
        ]
    )
    return [diff.get_column("id_l"), diff.get_column("id_r")]


def _recluster(
    settings: Settings,
    id_col: str,
    records: pl.DataFrame,
    links: pl.DataFrame,
    decisions: pl.DataFrame,
    old_members: pl.DataFrame,
    touched: pl.Series,
) -> pl.DataFrame:
    """Old entities where nothing was touched; the engine's clustering over touched components."""
    kept = old_members.select(id_col, ("o" + pl.col(ENTITY)).alias(CLUSTER))
    if touched.len() == 0:
        return kept
    fresh = recluster_region(
        settings, id_col, records.get_column(id_col), links, decisions, touched
    )
    return pl.concat([kept.join(fresh.select(id_col), on=id_col, how="anti"), fresh])


def recluster_region(
    settings: Settings,
    id_col: str,
    ids: pl.Series,
    links: pl.DataFrame,
    decisions: pl.DataFrame,
    touched: pl.Series,
) -> pl.DataFrame:
    """The engine's clustering (``id``, ``__cluster``) of the components holding ``touched``.

    ``ids`` holds every end of ``links``; ``decisions`` are those in force between them.
    """
    reach = _components(id_col, ids, links, decisions)
    hit = reach.filter(pl.col(id_col).is_in(touched.implode())).get_column("cluster_id")
    region = reach.filter(pl.col("cluster_id").is_in(hit.implode())).get_column(id_col)
    return cluster_region(settings, id_col, region, links, decisions)


def _components(
    id_col: str, ids: pl.Series, links: pl.DataFrame, decisions: pl.DataFrame
) -> pl.DataFrame:
    """The connected components (``id``, ``cluster_id``) of ``links`` and must-links."""
    must = decisions.filter(pl.col("decision") == "must_link")
    return cluster(
        links,
        ids.to_frame(id_col),
        id_column=id_col,
        method="connected_components",
        decisions=must.select("id_l", "id_r", "decision") if must.height else None,
    )


def cluster_region(
    settings: Settings,
    id_col: str,
    region: pl.Series,
    links: pl.DataFrame,
    decisions: pl.DataFrame,
) -> pl.DataFrame:
    """The engine's clustering (``id``, ``__cluster``) of ``region``, a union of components.

    Clusters never cross a component of links and must-links, so those of a union of whole
    components are the batch run's.
    """
    left, right = f"{id_col}_l", f"{id_col}_r"
    inside = region.implode()
    local = decisions.filter(pl.col("id_l").is_in(inside) & pl.col("id_r").is_in(inside))
    again = cluster(
        links.filter(pl.col(left).is_in(inside) & pl.col(right).is_in(inside)),
        region,
        id_column=id_col,
        method=settings.clustering,
        guard_probability=settings.guard_probability,
        decisions=local.select("id_l", "id_r", "decision") if local.height else None,
    )
    return again.select(id_col, ("n" + pl.col("cluster_id").cast(pl.String)).alias(CLUSTER))


class Components:
    """A generation's components of links and must-links, looked up by binary search.

    ``table`` is ``id``, ``entity_id`` and ``component`` of every live record, sorted by id.
    After records arrive (and old versions go), the components holding the arriving ones lie
    within the old components that the appearing links join to them: links that disappear only
    split components. :meth:`around` gives that union of whole components.
    """

    def __init__(
        self, members: pl.DataFrame, links: pl.DataFrame, decisions: pl.DataFrame, id_col: str
    ) -> None:
        self.id_col = id_col
        ids = members.get_column(id_col)
        live = ids.implode()
        in_force = decisions.filter(pl.col("id_l").is_in(live) & pl.col("id_r").is_in(live))
        reach = _components(id_col, ids, links, in_force)
        self.table = (
            members.select(id_col, ENTITY)
            .join(
                reach.select(id_col, pl.col("cluster_id").cast(pl.String).alias("component")),
                on=id_col,
            )
            .sort(id_col)
        )
        self._ids = self.table.get_column(id_col)

    def of(self, ids: pl.Series) -> pl.DataFrame:
        """The rows of those of ``ids`` that are live records."""
        return self.table[_positions(self._ids, ids)]

    def around(self, arrived: pl.Series, fresh: pl.DataFrame, must: pl.DataFrame) -> pl.Series:
        """The ids of the old components joined to ``arrived`` by ``fresh`` links or ``must``.

        ``fresh`` (``<id>_l``, ``<id>_r``) are the links that appeared, ``must`` the
        must-links (``id_l``, ``id_r``) that came with the arriving records.
        """
        id_col = self.id_col
        left, right = f"{id_col}_l", f"{id_col}_r"
        edges = pl.concat(
            [
                fresh.select(pl.col(left).alias("a"), pl.col(right).alias("b")),
                must.select(pl.col("id_l").alias("a"), pl.col("id_r").alias("b")),
            ]
        )
        ends = pl.concat([arrived, edges.get_column("a"), edges.get_column("b")]).unique()
        # A record stands for its old component, an arriving record new to the base for itself.
        known = self.of(ends).select(pl.col(id_col).alias("id"), "component")
        node = (
            ends.to_frame("id")
            .join(known, on="id", how="left")
            .select("id", pl.col("component").fill_null(pl.col("id").cast(pl.String)).alias("node"))
        )

        def nodes_of(end: str) -> pl.Expr:
            return pl.col(end).replace_strict(node.get_column("id"), node.get_column("node"))

        graph = edges.select(
            nodes_of("a").alias("node_l"), nodes_of("b").alias("node_r"), match_probability=1.0
        )
        joined = cluster(
            graph, node.get_column("node").unique(), id_column="node", method="connected_components"
        )
        start = node.filter(pl.col("id").is_in(arrived.implode())).get_column("node")
        hit = joined.filter(pl.col("node").is_in(start.implode())).get_column("cluster_id")
        nodes = joined.filter(pl.col("cluster_id").is_in(hit.implode())).get_column("node")
        old = self.table.filter(pl.col("component").is_in(nodes.implode())).get_column(id_col)
        return pl.concat([old, arrived.filter(~arrived.is_in(old.implode()))])
