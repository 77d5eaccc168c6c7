"""Steward decisions: honoured by the engine's clustering in dedupe, link and review."""

from __future__ import annotations

import polars as pl
import pytest

import crmdedup
from crmdedup import SchemaError
from crmdedup.cli._decisions import (
    apply_decisions,
    empty_decisions,
    near_threshold,
    with_decision,
)


def _together(clusters: pl.DataFrame, id_column: str, a: object, b: object) -> bool:
    of = dict(clusters.select(id_column, "cluster_id").iter_rows())
    return bool(of[a] == of[b])


def test_dedupe_honours_decisions_inside_the_clustering() -> None:
    sample = crmdedup.datasets.load_sample()
    plain = crmdedup.dedupe(sample, id_column="record_id")
    pair = plain.pairs.sort("match_probability", "record_id_l").row(-1, named=True)
    a, b = pair["record_id_l"], pair["record_id_r"]
    # Two records that no pair links: a must-link puts them (and their clusters) together.
    lone = plain.clusters.filter(pl.col("cluster_size") == 1)["record_id"].head(2).to_list()
    decisions = pl.DataFrame(
        {
            "id_l": [a, lone[0]],
            "id_r": [b, lone[1]],
            "decision": ["cannot_link", "must_link"],
        }
    )
    assert _together(plain.clusters, "record_id", a, b)
    out = crmdedup.dedupe(
        sample, id_column="record_id", model=plain.model, decisions=decisions
    ).clusters
    assert not _together(out, "record_id", a, b)
    assert _together(out, "record_id", lone[0], lone[1])
    # Everything else stays as it was: the clusters away from both decisions are unchanged.
    touched = out.filter(
        pl.col("record_id").is_in([a, b, *lone]).any().over("cluster_id")
        | pl.col("record_id").is_in([a, b, *lone])
    )
    rest = out.join(touched.select("record_id"), on="record_id", how="anti")
    before = plain.clusters.join(touched.select("record_id"), on="record_id", how="anti")
    assert rest.equals(before)


def test_conflicting_decisions_are_refused_naming_the_pair() -> None:
    df = pl.DataFrame({"id": ["a", "b", "c"], "email": ["a@x.fr", "b@x.fr", "c@x.fr"]})
    decisions = pl.DataFrame(
        {
            "id_l": ["a", "b", "a"],
            "id_r": ["b", "c", "c"],
            "decision": ["must_link", "must_link", "cannot_link"],
        }
    )
    with pytest.raises(SchemaError, match=r"`a`.*`c`"):
        crmdedup.dedupe(df, id_column="id", decisions=decisions)


def test_link_reads_left_and_right_ids_in_decisions() -> None:
    left = pl.DataFrame({"id": [1, 2], "email": ["a@x.fr", "b@y.fr"], "last_name": ["Roy", "Ba"]})
    right = pl.DataFrame({"id": [1, 2], "email": ["A@X.fr", "c@z.fr"], "last_name": ["Roy", "Li"]})
    plain = crmdedup.link(left, right, id_column="id")
    assert plain.pairs.select("id_l", "id_r").rows() == [(1, 1)]
    cannot = pl.DataFrame({"id_l": [1], "id_r": [1], "decision": ["cannot_link"]})
    out = crmdedup.link(left, right, id_column="id", decisions=cannot).clusters
    assert out.group_by("cluster_id").len()["len"].max() == 1
    must = pl.DataFrame({"id_l": [2], "id_r": [2], "decision": ["must_link"]})
    out = crmdedup.link(left, right, id_column="id", decisions=must).clusters
    sizes = out.group_by("cluster_id").len()["len"].sort().to_list()
    assert sizes == [2, 2]


def test_a_must_link_between_two_clusters_merges_them_whole() -> None:
    clusters = pl.DataFrame({"id": ["a", "b", "c", "d"], "cluster_id": ["a", "a", "c", "c"]})
    pairs = pl.DataFrame(
        {"id_l": ["a", "c"], "id_r": ["b", "d"], "match_probability": [0.99, 0.98]}
    )
    d = with_decision(empty_decisions(), "b", "c", "must_link")
    out, counts = apply_decisions(clusters, pairs, d, id_column="id")
    assert out["cluster_id"].to_list() == ["a", "a", "a", "a"]
    assert counts == {"must_link": 1, "cannot_link": 0, "split_clusters": 0}


def test_a_decided_pair_with_integer_ids_is_not_offered_again() -> None:
    # The decisions file holds ids as text, where "10" sorts before "9".
    pairs = pl.DataFrame(
        {"id_l": [9], "id_r": [10], "match_weight": [0.5], "match_probability": [0.6]}
    )
    decided = with_decision(empty_decisions(), 9, 10, "must_link")
    assert near_threshold(pairs, 0.5, decisions=decided, id_column="id").height == 0
