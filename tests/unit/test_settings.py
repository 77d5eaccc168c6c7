"""Settings: inference from CRM column names, TOML round trip, errors that name the key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest

import crmdedup
from crmdedup import BlockingRule, Comparison, ConfigError, Settings


@pytest.mark.parametrize(
    ("columns", "roles"),
    [
        (["first_name", "last_name", "email"], ["first_name", "last_name", "email"]),
        (["Prénom", "Nom", "Courriel", "Téléphone"], ["first_name", "last_name", "email", "phone"]),
        (
            ["given name", "Surname", "Mobile", "Company"],
            ["first_name", "last_name", "phone", "company"],
        ),
        (
            ["forename", "family_name", "org_name", "Position"],
            ["first_name", "last_name", "company", "job_title"],
        ),
        (
            [
                "prenom",
                "nom",
                "raison_sociale",
                "adresse",
                "code_postal",
                "ville",
                "date_naissance",
            ],
            ["first_name", "last_name", "date_of_birth", "company", "address", "postcode"],
        ),
    ],
)
def test_infers_roles_from_english_and_french_names(columns: list[str], roles: list[str]) -> None:
    df = pl.DataFrame({c: ["x"] for c in columns})
    s = crmdedup.infer_settings(df)
    assert [c.name for c in s.comparisons] == roles
    assert s.blocking_rules


def test_city_is_compared_only_when_the_postcode_does_not_tell_it() -> None:
    follows = pl.DataFrame(
        {
            "nom": ["a"] * 4,
            "cp": ["75001", "75001", "69001", "69001"],
            "ville": ["Paris", "PARIS", "Lyon", "Lyon"],
        }
    )
    assert "city" not in [c.name for c in crmdedup.infer_settings(follows).comparisons]
    independent = follows.with_columns(pl.Series("ville", ["Paris", "Lyon", "Nice", "Metz"]))
    assert "city" in [c.name for c in crmdedup.infer_settings(independent).comparisons]


def test_infers_the_id_column() -> None:
    s = crmdedup.infer_settings(pl.DataFrame({"Contact ID": [1], "email": ["a"]}))
    assert s.id_column == "Contact ID"


def test_nothing_recognised_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"could not infer settings.*\(columns: foo, bar\)"):
        crmdedup.infer_settings(pl.DataFrame({"foo": [1], "bar": [2]}))


def test_toml_round_trip(tmp_path: Path) -> None:
    s = crmdedup.infer_settings(pl.DataFrame({"prenom": ["a"], "nom": ["b"], "email": ["c"]}))
    em = dataclasses.replace(s.em, estimate_u=False, tolerance=1e-7)
    s = s.with_(threshold=0.95, id_column="id", em=em)
    path = tmp_path / "s.toml"
    path.write_text(s.to_toml(), encoding="utf-8")
    assert Settings.from_toml(path) == s


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("treshold = 0.9", r"`treshold`: unknown key"),
        ("threshold = 'high'", r"`threshold`: expected float or int, got 'high'"),
        (
            "[[comparisons]]\ncolumn = 'a'\nmethod = 'fuzzy'",
            r"`comparisons\[0\].method`: 'fuzzy' is not one of",
        ),
        ("[[comparisons]]\nmethod = 'exact'", r"`comparisons\[0\].column`: missing"),
        (
            "[[comparisons]]\ncolumn = 'a'\n[[blocking_rules]]\nkey = ['a']",
            r"`blocking_rules\[0\].key`: unknown key",
        ),
        (
            "[[comparisons]]\ncolumn = 'a'\nthresholds = [0.8, 0.9]\n"
            "[[blocking_rules]]\nkeys = ['a']",
            r"comparisons\[0\].thresholds: \[0.8, 0.9\]: similarities must be strictly decreasing",
        ),
        (
            "[[comparisons]]\ncolumn = 'a'\n[[blocking_rules]]\nkeys = ['soundex(a)']",
            r"blocking_rules\[0\].keys\[0\]: unknown function `soundex`",
        ),
        (
            "[[comparisons]]\ncolumn = 'a'\n[[blocking_rules]]\nkeys = ['a']\n[em]\nseed = -1",
            r"em.seed|invalid settings",
        ),
        (
            "threshold = 1.5\n[[comparisons]]\ncolumn = 'a'\n[[blocking_rules]]\nkeys = ['a']",
            r"threshold: 1.5 is not strictly between 0 and 1",
        ),
        ("this is not toml", r"is not valid TOML"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        Settings.from_toml(path)


def test_missing_settings_file() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Settings.from_toml("no/such/file.toml")


def test_built_in_python_and_used() -> None:
    s = Settings(
        comparisons=(Comparison("email", method="exact", normalizer="email"),),
        blocking_rules=(BlockingRule(("email",)),),
    )
    others = [f"person{i}@example.org" for i in range(40)]
    df = pl.DataFrame({"email": ["A@x.fr", "a@x.fr ", *others]})
    clusters = crmdedup.dedupe(df, s).clusters
    assert clusters["cluster_id"].to_list() == [0, 0, *range(2, 42)]


def test_split_addresses_also_block_on_house_number_and_postcode() -> None:
    """A street written two ways (`Marconi Ct`, `Marconi Court`) still meets its duplicate."""
    people = pl.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(8)],
            "given_name": ["Birgit", "Bir", "Paul", "Anna", "Jean", "Marc", "Lea", "Tom"],
            "surname": ["Fischer", "FISCHER", "Roy", "Keller", "Morel", "Dupuis", "Blanc", "Weber"],
            "street_number": ["2509", "2509", "12", "7", "88", "3", "41", "19"],
            "street_name": [
                "Marconi Ct",
                "Marconi Court",
                "Elm St",
                "Oak Ave",
                "Pine Rd",
                "Main St",
                "Lake Dr",
                "Hill Rd",
            ],
            "postcode": ["74115", "74115", "10001", "20002", "30003", "40004", "50005", "60006"],
        }
    )
    settings = crmdedup.infer_settings(people)
    assert BlockingRule(("postcode", "street_number")) in settings.blocking_rules
    assert BlockingRule(("street_name", "street_number")) in settings.blocking_rules
    pairs = crmdedup.dedupe(
        people, settings.with_(threshold=1e-12), id_column="record_id"
    ).pairs.select("record_id_l", "record_id_r")
    assert ("r0", "r1") in pairs.rows()


def test_a_mistyped_postcode_does_not_hide_a_street_and_number_that_agree() -> None:
    """The street (an `address` without its number) and the house number find a pair whose
    postcode was mistyped and whose names differ too much for the name rules."""
    people = pl.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(8)],
            "given_name": ["Casey", "Kacy", "Paul", "Anna", "Jean", "Marc", "Lea", "Tom"],
            "surname": ["Flatman", "Flattan", "Roy", "Keller", "Morel", "Dupuis", "Blanc", "Weber"],
            "street_number": ["3", "3", "12", "7", "88", "3", "41", "19"],
            "address": [
                "Wyselaskie Circuit",
                "Wyselaskie Circuit",
                "Elm Street",
                "Oak Avenue",
                "Pine Road",
                "Main Street",
                "Lake Drive",
                "Hill Road",
            ],
            "postcode": ["7250", "7205", "1001", "2002", "3003", "4004", "5005", "6006"],
        }
    )
    settings = crmdedup.infer_settings(people)
    assert BlockingRule(("address", "street_number")) in settings.blocking_rules
    # The street with its city too, when the city is compared (here, no postcode to tell it).
    cities = ["Mentone", "Mentone", "Lyon", "Nantes", "Lille", "Metz", "Brest", "Nice"]
    with_city = crmdedup.infer_settings(
        people.drop("postcode").with_columns(city=pl.Series(cities))
    )
    assert BlockingRule(("address", "city")) in with_city.blocking_rules
    pairs = crmdedup.dedupe(
        people, settings.with_(threshold=1e-12), id_column="record_id"
    ).pairs.select("record_id_l", "record_id_r")
    assert ("r0", "r1") in pairs.rows()


def test_a_mobile_kept_after_a_move_abroad_still_meets_its_duplicate() -> None:
    """`(0173) 8595318` read in a French row and in a German one: other E.164 numbers, the same
    subscriber digits. The rule on the last eight digits is kept because its blocks are counted
    on the engine's own keys (the estimate once read the first characters of the number)."""
    n = 400
    mobiles = [f"(0{151 + i % 30}) {7_000_000 + 7919 * i}" for i in range(n)]
    people = pl.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(n + 1)],
            "first_name": [f"Name{i}" for i in range(n)] + ["Sandra"],
            "last_name": [f"Family{i}" for i in range(n)] + ["Schröder"],
            "mobile": [*mobiles[:-1], "(0173) 8595318", "(0173) 8595318"],
            "country_code": ["DE"] * (n - 1) + ["FR", "DE"],
        }
    ).with_columns(
        pl.when(pl.col("record_id") == f"r{n - 1}")
        .then(pl.lit("Sandra"))
        .otherwise(pl.col("first_name"))
        .alias("first_name"),
    )
    settings = crmdedup.infer_settings(people)
    assert BlockingRule(("digits(mobile)[-8:]",)) in settings.blocking_rules
    # Only the subscriber digits bring the two together: the surnames differ (a marriage) and
    # the numbers read in their rows' countries differ.
    pairs = crmdedup.dedupe(
        people, settings.with_(threshold=1e-12), id_column="record_id"
    ).pairs.select("record_id_l", "record_id_r")
    assert (f"r{n - 1}", f"r{n}") in pairs.rows()


def test_a_country_column_of_names_reads_each_records_phones_in_its_country() -> None:
    # Another system's export writes countries as names, codes of three letters or in the
    # country's language: the engine reads them all as ISO codes, for phones and comparison.
    df = pl.DataFrame(
        {
            "first_name": ["Anna", "Anna", "John", "John", "Marie"],
            "last_name": ["Meier", "Meier", "Smith", "Smith", "Dubois"],
            "country": ["Germany", "DEU", "United Kingdom", "UK", "France"],
            "phone": [
                "089 1234567",
                "089 1234567",
                "020 7946 0958",
                "020 7946 0958",
                "06 12 34 56 78",
            ],
        }
    )
    settings = crmdedup.infer_settings(df)
    assert settings.region_column == "country"
    assert {c.name: c.normalizer for c in settings.comparisons}["country"] == "country"
    out = crmdedup.normalize(df, settings)
    assert out["country_norm"].to_list() == ["DE", "DE", "GB", "GB", "FR"]
    assert out["phone_e164"].to_list() == [
        "+49891234567",
        "+49891234567",
        "+442079460958",
        "+442079460958",
        "+33612345678",
    ]
