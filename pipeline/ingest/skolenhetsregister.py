"""Reader of Skolverket's skolenhetsregister overview workbook (``Skolenhetsregistret.xlsx``).

Recognised by its sheets: one per school form (``Grundskola``, ``Gymnasieskola``,
``Komm. vuxenutb.``, ...) plus ``Huvudmän``. Header in row 1, upper case (``HUVUDMANNATYP,
ORGANISATIONSNR, ..., KOMMUN, KOMMUNNAMN, SKOLENHETSKOD, NAMN, ..., HUVUDMANS NAMN``).

Output: ``skolenheter`` rows (the skolenhet → huvudman → kommun mapping) for the kommunal units
(``HUVUDMANNATYP = Kommunal``) of the report's kommun (every kommun when ``ctx.kommunkod`` is
None), for the sheets of school forms the pipeline knows:

* ``Grundskola`` → ``GR`` (``arskurser`` from the ``FKLASS``/``ÅR1``–``ÅR9`` flags, e.g. ``F,1,2,3``),
* ``Gymnasieskola`` → ``GY``,
* ``Komm. vuxenutb.`` and ``Komm. vuxenutb. i sv. f. inv.`` (sfi) → ``VUX`` (a unit in both
  sheets is one row).

Grundsärskola, Gymnasiesärskola, Specialskola, Sameskola and Särskild utbildning för vuxna are
not school forms of this pipeline and are not read. No ``publicerad`` rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipeline.ingest.ledger import LEDGER_KEY, UNIT_KOMMUN_KEY, Ledger, unit_kommun_frame
from pipeline.ingest.skolverket_format import (
    FailureCollector,
    clean_code,
    iter_xlsx_rows,
    norm_header,
    skolenheter_frame,
)
from pipeline.ingest.sources import ReadContext, Sniff, Source, register
from pipeline.school_forms import register_sheets

#: The workbook's school-form sheets -> code, from the school-form registry (read in this order).
SHEETS: dict[str, str] = register_sheets()
REQUIRED = ("HUVUDMANNATYP", "KOMMUN", "SKOLENHETSKOD", "NAMN", "HUVUDMANS NAMN")
GRADES = [("FKLASS", "F")] + [(f"ÅR{i}", str(i)) for i in range(1, 10)]


def read_register(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
    """Read the register workbook into ``skolenheter``.

    Raises
    ------
    DataValidationError
        A school-form sheet lacks a required column, or a row has a malformed code.
    """
    from openpyxl.utils import get_column_letter

    from pipeline.ingest.sources import sniff

    path = Path(path)
    fc = FailureCollector(path)
    units: list[dict] = []
    ledger = Ledger()
    unit_kommun: dict[str, str] = {}
    sheets = sniff(path).sheets
    year = _modified_year(path)
    ledger.add(
        "annan_skolform",
        len([x for x in sheets if x not in SHEETS]),
        detalj=[x for x in sheets if x not in SHEETS],
    )
    for sheet, form in SHEETS.items():
        if sheet not in sheets:
            continue
        first = iter_xlsx_rows(path, sheet)
        header = [norm_header(c) for c in next(first, (0, []))[1]]
        first.close()
        missing = [c for c in REQUIRED if c not in header]
        for c in missing:
            fc.add(f"sheet {sheet!r}, row 1", c, None, f"a header column {c!r}")
        if missing:
            continue
        ix = {c: header.index(c) for c in header if c}
        # decode only the needed columns (the GY sheet has ~80): several times faster
        needed = [ix[c] for c in (*REQUIRED, *(g for g, _ in GRADES)) if c in ix]
        for r, row in iter_xlsx_rows(path, sheet, needed):
            if r == 1:
                continue
            row = list(row) + [None] * (len(header) - len(row))
            if all(c is None for c in row):
                continue
            kommunkod = clean_code(row[ix["KOMMUN"]], 4)
            kod = clean_code(row[ix["SKOLENHETSKOD"]], 8)
            if re.fullmatch(r"\d{8}", kod) and re.fullmatch(r"\d{4}", kommunkod):
                unit_kommun[kod] = kommunkod
            if ctx.kommunkod is not None and kommunkod != ctx.kommunkod:
                ledger.add("annan_kommun")
                continue
            if norm_header(row[ix["HUVUDMANNATYP"]]) != "Kommunal":
                ledger.add("annan_huvudman")
                continue
            if not re.fullmatch(r"\d{8}", kod) or not re.fullmatch(r"\d{4}", kommunkod):
                col = ix["SKOLENHETSKOD"] if not re.fullmatch(r"\d{8}", kod) else ix["KOMMUN"]
                fc.add(
                    f"sheet {sheet!r}, cell {get_column_letter(col + 1)}{r}",
                    header[col],
                    row[col],
                    "an 8-digit SKOLENHETSKOD and a 4-digit KOMMUN code",
                )
                continue
            grades = [g for c, g in GRADES if c in ix and norm_header(row[ix[c]]) == "J"]
            units.append(
                {
                    "skolenhetskod": kod,
                    "enhet": norm_header(row[ix["NAMN"]]) or kod,
                    "skolform": form,
                    "huvudman": norm_header(row[ix["HUVUDMANS NAMN"]]),
                    "kommunkod": kommunkod,
                    "arskurser": ",".join(grades) if grades else None,
                }
            )
    fc.raise_if_any("Download the register again from Skolverket (skolenhetsregistret) or remove the file.")
    # first sheet wins for a unit in both vux sheets: reverse so that 'last' keeps the first
    return {
        "skolenheter": skolenheter_frame(list(reversed(units)), lasar=year),
        UNIT_KOMMUN_KEY: unit_kommun_frame(unit_kommun),
        LEDGER_KEY: ledger.frame(),
    }


def _modified_year(path: Path) -> int:
    """The workbook's 'modified' year from docProps/core.xml (0 when absent): the register's date."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            core = zf.read("docProps/core.xml").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return 0
    m = re.search(r"<dcterms:modified[^>]*>(\d{4})-", core)
    return int(m.group(1)) if m else 0


def _detect(s: Sniff) -> bool:
    return (
        s.path.suffix.lower() in (".xlsx", ".xlsm")
        and "Huvudmän" in s.sheets
        and any(x in s.sheets for x in SHEETS)
    )


register(
    Source(
        "skolenhetsregistret",
        "Skolverket's skolenhetsregister workbook (sheets per school form + 'Huvudmän'; header row SKOLENHETSKOD, NAMN, ...)",
        _detect,
        read_register,
    )
)
