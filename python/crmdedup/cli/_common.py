"""What every command shares: the common flags, consoles, messages, exit codes and options.

Bad input is reported as one ``error:`` line (plus a ``hint:`` when a fix exists) with exit code
2; an unexpected failure exits with 1, an interruption with 130 (Ctrl-C) or 143 (SIGTERM).
``--debug`` shows the Python traceback.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from crmdedup.errors import CrmdedupError, InputWarning

__all__ = [
    "FiniteRange",
    "Group",
    "amount_option",
    "cell",
    "common_options",
    "config_option",
    "count_option",
    "emit_json",
    "error_lines",
    "flag",
    "format_option",
    "id_column_option",
    "input_argument",
    "no_color",
    "outcome",
    "outdir_option",
    "path_option",
    "print_summary",
    "read_options",
    "run_argument",
    "say",
    "stderr_console",
    "stdout_console",
]

F = TypeVar("F", bound=Callable[..., Any])

# -- flags, console, errors --------------------------------------------------------------------


def flag(name: str) -> bool:
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(f"crmdedup.{name}"):
        return True
    return name == "debug" and bool(os.environ.get("CRMDEDUP_DEBUG"))


def _set_flag(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and param.name:
        ctx.meta[f"crmdedup.{param.name}"] = True


def common_options(f: F) -> F:
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


def no_color() -> bool:
    return bool(os.environ.get("NO_COLOR"))


def stdout_console() -> Console:
    return Console(no_color=no_color(), highlight=False, soft_wrap=True)


def stderr_console() -> Console:
    return Console(stderr=True, no_color=no_color(), highlight=False)


def say(message: str) -> None:
    """Print a human message on stdout unless ``--quiet`` or ``--json``."""
    if not (flag("quiet") or flag("json")):
        click.echo(message)


def emit_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def error_lines(message: str, kind: str = "error") -> None:
    lines = message.strip().splitlines() or [kind]
    color = not no_color()
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
    error_lines(str(message), "warning")


def _usage_message(e: click.ClickException) -> str:
    """Click's message in the style of the others: lower case, names in backticks."""
    text = re.sub(r"['\"]([^'\"]+)['\"]", r"`\1`", e.format_message().strip()).rstrip(".")
    text = text[:1].lower() + text[1:]
    ctx = getattr(e, "ctx", None)
    if isinstance(e, click.UsageError) and ctx is not None:
        text += f"\nhint: see `{ctx.command_path} --help`"
    return text


class Group(click.Group):
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
            error_lines(_usage_message(e))
            sys.exit(2 if isinstance(e, click.UsageError) else e.exit_code)
        except click.Abort as e:
            if not isinstance(e.__cause__, KeyboardInterrupt):
                error_lines("aborted")
                sys.exit(1)
            error_lines("interrupted; no output was changed")
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
            error_lines("interrupted; no output was left half-written", "error")
            raise click.exceptions.Exit(143 if isinstance(e, _Terminated) else 130) from None
        except CrmdedupError as e:
            if flag("debug"):
                raise
            error_lines(str(e))
            raise click.exceptions.Exit(2) from None
        except OSError as e:
            if flag("debug"):
                raise
            where = f" `{e.filename}`" if e.filename else ""
            error_lines(f"cannot access{where}: {e.strerror or e}")
            raise click.exceptions.Exit(2) from None
        except Exception as e:
            if flag("debug"):
                raise
            error_lines(
                f"internal error: {type(e).__name__}: {e}\n"
                "hint: rerun with --debug and report the traceback"
            )
            raise click.exceptions.Exit(1) from None


class FiniteRange(click.FloatRange):
    """A float range that also refuses NaN and infinities (which compare as in any range)."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


# -- shared options and output ---------------------------------------------------------------

input_argument = click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
run_argument = click.argument("outdir", type=click.Path(path_type=Path))
"""The run directory a command reads (``review``, ``report``)."""

_READ_OPTIONS = (
    click.option("--encoding", help="Text encoding of INPUT (detected when left out)."),
    click.option("--delimiter", help="Field separator of INPUT (detected when left out)."),
)


def read_options(f: F) -> F:
    """Add ``--encoding`` and ``--delimiter`` (how to read INPUT) to a command."""
    for opt in reversed(_READ_OPTIONS):
        f = opt(f)
    return f


def _shown_default(default: object) -> dict[str, Any]:
    """The ``default`` of an option and showing it in the help, when there is one."""
    return {} if default is None else {"default": default, "show_default": True}


def path_option(
    *decls: str, help: str, default: Path | None = None, required: bool = False
) -> Callable[[F], F]:
    """An option naming a file or directory; a given ``default`` is shown in the help."""
    return click.option(
        *decls,
        type=click.Path(path_type=Path),
        required=required,
        help=help,
        **_shown_default(default),
    )


def outdir_option(
    *, default: Path | None = None, help: str = "Directory for the outputs."
) -> Callable[[F], F]:
    """``-o/--outdir``, the directory a command writes into."""
    return path_option("-o", "--outdir", default=default, help=help)


def config_option(help: str) -> Callable[[F], F]:
    """``--config``, the settings TOML to use."""
    return path_option("--config", help=help)


def id_column_option(help: str = "Column of unique record ids.") -> Callable[[F], F]:
    """``--id-column``, the column of unique record ids."""
    return click.option("--id-column", help=help)


def format_option(*, help: str, default: str | None = None) -> Callable[[F], F]:
    """``--format`` (passed as ``fmt``), the format of the tables written: Parquet or CSV."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["parquet", "csv"]),
        help=help,
        **_shown_default(default),
    )


def count_option(name: str, *, minimum: int, default: int, help: str) -> Callable[[F], F]:
    """An option taking a whole number >= ``minimum``, with a default shown in the help."""
    return click.option(
        name, type=click.IntRange(min=minimum), help=help, **_shown_default(default)
    )


def amount_option(name: str, *, default: float, help: str) -> Callable[[F], F]:
    """An option taking a finite number >= 0, with a default shown in the help."""
    return click.option(
        name, type=FiniteRange(min=0), default=default, show_default=True, help=help
    )


def cell(value: Any) -> str:
    """A table cell: a dash for a missing value."""
    return "—" if value is None else str(value)


def outcome(data: dict[str, Any], message: str) -> None:
    """What a command did: ``data`` as JSON with ``--json``, else ``message`` (unless --quiet)."""
    if flag("json"):
        emit_json(data)
    else:
        say(message)


def print_summary(title: str, rows: dict[str, Any], outdir: Path, *, data: dict[str, Any]) -> None:
    """The summary of a command: ``data`` as JSON with --json, else a table of ``rows``.

    The table ends with where the outputs are; nothing is printed with --quiet.
    """
    if flag("json"):
        emit_json(data)
        return
    if flag("quiet"):
        return
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in rows.items():
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        table.add_row(key.replace("_", " "), shown)
    console = stdout_console()
    console.print(table)
    console.print(f"outputs in {outdir}")
