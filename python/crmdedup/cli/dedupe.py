"""``crmdedup dedupe``: find the duplicates of a file and write a run directory."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import polars as pl

from crmdedup._files import OutputFormat
from crmdedup._io import read_table
from crmdedup.api import MAX_THREADS
from crmdedup.cli._common import (
    FiniteRange,
    amount_option,
    common_options,
    config_option,
    format_option,
    id_column_option,
    input_argument,
    outdir_option,
    path_option,
    print_summary,
    read_options,
    say,
)
from crmdedup.cli._decisions import decision_counts, load_decisions
from crmdedup.cli._inputs import id_column as resolve_id_column
from crmdedup.cli._inputs import read_columns, settings_for
from crmdedup.cli._progress import StageProgress
from crmdedup.cli._rundir import (
    DECISIONS_FILE,
    MODEL_FILE,
    RUN_FILE,
    RUN_OWNS,
    SETTINGS_FILE,
    staged,
)
from crmdedup.model import probability_of, weight_of

__all__ = ["REVIEW_BAND", "dedupe", "run_dedupe"]

REVIEW_BAND = 3.0
"""Bits below the threshold's match weight down to which pairs are kept for review."""


def _candidates(
    frame: pl.DataFrame,
    result: Any,
    band: float,
    *,
    threads: int | None,
    progress: StageProgress,
) -> pl.DataFrame:
    """Pairs scored below the threshold, down to ``band`` bits under its weight.

    The engine keeps only the pairs at or above its threshold, so the candidates come from a
    second pass at the lower threshold with the model just fitted (no fitting again).
    """
    import crmdedup

    threshold = result.settings.threshold
    if band == 0:
        empty: pl.DataFrame = result.pairs.clear()
        return empty
    low = probability_of(weight_of(threshold) - band)
    again = crmdedup.dedupe(
        frame,
        result.settings.with_(threshold=low),
        id_column=result.id_column,
        model=result.model,
        threads=threads,
        progress=progress.tagged("review"),
    )
    below: pl.DataFrame = again.pairs.filter(pl.col("match_probability") < threshold)
    return below


def run_dedupe(
    input_path: Path,
    outdir: Path,
    *,
    config: Path | None = None,
    id_column: str | None = None,
    threshold: float | None = None,
    fmt: OutputFormat = "parquet",
    decisions_path: Path | None = None,
    threads: int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    review_band: float = REVIEW_BAND,
) -> dict[str, Any]:
    """Deduplicate ``input_path`` into the run directory ``outdir``; return its ``run.json``."""
    import crmdedup

    started = time.perf_counter()
    with staged(outdir, owns=RUN_OWNS) as stage, StageProgress() as progress:
        with progress.step("reading"):
            frame, info = read_table(input_path, encoding=encoding, delimiter=delimiter)
        settings = settings_for(frame, config, input_path)
        if threshold is not None:
            settings = settings.with_(threshold=threshold)
        id_col = resolve_id_column(frame, id_column, settings, input_path)
        settings = settings.with_(id_column=id_col)
        # The run reads no other column: the rest is freed before the engine's work.
        frame = frame.select(read_columns(settings, frame.columns))
        decisions = load_decisions(decisions_path or outdir / DECISIONS_FILE)
        result = crmdedup.dedupe(
            frame,
            settings,
            id_column=id_col,
            threads=threads,
            progress=progress,
            decisions=decisions if decisions.height else None,
        )
        candidates = _candidates(frame, result, review_band, threads=threads, progress=progress)
        clusters = result.clusters
        counts = decision_counts(result, decisions, id_column=id_col)
        with progress.step("writing"):
            stage.table("clusters", clusters, fmt)
            stage.table("pairs", result.pairs, fmt)
            stage.table("candidates", candidates, fmt)
            stage.text(MODEL_FILE, result.model.to_json())
            stage.text(SETTINGS_FILE, settings.to_toml())
        n_clusters = clusters.get_column("cluster_id").n_unique()
        report = result.report
        run = {
            "crmdedup": crmdedup.__version__,
            "created_at": datetime.now().isoformat(timespec="seconds"),
            "input": str(input_path.resolve()),
            "input_format": info.format,
            # Repaired input is read again by detection, which repairs it the same way.
            "encoding": None if info.repaired else info.encoding,
            "delimiter": info.delimiter,
            "input_bytes": info.size_bytes,
            "id_column": id_col,
            "id_dtype": str(frame.schema[id_col]),
            "threshold": settings.threshold,
            "review_band": review_band,
            "format": fmt,
            # The default file moves with the directory; one given is kept where it is.
            "decisions": {
                "file": str(decisions_path.resolve()) if decisions_path else DECISIONS_FILE,
                **counts,
            },
            "summary": {
                "rows": frame.height,
                "candidate_pairs": report["candidate_pairs"],
                "matched_pairs": result.pairs.height,
                "clusters": n_clusters,
                "duplicate_records": frame.height - n_clusters,
                "largest_cluster": int(clusters.select(pl.col("cluster_size").max()).item() or 0),
                "oversized_clusters": len(report.get("oversized_clusters", [])),
                "skipped_blocks": report.get("skipped_blocks_total", 0),
                "seconds": round(time.perf_counter() - started, 2),
            },
            "engine_report": report,
            "column_roles": [dataclasses.asdict(r) for r in settings.column_roles],
            "inference_notes": list(settings.notes),
        }
        stage.json(RUN_FILE, run)
    return run


@click.command()
@input_argument
@outdir_option(default=Path("crmdedup-out"))
@config_option(
    "Settings TOML (see `crmdedup init-config`); inferred from column names when left out."
)
@id_column_option()
@click.option(
    "--threshold",
    type=FiniteRange(0, 1, min_open=True, max_open=True),
    help="Match probability above which two records are the same person.",
)
@format_option(default="parquet", help="Format of the clusters and pairs files.")
@path_option(
    "--decisions",
    "decisions_path",
    help=f"Review decisions to honour [default: OUTDIR/{DECISIONS_FILE}].",
)
@amount_option(
    "--review-band",
    default=REVIEW_BAND,
    help="Also keep the pairs scored up to this many bits below the threshold, for "
    "`crmdedup review` and `crmdedup explain --run` (0: none; costs a second scoring pass).",
)
@click.option(
    "--threads", type=click.IntRange(1, MAX_THREADS), help="Worker threads (default: all)."
)
@read_options
@common_options
def dedupe(input_path: Path, outdir: Path, **options: Any) -> None:
    """Find duplicate contacts in INPUT (CSV, TSV or Parquet).

    Writes clusters, matched pairs, the candidate pairs just below the threshold, the fitted
    model, the settings used and a run summary (run.json) into OUTDIR.
    """
    run = run_dedupe(input_path, outdir, **options)
    if run["column_roles"]:
        say("columns, as inferred (pass --config to choose; see `crmdedup init-config`):")
        for r in run["column_roles"]:
            used = " (compared)" if r["compared"] else ""
            say(f"  {r['column']}: {r['role'] or '-'}{used}: {r['reason']}")
        for note in run["inference_notes"]:
            say(f"  {note}")
    print_summary(
        f"crmdedup dedupe {input_path.name}",
        run["summary"],
        outdir,
        data={"outdir": str(outdir), **run["summary"], "decisions": run["decisions"]},
    )
