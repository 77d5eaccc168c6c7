"""``crmdedup init-config``: inferred settings, written as a commented TOML file to edit."""

from __future__ import annotations

from pathlib import Path

import click

from crmdedup._files import atomic_write_text, check_writable_file
from crmdedup._io import read_table
from crmdedup.cli._common import (
    common_options,
    input_argument,
    outcome,
    path_option,
    read_options,
)
from crmdedup.cli._inputs import settings_for
from crmdedup.errors import CrmdedupError

__all__ = ["init_config"]

_COMMENTS = {
    "threshold": "Match probability at or above which two records are the same person.",
    "max_block_size": "Blocks larger than this are skipped (listed in the run report).",
    "pairs_per_record": (
        "Per rule, each record is paired with the next this many of its block, ordered by the "
        "first compared column the rule does not read (all pairs in smaller blocks)."
    ),
    "clustering": '"guarded" joins a record to a group, or two groups, only through one link of '
    "guard_probability or two links (from different records when both are groups); "
    '"connected_components" joins every matched pair.',
    "guard_probability": "A single link this strong may join two groups when guarded.",
    "max_cluster_size": "Clusters larger than this are flagged as suspicious.",
    "default_region": "Country assumed for phone numbers without a country code.",
    "id_column": "Column of unique record ids.",
    "[em]": "Unsupervised model fitting (no labels needed).",
    "[[comparisons]]": "One per compared column. method: exact, jaro_winkler, token_jaccard "
    "(thresholds are similarities), levenshtein, damerau_levenshtein (thresholds are "
    "distances); strictest threshold first.",
    "[[blocking_rules]]": "Records equal on all keys share a block, whose records become "
    "candidate pairs (see pairs_per_record). Keys: a column, a slice (last_name[:2]) or a "
    "function (email_local(email), initials(company)...).",
}


def _commented(toml_text: str, source: Path) -> str:
    out = [
        f"# crmdedup settings inferred from the columns of {source.name}.",
        "# Edit freely; check with `crmdedup dedupe INPUT --config THIS_FILE`.",
    ]
    seen: set[str] = set()
    for line in toml_text.splitlines():
        if line.startswith("# crmdedup settings"):
            continue
        key = line.split("=")[0].strip() if "=" in line else line.strip()
        if key in _COMMENTS and key not in seen and (not line.startswith(" ")):
            seen.add(key)
            out.append(f"# {_COMMENTS[key]}")
        out.append(line)
    return "\n".join(out) + "\n"


@click.command("init-config")
@input_argument
@path_option("-o", "--output", default=Path("settings.toml"), help="Settings file to write.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@read_options
@common_options
def init_config(
    input_path: Path, output: Path, force: bool, encoding: str | None, delimiter: str | None
) -> None:
    """Infer settings from the columns of INPUT and write them as a commented TOML file."""
    check_writable_file(output, what="settings file")
    frame, _ = read_table(input_path, encoding=encoding, delimiter=delimiter)
    settings = settings_for(frame, None, input_path)
    if output.exists() and not force:
        raise CrmdedupError(f"`{output}` already exists\nhint: pass --force to overwrite it")
    atomic_write_text(output, _commented(settings.to_toml(), input_path))
    outcome(
        {
            "output": str(output),
            "comparisons": [c.name for c in settings.comparisons],
            "id_column": settings.id_column,
        },
        f"settings for {len(settings.comparisons)} columns written to {output}",
    )
