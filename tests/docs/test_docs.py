"""The worked examples of the docs and every module's docstring examples run as doctests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import crmdedup

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Every module of the package, private ones and those of subpackages included.
MODULES = sorted(m.name for m in pkgutil.walk_packages(crmdedup.__path__, "crmdedup."))


@pytest.mark.parametrize("doc", sorted(p.name for p in DOCS.glob("*.md")))
def test_docs_examples(doc: str) -> None:
    failed, _ = doctest.testfile(
        str(DOCS / doc), module_relative=False, verbose=False, optionflags=doctest.ELLIPSIS
    )
    assert failed == 0


def test_merge_doc_has_examples() -> None:
    _, attempted = doctest.testfile(str(DOCS / "merge.md"), module_relative=False, verbose=False)
    assert attempted > 0


def test_docstring_examples_reach_the_subpackages() -> None:
    assert {"crmdedup.settings._spec", "crmdedup.merge._merge", "crmdedup.cli._decisions"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", [m for m in MODULES if m not in ("crmdedup.__main__",)])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, verbose=False, optionflags=doctest.ELLIPSIS)
    assert failed == 0


def test_package_docstring() -> None:
    failed, attempted = doctest.testmod(crmdedup, verbose=False, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failed == 0
