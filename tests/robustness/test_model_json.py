"""A model file is checked on load: every bad value is named by its JSON path."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import crmdedup
from crmdedup.errors import ConfigError


@pytest.fixture
def saved(tmp_path: Path, people: pl.DataFrame) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(crmdedup.dedupe(people, id_column="id").model.to_json())
    return data


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(model: dict[str, Any]) -> None:
        target = model
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (_set(("comparisons", 1, "m", 1), -0.2), "comparisons[1].m[1]"),
        (_set(("comparisons", 0, "u", 0), 1.5), "comparisons[0].u[0]"),
        (_set(("comparisons", 2, "m", 0), 0.9), "comparisons[2].m"),
        (_set(("comparisons", 0, "u"), [0.5, 0.5]), "comparisons[0].u"),
        (_set(("prior",), 0.0), "prior"),
        (_set(("prior",), 1.0), "prior"),
        (_set(("prior",), -3), "prior"),
        (_set(("rule_priors",), [[1, 2.0]]), "rule_priors[0][1]"),
    ],
)
def test_bad_values_are_named(
    saved: dict[str, Any], tmp_path: Path, edit: Callable[[dict[str, Any]], None], where: str
) -> None:
    edit(saved)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(saved))
    with pytest.raises(ConfigError, match=f"`{where.replace('[', '.').replace(']', '.')}`"):
        crmdedup.Model.load(path)
    with pytest.raises(ConfigError, match="model"):
        crmdedup.Model(json.dumps(saved))


@pytest.mark.parametrize(
    "text", ["", "{", "[]", '{"prior": 0.1}', '{"prior": NaN}', "null", '{"prior": 1e400}']
)
def test_not_a_model(tmp_path: Path, text: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"model\.json"):
        crmdedup.Model.load(path)


def test_nan_written_by_hand(saved: dict[str, Any], tmp_path: Path) -> None:
    saved["comparisons"][0]["m"][0] = math.nan
    path = tmp_path / "model.json"
    path.write_text(json.dumps(saved))  # json writes NaN, which is not JSON
    with pytest.raises(ConfigError, match=r"model\.json"):
        crmdedup.Model.load(path)


def test_model_that_does_not_fit_the_settings(saved: dict[str, Any], people: pl.DataFrame) -> None:
    del saved["comparisons"][0]
    model = crmdedup.Model(json.dumps(saved))
    with pytest.raises(ConfigError, match="comparisons"):
        crmdedup.dedupe(people, id_column="id", model=model)


def test_a_saved_model_loads_and_scores_alike(people: pl.DataFrame, tmp_path: Path) -> None:
    first = crmdedup.dedupe(people, id_column="id")
    first.model.save(tmp_path / "m.json")
    again = crmdedup.dedupe(people, id_column="id", model=crmdedup.Model.load(tmp_path / "m.json"))
    assert again.pairs.equals(first.pairs)
