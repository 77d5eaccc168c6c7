"""Quality properties of the defaults: households, rare rule sets, renamed columns, suite floors."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import polars as pl
import pytest

import crmdedup

GIVEN = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Karl",
    "Lena",
    "Marco",
    "Nora",
    "Oscar",
    "Paula",
    "Quentin",
    "Rosa",
    "Simon",
    "Tara",
    "Ugo",
    "Vera",
    "Walter",
    "Xenia",
    "Yann",
    "Zoe",
    "Alice",
    "Bruno",
    "Chloe",
    "Denis",
    "Elise",
    "Fabien",
    "Gilles",
    "Helene",
    "Igor",
    "Julie",
    "Kevin",
    "Louise",
    "Mathis",
    "Nadia",
]
SURNAMES = [
    "Keller",
    "Novak",
    "Bauer",
    "Moreau",
    "Rossi",
    "Kowalski",
    "Jansen",
    "Garcia",
    "Olsen",
    "Fischer",
    "Laurent",
    "Marino",
    "Wagner",
    "Dubois",
    "Costa",
    "Horvat",
    "Lindqvist",
    "Peeters",
    "Schmitt",
    "Fontaine",
    "Bianchi",
    "Nowak",
    "Berg",
    "Vidal",
    "Roux",
]
STREETS = ["Main Street", "Church Road", "Rue de la Paix", "Station Road", "Park Lane", "Mill Way"]


def _typo(rng: random.Random, s: str) -> str:
    i = rng.randrange(1, len(s))
    return s[:i] + s[i + 1 :] if rng.random() < 0.5 else s[:i] + s[i - 1] + s[i:]


def households(n: int, seed: int) -> pl.DataFrame:
    """Households of 2-6 people (same surname, address and landline; different given names and
    birth dates), some of whom are recorded twice with small variations."""
    rng = random.Random(seed)
    rows = []
    for h in range(n):
        surname = rng.choice(SURNAMES)
        address = f"{rng.randint(1, 200)} {rng.choice(STREETS)}"
        postcode = f"{rng.randint(10000, 99999)}"
        phone = f"+4420{rng.randint(10_000_000, 99_999_999)}"
        members = rng.sample(GIVEN, rng.randint(2, 6))
        for k, given in enumerate(members):
            person = f"h{h}p{k}"
            dob = f"{rng.randint(1940, 2015)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
            email = f"{given.lower()}.{surname.lower()}{rng.randint(1, 99)}@mail.test"
            base = {
                "entity_id": person,
                "first_name": given,
                "last_name": surname,
                "address": address,
                "postcode": postcode,
                "phone": phone,
                "date_of_birth": dob,
                "email": email if rng.random() < 0.7 else None,
            }
            rows.append({**base, "record_id": f"{person}a"})
            if rng.random() < 0.3:
                dup = dict(base)
                if rng.random() < 0.5:
                    dup["first_name"] = _typo(rng, given)
                if rng.random() < 0.3:
                    dup["email"] = None
                rows.append({**dup, "record_id": f"{person}b"})
    rng.shuffle(rows)
    return pl.DataFrame(rows)


def test_household_members_are_not_merged() -> None:
    df = households(600, seed=3)
    result = crmdedup.dedupe(df.drop("entity_id"), id_column="record_id")
    ev = crmdedup.evaluate(result, df.select("record_id", "entity_id"))
    assert ev.precision >= 0.98, ev.as_dict()
    assert ev.recall >= 0.9, ev.as_dict()
    # A different given name weighs against a match: EM did not learn households as matches.
    params = result.model.parameters().filter(pl.col("comparison") == "first_name")
    m_else = params.filter(pl.col("label") == "else")["m"][0]
    assert m_else < 0.1, params


def test_names_written_in_each_other_field_are_candidates() -> None:
    df = households(200, seed=5).drop("entity_id")
    row = df.row(0, named=True)
    swapped = {
        **{k: None for k in row},
        "record_id": "swapped",
        "first_name": row["last_name"],
        "last_name": row["first_name"],
        "address": "1 Nowhere Lane",
        "postcode": "00001",
    }
    df = pl.concat([df, pl.DataFrame([swapped], schema=df.schema)])
    settings = crmdedup.infer_settings(df)
    assert ("sorted_tokens(last_name)", "sorted_tokens(first_name)") in [
        r.keys for r in settings.blocking_rules
    ]
    pairs = crmdedup.dedupe(df, settings.with_(threshold=1e-9), id_column="record_id").pairs
    ids = set(zip(pairs["record_id_l"], pairs["record_id_r"], strict=True))
    assert tuple(sorted((row["record_id"], "swapped"))) in ids


def test_rare_rule_set_gets_no_extreme_prior() -> None:
    # Many records with clear duplicates, and a few near-spellings with other birth years that
    # only a phonetic rule brings together: their rule set is rare and must not be trusted.
    df = households(300, seed=5)
    extra = pl.DataFrame(
        {
            "record_id": ["wf1", "wf2"],
            "entity_id": ["wf1", "wf2"],
            "first_name": ["William", "William"],
            "last_name": ["Fischer", "Fisher"],
            "address": ["3 Oak Road", "77 Elm Street"],
            "postcode": ["11111", "22222"],
            "phone": [None, None],
            "date_of_birth": ["1965-03-02", "1992-11-20"],
            "email": [None, None],
        }
    )
    df = pl.concat([df, extra.select(df.columns)], how="vertical_relaxed")
    result = crmdedup.dedupe(df.drop("entity_id"), id_column="record_id")
    clusters = dict(result.clusters.select("record_id", "cluster_id").rows())
    assert clusters["wf1"] != clusters["wf2"]
    # Whatever rule set brought them together, its prior is no certainty.
    prior = crmdedup.dedupe(
        df.drop("entity_id"),
        result.settings.with_(threshold=1e-6),
        id_column="record_id",
        model=result.model,
    ).explain("wf1", "wf2")["weight"][0]
    assert prior < 9.0  # log2 odds: a prior below 0.998


def test_roles_are_inferred_from_renamed_columns() -> None:
    df = pl.DataFrame(
        {
            "Contact Id": ["1", "2", "3"],
            "GivenName": ["Anna", "Ben", "Clara"],
            "middle_initial": ["J", "K", None],
            "Family Name": ["Keller", "Novak", "Bauer"],
            "street_number": ["12", "3", "7"],
            "street_name": ["Main Street", "Park Lane", "Mill Way"],
            "unit_number": ["4B", None, None],
            "job_title": ["CFO", "Engineer", "Nurse"],
            "state_code": ["NY", "CA", "TX"],
            "country_code": ["US", "US", "US"],
            "gender": ["F", "M", "F"],
            "contact": ["anna@x.test", "ben@y.test", "clara@z.test"],
            "notes": ["called", "left a message", "no"],
        }
    )
    s = crmdedup.infer_settings(df)
    roles = {r.column: r.role for r in s.column_roles}
    assert roles == {
        "Contact Id": "id",
        "GivenName": "first_name",
        "middle_initial": "middle_name",
        "Family Name": "last_name",
        "street_number": "street_number",
        "street_name": "street_name",
        "unit_number": "unit_number",
        "job_title": "job_title",
        "state_code": "region",
        "country_code": "country",
        "gender": "gender",
        "contact": "email",
        "notes": None,
    }
    reasons = {r.column: r.reason for r in s.column_roles}
    assert "emails" in reasons["contact"] and "ignored" in reasons["notes"]
    assert s.id_column == "Contact Id"


def movers(n: int, seed: int, moved: float = 0.5) -> pl.DataFrame:
    """People recorded twice, a share `moved` of them after a move to another state (the same
    given name, surname and birth date; street, number, postcode and state all new), among
    households of 1-3 people."""
    rng = random.Random(seed)
    states = ["CA", "TX", "NY", "FL", "WA", "OH", "GA", "NC", "MI", "AZ"]

    def home() -> dict[str, str]:
        return {
            "street_number": str(rng.randint(1, 9999)),
            "street_name": rng.choice(STREETS),
            "postcode": f"{rng.randint(10000, 99999)}",
            "state": rng.choice(states),
        }

    rows = []
    for h in range(n):
        surname = f"{rng.choice(SURNAMES)}{rng.choice(['', 'son', 'er', 'i', 'a', 'o'])}"
        where = home()
        for k, given in enumerate(rng.sample(GIVEN, rng.randint(1, 3))):
            person = f"h{h}p{k}"
            dob = f"{rng.randint(1940, 2005)}{rng.randint(1, 12):02}{rng.randint(1, 28):02}"
            base = {"given_name": given, "surname": surname, "date_of_birth": dob, **where}
            rows.append({**base, "record_id": f"{person}a", "entity_id": person})
            if rng.random() < 0.6:
                again = {**base, **home()} if rng.random() < moved else dict(base)
                rows.append({**again, "record_id": f"{person}b", "entity_id": person})
    return pl.DataFrame(rows)


def test_people_who_moved_keep_their_name_and_birth_date() -> None:
    """A full name and a birth date agree, every address field differs: the set of rules those
    keys make holds mostly such pairs, and EM over what is left (the address) must not empty its
    prior. The given name and birth date bound it from below (the surname and address, shared
    by households, do not). Half the duplicates moved: recall was 0.62 before that bound."""
    df = movers(3_000, seed=7, moved=0.5)
    result = crmdedup.dedupe(df.drop("entity_id"), id_column="record_id")
    ev = crmdedup.evaluate(result, df.select("record_id", "entity_id"))
    assert ev.recall >= 0.95, ev
    assert ev.precision >= 0.98, ev


SUITE = Path(__file__).resolve().parents[2] / "benches"


@pytest.fixture(scope="module")
def suite() -> object:
    sys.path.insert(0, str(SUITE))
    import quality_suite

    return quality_suite


@pytest.mark.parametrize(("dataset", "floor"), [("persons", 0.85), ("b2b", 0.75), ("french", 0.8)])
def test_suite_floors(suite: object, dataset: str, floor: float) -> None:
    scores = suite.run(scale=0.25, only=dataset)  # type: ignore[attr-defined]
    assert scores
    for s in scores:
        assert s.f1 >= floor, s


def job_changers(n: int, seed: int, changed: float = 0.2) -> pl.DataFrame:
    """Contacts at companies of about three colleagues (one office: address, city and
    switchboard), each with a direct line, a mobile and, in most records, a work email. Some
    are recorded twice, a share `changed` of them after a change of job: name and mobile kept,
    company, title, email, line and office all new; the mobile then written nationally without
    its country code."""
    rng = random.Random(seed)
    cities = [("London", "+44", "20"), ("Milano", "+39", "02"), ("Lyon", "+33", "4")]
    titles = ["Buyer", "Head of IT", "Sales Manager", "Accountant", "CTO", "HR Partner"]

    def office(c: int) -> dict[str, str]:
        city, cc, area = rng.choice(cities)
        return {
            "company": f"{rng.choice(SURNAMES)} {rng.choice(['Ltd', 'SpA', 'SA', 'Group'])} {c}",
            "address": f"{rng.randint(1, 300)} {rng.choice(STREETS)}",
            "city": city,
            "switchboard": f"{cc} {area} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
        }

    def job(place: dict[str, str], first: str, last: str) -> dict[str, str | None]:
        domain = place["company"].split()[0].lower() + place["company"].split()[-1] + ".test"
        return {
            "company": place["company"],
            "job_title": rng.choice(titles),
            "email": f"{first.lower()}.{last.lower()}@{domain}" if rng.random() < 0.6 else None,
            "phone": place["switchboard"][:-2] + f"{rng.randint(10, 99)}",
            "address": place["address"],
            "city": place["city"],
        }

    offices = [office(c) for c in range(n // 3)]
    rows = []
    for p in range(n):
        first, last = rng.choice(GIVEN), f"{rng.choice(SURNAMES)}{rng.choice(['', 'er', 'i'])}"
        mobile = f"3{rng.randint(10, 99)} {rng.randint(1_000_000, 9_999_999)}"
        record = {"first_name": first, "last_name": last, "entity_id": f"p{p}"}
        work = job(rng.choice(offices), first, last)
        rows.append({**record, **work, "mobile": f"+39 {mobile}", "record_id": f"p{p}a"})
        if rng.random() < 0.4:
            moved = rng.random() < changed
            again = job(rng.choice(offices), first, last) if moved else work
            written = mobile if moved else f"+39 {mobile}"
            rows.append({**record, **again, "mobile": written, "record_id": f"p{p}b"})
    return pl.DataFrame(rows)


def test_people_who_changed_jobs_keep_their_name_and_mobile() -> None:
    """Every workplace field of a job changer differs (company, title, email, line, address,
    city): counted apart, they outweighed the name and the mobile. In a table of people at work
    they are one fact (the ``workplace`` group), and a mobile written without its country code
    in a record of another country is still the same number."""
    df = job_changers(3_000, seed=5)
    settings = crmdedup.infer_settings(df.drop("entity_id"))
    groups = {c.name: c.group for c in settings.comparisons}
    assert groups["company"] == groups["address"] == groups["phone"] == "workplace", groups
    assert groups["mobile"] == groups["first_name"] == "", groups
    result = crmdedup.dedupe(df.drop("entity_id"), settings, id_column="record_id")
    ev = crmdedup.evaluate(result, df.select("record_id", "entity_id"))
    # 0.81 without the workplace group, 0.93 with it, 0.88 once each set of rules has its own
    # u (a set found by the mobile alone holds mostly job changers).
    assert ev.recall >= 0.85, ev
    assert ev.precision >= 0.98, ev


@pytest.mark.parametrize("seed", [0, 1])
def test_namesakes_at_other_employers_stay_apart_when_most_emails_are_missing(
    suite: object, seed: int
) -> None:
    """International B2B contacts with seven emails in ten missing: names, mobiles and the
    workplace are left. EM once learnt namesakes and colleagues as the match class there
    (precision 0.56 to 0.78): the company and given name's rule taught that a different
    surname is common among duplicates, and a move's floor, measured on pairs the floor itself
    had made matches, let every field of two employers count as one small fact."""
    from quality import gen_b2b  # type: ignore[import-not-found]

    df = gen_b2b.generate(4_000, seed=seed)
    missing = pl.col("record_id").hash(7) % 10 < 7
    df = df.with_columns(pl.when(missing).then(None).otherwise(pl.col("email")).alias("email"))
    result = crmdedup.dedupe(df.drop("entity_id"), id_column="record_id")
    ev = crmdedup.evaluate(result, df.select("record_id", "entity_id"))
    # Seed 1 was at precision 0.56 (F1 0.70); both seeds are now near 0.80 (F1 0.86 to 0.88).
    assert ev.precision >= 0.75, ev
    assert ev.recall >= 0.9, ev
    assert ev.f1 >= 0.84, ev
