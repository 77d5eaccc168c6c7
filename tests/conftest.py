from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import crmdedup


@pytest.fixture(scope="session")
def sample() -> pl.DataFrame:
    """The embedded sample of contacts, without its ground truth."""
    return crmdedup.datasets.load_sample().drop("entity_id")


@pytest.fixture(scope="session")
def sample_csv(tmp_path_factory: pytest.TempPathFactory, sample: pl.DataFrame) -> Path:
    """The sample written as a CSV file (do not write next to it)."""
    path = tmp_path_factory.mktemp("in") / "contacts.csv"
    sample.write_csv(path)
    return path


@pytest.fixture
def contacts() -> pl.DataFrame:
    """A small table with obvious duplicates: case, accents, typos, phone formats."""
    return pl.DataFrame(
        {
            "id": ["a1", "a2", "a3", "b1", "b2", "c1", "d1", "e1", "e2"],
            "first_name": [
                "Jean",
                "JEAN",
                "Jean",
                "Marie",
                "Marie",
                "Paul",
                "Luc",
                "Élodie",
                "Elodie",
            ],
            "last_name": [
                "Lefèvre",
                "LEFEVRE",
                "Lefevre",
                "Dupont",
                "Dupond",
                "Martin",
                "Martin",
                "Rousseau",
                "Rouseau",
            ],
            "email": [
                "jean.lefevre@orange.fr",
                " Jean.Lefevre@Orange.FR",
                None,
                "marie.dupont@free.fr",
                "marie.dupont@free.fr",
                "paul@x.fr",
                "luc@y.fr",
                "elodie.r@gmail.com",
                "elodie.r@gmail.com",
            ],
            "phone": [
                "06 12 34 56 78",
                "0612345678",
                "+33 6 12 34 56 78",
                None,
                "01 44 55 66 77",
                "0699887766",
                "0611223344",
                "07 00 11 22 33",
                "07.00.11.22.33",
            ],
        }
    )
