"""Cost of a persistent base: create, a nightly update, a match and a batch rerun, side by side.

    python benches/bench_base.py --rows 100000 [--delta 0.02] [--match 10000]

The generated contacts are split into a base (all but the delta) and a delta of new records
plus changed records (a changed email). Data generation is not timed. Prints one Markdown
table: wall seconds per operation and, for comparison, a batch dedupe of the same live records
with the base's frozen model (what an update must equal).
"""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl
from _common import arguments, synthetic

import crmdedup


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--delta", type=float, default=0.02, help="share of rows in the delta")
    parser.add_argument("--match", type=int, default=10_000, help="rows given to match()")
    args = parser.parse_args()

    contacts, _ = synthetic(args.rows, args.seed)
    n_new = int(args.rows * args.delta / 2)
    head, new = contacts.head(args.rows - n_new), contacts.tail(n_new)
    changed = head.sample(n_new, seed=args.seed).with_columns(
        pl.concat_str(pl.lit("x"), pl.col("email")).alias("email")
    )
    delta = pl.concat([new, changed])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        base = crmdedup.Base.create(Path(tmp) / "b", head, id_column="record_id", namespace="b")
        rows.append(("create", head.height, time.perf_counter() - start))

        start = time.perf_counter()
        found = base.match(delta.head(args.match))
        rows.append(("match", min(args.match, delta.height), time.perf_counter() - start))

        start = time.perf_counter()
        base.match(delta.head(args.match))
        rows.append(
            ("match again (warm)", min(args.match, delta.height), time.perf_counter() - start)
        )

        singles = []
        for i in range(20):
            start = time.perf_counter()
            base.match(delta[i * 97 % delta.height :][:1])
            singles.append(time.perf_counter() - start)
        rows.append(("match one record (warm, median of 20)", 1, statistics.median(singles)))

        start = time.perf_counter()
        update = base.update(delta)
        rows.append(("update", delta.height, time.perf_counter() - start))

        start = time.perf_counter()
        base.update(delta)
        rows.append(("update again (no-op)", delta.height, time.perf_counter() - start))

        start = time.perf_counter()
        crmdedup.dedupe(base.records, base.settings, id_column="record_id", model=base.model)
        rows.append(
            ("batch dedupe, frozen model", base.records.height, time.perf_counter() - start)
        )
        statuses = dict(found.assignments.group_by("status").len().iter_rows())
        events = update.changes.height
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"base of {head.height:,} records, delta of {delta.height:,} (half new, half changed)")
    print()
    print("| operation | rows given | wall s |")
    print("|---|---|---|")
    for name, n, seconds in rows:
        print(f"| {name} | {n:,} | {seconds:.3f} |")
    print()
    print(f"match statuses: {statuses}; update events: {events:,}; peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
