"""Throughput of crmdedup.dedupe on synthetic contacts: records per second, overall and by stage.

    python benches/bench_dedupe.py --rows 100000 [--threads N] [--repeat 3]

Data generation is not timed. Prints one Markdown table.
"""

from __future__ import annotations

import resource
import time

from _common import arguments, synthetic

import crmdedup


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    contacts, truth = synthetic(args.rows, args.seed)
    best = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = crmdedup.dedupe(contacts, id_column="record_id", threads=args.threads)
        elapsed = time.perf_counter() - start
        if best is None or elapsed < best[0]:
            best = (elapsed, result)
    assert best is not None
    elapsed, result = best
    report = result.report
    ev = crmdedup.evaluate(result, truth)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"| rows | threads | wall s (best of {args.repeat}) | records/s | candidate pairs "
        "| pairwise F1 | peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.rows:,} | {args.threads or 'all'} | {elapsed:.2f} | {args.rows / elapsed:,.0f} "
        f"| {report['candidate_pairs']:,} | {ev.f1:.3f} | {peak_mb:,.0f} |"
    )
    print()
    print("| stage | ms | records/s |")
    print("|---|---|---|")
    for stage, ms in report["timings_ms"]:
        rate = f"{args.rows / (ms / 1000):,.0f}" if ms else "-"
        print(f"| {stage} | {ms} | {rate} |")


if __name__ == "__main__":
    main()
