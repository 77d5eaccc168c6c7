"""Vectorised engine behind :func:`crmdedup.datasets.generate_contacts`.

Entities are drawn first (one row per real person), then expanded into records and corrupted.
Every random draw comes from a child of one ``numpy.random.SeedSequence``, so the output depends
only on the seed and the arguments. String edits run on the affected rows only (gather, edit with
a polars expression, scatter back), which keeps 10 million rows within minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np
import polars as pl

from crmdedup.datasets import _vocab as vocab
from crmdedup.datasets._draws import (
    _DAY_US,
    _DIGITS,
    _NEWSLETTER,
    _SOURCE_WEIGHTS,
    _STYLE_BY_SOURCE,
    _BoolArray,
    _by_case,
    _datetimes,
    _draw,
    _get_vocab,
    _IntArray,
    _iso_days,
    _patch,
    _Rngs,
    _strip_accents,
    _typo,
    _Vocab,
)
from crmdedup.datasets._entities import (
    _address_parts,
    _cluster_sizes,
    _entities,
)
from crmdedup.datasets._vocab import SOURCES

__all__ = ["SOURCES", "generate"]

# --------------------------------------------------------------------------- records


class _Rec:
    """Per-record random context: which rows are duplicates, their source and casing style."""

    def __init__(self, r: np.random.Generator, sizes: _IntArray, corruption: float) -> None:
        n = int(sizes.sum())
        self.n = n
        self.ent = np.repeat(np.arange(sizes.size), sizes)
        starts = np.cumsum(sizes) - sizes
        self.dup = (np.arange(n) - np.repeat(starts, sizes)) > 0
        self.source = _draw(r, _SOURCE_WEIGHTS, n)
        cdf = np.cumsum(_STYLE_BY_SOURCE[self.source], axis=1)
        self.style = (r.random(n)[:, None] > cdf[:, :-1]).sum(axis=1)
        self.news = self.source == _NEWSLETTER
        self.c = corruption
        self.no_accents = self.coin(r, 0.03, 0.12)

    def coin(
        self, r: np.random.Generator, base: float, dup: float, news: float | None = None
    ) -> _BoolArray:
        """Draw one flag per record: probability ``base`` for first records, ``dup`` for others."""
        p = np.where(self.dup, dup * self.c, base * self.c)
        if news is not None:
            p = np.where(self.news, news, p)
        return r.random(self.n) < p


def _choose(r: np.random.Generator, options: Sequence[pl.Series], keys: np.ndarray) -> pl.Series:
    pick = r.integers(0, len(options), keys.size)
    out = options[0].gather(keys)
    for k in range(1, len(options)):
        out = out.zip_with(pl.Series(pick != k), options[k].gather(keys))
    return out


def _scatter_non_null(s: pl.Series, idx: np.ndarray, values: pl.Series) -> pl.Series:
    keep = values.is_not_null().to_numpy()
    if keep.any():
        s.scatter(idx[keep], values.filter(pl.Series(keep)))
    return s


def _first_and_last(
    rs: _Rngs, v: _Vocab, ent: dict[str, np.ndarray], rec: _Rec
) -> tuple[pl.Series, pl.Series]:
    r = rs.next()
    fi, li = ent["first"][rec.ent], ent["last"][rec.ent]
    first, last = v.first_s.gather(fi), v.last_s.gather(li)
    idx = np.flatnonzero(rec.coin(r, 0.0, 0.14))
    first = _scatter_non_null(first, idx, _choose(r, v.nick, fi[idx]))
    idx = np.flatnonzero(rec.coin(r, 0.02, 0.25) & v.compound[fi])
    split = pl.Series(r.integers(0, 2, idx.size) == 0)
    expr = pl.when(pl.col("_k")).then(pl.col("s").str.replace("-", " ", literal=True))
    first = _patch(
        first, idx, expr.otherwise(pl.col("s").str.split("-").list.first()), {"_k": split}
    )
    initial = pl.concat_str([pl.col("s").str.slice(0, 1), pl.lit(".")])
    first = _patch(first, np.flatnonzero(rec.coin(r, 0.0, 0.02)), initial)
    first = _typo(first, rec.coin(r, 0.01, 0.07), r)
    idx = np.flatnonzero(rec.coin(r, 0.0, 0.35))
    last = _scatter_non_null(last, idx, _choose(r, v.variant, li[idx]))
    idx = np.flatnonzero(rec.coin(r, 0.0, 0.015) & ent["female"][rec.ent])
    last.scatter(idx, v.last_s.gather(_draw(r, v.last_w, idx.size)))  # married name
    last = _typo(last, rec.coin(r, 0.01, 0.07), r)
    idx = np.flatnonzero(rec.coin(r, 0.002, 0.03))
    tmp = first.gather(idx)
    first.scatter(idx, last.gather(idx))
    last.scatter(idx, tmp)
    first = _patch(first, np.flatnonzero(rec.coin(r, 0.0, 0.0, news=0.6)), pl.lit(None))
    last = _patch(last, np.flatnonzero(rec.coin(r, 0.0, 0.03, news=0.75)), pl.lit(None))
    return first, last


def _restyle(s: pl.Series, rec: _Rec, *, is_last_name: bool = False) -> pl.Series:
    """Apply accent loss and the casing style of each record's source."""
    s = _patch(s, np.flatnonzero(rec.no_accents | (rec.style == 1)), _strip_accents(pl.col("s")))
    s = _patch(s, np.flatnonzero(rec.style == 1), pl.col("s").str.to_uppercase())
    s = _patch(s, np.flatnonzero(rec.style == 2), pl.col("s").str.to_lowercase())
    if is_last_name:
        s = _patch(s, np.flatnonzero(rec.style == 3), pl.col("s").str.to_uppercase())
    return s


def _emails(rs: _Rngs, v: _Vocab, ent: dict[str, np.ndarray], rec: _Rec) -> pl.Series:
    r = rs.next()
    email: pl.Series = ent["email"].gather(rec.ent)  # type: ignore[attr-defined]
    idx = np.flatnonzero(rec.coin(r, 0.0, 0.35))
    k = idx.size
    local = pl.col("s").str.extract(r"^([^@]*)@", 1)
    domain = pl.col("s").str.extract(r"@(.*)$", 1)
    op = pl.col("_op")
    gmail_dots = (
        pl.when(local.str.contains(".", literal=True))
        .then(local.str.replace_all(".", "", literal=True))
        .otherwise(pl.concat_str([local.str.slice(0, 3), pl.lit("."), local.str.slice(3)]))
    )
    expr = (
        pl.when(op == 0).then(pl.col("s").str.to_titlecase())
        .when(op == 1).then(pl.col("s").str.to_uppercase())
        .when((op == 2) & (domain == "gmail.com")).then(gmail_dots + pl.lit("@gmail.com"))
        .when(op == 3).then(pl.concat_str([local + "+" + pl.col("_tag"), domain], separator="@"))
        .when(op == 4).then(pl.concat_str([local, pl.lit("@"), pl.col("_prov")]))
        .otherwise(pl.col("s"))
    )  # fmt: skip
    tags = np.array(["promo", "news", "crm", "shop", "salon", "2024", "perso"])
    cols = {
        "_op": _draw(r, [14, 6, 22, 10, 30], k),
        "_tag": tags[r.integers(0, tags.size, k)],
        "_prov": v.providers.gather(_draw(r, v.provider_w, k)),
    }
    email = _patch(email, idx, expr, cols)
    email = _typo(email, rec.coin(r, 0.003, 0.03), r)
    return _patch(email, np.flatnonzero(rec.coin(r, 0.04, 0.12, news=0.0)), pl.lit(None))


_PHONE_FORMATS = (14, 40, 14, 3, 11, 6, 4, 3, 5)


def _phones(rs: _Rngs, ent: dict[str, np.ndarray], rec: _Rec) -> tuple[pl.Series, _BoolArray]:
    r = rs.next()
    e = rec.ent
    has_m, has_l = ent["has_mobile"][e], ent["has_landline"][e]
    p_land = np.where(ent["household"][e], 0.6, 0.25)
    use_land = has_l & (~has_m | (r.random(rec.n) < p_land))
    national = np.where(use_land, ent["landline"][e], ent["mobile"][e])
    missing = ~(has_m | has_l) | rec.coin(r, 0.06, 0.18, news=0.85)
    typo = rec.coin(r, 0.002, 0.02)
    pos = 10 ** r.integers(0, 8, rec.n)
    old = national // pos % 10
    national = np.where(
        typo, national + ((old + r.integers(1, 10, rec.n)) % 10 - old) * pos, national
    )
    fmt = np.where(missing, -1, _draw(r, _PHONE_FORMATS, rec.n))

    def fmt_fn(k: int) -> Callable[[np.ndarray], pl.Series]:
        def build(idx: np.ndarray) -> pl.Series:
            n9 = pl.Series(national[idx]).cast(pl.String)
            frame = pl.DataFrame({"n9": n9}).with_columns(d=pl.lit("0") + pl.col("n9"))
            pairs = [pl.col("d").str.slice(i, 2) for i in range(0, 10, 2)]
            head = pl.col("n9").str.slice(0, 1)
            out = [
                pl.col("d"),
                pl.concat_str(pairs, separator=" "),
                pl.concat_str(pairs, separator="."),
                pl.concat_str(pairs, separator="-"),
                pl.concat_str([pl.lit("+33"), head, *pairs[1:]], separator=" "),
                pl.concat_str([pl.lit("+33"), pl.col("n9")]),
                pl.concat_str([pl.lit("0033"), pl.col("n9")]),
                pl.concat_str([pl.lit("+33 (0)") + head, *pairs[1:]], separator=" "),
                pl.col("n9"),
            ][k]
            return frame.select(out).to_series()

        return build

    phone = _by_case(rec.n, fmt, [fmt_fn(k) for k in range(len(_PHONE_FORMATS))])
    mobile = ~missing & (national // 10**8 >= 6)
    return phone, mobile


def _companies_rec(rs: _Rngs, ent: dict[str, np.ndarray], rec: _Rec) -> pl.Series:
    r = rs.next()
    names: pl.Series = ent["company_names"]  # type: ignore[assignment]
    comp = ent["company"][rec.ent].copy()
    moved = rec.coin(r, 0.0, 0.06) & (comp >= 0)
    comp[moved] = r.integers(0, len(names), int(moved.sum()))
    company = pl.concat([names, pl.Series([None], dtype=pl.String)]).gather(
        np.where(comp >= 0, comp, len(names))
    )
    forms = "|".join(vocab.LEGAL_FORMS)
    core = pl.col("s").str.replace(rf" ({forms})$", "")
    form = pl.col("s").str.extract(rf" ({forms})$", 1)
    op = pl.col("_op")
    expr = (
        pl.when(op == 0).then(core)
        .when((op == 1) & form.is_not_null()).then(pl.concat_str([form, core], separator=" "))
        .when(op == 2).then(pl.concat_str([pl.lit("Société"), core], separator=" "))
        .otherwise(pl.concat_str([pl.lit("Ste"), pl.col("s")], separator=" "))
    )  # fmt: skip
    idx = np.flatnonzero(rec.coin(r, 0.05, 0.3))
    company = _patch(company, idx, expr, {"_op": _draw(r, [50, 25, 15, 10], idx.size)})
    company = _typo(company, rec.coin(r, 0.005, 0.03), r)
    return _patch(company, np.flatnonzero(rec.coin(r, 0.08, 0.22, news=0.95)), pl.lit(None))


def _addresses(
    rs: _Rngs, v: _Vocab, ent: dict[str, np.ndarray], rec: _Rec
) -> tuple[pl.Series, pl.Series, pl.Series]:
    r = rs.next()
    parts = {
        k: ent[k][rec.ent].copy()
        for k in ("city", "postcode", "num", "num_suffix", "stype", "street")
    }
    moved = np.flatnonzero(rec.coin(r, 0.0, 0.08))
    for key, values in _address_parts(r, v, moved.size).items():
        parts[key][moved] = values
    abbreviated = rec.coin(r, 0.2, 0.45)
    variant = np.where(
        abbreviated, 1 + (r.random(rec.n) * (v.type_n[parts["stype"]] - 1)).astype(np.int64), 0
    )
    suffixes = pl.Series(["", " bis", " ter"], dtype=pl.String)
    frame = pl.DataFrame(
        {
            "num": parts["num"],
            "suf": suffixes.gather(parts["num_suffix"]),
            "type": v.type_s.gather(v.type_off[parts["stype"]] + variant),
            "street": v.streets.gather(parts["street"]),
        }
    )
    address = frame.select(
        pl.concat_str(
            [pl.col("num").cast(pl.String) + pl.col("suf"), "type", "street"], separator=" "
        )
    ).to_series()
    idx = np.flatnonzero(rec.coin(r, 0.04, 0.1))
    extra = pl.concat_str([pl.col("s"), pl.lit(", "), pl.col("_x")])
    apt = np.array(
        ["Apt 3", "Apt 12", "Bât. B", "Bât A", "2e étage", "Appt 21", "Rés. Les Pins", "BP 42"]
    )
    address = _patch(address, idx, extra, {"_x": apt[r.integers(0, apt.size, idx.size)]})
    address = _typo(address, rec.coin(r, 0.01, 0.05), r)
    no_address = rec.coin(r, 0.06, 0.15, news=0.9)
    address = _patch(address, np.flatnonzero(no_address), pl.lit(None))
    postcode = pl.Series(parts["postcode"]).cast(pl.String).str.zfill(5)
    postcode = _typo(postcode, rec.coin(r, 0.002, 0.015), r, _DIGITS)
    city = v.city_s.gather(parts["city"])
    saint = pl.col("s").str.replace(r"^Saint-", pl.col("_st"))
    idx = np.flatnonzero(rec.coin(r, 0.15, 0.3))
    city = _patch(city, idx, saint, {"_st": np.where(r.random(idx.size) < 0.5, "St-", "St ")})
    city = _patch(
        city, np.flatnonzero(rec.coin(r, 0.05, 0.15)), pl.col("s").str.replace_all("-", " ")
    )
    no_place = (no_address & (r.random(rec.n) < 0.7)) | rec.coin(r, 0.02, 0.04)
    postcode = _patch(postcode, np.flatnonzero(no_place), pl.lit(None))
    city = _patch(city, np.flatnonzero(no_place & (r.random(rec.n) < 0.9)), pl.lit(None))
    return address, postcode, city


def _birth_dates(rs: _Rngs, ent: dict[str, np.ndarray], rec: _Rec) -> pl.Series:
    r = rs.next()
    days = ent["dob"][rec.ent].copy()
    shift = rec.coin(r, 0.002, 0.02)
    days[shift] += np.where(r.random(int(shift.sum())) < 0.5, -365, 365)
    dob = _iso_days(days)
    swap = pl.concat_str(
        [
            pl.col("s").str.slice(0, 5),
            pl.col("s").str.slice(8, 2),
            pl.lit("-"),
            pl.col("s").str.slice(5, 2),
        ]
    )
    swappable = pl.Series(days.astype(np.int32)).cast(pl.Date).dt.day().to_numpy() <= 12
    dob = _patch(dob, np.flatnonzero(rec.coin(r, 0.002, 0.03) & swappable), swap)
    return _patch(dob, np.flatnonzero(rec.coin(r, 0.5, 0.55, news=0.95)), pl.lit(None))


def _timestamps(
    rs: _Rngs, rec: _Rec, reference: datetime, email: pl.Series, mobile: _BoolArray
) -> dict[str, pl.Series]:
    r = rs.next()
    n = rec.n
    ref = int((reference - datetime(1970, 1, 1)).total_seconds()) * 1_000_000
    created = ref - (r.random(n) ** 0.8 * 14 * 365.25 * _DAY_US).astype(np.int64)
    updated = created + ((ref - created) * r.random(n) ** 2).astype(np.int64)
    activity = created + ((ref - created) * r.random(n)).astype(np.int64)
    out = {
        "created_at": _datetimes(created),
        "updated_at": _datetimes(updated),
        "last_activity_at": _patch(
            _datetimes(activity), np.flatnonzero(r.random(n) < 0.1), pl.lit(None)
        ),
    }
    has_email = email.is_not_null().to_numpy()
    for name, known, p_yes in (
        ("email", has_email, np.where(rec.news, 0.95, 0.5)),
        ("sms", mobile, 0.35),
    ):
        known = known & (r.random(n) >= (0.15 if name == "email" else 0.3))
        at = created + ((updated - created) * r.random(n)).astype(np.int64)
        optin = pl.Series(r.random(n) < p_yes)
        out[f"{name}_optin"] = _patch(optin, np.flatnonzero(~known), pl.lit(None))
        out[f"{name}_optin_at"] = _patch(_datetimes(at), np.flatnonzero(~known), pl.lit(None))
    return out


def generate(
    n_rows: int,
    *,
    seed: int,
    duplicate_rate: float,
    household_rate: float,
    homonym_rate: float,
    corruption: float,
    reference: datetime,
) -> pl.DataFrame:
    """Build the contacts table; arguments are validated by the caller."""
    v = _get_vocab()
    rs = _Rngs(seed)
    sizes = _cluster_sizes(rs.next(), n_rows, duplicate_rate)
    ent = _entities(rs, v, sizes.size, household_rate, homonym_rate)
    rec = _Rec(rs.next(), sizes, corruption)
    first, last = _first_and_last(rs, v, ent, rec)
    email = _emails(rs, v, ent, rec)
    phone, mobile = _phones(rs, ent, rec)
    company = _companies_rec(rs, ent, rec)
    address, postcode, city = _addresses(rs, v, ent, rec)
    dob = _birth_dates(rs, ent, rec)
    times = _timestamps(rs, rec, reference, email, mobile)
    r = rs.next()
    labels = r.permutation(sizes.size)[rec.ent]
    width = len(str(max(n_rows, sizes.size)))
    frame = pl.DataFrame(
        {
            "entity_id": pl.Series(labels).cast(pl.String).str.zfill(width),
            "first_name": _restyle(first, rec),
            "last_name": _restyle(last, rec, is_last_name=True),
            "email": email,
            "phone": phone,
            "company": _restyle(company, rec),
            "address": _restyle(address, rec),
            "postcode": postcode,
            "city": _restyle(city, rec),
            "date_of_birth": dob,
            "source": pl.Series(SOURCES, dtype=pl.String).gather(rec.source),
            **times,
        }
    )
    frame = frame[r.permutation(n_rows)]
    record_id = pl.Series(np.arange(1, n_rows + 1)).cast(pl.String).str.zfill(width)
    return frame.with_columns(
        record_id=pl.lit("C") + record_id, entity_id=pl.lit("E") + pl.col("entity_id")
    ).select("record_id", pl.exclude("record_id"))
