"""Term-frequency tables as data: count once, save, and score later runs with the same counts."""

from __future__ import annotations

import os

import polars as pl

from crmdedup import _core
from crmdedup._arrow import TableLike, to_engine
from crmdedup._checks import check_threads
from crmdedup.api import _settings_for
from crmdedup.settings import Settings

__all__ = ["tf_tables"]


def tf_tables(
    data: TableLike,
    settings: Settings | str | os.PathLike[str] | None = None,
    *,
    right: TableLike | None = None,
    threads: int | None = None,
) -> pl.DataFrame:
    """Term-frequency tables: how many records hold each normalised value, per comparison.

    One table per comparison with ``term_frequency`` on, all in one frame of three columns:
    ``comparison`` (its name), ``value`` (a normalised value) and ``count`` (records holding
    it, UInt64). Each comparison also has one row with a null ``value`` whose ``count`` is its
    number of records with a value. Passed as ``tf_tables=`` to :func:`dedupe` or
    :func:`link`, they freeze the term-frequency adjustments: a later run (new records, a
    subset, a partition) scores with these counts instead of its own data's. Tables of
    disjoint parts of a table add up to the whole's: sum ``count`` by ``comparison`` and
    ``value``. They can be saved with ``write_parquet``.

    Parameters
    ----------
    data
        Contacts, as for :func:`dedupe`.
    settings
        :class:`Settings`, a TOML path, or None to infer them from ``data``; use the settings
        of the runs the tables are for.
    right
        For linkage: the right table, counted together with ``data`` (the left one) as
        :func:`link` counts them.
    threads
        Worker threads, 1 to ``MAX_THREADS``; default all cores.

    Returns
    -------
    polars.DataFrame
        ``comparison``, ``value``, ``count``: per comparison its total row, then its values.

    Raises
    ------
    SchemaError
        Missing or mistyped columns.
    ConfigError
        Invalid settings or arguments.

    Examples
    --------
    >>> import polars as pl
    >>> import crmdedup
    >>> df = pl.DataFrame({
    ...     "id": ["a", "b", "c"],
    ...     "last_name": ["Martin", "MARTIN", "Curie"],
    ...     "email": ["a@x.fr", "b@x.fr", None],
    ... })
    >>> s = crmdedup.infer_settings(df)
    >>> tf = crmdedup.tf_tables(df, s).filter(pl.col("comparison") == "last_name")
    >>> tf.rows()
    [('last_name', None, 3), ('last_name', 'martin', 2), ('last_name', 'curie', 1)]
    >>> result = crmdedup.dedupe(df, s, tf_tables=tf)
    """
    check_threads(threads)
    frame = to_engine(data)
    resolved = _settings_for(frame, settings)
    other = None if right is None else to_engine(right, name="right")
    return pl.DataFrame(_core.tf_tables(frame, resolved.to_json(), right=other, threads=threads))
