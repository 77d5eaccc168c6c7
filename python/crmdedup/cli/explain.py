"""``crmdedup explain``: why two records match or not, comparison by comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import polars as pl
from rich.table import Table

from crmdedup._io import read_table
from crmdedup.cli._common import (
    cell,
    common_options,
    config_option,
    emit_json,
    error_lines,
    flag,
    id_column_option,
    input_argument,
    path_option,
    read_options,
    stdout_console,
)
from crmdedup.cli._inputs import id_column as resolve_id_column
from crmdedup.cli._inputs import id_value, settings_for
from crmdedup.cli._progress import StageProgress
from crmdedup.cli._rundir import Run
from crmdedup.model import weight_of

__all__ = ["explain", "explain_from_run", "show_explanation"]

_HOUSEHOLD = "household cap"
# The engine's label for that line (rust/crmdedup-core/src/explain.rs, Session::explain).
_CAP_LABEL = (
    "shared values (surname, address…): counted once, and only for a pair whose other "
    "evidence is not against it; the fields of one group (an address) disagreeing together "
    "weigh no less than the group's measured floor"
)
_COLUMNS = (
    ("comparison", "left"),
    ("value_l", "left"),
    ("value_r", "left"),
    ("level", "left"),
    ("weight", "right"),
    ("cumulative", "right"),
    ("probability", "right"),
)


def show_explanation(table: pl.DataFrame, a: Any, b: Any, threshold: float) -> None:
    """Print an explanation (the table of ``DedupeResult.explain``), or emit it as JSON."""
    final = table.row(-1, named=True)
    verdict = "match" if final["probability"] >= threshold else "no match"
    if flag("json"):
        emit_json(
            {
                "id_a": a,
                "id_b": b,
                "match_weight": final["cumulative_weight"],
                "match_probability": final["probability"],
                "threshold": threshold,
                "verdict": verdict,
                "comparisons": table.to_dicts(),
            }
        )
        return
    out = Table(
        title=f"{a} vs {b}: {verdict} (probability {final['probability']:.4f}, "
        f"threshold {threshold:g})",
        title_justify="left",
    )
    for col, justify in _COLUMNS:
        out.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in table.iter_rows(named=True):
        out.add_row(
            r["comparison"],
            cell(r["value_l"]),
            cell(r["value_r"]),
            cell(r["level_label"]),
            f"{r['weight'] + r['tf_adjustment']:+.2f}",
            f"{r['cumulative_weight']:+.2f}",
            f"{r['probability']:.4f}",
        )
    stdout_console().print(out)


def _not_a_candidate(run: Run, a: Any, b: Any) -> None:
    lowest = weight_of(run.threshold) - run.review_band
    reason = (
        f"no blocking rule put `{a}` and `{b}` together, or their match weight is below "
        f"{lowest:+.2f}, the lowest this run keeps (threshold - review band of "
        f"{run.review_band:g} bits)"
    )
    if flag("json"):
        emit_json(
            {
                "id_a": a,
                "id_b": b,
                "match_weight": None,
                "match_probability": None,
                "threshold": run.threshold,
                "verdict": "not compared",
                "candidate": False,
                "lowest_kept_weight": lowest,
                "reason": reason,
                "comparisons": [],
            }
        )
        return
    stdout_console().print(f"{a} vs {b}: not compared: {reason}")


def explain_from_run(run: Run, a: Any, b: Any) -> pl.DataFrame | None:
    """Records ``a`` and ``b`` explained as the run scored them; None when it kept no such pair.

    The pair's row comes from the run's ``pairs`` or ``candidates``. Its levels, normalised
    values, prior and labels are those the engine gives for the two records alone with the
    run's settings and model (they depend on nothing else); what depends on the whole input
    comes from the stored row: each term-frequency adjustment is ``weight_<name>`` less the
    level's weight, and the household cap what ``match_weight`` leaves over. The table is the
    one ``crmdedup.dedupe(...).explain(a, b)`` gave during the run (up to a household cap of
    zero, left out).
    """
    import crmdedup

    stored = run.pair(a, b)
    if stored is None:
        return None
    records = run.read_records()
    two = records.filter(pl.col(run.id_column).is_in([a, b]))
    alone = crmdedup.dedupe(two, run.settings(), id_column=run.id_column, model=run.model())
    table = alone.explain(a, b)
    scored = pl.DataFrame(
        {
            "comparison": [k[len("weight_") :] for k in stored if k.startswith("weight_")],
            "__stored": [v for k, v in stored.items() if k.startswith("weight_")],
        },
        schema={"comparison": pl.String, "__stored": pl.Float64},
    )
    total = pl.col("weight") + pl.col("tf_adjustment")
    table = (
        table.join(scored, on="comparison", how="left", maintain_order="left")
        .with_columns(
            tf_adjustment=pl.coalesce(pl.col("__stored") - pl.col("weight"), "tf_adjustment")
        )
        .drop("__stored")
    )
    # The household cap bounds evidence that includes those adjustments: it is what the stored
    # match weight leaves over.
    cap = pl.col("comparison") == _HOUSEHOLD
    residual = stored["match_weight"] - table.filter(~cap).select(total.sum()).item()
    if abs(residual) < 1e-9:
        table = table.filter(~cap)  # the engine leaves out a cap of zero
    elif table.filter(cap).height == 0:
        # Capped in the run only (its adjustments raised the shared evidence): add the line.
        row = {**table.row(0, named=True), "comparison": _HOUSEHOLD, "level_label": _CAP_LABEL}
        table = pl.concat([table, pl.DataFrame([row], schema=table.schema)])
    return (
        table.with_columns(weight=pl.when(cap).then(pl.lit(residual)).otherwise("weight"))
        .with_columns(cumulative_weight=total.cum_sum())
        .with_columns(probability=1 / (1 + pl.lit(2.0).pow(-pl.col("cumulative_weight"))))
    )


@click.command()
@input_argument
@click.argument("id_a")
@click.argument("id_b")
@path_option(
    "--run",
    "run_dir",
    help="Run directory: show the explanation stored by `crmdedup dedupe` (nothing is rescored).",
)
@config_option("Settings TOML (without --run; inferred from column names when left out).")
@id_column_option()
@read_options
@common_options
def explain(
    input_path: Path,
    id_a: str,
    id_b: str,
    run_dir: Path | None,
    config: Path | None,
    id_column: str | None,
    encoding: str | None,
    delimiter: str | None,
) -> None:
    """Explain why records ID_A and ID_B of INPUT match or not, comparison by comparison.

    With --run, the pair is read from the run directory (its input is the records). Without
    it, the whole pipeline runs on INPUT and a model is fitted again (slower, and the weights
    may differ from those of a run).
    """
    import crmdedup

    if run_dir is not None:
        if config is not None:
            raise click.UsageError("--config cannot be used with --run (the run's settings are)")
        run = Run.open(run_dir)
        if id_column is not None and id_column != run.id_column:
            raise click.UsageError(
                f"--id-column `{id_column}` differs from the run's id column `{run.id_column}`"
            )
        if input_path.resolve() != run.input_path:
            error_lines(
                f"the run in `{run_dir}` was made from `{run.input_path}`; its records are "
                f"used, `{input_path}` is not read",
                "warning",
            )
        clusters = run.read("clusters")
        a = id_value(id_a, clusters, run.id_column, run.input_path)
        b = id_value(id_b, clusters, run.id_column, run.input_path)
        table = explain_from_run(run, a, b)
        if table is None:
            _not_a_candidate(run, a, b)
        else:
            show_explanation(table, a, b, run.threshold)
        return
    with StageProgress() as progress:
        with progress.step("reading"):
            frame, _ = read_table(input_path, encoding=encoding, delimiter=delimiter)
        settings = settings_for(frame, config, input_path)
        id_col = resolve_id_column(frame, id_column, settings, input_path)
        a = id_value(id_a, frame, id_col, input_path)
        b = id_value(id_b, frame, id_col, input_path)
        result = crmdedup.dedupe(frame, settings, id_column=id_col, progress=progress)
    show_explanation(result.explain(a, b), a, b, settings.threshold)
