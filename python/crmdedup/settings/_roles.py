"""Column roles: what each column of a table holds, from its name and then its content.

See :mod:`crmdedup.settings._infer` for the whole inference; this is its first step.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

import polars as pl

from crmdedup import _core
from crmdedup.settings._vocab import NAMES as _NAMES
from crmdedup.settings._vocab import NOT_A_VALUE as _NOT_A_VALUE
from crmdedup.settings._vocab import WORDS as _WORDS

CONTENT_SHARE = 0.8
"""Share of a column's sampled distinct values that must be valid emails, phones or dates for
the column to take that role from its content."""


CITY_FOLLOWS_POSTCODE = 0.65
"""Share of records holding their postcode's most common city above which the city is not
compared (it would repeat the postcode)."""


SAMPLE_ROWS = 20_000
"""Rows profiled to choose comparisons and blocking rules."""


_CONTENT_KINDS = (("email", "email"), ("phone", "phone"), ("date_of_birth", "date"))


def _slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    # camelCase → camel_case, before lower-casing.
    spaced = "".join(
        f"_{c}" if c.isupper() and i and folded[i - 1].islower() else c
        for i, c in enumerate(folded)
    )
    out = "".join(ch if ch.isalnum() else "_" for ch in spaced.lower())
    return "_".join(p for p in out.split("_") if p)


def _role_by_name(slug: str) -> tuple[str, str] | None:
    for role, names in _NAMES.items():
        if slug in names:
            return role, f"name `{slug}` is a known {role.replace('_', ' ')} column name"
    words = slug.split("_")
    meta = _NOT_A_VALUE.intersection(words)
    if meta and not {"dob", "birth", "naissance"} & set(words):
        return "", f"ignored: `{sorted(meta)[0]}` in its name tells a flag or record metadata"
    joined = "".join(words)
    for role, hints in _WORDS:
        for h in hints:
            if h in words or (len(h) >= 6 and h in joined):
                return role, f"name contains `{h}`"
    return None


@dataclass
class Column:
    name: str
    role: str | None = None
    reason: str = ""
    compared: bool = False


def _flat(frame: pl.DataFrame) -> list[str]:
    """Columns whose values can be read as text (not lists, structs or objects)."""
    return [c for c, t in frame.schema.items() if not t.is_nested() and t != pl.Object]


def sample_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """At most `SAMPLE_ROWS` rows of the flat columns, as text, chosen by content hash.

    The rows whose id (or, without one, whole content) hashes lowest: the same records in any
    order give the same sample.
    """
    flat = _flat(frame)
    if frame.height > SAMPLE_ROWS and flat:
        ids = [c for c in flat if (_role_by_name(_slug(c)) or ("",))[0] == "id"]
        key = pl.col(ids[0]) if ids else pl.struct(flat)
        hashes = frame.select(key.hash(seed=17)).to_series()
        frame = frame[hashes.arg_sort().head(SAMPLE_ROWS).sort()]
    return frame.select(pl.col(c).cast(pl.String) for c in flat)


_Profiles = dict[tuple[str, str], dict[str, Any]]


def profile_sample(
    sample: pl.DataFrame, specs: list[tuple[str, str]], region: str = "FR"
) -> _Profiles:
    """The engine's profile of each (column, normaliser) on `sample`."""
    if not specs:
        return {}
    text = sample.select(pl.col(c).cast(pl.String) for c in dict(specs))
    rows = json.loads(_core.profile_columns(text, json.dumps(specs), default_region=region))
    return {(r["column"], r["normalizer"]): r for r in rows}


REGIONS = (
    "FR",
    "US",
    "GB",
    "DE",
    "ES",
    "IT",
    "NL",
    "BE",
    "CH",
    "CA",
    "AU",
    "PL",
    "SE",
    "PT",
    "IE",
    "AT",
    "DK",
    "NO",
    "FI",
)
"""Regions tried for phone numbers written without a country code."""


def _distinct_sample(sample: pl.DataFrame, name: str, limit: int = 2000) -> pl.DataFrame:
    """Up to `limit` distinct non-blank values of a column, chosen by hash (not position)."""
    values = sample.get_column(name).cast(pl.String).drop_nulls().unique()
    values = values.filter(values.str.strip_chars() != "")
    frame = pl.DataFrame({name: values})
    if frame.height > limit:
        frame = frame.sort(pl.col(name).hash(seed=3)).head(limit)
    return frame


def country_codes(sample: pl.DataFrame, name: str) -> pl.Series:
    """The ISO codes the engine reads in a country column's values.

    Names in several languages and alpha-2 and alpha-3 codes are read; nulls and what is no
    known country are left out.
    """
    normed = pl.DataFrame(
        _core.normalize_columns(
            sample.select(pl.col(name).cast(pl.String)), json.dumps([(name, "country")])
        )
    ).get_column(f"{name}_norm")
    return normed.drop_nulls().filter(normed.drop_nulls().str.contains(r"^[A-Z]{2}$"))


def region_column_of(sample: pl.DataFrame, cols: list[Column]) -> str | None:
    """A country column, mostly of countries the engine reads, when phones are compared."""
    if not any(c.role in ("phone", "mobile") and c.compared for c in cols):
        return None
    for col in cols:
        if col.role == "country" and col.name in sample.columns:
            present = sample.get_column(col.name).drop_nulls().len()
            if present and country_codes(sample, col.name).len() >= 0.5 * present:
                return col.name
    return None


def _infer_region(sample: pl.DataFrame, cols: list[Column]) -> tuple[str, str]:
    """The region for national phone numbers: a country column's, else the phones' own.

    The country column's most common ISO code, else the region under which clearly more phone
    values are valid than in France (the default).
    """
    for col in cols:
        if col.role == "country" and col.name in sample.columns:
            top = country_codes(sample, col.name)
            if top.len():
                code = str(top.mode().sort()[0])
                return code, f"most common value of `{col.name}`"
    phones = [c.name for c in cols if c.role in ("phone", "mobile") and c.name in sample.columns]
    if not phones:
        return "FR", "default"
    values = _distinct_sample(sample, phones[0])
    if values.height < 20:
        return "FR", "default"
    valid: dict[str, int] = {}
    for region in REGIONS:
        prof = profile_sample(values, [(phones[0], "phone")], region)[(phones[0], "phone")]
        valid[region] = values.height - prof["invalid"] - prof["empty"]
    best = max(REGIONS, key=lambda r: (valid[r], r == "FR"))
    # Numbering plans overlap (a French 06 number is a valid Italian one): leave the default
    # only for a clear majority.
    if best == "FR" or valid[best] < valid["FR"] + max(3, values.height // 10):
        return "FR", "default"
    return best, f"most values of `{phones[0]}` are valid numbers there"


def _content_role(sample: pl.DataFrame, name: str, region: str = "FR") -> tuple[str, str] | None:
    """The typed role most of the column's distinct values fit, if any."""
    frame = _distinct_sample(sample, name)
    values = frame.get_column(name)
    if values.len() < 3:
        return None
    for role, kind in _CONTENT_KINDS:
        prof = profile_sample(frame, [(name, kind)], region).get((name, kind))
        if prof is None:
            continue
        share = 1 - (prof["invalid"] + prof["empty"]) / values.len()
        if kind == "phone":
            # Digit runs alone (ids, amounts) parse as phones too: ask for phone punctuation or a +.
            punctuated = values.str.contains(r"^\+|[ ().\-/]").sum()
            share = min(share, int(punctuated) / values.len() + 0.2)
        if share >= CONTENT_SHARE:
            return role, f"{share:.0%} of its values are valid {kind}s"
    return None


def find_roles(frame: pl.DataFrame, sample: pl.DataFrame) -> tuple[list[Column], tuple[str, str]]:
    """Each column's role, and the region for phone numbers (with its reason)."""
    cols = [Column(c) for c in frame.columns]
    taken: set[str] = set()
    for col in cols:
        found = _role_by_name(_slug(col.name))
        if found is None:
            continue
        role, reason = found
        if not role:
            col.reason = reason
            continue
        # `title` is a civility (Mr, Mme) in some exports and a job title in others.
        many = col.name in sample.columns and sample.get_column(col.name).n_unique() > 13
        if role == "gender" and _slug(col.name) == "title" and many:
            role, reason = "job_title", "name `title` with many distinct values"
        if role in taken:
            col.reason = f"ignored: {role.replace('_', ' ')} already taken by another column"
            if role == "phone" and "mobile" not in taken:
                role, reason = "mobile", reason + " (second phone column)"
            else:
                continue
        col.role, col.reason = role, reason
        taken.add(role)
    if "mobile" in taken and "phone" not in taken:
        # One phone column, whatever it is called, is the phone.
        for col in cols:
            if col.role == "mobile":
                col.role = "phone"
                taken = (taken - {"mobile"}) | {"phone"}
    string_like = {c for c, t in frame.schema.items() if t == pl.String or t.is_integer()}
    string_like &= set(sample.columns)
    region, region_reason = _infer_region(sample, cols)
    for col in cols:
        if col.role is None and col.name in string_like and not col.reason:
            found = _content_role(sample, col.name, region)
            if found is not None and found[0] not in taken:
                col.role, col.reason = found
                taken.add(found[0])
        elif col.role in ("email", "date_of_birth") and col.name in string_like:
            # A typed column by name must hold that type (an `email_status` flag is no email).
            checked = _content_role(sample, col.name, region)
            many = sample.get_column(col.name).drop_nulls().len() >= 20
            if many and (checked is None or checked[0] != col.role):
                kind = "email" if col.role == "email" else "date"
                col.reason = f"ignored: named like {kind}s, but most values are not"
                taken.discard(col.role)
                col.role = None
    return cols, (region, region_reason)


def city_follows_postcode(frame: pl.DataFrame, postcode: str, city: str) -> bool:
    d = frame.select(
        pl.col(postcode).cast(pl.String), pl.col(city).cast(pl.String).str.to_lowercase()
    ).drop_nulls()
    if d.height == 0:
        return False
    g = d.group_by(postcode, city).len().group_by(postcode).agg(pl.col("len").max().alias("top"))
    return float(g["top"].sum()) / d.height >= CITY_FOLLOWS_POSTCODE
