"""Properties of Base updates on generated contacts, against batch dedupe of the same records."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crmdedup
from crmdedup.base import Base
from crmdedup.base._changes import replay
from crmdedup.errors import SchemaError
from tests._helpers import rerun_match

POOL = 160


@pytest.fixture(scope="module")
def pool() -> dict[str, Any]:
    contacts = crmdedup.datasets.generate_contacts(POOL, seed=11, duplicate_rate=0.35).drop(
        "entity_id"
    )
    fitted = crmdedup.dedupe(contacts, id_column="record_id")
    return {"contacts": contacts, "settings": fitted.settings, "model": fitted.model}


def partition(base: Base) -> set[frozenset[str]]:
    per = base.members.group_by("entity_id").agg(pl.col("record_id"))
    return {frozenset(g) for g in per.get_column("record_id").to_list()}


def as_text(base: Base) -> tuple[pl.DataFrame, pl.DataFrame]:
    members = base.members.select(pl.col("record_id").cast(pl.String), "entity_id")
    return members, base.entities.select("entity_id", "status")


@st.composite
def histories(draw: st.DrawFn) -> dict[str, Any]:
    order = draw(st.permutations(range(POOL)))
    n_base = draw(st.integers(20, 100))
    steps = []
    pending = list(order[n_base:])
    for _ in range(draw(st.integers(1, 3))):
        n_new = draw(st.integers(0, min(30, len(pending))))
        inserts, pending = pending[:n_new], pending[n_new:]
        changes = draw(st.lists(st.integers(0, POOL - 1), max_size=6, unique=True))
        deletes = draw(st.lists(st.integers(0, POOL - 1), max_size=6, unique=True))
        decisions = draw(
            st.lists(
                st.tuples(
                    st.integers(0, POOL - 1),
                    st.integers(0, POOL - 1),
                    st.sampled_from(["must_link", "cannot_link"]),
                ),
                max_size=3,
            )
        )
        split = draw(st.integers(0, 100))
        steps.append(
            {
                "inserts": inserts,
                "changes": changes,
                "deletes": deletes,
                "decisions": decisions,
                "split": split,
            }
        )
    return {"base": list(order[:n_base]), "steps": steps}


def delta(
    contacts: pl.DataFrame, base: Base, step: dict[str, Any]
) -> tuple[pl.DataFrame, list[str], pl.DataFrame]:
    """The upserts, deletes and decisions of one step, limited to what makes sense now."""
    live = set(base.records.get_column("record_id").to_list())
    ids = contacts.get_column("record_id")
    inserts = contacts[step["inserts"]]
    changed_ids = [ids[i] for i in step["changes"] if ids[i] in live]
    deletes = [ids[i] for i in step["deletes"] if ids[i] in live and ids[i] not in changed_ids]
    changed = base.records.filter(pl.col("record_id").is_in(changed_ids)).with_columns(
        pl.col("last_name").str.reverse(), pl.col("email").str.to_uppercase()
    )
    upserts = pl.concat([inserts, changed.select(contacts.columns)])
    after = (live - set(deletes)) | set(inserts.get_column("record_id").to_list())
    pairs = [
        (ids[a], ids[b], kind)
        for a, b, kind in step["decisions"]
        if a != b and ids[a] in after and ids[b] in after
    ]
    decisions = pl.DataFrame(
        {
            "id_l": [p[0] for p in pairs],
            "id_r": [p[1] for p in pairs],
            "decision": [p[2] for p in pairs],
        },
        schema={"id_l": pl.String, "id_r": pl.String, "decision": pl.String},
    )
    return upserts, deletes, decisions


def with_limits(config: crmdedup.Settings, limits: tuple[int, int] | None) -> crmdedup.Settings:
    """``config`` with (``max_block_size``, ``pairs_per_record``) when given."""
    if limits is None:
        return config
    return config.with_(max_block_size=limits[0], pairs_per_record=limits[1])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
@pytest.mark.parametrize("limits", [None, (4, 2)])
def test_updates_equal_batch_and_keep_the_invariants(
    pool: dict[str, Any], history: dict[str, Any], limits: tuple[int, int] | None
) -> None:
    """With the default cap and window, and with a tiny cap (4) that blocks cross up and down
    all the time together with a window of two pairs per record, which arrivals and
    departures move records in and out of (a block of four is already windowed)."""
    contacts = pool["contacts"]
    config = with_limits(pool["settings"], limits)
    with tempfile.TemporaryDirectory() as tmp:
        kw = {"id_column": "record_id", "model": pool["model"], "namespace": "p"}
        whole = Base.create(Path(tmp) / "a", contacts[history["base"]], config, **kw)
        chunked = Base.create(Path(tmp) / "b", contacts[history["base"]], config, **kw)
        issued = set(whole.entities.get_column("entity_id").to_list())
        for step in history["steps"]:
            upserts, deletes, decisions = delta(contacts, whole, step)
            before = as_text(whole)
            generation = whole.generation
            try:
                update = whole.update(upserts, deletes=deletes, decisions=decisions)
            except SchemaError as err:
                assert "cannot-link" in str(err) or "cannot_link" in str(err), err
                assert Base.open(whole.path).generation == generation
                continue
            # The partition is the batch run's, every record in one entity, decisions honoured.
            assert whole.verify(batch=True) == []
            # The change log turns the last generation into this one.
            if update.generation > generation:
                log = whole.changes(since=generation)
                members, statuses = replay(*before, log)
                now = as_text(whole)
                assert members.sort("record_id").equals(now[0].sort("record_id"))
                assert statuses.sort("entity_id").equals(now[1].sort("entity_id"))
                minted = log.filter(
                    pl.col("kind").is_in(["entity_created", "entity_split_from"])
                ).get_column("entity_id")
                assert not issued.intersection(minted.to_list())  # never reused
                issued.update(minted.to_list())
            # Every id ever issued resolves to an active entity, or says why not.
            resolved = whole.resolve(sorted(issued))
            assert set(resolved.get_column("status")) <= {"active", "deleted", "erased"}
            # Re-applying the delta changes nothing.
            assert whole.update(upserts, deletes=deletes, decisions=decisions).changes.height == 0
            # The same delta in two chunks (records, then deletes and decisions) gives the same.
            cut = upserts.height * step["split"] // 100
            chunked.update(upserts[:cut])
            chunked.update(upserts[cut:], deletes=deletes, decisions=decisions)
            assert partition(chunked) == partition(whole)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=histories(),
    top_k=st.integers(1, 3),
    band=st.sampled_from([0.0, 3.0, 60.0]),
    revived=st.integers(0, 4),
)
@pytest.mark.parametrize("limits", [None, (4, 2)])
def test_match_equals_a_batch_rerun(
    pool: dict[str, Any],
    history: dict[str, Any],
    top_k: int,
    band: float,
    revived: int,
    limits: tuple[int, int] | None,
) -> None:
    """Match, computed around the new records, is what a batch run of base + new records says.

    Before every step of a history (inserts, new versions of known ids, deletes, decisions),
    the step's upserts are matched, with a few deleted records given again.
    """
    contacts = pool["contacts"]
    config = with_limits(pool["settings"], limits)
    with tempfile.TemporaryDirectory() as tmp:
        kw = {"id_column": "record_id", "model": pool["model"], "namespace": "m"}
        base = Base.create(Path(tmp) / "a", contacts[history["base"]], config, **kw)
        gone: list[str] = []
        for step in history["steps"]:
            upserts, deletes, decisions = delta(contacts, base, step)
            back = contacts.filter(pl.col("record_id").is_in(gone[:revived]))
            new = pl.concat([upserts, back.join(upserts, on="record_id", how="anti")])
            want = rerun_match(base, new, top_k, band)
            for _ in range(2):  # the first reads the keys by joins, the second sorted
                got = base.match(new, top_k=top_k, review_band=band)
                assert got.assignments.equals(want.assignments)
                assert got.pairs.equals(want.pairs)
            try:
                base.update(upserts, deletes=deletes, decisions=decisions)
            except SchemaError as err:
                assert "cannot-link" in str(err) or "cannot_link" in str(err), err
            gone += deletes


def test_results_do_not_depend_on_threads_or_row_order(
    pool: dict[str, Any], tmp_path: Path
) -> None:
    contacts = pool["contacts"]
    kw = {"id_column": "record_id", "model": pool["model"], "namespace": "t"}
    one = Base.create(tmp_path / "one", contacts[:120], pool["settings"], threads=1, **kw)
    two = Base.create(tmp_path / "two", contacts[:120].reverse(), pool["settings"], threads=2, **kw)
    one.update(contacts[120:])
    two.update(contacts[120:].reverse())
    assert one.members.sort("record_id").equals(two.members.sort("record_id"))
    assert (
        one.changes()
        .sort("kind", "record_id")
        .drop("event")
        .equals(two.changes().sort("kind", "record_id").drop("event"))
    )


@settings(max_examples=60, deadline=None)
@given(
    old=st.lists(st.integers(0, 5), min_size=0, max_size=14),
    new=st.lists(st.integers(0, 6), min_size=1, max_size=18),
    first_gen=st.lists(st.integers(1, 3), min_size=18, max_size=18),
    merged=st.lists(st.sampled_from("abcdefghijklmnopqr"), max_size=6),
)
def test_naming_only_the_touched_clusters_gives_the_same_ids(
    old: list[int], new: list[int], first_gen: list[int], merged: list[str]
) -> None:
    """The shortcut for clusters equal to an old entity changes no id, retirement or restore."""
    from crmdedup.base._naming import _name, name_clusters

    keys = list("abcdefghijklmnopqr")
    old_members = pl.DataFrame(
        {"__key": keys[: len(old)], "entity_id": [f"e{g}" for g in old]},
        schema={"__key": pl.String, "entity_id": pl.String},
    )
    clusters = pl.DataFrame(
        {
            "__key": keys[: len(new)],
            "__cluster": [f"c{g}" for g in new],
            "__first_gen": first_gen[: len(new)],
        },
        schema={"__key": pl.String, "__cluster": pl.String, "__first_gen": pl.UInt32},
    )
    active = old_members.group_by("entity_id").agg(pl.col("__key").min().alias("founded_by"))
    retired = pl.DataFrame(
        {"entity_id": ["r1"], "founded_by": ["a"], "last_members": [sorted(set(merged))]}
    )
    entities = pl.concat(
        [
            active.with_columns(
                pl.lit("active").alias("status"),
                pl.lit(None, dtype=pl.List(pl.String)).alias("last_members"),
            ),
            retired.with_columns(pl.lit("merged").alias("status")),
        ],
        how="diagonal",
    ).with_columns(pl.lit(1, dtype=pl.UInt32).alias("created_gen"))
    fast = name_clusters(clusters, old_members, entities, namespace="n", generation=4)
    full = _name(clusters, clusters, old_members, entities, "n", 4)
    assert fast.ids.sort("__cluster").equals(full.ids.sort("__cluster"))
    assert fast.retired.equals(full.retired)
