"""Blocking recall with raw keys against normalised and phonetic keys, on synthetic contacts.

    python benches/blocking_recall.py --rows 100000

"raw" uses the inferred blocking rules on the values as typed (no normalisation, no phonetic
rule); "normalised" is the default inferred settings. Prints candidate pairs and the share of
true duplicate pairs that blocking puts among the candidates.
"""

from __future__ import annotations

import dataclasses

import polars as pl
from _common import arguments, synthetic

import crmdedup


def candidate_recall(
    data: pl.DataFrame, truth: pl.DataFrame, settings: crmdedup.Settings
) -> tuple[int, float]:
    # A tiny threshold keeps (almost) every candidate pair in `pairs`.
    result = crmdedup.dedupe(data, settings.with_(threshold=1e-12), id_column="record_id")
    pairs = (
        result.pairs.select("record_id_l", "record_id_r")
        .join(truth.rename({"record_id": "record_id_l", "entity_id": "el"}), on="record_id_l")
        .join(truth.rename({"record_id": "record_id_r", "entity_id": "er"}), on="record_id_r")
    )
    found = pairs.filter(pl.col("el") == pl.col("er")).height
    sizes = truth.group_by("entity_id").len()["len"]
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    return result.report["candidate_pairs"], found / true_pairs


def main() -> None:
    args = arguments(__doc__).parse_args()
    data, truth = synthetic(args.rows, args.seed)
    normalised = crmdedup.infer_settings(data)
    no_phonetic = normalised.with_(
        blocking_rules=tuple(
            r for r in normalised.blocking_rules if not any("phonetic(" in k for k in r.keys)
        ),
    )
    raw = no_phonetic.with_(
        comparisons=tuple(dataclasses.replace(c, normalizer="raw") for c in normalised.comparisons),
    )
    print("| keys | candidate pairs | blocking recall |")
    print("|---|---|---|")
    variants = (("raw", raw), ("normalised", no_phonetic), ("normalised + phonetic", normalised))
    for name, settings in variants:
        n, recall = candidate_recall(data, truth, settings)
        print(f"| {name} | {n:,} | {recall:.4f} |")


if __name__ == "__main__":
    main()
