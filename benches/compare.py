"""Compare crmdedup with the matchers users would otherwise pick, on the same synthetic contacts.

Usage::

    python benches/compare.py --rows 100000 --systems all [--timeout 600] [--seed 0]

The parent process generates the data once with :mod:`crmdedup.datasets` and writes it to a
temporary Parquet file. Each system then runs in its own subprocess (its own session, killed
when the time box expires) which reads the file, drops ``entity_id`` and starts the clock: load
time is excluded; normalisation, blocking, training, scoring and clustering are included. Peak
RSS comes from ``os.wait4`` on the child. Pairwise precision, recall and F1 are computed in the
parent from each system's clusters against ``entity_id``.

Peers are optional (``pip install '.[bench]'``); systems that are not installed are skipped.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from _common import add_worker_arguments, arguments, write_results

SYSTEMS = ("crmdedup", "splink", "recordlinkage", "dedupe", "rapidfuzz")
REQUIRES = {
    "crmdedup": ("crmdedup",),
    "splink": ("splink", "duckdb"),
    "recordlinkage": ("recordlinkage",),
    "dedupe": ("dedupe",),
    "rapidfuzz": ("rapidfuzz",),
}
THRESHOLD = 0.9  # match probability used to cluster, for the systems that output one
ID = "record_id"


# ----------------------------------------------------------------------------------- helpers


@dataclass
class Output:
    """What a system hands back: one cluster id per record, and its candidate pair count."""

    clusters: pl.DataFrame  # columns record_id, cluster_id
    candidate_pairs: int | None
    count_candidates: Callable[[], int] | None = None  # run after the clock stops


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def clean_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Standard cleaning a peer user would write: lower case, no accents, digits-only phones."""

    def text(col: str) -> pl.Expr:
        e = pl.col(col).str.normalize("NFKD").str.replace_all(r"\p{Mn}", "").str.to_lowercase()
        e = e.str.replace_all(r"[^a-z0-9@.+ -]", " ").str.replace_all(r"\s+", " ").str.strip_chars()
        return pl.when(e == "").then(None).otherwise(e).alias(col)

    phone = pl.col("phone").str.replace_all(r"\D", "").str.slice(-9)
    return df.with_columns(
        *(text(c) for c in ("first_name", "last_name", "company", "address", "city")),
        pl.col("email").str.to_lowercase().str.strip_chars(),
        pl.when(phone.str.len_chars() == 9).then(phone).otherwise(None).alias("phone"),
    )


def union_find_clusters(ids: list[str], edges: Iterable[tuple[int, int]]) -> pl.DataFrame:
    """Connected components over integer row edges, as a record_id -> cluster_id table."""
    parent = list(range(len(ids)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return pl.DataFrame({ID: ids, "cluster_id": [find(i) for i in range(len(ids))]})


def pairwise_metrics(clusters: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    """Pairwise precision, recall and F1 of predicted clusters against ``entity_id``.

    Records missing from ``clusters`` count as singletons.
    """
    joined = truth.select(ID, "entity_id").join(
        clusters.select(ID, pl.col("cluster_id").cast(pl.String)), on=ID, how="left"
    )
    joined = joined.with_columns(pl.col("cluster_id").fill_null(pl.lit("~") + pl.col(ID)))

    def pairs(*keys: str) -> int:
        sizes = joined.group_by(*keys).len()["len"].cast(pl.Int64)
        return int((sizes * (sizes - 1) // 2).sum())

    tp, predicted, actual = (
        pairs("cluster_id", "entity_id"),
        pairs("cluster_id"),
        pairs("entity_id"),
    )
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


# ----------------------------------------------------------------------------------- systems


def run_crmdedup(df: pl.DataFrame, truth: pl.DataFrame, seed: int) -> Output:
    import crmdedup

    result = crmdedup.dedupe(df, id_column=ID)  # type: ignore[attr-defined]
    clusters = result.clusters.select(ID, "cluster_id")
    report = getattr(result, "report", None) or {}
    candidates = report.get("candidate_pairs")
    return Output(clusters, candidates)


def run_splink(df: pl.DataFrame, truth: pl.DataFrame, seed: int) -> Output:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    data = clean_frame(df).select(
        ID, "first_name", "last_name", "email", "phone", "company", "address", "postcode",
        "date_of_birth",
    ).to_pandas()  # fmt: skip
    db_api = DuckDBAPI()
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name=ID,
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.8]),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("company", [0.9]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("email"),
            block_on("phone"),
            block_on("last_name", "postcode"),
            block_on("first_name", "date_of_birth"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(db_api.register(data), settings)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("first_name", "last_name", "date_of_birth")], recall=0.7
    )
    training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    for rule in (block_on("first_name", "last_name"), block_on("email"), block_on("phone")):
        training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD
    )
    clusters = pl.from_pandas(clustered.as_pandas_dataframe()[[ID, "cluster_id"]])

    def count() -> int:
        blocked = linker.inference.compute_blocked_pairs_for_predict()
        sql = f"select count(*) as n from {blocked.physical_name}"
        return int(linker.misc.query_sql(sql, output_type="pandas")["n"].iloc[0])

    return Output(clusters, None, count)


def run_recordlinkage(df: pl.DataFrame, truth: pl.DataFrame, seed: int) -> Output:
    import recordlinkage

    data = clean_frame(df).to_pandas().set_index(ID)
    indexer = recordlinkage.Index()
    indexer.block("last_name")
    indexer.block("email")
    indexer.block("phone")
    pairs = indexer.index(data)
    compare = recordlinkage.Compare()
    compare.string("first_name", "first_name", method="jarowinkler", threshold=0.85, label="first")
    compare.string("last_name", "last_name", method="jarowinkler", threshold=0.85, label="last")
    compare.exact("email", "email", label="email")
    compare.exact("phone", "phone", label="phone")
    compare.exact("date_of_birth", "date_of_birth", label="dob")
    compare.string("address", "address", method="levenshtein", threshold=0.8, label="address")
    compare.exact("postcode", "postcode", label="postcode")
    features = compare.compute(pairs, data)
    links = recordlinkage.ECMClassifier(binarize=None).fit_predict(features)
    ids = data.index.tolist()
    position = {rid: i for i, rid in enumerate(ids)}
    edges = ((position[a], position[b]) for a, b in links)
    return Output(union_find_clusters(ids, edges), len(pairs))


def run_dedupe(df: pl.DataFrame, truth: pl.DataFrame, seed: int) -> Output:
    """dedupe needs labelled pairs (normally from a console labeller): take them from the truth."""
    import random

    import dedupe

    columns = ("first_name", "last_name", "email", "phone", "address", "postcode", "date_of_birth")
    rows = clean_frame(df).select(ID, *columns).to_dicts()
    data = {r[ID]: {k: r[k] for k in columns} for r in rows}
    fields = [
        dedupe.variables.String("first_name", has_missing=True),
        dedupe.variables.String("last_name", has_missing=True),
        dedupe.variables.String("email", has_missing=True),
        dedupe.variables.Exact("phone", has_missing=True),
        dedupe.variables.String("address", has_missing=True),
        dedupe.variables.Exact("postcode", has_missing=True),
        dedupe.variables.Exact("date_of_birth", has_missing=True),
    ]
    deduper = dedupe.Dedupe(fields, num_cores=0)
    rng = random.Random(seed)
    groups = truth.group_by("entity_id").agg(pl.col(ID)).filter(pl.col(ID).list.len() > 1)
    matches = [tuple(rng.sample(g, 2)) for g in groups[ID].to_list()]
    rng.shuffle(matches)
    entity = dict(zip(truth[ID].to_list(), truth["entity_id"].to_list(), strict=True))
    ids = list(data)
    distinct: list[tuple[str, str]] = []
    while len(distinct) < 400:
        a, b = rng.sample(ids, 2)
        if entity[a] != entity[b]:
            distinct.append((a, b))
    # Hard negatives too: same last name, different people.
    by_last: dict[Any, list[str]] = defaultdict(list)
    for rid, rec in data.items():
        if rec["last_name"]:
            by_last[rec["last_name"]].append(rid)
    for members in by_last.values():
        if len(distinct) >= 800:
            break
        if len(members) > 1 and entity[members[0]] != entity[members[1]]:
            distinct.append((members[0], members[1]))
    labels = {
        "match": [(data[a], data[b]) for a, b in matches[:400]],
        "distinct": [(data[a], data[b]) for a, b in distinct],
    }
    # The documented way to feed existing labels: a training file given to prepare_training.
    deduper.prepare_training(data, training_file=io.StringIO(json.dumps(labels)))
    deduper.train(recall=0.9, index_predicates=False)
    scores = deduper.score(deduper.pairs(data))
    clustered = deduper.cluster(scores, threshold=0.5)
    cluster_of = {rid: i for i, (members, _) in enumerate(clustered) for rid in members}
    out = pl.DataFrame(
        {ID: ids, "cluster_id": [cluster_of.get(r, -1 - k) for k, r in enumerate(ids)]}
    )
    return Output(out, len(scores))


def run_rapidfuzz(df: pl.DataFrame, truth: pl.DataFrame, seed: int) -> Output:
    """A hand-written matcher: block on last-name prefix + initial and on email, score, link."""
    from rapidfuzz import fuzz
    from rapidfuzz.distance import JaroWinkler

    fields = ("first_name", "last_name", "email", "phone", "address", "postcode", "date_of_birth")
    records = df.select(ID, *fields).rows()
    ids = [r[0] for r in records]

    def norm(value: str | None) -> str:
        if not value:
            return ""
        return " ".join(
            "".join(ch for ch in _strip_accents(value).lower() if ch.isalnum() or ch == " ").split()
        )

    def digits(value: str | None) -> str:
        return "".join(ch for ch in value or "" if ch.isdigit())[-9:]

    clean = [
        (
            norm(r[1]),
            norm(r[2]),
            (r[3] or "").lower(),
            digits(r[4]),
            norm(r[5]),
            r[6] or "",
            r[7] or "",
        )
        for r in records
    ]
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, (first, last, email, *_rest) in enumerate(clean):
        if last:
            blocks["n:" + last.replace(" ", "")[:4] + first[:1]].append(i)
        if email:
            blocks["e:" + email].append(i)
    weights = (1.0, 1.0, 2.0, 2.0, 1.0, 0.5, 1.5)
    scorers: tuple[Callable[[str, str], float], ...] = (
        JaroWinkler.normalized_similarity,
        JaroWinkler.normalized_similarity,
        lambda a, b: fuzz.ratio(a, b) / 100,
        lambda a, b: float(a == b),
        lambda a, b: fuzz.token_sort_ratio(a, b) / 100,
        lambda a, b: float(a == b),
        lambda a, b: float(a == b),
    )
    seen: set[tuple[int, int]] = set()
    edges: list[tuple[int, int]] = []
    for members in blocks.values():
        for x in range(len(members)):
            a = clean[members[x]]
            for y in range(x + 1, len(members)):
                pair = (members[x], members[y])
                if pair in seen:
                    continue
                seen.add(pair)
                b = clean[pair[1]]
                total = weight = 0.0
                for k in range(7):
                    if a[k] and b[k]:
                        total += weights[k] * scorers[k](a[k], b[k])
                        weight += weights[k]
                if weight >= 3.0 and total / weight >= 0.85:
                    edges.append(pair)
    return Output(union_find_clusters(ids, edges), len(seen))


RUNNERS: dict[str, Callable[[pl.DataFrame, pl.DataFrame, int], Output]] = {
    "crmdedup": run_crmdedup,
    "splink": run_splink,
    "recordlinkage": run_recordlinkage,
    "dedupe": run_dedupe,
    "rapidfuzz": run_rapidfuzz,
}


# ----------------------------------------------------------------------------------- processes


def worker(system: str, data_path: Path, out_dir: Path, seed: int) -> int:
    """Child side: load (untimed), run one system (timed), write clusters and stats."""
    truth = pl.read_parquet(data_path)
    df = truth.drop("entity_id")
    stats: dict[str, Any] = {"status": "ok"}
    try:
        for module in REQUIRES[system]:
            importlib.import_module(module)
        if system == "crmdedup" and not hasattr(sys.modules["crmdedup"], "dedupe"):
            raise ImportError("crmdedup.dedupe is not available in this build")
    except ImportError as exc:
        stats = {"status": "skipped", "reason": f"{type(exc).__name__}: {exc}"}
        (out_dir / "stats.json").write_text(json.dumps(stats))
        return 0
    start = time.perf_counter()
    output = RUNNERS[system](df, truth, seed)
    stats["seconds"] = time.perf_counter() - start
    if output.count_candidates is not None:
        output.candidate_pairs = output.count_candidates()
    stats["candidate_pairs"] = output.candidate_pairs
    output.clusters.select(
        pl.col(ID).cast(pl.String), pl.col("cluster_id").cast(pl.String)
    ).write_parquet(out_dir / "clusters.parquet")
    (out_dir / "stats.json").write_text(json.dumps(stats))
    return 0


def _rss_mb(pid: int) -> float:
    """Current resident set size of ``pid`` in MB (0 when unknown)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _wait(
    proc: subprocess.Popen[bytes], timeout: float, max_rss_mb: float | None = None
) -> tuple[int | str, float]:
    """Reap ``proc`` with ``os.wait4``; return (exit code, or "timeout"/"memory", peak RSS MB).

    The child's whole session is killed when it runs past ``timeout`` seconds or, if given, when
    its resident memory passes ``max_rss_mb`` (a guard for shared machines).
    """
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_maxrss / 1024
        reason = None
        if time.monotonic() > deadline:
            reason = "timeout"
        elif max_rss_mb is not None and _rss_mb(proc.pid) > max_rss_mb:
            reason = "memory"
        if reason:
            os.killpg(proc.pid, signal.SIGKILL)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return reason, usage.ru_maxrss / 1024
        time.sleep(0.05)


def run_system(
    system: str,
    data_path: Path,
    truth: pl.DataFrame,
    seed: int,
    timeout: float,
    max_rss_mb: float | None = None,
) -> dict[str, Any]:
    """Parent side: run one system in a fresh session and score its clusters."""
    row: dict[str, Any] = {"system": system, "rows": truth.height}
    with tempfile.TemporaryDirectory(prefix=f"compare-{system}-") as tmp:
        out_dir = Path(tmp)
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            system,
            "--data",
            str(data_path),
            "--out",
            tmp,
            "--seed",
            str(seed),
        ]
        log = out_dir / "log.txt"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                cmd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
            code, rss = _wait(proc, timeout, max_rss_mb)
        row["peak_rss_mb"] = rss
        stats_file = out_dir / "stats.json"
        if code == "timeout":
            return {**row, "status": "timeout", "reason": f"killed after {timeout:.0f} s"}
        if code == "memory":
            return {**row, "status": "memory", "reason": f"killed above {max_rss_mb:.0f} MB RSS"}
        if code != 0 or not stats_file.exists():
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            return {**row, "status": "error", "reason": " | ".join(tail)}
        stats = json.loads(stats_file.read_text())
        if stats["status"] != "ok":
            return {**row, **stats}
        clusters = pl.read_parquet(out_dir / "clusters.parquet")
        return {**row, **stats, **pairwise_metrics(clusters, truth)}


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(results: list[dict[str, Any]]) -> None:
    """Print one Markdown table (paste-ready for BENCHMARKS.md)."""
    base = next((r.get("seconds") for r in results if r["system"] == "crmdedup"), None)
    header = ("system", "rows", "candidate pairs", "precision", "recall", "F1", "wall s",
              "peak RSS MB", "crmdedup speed-up")  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in results:
        if r.get("status") != "ok":
            status = r.get("status", "error")
            cells = [
                r["system"],
                str(r["rows"]),
                status,
                "-",
                "-",
                "-",
                "-",
                _fmt(r.get("peak_rss_mb"), ".0f"),
                "-",
            ]
        else:
            speedup = r["seconds"] / base if base else None
            cells = [
                r["system"],
                str(r["rows"]),
                _fmt(r.get("candidate_pairs"), ","),
                f"{r['precision']:.4f}",
                f"{r['recall']:.4f}",
                f"{r['f1']:.4f}",
                f"{r['seconds']:.2f}",
                f"{r['peak_rss_mb']:.0f}",
                _fmt(speedup, ".1f") + ("x" if speedup else ""),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    print("\n".join(lines))
    for r in results:
        if r.get("reason"):
            print(f"note: {r['system']} {r['status']}: {r['reason']}")


def main(argv: list[str] | None = None) -> int:
    parser = arguments(__doc__)
    parser.add_argument("--systems", default="all", help="comma-separated names, or 'all'")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per system")
    parser.add_argument("--max-rss-mb", type=float, help="kill a system above this RSS (MB)")
    add_worker_arguments(parser)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.data, args.out, args.seed)

    systems = (
        SYSTEMS if args.systems == "all" else tuple(s.strip() for s in args.systems.split(","))
    )
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown system(s) {sorted(unknown)}; choose from {', '.join(SYSTEMS)}")
    from crmdedup.datasets import generate_contacts

    truth = generate_contacts(args.rows, seed=args.seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="compare-data-") as tmp:
        data_path = Path(tmp) / "contacts.parquet"
        truth.write_parquet(data_path)
        for system in systems:
            missing = [m for m in REQUIRES[system] if importlib.util.find_spec(m) is None]
            if missing:
                results.append({"system": system, "rows": args.rows, "status": "skipped",
                                "reason": f"not installed: {', '.join(missing)}"})  # fmt: skip
                continue
            print(f"running {system} ...", file=sys.stderr, flush=True)
            results.append(
                run_system(system, data_path, truth, args.seed, args.timeout, args.max_rss_mb)
            )
    print_table(results)
    write_results(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
