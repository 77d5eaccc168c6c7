"""Random draws and vectorised string edits shared by the contacts generator."""

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date

import numpy as np
import polars as pl

from crmdedup.datasets import _vocab as vocab
from crmdedup.datasets._vocab import SOURCES

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
