"""The data-hygiene and sobriety report: one self-contained HTML file.

:func:`compute_stats` turns the outputs of a run (clusters, pairs, the input records and, when
available, the consent ledger of a merge) into plain numbers; :func:`render_html` draws them as
an HTML page with inline SVG charts and inline CSS, so it opens offline and can be mailed as is.
The CO2e figures are estimates from configurable factors documented in ``docs/report.md``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

__all__ = [
    "ReportOptions",
    "SobrietyFactors",
    "compute_stats",
    "render_html",
]

_EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"


@dataclass(frozen=True)
class SobrietyFactors:
    """Factors behind the CO2e estimates (sources in ``docs/report.md``).

    Parameters
    ----------
    email_g_co2e
        Grams of CO2e per email sent and read (default 4 g: Berners-Lee, *How Bad Are
        Bananas?*, "typical email"; the 2020 edition ranges from 0.3 g to 26 g).
    campaigns_per_year
        Email campaigns sent to the whole base each year.
    storage_kg_co2e_per_gb_year
        Kilograms of CO2e per gigabyte stored for a year, replicas and cooling included
        (default 0.025: 0.1 kWh per GB-year times 0.25 kg CO2e per kWh).
    """

    email_g_co2e: float = 4.0
    campaigns_per_year: int = 12
    storage_kg_co2e_per_gb_year: float = 0.025


@dataclass(frozen=True)
class ReportOptions:
    """What the report counts and how.

    Parameters
    ----------
    retention_years
        A contact with no activity for this long is past retention (default 3 years, the
        CNIL's usual guidance for prospects).
    as_of
        Date the retention period is counted back from; today when ``None``.
    factors
        Sobriety factors.
    title
        Page title.
    """

    retention_years: float = 3.0
    as_of: date | None = None
    factors: SobrietyFactors = field(default_factory=SobrietyFactors)
    title: str = "crmdedup report"


def _as_datetime(frame: pl.DataFrame, column: str) -> pl.Expr:
    dtype = frame.schema[column]
    if isinstance(dtype, pl.Datetime):
        return pl.col(column).dt.replace_time_zone(None)
    if dtype == pl.Date:
        return pl.col(column).cast(pl.Datetime("us"))
    return pl.col(column).cast(pl.String).str.to_datetime(strict=False, time_unit="us")


def _blank(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars().replace("", None).is_null()


def _quality(
    records: pl.DataFrame, roles: dict[str, str], contact_columns: Sequence[str]
) -> dict[str, int]:
    out: dict[str, int] = {}
    exprs: list[pl.Expr] = []
    if "email" in roles:
        text = pl.col(roles["email"]).cast(pl.String).str.strip_chars()
        exprs.append(
            (text.is_not_null() & ~text.str.contains(_EMAIL_RE)).sum().alias("invalid_emails")
        )
        exprs.append(text.is_null().sum().alias("missing_emails"))
    if "phone" in roles:
        digits = pl.col(roles["phone"]).cast(pl.String).str.replace_all(r"\D", "")
        bad = digits.str.len_chars().is_between(9, 15).not_() | (
            digits.str.strip_chars(digits.str.slice(0, 1)) == ""
        )
        exprs.append((pl.col(roles["phone"]).is_not_null() & bad).sum().alias("invalid_phones"))
    present = [c for c in contact_columns if c in records.columns]
    if present:
        empty = pl.all_horizontal(*(_blank(c) for c in present))
        exprs.append(empty.sum().alias("empty_records"))
    reach = [roles[r] for r in ("email", "phone", "address") if r in roles]
    if reach:
        exprs.append(pl.all_horizontal(*(_blank(c) for c in reach)).sum().alias("unreachable"))
    if exprs:
        out = {k: int(v) for k, v in records.select(exprs).row(0, named=True).items()}
    return out


def compute_stats(
    *,
    clusters: pl.DataFrame,
    pairs: pl.DataFrame,
    threshold: float,
    id_column: str,
    records: pl.DataFrame | None = None,
    roles: dict[str, str] | None = None,
    input_bytes: int | None = None,
    consent: pl.DataFrame | None = None,
    candidates: pl.DataFrame | None = None,
    options: ReportOptions | None = None,
) -> dict[str, Any]:
    """Compute every number of the report.

    Parameters
    ----------
    clusters
        The id column, ``cluster_id`` and ``cluster_size``.
    pairs
        Matched pairs with ``match_weight``.
    threshold
        Match probability threshold of the run.
    id_column
        The id column.
    records
        The input records, for data quality, sources and activity (sections are left out
        without them).
    roles
        Role → column: ``email``, ``phone``, ``address``, ``source``, ``activity`` and
        ``contact`` columns (every compared column).
    input_bytes
        Size of the input file, for the storage estimate.
    consent
        The consent ledger of ``crmdedup merge`` (``purpose``, ``status``).
    candidates
        Pairs below the threshold shown for review, added to the weight histogram.
    options
        Retention, date and factors.

    Returns
    -------
    dict[str, Any]
        JSON-serialisable numbers, read by :func:`render_html`.
    """
    options = options or ReportOptions()
    roles = dict(roles or {})
    as_of = options.as_of or date.today()
    rows = clusters.height
    n_clusters = clusters.get_column("cluster_id").n_unique()
    sizes = (
        clusters.group_by("cluster_id")
        .agg(pl.len().alias("size"))
        .group_by("size")
        .agg(pl.len().alias("clusters"))
        .sort("size")
    )
    weights = pairs.get_column("match_weight")
    if candidates is not None and candidates.height:
        below = candidates.filter(pl.col("match_probability") < threshold)
        weights = pl.concat([weights, below.get_column("match_weight")])
    stats: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "threshold": threshold,
        "threshold_weight": math.log2(threshold / (1 - threshold)),
        "records": rows,
        "clusters": n_clusters,
        "duplicate_records": rows - n_clusters,
        "matched_pairs": pairs.height,
        "cluster_sizes": [list(r) for r in sizes.rows()],
        "weight_histogram": _histogram(weights),
        "retention_years": options.retention_years,
        "factors": asdict(options.factors),
    }
    if records is not None:
        _record_sections(stats, records, clusters, roles, id_column, as_of, options)
    if consent is not None and consent.height:
        counts = consent.group_by("purpose", "status").agg(pl.len()).sort("purpose", "status")
        stats["consent"] = [list(r) for r in counts.rows()]
    stats["sobriety"] = _sobriety(stats, input_bytes, options.factors)
    return stats


def _histogram(weights: pl.Series, width: float = 2.0) -> list[list[float]]:
    if weights.len() == 0:
        return []
    bins = (
        pl.DataFrame({"w": weights.cast(pl.Float64)})
        .filter(pl.col("w").is_finite())
        .group_by(((pl.col("w") / width).floor() * width).alias("lo"))
        .agg(pl.len().alias("n"))
        .sort("lo")
    )
    return [[float(lo), int(n)] for lo, n in bins.rows()]


def _record_sections(
    stats: dict[str, Any],
    records: pl.DataFrame,
    clusters: pl.DataFrame,
    roles: dict[str, str],
    id_column: str,
    as_of: date,
    options: ReportOptions,
) -> None:
    contact = [c for c in roles.get("contact", "").split(",") if c]
    stats["quality"] = _quality(records, roles, contact)
    work = records.with_columns(clusters.get_column("cluster_id").alias("__cluster"))
    work = work.with_columns(pl.len().over("__cluster").alias("__size"))
    if "source" in roles:
        by_source = (
            work.group_by(pl.col(roles["source"]).cast(pl.String).fill_null("(none)").alias("s"))
            .agg(pl.len().alias("records"), (pl.col("__size") > 1).sum().alias("in_duplicates"))
            .sort("records", descending=True)
        )
        stats["sources"] = [list(r) for r in by_source.rows()]
    if "email" in roles:
        text = pl.col(roles["email"]).cast(pl.String).str.strip_chars()
        valid = text.str.contains(_EMAIL_RE).fill_null(False)
        emails = work.select(
            valid.sum().alias("records"),
            pl.col("__cluster").filter(valid).n_unique().alias("people"),
        ).row(0, named=True)
        stats["emailable"] = {k: int(v) for k, v in emails.items()}
    if "activity" in roles:
        cutoff = datetime(as_of.year, as_of.month, as_of.day) - _years(options.retention_years)
        seen = work.select(
            _as_datetime(records, roles["activity"]).alias("seen"), pl.col("__cluster")
        )
        per_person = seen.group_by("__cluster").agg(pl.col("seen").max())
        stats["inactive"] = {
            "column": roles["activity"],
            "cutoff": cutoff.date().isoformat(),
            "records": int(seen.select((pl.col("seen") < cutoff).sum()).item()),
            "people": int(per_person.select((pl.col("seen") < cutoff).sum()).item()),
            "unknown": int(per_person.select(pl.col("seen").is_null().sum()).item()),
        }


def _years(n: float) -> timedelta:
    return timedelta(days=round(365.25 * n))


def _sobriety(
    stats: dict[str, Any], input_bytes: int | None, factors: SobrietyFactors
) -> dict[str, Any]:
    before, after = stats["records"], stats["clusters"]
    out: dict[str, Any] = {"records_before": before, "records_after": after}
    if input_bytes is not None and before:
        bytes_after = round(input_bytes * after / before)
        saved_gb = (input_bytes - bytes_after) / 1e9
        out |= {
            "bytes_before": input_bytes,
            "bytes_after": bytes_after,
            "storage_kg_co2e_per_year": saved_gb * factors.storage_kg_co2e_per_gb_year,
        }
    if "emailable" in stats:
        avoided = stats["emailable"]["records"] - stats["emailable"]["people"]
        out |= {
            "emails_avoided_per_campaign": avoided,
            "emails_avoided_per_year": avoided * factors.campaigns_per_year,
            "email_kg_co2e_per_year": avoided
            * factors.campaigns_per_year
            * factors.email_g_co2e
            / 1000,
        }
    return out


# -- rendering ---------------------------------------------------------------------------------

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


def _e(value: object) -> str:
    return html.escape(str(value))


def _n(value: float | int) -> str:
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    return f"{value:,.2f}".replace(",", "\u202f")


def _mass(kg: float) -> str:
    return f"{kg:,.1f} kg".replace(",", "\u202f") if kg >= 1 else f"{kg * 1000:.1f} g"


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1000
    return f"{n} B"


def _bar_chart(
    name: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    caption: str,
    marker: tuple[float, str] | None = None,
    width: int = 900,
    height: int = 260,
) -> str:
    """A vertical bar chart as inline SVG; ``marker`` draws a labelled line at a bar index."""
    left, bottom, top = 56, 40, 16
    plot_w, plot_h = width - left - 12, height - bottom - top
    top_value = max(values, default=0) or 1
    n = max(len(values), 1)
    step = plot_w / n
    parts = [
        f'<svg class="chart" data-chart="{_e(name)}" role="img" aria-label="{_e(caption)}" '
        f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_e(caption)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#8a93a6"/>',
    ]
    for tick in range(5):
        v = top_value * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_e(_short(v))}</text>'
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#eef0f4"/>'
        )
    label_every = max(1, math.ceil(n / 24))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top_value
        x = left + i * step
        parts.append(
            f'<rect x="{x + step * 0.1:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{max(step * 0.8, 1):.1f}" height="{h:.1f}" fill="#3b6fd8">'
            f"<title>{_e(label)}: {_e(_short(value))}</title></rect>"
        )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{top + plot_h + 14}" '
                f'text-anchor="middle">{_e(label)}</text>'
            )
    if marker is not None:
        pos, text = marker
        x = left + pos * step
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#d04a02" '
            f'stroke-width="2" stroke-dasharray="5 3"/>'
            f'<text x="{x + 4:.1f}" y="{top + 10}" fill="#d04a02">{_e(text)}</text>'
        )
    parts.append("</svg>")
    return f"<figure>{''.join(parts)}<figcaption>{_e(caption)}</figcaption></figure>"


def _short(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.1f}M"
    if v >= 1e4:
        return f"{v / 1e3:.0f}k"
    return f"{v:.0f}" if float(v).is_integer() or v >= 10 else f"{v:.1f}"


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
