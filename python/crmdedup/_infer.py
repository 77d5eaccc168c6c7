"""Settings inferred from a table: column roles from names and content, rules from a profile.

1. **Roles.** Each column's name is matched against English and French vocabularies (case,
   accents and separators ignored; whole names first, then telling words such as ``email`` in
   ``work_email``). Columns whose names say nothing are tried on their content: mostly valid
   emails, phones or dates make an email, phone or date column. Typed roles found by name are
   checked on content too (an ``email_opt_in`` flag is no email column).
2. **Profile.** The engine profiles a sample of the rows (chosen by a hash of their content,
   so the same records in any order give the same sample): null rate, distinct values and the
   share of the most frequent value. Near-constant columns (one value in
   ``NEAR_CONSTANT`` of the rows or more) and mostly-null ones are not compared, and never
   used as blocking keys.
3. **Blocking rules** come from a list of candidates (a name with a place, a date or an
   initial; an email, phone or identifier; an address with its postcode…). Each candidate's
   pairs per record are estimated on the sample; candidates over ``PAIRS_PER_RECORD`` are
   dropped, with the reason kept.

Every decision is kept in ``Settings.column_roles`` (and printed by the CLI).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from crmdedup import _core
from crmdedup._roles_vocab import NAMES as _NAMES
from crmdedup._roles_vocab import NOT_A_VALUE as _NOT_A_VALUE
from crmdedup._roles_vocab import WORDS as _WORDS
from crmdedup.errors import ConfigError
from crmdedup.settings import BlockingRule, ColumnRole, Comparison, Settings

__all__ = ["infer_settings"]

NEAR_CONSTANT = 0.9
"""Share of non-null rows holding one value above which a column is neither compared nor used
to block."""

MOSTLY_NULL = 0.98
"""Null share above which a column is ignored."""

PAIRS_PER_RECORD = 8.0
"""Largest estimated number of candidate pairs per record a default blocking rule may make."""

CONTENT_SHARE = 0.8
"""Share of a column's sampled distinct values that must be valid emails, phones or dates for
the column to take that role from its content."""

CITY_FOLLOWS_POSTCODE = 0.65
"""Share of records holding their postcode's most common city above which the city is not
compared (it would repeat the postcode)."""

SAMPLE_ROWS = 20_000
"""Rows profiled to choose comparisons and blocking rules."""

_CONTENT_KINDS = (("email", "email"), ("phone", "phone"), ("date_of_birth", "date"))

# Role → (comparison name, method, normaliser, thresholds, term frequency), in priority order:
# past 16 comparisons the last ones are dropped.
_COMPARE: tuple[tuple[str, str, str, tuple[float, ...], bool], ...] = (
    ("first_name", "name", "name", (0.92, 0.85), True),
    ("last_name", "name", "name", (0.94, 0.85), True),
    ("full_name", "token_jaccard", "name", (0.99, 0.5), True),
    ("date_of_birth", "date", "date", (), False),
    ("email", "levenshtein", "email", (1, 3), False),
    ("phone", "levenshtein", "phone", (1, 2), False),
    ("mobile", "levenshtein", "phone", (1, 2), False),
    ("national_id", "damerau_levenshtein", "identifier", (1, 2), False),
    ("middle_name", "name", "name", (0.9,), True),
    ("company", "token_jaccard", "company", (0.8, 0.4), False),
    ("address", "token_jaccard", "address", (0.9, 0.7), False),
    ("street_name", "token_jaccard", "address", (0.9, 0.6), False),
    ("street_number", "exact", "identifier", (), False),
    ("postcode", "levenshtein", "postcode", (1,), False),
    ("city", "jaro_winkler", "text", (0.9,), False),
    ("unit_number", "exact", "identifier", (), False),
    ("gender", "exact", "text", (), False),
    ("region", "exact", "text", (), False),
    ("job_title", "token_jaccard", "text", (0.8, 0.4), False),
    ("country", "exact", "text", (), False),
)

_MAX_COMPARISONS = 16

_ADDRESS = {
    "address",
    "street_name",
    "street_number",
    "unit_number",
    "postcode",
    "city",
    "region",
    "country",
}
"""Roles that describe where a record lives: one fact (``Comparison.group``)."""

_SHARED = _ADDRESS | {"last_name", "phone", "company", "job_title"}
"""Roles whose values people living or working together share (see ``Comparison.shared``)."""

_SOMETIMES_SHARED = ("email", "mobile")
"""Roles personal in some files and shared by households or teams in others (a family's
email, `info@` addresses): shared when the data says so (see ``_shared_in_data``)."""

SHARED_BY_OTHERS = 0.2
"""Share of a value's repeated groups holding different given names above which the value is
taken as shared by several people."""


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
class _Column:
    name: str
    role: str | None = None
    reason: str = ""
    compared: bool = False


def _flat(frame: pl.DataFrame) -> list[str]:
    """Columns whose values can be read as text (not lists, structs or objects)."""
    return [c for c, t in frame.schema.items() if not t.is_nested() and t != pl.Object]


def _sample(frame: pl.DataFrame) -> pl.DataFrame:
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


def _profile(sample: pl.DataFrame, specs: list[tuple[str, str]], region: str = "FR") -> _Profiles:
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


def _region_column(sample: pl.DataFrame, cols: list[_Column]) -> str | None:
    """A country column of ISO codes, when there are phones to read with it."""
    if not any(c.role in ("phone", "mobile") and c.compared for c in cols):
        return None
    for col in cols:
        if col.role == "country" and col.name in sample.columns:
            values = sample.get_column(col.name).drop_nulls().str.strip_chars()
            if values.len() and values.str.contains(r"^[A-Za-z]{2}$").mean() >= 0.5:  # type: ignore[operator]
                return col.name
    return None


def _infer_region(sample: pl.DataFrame, cols: list[_Column]) -> tuple[str, str]:
    """The region for national phone numbers: a country column's, else the phones' own.

    The country column's most common ISO code, else the region under which clearly more phone
    values are valid than in France (the default).
    """
    for col in cols:
        if col.role == "country" and col.name in sample.columns:
            top = sample.get_column(col.name).drop_nulls().str.strip_chars().str.to_uppercase()
            top = top.filter(top.str.contains(r"^[A-Z]{2}$"))
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
        prof = _profile(values, [(phones[0], "phone")], region)[(phones[0], "phone")]
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
        prof = _profile(frame, [(name, kind)], region).get((name, kind))
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


def _find_roles(frame: pl.DataFrame, sample: pl.DataFrame) -> tuple[list[_Column], tuple[str, str]]:
    """Each column's role, and the region for phone numbers (with its reason)."""
    cols = [_Column(c) for c in frame.columns]
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


def _city_follows_postcode(frame: pl.DataFrame, postcode: str, city: str) -> bool:
    d = frame.select(
        pl.col(postcode).cast(pl.String), pl.col(city).cast(pl.String).str.to_lowercase()
    ).drop_nulls()
    if d.height == 0:
        return False
    g = d.group_by(postcode, city).len().group_by(postcode).agg(pl.col("len").max().alias("top"))
    return float(g["top"].sum()) / d.height >= CITY_FOLLOWS_POSTCODE


def _shared_in_data(
    sample: pl.DataFrame, by_role: dict[str, _Column], role: str, region: str
) -> bool:
    """Whether records sharing this column's value often have different given names."""
    first = by_role.get("first_name")
    col = by_role[role]
    if first is None or first.name not in sample.columns or col.name not in sample.columns:
        return False
    kind = "email" if role == "email" else "phone"
    specs = [(col.name, kind), (first.name, "name")]
    normed = pl.DataFrame(
        _core.normalize_columns(
            sample.select(col.name, first.name), json.dumps(specs), default_region=region
        )
    )
    value, given = f"{col.name}_norm", f"{first.name}_norm"
    groups = (
        normed.select(value, pl.col(given).str.slice(0, 1).alias("initial"))
        .drop_nulls()
        .group_by(value)
        .agg(pl.len().alias("n"), pl.col("initial").n_unique().alias("names"))
        .filter(pl.col("n") >= 2)
    )
    if groups.height < 5:
        return False
    share = float((groups["names"] > 1).mean() or 0.0)  # type: ignore[arg-type]
    return share > SHARED_BY_OTHERS


def _choose_comparisons(sample: pl.DataFrame, cols: list[_Column], region: str) -> list[Comparison]:
    by_role = {c.role: c for c in cols if c.role and c.role != "id"}
    specs = [
        (by_role[r].name, norm)
        for r, _, norm, _, _ in _COMPARE
        if r in by_role and by_role[r].name in sample.columns
    ]
    prof = _profile(sample, specs, region)
    shared_here = {
        role
        for role in _SOMETIMES_SHARED
        if role in by_role and _shared_in_data(sample, by_role, role, region)
    }
    out: list[Comparison] = []
    for role, method, norm, thresholds, tf in _COMPARE:
        col = by_role.get(role)
        if col is None:
            continue
        p = prof.get((col.name, norm))
        if p is not None and p["rows"]:
            usable = p["rows"] - p["nulls"] - p["empty"] - p["invalid"]
            top = p["top"][0][1] if p["top"] else 0
            if usable <= (1 - MOSTLY_NULL) * p["rows"] and sample.height >= 50:
                col.reason += f"; not compared: {usable / p['rows']:.1%} of rows have a value"
                continue
            if usable >= 50 and top >= NEAR_CONSTANT * usable and role not in ("gender",):
                col.reason += f"; not compared: one value in {top / usable:.0%} of rows"
                continue
        postcode = by_role.get("postcode")
        if role == "city" and postcode and _city_follows_postcode(sample, postcode.name, col.name):
            col.reason += "; not compared: the postcode already tells the city"
            continue
        initials = p is not None and p["top"] and all(len(v) == 1 for v, _ in p["top"])
        if role == "middle_name" and initials:
            method, thresholds, tf = "exact", (), False
        if len(out) == _MAX_COMPARISONS:
            col.reason += f"; not compared: at most {_MAX_COMPARISONS} comparisons"
            continue
        out.append(
            Comparison(
                col.name,
                name=role,
                method=method,  # type: ignore[arg-type]
                normalizer=norm,  # type: ignore[arg-type]
                thresholds=thresholds,
                term_frequency=tf,
                shared=role in _SHARED or role in shared_here,
                group="address" if role in _ADDRESS else "",
            )
        )
        col.compared = True
    return out


def _key_values(sample: pl.DataFrame, key: str, norms: dict[str, str]) -> pl.Expr | None:
    """An estimate of a blocking key on the sample's normalised columns (plain or sliced)."""
    name, _, rest = key.partition("[")
    func = None
    if "(" in name:
        func, _, name = name.rstrip(")").partition("(")
    col = norms.get(name)
    if col is None:
        return None
    e = pl.col(col)
    if func == "email_local":
        e = e.str.split("@").list.first()
    elif func == "email_domain":
        e = e.str.split("@").list.last()
    elif func is not None:
        # Phonetic and token keys group at least as much as the value itself.
        e = e.str.slice(0, 4)
    if rest:
        a, _, b = rest.rstrip("]").partition(":")
        if a == "" and b:
            e = e.str.slice(0, int(b))
        elif a.startswith("-"):
            e = e.str.slice(int(a))
    return e


def _pairs_per_record(
    sample: pl.DataFrame, keys: Sequence[str], norms: dict[str, str], rows: int
) -> float:
    exprs = [_key_values(sample, k, norms) for k in keys]
    if any(e is None for e in exprs) or sample.height < 2:
        return 0.0
    blocks = (
        sample.select([e.alias(f"k{i}") for i, e in enumerate(exprs) if e is not None])
        .drop_nulls()
        .group_by(pl.all())
        .len()
    )
    m = sample.height
    pairs = float((blocks["len"] * (blocks["len"] - 1) / 2).sum())
    scale = (rows * (rows - 1)) / (m * (m - 1))
    return pairs * scale / max(rows, 1)


def _candidate_rules(r: dict[str, str]) -> list[tuple[str, ...]]:
    """Blocking rules to try, most telling first."""
    fn, ln, full = r.get("first_name"), r.get("last_name"), r.get("full_name")
    place = [
        f"{r['postcode']}[:2]" if "postcode" in r else None,
        r.get("region"),
        r.get("city"),
    ]
    rules: list[tuple[str, ...]] = []
    if ln and fn:
        # A name with a place; the name alone only where no place is known (homonyms across
        # a country outnumber the duplicates that moved, which other rules still find).
        where = next((p for p in place if p), None)
        if where:
            rules.append((ln, fn, where))
            rules.append((f"phonetic({ln})", f"phonetic({fn})", where))
        rules.append((ln, fn))
        rules.append((f"phonetic({ln})", f"phonetic({fn})"))
        if "date_of_birth" in r:
            rules.append((ln, f"{fn}[:1]", r["date_of_birth"]))
    elif ln:
        rules.append((ln,))
    if full:
        rules.append((f"sorted_tokens({full})",))
    for role in ("email", "phone", "mobile", "national_id"):
        if role in r:
            rules.append((r[role],))
    if "email" in r:
        rules.append((f"email_local({r['email']})",))
        if ln:
            rules.append((f"email_domain({r['email']})", f"{ln}[:3]"))
    if "phone" in r and "mobile" in r:
        rules.append((f"digits({r['phone']})[-8:]",))
    if "date_of_birth" in r:
        names = [n for n in (fn, ln) if n]
        for name in names:
            rules.append((r["date_of_birth"], f"{name}[:1]"))
        if not names:
            rules.append((r["date_of_birth"],))
        if "postcode" in r:
            rules.append((r["date_of_birth"], r["postcode"]))
    if "address" in r:
        for p in (r.get("postcode"), r.get("city")):
            if p:
                rules.append((r["address"], p))
                break
    if "street_name" in r and "street_number" in r:
        rules.append((r["street_name"], r["street_number"]))
    elif "street_number" in r and "postcode" in r:
        rules.append((r["postcode"], r["street_number"]))
    if "company" in r and ln:
        rules.append((r["company"], ln))
    if "company" in r and fn:
        rules.append((r["company"], fn))
    return [tuple(k for k in rule if k) for rule in rules if rule and all(rule)]


def _choose_rules(
    sample: pl.DataFrame, rows: int, comparisons: list[Comparison], region: str
) -> tuple[list[tuple[str, ...]], list[str]]:
    compared = {c.name: c.column for c in comparisons}
    r = {role: compared[role] for role in compared}
    flat = [c for c in comparisons if c.column in sample.columns]
    normed = pl.DataFrame(
        _core.normalize_columns(
            sample.select(c.column for c in flat),
            json.dumps(list({c.column: c.normalizer for c in flat}.items())),
            default_region=region,
        )
    )
    norms = {
        c.column: f"{c.column}_norm" for c in comparisons if f"{c.column}_norm" in normed.columns
    }
    kept: list[tuple[str, ...]] = []
    notes: list[str] = []
    for rule in _candidate_rules(r):
        if rule in kept:
            continue
        ppr = _pairs_per_record(normed, rule, norms, rows)
        if ppr > PAIRS_PER_RECORD:
            notes.append(f"blocking rule {', '.join(rule)} left out: ~{ppr:.0f} pairs per record")
            continue
        kept.append(rule)
    if not kept:
        kept.append((comparisons[0].column,))
    return kept[:32], notes


def infer_settings(data: pl.DataFrame) -> Settings:
    """Settings inferred from a table's column names, content and profile (see the module)."""
    frame = data
    sample = _sample(frame)
    cols, (region, region_reason) = _find_roles(frame, sample)
    comparisons = _choose_comparisons(sample, cols, region)
    if not comparisons:
        raise ConfigError(
            "could not infer settings: no column looks like a name, email, phone, company or "
            f"address (columns: {', '.join(frame.columns)})\n"
            "hint: pass Settings(...) or a TOML file (see `crmdedup init-config`)"
        )
    rules, notes = _choose_rules(sample, frame.height, comparisons, region)
    if region != "FR" or region_reason != "default":
        notes.insert(0, f"default_region {region}: {region_reason}")
    for col in cols:
        if col.role is None and not col.reason:
            col.reason = "ignored: neither its name nor its content tells a role"
    roles = tuple(
        ColumnRole(column=c.name, role=c.role, compared=c.compared, reason=c.reason) for c in cols
    )
    id_col = next((c.name for c in cols if c.role == "id"), None)
    region_col = _region_column(sample, cols)
    if region_col is not None:
        notes.insert(0, f"region_column {region_col}: each record's phones read in its country")
    return Settings(
        comparisons=tuple(comparisons),
        blocking_rules=tuple(BlockingRule(k) for k in rules),
        id_column=id_col,
        column_roles=roles,
        notes=tuple(notes),
        default_region=region,
        region_column=region_col,
    )
