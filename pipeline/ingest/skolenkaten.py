"""Reader of Skolinspektionen's Skolenkäten Excel reports (``excelrapport-*.xlsx``).

Recognised by its sheets (a ``Resultat ...`` sheet and ``Förklaring``) and the title cell
``Skolenkäten <year> - ...``. The result sheet has **three header rows** (Excel rows 1–3: area or
question text, axis label, ``Index``/``Medelvärde``/``Antal``/``Andel``); columns A–H are
``Orgnummer, Huvudman, Kommun, Skolenhetskod, Skolenhet, Antal i gruppen, Antal, Svarsfrekvens``.

Read: the **index** of every area (scale 0–10) for every row → ``publicerad``:

* ``Samtliga deltagande skolor`` → ``niva='riket'`` (all participating schools), its
  ``- Kvinna``/``- Man`` rows → grupp ``flickor``/``pojkar``, the other identity rows →
  ``konsidentitet:annan`` / ``konsidentitet:ej_angivet``;
* a huvudman row (no skolenhetskod) → ``niva='huvudman'`` when the huvudman is the report's
  kommun (name resolved to a kommunkod); other huvudmän kept only without filtering, with
  ``typ_av_huvudman='Enskild'``;
* a skolenhet row → ``niva='enhet'`` with ``kommunkod`` from the Kommun name.

``antal`` is the number of respondents (column ``Antal``). The sheet ``Könsuppdelat resultat``
adds grupp ``flickor``/``pojkar`` per unit (``antal`` empty: not given per sex). Masks: ``*``
(1–9 respondents), ``**``, ``***`` and ``-`` (does not meet the reporting rules) →
``undertryckt``; an empty cell (no answers) → ``saknas``. Question means (``Medelvärde``) and
answer shares are not read (see docs/realdata.md). ``lasar`` is the survey year (spring term).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.ingest.ledger import LEDGER_KEY, UNIT_KOMMUN_KEY, Ledger, unit_kommun_frame
from pipeline.ingest.skolverket_format import (
    FailureCollector,
    clean_code,
    kommunkod_of_name,
    norm_header,
    publicerad_frame,
    skolenheter_frame,
    xlsx_rows,
)
from pipeline.ingest.sources import ReadContext, Sniff, Source, register

#: Area names (without their number) → indicator ids.
OMRADEN: dict[str, str] = {
    "Information om utbildningen": "enkat_information",
    "Stimulans": "stimulans",
    "Stöd": "enkat_stod",
    "Kritiskt tänkande": "enkat_kritiskt_tankande",
    "Bemötande - lärare": "enkat_bemotande_larare",
    "Bemötande - elever": "enkat_bemotande_elever",
    "Inflytande": "inflytande",
    "Studiero": "studiero",
    "Trygghet": "trygghet",
    "Förhindra kränkningar": "enkat_forhindra_krankningar",
    "Elevhälsa": "enkat_elevhalsa",
    "Normer och värden": "normer_varden",
    "Övergripande nöjdhet": "enkat_nojdhet",
}
MASKS = {"*": "undertryckt", "**": "undertryckt", "***": "undertryckt", "-": "undertryckt"}
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
RIKET = "Samtliga deltagande skolor"
IDENTITET = {
    "Kvinna": "flickor",
    "Man": "pojkar",
    "Har annan könsidentitet": "konsidentitet:annan",
    "Vill inte ange": "konsidentitet:ej_angivet",
}
KON_KOLUMN = {"Flicka": "flickor", "Pojke": "pojkar", "Totalt": "samtliga"}
_TITLE = re.compile(r"^Skolenkäten (\d{4})\b")


#: Respondent groups, from the report's own title (or its result sheet's name), never the file
#: name: pattern → (key, skolform, primary). The primary group of a school form (elever åk 8, elever
#: gymnasieskolan år 2) gives grupp ``samtliga``; every other group is ``respondent:<key>`` (with
#: ``|flickor``/``|pojkar`` by sex), so two surveys of one unit and year never collide.
RESPONDENTER: tuple[tuple[re.Pattern, str, str, bool], ...] = (
    (re.compile(r"vårdnadshavare.*förskola\b|förskola.*vårdnadshavare", re.I), "vardnadshavare", "FS", True),
    (re.compile(r"vårdnadshavare", re.I), "vardnadshavare", "GR", False),
    (re.compile(r"(lärare|pedagogisk personal|personal).*gymnasie|gymnasie.*(lärare|personal)", re.I),
     "larare", "GY", False),
    (re.compile(r"lärare|pedagogisk personal|personal", re.I), "larare", "GR", False),
    (re.compile(r"gymnasie|\bgy\b|\bår 2\b|\båk 2 gy", re.I), "elever_gy2", "GY", True),
    (re.compile(r"(årskurs|åk)\s*8\b", re.I), "elever_ak8", "GR", True),
    (re.compile(r"(årskurs|åk)\s*5\b", re.I), "elever_ak5", "GR", False),
    (re.compile(r"(årskurs|åk)\s*9\b", re.I), "elever_ak9", "GR", False),
)  # fmt: skip


def respondent_of(title: str, sheet: str = "") -> tuple[str, str, bool] | None:
    """``(key, skolform, primary)`` of the respondent group a Skolenkäten report names in its title
    (after ``Skolenkäten <year> -``) or, failing that, its result sheet's name; None when neither does."""
    for text in (re.sub(r"^Skolenkäten \d{4}\s*-\s*", "", title), sheet):
        for pattern, key, form, primary in RESPONDENTER:
            if text and pattern.search(text):
                return key, form, primary
    return None


def area_indicator(title: str) -> str | None:
    """'8. Studiero' → 'studiero'; '12. Övergripande nöjdhet (bildar ej index)' → 'enkat_nojdhet'."""
    name = re.sub(r"^\d+\.\s*", "", norm_header(title))
    name = re.sub(r"\s*\(.*\)\s*$", "", name)
    return OMRADEN.get(name)


def parse_enkat_value(cell: Any) -> tuple[float | None, str]:
    """An index cell → (varde, markering); masks become 'undertryckt', an empty cell 'saknas'."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None, "saknas"
    if isinstance(cell, bool):
        raise ValueError("a number 0–10 or a mask (*, **, ***, -)")
    if isinstance(cell, (int, float)):
        if not 0 <= float(cell) <= 10:
            raise ValueError("an index on the scale 0–10")
        return float(cell), ""
    text = str(cell).strip()
    if text in MASKS:
        return None, MASKS[text]
    try:
        v = float(text.replace(",", "."))
    except ValueError:
        raise ValueError("a number 0–10 or a mask (*, **, ***, -)") from None
    if not 0 <= v <= 10:
        raise ValueError("an index on the scale 0–10")
    return v, ""


def _cell(sheet: str, row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"sheet {sheet!r}, cell {get_column_letter(col + 1)}{row}"


def _load(path: Path) -> tuple[list[str], dict[str, list[tuple]]]:
    from pipeline.ingest.sources import sniff

    names = list(sniff(path).sheets)
    data = {n: [tuple(v) for _, v in xlsx_rows(path, n)] for n in names if n != "Förklaring"}
    return names, data


def read_skolenkaten(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
    """Read a Skolenkäten Excel report into ``publicerad`` (+ ``skolenheter``) rows.

    Raises
    ------
    DataValidationError
        Missing title, header columns or areas, or a value that is neither an index nor a
        mask; every failure with its sheet and cell.
    """
    path = Path(path)
    fc = FailureCollector(path)
    names, sheets = _load(path)
    main = next((n for n in names if n.startswith("Resultat")), None)
    if main is None:
        fc.add("workbook", None, names, "a sheet named 'Resultat ...' (the result sheet of the report)")
        raise fc.error(
            "The result sheet is missing or was renamed: download the report again from Skolinspektionen "
            "(skolenkäten) without editing it, or rename the sheet back to 'Resultat ...'."
        )
    rows = sheets[main]
    title = norm_header(rows[0][0]) if rows and rows[0] else ""
    m = _TITLE.match(title)
    if not m:
        fc.add(_cell(main, 1, 0), None, title, "a title 'Skolenkäten <year> - ...'")
    lasar = int(m.group(1)) if m else 0
    who = respondent_of(title, main)
    if who is None:
        fc.add(_cell(main, 1, 0), None, title,
               "a title naming the respondent group, e.g. 'Skolenkäten 2022 - Elever årskurs 8' (elever åk 5/8, "
               "gymnasieskolan år 2, vårdnadshavare, lärare)")  # fmt: skip
        raise fc.error(
            "Download the report again from Skolinspektionen (skolenkäten) without editing its title."
        )
    respondent, skolform, primary = who
    prefix = "" if primary else f"respondent:{respondent}"
    kalla = f"Skolinspektionen: {title}"
    records: list[dict] = []
    units: list[dict] = []
    ledger = Ledger()
    unit_kommun: dict[str, str] = {}
    seen: set[tuple] = set()

    def parse_sheet(sheet: str, srows: list[tuple], by_sex: bool) -> None:
        if len(srows) < 4:
            fc.add(_cell(sheet, 1, 0), None, f"{len(srows)} rows", "three header rows and data rows")
            return
        width = max(len(r) for r in srows[:3])
        h1, h2, h3 = ([norm_header(c) for c in r] + [""] * (width - len(r)) for r in srows[:3])
        for j, name in enumerate(META):
            if j >= len(h2) or h2[j] != name:
                fc.add(_cell(sheet, 2, j), name, h2[j] if j < len(h2) else None, f"the header {name!r}")
        area, cols = "", []
        for j in range(len(META), len(h3)):
            if h1[j]:
                area = h1[j]
            if h3[j] != "Index":
                continue
            ind = area_indicator(area)
            if ind is None:
                fc.add(_cell(sheet, 1, j), "area", area, f"an index area among {sorted(OMRADEN)}")
                continue
            grupp = KON_KOLUMN.get(h2[j], "samtliga") if by_sex else "samtliga"
            if by_sex and h2[j] not in KON_KOLUMN:
                fc.add(_cell(sheet, 2, j), "kön", h2[j], f"one of {sorted(KON_KOLUMN)}")
                continue
            if by_sex and grupp == "samtliga":
                continue  # the Totalt columns repeat the main sheet
            cols.append((j, ind, grupp))
        if fc.failures:
            return
        for r, cells in enumerate(srows[3:], start=4):
            row = [*cells, *[None] * (len(h3) - len(cells))]
            if all(c is None for c in row):
                continue
            _orgnr, huvudman, kommun, kod, enhet = (
                row[0],
                norm_header(row[1]),
                norm_header(row[2]),
                row[3],
                norm_header(row[4]),
            )
            grupp_row = "samtliga"
            if huvudman.startswith(RIKET):
                rest = huvudman[len(RIKET) :].strip(" -")
                if rest:
                    if rest not in IDENTITET:
                        fc.add(
                            _cell(sheet, r, 1),
                            "Huvudman",
                            huvudman,
                            f"'{RIKET}' or '{RIKET} - <{'/'.join(IDENTITET)}>'",
                        )
                        continue
                    grupp_row = IDENTITET[rest]
                niva, kommunkod, skolenhetskod, namn, typ = "riket", None, "", RIKET, None
            elif kod is None:
                kommunkod = kommunkod_of_name(huvudman)
                typ = "Kommunal" if kommunkod else "Enskild"
                if ctx.kommunkod is not None and kommunkod != ctx.kommunkod:
                    ledger.add("annan_kommun")
                    continue
                niva, skolenhetskod, namn = "huvudman", "", huvudman
            else:
                kommunkod = kommunkod_of_name(kommun)
                if kommunkod is None:
                    fc.add(_cell(sheet, r, 2), "Kommun", kommun, "a kommun name of the official list")
                    continue
                if re.fullmatch(r"\d{8}", clean_code(kod, 8)):
                    unit_kommun[clean_code(kod, 8)] = kommunkod
                if ctx.kommunkod is not None and kommunkod != ctx.kommunkod:
                    ledger.add("annan_kommun")
                    continue
                skolenhetskod = clean_code(kod, 8)
                if not re.fullmatch(r"\d{8}", skolenhetskod):
                    fc.add(_cell(sheet, r, 3), "Skolenhetskod", kod, "an 8-digit skolenhetskod")
                    continue
                typ = "Kommunal" if kommunkod_of_name(huvudman) else "Enskild"
                niva, namn = "enhet", enhet
                if typ == "Kommunal" and not by_sex and primary:
                    units.append(
                        {
                            "skolenhetskod": skolenhetskod,
                            "enhet": enhet,
                            "skolform": skolform,
                            "huvudman": huvudman,
                            "kommunkod": kommunkod,
                            "arskurser": None,
                        }
                    )
            antal = None
            if not by_sex and isinstance(row[6], (int, float)) and not isinstance(row[6], bool):
                antal = int(row[6])
            for j, ind, grupp in cols:
                try:
                    varde, markering = parse_enkat_value(row[j])
                except ValueError as exc:
                    fc.add(_cell(sheet, r, j), ind, row[j], str(exc))
                    continue
                g = grupp if by_sex else grupp_row
                if prefix:
                    g = prefix if g == "samtliga" else f"{prefix}|{g}"
                key = (niva, kommunkod, skolenhetskod, namn, ind, g)
                if key in seen:
                    continue  # the main sheet already gave this value
                seen.add(key)
                records.append(
                    {
                        "lasar": lasar,
                        "skolform": skolform,
                        "niva": niva,
                        "kommunkod": kommunkod,
                        "skolenhetskod": skolenhetskod,
                        "enhet": namn,
                        "typ_av_huvudman": typ,
                        "indikator": ind,
                        "grupp": g,
                        "varde": varde,
                        "antal": antal,
                        "markering": markering,
                        "kalla": kalla,
                    }
                )

    parse_sheet(main, rows, by_sex=False)
    for n in names:
        if n.startswith("Könsuppdelat") and n in sheets:
            parse_sheet(n, sheets[n], by_sex=True)
    fc.raise_if_any("Download the report again from Skolinspektionen (skolenkäten) or remove the file.")
    return {
        "publicerad": publicerad_frame(records),
        "skolenheter": skolenheter_frame(units, lasar=lasar),
        UNIT_KOMMUN_KEY: unit_kommun_frame(unit_kommun),
        LEDGER_KEY: ledger.frame(),
    }


def _detect(s: Sniff) -> bool:
    return (
        s.path.suffix.lower() in (".xlsx", ".xlsm")
        and "Förklaring" in s.sheets
        # the result sheet, or the by-sex sheet when the result sheet is missing (the reader then
        # names the missing sheet instead of the workbook being "not recognised")
        and any(x.startswith("Resultat") or x == "Könsuppdelat resultat" for x in s.sheets)
    )


register(
    Source(
        "skolenkaten",
        "Skolinspektionen, Skolenkäten Excel report (sheets 'Resultat ...', 'Förklaring'; index per area, 0–10)",
        _detect,
        read_skolenkaten,
    )
)
