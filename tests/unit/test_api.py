"""End-to-end behaviour of dedupe/link through the public API."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

import crmdedup
from crmdedup import ConfigError, SchemaError, Settings


def expected_groups() -> set[frozenset[str]]:
    return {
        frozenset({"a1", "a2", "a3"}),
        frozenset({"b1", "b2"}),
        frozenset({"c1"}),
        frozenset({"d1"}),
        frozenset({"e1", "e2"}),
    }


def groups(clusters: pl.DataFrame, id_column: str = "id") -> set[frozenset[object]]:
    g = clusters.group_by("cluster_id").agg(pl.col(id_column))
    return {frozenset(ids) for ids in g[id_column].to_list()}


def test_finds_obvious_duplicates(contacts: pl.DataFrame) -> None:
    result = crmdedup.dedupe(contacts, id_column="id")
    assert groups(result.clusters) == expected_groups()
    c = result.clusters
    assert c.columns == ["id", "cluster_id", "cluster_size"]
    assert c["id"].to_list() == contacts["id"].to_list()  # input order kept
    assert c.filter(pl.col("id") == "a2")["cluster_id"].item() == "a1"  # smallest member id
    assert c.filter(pl.col("id") == "a2")["cluster_size"].item() == 3
    p = result.pairs
    assert {"id_l", "id_r", "match_weight", "match_probability", "gamma_email"} <= set(p.columns)
    assert (p["match_probability"] >= result.settings.threshold).all()
    assert (p["id_l"] < p["id_r"]).all()


class _Capsule:
    """A bare Arrow stream producer, like any non-pyarrow library's table."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self._table.__arrow_c_stream__(requested_schema)


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda df: df, id="polars"),
        pytest.param(lambda df: df.lazy(), id="lazyframe"),
        pytest.param(lambda df: df.to_arrow(), id="pyarrow-view"),
        pytest.param(
            lambda df: df.to_arrow(compat_level=pl.CompatLevel.oldest()), id="pyarrow-large"
        ),
        pytest.param(
            lambda df: df.to_arrow().cast(
                pa.schema([pa.field(n, pa.string()) for n in df.columns])
            ),
            id="pyarrow-utf8",
        ),
        pytest.param(lambda df: df.to_pandas(), id="pandas"),
        pytest.param(lambda df: _Capsule(df.to_arrow()), id="capsule"),
        pytest.param(lambda df: df.to_dict(as_series=False), id="dict"),
    ],
)
def test_every_input_kind_gives_the_same_result(contacts: pl.DataFrame, convert: object) -> None:
    baseline = crmdedup.dedupe(contacts, id_column="id")
    result = crmdedup.dedupe(convert(contacts), id_column="id")  # type: ignore[operator]
    assert result.clusters.equals(baseline.clusters)
    assert result.pairs.equals(baseline.pairs)


def test_integer_ids_keep_their_type(contacts: pl.DataFrame) -> None:
    df = contacts.with_columns(pl.int_range(100, 100 + contacts.height, dtype=pl.Int32).alias("id"))
    result = crmdedup.dedupe(df, id_column="id")
    assert result.clusters.schema["id"] == pl.Int32
    assert result.clusters.schema["cluster_id"] == pl.Int32
    assert result.pairs.schema["id_l"] == pl.Int32


def test_without_id_column_rows_are_numbered(contacts: pl.DataFrame) -> None:
    result = crmdedup.dedupe(contacts.drop("id"))
    assert result.clusters["row_id"].to_list() == list(range(contacts.height))
    assert result.clusters.filter(pl.col("row_id") == 2)["cluster_id"].item() == 0


def test_results_ignore_threads_and_row_order(contacts: pl.DataFrame) -> None:
    one = crmdedup.dedupe(contacts, id_column="id", threads=1)
    two = crmdedup.dedupe(contacts, id_column="id", threads=2)
    assert one.clusters.equals(two.clusters)
    assert one.pairs.equals(two.pairs)
    assert one.model.to_json() == two.model.to_json()
    shuffled = contacts.sample(fraction=1.0, shuffle=True, seed=3)
    three = crmdedup.dedupe(shuffled, id_column="id", threads=2)
    assert three.clusters.sort("id").equals(one.clusters.sort("id"))
    assert three.pairs.equals(one.pairs)
    assert three.model.to_json() == one.model.to_json()


def test_nulls_everywhere() -> None:
    df = pl.DataFrame(
        {"id": ["a", "b", "c"], "first_name": [None, None, None], "email": [None, None, None]},
        schema={"id": pl.String, "first_name": pl.String, "email": pl.String},
    )
    result = crmdedup.dedupe(df, id_column="id")
    assert result.clusters["cluster_size"].to_list() == [1, 1, 1]
    assert result.pairs.height == 0


def test_empty_table_and_single_row(contacts: pl.DataFrame) -> None:
    empty = crmdedup.dedupe(contacts.head(0), id_column="id")
    assert empty.clusters.height == 0 and empty.pairs.height == 0
    assert empty.clusters.columns == ["id", "cluster_id", "cluster_size"]
    single = crmdedup.dedupe(contacts.head(1), id_column="id")
    assert single.clusters.rows() == [("a1", "a1", 1)]


def test_duplicate_ids_are_refused(contacts: pl.DataFrame) -> None:
    df = contacts.with_columns(
        pl.when(pl.col("id") == "c1").then(pl.lit("a1")).otherwise("id").alias("id")
    )
    # Rows count from 1, as a user counts: "a1" is the first row and "c1" the sixth.
    with pytest.raises(
        SchemaError, match=r"duplicate id 'a1' in column `id` of `data` at rows 1 and 6"
    ):
        crmdedup.dedupe(df, id_column="id")


def test_null_ids_are_refused(contacts: pl.DataFrame) -> None:
    df = contacts.with_columns(pl.when(pl.col("id") == "b1").then(None).otherwise("id").alias("id"))
    with pytest.raises(SchemaError, match=r"null id in column `id` of `data` at row 4"):
        crmdedup.dedupe(df, id_column="id")


def test_missing_and_mistyped_columns_are_named(contacts: pl.DataFrame) -> None:
    with pytest.raises(SchemaError, match=r"column `customer` is missing \(available: `id`"):
        crmdedup.dedupe(contacts, id_column="customer")
    df = contacts.with_columns(
        pl.col("email").map_elements(lambda s: [s], return_dtype=pl.List(pl.String))
    )
    with pytest.raises(SchemaError, match=r"column `email` has type \w*List"):
        crmdedup.dedupe(df, id_column="id")
    with pytest.raises(
        SchemaError, match=r"column `id` of `data` has type Float64, expected string or integer ids"
    ):
        crmdedup.dedupe(contacts.with_columns(pl.lit(1.5).alias("id")), id_column="id")
    with pytest.raises(SchemaError, match="must be a polars, pyarrow or pandas table"):
        crmdedup.dedupe([1, 2, 3])  # type: ignore[arg-type]


def test_non_string_columns_are_compared() -> None:
    df = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "last_name": ["Roy", "Roy", "Roy"],
            "phone": [612345678, 612345678, 699999999],
            "date_of_birth": [date(1980, 2, 3), date(1980, 2, 3), date(1990, 1, 1)],
        }
    )
    result = crmdedup.dedupe(df, id_column="id")
    assert groups(result.clusters) == {frozenset({1, 2}), frozenset({3})}


def test_giant_block_is_bounded_and_reported() -> None:
    n = 50_000
    df = pl.DataFrame(
        {
            "id": pl.int_range(0, n, eager=True),
            "last_name": ["martin"] * n,
            "email": [f"user{i}@example.org" for i in range(n)],
        }
    )
    # Inferred settings never block on a near-constant column alone: ask for it.
    settings = crmdedup.Settings(
        comparisons=(
            crmdedup.Comparison("last_name", method="name", normalizer="name"),
            crmdedup.Comparison("email", method="levenshtein", normalizer="email", thresholds=(1,)),
        ),
        blocking_rules=(crmdedup.BlockingRule(("last_name",)),),
        max_block_size=500,
    )
    result = crmdedup.dedupe(df, settings, id_column="id")
    report = result.report
    assert report["skipped_blocks"][0] == {"rule": 0, "key": "martin", "size": n}
    assert report["candidate_pairs"] == 0
    assert result.clusters["cluster_size"].max() == 1


def test_a_large_block_pairs_each_record_with_its_neighbours_in_order() -> None:
    # 40 Martins: 30 people, 10 of them twice (same given name, email typed two ways).
    names = [f"{chr(97 + i % 26)}{chr(97 + i // 26)}lice" for i in range(30)]
    rows = [(f"r{i:02d}", names[i], f"{names[i]}@example.org") for i in range(30)]
    rows += [(f"d{i:02d}", names[3 * i], f"{names[3 * i]}@example.com") for i in range(10)]
    df = pl.DataFrame(rows, schema=["id", "first_name", "email"], orient="row").with_columns(
        last_name=pl.lit("Martin")
    )
    window = 3
    settings = crmdedup.Settings(
        comparisons=(
            crmdedup.Comparison("first_name", method="name", normalizer="name"),
            crmdedup.Comparison("last_name", method="name", normalizer="name"),
            crmdedup.Comparison("email", method="levenshtein", normalizer="email"),
        ),
        blocking_rules=(crmdedup.BlockingRule(("last_name",)),),
        threshold=1e-300,  # every candidate pair is reported
        pairs_per_record=window,
    )
    result = crmdedup.dedupe(df, settings, id_column="id")
    k = df.height
    assert result.report["windowed_blocks"] == 1
    # Each record with the next three in given-name order (then id): 3 (k - 3) + 3 pairs.
    assert result.report["candidate_pairs"] == window * (k - window) + 3
    order = (
        df.sort("first_name", "id").with_row_index("pos").select("id", pl.col("pos").cast(pl.Int64))
    )
    pairs = result.pairs.join(order, left_on="id_l", right_on="id").join(
        order, left_on="id_r", right_on="id", suffix="_r"
    )
    assert ((pairs["pos"] - pairs["pos_r"]).abs() <= window).all()
    # The duplicates sit side by side in that order: all ten are candidates.
    found = set(result.pairs.select("id_l", "id_r").iter_rows())
    assert all((f"d{i:02d}", f"r{3 * i:02d}") in found for i in range(10))
    # The same records in another order give the same pairs.
    shuffled = crmdedup.dedupe(df.reverse(), settings, id_column="id")
    assert shuffled.pairs.sort("id_l", "id_r").equals(result.pairs.sort("id_l", "id_r"))


def test_explain_sums_to_match_weight(contacts: pl.DataFrame) -> None:
    result = crmdedup.dedupe(contacts, id_column="id")
    pair = result.pairs.row(0, named=True)
    ex = result.explain(pair["id_l"], pair["id_r"])
    assert ex["comparison"][0] == "prior"
    assert ex["cumulative_weight"][-1] == pytest.approx(pair["match_weight"])
    assert (ex["weight"] + ex["tf_adjustment"]).sum() == pytest.approx(pair["match_weight"])
    assert ex["probability"][-1] == pytest.approx(pair["match_probability"])
    with pytest.raises(SchemaError, match="id 'zz' is not in column `id`"):
        result.explain("a1", "zz")


def test_model_save_load_gives_identical_scores(contacts: pl.DataFrame, tmp_path: Path) -> None:
    result = crmdedup.dedupe(contacts, id_column="id")
    path = tmp_path / "model.json"
    result.model.save(path)
    again = crmdedup.dedupe(
        contacts, result.settings, id_column="id", model=crmdedup.Model.load(path)
    )
    assert again.pairs.equals(result.pairs)
    assert again.report["fitted"] is False
    other = result.settings.with_(comparisons=result.settings.comparisons[:2])
    with pytest.raises(ConfigError, match="model does not fit the settings"):
        crmdedup.dedupe(contacts, other, id_column="id", model=result.model)


def test_progress_is_reported_and_can_stop_the_run(contacts: pl.DataFrame) -> None:
    seen: list[tuple[str, int, int]] = []
    crmdedup.dedupe(contacts, id_column="id", progress=lambda s, d, t: seen.append((s, d, t)))
    stages = [s for s, _, _ in seen]
    for stage in ("normalise", "block", "compare", "fit", "score", "cluster"):
        assert stage in stages
    assert all(d <= t for _, d, t in seen)

    def stop(stage: str, done: int, total: int) -> None:
        if stage == "block":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        crmdedup.dedupe(contacts, id_column="id", progress=stop)


def test_link_pairs_only_across_tables(contacts: pl.DataFrame) -> None:
    left = contacts.filter(pl.col("id").is_in(["a1", "b1", "c1", "e1"]))
    right = contacts.filter(pl.col("id").is_in(["a2", "a3", "b2", "d1", "e2"]))
    result = crmdedup.link(left, right, id_column="id")
    assert set(result.pairs["id_l"]) <= set(left["id"])
    assert set(result.pairs["id_r"]) <= set(right["id"])
    c = result.clusters
    assert c.columns == ["source_dataset", "id", "cluster_id", "cluster_size"]
    assert c.height == left.height + right.height
    g = groups(c)
    assert frozenset({"a1", "a2", "a3"}) in g and frozenset({"e1", "e2"}) in g
    ex = result.explain("a1", "a2")
    assert ex["cumulative_weight"][-1] > 0


def test_threads_must_be_positive(contacts: pl.DataFrame) -> None:
    with pytest.raises(ConfigError, match="`threads`"):
        crmdedup.dedupe(contacts, id_column="id", threads=0)


def test_report_is_json_serialisable(contacts: pl.DataFrame) -> None:
    report = crmdedup.dedupe(contacts, id_column="id").report
    assert json.loads(json.dumps(report)) == report
    assert report["rows"] == contacts.height
    assert report["duplicate_records"] == 4


def test_settings_type(contacts: pl.DataFrame) -> None:
    assert isinstance(crmdedup.dedupe(contacts, id_column="id").settings, Settings)


def test_version_is_the_installed_distribution_version() -> None:
    import importlib.metadata
    import tomllib

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert crmdedup.__version__ == project["project"]["version"]
    assert crmdedup.__version__ == importlib.metadata.version("crmdedup")


def test_import_does_not_import_numpy() -> None:
    import subprocess
    import sys

    code = "import sys, crmdedup; crmdedup.datasets.load_sample(); print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_number_under_two_country_codes_weighs_the_same_in_both_orders() -> None:
    """One mobile written `+39…` in one record and under `+44` in twenty others grades as the
    same number; the term-frequency adjustment of that level is the commoner value's, so the
    pair weighs the same whichever record comes first (it read the first row's value)."""
    from crmdedup import BlockingRule, Comparison, Settings

    people = crmdedup.datasets.generate_contacts(2_000, seed=0).drop("entity_id")
    extra = pl.DataFrame(
        {
            "record_id": ["A"] + [f"B{i}" for i in range(20)],
            "first_name": ["Ugo"] * 21,
            "last_name": ["Rossi"] * 21,
            "phone": ["+39 335 448 4418"] + ["+44 335 448 4418"] * 20,
        }
    )
    data = pl.concat([people, extra], how="diagonal_relaxed")
    settings = Settings(
        comparisons=[
            Comparison("first_name", method="name", normalizer="name", thresholds=(0.92,)),
            Comparison("last_name", method="name", normalizer="name", thresholds=(0.94,)),
            Comparison(
                "phone",
                method="levenshtein",
                normalizer="phone",
                thresholds=(1.0, 2.0),
                term_frequency=True,
            ),
        ],
        blocking_rules=[BlockingRule(("last_name",)), BlockingRule(("phone",))],
    )
    result = crmdedup.dedupe(data, settings, id_column="record_id")
    there = result.explain("A", "B0")
    back = result.explain("B0", "A")
    phone = there.filter(pl.col("comparison") == "phone")
    assert phone["level"].item() == 3  # graded as the same number
    assert there["cumulative_weight"][-1] == pytest.approx(back["cumulative_weight"][-1])
    moved = pl.concat(
        [data.filter(pl.col("record_id") != "A"), data.filter(pl.col("record_id") == "A")]
    )
    again = crmdedup.dedupe(moved, settings, id_column="record_id", model=result.model)
    pair = (pl.col("record_id_l") == "A") & (pl.col("record_id_r") == "B0")
    weights = [r.pairs.filter(pair)["match_weight"].item() for r in (result, again)]
    assert weights[0] == pytest.approx(weights[1])
