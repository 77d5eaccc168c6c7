"""Golden identifiers and field survivorship, vectorised over all clusters at once.

Each survivorship rule is an ordering of a cluster's records; fields sharing an ordering are
chosen with one sort and one group-by, keeping the id of the record each value came from.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from crmdedup.errors import CrmdedupError, SchemaError
from crmdedup.merge._frames import MEMBER_ROW
from crmdedup.merge._policy import MergePolicy, SurvivorshipRule

__all__ = ["CLUSTER", "golden_ids", "survivors"]

CLUSTER = "__cluster"
GOLDEN = "golden_id"
# Two polynomial hashes modulo 31-bit primes, combined into one 62-bit number. Only integer
# arithmetic on hex-decoded bytes is used, so ids are identical across polars versions.
_MODULI = (2_147_483_647, 2_147_483_629)
_BASES = (1_000_003, 999_999_937)
_LENGTH_FACTORS = (48_271, 69_621)
# Multiplying by a unit modulo each prime is a bijection that spreads short keys over the range.
_SPREAD = (1_597_334_677, 1_812_433_253)
_WORD_HEX = 12


def _powers(base: int, modulus: int, count: int) -> list[int]:
    out = [1] * count
    for i in range(1, count):
        out[i] = out[i - 1] * base % modulus
    return out


def _stable_digest(keys: pl.Series) -> pl.Series:
    """Return a 19-digit decimal digest of each text in ``keys``, stable across versions."""
    lengths = (
        pl.DataFrame({"key": keys})
        .with_row_index("k")
        .with_columns(pl.col("key").str.len_bytes().cast(pl.Int64).alias("n"))
    )
    words = (
        lengths.select(
            "k",
            pl.col("key")
            .str.encode("hex")
            .str.extract_all(f"[0-9a-f]{{1,{_WORD_HEX}}}")
            .alias("w"),
        )
        .explode("w")
        .drop_nulls("w")
        .with_columns(
            pl.col("w").str.to_integer(base=16).fill_null(0),
            pl.int_range(pl.len()).over("k").alias("pos"),
        )
    )
    count = int(words.select(pl.col("pos").max().fill_null(0)).item()) + 1
    table = pl.DataFrame(
        {
            "pos": pl.int_range(count, eager=True).cast(words.schema["pos"]),
            **{
                f"p{j}": _powers(b, m, count)
                for j, (b, m) in enumerate(zip(_BASES, _MODULI, strict=True))
            },
        }
    )
    terms = [
        ((pl.col("w") % m) * pl.col(f"p{j}") % m).sum().alias(f"h{j}")
        for j, m in enumerate(_MODULI)
    ]
    sums = lengths.select("k", "n").join(
        words.join(table, on="pos").group_by("k").agg(*terms), on="k", how="left"
    )
    sums = sums.with_columns(pl.col(f"h{j}").fill_null(0) for j in range(len(_MODULI)))
    hashed = [
        (pl.col(f"h{j}") + pl.col("n") * f) % m * k % m
        for j, (m, f, k) in enumerate(zip(_MODULI, _LENGTH_FACTORS, _SPREAD, strict=True))
    ]
    digest = (hashed[0] * _MODULI[1] + hashed[1]).cast(pl.String).str.zfill(19)
    return sums.sort("k").select(digest).to_series()


def golden_ids(members: pl.DataFrame, id_column: str) -> pl.DataFrame:
    """Return ``__cluster``, ``golden_id`` and ``n_records`` for every cluster.

    The id is ``"g_"`` and a digest of the cluster's member ids, sorted as text and joined with
    a unit separator, so it depends only on the members and not on input order or id type.
    """
    keys = members.group_by(CLUSTER).agg(
        pl.col(id_column).cast(pl.String).sort().str.join("\x1f").alias("key"),
        pl.len().cast(pl.UInt32).alias("n_records"),
    )
    digest = _stable_digest(keys.get_column("key"))
    out = keys.select(CLUSTER, (pl.lit("g_") + digest).alias(GOLDEN), "n_records")
    if out.get_column(GOLDEN).n_unique() != out.height:
        raise CrmdedupError("two clusters received the same `golden_id`; please report this")
    return out


def _valid(schema: pl.Schema, column: str) -> pl.Expr:
    dtype = schema[column]
    valid = pl.col(column).is_not_null()
    if dtype == pl.String:
        valid = valid & (pl.col(column).str.strip_chars().str.len_bytes() > 0)
    elif dtype.is_float():
        valid = valid & ~pl.col(column).is_nan()
    return valid


def _as_text(schema: pl.Schema, column: str) -> pl.Expr:
    if schema[column].is_nested():
        return pl.struct(pl.col(column).alias("value")).struct.json_encode()
    return pl.col(column).cast(pl.String)


def _ordering(
    field: str, rule: SurvivorshipRule, work: pl.DataFrame, policy: MergePolicy, explicit: bool
) -> tuple[tuple[str, ...], list[pl.Expr], list[bool]]:
    """Return (signature, sort keys, descending flags) ranking a cluster's records for ``field``."""
    if rule == "most_recent":
        column = policy.timestamp_column
        if column in work.columns:
            return (rule,), [pl.col(column)], [True]
        if explicit:
            raise SchemaError(
                f"column `{column}` is missing from `records`; field `{field}` uses rule "
                "`most_recent`\nhint: set `MergePolicy(timestamp_column=...)`"
            )
        return ("tie",), [], []
    if rule == "source_priority":
        column = policy.source_column
        if column not in work.columns:
            raise SchemaError(
                f"column `{column}` is missing from `records`; field `{field}` uses rule "
                "`source_priority`\nhint: set `MergePolicy(source_column=...)`"
            )
        ranks = {name: i for i, name in enumerate(policy.source_priority)}
        rank = (
            pl.col(column)
            .cast(pl.String)
            .replace_strict(ranks, default=len(ranks), return_dtype=pl.UInt32)
        )
        return (rule,), [rank], [False]
    if rule == "longest":
        return (rule, field), [pl.col(field).cast(pl.String).str.len_chars()], [True]
    if rule == "most_frequent":
        return (rule, field), [pl.len().over(CLUSTER, field)], [True]
    return ("tie",), [], []


def survivors(
    work: pl.DataFrame, fields: Iterable[str], id_column: str, policy: MergePolicy
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Choose every field's surviving value per cluster.

    Parameters
    ----------
    work
        The records with ``__cluster`` and their input row number.
    fields
        Columns to carry into the golden record.
    id_column, policy
        As given to :func:`crmdedup.merge`.

    Returns
    -------
    tuple of pl.DataFrame
        ``__cluster`` with one column per field, and the provenance rows (``__cluster``,
        ``field``, ``value``, the id column, ``rule``) of every non-null surviving value.
    """
    tie = [pl.col(id_column)] if policy.tie_break == "smallest_id" else []
    tie.append(pl.col(MEMBER_ROW))
    groups: dict[tuple[str, ...], tuple[list[pl.Expr], list[bool], list[str]]] = {}
    for field in fields:
        rule = policy.rule_for(field)
        signature, keys, descending = _ordering(
            field, rule, work, policy, explicit=field in policy.field_rules
        )
        groups.setdefault(signature, (keys, descending, []))[2].append(field)
    values = work.select(CLUSTER).unique()
    provenance: list[pl.DataFrame] = []
    schema = work.schema
    for keys, descending, members in groups.values():
        names = [f"__key{i}" for i in range(len(keys))]
        ranked = work.with_columns(k.alias(n) for k, n in zip(keys, names, strict=True)).sort(
            [CLUSTER, *names, *tie],
            descending=[False, *descending, *([False] * len(tie))],
            nulls_last=True,
        )
        chosen = ranked.group_by(CLUSTER).agg(
            *(pl.col(f).filter(_valid(schema, f)).first() for f in members),
            *(
                pl.col(id_column).filter(_valid(schema, f)).first().alias(f"__src{i}")
                for i, f in enumerate(members)
            ),
        )
        values = values.join(chosen.select(CLUSTER, *members), on=CLUSTER, how="left")
        for i, field in enumerate(members):
            provenance.append(
                chosen.filter(pl.col(f"__src{i}").is_not_null()).select(
                    CLUSTER,
                    pl.lit(field).alias("field"),
                    _as_text(chosen.schema, field).alias("value"),
                    pl.col(f"__src{i}").alias(id_column),
                    pl.lit(policy.rule_for(field)).alias("rule"),
                )
            )
    empty = pl.DataFrame(
        schema={
            CLUSTER: schema[CLUSTER],
            "field": pl.String,
            "value": pl.String,
            id_column: schema[id_column],
            "rule": pl.String,
        }
    )
    return values, pl.concat([empty, *provenance])
