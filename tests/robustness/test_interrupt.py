"""Interrupting `crmdedup dedupe` at random moments: the output directory is always absent,
complete from the interrupted run, or exactly as it was; the process exits within a second."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

import crmdedup

ROWS = int(os.environ.get("CRMDEDUP_INTERRUPT_ROWS", "200000"))
TRIALS = int(os.environ.get("CRMDEDUP_INTERRUPT_TRIALS", "8"))
EXIT_WITHIN_S = 1.0


def snapshot(outdir: Path) -> dict[str, str] | None:
    if not outdir.exists():
        return None
    return {
        str(p.relative_to(outdir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(outdir.rglob("*"))
        if p.is_file()
    }


def start(contacts: Path, outdir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmdedup", "dedupe", str(contacts), "-o", str(outdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # "reading" done: the signal handlers are in place
    assert first.strip().startswith("reading"), first
    return proc


def assert_complete(outdir: Path, rows: int) -> None:
    run = json.loads((outdir / "run.json").read_text())
    assert run["summary"]["rows"] == rows
    clusters = pl.read_parquet(outdir / "clusters.parquet")
    pairs = pl.read_parquet(outdir / "pairs.parquet")
    assert clusters.height == rows
    assert pairs.height == run["summary"]["matched_pairs"]
    crmdedup.Model.load(outdir / "model.json")
    crmdedup.Settings.from_toml(outdir / "settings.toml")


@pytest.fixture(scope="module")
def contacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "contacts.csv"
    crmdedup.datasets.generate_contacts(ROWS, seed=11).drop("entity_id").write_csv(path)
    return path


@pytest.mark.slow
def test_signals_at_random_moments_leave_one_whole_run(contacts: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    began = time.monotonic()
    baseline = start(contacts, outdir)
    after_reading = time.monotonic()
    _, err = baseline.communicate(timeout=600)
    assert baseline.returncode == 0, err
    duration = time.monotonic() - after_reading
    assert_complete(outdir, ROWS)
    (outdir / "review.csv").write_text("id_l,id_r,decision,decided_at,note\n")
    rng = random.Random(20261202)
    outcomes = []
    for trial in range(TRIALS):
        before = snapshot(outdir)
        sig = (signal.SIGINT, signal.SIGTERM)[trial % 2]
        proc = start(contacts, outdir)
        time.sleep(rng.uniform(0, duration * 1.1))
        sent = time.monotonic()
        proc.send_signal(sig)
        try:
            _, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
        waited = time.monotonic() - sent
        after = snapshot(outdir)
        assert proc.returncode in (0, 128 + sig), (proc.returncode, err)
        assert waited < EXIT_WITHIN_S, f"{sig.name}: exit took {waited:.2f}s"
        assert "Traceback" not in err, err
        if proc.returncode:
            assert "interrupted" in err, err
        if after != before:
            assert_complete(outdir, ROWS)
            assert (outdir / "review.csv").exists(), "a new run drops the review decisions"
        leftovers = [p.name for p in tmp_path.iterdir() if p.name != "out"]
        assert leftovers == [], leftovers
        assert not list(outdir.rglob("*.tmp"))
        outcomes.append((sig.name, proc.returncode, round(waited, 3), after == before))
    assert time.monotonic() - began < 600
    print(outcomes)


_API_RUN = """
import sys, time
import polars as pl
import crmdedup

frame = pl.read_csv(sys.argv[1], infer_schema=False)

def progress(stage, done, total):
    print(stage, done, total, flush=True)

try:
    crmdedup.dedupe(frame, id_column="record_id", progress=progress)
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
    sys.exit(130)
print("finished", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("after", ["start", "normalise", "block", "compare"])
def test_ctrl_c_stops_the_api_in_the_next_stage(contacts: Path, after: str) -> None:
    """Ctrl-C right after a stage ends stops the run within the following stage."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _API_RUN, str(contacts)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        stage, done, total = [*line.split(), "", "", ""][:3]
        seen.append(stage)
        if after == "start" or (stage == after and done == total):
            break
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (seen, out, err)
    stopped = float(out.split("interrupted")[1].split()[0])
    assert stopped - sent < EXIT_WITHIN_S, f"stopped {stopped - sent:.2f}s after SIGINT"
