"""The worked examples of docs/merge.md and the module docstrings run as doctests."""

from __future__ import annotations

import doctest
from pathlib import Path

import crmdedup._merge_policy
import crmdedup.consent
import crmdedup.merge
import crmdedup.rights
import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "merge.md"


def test_docs_examples() -> None:
    failed, attempted = doctest.testfile(str(DOC), module_relative=False, verbose=False)
    assert attempted > 0
    assert failed == 0


@pytest.mark.parametrize(
    "module",
    [crmdedup.merge, crmdedup.consent, crmdedup.rights, crmdedup._merge_policy],
)
def test_docstring_examples(module: object) -> None:
    failed, attempted = doctest.testmod(module, verbose=False)  # type: ignore[arg-type]
    assert attempted > 0
    assert failed == 0
