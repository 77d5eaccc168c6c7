"""Kernels: the stages of a run as separate calls, for distributed or incremental matching.

Each kernel runs the engine code :func:`crmdedup.dedupe` runs, so its results equal a batch
run's: :func:`blocking_keys` gives the blocking key of every record under every rule as a
stable 64-bit hash, :func:`score_pairs` scores given candidate pairs with a fitted model, and
:func:`candidate_changes` says which candidate pairs appear and disappear when records are
inserted or removed, with the block-size cap and rule ownership of a batch run, and
:func:`pattern_histogram`, :func:`random_pairs` and :func:`fit_from_histograms` split the fit
into counts that add up (per partition) and one EM on their sums. They take
settings (never inferred: every partition must use the same) and are stateless: batch in,
table out.
"""

from __future__ import annotations

import os
from typing import Literal

import polars as pl

from crmdedup import _core
from crmdedup._arrow import TableLike, to_engine
from crmdedup._checks import check_threads
from crmdedup._ids import check_ids
from crmdedup.api import _settings_for
from crmdedup.errors import ConfigError, SchemaError
from crmdedup.model import Model
from crmdedup.settings import Settings

__all__ = [
    "KEY_HASH",
    "Status",
    "blocking_keys",
    "candidate_changes",
    "fit_from_histograms",
    "pattern_histogram",
    "random_pairs",
    "score_pairs",
]

KEY_HASH = "xxh3_64-v1"
"""Name and version of the blocking key hash: xxh3-64 with seed 0 over the UTF-8 bytes of each
key part followed by the byte 0xFF, lowest bit then set (0 is never a key). Keys stored by an
incremental base or a Spark job are comparable while this name is unchanged."""

Status = Literal["unchanged", "inserted", "removed"]
"""What happens to a record between two runs, in :func:`candidate_changes`."""


def _settings(settings: object) -> Settings:
    if settings is None:
        raise ConfigError(
            "`settings` are required by the kernels (inferred settings could differ between "
            "the partitions of one run)\nhint: pass the Settings of the run, or a TOML path"
        )
    if not isinstance(settings, Settings | str | os.PathLike):
        raise ConfigError(
            f"`settings` must be Settings or a TOML path, got {type(settings).__name__}"
        )
    return _settings_for(pl.DataFrame(), settings)


def _records(data: TableLike, id_column: object, *, name: str) -> pl.DataFrame:
    if not isinstance(id_column, str):
        raise ConfigError(f"`id_column`: expected a column name, got {id_column!r}")
    frame = to_engine(data, name=name)
    if id_column not in frame.columns:
        raise SchemaError(
            f"column `{id_column}` is missing from `{name}` (available: "
            f"{', '.join(f'`{c}`' for c in frame.columns)})"
        )
    check_ids(frame, id_column, table=name)
    return frame


def blocking_keys(
    data: TableLike,
    settings: Settings | str | os.PathLike[str],
    *,
    id_column: str,
    threads: int | None = None,
) -> pl.DataFrame:
    """The blocking key of every record under every blocking rule, as a 64-bit hash.

    One row per record and rule under which the record has a key: a record with a null or
    empty key part under a rule (no email, no first name for ``first_name[:1]``) has no row
    for it, as it is in no block of that rule. Rows come rule by rule, records in input order.
    Two records share a block of rule ``r`` exactly when their keys under ``r`` are equal, so
    grouping by (``rule``, ``key``) gives a run's blocks, before the ``max_block_size`` cap.
    Sorted by (``order``, id), a block within the cap pairs each record with the next
    ``pairs_per_record`` (see :class:`Settings`).

    The hash is specified (see :data:`KEY_HASH`) and stable across processes, machines and
    releases that keep its name: xxh3-64, seed 0, over ``part1 0xFF part2 0xFF ...`` (UTF-8
    bytes of the normalised key parts), with the lowest bit set.

    Parameters
    ----------
    data
        Contacts, as for :func:`crmdedup.dedupe`.
    settings
        :class:`Settings` or a TOML path: their blocking rules and normalisers are used.
    id_column
        Column of unique record ids (strings or integers).
    threads
        Worker threads, 1 to ``MAX_THREADS``; default all cores. Results do not depend on it.

    Returns
    -------
    polars.DataFrame
        ``<id_column>``, ``rule`` (UInt32: the rule's index in ``settings.blocking_rules``),
        ``key`` (UInt64) and ``order`` (UInt64: the first eight bytes, big-endian, of the
        normalised value of the first compared column the rule does not read, dates apart;
        ``2**64 - 1`` without one).

    Raises
    ------
    SchemaError
        Missing or mistyped columns, null or duplicate ids.
    ConfigError
        Invalid settings or arguments.

    Examples
    --------
    >>> import polars as pl
    >>> import crmdedup
    >>> df = pl.DataFrame({
    ...     "id": ["a", "b", "c"],
    ...     "last_name": ["Martin", "MARTIN", "Curie"],
    ...     "email": ["a@x.fr", None, "c@y.fr"],
    ... })
    >>> s = crmdedup.Settings(
    ...     comparisons=(crmdedup.Comparison("last_name", normalizer="name"),
    ...                  crmdedup.Comparison("email", method="exact", normalizer="email")),
    ...     blocking_rules=(crmdedup.BlockingRule(("last_name",)),
    ...                     crmdedup.BlockingRule(("email",))),
    ... )
    >>> keys = crmdedup.blocking_keys(df, s, id_column="id")
    >>> keys.columns, keys.height
    (['id', 'rule', 'key', 'order'], 5)
    >>> by_rule = keys.filter(pl.col("rule") == 0)["key"].to_list()
    >>> by_rule[0] == by_rule[1] != by_rule[2]
    True
    """
    check_threads(threads)
    resolved = _settings(settings)
    frame = _records(data, id_column, name="data")
    table = _core.blocking_keys(frame, resolved.to_json(), id_column=id_column, threads=threads)
    return pl.DataFrame(table)


def score_pairs(
    data: TableLike,
    pairs: TableLike,
    settings: Settings | str | os.PathLike[str],
    model: Model,
    *,
    id_column: str,
    left: str | None = None,
    right: str | None = None,
    tf_tables: TableLike | None = None,
    threads: int | None = None,
    right_data: TableLike | None = None,
) -> pl.DataFrame:
    """Score given candidate pairs with a fitted model: no blocking, fitting or threshold.

    Every pair comes back, in the order given, with the columns of
    :attr:`DedupeResult.pairs`: ``<id>_l`` (the id from ``left``), ``<id>_r`` (from
    ``right``), ``match_weight``, ``match_probability``, and per comparison ``gamma_<name>``
    and ``weight_<name>``. A pair's weight is bit for bit the one :func:`crmdedup.dedupe`
    gives it over the same records with the same model: the same normalisers, levels, rules
    blocking it (every rule under which both records share a key, whether or not its block
    was over the cap) and scoring.

    Parameters
    ----------
    data
        The records the pairs name, as for :func:`crmdedup.dedupe`. Without ``tf_tables``,
        term-frequency adjustments count values in ``data``, so pass all the records of the
        run (or the run's frozen tables) for weights equal to the run's.
    pairs
        Candidate pairs: two columns of ids of ``data``, in any order and orientation.
    settings
        :class:`Settings` or a TOML path, those the model was fitted with.
    model
        The model (a result's ``model`` or :meth:`Model.load`).
    id_column
        The id column of ``data``.
    left, right
        The id columns of ``pairs``; default ``<id_column>_l`` and ``<id_column>_r``.
    tf_tables
        Frozen term-frequency tables (:func:`crmdedup.tf_tables`), as for
        :func:`crmdedup.dedupe`.
    threads
        Worker threads, 1 to ``MAX_THREADS``; default all cores. Results do not depend on it.
    right_data
        For linkage: the right table (the same ``id_column``). Left ids then name records of
        ``data`` and right ids records of ``right_data``, and each table is normalised as
        :func:`crmdedup.link` normalises it, so weights are those of a link run (with
        ``tf_tables`` counting both sides).

    Returns
    -------
    polars.DataFrame
        One row per pair of ``pairs``.

    Raises
    ------
    SchemaError
        Missing or mistyped columns, null or duplicate ids in ``data``, a pair naming an id
        that is not in ``data`` or one record twice (naming column, value and row), or
        ``tf_tables`` that do not fit the settings.
    ConfigError
        Invalid settings or arguments, a model that does not fit the settings.

    Examples
    --------
    >>> import polars as pl
    >>> import crmdedup
    >>> df = crmdedup.datasets.load_sample()
    >>> run = crmdedup.dedupe(df, id_column="record_id")
    >>> again = crmdedup.score_pairs(df, run.pairs, run.settings, run.model,
    ...                              id_column="record_id")
    >>> again["match_weight"].equals(run.pairs["match_weight"])
    True
    """
    check_threads(threads)
    if not isinstance(model, Model):
        raise ConfigError(
            f"`model`: expected a crmdedup.Model (a result's `model` or Model.load(path)), "
            f"got {type(model).__name__}"
        )
    resolved = _settings(settings)
    frame = _records(data, id_column, name="data")
    table = _core.score_pairs(
        frame,
        to_engine(pairs, name="pairs"),
        resolved.to_json(),
        model.to_json(),
        id_column=id_column,
        left=left,
        right=right,
        tf_tables=None if tf_tables is None else to_engine(tf_tables, name="tf_tables"),
        threads=threads,
        right_data=_right_records(right_data, id_column),
    )
    return pl.DataFrame(table)


def candidate_changes(
    keys: TableLike,
    settings: Settings | str | os.PathLike[str],
    *,
    id_column: str,
    status: str = "status",
) -> pl.DataFrame:
    """The candidate pairs that appear and disappear when records are inserted or removed.

    ``keys`` is a :func:`blocking_keys` table of the records of both runs with one more
    column, ``status``: per record ``unchanged`` (in both runs), ``inserted`` (only in the
    later one) or ``removed`` (only in the earlier one); a changed record is a removal of its
    old version and an insertion of the new one, under two ids. A run's candidate pairs are
    those :func:`crmdedup.dedupe` would block: pairs sharing a key under some rule whose block
    has at most ``max_block_size`` records in that run, at most ``pairs_per_record`` apart in
    the block's order (``order``, then id). So a block crossing the cap upwards takes away the
    pairs of its unchanged records too, unless another rule still pairs them, and one crossing
    it downwards brings them; a record arriving in a block larger than the window moves its
    neighbours apart. Only the blocks holding an inserted or removed record are expanded into
    pairs (every block given is ordered).

    Parameters
    ----------
    keys
        ``<id_column>``, ``rule``, ``key``, ``order`` (as :func:`blocking_keys` returns them)
        and ``status``.
    settings
        :class:`Settings` or a TOML path: ``max_block_size``, ``pairs_per_record`` and the
        number of rules.
    id_column
        The id column of ``keys``.
    status
        The status column of ``keys``.

    Returns
    -------
    polars.DataFrame
        One row per changed pair, smaller id first, in id order: ``<id>_l``, ``<id>_r``,
        ``change`` (``added`` or ``removed``) and ``rule`` (UInt32), the rule owning the pair
        in the run that has it: the first rule that pairs them.

    Raises
    ------
    SchemaError
        Missing or mistyped columns, a null id, a status that is not one of the three, a
        record with two statuses or two keys under one rule, a rule out of range, a key of 0
        (naming the column and row).
    ConfigError
        Invalid settings.

    Examples
    --------
    >>> import polars as pl
    >>> import crmdedup
    >>> old = pl.DataFrame({"id": ["a", "b"], "email": ["x@y.fr", "X@y.fr"]})
    >>> new = pl.DataFrame({"id": ["c"], "email": ["x@y.fr"]})
    >>> s = crmdedup.Settings(
    ...     comparisons=(crmdedup.Comparison("email", method="exact", normalizer="email"),),
    ...     blocking_rules=(crmdedup.BlockingRule(("email",)),),
    ...     max_block_size=2,
    ... )
    >>> keys = pl.concat([
    ...     crmdedup.blocking_keys(old, s, id_column="id").with_columns(status=pl.lit("unchanged")),
    ...     crmdedup.blocking_keys(new, s, id_column="id").with_columns(status=pl.lit("inserted")),
    ... ])
    >>> crmdedup.candidate_changes(keys, s, id_column="id").rows()
    [('a', 'b', 'removed', 0)]

    The block of ``x@y.fr`` grows to three records, over the cap of two: its pair goes.
    """
    if not isinstance(id_column, str):
        raise ConfigError(f"`id_column`: expected a column name, got {id_column!r}")
    if not isinstance(status, str):
        raise ConfigError(f"`status`: expected a column name, got {status!r}")
    resolved = _settings(settings)
    frame = to_engine(keys, name="keys")
    table = _core.candidate_changes(frame, resolved.to_json(), id_column=id_column, status=status)
    return pl.DataFrame(table)


def pattern_histogram(
    data: TableLike,
    pairs: TableLike,
    settings: Settings | str | os.PathLike[str],
    *,
    id_column: str,
    left: str | None = None,
    right: str | None = None,
    threads: int | None = None,
    right_data: TableLike | None = None,
) -> pl.DataFrame:
    """The comparison patterns of given pairs, counted: what fitting a model reads.

    One row per distinct pattern: ``gamma_<name>`` per comparison (Int8, -1 for a null on
    either side), ``rule_mask`` (UInt32, bit ``r`` set when both records have the same key
    under blocking rule ``r``, whether or not its block was over the cap) and ``pairs``
    (UInt64), sorted by levels then mask. Pairs are graded exactly as :func:`score_pairs`
    grades them, so the histograms of disjoint sets of pairs (one per partition), concatenated
    or summed per pattern, are the histogram of all of them.

    Parameters
    ----------
    data
        The records the pairs name, as for :func:`crmdedup.dedupe`.
    pairs
        Two columns of ids of ``data``, in any order and orientation; a pair may repeat (it
        is counted each time).
    settings
        :class:`Settings` or a TOML path.
    id_column
        The id column of ``data``.
    left, right
        The id columns of ``pairs``; default ``<id_column>_l`` and ``<id_column>_r``.
    threads
        Worker threads, 1 to ``MAX_THREADS``; default all cores. Results do not depend on it.
    right_data
        For linkage, the right table: as for :func:`score_pairs`.

    Raises
    ------
    SchemaError
        Missing or mistyped columns, null or duplicate ids in ``data``, a pair naming an id
        that is not in ``data`` or one record twice (naming column, value and row).
    ConfigError
        Invalid settings or arguments.

    Examples
    --------
    >>> import polars as pl
    >>> import crmdedup
    >>> df = crmdedup.datasets.load_sample()
    >>> run = crmdedup.dedupe(df, id_column="record_id")
    >>> hist = crmdedup.pattern_histogram(df, run.pairs, run.settings, id_column="record_id")
    >>> int(hist["pairs"].sum()) == run.pairs.height
    True
    """
    check_threads(threads)
    resolved = _settings(settings)
    frame = _records(data, id_column, name="data")
    table = _core.pattern_histogram(
        frame,
        to_engine(pairs, name="pairs"),
        resolved.to_json(),
        id_column=id_column,
        left=left,
        right=right,
        threads=threads,
        right_data=_right_records(right_data, id_column),
    )
    return pl.DataFrame(table)


def _right_records(right_data: TableLike | None, id_column: str) -> pl.DataFrame | None:
    return None if right_data is None else _records(right_data, id_column, name="right_data")


def _count(value: object, name: str, *, at_least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < at_least:
        raise ConfigError(f"`{name}`: expected an integer >= {at_least}, got {value!r}")
    return value


def _counts(n_records: object, n_left: object) -> tuple[int, int | None]:
    n = _count(n_records, "n_records", at_least=0)
    left = None if n_left is None else _count(n_left, "n_left", at_least=0)
    if left is not None and left > n:
        raise ConfigError(f"`n_left` ({left}) is larger than `n_records` ({n})")
    return n, left


def random_pairs(
    n_records: int,
    settings: Settings | str | os.PathLike[str],
    *,
    n_left: int | None = None,
) -> pl.DataFrame:
    """The random record pairs a run over ``n_records`` records estimates u from.

    Pairs of id ranks, ``rank_l`` and ``rank_r`` (UInt32): rank ``r`` is the record with the
    ``r``-th smallest id (0-based; integers by value, strings by their UTF-8 bytes, as a
    Spark ``orderBy`` sorts them). For linkage, ``n_left`` records are the left table and
    right ranks start at ``n_left``. The draw is seeded by ``settings.em.seed`` and
    ``n_records`` only, so every process draws the same pairs; a pair may repeat. Map the
    ranks to ids, then count their patterns with :func:`pattern_histogram`.

    Raises
    ------
    ConfigError
        Invalid settings, a negative count, ``n_left`` above ``n_records``.
    """
    resolved = _settings(settings)
    n, left = _counts(n_records, n_left)
    return pl.DataFrame(_core.random_pairs(n, resolved.to_json(), n_left=left))


def fit_from_histograms(
    candidates: TableLike,
    random: TableLike,
    settings: Settings | str | os.PathLike[str],
    *,
    n_records: int,
    n_left: int | None = None,
) -> Model:
    """Fit a model from pattern histograms: what :func:`crmdedup.dedupe` fits, from counts.

    ``candidates`` is the :func:`pattern_histogram` of every candidate pair of the run (each
    once: the pairs every rule makes in its blocks within the cap), ``random`` that of the
    :func:`random_pairs` of ``n_records`` records mapped to ids. Rows of one pattern are
    added up, so per-partition histograms may be concatenated as they are. u comes from the
    random pairs, then m and the priors by EM over the candidates, and the prior of two
    random records needs the global ``n_records``. With the same records and settings the
    model is bit for bit the one :func:`crmdedup.dedupe` fits (``model=None``); fewer than
    1,000 random pairs give the documented defaults.

    Parameters
    ----------
    candidates, random
        Tables with the columns of :func:`pattern_histogram`.
    settings
        :class:`Settings` or a TOML path: those the histograms were computed with.
    n_records
        Records of the run (both tables when linking).
    n_left
        For linkage: records of the left table.

    Raises
    ------
    SchemaError
        A histogram column missing or not integers, or a value out of range (a level the
        comparison does not have, a rule the settings do not have, a null or negative
        count), naming the table, column and row.
    ConfigError
        Invalid settings or counts.
    """
    resolved = _settings(settings)
    n, left = _counts(n_records, n_left)
    text = _core.fit_from_histograms(
        to_engine(candidates, name="candidates"),
        to_engine(random, name="random"),
        resolved.to_json(),
        n_records=n,
        n_left=left,
    )
    return Model(text)
