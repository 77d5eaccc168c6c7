"""Generate tests/data/phones.csv: phone numbers in common formats, read by the Python
`phonenumbers` package (the oracle) for the Rust phone normaliser's golden test.

Run from the repository root: `python tests/data/make_phones.py`. Deterministic (fixed seed).
Columns: raw (as typed), region (default region used to read it), e164 (empty when
`phonenumbers` cannot parse it).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

REGIONS = ["FR", "BE", "CH", "DE", "ES", "IT"]
TYPES = [
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.VOIP,
    PhoneNumberType.SHARED_COST,
]
PER_TYPE = 24
OUT = Path(__file__).with_name("phones.csv")


def variants(number: phonenumbers.PhoneNumber, region: str) -> list[tuple[str, str]]:
    """The number as people type it, each with the default region it is read with."""
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    nsn = phonenumbers.national_significant_number(number)
    cc = str(number.country_code)
    digits_national = "".join(c for c in national if c.isdigit())
    out = [
        (national, region),
        (digits_national, region),
        (national.replace(" ", "."), region),
        (national.replace(" ", "-"), region),
        (international, region),
        (international, "FR"),
        (e164, "FR"),
        (e164, "DE"),
        ("00" + e164[1:], region),
        ("00 " + international[1:], "FR"),
        (international.replace(" ", ""), "BE"),
        (f"+{cc} (0){nsn}" if not nsn.startswith("0") else f"+{cc} {nsn}", "FR"),
        (f"+{cc}-{nsn[:3]}-{nsn[3:]}", "CH"),
        (f"({digits_national[:3]}) {digits_national[3:]}", region),
        (cc + nsn, region),
        (nsn, region),
    ]
    return out


def main() -> None:
    rng = random.Random(20240611)
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for region in REGIONS:
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            nsn = phonenumbers.national_significant_number(example)
            for i in range(PER_TYPE):
                keep = rng.randint(2, min(4, len(nsn) - 1))
                tail = "".join(str(rng.randint(0, 9)) for _ in range(len(nsn) - keep))
                candidate = nsn[:keep] + tail
                if i % 6 == 5:  # a digit too many or too few: invalid numbers must agree too
                    candidate = (
                        candidate[:-1] if i % 12 == 5 else candidate + str(rng.randint(0, 9))
                    )
                try:
                    number = phonenumbers.parse("+" + str(example.country_code) + candidate)
                except phonenumbers.NumberParseException:
                    continue
                for raw, read_in in variants(number, region):
                    if (raw, read_in) in seen:
                        continue
                    seen.add((raw, read_in))
                    try:
                        parsed = phonenumbers.parse(raw, read_in)
                        e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
                    except phonenumbers.NumberParseException:
                        e164 = ""
                    rows.append((raw, read_in, e164))
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["raw", "region", "e164"])
        writer.writerows(rows)
    print(f"{len(rows)} rows written to {OUT.name} (phonenumbers {phonenumbers.__version__})")


if __name__ == "__main__":
    main()
