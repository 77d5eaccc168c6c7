"""Exceptions and warnings raised by crmdedup.

Every error the library raises derives from :class:`CrmdedupError`, so a caller can catch the whole
family at once. The Rust extension raises these same classes.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "CrmdedupError",
    "InputError",
    "InputWarning",
    "OutputError",
    "SchemaError",
]


class CrmdedupError(Exception):
    """Base class for every error raised by crmdedup."""


class ConfigError(CrmdedupError, ValueError):
    """Settings are invalid: the message names the offending key and what was expected."""


class SchemaError(CrmdedupError, ValueError):
    """Input data is unusable: missing column, wrong type, duplicate or null ids.

    The message names the column and, where there is one, an offending value and its row
    (counted from 1, as a user counts).
    """


class InputError(CrmdedupError):
    """An input file cannot be read: missing, not text, or in an unreadable encoding."""


class OutputError(CrmdedupError):
    """An output cannot be written: the path is a directory, a file, or not writable."""


class InputWarning(UserWarning):
    """An input file was read, but some of it had to be repaired (invalid bytes replaced)."""
