"""The HTML report: numbers, self-containment, and rendering in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import crmdedup
from crmdedup.report import ReportOptions, SobrietyFactors, compute_stats, render_html
from tests._helpers import run

CHARTS = [
    "cluster-sizes",
    "match-weights",
    "duplicates-by-source",
    "data-quality",
    "consent-status",
]


def tiny_stats(**options: object) -> dict[str, object]:
    records = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "email": ["x@y.fr", "X@y.fr", "not-an-email", None],
            "phone": ["06 12 34 56 78", None, "12", "0000000000"],
            "source": ["web", "crm", "web", None],
            "seen": ["2026-01-01", "2020-01-01", "2019-05-01", None],
        }
    )
    clusters = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "cluster_id": ["a", "a", "c", "d"],
            "cluster_size": [2, 2, 1, 1],
        }
    )
    pairs = pl.DataFrame({"id_l": ["a"], "id_r": ["b"], "match_weight": [12.5]})
    consent = pl.DataFrame(
        {"purpose": ["email_marketing"] * 3, "status": ["granted", "withdrawn", "withdrawn"]}
    )
    return compute_stats(
        clusters=clusters,
        pairs=pairs,
        threshold=0.9,
        id_column="id",
        records=records,
        roles={
            "email": "email",
            "phone": "phone",
            "source": "source",
            "activity": "seen",
            "contact": "email,phone",
        },
        input_bytes=4_000_000_000,
        consent=consent,
        options=ReportOptions(as_of=date(2026, 6, 1), **options),  # type: ignore[arg-type]
    )


def test_counts() -> None:
    s = tiny_stats()
    assert (s["records"], s["clusters"], s["duplicate_records"]) == (4, 3, 1)
    assert s["cluster_sizes"] == [[1, 2], [2, 1]]
    assert s["quality"] == {
        "invalid_emails": 1,
        "missing_emails": 1,
        "invalid_phones": 2,
        "empty_records": 0,
        "unreachable": 0,
    }
    assert s["sources"][0] == ["web", 2, 1]
    # a+b are one person last seen 2026; c is past the 3-year retention; d has no date.
    assert s["inactive"]["people"] == 1 and s["inactive"]["records"] == 2
    assert s["inactive"]["unknown"] == 1
    assert s["consent"] == [["email_marketing", "granted", 1], ["email_marketing", "withdrawn", 2]]


def test_sobriety_uses_the_configured_factors() -> None:
    s = tiny_stats(
        factors=SobrietyFactors(
            email_g_co2e=10, campaigns_per_year=5, storage_kg_co2e_per_gb_year=2
        )
    )
    so = s["sobriety"]
    # Two valid emails (a, b) belong to one person: one email avoided per campaign.
    assert so["emails_avoided_per_campaign"] == 1
    assert so["email_kg_co2e_per_year"] == pytest.approx(1 * 5 * 10 / 1000)
    assert so["bytes_after"] == 3_000_000_000
    assert so["storage_kg_co2e_per_year"] == pytest.approx(1.0 * 2)


def test_html_is_self_contained_and_labels_estimates() -> None:
    page = render_html(tiny_stats(), title="Base <test>")
    assert "<title>Base &lt;test&gt;</title>" in page
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in page
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "Estimates." in page and "docs/report.md" in page


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo"
    result = run("demo", "-o", out, "--quiet")
    assert result.exit_code == 0, result.output
    return out / "report.html"


def test_demo_report_has_every_section(report_file: Path) -> None:
    page = report_file.read_text(encoding="utf-8")
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in page
    for section in ("Inactive contacts", "Sobriety", "duplicate emails avoided per campaign"):
        assert section in page


@pytest.mark.skipif(
    chromium() is None, reason="chromium is not installed (apt-get install chromium)"
)
def test_report_renders_in_headless_chromium(report_file: Path, tmp_path: Path) -> None:
    browser = chromium()
    assert browser is not None
    flags = [
        browser,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    url = report_file.resolve().as_uri()
    dom = subprocess.run(
        [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=False
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    # The page's script counts the charts that have a non-empty layout box.
    drawn = re.search(r'data-charts-drawn="(\d+)"', dom.stdout)
    assert drawn is not None, "the page script did not run"
    assert int(drawn.group(1)) == len(CHARTS)
    shot = tmp_path / "report.png"
    subprocess.run(
        [*flags, "--hide-scrollbars", "--window-size=1100,1400", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_command_options(report_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "custom.html"
    result = run(
        "report",
        report_file.parent,
        "-o",
        target,
        "--retention-years",
        "1",
        "--email-g-co2e",
        "0.3",
        "--activity-column",
        "updated_at",
        "--title",
        "Q3 clean-up",
    )
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert "Q3 clean-up" in page and "0.3 g CO2e per email" in page and "updated_at" in page
    bad = run("report", report_file.parent, "--activity-column", "nope")
    assert bad.exit_code == 2 and "`nope`" in bad.stderr
    # The run records the version that made it, the engine's own.
    run_info = json.loads((report_file.parent / "run.json").read_text())
    assert run_info["crmdedup"] == crmdedup.__version__
