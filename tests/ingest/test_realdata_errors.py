"""The published-source readers on small hand-made files: levels, markers, and loud errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import DataValidationError
from pipeline.ingest.ledger import UNPLACED_KEY
from pipeline.ingest.skolverket_format import kommunkod_of_name, parse_lasar, parse_value
from pipeline.ingest.sources import ReadContext, recognise

HEAD = "\ufeffStatistik från Skolverket, https://www.skolverket.se\n\nGrundskola - Betyg årskurs 6, andel som fått godkänt betyg (A-E), samtliga elever\nValt läsår: 2030/31\n\n"
HEADER = (
    "Kommun;Kommun-kod;Län;Läns-kod;Typ av huvudman;Antal elever;Antal ämnesbetyg (genomsnitt);"
    "Andel (%) elever som fått godkänt betyg i alla ämnen;Andel (%) elever som ej fått godkänt betyg i ett ämne;"
    "Andel (%) elever som ej fått godkänt betyg i fler, alternativt alla ämnen;\n"
)
FOOT = "\nRapportbeskrivning och definitioner etc.\nAndel;En definition;\n"


def write(
    tmp_path: Path, body: str, name: str = "export.csv", head: str = HEAD, header: str = HEADER
) -> Path:
    p = tmp_path / name
    p.write_text(head + header + body + FOOT, encoding="utf-8")
    return p


ROWS = (
    "Ale;1440;Västra Götalands län;14;Samtliga;1 463;15,8;74,9;10,6;14,5;\n"
    "Ale;1440;Västra Götalands län;14;Kommunal;414;16,3;~100;..;.;\n"
    "Ale;1440;Västra Götalands län;14;Enskild;49;11,9;85,7;..;..;\n"
    "Alingsås;1489;Västra Götalands län;14;Samtliga;549;16,0;71,8;9,7;18,6;\n"
    "Alingsås;1489;Västra Götalands län;14;Kommunal;449;15,9;69,3;10,2;20,5;\n"
    "Alvesta;0764;Kronobergs län;07;Samtliga;200;16,0;70,0;10,0;20,0;\n"
)


def test_levels_markers_and_year_from_a_hand_made_export(tmp_path: Path) -> None:
    path = write(tmp_path, ROWS)
    source = recognise(path)
    assert source.name == "skolverket_betyg_ak6"
    pub = source.read(path, ReadContext(kommunkod="1440", jamforelsegrupp=("0764",)))["publicerad"]
    assert set(pub["lasar"]) == {2031}
    assert set(pub["kommunkod"]) == {"1440", "0764"}  # Alingsås filtered out, codes keep zeros
    by = {(r.kommunkod, r.typ_av_huvudman, r.indikator): r for r in pub.itertuples()}
    r = by[("1440", "Samtliga", "ak6_godkand_alla_amnen")]
    assert (r.niva, r.varde, r.antal, r.markering, r.grupp) == ("kommun", 74.9, 1463, "", "samtliga")
    r = by[("1440", "Kommunal", "ak6_godkand_alla_amnen")]
    assert (r.niva, r.varde, r.markering, r.antal) == ("huvudman", 100.0, "avrundad", 414)
    r = by[("1440", "Kommunal", "ak6_ej_godkand_ett_amne")]
    assert pd.isna(r.varde) and r.markering == "undertryckt"
    r = by[("1440", "Kommunal", "ak6_ej_godkand_flera_amnen")]
    assert pd.isna(r.varde) and r.markering == "saknas"
    assert by[("1440", "Enskild", "ak6_godkand_alla_amnen")].niva == "kommun"
    assert {r.niva for r in pub.itertuples() if r.kommunkod == "0764"} == {"jamforelse"}
    assert len(pub) == 4 * 4  # three rows of Ale and one of Alvesta, four values each


def test_non_numeric_values_are_all_reported_with_line_and_column(tmp_path: Path) -> None:
    bad = ROWS.replace("15,8;74,9", "15,8;sjuttio").replace("449;15,9", "449;x")
    path = write(tmp_path, bad)
    with pytest.raises(DataValidationError) as exc:
        recognise(path).read(path, ReadContext())
    msg = str(exc.value)
    assert str(path) in msg and "line 7" in msg and "'sjuttio'" in msg
    assert "Andel (%) elever som fått godkänt betyg i alla ämnen" in msg
    assert [(f["row"], f["value"]) for f in exc.value.failures] == [(7, "sjuttio"), (11, "x")]


def test_missing_header_column_and_unknown_column(tmp_path: Path) -> None:
    header = HEADER.replace("Antal elever;", "Elever totalt;")
    path = write(tmp_path, ROWS, header=header)
    with pytest.raises(DataValidationError) as exc:
        recognise(path).read(path, ReadContext())
    cols = {f["column"] for f in exc.value.failures}
    assert "Elever totalt" in cols and "Antal elever" in cols


def test_truncated_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text(HEAD + HEADER + ROWS + "Alvesta;0764;Kronobergs", encoding="utf-8")
    with pytest.raises(DataValidationError) as exc:
        recognise(path).read(path, ReadContext())
    assert "line 13" in str(exc.value) and "truncated" in str(exc.value)


def test_missing_valt_lasar_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, ROWS, head=HEAD.replace("Valt läsår: 2030/31\n", "Något annat\n"))
    with pytest.raises(DataValidationError, match="Valt läsår"):
        recognise(path).read(path, ReadContext())


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("82,0", (82.0, "")),
        ("3 877", (3877.0, "")),
        ("..", (None, "undertryckt")),
        (".", (None, "saknas")),
        ("~100", (100.0, "avrundad")),
        (98, (98.0, "")),
        ("98", (98.0, "")),
    ],
)
def test_parse_value(cell, expected) -> None:
    assert parse_value(cell) == expected


@pytest.mark.parametrize("cell", ["", None, "x", "1,2,3", "*"])
def test_parse_value_rejects(cell) -> None:
    with pytest.raises(ValueError):
        parse_value(cell)


def test_parse_lasar_and_names() -> None:
    assert parse_lasar("Valt läsår: 2023/24") == 2024
    assert parse_lasar("Valt år: 2024") == 2024
    assert parse_lasar("Valt uttag: 2024-02-22") is None
    assert kommunkod_of_name("Upplands Väsby") == "0114"
    assert kommunkod_of_name("Falu kommun") == "2080"
    assert kommunkod_of_name("Friskolan AB") is None


def test_kolada_unknown_status_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "k.parquet"
    pd.DataFrame(
        {
            "kpi": ["N15428", "N15428"],
            "municipality_id": ["0180", "0180"],
            "year": [2024, 2024],
            "count": [1, 1],
            "gender": ["T", "K"],
            "status": ["", "Weird"],
            "value": [80.0, None],
            "municipality": ["Stockholm"] * 2,
            "municipality_type": ["K", "K"],
        }
    ).to_parquet(path)
    assert recognise(path).name == "kolada_data"
    with pytest.raises(DataValidationError) as exc:
        recognise(path).read(path, ReadContext())
    assert exc.value.failures[0]["column"] == "status" and exc.value.failures[0]["value"] == "Weird"


def test_api_malformed_line_and_unknown_value_type(tmp_path: Path) -> None:
    good = {
        "schoolUnit": "12345678",
        "averageGradesMeritRating9thGrade": [
            {"value": "250,1", "valueType": "EXISTS", "timePeriod": "2024/25"},
            {"value": "?", "valueType": "SOMETHING_NEW", "timePeriod": "2023/24"},
        ],
    }
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(good) + "\n" + '{"schoolUnit": "1234' + "\n", encoding="utf-8")
    assert recognise(path).name == "skolverket_api_statistik"
    with pytest.raises(DataValidationError) as exc:
        recognise(path).read(path, ReadContext())
    rows = sorted(f["row"] for f in exc.value.failures)
    assert rows == [1, 2]
    path.write_text(
        json.dumps({**good, "averageGradesMeritRating9thGrade": good["averageGradesMeritRating9thGrade"][:1]})
        + "\n",
        encoding="utf-8",
    )
    # a unit without a details file is not placed by the reader itself (read_all places it from the
    # other files, or nationally): its rows wait under UNPLACED_KEY
    res = recognise(path).read(path, ReadContext())
    pub = pd.concat([res["publicerad"], res[UNPLACED_KEY]], ignore_index=True)
    assert pub[["lasar", "indikator", "varde", "niva"]].values.tolist() == [
        [2025, "meritvarde_17", 250.1, "enhet"]
    ]
