"""Settings as TOML: reading a file with errors that name it, writing text that reads back."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmdedup._textfile import read_text
from crmdedup.errors import ConfigError

if TYPE_CHECKING:
    from crmdedup.settings._spec import Settings

__all__ = ["read_toml", "settings_to_toml"]


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The table in the TOML file at ``path``; a ConfigError naming the file when unreadable."""
    p = Path(path)
    try:
        data = tomllib.loads(read_text(p, what="settings file", expected="a TOML file"))
    except PermissionError:
        raise ConfigError(f"settings file `{p}` cannot be read (permission denied)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"settings file `{p}` is not valid TOML: {e}") from None
    return data


def settings_to_toml(settings: Settings) -> str:
    """TOML text that :meth:`Settings.from_toml` reads back to the same settings."""
    lines = ["# crmdedup settings"]
    if settings.column_roles:
        lines.append("#")
        lines.append("# Columns, as inferred:")
        for cr in settings.column_roles:
            role = cr.role or "-"
            lines.append(
                f"#   {cr.column}: {role}{' (compared)' if cr.compared else ''}: {cr.reason}"
            )
    lines += [f"# {n}" for n in settings.notes]
    lines += [
        "",
        f"threshold = {settings.threshold!r}",
        f"max_block_size = {settings.max_block_size}",
        f"pairs_per_record = {settings.pairs_per_record}",
        f'clustering = "{settings.clustering}"',
        f"guard_probability = {settings.guard_probability!r}",
        f"max_cluster_size = {settings.max_cluster_size}",
        f'default_region = "{settings.default_region}"',
    ]
    if settings.region_column is not None:
        lines.append(f"region_column = {json.dumps(settings.region_column)}")
    if settings.id_column is not None:
        lines.append(f"id_column = {json.dumps(settings.id_column)}")
    lines += ["", "[em]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in asdict(settings.em).items()]
    for c in settings.comparisons:
        lines += [
            "",
            "[[comparisons]]",
            f"name = {json.dumps(c.name)}",
            f"column = {json.dumps(c.column)}",
            f'method = "{c.method}"',
            f'normalizer = "{c.normalizer}"',
            f"thresholds = {json.dumps(list(c.thresholds))}",
            f"term_frequency = {str(c.term_frequency).lower()}",
            f"shared = {str(c.shared).lower()}",
            f"group = {json.dumps(c.group)}",
        ]
    for r in settings.blocking_rules:
        lines += ["", "[[blocking_rules]]", f"keys = {json.dumps(list(r.keys))}"]
    return "\n".join(lines) + "\n"
