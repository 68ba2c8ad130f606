"""Skolenkäten: school form and respondent group from the report's own title, never the file name.

Hand-made workbooks in the published layout (three header rows, a 'Förklaring' sheet) with
fictitious values for one fictitious unit (99990001) in Nynäshamn.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from pipeline.errors import DataValidationError
from pipeline.ingest import read_all
from pipeline.ingest.sources import ReadContext, recognise

META = [
    "Orgnummer",
    "Huvudman",
    "Kommun",
    "Skolenhetskod",
    "Skolenhet",
    "Antal i gruppen",
    "Antal",
    "Svarsfrekvens",
]


def _survey(path: Path, title: str, sheet: str, trygghet_enhet: float, trygghet_riket: float) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([title, *[None] * 7, "9. Trygghet"])
    ws.append([*META, None])
    ws.append([*[None] * 8, "Index"])
    ws.append([None, "Samtliga deltagande skolor", None, None, None, 50000, 40000, "80%", trygghet_riket])
    ws.append(["2120000000", "Nynäshamns kommun", "Nynäshamn", "99990001", "Påhittade skolan", 60, 48, "80%",
               trygghet_enhet])  # fmt: skip
    wb.create_sheet("Förklaring").append(["Tolkningsstöd (testdata)"])
    wb.save(path)
    return path


def _read(path: Path):
    return recognise(path).read(path, ReadContext(kommunkod="0192"))["publicerad"]


def test_a_gymnasium_survey_is_gymnasieskola_whatever_the_file_is_called(tmp_path: Path):
    # the file name says grundskola åk 8; the title says gymnasieskolan år 2
    p = _survey(tmp_path / "excelrapport-elever-grundskola-ak-8-2023.xlsx",
                "Skolenkäten 2023 - Elever gymnasieskolan år 2", "Resultat elever gy år 2 2023", 7.4, 7.9)  # fmt: skip
    pub = _read(p)
    assert set(pub["skolform"]) == {"GY"} and set(pub["grupp"]) == {"samtliga"}
    enhet = pub[pub["niva"] == "enhet"]
    assert enhet[["skolenhetskod", "indikator", "varde", "antal"]].values.tolist() == [
        ["99990001", "trygghet", 7.4, 48]
    ]


def test_two_surveys_of_one_unit_and_year_do_not_collide(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _survey(raw / "a.xlsx", "Skolenkäten 2023 - Elever årskurs 8", "Resultat elever åk 8 2023", 6.1, 7.0)
    _survey(raw / "b.xlsx", "Skolenkäten 2023 - Elever årskurs 5", "Resultat elever åk 5 2023", 8.2, 8.5)
    _survey(raw / "c.xlsx", "Skolenkäten 2023 - Elever gymnasieskolan år 2", "Resultat gy 2023", 7.4, 7.9)
    tables, _ = read_all(raw, ReadContext(kommunkod="0192"), report_path=tmp_path / "v.csv")
    pub = tables["publicerad"]
    got = {(r.skolform, r.niva, r.grupp): r.varde for r in pub.itertuples()}
    # by hand, from the three titles: åk 8 is the grundskola's main survey (samtliga), åk 5 its own
    # respondent group, år 2 the gymnasieskola's main survey
    assert got == {
        ("GR", "enhet", "samtliga"): 6.1, ("GR", "riket", "samtliga"): 7.0,
        ("GR", "enhet", "respondent:elever_ak5"): 8.2, ("GR", "riket", "respondent:elever_ak5"): 8.5,
        ("GY", "enhet", "samtliga"): 7.4, ("GY", "riket", "samtliga"): 7.9,
    }  # fmt: skip


def test_a_title_without_a_respondent_group_is_refused(tmp_path: Path):
    p = _survey(tmp_path / "elever-ak-8.xlsx", "Skolenkäten 2023 - Resultat", "Resultat 2023", 6.1, 7.0)
    with pytest.raises(DataValidationError, match="naming the respondent group"):
        _read(p)
