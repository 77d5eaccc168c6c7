"""``crmdedup base``: init, update, match, changes, resolve and verify from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import crmdedup
from tests._helpers import run


@pytest.fixture
def split(tmp_path: Path, sample: pl.DataFrame) -> dict[str, Path]:
    """The sample as a base file (most rows) and a delta file (the last 40 rows)."""
    head, tail = sample.head(sample.height - 40), sample.tail(40)
    paths = {"head": tmp_path / "head.csv", "tail": tmp_path / "tail.parquet"}
    head.write_csv(paths["head"])
    tail.write_parquet(paths["tail"])
    return paths


def test_a_nightly_cycle(tmp_path: Path, split: dict[str, Path], sample: pl.DataFrame) -> None:
    where = tmp_path / "crm_base"
    made = run("--json", "base", "init", split["head"], where, "--namespace", "t")
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["generation"] == 1

    looked = run("--json", "base", "match", where, split["tail"], "-o", tmp_path / "m.csv")
    assert looked.exit_code == 0, looked.output
    statuses = json.loads(looked.stdout)
    assert sum(statuses.values()) == 40
    matched = pl.read_csv(tmp_path / "m.csv")
    assert matched.height == 40 and matched.get_column("record_id").to_list() == (
        sample.tail(40).get_column("record_id").to_list()
    )
    assert json.loads(matched.get_column("candidates")[0]) is not None
    assert crmdedup.Base.open(where).generation == 1  # match writes nothing

    dry = run("--json", "base", "update", where, split["tail"], "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["committed"] is False
    assert crmdedup.Base.open(where).generation == 1

    done = run("--json", "base", "update", where, split["tail"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["generation"], report["records_inserted"]) == (2, 40)
    opened = crmdedup.Base.open(where)
    after = opened.members.join(matched.select("record_id", "entity_id", "status"), on="record_id")
    joined = after.filter(pl.col("status") == "matched")
    assert joined.height == statuses["matched"]
    assert (joined.get_column("entity_id") == joined.get_column("entity_id_right")).all()

    again = run("--json", "base", "update", where, split["tail"])
    assert json.loads(again.stdout)["generation"] == 2  # re-applying changes nothing

    feed = run("--json", "base", "changes", where, "--since", "1", "-o", tmp_path / "c.parquet")
    assert feed.exit_code == 0, feed.output
    events = pl.read_parquet(tmp_path / "c.parquet")
    assert json.loads(feed.stdout)["events"] == events.height > 0
    assert set(events.get_column("generation")) == {2}

    ids = pl.DataFrame({"record_id": sample.tail(3).get_column("record_id")})
    ids.write_csv(tmp_path / "gone.csv")
    deleted = run("--json", "base", "update", where, "--deletes", tmp_path / "gone.csv")
    assert json.loads(deleted.stdout)["records_deleted"] == 3

    some = opened.entities.get_column("entity_id")[0]
    resolved = run("--json", "base", "resolve", where, some, "e_nope")
    assert resolved.exit_code == 0, resolved.output
    rows = json.loads(resolved.stdout)["resolved"]
    assert [r["entity_id"] for r in rows] == [some, "e_nope"]
    assert rows[1]["status"] == "unknown"

    checked = run("base", "verify", where, "--batch")
    assert checked.exit_code == 0, checked.output
    assert "verified" in checked.output


def test_verify_fails_with_exit_code_3_on_a_damaged_base(
    tmp_path: Path, split: dict[str, Path]
) -> None:
    where = tmp_path / "crm_base"
    assert run("--quiet", "base", "init", split["head"], where).exit_code == 0
    log = next((where / "changelog").iterdir())
    log.write_bytes(log.read_bytes() + b"x")
    checked = run("base", "verify", where)
    assert checked.exit_code == 3, checked.output
    assert "does not match its checksum" in checked.output


def test_usage_errors(tmp_path: Path, split: dict[str, Path]) -> None:
    where = tmp_path / "crm_base"
    assert run("--quiet", "base", "init", split["head"], where).exit_code == 0
    nothing = run("base", "update", where)
    assert nothing.exit_code == 2 and "nothing to apply" in nothing.output
    again = run("base", "init", split["head"], where)
    assert again.exit_code == 2 and "not empty" in again.output
    missing = run("base", "update", tmp_path / "nowhere", split["tail"])
    assert missing.exit_code == 2 and "error:" in missing.output
    bad = tmp_path / "bad.csv"
    pl.DataFrame({"record_id": ["x"], "colour": ["red"]}).write_csv(bad)
    refused = run("base", "update", where, bad)
    assert refused.exit_code == 2 and "`upserts`" in refused.output
