"""Back-test of the Skolenkäten reader: every index cell of both result sheets, by openpyxl."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl

from pipeline.ingest.skolverket_format import kommunkod_of_name
from pipeline.ingest.sources import ReadContext, recognise
from tests.ingest.realdata_backtest import CellCounter, same

AREA = {
    "1": "enkat_information",
    "2": "stimulans",
    "3": "enkat_stod",
    "4": "enkat_kritiskt_tankande",
    "5": "enkat_bemotande_larare",
    "6": "enkat_bemotande_elever",
    "7": "inflytande",
    "8": "studiero",
    "9": "trygghet",
    "10": "enkat_forhindra_krankningar",
    "11": "enkat_elevhalsa",
    "12": "enkat_nojdhet",
}
IDENT = {
    "Kvinna": "flickor",
    "Man": "pojkar",
    "Har annan könsidentitet": "konsidentitet:annan",
    "Vill inte ange": "konsidentitet:ej_angivet",
}


def expected(cell):
    if cell is None:
        return None, "saknas"
    if cell in ("*", "**", "***", "-"):
        return None, "undertryckt"
    return float(cell), ""


def test_every_index_cell_matches(realdata: Path) -> None:
    path = realdata / "skolenkaten" / "excelrapport-elever-grundskola-ak-8-2022.xlsx"
    source = recognise(path)
    assert source.name == "skolenkaten"
    out = source.read(path, ReadContext())
    pub = out["publicerad"]
    assert set(pub["lasar"]) == {2022} and set(pub["skolform"]) == {"GR"}
    key_cols = ["niva", "skolenhetskod", "enhet", "indikator", "grupp"]
    assert not pub.duplicated(key_cols).any()
    got = {
        k: v
        for k, v in zip(
            zip(*(pub[c].tolist() for c in key_cols), strict=False),
            zip(pub["varde"].tolist(), pub["markering"].tolist(), pub["antal"].tolist(), strict=False),
            strict=False,
        )
    }
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = 0
    for sheet, by_sex in (("Resultat elever åk 8 2022", False), ("Könsuppdelat resultat", True)):
        rows = list(wb[sheet].iter_rows(values_only=True))
        area = None
        cols = []
        for j in range(8, len(rows[2])):
            if rows[0][j] and re.match(r"^\d+\. ", str(rows[0][j])):
                area = AREA[str(rows[0][j]).split(".")[0]]
            if rows[2][j] == "Index":
                cols.append(
                    (
                        j,
                        area,
                        {"Flicka": "flickor", "Pojke": "pojkar", "Totalt": None}[rows[1][j]]
                        if by_sex
                        else "samtliga",
                    )
                )
        for r in rows[3:]:
            if all(c is None for c in r):
                continue
            name = r[1]
            if name.startswith("Samtliga deltagande skolor"):
                rest = name[len("Samtliga deltagande skolor") :].strip(" -")
                niva, kod, enhet, grupp_row = (
                    "riket",
                    "",
                    "Samtliga deltagande skolor",
                    IDENT.get(rest, "samtliga"),
                )
            elif r[3] is None:
                niva, kod, enhet, grupp_row = "huvudman", "", " ".join(name.split()), "samtliga"
            else:
                niva, kod, enhet, grupp_row = "enhet", str(r[3]).zfill(8), " ".join(r[4].split()), "samtliga"
            for j, ind, g in cols:
                if g is None:
                    continue
                grupp = g if by_sex else grupp_row
                varde, mark = expected(r[j])
                got_v, got_m, got_a = got[(niva, kod, enhet, ind, grupp)]
                if by_sex and niva == "riket":
                    # the main sheet's '- Kvinna'/'- Man' rows gave these: they agree
                    assert same(varde, got_v)
                    continue
                assert same(varde, got_v) and got_m == mark, (sheet, r[:5], ind, grupp, r[j])
                if not by_sex:
                    assert (
                        (got_a is None or got_a is not got_a or str(got_a) == "<NA>")
                        if not isinstance(r[6], int)
                        else got_a == r[6]
                    )
                n += 1
    wb.close()
    assert n == len(pub)
    CellCounter.add("skolenkaten", n)
    units = out["skolenheter"]
    assert not units.duplicated(["skolenhetskod", "skolform"]).any() and len(units) > 500


def test_skolenkaten_filter(realdata: Path) -> None:
    path = realdata / "skolenkaten" / "excelrapport-elever-grundskola-ak-8-2022.xlsx"
    out = recognise(path).read(path, ReadContext(kommunkod="0180"))
    pub = out["publicerad"]
    assert set(pub["niva"]) == {"riket", "huvudman", "enhet"}
    assert set(pub.loc[pub["niva"] != "riket", "kommunkod"]) == {"0180"}
    assert set(pub.loc[pub["niva"] == "huvudman", "enhet"]) == {"Stockholms kommun"}
    assert set(out["skolenheter"]["kommunkod"]) == {"0180"}
    assert kommunkod_of_name("Stockholms kommun") == "0180"
