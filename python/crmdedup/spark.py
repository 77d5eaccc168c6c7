"""crmdedup on Apache Spark: the engine's own kernels run where the data is.

Nothing here re-implements matching. Each stage calls the library's public kernels inside
Spark's Arrow-native UDFs, one partition or one group at a time:

1. **keys** (``mapInArrow``): :func:`crmdedup.blocking_keys`, one stable 64-bit hash per record
   and rule, with the record's order key in the rule's blocks;
2. **blocks** (Spark SQL): block sizes per ``(rule, key)``; blocks over ``max_block_size`` are
   reported, never expanded (the cap is the skew bound); the others are ordered and each
   record paired with the next ``pairs_per_record``; a pair belongs to the first rule that
   pairs it, as on one machine;
3. **term frequencies** (``mapInArrow`` + sum): :func:`crmdedup.tf_tables` per partition, added
   up (they are additive), shipped to every scoring task;
4. **score** (``cogroup().applyInArrow``): :func:`crmdedup.score_pairs` over buckets of pairs
   with the records they name, the global term-frequency tables and the given model;
5. **cluster**: connected components of the links, on the driver below
   ``driver_edge_limit`` links, else by label propagation in Spark SQL (lineage cut each
   round); then the engine's own clustering (:func:`crmdedup.cluster`, guarded) over whole
   components, which do not interact, so the clusters are those of one machine.

With the same settings, model and records, :func:`dedupe` returns the clusters and the pair
weights of :func:`crmdedup.dedupe` (``tests/spark``). Install with ``pip install
'crmdedup[spark]'`` (pyspark, pandas and pyarrow; Java 17 on the machine).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

import crmdedup
from crmdedup.errors import ConfigError, SchemaError
from crmdedup.model import Model
from crmdedup.settings import Settings

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pyarrow as pa  # type: ignore[import-untyped]
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkDedupeResult", "dedupe", "fit", "link", "tf_tables"]

#: Links above which clustering leaves the driver for label propagation in Spark SQL.
DRIVER_EDGE_LIMIT = 5_000_000
#: Candidate pairs scored per task (one ``score_pairs`` call).
PAIRS_PER_TASK = 200_000
#: Records per clustering task (whole components only).
RECORDS_PER_CLUSTER_TASK = 200_000
#: Rounds of label propagation before giving up (a chain of links that long is reported).
MAX_ROUNDS = 200


def _pyspark() -> Any:
    try:
        import pyarrow  # noqa: F401
        import pyspark.sql.functions as functions
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise ImportError(
            f"crmdedup.spark needs pyspark, pandas and pyarrow ({e.name} is missing)\n"
            "hint: pip install 'crmdedup[spark]'"
        ) from None
    return functions


@dataclass(frozen=True)
class SparkDedupeResult:
    """What :func:`dedupe` returns: lazy Spark DataFrames and a report.

    Attributes
    ----------
    clusters
        ``<id>``, ``cluster_id`` (the smallest id of the cluster), ``cluster_size``: one row
        per record.
    pairs
        Links at or above the threshold, with the columns of
        :attr:`crmdedup.DedupeResult.pairs` (the smaller id in ``<id>_l``).
    report
        ``rows``, ``candidate_pairs``, ``pairs_per_rule`` (pairs each rule makes on its own),
        ``skipped_blocks`` (the largest 20 over the cap: ``rule``, ``key`` hash, ``size`` and
        an ``example_id``), ``skipped_blocks_total``, ``windowed_blocks``, ``matched_pairs``,
        ``clustering`` (``driver`` or ``spark``, with ``rounds``) and ``timings_s`` per stage.
    model
        The model the pairs were scored with: the one given, or the one fitted over all the
        records (``fit`` in ``timings_s``).
    """

    clusters: DataFrame
    pairs: DataFrame
    report: dict[str, Any] = field(default_factory=dict)
    model: Model | None = None


def _arrow_type(spark_type: Any) -> pa.DataType:
    import pyarrow as pa
    from pyspark.sql import types as T

    if isinstance(spark_type, T.StringType):
        return pa.string()
    if isinstance(spark_type, T.LongType):
        return pa.int64()
    if isinstance(spark_type, T.IntegerType):
        return pa.int32()
    raise SchemaError(
        f"id column: expected strings or integers, got Spark type {spark_type.simpleString()}"
    )


def _to_batches(frame: pl.DataFrame, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """``frame`` as record batches of exactly ``schema`` (Spark rejects polars' string views)."""
    import pyarrow as pa

    table = frame.to_arrow()
    columns = [table.column(f.name).cast(f.type, safe=False) for f in schema]
    yield from pa.Table.from_arrays(columns, schema=schema).to_batches()


def _id_checks(records: DataFrame, id_column: str, table: str = "") -> None:
    F = _pyspark()
    where = f" of the {table} table" if table else ""
    if id_column not in records.columns:
        raise SchemaError(
            f"no id column `{id_column}`{where} (columns: {', '.join(records.columns)})"
        )
    if records.filter(F.col(id_column).isNull()).limit(1).count():
        raise SchemaError(f"id column `{id_column}`{where} has null ids")
    dup = records.groupBy(id_column).count().filter(F.col("count") > 1).limit(1).collect()
    if dup:
        raise SchemaError(f"id column `{id_column}`{where}: id {dup[0][0]!r} is not unique")


def _used_columns(
    records: DataFrame, settings: Settings, id_column: str, table: str = ""
) -> DataFrame:
    """The id and the columns the settings read, nothing else.

    Those are the compared columns (rule keys read only them) and the region column phone
    numbers are read in.
    """
    wanted = {c.column for c in settings.comparisons}
    missing = sorted(c for c in wanted if c not in records.columns)
    where = f" from the {table} table" if table else ""
    if missing:
        raise SchemaError(f"missing column `{missing[0]}`{where} (the settings compare it)")
    region = settings.region_column
    if region is not None and any(c.normalizer == "phone" for c in settings.comparisons):
        if region not in records.columns:
            raise SchemaError(
                f"missing column `{region}`{where} (the settings read phone numbers in the "
                "region it gives, `region_column`)"
            )
        wanted.add(region)
    return records.select(id_column, *sorted(wanted - {id_column}))


def _arguments(
    settings: object, id_column: str | None, model: object = None
) -> tuple[Settings, str]:
    """The settings and id column of a run, checked."""
    if not isinstance(settings, Settings):
        raise ConfigError(f"`settings` must be crmdedup.Settings, got {type(settings).__name__}")
    id_column = id_column or settings.id_column
    if not id_column:
        raise ConfigError("`id_column` is required (or `settings.id_column`)")
    if model is not None and not isinstance(model, Model):
        raise ConfigError(f"`model` must be crmdedup.Model, got {type(model).__name__}")
    return settings, id_column


def _two_tables(
    left: DataFrame, right: DataFrame, settings: Settings, id_column: str
) -> tuple[DataFrame, DataFrame]:
    """Both tables of a linkage checked, reduced to the columns read, ids of one Spark type."""
    from pyspark.sql import types as T

    tables = []
    for name, table in (("left", left), ("right", right)):
        _id_checks(table, id_column, name)
        tables.append(_used_columns(table, settings, id_column, name))
    kinds = [_arrow_type(t.schema[id_column].dataType) for t in tables]
    if (kinds[0] == kinds[1]) or all(str(k).startswith("int") for k in kinds):
        if kinds[0] != kinds[1]:  # int and bigint: both as bigint
            tables = [t.withColumn(id_column, t[id_column].cast(T.LongType())) for t in tables]
        return tables[0], tables[1]
    raise SchemaError(
        f"id column `{id_column}`: the right table's ids ({kinds[1]}) are not of the same kind "
        f"as the left table's ({kinds[0]}); both strings or both integers"
    )


def tf_tables(
    records: DataFrame, settings: Settings, *, id_column: str | None = None
) -> pl.DataFrame:
    """:func:`crmdedup.tf_tables` of a Spark DataFrame: counted per partition, then added up.

    Returns the same polars frame as :func:`crmdedup.tf_tables` over all the records
    (``comparison``, ``value``, ``count``), rows sorted by comparison then value.
    """
    F = _pyspark()
    import pyarrow as pa
    from pyspark.sql import types as T

    if not any(c.term_frequency for c in settings.comparisons):
        return crmdedup.tf_tables(pl.DataFrame(), settings)
    out = pa.schema([("comparison", pa.string()), ("value", pa.string()), ("count", pa.int64())])
    spark_schema = T.StructType(
        [
            T.StructField("comparison", T.StringType()),
            T.StructField("value", T.StringType()),
            T.StructField("count", T.LongType()),
        ]
    )
    cols = [c for c in records.columns if c != id_column] if id_column else records.columns

    def count(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.num_rows:
                part = crmdedup.tf_tables(pl.from_arrow(batch), settings, threads=1)
                yield from _to_batches(part, out)

    summed = (
        records.select(*cols)
        .mapInArrow(count, spark_schema)
        .groupBy("comparison", "value")
        .agg(F.sum("count").alias("count"))
        .toArrow()
    )
    return (
        pl.DataFrame(pl.from_arrow(summed))
        .with_columns(pl.col("count").cast(pl.UInt64))
        .sort("comparison", "value", nulls_last=False)
    )


def _keys(records: DataFrame, settings: Settings, id_column: str) -> DataFrame:
    import pyarrow as pa
    from pyspark.sql import types as T

    id_type = records.schema[id_column].dataType
    out = pa.schema(
        [
            (id_column, _arrow_type(id_type)),
            ("rule", pa.int32()),
            ("key", pa.int64()),
            ("order", pa.int64()),
        ]
    )
    spark_schema = T.StructType(
        [
            T.StructField(id_column, id_type, False),
            T.StructField("rule", T.IntegerType(), False),
            T.StructField("key", T.LongType(), False),
            T.StructField("order", T.LongType(), False),
        ]
    )

    def keys(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.num_rows:
                frame = pl.DataFrame(pl.from_arrow(batch))
                part = crmdedup.blocking_keys(frame, settings, id_column=id_column, threads=1)
                # Spark's longs are signed: flipping the top bit keeps the unsigned order.
                signed = pl.col("order").xor(pl.lit(1 << 63, pl.UInt64)).reinterpret(signed=True)
                yield from _to_batches(part.with_columns(signed), out)

    return records.mapInArrow(keys, spark_schema)


def _score(
    records: DataFrame,
    pairs: DataFrame,
    settings: Settings,
    model: Model,
    tf: pl.DataFrame | None,
    id_column: str,
    n_pairs: int,
    right_records: DataFrame | None = None,
) -> DataFrame:
    """Links at or above the threshold, scored by :func:`crmdedup.score_pairs` per bucket."""
    import pyarrow as pa
    from pyspark.sql import types as T

    id_type = records.schema[id_column].dataType
    left, right = f"{id_column}_l", f"{id_column}_r"
    fields = [
        (left, id_type, _arrow_type(id_type)),
        (right, id_type, _arrow_type(id_type)),
        ("match_weight", T.DoubleType(), pa.float64()),
        ("match_probability", T.DoubleType(), pa.float64()),
    ]
    for c in settings.comparisons:
        fields.append((f"gamma_{c.name}", T.ByteType(), pa.int8()))
        fields.append((f"weight_{c.name}", T.DoubleType(), pa.float64()))
    spark_schema = T.StructType([T.StructField(n, t, False) for n, t, _ in fields])
    out = pa.schema([(n, a) for n, _, a in fields])
    threshold = settings.threshold

    def score(given: pa.Table, recs: pa.Table) -> pa.Table:
        if given.num_rows == 0:
            return out.empty_table()
        data, right_data = _tables(recs)
        todo = pl.DataFrame(pl.from_arrow(given)).select(left, right)
        scored = crmdedup.score_pairs(
            data,
            todo,
            settings,
            model,
            id_column=id_column,
            tf_tables=tf,
            threads=1,
            right_data=right_data,
        ).filter(pl.col("match_probability") >= threshold)
        return pa.Table.from_batches(list(_to_batches(scored, out)), schema=out)

    return _per_bucket(records, pairs, id_column, n_pairs, score, spark_schema, right_records)


def _per_bucket(
    records: DataFrame,
    pairs: DataFrame,
    id_column: str,
    n_pairs: int,
    func: Any,
    spark_schema: Any,
    right: DataFrame | None = None,
) -> DataFrame:
    """``func(pairs, records)`` per bucket of about ``PAIRS_PER_TASK`` pairs.

    Each call is given the records its pairs name (with a column ``in_bucket`` to drop, and
    ``side``, 0 for ``records`` and 1 for ``right``, when linking), in
    ``cogroup().applyInArrow``.
    """
    F = _pyspark()
    left, right_id = f"{id_column}_l", f"{id_column}_r"
    buckets = max(1, math.ceil(n_pairs / PAIRS_PER_TASK))
    bucketed = pairs.withColumn("bucket", F.pmod(F.xxhash64(left), F.lit(buckets)))

    def named(column: str, table: DataFrame) -> DataFrame:
        return (
            bucketed.select(F.col("bucket").alias("in_bucket"), F.col(column).alias(id_column))
            .distinct()
            .join(table, id_column)
        )

    if right is None:
        needed = named(left, records).union(named(right_id, records)).distinct()
    else:
        needed = named(left, records).withColumn("side", F.lit(0).cast("byte"))
        needed = needed.union(named(right_id, right).withColumn("side", F.lit(1).cast("byte")))
    return (
        bucketed.select("bucket", left, right_id)
        .groupBy("bucket")
        .cogroup(needed.groupBy("in_bucket"))
        .applyInArrow(func, spark_schema)
    )


def _tables(recs: pa.Table) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """A bucket's records: the table, or the left and right tables when linking."""
    data = pl.DataFrame(pl.from_arrow(recs)).drop("in_bucket")
    if "side" not in data.columns:
        return data, None
    return (
        data.filter(pl.col("side") == 0).drop("side"),
        data.filter(pl.col("side") == 1).drop("side"),
    )


def _histogram(
    records: DataFrame,
    pairs: DataFrame,
    settings: Settings,
    id_column: str,
    n_pairs: int,
    right_records: DataFrame | None = None,
) -> pl.DataFrame:
    """:func:`crmdedup.pattern_histogram` of ``pairs``, per bucket, summed per pattern."""
    F = _pyspark()
    import pyarrow as pa
    from pyspark.sql import types as T

    left, right = f"{id_column}_l", f"{id_column}_r"
    gammas = [f"gamma_{c.name}" for c in settings.comparisons]
    fields: list[tuple[str, Any, Any]] = [(g, T.ByteType(), pa.int8()) for g in gammas]
    fields += [("rule_mask", T.LongType(), pa.int64()), ("pairs", T.LongType(), pa.int64())]
    spark_schema = T.StructType([T.StructField(n, t, False) for n, t, _ in fields])
    out = pa.schema([(n, a) for n, _, a in fields])

    def count(given: pa.Table, recs: pa.Table) -> pa.Table:
        if given.num_rows == 0:
            return out.empty_table()
        data, right_data = _tables(recs)
        todo = pl.DataFrame(pl.from_arrow(given)).select(left, right)
        hist = crmdedup.pattern_histogram(
            data, todo, settings, id_column=id_column, threads=1, right_data=right_data
        )
        return pa.Table.from_batches(list(_to_batches(hist, out)), schema=out)

    if n_pairs == 0:
        return pl.DataFrame(schema={n: pl.Int64 for n in [*gammas, "rule_mask", "pairs"]})
    summed = (
        _per_bucket(records, pairs, id_column, n_pairs, count, spark_schema, right_records)
        .groupBy(*[F.col(f"`{g}`") for g in gammas], "rule_mask")
        .agg(F.sum("pairs").alias("pairs"))
        .toArrow()
    )
    return pl.DataFrame(pl.from_arrow(summed))


def _ranked(records: DataFrame, id_column: str, offset: int = 0) -> DataFrame:
    """``(<id>, rank)``, persisted: rank ``offset + r`` for the r-th smallest id.

    Ids rank as the engine ranks them: integers by value, strings by their UTF-8 bytes (Spark's
    default string order).
    """
    return (
        records.select(id_column)
        .orderBy(id_column)
        .rdd.zipWithIndex()
        .map(lambda row_rank: (row_rank[0][0], row_rank[1] + offset))
        .toDF([id_column, "rank"])
        .persist()
    )


def _random_pairs(
    ranked: tuple[DataFrame, DataFrame | None],
    settings: Settings,
    id_column: str,
    n_rows: tuple[int, int | None],
) -> tuple[DataFrame, int]:
    """The run's random pairs (:func:`crmdedup.random_pairs`), ranks mapped to ids in Spark.

    ``ranked`` and ``n_rows`` are those of the table, or of the left and right tables when
    linking (right ranks following the left ones).
    """
    F = _pyspark()
    ranked_l, ranked_r = ranked
    spark = ranked_l.sparkSession
    left, right = f"{id_column}_l", f"{id_column}_r"
    n_left, n_right = n_rows
    n = n_left + (n_right or 0)
    ranks = crmdedup.random_pairs(n, settings, n_left=None if n_right is None else n_left)
    pairs_of = ranked_l.select(F.col(id_column).alias(left), F.col(id_column).alias(right))
    if ranks.height == 0:
        return pairs_of.limit(0), 0
    drawn = spark.createDataFrame(ranks.cast(pl.Int64).to_arrow())
    on_right = ranked_l if ranked_r is None else ranked_r
    pairs = (
        drawn.join(
            ranked_l.select(F.col(id_column).alias(left), F.col("rank").alias("rank_l")), "rank_l"
        )
        .join(
            on_right.select(F.col(id_column).alias(right), F.col("rank").alias("rank_r")),
            "rank_r",
        )
        .select(left, right)
    )
    return pairs, ranks.height


def _fit(
    records: DataFrame,
    pairs: DataFrame,
    settings: Settings,
    id_column: str,
    n_rows: int,
    n_pairs: int,
    right: tuple[DataFrame, int] | None = None,
    ranked: tuple[DataFrame, DataFrame | None] | None = None,
) -> Model:
    """The model one machine fits over the same records.

    EM on the summed histograms of every candidate pair and of the run's random pairs
    (:func:`crmdedup.fit_from_histograms`). ``right`` is the right table and its row count
    when linking; ``ranked`` the persisted ranks of the tables, when the caller has them.
    """
    right_records, n_right = (None, None) if right is None else right
    candidates = _histogram(records, pairs, settings, id_column, n_pairs, right_records)
    owned = ranked is None
    if ranked is None:
        ranked = (
            _ranked(records, id_column),
            None if right_records is None else _ranked(right_records, id_column, n_rows),
        )
    try:
        drawn, n_drawn = _random_pairs(ranked, settings, id_column, (n_rows, n_right))
        random = _histogram(records, drawn, settings, id_column, n_drawn, right_records)
    finally:
        if owned:
            for r in ranked:
                if r is not None:
                    r.unpersist()
    # Every pair counted once: a pair lost in a join would change the model silently.
    for what, hist, want in (("candidate", candidates, n_pairs), ("random", random, n_drawn)):
        got = int(hist["pairs"].sum()) if hist.height else 0
        if got != want:
            raise RuntimeError(f"{what} histogram counts {got} pairs, expected {want}")
    return crmdedup.fit_from_histograms(
        candidates,
        random,
        settings,
        n_records=n_rows + (n_right or 0),
        n_left=None if n_right is None else n_rows,
    )


def _components(spark: SparkSession, links: DataFrame, a: str, b: str) -> tuple[DataFrame, int]:
    """``(id, root)`` per linked record, root the smallest id of its connected component."""
    F = _pyspark()
    both = links.select(F.col(a).alias("x"), F.col(b).alias("y")).union(
        links.select(F.col(b).alias("x"), F.col(a).alias("y"))
    )
    labels = (
        both.groupBy("x").agg(F.least(F.min("y"), F.first("x")).alias("root")).localCheckpoint()
    )
    for rounds in range(1, MAX_ROUNDS + 1):
        # Each record takes the smallest root among its neighbours and itself.
        moved = (
            both.join(labels.withColumnRenamed("x", "y"), "y")
            .groupBy("x")
            .agg(F.min("root").alias("near"))
            .join(labels, "x")
            .select(
                "x",
                F.least("near", "root").alias("root"),
                (F.col("near") < F.col("root")).alias("changed"),
            )
            .localCheckpoint()
        )
        labels = moved.select("x", "root")
        if not moved.filter("changed").limit(1).count():
            return labels, rounds
    raise ConfigError(
        f"links form a chain longer than {MAX_ROUNDS} records: clustering did not converge"
    )


def _cluster(
    spark: SparkSession,
    links: DataFrame,
    settings: Settings,
    id_column: str,
    n_links: int,
    driver_edge_limit: int,
) -> tuple[DataFrame, dict[str, Any]]:
    """``(<id>, cluster_id, cluster_size)`` of every linked record, by the engine's clustering."""
    F = _pyspark()
    import pyarrow as pa
    from pyspark.sql import types as T

    left, right = f"{id_column}_l", f"{id_column}_r"
    edges = links.select(left, right, "match_probability")
    id_type = links.schema[left].dataType
    out = pa.schema(
        [
            (id_column, _arrow_type(id_type)),
            ("cluster_id", _arrow_type(id_type)),
            ("cluster_size", pa.int64()),
        ]
    )
    spark_schema = T.StructType(
        [
            T.StructField(id_column, id_type, False),
            T.StructField("cluster_id", id_type, False),
            T.StructField("cluster_size", T.LongType(), False),
        ]
    )

    def run(table: pa.Table) -> pl.DataFrame:
        frame = pl.DataFrame(pl.from_arrow(table)).select(left, right, "match_probability")
        ids = pl.concat([frame[left], frame[right]]).unique().sort()
        return crmdedup.cluster(
            frame,
            ids,
            id_column=id_column,
            method=settings.clustering,
            guard_probability=settings.guard_probability,
            threads=1,
        )

    if n_links <= driver_edge_limit:
        assigned = run(edges.toArrow())
        table = pa.Table.from_batches(list(_to_batches(assigned, out)), schema=out)
        return spark.createDataFrame(table, schema=spark_schema), {"clustering": "driver"}
    roots, rounds = _components(spark, edges, left, right)
    groups = max(1, math.ceil(roots.count() / RECORDS_PER_CLUSTER_TASK))
    grouped = edges.join(roots.select(F.col("x").alias(left), "root"), left).withColumn(
        "group", F.pmod(F.xxhash64("root"), F.lit(groups))
    )

    def per_group(table: pa.Table) -> pa.Table:
        return pa.Table.from_batches(list(_to_batches(run(table), out)), schema=out)

    clustered = grouped.groupBy("group").applyInArrow(per_group, spark_schema)
    return clustered, {"clustering": "spark", "rounds": rounds}


@dataclass
class _Blocks:
    keys: DataFrame
    sizes: DataFrame
    pairs: DataFrame
    n_pairs: int
    per_rule: dict[int, int]
    skipped: list[dict[str, Any]]
    skipped_total: int
    windowed: int

    def unpersist(self) -> None:
        for df in (self.keys, self.sizes, self.pairs):
            df.unpersist()


def _candidates(
    records: DataFrame, settings: Settings, id_column: str, right: DataFrame | None = None
) -> _Blocks:
    """Every candidate pair once, owned by the first rule that pairs it in a block.

    With ``right`` (linkage), blocks count and order the records of both tables (as one
    machine caps and orders them) and pairs join a left record to a right one.
    """
    F = _pyspark()
    from pyspark.sql import Window as W

    left, right_id = f"{id_column}_l", f"{id_column}_r"
    keys_l = _keys(records, settings, id_column).withColumn("side", F.lit(0))
    keys = (
        keys_l
        if right is None
        else keys_l.union(_keys(right, settings, id_column).withColumn("side", F.lit(1)))
    )
    keys = keys.persist()
    sizes = (
        keys.groupBy("rule", "key")
        .agg(
            F.count("*").alias("size"),
            # The first record of the block: left before right, smallest id first.
            F.min(F.struct("side", id_column)).alias("first"),
        )
        .persist()
    )
    cap = settings.max_block_size
    over = sizes.filter(F.col("size") > cap)
    skipped_total = over.count()
    skipped = []
    for r in over.orderBy(F.desc("size"), "rule", "key").limit(20).collect():
        block = {"rule": r["rule"], "key": r["key"] % 2**64, "size": r["size"]}
        block["example_id"] = r["first"][id_column]
        if right is not None:
            block["example_source"] = ("left", "right")[r["first"]["side"]]
        skipped.append(block)
    # No block is larger than the cap: a wider window pairs it in full. Clamped so that the
    # literals stay longs whatever the settings.
    window = min(settings.pairs_per_record, cap, 2**62)
    windowed = sizes.filter((F.col("size") > window + 1) & (F.col("size") <= cap)).count()
    # Each expanded block in its order (order key, then left before right, then id): a record
    # is paired with the next `pairs_per_record`, as one machine pairs them.
    in_order = W.partitionBy("rule", "key").orderBy("order", "side", id_column)
    # Names of their own, so that no id column (`pos`…) collides with them.
    pos_a, pos_b, side_a, side_b, id_a, id_b = (
        f"__crmdedup_{n}" for n in ("pos_a", "pos_b", "side_a", "side_b", "id_a", "id_b")
    )
    expanded = keys.join(
        sizes.filter((F.col("size") >= 2) & (F.col("size") <= cap)).select("rule", "key"),
        ["rule", "key"],
    ).withColumn(pos_a, F.row_number().over(in_order))
    a = expanded.select(
        "rule", "key", pos_a, F.col("side").alias(side_a), F.col(id_column).alias(id_a)
    )
    b = expanded.select(
        "rule",
        "key",
        F.col(pos_a).alias(pos_b),
        F.col("side").alias(side_b),
        F.col(id_column).alias(id_b),
    )
    near = a.join(b, ["rule", "key"]).filter(
        (F.col(pos_b) > F.col(pos_a)) & (F.col(pos_b) - F.col(pos_a) <= window)
    )
    if right is None:
        raw = near.select(
            "rule",
            "key",
            F.least(id_a, id_b).alias(left),
            F.greatest(id_a, id_b).alias(right_id),
        )
    else:
        first = F.col(side_a) == 0
        raw = near.filter(F.col(side_a) != F.col(side_b)).select(
            "rule",
            "key",
            F.when(first, F.col(id_a)).otherwise(F.col(id_b)).alias(left),
            F.when(first, F.col(id_b)).otherwise(F.col(id_a)).alias(right_id),
        )
    raw = raw.persist()
    # Per rule before the union (as one machine reports them), then the union: read twice.
    per_rule: dict[int, int] = dict(raw.groupBy("rule").count().collect())
    pairs = raw.groupBy(left, right_id).agg(F.min("rule").alias("rule")).persist()
    n_pairs = pairs.count()
    raw.unpersist()
    return _Blocks(keys, sizes, pairs, n_pairs, per_rule, skipped, skipped_total, windowed)


def fit(
    records: DataFrame,
    settings: Settings,
    *,
    id_column: str | None = None,
    right: DataFrame | None = None,
) -> Model:
    """Fit the model :func:`crmdedup.dedupe` fits over the same records, on Spark.

    The candidate pairs (blocking as in :func:`dedupe`) and the run's random pairs
    (:func:`crmdedup.random_pairs`, ranks mapped to ids by a Spark sort) are counted by
    pattern per bucket with :func:`crmdedup.pattern_histogram`, summed per pattern in Spark,
    and EM runs once on the driver over the sums (:func:`crmdedup.fit_from_histograms`) with
    the global record count. Histograms are counts, so the model is bit for bit the
    single-machine one whatever the partitioning (``tests/spark``), with one exception: dates
    whose day/month order is ambiguous are read with the order a kernel call's values settle
    (see docs/spark.md, Known limits).

    With ``right``, the model :func:`crmdedup.link` fits linking ``records`` (the left table)
    to ``right``.

    Raises
    ------
    SchemaError
        A missing id or compared column, null or duplicate ids.
    ConfigError
        Invalid settings.
    """
    _pyspark()
    settings, id_column = _arguments(settings, id_column)
    if right is None:
        _id_checks(records, id_column)
        tables = [_used_columns(records, settings, id_column)]
    else:
        tables = list(_two_tables(records, right, settings, id_column))
    tables = [t.persist() for t in tables]
    try:
        counts = [t.count() for t in tables]
        other = (tables[1], counts[1]) if right is not None else None
        blocks = _candidates(tables[0], settings, id_column, None if other is None else other[0])
        try:
            return _fit(
                tables[0], blocks.pairs, settings, id_column, counts[0], blocks.n_pairs, other
            )
        finally:
            blocks.unpersist()
    finally:
        for t in tables:
            t.unpersist()


def _inferred(records: DataFrame, sample_rows: int) -> Settings:
    """Settings inferred from the first ``sample_rows`` records, collected to the driver."""
    return crmdedup.infer_settings(
        pl.DataFrame(pl.from_arrow(records.limit(sample_rows).toArrow()))
    )


def _stopwatch() -> tuple[dict[str, float], Any]:
    """Timings per stage and the function that closes a stage."""
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = round(now - clock[0], 3)
        clock[0] = now

    return timings, lap


def dedupe(
    records: DataFrame,
    settings: Settings | None = None,
    *,
    model: Model | None = None,
    id_column: str | None = None,
    tf: pl.DataFrame | None = None,
    sample_rows: int = 200_000,
    driver_edge_limit: int = DRIVER_EDGE_LIMIT,
) -> SparkDedupeResult:
    """Find duplicates in a Spark DataFrame with the engine's kernels on the executors.

    Parameters
    ----------
    records
        Contacts: a Spark DataFrame with the id column and the columns the settings compare.
    settings
        The settings of the run. None infers them (:func:`crmdedup.infer_settings`) from the
        first ``sample_rows`` records, collected to the driver.
    model
        A fitted model (:meth:`crmdedup.Model.load`, :func:`fit`, or a local run's). None
        fits one over all the records as :func:`fit` does (the model one machine fits, so
        the clusters are those of :func:`crmdedup.dedupe` without a model).
    id_column
        Column of unique ids (strings or integers); default ``settings.id_column``.
    tf
        Frozen term-frequency tables (:func:`crmdedup.tf_tables`); default: counted over
        ``records`` by :func:`tf_tables`, as one machine counts them.
    sample_rows
        Records collected to the driver when settings are inferred.
    driver_edge_limit
        Links up to which clustering runs on the driver (one :func:`crmdedup.cluster` call);
        above, components are found in Spark SQL and clustered group by group.

    Returns
    -------
    SparkDedupeResult
        Lazy ``clusters`` and ``pairs`` DataFrames (recomputed on each action: persist them
        when using both) and the ``report`` of the stages already run.

    Raises
    ------
    SchemaError
        A missing id or compared column, null or duplicate ids.
    ConfigError
        Invalid settings, a model that does not fit them.
    """
    F = _pyspark()
    spark = records.sparkSession
    timings, lap = _stopwatch()
    if settings is None:
        settings = _inferred(records, sample_rows)
    settings, id_column = _arguments(settings, id_column, model)
    _id_checks(records, id_column)
    records = _used_columns(records, settings, id_column).persist()
    n_rows = records.count()
    lap("read")

    if tf is None and any(c.term_frequency for c in settings.comparisons):
        tf = tf_tables(records, settings, id_column=id_column)
    lap("term_frequencies")

    blocks = _candidates(records, settings, id_column)
    pairs, n_pairs = blocks.pairs, blocks.n_pairs
    lap("block")

    if model is None:
        model = _fit(records, pairs, settings, id_column, n_rows, n_pairs)
        lap("fit")

    links = _score(records, pairs, settings, model, tf, id_column, n_pairs).persist()
    n_links = links.count()
    lap("score")

    assigned, how = _cluster(spark, links, settings, id_column, n_links, driver_edge_limit)
    assigned = assigned.persist()
    assigned.count()
    clusters = (
        records.select(id_column)
        .join(assigned, id_column, "left")
        .select(
            id_column,
            F.coalesce("cluster_id", id_column).alias("cluster_id"),
            F.coalesce("cluster_size", F.lit(1)).cast("int").alias("cluster_size"),
        )
    )
    lap("cluster")
    blocks.unpersist()
    report = _report(blocks, settings, {"rows": n_rows}, n_links, {**how, "timings_s": timings})
    return SparkDedupeResult(clusters=clusters, pairs=links, report=report, model=model)


def _report(
    blocks: _Blocks,
    settings: Settings,
    rows: dict[str, int],
    n_links: int,
    rest: dict[str, Any],
) -> dict[str, Any]:
    return {
        **rows,
        "candidate_pairs": blocks.n_pairs,
        "pairs_per_rule": [blocks.per_rule.get(r, 0) for r in range(len(settings.blocking_rules))],
        "skipped_blocks": blocks.skipped,
        "skipped_blocks_total": blocks.skipped_total,
        "windowed_blocks": blocks.windowed,
        "matched_pairs": n_links,
        **rest,
    }


def _summed_tf(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Term-frequency tables added up (they are counts)."""
    return (
        pl.concat(parts)
        .group_by("comparison", "value")
        .agg(pl.col("count").sum())
        .sort("comparison", "value", nulls_last=False)
    )


def link(
    left: DataFrame,
    right: DataFrame,
    settings: Settings | None = None,
    *,
    model: Model | None = None,
    id_column: str | None = None,
    tf: pl.DataFrame | None = None,
    sample_rows: int = 200_000,
    driver_edge_limit: int = DRIVER_EDGE_LIMIT,
) -> SparkDedupeResult:
    """Link two Spark DataFrames: pairs join a left record to a right one; clusters span both.

    The Spark form of :func:`crmdedup.link`, stage by stage as :func:`dedupe`: blocks count
    the records of both tables against ``max_block_size`` and expand into left-by-right pairs;
    each bucket's pairs are scored with the left and right records they name, each table read
    as one machine reads it (:func:`crmdedup.score_pairs` with ``right_data``); a model is
    fitted over both tables when none is given (``fit(left, settings, right=right)``).

    Parameters are those of :func:`dedupe`; ``id_column`` names the id column of both tables
    (both strings or both integers), and settings are inferred from the left table when
    None. ``tf`` counts both tables (``crmdedup.tf_tables(left, settings, right=right)``).

    Returns
    -------
    SparkDedupeResult
        ``clusters``: ``source_dataset`` (``left`` or ``right``), the id, ``cluster_id`` (the
        cluster's first record's rank, left records before right ones, smallest id first:
        the integer :func:`crmdedup.link` gives) and ``cluster_size``; ``pairs``: the left id in
        ``<id>_l``, the right id in ``<id>_r``; ``report`` as :func:`dedupe`'s, with
        ``rows_left`` and, per skipped block, ``example_source``.

    Raises
    ------
    SchemaError
        A missing id or compared column, null or duplicate ids (naming the table), ids of
        different kinds.
    ConfigError
        Invalid settings, a model that does not fit them.
    """
    F = _pyspark()
    spark = left.sparkSession
    timings, lap = _stopwatch()
    if settings is None:
        settings = _inferred(left, sample_rows)
    settings, id_column = _arguments(settings, id_column, model)
    left, right = (t.persist() for t in _two_tables(left, right, settings, id_column))
    n_left, n_right = left.count(), right.count()
    lap("read")

    if tf is None and any(c.term_frequency for c in settings.comparisons):
        tf = _summed_tf([tf_tables(t, settings, id_column=id_column) for t in (left, right)])
    lap("term_frequencies")

    blocks = _candidates(left, settings, id_column, right)
    lap("block")

    ranked = (_ranked(left, id_column), _ranked(right, id_column, n_left))
    if model is None:
        model = _fit(
            left,
            blocks.pairs,
            settings,
            id_column,
            n_left,
            blocks.n_pairs,
            (right, n_right),
            ranked,
        )
        lap("fit")

    links = _score(left, blocks.pairs, settings, model, tf, id_column, blocks.n_pairs, right)
    links = links.persist()
    n_links = links.count()
    lap("score")

    # The engine clusters rows: a record's row is its rank, left then right, so the smallest
    # row of a cluster is the cluster id one machine gives it.
    rows = links.join(
        ranked[0].select(F.col(id_column).alias(f"{id_column}_l"), F.col("rank").alias("row_l")),
        f"{id_column}_l",
    ).join(
        ranked[1].select(F.col(id_column).alias(f"{id_column}_r"), F.col("rank").alias("row_r")),
        f"{id_column}_r",
    )
    assigned, how = _cluster(
        spark,
        rows.select("row_l", "row_r", "match_probability"),
        settings,
        "row",
        n_links,
        driver_edge_limit,
    )
    assigned = assigned.persist()
    assigned.count()
    sides = (
        ranked[0]
        .withColumn("source_dataset", F.lit("left"))
        .union(ranked[1].withColumn("source_dataset", F.lit("right")))
    )
    clusters = sides.join(assigned, sides["rank"] == assigned["row"], "left").select(
        "source_dataset",
        id_column,
        F.coalesce("cluster_id", "rank").alias("cluster_id"),
        F.coalesce("cluster_size", F.lit(1)).cast("int").alias("cluster_size"),
    )
    lap("cluster")
    blocks.unpersist()
    report = _report(
        blocks,
        settings,
        {"rows": n_left + n_right, "rows_left": n_left},
        n_links,
        {**how, "timings_s": timings},
    )
    return SparkDedupeResult(clusters=clusters, pairs=links, report=report, model=model)
