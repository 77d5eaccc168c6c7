"""The worked examples of the docs and every module's docstring examples run as doctests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import crmdedup
import crmdedup.cli

DOCS = Path(__file__).resolve().parents[1] / "docs"
MODULES = sorted(m.name for m in pkgutil.iter_modules(crmdedup.__path__, "crmdedup."))
# The command line's private modules hold doctested helpers too (review decisions, ids).
MODULES += sorted(m.name for m in pkgutil.iter_modules(crmdedup.cli.__path__, "crmdedup.cli."))


@pytest.mark.parametrize("doc", sorted(p.name for p in DOCS.glob("*.md")))
def test_docs_examples(doc: str) -> None:
    failed, _ = doctest.testfile(
        str(DOCS / doc), module_relative=False, verbose=False, optionflags=doctest.ELLIPSIS
    )
    assert failed == 0


def test_merge_doc_has_examples() -> None:
    _, attempted = doctest.testfile(str(DOCS / "merge.md"), module_relative=False, verbose=False)
    assert attempted > 0


@pytest.mark.parametrize("name", [m for m in MODULES if m not in ("crmdedup.__main__",)])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, verbose=False, optionflags=doctest.ELLIPSIS)
    assert failed == 0


def test_package_docstring() -> None:
    failed, attempted = doctest.testmod(crmdedup, verbose=False, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failed == 0
