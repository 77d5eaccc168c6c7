"""The run directory contract: what dedupe writes, and review and explain reading it back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import crmdedup
from crmdedup.cli._rundir import RUN_FORMAT, Run
from crmdedup.errors import CrmdedupError, SchemaError
from tests._helpers import run


@pytest.fixture(scope="module")
def rundir(tmp_path_factory: pytest.TempPathFactory, sample: pl.DataFrame) -> Path:
    base = tmp_path_factory.mktemp("rundir")
    sample.write_csv(base / "contacts.csv")
    result = run("dedupe", base / "contacts.csv", "-o", base / "run", "--quiet")
    assert result.exit_code == 0, result.output
    return base / "run"


@pytest.fixture
def copy(rundir: Path, tmp_path: Path) -> Path:
    """A copy of the run to damage (same input file)."""
    return Path(shutil.copytree(rundir, tmp_path / "run"))


def _no_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pipeline was run")

    monkeypatch.setattr(crmdedup, "dedupe", refuse)


# -- the contract --------------------------------------------------------------------------------


def test_run_json_describes_the_outputs(rundir: Path) -> None:
    info = json.loads((rundir / "run.json").read_text())
    assert info["run_format"] == RUN_FORMAT
    assert (info["id_column"], info["id_dtype"], info["review_band"]) == ("record_id", "String", 3)
    opened = Run.open(rundir)
    for name in ("clusters", "pairs", "candidates"):
        assert opened.path(name) == rundir / f"{name}.parquet"
        assert opened.path(name).exists()
    candidates = opened.read("candidates")
    weights = candidates.get_column("match_weight")
    threshold_weight = -0.0  # log2(0.5 / 0.5): the default threshold
    assert candidates.height > 0
    assert weights.max() < threshold_weight  # type: ignore[operator]
    assert weights.min() >= threshold_weight - 3  # type: ignore[operator]


def test_csv_outputs_are_read_back_with_the_id_type(tmp_path: Path, sample: pl.DataFrame) -> None:
    numbered = sample.with_columns(pl.int_range(1, sample.height + 1).alias("record_id"))
    numbered.write_parquet(tmp_path / "contacts.parquet")
    out = tmp_path / "run"
    result = run("dedupe", tmp_path / "contacts.parquet", "-o", out, "--format", "csv", "--quiet")
    assert result.exit_code == 0, result.output
    opened = Run.open(out)
    assert opened.read("clusters").schema["cluster_id"] == pl.Int64
    pairs = opened.read("pairs")
    assert (pairs.schema["record_id_l"], pairs.schema["match_weight"]) == (pl.Int64, pl.Float64)
    assert all(t == pl.Int8 for c, t in pairs.schema.items() if c.startswith("gamma_"))


def test_a_run_of_another_format_version_is_refused(copy: Path) -> None:
    info = json.loads((copy / "run.json").read_text())
    (copy / "run.json").write_text(json.dumps({**info, "run_format": RUN_FORMAT + 1}))
    with pytest.raises(CrmdedupError, match=rf"`{copy / 'run.json'}` was written in format 2"):
        Run.open(copy)
    del info["run_format"]
    (copy / "run.json").write_text(json.dumps(info))
    result = run("review", copy, "--list")
    assert result.exit_code == 2
    assert "run.json` was written in an older format" in result.stderr
    assert "hint: rerun `crmdedup dedupe INPUT -o" in result.stderr


def test_a_missing_output_is_named(copy: Path) -> None:
    (copy / "candidates.parquet").unlink()
    result = run("review", copy, "--list")
    assert result.exit_code == 2
    assert f"`{copy / 'candidates.parquet'}` is missing from run directory" in result.stderr
    (copy / "pairs.parquet").unlink()
    result = run("explain", copy.parent / "contacts.csv", "C0001", "C0002", "--run", copy)
    assert result.exit_code == 2 and "pairs.parquet` is missing" in result.stderr


def test_a_run_json_without_a_key_is_named(copy: Path) -> None:
    info = json.loads((copy / "run.json").read_text())
    del info["threshold"]
    (copy / "run.json").write_text(json.dumps(info))
    with pytest.raises(CrmdedupError, match="lacks key `threshold`"):
        Run.open(copy)


def test_an_input_that_changed_is_refused(copy: Path, tmp_path: Path) -> None:
    info = json.loads((copy / "run.json").read_text())
    shorter = tmp_path / "shorter.csv"
    pl.read_csv(info["input"], infer_schema=False).head(10).write_csv(shorter)
    (copy / "run.json").write_text(json.dumps({**info, "input": str(shorter)}))
    with pytest.raises(SchemaError, match="has 10 rows but the run in"):
        Run.open(copy).read_records()


# -- review and explain read the run ---------------------------------------------------------------


def test_review_does_not_run_the_pipeline(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_pipeline(monkeypatch)
    listed = run("review", copy, "--list", "--json", "--quiet", "--limit", "3")
    assert listed.exit_code == 0, listed.output
    pairs = json.loads(listed.stdout)["pairs"]
    assert len(pairs) == 3
    below = [p for p in pairs if p["match_probability"] < 0.5]
    assert below, "the closest pairs include some from the candidates below the threshold"
    answered = run("review", copy, "--limit", "2", input="n\ny\n")
    assert answered.exit_code == 0, answered.output
    assert pl.read_csv(copy / "review.csv")["decision"].to_list() == ["cannot_link", "must_link"]


def test_review_band_wider_than_the_run_kept(copy: Path) -> None:
    result = run("review", copy, "--band", "5", "--list")
    assert result.exit_code == 2
    assert "--band 5 is wider than the 3 bits below the threshold" in result.stderr
    assert "--review-band 5" in result.stderr


def test_dedupe_review_band_is_recorded(tmp_path: Path, rundir: Path) -> None:
    out = tmp_path / "wide"
    contacts = Run.open(rundir).input_path
    assert run("dedupe", contacts, "-o", out, "--review-band", "6", "--quiet").exit_code == 0
    wide = Run.open(out)
    assert wide.review_band == 6
    assert wide.read("candidates").height > Run.open(rundir).read("candidates").height
    assert run("review", out, "--band", "5", "--list", "--quiet").exit_code == 0
    none = tmp_path / "none"
    assert run("dedupe", contacts, "-o", none, "--review-band", "0", "--quiet").exit_code == 0
    assert Run.open(none).read("candidates").height == 0


def _explained(rundir: Path, a: str, b: str) -> dict[str, Any]:
    result = run("explain", Run.open(rundir).input_path, a, b, "--run", rundir, "--json", "--quiet")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _only_two_records(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Let the engine run on two records only (explaining them), never on the whole input."""
    calls: list[int] = []
    real = crmdedup.dedupe

    def two(data: pl.DataFrame, *args: Any, **kwargs: Any) -> Any:
        calls.append(data.height)
        assert data.height == 2, "the pipeline was run on the input"
        return real(data, *args, **kwargs)

    monkeypatch.setattr(crmdedup, "dedupe", two)
    return calls


def _same(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    # A household cap of (floating-point) zero adds nothing; the engine may print one.
    def shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            r for r in rows if r.get("comparison") != "household cap" or abs(r["weight"]) > 1e-9
        ]

    got, expected = shown(got), shown(expected)
    assert [r.keys() for r in got] == [r.keys() for r in expected]
    for g, e in zip(got, expected, strict=True):
        for key, value in e.items():
            assert g[key] == (pytest.approx(value, abs=1e-9) if isinstance(value, float) else value)


def test_explain_from_the_run_equals_the_api(
    rundir: Path, sample: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = Run.open(rundir)
    fresh = crmdedup.dedupe(sample, opened.settings(), id_column="record_id")
    # The closest pairs on both sides of the threshold, and the strongest matches.
    matched = opened.read("pairs").sort("match_weight")
    candidates = opened.read("candidates").sort("match_weight", descending=True)
    verdicts = {r[:2]: "match" for r in (*matched.head(5).rows(), *matched.tail(5).rows())}
    verdicts |= {r[:2]: "no match" for r in candidates.head(10).rows()}
    pairs = list(verdicts)
    expected = {pair: fresh.explain(*pair).to_dicts() for pair in pairs}
    calls = _only_two_records(monkeypatch)
    for pair, verdict in verdicts.items():
        data = _explained(rundir, *pair)
        assert data["verdict"] == verdict
        _same(data["comparisons"], expected[pair])
    assert calls == [2] * len(pairs)
    # Asked the other way round: the same weights, the values on the other side.
    back = _explained(rundir, pairs[0][1], pairs[0][0])["comparisons"]
    assert [r["value_l"] for r in back] == [r["value_r"] for r in expected[pairs[0]]]
    totals = [{"w": r["cumulative_weight"]} for r in expected[pairs[0]]]
    _same([{"w": r["cumulative_weight"]} for r in back], totals)


def test_explain_a_pair_the_run_did_not_keep(rundir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_pipeline(monkeypatch)
    opened = Run.open(rundir)
    kept = pl.concat([opened.read("pairs"), opened.read("candidates")])
    kept = kept.select("record_id_l", "record_id_r")
    ids = opened.read("clusters").get_column("record_id")
    pairs = pl.DataFrame({"record_id_l": ids.head(20)}).join(
        pl.DataFrame({"record_id_r": ids.tail(20)}), how="cross"
    )
    a, b = pairs.join(kept, on=["record_id_l", "record_id_r"], how="anti").row(0)
    data = _explained(rundir, a, b)
    assert (data["verdict"], data["candidate"], data["comparisons"]) == ("not compared", False, [])
    text = run("explain", opened.input_path, a, b, "--run", rundir)
    assert text.exit_code == 0
    assert f"{a} vs {b}: not compared: no blocking rule put `{a}` and `{b}` together" in (
        text.stdout.replace("\n", " ")
    )


def test_explain_with_run_refuses_config(rundir: Path) -> None:
    result = run("explain", "x.csv", "C0001", "C0002", "--run", rundir, "--config", "s.toml")
    assert result.exit_code == 2 and "--config cannot be used with --run" in result.stderr


# -- ids: one validator, rows counted from 1 -------------------------------------------------------


def test_id_errors_count_rows_from_one(tmp_path: Path) -> None:
    records = pl.DataFrame({"id": ["a", "b", "a"], "email": ["x@y.fr", "z@y.fr", "w@y.fr"]})
    clusters = pl.DataFrame({"id": ["a", "b"], "cluster_id": ["a", "b"]})
    needle = "duplicate id 'a' in column `id` of `{}` at rows 1 and 3"
    with pytest.raises(SchemaError, match=needle.format("data")):
        crmdedup.dedupe(records, id_column="id")
    with pytest.raises(SchemaError, match=needle.format("records")):
        crmdedup.merge(records, clusters, id_column="id")
    with pytest.raises(SchemaError, match=needle.format("records")):
        crmdedup.erasure_plan(records, clusters, ["a"], id_column="id")
    with pytest.raises(SchemaError, match="null id in column `id` of `right` at row 2"):
        crmdedup.link(
            records.head(2), records.head(2).with_columns(id=pl.Series(["c", None])), id_column="id"
        )
    path = tmp_path / "dups.csv"
    records.write_csv(path)
    result = run("dedupe", path, "--id-column", "id")
    assert result.exit_code == 2
    assert needle.format(path) in result.stderr
    assert "hint: ids must be unique; fix the export or choose another --id-column" in result.stderr


def test_float_ids_are_refused_by_type() -> None:
    records = pl.DataFrame({"id": [1.0, 2.0], "email": ["x@y.fr", "z@y.fr"]})
    with pytest.raises(
        SchemaError, match=r"column `id` of `data` has type Float64, expected string"
    ):
        crmdedup.dedupe(records, id_column="id")
