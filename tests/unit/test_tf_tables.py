"""Frozen term-frequency tables: computed once, given to later runs, merged by summing."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import crmdedup
from crmdedup import SchemaError, Settings

ID = "record_id"
KEY = ["comparison", "value"]


@pytest.fixture(scope="module")
def settings(sample: pl.DataFrame) -> Settings:
    s = crmdedup.infer_settings(sample)
    assert any(c.term_frequency for c in s.comparisons)  # else the tests prove nothing
    return s


@pytest.fixture(scope="module")
def model(sample: pl.DataFrame, settings: Settings) -> crmdedup.Model:
    return crmdedup.dedupe(sample, settings, id_column=ID).model


def weights(result: crmdedup.DedupeResult) -> pl.DataFrame:
    return result.pairs.select(f"{ID}_l", f"{ID}_r", "match_weight")


def summed(*tables: pl.DataFrame) -> pl.DataFrame:
    total = pl.concat(tables).group_by(KEY).agg(pl.col("count").sum())
    return total.sort(KEY, nulls_last=False)


def test_schema_and_totals(sample: pl.DataFrame, settings: Settings) -> None:
    tf = crmdedup.tf_tables(sample, settings)
    assert tf.schema == pl.Schema({"comparison": pl.String, "value": pl.String, "count": pl.UInt64})
    tf_on = [c for c in settings.comparisons if c.term_frequency]
    assert tf["comparison"].unique(maintain_order=True).to_list() == [c.name for c in tf_on]
    for c in tf_on:
        rows = tf.filter(pl.col("comparison") == c.name)
        total = rows.filter(pl.col("value").is_null())["count"].item()
        assert total == rows.filter(pl.col("value").is_not_null())["count"].sum() > 0


def test_own_tables_give_the_same_run(
    sample: pl.DataFrame, settings: Settings, model: crmdedup.Model, tmp_path: Path
) -> None:
    plain = crmdedup.dedupe(sample, settings, id_column=ID, model=model)
    tf = crmdedup.tf_tables(sample, settings)
    tf.write_parquet(tmp_path / "tf.parquet")
    for given in (tf, tf.to_arrow(), pl.read_parquet(tmp_path / "tf.parquet")):
        frozen = crmdedup.dedupe(sample, settings, id_column=ID, model=model, tf_tables=given)
        assert frozen.clusters.equals(plain.clusters)
        assert frozen.pairs.equals(plain.pairs)


def test_a_subset_scored_with_the_whole_tables_keeps_the_whole_weights(
    sample: pl.DataFrame, settings: Settings, model: crmdedup.Model
) -> None:
    whole = crmdedup.dedupe(sample, settings, id_column=ID, model=model)
    tf = crmdedup.tf_tables(sample, settings)
    part = sample.head(sample.height // 2)
    frozen = crmdedup.dedupe(part, settings, id_column=ID, model=model, tf_tables=tf)
    own = crmdedup.dedupe(part, settings, id_column=ID, model=model)
    keys = [f"{ID}_l", f"{ID}_r"]
    both = weights(whole).join(weights(frozen), on=keys, suffix="_frozen")
    both = both.join(weights(own), on=keys, suffix="_own")
    assert both.height > 20
    assert (both["match_weight"] == both["match_weight_frozen"]).all()
    assert (both["match_weight"] != both["match_weight_own"]).any()


def test_tables_of_halves_sum_to_the_whole(sample: pl.DataFrame, settings: Settings) -> None:
    half = sample.height // 2
    whole = crmdedup.tf_tables(sample, settings)
    parts = [crmdedup.tf_tables(p, settings) for p in (sample.head(half), sample.tail(-half))]
    assert summed(*parts).equals(summed(whole))
    # A linkage counts both tables, as their sum.
    linked = crmdedup.tf_tables(sample.head(half), settings, right=sample.tail(-half))
    assert summed(linked).equals(summed(whole))


def test_link_with_its_own_tables_gives_the_same_run(
    sample: pl.DataFrame, settings: Settings
) -> None:
    left, right = sample.head(700), sample.tail(-700)
    plain = crmdedup.link(left, right, settings, id_column=ID)
    tf = crmdedup.tf_tables(left, settings, right=right)
    frozen = crmdedup.link(left, right, settings, id_column=ID, tf_tables=tf)
    assert frozen.pairs.equals(plain.pairs)
    assert frozen.clusters.equals(plain.clusters)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: t.with_columns(comparison=pl.lit("nom")),
            "row 1 (counting from 1): comparison `nom` is not in the settings",
        ),
        (
            lambda t: t.with_columns(comparison=pl.lit("email")),
            "row 1 (counting from 1): comparison `email` has term_frequency off",
        ),
        (
            lambda t: t.with_columns(
                count=pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise(pl.col("count"))
            ),
            "row 3 (counting from 1): comparison `first_name`: count is null",
        ),
        (
            lambda t: t.with_columns(
                count=pl.when(pl.int_range(pl.len()) == 1)
                .then(-4)
                .otherwise(pl.col("count").cast(pl.Int64))
            ),
            "row 2 (counting from 1): comparison `first_name`: count -4 is negative",
        ),
        (
            lambda t: t.filter(pl.col("comparison") != "last_name"),
            "comparison `last_name` has term_frequency on but no table",
        ),
        (lambda t: t.drop("count"), "column `count` is missing"),
    ],
)
def test_bad_tables_name_the_comparison_and_row(
    contacts: pl.DataFrame, edit: object, expected: str
) -> None:
    s = crmdedup.infer_settings(contacts)
    tf_on = {c.name for c in s.comparisons if c.term_frequency}
    assert {"first_name", "last_name"} <= tf_on and "email" not in tf_on
    tf = edit(crmdedup.tf_tables(contacts, s))  # type: ignore[operator]
    with pytest.raises(SchemaError) as e:
        crmdedup.dedupe(contacts, s, id_column="id", tf_tables=tf)
    assert expected in str(e.value)
