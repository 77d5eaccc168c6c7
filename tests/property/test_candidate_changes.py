"""Candidate changes from blocking keys equal the difference of two batch runs' candidates."""

from __future__ import annotations

import dataclasses
from functools import cache

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

import crmdedup

ID = "record_id"
PAIR = [f"{ID}_l", f"{ID}_r"]
STATUSES = ("unchanged", "inserted", "removed")


@cache
def contacts() -> tuple[pl.DataFrame, crmdedup.Settings, crmdedup.Model, pl.DataFrame]:
    df = crmdedup.datasets.generate_contacts(800, seed=11).drop("entity_id")
    s = crmdedup.infer_settings(df)
    model = crmdedup.dedupe(df, s, id_column=ID).model
    keys = crmdedup.blocking_keys(df, s, id_column=ID)
    return df, s, model, keys


def candidates(
    df: pl.DataFrame, s: crmdedup.Settings, model: crmdedup.Model
) -> set[tuple[str, str]]:
    if df.height < 2:
        return set()
    return set(crmdedup.dedupe(df, s, id_column=ID, model=model).pairs.select(PAIR).iter_rows())


@settings(max_examples=25, deadline=None)
@given(
    weights=st.tuples(st.integers(1, 10), st.integers(0, 5), st.integers(0, 5)),
    seed=st.integers(0, 2**32 - 1),
    cap=st.integers(2, 12),
    window=st.integers(1, 4),
)
def test_changes_are_the_difference_of_two_batch_runs(
    weights: tuple[int, int, int], seed: int, cap: int, window: int
) -> None:
    df, inferred, model, keys = contacts()
    # Every candidate is reported; the cap is small enough for blocks to cross it, the window
    # for records to move their neighbours in and out of it.
    s = dataclasses.replace(inferred, threshold=1e-300, max_block_size=cap, pairs_per_record=window)
    draws = pl.Series(range(df.height)).shuffle(seed=seed) % sum(weights)
    status = pl.Series(
        [STATUSES[0 if d < weights[0] else 1 if d < weights[0] + weights[1] else 2] for d in draws]
    )
    by_id = pl.DataFrame({ID: df[ID], "status": status})
    before = df.filter(status != "inserted")
    after = df.filter(status != "removed")
    old, new = candidates(before, s, model), candidates(after, s, model)
    changes = crmdedup.candidate_changes(keys.join(by_id, on=ID), s, id_column=ID)
    got = {(a, b, c) for a, b, c, _ in changes.iter_rows()}
    want = {(*p, "removed") for p in old - new} | {(*p, "added") for p in new - old}
    assert got == want
    # In id order, smaller id first, each pair once.
    assert changes.select(PAIR).equals(changes.select(PAIR).sort(PAIR))
    assert (changes[PAIR[0]] < changes[PAIR[1]]).all()
