"""The public entry points: dedupe, link, infer_settings, and their results."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import polars as pl

from crmdedup import _core
from crmdedup._arrow import TableLike, to_engine, to_polars
from crmdedup._checks import MAX_THREADS, check_call
from crmdedup.cluster import decision_tables
from crmdedup.errors import ConfigError, SchemaError
from crmdedup.model import Model
from crmdedup.settings import Settings

__all__ = [
    "MAX_THREADS",
    "DedupeResult",
    "LinkResult",
    "Model",
    "ProgressCallback",
    "dedupe",
    "infer_settings",
    "link",
]

ProgressCallback = Callable[[str, int, int], object]
"""Called as ``progress(stage, done, total)`` between chunks of work; stages are ``normalise``,
``block``, ``compare``, ``fit``, ``score`` and ``cluster``."""


@dataclass(frozen=True)
class DedupeResult:
    """What :func:`dedupe` returns.

    Attributes
    ----------
    clusters
        One row per input record, in input order: the id column, ``cluster_id`` (the smallest
        id of the cluster, same type as the ids) and ``cluster_size``.
    pairs
        One row per candidate pair at or above the threshold: ``<id>_l``, ``<id>_r`` (smaller id
        first), ``match_weight`` (log2 Bayes factor), ``match_probability``, and per comparison
        ``gamma_<name>`` (level; -1 when a value is missing) and ``weight_<name>``.
    model
        The model used (fitted on this data unless one was given).
    report
        Counts and timings: candidate pairs, pairs per rule, skipped oversized blocks,
        clusters, duplicate records, oversized clusters, milliseconds per stage.
    settings
        The settings used.
    """

    clusters: pl.DataFrame
    pairs: pl.DataFrame
    model: Model
    report: dict[str, Any]
    settings: Settings
    id_column: str
    _run: Any

    def explain(self, id_a: Any, id_b: Any) -> pl.DataFrame:
        """Why two records match or not, one row per comparison (a waterfall chart's data).

        Columns: ``comparison`` (the first row is the ``prior``), ``value_l``, ``value_r``
        (normalised values), ``level``, ``level_label``, ``weight``, ``tf_adjustment``,
        ``cumulative_weight`` and ``probability``. The last ``cumulative_weight`` is the
        pair's ``match_weight``.

        Raises
        ------
        SchemaError
            When an id is not in the data.
        """
        rows = self._rows(self.clusters, [id_a, id_b])
        return pl.DataFrame(self._run.explain(rows[0], rows[1]))

    def _rows(self, frame: pl.DataFrame, ids: Sequence[Any], offset: int = 0) -> list[int]:
        index = frame.get_column(self.id_column)
        out = []
        for value in ids:
            try:
                hits = (index == value).arg_true()
            except (TypeError, pl.exceptions.PolarsError):
                hits = pl.Series([], dtype=pl.UInt32)
            if hits.len() == 0:
                raise SchemaError(f"id {value!r} is not in column `{self.id_column}`")
            out.append(int(hits[0]) + offset)
        return out


@dataclass(frozen=True)
class LinkResult(DedupeResult):
    """What :func:`link` returns.

    ``clusters`` has ``source_dataset`` (``left`` or ``right``), the id, ``cluster_id`` (an
    integer naming the cluster after its first member, left before right, smallest id first) and
    ``cluster_size``; ``pairs`` have the left id in ``<id>_l`` and the right id in ``<id>_r``.
    """

    def explain(self, id_a: Any, id_b: Any) -> pl.DataFrame:
        """Explain left record ``id_a`` against right record ``id_b``.

        See :meth:`DedupeResult.explain` for the columns.
        """
        left = self.clusters.filter(pl.col("source_dataset") == "left")
        right = self.clusters.filter(pl.col("source_dataset") == "right")
        a = self._rows(left, [id_a])[0]
        b = self._rows(right, [id_b], offset=left.height)[0]
        return pl.DataFrame(self._run.explain(a, b))


_R = TypeVar("_R", bound=DedupeResult)


def _result(cls: type[_R], run: _core.Run, settings: Settings, id_column: str | None) -> _R:
    """Wrap the engine's output in polars frames (zero-copy through the Arrow C stream)."""
    return cls(
        clusters=pl.DataFrame(run.clusters),
        pairs=pl.DataFrame(run.pairs),
        model=Model(run.model_json),
        report=json.loads(run.report_json),
        settings=settings,
        id_column=id_column if id_column is not None else "row_id",
        _run=run,
    )


def _settings_for(
    data: pl.DataFrame, settings: Settings | str | os.PathLike[str] | None
) -> Settings:
    if settings is None:
        return infer_settings(data)
    if isinstance(settings, Settings):
        return settings
    if isinstance(settings, (str, os.PathLike)):
        return Settings.from_toml(settings)
    raise ConfigError(
        f"`settings` must be Settings, a TOML path or None, got {type(settings).__name__}"
    )


def _run(
    cls: type[_R],
    tables: dict[str, pl.DataFrame],
    settings: Settings | str | os.PathLike[str] | None,
    *,
    id_column: str | None,
    threads: int | None,
    progress: ProgressCallback | None,
    model: Model | None,
    decisions: Any,
    tf_tables: TableLike | None,
) -> _R:
    """The body of :func:`dedupe` (one table) and :func:`link` (left and right).

    Settings are inferred from the first table when not given; the arguments are checked
    before the engine sees them.
    """
    frames = list(tables.values())
    resolved = _settings_for(frames[0], settings)
    id_col = id_column if id_column is not None else resolved.id_column
    link = len(frames) == 2
    check_call(
        resolved,
        tables,
        id_column=id_col,
        threads=threads,
        progress=progress,
        model=model,
        link=link,
    )
    options: dict[str, Any] = {
        "id_column": id_col,
        "model_json": model.to_json() if model is not None else None,
        "threads": threads,
        "progress": progress,
        "tf_tables": None if tf_tables is None else to_engine(tf_tables, name="tf_tables"),
    }
    options["must_link"], options["cannot_link"] = decision_tables(decisions)
    if link:
        run = _core.link(frames[0], frames[1], resolved.to_json(), **options)
    else:
        run = _core.dedupe(frames[0], resolved.to_json(), **options)
    return _result(cls, run, resolved, id_col)


def dedupe(
    data: TableLike,
    settings: Settings | str | os.PathLike[str] | None = None,
    *,
    id_column: str | None = None,
    threads: int | None = None,
    progress: ProgressCallback | None = None,
    model: Model | None = None,
    decisions: TableLike | None = None,
    tf_tables: TableLike | None = None,
) -> DedupeResult:
    """Find duplicate records in one table.

    Parameters
    ----------
    data
        Contacts: a polars, pyarrow or pandas table, or any ``__arrow_c_stream__`` producer.
    settings
        :class:`Settings`, a path to a TOML file, or None to infer them from column names
        (:func:`infer_settings`).
    id_column
        Column of unique record ids (strings or integers). Defaults to ``settings.id_column``;
        without one, a ``row_id`` column of row positions is used.
    threads
        Worker threads, 1 to ``MAX_THREADS``; default all cores. Results do not depend on it.
    progress
        Optional ``progress(stage, done, total)`` callback.
    model
        A model from an earlier run; without one, a model is fitted on ``data`` (no labels).
    decisions
        Steward decisions honoured by the clustering itself: ``id_l``, ``id_r`` and
        ``decision`` (``must_link``: the two records are one person, their clusters merge;
        ``cannot_link``: never in one cluster), as written by ``crmdedup review``. Decisions
        naming ids that are not in ``data`` are ignored. Must-links that alone would join a
        cannot-link pair raise :class:`SchemaError`, naming both.
    tf_tables
        Frozen term-frequency tables (:func:`crmdedup.tf_tables`, of this or other data):
        term-frequency adjustments count values there instead of in ``data``; a value absent
        from them counts 0 records. Without them, ``data``'s own counts are used.

    Returns
    -------
    DedupeResult
        ``clusters``, ``pairs``, ``model``, ``report``, and ``explain(id_a, id_b)``.

    Raises
    ------
    SchemaError
        Missing or mistyped columns, null or duplicate ids (naming column and value), an id
        column whose outputs would clash with the others (``cluster_id``, ``cluster_size``…),
        or ``tf_tables`` that do not fit the settings (naming the comparison and row).
    ConfigError
        Invalid settings (NaN, infinite or out-of-range values, wrong types, naming the key),
        invalid arguments, or a model that does not fit the settings.
    KeyboardInterrupt
        On Ctrl-C, within the current stage of the run.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "id": ["a", "b", "c"],
    ...     "first_name": ["Jean", "JEAN", "Marie"],
    ...     "last_name": ["Lefèvre", "Lefevre", "Curie"],
    ...     "email": ["jean.lefevre@orange.fr", "Jean.Lefevre@orange.fr", "marie@curie.fr"],
    ... })
    >>> dedupe(df, id_column="id").clusters["cluster_id"].to_list()
    ['a', 'a', 'c']
    """
    tables = {"data": to_engine(data)}
    return _run(
        DedupeResult,
        tables,
        settings,
        id_column=id_column,
        threads=threads,
        progress=progress,
        model=model,
        decisions=decisions,
        tf_tables=tf_tables,
    )


def link(
    left: TableLike,
    right: TableLike,
    settings: Settings | str | os.PathLike[str] | None = None,
    *,
    id_column: str | None = None,
    threads: int | None = None,
    progress: ProgressCallback | None = None,
    model: Model | None = None,
    decisions: TableLike | None = None,
    tf_tables: TableLike | None = None,
) -> LinkResult:
    """Link two tables: pairs join a left record to a right record, never two of one side.

    Clusters span both sides.

    Parameters are those of :func:`dedupe`; ``id_column`` names the id column of both tables
    (their ids must be of the same kind: both strings or both integers). With ``settings=None``
    they are inferred from the left table's columns. In ``decisions``, ``id_l`` is a left id
    and ``id_r`` a right id; ``tf_tables`` count both sides (``tf_tables(left, right=right)``).

    Examples
    --------
    >>> import polars as pl
    >>> l = pl.DataFrame({"id": [1, 2], "email": ["a@x.fr", "b@y.fr"], "last_name": ["Roy", "Ba"]})
    >>> r = pl.DataFrame({"id": [1, 2], "email": ["A@X.fr", "c@z.fr"], "last_name": ["Roy", "Li"]})
    >>> link(l, r, id_column="id").pairs.select("id_l", "id_r").rows()
    [(1, 1)]
    """
    tables = {"left": to_engine(left, name="left"), "right": to_engine(right, name="right")}
    return _run(
        LinkResult,
        tables,
        settings,
        id_column=id_column,
        threads=threads,
        progress=progress,
        model=model,
        decisions=decisions,
        tf_tables=tf_tables,
    )


def infer_settings(data: TableLike) -> Settings:
    """Settings inferred from a table's column names, content and profile.

    Roles come from column names used by CRMs and administrative files, in English and French
    (first_name/prenom/given_name, middle_name/middle_initial, last_name/nom/surname,
    email/courriel, phone/telephone and mobile/portable, company/societe, job_title/fonction,
    address/adresse, street_name and street_number, unit_number, postcode/zip/code_postal,
    city/ville, state/province/departement, country/pays, gender/civilite, national
    identifiers, date_of_birth/date_naissance, an id column…); columns whose names say nothing
    are recognised by their content (mostly emails, phones or dates). Near-constant and
    mostly-null columns are not compared; blocking rules are chosen from a profile of a sample
    so that each makes a bounded number of pairs per record. Every decision, with its reason,
    is in the result's ``column_roles`` (and ``notes`` for the blocking rules left out).

    Raises
    ------
    ConfigError
        When no usable column is recognised.

    Examples
    --------
    >>> import polars as pl
    >>> s = infer_settings(pl.DataFrame({"Prénom": ["a"], "NOM": ["b"], "Courriel": ["c@d.fr"]}))
    >>> [c.column for c in s.comparisons]
    ['Prénom', 'NOM', 'Courriel']
    >>> s.column_roles[2].reason
    'name `courriel` is a known email column name'
    """
    from crmdedup.settings._infer import infer_settings as infer

    return infer(to_polars(data))
