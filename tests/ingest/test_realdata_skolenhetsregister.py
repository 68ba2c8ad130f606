"""Back-test of the skolenhetsregister reader: every kommunal unit of the known sheets, by openpyxl."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from pipeline.ingest.sources import ReadContext, recognise
from tests.ingest.realdata_backtest import CellCounter

SHEETS = {
    "Grundskola": "GR",
    "Gymnasieskola": "GY",
    "Komm. vuxenutb.": "VUX",
    "Komm. vuxenutb. i sv. f. inv.": "VUX",
}


def test_every_kommunal_unit_is_read(realdata: Path) -> None:
    path = realdata / "skolenhetsregistret" / "Skolenhetsregistret.xlsx"
    source = recognise(path)
    assert source.name == "skolenhetsregistret"
    units = source.read(path, ReadContext())["skolenheter"]
    assert not units.duplicated(["skolenhetskod", "skolform"]).any()
    got = {
        (k, f): (e, h, m)
        for k, f, e, h, m in zip(
            units.skolenhetskod, units.skolform, units.enhet, units.huvudman, units.kommunkod, strict=False
        )
    }
    wb = openpyxl.load_workbook(path, read_only=True)
    expected = {}
    for sheet, form in reversed(list(SHEETS.items())):  # the first sheet wins for a unit in both vux sheets
        h = list(next(wb[sheet].iter_rows(max_row=1, values_only=True)))
        last = max(h.index(c) for c in ("HUVUDMANNATYP", "KOMMUN", "SKOLENHETSKOD", "NAMN", "HUVUDMANS NAMN"))
        rows = wb[sheet].iter_rows(min_row=2, max_col=last + 1, values_only=True)
        for r in rows:
            if r[h.index("HUVUDMANNATYP")] == "Kommunal":
                expected[(r[h.index("SKOLENHETSKOD")], form)] = (
                    " ".join(r[h.index("NAMN")].split()),
                    " ".join(r[h.index("HUVUDMANS NAMN")].split()),
                    r[h.index("KOMMUN")],
                )  # whitespace collapsed
    wb.close()
    assert got == expected
    CellCounter.add("skolenhetsregistret", 3 * len(expected))
    small = source.read(path, ReadContext(kommunkod="0180"))["skolenheter"]
    assert set(small["kommunkod"]) == {"0180"} and set(small["skolform"]) == {"GR", "GY", "VUX"}
    assert small.attrs["lasar"] == 2020
