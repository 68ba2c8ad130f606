"""Skolverket "Grundskola - Jämförelse av ämnesbetyg över tid": wide (one column per läsår), the
``Uppgift`` column's values are subject names. A hand-made, fictitious file in Skolverket's published
CSV layout (BOM, header rows, ``..``/``.`` markers, decimal comma, the report-description footer),
back-tested cell for cell with a reading independent of pipeline.ingest; the same table as XLSX
(one sheet per Typ av huvudman plus the description sheet) reads to the same rows.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pipeline.errors import DataValidationError
from pipeline.ingest.sources import ReadContext, recognise
from tests.ingest.realdata_backtest import csv_table, expected_value, index_output, same

FILE = (
    Path(__file__).parent / "fixtures" / "Grundskola - Jämförelse av ämnesbetyg över tid 2025 Kommun_Åk9.csv"
)
#: The subject names of the file → codes, restated by hand (docs/realdata.md, Ämne).
SUBJECTS = {
    "Engelska": "EN",
    "Matematik": "MA",
    "Svenska som andraspråk": "SVA",
    "Hem- och konsumentkunskap": "HKK",
}


def _read(path: Path, ctx: ReadContext | None = None):
    source = recognise(path)
    assert source.name == "skolverket_amnesbetyg_over_tid"
    return source.read(path, ctx or ReadContext())["publicerad"]


def test_every_cell_of_the_file_is_one_row_with_its_value_and_marker():
    title, _, header, data = csv_table(FILE)
    assert title == "Grundskola - Jämförelse av ämnesbetyg över tid"
    pub = _read(FILE)
    out = index_output(pub, ["niva", "kommunkod", "lasar", "indikator", "grupp"])
    years = {j: int(h[:4]) + 1 for j, h in enumerate(header) if "/" in h}  # '2024/25' -> 2025
    cells = 0
    for _, r in data:
        niva = "riket" if r[0] == "Riket" else "kommun"  # Typ av huvudman: Samtliga -> kommun
        for j, lasar in years.items():
            varde, markering = expected_value(r[j])
            row = out[(niva, r[1], lasar, "ak9_amne_lagst_e", f"amne:{SUBJECTS[r[4]]}")]
            assert same(varde, row["varde"]) and row["markering"] == markering, (r, j, row)
            assert row["typ_av_huvudman"] == "Samtliga" and row["skolform"] == "GR"
            cells += 1
    # 8 rows x 5 läsår, and nothing else
    assert cells == 40 == len(pub)


def test_hand_picked_cells():
    pub = _read(FILE, ReadContext(kommunkod="0114")).set_index(["niva", "kommunkod", "lasar", "grupp"])
    # line 13: Upplands Väsby, Matematik, 2024/25 '85,1'; line 12: Engelska 2022/23 '..'
    assert pub.at[("kommun", "0114", 2025, "amne:MA"), "varde"] == 85.1
    assert math.isnan(pub.at[("kommun", "0114", 2023, "amne:EN"), "varde"])
    assert pub.at[("kommun", "0114", 2023, "amne:EN"), "markering"] == "undertryckt"
    assert pub.at[("kommun", "0114", 2022, "amne:MA"), "markering"] == "saknas"  # '.'
    # only the report's kommun and riket: 2 riket rows + 4 Upplands Väsby rows, 5 läsår each
    assert len(pub) == 30 and "1384" not in set(pub.index.get_level_values("kommunkod"))


def test_the_same_table_as_a_workbook_reads_the_same(tmp_path):
    from openpyxl import Workbook

    lines = FILE.read_text(encoding="utf-8-sig").split("\n")
    wb = Workbook()
    ws = wb.active
    ws.title = "Samtliga"
    for line in lines:
        if line.startswith("Rapportbeskrivning"):
            break
        cells = line.split(";") if line else [None]
        ws.append([_cell(c) for c in cells])
    wb.create_sheet("Rapportbeskrivning och def.").append(["Fiktiv testfil."])
    path = tmp_path / "Grundskola - Jämförelse av ämnesbetyg över tid 2025 Kommun_Åk9.xlsx"
    wb.save(path)
    key = ["niva", "kommunkod", "lasar", "indikator", "grupp"]
    a, b = (index_output(_read(p), key) for p in (FILE, path))
    assert a.keys() == b.keys()
    for k in a:
        assert same(a[k]["varde"], b[k]["varde"]) and a[k]["markering"] == b[k]["markering"], k


def _cell(text: str | None):
    """A CSV cell as Skolverket's workbooks hold it: numbers as numbers, codes and markers as text."""
    if text is None or text == "":
        return None
    try:
        return float(text.replace(",", ".")) if "," in text else text
    except ValueError:
        return text


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (";Matematik;85,1", ";Matematiken;85,1", "line 13, column 'Uppgift'"),
        (";Engelska;92,3", ";Engelska;92 procent", "line 12, column '2024/25'"),
        ("Andel (%) elever med lägst betyget E\n", "\n", "a preamble line naming the measure"),
        ("Årskurs: 9\n", "\n", "'Årskurs: 9' (or 6)"),
    ],
)
def test_a_damaged_file_names_the_line_the_column_and_what_was_expected(tmp_path, old, new, says):
    text = FILE.read_text(encoding="utf-8-sig")
    assert old in text
    path = tmp_path / FILE.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8-sig")
    with pytest.raises(DataValidationError) as info:
        _read(path)
    assert says in str(info.value)
