"""How crmdedup scales: wall time, peak RSS and accuracy at 10k, 100k and 1M contacts (10M opt-in).

Usage::

    python benches/bench_dedupe_scaling.py [--sizes 10000,100000,1000000] [--with-10m]
                                           [--windows 10,1000] [--seed 0] [--timeout 1800]
                                           [--json out.json]

The parent generates each data set with :mod:`crmdedup.datasets` and writes it to Parquet; a fresh
subprocess per size loads it (untimed, but its memory counts in the peak RSS, which is also shown
right after loading) and runs ``crmdedup.dedupe``. Per-stage timings from
``result.report["timings_ms"]`` are printed under the table. ``--windows`` runs every size with
each ``pairs_per_record`` given (default: the settings' default), so that a before/after of the
window is one run; 1000 pairs every block within the cap in full, as before windows.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
from _common import add_worker_arguments, arguments, write_results
from compare import ID, _wait, pairwise_metrics

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)


def worker(data_path: Path, out_dir: Path, window: int | None) -> int:
    df = pl.read_parquet(data_path).drop("entity_id")
    loaded_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import crmdedup

    start = time.perf_counter()
    settings = crmdedup.infer_settings(df)
    if window is not None:
        settings = settings.with_(pairs_per_record=window)
    result = crmdedup.dedupe(df, settings, id_column=ID)
    seconds = time.perf_counter() - start
    report = getattr(result, "report", None) or {}
    timings = report.get("timings_ms")
    candidates = report.get("candidate_pairs")
    result.clusters.select(
        pl.col(ID).cast(pl.String), pl.col("cluster_id").cast(pl.String)
    ).write_parquet(out_dir / "clusters.parquet")
    summary = {"seconds": seconds, "loaded_rss_mb": loaded_mb, "candidate_pairs": candidates,
               "timings": timings, "windowed_blocks": report.get("windowed_blocks"),
               "pairs_per_record": settings.pairs_per_record}  # fmt: skip
    (out_dir / "stats.json").write_text(json.dumps(summary, default=str))
    return 0


def run_size(n_rows: int, seed: int, timeout: float, window: int | None) -> dict[str, Any]:
    from crmdedup.datasets import generate_contacts

    row: dict[str, Any] = {"rows": n_rows}
    with tempfile.TemporaryDirectory(prefix=f"scaling-{n_rows}-") as tmp:
        out_dir = Path(tmp)
        data_path = out_dir / "contacts.parquet"
        truth = generate_contacts(n_rows, seed=seed)
        truth.write_parquet(data_path)
        truth = truth.select(ID, "entity_id")
        cmd = [sys.executable, __file__, "--worker", "--data", str(data_path), "--out", tmp]
        if window is not None:
            cmd += ["--windows", str(window)]
        log = out_dir / "log.txt"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                cmd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
            code, rss = _wait(proc, timeout)
        row["peak_rss_mb"] = rss
        if isinstance(code, str):  # "timeout" or "memory"
            return {**row, "status": code}
        if code != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            return {**row, "status": "error", "reason": " | ".join(tail)}
        stats = json.loads((out_dir / "stats.json").read_text())
        clusters = pl.read_parquet(out_dir / "clusters.parquet")
        return {**row, "status": "ok", **stats, **pairwise_metrics(clusters, truth)}


def print_table(results: list[dict[str, Any]]) -> None:
    header = ("rows", "pairs_per_record", "candidate pairs", "per record", "windowed blocks",
              "wall s", "rows/s", "RSS after load MB", "peak RSS MB", "precision", "recall",
              "F1")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for r in results:
        if r["status"] != "ok":
            cells = [f"{r['rows']:,}", str(r.get("window") or "default"), r["status"]]
            cells += ["-"] * 5 + [f"{r['peak_rss_mb']:.0f}"] + ["-"] * 3
        else:
            pairs = r.get("candidate_pairs")
            cells = [
                f"{r['rows']:,}",
                str(r.get("pairs_per_record")),
                "-" if pairs is None else f"{int(pairs):,}",
                "-" if pairs is None else f"{int(pairs) / r['rows']:.2f}",
                f"{r.get('windowed_blocks') or 0:,}",
                f"{r['seconds']:.2f}",
                f"{r['rows'] / r['seconds']:,.0f}",
                f"{r['loaded_rss_mb']:.0f}",
                f"{r['peak_rss_mb']:.0f}",
                f"{r['precision']:.4f}",
                f"{r['recall']:.4f}",
                f"{r['f1']:.4f}",
            ]
        print("| " + " | ".join(cells) + " |")
    for r in results:
        if r.get("timings"):
            print(f"stages (ms) at {r['rows']:,} rows, window {r.get('pairs_per_record')}: "
                  f"{r['timings']}")  # fmt: skip
        if r.get("reason"):
            print(f"note: {r['rows']:,} rows {r['status']}: {r['reason']}")


def main(argv: list[str] | None = None) -> int:
    parser = arguments(__doc__, rows=False)
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES))
    parser.add_argument("--with-10m", action="store_true", help="add a 10,000,000-row run")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per size")
    parser.add_argument(
        "--windows",
        default="",
        help="comma-separated pairs_per_record values to run each size with (default: default)",
    )
    add_worker_arguments(parser, action="store_true")
    args = parser.parse_args(argv)
    windows: list[int | None] = [int(w) for w in args.windows.split(",") if w.strip()] or [None]
    if args.worker:
        return worker(args.data, args.out, windows[0])
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.with_10m:
        sizes.append(10_000_000)
    results = []
    for n_rows in sizes:
        for window in windows:
            print(f"running {n_rows:,} rows, window {window} ...", file=sys.stderr, flush=True)
            results.append({"window": window, **run_size(n_rows, args.seed, args.timeout, window)})
    print_table(results)
    write_results(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
