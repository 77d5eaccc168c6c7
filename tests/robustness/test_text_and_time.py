"""Text files with stray bytes (class 6) and consent times with time zones (class 7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmdedup
from crmdedup._io import InputError, InputWarning, read_table, sniff_encoding

UTF8_ROWS = "id,prénom,nom\n1,Élodie,Lefèvre\n2,Hélène,Bérénice\n3,François,Nöel\n"


def test_one_stray_byte_keeps_a_utf8_file_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(UTF8_ROWS.encode() + b"4,Jos\xe9,Martin\n")
    assert sniff_encoding(path) == "utf-8"
    with pytest.warns(InputWarning, match="line 5"):
        frame, info = read_table(path)
    assert info.encoding == "utf-8" and info.repaired
    assert frame.get_column("prénom").to_list() == ["Élodie", "Hélène", "François", "Jos\ufffd"]


def test_bad_bytes_on_many_lines_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    extra = b"".join(b"%d,X\xff,Y\n" % i for i in range(10, 20))
    path.write_bytes((UTF8_ROWS * 5).encode() + extra)
    with pytest.warns(InputWarning, match="lines 21, 22, 23, 24, 25 and more"):
        read_table(path)


def test_a_latin1_file_is_still_latin1(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(UTF8_ROWS.encode("cp1252"))
    assert sniff_encoding(path) == "cp1252"
    frame, _ = read_table(path)
    assert frame.get_column("nom").to_list() == ["Lefèvre", "Bérénice", "Nöel"]


def test_latin1_with_a_chance_utf8_pair_stays_latin1(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes((UTF8_ROWS * 3).encode("cp1252") + "5,Ã©,x\n".encode("cp1252"))
    assert sniff_encoding(path) == "cp1252"


def test_explicit_encoding_stays_strict(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(UTF8_ROWS.encode() + b"4,Jos\xe9,Martin\n")
    with pytest.raises(InputError, match="utf-8"):
        read_table(path, encoding="utf-8")


def test_bom_file_with_a_stray_byte(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"\xef\xbb\xbf" + UTF8_ROWS.encode() + b"4,Jos\xe9,Martin\n")
    with pytest.warns(InputWarning, match="line 5"):
        frame, _ = read_table(path)
    assert frame.columns == ["id", "prénom", "nom"]


@given(
    text=st.text(st.characters(codec="utf-8", exclude_characters='\r\n,"\x00'), min_size=1),
    junk=st.lists(st.integers(0x80, 0xFF), min_size=1, max_size=3)
    .map(bytes)
    .filter(lambda b: not _decodes(b)),
)
@settings(max_examples=50, deadline=None)
def test_any_utf8_text_with_junk_is_read(
    tmp_path_factory: pytest.TempPathFactory, text: str, junk: bytes
) -> None:
    path = tmp_path_factory.mktemp("h") / "c.csv"
    accents = "Élodie Hélène François Bérénice Lefèvre"
    path.write_bytes(f"id,nom\n1,{accents}\n2,{text}\n".encode() + b"3," + junk + b"\n")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        frame, info = read_table(path)
    assert info.encoding == "utf-8"
    assert frame.get_column("nom")[0] == accents


def _decodes(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- consent times ---------------------------------------------------------------------------

PEOPLE = pl.DataFrame({"record_id": [1, 2], "email": ["a@x.fr", "A@x.fr"]})
CLUSTERS = pl.DataFrame({"record_id": [1, 2], "cluster_id": [1, 1]})


def _events(times: list[object]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "record_id": [1, 2][: len(times)],
            "purpose": ["email_marketing"] * len(times),
            "status": ["granted", "withdrawn"][: len(times)],
            "recorded_at": times,
            "source": ["web"] * len(times),
            "proof": ["p1", "p2"][: len(times)],
        },
        strict=False,
    )


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2024-05-01T10:00:00+02:00", dt.datetime(2024, 5, 1, 8, 0)),
        ("2024-05-01T10:00:00+0200", dt.datetime(2024, 5, 1, 8, 0)),
        ("2024-05-01T10:00:00+02", dt.datetime(2024, 5, 1, 8, 0)),
        ("2024-05-01T10:00:00Z", dt.datetime(2024, 5, 1, 10, 0)),
        ("2024-05-01T10:00Z", dt.datetime(2024, 5, 1, 10, 0)),
        ("2024-05-01 10:00:00-05:00", dt.datetime(2024, 5, 1, 15, 0)),
        ("2024-05-01T10:00:00.250+01:00", dt.datetime(2024, 5, 1, 9, 0, 0, 250000)),
        ("2024-05-01T10:00:00", dt.datetime(2024, 5, 1, 10, 0)),
        ("2024-05-01", dt.datetime(2024, 5, 1)),
    ],
)
def test_iso_text_is_converted_to_utc(text: str, utc: dt.datetime) -> None:
    result = crmdedup.merge(PEOPLE, CLUSTERS, id_column="record_id", consents=_events([text]))
    assert result.consent.get_column("decided_at").to_list() == [utc]


def test_offsets_decide_which_event_is_latest() -> None:
    # 10:00+02:00 is 08:00 UTC, before 09:00Z: the withdrawal (09:00Z) is the latest event.
    events = _events(["2024-05-01T10:00:00+02:00", "2024-05-01T09:00:00Z"])
    result = crmdedup.merge(PEOPLE, CLUSTERS, id_column="record_id", consents=events)
    assert set(result.consent.get_column("status")) == {"withdrawn"}
    events = _events(["2024-05-01T10:00:00+02:00", "2024-05-01T07:00:00Z"])
    result = crmdedup.merge(PEOPLE, CLUSTERS, id_column="record_id", consents=events)
    statuses = dict(result.consent.select("contact_point", "status").rows())
    assert statuses["a@x.fr"] == "granted"


def test_aware_datetimes_are_converted_and_naive_ones_kept() -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    aware = _events([dt.datetime(2024, 5, 1, 10, tzinfo=paris)])
    result = crmdedup.merge(PEOPLE, CLUSTERS, id_column="record_id", consents=aware)
    assert result.consent.get_column("decided_at").to_list() == [dt.datetime(2024, 5, 1, 8)]
    naive = _events([dt.datetime(2024, 5, 1, 10)])
    result = crmdedup.merge(PEOPLE, CLUSTERS, id_column="record_id", consents=naive)
    assert result.consent.get_column("decided_at").to_list() == [dt.datetime(2024, 5, 1, 10)]


def test_opt_in_columns_with_offsets() -> None:
    crm = pl.DataFrame(
        {
            "id": [1, 2],
            "email_optin": [True, False],
            "email_optin_at": ["2021-05-01T10:00:00+02:00", "2021-05-02T00:30:00Z"],
        }
    )
    events = crmdedup.consents_from_columns(
        crm, id_column="id", purposes={"email_marketing": "email_optin"}
    )
    assert events.get_column("recorded_at").to_list() == [
        dt.datetime(2021, 5, 1, 8),
        dt.datetime(2021, 5, 2, 0, 30),
    ]


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01T10:00:00Z", "2024-05-01T25:00+01:00"])
def test_unreadable_times_name_the_row(text: str) -> None:
    with pytest.raises(crmdedup.SchemaError, match="`recorded_at`"):
        crmdedup.merge(PEOPLE, CLUSTERS, id_column="record_id", consents=_events([text]))
