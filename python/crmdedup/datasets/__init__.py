"""Synthetic French CRM contacts with ground truth, for tests, demos and benchmarks.

:func:`generate_contacts` draws people, then writes each one as one to five records corrupted the
way real contact bases are (typos, lost accents, upper-case imports, nicknames, swapped names, email
and phone variants, missing fields, moves, job changes). It also plants hard negatives: households
(same last name, address and landline), homonyms (same first and last name) and colleagues (same
company and email domain). :func:`load_sample` returns a small table made by the same generator
and shipped with the package.
"""

from __future__ import annotations

import io
from datetime import datetime
from importlib import resources
from typing import Final

import polars as pl

from crmdedup.datasets._vocab import SOURCES
from crmdedup.errors import ConfigError

__all__ = ["SCHEMA", "SOURCES", "generate_contacts", "load_sample"]

SCHEMA: Final[dict[str, pl.DataType]] = {
    "record_id": pl.String(),
    "entity_id": pl.String(),
    "first_name": pl.String(),
    "last_name": pl.String(),
    "email": pl.String(),
    "phone": pl.String(),
    "company": pl.String(),
    "address": pl.String(),
    "postcode": pl.String(),
    "city": pl.String(),
    "date_of_birth": pl.String(),
    "source": pl.String(),
    "created_at": pl.Datetime("us"),
    "updated_at": pl.Datetime("us"),
    "last_activity_at": pl.Datetime("us"),
    "email_optin": pl.Boolean(),
    "email_optin_at": pl.Datetime("us"),
    "sms_optin": pl.Boolean(),
    "sms_optin_at": pl.Datetime("us"),
}
"""Column names and dtypes of every table returned by this module, in order."""

_REFERENCE: Final = datetime(2026, 9, 30, 12, 0, 0)
_SAMPLE_FILE: Final = "sample_contacts.csv"
_SAMPLE_ROWS: Final = 1_500
_SAMPLE_SEED: Final = 2026


def generate_contacts(
    n_rows: int,
    *,
    seed: int = 0,
    duplicate_rate: float = 0.2,
    household_rate: float = 0.04,
    homonym_rate: float = 0.02,
    corruption: float = 1.0,
    reference_date: datetime = _REFERENCE,
) -> pl.DataFrame:
    """Generate a synthetic table of French CRM contacts with known duplicates.

    Parameters
    ----------
    n_rows
        Number of records to return.
    seed
        Seed of every random draw. The same seed and arguments give the same table (for a given
        numpy and polars version).
    duplicate_rate
        Share of records that are extra copies of a person already in the table, in ``[0, 1)``:
        ``1 - n_entities / n_rows``. People with copies have 2 to 5 records (mostly 2).
    household_rate
        Share of people who live with the person generated before them: same last name, address
        and landline, different first name, email and mobile.
    homonym_rate
        Share of people who take the first and last name of another, unrelated person.
    corruption
        Multiplier of every corruption probability: 0 gives clean copies (apart from phone
        formats, casing by source and missing values), 1 the default noise level.
    reference_date
        The "now" of the base: no timestamp is later. Fixed by default so output does not depend
        on the clock.

    Returns
    -------
    polars.DataFrame
        Columns and dtypes as in :data:`SCHEMA`, rows in random order:

        - ``record_id``: unique, ``"C"`` plus a zero-padded number;
        - ``entity_id``: the ground truth, equal for records of the same person;
        - ``first_name``, ``last_name``, ``email``, ``phone``, ``company``, ``address``,
          ``postcode``, ``city``: free text as typed, possibly null;
        - ``date_of_birth``: ISO ``YYYY-MM-DD`` text (may have day and month swapped), mostly null;
        - ``source``: one of :data:`SOURCES`; ``newsletter`` records carry little more than an
          email address, ``import_salon`` records are often upper case without accents;
        - ``created_at``, ``updated_at``, ``last_activity_at``: datetimes up to 14 years before
          ``reference_date``;
        - ``email_optin``, ``sms_optin`` (null when unknown) and the time each was recorded.

    Raises
    ------
    ConfigError
        If ``n_rows`` or ``seed`` is not a non-negative integer, or a rate is outside its range
        (a ``ValueError`` too).

    Examples
    --------
    >>> from crmdedup.datasets import generate_contacts
    >>> df = generate_contacts(1_000, seed=7)
    >>> df.height, df["record_id"].n_unique()
    (1000, 1000)
    >>> df.equals(generate_contacts(1_000, seed=7))
    True
    >>> 0.15 < 1 - df["entity_id"].n_unique() / df.height < 0.25
    True
    """
    for name, value in (("n_rows", n_rows), ("seed", seed)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"`{name}` must be an integer >= 0, got {value!r}")
    rates = {
        "duplicate_rate": (duplicate_rate, 0.0, 0.95),
        "household_rate": (household_rate, 0.0, 0.5),
        "homonym_rate": (homonym_rate, 0.0, 0.5),
        "corruption": (corruption, 0.0, 5.0),
    }
    for name, (rate, low, high) in rates.items():
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not low <= rate <= high:
            raise ConfigError(f"`{name}` must be a number in [{low}, {high}], got {rate!r}")
    if n_rows == 0:
        return pl.DataFrame(schema=SCHEMA)
    # numpy is needed only to generate: importing crmdedup does not import it.
    from crmdedup.datasets._generator import generate

    frame = generate(
        n_rows,
        seed=seed,
        duplicate_rate=duplicate_rate,
        household_rate=household_rate,
        homonym_rate=homonym_rate,
        corruption=corruption,
        reference=reference_date,
    )
    return frame.select([pl.col(name).cast(dtype) for name, dtype in SCHEMA.items()])


def load_sample() -> pl.DataFrame:
    """Load the sample contacts shipped with the package.

    1,500 records made by :func:`generate_contacts` with a fixed seed, including the
    ``entity_id`` ground truth. ``crmdedup demo`` runs on it.

    Returns
    -------
    polars.DataFrame
        Columns and dtypes as in :data:`SCHEMA`.

    Examples
    --------
    >>> from crmdedup.datasets import load_sample
    >>> sample = load_sample()
    >>> sample.columns[:3]
    ['record_id', 'entity_id', 'first_name']
    >>> sample["record_id"].is_unique().all()
    True
    """
    data = (resources.files("crmdedup.datasets") / "data" / _SAMPLE_FILE).read_bytes()
    return pl.read_csv(io.BytesIO(data), schema=SCHEMA)


def _write_sample(path: str) -> None:
    """Regenerate the shipped sample (maintainers only) and write it to ``path``."""
    sample = generate_contacts(_SAMPLE_ROWS, seed=_SAMPLE_SEED)
    sample.write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%S")
