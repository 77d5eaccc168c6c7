"""The ``crmdedup`` command line."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crmdedup")
def main() -> None:
    """Find and merge duplicate CRM contacts."""


@main.command()
def demo() -> None:
    """Deduplicate the embedded sample of contacts and print what was found."""
    import crmdedup

    data = crmdedup.datasets.load_sample()
    result = crmdedup.dedupe(data.drop("entity_id"), id_column="record_id")
    report = result.report
    click.echo(
        f"{report['rows']} contacts, {report['candidate_pairs']} candidate pairs, "
        f"{report['matched_pairs']} matched pairs, {report['clusters']} clusters "
        f"({report['duplicate_records']} duplicate records)"
    )
