"""``crmdedup review``: decide the pairs near the threshold, side by side, from the run directory.

Nothing is rescored: the pairs come from the run's ``pairs`` and ``candidates`` tables, the
records from its input. Decisions are saved at once (``review.csv``) and the run's clusters are
updated at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import polars as pl
from rich.table import Table

from crmdedup.cli._common import (
    amount_option,
    cell,
    common_options,
    count_option,
    emit_json,
    flag,
    outcome,
    run_argument,
    say,
    stdout_console,
)
from crmdedup.cli._decisions import (
    Decision,
    apply_decisions,
    load_decisions,
    near_threshold,
    save_decisions,
    with_decision,
)
from crmdedup.cli._progress import StageProgress
from crmdedup.cli._rundir import RUN_FILE, Run, staged
from crmdedup.errors import CrmdedupError

__all__ = ["review"]


def _pairs_to_review(run: Run, band: float, limit: int, decisions: pl.DataFrame) -> pl.DataFrame:
    if band > run.review_band:
        raise CrmdedupError(
            f"--band {band:g} is wider than the {run.review_band:g} bits below the threshold "
            f"that the run in `{run.dir}` kept\n"
            f"hint: rerun `crmdedup dedupe INPUT -o {run.dir} --review-band {band:g}`, or pass "
            f"--band {run.review_band:g} or less"
        )
    scored = pl.concat([run.read("pairs"), run.read("candidates")], how="diagonal_relaxed")
    return near_threshold(
        scored, run.threshold, band_bits=band, decisions=decisions, id_column=run.id_column
    ).head(limit)


def _side_by_side(
    pair: dict[str, Any], records: pl.DataFrame, run: Run, title: str, columns: dict[str, str]
) -> Table:
    """The two records of ``pair``, one field a line, with each compared field's weight."""
    id_col = run.id_column
    a, b = pair[f"{id_col}_l"], pair[f"{id_col}_r"]
    left = records.filter(pl.col(id_col) == a)
    right = records.filter(pl.col(id_col) == b)
    if not (left.height and right.height):
        raise CrmdedupError(
            f"id {a if not left.height else b!r} of the run in `{run.dir}` is not in "
            f"`{run.input_path}`: the input changed since `crmdedup dedupe`\n"
            "hint: rerun `crmdedup dedupe` on it"
        )
    lrow, rrow = left.row(0, named=True), right.row(0, named=True)
    side = Table(title=title, title_justify="left")
    for name in ("field", str(a), str(b), "weight"):
        side.add_column(name)
    weights: dict[str | None, float] = {}
    for k, v in pair.items():
        if k.startswith("weight_"):
            weights.setdefault(columns.get(k[len("weight_") :]), v)
    for c in records.columns:
        if c == id_col:
            continue
        w = weights.get(c)
        side.add_row(c, cell(lrow[c]), cell(rrow[c]), "" if w is None else f"{w:+.2f}")
    return side


def _ask() -> str:
    try:
        answer: str = click.prompt(
            "same person? [y]es / [n]o / [s]kip / [q]uit",
            type=click.Choice(["y", "n", "s", "q"]),
            show_choices=False,
            err=True,
        )
    except click.Abort:
        return "q"
    return answer


def _update_clusters(run: Run, decisions: pl.DataFrame) -> dict[str, int]:
    """Honour the decisions on the run's clusters; rewrite them and run.json together."""
    settings = run.settings()
    clusters, counts = apply_decisions(
        run.read("clusters"),
        run.read("pairs"),
        decisions,
        id_column=run.id_column,
        method=settings.clustering,
        guard_probability=settings.guard_probability,
    )
    info = run.info
    info["decisions"] |= counts
    info["summary"]["clusters"] = clusters.get_column("cluster_id").n_unique()
    info["summary"]["duplicate_records"] = clusters.height - info["summary"]["clusters"]
    with staged(run.dir, owns={run.path("clusters").name, RUN_FILE}) as stage:
        stage.table("clusters", clusters, run.format)
        stage.json(RUN_FILE, info)
    return counts


@click.command()
@run_argument
@amount_option(
    "--band",
    default=3.0,
    help="Show pairs whose match weight is within this many bits of the threshold "
    "(at most the run's --review-band below it).",
)
@count_option("--limit", minimum=1, default=20, help="Pairs to review in this session.")
@click.option("--list", "list_only", is_flag=True, help="List the pairs without asking.")
@common_options
def review(outdir: Path, band: float, limit: int, list_only: bool) -> None:
    """Review pairs near the threshold of the run in OUTDIR, side by side.

    Answer y (same person), n (different people), s (skip) or q (quit). Decisions are saved to
    OUTDIR/review.csv at once and honoured by this run's clusters and by later
    `crmdedup dedupe` runs into OUTDIR. The pairs come from the run directory: nothing is
    rescored.
    """
    run = Run.open(outdir)
    id_col = run.id_column
    decisions_path = run.decisions_file
    decisions = load_decisions(decisions_path)
    todo = _pairs_to_review(run, band, limit, decisions)
    if flag("json") and list_only:
        emit_json(
            {
                "pairs": todo.select(
                    f"{id_col}_l", f"{id_col}_r", "match_weight", "match_probability"
                ).to_dicts()
            }
        )
        return
    if todo.height == 0:
        say("no undecided pair near the threshold")
    with StageProgress() as progress, progress.step("reading"):
        records = run.read_records()
    columns = {c.name: c.column for c in run.settings().comparisons}
    console = stdout_console()
    answered = 0
    for i, pair in enumerate(todo.iter_rows(named=True), start=1):
        a, b = pair[f"{id_col}_l"], pair[f"{id_col}_r"]
        title = (
            f"[{i}/{todo.height}] {a} vs {b}: probability {pair['match_probability']:.3f} "
            f"(threshold {run.threshold:g})"
        )
        console.print(_side_by_side(pair, records, run, title, columns))
        if list_only:
            continue
        answer = _ask()
        if answer == "q":
            break
        if answer == "s":
            continue
        decision: Decision = "must_link" if answer == "y" else "cannot_link"
        decisions = with_decision(decisions, a, b, decision)
        save_decisions(decisions, decisions_path)
        answered += 1
    counts = _update_clusters(run, decisions)
    summary = {
        "answered": answered,
        "decisions": decisions.height,
        **counts,
        "clusters": run.info["summary"]["clusters"],
    }
    outcome(
        summary,
        f"{answered} decisions recorded in {decisions_path}; clusters updated "
        f"({counts['must_link']} must-link, {counts['cannot_link']} cannot-link applied)",
    )
