"""Settings: which columns are compared how, blocking rules, threshold and model fitting.

Settings are plain frozen dataclasses, buildable in Python, loadable from TOML and checked twice:
here for unknown keys and wrong types, in the engine for meaning. Every error is a
:class:`~crmdedup.errors.ConfigError` that names the offending key.
:func:`crmdedup.infer_settings` (in ``_infer``) reads a table and proposes settings for it,
keeping the reason of each choice.
"""

from crmdedup.settings._spec import BlockingRule, ColumnRole, Comparison, EmSettings, Settings
from crmdedup.settings._types import ClusterMethod, Method, Normalizer

__all__ = [
    "BlockingRule",
    "ClusterMethod",
    "ColumnRole",
    "Comparison",
    "EmSettings",
    "Method",
    "Normalizer",
    "Settings",
]
