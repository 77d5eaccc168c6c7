"""The report as one self-contained HTML page: inline CSS and SVG, opens offline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmdedup.report._svg import (
    _bar_chart,
    _e,
    _n,
)

__all__ = ["render_html"]

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2433;
background:#f6f7f9}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #d8dce3}
.muted{color:#5c6577;font-size:13px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #d8dce3;border-radius:8px;padding:12px}
.card b{display:block;font-size:22px}
table{border-collapse:collapse;background:#fff;margin:8px 0}
td,th{border:1px solid #d8dce3;padding:4px 10px;text-align:right}
th{background:#eef0f4}td:first-child,th:first-child{text-align:left}
figure{background:#fff;border:1px solid #d8dce3;border-radius:8px;margin:12px 0;padding:12px}
figcaption{font-size:13px;color:#5c6577}
.estimate{border-left:4px solid #d08a00;background:#fff8e8;padding:8px 12px}
svg text{font:11px system-ui,sans-serif;fill:#1d2433}
"""


# Set a data attribute once the charts are laid out: used by the browser test, harmless otherwise.
_SCRIPT = """
document.addEventListener("DOMContentLoaded", function () {
  var drawn = 0;
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    var box = svg.getBBox();
    if (box.width > 0 && box.height > 0) { drawn += 1; }
  });
  document.documentElement.setAttribute("data-charts-drawn", String(drawn));
});
"""


def _mass(kg: float) -> str:
    return f"{kg:,.1f} kg".replace(",", "\u202f") if kg >= 1 else f"{kg * 1000:.1f} g"


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1000
    return f"{n} B"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{_e(_n(c) if isinstance(c, (int, float)) else c)}</td>" for c in r)
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _cards(items: Sequence[tuple[str, str]]) -> str:
    inner = "".join(f'<div class="card"><b>{_e(v)}</b>{_e(k)}</div>' for k, v in items)
    return f'<div class="cards">{inner}</div>'


def render_html(stats: dict[str, Any], *, title: str = "crmdedup report") -> str:
    """Render the numbers of :func:`compute_stats` as a self-contained HTML page.

    The page loads nothing from the network: styles are inline and charts are inline SVG.
    """
    s = stats
    body: list[str] = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">Generated {_e(s["generated_at"])} · match threshold '
        f"{s['threshold']:g} (weight {s['threshold_weight']:.2f})</p>",
        _cards(
            [
                ("records in the input", _n(s["records"])),
                ("people (clusters)", _n(s["clusters"])),
                ("duplicate records", _n(s["duplicate_records"])),
                ("matched pairs", _n(s["matched_pairs"])),
            ]
        ),
        "<h2>Cluster sizes</h2>",
        _bar_chart(
            "cluster-sizes",
            [str(size) for size, _ in s["cluster_sizes"]],
            [n for _, n in s["cluster_sizes"]],
            caption="Number of clusters by number of records (1 = no duplicate)",
        ),
    ]
    body += _weights_section(s)
    body += _records_sections(s)
    body += _sobriety_section(s)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style>"
        f"<script>{_SCRIPT}</script></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def _weights_section(s: dict[str, Any]) -> list[str]:
    hist = s["weight_histogram"]
    out = ["<h2>Match weights</h2>"]
    if not hist:
        return [*out, "<p>No scored pairs.</p>"]
    width = hist[1][0] - hist[0][0] if len(hist) > 1 else 2.0
    lo, hi = hist[0][0], hist[-1][0]
    n_bins = round((hi - lo) / width) + 1
    counts = dict((round((b - lo) / width), n) for b, n in hist)
    values = [counts.get(i, 0) for i in range(n_bins)]
    labels = [f"{lo + i * width:g}" for i in range(n_bins)]
    marker = ((s["threshold_weight"] - lo) / width, f"threshold {s['threshold']:g}")
    out.append(
        _bar_chart(
            "match-weights",
            labels,
            values,
            marker=marker,
            caption="Scored pairs by match weight (log2 Bayes factor); the dashed line is "
            "the threshold",
        )
    )
    return out


def _records_sections(s: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if "sources" in s:
        out += [
            "<h2>Duplicates by source</h2>",
            _bar_chart(
                "duplicates-by-source",
                [str(r[0]) for r in s["sources"]],
                [r[2] for r in s["sources"]],
                caption="Records that belong to a cluster of two or more, by source",
            ),
            _table(
                ["source", "records", "in a duplicate cluster", "share"],
                [(r[0], r[1], r[2], f"{100 * r[2] / max(r[1], 1):.1f} %") for r in s["sources"]],
            ),
        ]
    if "quality" in s:
        q = s["quality"]
        names = {
            "invalid_emails": "invalid emails",
            "missing_emails": "missing emails",
            "invalid_phones": "invalid phones",
            "empty_records": "empty records",
            "unreachable": "no email, phone nor address",
        }
        keys = [k for k in names if k in q]
        out += [
            "<h2>Data quality</h2>",
            _bar_chart(
                "data-quality",
                [names[k] for k in keys],
                [q[k] for k in keys],
                caption="Records with a data-quality problem (input records)",
            ),
        ]
    if "inactive" in s:
        ia = s["inactive"]
        out += [
            "<h2>Inactive contacts</h2>",
            f"<p>No activity in <code>{_e(ia['column'])}</code> since {_e(ia['cutoff'])} "
            f"({s['retention_years']:g} years, the usual CNIL retention period for prospects): "
            f"<b>{_n(ia['people'])}</b> people ({_n(ia['records'])} records) are past "
            f"retention; {_n(ia['unknown'])} people have no activity date.</p>",
        ]
    if "consent" in s:
        statuses = sorted({r[1] for r in s["consent"]})
        totals = [sum(r[2] for r in s["consent"] if r[1] == st) for st in statuses]
        out += [
            "<h2>Consent after merge</h2>",
            _bar_chart(
                "consent-status",
                statuses,
                totals,
                caption="Consent ledger rows by status (all purposes)",
            ),
            _table(["purpose", "status", "rows"], s["consent"]),
        ]
    else:
        out += [
            "<h2>Consent after merge</h2>",
            "<p>Run <code>crmdedup merge</code> into this directory to include the consent "
            "ledger.</p>",
        ]
    return out


def _sobriety_section(s: dict[str, Any]) -> list[str]:
    so, f = s["sobriety"], s["factors"]
    rows: list[tuple[str, str, str]] = [
        ("records", _n(so["records_before"]), _n(so["records_after"])),
    ]
    if "bytes_before" in so:
        rows.append(("storage (input file)", _bytes(so["bytes_before"]), _bytes(so["bytes_after"])))
    out = [
        "<h2>Sobriety</h2>",
        _table(["", "before", "after"], rows),
    ]
    notes: list[str] = []
    if "emails_avoided_per_campaign" in so:
        notes.append(
            f"<li><b>{_n(so['emails_avoided_per_campaign'])}</b> duplicate emails avoided per "
            f"campaign ({_n(so['emails_avoided_per_year'])} a year at "
            f"{f['campaigns_per_year']} campaigns): about "
            f"<b>{_mass(so['email_kg_co2e_per_year'])} CO2e</b> a year at "
            f"{f['email_g_co2e']:g} g CO2e per email.</li>"
        )
    if "storage_kg_co2e_per_year" in so:
        notes.append(
            f"<li>Storage freed: about <b>{_mass(so['storage_kg_co2e_per_year'])} CO2e</b> a "
            f"year at {f['storage_kg_co2e_per_gb_year']:g} kg CO2e per GB-year.</li>"
        )
    if notes:
        out.append(
            '<div class="estimate"><p><b>Estimates.</b> CO2e figures are orders of magnitude '
            "computed from published average factors, not measurements; the factors and their "
            "sources are listed in the documentation (docs/report.md) and can be changed with "
            "<code>crmdedup report</code> options.</p><ul>" + "".join(notes) + "</ul></div>"
        )
    return out
