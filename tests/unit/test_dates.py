"""Dates are parsed as dates, with the order of day and month inferred per column and per table."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

import crmdedup
from crmdedup import BlockingRule, Comparison, Settings

VECTORS = Path(__file__).parents[1] / "data" / "dates.csv"

# Values that settle each group's order, added to the column as a user's file would have them.
_SETTLE = {
    "dmy": ["25/12/1980"],
    "mdy": ["12/25/1980", "12/31/1999", "11/30/1970"],
    "ymd": ["19801225"],
}


def _vectors() -> dict[str, list[tuple[str, str]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    with VECTORS.open(encoding="utf-8") as f:
        rows = csv.reader(line for line in f if not line.startswith("#"))
        next(rows)
        for fmt, raw, expected in rows:
            groups.setdefault(fmt, []).append((raw, expected))
    return groups


def _settings() -> Settings:
    return Settings(
        comparisons=(Comparison("dob", method="date", normalizer="date"),),
        blocking_rules=(BlockingRule(("dob",)),),
    )


@pytest.mark.parametrize("fmt", ["dmy", "mdy", "ymd"])
def test_shared_vectors(fmt: str) -> None:
    cases = _vectors()[fmt]
    raw = [r for r, _ in cases] + _SETTLE[fmt]
    out = crmdedup.normalize(pl.DataFrame({"dob": raw}), _settings())
    got = out["dob_norm"].to_list()[: len(cases)]
    assert got == [e or None for _, e in cases]


def test_unparseable_dates_are_counted_by_profile() -> None:
    df = pl.DataFrame({"dob": ["1969-06-04", "31/02/1980", "soon", None, " "]})
    row = crmdedup.profile(df, _settings()).row(0, named=True)
    assert (row["nulls"], row["empty"], row["invalid"], row["distinct"]) == (1, 1, 2, 1)


def test_two_sources_with_different_date_orders_link() -> None:
    days = [(d % 28 + 1, d % 12 + 1, 1950 + d % 50) for d in range(60)]
    left = pl.DataFrame(
        {
            "id": [f"l{i}" for i in range(60)],
            "surname": [f"name{i}" for i in range(60)],
            "dob": [f"{d:02}/{m:02}/{y}" for d, m, y in days],  # day first
        }
    )
    right = pl.DataFrame(
        {
            "id": [f"r{i}" for i in range(60)],
            "surname": [f"name{i}" for i in range(60)],
            "dob": [f"{m:02}/{d:02}/{y}" for d, m, y in days],  # month first
        }
    )
    settings = Settings(
        comparisons=(
            Comparison("surname", method="name", normalizer="name", thresholds=(0.9,)),
            Comparison("dob", method="date", normalizer="date"),
        ),
        blocking_rules=(BlockingRule(("dob",)),),
    )
    result = crmdedup.link(left, right, settings, id_column="id")
    pairs = result.pairs.filter(pl.col("gamma_dob") == 4)
    assert sorted(pairs.select("id_l", "id_r").rows()) == sorted(
        (f"l{i}", f"r{i}") for i in range(60)
    )
