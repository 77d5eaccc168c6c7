"""Model behaviour seen from Python: term frequencies, determinism, fitting reports."""

from __future__ import annotations

import polars as pl
import pytest

import crmdedup


def _people(n: int) -> pl.DataFrame:
    first = [f"p{i}" for i in range(n)]
    last = ["martin"] * (n // 2) + [f"name{i}" for i in range(n - n // 2)]
    return pl.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "first_name": first,
            "last_name": last,
            "email": [f"user{i}@example.org" for i in range(n)],
        }
    )


def test_rare_names_weigh_more_than_common_ones() -> None:
    df = pl.concat(
        [
            _people(400),
            pl.DataFrame(
                {
                    "id": ["q1", "q2", "m1", "m2"],
                    "first_name": ["anne", "anne", "anne", "anne"],
                    "last_name": ["quennehen", "quennehen", "martin", "martin"],
                    "email": ["a@q.fr", "b@q.fr", "c@m.fr", "d@m.fr"],
                }
            ),
        ]
    )
    result = crmdedup.dedupe(df, id_column="id")
    rare = result.explain("q1", "q2").filter(pl.col("comparison") == "last_name").row(0, named=True)
    common = (
        result.explain("m1", "m2").filter(pl.col("comparison") == "last_name").row(0, named=True)
    )
    # Both pairs were blocked on the last name: its agreement is in the prior, labelled so.
    assert rare["level_label"] == common["level_label"]
    assert rare["level_label"].startswith("exact")
    assert rare["weight"] == common["weight"]  # same level, same base weight
    assert rare["tf_adjustment"] > 0 > common["tf_adjustment"]


def test_same_seed_same_parameters_and_clusters() -> None:
    data = crmdedup.datasets.generate_contacts(3000, seed=5).drop("entity_id")
    a = crmdedup.dedupe(data, id_column="record_id", threads=1)
    b = crmdedup.dedupe(data, id_column="record_id", threads=2)
    assert a.model.to_json() == b.model.to_json()
    assert a.clusters.equals(b.clusters)
    report = a.model.fit_report
    assert report["u_pairs_sampled"] > 0
    assert len(report["iterations"]) == len(a.settings.blocking_rules)
    # Sessions of rules that only find households (shared values) learn nothing: 0 iterations.
    ran = [c for c, i in zip(report["converged"], report["iterations"], strict=True) if i]
    assert ran and all(ran)


def test_explanations_match_pair_weights_when_blocking_keys_are_in_the_prior() -> None:
    data = crmdedup.datasets.generate_contacts(5000, seed=2).drop("entity_id")
    settings = crmdedup.infer_settings(data).with_(threshold=0.05)
    result = crmdedup.dedupe(data, settings, id_column="record_id")
    assert result.report["fitted"]
    pairs = result.pairs.sort("match_weight").gather_every(max(1, result.pairs.height // 40))
    in_prior = 0
    for row in pairs.iter_rows(named=True):
        ex = result.explain(row["record_id_l"], row["record_id_r"])
        assert ex["cumulative_weight"][-1] == pytest.approx(row["match_weight"])
        rows = ex.filter(~pl.col("comparison").is_in(["prior", "household cap"]))
        for r in rows.iter_rows(named=True):
            # The pairs table and the explanation give each comparison the same weight.
            got = r["weight"] + r["tf_adjustment"]
            assert got == pytest.approx(row[f"weight_{r['comparison']}"])
            if "blocking key" in r["level_label"]:
                in_prior += 1
                assert r["weight"] == 0.0
    assert in_prior > 0
