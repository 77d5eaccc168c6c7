"""Checks of settings read from TOML, JSON or dicts: unknown keys, missing keys, wrong types.

Every error is a :class:`~crmdedup.errors.ConfigError` naming the key (``comparisons[2].method``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, fields
from typing import Any, get_args

from crmdedup.errors import ConfigError
from crmdedup.settings._types import ClusterMethod, Method, Normalizer


def as_list(value: Any, key: str) -> list[Any]:
    if value is None:
        raise ConfigError(f"`{key}`: missing (a list is expected)")
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ConfigError(f"`{key}`: expected a list, got {type(value).__name__}")
    return list(value)


def check_keys(data: Any, cls: type, key: str) -> dict[str, Any]:
    where = f"{key}." if key else ""
    if not isinstance(data, Mapping):
        raise ConfigError(f"`{key or 'settings'}`: expected a table, got {type(data).__name__}")
    known = [f.name for f in fields(cls) if f.compare]
    for k in data:
        if k not in known:
            raise ConfigError(f"`{where}{k}`: unknown key (known: {', '.join(known)})")
    return dict(data)


_TYPES: dict[str, tuple[type, ...]] = {
    "threshold": (float, int),
    "guard_probability": (float, int),
    "tolerance": (float, int),
    "max_block_size": (int,),
    "pairs_per_record": (int,),
    "max_cluster_size": (int,),
    "max_iterations": (int,),
    "u_sample_size": (int,),
    "seed": (int,),
    "term_frequency": (bool,),
    "shared": (bool,),
    "group": (str,),
    "estimate_u": (bool,),
    "column": (str,),
    "name": (str,),
    "default_region": (str,),
    "id_column": (str, type(None)),
    "region_column": (str, type(None)),
}
_MAX_U64 = 2**64 - 1
_MAX_INT: dict[str, int] = {"max_iterations": 2**32 - 1}
"""Largest value of each integer setting the engine can hold (others are 64-bit)."""
_CHOICES: dict[str, tuple[str, ...]] = {
    "method": get_args(Method),
    "normalizer": get_args(Normalizer),
    "clustering": get_args(ClusterMethod),
}


def build(cls: type, data: Any, key: str, *, skip_nested: bool = False) -> Any:
    values = check_keys(data, cls, key)
    where = f"{key}." if key else ""
    check_scalars(values, key, skip_nested=skip_nested)
    missing = [
        f.name
        for f in fields(cls)
        if f.name not in values and f.default is MISSING and f.default_factory is MISSING
    ]
    if missing:
        raise ConfigError(f"`{where}{missing[0]}`: missing")
    return cls(**values)


def check_scalars(values: dict[str, Any], key: str, *, skip_nested: bool = True) -> None:
    """Check (and convert in place) the plain values of one table of settings."""
    where = f"{key}." if key else ""
    for k, v in values.items():
        if skip_nested and k in ("comparisons", "blocking_rules", "em"):
            continue
        types = _TYPES.get(k)
        is_bool = isinstance(v, bool)
        if types and (not isinstance(v, types) or (is_bool and bool not in types)):
            want = " or ".join(t.__name__ for t in types)
            raise ConfigError(f"`{where}{k}`: expected {want}, got {v!r}")
        if isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(f"`{where}{k}`: expected a finite number, got {v!r}")
        if types == (int,) and not 0 <= v <= _MAX_INT.get(k, _MAX_U64):
            raise ConfigError(
                f"`{where}{k}`: expected an integer from 0 to {_MAX_INT.get(k, _MAX_U64)}, "
                f"got {v!r}"
            )
        if k in _CHOICES and v not in _CHOICES[k]:
            raise ConfigError(f"`{where}{k}`: {v!r} is not one of {', '.join(_CHOICES[k])}")
        if k in ("thresholds", "keys"):
            items = as_list(v, f"{where}{k}")
            kind: type | tuple[type, ...] = str if k == "keys" else (int, float)
            bad = [
                x
                for x in items
                if not isinstance(x, kind)
                or isinstance(x, bool)
                or (isinstance(x, float) and not math.isfinite(x))
            ]
            if bad:
                raise ConfigError(f"`{where}{k}`: unexpected item {bad[0]!r}")
            values[k] = tuple(items)
