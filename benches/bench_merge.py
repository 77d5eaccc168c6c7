"""Benchmark: merge 1,000,000 contacts in about 300,000 clusters with consent events.

Run ``python benches/bench_merge.py [n_records]``; prints the build and merge times and the
process's peak resident memory.
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time

import numpy as np
import polars as pl

from crmdedup.merge import merge

PURPOSES = ["email_marketing", "sms_marketing", "phone_canvassing", "profiling"]


def build(n_records: int, seed: int = 7) -> dict[str, pl.DataFrame]:
    """Return synthetic ``records``, ``clusters``, ``consents`` and ``oppositions``."""
    rng = np.random.default_rng(seed)
    n_clusters = max(1, int(n_records * 0.3))
    ids = np.arange(n_records, dtype=np.int64)
    person = rng.integers(0, n_clusters, n_records)
    variant = rng.integers(0, 3, n_records)
    start = dt.datetime(2018, 1, 1)
    records = pl.DataFrame(
        {
            "record_id": ids,
            "person": person,
            "variant": variant,
            "updated_at": rng.integers(0, 6 * 365 * 86_400, n_records),
            "src": rng.integers(0, 3, n_records),
        }
    ).select(
        "record_id",
        pl.format("first{}", pl.col("person") % 5000).alias("first_name"),
        pl.format("last{}", pl.col("person") % 20000).alias("last_name"),
        pl.when(pl.col("variant") < 2)
        .then(pl.format("p{}.v{}@Example.fr", "person", "variant"))
        .alias("email"),
        pl.format(
            "0{}{}",
            pl.col("variant") % 2 + 6,
            pl.col("person").cast(pl.String).str.zfill(8),
        ).alias("phone"),
        pl.format("{} rue du Port", pl.col("person") % 300).alias("address"),
        pl.lit(start) + pl.duration(seconds=pl.col("updated_at")),
        pl.col("src").replace_strict({0: "shop", 1: "web", 2: "crm"}).alias("source"),
        pl.col("person"),
    )
    clusters = records.select(
        "record_id", pl.col("record_id").min().over("person").alias("cluster_id")
    )
    records = records.drop("person")
    n_events = n_records
    consents = pl.DataFrame(
        {
            "record_id": rng.integers(0, n_records, n_events),
            "purpose": rng.choice(PURPOSES, n_events),
            "status": np.where(rng.random(n_events) < 0.8, "granted", "withdrawn"),
            "seconds": rng.integers(0, 6 * 365 * 86_400, n_events),
            "source": rng.choice(["web_form", "shop", "call_centre"], n_events),
            "has_proof": rng.random(n_events) < 0.9,
        }
    ).select(
        "record_id",
        "purpose",
        "status",
        (pl.lit(start) + pl.duration(seconds=pl.col("seconds"))).alias("recorded_at"),
        "source",
        pl.when("has_proof").then(pl.format("proof-{}", pl.int_range(pl.len()))).alias("proof"),
    )
    listed = records.get_column("phone").sample(fraction=0.02, seed=seed)
    oppositions = pl.DataFrame(
        {
            "contact_point": listed,
            "purpose": "phone_canvassing",
            "listed_at": dt.datetime(2022, 1, 1),
            "list_name": "bloctel",
        }
    )
    return {
        "records": records,
        "clusters": clusters,
        "consents": consents,
        "oppositions": oppositions,
    }


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024


def main(n_records: int = 1_000_000) -> None:
    """Build the data, merge it and print timings and peak memory."""
    started = time.perf_counter()
    data = build(n_records)
    built = time.perf_counter()
    rss_before = _peak_rss_mib()
    result = merge(
        data["records"],
        data["clusters"],
        id_column="record_id",
        consents=data["consents"],
        oppositions=data["oppositions"],
    )
    done = time.perf_counter()
    statuses = result.consent.group_by("status").len().sort("status").rows()
    print(f"records            {data['records'].height:>12,}")
    print(f"clusters           {result.golden.height:>12,}")
    print(f"consent events     {data['consents'].height:>12,}")
    print(f"consent rows       {result.consent.height:>12,}  {statuses}")
    print(f"provenance rows    {result.provenance.height:>12,}")
    print(f"conflict rows      {result.conflicts.height:>12,}")
    print(f"build time         {built - started:>12.2f} s")
    print(f"merge time         {done - built:>12.2f} s")
    print(f"peak RSS (build)   {rss_before:>12.0f} MiB")
    print(f"peak RSS (total)   {_peak_rss_mib():>12.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
