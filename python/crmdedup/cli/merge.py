"""``crmdedup merge``: golden records from the clusters of a run, keeping consent lawful."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import polars as pl

from crmdedup._io import read_table
from crmdedup.cli._common import (
    common_options,
    format_option,
    id_column_option,
    input_argument,
    outdir_option,
    path_option,
    print_summary,
    read_options,
)
from crmdedup.cli._inputs import id_column as resolve_id_column
from crmdedup.cli._progress import StageProgress
from crmdedup.cli._rundir import MERGE_FILE, MERGE_OUTPUTS, MERGE_OWNS, RUN_FILE, Run, staged
from crmdedup.errors import SchemaError

__all__ = ["merge", "run_merge"]


def _optin_purposes(optin: tuple[str, ...]) -> dict[str, str]:
    purposes = {}
    for item in optin:
        purpose, sep, column = item.partition("=")
        if not sep or not purpose or not column:
            raise click.BadParameter(f"`{item}`: expected PURPOSE=COLUMN", param_hint="--optin")
        purposes[purpose] = column
    return purposes


def _policy(run: Run | None, region: str | None, region_column: str | None) -> Any:
    """The merge policy reading contact points in the region given, else the run's."""
    import crmdedup

    settings = run.settings() if run is not None else None
    if region is None:
        region = settings.default_region if settings is not None else "FR"
    if region_column is None and settings is not None:
        region_column = settings.region_column
    return crmdedup.MergePolicy(default_region=region, region_column=region_column)


def run_merge(
    input_path: Path,
    clusters_path: Path,
    *,
    consents: Path | None = None,
    oppositions: Path | None = None,
    optin: tuple[str, ...] = (),
    outdir: Path | None = None,
    id_column: str | None = None,
    fmt: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    region: str | None = None,
    region_column: str | None = None,
) -> dict[str, Any]:
    """Merge the clusters of ``clusters_path``; return the summary written to ``merge.json``.

    Phones and other contact points are read in ``region`` (default: the run's
    ``default_region`` when the clusters come from a run directory, else FR), or per record in
    ``region_column`` (default: the run's).
    """
    import crmdedup

    target = outdir or clusters_path.parent
    run = Run.open(clusters_path.parent) if (clusters_path.parent / RUN_FILE).exists() else None
    with staged(target, owns=MERGE_OWNS) as stage, StageProgress() as progress:
        with progress.step("reading"):
            read = run.read_input if run is not None else read_table
            frame, _ = read(input_path, encoding=encoding, delimiter=delimiter)
            clusters, _ = read_table(clusters_path)
            events = read_table(consents, allow_empty=True)[0] if consents else None
            lists = read_table(oppositions, allow_empty=True)[0] if oppositions else None
        id_col = id_column or (run.id_column if run is not None else None)
        settings = None if id_col is not None else crmdedup.infer_settings(frame)
        id_col = resolve_id_column(frame, id_col, settings, input_path)
        if id_col not in clusters.columns or "cluster_id" not in clusters.columns:
            raise SchemaError(
                f"clusters file `{clusters_path}` needs columns `{id_col}` and `cluster_id` "
                f"(has: {', '.join(clusters.columns)})"
            )
        clusters = clusters.with_columns(pl.col(id_col).cast(frame.schema[id_col]))
        if optin:
            derived = crmdedup.consents_from_columns(
                frame, id_column=id_col, purposes=_optin_purposes(optin)
            )
            derived = derived.with_columns(pl.col("record_id").cast(pl.String))
            if events is not None:
                events = pl.concat([events, derived], how="diagonal_relaxed")
            else:
                events = derived
        if events is not None and "record_id" in events.columns:
            events = events.with_columns(pl.col("record_id").cast(frame.schema[id_col]))
        policy = _policy(run, region, region_column)
        with progress.step("merging"):
            result = crmdedup.merge(
                frame,
                clusters,
                id_column=id_col,
                consents=events,
                oppositions=lists,
                policy=policy,
            )
        out_fmt = fmt or ("csv" if clusters_path.suffix.lower() == ".csv" else "parquet")
        with progress.step("writing"):
            for name in MERGE_OUTPUTS:
                stage.table(name, getattr(result, name), "csv" if out_fmt == "csv" else "parquet")
        counts = {
            "records": frame.height,
            "golden_records": result.golden.height,
            "consent_rows": result.consent.height,
            "consent_conflicts": result.conflicts.height,
        }
        summary = {"outdir": str(target), "format": out_fmt, "counts": counts}
        stage.json(MERGE_FILE, summary)
    return summary


@click.command()
@input_argument
@path_option(
    "--clusters",
    "clusters_path",
    required=True,
    help="Clusters file written by `crmdedup dedupe`.",
)
@path_option(
    "--consents",
    help="Consent events: record_id, purpose, status, recorded_at[, source, proof].",
)
@path_option(
    "--oppositions",
    help="Opposition lists: contact_point, purpose, listed_at, list_name.",
)
@click.option(
    "--optin",
    multiple=True,
    metavar="PURPOSE=COLUMN",
    help="Read consent from an opt-in flag column of INPUT (with COLUMN_at), e.g. "
    "email_marketing=email_optin. Repeatable.",
)
@click.option(
    "--region",
    help="Country (ISO code) of phone numbers written without a country code "
    "[default: the run's default_region, else FR].",
)
@click.option(
    "--region-column",
    help="Column of INPUT holding each record's country [default: the run's region_column].",
)
@outdir_option(help="Directory for the outputs [default: the clusters file's directory].")
@id_column_option("Column of unique record ids [default: from run.json].")
@format_option(help="Output format [default: that of the clusters file].")
@read_options
@common_options
def merge(input_path: Path, clusters_path: Path, **options: Any) -> None:
    """Merge each cluster of INPUT into a golden record, keeping consent lawful.

    Writes golden records, lineage, provenance, the consent ledger and consent conflicts.
    """
    summary = run_merge(input_path, clusters_path, **options)
    print_summary(
        f"crmdedup merge {input_path.name}",
        summary["counts"],
        Path(summary["outdir"]),
        data=summary,
    )
