"""Keep benches/compare.py working: a 1,000-row run with the systems every test env has."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benches" / "compare.py"


def _crmdedup_has_dedupe() -> bool:
    try:
        return hasattr(importlib.import_module("crmdedup"), "dedupe")
    except ImportError:
        return False


def _table(stdout: str) -> dict[str, dict[str, str]]:
    lines = [line for line in stdout.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def test_compare_runs_on_small_data() -> None:
    cmd = [sys.executable, str(SCRIPT), "--rows", "1000", "--systems", "crmdedup,rapidfuzz"]
    done = subprocess.run(
        [*cmd, "--timeout", "25", "--seed", "3"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    table = _table(done.stdout)
    assert set(table) == {"crmdedup", "rapidfuzz"}
    expected_ok = ["rapidfuzz"] + (["crmdedup"] if _crmdedup_has_dedupe() else [])
    for system in expected_ok:
        row = table[system]
        assert row["rows"] == "1000"
        for metric in ("precision", "recall", "F1"):
            assert 0.0 <= float(row[metric]) <= 1.0, (system, metric, row)
        assert float(row["wall s"]) >= 0.0
        assert float(row["peak RSS MB"]) > 0.0
        assert row["candidate pairs"] == "-" or int(row["candidate pairs"].replace(",", "")) > 0
    if not _crmdedup_has_dedupe():
        assert table["crmdedup"]["candidate pairs"] == "skipped"
