"""Inline SVG charts of the report, drawn as text (no plotting library)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence


def _e(value: object) -> str:
    return html.escape(str(value))


def _n(value: float | int) -> str:
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    return f"{value:,.2f}".replace(",", "\u202f")


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
