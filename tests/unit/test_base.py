"""crmdedup.Base: scenarios with their expected change logs, bad input and storage."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import crmdedup
from crmdedup.base import Base, BaseError
from crmdedup.base._changes import replay
from crmdedup.errors import SchemaError
from tests._helpers import rerun_match


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    """Settings and a model fitted on generated contacts, and three people to copy."""
    gen = crmdedup.datasets.generate_contacts(
        400, seed=5, duplicate_rate=0.0, household_rate=0.0, homonym_rate=0.0
    ).drop("entity_id")
    settings = crmdedup.infer_settings(gen).with_(clustering="connected_components")
    model = crmdedup.dedupe(gen, settings, id_column="record_id").model
    people = [gen.row(i, named=True) for i in (0, 1, 2)]
    return {"schema": gen.schema, "settings": settings, "model": model, "people": people}


def records(world: dict[str, Any], spec: list[tuple[str, int, dict[str, Any]]]) -> pl.DataFrame:
    """Records ``(id, person, overrides)``: copies of the world's people."""
    rows = [{**world["people"][p], "record_id": i, **kw} for i, p, kw in spec]
    return pl.DataFrame(rows, schema=world["schema"])


def bridge(world: dict[str, Any], rid: str, a: int, b: int) -> tuple[str, int, dict[str, Any]]:
    """A record of person ``a`` holding the email and phone of person ``b``."""
    other = world["people"][b]
    return (rid, a, {"email": other["email"], "phone": other["phone"]})


def create(tmp_path: Path, world: dict[str, Any], frame: pl.DataFrame, **kw: Any) -> Base:
    return Base.create(
        tmp_path / "base",
        frame,
        world["settings"],
        id_column="record_id",
        model=world["model"],
        namespace="tests",
        **kw,
    )


def entity_of(base: Base, rid: str) -> str:
    return str(base.members.filter(pl.col("record_id") == rid).get_column("entity_id").item())


def groups(base: Base) -> set[frozenset[str]]:
    per = base.members.group_by("entity_id").agg(pl.col("record_id"))
    return {frozenset(g) for g in per.get_column("record_id").to_list()}


def kinds(update: crmdedup.base.Update) -> list[tuple[str, str | None]]:
    return sorted((k, r) for k, r in update.changes.select("kind", "record_id").iter_rows())


PAIRS = [("a1", 0, {}), ("a2", 0, {}), ("b1", 1, {}), ("b2", 1, {})]


def test_create_names_every_record_and_logs_it(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    assert base.generation == 1
    assert groups(base) == {frozenset({"a1", "a2"}), frozenset({"b1", "b2"})}
    log = base.changes()
    assert log.filter(pl.col("kind") == "record_added").height == 4
    created = log.filter(pl.col("kind") == "entity_created")
    assert sorted(created.get_column("record_id").to_list()) == ["a1", "b1"]  # the founders
    assert all(e.startswith("e_") and len(e) == 18 for e in base.entities.get_column("entity_id"))
    assert base.verify(batch=True) == []
    assert Base.open(base.path).members.equals(base.members)


def test_absorb_keeps_the_entity_id(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    a = entity_of(base, "a1")
    update = base.update(records(world, [("a3", 0, {"city": None})]))
    assert kinds(update) == [("record_added", "a3")]
    assert update.changes.get_column("entity_id").to_list() == [a]
    assert update.changes.get_column("probability")[0] > 0.99
    assert entity_of(base, "a3") == a and base.generation == 2


def test_new_records_matching_each_other_only(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    update = base.update(records(world, [("c1", 2, {}), ("c2", 2, {})]))
    assert kinds(update) == [
        ("entity_created", "c1"),
        ("record_added", "c1"),
        ("record_added", "c2"),
    ]
    assert entity_of(base, "c1") == entity_of(base, "c2")


def test_bridge_then_delete_restores_the_ids(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    a, b = entity_of(base, "a1"), entity_of(base, "b1")
    merged = base.update(records(world, [bridge(world, "x", 0, 1)]))
    assert len(groups(base)) == 1
    winner = entity_of(base, "x")
    loser = b if winner == a else a
    events = merged.entity_changes.rows()
    assert events == [(loser, "merged_into", winner)]
    assert base.resolve([loser]).get_column("current_id").to_list() == [winner]
    undone = base.update(deletes=["x"])
    assert (entity_of(base, "a1"), entity_of(base, "b1")) == (a, b)
    assert undone.entity_changes.rows() == [(loser, "restored", None)]
    assert base.resolve([loser]).get_column("current_id").to_list() == [loser]
    assert base.aliases.height == 0
    assert base.verify(batch=True) == []


def test_three_way_split_gives_the_id_to_the_largest_part(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    spec = [
        ("a1", 0, {}),
        ("a2", 0, {}),
        ("b1", 1, {}),
        ("b2", 1, {}),
        ("b3", 1, {}),
        ("c1", 2, {}),
        ("c2", 2, {}),
        bridge(world, "x", 0, 1),
        bridge(world, "y", 1, 2),
    ]
    base = create(tmp_path, world, records(world, spec))
    (whole,) = base.entities.get_column("entity_id").to_list()
    update = base.update(deletes=["x", "y"])
    assert groups(base) == {
        frozenset({"a1", "a2"}),
        frozenset({"b1", "b2", "b3"}),
        frozenset({"c1", "c2"}),
    }
    assert entity_of(base, "b1") == whole  # 3 of its records, the most
    splits = update.entity_changes.filter(pl.col("change") == "split_from")
    assert splits.height == 2 and set(splits.get_column("other_entity_id")) == {whole}
    assert whole not in {entity_of(base, "a1"), entity_of(base, "c1")}


def test_cannot_link_forbids_a_merge_an_update_would_make(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    decisions = pl.DataFrame({"id_l": ["a1"], "id_r": ["b1"], "decision": ["cannot_link"]})
    base = create(tmp_path, world, records(world, PAIRS), decisions=decisions)
    base.update(records(world, [bridge(world, "x", 0, 1)]))
    assert entity_of(base, "a1") != entity_of(base, "b1")
    assert base.verify(batch=True) == []
    assert base.decisions.height == 1


def test_steward_split_merge_and_unmerge(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    a, b = entity_of(base, "a1"), entity_of(base, "b1")
    base.merge(a, b, note="same customer")
    assert len(groups(base)) == 1
    winner = entity_of(base, "a1")
    loser = b if winner == a else a
    base.unmerge(loser)
    assert (entity_of(base, "a1"), entity_of(base, "b1")) == (a, b)
    split = base.split(a, ["a2"], note="twin")
    assert entity_of(base, "a2") != a and entity_of(base, "a1") == a
    assert split.changes.filter(pl.col("kind") == "decision_added").height == 1
    assert base.verify() == []


def test_changed_record_and_idempotent_replay(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    delta = records(world, [("a2", 0, {"city": "Lyon"}), ("b1", 1, {})])
    update = base.update(delta)
    assert kinds(update) == [("record_changed", "a2")]
    assert update.report["records_unchanged"] == 1
    again = base.update(delta)
    assert again.changes.height == 0 and again.generation == update.generation
    assert base.records.filter(pl.col("record_id") == "a2").get_column("city").item() == "Lyon"


def test_changelog_replays_to_the_next_generation(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    states = []

    def snapshot() -> tuple[pl.DataFrame, pl.DataFrame]:
        return base.members.rename({"record_id": "record_id"}), base.entities

    states.append(snapshot())
    base.update(records(world, [bridge(world, "x", 0, 1), ("c1", 2, {})]))
    states.append(snapshot())
    base.update(deletes=["x", "a2"])
    states.append(snapshot())
    for n, (before, after) in enumerate(itertools.pairwise(states), start=2):
        members, statuses = replay(
            before[0], before[1], base.changes(since=n - 1).filter(pl.col("generation") == n)
        )
        assert members.sort("record_id").equals(after[0].sort("record_id"))
        assert statuses.sort("entity_id").equals(
            after[1].select("entity_id", "status").sort("entity_id")
        )


def test_dry_run_writes_nothing_until_committed(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    staged = base.update(records(world, [("c1", 2, {})]), dry_run=True)
    assert not staged.committed and Base.open(base.path).generation == 1
    assert staged.changes.height == 2
    done = staged.commit()
    assert done.committed and Base.open(base.path).generation == 2


def test_a_second_writer_is_refused(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    other = Base.open(base.path)
    with base._store.writer(), pytest.raises(BaseError, match="another writer"):
        other.update(records(world, [("c1", 2, {})]))
    base.update(records(world, [("c1", 2, {})]))
    with pytest.raises(BaseError, match="reopen"):
        other.update(records(world, [("c2", 2, {})]))
    with pytest.raises(BaseError, match="not its current one"):
        Base.open(base.path, generation=1).update(records(world, [("c2", 2, {})]))


def test_an_update_killed_half_way_leaves_the_previous_generation(
    tmp_path: Path, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    from crmdedup.base import _store

    def crash(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_store.Store, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        base.update(records(world, [("c1", 2, {})]))
    monkeypatch.undo()
    reopened = Base.open(base.path)
    assert reopened.generation == 1 and reopened.verify() == []
    assert reopened.update(records(world, [("c1", 2, {})])).generation == 2


def test_erasure_removes_the_record_everywhere(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    base.update(records(world, [("c1", 2, {})]))
    a = entity_of(base, "a1")
    base.erase(["a1"])  # a1 founded entity a
    assert entity_of(base, "a2") == a  # the id outlives its founder
    assert "a1" not in base.records.get_column("record_id").to_list()
    for path in base.path.rglob("*.parquet"):
        frame = pl.read_parquet(path)
        for column in frame.columns:
            if frame.schema[column] == pl.String:
                assert "a1" not in frame.get_column(column).to_list(), (path, column)
    assert [int(p.stem) for p in (base.path / "manifests").glob("*.json")] == [base.generation]
    assert base.changes().filter(pl.col("kind") == "record_erased").height == 1
    assert base.verify() == []


def test_erasing_a_whole_entity_marks_it_erased(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    b = entity_of(base, "b1")
    base.erase(["b1", "b2"])
    assert base.resolve([b]).row(0) == (b, None, "erased")


def test_rebuild_with_the_same_model_changes_no_id(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    before = base.members
    update = base.rebuild(model=world["model"])
    assert update.changes.filter(pl.col("kind") != "record_added").height == 0
    assert base.members.equals(before)
    assert Base.open(base.path).generation == base.generation


def test_golden_records_of_the_changed_entities(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    update = base.update(records(world, [("a3", 0, {"city": None})]))
    golden = update.golden().golden
    assert golden.height == 1 and golden.get_column("entity_id").item() == entity_of(base, "a1")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop("city"), "no column `city`"),
        (lambda f: f.with_columns(pl.lit(1).alias("extra")), "column `extra`"),
        (lambda f: pl.concat([f, f]), "C009"),
        (lambda f: f.with_columns(pl.lit("x").alias("created_at")), "`created_at`"),
    ],
)
def test_bad_upserts_are_refused_naming_the_column(
    tmp_path: Path, world: dict[str, Any], change: Any, message: str
) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    delta = change(records(world, [("C009", 2, {})]))
    with pytest.raises(SchemaError, match=message):
        base.update(delta)
    assert Base.open(base.path).generation == 1


def test_bad_deletes_and_decisions_are_refused(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    with pytest.raises(SchemaError, match="'zz' is not in the base"):
        base.update(deletes=["zz"])
    with pytest.raises(SchemaError, match="both upserted and deleted"):
        base.update(records(world, [("a1", 0, {"city": "Lyon"})]), deletes=["a1"])
    unknown = pl.DataFrame({"id_l": ["a1"], "id_r": ["zz"], "decision": ["must_link"]})
    with pytest.raises(SchemaError, match="'zz' is not a live record"):
        base.decide(unknown)
    with pytest.raises(BaseError, match="not empty"):
        create(tmp_path, world, records(world, PAIRS))
    with pytest.raises(BaseError, match="not a crmdedup base"):
        Base.open(tmp_path)


def test_match_says_where_new_records_would_go_and_writes_nothing(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    a, b = entity_of(base, "a1"), entity_of(base, "b1")
    new = records(world, [("a3", 0, {"city": None}), ("c1", 2, {}), ("c2", 2, {})])
    found = base.match(new)
    assert base.generation == 1 and base.changes().height == 6  # nothing written
    rows = {r["record_id"]: r for r in found.assignments.iter_rows(named=True)}
    assert list(rows) == ["a3", "c1", "c2"]  # the order given
    assert (rows["a3"]["status"], rows["a3"]["entity_id"]) == ("matched", a)
    assert rows["a3"]["match_probability"] > 0.99
    assert [c["entity_id"] for c in rows["a3"]["candidates"]] == [a]
    assert (rows["c1"]["status"], rows["c1"]["entity_id"], rows["c1"]["candidates"]) == (
        "new",
        None,
        [],
    )
    assert set(found.pairs.get_column("record_id_l")) == {"a3"}  # new x base only
    assert found.pairs.get_column("entity_id_r").to_list() == [a, a]
    # A bridging record flags every new record of the cluster it would make.
    with_x = base.match(pl.concat([new, records(world, [bridge(world, "x", 0, 1)])]))
    rows = {r["record_id"]: r for r in with_x.assignments.iter_rows(named=True)}
    assert (rows["x"]["status"], rows["x"]["entity_id"]) == ("bridges", None)
    assert {c["entity_id"] for c in rows["x"]["candidates"]} == {a, b}
    assert rows["a3"]["status"] == "bridges" and rows["c1"]["status"] == "new"
    assert with_x.pairs.filter(pl.col("record_id_l") == "x").height == 4
    # What update then does agrees with what match said.
    base.update(new)
    assert entity_of(base, "a3") == a
    assert entity_of(base, "c1") == entity_of(base, "c2") not in {a, b}


def test_match_top_k_and_review_band(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    x = records(world, [bridge(world, "x", 0, 1)])
    top = base.match(x, top_k=1).assignments.row(0, named=True)
    assert len(top["candidates"]) == 1
    assert top["match_probability"] == top["candidates"][0]["match_probability"]
    gen = crmdedup.datasets.generate_contacts(700, seed=11).drop("entity_id")
    big = Base.create(tmp_path / "big", gen.head(600), id_column="record_id", namespace="t")
    threshold = big.settings.threshold
    found = {band: big.match(gen.tail(100), review_band=band) for band in (0.0, 3.0, 60.0)}
    floor = {
        band: crmdedup.model.probability_of(crmdedup.model.weight_of(threshold) - band)
        for band in found
    }
    for band, m in found.items():
        assert m.pairs.get_column("match_probability").min() >= floor[band]  # type: ignore[operator]
    assert found[0.0].pairs.height <= found[3.0].pairs.height <= found[60.0].pairs.height
    assert found[60.0].pairs.height > found[0.0].pairs.height
    # The clusters do not depend on the band.
    for m in found.values():
        assert m.assignments.select("record_id", "entity_id").equals(
            found[0.0].assignments.select("record_id", "entity_id")
        )


def test_match_statuses_from_links_and_clusters() -> None:
    from crmdedup.base._results import match_of as _match_of

    members = pl.DataFrame({"id": ["a", "b", "c"], "entity_id": ["E1", "E1", "E2"]})
    new = pl.DataFrame({"id": ["n1", "n2", "n3", "n4", "n5"]})
    scored = pl.DataFrame(
        {
            "id_l": ["a", "n2", "n2", "n3", "n4", "n1"],
            "id_r": ["n1", "b", "c", "a", "n5", "n4"],
            "match_probability": [0.99, 0.9, 0.8, 0.3, 0.95, 0.2],
            "match_weight": [6.6, 3.2, 2.0, -1.2, 4.2, -2.0],
        }
    )
    # n1 joins E1; n2 links E1 and E2 (bridges); n3 is below the threshold (review); n4 and
    # n5 are a new pair; nothing else.
    clusters = pl.DataFrame(
        {
            "id": ["a", "b", "c", "n1", "n2", "n3", "n4", "n5"],
            "cluster_id": ["a", "b", "b", "a", "b", "n3", "n4", "n4"],
        }
    )
    clusters = clusters.with_columns(
        pl.when(pl.col("id").is_in(["b", "c", "n2"]))
        .then(pl.lit("b"))
        .otherwise("cluster_id")
        .alias("cluster_id")
    )
    got = _match_of(new, members, scored, clusters, "id", top_k=2)
    rows = {r["id"]: r for r in got.assignments.iter_rows(named=True)}
    assert (rows["n1"]["status"], rows["n1"]["entity_id"], rows["n1"]["match_probability"]) == (
        "matched",
        "E1",
        0.99,
    )
    assert (rows["n2"]["status"], rows["n2"]["entity_id"]) == ("bridges", None)
    assert rows["n2"]["candidates"] == [
        {"entity_id": "E1", "match_probability": 0.9},
        {"entity_id": "E2", "match_probability": 0.8},
    ]
    assert (rows["n3"]["status"], rows["n3"]["match_probability"]) == ("review", 0.3)
    assert (rows["n4"]["status"], rows["n4"]["candidates"]) == ("new", [])
    assert got.pairs.filter(pl.col("id_l") == "n2").get_column("entity_id_r").to_list() == [
        "E1",
        "E2",
    ]
    assert got.pairs.filter(pl.col("id_l").is_in(["n4", "n5"])).height == 0  # new x new


def test_match_treats_a_known_id_as_its_new_version(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    moved = records(world, [("a2", 1, {})])  # a2 now holds person b's values
    row = base.match(moved).assignments.row(0, named=True)
    assert (row["status"], row["entity_id"]) == ("matched", entity_of(base, "b1"))


def test_match_equals_a_batch_rerun_with_versions_bridges_and_decisions(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    """Match is computed around the new records; a batch run of base + new says the same."""
    base = create(tmp_path, world, records(world, [*PAIRS, ("c1", 2, {}), ("c2", 2, {})]))
    a, b = entity_of(base, "a1"), entity_of(base, "b1")
    base.update(
        decisions=pl.DataFrame(
            {"id_l": ["a1"], "id_r": ["c1"], "decision": ["cannot_link"]},
        )
    )
    new = records(
        world,
        [
            ("a2", 1, {}),  # a known id, now holding person b's values
            ("c2", 2, {"city": None}),  # a known id, a small change
            bridge(world, "x", 0, 1),  # joins a and b
            bridge(world, "y", 0, 2),  # would join a and c, which a decision keeps apart
            ("a3", 0, {}),
            ("z", 2, {"email": None}),
        ],
    )
    for top_k, band in [(1, 0.0), (3, 3.0), (2, 60.0)]:
        got = base.match(new, top_k=top_k, review_band=band)
        want = rerun_match(base, new, top_k, band)
        assert got.assignments.equals(want.assignments)
        assert got.pairs.equals(want.pairs)
    rows = {r["record_id"]: r for r in got.assignments.iter_rows(named=True)}
    assert rows["a2"]["status"] == "bridges" and rows["x"]["status"] == "bridges"
    assert {c["entity_id"] for c in rows["x"]["candidates"]} == {a, b}
    assert base.generation == 2  # nothing written


def test_match_refuses_bad_input(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    with pytest.raises(SchemaError, match="`new` has no column `email`"):
        base.match(records(world, [("z", 0, {})]).drop("email"))
    with pytest.raises(SchemaError, match="`new`"):
        base.match(records(world, [("z", 0, {}), ("z", 1, {})]))
    with pytest.raises(crmdedup.ConfigError, match="top_k"):
        base.match(records(world, [("z", 0, {})]), top_k=0)
    with pytest.raises(crmdedup.ConfigError, match="review_band"):
        base.match(records(world, [("z", 0, {})]), review_band=-1)
    empty = base.match(records(world, []))
    assert empty.assignments.height == 0 and empty.pairs.height == 0


def test_export_parquet_and_delta(tmp_path: Path, world: dict[str, Any]) -> None:
    base = create(tmp_path, world, records(world, PAIRS))
    written = base.export(tmp_path / "out")
    assert sorted(written) == ["aliases", "changes", "decisions", "entities", "members"]
    assert pl.read_parquet(written["members"]).equals(base.members)
    assert "last_members" not in pl.read_parquet(written["entities"]).columns
    with pytest.raises(crmdedup.ConfigError, match="format"):
        base.export(tmp_path / "x", format="csv")  # type: ignore[arg-type]
    pytest.importorskip("deltalake")
    base.export(tmp_path / "lake", format="delta")
    base.update(records(world, [("a3", 0, {})]))
    base.export(tmp_path / "lake", format="delta", since=1)
    feed = pl.read_delta(str(tmp_path / "lake" / "changes"))
    assert feed.sort("generation", "event").equals(base.changes().sort("generation", "event"))
    members = pl.read_delta(str(tmp_path / "lake" / "members"))
    assert members.sort("record_id").equals(base.members.sort("record_id"))


def test_an_update_does_not_rerun_the_whole_base(
    tmp_path: Path, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = create(tmp_path, world, records(world, PAIRS))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole base was re-partitioned")

    monkeypatch.setattr(Base, "_partition", refuse)
    base.update(records(world, [("a3", 0, {}), bridge(world, "x", 0, 1)]), deletes=["b2"])
    assert groups(base) == {frozenset({"a1", "a2", "a3", "x", "b1"})}
    monkeypatch.undo()
    assert base.verify(batch=True) == []


def test_a_block_crossing_the_cap_both_ways(tmp_path: Path, world: dict[str, Any]) -> None:
    """Two copies share every block; a third pushes each block over a cap of 2, so no pair of
    them is a candidate any more (as in a batch run); deleting it brings the pair back."""
    capped = {**world, "settings": world["settings"].with_(max_block_size=2)}
    base = create(tmp_path, capped, records(world, [("a1", 0, {}), ("a2", 0, {})]))
    a = entity_of(base, "a1")
    assert entity_of(base, "a2") == a
    grown = base.update(records(world, [("a3", 0, {})]))
    assert len({entity_of(base, r) for r in ("a1", "a2", "a3")}) == 3
    assert entity_of(base, "a1") == a  # its founder keeps the id
    assert [c for _, c, _ in grown.entity_changes.rows()].count("split_from") == 1
    assert base.verify(batch=True) == []
    shrunk = base.update(deletes=["a3"])
    assert entity_of(base, "a1") == entity_of(base, "a2") == a
    assert "merged_into" in shrunk.entity_changes.get_column("change").to_list()
    assert base.verify(batch=True) == []


def test_keys_stored_by_another_engine_revision_are_recomputed(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    # Keys stored by another revision of the normalisers (here: keys that match nothing, as
    # keys of another normalisation would) are not read: match and update derive them anew.
    frame = records(world, [(f"r{i}", i % 3, {}) for i in range(6)])
    base = create(tmp_path, world, frame)
    manifest_file = base.path / "manifests" / f"{base.generation:08d}.json"
    data = json.loads(manifest_file.read_text(encoding="utf-8"))
    assert data["revision"] == crmdedup._core.REVISION
    keys_file = base.path / base._state.manifest.files["keys"]["path"]
    stale = pl.read_parquet(keys_file)
    stale.with_columns(pl.col("key") + 1).write_parquet(keys_file)
    data["revision"] = crmdedup._core.REVISION - 1
    manifest_file.write_text(json.dumps(data), encoding="utf-8")
    reopened = Base.open(base.path)
    new = records(world, [("n1", 0, {}), ("n2", 1, {})])
    want = rerun_match(reopened, new, 1, 0.0)
    got = reopened.match(new, top_k=1, review_band=0.0)
    assert got.assignments.equals(want.assignments)
    assert got.assignments.get_column("status").to_list() == ["matched", "matched"]
    reopened.update(new)
    assert groups(reopened) == {
        frozenset({"r0", "r3", "n1"}),
        frozenset({"r1", "r4", "n2"}),
        frozenset({"r2", "r5"}),
    }
    assert Base.open(base.path)._state.manifest.revision == crmdedup._core.REVISION


def test_a_base_made_before_windows_keeps_every_pair_of_its_blocks(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    # A base written before `pairs_per_record` and the keys' `order` existed.
    frame = records(world, [(f"r{i}", i % 3, {}) for i in range(6)])
    base = create(tmp_path, world, frame)
    manifest = base._state.manifest
    settings_file = base.path / manifest.frozen["settings"]["path"]
    old = json.loads(settings_file.read_text(encoding="utf-8"))
    del old["pairs_per_record"]
    settings_file.write_text(json.dumps(old), encoding="utf-8")
    keys_file = base.path / manifest.files["keys"]["path"]
    pl.read_parquet(keys_file).drop("order").write_parquet(keys_file)
    reopened = Base.open(base.path)
    assert reopened.settings.pairs_per_record == reopened.settings.max_block_size
    new = records(world, [("n1", 0, {}), ("n2", 1, {})])
    want = rerun_match(reopened, new, 1, 0.0)
    got = reopened.match(new, top_k=1, review_band=0.0)
    assert got.assignments.equals(want.assignments)
    reopened.update(new)
    assert groups(reopened) == {
        frozenset({"r0", "r3", "n1"}),
        frozenset({"r1", "r4", "n2"}),
        frozenset({"r2", "r5"}),
    }
