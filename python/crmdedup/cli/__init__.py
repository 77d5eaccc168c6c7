"""The ``crmdedup`` command line: dedupe, review, merge, explain and report on contact files.

Every command reads CSV, TSV or Parquet and writes its outputs atomically into a run directory
(:mod:`crmdedup.cli._rundir` owns its layout). Bad input is one ``error:`` line (plus a
``hint:`` when a fix exists) with exit code 2; an unexpected failure exits with 1
(:mod:`crmdedup.cli._common`). One module per command.
"""

from __future__ import annotations

import click

from crmdedup.cli._common import Group, common_options
from crmdedup.cli.base import base
from crmdedup.cli.dedupe import dedupe
from crmdedup.cli.demo import demo
from crmdedup.cli.explain import explain
from crmdedup.cli.init_config import init_config
from crmdedup.cli.merge import merge
from crmdedup.cli.report import report
from crmdedup.cli.review import review

__all__ = ["main"]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crmdedup")
@common_options
def main() -> None:
    """Find, review and merge duplicate CRM contacts, and report on the clean-up.

    Typical session: `crmdedup dedupe contacts.csv -o run`, `crmdedup review run`,
    `crmdedup merge contacts.csv --clusters run/clusters.parquet`, `crmdedup report run`.
    Nightly: `crmdedup base init` once, then `crmdedup base update` and `crmdedup base changes`.
    """


for _command in (dedupe, merge, explain, review, report, init_config, demo, base):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    main()
