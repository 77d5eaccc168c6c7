"""See what the matcher sees: normalised columns, and per-column data-quality profiles."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import polars as pl

from crmdedup import _core
from crmdedup._arrow import TableLike, to_engine
from crmdedup.api import _settings_for
from crmdedup.settings import Settings

__all__ = ["normalize", "profile"]


def _resolve(
    frame: pl.DataFrame,
    settings: Settings | str | os.PathLike[str] | None,
    default_region: str | None,
) -> tuple[list[tuple[str, str]], str, str | None]:
    """The (column, normaliser) pairs, region and region column of a call.

    An explicit ``default_region`` wins over the settings' (inferred when None).
    """
    resolved = _settings_for(frame, settings)
    seen: dict[str, str] = {}
    for c in resolved.comparisons:
        seen.setdefault(c.column, c.normalizer)
    region = resolved.default_region if default_region is None else default_region
    return list(seen.items()), region, resolved.region_column


def profile_specs(
    frame: pl.DataFrame,
    specs: Sequence[tuple[str, str]],
    *,
    default_region: str = "FR",
    region_column: str | None = None,
    threads: int | None = None,
) -> pl.DataFrame:
    """The profile of ``specs`` (column, normaliser) pairs of ``frame``; see :func:`profile`."""
    raw = _core.profile_columns(
        frame,
        json.dumps(list(specs)),
        default_region=default_region,
        region_column=region_column,
        threads=threads,
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


def normalize_specs(
    frame: pl.DataFrame,
    specs: Sequence[tuple[str, str]],
    *,
    default_region: str = "FR",
    region_column: str | None = None,
    email_provider_rules: bool = False,
    threads: int | None = None,
) -> pl.DataFrame:
    """``frame`` with the derived columns of ``specs`` (column, normaliser) pairs added."""
    table = _core.normalize_columns(
        frame,
        json.dumps(list(specs)),
        default_region=default_region,
        region_column=region_column,
        email_provider_rules=email_provider_rules,
        threads=threads,
    )
    return pl.DataFrame(table)


def normalize(
    data: TableLike,
    settings: Settings | str | os.PathLike[str] | None = None,
    *,
    default_region: str | None = None,
    email_provider_rules: bool = False,
    threads: int | None = None,
) -> pl.DataFrame:
    """Return ``data`` with the normalised and derived columns the matcher uses.

    For every compared column ``c`` (from ``settings``, inferred when None) columns
    ``c_<suffix>`` are added: ``norm`` always; ``valid`` for emails and phones; ``local`` and
    ``domain`` for emails; ``e164`` and ``kind`` for phones; ``phonetic_fr``, ``dmetaphone`` and
    ``dmetaphone_alt`` for names; ``legal_form`` for companies; ``house_number`` and ``street``
    for addresses.

    Phone numbers without country code are read as the matcher reads them: in the row's
    ``settings.region_column`` when it has a code, else in ``default_region`` when given, else
    in ``settings.default_region`` (``"FR"`` unless the settings say otherwise).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"nom": ["Lefèvre"], "telephone": ["06 12 34 56 78"]})
    >>> out = normalize(df)
    >>> out["telephone_e164"].to_list(), out["nom_norm"].to_list()
    (['+33612345678'], ['lefevre'])
    """
    frame = to_engine(data)
    specs, region, region_column = _resolve(frame, settings, default_region)
    return normalize_specs(
        frame,
        specs,
        default_region=region,
        region_column=region_column,
        email_provider_rules=email_provider_rules,
        threads=threads,
    )


def profile(
    data: TableLike,
    settings: Settings | str | os.PathLike[str] | None = None,
    *,
    default_region: str | None = None,
    threads: int | None = None,
) -> pl.DataFrame:
    """Data-quality profile of every compared column.

    Columns: ``rows``, ``nulls``, ``empty`` (nothing usable once normalised), ``invalid``
    (emails and phones failing validation), ``distinct`` normalised values and ``top_values``
    (the ten most frequent, with counts). Phones are read in the regions :func:`normalize`
    uses.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"email": ["a@x.fr", "oops", None, "A@X.fr"]})
    >>> profile(df).select("column", "nulls", "invalid", "distinct").row(0)
    ('email', 1, 1, 2)
    """
    frame = to_engine(data)
    specs, region, region_column = _resolve(frame, settings, default_region)
    return profile_specs(
        frame,
        specs,
        default_region=region,
        region_column=region_column,
        threads=threads,
    )
