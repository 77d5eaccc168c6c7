"""The crmdedup command line, driven as a user would: real files, exit codes, messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from click.testing import Result

import crmdedup
from tests._helpers import run

COMMANDS = ["dedupe", "merge", "explain", "review", "report", "demo", "init-config"]


@pytest.fixture(scope="module")
def contacts(sample_csv: Path) -> Path:
    return sample_csv


@pytest.fixture(scope="module")
def rundir(tmp_path_factory: pytest.TempPathFactory, contacts: Path) -> Path:
    out = tmp_path_factory.mktemp("run") / "run"
    result = run("dedupe", contacts, "-o", out, "--quiet")
    assert result.exit_code == 0, result.output
    return out


# -- every subcommand ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_dedupe_writes_outputs_and_summary(contacts: Path, tmp_path: Path) -> None:
    result = run(
        "dedupe", contacts, "-o", tmp_path / "out", "--format", "csv", "--threshold", "0.95"
    )
    assert result.exit_code == 0, result.output
    assert "clusters" in result.stdout and "outputs in" in result.stdout
    clusters = pl.read_csv(tmp_path / "out" / "clusters.csv")
    assert clusters.columns == ["record_id", "cluster_id", "cluster_size"]
    assert clusters.height == 1500
    pairs = pl.read_csv(tmp_path / "out" / "pairs.csv")
    assert pairs["match_probability"].min() >= 0.95
    run_info = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run_info["threshold"] == 0.95 and run_info["id_column"] == "record_id"
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_dedupe_json_summary_is_machine_readable(rundir: Path, contacts: Path) -> None:
    result = run("dedupe", contacts, "-o", rundir, "--json", "--quiet")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 1500
    assert summary["clusters"] + summary["duplicate_records"] == 1500
    assert result.stderr == ""


def test_dedupe_shows_progress_on_stderr(contacts: Path, tmp_path: Path) -> None:
    result = run("dedupe", contacts, "-o", tmp_path)
    assert result.exit_code == 0
    for stage in ("reading", "normalising", "blocking", "scoring", "clustering"):
        assert stage in result.stderr


def test_dedupe_with_config_from_init_config(contacts: Path, tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    result = run("init-config", contacts, "-o", config)
    assert result.exit_code == 0, result.output
    text = config.read_text()
    assert text.startswith("# crmdedup settings inferred") and "# Match probability" in text
    assert crmdedup.Settings.from_toml(config).id_column == "record_id"
    again = run("init-config", contacts, "-o", config)
    assert again.exit_code == 2 and "already exists" in again.stderr and "--force" in again.stderr
    result = run("dedupe", contacts, "--config", config, "-o", tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.output


def _merge(contacts: Path, rundir: Path, outdir: Path, *extra: str | Path) -> Result:
    """``crmdedup merge`` of the run's clusters into ``outdir``."""
    return run("merge", contacts, "--clusters", rundir / "clusters.parquet", "-o", outdir, *extra)


def test_merge_with_optin_columns(rundir: Path, contacts: Path, tmp_path: Path) -> None:
    result = _merge(contacts, rundir, tmp_path, "--optin", "email_marketing=email_optin", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    clusters = pl.read_parquet(rundir / "clusters.parquet")
    assert summary["counts"]["golden_records"] == clusters["cluster_id"].n_unique()
    for name in ("golden", "lineage", "provenance", "consent", "conflicts"):
        assert (tmp_path / f"{name}.parquet").exists()
    consent = pl.read_parquet(tmp_path / "consent.parquet")
    assert set(consent["status"]) <= {"granted", "withdrawn", "no_consent", "opposed"}


def test_merge_with_consent_and_opposition_files(
    rundir: Path, contacts: Path, tmp_path: Path
) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "record_id;purpose;status;recorded_at;source;proof\n"
        "C0001;email_marketing;granted;2024-01-02;web;f-1\n",
        encoding="utf-8",
    )
    lists = tmp_path / "bloctel.csv"
    lists.write_text("contact_point,purpose,listed_at,list_name\n", encoding="utf-8")
    lists.write_text(
        "contact_point,purpose,listed_at,list_name\n+33600000000,sms_marketing,2024-01-01,bloctel\n"
    )
    result = _merge(
        contacts,
        rundir,
        tmp_path / "m",
        "--consents",
        events,
        "--oppositions",
        lists,
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    consent = pl.read_csv(tmp_path / "m" / "consent.csv")
    # The one granted event becomes exactly one ledger row: its purpose, status and address.
    granted = consent.filter(pl.col("proof") == "f-1").select("purpose", "status", "contact_point")
    assert granted.rows() == [("email_marketing", "granted", "e.dubois@free.fr")]


def test_explain_prints_weights(rundir: Path, contacts: Path) -> None:
    pairs = pl.read_parquet(rundir / "pairs.parquet")
    a, b = pairs.row(0)[:2]
    result = run("explain", contacts, a, b, "--run", rundir)
    assert result.exit_code == 0, result.output
    assert "match" in result.stdout and "email" in result.stdout
    as_json = run("explain", contacts, a, b, "--run", rundir, "--json", "--quiet")
    data = json.loads(as_json.stdout)
    assert data["verdict"] == "match"
    assert data["comparisons"][0]["comparison"] == "prior"


def test_review_records_decisions_and_later_runs_honour_them(
    contacts: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert run("dedupe", contacts, "-o", out, "--quiet").exit_code == 0
    listed = run("review", out, "--list", "--json", "--quiet", "--limit", "2")
    assert listed.exit_code == 0, listed.output
    todo = json.loads(listed.stdout)["pairs"]
    assert len(todo) == 2
    # Reject the first pair, accept the second, then quit.
    result = run("review", out, "--limit", "5", input="n\ny\nq\n")
    assert result.exit_code == 0, result.output
    assert "same person?" in result.stderr
    decisions = pl.read_csv(out / "review.csv")
    assert decisions["decision"].to_list() == ["cannot_link", "must_link"]
    (no_l, no_r), (yes_l, yes_r) = decisions.select("id_l", "id_r").rows()

    def same_cluster(x: str, y: str) -> bool:
        clusters = pl.read_parquet(out / "clusters.parquet")
        ids = dict(clusters.select("record_id", "cluster_id").iter_rows())
        return ids[x] == ids[y]

    assert not same_cluster(no_l, no_r) and same_cluster(yes_l, yes_r)
    # A fresh run into the same directory honours the decisions file.
    rerun = run("dedupe", contacts, "-o", out, "--json", "--quiet")
    assert json.loads(rerun.stdout)["decisions"]["cannot_link"] == 1
    assert not same_cluster(no_l, no_r) and same_cluster(yes_l, yes_r)
    # Decided pairs are not asked again.
    again = json.loads(run("review", out, "--list", "--json", "--quiet").stdout)["pairs"]
    assert {(p["record_id_l"], p["record_id_r"]) for p in again}.isdisjoint(
        {(no_l, no_r), (yes_l, yes_r)}
    )


def test_report_writes_html(rundir: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    result = run("report", rundir, "-o", target, "--as-of", "2026-09-30", "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["records"] == 1500 and stats["inactive"]["people"] > 0
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>") and "Sobriety" in page


def test_demo_writes_everything(tmp_path: Path) -> None:
    result = run("demo", "-o", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    assert "clusters" in result.stdout and str(tmp_path / "demo") in result.stdout
    for name in ("clusters.parquet", "golden.parquet", "consent.parquet", "report.html"):
        assert (tmp_path / "demo" / name).exists()


def test_python_dash_m_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "crmdedup", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and "dedupe" in proc.stdout


# -- bad input: one line on stderr, exit 2, no traceback ----------------------------------------


def assert_usage_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    # Progress lines (indented) may come first when stderr is not a terminal.
    lines = [line for line in result.stderr.splitlines() if not line.startswith("  ")]
    assert [line.startswith("error: ") for line in lines] == [True] + [False] * (len(lines) - 1)
    assert all(line.startswith("hint: ") for line in lines[1:])
    first = lines[0]
    for needle in needles:
        assert needle in first, first
    assert "Traceback" not in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    assert_usage_error(run("dedupe", tmp_path / "nope.csv"), "`", "nope.csv", "does not exist")


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert_usage_error(run("dedupe", empty), "empty.csv", "empty")
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,email\n")
    assert_usage_error(run("dedupe", header_only), "header.csv", "no rows")


def test_unreadable_encoding(tmp_path: Path) -> None:
    binary = tmp_path / "contacts.csv"
    binary.write_bytes(b"id,email\n\x00\x01\x02,\xff\xfe\n")
    assert_usage_error(run("dedupe", binary), "contacts.csv", "not a text file")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,nom\n1,Lefèvre\n".encode("latin-1"))
    assert_usage_error(run("dedupe", latin, "--encoding", "utf-8"), "latin.csv", "utf-8")


def test_missing_id_column(contacts: Path) -> None:
    result = run("dedupe", contacts, "--id-column", "contact_id")
    assert_usage_error(result, "`contact_id`", "contacts.csv")
    assert "hint:" in result.stderr


def test_duplicate_ids(tmp_path: Path, sample: pl.DataFrame) -> None:
    path = tmp_path / "dups.csv"
    pl.concat([sample.head(5), sample.head(1)]).write_csv(path)
    assert_usage_error(run("dedupe", path), "duplicate id 'C0001'", "`record_id`", "rows 1 and 6")


def test_config_names_missing_column(contacts: Path, tmp_path: Path) -> None:
    config = tmp_path / "s.toml"
    config.write_text(
        '[[comparisons]]\ncolumn = "courriel"\nmethod = "exact"\n\n'
        '[[blocking_rules]]\nkeys = ["courriel"]\n'
    )
    result = run("dedupe", contacts, "--config", config, "--id-column", "record_id")
    assert_usage_error(result, "`courriel`", "s.toml", "contacts.csv")


def test_malformed_config(contacts: Path, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("threshold = = 0.9\n")
    assert_usage_error(run("dedupe", contacts, "--config", config), "bad.toml", "not valid TOML")
    config.write_text("treshold = 0.9\ncomparisons = []\nblocking_rules = []\n")
    assert_usage_error(run("dedupe", contacts, "--config", config), "`treshold`")


def test_not_a_run_directory(tmp_path: Path) -> None:
    result = run("report", tmp_path)
    assert_usage_error(result, "not a crmdedup run directory")
    assert "hint: create it with `crmdedup dedupe" in result.stderr
    assert_usage_error(run("review", tmp_path / "missing"), "does not exist")


def test_explain_unknown_id(rundir: Path, contacts: Path) -> None:
    assert_usage_error(run("explain", contacts, "C0001", "ZZZ", "--run", rundir), "'ZZZ'")


def test_merge_clusters_without_columns(contacts: Path, tmp_path: Path) -> None:
    bad = tmp_path / "clusters.csv"
    bad.write_text("a,b\n1,2\n")
    result = run("merge", contacts, "--clusters", bad, "--id-column", "record_id")
    assert_usage_error(result, "`cluster_id`", "clusters.csv")


def test_no_traceback_unless_debug(tmp_path: Path) -> None:
    quiet = run("dedupe", tmp_path / "nope.csv")
    assert "Traceback" not in quiet.output
    loud = run("--debug", "dedupe", tmp_path / "nope.csv")
    assert loud.exit_code == 1 and loud.exception is not None


def test_internal_error_exits_1(contacts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(crmdedup, "dedupe", boom)
    result = run("dedupe", contacts, "--quiet")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: internal error: RuntimeError: kaput")
    assert "hint: rerun with --debug" in result.stderr


def test_no_color_is_respected(tmp_path: Path) -> None:
    result = run("dedupe", tmp_path / "nope.csv")
    assert "\x1b[" not in result.stderr


@pytest.mark.slow
def test_ctrl_c_stops_promptly_and_leaves_no_partial_file(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    crmdedup.datasets.generate_contacts(100_000, seed=3).drop("entity_id").write_csv(big)
    out = tmp_path / "out"
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmdedup", "dedupe", str(big), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first finished stage (reading): the engine comes next
    assert proc.poll() is None, f"the run ended before it could be interrupted: {first}"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=30)
    err = first + rest
    assert time.monotonic() - sent < 10
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not (out / "clusters.parquet").exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_merge_reads_phones_in_the_region_given(tmp_path: Path) -> None:
    contacts = tmp_path / "c.csv"
    contacts.write_text(
        "record_id,first_name,last_name,email,phone,sms_optin,sms_optin_at\n"
        "1,Jan,Peeters,jan@x.be,0470 12 34 56,true,2024-01-01\n"
        "2,Els,Maes,els@y.be,0471 99 88 77,true,2024-01-01\n",
        encoding="utf-8",
    )
    lists = tmp_path / "opp.csv"
    lists.write_text(
        "contact_point,purpose,listed_at,list_name\n+32470123456,sms_marketing,2024-02-01,dncm\n",
        encoding="utf-8",
    )
    assert run("dedupe", contacts, "-o", tmp_path / "run", "--quiet").exit_code == 0
    common = ["--oppositions", lists, "--optin", "sms_marketing=sms_optin", "--format", "csv"]
    clusters = tmp_path / "run" / "clusters.parquet"

    def status(*extra: str) -> str:
        out = tmp_path / f"m{len(extra)}"
        result = run("merge", contacts, "--clusters", clusters, *common, "-o", out, *extra)
        assert result.exit_code == 0, result.output
        ledger = pl.read_csv(out / "consent.csv", schema_overrides={"record_id": pl.String})
        return str(ledger.filter(pl.col("record_id") == "1")["status"].item())

    # Read in France, 0470… is a French number and the Belgian opposition does not apply.
    assert status() == "granted"
    assert status("--region", "BE") == "opposed"
