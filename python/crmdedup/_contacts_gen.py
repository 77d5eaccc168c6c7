"""Vectorised engine behind :func:`crmdedup.datasets.generate_contacts`.

Entities are drawn first (one row per real person), then expanded into records and corrupted.
Every random draw comes from a child of one ``numpy.random.SeedSequence``, so the output depends
only on the seed and the arguments. String edits run on the affected rows only (gather, edit with
a polars expression, scatter back), which keeps 10 million rows within minutes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime

import numpy as np
import polars as pl

from crmdedup import _contacts_vocab as vocab

__all__ = ["SOURCES", "generate"]

SOURCES = ("web_form", "crm_sales", "import_salon", "newsletter", "eshop")
_SOURCE_WEIGHTS = (0.34, 0.24, 0.14, 0.20, 0.08)
# Casing style per source: proper, UPPER without accents, lower, LAST NAME upper.
_STYLE_BY_SOURCE = np.array(
    [
        [0.60, 0.00, 0.25, 0.15],
        [0.50, 0.00, 0.00, 0.50],
        [0.30, 0.70, 0.00, 0.00],
        [0.50, 0.00, 0.50, 0.00],
        [0.80, 0.00, 0.20, 0.00],
    ]
)
_NEWSLETTER = SOURCES.index("newsletter")
_SIZE_WEIGHTS = np.array([0.0, 0.0, 0.64, 0.22, 0.09, 0.05])  # cluster sizes 2..5
_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyzeeaaiinnorst"))
_DIGITS = np.array(list("0123456789"))
_DAY_US = 86_400 * 1_000_000
_EPOCH = date(1970, 1, 1)
_F64 = np.float64
_IntArray = np.ndarray[tuple[int], np.dtype[np.int64]]
_BoolArray = np.ndarray[tuple[int], np.dtype[np.bool_]]


# --------------------------------------------------------------------------- helpers


def _unique(words: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(words))


def _zipf(n: int, s: float = 1.0, offset: float = 2.0) -> np.ndarray[tuple[int], np.dtype[_F64]]:
    w = 1.0 / (np.arange(n, dtype=_F64) + offset) ** s
    out: np.ndarray[tuple[int], np.dtype[_F64]] = w / w.sum()
    return out


def _draw(rng: np.random.Generator, weights: Sequence[float] | np.ndarray, size: int) -> _IntArray:
    cdf = np.cumsum(np.asarray(weights, dtype=_F64))
    idx = np.searchsorted(cdf / cdf[-1], rng.random(size), side="right")
    return np.minimum(idx, len(cdf) - 1).astype(np.int64)


def _affine_unique(rng: np.random.Generator, n: int, modulus: int) -> _IntArray:
    """Return ``n`` distinct values below ``modulus`` (an affine bijection of ``0..n-1``)."""
    a = int(rng.integers(modulus // 3, modulus)) | 1
    while a % 5 == 0:
        a += 2
    b = int(rng.integers(0, modulus))
    return (np.arange(n, dtype=np.int64) * a + b) % modulus


def _strip_accents(e: pl.Expr) -> pl.Expr:
    e = e.str.replace_many(["œ", "Œ", "æ", "Æ", "ß"], ["oe", "OE", "ae", "AE", "ss"])
    return e.str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")


def _slug(e: pl.Expr) -> pl.Expr:
    return _strip_accents(e).str.to_lowercase().str.replace_all(r"[^a-z0-9-]", "")


def _patch(
    s: pl.Series, idx: np.ndarray, expr: pl.Expr, cols: Mapping[str, object] | None = None
) -> pl.Series:
    """Replace ``s[idx]`` by ``expr`` evaluated on those rows (column ``s`` plus ``cols``)."""
    if idx.size == 0:
        return s
    frame = pl.DataFrame({"s": s.gather(idx), **(cols or {})})
    values = frame.select(expr.alias("s")).to_series().cast(s.dtype)
    s.scatter(idx, values)
    return s


def _typo_expr() -> pl.Expr:
    """Insert, delete, substitute or transpose one character (columns ``_op``, ``_u``, ``_c``)."""
    s = pl.col("s")
    n = s.str.len_chars()
    pos = (pl.col("_u") * n).floor().cast(pl.Int64)
    tpos = (pl.col("_u") * (n - 1)).floor().cast(pl.Int64).clip(0, None)
    head = s.str.slice(0, pos)
    op = pl.col("_op")
    return (
        pl.when(op == 0)
        .then(pl.concat_str([head, pl.col("_c"), s.str.slice(pos)]))
        .when((op == 1) & (n > 3))
        .then(pl.concat_str([head, s.str.slice(pos + 1)]))
        .when((op == 2) | (n < 2))
        .then(pl.concat_str([head, pl.col("_c"), s.str.slice(pos + 1)]))
        .otherwise(
            pl.concat_str(
                [
                    s.str.slice(0, tpos),
                    s.str.slice(tpos + 1, 1),
                    s.str.slice(tpos, 1),
                    s.str.slice(tpos + 2),
                ]
            )
        )
    )


def _typo(
    s: pl.Series, mask: _BoolArray, rng: np.random.Generator, alphabet: np.ndarray = _LETTERS
) -> pl.Series:
    idx = np.flatnonzero(mask)
    k = idx.size
    cols = {
        "_op": rng.integers(0, 4, k),
        "_u": rng.random(k),
        "_c": alphabet[rng.integers(0, alphabet.size, k)],
    }
    return _patch(s, idx, _typo_expr(), cols)


def _by_case(
    n: int, case: _IntArray, build: Sequence[Callable[[np.ndarray], pl.Series]]
) -> pl.Series:
    """Assemble a string column where row ``i`` comes from ``build[case[i]]``."""
    out = pl.repeat(None, n, dtype=pl.String, eager=True)
    for k, fn in enumerate(build):
        idx = np.flatnonzero(case == k)
        if idx.size:
            out.scatter(idx, fn(idx))
    return out


def _mapping_series(names: list[str], table: dict[str, tuple[str, ...]], pick: int) -> pl.Series:
    """``names[i]`` mapped through ``table`` (option ``pick`` modulo its length), else null."""
    out = [table[w][pick % len(table[w])] if w in table else None for w in names]
    return pl.Series(out, dtype=pl.String)


def _iso_days(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date).cast(pl.String)


def _datetimes(us: np.ndarray) -> pl.Series:
    return pl.Series(us.astype(np.int64) // 1_000_000 * 1_000_000).cast(pl.Datetime("us"))


# --------------------------------------------------------------------------- vocabulary tables


class _Vocab:
    """Word tables as polars Series, built once per process."""

    def __init__(self) -> None:
        male = _unique(vocab.MALE_FIRST_NAMES)
        female = _unique(vocab.FEMALE_FIRST_NAMES)
        self.n_male = len(male)
        self.first = male + female
        self.first_s = pl.Series(self.first, dtype=pl.String)
        self.male_w = _zipf(len(male), 1.0, 3.0)
        self.female_w = _zipf(len(female), 1.0, 3.0)
        self.nick = [_mapping_series(self.first, vocab.NICKNAMES, k) for k in (0, 1)]
        self.compound = np.array(["-" in w for w in self.first])
        common = _unique(vocab.LAST_NAMES)
        tail = _unique(
            [a + c for a, c in itertools.product(vocab.SURNAME_ONSETS, vocab.SURNAME_ENDINGS)]
            + [
                a + b + c
                for a, b, c in itertools.product(
                    vocab.SURNAME_ONSETS, vocab.SURNAME_MIDDLES, vocab.SURNAME_ENDINGS
                )
            ]
        )
        tail = [w for w in tail if w not in set(common)]
        self.last = common + tail
        self.last_s = pl.Series(self.last, dtype=pl.String)
        self.last_w = np.concatenate(
            [_zipf(len(common), 1.0, 4.0) * 0.78, _zipf(len(tail), 0.5) * 0.22]
        )
        self.variant = [_mapping_series(self.last, vocab.LAST_NAME_VARIANTS, k) for k in (0, 1, 2)]
        self.streets = pl.Series(vocab.STREET_NAMES, dtype=pl.String)
        self.street_w = _zipf(len(vocab.STREET_NAMES), 0.8, 3.0)
        self.type_w = np.array(vocab.STREET_TYPE_WEIGHTS)
        self.type_n = np.array([len(t) for t in vocab.STREET_TYPES])
        self.type_off = np.concatenate([[0], np.cumsum(self.type_n)[:-1]])
        self.type_s = pl.Series([w for t in vocab.STREET_TYPES for w in t], dtype=pl.String)
        self.city_s = pl.Series([c[0] for c in vocab.CITIES], dtype=pl.String)
        self.city_pc = np.array([int(c[1]) for c in vocab.CITIES])
        self.city_nsub = np.array([c[2] for c in vocab.CITIES])
        self.city_area = np.array([c[3] for c in vocab.CITIES])
        self.city_w = np.array([c[4] for c in vocab.CITIES], dtype=_F64)
        self.providers = pl.Series(vocab.EMAIL_PROVIDERS, dtype=pl.String)
        self.provider_w = _zipf(len(vocab.EMAIL_PROVIDERS), 1.1, 1.0)


_VOCAB: _Vocab | None = None


def _get_vocab() -> _Vocab:
    global _VOCAB
    if _VOCAB is None:
        _VOCAB = _Vocab()
    return _VOCAB


# --------------------------------------------------------------------------- entities


class _Rngs:
    """Independent generators spawned from one seed, handed out in a fixed order."""

    def __init__(self, seed: int) -> None:
        self._seq = np.random.SeedSequence(seed)

    def next(self) -> np.random.Generator:
        return np.random.default_rng(self._seq.spawn(1)[0])


def _cluster_sizes(r: np.random.Generator, n_rows: int, duplicate_rate: float) -> _IntArray:
    w = _SIZE_WEIGHTS[2:] / _SIZE_WEIGHTS[2:].sum()
    mean_extra = float(np.dot(np.arange(1, w.size + 1), w))
    p_multi = min(1.0, duplicate_rate / ((1.0 - duplicate_rate) * mean_extra))
    est = int(n_rows / (1.0 + p_multi * mean_extra) * 1.1) + 16
    sizes = np.where(r.random(est) < p_multi, 2 + _draw(r, w, est), 1)
    total = np.cumsum(sizes)
    if total[-1] < n_rows:
        sizes = np.concatenate([sizes, np.ones(n_rows - int(total[-1]), dtype=np.int64)])
        total = np.cumsum(sizes)
    k = int(np.searchsorted(total, n_rows))
    sizes = sizes[: k + 1].copy()
    sizes[k] -= int(total[k]) - n_rows
    return sizes.astype(np.int64)


def _address_parts(r: np.random.Generator, v: _Vocab, n: int) -> dict[str, _IntArray]:
    city = _draw(r, v.city_w, n)
    return {
        "city": city,
        "postcode": v.city_pc[city] + r.integers(0, v.city_nsub[city]),
        "num": np.minimum(r.geometric(0.035, n), 300),
        "num_suffix": _draw(r, [0.96, 0.03, 0.01], n),
        "stype": _draw(r, v.type_w, n),
        "street": _draw(r, v.street_w, n),
    }


def _companies(
    r: np.random.Generator, v: _Vocab, n: int
) -> tuple[pl.Series, pl.Series, dict[str, _IntArray]]:
    words = pl.Series(vocab.COMPANY_WORDS, dtype=pl.String)
    acts = pl.Series(vocab.COMPANY_ACTIVITIES, dtype=pl.String)
    forms = pl.Series([*vocab.LEGAL_FORMS, None], dtype=pl.String)
    frame = pl.DataFrame(
        {
            "p": _draw(r, [0.35, 0.15, 0.35, 0.15], n),
            "last": v.last_s.gather(_draw(r, v.last_w, n)),
            "word": words.gather(r.integers(0, len(words), n)),
            "act": acts.gather(r.integers(0, len(acts), n)),
            "form": forms.gather(_draw(r, [30, 30, 10, 10, 8, 3, 4, 2, 25], n)),
            "tld": np.where(r.random(n) < 0.7, ".fr", ".com"),
        }
    )
    p = pl.col("p")
    core = (
        pl.when(p == 0)
        .then(pl.concat_str(["last", "act"], separator=" "))
        .when(p == 1)
        .then(pl.concat_str(["act", "last"], separator=" "))
        .when(p == 2)
        .then(pl.concat_str(["word", "act"], separator=" "))
        .otherwise(pl.concat_str([pl.lit("Groupe"), "word"], separator=" "))
    )
    frame = frame.with_columns(core.alias("core")).with_columns(
        pl.concat_str(["core", "form"], separator=" ", ignore_nulls=True).alias("name"),
        _slug(pl.col("core").str.replace_all(" ", "-")).alias("dom"),
    )
    rank = pl.col("dom").cum_count().over("dom")
    frame = frame.with_columns(
        pl.when(rank > 1)
        .then(pl.concat_str([pl.col("dom"), rank.cast(pl.String), pl.col("tld")]))
        .otherwise(pl.concat_str(["dom", "tld"]))
        .alias("domain")
    )
    return frame["name"], frame["domain"], _address_parts(r, v, n)


def _entity_emails(
    rs: _Rngs, v: _Vocab, ent: dict[str, np.ndarray], domains: pl.Series
) -> pl.Series:
    r = rs.next()
    n = ent["first"].size
    company = ent["company"]
    use_company = (company >= 0) & (r.random(n) < 0.45)
    provider = v.providers.gather(ent["provider"])
    comp_dom = domains.gather(np.maximum(company, 0))
    frame = pl.DataFrame(
        {
            "f": v.first_s.gather(ent["first"]),
            "l": v.last_s.gather(ent["last"]),
            "p": _draw(r, [35, 12, 12, 5, 10, 6, 8, 5, 7], n),
            "yy": (ent["dob_year"] % 100).astype(np.int64),
            "nn": r.integers(1, 100, n),
            "dom": pl.select(
                pl.when(pl.Series(use_company)).then(comp_dom).otherwise(provider)
            ).to_series(),
            "has": ent["has_email"],
        }
    ).with_columns(_slug(pl.col("f")).alias("f"), _slug(pl.col("l")).alias("l"))
    f, last, p = pl.col("f"), pl.col("l"), pl.col("p")
    ini = f.str.slice(0, 1)
    yy = pl.col("yy").cast(pl.String).str.zfill(2)
    local = (
        pl.when(p == 0).then(pl.concat_str([f, last], separator="."))
        .when(p == 1).then(pl.concat_str([f, last]))
        .when(p == 2).then(pl.concat_str([ini, last]))
        .when(p == 3).then(pl.concat_str([f, last], separator="_"))
        .when(p == 4).then(pl.concat_str([f, pl.lit("."), last, yy]))
        .when(p == 5).then(pl.concat_str([last, f], separator="."))
        .when(p == 6).then(pl.concat_str([f, pl.col("nn").cast(pl.String)]))
        .when(p == 7).then(pl.concat_str([f, pl.lit("."), last, pl.col("nn").cast(pl.String)]))
        .otherwise(pl.concat_str([ini, last], separator="."))
    )  # fmt: skip
    frame = frame.with_columns(pl.concat_str([local, pl.col("dom")], separator="@").alias("e"))
    # A mailbox belongs to one person: later holders of a taken address get a number.
    rank = pl.col("e").cum_count().over("e")
    fixed = (
        pl.when(rank > 1)
        .then(pl.concat_str([local, rank.cast(pl.String), pl.lit("@"), pl.col("dom")]))
        .otherwise(pl.col("e"))
    )
    return frame.select(pl.when(pl.col("has")).then(fixed).otherwise(None)).to_series()


def _entities(
    rs: _Rngs, v: _Vocab, n: int, household_rate: float, homonym_rate: float
) -> dict[str, np.ndarray]:
    r = rs.next()
    female = r.random(n) < 0.52
    first = np.where(female, v.n_male + _draw(r, v.female_w, n), _draw(r, v.male_w, n))
    ent: dict[str, np.ndarray] = {
        "female": female,
        "first": first,
        "last": _draw(r, v.last_w, n),
        "dob": (date(1940, 1, 1) - _EPOCH).days + r.integers(0, 68 * 365, n),
        "has_mobile": r.random(n) < 0.88,
        "mobile": np.where(r.random(n) < 0.72, 6, 7) * 10**8 + _affine_unique(r, n, 10**8),
        "has_landline": r.random(n) < 0.33,
        "has_email": r.random(n) < 0.92,
        "provider": _draw(r, v.provider_w, n),
        **_address_parts(r, v, n),
    }
    ent["landline"] = v.city_area[ent["city"]] * 10**8 + _affine_unique(r, n, 10**8)
    # Households: a member shares the last name, address and landline of the preceding head.
    r = rs.next()
    member = r.random(n) < household_rate
    member[0] = False
    idx = np.arange(n)
    head = np.maximum.accumulate(np.where(member, 0, idx))[member]
    for key in ("last", "city", "postcode", "num", "num_suffix", "stype", "street", "landline"):
        ent[key][member] = ent[key][head]
    ent["has_landline"][member] = True
    ent["has_landline"][head] = True
    shared_isp = r.random(head.size) < 0.5
    ent["provider"][np.flatnonzero(member)[shared_isp]] = ent["provider"][head[shared_isp]]
    same = first[member] == first[head]
    first[np.flatnonzero(member)[same]] = (first[head[same]] + 1) % len(v.first)
    ent["household"] = np.zeros(n, dtype=bool)
    ent["household"][member] = True
    ent["household"][head] = True
    # Homonyms: same first and last name as another person, nothing else in common.
    homonym = (r.random(n) < homonym_rate) & ~member
    src = r.integers(0, n, int(homonym.sum()))
    for key in ("first", "last", "female"):
        ent[key][homonym] = ent[key][src]
    # Employers; some contacts are reached at the office address.
    r = rs.next()
    n_comp = max(16, n // 6)
    names, domains, hq = _companies(r, v, n_comp)
    company = np.where(r.random(n) < 0.5, _draw(r, _zipf(n_comp, 1.0, 8.0), n), -1)
    office = (company >= 0) & (r.random(n) < 0.3)
    for key, values in hq.items():
        ent[key][office] = values[company[office]]
    ent["company"] = company
    ent["dob_year"] = pl.Series(ent["dob"].astype(np.int32)).cast(pl.Date).dt.year().to_numpy()
    ent["email"] = _entity_emails(rs, v, ent, domains)  # type: ignore[assignment]
    ent["company_names"] = names  # type: ignore[assignment]
    return ent


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
