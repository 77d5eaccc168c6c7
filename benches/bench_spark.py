"""crmdedup.spark on local[2] against the single-process path: wall time per stage, peak memory.

Usage::

    python benches/bench_spark.py [--sizes 100000,1000000] [--partitions 8] [--seed 0]
                                  [--shuffle-partitions 8] [--driver-memory 8g]
                                  [--fit] [--link] [--json out.json]

Per size: one machine's ``crmdedup.dedupe`` (its model is then given to Spark, so both score
with the same model and the comparison is the scoring pipeline, not two fits), then
``crmdedup.spark.dedupe`` over the same records in Spark local mode with ``--partitions``
input partitions. Peak memory is the largest resident set of this process and all its
descendants (the JVM and Spark's Python workers), sampled every 50 ms during each run. The
Spark run is checked against the single-process one (same clusters); Spark reads the records
from a Parquet file written beforehand (outside the timings). With ``--fit`` Spark
is given no model: it fits its own over all records (the ``fit`` stage), checked equal to one
machine's. With ``--link`` the records are split in two tables (alternate rows) and linked
(``crmdedup.link`` against ``crmdedup.spark.link``). Needs the ``spark`` extra and Java.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import polars as pl
from _common import arguments, synthetic, write_results


def tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry.name)] = int(line.split()[1])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 1024


class Peak:
    """The peak of :func:`tree_rss_mb` over a ``with`` block."""

    def __enter__(self) -> Peak:
        self.mb = tree_rss_mb(os.getpid())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            self.mb = max(self.mb, tree_rss_mb(os.getpid()))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def session(shuffle_partitions: int, driver_memory: str, scratch: Path) -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.driver.memory", driver_memory)
        .config("spark.local.dir", str(scratch))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def run(
    rows: int, partitions: int, seed: int, spark: Any, fit: bool, link: bool, scratch: Path
) -> dict[str, Any]:
    import gc

    import crmdedup
    from crmdedup import spark as cs

    df, _ = synthetic(rows, seed)
    tables = [df.gather_every(2), df.gather_every(2, offset=1)] if link else [df]
    del df
    with Peak() as local_peak:
        start = time.perf_counter()
        local = (crmdedup.link if link else crmdedup.dedupe)(*tables, id_column="record_id")
        local_s = time.perf_counter() - start
    key = ["source_dataset", "record_id"] if link else ["record_id"]
    kind = pl.Int64 if link else pl.String
    # Only what the comparison needs stays in memory while Spark runs.
    expected = local.clusters.sort(key)["cluster_id"].cast(kind)
    model, settings = local.model, local.settings
    local_stages = {k: v / 1000 for k, v in local.report["timings_ms"]}
    # Spark reads Parquet from disk, as on a cluster; the driver's heap holds no input rows.
    paths = []
    for i, t in enumerate(tables):
        path = scratch / f"input_{rows}_{i}.parquet"
        t.select(pl.all().cast(pl.String)).write_parquet(path)
        paths.append(str(path))
    del local, tables
    gc.collect()
    sdfs = [spark.read.parquet(p).repartition(partitions) for p in paths]
    with Peak() as spark_peak:
        start = time.perf_counter()
        given = None if fit else model
        res = (cs.link if link else cs.dedupe)(*sdfs, settings, model=given, id_column="record_id")
        clusters = pl.DataFrame(pl.from_arrow(res.clusters.toArrow()))
        spark_s = time.perf_counter() - start
    same = clusters.sort(key)["cluster_id"].cast(kind).equals(expected)
    return {
        "rows": rows,
        "task": "link" if link else "dedupe",
        "partitions": partitions,
        "local_s": round(local_s, 2),
        "local_stages_s": local_stages,
        "local_peak_mb": round(local_peak.mb),
        "spark_s": round(spark_s, 2),
        "spark_stages_s": res.report["timings_s"],
        "spark_peak_mb": round(spark_peak.mb),
        "candidate_pairs": res.report["candidate_pairs"],
        "same_clusters": same,
        "same_model": res.model is not None and res.model.to_json() == model.to_json(),
    }


def main() -> None:
    parser = arguments(__doc__, rows=False)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument(
        "--shuffle-partitions", type=int, default=8, help="spark.sql.shuffle.partitions"
    )
    parser.add_argument("--driver-memory", default="8g", help="spark.driver.memory")
    parser.add_argument("--fit", action="store_true", help="Spark fits its own model")
    parser.add_argument("--link", action="store_true", help="link two halves instead")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        spark = session(args.shuffle_partitions, args.driver_memory, scratch)
        results = [
            run(int(n), args.partitions, args.seed, spark, args.fit, args.link, scratch)
            for n in args.sizes.split(",")
            if n
        ]
        spark.stop()
    print("| rows | path | wall s | peak MB | stages (s) | same clusters | same model |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        stages = ", ".join(f"{k} {v:.2f}" for k, v in r["local_stages_s"].items())
        local = f"{r['local_s']:.2f} | {r['local_peak_mb']:,}"
        print(f"| {r['rows']:,} | one process | {local} | {stages} | | |")
        stages = ", ".join(f"{k} {v:.2f}" for k, v in r["spark_stages_s"].items())
        print(
            f"| {r['rows']:,} | spark local[2], {r['partitions']} partitions | {r['spark_s']:.2f} "
            f"| {r['spark_peak_mb']:,} | {stages} | {r['same_clusters']} | {r['same_model']} |"
        )
    for r in results:
        rate = {k: round(r["rows"] / v) for k, v in r["spark_stages_s"].items() if v > 0}
        print(f"rows per second per stage at {r['rows']:,} (2 cores): {rate}")
    write_results(results, args.json)


if __name__ == "__main__":
    main()
