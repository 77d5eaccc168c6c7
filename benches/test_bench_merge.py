"""pytest-benchmark: merge 50,000 contacts with consent events and an opposition list.

Run with ``pytest benches/test_bench_merge.py --benchmark-enable``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_merge import build

from crmdedup.merge import MergeResult, merge


def test_bench_merge(benchmark: Any) -> None:
    data = build(50_000)

    def run() -> MergeResult:
        return merge(
            data["records"],
            data["clusters"],
            id_column="record_id",
            consents=data["consents"],
            oppositions=data["oppositions"],
        )

    result = benchmark(run)
    assert result.lineage.height == 50_000
    assert result.golden["n_records"].sum() == 50_000
