"""Reading a file the user names (settings, model), with errors that name it."""

from __future__ import annotations

from pathlib import Path

from crmdedup.errors import ConfigError

__all__ = ["read_text"]


def read_text(path: Path, *, what: str, expected: str) -> str:
    """The UTF-8 text of the file at ``path``.

    ``what`` names the file in messages (``model file``), ``expected`` says what it should be
    (``a JSON file``). Errors about its content (not UTF-8) or other failures to read it are
    left to the caller, which knows what the file should hold.

    Raises
    ------
    ConfigError
        When the file does not exist or is a directory.
    """
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} `{path}` does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} `{path}` is a directory, expected {expected}") from None
