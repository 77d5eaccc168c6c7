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

import polars as pl

from crmdedup.base._naming import CLUSTER, ENTITY
from crmdedup.cluster import cluster
from crmdedup.kernels import blocking_keys, candidate_changes, score_pairs
from crmdedup.model import Model
from crmdedup.settings import Settings

__all__ = ["region_partition"]


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


def _near(keys: pl.DataFrame, id_col: str, moving: pl.Series) -> pl.DataFrame:
    """The keys ``candidate_changes`` needs: whole blocks of the records near a moving one.

    These are every block of every record sharing a block with a moving record.

    A pair can only appear or disappear in a block holding a moving record, and whether it is
    a candidate, and which rule owns it, depends on the other blocks holding both its records:
    those are blocks of records of a touched block, kept whole so that their sizes (and the
    cap) are those of the full table.
    """
    touched = keys.join(moving.to_frame(id_col), on=id_col, how="semi").select("rule", "key")
    neighbours = keys.join(touched.unique(), on=["rule", "key"], how="semi").select(id_col)
    blocks = keys.join(neighbours.unique(), on=id_col, how="semi").select("rule", "key")
    return keys.join(blocks.unique(), on=["rule", "key"], how="semi")


def _changes(
    keys: pl.DataFrame, settings: Settings, id_col: str, moving: pl.Series, status: str
) -> pl.DataFrame:
    left, right = f"{id_col}_l", f"{id_col}_r"
    near = _near(keys, id_col, moving) if moving.len() else keys.clear()
    if near.height == 0:
        dtype = keys.schema[id_col]
        return pl.DataFrame(schema={left: dtype, right: dtype, "change": pl.String})
    return candidate_changes(
        _status(near, id_col, moving, status), settings, id_column=id_col
    ).select(left, right, "change")


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
    left, right = f"{id_col}_l", f"{id_col}_r"
    before = old_records.get_column(id_col)
    after = records.get_column(id_col)
    removed = before.filter(~before.is_in(after.implode())).append(changed)
    arriving = records.filter(
        ~pl.col(id_col).is_in(before.implode()) | pl.col(id_col).is_in(changed.implode())
    )
    # Deletions and old versions first, then insertions and new versions.
    first = _changes(old_keys, settings, id_col, removed, "removed")
    kept_keys = old_keys.filter(~pl.col(id_col).is_in(removed.implode()))
    new_keys = blocking_keys(
        arriving.select(old_records.columns).drop("_first_gen"),
        settings,
        id_column=id_col,
        threads=threads,
    )
    arrived = arriving.get_column(id_col)
    middle = pl.concat([kept_keys, new_keys.select(kept_keys.columns)])
    second = _changes(middle, settings, id_col, arrived, "inserted")
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
    if came.height:
        ends = came.get_column(left).append(came.get_column(right)).unique()
        scored = score_pairs(
            records.filter(pl.col(id_col).is_in(ends.implode())).drop("_first_gen"),
            came,
            settings,
            model,
            id_column=id_col,
            tf_tables=tf,
            threads=threads,
        ).select(left, right, "match_probability", "match_weight")
        fresh = scored.filter(pl.col("match_probability") >= settings.threshold)
    else:
        fresh = links.clear()
    links = pl.concat([links, fresh.select(links.columns)])
    touched = pl.concat(
        [
            arrived,
            dropped.get_column(left),
            dropped.get_column(right),
            fresh.get_column(left),
            fresh.get_column(right),
            *_decision_ids(old_decisions, decisions),
        ]
    )
    touched = touched.filter(touched.is_in(after.implode())).unique()
    clusters = _recluster(settings, id_col, records, links, decisions, old_members, touched)
    return clusters, links, middle


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
    left, right = f"{id_col}_l", f"{id_col}_r"
    ids = records.select(id_col)
    kept = old_members.select(id_col, ("o" + pl.col(ENTITY)).alias(CLUSTER))
    if touched.len() == 0:
        return kept
    must = decisions.filter(pl.col("decision") == "must_link")
    reach = cluster(
        links,
        ids,
        id_column=id_col,
        method="connected_components",
        decisions=must.select("id_l", "id_r", "decision") if must.height else None,
    )
    hit = reach.filter(pl.col(id_col).is_in(touched.implode())).get_column("cluster_id")
    region = reach.filter(pl.col("cluster_id").is_in(hit.implode())).get_column(id_col)
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
    fresh = again.select(id_col, ("n" + pl.col("cluster_id").cast(pl.String)).alias(CLUSTER))
    return pl.concat([kept.join(fresh.select(id_col), on=id_col, how="anti"), fresh])
