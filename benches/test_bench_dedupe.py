"""pytest-benchmark suites of the engine's stages (run with ``make bench``).

Blocking, comparing, EM and clustering run inside one engine call; their own times are kept in
each benchmark's ``extra_info["stages_ms"]`` (from ``report["timings_ms"]``, last round), so
``--benchmark-json`` holds them beside the whole call's statistics.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

import crmdedup


@pytest.fixture(scope="module")
def contacts() -> pl.DataFrame:
    return crmdedup.datasets.generate_contacts(20_000, seed=1).drop("entity_id")


def test_dedupe_20k(benchmark: Any, contacts: pl.DataFrame) -> None:
    result = benchmark(crmdedup.dedupe, contacts, id_column="record_id")
    benchmark.extra_info["stages_ms"] = dict(result.report["timings_ms"])
    assert result.clusters.height == contacts.height
    assert set(benchmark.extra_info["stages_ms"]) == {
        "normalise",
        "block",
        "compare",
        "fit",
        "score",
        "cluster",
    }


def test_normalize_20k(benchmark: Any, contacts: pl.DataFrame) -> None:
    out = benchmark(crmdedup.normalize, contacts)
    assert out.height == contacts.height


def test_dedupe_20k_with_fitted_model(benchmark: Any, contacts: pl.DataFrame) -> None:
    model = crmdedup.dedupe(contacts, id_column="record_id").model
    settings = crmdedup.infer_settings(contacts)
    result = benchmark(crmdedup.dedupe, contacts, settings, id_column="record_id", model=model)
    benchmark.extra_info["stages_ms"] = dict(result.report["timings_ms"])
    assert result.report["fitted"] is False


def test_normalise_only_blocking_bound(benchmark: Any, contacts: pl.DataFrame) -> None:
    settings = crmdedup.infer_settings(contacts).with_(max_block_size=2)
    result = benchmark(crmdedup.dedupe, contacts, settings, id_column="record_id")
    assert result.report["candidate_pairs"] >= 0
