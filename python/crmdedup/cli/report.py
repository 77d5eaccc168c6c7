"""``crmdedup report``: a self-contained HTML report on a run directory."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from crmdedup._files import atomic_write_text, check_writable_file
from crmdedup._io import read_table
from crmdedup.cli._common import (
    amount_option,
    common_options,
    count_option,
    error_lines,
    outcome,
    path_option,
    run_argument,
)
from crmdedup.cli._rundir import Run
from crmdedup.errors import SchemaError

__all__ = ["report", "run_report"]


@click.command()
@run_argument
@path_option("-o", "--output", help="HTML file to write [default: OUTDIR/report.html].")
@amount_option(
    "--retention-years",
    default=3.0,
    help="Contacts without activity for this long are past retention.",
)
@click.option(
    "--activity-column",
    help="Column of last activity dates [default: last_activity_at, or similar names].",
)
@click.option("--source-column", help="Column naming each record's source [default: source].")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date to count retention back from [default: today].",
)
@count_option(
    "--campaigns-per-year",
    minimum=0,
    default=12,
    help="Email campaigns sent to the whole base each year.",
)
@amount_option("--email-g-co2e", default=4.0, help="Estimated grams of CO2e per email.")
@amount_option(
    "--storage-kg-co2e-per-gb-year",
    default=0.025,
    help="Estimated kg of CO2e per GB stored for a year.",
)
@click.option("--title", default="crmdedup report", show_default=True, help="Page title.")
@common_options
def report(
    outdir: Path,
    output: Path | None,
    retention_years: float,
    activity_column: str | None,
    source_column: str | None,
    as_of: datetime | None,
    campaigns_per_year: int,
    email_g_co2e: float,
    storage_kg_co2e_per_gb_year: float,
    title: str,
) -> None:
    """Write a self-contained HTML report on the run in OUTDIR.

    Sections: cluster sizes, match weights, duplicates by source, data quality, inactive
    contacts, consent after merge, and the sobriety gained (with CO2e estimates).
    """
    from crmdedup.report import ReportOptions, SobrietyFactors

    options = ReportOptions(
        retention_years=retention_years,
        as_of=as_of.date() if as_of else None,
        factors=SobrietyFactors(email_g_co2e, campaigns_per_year, storage_kg_co2e_per_gb_year),
        title=title,
    )
    target = output or outdir / "report.html"
    stats = run_report(outdir, target, options, activity_column, source_column)
    outcome({"report": str(target), **stats}, f"report written to {target}")


_ACTIVITY = (
    "last_activity_at",
    "last_activity",
    "derniere_activite",
    "date_derniere_activite",
    "last_seen",
    "updated_at",
    "date_modification",
)


def _roles(
    run: Run, records: Any, activity_column: str | None, source_column: str | None
) -> dict[str, str]:
    """Role → column of the input, for the report's data-quality sections."""
    roles: dict[str, str] = {}
    settings = run.settings()
    for c in settings.comparisons:
        if c.normalizer in ("email", "phone", "address") and c.normalizer not in roles:
            roles[c.normalizer] = c.column
    roles["contact"] = ",".join(c.column for c in settings.comparisons)
    for role, given, names in (
        ("source", source_column, ("source", "origine", "canal")),
        ("activity", activity_column, _ACTIVITY),
    ):
        if given is not None and given not in records.columns:
            raise SchemaError(
                f"column `{given}` (--{role}-column) is missing from "
                f"`{run.input_path}` (available: {', '.join(records.columns)})"
            )
        found = given or next((n for n in names if n in records.columns), None)
        if found:
            roles[role] = found
    return roles


def run_report(
    outdir: Path,
    target: Path,
    options: Any,
    activity_column: str | None = None,
    source_column: str | None = None,
) -> dict[str, Any]:
    """Write the HTML report on the run in ``outdir`` to ``target``; return its numbers."""
    from crmdedup.report import compute_stats, render_html

    check_writable_file(target, what="report")
    run = Run.open(outdir)
    records = None
    roles: dict[str, str] = {}
    if run.input_path.exists():
        records = run.read_records()
        roles = _roles(run, records, activity_column, source_column)
    else:
        error_lines(f"input `{run.input_path}` is gone; data-quality sections left out", "warning")
    settings = run.settings()
    consent_path = run.merge_output("consent")
    consent = read_table(consent_path, allow_empty=True)[0] if consent_path else None
    stats = compute_stats(
        clusters=run.read("clusters"),
        pairs=run.read("pairs"),
        threshold=run.threshold,
        id_column=run.id_column,
        records=records,
        roles=roles,
        input_bytes=run.info.get("input_bytes"),
        consent=consent,
        candidates=run.read("candidates"),
        options=options,
        default_region=settings.default_region,
        region_column=settings.region_column,
    )
    atomic_write_text(target, render_html(stats, title=options.title))
    return stats
