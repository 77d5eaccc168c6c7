"""The settings spec: which columns are compared how, blocking rules, threshold and model fitting.

Settings are plain frozen dataclasses, buildable in Python, loadable from TOML and checked twice:
here for unknown keys and wrong types, in the engine for meaning. Every error is a
:class:`~crmdedup.errors.ConfigError` that names the offending key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from crmdedup.errors import ConfigError
from crmdedup.settings._check import as_list, build, check_keys, check_scalars
from crmdedup.settings._types import ClusterMethod, Method, Normalizer

__all__ = ["BlockingRule", "ColumnRole", "Comparison", "EmSettings", "Settings"]


@dataclass(frozen=True)
class Comparison:
    """How one column is compared.

    Parameters
    ----------
    column
        Input column.
    method
        ``exact``; ``jaro_winkler`` or ``token_jaccard`` (thresholds are similarities in (0, 1),
        strictest first; outside addresses, token Jaccard counts two words of five characters
        or more one edit apart as one, so ``Lumensoft`` and ``Lumnesoft`` agree);
        ``levenshtein`` or ``damerau_levenshtein`` (thresholds are whole distances, strictest
        first); ``name``: exact, same canonical given name (Alex and
        Alexandre), Jaro-Winkler thresholds, same French phonetic key, then an initial or
        prefix; the ``name`` comparisons named ``first_name`` and ``last_name`` (as inferred)
        are also graded across fields when both disagree in place, so ``Moreau Marine`` and
        ``Marine Moreau`` agree on both; ``date`` (with the
        ``date`` normaliser, no thresholds): exact, day and month transposed, one of year,
        month and day differs, same day and month a year apart.
    normalizer
        How values are cleaned before comparison and blocking.
    thresholds
        Fuzzy levels between "else" and "exact".
    term_frequency
        Weigh agreement on rare values more than on common ones.
    name
        Output name (``gamma_<name>``); defaults to the column.
    shared
        Values people living or working together share (surname, address, landline,
        company). Pairs found only through shared values are mostly households and
        colleagues: the model does not learn the other comparisons from them, their summed
        agreement is capped at what "same household" says, and a set of blocking rules keyed
        on them gets no lower bound on its prior from them (a key on a value that is not
        shared, such as a given name or birth date, bounds the prior of its pairs from
        below). Mark such columns ``shared`` in hand-written settings too.
    group
        Comparisons of one group (e.g. ``address`` for street, number, postcode and city)
        describe one fact: their summed disagreement never weighs more than what disagreeing
        on all of them at once says, measured on the candidates when fitting (a move counts
        once where moves are common). Inference groups the address fields as ``address``;
        when the company and the job title are both compared (people at work) it groups them
        with the company, the job title and, when a mobile is compared too, the landline as
        ``workplace``, so a change of job counts once.

    Examples
    --------
    >>> Comparison("email", method="levenshtein", normalizer="email", thresholds=(1, 2)).name
    'email'
    """

    column: str
    method: Method = "jaro_winkler"
    normalizer: Normalizer = "text"
    thresholds: tuple[float, ...] = ()
    term_frequency: bool = False
    name: str = ""
    shared: bool = False
    group: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.column)
        object.__setattr__(self, "thresholds", tuple(as_list(self.thresholds, "thresholds")))


@dataclass(frozen=True)
class BlockingRule:
    """Records whose keys are all equal become candidate pairs.

    Keys are expressions over normalised columns: ``last_name``, ``first_name[:1]`` (first
    letter), ``postcode[-2:]`` (last two), or a function: ``initials(company)``,
    ``first_token(x)``, ``last_token(x)``, ``sorted_tokens(x)``, ``digits(x)``,
    ``email_local(x)``, ``email_domain(x)``, ``phonetic(x)`` (French phonetic key),
    ``metaphone(x)`` (Double Metaphone, for non-French names), ``canonical(x)`` (each word's
    canonical given name: ``Tony`` and ``Anthony`` share a key), optionally sliced.

    Examples
    --------
    >>> BlockingRule(("last_name", "first_name[:1]")).keys
    ('last_name', 'first_name[:1]')
    """

    keys: tuple[str, ...]

    def __post_init__(self) -> None:
        if isinstance(self.keys, str):
            object.__setattr__(self, "keys", (self.keys,))
        object.__setattr__(self, "keys", tuple(as_list(self.keys, "keys")))


@dataclass(frozen=True)
class EmSettings:
    """Unsupervised fitting: u from random pairs, m by expectation-maximisation.

    Parameters
    ----------
    max_iterations
        Cap per EM session.
    tolerance
        EM stops when no probability moves by more than this.
    u_sample_size
        At most this many random record pairs are drawn to estimate u. Small bases draw 20 per
        record (at least 100,000, or every pair when there are fewer): the sample costs far
        more than the rest of a run on a few thousand records.
    seed
        Seed of every random choice, so runs are reproducible.
    estimate_u
        Also re-estimate u among the candidate pairs, starting from the random-pair u: members
        of one household agree on phone and address far more often than random pairs do.
    """

    max_iterations: int = 100
    tolerance: float = 1e-6
    u_sample_size: int = 1_000_000
    seed: int = 42
    estimate_u: bool = True


@dataclass(frozen=True)
class ColumnRole:
    """What :func:`~crmdedup.infer_settings` decided about one input column, and why.

    Parameters
    ----------
    column
        Input column.
    role
        Role found (``first_name``, ``email``, ``date_of_birth``…), or None when ignored.
    compared
        Whether a comparison reads the column.
    reason
        Why: the name or content that gave the role, or why the column is not used.
    """

    column: str
    role: str | None
    compared: bool
    reason: str


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know.

    Parameters
    ----------
    comparisons
        One per compared column, in output order (at most 16).
    blocking_rules
        Candidate pairs are the union of the rules' pairs.
    threshold
        Minimum match probability for a pair to be reported and clustered. Default 0.5: a
        pair is linked when it is more likely a match than not.
    max_block_size
        Blocks with more records are not expanded into pairs; they are reported in
        ``result.report["skipped_blocks"]``. Default 50: a block that big holds common
        values (a frequent name in a department), whose agreement is weak evidence, and its
        pairs grow with the square of the base.
    pairs_per_record
        The budget of pairs per record and rule. A block is ordered by the first compared
        column its rule does not read (the given name for a surname rule), then by id; each
        record is paired with the next ``pairs_per_record`` records, so a block of at most
        ``pairs_per_record + 1`` records gives all its pairs and a larger one
        ``pairs_per_record`` per record on average, each record in at most twice that many
        (a sorted neighbourhood). Default 10. The blocks this
        bounded are counted in ``result.report["windowed_blocks"]``.
    clustering
        ``guarded`` (default): two single records join through any link above the threshold,
        but a record joins a group, or two groups join, only through a link of at least
        ``guard_probability`` or through two links between them (between two groups, two
        links from different records on each side). ``connected_components`` joins every
        pair above the threshold.
    guard_probability
        Link probability strong enough to join two groups on its own when guarded.
    max_cluster_size
        Clusters larger than this are reported as suspicious.
    default_region
        Region assumed for phone numbers without a country code.
    region_column
        Column of ISO 3166 alpha-2 codes giving each record's region for its phone numbers
        without a country code (``UK`` is read as ``GB``); rows without one use
        ``default_region``.
    em
        Model fitting parameters.
    id_column
        Id column used when none is passed to the call.
    column_roles
        Set by :func:`~crmdedup.infer_settings`: the decision about each input column, with
        its reason (not part of the settings proper: ignored by equality and serialisation).
    notes
        Set by :func:`~crmdedup.infer_settings`: blocking rules it left out, and why.

    Examples
    --------
    >>> s = Settings(
    ...     comparisons=(Comparison("email", method="exact", normalizer="email"),),
    ...     blocking_rules=(BlockingRule(("email",)),),
    ... )
    >>> s.threshold
    0.5
    """

    comparisons: tuple[Comparison, ...]
    blocking_rules: tuple[BlockingRule, ...]
    threshold: float = 0.5
    max_block_size: int = 50
    pairs_per_record: int = 10
    clustering: ClusterMethod = "guarded"
    guard_probability: float = 0.999
    max_cluster_size: int = 50
    default_region: str = "FR"
    region_column: str | None = None
    em: EmSettings = field(default_factory=EmSettings)
    id_column: str | None = None
    column_roles: tuple[ColumnRole, ...] = field(default=(), compare=False, repr=False)
    notes: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "comparisons", tuple(as_list(self.comparisons, "comparisons")))
        rules = tuple(
            r if isinstance(r, BlockingRule) else BlockingRule(tuple(as_list(r, "blocking_rules")))
            for r in as_list(self.blocking_rules, "blocking_rules")
        )
        object.__setattr__(self, "blocking_rules", rules)

    # -- conversions -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (lists for tuples) of every setting.

        Examples
        --------
        >>> Settings((Comparison("email"),), (BlockingRule(("email",)),)).to_dict()["threshold"]
        0.5
        """
        out = asdict(self)
        out.pop("column_roles")
        out.pop("notes")
        out["blocking_rules"] = [{"keys": list(r.keys)} for r in self.blocking_rules]
        for c in out["comparisons"]:
            c["thresholds"] = list(c["thresholds"])
        return out

    def to_json(self) -> str:
        """JSON as the engine reads it (``id_column`` left out)."""
        # Settings are frozen: written once per instance (each engine call reads them, and a
        # base's single-record match makes several).
        cached: str | None = self.__dict__.get("_json")
        if cached is None:
            out = self.to_dict()
            out.pop("id_column")
            cached = json.dumps(out)
            object.__setattr__(self, "_json", cached)
        return cached

    def with_(self, **changes: Any) -> Settings:
        """Copy with some settings changed.

        Examples
        --------
        >>> s = Settings((Comparison("email"),), (BlockingRule(("email",)),))
        >>> s.with_(threshold=0.95).threshold
        0.95
        """
        known = {f.name for f in fields(self)}
        for key in changes:
            if key not in known:
                raise ConfigError(f"`{key}`: unknown key (known: {', '.join(sorted(known))})")
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """Build settings from a dict (as read from TOML or JSON), checking every key.

        Raises
        ------
        ConfigError
            Naming the unknown, missing or mistyped key.

        Examples
        --------
        >>> Settings.from_dict({"comparisons": [{"column": "email", "method": "exact"}],
        ...                     "blocking_rules": [{"keys": ["email"]}]}).comparisons[0].method
        'exact'
        >>> Settings.from_dict({"comparisons": [], "blocking_rules": [], "treshold": 1})
        Traceback (most recent call last):
        ...
        crmdedup.errors.ConfigError: `treshold`: unknown key (known: ...)
        """
        top = check_keys(data, cls, "")
        check_scalars(top, "")
        comparisons = tuple(
            build(Comparison, c, f"comparisons[{i}]")
            for i, c in enumerate(as_list(top.pop("comparisons", None), "comparisons"))
        )
        rules = []
        for i, r in enumerate(as_list(top.pop("blocking_rules", None), "blocking_rules")):
            key = f"blocking_rules[{i}]"
            if isinstance(r, Sequence) and not isinstance(r, str):
                r = {"keys": list(r)}
            rules.append(build(BlockingRule, r, key))
        em = build(EmSettings, top.pop("em", {}), "em")
        settings = build(
            cls,
            {**top, "comparisons": comparisons, "blocking_rules": tuple(rules), "em": em},
            "",
            skip_nested=True,
        )
        assert isinstance(settings, Settings)
        settings.validate()
        return settings

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Settings:
        """Load settings from a TOML file (see ``crmdedup init-config``).

        Raises
        ------
        ConfigError
            When the file is missing, is not TOML, or holds invalid settings (naming the key).
        """
        from crmdedup.settings._toml import read_toml

        return cls.from_dict(read_toml(path))

    def to_toml(self) -> str:
        """TOML text that :meth:`from_toml` reads back to the same settings."""
        from crmdedup.settings._toml import settings_to_toml

        return settings_to_toml(self)

    def validate(self) -> None:
        """Check the settings with the engine.

        Raises
        ------
        ConfigError
            Naming the offending key.
        """
        from crmdedup import _core

        _check_types(self)
        _core.validate_settings(self.to_json())


def _check_types(settings: Settings) -> None:
    """Check settings built in Python as :meth:`Settings.from_dict` checks a dict."""
    parts: list[tuple[str, Any, type[Any]]] = [("em", settings.em, EmSettings)]
    parts += [(f"comparisons[{i}]", c, Comparison) for i, c in enumerate(settings.comparisons)]
    parts += [
        (f"blocking_rules[{i}]", r, BlockingRule) for i, r in enumerate(settings.blocking_rules)
    ]
    for key, value, cls in parts:
        if not isinstance(value, cls):
            raise ConfigError(f"`{key}`: expected {cls.__name__}, got {value!r}")
        check_scalars(asdict(value), key)
    top = {f.name: getattr(settings, f.name) for f in fields(settings)}
    check_scalars(top, "")
