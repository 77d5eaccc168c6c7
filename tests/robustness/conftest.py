from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import polars as pl
import pytest


@pytest.fixture
def people() -> pl.DataFrame:
    """Three contacts, two of them the same person."""
    return pl.DataFrame(
        {
            "id": ["a", "b", "c"],
            "first_name": ["Jean", "JEAN", "Marie"],
            "last_name": ["Dupont", "Dupont", "Curie"],
            "email": ["j@x.fr", "J@x.fr", "m@c.fr"],
        }
    )


def isolated(code: str) -> tuple[str, str]:
    """Run ``code`` in a fresh interpreter (a crash there cannot take pytest down).

    The code runs with ``pl``, ``pd`` and ``crmdedup`` imported; returns the name and message of
    the exception it raised, or ``("ok", "")``. A crash or a hang fails the test.
    """
    script = textwrap.dedent(
        """
        import json, sys
        import pandas as pd
        import polars as pl
        import crmdedup
        try:
        {body}
        except Exception as e:
            print(json.dumps([type(e).__name__, str(e)]))
        else:
            print(json.dumps(["ok", ""]))
        """
    ).format(body=textwrap.indent(textwrap.dedent(code), "    "))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, f"the interpreter crashed ({proc.returncode}): {proc.stderr}"
    name, message = json.loads(proc.stdout.strip().splitlines()[-1])
    return name, message
