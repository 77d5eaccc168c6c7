"""Kernels: blocking keys, scoring given pairs and candidate changes equal a batch run's."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import polars as pl
import pytest

import crmdedup
from crmdedup import BlockingRule, Comparison, ConfigError, SchemaError, Settings
from tests._helpers import block_pairs

ID = "record_id"
PAIR = [f"{ID}_l", f"{ID}_r"]
VECTORS = Path(__file__).parents[1] / "data" / "key_hashes.csv"


@pytest.fixture(scope="module")
def settings(sample: pl.DataFrame) -> Settings:
    s = crmdedup.infer_settings(sample)
    assert any(c.term_frequency for c in s.comparisons)  # else the TF case proves nothing
    assert len(s.blocking_rules) >= 2
    return s


@pytest.fixture(scope="module")
def run(sample: pl.DataFrame, settings: Settings) -> crmdedup.DedupeResult:
    return crmdedup.dedupe(sample, settings, id_column=ID)


def raw_settings(n_parts: int) -> Settings:
    """Settings whose one rule's key parts are the values of columns p1.. as given."""
    columns = [f"p{i + 1}" for i in range(n_parts)]
    return Settings(
        comparisons=tuple(Comparison(c, method="exact", normalizer="raw") for c in columns),
        blocking_rules=(BlockingRule(tuple(columns)),),
    )


def test_key_hashes_match_the_shared_vectors() -> None:
    with VECTORS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 10
    for i, row in enumerate(rows):
        parts = [row[k] for k in ("part_1", "part_2", "part_3") if row[k]]
        frame = pl.DataFrame({"id": [i]} | {f"p{j + 1}": [p] for j, p in enumerate(parts)})
        keys = crmdedup.blocking_keys(frame, raw_settings(len(parts)), id_column="id")
        assert keys["key"].to_list() == [int(row["key_hash"])], parts


def test_keys_group_records_as_the_batch_blocks(
    sample: pl.DataFrame, settings: Settings, run: crmdedup.DedupeResult
) -> None:
    keys = crmdedup.blocking_keys(sample, settings, id_column=ID)
    assert keys.schema == pl.Schema(
        {ID: pl.String, "rule": pl.UInt32, "key": pl.UInt64, "order": pl.UInt64}
    )
    assert (keys["key"] % 2 == 1).all()
    assert keys.select(ID, "rule").is_unique().all()
    # The blocks within the cap, ordered by (order, id), each record paired with the next
    # `pairs_per_record`: the run's candidate pairs per rule.
    window = 3
    settings = settings.with_(pairs_per_record=window)
    run = crmdedup.dedupe(sample, settings, id_column=ID)
    assert run.report["windowed_blocks"] > 0
    per_rule = block_pairs(keys, settings, ID).group_by("rule").len().sort("rule")
    want = run.report["pairs_per_rule"]
    got = dict(per_rule.iter_rows())
    assert [got.get(r, 0) for r in range(len(settings.blocking_rules))] == want
    sizes = keys.group_by("rule", "key").agg(pl.len().alias("n"))
    skipped = sizes.filter(pl.col("n") > settings.max_block_size)
    assert skipped.height == run.report["skipped_blocks_total"]


def test_keys_do_not_depend_on_threads_or_row_order(
    sample: pl.DataFrame, settings: Settings
) -> None:
    a = crmdedup.blocking_keys(sample, settings, id_column=ID, threads=1)
    shuffled = sample.sample(fraction=1.0, shuffle=True, seed=5)
    b = crmdedup.blocking_keys(shuffled, settings, id_column=ID, threads=2)
    assert a.sort(ID, "rule").equals(b.sort(ID, "rule"))


def test_a_null_key_part_gives_no_row() -> None:
    frame = pl.DataFrame({"id": [1, 2, 3], "p1": ["a", None, "a"], "p2": ["x", "x", ""]})
    keys = crmdedup.blocking_keys(frame, raw_settings(2), id_column="id")
    assert keys["id"].to_list() == [1]


@pytest.mark.parametrize("frozen", [False, True])
def test_rescored_batch_pairs_equal_the_batch_bit_for_bit(
    sample: pl.DataFrame, settings: Settings, run: crmdedup.DedupeResult, frozen: bool
) -> None:
    # Frozen tables of other data: the weights change, and both sides must change alike.
    tf = crmdedup.tf_tables(sample.head(sample.height // 2), settings) if frozen else None
    batch = crmdedup.dedupe(sample, settings, id_column=ID, model=run.model, tf_tables=tf)
    assert batch.pairs.height > 100
    again = crmdedup.score_pairs(
        sample, batch.pairs.select(PAIR), settings, run.model, id_column=ID, tf_tables=tf
    )
    assert again.schema == batch.pairs.schema
    assert again.equals(batch.pairs)  # bit for bit, every level and weight
    if frozen:
        assert not again["match_weight"].equals(run.pairs["match_weight"])


def test_pairs_keep_their_order_and_orientation(
    sample: pl.DataFrame, settings: Settings, run: crmdedup.DedupeResult
) -> None:
    pairs = run.pairs.select(PAIR).reverse()
    flipped = pairs.select(pl.col(PAIR[1]).alias("a"), pl.col(PAIR[0]).alias("b"))
    out = crmdedup.score_pairs(
        sample, flipped, settings, run.model, id_column=ID, left="a", right="b", threads=1
    )
    assert out[PAIR[0]].equals(flipped["a"], check_names=False)
    assert out["match_weight"].equals(run.pairs["match_weight"].reverse())


def test_pairs_below_the_threshold_and_across_no_block_are_scored(
    sample: pl.DataFrame, settings: Settings, run: crmdedup.DedupeResult
) -> None:
    ids = sample[ID]
    pairs = pl.DataFrame({PAIR[0]: ids.head(50), PAIR[1]: ids.tail(50)})
    out = crmdedup.score_pairs(sample, pairs, settings, run.model, id_column=ID)
    assert out.height == 50
    assert (out["match_probability"] < settings.threshold).any()


def test_score_pairs_refuses_bad_input(
    sample: pl.DataFrame, settings: Settings, run: crmdedup.DedupeResult
) -> None:
    ids = sample[ID].to_list()

    def score(pairs: pl.DataFrame, data: pl.DataFrame = sample) -> pl.DataFrame:
        return crmdedup.score_pairs(data, pairs, settings, run.model, id_column=ID)

    with pytest.raises(SchemaError, match=r"id \"nope\" in column `record_id_r` at row 2"):
        score(pl.DataFrame({PAIR[0]: ids[:2], PAIR[1]: [ids[2], "nope"]}))
    with pytest.raises(SchemaError, match=r"`record_id_r` at row 1.*twice"):
        score(pl.DataFrame({PAIR[0]: ids[:1], PAIR[1]: ids[:1]}))
    with pytest.raises(SchemaError, match="`record_id_l` is missing"):
        score(pl.DataFrame({"a": ids[:1], PAIR[1]: ids[1:2]}))
    with pytest.raises(SchemaError, match=r"`record_id_l`.*null id"):
        score(
            pl.DataFrame(
                {PAIR[0]: [None], PAIR[1]: ids[1:2]}, schema_overrides={PAIR[0]: pl.String}
            )
        )
    with pytest.raises(SchemaError, match=r"`record_id_l` has type LargeList"):
        score(pl.DataFrame({PAIR[0]: [[1]], PAIR[1]: ids[1:2]}))
    duplicated = pl.concat([sample, sample.head(1)])
    with pytest.raises(SchemaError, match=r"duplicate.*`record_id`"):
        score(run.pairs.select(PAIR), duplicated)
    with pytest.raises(ConfigError, match="`model`"):
        crmdedup.score_pairs(sample, run.pairs, settings, "model", id_column=ID)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="`settings` are required"):
        crmdedup.score_pairs(sample, run.pairs, None, run.model, id_column=ID)  # type: ignore[arg-type]
    other = Settings(comparisons=settings.comparisons[:1], blocking_rules=settings.blocking_rules)
    with pytest.raises(ConfigError, match="model does not fit"):
        crmdedup.score_pairs(sample, run.pairs, other, run.model, id_column=ID)


def statuses(keys: pl.DataFrame, status: dict[str, str]) -> pl.DataFrame:
    return keys.with_columns(status=pl.col(ID).replace_strict(status, default="unchanged"))


def test_candidate_changes_on_a_split_equal_two_batch_runs(
    sample: pl.DataFrame, settings: Settings, run: crmdedup.DedupeResult
) -> None:
    # Every candidate pair is reported, and a small cap makes blocks cross it.
    everything = dataclasses.replace(settings, threshold=1e-300, max_block_size=6)
    ids = sample[ID].to_list()
    removed, inserted = set(ids[::7]), set(ids[3::11]) - set(ids[::7])
    before = sample.filter(~pl.col(ID).is_in(list(inserted)))
    after = sample.filter(~pl.col(ID).is_in(list(removed)))

    def candidates(data: pl.DataFrame) -> set[tuple[str, str]]:
        result = crmdedup.dedupe(data, everything, id_column=ID, model=run.model)
        return set(result.pairs.select(PAIR).iter_rows())

    old, new = candidates(before), candidates(after)
    keys = statuses(
        crmdedup.blocking_keys(sample, everything, id_column=ID),
        {i: "removed" for i in removed} | {i: "inserted" for i in inserted},
    )
    changes = crmdedup.candidate_changes(keys, everything, id_column=ID)
    assert changes.columns == [*PAIR, "change", "rule"]
    got = {(c, (a, b)) for a, b, c, _ in changes.iter_rows()}
    want = {("removed", p) for p in old - new} | {("added", p) for p in new - old}
    assert got == want
    assert {"added", "removed"} <= {c for c, _ in got}


def test_candidate_changes_refuses_bad_keys(sample: pl.DataFrame, settings: Settings) -> None:
    keys = statuses(crmdedup.blocking_keys(sample.head(20), settings, id_column=ID), {})
    with pytest.raises(SchemaError, match=r"`status` at row 1 of the keys.*\"new\""):
        crmdedup.candidate_changes(keys.with_columns(status=pl.lit("new")), settings, id_column=ID)
    mixed = keys.with_row_index().with_columns(
        status=pl.when(pl.col("index") == 0).then(pl.lit("inserted")).otherwise("status")
    )
    first = keys[ID][0]
    if keys.filter(pl.col(ID) == first).height > 1:
        with pytest.raises(SchemaError, match="two statuses"):
            crmdedup.candidate_changes(mixed.drop("index"), settings, id_column=ID)
    with pytest.raises(SchemaError, match=r"`rule`.*does not exist"):
        crmdedup.candidate_changes(
            keys.with_columns(rule=pl.lit(99, pl.UInt32)), settings, id_column=ID
        )
    with pytest.raises(SchemaError, match="two keys under rule"):
        crmdedup.candidate_changes(pl.concat([keys, keys.head(1)]), settings, id_column=ID)
    with pytest.raises(SchemaError, match="`status` is missing"):
        crmdedup.candidate_changes(keys.drop("status"), settings, id_column=ID)


def test_an_id_column_named_like_a_keys_column_is_refused() -> None:
    frame = pl.DataFrame({"order": ["a", "b"], "p1": ["x", "x"]})
    with pytest.raises(ConfigError, match="`order`"):
        crmdedup.blocking_keys(frame, raw_settings(1), id_column="order")
