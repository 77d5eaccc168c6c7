"""Property tests: consent rules 1-4 and lineage completeness over random clusters and histories.

The consent rules are checked against a plain-Python oracle that decides each (cluster, purpose,
contact point) one at a time, and against the rules read directly from the events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import phonenumbers
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from crmdedup.consent import canonical_contact_point
from crmdedup.merge import MergeResult, merge
from tests._helpers import EVENT_SCHEMA

PURPOSES = {"email_marketing": "email", "sms_marketing": "phone", "profiling": None}
EMAILS = ["a@x.fr", " A@X.fr", "b@y.fr", "c@z.fr", None]
PHONES = ["06 12 34 56 78", "+33612345678", "07 00 00 00 01", "0033 7 00 00 00 02", None]
DAY0 = dt.datetime(2021, 1, 1)


@dataclass(frozen=True)
class Case:
    records: pl.DataFrame
    clusters: pl.DataFrame
    events: pl.DataFrame
    oppositions: pl.DataFrame


def _email(value: str | None) -> str | None:
    return None if value is None else value.strip().lower()


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    number = phonenumbers.parse(value, "FR")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _canonical(purpose: str, value: str | None) -> str | None:
    channel = PURPOSES[purpose]
    if channel == "email":
        return _email(value)
    if channel == "phone":
        return _phone(value)
    return value


@st.composite
def cases(draw: st.DrawFn) -> Case:
    n = draw(st.integers(1, 10))
    ids = [i * 7 + 3 for i in range(n)]
    cluster_of = [draw(st.sampled_from(ids[: i + 1])) for i in range(n)]
    records = pl.DataFrame(
        {
            "id": ids,
            "email": [draw(st.sampled_from(EMAILS)) for _ in ids],
            "phone": [draw(st.sampled_from(PHONES)) for _ in ids],
            "name": [draw(st.sampled_from(["Ann", "Anne", "", None])) for _ in ids],
            "updated_at": [DAY0 + dt.timedelta(days=draw(st.integers(0, 3))) for _ in ids],
        },
        schema_overrides={"email": pl.String, "phone": pl.String, "name": pl.String},
    )
    clusters = pl.DataFrame({"id": ids, "cluster_id": cluster_of})
    event_rows = []
    for _ in range(draw(st.integers(0, 12))):
        purpose = draw(st.sampled_from(sorted(PURPOSES)))
        pool = {"email": EMAILS, "phone": PHONES}.get(PURPOSES[purpose] or "", [None])
        event_rows.append(
            {
                "record_id": draw(st.sampled_from(ids)),
                "purpose": purpose,
                "status": draw(st.sampled_from(["granted", "withdrawn"])),
                "recorded_at": draw(
                    st.one_of(
                        st.none(),
                        st.integers(0, 4).map(lambda d: DAY0 + dt.timedelta(days=d)),
                    )
                ),
                "source": draw(st.sampled_from(["web", "shop"])),
                "proof": draw(st.sampled_from(["p1", "p2", None, " "])),
                "contact_point": draw(st.sampled_from(pool)) if draw(st.booleans()) else None,
            }
        )
    events = pl.DataFrame(
        event_rows,
        schema={**EVENT_SCHEMA, "contact_point": pl.String},
    )
    listed = draw(st.lists(st.sampled_from([e for e in EMAILS + PHONES if e]), max_size=2))
    oppositions = pl.DataFrame(
        {
            "contact_point": listed,
            "purpose": ["sms_marketing" if p[0] in "+0" else "email_marketing" for p in listed],
            "listed_at": [DAY0] * len(listed),
            "list_name": ["dnc"] * len(listed),
        },
        schema_overrides={"contact_point": pl.String, "purpose": pl.String},
    )
    return Case(records, clusters, events, oppositions)


def _run(case: Case) -> MergeResult:
    return merge(
        case.records,
        case.clusters,
        id_column="id",
        consents=case.events,
        oppositions=case.oppositions,
    )


def _oracle(case: Case, result: MergeResult) -> dict[tuple[str, str, str | None], str]:
    """Decide every (golden, purpose, contact point) one at a time from the rules as written."""
    golden_of = dict(zip(result.lineage["id"], result.lineage["golden_id"], strict=True))
    records = case.records.rows(named=True)
    events = [dict(e, golden=golden_of[e["record_id"]]) for e in case.events.rows(named=True)]
    for event in events:
        record = next(r for r in records if r["id"] == event["record_id"])
        channel = PURPOSES[event["purpose"]]
        held = record.get(channel) if channel else None
        event["point"] = _canonical(event["purpose"], event["contact_point"] or held)
    listed = {
        (o["purpose"], _canonical(o["purpose"], o["contact_point"]))
        for o in case.oppositions.rows(named=True)
    }
    purposes = {e["purpose"] for e in events} | {p for p, _ in listed}
    latest = dt.datetime.max
    decided: dict[tuple[str, str, str | None], str] = {}
    for golden in set(golden_of.values()):
        members = [r for r in records if golden_of[r["id"]] == golden]
        for purpose in purposes:
            channel = PURPOSES[purpose]
            mine = [e for e in events if e["golden"] == golden and e["purpose"] == purpose]
            points = {_canonical(purpose, m[channel]) for m in members if channel} - {None}
            points |= {e["point"] for e in mine}
            points = points or {None}
            withdrawals = [e["recorded_at"] or latest for e in mine if e["status"] == "withdrawn"]
            last_withdrawal = max(withdrawals, default=None)
            opposed = any((purpose, p) in listed for p in points)
            for point in points:
                grants = [
                    e
                    for e in mine
                    if e["status"] == "granted"
                    and e["point"] == point
                    and (
                        last_withdrawal is None
                        or (
                            e["recorded_at"] is not None
                            and e["recorded_at"] > last_withdrawal
                            and (e["proof"] or "").strip() != ""
                        )
                    )
                ]
                status = "opposed" if opposed else "granted" if grants else None
                status = status or ("withdrawn" if withdrawals else "no_consent")
                decided[(golden, purpose, point)] = status
    return decided


@settings(max_examples=150, deadline=None)
@given(cases())
def test_consent_matches_oracle(case: Case) -> None:
    result = _run(case)
    got = {
        (r["golden_id"], r["purpose"], r["contact_point"]): r["status"]
        for r in result.consent.rows(named=True)
    }
    assert result.consent.height == len(got), "one row per golden, purpose and contact point"
    assert got == _oracle(case, result)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_rules_hold_on_deciding_events(case: Case) -> None:
    result = _run(case)
    events = result.consent_events
    for row in result.consent.rows(named=True):
        same = events.filter(
            pl.col("golden_id") == row["golden_id"], pl.col("purpose") == row["purpose"]
        )
        if row["status"] == "granted":
            # Rule 1: a grant for this purpose and this very contact point exists.
            covering = same.filter(
                pl.col("status") == "granted",
                pl.col("contact_point").eq_missing(pl.lit(row["contact_point"], pl.String)),
                pl.col("id") == row["id"],
            )
            assert covering.height >= 1
            # Rule 2: it is later than every withdrawal of the purpose, with proof.
            withdrawn = same.filter(pl.col("status") == "withdrawn")
            if withdrawn.height:
                assert withdrawn["recorded_at"].null_count() == 0
                assert row["decided_at"] > withdrawn["recorded_at"].max()
                assert row["proof"].strip()
        if row["status"] in ("granted", "withdrawn"):
            # Rule 4: the deciding event's proof and time are those of a real event.
            match = same.filter(
                pl.col("status") == row["status"],
                pl.col("id") == row["id"],
                pl.col("proof").eq_missing(pl.lit(row["proof"], pl.String)),
                pl.col("recorded_at").eq_missing(pl.lit(row["decided_at"], pl.Datetime("us"))),
            )
            assert match.height >= 1
        if row["status"] == "opposed":
            assert row["opposition_list"] == "dnc"
            assert row["source"] == "dnc"


@settings(max_examples=100, deadline=None)
@given(cases())
def test_lineage_is_complete_and_unmerge_exact(case: Case) -> None:
    result = _run(case)
    records = case.records
    assert result.lineage["id"].to_list() == records["id"].to_list()
    assert result.golden.height == case.clusters["cluster_id"].n_unique()
    assert result.golden["n_records"].sum() == records.height
    lineage = dict(zip(result.lineage["id"], result.lineage["golden_id"], strict=True))
    text = records.with_columns(pl.all().exclude("id").cast(pl.String))
    by_id = {row["id"]: row for row in text.rows(named=True)}
    for prov in result.provenance.rows(named=True):
        assert lineage[prov["id"]] == prov["golden_id"]
        assert by_id[prov["id"]][prov["field"]] == prov["value"]
    golden_text = result.golden.with_columns(pl.all().exclude("golden_id").cast(pl.String))
    for golden in golden_text.rows(named=True):
        for field in ("email", "phone", "name", "updated_at"):
            traced = result.provenance.filter(
                pl.col("golden_id") == golden["golden_id"], pl.col("field") == field
            )
            if golden[field] is None:
                assert traced.height == 0
            else:
                assert traced["value"].to_list() == [golden[field]]
    parts = [result.unmerge(g) for g in result.golden["golden_id"]]
    assert pl.concat(parts).sort("id").equals(records)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["6", "7", "1", "9"]),
    st.text("0123456789", min_size=8, max_size=8),
    st.sampled_from(["0{}", "+33{}", "+33 (0){}", "0033{}", "+33.{}"]),
    st.sampled_from(["", " ", ".", "-"]),
)
def test_french_phones_match_e164(lead: str, rest: str, template: str, sep: str) -> None:
    national = lead + rest
    spaced = sep.join(national[i : i + 2] for i in range(0, 9, 2))
    raw = template.format(spaced)
    got = canonical_contact_point(pl.Series([raw]), "phone")[0]
    assert got == _phone("0" + national) == "+33" + national
