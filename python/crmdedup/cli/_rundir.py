"""The run directory: what ``crmdedup dedupe`` writes and every other command reads.

A run directory holds ``run.json`` (the run's description, format :data:`RUN_FORMAT`), the
settings used (``settings.toml``), the fitted model (``model.json``) and three tables in the run's
format (Parquet or CSV): ``clusters``, ``pairs`` (at or above the threshold) and ``candidates``
(the pairs scored from ``threshold - review_band`` bits up to the threshold, for review and
explain). ``merge``
adds ``golden``, ``lineage``, ``provenance``, ``consent``, ``conflicts`` and ``merge.json``;
``review`` keeps its decisions in ``review.csv``.

Every command goes through this module: :meth:`Run.open` checks the directory and the format
version, :meth:`Run.read` reads a table back with the ids in their own type, and
:func:`staged` writes a directory's outputs atomically (all of them or none).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from crmdedup._files import OutputFormat, atomic_write_text, staged_dir, write_table
from crmdedup._io import TableInfo, read_table
from crmdedup.errors import CrmdedupError, SchemaError

if TYPE_CHECKING:
    from crmdedup.model import Model
    from crmdedup.settings import Settings

__all__ = [
    "DECISIONS_FILE",
    "MERGE_FILE",
    "MERGE_OUTPUTS",
    "MERGE_OWNS",
    "MODEL_FILE",
    "RUN_FILE",
    "RUN_FORMAT",
    "RUN_OWNS",
    "RUN_TABLES",
    "SETTINGS_FILE",
    "Run",
    "Stage",
    "staged",
]

RUN_FILE = "run.json"
RUN_FORMAT = 1
"""Version of the run directory layout, ``run_format`` in ``run.json``; bumped when a reader of
the previous layout would misread the new one."""
DECISIONS_FILE = "review.csv"
MERGE_FILE = "merge.json"
SETTINGS_FILE = "settings.toml"
MODEL_FILE = "model.json"

RunTable = Literal["clusters", "pairs", "candidates"]
RUN_TABLES: tuple[RunTable, ...] = ("clusters", "pairs", "candidates")
MERGE_OUTPUTS = ("golden", "lineage", "provenance", "consent", "conflicts")
_FORMATS: tuple[OutputFormat, ...] = ("parquet", "csv")
MERGE_OWNS = frozenset({f"{n}.{ext}" for n in MERGE_OUTPUTS for ext in _FORMATS} | {MERGE_FILE})
# A new run replaces the previous one's files and drops those derived from it (a merge, a
# report); anything else in the directory (review.csv) is kept.
RUN_OWNS = frozenset(
    {f"{n}.{ext}" for n in RUN_TABLES for ext in _FORMATS}
    | {MODEL_FILE, SETTINGS_FILE, RUN_FILE, "report.html"}
    | MERGE_OWNS
)
_REQUIRED = ("input", "id_column", "id_dtype", "threshold", "format", "review_band", "summary")
_HINT = "hint: create it with `crmdedup dedupe INPUT -o DIR`"
_ID_DTYPES: dict[str, pl.DataType] = {
    str(t): t
    for t in (
        pl.String(),
        *(pl.Int8(), pl.Int16(), pl.Int32(), pl.Int64()),
        *(pl.UInt8(), pl.UInt16(), pl.UInt32(), pl.UInt64()),
    )
}


def _stale(path: Path, why: str) -> CrmdedupError:
    return CrmdedupError(
        f"`{path}` {why}\nhint: rerun `crmdedup dedupe INPUT -o {path.parent}` to rebuild the run"
    )


@dataclass(frozen=True)
class Run:
    """A run directory written by ``crmdedup dedupe``, checked when opened.

    Attributes
    ----------
    dir
        The directory.
    info
        The content of ``run.json``.
    """

    dir: Path
    info: dict[str, Any]

    @classmethod
    def open(cls, directory: Path) -> Run:
        """Open the run in ``directory``.

        Raises
        ------
        CrmdedupError
            When the directory or its ``run.json`` is missing, ``run.json`` is not valid JSON,
            lacks a key, or is of another format version (each naming the file).
        """
        path = directory / RUN_FILE
        if not directory.is_dir():
            raise CrmdedupError(f"run directory `{directory}` does not exist\n{_HINT}")
        if not path.exists():
            raise CrmdedupError(
                f"`{directory}` is not a crmdedup run directory (no `{RUN_FILE}`)\n{_HINT}"
            )
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as e:
            raise CrmdedupError(f"`{path}` is not valid JSON: {e}") from None
        if not isinstance(info, dict):
            raise _stale(path, "is not a run description (expected a JSON object)")
        version = info.get("run_format")
        if version != RUN_FORMAT:
            written = f"format {version}" if version is not None else "an older format"
            by = f" by crmdedup {info['crmdedup']}" if "crmdedup" in info else ""
            raise _stale(path, f"was written in {written}{by}; this crmdedup reads {RUN_FORMAT}")
        missing = next((k for k in _REQUIRED if k not in info), None)
        if missing is not None:
            raise _stale(path, f"lacks key `{missing}`")
        return cls(directory, info)

    @property
    def id_column(self) -> str:
        """The id column of the input."""
        return str(self.info["id_column"])

    @property
    def id_dtype(self) -> pl.DataType:
        """The type of the ids in the input (outputs are read back with it)."""
        return _ID_DTYPES.get(self.info["id_dtype"], pl.String())

    @property
    def threshold(self) -> float:
        """Match probability at or above which a pair is a match."""
        return float(self.info["threshold"])

    @property
    def review_band(self) -> float:
        """Bits below the threshold's weight down to which the candidates were kept."""
        return float(self.info["review_band"])

    @property
    def format(self) -> OutputFormat:
        """Format of the run's tables."""
        fmt: OutputFormat = "csv" if self.info["format"] == "csv" else "parquet"
        return fmt

    @property
    def input_path(self) -> Path:
        """The input file the run was made from."""
        return Path(self.info["input"])

    @property
    def decisions_file(self) -> Path:
        """The review decisions honoured by the run (a relative path is inside the directory)."""
        return self.dir / (self.info.get("decisions", {}).get("file") or DECISIONS_FILE)

    def path(self, name: RunTable) -> Path:
        """Path of one of the run's tables."""
        return self.dir / f"{name}.{self.format}"

    def _existing(self, path: Path) -> Path:
        if not path.exists():
            raise _stale(path, f"is missing from run directory `{self.dir}`")
        return path

    def read(self, name: RunTable) -> pl.DataFrame:
        """Read one of the run's tables, ids in their own type and scores as numbers.

        Raises
        ------
        CrmdedupError
            When the file is missing (naming it).
        """
        frame, _ = read_table(self._existing(self.path(name)), allow_empty=True)
        ids = (
            [self.id_column, "cluster_id"]
            if name == "clusters"
            else [f"{self.id_column}_l", f"{self.id_column}_r"]
        )
        casts = [pl.col(c).cast(self.id_dtype) for c in ids if c in frame.columns]
        for c, dtype in frame.schema.items():
            if c.startswith(("match_", "weight_")):
                casts.append(pl.col(c).cast(pl.Float64))
            elif c.startswith("gamma_"):
                casts.append(pl.col(c).cast(pl.Int8))
            elif c == "cluster_size" and dtype == pl.String:
                casts.append(pl.col(c).cast(pl.UInt32))
        return frame.with_columns(casts)

    def settings(self) -> Settings:
        """The settings of the run (``settings.toml``)."""
        from crmdedup.settings import Settings

        return Settings.from_toml(self._existing(self.dir / SETTINGS_FILE))

    def model(self) -> Model:
        """The fitted model of the run (``model.json``)."""
        from crmdedup.model import Model

        return Model.load(self._existing(self.dir / MODEL_FILE))

    def read_input(self, path: Path | None = None, **kw: Any) -> tuple[pl.DataFrame, TableInfo]:
        """Read the run's input (or ``path``), with its encoding and delimiter when it is the same.

        Options given in ``kw`` (``encoding``, ``delimiter``) win when they are not ``None``.
        """
        path = path or self.input_path
        if path.resolve() == self.input_path:
            for key in ("encoding", "delimiter"):
                if kw.get(key) is None:
                    kw[key] = self.info.get(key)
        return read_table(path, **kw)

    def read_records(self) -> pl.DataFrame:
        """The run's input records, checked to be those the run was made from (by row count).

        Raises
        ------
        SchemaError
            When the input has another number of rows than the run.
        """
        frame, _ = self.read_input()
        rows = int(self.info["summary"].get("rows", frame.height))
        if frame.height != rows:
            raise SchemaError(
                f"`{self.input_path}` has {frame.height} rows but the run in `{self.dir}` has "
                f"{rows}: the input changed since `crmdedup dedupe`\n"
                "hint: rerun `crmdedup dedupe` on it"
            )
        return frame

    def pair(self, a: Any, b: Any) -> dict[str, Any] | None:
        """The stored row of records ``a`` and ``b`` (matched or candidate), if the run kept it."""
        left, right = f"{self.id_column}_l", f"{self.id_column}_r"
        either = ((pl.col(left) == a) & (pl.col(right) == b)) | (
            (pl.col(left) == b) & (pl.col(right) == a)
        )
        for name in ("pairs", "candidates"):
            rows = self.read(name).filter(either)
            if rows.height:
                row: dict[str, Any] = rows.row(0, named=True)
                return row
        return None

    def merge_output(self, name: str) -> Path | None:
        """Path of an output ``crmdedup merge`` wrote into this directory, if it did."""
        path = self.dir / MERGE_FILE
        if not path.exists():
            return None
        try:
            fmt = json.loads(path.read_text(encoding="utf-8")).get("format", "parquet")
        except ValueError:
            return None
        out = self.dir / f"{name}.{fmt}"
        return out if out.exists() else None


@dataclass(frozen=True)
class Stage:
    """A staging directory being filled; swapped in whole by :func:`staged`."""

    dir: Path

    def table(self, name: str, frame: pl.DataFrame, fmt: OutputFormat) -> Path:
        """Write ``frame`` as ``name.fmt``."""
        return write_table(frame, self.dir / f"{name}.{fmt}")

    def text(self, filename: str, text: str) -> None:
        """Write a text file."""
        atomic_write_text(self.dir / filename, text)

    def json(self, filename: str, data: dict[str, Any]) -> None:
        """Write a JSON file (``run.json`` gets the format version first)."""
        if filename == RUN_FILE:
            rest = {k: v for k, v in data.items() if k != "run_format"}
            data = {"run_format": RUN_FORMAT, **rest}
        self.text(filename, json.dumps(data, indent=2, default=str))


@contextlib.contextmanager
def staged(directory: Path, *, owns: Collection[str]) -> Iterator[Stage]:
    """Stage the outputs of a command for ``directory``; swapped in whole on success.

    Files of ``directory`` not in ``owns`` are carried over; see :func:`crmdedup._files.staged_dir`.
    """
    with staged_dir(directory, owns=owns) as stage:
        yield Stage(stage)
