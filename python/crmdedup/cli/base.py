"""``crmdedup base``: a persistent deduplicated base for nightly updates (:class:`crmdedup.Base`).

``init`` creates it from a file, ``update`` applies a delta (new and changed records, deletions,
decisions), ``match`` says where new records would go without writing, ``changes`` exports the
change feed, ``resolve`` maps any entity id ever issued to the current one and ``verify``
checks the base's invariants (exit code 3 when one fails).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import polars as pl
from rich.table import Table

from crmdedup._files import check_writable_file, write_table
from crmdedup._io import read_table
from crmdedup.api import MAX_THREADS
from crmdedup.cli._common import (
    amount_option,
    cell,
    common_options,
    config_option,
    count_option,
    emit_json,
    error_lines,
    flag,
    id_column_option,
    input_argument,
    outcome,
    path_option,
    print_summary,
    read_options,
    stdout_console,
)
from crmdedup.cli._decisions import load_decisions
from crmdedup.cli._inputs import id_column as resolve_id_column
from crmdedup.cli._inputs import settings_for
from crmdedup.cli._progress import StageProgress
from crmdedup.cli.dedupe import REVIEW_BAND
from crmdedup.errors import SchemaError

__all__ = ["base"]

VERIFY_FAILED = 3
"""Exit code of ``crmdedup base verify`` when the base breaks one of its invariants."""

base_argument = click.argument("base_path", metavar="BASE", type=click.Path(path_type=Path))
threads_option = click.option(
    "--threads", type=click.IntRange(1, MAX_THREADS), help="Worker threads (default: all)."
)


@click.group("base")
def base() -> None:
    """A persistent deduplicated base with stable entity ids, updated night after night.

    `crmdedup base init contacts.parquet crm_base`, then every night
    `crmdedup base update crm_base delta.parquet` and `crmdedup base changes crm_base --since N`.
    See docs/base.md.
    """


def _open(base_path: Path) -> Any:
    import crmdedup

    return crmdedup.Base.open(base_path)


def _entity_counts(update: Any) -> dict[str, int]:
    """Counts of entity-level changes by kind (``created``, ``merged_into``…)."""
    changes = update.entity_changes
    if not changes.height:
        return {}
    counted = changes.group_by("change").len().sort("change")
    return {f"entities_{k}": int(n) for k, n in counted.iter_rows()}


@base.command("init")
@input_argument
@base_argument
@config_option(
    "Settings TOML (see `crmdedup init-config`); inferred from column names when left out."
)
@id_column_option()
@path_option("--decisions", "decisions_path", help="Steward decisions to start with (CSV).")
@click.option(
    "--namespace",
    help="Seed of the entity ids (default: random); the same history gives the same ids.",
)
@threads_option
@read_options
@common_options
def init(
    input_path: Path,
    base_path: Path,
    config: Path | None,
    id_column: str | None,
    decisions_path: Path | None,
    namespace: str | None,
    threads: int | None,
    encoding: str | None,
    delimiter: str | None,
) -> None:
    """Deduplicate INPUT (CSV, TSV or Parquet) into a new base at BASE.

    The settings, the model fitted on INPUT and its term frequencies are frozen in BASE: every
    update scores with them, so that it equals a batch run of the live records.
    """
    import crmdedup

    with StageProgress() as progress:
        with progress.step("reading"):
            frame, _ = read_table(input_path, encoding=encoding, delimiter=delimiter)
        settings = settings_for(frame, config, input_path)
        id_col = resolve_id_column(frame, id_column, settings, input_path)
        decisions = load_decisions(decisions_path) if decisions_path else None
        made = crmdedup.Base.create(
            base_path,
            frame,
            settings.with_(id_column=id_col),
            id_column=id_col,
            decisions=decisions if decisions is not None and decisions.height else None,
            namespace=namespace,
            threads=threads,
            progress=progress,
        )
    active = made.entities.filter(pl.col("status") == "active").height
    rows = {"generation": made.generation, "records": made.members.height, "entities": active}
    print_summary(f"crmdedup base init {input_path.name}", rows, base_path, data=rows)


def _read_ids(path: Path, id_col: str, encoding: str | None, delimiter: str | None) -> Any:
    """The ids of a deletes file: its ``id_col`` column, or its only column."""
    frame, _ = read_table(path, encoding=encoding, delimiter=delimiter)
    if id_col in frame.columns:
        return frame.get_column(id_col)
    if frame.width == 1:
        return frame.to_series()
    raise SchemaError(
        f"deletes file `{path}` has no column `{id_col}` (columns: {', '.join(frame.columns)})"
    )


@base.command("update")
@base_argument
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(path_type=Path))
@path_option(
    "--deletes",
    "deletes_path",
    help="File of ids to delete (CSV or Parquet: the id column, or a single column).",
)
@path_option("--decisions", "decisions_path", help="Steward decisions to apply (CSV).")
@click.option("--dry-run", is_flag=True, help="Compute and print the update; write nothing.")
@threads_option
@read_options
@common_options
def update(
    base_path: Path,
    input_path: Path | None,
    deletes_path: Path | None,
    decisions_path: Path | None,
    dry_run: bool,
    threads: int | None,
    encoding: str | None,
    delimiter: str | None,
) -> None:
    """Apply new and changed records (INPUT), deletions and decisions to BASE.

    A new id is inserted, a known id with other values replaces that record; re-applying the
    same delta changes nothing. The update is committed as a new generation, all or nothing.
    """
    if input_path is None and deletes_path is None and decisions_path is None:
        raise click.UsageError("nothing to apply: give INPUT, --deletes or --decisions")
    opened = _open(base_path)
    with StageProgress() as progress:
        upserts = None
        if input_path is not None:
            with progress.step("reading"):
                upserts, _ = read_table(input_path, encoding=encoding, delimiter=delimiter)
        deletes = (
            _read_ids(deletes_path, opened.id_column, encoding, delimiter) if deletes_path else None
        )
        decisions = load_decisions(decisions_path) if decisions_path else None
        done = opened.update(
            upserts,
            deletes=deletes,
            decisions=decisions if decisions is not None and decisions.height else None,
            dry_run=dry_run,
            threads=threads,
            progress=progress,
        )
    counts = {k: v for k, v in done.report.items() if k.startswith("records_")}
    rows = {
        "generation": done.generation,
        "committed": done.committed,
        **counts,
        "events": done.changes.height,
        **_entity_counts(done),
    }
    title = f"crmdedup base update{' --dry-run' if dry_run else ''}"
    print_summary(title, rows, base_path, data=rows)


@base.command("match")
@base_argument
@input_argument
@path_option(
    "-o",
    "--output",
    default=Path("match.parquet"),
    help="Where each record would go (Parquet, or CSV by suffix).",
)
@count_option("--top-k", minimum=1, default=3, help="Candidate entities kept per record.")
@amount_option(
    "--review-band",
    default=REVIEW_BAND,
    help="Report links down to this many bits below the threshold.",
)
@threads_option
@read_options
@common_options
def match(
    base_path: Path,
    input_path: Path,
    output: Path,
    top_k: int,
    review_band: float,
    threads: int | None,
    encoding: str | None,
    delimiter: str | None,
) -> None:
    """Say where the records of INPUT would go in BASE, without writing to BASE.

    Each record gets its entity id (when it would join one), its probability, a status
    (matched, bridges: would merge entities, review, new) and its top candidates.
    """
    check_writable_file(output)
    opened = _open(base_path)
    with StageProgress() as progress:
        with progress.step("reading"):
            frame, _ = read_table(input_path, encoding=encoding, delimiter=delimiter)
        found = opened.match(
            frame, top_k=top_k, review_band=review_band, threads=threads, progress=progress
        )
    table = found.assignments
    if output.suffix.lower() == ".csv":  # CSV holds no lists: the candidates as JSON text
        table = table.with_columns(
            pl.col("candidates").map_elements(lambda c: json.dumps(list(c)), return_dtype=pl.String)
        )
    write_table(table, output)
    statuses = dict(table.group_by("status").len().iter_rows())
    rows = {s: int(statuses.get(s, 0)) for s in ("matched", "bridges", "review", "new")}
    print_summary(f"crmdedup base match {input_path.name}", rows, output, data=rows)


@base.command("changes")
@base_argument
@count_option(
    "--since",
    minimum=0,
    default=0,
    help="Generation already applied downstream: export the events after it.",
)
@path_option(
    "-o",
    "--output",
    default=Path("changes.parquet"),
    help="The change feed (Parquet, or CSV by suffix).",
)
@common_options
def changes(base_path: Path, since: int, output: Path) -> None:
    """Export the change feed of BASE after generation --since (ids and hashes only)."""
    check_writable_file(output)
    opened = _open(base_path)
    feed = opened.changes(since=since)
    write_table(feed, output)
    rows = {"since": since, "generation": opened.generation, "events": feed.height}
    print_summary("crmdedup base changes", rows, output, data=rows)


@base.command("resolve")
@base_argument
@click.argument("entity_ids", metavar="ENTITY_ID...", nargs=-1, required=True)
@common_options
def resolve(base_path: Path, entity_ids: Sequence[str]) -> None:
    """Print the current entity of each ENTITY_ID ever issued by BASE."""
    found = _open(base_path).resolve(entity_ids)
    if flag("json"):
        emit_json({"resolved": found.to_dicts()})
        return
    if flag("quiet"):
        return
    table = Table(show_header=True)
    for col in found.columns:
        table.add_column(col)
    for row in found.iter_rows():
        table.add_row(*(cell(v) for v in row))
    stdout_console().print(table)


@base.command("verify")
@base_argument
@click.option(
    "--batch", is_flag=True, help="Also re-run the batch dedupe and compare the partition."
)
@common_options
def verify(base_path: Path, batch: bool) -> None:
    """Check the invariants of BASE (exit code 3 when one fails)."""
    opened = _open(base_path)
    problems = opened.verify(batch=batch)
    data = {"generation": opened.generation, "ok": not problems, "problems": problems}
    if problems:
        if flag("json"):
            emit_json(data)
        else:
            error_lines("\n".join(problems))
        raise click.exceptions.Exit(VERIFY_FAILED)
    outcome(data, f"{base_path}: generation {opened.generation} verified")
