"""crmdedup.spark gives one machine's answer: the same clusters, pairs, weights and report."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

import crmdedup
from crmdedup import spark as cs

pytestmark = pytest.mark.spark


def to_spark(spark: Any, df: pl.DataFrame, partitions: int) -> Any:
    import pyarrow as pa

    table = df.to_arrow()
    plain = pa.schema(
        [
            (
                f.name,
                pa.string()
                if pa.types.is_string_view(f.type) or pa.types.is_large_string(f.type)
                else f.type,
            )
            for f in table.schema
        ]
    )
    return spark.createDataFrame(table.cast(plain)).repartition(partitions)


def collect(frame: Any) -> pl.DataFrame:
    return pl.DataFrame(pl.from_arrow(frame.toArrow()))


def oriented(pairs: pl.DataFrame, id_column: str) -> pl.DataFrame:
    left, right = f"{id_column}_l", f"{id_column}_r"
    return pairs.select(
        pl.min_horizontal(left, right).alias("a"),
        pl.max_horizontal(left, right).alias("b"),
        pl.exclude(left, right),
    ).sort("a", "b")


def assert_same_answer(
    local: crmdedup.DedupeResult, res: cs.SparkDedupeResult, id_column: str
) -> None:
    want = local.clusters.sort(id_column).with_columns(pl.col("cluster_size").cast(pl.Int64))
    got = collect(res.clusters).sort(id_column).with_columns(pl.col("cluster_size").cast(pl.Int64))
    assert got.equals(want)
    mine = oriented(collect(res.pairs), id_column)
    theirs = oriented(local.pairs, id_column).select(mine.columns)
    assert mine.height == theirs.height == local.report["matched_pairs"]
    # Bit for bit: the same kernels over the same records, model and global TF tables.
    assert mine.select("a", "b", "match_weight").equals(theirs.select("a", "b", "match_weight"))
    # And every other column: probabilities, levels and per-comparison weights.
    assert mine.equals(theirs.cast(dict(mine.schema)))
    for key in (
        "rows",
        "candidate_pairs",
        "pairs_per_rule",
        "skipped_blocks_total",
        "windowed_blocks",
        "matched_pairs",
    ):
        assert res.report[key] == local.report[key], key


@pytest.fixture(scope="module")
def contacts_10k() -> tuple[pl.DataFrame, crmdedup.DedupeResult]:
    df = crmdedup.datasets.generate_contacts(10_000, seed=3).drop("entity_id")
    return df, crmdedup.dedupe(df, id_column="record_id")


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_10k_equals_one_machine_whatever_the_partitions(
    spark: Any, contacts_10k: tuple[pl.DataFrame, crmdedup.DedupeResult], partitions: int
) -> None:
    df, local = contacts_10k
    assert any(c.term_frequency for c in local.settings.comparisons)
    res = cs.dedupe(
        to_spark(spark, df, partitions), local.settings, model=local.model, id_column="record_id"
    )
    assert res.report["clustering"] == "driver"
    assert_same_answer(local, res, "record_id")


def test_a_narrow_window_pairs_records_as_one_machine(
    spark: Any, contacts_10k: tuple[pl.DataFrame, crmdedup.DedupeResult]
) -> None:
    df, first = contacts_10k
    settings = first.settings.with_(pairs_per_record=2)
    local = crmdedup.dedupe(df, settings, model=first.model, id_column="record_id")
    assert local.report["windowed_blocks"] > 0
    res = cs.dedupe(to_spark(spark, df, 3), settings, model=first.model, id_column="record_id")
    assert_same_answer(local, res, "record_id")


def test_clustering_in_spark_sql_equals_the_driver(
    spark: Any, contacts_10k: tuple[pl.DataFrame, crmdedup.DedupeResult]
) -> None:
    df, local = contacts_10k
    res = cs.dedupe(
        to_spark(spark, df, 3),
        local.settings,
        model=local.model,
        id_column="record_id",
        driver_edge_limit=0,
    )
    assert res.report["clustering"] == "spark" and res.report["rounds"] >= 2
    assert_same_answer(local, res, "record_id")


def test_100k_equals_one_machine(spark: Any) -> None:
    # One partition count at this size (the 10k tests take 1, 3 and 8): CI's time budget.
    partitions = 3
    df = crmdedup.datasets.generate_contacts(100_000, seed=5).drop("entity_id")
    local = crmdedup.dedupe(df, id_column="record_id")
    res = cs.dedupe(
        to_spark(spark, df, partitions), local.settings, model=local.model, id_column="record_id"
    )
    assert_same_answer(local, res, "record_id")


def test_term_frequency_tables_add_up_over_partitions(
    spark: Any, contacts_10k: tuple[pl.DataFrame, crmdedup.DedupeResult]
) -> None:
    df, local = contacts_10k
    got = cs.tf_tables(to_spark(spark, df, 5), local.settings, id_column="record_id")
    want = crmdedup.tf_tables(df, local.settings).sort("comparison", "value", nulls_last=False)
    assert got.equals(want)


def test_a_giant_block_is_reported_not_expanded(spark: Any) -> None:
    n = 5_000
    df = pl.DataFrame(
        {
            "id": list(range(n + 4)),
            "email": ["info@example.com"] * n + ["a@x.fr", "a@x.fr", "b@y.fr", None],
            "last_name": [f"name{i}" for i in range(n)] + ["Roy", "Roy", "Ba", "Ba"],
        }
    )
    settings = crmdedup.Settings(
        comparisons=(
            crmdedup.Comparison("email", method="exact", normalizer="email"),
            crmdedup.Comparison("last_name", normalizer="name"),
        ),
        blocking_rules=(crmdedup.BlockingRule(("email",)), crmdedup.BlockingRule(("last_name",))),
        max_block_size=50,
    )
    local = crmdedup.dedupe(df, settings, id_column="id")
    res = cs.dedupe(to_spark(spark, df, 4), settings, model=local.model, id_column="id")
    assert res.report["skipped_blocks_total"] == 1
    (block,) = res.report["skipped_blocks"]
    assert (block["rule"], block["size"], block["example_id"]) == (0, n, 0)
    keys = crmdedup.blocking_keys(df, settings, id_column="id")
    assert block["key"] == keys.filter(pl.col("id") == 0, pl.col("rule") == 0)["key"].item()
    assert res.report["candidate_pairs"] == 2  # (n, n+1) by email, (n+2, n+3) by surname
    assert_same_answer(local, res, "id")


def test_bad_input_is_named(spark: Any) -> None:
    df = pl.DataFrame({"id": ["a", "b", "a"], "email": ["x@y.fr", None, "z@y.fr"]})
    settings = crmdedup.Settings(
        comparisons=(crmdedup.Comparison("email", method="exact", normalizer="email"),),
        blocking_rules=(crmdedup.BlockingRule(("email",)),),
    )
    model = crmdedup.dedupe(df.unique("id"), settings, id_column="id").model
    with pytest.raises(crmdedup.SchemaError, match="id 'a' is not unique"):
        cs.dedupe(to_spark(spark, df, 2), settings, model=model, id_column="id")
    with pytest.raises(crmdedup.SchemaError, match="missing column `email`"):
        cs.dedupe(
            to_spark(spark, df.select("id").unique(), 2), settings, model=model, id_column="id"
        )
    with pytest.raises(crmdedup.SchemaError, match="no id column `key`"):
        cs.dedupe(to_spark(spark, df, 2), settings, model=model, id_column="key")


def test_no_records_and_no_pairs(spark: Any) -> None:
    from pyspark.sql import types as T

    settings = crmdedup.Settings(
        comparisons=(crmdedup.Comparison("email", method="exact", normalizer="email"),),
        blocking_rules=(crmdedup.BlockingRule(("email",)),),
    )
    df = pl.DataFrame({"id": ["a", "b"], "email": ["x@y.fr", "z@y.fr"]})
    model = crmdedup.dedupe(df, settings, id_column="id").model
    schema = T.StructType(
        [T.StructField("id", T.StringType()), T.StructField("email", T.StringType())]
    )
    empty = cs.dedupe(spark.createDataFrame([], schema), settings, model=model, id_column="id")
    assert (empty.report["rows"], empty.report["candidate_pairs"]) == (0, 0)
    assert empty.clusters.count() == 0 and empty.pairs.count() == 0
    apart = cs.dedupe(to_spark(spark, df, 2), settings, model=model, id_column="id")
    assert apart.report["candidate_pairs"] == 0
    assert collect(apart.clusters).sort("id")["cluster_id"].to_list() == ["a", "b"]


def model_numbers(model: crmdedup.Model) -> dict[str, Any]:
    import json

    data = json.loads(model.to_json())
    data.pop("fit")  # iterations per session: equal too, but not parameters
    return dict(data)


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_fit_equals_the_single_machine_fit(
    spark: Any, contacts_10k: tuple[pl.DataFrame, crmdedup.DedupeResult], partitions: int
) -> None:
    df, local = contacts_10k
    settings = local.settings
    model = cs.fit(to_spark(spark, df, partitions), settings, id_column="record_id")
    # Histograms are integer counts: the same EM over the same sums, bit for bit (within
    # 1e-9 is what is asked).
    assert model_numbers(model) == model_numbers(local.model)
    assert model.to_json() == local.model.to_json()


def test_dedupe_without_a_model_fits_over_all_records(spark: Any) -> None:
    # Integer ids in reverse: their rank order is by value, not as text.
    df = (
        crmdedup.datasets.generate_contacts(3_000, seed=11)
        .drop("entity_id")
        .with_columns(pl.Series("record_id", range(3_000, 0, -1), dtype=pl.Int64))
    )
    local = crmdedup.dedupe(df, id_column="record_id")
    res = cs.dedupe(to_spark(spark, df, 3), local.settings, id_column="record_id")
    assert "fit" in res.report["timings_s"]
    assert_same_answer(local, res, "record_id")


# Linkage: crmdedup.spark.link gives one machine's linkage.

ID = "record_id"


def two_sources(n: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Left and right tables of generated contacts: overlapping ids, dates written apart."""
    df = crmdedup.datasets.generate_contacts(n, seed=seed).drop("entity_id")
    left = df.gather_every(2)
    right = df.gather_every(2, offset=1)
    return left, right.with_columns(
        # Ids of its own that reuse the left's values; month-first dates.
        pl.Series(ID, [f"C{i:05}" for i in range(right.height, 0, -1)]),
        pl.col("date_of_birth").str.to_date("%Y-%m-%d", strict=False).dt.strftime("%m/%d/%Y"),
    )


def assert_same_linkage(local: crmdedup.LinkResult, res: cs.SparkDedupeResult) -> None:
    key = ["source_dataset", ID]
    want = local.clusters.sort(key).with_columns(
        pl.col("cluster_id", "cluster_size").cast(pl.Int64)
    )
    got = collect(res.clusters).sort(key).with_columns(pl.col("cluster_size").cast(pl.Int64))
    assert got.equals(want)
    pair = [f"{ID}_l", f"{ID}_r"]
    mine = collect(res.pairs).sort(pair)
    theirs = local.pairs.sort(pair).cast(dict(mine.schema))
    assert mine.height == local.report["matched_pairs"] > 0
    assert mine.equals(theirs)  # bit for bit, every column
    for k in (
        "rows",
        "rows_left",
        "candidate_pairs",
        "pairs_per_rule",
        "skipped_blocks_total",
        "windowed_blocks",
    ):
        assert res.report[k] == local.report[k], k


@pytest.fixture(scope="module")
def sources() -> tuple[pl.DataFrame, pl.DataFrame, crmdedup.LinkResult]:
    left, right = two_sources(10_000, seed=4)
    return left, right, crmdedup.link(left, right, id_column=ID)


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_link_equals_one_machine_whatever_the_partitions(
    spark: Any, sources: tuple[pl.DataFrame, pl.DataFrame, crmdedup.LinkResult], partitions: int
) -> None:
    left, right, local = sources
    assert set(left[ID]) & set(right[ID])
    assert any(c.term_frequency for c in local.settings.comparisons)
    res = cs.link(
        to_spark(spark, left, partitions),
        to_spark(spark, right, partitions),
        local.settings,
        id_column=ID,
    )
    assert "fit" in res.report["timings_s"]  # fitted over both tables, as one machine does
    assert res.model is not None and res.model.to_json() == local.model.to_json()
    assert_same_linkage(local, res)


def test_link_with_a_model_clusters_in_spark_sql(
    spark: Any, sources: tuple[pl.DataFrame, pl.DataFrame, crmdedup.LinkResult]
) -> None:
    left, right, local = sources
    res = cs.link(
        to_spark(spark, left, 3),
        to_spark(spark, right, 2),
        local.settings,
        model=local.model,
        id_column=ID,
        driver_edge_limit=0,
    )
    assert res.report["clustering"] == "spark" and "fit" not in res.report["timings_s"]
    assert_same_linkage(local, res)
    model = cs.fit(
        to_spark(spark, left, 2), local.settings, id_column=ID, right=to_spark(spark, right, 3)
    )
    assert model.to_json() == local.model.to_json()


def test_a_narrow_window_links_records_as_one_machine(
    spark: Any, sources: tuple[pl.DataFrame, pl.DataFrame, crmdedup.LinkResult]
) -> None:
    left, right, first = sources
    settings = first.settings.with_(pairs_per_record=2)
    local = crmdedup.link(left, right, settings, model=first.model, id_column=ID)
    assert local.report["windowed_blocks"] > 0
    res = cs.link(
        to_spark(spark, left, 2),
        to_spark(spark, right, 3),
        settings,
        model=first.model,
        id_column=ID,
    )
    assert_same_linkage(local, res)


def test_a_block_over_the_cap_counts_both_tables(spark: Any) -> None:
    # 30 left and 30 right records share an email: 60 over a cap of 50, though neither
    # side alone is.
    n = 30
    left = pl.DataFrame({"id": list(range(n + 1)), "email": ["info@example.com"] * n + ["a@x.fr"]})
    right = pl.DataFrame(
        {"id": list(range(100, 100 + n + 1)), "email": ["info@example.com"] * n + ["A@x.fr"]}
    )
    settings = crmdedup.Settings(
        comparisons=(crmdedup.Comparison("email", method="exact", normalizer="email"),),
        blocking_rules=(crmdedup.BlockingRule(("email",)),),
        max_block_size=50,
    )
    local = crmdedup.link(left, right, settings, id_column="id")
    res = cs.link(
        to_spark(spark, left, 2),
        to_spark(spark, right, 2),
        settings,
        model=local.model,
        id_column="id",
    )
    (block,) = res.report["skipped_blocks"]
    assert (block["size"], block["example_id"], block["example_source"]) == (2 * n, 0, "left")
    assert res.report["candidate_pairs"] == local.report["candidate_pairs"] == 1
    got = collect(res.clusters).filter(pl.col("cluster_size") == 2).sort("source_dataset")
    assert got.select("source_dataset", "id", "cluster_id").rows() == [
        ("left", n, n),  # the left record's rank names the cluster
        ("right", 100 + n, n),
    ]


def test_bad_linkage_input_is_named(spark: Any) -> None:
    settings = crmdedup.Settings(
        comparisons=(crmdedup.Comparison("email", method="exact", normalizer="email"),),
        blocking_rules=(crmdedup.BlockingRule(("email",)),),
    )
    left = pl.DataFrame({"id": ["a", "b"], "email": ["x@y.fr", "z@y.fr"]})
    dup = pl.DataFrame({"id": ["c", "c"], "email": ["x@y.fr", None]})
    with pytest.raises(crmdedup.SchemaError, match="of the right table: id 'c' is not unique"):
        cs.link(to_spark(spark, left, 1), to_spark(spark, dup, 1), settings, id_column="id")
    no_email = left.select("id")
    with pytest.raises(crmdedup.SchemaError, match="`email` from the right table"):
        cs.link(to_spark(spark, left, 1), to_spark(spark, no_email, 1), settings, id_column="id")
    ints = pl.DataFrame({"id": [1, 2], "email": ["x@y.fr", "q@y.fr"]})
    with pytest.raises(crmdedup.SchemaError, match="same kind"):
        cs.link(to_spark(spark, left, 1), to_spark(spark, ints, 1), settings, id_column="id")


def test_the_region_column_is_read_when_it_is_not_compared(spark: Any) -> None:
    """Phones are read in each record's region; a region column too uniform to be compared is
    still that column, and Spark must keep it with the compared ones."""
    df = crmdedup.datasets.generate_contacts(3_000, seed=1).drop("entity_id")
    # Mostly French, with Belgian records whose national numbers read differently.
    df = df.with_columns(
        country_code=pl.when(pl.int_range(pl.len()) % 100 == 0)
        .then(pl.lit("BE"))
        .otherwise(pl.lit("FR"))
    )
    settings = crmdedup.infer_settings(df)
    assert settings.region_column == "country_code"
    assert "country_code" not in {c.column for c in settings.comparisons}
    local = crmdedup.dedupe(df, settings, id_column="record_id")
    res = cs.dedupe(to_spark(spark, df, 2), settings, model=local.model, id_column="record_id")
    assert_same_answer(local, res, "record_id")
