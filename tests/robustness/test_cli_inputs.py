"""Bad input and odd sequences through the command line: one `error:` line, exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import Result

from tests._helpers import run


def assert_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("  ")]
    assert lines and lines[0].startswith("error: "), result.stderr
    assert all(line.startswith("hint: ") for line in lines[1:]), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output and "Usage:" not in result.output


@pytest.fixture(scope="module")
def contacts(sample_csv: Path) -> Path:
    return sample_csv


@pytest.fixture(scope="module")
def distinct(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Contacts without a single duplicate: a run with no matched pairs."""
    path = tmp_path_factory.mktemp("in") / "distinct.csv"
    pl.DataFrame(
        {
            "record_id": ["a", "b", "c"],
            "first_name": ["Jean", "Paul", "Luc"],
            "last_name": ["Xavier", "Yvon", "Zola"],
            "email": ["a@x.fr", "b@y.fr", "c@z.fr"],
        }
    ).write_csv(path)
    return path


# -- usage errors (class 8) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["dedupe"], "`INPUT`"),
        (["dedupe", "x.csv", "--bogus"], "`--bogus`"),
        (["nocommand"], "`nocommand`"),
        (["dedupe", "x.csv", "--format", "xml"], "`--format`"),
        (["dedupe", "x.csv", "--threshold", "nan"], "`--threshold`"),
        (["dedupe", "x.csv", "--threshold", "inf"], "`--threshold`"),
        (["dedupe", "x.csv", "--threshold", "-0.1"], "`--threshold`"),
        (["dedupe", "x.csv", "--threshold", "abc"], "`--threshold`"),
        (["dedupe", "x.csv", "--threads", "0"], "`--threads`"),
        (["dedupe", "x.csv", "--threads", "-3"], "`--threads`"),
        (["dedupe", "x.csv", "--threads", "100000"], "`--threads`"),
        (["dedupe", "x.csv", "--threads", "1.5"], "`--threads`"),
        (["review", "run", "--band", "nan"], "`--band`"),
        (["review", "run", "--limit", "0"], "`--limit`"),
        (["report", "run", "--retention-years", "inf"], "`--retention-years`"),
        (["report", "run", "--email-g-co2e", "-1"], "`--email-g-co2e`"),
        (["merge", "x.csv"], "`--clusters`"),
        (["explain", "x.csv", "A"], "`ID_B`"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], needle: str) -> None:
    result = run(*args)
    assert_error(result, needle)
    assert "hint: see `" in result.stderr and "--help`" in result.stderr


def test_usage_errors_from_the_installed_command() -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "crmdedup", "dedupe", "--threads", "0", "x.csv"],
        capture_output=True,
        text=True,
        check=False,
        env={"NO_COLOR": "1", "PATH": ""},
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: invalid value for `--threads`"), proc.stderr
    assert proc.stdout == ""


# -- paths and ids (class 2) ----------------------------------------------------------------


def test_output_that_is_a_file(contacts: Path, tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    assert_error(run("dedupe", contacts, "-o", afile, "--quiet"), "`", "is a file")
    assert_error(run("dedupe", contacts, "-o", afile / "sub", "--quiet"), "is a file")
    assert afile.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_paths_that_are_directories(contacts: Path, tmp_path: Path) -> None:
    nowhere = tmp_path / "never"
    assert_error(run("dedupe", tmp_path, "-o", nowhere, "--quiet"), "is a directory")
    assert_error(run("dedupe", contacts, "--config", tmp_path, "-o", nowhere), "is a directory")
    assert not nowhere.exists()
    assert_error(run("init-config", contacts, "-o", tmp_path), "is a directory")
    out = tmp_path / "run"
    assert run("dedupe", contacts, "-o", out, "--quiet").exit_code == 0
    assert_error(run("report", out, "-o", out), "is a directory")
    assert_error(run("merge", contacts, "--clusters", out, "--quiet"), "is a directory")
    assert_error(run("explain", contacts, "C0001", "C0002", "--run", out / "run.json"))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("record_id,nom\n1,a\n,b\n", "empty id"),
        ("record_id,nom\n1,a\n   ,b\n", "empty id"),
        ("record_id,nom\n,a\n,b\n", "empty id"),
        ("record_id,nom, nom\n1,a,b\n2,c,d\n", "`nom`"),
        ("record_id,nom,nom\n1,a,b\n2,c,d\n", "nom"),
    ],
)
def test_empty_ids_and_colliding_headers(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(text)
    out = tmp_path / "run"
    assert_error(run("dedupe", path, "--id-column", "record_id", "-o", out, "--quiet"), needle)
    assert not out.exists()


def test_id_column_named_like_an_output(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("cluster_id,email\n1,a@x.fr\n2,b@x.fr\n")
    out = tmp_path / "run"
    assert_error(run("dedupe", path, "--id-column", "cluster_id", "-o", out), "`cluster_id`")
    assert not out.exists()


# -- the output directory: one whole run (class 4) ------------------------------------------


def test_a_new_run_replaces_the_old_one_whole(contacts: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert run("dedupe", contacts, "-o", out, "--quiet").exit_code == 0
    assert run("merge", contacts, "--clusters", out / "clusters.parquet", "--quiet").exit_code == 0
    (out / "notes.txt").write_text("mine")
    (out / "review.csv").write_text("id_l,id_r,decision,decided_at,note\n")
    assert run("dedupe", contacts, "-o", out, "--format", "csv", "--quiet").exit_code == 0
    names = sorted(p.name for p in out.iterdir())
    # The previous run's Parquet files and the merge made from them are gone; review decisions
    # and files crmdedup did not write are kept.
    assert names == [
        "candidates.csv",
        "clusters.csv",
        "model.json",
        "notes.txt",
        "pairs.csv",
        "review.csv",
        "run.json",
        "settings.toml",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_failed_run_leaves_the_directory_as_it_was(contacts: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert run("dedupe", contacts, "-o", out, "--quiet").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    config = tmp_path / "bad.toml"
    config.write_text('threshold = 0.5\n[[comparisons]]\ncolumn = "nope"\n')
    assert run("dedupe", contacts, "-o", out, "--config", config, "--quiet").exit_code == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "run"]


# -- reading its own outputs (class 5) ------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_readme_sequence_without_consent_data(contacts: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "run"
    assert run("dedupe", contacts, "-o", out, "--format", fmt, "--quiet").exit_code == 0
    result = run("merge", contacts, "--clusters", out / f"clusters.{fmt}", "--quiet")
    assert result.exit_code == 0, result.output
    consent = pl.read_parquet(out / "consent.parquet") if fmt == "parquet" else None
    assert consent is None or consent.height == 0
    result = run("report", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert (out / "report.html").stat().st_size > 0
    assert run("review", out, "--list", "--quiet").exit_code == 0
    assert run("explain", contacts, "C0001", "C0002", "--run", out, "--quiet").exit_code == 0


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_run_without_matched_pairs(distinct: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "run"
    result = run("dedupe", distinct, "-o", out, "--format", fmt, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["matched_pairs"] == 0
    for args in (
        ("merge", distinct, "--clusters", out / f"clusters.{fmt}", "--quiet"),
        ("report", out, "--quiet"),
        ("review", out, "--list", "--quiet"),
        ("explain", distinct, "a", "b", "--run", out, "--quiet"),
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)


def test_empty_consent_and_opposition_files(contacts: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert run("dedupe", contacts, "-o", out, "--quiet").exit_code == 0
    events = tmp_path / "consents.csv"
    events.write_text("record_id,purpose,status,recorded_at,source,proof\n")
    lists = tmp_path / "oppositions.csv"
    lists.write_text("contact_point,purpose,listed_at,list_name\n")
    result = run(
        "merge",
        contacts,
        "--clusters",
        out / "clusters.parquet",
        "--consents",
        events,
        "--oppositions",
        lists,
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    assert run("report", out, "--quiet").exit_code == 0


def test_consent_times_with_offsets_through_the_cli(contacts: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert run("dedupe", contacts, "-o", out, "--quiet").exit_code == 0
    events = tmp_path / "consents.csv"
    events.write_text(
        "record_id,purpose,status,recorded_at,source,proof\n"
        "C0001,email_marketing,granted,2024-05-01T10:00:00+02:00,web,f1\n"
        "C0002,email_marketing,granted,2024-05-01T10:00:00Z,web,f2\n"
        "C0003,email_marketing,granted,2024-05-01 10:00:00,web,f3\n"
    )
    result = run("merge", contacts, "--clusters", out / "clusters.parquet", "--consents", events)
    assert result.exit_code == 0, result.output


def test_stray_byte_warns_in_the_cli_style(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        b"record_id,first_name,last_name,email\n"
        + "1,Élodie,Lefèvre,e@x.fr\n2,Hélène,Bérénice,h@x.fr\n".encode()
        + b"3,Jo\xe9,Martin,j@x.fr\n"
    )
    result = run("dedupe", path, "-o", tmp_path / "run", "--quiet")
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "line 4" in warning[0], result.stderr
    run_file = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run("report", tmp_path / "run", "--quiet").exit_code == 0, run_file


def test_output_through_a_symlink(contacts: Path, tmp_path: Path) -> None:
    real = tmp_path / "real"
    link = tmp_path / "link"
    assert run("dedupe", contacts, "-o", real, "--quiet").exit_code == 0
    link.symlink_to(real, target_is_directory=True)
    assert run("dedupe", contacts, "-o", link, "--quiet").exit_code == 0
    assert link.is_symlink() and (link / "run.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_bare_command_shows_the_help() -> None:
    result = run()
    assert result.exit_code == 2
    assert "Usage:" in result.output and "error:" not in result.output
