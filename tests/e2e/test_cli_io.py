"""Reading CRM exports (dialects, encodings, formats) and writing outputs atomically."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from crmdedup._files import atomic_path, write_table
from crmdedup._io import InputError, read_table, sniff_delimiter
from tests._helpers import run

FRENCH = (
    "Identifiant;Prénom;Nom;Courriel;Téléphone;Code postal;Ville\n"
    "001;Hélène;Lefèvre;helene.lefevre@orange.fr;06 12 34 56 78;01000;Bourg-en-Bresse\n"
    "002;Helene;LEFEVRE;Helene.Lefevre@orange.fr;0612345678;01000;Bourg en Bresse\n"
    "003;François;Cœur;f.coeur@free.fr;;75011;Paris\n"
    '004;Zoé;"Martin; dite ""Zaza""";zoe@ex.fr;;13001;Marseille\n'
)


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-8", "utf-8-sig"])
def test_french_semicolon_exports(tmp_path: Path, encoding: str) -> None:
    text = FRENCH if encoding != "latin-1" else FRENCH.replace("Œ", "OE").replace("œ", "oe")
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    frame, info = read_table(path)
    assert info.delimiter == ";"
    assert frame.columns[:3] == ["Identifiant", "Prénom", "Nom"]
    assert frame["Prénom"].to_list()[0] == "Hélène"
    assert frame["Identifiant"].to_list() == ["001", "002", "003", "004"]  # leading zeros kept
    assert frame["Code postal"][0] == "01000"
    assert frame["Nom"][3] == 'Martin; dite "Zaza"'
    assert frame["Téléphone"][2] is None  # empty field is null


def test_latin1_export_deduplicates_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(FRENCH.encode("cp1252"))
    out = tmp_path / "run"
    result = run("dedupe", path, "-o", out, "--json", "--quiet")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 4
    info = json.loads((out / "run.json").read_text())
    assert (info["encoding"], info["delimiter"], info["id_column"]) == (
        "cp1252",
        ";",
        "Identifiant",
    )
    clusters = pl.read_parquet(out / "clusters.parquet")
    assert clusters["cluster_id"].to_list()[:2] == ["001", "001"]


def test_tsv_and_parquet(tmp_path: Path) -> None:
    frame = pl.DataFrame({"id": [1, 2], "email": ["a@x.fr", "b, c@y.fr"]})
    tsv = tmp_path / "c.tsv"
    frame.write_csv(tsv, separator="\t")
    got, info = read_table(tsv)
    assert info.format == "tsv" and got["email"].to_list() == ["a@x.fr", "b, c@y.fr"]
    pq = tmp_path / "c.parquet"
    frame.write_parquet(pq)
    got, info = read_table(pq)
    assert info.format == "parquet" and got.equals(frame)


def test_delimiter_sniffing_honours_quotes() -> None:
    assert sniff_delimiter('a,b,c\n"x;y",2,3\n"p;q",5,6\n') == ","
    assert sniff_delimiter("a|b\n1|2\n") == "|"
    assert sniff_delimiter("only_one_column\nvalue\n") == ","


def test_explicit_delimiter_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_bytes("id|nom\n1|Lefèvre\n".encode("latin-1"))
    frame, info = read_table(path, delimiter="|", encoding="latin-1")
    assert frame["nom"][0] == "Lefèvre" and info.encoding == "latin-1"
    with pytest.raises(InputError, match="unknown encoding `klingon`"):
        read_table(path, encoding="klingon")


def test_spreadsheets_are_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "contacts.xlsx"
    path.write_bytes(b"PK\x03\x04")
    result = run("dedupe", path)
    assert result.exit_code == 2
    assert "`" in result.stderr and "spreadsheet" in result.stderr and "hint:" in result.stderr


def test_ragged_csv_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("id,email\n1,a@x.fr\n2,b@y.fr,extra,fields\n")
    result = run("dedupe", path, "--quiet")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: `") and "ragged.csv" in result.stderr


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "clusters.csv"
    target.write_text("old\n")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half a fi")
        raise KeyboardInterrupt
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]
    write_table(pl.DataFrame({"a": [1]}), target)
    assert target.read_text() == "a\n1\n"
