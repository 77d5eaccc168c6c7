"""The ``crmdedup`` command line: dedupe, review, merge, explain and report on contact files.

Every command reads CSV, TSV or Parquet, writes its outputs atomically into a run directory,
and reports bad input as one ``error:`` line (plus a ``hint:`` when a fix exists) with exit code
2; an unexpected failure exits with 1. ``--debug`` shows the Python traceback.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import re
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import polars as pl
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from crmdedup._io import (
    InputWarning,
    OutputFormat,
    TableInfo,
    atomic_write_text,
    check_writable_file,
    read_table,
    staged_dir,
    write_table,
)
from crmdedup.api import MAX_THREADS
from crmdedup.errors import ConfigError, CrmdedupError, SchemaError

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])

RUN_FILE = "run.json"
DECISIONS_FILE = "review.csv"
_MERGE_OUTPUTS = ("golden", "lineage", "provenance", "consent", "conflicts")
_MERGE_OWNS = frozenset(
    {f"{n}.{ext}" for n in _MERGE_OUTPUTS for ext in ("parquet", "csv")} | {"merge.json"}
)
# A new run replaces the previous one's files and drops those derived from it (a merge, a
# review's candidates, a report); anything else in the directory (review.csv) is kept.
_RUN_OWNS = frozenset(
    {f"{n}.{ext}" for n in ("clusters", "pairs") for ext in ("parquet", "csv")}
    | {"model.json", "settings.toml", RUN_FILE, "candidates.parquet", "report.html"}
    | _MERGE_OWNS
)
_LOG_EVERY_S = 15.0
_STAGES = {
    "normalise": "normalising",
    "block": "blocking",
    "compare": "comparing",
    "fit": "fitting the model",
    "score": "scoring",
    "cluster": "clustering",
}


# -- flags, console, errors --------------------------------------------------------------------


def _flag(name: str) -> bool:
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(f"crmdedup.{name}"):
        return True
    return name == "debug" and bool(os.environ.get("CRMDEDUP_DEBUG"))


def _set_flag(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and param.name:
        ctx.meta[f"crmdedup.{param.name}"] = True


def _common(f: F) -> F:
    """Add ``--quiet``, ``--json`` and ``--debug`` to a command (also accepted before it)."""
    for name, help_text in (
        ("debug", "Show the Python traceback on errors."),
        ("json", "Print a machine-readable summary (JSON) on stdout."),
        ("quiet", "No progress bars nor summary table."),
    ):
        f = click.option(
            f"--{name}",
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_set_flag,
            help=help_text,
        )(f)
    return f


def _no_color() -> bool:
    return bool(os.environ.get("NO_COLOR"))


def _stdout() -> Console:
    return Console(no_color=_no_color(), highlight=False, soft_wrap=True)


def _stderr() -> Console:
    return Console(stderr=True, no_color=_no_color(), highlight=False)


def _say(message: str) -> None:
    """Print a human message on stdout unless ``--quiet`` or ``--json``."""
    if not (_flag("quiet") or _flag("json")):
        click.echo(message)


def _emit_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def _error_lines(message: str, kind: str = "error") -> None:
    lines = message.strip().splitlines() or [kind]
    color = not _no_color()
    label = click.style(f"{kind}:", fg="red", bold=True) if color else f"{kind}:"
    click.echo(f"{label} {lines[0]}", err=True)
    for line in lines[1:]:
        if line.startswith("hint:"):
            hint = click.style("hint:", fg="cyan", bold=True) if color else "hint:"
            click.echo(f"{hint}{line[len('hint:') :]}", err=True)
        else:
            click.echo(line, err=True)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    _error_lines(str(message), "warning")


def _usage_message(e: click.ClickException) -> str:
    """Click's message in the style of the others: lower case, names in backticks."""
    text = re.sub(r"['\"]([^'\"]+)['\"]", r"`\1`", e.format_message().strip()).rstrip(".")
    text = text[:1].lower() + text[1:]
    ctx = getattr(e, "ctx", None)
    if isinstance(e, click.UsageError) and ctx is not None:
        text += f"\nhint: see `{ctx.command_path} --help`"
    return text


class _Group(click.Group):
    """Group that turns library errors into exit codes and one-line messages."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; usage errors are one ``error:`` line too, with exit code 2."""
        run = functools.partial(super().main, args, prog_name, complete_var, False, **extra)
        if not standalone_mode:
            return run()
        real = args is None and threading.current_thread() is threading.main_thread()
        if real:
            signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            code: Any = run()
        except click.ClickException as e:
            if type(e).__name__ == "NoArgsIsHelpError":  # bare `crmdedup`: the help, as click does
                e.show()
                sys.exit(e.exit_code)
            _error_lines(_usage_message(e))
            sys.exit(2 if isinstance(e, click.UsageError) else e.exit_code)
        except click.Abort as e:
            if not isinstance(e.__cause__, KeyboardInterrupt):
                _error_lines("aborted")
                sys.exit(1)
            _error_lines("interrupted; no output was changed")
            code = 143 if isinstance(e.__cause__, _Terminated) else 130
        if real:
            # Done: a late Ctrl-C or SIGTERM must not turn a finished run into a traceback.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if real and code in (130, 143):
            # Interrupted: the engine may still be finishing its stage on other threads, and the
            # outputs are already clean. Leave at once rather than tear the interpreter down
            # around it (that took longer than the rest of the exit).
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("always", InputWarning)
            warnings.showwarning = _show_warning
            return self._invoke(ctx)

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as e:
            _error_lines("interrupted; no output was left half-written", "error")
            raise click.exceptions.Exit(143 if isinstance(e, _Terminated) else 130) from None
        except CrmdedupError as e:
            if _flag("debug"):
                raise
            _error_lines(str(e))
            raise click.exceptions.Exit(2) from None
        except OSError as e:
            if _flag("debug"):
                raise
            where = f" `{e.filename}`" if e.filename else ""
            _error_lines(f"cannot access{where}: {e.strerror or e}")
            raise click.exceptions.Exit(2) from None
        except Exception as e:
            if _flag("debug"):
                raise
            _error_lines(
                f"internal error: {type(e).__name__}: {e}\n"
                "hint: rerun with --debug and report the traceback"
            )
            raise click.exceptions.Exit(1) from None


class _FiniteRange(click.FloatRange):
    """A float range that also refuses NaN and infinities (which compare as in any range)."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


# -- progress ------------------------------------------------------------------------------------


class _Progress:
    """Progress on stderr, one bar per stage; silent with ``--quiet``.

    On a terminal the bars are live (rich); elsewhere (pipes, CI logs) one line is printed as
    each stage ends, so that logs stay readable and an error stays the last line.
    """

    def __init__(self) -> None:
        self.console = _stderr()
        self.enabled = not _flag("quiet")
        self.live = self.enabled and self.console.is_terminal
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            disable=not self.live,
        )
        self.tasks: dict[str, TaskID] = {}
        self.started: dict[str, float] = {}
        self.last_line = time.perf_counter()

    def __enter__(self) -> _Progress:
        self.bar.start()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None and self.live:
            # Leave the error message alone on stderr: clear the bars instead of freezing them.
            self.bar.live.transient = True
        self.bar.stop()

    def _line(self, label: str, done: int, total: int, key: str) -> None:
        if self.enabled and not self.live:
            seconds = time.perf_counter() - self.started.pop(key, time.perf_counter())
            self.console.print(f"  {label:<18} {done:>12,}/{total:<12,} {seconds:7.1f}s")

    def __call__(self, stage: str, done: int, total: int) -> None:
        label = _STAGES.get(stage, stage)
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(label, total=total)
            self.started[stage] = time.perf_counter()
        self.bar.update(self.tasks[stage], completed=done, total=total)
        if done >= total:
            self._line(label, done, total, stage)
        elif self.enabled and not self.live:
            now = time.perf_counter()
            if now - self.last_line >= _LOG_EVERY_S:
                self.last_line = now
                self.console.print(
                    f"  {label:<18} {done:>12,}/{total:<12,} {100 * done / total:5.1f}%"
                )

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """A one-shot step (reading, writing) shown as a spinner, then done."""
        task = self.bar.add_task(label, total=1)
        key = f"step:{label}:{task}"
        self.started[key] = time.perf_counter()
        yield
        self.bar.update(task, completed=1)
        self._line(label, 1, 1, key)


# -- shared steps --------------------------------------------------------------------------------


def _load(
    path: Path, run: dict[str, Any] | None = None, **kw: Any
) -> tuple[pl.DataFrame, TableInfo]:
    if run is not None and Path(run["input"]) == path.resolve():
        kw.setdefault("encoding", run.get("encoding"))
        kw.setdefault("delimiter", run.get("delimiter"))
    return read_table(path, **kw)


def _settings(frame: pl.DataFrame, config: Path | None, input_path: Path) -> Any:
    import crmdedup

    if config is None:
        try:
            inferred = crmdedup.infer_settings(frame)
        except ConfigError as e:
            raise ConfigError(f"`{input_path}`: {e}") from None
        return inferred
    settings = crmdedup.Settings.from_toml(config)
    for c in settings.comparisons:
        if c.column not in frame.columns:
            raise SchemaError(
                f"settings file `{config}` names column `{c.column}`, which `{input_path}` "
                f"lacks (available: {', '.join(frame.columns)})\n"
                f"hint: fix `column` of comparison `{c.name}` or regenerate the file with "
                "`crmdedup init-config`"
            )
    return settings


def _id_column(frame: pl.DataFrame, given: str | None, settings: Any, input_path: Path) -> str:
    column = given or settings.id_column
    available = ", ".join(f"`{c}`" for c in frame.columns)
    if column is None:
        raise SchemaError(
            f"no id column found in `{input_path}` (columns: {available})\n"
            "hint: name it with --id-column"
        )
    if column not in frame.columns:
        raise SchemaError(
            f"id column `{column}` is missing from `{input_path}` (available: {available})\n"
            "hint: pass the right name with --id-column"
        )
    ids = pl.col(column)
    blank = ids.is_null()
    if frame.schema[column] == pl.String:
        blank = blank | (ids.str.strip_chars() == "")
    empty = frame.select(blank.arg_true().head(1)).to_series()
    if empty.len():
        raise SchemaError(
            f"empty id in column `{column}` of `{input_path}` at data row {int(empty[0]) + 1}\n"
            "hint: every record needs an id; fix the export or choose another --id-column"
        )
    dup = frame.select(pl.col(column)).with_row_index("row").filter(pl.col(column).is_duplicated())
    if dup.height:
        value = dup.get_column(column)[0]
        rows = dup.filter(pl.col(column) == value).get_column("row").head(2).to_list()
        raise SchemaError(
            f"duplicate id {value!r} in column `{column}` of `{input_path}` at data rows "
            f"{rows[0] + 1} and {rows[1] + 1}\n"
            "hint: ids must be unique; fix the export or choose another --id-column"
        )
    return column


def _read_run(outdir: Path) -> dict[str, Any]:
    path = outdir / RUN_FILE
    if not outdir.is_dir():
        raise CrmdedupError(
            f"run directory `{outdir}` does not exist\n"
            "hint: create it with `crmdedup dedupe INPUT -o DIR`"
        )
    if not path.exists():
        raise CrmdedupError(
            f"`{outdir}` is not a crmdedup run directory (no `{RUN_FILE}`)\n"
            "hint: create it with `crmdedup dedupe INPUT -o DIR`"
        )
    try:
        run: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise CrmdedupError(f"`{path}` is not valid JSON: {e}") from None
    return run


def _out(outdir: Path, name: str, fmt: str) -> Path:
    return outdir / f"{name}.{fmt}"


def _read_output(outdir: Path, run: dict[str, Any], name: str) -> pl.DataFrame:
    path = _out(outdir, name, run.get("format", "parquet"))
    frame, _ = read_table(path, allow_empty=True)
    if path.suffix == ".csv":
        # CSV outputs are read back as text; restore the numeric columns.
        casts = [
            pl.col(c).cast(pl.Float64)
            for c in frame.columns
            if c.startswith(("match_", "weight_")) or c == "cluster_size"
        ]
        frame = frame.with_columns(casts)
    return frame


def _dedupe_run(
    input_path: Path,
    outdir: Path,
    *,
    config: Path | None,
    id_column: str | None,
    threshold: float | None,
    fmt: OutputFormat,
    decisions_path: Path | None,
    threads: int | None,
    encoding: str | None,
    delimiter: str | None,
) -> dict[str, Any]:
    import crmdedup
    from crmdedup.review import apply_decisions, load_decisions

    started = time.perf_counter()
    with staged_dir(outdir, owns=_RUN_OWNS) as stage, _Progress() as progress:
        with progress.step("reading"):
            frame, info = read_table(input_path, encoding=encoding, delimiter=delimiter)
        settings = _settings(frame, config, input_path)
        if threshold is not None:
            settings = settings.with_(threshold=threshold)
        id_col = _id_column(frame, id_column, settings, input_path)
        settings = settings.with_(id_column=id_col)
        result = crmdedup.dedupe(
            frame, settings, id_column=id_col, threads=threads, progress=progress
        )
        clusters = result.clusters
        decisions_file = decisions_path or outdir / DECISIONS_FILE
        decisions = load_decisions(decisions_file)
        counts = {"must_link": 0, "cannot_link": 0, "split_clusters": 0}
        if decisions.height:
            clusters, counts = apply_decisions(clusters, result.pairs, decisions, id_column=id_col)
        with progress.step("writing"):
            write_table(clusters, _out(stage, "clusters", fmt))
            write_table(result.pairs, _out(stage, "pairs", fmt))
            atomic_write_text(stage / "model.json", result.model.to_json())
            atomic_write_text(stage / "settings.toml", settings.to_toml())
        n_clusters = clusters.get_column("cluster_id").n_unique()
        report = result.report
        run = {
            "crmdedup": crmdedup.__version__,
            "created_at": datetime.now().isoformat(timespec="seconds"),
            "input": str(input_path.resolve()),
            "input_format": info.format,
            # Repaired input is read again by detection, which repairs it the same way.
            "encoding": None if info.repaired else info.encoding,
            "delimiter": info.delimiter,
            "input_bytes": info.size_bytes,
            "id_column": id_col,
            "threshold": settings.threshold,
            "format": fmt,
            "decisions": {"file": str(decisions_file), **counts},
            "summary": {
                "rows": frame.height,
                "candidate_pairs": report["candidate_pairs"],
                "matched_pairs": result.pairs.height,
                "clusters": n_clusters,
                "duplicate_records": frame.height - n_clusters,
                "largest_cluster": int(clusters.select(pl.col("cluster_size").max()).item() or 0),
                "oversized_clusters": len(report.get("oversized_clusters", [])),
                "skipped_blocks": report.get("skipped_blocks_total", 0),
                "seconds": round(time.perf_counter() - started, 2),
            },
            "engine_report": report,
            "column_roles": [dataclasses.asdict(r) for r in settings.column_roles],
            "inference_notes": list(settings.notes),
        }
        atomic_write_text(stage / RUN_FILE, json.dumps(run, indent=2, default=str))
    return run


def _print_summary(title: str, rows: dict[str, Any], outdir: Path) -> None:
    if _flag("quiet") or _flag("json"):
        return
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in rows.items():
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        table.add_row(key.replace("_", " "), shown)
    console = _stdout()
    console.print(table)
    console.print(f"outputs in {outdir}")


# -- commands ------------------------------------------------------------------------------------

_input_arg = click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
_read_opts = [
    click.option("--encoding", help="Text encoding of INPUT (detected when left out)."),
    click.option("--delimiter", help="Field separator of INPUT (detected when left out)."),
]


def _with_read_opts(f: F) -> F:
    for opt in reversed(_read_opts):
        f = opt(f)
    return f


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crmdedup")
@_common
def main() -> None:
    """Find, review and merge duplicate CRM contacts, and report on the clean-up.

    Typical session: `crmdedup dedupe contacts.csv -o run`, `crmdedup review run`,
    `crmdedup merge contacts.csv --clusters run/clusters.parquet`, `crmdedup report run`.
    """


@main.command()
@_input_arg
@click.option(
    "-o",
    "--outdir",
    type=click.Path(path_type=Path),
    default=Path("crmdedup-out"),
    show_default=True,
    help="Directory for the outputs.",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    help="Settings TOML (see `crmdedup init-config`); inferred from column names when left out.",
)
@click.option("--id-column", help="Column of unique record ids.")
@click.option(
    "--threshold",
    type=_FiniteRange(0, 1, min_open=True, max_open=True),
    help="Match probability above which two records are the same person.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv"]),
    default="parquet",
    show_default=True,
    help="Format of the clusters and pairs files.",
)
@click.option(
    "--decisions",
    type=click.Path(path_type=Path),
    help=f"Review decisions to honour [default: OUTDIR/{DECISIONS_FILE}].",
)
@click.option(
    "--threads", type=click.IntRange(1, MAX_THREADS), help="Worker threads (default: all)."
)
@_with_read_opts
@_common
def dedupe(
    input_path: Path,
    outdir: Path,
    config: Path | None,
    id_column: str | None,
    threshold: float | None,
    fmt: OutputFormat,
    decisions: Path | None,
    threads: int | None,
    encoding: str | None,
    delimiter: str | None,
) -> None:
    """Find duplicate contacts in INPUT (CSV, TSV or Parquet).

    Writes clusters, matched pairs, the fitted model, the settings used and a run summary
    (run.json) into OUTDIR.
    """
    run = _dedupe_run(
        input_path,
        outdir,
        config=config,
        id_column=id_column,
        threshold=threshold,
        fmt=fmt,
        decisions_path=decisions,
        threads=threads,
        encoding=encoding,
        delimiter=delimiter,
    )
    if _flag("json"):
        _emit_json({"outdir": str(outdir), **run["summary"], "decisions": run["decisions"]})
    if run["column_roles"]:
        _say("columns, as inferred (pass --config to choose; see `crmdedup init-config`):")
        for r in run["column_roles"]:
            used = " (compared)" if r["compared"] else ""
            _say(f"  {r['column']}: {r['role'] or '-'}{used}: {r['reason']}")
        for note in run["inference_notes"]:
            _say(f"  {note}")
    _print_summary(f"crmdedup dedupe {input_path.name}", run["summary"], outdir)


@main.command()
@_input_arg
@click.option(
    "--clusters",
    "clusters_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Clusters file written by `crmdedup dedupe`.",
)
@click.option(
    "--consents",
    type=click.Path(path_type=Path),
    help="Consent events: record_id, purpose, status, recorded_at[, source, proof].",
)
@click.option(
    "--oppositions",
    type=click.Path(path_type=Path),
    help="Opposition lists: contact_point, purpose, listed_at, list_name.",
)
@click.option(
    "--optin",
    multiple=True,
    metavar="PURPOSE=COLUMN",
    help="Read consent from an opt-in flag column of INPUT (with COLUMN_at), e.g. "
    "email_marketing=email_optin. Repeatable.",
)
@click.option(
    "-o",
    "--outdir",
    type=click.Path(path_type=Path),
    help="Directory for the outputs [default: the clusters file's directory].",
)
@click.option("--id-column", help="Column of unique record ids [default: from run.json].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv"]),
    help="Output format [default: that of the clusters file].",
)
@_with_read_opts
@_common
def merge(
    input_path: Path,
    clusters_path: Path,
    consents: Path | None,
    oppositions: Path | None,
    optin: tuple[str, ...],
    outdir: Path | None,
    id_column: str | None,
    fmt: str | None,
    encoding: str | None,
    delimiter: str | None,
) -> None:
    """Merge each cluster of INPUT into a golden record, keeping consent lawful.

    Writes golden records, lineage, provenance, the consent ledger and consent conflicts.
    """
    summary = _merge_run(
        input_path,
        clusters_path,
        consents=consents,
        oppositions=oppositions,
        optin=optin,
        outdir=outdir,
        id_column=id_column,
        fmt=fmt,
        encoding=encoding,
        delimiter=delimiter,
    )
    target = Path(summary["outdir"])
    if _flag("json"):
        _emit_json(summary)
    _print_summary(f"crmdedup merge {input_path.name}", summary["counts"], target)


def _merge_run(
    input_path: Path,
    clusters_path: Path,
    *,
    consents: Path | None,
    oppositions: Path | None,
    optin: tuple[str, ...],
    outdir: Path | None,
    id_column: str | None,
    fmt: str | None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> dict[str, Any]:
    import crmdedup

    target = outdir or clusters_path.parent
    run_file = clusters_path.parent / RUN_FILE
    run = _read_run(clusters_path.parent) if run_file.exists() else None
    with staged_dir(target, owns=_MERGE_OWNS) as stage, _Progress() as progress:
        with progress.step("reading"):
            frame, _ = _load(input_path, run, encoding=encoding, delimiter=delimiter)
            clusters, _ = read_table(clusters_path)
            events = read_table(consents, allow_empty=True)[0] if consents else None
            lists = read_table(oppositions, allow_empty=True)[0] if oppositions else None
        id_col = id_column or (run or {}).get("id_column")
        if id_col is None:
            id_col = _id_column(frame, None, crmdedup.infer_settings(frame), input_path)
        _id_column(frame, id_col, None, input_path)
        if id_col not in clusters.columns or "cluster_id" not in clusters.columns:
            raise SchemaError(
                f"clusters file `{clusters_path}` needs columns `{id_col}` and `cluster_id` "
                f"(has: {', '.join(clusters.columns)})"
            )
        clusters = clusters.with_columns(pl.col(id_col).cast(frame.schema[id_col]))
        if optin:
            purposes = {}
            for item in optin:
                purpose, sep, column = item.partition("=")
                if not sep or not purpose or not column:
                    raise click.BadParameter(
                        f"`{item}`: expected PURPOSE=COLUMN", param_hint="--optin"
                    )
                purposes[purpose] = column
            derived = crmdedup.consents_from_columns(frame, id_column=id_col, purposes=purposes)
            derived = derived.with_columns(pl.col("record_id").cast(pl.String))
            if events is not None:
                events = pl.concat([events, derived], how="diagonal_relaxed")
            else:
                events = derived
        if events is not None and "record_id" in events.columns:
            events = events.with_columns(pl.col("record_id").cast(frame.schema[id_col]))
        with progress.step("merging"):
            result = crmdedup.merge(
                frame, clusters, id_column=id_col, consents=events, oppositions=lists
            )
        out_fmt = fmt or ("csv" if clusters_path.suffix.lower() == ".csv" else "parquet")
        with progress.step("writing"):
            for name in _MERGE_OUTPUTS:
                write_table(getattr(result, name), _out(stage, name, out_fmt))
        counts = {
            "records": frame.height,
            "golden_records": result.golden.height,
            "consent_rows": result.consent.height,
            "consent_conflicts": result.conflicts.height,
        }
        summary = {"outdir": str(target), "format": out_fmt, "counts": counts}
        atomic_write_text(stage / "merge.json", json.dumps(summary, indent=2))
    return summary


def _cast_id(value: str, dtype: pl.DataType, column: str) -> Any:
    try:
        return pl.Series([value]).cast(dtype).item()
    except pl.exceptions.PolarsError:
        raise SchemaError(
            f"id {value!r} is not a valid value of column `{column}` ({dtype})"
        ) from None


@main.command()
@_input_arg
@click.argument("id_a")
@click.argument("id_b")
@click.option(
    "--run",
    "run_dir",
    type=click.Path(path_type=Path),
    help="Run directory: reuse its settings and fitted model.",
)
@click.option("--config", type=click.Path(path_type=Path), help="Settings TOML.")
@click.option("--id-column", help="Column of unique record ids.")
@_with_read_opts
@_common
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
    """Explain why records ID_A and ID_B of INPUT match or not, comparison by comparison."""
    import crmdedup

    model = None
    run = _read_run(run_dir) if run_dir else None
    if run_dir is not None and run is not None:
        config = config or run_dir / "settings.toml"
        model = crmdedup.Model.load(run_dir / "model.json")
        id_column = id_column or run["id_column"]
    with _Progress() as progress:
        with progress.step("reading"):
            frame, _ = _load(input_path, run, encoding=encoding, delimiter=delimiter)
        settings = _settings(frame, config, input_path)
        id_col = _id_column(frame, id_column, settings, input_path)
        a = _cast_id(id_a, frame.schema[id_col], id_col)
        b = _cast_id(id_b, frame.schema[id_col], id_col)
        for value in (a, b):
            if frame.select((pl.col(id_col) == value).any()).item() is not True:
                raise SchemaError(f"id {value!r} is not in column `{id_col}` of `{input_path}`")
        result = crmdedup.dedupe(frame, settings, id_column=id_col, model=model, progress=progress)
    table = result.explain(a, b)
    final = table.row(-1, named=True)
    verdict = "match" if final["probability"] >= settings.threshold else "no match"
    if _flag("json"):
        _emit_json(
            {
                "id_a": a,
                "id_b": b,
                "match_weight": final["cumulative_weight"],
                "match_probability": final["probability"],
                "threshold": settings.threshold,
                "verdict": verdict,
                "comparisons": table.to_dicts(),
            }
        )
        return
    out = Table(
        title=f"{a} vs {b}: {verdict} (probability {final['probability']:.4f}, "
        f"threshold {settings.threshold:g})",
        title_justify="left",
    )
    for col, justify in (
        ("comparison", "left"),
        ("value_l", "left"),
        ("value_r", "left"),
        ("level", "left"),
        ("weight", "right"),
        ("cumulative", "right"),
        ("probability", "right"),
    ):
        out.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in table.iter_rows(named=True):
        out.add_row(
            r["comparison"],
            _cell(r["value_l"]),
            _cell(r["value_r"]),
            _cell(r["level_label"]),
            f"{r['weight'] + r['tf_adjustment']:+.2f}",
            f"{r['cumulative_weight']:+.2f}",
            f"{r['probability']:.4f}",
        )
    _stdout().print(out)


def _cell(value: Any) -> str:
    return "—" if value is None else str(value)


@main.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option(
    "--band",
    type=_FiniteRange(min=0),
    default=3.0,
    show_default=True,
    help="Show pairs whose match weight is within this many bits of the threshold.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Pairs to review in this session.",
)
@click.option("--list", "list_only", is_flag=True, help="List the pairs without asking.")
@_common
def review(outdir: Path, band: float, limit: int, list_only: bool) -> None:
    """Review pairs near the threshold of the run in OUTDIR, side by side.

    Answer y (same person), n (different people), s (skip) or q (quit). Decisions are saved to
    OUTDIR/review.csv at once and honoured by this run's clusters and by later
    `crmdedup dedupe` runs into OUTDIR.
    """
    import crmdedup
    from crmdedup.review import (
        Decision,
        apply_decisions,
        load_decisions,
        near_threshold,
        save_decisions,
        with_decision,
    )

    run = _read_run(outdir)
    id_col, threshold = run["id_column"], float(run["threshold"])
    decisions_path = Path(run["decisions"]["file"])
    decisions = load_decisions(decisions_path)
    low_weight = math.log2(threshold / (1 - threshold)) - band
    low = 2**low_weight / (1 + 2**low_weight)
    with _Progress() as progress:
        with progress.step("reading"):
            frame, _ = _load(Path(run["input"]), run)
        settings = crmdedup.Settings.from_toml(outdir / "settings.toml")
        model = crmdedup.Model.load(outdir / "model.json")
        result = crmdedup.dedupe(
            frame,
            settings.with_(threshold=min(low, threshold)),
            id_column=id_col,
            model=model,
            progress=progress,
        )
    write_table(result.pairs, outdir / "candidates.parquet")
    todo = near_threshold(
        result.pairs, threshold, band_bits=band, decisions=decisions, id_column=id_col
    ).head(limit)
    if _flag("json") and list_only:
        _emit_json(
            {
                "pairs": todo.select(
                    f"{id_col}_l", f"{id_col}_r", "match_weight", "match_probability"
                ).to_dicts()
            }
        )
        return
    if todo.height == 0:
        _say("no undecided pair near the threshold")
    console = _stdout()
    columns = [c for c in frame.columns if c != id_col]
    by_id = frame.with_columns(pl.col(id_col))
    answered = 0
    for i, pair in enumerate(todo.iter_rows(named=True), start=1):
        a, b = pair[f"{id_col}_l"], pair[f"{id_col}_r"]
        left = by_id.filter(pl.col(id_col) == a).row(0, named=True)
        right = by_id.filter(pl.col(id_col) == b).row(0, named=True)
        side = Table(
            title=f"[{i}/{todo.height}] {a} vs {b}: probability {pair['match_probability']:.3f} "
            f"(threshold {threshold:g})",
            title_justify="left",
        )
        for name in ("field", str(a), str(b), "weight"):
            side.add_column(name)
        for c in columns:
            w = next(
                (
                    pair[k]
                    for k in pair
                    if k.startswith("weight_") and _comparison_column(settings, k[7:]) == c
                ),
                None,
            )
            side.add_row(c, _cell(left[c]), _cell(right[c]), "" if w is None else f"{w:+.2f}")
        console.print(side)
        if list_only:
            continue
        try:
            answer = click.prompt(
                "same person? [y]es / [n]o / [s]kip / [q]uit",
                type=click.Choice(["y", "n", "s", "q"]),
                show_choices=False,
                err=True,
            )
        except click.Abort:
            break
        if answer == "q":
            break
        if answer == "s":
            continue
        decision: Decision = "must_link" if answer == "y" else "cannot_link"
        decisions = with_decision(decisions, a, b, decision)
        save_decisions(decisions, decisions_path)
        answered += 1
    fmt = run.get("format", "parquet")
    clusters = _read_output(outdir, run, "clusters").with_columns(
        pl.col("cluster_id").cast(frame.schema[id_col]), pl.col(id_col).cast(frame.schema[id_col])
    )
    pairs = _read_output(outdir, run, "pairs")
    pairs = pairs.with_columns(pl.col(f"{id_col}_l", f"{id_col}_r").cast(frame.schema[id_col]))
    clusters, counts = apply_decisions(clusters, pairs, decisions, id_column=id_col)
    run["decisions"] |= counts
    run["summary"]["clusters"] = clusters.get_column("cluster_id").n_unique()
    run["summary"]["duplicate_records"] = clusters.height - run["summary"]["clusters"]
    with staged_dir(outdir, owns={f"clusters.{fmt}", RUN_FILE}) as stage:
        write_table(clusters, _out(stage, "clusters", fmt))
        atomic_write_text(stage / RUN_FILE, json.dumps(run, indent=2, default=str))
    summary = {
        "answered": answered,
        "decisions": decisions.height,
        **counts,
        "clusters": run["summary"]["clusters"],
    }
    if _flag("json"):
        _emit_json(summary)
    else:
        _say(
            f"{answered} decisions recorded in {decisions_path}; clusters updated "
            f"({counts['must_link']} must-link, {counts['cannot_link']} cannot-link applied)"
        )


def _comparison_column(settings: Any, name: str) -> str | None:
    return next((c.column for c in settings.comparisons if c.name == name), None)


@main.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="HTML file to write [default: OUTDIR/report.html].",
)
@click.option(
    "--retention-years",
    type=_FiniteRange(min=0),
    default=3.0,
    show_default=True,
    help="Contacts without activity for this long are past retention.",
)
@click.option(
    "--activity-column",
    help="Column of last activity dates [default: last_activity_at, or similar names].",
)
@click.option("--source-column", help="Column naming each record's source [default: source].")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date to count retention back from [default: today].",
)
@click.option(
    "--campaigns-per-year",
    type=click.IntRange(min=0),
    default=12,
    show_default=True,
    help="Email campaigns sent to the whole base each year.",
)
@click.option(
    "--email-g-co2e",
    type=_FiniteRange(min=0),
    default=4.0,
    show_default=True,
    help="Estimated grams of CO2e per email.",
)
@click.option(
    "--storage-kg-co2e-per-gb-year",
    type=_FiniteRange(min=0),
    default=0.025,
    show_default=True,
    help="Estimated kg of CO2e per GB stored for a year.",
)
@click.option("--title", default="crmdedup report", show_default=True, help="Page title.")
@_common
def report(
    outdir: Path,
    output: Path | None,
    retention_years: float,
    activity_column: str | None,
    source_column: str | None,
    as_of: datetime | None,
    campaigns_per_year: int,
    email_g_co2e: float,
    storage_kg_co2e_per_gb_year: float,
    title: str,
) -> None:
    """Write a self-contained HTML report on the run in OUTDIR.

    Sections: cluster sizes, match weights, duplicates by source, data quality, inactive
    contacts, consent after merge, and the sobriety gained (with CO2e estimates).
    """
    from crmdedup.report import ReportOptions, SobrietyFactors

    options = ReportOptions(
        retention_years=retention_years,
        as_of=as_of.date() if as_of else None,
        factors=SobrietyFactors(email_g_co2e, campaigns_per_year, storage_kg_co2e_per_gb_year),
        title=title,
    )
    target = output or outdir / "report.html"
    stats = _report_run(outdir, target, options, activity_column, source_column)
    if _flag("json"):
        _emit_json({"report": str(target), **stats})
    else:
        _say(f"report written to {target}")


_ACTIVITY = (
    "last_activity_at",
    "last_activity",
    "derniere_activite",
    "date_derniere_activite",
    "last_seen",
    "updated_at",
    "date_modification",
)


def _report_run(
    outdir: Path,
    target: Path,
    options: Any,
    activity_column: str | None = None,
    source_column: str | None = None,
) -> dict[str, Any]:
    import crmdedup
    from crmdedup.report import compute_stats, render_html

    check_writable_file(target, what="report")
    run = _read_run(outdir)
    id_col = run["id_column"]
    clusters = _read_output(outdir, run, "clusters")
    pairs = _read_output(outdir, run, "pairs")
    records = None
    roles: dict[str, str] = {}
    input_path = Path(run["input"])
    if input_path.exists():
        records, _ = _load(input_path, run)
        if records.height != clusters.height:
            raise SchemaError(
                f"`{input_path}` has {records.height} rows but the run in `{outdir}` has "
                f"{clusters.height}: the input changed since `crmdedup dedupe`\n"
                "hint: rerun `crmdedup dedupe` on it"
            )
        settings = crmdedup.Settings.from_toml(outdir / "settings.toml")
        for c in settings.comparisons:
            if c.normalizer in ("email", "phone", "address") and c.normalizer not in roles:
                roles[c.normalizer] = c.column
        roles["contact"] = ",".join(c.column for c in settings.comparisons)
        for role, given, names in (
            ("source", source_column, ("source", "origine", "canal")),
            ("activity", activity_column, _ACTIVITY),
        ):
            if given is not None and given not in records.columns:
                raise SchemaError(
                    f"column `{given}` (--{role}-column) is missing from "
                    f"`{input_path}` (available: {', '.join(records.columns)})"
                )
            found = given or next((n for n in names if n in records.columns), None)
            if found:
                roles[role] = found
    else:
        _error_lines(f"input `{input_path}` is gone; data-quality sections left out", "warning")
    consent_path = _out(outdir, "consent", run.get("format", "parquet"))
    consent = read_table(consent_path, allow_empty=True)[0] if consent_path.exists() else None
    cand_path = outdir / "candidates.parquet"
    candidates = read_table(cand_path, allow_empty=True)[0] if cand_path.exists() else None
    stats = compute_stats(
        clusters=clusters,
        pairs=pairs,
        threshold=float(run["threshold"]),
        id_column=id_col,
        records=records,
        roles=roles,
        input_bytes=run.get("input_bytes"),
        consent=consent,
        candidates=candidates,
        options=options,
    )
    atomic_write_text(target, render_html(stats, title=options.title))
    return stats


_COMMENTS = {
    "threshold": "Match probability at or above which two records are the same person.",
    "max_block_size": "Blocks larger than this are skipped (listed in the run report).",
    "clustering": '"guarded" refuses to chain two groups through one weak link; '
    '"connected_components" joins every matched pair.',
    "guard_probability": "A single link this strong may join two groups when guarded.",
    "max_cluster_size": "Clusters larger than this are flagged as suspicious.",
    "default_region": "Country assumed for phone numbers without a country code.",
    "id_column": "Column of unique record ids.",
    "[em]": "Unsupervised model fitting (no labels needed).",
    "[[comparisons]]": "One per compared column. method: exact, jaro_winkler, token_jaccard "
    "(thresholds are similarities), levenshtein, damerau_levenshtein (thresholds are "
    "distances); strictest threshold first.",
    "[[blocking_rules]]": "Records equal on all keys become candidate pairs. Keys: a column, "
    "a slice (last_name[:2]) or a function (email_local(email), initials(company)...).",
}


def _commented(toml_text: str, source: Path) -> str:
    out = [
        f"# crmdedup settings inferred from the columns of {source.name}.",
        "# Edit freely; check with `crmdedup dedupe INPUT --config THIS_FILE`.",
    ]
    seen: set[str] = set()
    for line in toml_text.splitlines():
        if line.startswith("# crmdedup settings"):
            continue
        key = line.split("=")[0].strip() if "=" in line else line.strip()
        if key in _COMMENTS and key not in seen and (not line.startswith(" ")):
            seen.add(key)
            out.append(f"# {_COMMENTS[key]}")
        out.append(line)
    return "\n".join(out) + "\n"


@main.command("init-config")
@_input_arg
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("settings.toml"),
    show_default=True,
    help="Settings file to write.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@_with_read_opts
@_common
def init_config(
    input_path: Path, output: Path, force: bool, encoding: str | None, delimiter: str | None
) -> None:
    """Infer settings from the columns of INPUT and write them as a commented TOML file."""
    check_writable_file(output, what="settings file")
    frame, _ = read_table(input_path, encoding=encoding, delimiter=delimiter)
    settings = _settings(frame, None, input_path)
    if output.exists() and not force:
        raise CrmdedupError(f"`{output}` already exists\nhint: pass --force to overwrite it")
    atomic_write_text(output, _commented(settings.to_toml(), input_path))
    if _flag("json"):
        _emit_json(
            {
                "output": str(output),
                "comparisons": [c.name for c in settings.comparisons],
                "id_column": settings.id_column,
            }
        )
    else:
        _say(f"settings for {len(settings.comparisons)} columns written to {output}")


@main.command()
@click.option(
    "-o",
    "--outdir",
    type=click.Path(path_type=Path),
    default=Path("crmdedup-demo"),
    show_default=True,
    help="Directory for the outputs.",
)
@_common
def demo(outdir: Path) -> None:
    """Deduplicate, merge and report on the embedded sample of contacts."""
    import crmdedup
    from crmdedup.report import ReportOptions

    sample = crmdedup.datasets.load_sample().drop("entity_id")
    outdir.mkdir(parents=True, exist_ok=True)
    contacts = outdir / "contacts.csv"
    write_table(sample, contacts)
    run = _dedupe_run(
        contacts,
        outdir,
        config=None,
        id_column="record_id",
        threshold=None,
        fmt="parquet",
        decisions_path=None,
        threads=None,
        encoding=None,
        delimiter=None,
    )
    merged = _merge_run(
        contacts,
        outdir / "clusters.parquet",
        consents=None,
        oppositions=None,
        optin=("email_marketing=email_optin", "sms_marketing=sms_optin"),
        outdir=outdir,
        id_column="record_id",
        fmt=None,
    )
    html_path = outdir / "report.html"
    # The sample's dates are fixed; count retention back from the sample's reference date.
    _report_run(outdir, html_path, ReportOptions(as_of=date(2026, 9, 30)))
    s = run["summary"]
    if _flag("json"):
        _emit_json(
            {
                "outdir": str(outdir),
                **s,
                "golden_records": merged["counts"]["golden_records"],
                "report": str(html_path),
            }
        )
        return
    if _flag("quiet"):
        return
    clusters, _ = read_table(outdir / "clusters.parquet")
    biggest = (
        clusters.filter(pl.col("cluster_size") > 1)
        .join(sample.select("record_id", "first_name", "last_name", "email"), on="record_id")
        .sort("cluster_size", "cluster_id", "record_id", descending=[True, False, False])
    )
    console = _stdout()
    console.print(
        f"{s['rows']} contacts, {s['candidate_pairs']} candidate pairs, {s['matched_pairs']} "
        f"matched pairs, {s['clusters']} clusters ({s['duplicate_records']} duplicate records)"
    )
    table = Table(title="largest clusters found", title_justify="left")
    for col in ("cluster_id", "record_id", "first_name", "last_name", "email"):
        table.add_column(col)
    for cid in biggest.get_column("cluster_id").unique(maintain_order=True).head(3):
        for r in biggest.filter(pl.col("cluster_id") == cid).iter_rows(named=True):
            table.add_row(
                *(
                    _cell(r[c])
                    for c in ("cluster_id", "record_id", "first_name", "last_name", "email")
                )
            )
    console.print(table)
    console.print(
        f"outputs in {outdir}: clusters.parquet, pairs.parquet, golden.parquet, consent.parquet, "
        f"report.html\nnext: open {html_path}, or try `crmdedup review {outdir}`"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
