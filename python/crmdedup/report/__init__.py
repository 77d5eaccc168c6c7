"""The data-hygiene and sobriety report: one self-contained HTML file.

:func:`compute_stats` turns the outputs of a run (clusters, pairs, the input records and, when
available, the consent ledger of a merge) into plain numbers; :func:`render_html` draws them as
an HTML page with inline SVG charts and inline CSS, so it opens offline and can be mailed as is.
The CO2e figures are estimates from configurable factors documented in ``docs/report.md``.
"""

from crmdedup.report._html import render_html
from crmdedup.report._stats import ReportOptions, SobrietyFactors, compute_stats

__all__ = ["ReportOptions", "SobrietyFactors", "compute_stats", "render_html"]
