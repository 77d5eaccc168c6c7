"""Progress on stderr: live bars on a terminal, one line per finished stage elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from crmdedup.cli._common import flag, stderr_console

__all__ = ["StageProgress"]

_LOG_EVERY_S = 15.0
_STAGES = {
    "normalise": "normalising",
    "block": "blocking",
    "compare": "comparing",
    "fit": "fitting the model",
    "score": "scoring",
    "cluster": "clustering",
}


class StageProgress:
    """Progress on stderr, one bar per stage; silent with ``--quiet``.

    On a terminal the bars are live (rich); elsewhere (pipes, CI logs) one line is printed as
    each stage ends, so that logs stay readable and an error stays the last line.
    """

    def __init__(self) -> None:
        self.console = stderr_console()
        self.enabled = not flag("quiet")
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

    def __enter__(self) -> StageProgress:
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
        """The engine's ``progress(stage, done, total)`` callback."""
        self._update(stage, _STAGES.get(stage, stage), done, total)

    def tagged(self, tag: str) -> Callable[[str, int, int], None]:
        """The callback for another pass of the engine, its stages shown as ``label (tag)``."""

        def report(stage: str, done: int, total: int) -> None:
            self._update(f"{tag}:{stage}", f"{_STAGES.get(stage, stage)} ({tag})", done, total)

        return report

    def _update(self, key: str, label: str, done: int, total: int) -> None:
        if key not in self.tasks:
            self.tasks[key] = self.bar.add_task(label, total=total)
            self.started[key] = time.perf_counter()
        self.bar.update(self.tasks[key], completed=done, total=total)
        if done >= total:
            self._line(label, done, total, key)
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
