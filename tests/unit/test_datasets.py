from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmdedup.datasets import SCHEMA, SOURCES, generate_contacts, load_sample

N = 20_000
PUBLIC_PROVIDERS = ["gmail.com", "orange.fr", "free.fr", "hotmail.fr", "wanadoo.fr", "yahoo.fr"]


@pytest.fixture(scope="module")
def contacts() -> pl.DataFrame:
    return generate_contacts(N, seed=11)


def _norm(col: str) -> pl.Expr:
    """Lower case, no accents, letters only: what survives casing and accent loss."""
    return (
        pl.col(col)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z]", "")
    )


def _digits(col: str) -> pl.Expr:
    return pl.col(col).str.replace_all(r"\D", "").str.slice(-9)


@pytest.fixture(scope="module")
def keyed(contacts: pl.DataFrame) -> pl.DataFrame:
    return contacts.with_columns(
        fn=_norm("first_name"),
        ln=_norm("last_name"),
        ad=_norm("address"),
        ph=_digits("phone"),
        dom=pl.col("email").str.to_lowercase().str.extract(r"@(.+)$", 1),
    )


@pytest.fixture(scope="module")
def true_pairs(keyed: pl.DataFrame) -> pl.DataFrame:
    """Every pair of distinct records of the same person."""
    pairs = keyed.join(keyed, on="entity_id", suffix="_r")
    return pairs.filter(pl.col("record_id") < pl.col("record_id_r"))


def _pairs_sharing(keyed: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Pairs of records of different people that agree on all ``keys`` (non-null)."""
    side = keyed.drop_nulls(keys).filter(pl.all_horizontal(pl.col(k) != "" for k in keys))
    pairs = side.join(side, on=keys, suffix="_r")
    return pairs.filter(
        (pl.col("record_id") < pl.col("record_id_r"))
        & (pl.col("entity_id") != pl.col("entity_id_r"))
    )


# ------------------------------------------------------------------------- shape and determinism


def test_columns_and_dtypes(contacts: pl.DataFrame) -> None:
    assert contacts.schema == pl.Schema(SCHEMA)
    assert contacts.height == N
    assert contacts["record_id"].is_unique().all()
    assert contacts["record_id"].null_count() == 0
    assert contacts["entity_id"].null_count() == 0
    assert set(contacts["source"].unique()) == set(SOURCES)


def test_same_seed_same_table() -> None:
    assert generate_contacts(3_000, seed=5).equals(generate_contacts(3_000, seed=5))


def test_other_seed_other_table() -> None:
    a = generate_contacts(3_000, seed=5)
    b = generate_contacts(3_000, seed=6)
    assert not a.equals(b)


@settings(max_examples=20, deadline=None)
@given(n_rows=st.integers(0, 300), seed=st.integers(0, 2**32 - 1))
def test_any_size_has_exact_rows_and_unique_ids(n_rows: int, seed: int) -> None:
    df = generate_contacts(n_rows, seed=seed)
    assert df.height == n_rows
    assert df.schema == pl.Schema(SCHEMA)
    assert df["record_id"].n_unique() == n_rows


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_rows": -1}, "n_rows"),
        ({"n_rows": 10, "duplicate_rate": 1.0}, "duplicate_rate"),
        ({"n_rows": 10, "household_rate": -0.1}, "household_rate"),
        ({"n_rows": 10, "corruption": 9.0}, "corruption"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs: dict[str, float], name: str) -> None:
    with pytest.raises(ValueError, match=f"`{name}`"):
        generate_contacts(**kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- duplicate structure


def test_cluster_sizes_and_duplicate_rate(contacts: pl.DataFrame) -> None:
    sizes = contacts.group_by("entity_id").len()["len"]
    assert sizes.min() == 1
    assert sizes.max() == 5
    assert 0.17 < 1 - sizes.len() / N < 0.23
    counts = sizes.value_counts().sort("len")["count"].to_list()
    assert counts[0] > counts[1] > counts[2] > 0  # mostly 1, many 2, some 3-5


def test_duplicate_rate_zero_gives_singletons() -> None:
    df = generate_contacts(2_000, seed=1, duplicate_rate=0.0)
    assert df["entity_id"].n_unique() == 2_000


def test_records_of_one_person_share_evidence(true_pairs: pl.DataFrame) -> None:
    agree = (
        (pl.col("ln") == pl.col("ln_r"))
        | (pl.col("ph") == pl.col("ph_r"))
        | (pl.col("email").str.to_lowercase() == pl.col("email_r").str.to_lowercase())
        | (pl.col("fn") == pl.col("fn_r"))
    )
    share = true_pairs.select(agree.fill_null(False).mean()).item()
    assert share > 0.9


# ------------------------------------------------------------------------- corruption


def _count(pairs: pl.DataFrame, expr: pl.Expr) -> int:
    return pairs.filter(expr.fill_null(False)).height


def test_corruptions_are_present(true_pairs: pl.DataFrame) -> None:
    p = true_pairs
    n = p.height
    # Accent loss or casing only.
    assert (
        _count(p, (pl.col("last_name") != pl.col("last_name_r")) & (pl.col("ln") == pl.col("ln_r")))
        > n * 0.05
    )
    # Typos, nicknames, variants: names that differ even after normalising.
    assert _count(p, pl.col("fn") != pl.col("fn_r")) > n * 0.05
    assert _count(p, pl.col("ln") != pl.col("ln_r")) > n * 0.05
    # Swapped first and last names.
    assert _count(p, (pl.col("fn") == pl.col("ln_r")) & (pl.col("ln") == pl.col("fn_r"))) > 10
    # Phone format variants of the same number.
    assert (
        _count(p, (pl.col("phone") != pl.col("phone_r")) & (pl.col("ph") == pl.col("ph_r")))
        > n * 0.1
    )
    # Email variants: case only, and different addresses.
    same_lower = pl.col("email").str.to_lowercase() == pl.col("email_r").str.to_lowercase()
    assert _count(p, (pl.col("email") != pl.col("email_r")) & same_lower) > 20
    assert _count(p, ~same_lower) > n * 0.05
    assert _count(p, pl.col("email").str.contains("+", literal=True)) > 5
    # Missing values on one side.
    assert _count(p, pl.col("email").is_null() != pl.col("email_r").is_null()) > n * 0.05
    # People who moved: different postcode.
    assert _count(p, pl.col("postcode") != pl.col("postcode_r")) > n * 0.03


def test_nicknames_and_short_forms(contacts: pl.DataFrame) -> None:
    firsts = set(contacts["first_name"].drop_nulls().str.to_lowercase())
    assert {"alex", "fred", "max", "nico"} <= firsts
    assert firsts & {"jp", "jc", "jm", "jl", "jf", "jb", "jj", "mc", "as", "py"}


def test_no_corruption_means_fewer_differences() -> None:
    def differing(df: pl.DataFrame) -> int:
        pairs = df.join(df, on="entity_id").filter(pl.col("record_id") < pl.col("record_id_right"))
        return pairs.filter(pl.col("first_name") != pl.col("first_name_right")).height

    noisy = generate_contacts(5_000, seed=3)
    clean = generate_contacts(5_000, seed=3, corruption=0.0)
    assert differing(clean) < differing(noisy)


def test_phone_formats_vary(contacts: pl.DataFrame) -> None:
    phones = contacts["phone"].drop_nulls()
    assert phones.str.starts_with("+33").any()
    assert phones.str.starts_with("0033").any()
    assert phones.str.contains(r"^0\d \d\d \d\d \d\d \d\d$").any()
    assert phones.str.contains(r"^0\d\.\d\d").any()
    assert phones.str.contains(r"^0[67]\d{8}$").any()
    assert phones.str.contains(r"^0[1-5]\d{8}$").any()


# ------------------------------------------------------------------------- hard negatives


def test_households_share_name_address_and_landline(keyed: pl.DataFrame) -> None:
    pairs = _pairs_sharing(keyed, ["ln", "ad", "ph"])
    landline = pairs.filter(pl.col("ph").str.contains(r"^[1-5]") & (pl.col("fn") != pl.col("fn_r")))
    assert landline.height > 20


def test_homonyms_share_full_name(keyed: pl.DataFrame) -> None:
    pairs = _pairs_sharing(keyed, ["fn", "ln"])
    unrelated = pairs.filter((pl.col("ph") != pl.col("ph_r")) & (pl.col("ad") != pl.col("ad_r")))
    assert unrelated.height > 50


def test_colleagues_share_company_domain(keyed: pl.DataFrame) -> None:
    business = keyed.filter(~pl.col("dom").is_in(PUBLIC_PROVIDERS))
    pairs = _pairs_sharing(business, ["dom"])
    assert pairs.filter(pl.col("ln") != pl.col("ln_r")).height > 50


# ------------------------------------------------------------------------- dates and consent

REFERENCE = datetime(2026, 9, 30, 12, 0, 0)


def test_timestamps_are_ordered_and_some_are_stale(contacts: pl.DataFrame) -> None:
    assert contacts["created_at"].max() <= REFERENCE  # type: ignore[operator]
    assert (contacts["updated_at"] >= contacts["created_at"]).all()
    stale = contacts.filter(pl.col("last_activity_at") < REFERENCE - timedelta(days=3 * 365))
    assert stale.height > N * 0.1


def test_consent_time_known_iff_consent_known(contacts: pl.DataFrame) -> None:
    for kind in ("email", "sms"):
        known = contacts[f"{kind}_optin"].is_not_null()
        assert (known == contacts[f"{kind}_optin_at"].is_not_null()).all()
        assert contacts[f"{kind}_optin"].drop_nulls().n_unique() == 2
    assert contacts.filter(pl.col("email").is_null())["email_optin"].null_count() > 0
    assert (
        contacts.filter(pl.col("email").is_null() & pl.col("email_optin").is_not_null()).height == 0
    )


def test_date_of_birth_is_iso_text(contacts: pl.DataFrame) -> None:
    dob = contacts["date_of_birth"].drop_nulls()
    assert dob.len() > 0
    assert dob.str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    assert dob.str.to_date("%Y-%m-%d", strict=False).null_count() == 0


# ------------------------------------------------------------------------- shipped sample


def test_sample_loads_with_schema() -> None:
    sample = load_sample()
    assert sample.schema == pl.Schema(SCHEMA)
    assert 1_000 <= sample.height <= 2_000
    assert sample["record_id"].is_unique().all()
    assert sample["entity_id"].n_unique() < sample.height


def test_sample_matches_generator() -> None:
    # If this fails after a generator change, regenerate the file with
    # crmdedup.datasets._write_sample("python/crmdedup/datasets/data/sample_contacts.csv").
    assert load_sample().equals(generate_contacts(1_500, seed=2026))
