"""How the default settings hold when a table lacks what the suite's tables have.

Each row is a data set of the quality suite (``benches/quality_suite.py``) with a column dropped
or most of its values missing, deduplicated with default settings and no labels: a user's export
from another system often lacks the email, the birth date or the job title, or holds them for a
minority of its rows. A default that only works when every column is full fails there first.

Run: ``python benches/robustness.py`` (about a minute); ``--seed`` picks the data sets' seed.
Missing values are chosen by a hash of the record id, so the same rows go missing in every run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl

import crmdedup

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import gen_b2b, gen_persons
from quality_suite import Score, score_dedupe


def missing(df: pl.DataFrame, column: str, share: float) -> pl.DataFrame:
    """``df`` with ``share`` of ``column``'s values set to null (rows picked by id hash)."""
    picked = pl.col("record_id").cast(pl.String).hash(7) % 1000 < int(share * 1000)
    return df.with_columns(pl.when(picked).then(None).otherwise(pl.col(column)).alias(column))


def variants(name: str, df: pl.DataFrame, columns: list[str]) -> Iterator[tuple[str, pl.DataFrame]]:
    """The data set as it is, then each column dropped, then 30 %, 60 % and 90 % missing."""
    yield name, df
    for column in columns:
        yield f"{name} without {column}", df.drop(column)
    for column in columns[:1]:
        for share in (0.3, 0.6, 0.9):
            yield f"{name}, {column} {share:.0%} missing", missing(df, column, share)


COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "UK": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "NL": "Netherlands",
    "ES": "Spain",
    "IT": "Italy",
    "PL": "Poland",
    "SE": "Sweden",
}


def country_names(df: pl.DataFrame, share: float) -> pl.DataFrame:
    """``df`` with ``share`` of its country codes written as English names (another system's
    export merged in)."""
    named = pl.col("country_code").replace(COUNTRY_NAMES)
    picked = pl.col("record_id").cast(pl.String).hash(11) % 1000 < int(share * 1000)
    return df.with_columns(pl.when(picked).then(named).otherwise(pl.col("country_code")))


def cases(seed: int) -> Iterator[tuple[str, pl.DataFrame]]:
    b2b = gen_b2b.generate(8_000, seed=seed)
    yield from variants("b2b", b2b, ["email", "mobile", "job_title", "company"])
    yield "b2b, countries as names in half the rows", country_names(b2b, 0.5)
    yield "b2b, countries as names", country_names(b2b, 1.0)
    french = crmdedup.datasets.generate_contacts(10_000, seed=seed)
    yield from variants("french", french, ["email", "date_of_birth", "phone"])
    sources = gen_persons.generate(4_000, seed=seed)
    persons = pl.concat([sources[s] for s in sorted(sources)], how="diagonal_relaxed")
    yield from variants("persons-all", persons, ["date_of_birth"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print("| data set | rows | precision | recall | F1 |")
    print("|---|---|---|---|---|")
    for name, df in cases(args.seed):
        s: Score = score_dedupe(name, df, "record_id", "entity_id")
        print(f"| {name} | {s.rows:,} | {s.precision:.4f} | {s.recall:.4f} | {s.f1:.4f} |")


if __name__ == "__main__":
    main()
