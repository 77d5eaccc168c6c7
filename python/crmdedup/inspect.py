"""See what the matcher sees: normalised columns, and per-column data-quality profiles."""

from __future__ import annotations

import json
import os

import polars as pl

from crmdedup import _core
from crmdedup._arrow import TableLike, to_engine
from crmdedup.api import _settings_for
from crmdedup.settings import Settings

__all__ = ["normalize", "profile"]


def _specs(frame: pl.DataFrame, settings: Settings | str | os.PathLike[str] | None) -> str:
    resolved = _settings_for(frame, settings)
    seen: dict[str, str] = {}
    for c in resolved.comparisons:
        seen.setdefault(c.column, c.normalizer)
    return json.dumps(list(seen.items()))


def normalize(
    data: TableLike,
    settings: Settings | str | os.PathLike[str] | None = None,
    *,
    default_region: str = "FR",
    email_provider_rules: bool = False,
    threads: int | None = None,
) -> pl.DataFrame:
    """Return ``data`` with the normalised and derived columns the matcher uses.

    For every compared column ``c`` (from ``settings``, inferred when None) columns
    ``c_<suffix>`` are added: ``norm`` always; ``valid`` for emails and phones; ``local`` and
    ``domain`` for emails; ``e164`` and ``kind`` for phones; ``phonetic_fr``, ``dmetaphone`` and
    ``dmetaphone_alt`` for names; ``legal_form`` for companies; ``house_number`` and ``street``
    for addresses.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"nom": ["Lefèvre"], "telephone": ["06 12 34 56 78"]})
    >>> out = normalize(df)
    >>> out["telephone_e164"].to_list(), out["nom_norm"].to_list()
    (['+33612345678'], ['lefevre'])
    """
    frame = to_engine(data)
    table = _core.normalize_columns(
        frame,
        _specs(frame, settings),
        default_region=default_region,
        email_provider_rules=email_provider_rules,
        threads=threads,
    )
    return pl.DataFrame(table)


def profile(
    data: TableLike,
    settings: Settings | str | os.PathLike[str] | None = None,
    *,
    default_region: str = "FR",
    threads: int | None = None,
) -> pl.DataFrame:
    """Data-quality profile of every compared column.

    Columns: ``rows``, ``nulls``, ``empty`` (nothing usable once normalised), ``invalid``
    (emails and phones failing validation), ``distinct`` normalised values and ``top_values``
    (the ten most frequent, with counts).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"email": ["a@x.fr", "oops", None, "A@X.fr"]})
    >>> profile(df).select("column", "nulls", "invalid", "distinct").row(0)
    ('email', 1, 1, 2)
    """
    frame = to_engine(data)
    raw = _core.profile_columns(
        frame, _specs(frame, settings), default_region=default_region, threads=threads
    )
    rows = json.loads(raw)
    for r in rows:
        r["top_values"] = [{"value": v, "count": n} for v, n in r.pop("top")]
    schema: dict[str, pl.DataType] = {
        "column": pl.String(),
        "normalizer": pl.String(),
        "rows": pl.Int64(),
        "nulls": pl.Int64(),
        "empty": pl.Int64(),
        "invalid": pl.Int64(),
        "distinct": pl.Int64(),
        "top_values": pl.List(pl.Struct({"value": pl.String(), "count": pl.Int64()})),
    }
    return pl.DataFrame(rows, schema=schema)
