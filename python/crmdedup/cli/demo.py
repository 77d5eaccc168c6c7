"""``crmdedup demo``: dedupe, merge and report on the embedded sample of contacts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
import polars as pl
from rich.table import Table

from crmdedup._files import write_table
from crmdedup.cli._common import (
    cell,
    common_options,
    emit_json,
    flag,
    outdir_option,
    stdout_console,
)
from crmdedup.cli._rundir import Run
from crmdedup.cli.dedupe import run_dedupe
from crmdedup.cli.merge import run_merge
from crmdedup.cli.report import run_report

__all__ = ["demo"]


@click.command()
@outdir_option(default=Path("crmdedup-demo"))
@common_options
def demo(outdir: Path) -> None:
    """Deduplicate, merge and report on the embedded sample of contacts."""
    import crmdedup
    from crmdedup.report import ReportOptions

    sample = crmdedup.datasets.load_sample().drop("entity_id")
    outdir.mkdir(parents=True, exist_ok=True)
    contacts = outdir / "contacts.csv"
    write_table(sample, contacts)
    info = run_dedupe(contacts, outdir, id_column="record_id")
    run = Run.open(outdir)
    merged = run_merge(
        contacts,
        run.path("clusters"),
        optin=("email_marketing=email_optin", "sms_marketing=sms_optin"),
        outdir=outdir,
        id_column="record_id",
    )
    html_path = outdir / "report.html"
    # The sample's dates are fixed; count retention back from the sample's reference date.
    run_report(outdir, html_path, ReportOptions(as_of=date(2026, 9, 30)))
    s = info["summary"]
    if flag("json"):
        emit_json(
            {
                "outdir": str(outdir),
                **s,
                "golden_records": merged["counts"]["golden_records"],
                "report": str(html_path),
            }
        )
        return
    if flag("quiet"):
        return
    clusters = run.read("clusters")
    biggest = (
        clusters.filter(pl.col("cluster_size") > 1)
        .join(sample.select("record_id", "first_name", "last_name", "email"), on="record_id")
        .sort("cluster_size", "cluster_id", "record_id", descending=[True, False, False])
    )
    console = stdout_console()
    console.print(
        f"{s['rows']} contacts, {s['candidate_pairs']} candidate pairs, {s['matched_pairs']} "
        f"matched pairs, {s['clusters']} clusters ({s['duplicate_records']} duplicate records)"
    )
    table = Table(title="largest clusters found", title_justify="left")
    for col in ("cluster_id", "record_id", "first_name", "last_name", "email"):
        table.add_column(col)
    for cid in biggest.get_column("cluster_id").unique(maintain_order=True).head(3):
        for r in biggest.filter(pl.col("cluster_id") == cid).iter_rows(named=True):
            table.add_row(
                *(
                    cell(r[c])
                    for c in ("cluster_id", "record_id", "first_name", "last_name", "email")
                )
            )
    console.print(table)
    console.print(
        f"outputs in {outdir}: clusters.parquet, pairs.parquet, golden.parquet, consent.parquet, "
        f"report.html\nnext: open {html_path}, or try `crmdedup review {outdir}`"
    )
