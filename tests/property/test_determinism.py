"""The same records in any row order, with any thread count, give the same answer."""

from __future__ import annotations

import polars as pl

import crmdedup


def test_row_order_and_threads_change_nothing() -> None:
    # 20,000 rows: guarded clustering once counted pending links by union-find roots, which
    # follow row positions, and two groups merged in one order but not in another.
    df = crmdedup.datasets.generate_contacts(20_000, seed=3).drop("entity_id")
    a = crmdedup.dedupe(df, id_column="record_id", threads=2)
    b = crmdedup.dedupe(
        df.sample(fraction=1.0, shuffle=True, seed=9), id_column="record_id", threads=1
    )
    assert a.settings == b.settings
    assert a.model.to_json() == b.model.to_json()
    assert a.clusters.sort("record_id").equals(b.clusters.sort("record_id"))
    ids = ["record_id_l", "record_id_r"]
    pa, pb = a.pairs.sort(ids), b.pairs.sort(ids)
    assert pa.select(ids).equals(pb.select(ids))
    # Weights agree up to the order of floating-point additions.
    assert (pa["match_weight"] - pb["match_weight"]).abs().max() < 1e-9  # type: ignore[operator]


def test_link_sides_shuffled_change_nothing() -> None:
    df = crmdedup.datasets.generate_contacts(6_000, seed=4).drop("entity_id")
    left, right = df.head(3_000), df.tail(3_000)
    a = crmdedup.link(left, right, id_column="record_id")
    b = crmdedup.link(
        left.sample(fraction=1.0, shuffle=True, seed=1),
        right.sample(fraction=1.0, shuffle=True, seed=2),
        id_column="record_id",
    )
    key = ["source_dataset", "record_id"]
    assert a.clusters.sort(key).equals(b.clusters.sort(key))
    assert a.model.to_json() == b.model.to_json()
    pairs = a.pairs.select("record_id_l", "record_id_r").sort(pl.all())
    assert pairs.equals(b.pairs.select("record_id_l", "record_id_r").sort(pl.all()))
