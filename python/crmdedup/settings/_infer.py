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
   initial; an email, phone or identifier; an address with its postcode, with its city and
   with its house number, so that one mistyped part still meets; a house number with its
   postcode, so that a street spelt two ways still meets, the last eight digits of
   a phone written in another country's format…). Each candidate's pairs per record are
   estimated from its blocks on the sample, keyed by the engine's own blocking keys
   (``blocking_keys``); candidates over ``PAIRS_PER_RECORD`` are dropped, with the reason
   kept.

Every decision is kept in ``Settings.column_roles`` (and printed by the CLI).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

import polars as pl

from crmdedup import _core
from crmdedup.errors import ConfigError
from crmdedup.settings._roles import (
    Column,
    city_follows_postcode,
    find_roles,
    profile_sample,
    region_column_of,
    sample_rows,
)
from crmdedup.settings._spec import BlockingRule, ColumnRole, Comparison, Settings

__all__ = ["infer_settings"]

NEAR_CONSTANT = 0.9
"""Share of non-null rows holding one value above which a column is neither compared nor used
to block."""


MOSTLY_NULL = 0.98
"""Null share above which a column is ignored."""


PAIRS_PER_RECORD = 8.0
"""Largest estimated number of candidate pairs per record a default blocking rule may make."""


MAX_RULES = 32
"""Most blocking rules a run takes (the rules a pair satisfies are a 32-bit set)."""


# Role → (comparison name, method, normaliser, thresholds, term frequency), in priority order:
# past 16 comparisons the last ones are dropped. Term frequencies weigh names, and also the
# landline and the company: a switchboard or an employer shared by hundreds of records says
# less than a direct line or a small firm.
_COMPARE: tuple[tuple[str, str, str, tuple[float, ...], bool], ...] = (
    ("first_name", "name", "name", (0.92, 0.85), True),
    ("last_name", "name", "name", (0.94, 0.85), True),
    ("full_name", "token_jaccard", "name", (0.99, 0.5), True),
    ("date_of_birth", "date", "date", (), False),
    ("email", "levenshtein", "email", (1, 3), False),
    ("phone", "levenshtein", "phone", (1, 2), True),
    ("mobile", "levenshtein", "phone", (1, 2), False),
    ("national_id", "damerau_levenshtein", "identifier", (1, 2), False),
    ("middle_name", "name", "name", (0.9,), True),
    ("company", "token_jaccard", "company", (0.8, 0.4), True),
    ("address", "token_jaccard", "address", (0.9, 0.7), False),
    ("street_name", "token_jaccard", "address", (0.9, 0.6), False),
    ("street_number", "exact", "identifier", (), False),
    ("postcode", "levenshtein", "postcode", (1,), False),
    ("city", "jaro_winkler", "text", (0.9,), False),
    ("unit_number", "exact", "identifier", (), False),
    ("gender", "exact", "text", (), False),
    ("region", "exact", "text", (), False),
    ("job_title", "token_jaccard", "text", (0.8, 0.4), False),
    ("country", "exact", "country", (), False),
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


def _shared_in_data(
    sample: pl.DataFrame, by_role: dict[str, Column], role: str, region: str
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


def _choose_comparisons(sample: pl.DataFrame, cols: list[Column], region: str) -> list[Comparison]:
    by_role = {c.role: c for c in cols if c.role and c.role != "id"}
    specs = [
        (by_role[r].name, norm)
        for r, _, norm, _, _ in _COMPARE
        if r in by_role and by_role[r].name in sample.columns
    ]
    prof = profile_sample(sample, specs, region)
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
        if role == "city" and postcode and city_follows_postcode(sample, postcode.name, col.name):
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
            )
        )
        col.compared = True
    compared = {c.name for c in out}
    return [dataclasses.replace(c, group=_group_of(c.name, compared)) for c in out]


def _group_of(role: str, compared: set[str]) -> str:
    """The fact a role's comparison describes with others (``Comparison.group``), or ``""``.

    The address fields describe where a record lives (``address``). When the company and the
    job title are both compared, records describe people at work: the address is the office's,
    and the company and job title join it (``workplace``), as does the landline when a mobile
    is compared too (the mobile is then the personal line): a person who changes jobs changes
    them all at once. Only compared roles count: an empty or constant job title column does
    not make a table one of people at work.
    """
    at_work = {"company", "job_title"} <= compared
    work = {"company", "job_title"} | ({"phone"} if "mobile" in compared else set())
    if at_work and (role in _ADDRESS or role in work):
        return "workplace"
    return "address" if role in _ADDRESS else ""


def _key_column(key: str) -> str:
    """The column a blocking key reads (`phonetic(last_name)[:3]` reads `last_name`)."""
    name = key.partition("[")[0]
    return name.rstrip(")").partition("(")[2] if "(" in name else name


_SAMPLE_ROW = "__crmdedup_sample_row"
"""Id column given to the engine's key kernel for the rows of the sample."""


def _pairs_per_record(
    sample: pl.DataFrame,
    rules: Sequence[tuple[str, ...]],
    comparisons: Sequence[Comparison],
    rows: int,
    regions: tuple[str, str | None],
) -> list[float]:
    """Candidate pairs per record each rule would make on ``rows`` records.

    Estimated from the rule's blocks on the sample, keyed by the engine's own blocking keys
    (normalised values, phonetic codes, digits…): the keys a run will use.
    """
    counts = [0.0] * len(rules)
    # Columns the sample lacks (not text, so not sampled) are left to the run to refuse.
    present = [c for c in comparisons if c.column in sample.columns]
    known = {c.column for c in present}
    measurable = [i for i, r in enumerate(rules) if all(_key_column(k) in known for k in r)]
    if sample.height < 2 or not measurable:
        return counts
    region, region_col = regions
    columns = [c.column for c in present]
    if region_col is not None and region_col in sample.columns:
        columns.append(region_col)
    else:
        region_col = None
    frame = sample.select(list(dict.fromkeys(columns))).with_row_index(_SAMPLE_ROW)
    for first in range(0, len(measurable), MAX_RULES):
        index = measurable[first : first + MAX_RULES]
        chunk = [rules[i] for i in index]
        settings = Settings(
            comparisons=tuple(present),
            blocking_rules=tuple(BlockingRule(r) for r in chunk),
            default_region=region,
            region_column=region_col,
        )
        keys = pl.DataFrame(
            _core.blocking_keys(frame, settings.to_json(), id_column=_SAMPLE_ROW, threads=None)
        )
        pairs = (
            keys.group_by("rule", "key")
            .len()
            .group_by("rule")
            .agg((pl.col("len").cast(pl.Float64) * (pl.col("len") - 1) / 2).sum().alias("pairs"))
        )
        for rule, n in pairs.iter_rows():
            counts[index[rule]] = n
    m = sample.height
    scale = (rows * (rows - 1)) / (m * (m - 1))
    return [n * scale / max(rows, 1) for n in counts]


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
        # Given name and surname in any order: each written in the other's field.
        rules.append((f"sorted_tokens({ln})", f"sorted_tokens({fn})"))
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
    for role in ("phone", "mobile"):
        if role in r:
            # The subscriber number survives a number written in another country's format
            # (a mobile kept after a move abroad, read in the new country's region).
            rules.append((f"digits({r[role]})[-8:]",))
    if "date_of_birth" in r:
        names = [n for n in (fn, ln) if n]
        for name in names:
            rules.append((r["date_of_birth"], f"{name}[:1]"))
        if not names:
            rules.append((r["date_of_birth"],))
        if "postcode" in r:
            rules.append((r["date_of_birth"], r["postcode"]))
    if "address" in r:
        # The street with each place it is in: one typo in the postcode or the city.
        for p in (r.get("postcode"), r.get("city")):
            if p:
                rules.append((r["address"], p))
        if "street_number" in r:
            rules.append((r["address"], r["street_number"]))
    if "street_name" in r and "street_number" in r:
        rules.append((r["street_name"], r["street_number"]))
    if "street_number" in r and "postcode" in r:
        # The house number and postcode survive the street's spellings (`Ct`, `Court`).
        rules.append((r["postcode"], r["street_number"]))
    if "company" in r and ln:
        rules.append((r["company"], ln))
    if "company" in r and fn:
        rules.append((r["company"], fn))
    if "company" in r and "job_title" in r:
        # The employer and the role survive a mangled or missing name (`Federica Romano` in
        # the given-name field, `Cat Moreau`, an initial alone).
        rules.append((r["company"], r["job_title"]))
    return [tuple(k for k in rule if k) for rule in rules if rule and all(rule)]


def _choose_rules(
    sample: pl.DataFrame,
    rows: int,
    comparisons: list[Comparison],
    regions: tuple[str, str | None],
) -> tuple[list[tuple[str, ...]], list[str]]:
    r = {c.name: c.column for c in comparisons}
    candidates = list(dict.fromkeys(_candidate_rules(r)))
    estimates = _pairs_per_record(sample, candidates, comparisons, rows, regions)
    kept: list[tuple[str, ...]] = []
    notes: list[str] = []
    for rule, ppr in zip(candidates, estimates, strict=True):
        if ppr > PAIRS_PER_RECORD:
            notes.append(f"blocking rule {', '.join(rule)} left out: ~{ppr:.0f} pairs per record")
            continue
        kept.append(rule)
    if not kept:
        kept.append((comparisons[0].column,))
    return kept[:MAX_RULES], notes


def infer_settings(data: pl.DataFrame) -> Settings:
    """Settings inferred from a table's column names, content and profile (see the module)."""
    frame = data
    sample = sample_rows(frame)
    cols, (region, region_reason) = find_roles(frame, sample)
    comparisons = _choose_comparisons(sample, cols, region)
    if not comparisons:
        raise ConfigError(
            "could not infer settings: no column looks like a name, email, phone, company or "
            f"address (columns: {', '.join(frame.columns)})\n"
            "hint: pass Settings(...) or a TOML file (see `crmdedup init-config`)"
        )
    region_col = region_column_of(sample, cols)
    rules, notes = _choose_rules(sample, frame.height, comparisons, (region, region_col))
    if region != "FR" or region_reason != "default":
        notes.insert(0, f"default_region {region}: {region_reason}")
    for col in cols:
        if col.role is None and not col.reason:
            col.reason = "ignored: neither its name nor its content tells a role"
    roles = tuple(
        ColumnRole(column=c.name, role=c.role, compared=c.compared, reason=c.reason) for c in cols
    )
    id_col = next((c.name for c in cols if c.role == "id"), None)
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
