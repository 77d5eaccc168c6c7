"""The clustering kernel `crmdedup._core.cluster`: ids, scored pairs and steward decisions in.

Every expected partition below is worked out by hand from the pairs and decisions of the test.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

import crmdedup
from crmdedup import SchemaError, _core


def pairs_frame(rows: list[tuple[Any, Any, float]], dtype: Any = pl.String) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"id_l": dtype, "id_r": dtype, "match_probability": pl.Float64},
        orient="row",
    )


def decisions(rows: list[tuple[Any, Any]], dtype: Any = pl.String) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"id_l": dtype, "id_r": dtype}, orient="row")


def clusters(ids: pl.DataFrame, pairs: pl.DataFrame, **kwargs: Any) -> pl.DataFrame:
    return pl.DataFrame(_core.cluster(ids, pairs, id_column="id", **kwargs))


def partition(out: pl.DataFrame) -> set[frozenset[Any]]:
    grouped = out.group_by("cluster_id").agg(pl.col("id"))
    return {frozenset(g) for g in grouped["id"].to_list()}


RECORDS = pl.DataFrame({"id": ["d", "a", "c", "b", "e"]})
# a - b - c is a chain (a-b strong, b-c weaker); d and e stand alone.
CHAIN = pairs_frame([("a", "b", 0.99), ("b", "c", 0.95)])


def test_string_ids_cluster_in_input_order_named_after_the_smallest_id() -> None:
    out = clusters(RECORDS, CHAIN, method="connected_components")
    assert out.columns == ["id", "cluster_id", "cluster_size"]
    assert out["id"].to_list() == ["d", "a", "c", "b", "e"]
    assert out["cluster_id"].to_list() == ["d", "a", "a", "a", "e"]
    assert out["cluster_size"].to_list() == [1, 3, 3, 3, 1]


def test_integer_ids() -> None:
    records = pl.DataFrame({"id": [30, 10, 20, 40]})
    pairs = pairs_frame([(40, 20, 0.97)], dtype=pl.Int64)
    out = clusters(records, pairs)
    assert partition(out) == {frozenset({30}), frozenset({10}), frozenset({20, 40})}
    assert out["cluster_id"].to_list() == [30, 10, 20, 20]


@pytest.mark.parametrize("method", ["guarded", "connected_components"])
def test_a_cannot_link_splits_a_chain_at_its_weaker_link(method: str) -> None:
    cannot = decisions([("c", "a")])
    out = clusters(RECORDS, CHAIN, method=method, cannot_link=cannot)
    # a-b (0.99) is joined first; b-c would put a and c together, so it is refused.
    assert partition(out) == {
        frozenset({"a", "b"}),
        frozenset({"c"}),
        frozenset({"d"}),
        frozenset({"e"}),
    }


def test_guarded_clustering_keeps_a_weak_link_from_chaining() -> None:
    # a-b joins two lone records; b-c (0.95, under the guard) would join a pair to c: refused.
    out = clusters(RECORDS, CHAIN, method="guarded", guard=0.999)
    assert partition(out) == {
        frozenset({"a", "b"}),
        frozenset({"c"}),
        frozenset({"d"}),
        frozenset({"e"}),
    }


def test_a_weak_link_given_twice_is_one_link() -> None:
    # b-c written both ways is one link under the guard: c stays apart from {a, b}; a second
    # weak link from another record of the group (a-c) joins it.
    twice = pairs_frame([("a", "b", 0.99), ("b", "c", 0.95), ("c", "b", 0.95)])
    out = clusters(RECORDS, twice, method="guarded", guard=0.999)
    assert frozenset({"c"}) in partition(out)
    second = pairs_frame([("a", "b", 0.99), ("b", "c", 0.95), ("a", "c", 0.95)])
    out = clusters(RECORDS, second, method="guarded", guard=0.999)
    assert frozenset({"a", "b", "c"}) in partition(out)


@pytest.mark.parametrize("method", ["guarded", "connected_components"])
def test_a_must_link_joins_two_singletons(method: str) -> None:
    must = decisions([("e", "d")])
    # A guard under every probability: guarded joins what connected components join.
    out = clusters(RECORDS, CHAIN, method=method, guard=0.9, must_link=must)
    assert partition(out) == {frozenset({"a", "b", "c"}), frozenset({"d", "e"})}
    assert out.filter(pl.col("id") == "e")["cluster_id"].item() == "d"


def test_decisions_on_records_no_longer_present_are_ignored() -> None:
    must = decisions([("a", "gone"), ("zz", "yy")])
    cannot = decisions([("gone", "b")])
    out = clusters(
        RECORDS, CHAIN, method="connected_components", must_link=must, cannot_link=cannot
    )
    assert partition(out) == {frozenset({"a", "b", "c"}), frozenset({"d"}), frozenset({"e"})}


def test_integer_ids_take_decisions_written_as_text() -> None:
    records = pl.DataFrame({"id": [1, 2, 3]})
    pairs = pairs_frame([(1, 2, 0.99), (2, 3, 0.98)], dtype=pl.Int64)
    out = clusters(records, pairs, cannot_link=decisions([("1", "3")]))
    assert partition(out) == {frozenset({1, 2}), frozenset({3})}


def test_columns_of_the_pairs_can_be_named() -> None:
    pairs = CHAIN.rename({"id_l": "x", "id_r": "y", "match_probability": "p"})
    out = clusters(
        RECORDS, pairs, left="x", right="y", probability="p", method="connected_components"
    )
    assert partition(out) == {frozenset({"a", "b", "c"}), frozenset({"d"}), frozenset({"e"})}


def test_a_pair_naming_an_unknown_id_is_an_error_naming_it_and_its_row() -> None:
    pairs = pairs_frame([("a", "b", 0.99), ("c", "zz", 0.95)])
    with pytest.raises(SchemaError) as error:
        clusters(RECORDS, pairs)
    assert str(error.value) == (
        'id "zz" in column `id_r` at row 2 of the pairs (counting from 1) '
        "is not among the records' ids"
    )


def test_must_links_forcing_a_cannot_link_pair_together_are_an_error() -> None:
    must = decisions([("a", "d"), ("d", "e")])
    cannot = decisions([("e", "a")])
    with pytest.raises(SchemaError) as error:
        clusters(RECORDS, CHAIN, must_link=must, cannot_link=cannot)
    message = str(error.value)
    assert message.startswith("decisions conflict: cannot-link `a` and `e`")
    assert "must-link chain `a`, `d`, `e`" in message
    assert "\nhint: " in message


def test_a_missing_column_or_method_is_named() -> None:
    with pytest.raises(SchemaError, match="`id_l`"):
        clusters(RECORDS, CHAIN, must_link=pl.DataFrame({"a": ["a"], "b": ["b"]}))
    with pytest.raises(ValueError, match="`nearest`"):
        clusters(RECORDS, CHAIN, method="nearest")


def test_a_run_honours_decisions(contacts: pl.DataFrame) -> None:
    settings = crmdedup.infer_settings(contacts).to_json()

    def cluster_of(run: _core.Run) -> dict[str, str]:
        out = pl.DataFrame(run.clusters)
        return dict(zip(out["id"].to_list(), out["cluster_id"].to_list(), strict=True))

    plain = cluster_of(_core.dedupe(contacts, settings, id_column="id"))
    assert plain["a1"] == plain["a3"]
    assert plain["c1"] != plain["d1"]
    decided = cluster_of(
        _core.dedupe(
            contacts,
            settings,
            id_column="id",
            must_link=decisions([("d1", "c1")]),
            cannot_link=decisions([("a3", "a1"), ("gone", "a2")]),
        )
    )
    assert decided["a1"] != decided["a3"]
    assert decided["c1"] == decided["d1"] == "c1"
    assert decided["b1"] == decided["b2"]


def test_public_cluster_reproduces_the_clusters_of_a_run() -> None:
    sample = crmdedup.datasets.load_sample()
    result = crmdedup.dedupe(sample, id_column="record_id")
    again = crmdedup.cluster(
        result.pairs,
        sample,
        id_column="record_id",
        method=result.settings.clustering,
        guard_probability=result.settings.guard_probability,
    )
    assert again.equals(result.clusters.select(again.columns))


def test_public_cluster_threshold_and_decisions() -> None:
    pairs = pairs_frame([("a", "b", 0.99), ("b", "c", 0.4), ("c", "d", 0.98)])
    out = crmdedup.cluster(pairs, ["a", "b", "c", "d"], id_column="id", threshold=0.5)
    assert partition(out) == {frozenset("ab"), frozenset("cd")}
    must = pl.DataFrame({"id_l": ["b"], "id_r": ["c"], "decision": ["must_link"]})
    out = crmdedup.cluster(
        pairs, ["a", "b", "c", "d"], id_column="id", threshold=0.5, decisions=must
    )
    assert partition(out) == {frozenset("abcd")}


def test_public_cluster_names_a_bad_decision_by_its_row() -> None:
    bad = pl.DataFrame({"id_l": ["a", "b"], "id_r": ["b", "c"], "decision": ["must_link", "maybe"]})
    with pytest.raises(SchemaError, match=r"row 2: decision 'maybe'"):
        crmdedup.cluster(CHAIN, RECORDS, id_column="id", decisions=bad)
