"""The people behind the synthetic contacts: one row per real person, before any record."""

from datetime import date

import numpy as np
import polars as pl

from crmdedup.datasets import _vocab as vocab
from crmdedup.datasets._draws import (
    _EPOCH,
    _SIZE_WEIGHTS,
    _affine_unique,
    _draw,
    _IntArray,
    _Rngs,
    _slug,
    _Vocab,
    _zipf,
)


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
