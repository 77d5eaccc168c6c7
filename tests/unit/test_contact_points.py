"""One canonical form: consent matching, dedupe's normalisation and the profile agree.

``tests/data/contact_points.csv`` is shared with the cargo test of the engine's kernel
(``normalize::contact``); here every row is checked through the Python paths: the merge's
:func:`canonical_contact_point`, :func:`crmdedup.normalize` and :func:`crmdedup.profile`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

import crmdedup
from crmdedup import Comparison, Settings
from crmdedup.consent import canonical_contact_point, canonical_contact_point_expr
from crmdedup.errors import ConfigError, SchemaError
from crmdedup.merge import MergePolicy, merge
from crmdedup.report import compute_stats

VECTORS = Path(__file__).parents[1] / "data" / "contact_points.csv"
# The engine's normaliser for each contact point kind ("other" has none: trimmed text).
NORMALIZERS = {"email": "email", "phone": "phone", "postal": "address"}


def _vectors() -> pl.DataFrame:
    return pl.read_csv(VECTORS, infer_schema=False).fill_null("")


def _settings(normalizer: str) -> Settings:
    return Settings(
        comparisons=(Comparison("value", normalizer=normalizer),),  # type: ignore[arg-type]
        blocking_rules=(("value",),),  # type: ignore[arg-type]
        region_column="region",
    )


def _or_none(series: pl.Series) -> list[str | None]:
    return [v or None for v in series.to_list()]


@pytest.mark.parametrize("kind", ["email", "phone", "postal", "other"])
def test_vectors_agree_across_paths(kind: str) -> None:
    rows = _vectors().filter(pl.col("kind") == kind)
    assert rows.height >= 2
    regions = rows["region"].replace("", None)
    want = _or_none(rows["canonical"])
    got = canonical_contact_point(rows["value"], kind, regions=regions)  # type: ignore[arg-type]
    assert got.to_list() == want
    if kind not in NORMALIZERS:
        return
    normalizer = NORMALIZERS[kind]
    frame = rows.select("value", pl.col("region").replace("", None))
    seen = crmdedup.normalize(frame, _settings(normalizer))
    usable = (rows["valid"] != "") | (kind == "postal")
    matcher = [n if ok else None for n, ok in zip(want, usable, strict=True)]
    assert seen["value_norm"].to_list() == matcher
    if kind == "postal":
        return
    flags = [{"true": True, "false": False}.get(v) for v in rows["valid"]]
    assert seen["value_valid"].to_list() == flags
    if kind == "phone":
        pairs = zip(want, flags, strict=True)
        e164 = [n if f is not None and n and n.startswith("+") else None for n, f in pairs]
        assert seen["value_e164"].to_list() == e164
    prof = crmdedup.profile(frame, _settings(normalizer)).row(0, named=True)
    assert prof["invalid"] == flags.count(False)
    assert prof["empty"] == flags.count(None)


def test_opposition_with_display_name_screens_the_record() -> None:
    records = pl.DataFrame({"id": [1], "email": ["JEAN@X.FR "]})
    clusters = pl.DataFrame({"id": [1], "cluster_id": [1]})
    events = pl.DataFrame(
        {
            "record_id": [1],
            "purpose": ["email_marketing"],
            "status": ["granted"],
            "recorded_at": [dt.datetime(2022, 1, 1)],
        }
    )
    optout = pl.DataFrame(
        {
            "contact_point": ["Jean Dupont <jean@x.fr>"],
            "purpose": ["email_marketing"],
            "listed_at": [dt.datetime(2023, 1, 1)],
            "list_name": ["robinson"],
        }
    )
    result = merge(records, clusters, id_column="id", consents=events, oppositions=optout)
    row = result.consent.row(0, named=True)
    assert (row["contact_point"], row["status"]) == ("jean@x.fr", "opposed")


def _phone_merge(policy: MergePolicy, records: pl.DataFrame, **kw: object) -> pl.DataFrame:
    # One cluster per record: an opposition on any contact point of a cluster opposes it all.
    clusters = pl.DataFrame({"id": records["id"], "cluster_id": records["id"]})
    events = pl.DataFrame(
        {
            "record_id": records["id"],
            "purpose": ["sms_marketing"] * records.height,
            "status": ["granted"] * records.height,
            "recorded_at": [dt.datetime(2022, 1, 1)] * records.height,
        }
    )
    result = merge(records, clusters, id_column="id", consents=events, policy=policy, **kw)
    return result.consent


def test_policy_region_reads_national_numbers() -> None:
    records = pl.DataFrame({"id": [1], "phone": ["0470 12 34 56"]})
    ledger = _phone_merge(MergePolicy(default_region="BE"), records)
    assert ledger["contact_point"].to_list() == ["+32470123456"]
    # The same digits read in France are another, French, number.
    assert _phone_merge(MergePolicy(), records)["contact_point"].to_list() == ["+33470123456"]


def test_region_column_and_opposition_regions() -> None:
    records = pl.DataFrame(
        {"id": [1, 2], "phone": ["0470 12 34 56", "06 12 34 56 78"], "pays": ["be", None]}
    )
    listed = pl.DataFrame(
        {
            "contact_point": ["+32 470 12 34 56", "06 12 34 56 78"],
            "purpose": ["sms_marketing"] * 2,
            "listed_at": [dt.datetime(2023, 1, 1)] * 2,
            "list_name": ["dncm", "bloctel"],
            "region": ["BE", "FR"],
        }
    )
    policy = MergePolicy(default_region="DE", region_column="pays")
    ledger = _phone_merge(policy, records, oppositions=listed).sort("contact_point")
    # Record 2 has no region: read in DE, so Bloctel's French number is another one.
    assert ledger.select("contact_point", "status").rows() == [
        ("+32470123456", "opposed"),
        ("+49612345678", "granted"),
    ]


def test_bad_regions_are_config_errors() -> None:
    for bad in ("fr", "FRA", "ZZ", 33):
        with pytest.raises(ConfigError, match="`default_region`"):
            MergePolicy(default_region=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="`region`"):
        canonical_contact_point(pl.Series(["x"]), "phone", region="France")
    with pytest.raises(ConfigError, match="`channel`"):
        canonical_contact_point(pl.Series(["x"]), "fax")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="`regions`"):
        canonical_contact_point(pl.Series(["x"]), "phone", regions=pl.Series(["FR", "BE"]))
    with pytest.raises(SchemaError, match="`pays`"):
        merge(
            pl.DataFrame({"id": [1], "phone": ["x"]}),
            pl.DataFrame({"id": [1], "cluster_id": [1]}),
            id_column="id",
            policy=MergePolicy(region_column="pays"),
        )


def test_expression_wrapper_uses_the_kernel() -> None:
    df = pl.DataFrame({"phone": ["0470 12 34 56", None]})
    out = df.select(canonical_contact_point_expr(pl.col("phone"), "phone", region="BE"))
    assert out.to_series().to_list() == ["+32470123456", None]


def test_report_invalid_counts_are_the_profile() -> None:
    records = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f"],
            "email": ["Jean <j@x.fr>", "J@X.FR", "jean@localhost", "   ", "k***@x.fr", None],
            "phone": ["0470 12 34 56", "+33 6 12 34 56 78", "12", "n/a", None, "0612"],
        }
    )
    clusters = pl.DataFrame(
        {"id": records["id"], "cluster_id": records["id"], "cluster_size": [1] * 6}
    )
    pairs = pl.DataFrame(schema={"id_l": pl.String, "id_r": pl.String, "match_weight": pl.Float64})
    roles = {"email": "email", "phone": "phone", "contact": "email,phone"}
    settings = Settings(
        comparisons=(
            Comparison("email", normalizer="email"),
            Comparison("phone", normalizer="phone"),
        ),
        blocking_rules=(("email",),),
        default_region="BE",
    )
    stats = compute_stats(
        clusters=clusters,
        pairs=pairs,
        threshold=0.9,
        id_column="id",
        records=records,
        roles=roles,
        default_region="BE",
    )
    prof = {r["column"]: r for r in crmdedup.profile(records, settings).iter_rows(named=True)}
    quality = stats["quality"]
    assert quality["invalid_emails"] == prof["email"]["invalid"] == 1
    assert quality["invalid_phones"] == prof["phone"]["invalid"]
    assert quality["missing_emails"] == prof["email"]["nulls"] + prof["email"]["empty"] == 3
    # "Jean <j@x.fr>" and "J@X.FR" are one valid address; the regex counted the first invalid.
    assert stats["emailable"]["records"] == 2


def test_normalize_and_profile_use_the_settings_region() -> None:
    df = pl.DataFrame({"phone": ["0470 12 34 56"]})
    be = Settings(
        comparisons=(Comparison("phone", normalizer="phone"),),
        blocking_rules=(("phone",),),
        default_region="BE",
    )
    assert crmdedup.normalize(df, be)["phone_e164"].to_list() == ["+32470123456"]
    # An explicit keyword still wins over the settings.
    fr = crmdedup.normalize(df, be, default_region="FR")
    assert fr["phone_e164"].to_list() == ["+33470123456"]
    assert crmdedup.profile(df, be).row(0, named=True)["invalid"] == 0
    # Read in the US, the same digits are no number.
    assert crmdedup.profile(df, be, default_region="US").row(0, named=True)["invalid"] == 1


def test_subject_export_reads_phones_in_the_policy_region() -> None:
    records = pl.DataFrame({"id": [1], "phone": ["0470 12 34 56"]})
    clusters = pl.DataFrame({"id": [1], "cluster_id": [1]})
    events = pl.DataFrame(
        {
            "record_id": [1],
            "purpose": ["sms_marketing"],
            "status": ["granted"],
            "recorded_at": [dt.datetime(2022, 1, 1)],
        }
    )
    export = crmdedup.subject_export(
        records, clusters, events, 1, id_column="id", policy=MergePolicy(default_region="BE")
    )
    assert [c["contact_point"] for c in json.loads(export)["consent"]] == ["+32470123456"]
