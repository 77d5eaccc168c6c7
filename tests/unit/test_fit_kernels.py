"""Fitting from pattern histograms: counts that add up, one EM, the batch run's model."""

from __future__ import annotations

import json

import polars as pl
import pytest

import crmdedup
from crmdedup import ConfigError, SchemaError, Settings
from tests._helpers import block_pairs

ID = "record_id"
PAIR = [f"{ID}_l", f"{ID}_r"]


def candidate_pairs(frame: pl.DataFrame, settings: Settings, id_column: str) -> pl.DataFrame:
    """Every candidate pair of a batch run, once."""
    keys = crmdedup.blocking_keys(frame, settings, id_column=id_column)
    return block_pairs(keys, settings, id_column).drop("rule").unique()


def random_id_pairs(frame: pl.DataFrame, settings: Settings, id_column: str) -> pl.DataFrame:
    """The run's random pairs, ranks mapped to ids (rank = position in increasing id order)."""
    by_rank = frame[id_column].sort()
    ranks = crmdedup.random_pairs(frame.height, settings)
    return pl.DataFrame(
        {
            f"{id_column}_l": by_rank.gather(ranks["rank_l"]),
            f"{id_column}_r": by_rank.gather(ranks["rank_r"]),
        }
    )


def parts(frame: pl.DataFrame, n: int) -> list[pl.DataFrame]:
    size = -(-frame.height // n)
    return [frame.slice(i * size, size) for i in range(n)]


@pytest.fixture(scope="module")
def settings(sample: pl.DataFrame) -> Settings:
    return crmdedup.infer_settings(sample)


@pytest.mark.parametrize("n_parts", [1, 3])
def test_the_fit_from_histograms_is_the_batch_fit(
    sample: pl.DataFrame, settings: Settings, n_parts: int
) -> None:
    run = crmdedup.dedupe(sample, settings, id_column=ID)
    cands = candidate_pairs(sample, settings, ID)
    assert cands.height == run.report["candidate_pairs"]
    rand = random_id_pairs(sample, settings, ID)
    # Per part, as Spark partitions would count them, then concatenated unsummed.
    hist_c = pl.concat(
        [
            crmdedup.pattern_histogram(sample, p, settings, id_column=ID, threads=1)
            for p in parts(cands, n_parts)
        ]
    )
    hist_r = pl.concat(
        [
            crmdedup.pattern_histogram(sample, p, settings, id_column=ID)
            for p in parts(rand, n_parts)
        ]
    )
    assert int(hist_c["pairs"].sum()) == cands.height
    assert int(hist_r["pairs"].sum()) == rand.height
    model = crmdedup.fit_from_histograms(hist_c, hist_r, settings, n_records=sample.height)
    assert json.loads(model.to_json()) == json.loads(run.model.to_json())  # bit for bit


def test_integer_ids_rank_by_value(settings: Settings, sample: pl.DataFrame) -> None:
    # 1..n as integers: their text order (1, 10, 100, 2…) is not their rank order.
    frame = sample.with_columns(pl.Series(ID, range(sample.height, 0, -1), dtype=pl.Int64))
    run = crmdedup.dedupe(frame, settings, id_column=ID)
    hist_c = crmdedup.pattern_histogram(
        frame, candidate_pairs(frame, settings, ID), settings, id_column=ID
    )
    hist_r = crmdedup.pattern_histogram(
        frame, random_id_pairs(frame, settings, ID), settings, id_column=ID
    )
    model = crmdedup.fit_from_histograms(hist_c, hist_r, settings, n_records=frame.height)
    assert model.to_json() == run.model.to_json()


def test_the_histogram_counts_patterns_and_rules(sample: pl.DataFrame, settings: Settings) -> None:
    run = crmdedup.dedupe(sample, settings, id_column=ID)
    hist = crmdedup.pattern_histogram(sample, run.pairs, settings, id_column=ID)
    gammas = [f"gamma_{c.name}" for c in settings.comparisons]
    assert hist.columns == [*gammas, "rule_mask", "pairs"]
    assert hist.select(*gammas, "rule_mask").is_unique().all()
    # The levels are the run's: its pairs counted by pattern give the same counts.
    by_levels = run.pairs.group_by(gammas).len().sort(gammas)
    summed = hist.group_by(gammas).agg(pl.col("pairs").sum()).sort(gammas)
    assert by_levels["len"].to_list() == summed["pairs"].to_list()
    assert (hist["rule_mask"] > 0).all()  # candidates share a key under some rule
    # A repeated pair counts twice; orientation does not matter.
    twice = pl.concat(
        [
            run.pairs.select(PAIR),
            run.pairs.select(PAIR[1], PAIR[0]).rename({PAIR[1]: PAIR[0], PAIR[0]: PAIR[1]}),
        ]
    )
    again = crmdedup.pattern_histogram(sample, twice, settings, id_column=ID)
    assert again["pairs"].to_list() == [2 * n for n in hist["pairs"].to_list()]


def test_random_pairs_are_seeded_by_count_and_settings(settings: Settings) -> None:
    a = crmdedup.random_pairs(10_000, settings)
    assert a.equals(crmdedup.random_pairs(10_000, settings))
    assert a.schema == pl.Schema({"rank_l": pl.UInt32, "rank_r": pl.UInt32})
    assert a.height == 200_000  # 20 per record, at least 100,000
    assert (a["rank_l"] != a["rank_r"]).all() and a.max_horizontal().max() < 10_000  # type: ignore[operator]
    small = crmdedup.random_pairs(40, settings)
    assert small.height == 40 * 39 // 2  # every pair once
    linked = crmdedup.random_pairs(300, settings, n_left=100)
    assert (linked["rank_l"] < 100).all() and (linked["rank_r"] >= 100).all()
    assert crmdedup.random_pairs(0, settings).height == 0
    with pytest.raises(ConfigError, match="n_left"):
        crmdedup.random_pairs(10, settings, n_left=11)
    with pytest.raises(ConfigError, match="n_records"):
        crmdedup.random_pairs(-1, settings)


def test_few_records_give_the_defaults(settings: Settings, sample: pl.DataFrame) -> None:
    frame = sample.head(20)
    rand = random_id_pairs(frame, settings, ID)
    hist = crmdedup.pattern_histogram(frame, rand, settings, id_column=ID)
    model = crmdedup.fit_from_histograms(hist, hist, settings, n_records=frame.height)
    assert model.to_json() == crmdedup.dedupe(frame, settings, id_column=ID).model.to_json()


def test_bad_histograms_are_named(sample: pl.DataFrame, settings: Settings) -> None:
    rand = random_id_pairs(sample, settings, ID)
    hist = crmdedup.pattern_histogram(sample, rand, settings, id_column=ID)
    first = f"gamma_{settings.comparisons[0].name}"

    def fit(candidates: pl.DataFrame) -> crmdedup.Model:
        return crmdedup.fit_from_histograms(candidates, hist, settings, n_records=sample.height)

    with pytest.raises(SchemaError, match=f"`{first}` is missing"):
        fit(hist.drop(first))
    with pytest.raises(SchemaError, match=f"`{first}` at row 2 of the candidate histogram"):
        fit(
            hist.with_columns(
                pl.when(pl.int_range(pl.len()) == 1).then(99).otherwise(pl.col(first)).alias(first)
            )
        )
    with pytest.raises(SchemaError, match="`pairs` at row 1 of the candidate histogram"):
        fit(hist.with_columns(pl.lit(-3).alias("pairs")))
    with pytest.raises(SchemaError, match="`rule_mask` at row 1"):
        fit(hist.with_columns(pl.lit(1 << 20).alias("rule_mask")))
    with pytest.raises(SchemaError, match="`pairs`"):
        fit(hist.with_columns(pl.col("pairs").cast(pl.String)))
    with pytest.raises(SchemaError, match="`pairs` at row 1"):
        fit(hist.with_columns(pl.lit(None, dtype=pl.Int64).alias("pairs")))


def _link_tables(sample: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two tables with overlapping ids and dates written in different orders."""
    left = sample.gather_every(2)
    right = sample.gather_every(2, offset=1).with_columns(
        # Ids of its own that reuse the left's values, and month-first dates.
        pl.Series(ID, [f"C{i + 1:04}" for i in range(sample.height // 2)]),
        pl.col("date_of_birth").str.to_date("%Y-%m-%d").dt.strftime("%m/%d/%Y"),
    )
    return left, right


def link_candidates(
    left: pl.DataFrame, right: pl.DataFrame, settings: Settings, id_column: str
) -> pl.DataFrame:
    """Every candidate pair of a link run once, left id first."""
    keys = [
        crmdedup.blocking_keys(t, settings, id_column=id_column).with_columns(side=pl.lit(s))
        for s, t in enumerate((left, right))
    ]
    return block_pairs(pl.concat(keys), settings, id_column).drop("rule").unique()


def test_linkage_kernels_give_the_link_runs_weights_and_model(
    sample: pl.DataFrame, settings: Settings
) -> None:
    left, right = _link_tables(sample)
    assert set(left[ID]) & set(right[ID])  # a right id names a right record only
    run = crmdedup.link(left, right, settings, id_column=ID)
    assert run.pairs.height > 50
    tf = crmdedup.tf_tables(left, settings, right=right)
    again = crmdedup.score_pairs(
        left, run.pairs, settings, run.model, id_column=ID, tf_tables=tf, right_data=right
    )
    assert again.equals(run.pairs)
    # Read as one table, the month-first dates of the right side would not agree.
    dob = f"gamma_{settings.comparisons[2].name}"
    assert (run.pairs[dob] == run.pairs[dob].max()).sum() > 10
    cands = link_candidates(left, right, settings, ID)
    assert cands.height == run.report["candidate_pairs"]
    ranks = crmdedup.random_pairs(sample.height, settings, n_left=left.height)
    rand = pl.DataFrame(
        {
            f"{ID}_l": left[ID].sort().gather(ranks["rank_l"]),
            f"{ID}_r": right[ID].sort().gather(ranks["rank_r"] - left.height),
        }
    )
    hist_c, hist_r = (
        crmdedup.pattern_histogram(left, p, settings, id_column=ID, right_data=right)
        for p in (cands, rand)
    )
    model = crmdedup.fit_from_histograms(
        hist_c, hist_r, settings, n_records=sample.height, n_left=left.height
    )
    assert model.to_json() == run.model.to_json()
    # A left id that names no right record, given as a right id, is named.
    with pytest.raises(SchemaError, match="C0751"):
        crmdedup.score_pairs(
            left,
            pl.DataFrame({f"{ID}_l": ["C0001"], f"{ID}_r": ["C0751"]}),
            settings,
            run.model,
            id_column=ID,
            right_data=right,
        )
