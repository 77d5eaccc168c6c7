"""The base directory on disk: frozen files, one manifest per generation, atomic commits.

Layout (``FORMAT`` 1)::

    _CURRENT                     the committed generation, e.g. ``00000003``
    frozen/settings.json         settings, model and term-frequency tables, fixed at creation
    frozen/model.json            (a rebuild writes new ones under frozen/<generation>/)
    frozen/tf.parquet
    generations/<gen>/<table>.parquet   tables written by that generation
    changelog/<gen>.parquet      the events of that generation (ids only, no personal values)
    manifests/<gen>.json         what a generation is made of, chained by the parent's hash

A generation lists every table it is made of; a table it did not change is the file of an
earlier generation. It is committed by writing its manifest and then replacing ``_CURRENT``
(an atomic rename), so a reader never sees half a generation and a writer killed half-way
leaves the base at its previous generation. One writer at a time holds ``.lock`` (an OS lock,
released when its process ends).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from crmdedup.errors import CrmdedupError

__all__ = ["FORMAT", "TABLES", "BaseError", "Manifest", "Store"]

FORMAT = 1
TABLES = ("records", "members", "entities", "aliases", "decisions", "edges", "deleted", "keys")
_CURRENT = "_CURRENT"


def _lock(fd: int) -> None:
    """Take an exclusive lock on an open file without waiting (OSError when held)."""
    if os.name == "nt":  # pragma: no cover - locks one byte there
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


class BaseError(CrmdedupError):
    """A base directory that cannot be used as asked (missing, corrupt, busy or changed)."""


def _gen(generation: int) -> str:
    return f"{generation:08d}"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Manifest:
    """What one generation is made of (see the module doc)."""

    generation: int
    parent: int | None
    parent_hash: str | None
    id_column: str
    id_dtype: str
    namespace: str
    frozen: dict[str, dict[str, str]]
    files: dict[str, dict[str, str]]
    changelog: dict[str, str] | None
    counts: dict[str, int]
    run: dict[str, Any] = field(default_factory=dict)
    crmdedup: str = ""
    format: int = FORMAT
    # The engine's `REVISION` that made the keys and links (0: before revisions were kept).
    revision: int = 0

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise BaseError(
                    f"{where}: base format {data.get('format')!r}, this library reads {FORMAT}"
                )
            return cls(**data)
        except (ValueError, TypeError) as err:
            raise BaseError(f"{where}: not a crmdedup base manifest ({err})") from None


class Store:
    """Reads and writes the files of one base directory."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    # -- reading ------------------------------------------------------------------------------

    def exists(self) -> bool:
        return (self.path / _CURRENT).is_file()

    def current(self) -> int:
        pointer = self.path / _CURRENT
        if not pointer.is_file():
            raise BaseError(f"{self.path} is not a crmdedup base (no {_CURRENT} file)")
        text = pointer.read_text(encoding="ascii").strip()
        if not text.isdigit():
            raise BaseError(f"{pointer}: {text!r} is not a generation number")
        return int(text)

    def manifest(self, generation: int) -> Manifest:
        where = self.path / "manifests" / f"{_gen(generation)}.json"
        if not where.is_file():
            raise BaseError(f"{self.path}: generation {generation} does not exist")
        return Manifest.from_json(where.read_text(encoding="utf-8"), where)

    def manifest_hash(self, generation: int) -> str:
        return sha256_file(self.path / "manifests" / f"{_gen(generation)}.json")

    def generations(self) -> list[int]:
        folder = self.path / "manifests"
        return sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit())

    def read(self, manifest: Manifest, table: str) -> pl.DataFrame:
        return pl.read_parquet(self.path / manifest.files[table]["path"])

    def read_changelog(self, manifest: Manifest) -> pl.DataFrame | None:
        if manifest.changelog is None:
            return None
        return pl.read_parquet(self.path / manifest.changelog["path"])

    def changelog(self, generation: int) -> pl.DataFrame:
        where = self.path / "changelog" / f"{_gen(generation)}.parquet"
        if not where.is_file():
            raise BaseError(f"{self.path}: the change log of generation {generation} is missing")
        return pl.read_parquet(where)

    def frozen_text(self, manifest: Manifest, name: str) -> str:
        return (self.path / manifest.frozen[name]["path"]).read_text(encoding="utf-8")

    def frozen_frame(self, manifest: Manifest, name: str) -> pl.DataFrame:
        return pl.read_parquet(self.path / manifest.frozen[name]["path"])

    # -- writing ------------------------------------------------------------------------------

    def write_table(self, generation: int, table: str, frame: pl.DataFrame) -> dict[str, str]:
        relative = Path("generations") / _gen(generation) / f"{table}.parquet"
        return self._write_parquet(relative, frame)

    def write_changelog(self, generation: int, frame: pl.DataFrame) -> dict[str, str]:
        return self._write_parquet(Path("changelog") / f"{_gen(generation)}.parquet", frame)

    def write_frozen(
        self, folder: str, settings: str, model: str, tf: pl.DataFrame
    ) -> dict[str, dict[str, str]]:
        out = {}
        for name, text in (("settings", settings), ("model", model)):
            relative = Path(folder) / f"{name}.json"
            target = self.path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            out[name] = {"path": relative.as_posix(), "sha256": sha256_file(target)}
        out["tf"] = self._write_parquet(Path(folder) / "tf.parquet", tf)
        return out

    def _write_parquet(self, relative: Path, frame: pl.DataFrame) -> dict[str, str]:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(target, statistics=False)
        return {"path": relative.as_posix(), "sha256": sha256_file(target)}

    def commit(self, manifest: Manifest, expected_parent: int | None) -> None:
        """Publish ``manifest`` as the current generation, if the parent is still current."""
        if expected_parent is not None and self.current() != expected_parent:
            raise BaseError(
                f"{self.path}: generation {self.current()} was committed by another writer "
                f"since generation {expected_parent} was read; reopen the base and retry"
            )
        where = self.path / "manifests" / f"{_gen(manifest.generation)}.json"
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_text(manifest.to_json(), encoding="utf-8")
        pointer = self.path / f"{_CURRENT}.tmp"
        pointer.write_text(_gen(manifest.generation) + "\n", encoding="ascii")
        os.replace(pointer, self.path / _CURRENT)

    def discard(self, generation: int) -> None:
        """Remove the files of an uncommitted generation (left by a writer that stopped)."""
        shutil.rmtree(self.path / "generations" / _gen(generation), ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (self.path / "changelog" / f"{_gen(generation)}.parquet").unlink()

    def remove_generation(self, generation: int, keep: set[str]) -> None:
        """Delete a committed generation's manifest and every file of it not in ``keep``."""
        manifest = self.manifest(generation)
        for entry in manifest.files.values():
            if entry["path"] not in keep:
                with contextlib.suppress(FileNotFoundError):
                    (self.path / entry["path"]).unlink()
        if manifest.changelog and manifest.changelog["path"] not in keep:
            with contextlib.suppress(FileNotFoundError):
                (self.path / manifest.changelog["path"]).unlink()
        for entry in manifest.frozen.values():
            if entry["path"] not in keep:
                with contextlib.suppress(FileNotFoundError):
                    (self.path / entry["path"]).unlink()
        (self.path / "manifests" / f"{_gen(generation)}.json").unlink()
        folder = self.path / "generations" / _gen(generation)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()

    @contextlib.contextmanager
    def writer(self) -> Iterator[None]:
        """Hold the base's writer lock; refuse when another writer holds it."""
        self.path.mkdir(parents=True, exist_ok=True)
        handle = (self.path / ".lock").open("a+")
        try:
            try:
                _lock(handle.fileno())
            except OSError:
                raise BaseError(
                    f"{self.path} is being updated by another writer; only one writer at a time"
                ) from None
            yield
        finally:
            handle.close()
