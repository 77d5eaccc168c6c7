"""normalize() and profile() expose what the matcher sees; phones agree with libphonenumber."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

import crmdedup
from crmdedup import Comparison, Settings

PHONES = Path(__file__).parents[1] / "data" / "phones.csv"


def _only(column: str, normalizer: str) -> Settings:
    return Settings(
        comparisons=(Comparison(column, normalizer=normalizer),),  # type: ignore[arg-type]
        blocking_rules=((column,),),  # type: ignore[arg-type]
    )


def test_phones_agree_with_the_phonenumbers_oracle() -> None:
    golden = pl.read_csv(PHONES, schema_overrides={"raw": pl.String, "e164": pl.String})
    for (region,), rows in golden.group_by("region"):
        out = crmdedup.normalize(rows.select("raw"), _only("raw", "phone"), default_region=region)
        want = rows["e164"].fill_null("")
        got = out["raw_e164"].fill_null("")
        assert (got == want).all(), rows.filter(got != want).head()


def test_profile_counts_invalid_values() -> None:
    df = pl.DataFrame({"email": ["a@x.fr", "not-an-email", None, " A@X.FR", "b@y"]})
    p = crmdedup.profile(df).row(0, named=True)
    assert (p["rows"], p["nulls"], p["distinct"]) == (5, 1, 3)
    # "not-an-email" has no @; "b@y" has no dot in its domain. The two valid spellings of
    # a@x.fr are one distinct value.
    assert p["invalid"] == 2
    assert p["top_values"][0] == {"value": "a@x.fr", "count": 2}


names = st.text(alphabet="abcdéèëçœæßøłÉÈ -'ABCDEFGHIJKL", min_size=0, max_size=20)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(names, min_size=1, max_size=20))
def test_name_normalisation_is_idempotent(values: list[str]) -> None:
    first = crmdedup.normalize(pl.DataFrame({"nom": values}), _only("nom", "name"))["nom_norm"]
    again = crmdedup.normalize(pl.DataFrame({"nom": first.fill_null("")}), _only("nom", "name"))[
        "nom_norm"
    ]
    assert first.fill_null("").to_list() == again.fill_null("").to_list()


def test_phonetic_keys_group_french_homophones() -> None:
    df = pl.DataFrame({"nom": ["Lefebvre", "Lefèvre", "Lefeuvre", "Thibault", "Thibaut", "Tibo"]})
    keys = crmdedup.normalize(df, _only("nom", "name"))["nom_phonetic_fr"].to_list()
    assert keys[0] == keys[1] == keys[2]
    assert keys[3] == keys[4] == keys[5]
    assert keys[0] != keys[3]
