"""Writing outputs atomically: one file through a temporary file and a rename, a directory whole.

An interrupted run never leaves half a file behind: each output is written to a temporary file in
the same directory and renamed over its target. A directory of outputs is built next to its
target and swapped in whole (:func:`staged_dir`), so it always holds one complete run.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Literal

import polars as pl

from crmdedup.errors import OutputError

__all__ = [
    "OutputFormat",
    "atomic_path",
    "atomic_write_text",
    "check_output_dir",
    "check_writable_file",
    "staged_dir",
    "write_table",
]

OutputFormat = Literal["parquet", "csv"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it to ``path``.

    On any exception (including ``KeyboardInterrupt``) the temporary file is removed and
    ``path`` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_table(frame: pl.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` atomically as Parquet or CSV, chosen by the suffix of ``path``."""
    target = Path(path)
    csv_out = target.suffix.lower() == ".csv"
    writer: Callable[[Path], object] = frame.write_csv if csv_out else frame.write_parquet
    with atomic_path(target) as tmp:
        writer(tmp)
    return target


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _check_parent(target: Path, what: str) -> None:
    existing = _nearest_existing(target.absolute().parent)
    if not existing.is_dir():
        raise OutputError(f"cannot create {what} `{target}`: `{existing}` is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {what} `{target}`: `{existing}` is not writable")


def check_writable_file(path: str | os.PathLike[str], *, what: str = "output file") -> Path:
    """Raise :class:`OutputError` unless a file can be written at ``path``.

    ``path`` must not be a directory, and the directory that will hold it must be writable.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{what} `{target}` is a directory, expected a file path")
    _check_parent(target, what)
    return target


def check_output_dir(path: str | os.PathLike[str], *, what: str = "output directory") -> Path:
    """Raise :class:`OutputError` unless ``path`` can be (re)made as a directory of outputs."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise OutputError(
            f"{what} `{target}` is a file, expected a directory\nhint: choose another -o"
        )
    _check_parent(target, what)
    if target.is_dir() and not os.access(target, os.W_OK | os.X_OK):
        raise OutputError(f"{what} `{target}` is not writable")
    return target


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while a few renames or deletions must not be cut short.

    Python runs signal handlers on the main thread only, so swapping them there is enough; a
    signal that came meanwhile is raised again once the block is done.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        if caught:
            signal.raise_signal(caught[0])


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    flags = _RENAME_EXCHANGE
    return bool(renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), flags) == 0)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _carry_over(entry: Path, dst: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.copytree(entry, dst, symlinks=True, copy_function=_link_or_copy)
    elif entry.is_symlink():
        os.symlink(os.readlink(entry), dst)
    else:
        _link_or_copy(str(entry), str(dst))


@contextlib.contextmanager
def staged_dir(
    path: str | os.PathLike[str], *, owns: Collection[str], what: str = "output directory"
) -> Iterator[Path]:
    """Yield a staging directory next to ``path``; on success swap it in as ``path``, whole.

    The staging directory starts with the entries of the existing ``path`` whose names are not
    in ``owns`` (hard links, so nothing is copied): files the step does not write survive it,
    while those it writes are all from this run. On success it takes the place of ``path`` in
    one rename; on any exception (``KeyboardInterrupt`` included) it is removed and ``path`` is
    left exactly as it was. Either way no temporary file is left behind.

    Raises
    ------
    OutputError
        When ``path`` is a file or cannot be written (checked before anything else happens).
    """
    target = check_output_dir(path, what=what)
    if target.is_symlink():
        target = target.resolve()  # swap the directory the link points to, keep the link
    parent = target.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".staging", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp creates 0700; give the directory the usual mode
    try:
        if target.is_dir():
            for entry in target.iterdir():
                if entry.name not in owns:
                    _carry_over(entry, staging / entry.name)
        yield staging
        with _signals_deferred():
            _swap(staging, target)
    except BaseException:
        with _signals_deferred():
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, target: Path) -> None:
    if not target.exists():
        os.rename(staging, target)
    elif _exchange(staging, target):
        shutil.rmtree(staging)  # it now holds the previous outputs
    else:
        old = staging.with_name(staging.name.removesuffix(".staging") + ".old")
        os.rename(target, old)
        os.rename(staging, target)
        shutil.rmtree(old)
