"""Reading contact files (CSV, TSV, Parquet) as CRMs export them.

CRM exports come in many dialects: comma or semicolon separated, UTF-8 with or without a byte
order mark, or Windows-1252/Latin-1 when produced by a French spreadsheet. :func:`read_table`
sniffs the encoding and the delimiter, and reads every CSV column as text so that postcodes,
phone numbers and ids keep their leading zeros. Outputs go through a temporary file in the same
directory and a rename, so an interrupted run never leaves half a file behind; a directory of
outputs is built next to its target and swapped in whole (:func:`staged_dir`).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import polars as pl

# The error classes live in crmdedup.errors; they stay importable from here.
from crmdedup.errors import InputError, InputWarning, SchemaError

__all__ = [
    "InputError",
    "InputWarning",
    "TableInfo",
    "read_table",
    "sniff_delimiter",
    "sniff_encoding",
]

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 64 * 1024
_CHUNK = 1 << 20
_WARN_LINES = 5


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
    repaired
        Whether invalid bytes were replaced (the encoding was detected, not given).
    """

    path: Path
    format: str
    encoding: str | None
    delimiter: str | None
    size_bytes: int
    repaired: bool = False


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

    The whole file is weighed: it is UTF-8 when its bytes above ASCII mostly form valid UTF-8
    sequences, even if a few stray bytes do not (those are replaced when the file is read, with
    a warning naming their lines). Otherwise it is Windows-1252, the encoding of French
    spreadsheet exports and a superset of the printable Latin-1 range; files with bytes it
    leaves undefined are read as ``latin-1``.

    Raises
    ------
    InputError
        When the file holds NUL bytes outside a UTF-16 byte order mark (it is not text).
    """
    return _sniff(path)[0]


_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_ASCII = bytes(range(128))


def _mostly_utf8(data: bytes) -> bool:
    """Whether more bytes above ASCII belong to valid UTF-8 sequences than not."""
    high = len(data.translate(None, _ASCII))
    valid = sum(len(m) for m in _UTF8_SEQUENCE.findall(data))
    return valid > high - valid


def _sniff(path: Path) -> tuple[str, bool]:
    """The encoding of ``path`` and whether every byte decodes with it."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", _decodes_as(path, "utf-8-sig")[0]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", True
    if b"\x00" in head:
        raise InputError(
            f"`{path}` is not a text file (it holds NUL bytes); cannot read its encoding\n"
            "hint: export the contacts as CSV (UTF-8 or Latin-1), TSV or Parquet"
        )
    ok, _ = _decodes_as(path, "utf-8")
    if ok:
        return "utf-8", True
    if _mostly_utf8(path.read_bytes()):
        return "utf-8", False
    ok, _ = _decodes_as(path, "cp1252")
    return ("cp1252", True) if ok else ("latin-1", True)


def _replace_invalid(p: Path, encoding: str) -> bytes:
    """The file as UTF-8 with its invalid bytes replaced by U+FFFD, warning with their lines."""
    text = p.read_bytes().decode(encoding, errors="replace")
    lines: list[int] = []
    at = text.find("\ufffd")
    while at >= 0 and len(lines) < _WARN_LINES + 1:
        line = text.count("\n", 0, at) + 1
        if line not in lines:
            lines.append(line)
        at = text.find("\ufffd", at + 1)
    shown = ", ".join(str(n) for n in lines[:_WARN_LINES])
    more = " and more" if len(lines) > _WARN_LINES else ""
    warnings.warn(
        f"`{p}` is UTF-8 but holds invalid bytes on line{'s' if len(lines) > 1 else ''} "
        f"{shown}{more}; they were replaced with U+FFFD\n"
        "hint: fix those lines, or pass the file's encoding if it is not UTF-8",
        InputWarning,
        stacklevel=4,
    )
    return text.encode("utf-8")


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
    allow_empty: bool = False,
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
    allow_empty
        Accept a header without rows (an output such as a run without matched pairs).

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
    if frame.height == 0 and not allow_empty:
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
    offset = -1
    if encoding is None:
        encoding, clean = _sniff(p)
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"unknown encoding `{encoding}` for `{p}`") from None
        clean, offset = _decodes_as(p, encoding)
    is_utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    if not clean and offset >= 0:
        raise InputError(
            f"`{p}` cannot be read as {encoding}: invalid byte at offset {offset}\n"
            "hint: leave out --encoding to let crmdedup detect it"
        )
    with p.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    sample = head.decode(encoding, errors="ignore")
    if delimiter is None:
        delimiter = "\t" if p.suffix.lower() in (".tsv", ".tab") else sniff_delimiter(sample)
    if len(delimiter) != 1:
        raise InputError(f"delimiter `{delimiter}` must be a single character")
    source: str | Path | IO[bytes] = p
    if not clean:
        source = io.BytesIO(_replace_invalid(p, encoding))
    elif not is_utf8:
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
    frame.columns = _header_names(p, sample, delimiter, frame.columns)
    fmt = "tsv" if delimiter == "\t" else "csv"
    return frame, TableInfo(p, fmt, encoding, delimiter, size, repaired=not clean)


def _header_names(p: Path, sample: str, delimiter: str, columns: list[str]) -> list[str]:
    """The header's names, trimmed (and without a byte order mark); a repeated name is an error.

    The header is read again from the file because polars renames repeated names itself.
    """
    header = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    if len(header) != len(columns):
        header = columns
    names = [c.strip().lstrip("\ufeff").strip() for c in header]
    for i, name in enumerate(names):
        if name in names[:i]:
            first = names.index(name)
            trimmed = " once spaces are trimmed" if header[first] != header[i] else ""
            raise SchemaError(
                f"`{p}` has two columns named `{name}`{trimmed} (columns {first + 1} and "
                f"{i + 1} of the header)\nhint: rename one of them in the header"
            )
    return names
