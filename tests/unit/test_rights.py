"""Data-subject rights: erasure plans and subject exports reach every duplicate."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from crmdedup.errors import ConfigError, SchemaError
from crmdedup.rights import erasure_plan, subject_export


@pytest.fixture
def crm() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    records = pl.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "email": ["a@x.fr", "A@x.fr", "a.x@y.fr", "z@z.fr", "q@q.fr"],
            "created": [dt.date(2020, 1, d) for d in range(1, 6)],
        }
    )
    clusters = pl.DataFrame({"id": [1, 2, 3, 4, 5], "cluster_id": [1, 1, 1, 4, 5]})
    pairs = pl.DataFrame(
        {"id_l": [1, 2, 4], "id_r": [2, 3, 5], "match_probability": [0.999, 0.95, 0.5]}
    )
    return records, clusters, pairs


def test_erasure_without_pairs_reaches_every_duplicate(crm: tuple[pl.DataFrame, ...]) -> None:
    records, clusters, _ = crm
    plan = erasure_plan(records, clusters, [2], id_column="id")
    assert plan["id"].to_list() == [1, 2, 3]
    assert set(plan["action"]) == {"erase"}
    assert plan.filter(pl.col("id") == 2)["reason"].to_list() == ["requested_record"]


def test_erasure_routes_weak_links_to_review(crm: tuple[pl.DataFrame, ...]) -> None:
    records, clusters, pairs = crm
    requests = pl.DataFrame({"id": [1, 4]})
    plan = erasure_plan(records, clusters, requests, id_column="id", pairs=pairs)
    rows = {(r["requested_id"], r["id"]): r for r in plan.rows(named=True)}
    assert rows[(1, 1)]["action"] == "erase"
    assert (rows[(1, 2)]["action"], rows[(1, 2)]["reason"]) == ("erase", "strong_link")
    assert (rows[(1, 3)]["action"], rows[(1, 3)]["reason"]) == ("review", "weak_link")
    assert rows[(1, 3)]["best_link_probability"] == pytest.approx(0.95)
    assert [k for k in rows if k[0] == 4] == [(4, 4)]  # 5 is not in the cluster of 4


def test_erasure_follows_chains_of_strong_links(crm: tuple[pl.DataFrame, ...]) -> None:
    records, clusters, pairs = crm
    plan = erasure_plan(records, clusters, [3], id_column="id", pairs=pairs, min_probability=0.9)
    assert plan["action"].to_list() == ["erase", "erase", "erase"]


def test_erasure_bad_input(crm: tuple[pl.DataFrame, ...]) -> None:
    records, clusters, pairs = crm
    with pytest.raises(SchemaError, match=r"99.*`id`"):
        erasure_plan(records, clusters, [99], id_column="id")
    with pytest.raises(SchemaError, match=r"`id`.*`requests`"):
        erasure_plan(records, clusters, pl.DataFrame({"rid": [1]}), id_column="id")
    with pytest.raises(SchemaError, match=r"`match_probability`.*`pairs`"):
        erasure_plan(records, clusters, [1], id_column="id", pairs=pairs.drop("match_probability"))
    with pytest.raises(ConfigError, match="`min_probability`"):
        erasure_plan(records, clusters, [1], id_column="id", min_probability=2.0)


def test_subject_export_holds_every_record_and_event(crm: tuple[pl.DataFrame, ...]) -> None:
    records, clusters, _ = crm
    events = pl.DataFrame(
        {
            "record_id": [3, 4],
            "purpose": ["email_marketing", "email_marketing"],
            "status": ["granted", "granted"],
            "recorded_at": [dt.datetime(2022, 2, 2, 10, 30), dt.datetime(2022, 1, 1)],
            "source": ["web", "web"],
            "proof": ["form-9", "form-1"],
        }
    )
    export = json.loads(subject_export(records, clusters, events, 1, id_column="id"))
    assert export["requested_id"] == 1
    assert export["golden_id"].startswith("g_")
    assert [r["id"] for r in export["records"]] == [1, 2, 3]
    assert export["records"][0]["created"] == "2020-01-01"
    assert [e["proof"] for e in export["consent_events"]] == ["form-9"]
    assert export["consent_events"][0]["recorded_at"].startswith("2022-02-02T10:30")
    statuses = {(c["contact_point"], c["status"]) for c in export["consent"]}
    assert statuses == {("a@x.fr", "no_consent"), ("a.x@y.fr", "granted")}


def test_subject_export_unknown_id(crm: tuple[pl.DataFrame, ...]) -> None:
    records, clusters, _ = crm
    with pytest.raises(SchemaError, match="`id`"):
        subject_export(records, clusters, None, 42, id_column="id")
