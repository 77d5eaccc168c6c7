"""Reading contact files (CSV, TSV, Parquet) as CRMs export them, and writing outputs atomically.

CRM exports come in many dialects: comma or semicolon separated, UTF-8 with or without a byte
order mark, or Windows-1252/Latin-1 when produced by a French spreadsheet. :func:`read_table`
sniffs the encoding and the delimiter, and reads every CSV column as text so that postcodes,
phone numbers and ids keep their leading zeros. Outputs go through a temporary file in the same
directory and a rename, so an interrupted run never leaves half a file behind.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import polars as pl

from crmdedup.errors import CrmdedupError, SchemaError

__all__ = [
    "InputError",
    "OutputFormat",
    "TableInfo",
    "atomic_path",
    "atomic_write_text",
    "read_table",
    "sniff_delimiter",
    "sniff_encoding",
    "write_table",
]

OutputFormat = Literal["parquet", "csv"]

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 64 * 1024
_CHUNK = 1 << 20


class InputError(CrmdedupError):
    """An input file cannot be read: missing, not text, or in an unreadable encoding."""


@dataclass(frozen=True)
class TableInfo:
    """How an input file was read.

    Attributes
    ----------
    path
        The file.
    format
        ``csv``, ``tsv`` or ``parquet``.
    encoding
        Text encoding used (``None`` for Parquet).
    delimiter
        Field separator used (``None`` for Parquet).
    size_bytes
        Size of the file on disk.
    """

    path: Path
    format: str
    encoding: str | None
    delimiter: str | None
    size_bytes: int


def _iter_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            yield chunk


def _decodes_as(path: Path, encoding: str) -> tuple[bool, int]:
    """Whether the whole file decodes with ``encoding``; else the offset of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    try:
        for chunk in _iter_chunks(path):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                return False, offset + e.start
            offset += len(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as e:
        return False, offset + e.start
    return True, -1


def sniff_encoding(path: Path) -> str:
    """Return the text encoding of ``path``: ``utf-8-sig``, ``utf-8``, ``utf-16`` or ``cp1252``.

    Windows-1252 is the encoding of French spreadsheet exports; it is a superset of the printable
    Latin-1 range, and files with bytes it leaves undefined are read as ``latin-1``.

    Raises
    ------
    InputError
        When the file holds NUL bytes outside a UTF-16 byte order mark (it is not text).
    """
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise InputError(
            f"`{path}` is not a text file (it holds NUL bytes); cannot read its encoding\n"
            "hint: export the contacts as CSV (UTF-8 or Latin-1), TSV or Parquet"
        )
    ok, _ = _decodes_as(path, "utf-8")
    if ok:
        return "utf-8"
    ok, _ = _decodes_as(path, "cp1252")
    return "cp1252" if ok else "latin-1"


def sniff_delimiter(sample: str) -> str:
    r"""Return the field separator of a CSV sample: the one giving a steady number of fields.

    Candidates are ``,``, ``;``, tab and ``|``; quoted fields are honoured. Ties go to the
    candidate giving more fields, then to the order above.

    Examples
    --------
    >>> sniff_delimiter("nom;prénom;ville\nDupont;Jean;Lyon, France\n")
    ';'
    >>> sniff_delimiter("a,b\n1,2\n")
    ','
    """
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith("\n"):
        lines = lines[:-1]  # the sample may have cut the last line
    lines = [line for line in lines[:50] if line.strip()]
    best, best_score = ",", (-1.0, 0)
    for delim in _DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delim)]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        steady = sum(w == widths[0] for w in widths) / len(widths)
        score = (steady, widths[0])
        if score > best_score:
            best, best_score = delim, score
    return best


def _check_file(path: Path) -> int:
    if not path.exists():
        raise InputError(f"input file `{path}` does not exist")
    if path.is_dir():
        raise InputError(f"input `{path}` is a directory, expected a CSV, TSV or Parquet file")
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as e:
        raise InputError(f"cannot open `{path}`: {e.strerror}") from None
    if size == 0:
        raise SchemaError(f"input file `{path}` is empty (no header, no rows)")
    return size


def read_table(
    path: str | os.PathLike[str],
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> tuple[pl.DataFrame, TableInfo]:
    """Read contacts from a CSV, TSV or Parquet file.

    Parameters
    ----------
    path
        The file. ``.parquet``/``.pq`` is read as Parquet, ``.tsv``/``.tab`` as tab-separated,
        anything else as CSV.
    delimiter
        Field separator; sniffed when ``None``.
    encoding
        Text encoding (any Python codec name); sniffed when ``None``.

    Returns
    -------
    tuple[pl.DataFrame, TableInfo]
        The table (CSV columns as text, empty fields as null) and how it was read.

    Raises
    ------
    InputError
        When the file is missing, not text, or does not decode with ``encoding``.
    SchemaError
        When the file is empty, has no rows, or is not a well-formed table.
    """
    p = Path(path)
    size = _check_file(p)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xls", ".ods"):
        raise InputError(
            f"`{p}` is a spreadsheet; crmdedup reads CSV, TSV and Parquet\n"
            "hint: save it as CSV (UTF-8) from the spreadsheet application"
        )
    if suffix in (".parquet", ".pq"):
        try:
            frame = pl.read_parquet(p)
        except (pl.exceptions.PolarsError, OSError) as e:
            raise InputError(f"`{p}` is not a readable Parquet file: {_first_line(e)}") from None
        info = TableInfo(p, "parquet", None, None, size)
    else:
        frame, info = _read_text_table(p, size, delimiter=delimiter, encoding=encoding)
    if frame.height == 0:
        raise SchemaError(
            f"input file `{p}` has a header but no rows (columns: {', '.join(frame.columns)})"
        )
    return frame, info


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _read_text_table(
    p: Path, size: int, *, delimiter: str | None, encoding: str | None
) -> tuple[pl.DataFrame, TableInfo]:
    if encoding is None:
        encoding = sniff_encoding(p)
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"unknown encoding `{encoding}` for `{p}`") from None
        ok, offset = _decodes_as(p, encoding)
        if not ok:
            raise InputError(
                f"`{p}` cannot be read as {encoding}: invalid byte at offset {offset}\n"
                "hint: leave out --encoding to let crmdedup detect it"
            )
    is_utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    with p.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    sample = head.decode(encoding, errors="ignore")
    if delimiter is None:
        delimiter = "\t" if p.suffix.lower() in (".tsv", ".tab") else sniff_delimiter(sample)
    if len(delimiter) != 1:
        raise InputError(f"delimiter `{delimiter}` must be a single character")
    source: str | Path | IO[bytes] = p
    if not is_utf8:
        # polars reads UTF-8 only: re-encode other encodings in memory.
        source = io.BytesIO(p.read_bytes().decode(encoding).encode("utf-8"))
    try:
        frame = pl.read_csv(
            source,
            separator=delimiter,
            infer_schema=False,
            encoding="utf8",
            empty_string_is_null=True,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.NoDataError:
        raise SchemaError(f"input file `{p}` is empty (no header, no rows)") from None
    except pl.exceptions.PolarsError as e:
        raise SchemaError(
            f"`{p}` is not a well-formed {'TSV' if delimiter == chr(9) else 'CSV'} file "
            f"(delimiter {delimiter!r}, encoding {encoding}): {_first_line(e)}"
        ) from None
    frame = frame.rename({c: c.strip().lstrip("\ufeff") for c in frame.columns})
    fmt = "tsv" if delimiter == "\t" else "csv"
    return frame, TableInfo(p, fmt, encoding, delimiter, size)


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
