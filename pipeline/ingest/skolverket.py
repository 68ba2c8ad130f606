"""Readers of Skolverket's "Sök statistik" exports (CSV and XLSX), kommun and skolenhet level.

Every report type is one file family, registered as its own :class:`~pipeline.ingest.sources.Source`
and recognised by its *title line* (``Grundskola - Betyg årskurs 6, ...``) and header, never by
the file name. The year comes from ``Valt läsår: 2023/24`` (→ ``lasar`` 2024, the spring year) or
``Valt år: 2024``; nothing is hard-coded, so the same report from another year or region reads
without code changes.

Output: rows of the canonical ``publicerad`` table (see ``docs/realdata.md`` for the indicator
and ``grupp`` of every column), and for skolenhet-level reports also ``skolenheter`` rows for the
kommunal units (the kommun as huvudman) of the report's kommun.

Families (source names):

* ``skolverket_betyg_ak6``: Grundskola - Betyg årskurs 6 (samtliga elever / per kön; CSV, XLSX)
* ``skolverket_behorighet``: Grundskola - Behörighet till gymnasieskolan (long by Kön)
* ``skolverket_slutbetyg_ak9``: Grundskola - Slutbetyg årskurs 9 (kommun or skolenhet)
* ``skolverket_elever_per_arskurs``: Grundskola(n) - Antal elever per årskurs (kommun or skolenhet)
* ``skolverket_personal``: Grundskola - Personalstatistik med lärarlegitimation och behörighet
* ``skolverket_kostnader``: Grundskola - Kostnader per kommun
* ``skolverket_kostnader_gy``: Gymnasieskola - Kostnader per kommun (header ``Kommun-kod``; rows for
  *kommunalförbund*, see :func:`is_kommunalforbund`)
* ``skolverket_nationella_prov``: Grundskola - Resultat nationella prov årskurs 6/9 (long by Ämne)
* ``skolverket_gy_avgangselever``: Gymnasieskola - Avgångselever (skolenhet × program)
* ``skolverket_jamforelse_over_tid``: Grundskola - Jämförelse av betygsresultat över tid (XLSX,
  ten läsår in wide columns, one sheet per Typ av huvudman)
* ``skolverket_amnesbetyg_over_tid``: Grundskola - Jämförelse av ämnesbetyg över tid (CSV or XLSX,
  läsår in wide columns; the ``Uppgift`` column's values are subject names, the measure and the
  årskurs are named in the preamble), see :func:`read_amnesbetyg`
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.ingest.ledger import LEDGER_KEY, UNIT_KOMMUN_KEY, Ledger, unit_kommun_frame
from pipeline.ingest.program import code_of_name
from pipeline.ingest.skolverket_format import (
    FailureCollector,
    SokTable,
    ValueFormatError,
    as_count,
    clean_code,
    grupp_of,
    is_skolverket_head,
    keep_enhet,
    kommun_level,
    lasar_from_period,
    norm_header,
    parse_value,
    publicerad_frame,
    read_sok_csv,
    read_sok_sheet,
    skolenheter_frame,
    title_of_head,
    xlsx_rows,
    xlsx_title,
)
from pipeline.ingest.sources import ReadContext, Sniff, Source, register

# ------------------------------------------------------------------------------ codes
#: Subject names in Skolverket's reports → subject codes of the canonical tables.
AMNEN: dict[str, str] = {
    "Svenska": "SV",
    "Svenska som andraspråk": "SVA",
    "Engelska": "EN",
    "Matematik": "MA",
    "Biologi": "BI",
    "Fysik": "FY",
    "Kemi": "KE",
    "Teknik": "TK",
    "Geografi": "GE",
    "Historia": "HI",
    "Religionskunskap": "RE",
    "Samhällskunskap": "SH",
    "Bild": "BL",
    "Hem- och konsumentkunskap": "HKK",
    "Idrott och hälsa": "IDH",
    "Musik": "MU",
    "Slöjd": "SLJ",
}

#: National programme names (every name a code has had) → programme codes (gymnasieskola), from
#: the one programme table ``params/gymnasieprogram.yml`` (see :mod:`pipeline.ingest.program`).
PROGRAM: dict[str, str] = code_of_name()

#: Aggregate pseudo-programmes of the avgångselever report → grupp (never summed with programmes).
PROGRAM_AGGREGAT: dict[str, str] = {
    "Nationella program": "samtliga",
    "Yrkesprogram": "programtyp:yrkes",
    "Högskoleförberedande program": "programtyp:hogskoleforberedande",
}
#: Course columns of the avgångselever report → course code in grupp ``kurs:<code>``.
KURSER: dict[str, str] = {
    "Eng 5": "EN5",
    "Historia 1": "HI1",
    "Idrott 1": "IDH1",
    "Ma 1": "MA1",
    "Na 1": "NA1",
    "Re 1": "RE1",
    "Sam 1": "SH1",
    "Sv 1": "SV1",
    "Sv andraspr. 1": "SVA1",
    "Gymnarb.": "GYARB",
}
KON: dict[str, str] = {
    "": "samtliga",
    "Samtliga": "samtliga",
    "Totalt": "samtliga",
    "Flickor": "flickor",
    "Pojkar": "pojkar",
}

KOMMUN_META = {"Kommun", "Kommun-kod", "Kommunkod", "Län", "Läns-kod", "Länskod", "Typ av huvudman"}
ENHET_META = {
    "Skola",
    "Skol-enhetskod",
    "Skolkommun",
    "Kommun-kod",
    "Kommunkod",
    "Typ av huvudman",
    "Huvudman",
    "Huvudman orgnr",
}


@dataclass(frozen=True)
class Rule:
    """What one column means: its indicator and grupp part, and its role.

    ``role``: ``varde`` (a value), ``antal`` (the n behind the values of the same grupp),
    ``count`` (a count that is both a value and the n of its grupp).
    """

    indikator: str | None
    grupp: str = ""
    role: str = "varde"


# A column rule: (group label, header) -> Rule, or None when the column is unknown.
RuleFn = Callable[[str, str], "Rule | None"]


def _kon_from_group(group: str) -> str:
    return KON.get(group, "")


def _rules_ak6(group: str, header: str) -> Rule | None:
    kon = _kon_from_group(group)
    table = {
        "Antal elever": Rule(None, kon, "antal"),
        "Antal ämnesbetyg (genomsnitt)": Rule("ak6_antal_amnesbetyg", kon),
        "Andel (%) elever som fått godkänt betyg i alla ämnen": Rule("ak6_godkand_alla_amnen", kon),
        "Andel (%) elever som ej fått godkänt betyg i ett ämne": Rule("ak6_ej_godkand_ett_amne", kon),
        "Andel (%) elever som ej fått godkänt betyg i fler, alternativt alla ämnen": Rule(
            "ak6_ej_godkand_flera_amnen", kon
        ),
    }
    return table.get(header) if group in KON else None


def _rules_behorighet(group: str, header: str) -> Rule | None:
    return {
        "Antal elever": Rule(None, "", "antal"),
        "Andel (%) elever behöriga till yrkesprog.": Rule("behorighet_yrkes"),
        "Andel elever (%) behöriga till estetiskt program": Rule("behorighet_estet"),
        "Andel elever (%) behöriga till Ekonomi-, humanistiska och samhällsvetenskaps- program": Rule(
            "behorighet_ekonomi"
        ),
        "Andel elever (%) behöriga till Naturvetenskapligt och tekniskt program": Rule("behorighet_natur"),
    }.get(header)


def _rules_slutbetyg(group: str, header: str) -> Rule | None:
    kon = _kon_from_group(group)
    if group not in KON:
        return None
    return {
        "Antal elever": Rule(None, kon, "antal"),
        "Andel (%) elever som uppfyllt betygskriterierna i alla ämnen": Rule("godkand_alla_amnen", kon),
        "Andel (%) elever som fått godkänt betyg i alla ämnen": Rule("godkand_alla_amnen", kon),
        "Andel (%) elever som uppnått kunskapskraven i alla ämnen": Rule("godkand_alla_amnen", kon),
        "Andel (%) elever behöriga till yrkesprog.": Rule("behorighet_yrkes", kon),
        "Genomsnittligt meritvärde (17 ämnen)": Rule("meritvarde_17", kon),
        "Genomsnittligt meritvärde (16 ämnen)": Rule("meritvarde_16", kon),
    }.get(header)


def _rules_elever(group: str, header: str) -> Rule | None:
    m = re.fullmatch(r"Elever, årskurs (\d)", header)
    if m:
        return Rule("elevantal", f"arskurs:{m.group(1)}", "count")
    return {
        "Elever, förskoleklass": Rule("elevantal", "arskurs:FK", "count"),
        "Elever, årskurs 1-9": Rule("elevantal", "samtliga", "count"),
        "Andel (%) flickor, förskoleklass": Rule("andel_flickor", "arskurs:FK"),
        "Andel (%) flickor, årskurs 1-9": Rule("andel_flickor", "samtliga"),
        "Andel (%) elever med utländsk bakgrund, åk 1-9": Rule("andel_utlandsk_bakgrund", "samtliga"),
        "Andel (%) elever med föräldrar med eftergymnasial utb., åk 1-9": Rule(
            "andel_foraldrar_eftergymnasial", "samtliga"
        ),
    }.get(header)


def _rules_personal(group: str, header: str) -> Rule | None:
    fte = {
        "Totalt antal": "larare_heltidstjanster",
        "Antal med lärarlegitimation och behörighet": "larare_heltidstjanster_leg",
        "Andel med lärarlegitimation och behörighet": "andel_heltidstjanster_leg",
        "Förstelärare": "forstelarare_heltidstjanster",
    }
    persons = {
        "Totalt antal": "larare_antal",
        "Antal med lärarlegitimation och behörighet i minst ett ämne": "larare_antal_leg",
        "Andel med lärarlegitimation och behörighet i minst ett ämne": "andel_larare_leg",
        "Förstelärare": "forstelarare_antal",
    }
    table = {"#Heltidstjänster": fte, "#Tjänstgörande lärare": persons}.get(group, {})
    ind = table.get(header)
    return Rule(ind) if ind else None


def _rules_kostnader(group: str, header: str) -> Rule | None:
    ind = {
        "Genomsnittligt elevantal": "elevantal_genomsnitt",
        "Totalt": "kostnad_totalt_tkr",
        "Undervisning": "kostnad_undervisning_tkr",
        "Totalt per elev": "kostnad_per_elev",
        "Undervisning per elev": "kostnad_undervisning_per_elev",
        "Lokaler per elev": "kostnad_lokaler_per_elev",
        "Måltider per elev": "kostnad_maltider_per_elev",
        "Lärverktyg per elev": "kostnad_larverktyg_per_elev",
        "Elevhälsa per elev": "kostnad_elevhalsa_per_elev",
        "Övrigt per elev": "kostnad_ovrigt_per_elev",
    }.get(header)
    return Rule(ind) if ind else None


def _rules_np(arskurs: str) -> RuleFn:
    def rules(group: str, header: str) -> Rule | None:
        kon = KON.get(header)
        if kon is None:
            return None
        measure = {
            "Andel (%) elever som deltagit": Rule(f"np_ak{arskurs}_andel_deltagit", kon),
            "Antal elever med provbetyg A-F": Rule(None, kon, "antal"),
            "Andel (%) med provbetyg A-E": Rule(f"np_ak{arskurs}_provbetyg_ae", kon),
            "Genomsnittlig betygspoäng": Rule(f"np_ak{arskurs}_betygspoang", kon),
        }
        return measure.get(group)

    return rules


def _rules_gy(group: str, header: str) -> Rule | None:
    if group.startswith("Andel elever med minst betyget E"):
        code = KURSER.get(header) or re.sub(r"[^0-9A-Za-zÅÄÖåäö]", "", header).upper()
        return Rule("gy_kurs_lagst_e", f"kurs:{code}")
    return {
        "Totalt antal": Rule(None, "", "antal"),
        "Andel (%) med examen": Rule("andel_examen"),
        "Andel (%) med studiebevis": Rule("andel_studiebevis"),
        "Andel (%) med grundl. behörighet": Rule("andel_grundlaggande_behorighet"),
        "Andel (%) med utökat prog.": Rule("andel_utokat_program"),
        "GBP för elever med examen eller studiebevis": Rule("gbp_examen_studiebevis"),
        "GBP för elever med examen": Rule("gbp_examen"),
    }.get(header)


@dataclass(frozen=True)
class ReportSpec:
    """One Skolverket report type (a file family)."""

    name: str
    description: str
    title: re.Pattern
    skolform: str
    rules: Callable[[re.Match], RuleFn]
    dims: tuple[str, ...] = ()  # row dimension columns: 'Ämne', 'Kön', 'Program'
    required: tuple[str, ...] = ()  # header columns that must be there


REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(
        "skolverket_betyg_ak6",
        "Skolverket: Grundskola - Betyg årskurs 6, andel som fått godkänt betyg (CSV/XLSX)",
        re.compile(r"^Grundskolan? - Betyg årskurs 6\b"),
        "GR",
        lambda m: _rules_ak6,
        required=("Antal elever", "Andel (%) elever som fått godkänt betyg i alla ämnen"),
    ),
    ReportSpec(
        "skolverket_behorighet",
        "Skolverket: Grundskola - Behörighet till gymnasieskolan (per kön)",
        re.compile(r"^Grundskolan? - Behörighet till gymnasieskolan"),
        "GR",
        lambda m: _rules_behorighet,
        dims=("Kön",),
        required=("Kön", "Antal elever", "Andel (%) elever behöriga till yrkesprog."),
    ),
    ReportSpec(
        "skolverket_slutbetyg_ak9",
        "Skolverket: Grundskola - Slutbetyg årskurs 9 (kommun or skolenhet)",
        re.compile(r"^Grundskolan? - Slutbetyg årskurs 9\b"),
        "GR",
        lambda m: _rules_slutbetyg,
        required=("Antal elever",),
    ),
    ReportSpec(
        "skolverket_elever_per_arskurs",
        "Skolverket: Grundskola - Antal elever per årskurs (kommun or skolenhet)",
        re.compile(r"^Grundskolan? - Antal elever per årskurs"),
        "GR",
        lambda m: _rules_elever,
        required=("Elever, årskurs 1-9",),
    ),
    ReportSpec(
        "skolverket_personal",
        "Skolverket: Grundskola - Personalstatistik med lärarlegitimation och behörighet",
        re.compile(r"^Grundskolan? - Personalstatistik med lärarlegitimation"),
        "GR",
        lambda m: _rules_personal,
        required=("Totalt antal",),
    ),
    ReportSpec(
        "skolverket_kostnader",
        "Skolverket: Grundskola - Kostnader per kommun",
        re.compile(r"^Grundskolan? - Kostnader per kommun"),
        "GR",
        lambda m: _rules_kostnader,
        required=("Totalt per elev",),
    ),
    ReportSpec(
        "skolverket_kostnader_gy",
        "Skolverket: Gymnasieskola - Kostnader per kommun (kommuner and kommunalförbund)",
        re.compile(r"^Gymnasieskolan? - Kostnader per kommun"),
        "GY",
        lambda m: _rules_kostnader,
        required=("Totalt per elev",),
    ),
    ReportSpec(
        "skolverket_nationella_prov",
        "Skolverket: Grundskola - Resultat nationella prov årskurs 6/9, per ämne och kön",
        re.compile(r"^Grundskolan? - Resultat nationella prov årskurs (?P<ak>[69])\b"),
        "GR",
        lambda m: _rules_np(m.group("ak")),
        dims=("Ämne",),
        required=("Ämne",),
    ),
    ReportSpec(
        "skolverket_gy_avgangselever",
        "Skolverket: Gymnasieskola - Avgångselever, nationella program (skolenhet × program)",
        re.compile(r"^Gymnasieskolan? - Avgångselever"),
        "GY",
        lambda m: _rules_gy,
        dims=("Program",),
        required=("Program", "Totalt antal"),
    ),
)

JAMFORELSE_TITLE = re.compile(r"^Grundskolan? - Jämförelse av betygsresultat över tid")
#: Rows ('Uppgift') of the Jämförelse report → (indikator, grupp, role).
JAMFORELSE_UPPGIFT: dict[str, Rule] = {
    "Totalt antal elever årskurs 9": Rule("antal_elever_ak9", "samtliga", "count"),
    "- andel (%) flickor": Rule("andel_flickor", "arskurs:9"),
    "- andel (%) pojkar": Rule("andel_pojkar", "arskurs:9"),
    "- andel (%) elever med utländsk bakgrund": Rule("andel_utlandsk_bakgrund", "arskurs:9"),
    "- andel (%) med föräldrar med eftergymnasial utbildning": Rule(
        "andel_foraldrar_eftergymnasial", "arskurs:9"
    ),
    "Genomsnittligt meritvärde (17 ämnen)": Rule("meritvarde_17"),
    "Genomsnittligt meritvärde (16 ämnen)": Rule("meritvarde_16"),
    "Andel (%) behöriga till yrkesprogram": Rule("behorighet_yrkes"),
    "Andel (%) som fått godkänt betyg i alla ämnen": Rule("godkand_alla_amnen"),
}


AMNESBETYG_TITLE = re.compile(r"^Grundskolan? - Jämförelse av ämnesbetyg över tid")
#: The measure of the Jämförelse av ämnesbetyg report (a preamble line) → indikator per årskurs.
AMNESBETYG_MATT: dict[str, str] = {
    "Andel (%) elever med lägst betyget E": "amne_lagst_e",
    "Genomsnittlig betygspoäng": "amne_betygspoang",
}


# ---------------------------------------------------------------------------- the engine
def _kalla(table: SokTable) -> str:
    return f"Skolverket: {table.title}"


def _dim_part(
    dim: str, value: str, table: SokTable, rowno: int, col: int, fc: FailureCollector
) -> str | None:
    value = norm_header(value)
    if dim == "Kön":
        kon = KON.get(value)
        if kon is None:
            fc.add(table.where(rowno, col), dim, value, "one of 'Flickor', 'Pojkar', 'Samtliga'", row=rowno)
        return kon
    if dim == "Ämne":
        code = AMNEN.get(value)
        if code is None:
            fc.add(table.where(rowno, col), dim, value, f"a subject name among {sorted(AMNEN)}", row=rowno)
            return None
        return f"amne:{code}"
    if dim == "Program":
        if value in PROGRAM_AGGREGAT:
            return PROGRAM_AGGREGAT[value]
        code = PROGRAM.get(value)
        if code is None:
            if value.startswith("Introduktionsprogram"):
                return "programtyp:introduktion"
            fc.add(
                table.where(rowno, col),
                dim,
                value,
                f"a national programme name among {sorted(PROGRAM)} or an aggregate {sorted(PROGRAM_AGGREGAT)}",
                row=rowno,
            )
            return None
        return f"program:{code}"
    raise AssertionError(dim)  # pragma: no cover - dims are fixed in REPORTS


#: Codes Skolverket gives *kommunalförbund* (e.g. 3140 Kunskapsförbundet Väst): four digits like a
#: kommunkod, but kommunkoder run from 0114 to 2584 (län 01-25), so 30xx-32xx is never a kommun.
_FORBUND_CODE = re.compile(r"3[0-2]\d\d")


def is_kommunalforbund(kommunkod: str, lanskod: str, name: str) -> bool:
    """A kommun-level row that is a *kommunalförbund* (a huvudman owned by several kommuner).

    Skolverket's cost reports list them beside the kommuner: with a code 30xx-32xx that is not a
    kommunkod (2020, 2021), or with an empty code (2022); either way with an empty län.

    >>> is_kommunalforbund("3140", "", "Kunskapsförbundet Väst"), is_kommunalforbund("", "", "Riket")
    (True, False)
    """
    if lanskod:
        return False
    if _FORBUND_CODE.fullmatch(kommunkod):
        return True
    return kommunkod == "" and name.strip().lower() not in ("", "riket", "sverige", "hela riket")


def _riket_row(kommunkod: str, cells: list, ix: dict[str, int], enhet_level: bool) -> bool:
    """A row without a kommunkod that is the Riket row (kommun level) or a unit without one."""
    if kommunkod not in ("", "0000"):
        return False
    if enhet_level:
        return True
    name = norm_header(cells[ix["Kommun"]]) if "Kommun" in ix else ""
    return name.lower() in ("riket", "sverige", "hela riket", "")


def read_table(
    table: SokTable, spec: ReportSpec, match: re.Match, ctx: ReadContext
) -> dict[str, pd.DataFrame]:
    """Turn one parsed export into ``publicerad`` (+ ``skolenheter``) rows.

    Raises
    ------
    DataValidationError
        Missing or unknown header columns, a missing ``Valt läsår``, non-numeric values, unknown
        markers, subjects or programmes, or conflicting duplicate rows; every failure is listed.
    """
    fc = FailureCollector(table.path)
    rules = spec.rules(match)
    cols = table.columns
    enhet_level = cols[0] == "Skola"
    meta = ENHET_META if enhet_level else KOMMUN_META
    if table.lasar is None:
        fc.add(
            "preamble",
            None,
            " | ".join(table.preamble[:4]),
            "a line 'Valt läsår: 2023/24' (or 'Valt år: 2024')",
        )
    col_rules: dict[int, Rule] = {}
    dim_cols: dict[int, str] = {}
    for j, (group, name) in enumerate(zip(table.groups, cols, strict=False)):
        if name in spec.dims:
            dim_cols[j] = name
            continue
        if name in meta:
            continue
        rule = rules(group, name)
        if rule is None:
            label = f"{group} / {name}" if group else name
            fc.add(
                table.where(table.header_row, j),
                label,
                label,
                f"a known column of the report '{table.title}' (is it a newer layout? see docs/realdata.md)",
                row=table.header_row,
            )
            continue
        col_rules[j] = rule
    missing = [c for c in (*spec.required, *spec.dims) if c not in cols]
    code_col = next((c for c in ("Kommun-kod", "Kommunkod") if c in cols), None)
    lan_col = next((c for c in ("Läns-kod", "Länskod") if c in cols), None)
    for needed in (
        ["Skola", "Skol-enhetskod", "Typ av huvudman"] if enhet_level else ["Kommun", "Typ av huvudman"]
    ) + ([] if code_col else ["Kommun-kod"]):
        if needed not in cols:
            missing.append(needed)
    for c in missing:
        fc.add(table.where(table.header_row), c, None, f"a header column {c!r}", row=table.header_row)
    fc.raise_if_any()
    assert code_col is not None  # else its missing header was raised above

    ix = {c: cols.index(c) for c in cols if c in meta}
    kalla = _kalla(table)
    records: list[dict] = []
    units: list[dict] = []
    ledger = Ledger()
    unit_kommun: dict[str, str] = {}
    seen: dict[tuple, tuple[int, float | None, str, int | None]] = {}
    for rowno, cells in table.rows:
        kommunkod = clean_code(cells[ix[code_col]], 4)
        typ = norm_header(cells[ix["Typ av huvudman"]])
        forbund = not enhet_level and is_kommunalforbund(
            kommunkod, clean_code(cells[ix[lan_col]], 2) if lan_col else "", norm_header(cells[ix["Kommun"]])
        )
        if forbund:
            # a kommunalförbund belongs to no one kommun: kept (as a huvudman of its own, named)
            # only when the read is not for one kommun; a kommun's report does not show it
            if ctx.kommunkod is not None:
                ledger.add("kommunalforbund", detalj=norm_header(cells[ix["Kommun"]]))
                continue
        elif not re.fullmatch(r"\d{4}", kommunkod) and not _riket_row(kommunkod, cells, ix, enhet_level):
            # checked before any filtering: a repeated header row or a pasted note must not be
            # dropped silently as "another kommun"
            fc.add(
                table.where(rowno),
                code_col,
                cells[ix[code_col]],
                "a 4-digit kommunkod (is the header row repeated inside the data, e.g. two exports "
                "pasted together? remove that row)",
                row=rowno,
            )
            continue
        if enhet_level:
            skolenhetskod = clean_code(cells[ix["Skol-enhetskod"]], 8)
            if re.fullmatch(r"\d{8}", skolenhetskod) and re.fullmatch(r"\d{4}", kommunkod):
                unit_kommun[skolenhetskod] = kommunkod
            if not keep_enhet(kommunkod, ctx):
                ledger.add("annan_kommun")
                continue
            niva = "enhet"
            enhet = norm_header(cells[ix["Skola"]])
            if (
                typ == "Kommunal"
                and re.fullmatch(r"\d{8}", skolenhetskod)
                and re.fullmatch(r"\d{4}", kommunkod)
            ):
                huvudman = norm_header(cells[ix["Huvudman"]]) if "Huvudman" in ix else ""
                if not huvudman:
                    huvudman = norm_header(cells[ix["Skolkommun"]]) if "Skolkommun" in ix else kommunkod
                units.append(
                    {
                        "skolenhetskod": skolenhetskod,
                        "enhet": enhet,
                        "skolform": spec.skolform,
                        "huvudman": huvudman,
                        "kommunkod": kommunkod,
                        "arskurser": None,
                    }
                )
        else:
            level = (
                "huvudman"
                if forbund
                else kommun_level(kommunkod, typ, ctx, kommun_name=norm_header(cells[ix["Kommun"]]))
            )
            if level is None:
                ledger.add("annan_kommun")
                continue
            niva = level
            skolenhetskod = ""
            enhet = "Riket" if niva == "riket" else norm_header(cells[ix["Kommun"]])
        parts = []
        bad = False
        for j, dim in dim_cols.items():
            part = _dim_part(dim, cells[j], table, rowno, j, fc)
            if part is None:
                bad = True
            parts.append(part or "")
        if bad:
            continue
        kon_part = next((p for d, p in zip(dim_cols.values(), parts, strict=False) if d == "Kön"), "")
        other_parts = [p for d, p in zip(dim_cols.values(), parts, strict=False) if d != "Kön"]
        parsed: dict[int, tuple[float | None, str]] = {}
        for j in col_rules:
            try:
                parsed[j] = parse_value(cells[j])
            except ValueFormatError as exc:
                fc.add(table.where(rowno, j), cols[j], cells[j], str(exc), row=rowno)
        antal_of: dict[str, int | None] = {}
        for j, rule in col_rules.items():
            if rule.role in ("antal", "count") and j in parsed:
                antal_of[grupp_of(*other_parts, rule.grupp, kon_part)] = as_count(parsed[j][0])
        for j, rule in col_rules.items():
            if rule.role == "antal" or j not in parsed:
                continue
            varde, markering = parsed[j]
            grupp = grupp_of(*other_parts, rule.grupp, kon_part)
            antal = antal_of.get(grupp)
            rec = {
                "lasar": table.lasar,
                "skolform": spec.skolform,
                "niva": niva,
                "kommunkod": kommunkod,
                "skolenhetskod": skolenhetskod,
                "enhet": enhet,
                "typ_av_huvudman": typ,
                "indikator": rule.indikator,
                "grupp": grupp,
                "varde": varde,
                "antal": antal,
                "markering": markering,
                "kalla": kalla,
            }
            key = (niva, kommunkod, skolenhetskod, enhet if forbund else "", typ, rule.indikator, grupp)
            if key in seen:
                prev = seen[key]
                if (prev[1], prev[2], prev[3]) != (varde, markering, antal):
                    fc.add(
                        table.where(rowno, j),
                        cols[j],
                        cells[j],
                        f"the same value as the duplicate row at {table.where(prev[0])} ({prev[1]!r}, {prev[2]!r})",
                        row=rowno,
                    )
                continue
            seen[key] = (rowno, varde, markering, antal)
            records.append(rec)
    fc.raise_if_any()
    out = {"publicerad": publicerad_frame(records), LEDGER_KEY: ledger.frame()}
    if enhet_level:
        out["skolenheter"] = skolenheter_frame(units, lasar=table.lasar)
        out[UNIT_KOMMUN_KEY] = unit_kommun_frame(unit_kommun)
    return out


def read_jamforelse(path: Path, sheets: tuple[str, ...], ctx: ReadContext) -> dict[str, pd.DataFrame]:
    """Read the Jämförelse-över-tid workbook: one sheet per Typ av huvudman, läsår in columns."""
    fc = FailureCollector(path)
    records: list[dict] = []
    for sheet in sheets:
        if sheet.startswith("Rapportbeskrivning"):
            continue
        table = read_sok_sheet(path, sheet)
        typ = sheet
        for line in table.preamble:
            m = re.match(r"^Typ av huvudman:\s*(.+)$", line)
            if m:
                typ = m.group(1).strip()
        cols = table.columns
        code_col = next((c for c in ("Kommunkod", "Kommun-kod") if c in cols), None)
        for need in ("Kommun", "Uppgift"):
            if need not in cols:
                fc.add(table.where(table.header_row), need, None, f"a header column {need!r}")
        if code_col is None:
            fc.add(table.where(table.header_row), "Kommunkod", None, "a header column 'Kommunkod'")
        year_cols = {j: y for j, c in enumerate(cols) if (y := lasar_from_period(c)) is not None and "/" in c}
        if not year_cols:
            fc.add(table.where(table.header_row), None, cols, "läsår columns such as '2024/25'")
        if fc.failures:
            continue
        assert code_col is not None  # else a failure was recorded and the table skipped above
        ik, iu, iname = cols.index(code_col), cols.index("Uppgift"), cols.index("Kommun")
        kalla = f"Skolverket: {table.title} ({typ})"
        per_kommun: dict[tuple[str, int], int | None] = {}
        pending: list[dict] = []
        for rowno, cells in table.rows:
            kommunkod = clean_code(cells[ik], 4)
            name = norm_header(cells[iname])
            niva = kommun_level(kommunkod, typ, ctx, kommun_name=name)
            if niva is None:
                continue
            uppgift = norm_header(cells[iu])
            rule = JAMFORELSE_UPPGIFT.get(uppgift)
            if rule is None:
                fc.add(
                    table.where(rowno, iu),
                    "Uppgift",
                    uppgift,
                    f"one of {sorted(JAMFORELSE_UPPGIFT)}",
                    row=rowno,
                )
                continue
            for lasar, varde, markering in _year_values(table, rowno, cells, cols, year_cols, fc):
                if rule.role == "count":
                    per_kommun[(kommunkod, lasar)] = as_count(varde)
                pending.append(
                    {
                        "lasar": lasar,
                        "skolform": "GR",
                        "niva": niva,
                        "kommunkod": kommunkod,
                        "skolenhetskod": "",
                        "enhet": "Riket" if niva == "riket" else name,
                        "typ_av_huvudman": typ,
                        "indikator": rule.indikator,
                        "grupp": rule.grupp or "samtliga",
                        "varde": varde,
                        "antal": None,
                        "markering": markering,
                        "kalla": kalla,
                    }
                )
        for rec in pending:
            rec["antal"] = per_kommun.get((rec["kommunkod"], rec["lasar"]))
        records.extend(pending)
    fc.raise_if_any()
    return {"publicerad": publicerad_frame(records)}


def read_amnesbetyg(table: SokTable, ctx: ReadContext) -> list[dict]:
    """One sheet (or the CSV) of *Grundskola - Jämförelse av ämnesbetyg över tid* → publicerad records.

    Layout (Sök statistik, like its sibling *Jämförelse av betygsresultat över tid*): preamble
    lines with the title, ``Typ av huvudman: …``, ``Valt läsår: …``, ``Årskurs: 9`` (or 6) and the
    measure (one of :data:`AMNESBETYG_MATT`); a header ``Kommun; Kommun-kod (or Kommunkod); Län;
    Läns-kod; Uppgift; 2024/25; 2023/24; …`` with one column per läsår; one row per kommun and
    subject, the subject's name in ``Uppgift``. Each cell → ``ak<årskurs>_<measure>`` with grupp
    ``amne:<code>``; ``..``/``.`` markers and the decimal comma as in every Skolverket export.
    """
    fc = FailureCollector(table.path)
    cols = table.columns
    typ, arskurs, matt = table.sheet or "Samtliga", None, None
    for line in table.preamble:
        m = re.match(r"^Typ av huvudman:\s*(.+)$", line)
        if m:
            typ = m.group(1).strip()
        m = re.search(r"[Åå]rskurs:?\s*(6|9)\b", line)
        if m and arskurs is None:
            arskurs = int(m.group(1))
        matt = matt or AMNESBETYG_MATT.get(norm_header(line))
    where = table.where(table.header_row)
    if arskurs is None:
        fc.add(where, None, " | ".join(table.preamble), "a preamble line 'Årskurs: 9' (or 6)")
    if matt is None:
        fc.add(
            where,
            None,
            " | ".join(table.preamble),
            f"a preamble line naming the measure, one of {sorted(AMNESBETYG_MATT)}",
        )
    code_col = next((c for c in ("Kommunkod", "Kommun-kod") if c in cols), None)
    for need in ("Kommun", "Uppgift"):
        if need not in cols:
            fc.add(where, need, None, f"a header column {need!r}")
    if code_col is None:
        fc.add(where, "Kommun-kod", None, "a header column 'Kommun-kod' (or 'Kommunkod')")
    year_cols = {j: y for j, c in enumerate(cols) if "/" in c and (y := lasar_from_period(c))}
    if not year_cols:
        fc.add(where, None, cols, "läsår columns such as '2024/25'")
    fc.raise_if_any("Download the report again from Skolverket's 'Sök statistik' without editing it.")
    assert code_col is not None  # else its missing header was raised above
    ik, iu, iname = cols.index(code_col), cols.index("Uppgift"), cols.index("Kommun")
    ih = cols.index("Typ av huvudman") if "Typ av huvudman" in cols else None
    kalla = f"Skolverket: {table.title} ({typ})" if ih is None else f"Skolverket: {table.title}"
    records: list[dict] = []
    for rowno, cells in table.rows:
        kommunkod = clean_code(cells[ik], 4)
        name = norm_header(cells[iname])
        row_typ = norm_header(cells[ih]) if ih is not None else typ
        niva = kommun_level(kommunkod, row_typ, ctx, kommun_name=name)
        if niva is None:
            continue
        amne = AMNEN.get(norm_header(cells[iu]))
        if amne is None:
            fc.add(
                table.where(rowno, iu),
                "Uppgift",
                cells[iu],
                f"a subject name among {sorted(AMNEN)}",
                row=rowno,
            )
            continue
        for lasar, varde, markering in _year_values(table, rowno, cells, cols, year_cols, fc):
            records.append(
                {
                    "lasar": lasar,
                    "skolform": "GR",
                    "niva": niva,
                    "kommunkod": kommunkod,
                    "skolenhetskod": "",
                    "enhet": "Riket" if niva == "riket" else name,
                    "typ_av_huvudman": row_typ,
                    "indikator": f"ak{arskurs}_{matt}",
                    "grupp": f"amne:{amne}",
                    "varde": varde,
                    "antal": None,
                    "markering": markering,
                    "kalla": kalla,
                }
            )
    fc.raise_if_any("Download the report again from Skolverket's 'Sök statistik' without editing it.")
    return records


def _year_values(table, rowno: int, cells, cols, year_cols: dict[int, int], fc):
    """The values of one row of a wide report (one column per läsår): (läsår, värde, markering)
    per year column; a cell that is not a published value is recorded in ``fc`` and skipped."""
    for j, lasar in year_cols.items():
        try:
            varde, markering = parse_value(cells[j])
        except ValueFormatError as exc:
            fc.add(table.where(rowno, j), cols[j], cells[j], str(exc), row=rowno)
            continue
        yield lasar, varde, markering


# --------------------------------------------------------------------------- recognition
@lru_cache(maxsize=256)
def _xlsx_title_cached(path: str, mtime: float) -> tuple[tuple[str, ...], str]:
    return xlsx_title(Path(path))


@lru_cache(maxsize=256)
def _xlsx_texts_cached(path: str, mtime: float) -> tuple[str, ...]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - an unreadable workbook is simply not recognised
        return ()
    try:
        texts = []
        for row in wb[wb.sheetnames[0]].iter_rows(max_row=_TITLE_ROWS, values_only=True):
            t = " ".join(norm_header(c) for c in row if norm_header(c))
            if t:
                texts.append(t)
    finally:
        wb.close()
    return tuple(texts)


def _xlsx_texts(path: Path) -> tuple[str, ...]:
    """The text lines of the first rows of the first sheet (where the report title is)."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return ()
    return _xlsx_texts_cached(str(path), mtime)


def _xlsx_title(path: Path) -> tuple[tuple[str, ...], str]:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return (), ""
    return _xlsx_title_cached(str(path), mtime)


def _is_skolverket_xlsx(s: Sniff) -> bool:
    return s.path.suffix.lower() in (".xlsx", ".xlsm") and any(
        x.startswith("Rapportbeskrivning") for x in s.sheets
    )


def _title_row(path: Path, sheet: str, pattern: re.Pattern) -> int | None:
    """The row of ``sheet`` whose text matches ``pattern`` (in the first rows), or None."""
    for rowno, cells in xlsx_rows(path, sheet):
        if rowno > _TITLE_ROWS:
            break
        text = " ".join(norm_header(c) for c in cells if norm_header(c))
        if text and pattern.match(text):
            return rowno
    return None


#: How far down a sheet recognition looks for the report title (Skolverket puts it in row 3;
#: a few rows added above it in Excel are still recognised, and then reported by the reader).
_TITLE_ROWS = 12


def title_of(s: Sniff) -> str:
    """The report title of a sniffed Skolverket export (CSV or XLSX), '' when not one."""
    if _is_skolverket_xlsx(s):
        texts = _xlsx_texts(s.path)
        return next(
            (t for t in texts if any(spec.title.match(t) for spec in REPORTS)), texts[0] if texts else ""
        )
    if s.head and is_skolverket_head(s.head):
        return title_of_head(s.head)
    return ""


def _detector(spec: ReportSpec) -> Callable[[Sniff], bool]:
    def detect(s: Sniff) -> bool:
        return bool(spec.title.match(title_of(s)))

    return detect


def _data_sheet(path: Path, sheets: tuple[str, ...]) -> str:
    data = [x for x in sheets if not x.startswith("Rapportbeskrivning")]
    return data[0] if data else sheets[0]


def _reader(spec: ReportSpec) -> Callable[[Path, ReadContext], dict[str, pd.DataFrame]]:
    def read(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        path = Path(path)
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            sheets, _ = _xlsx_title(path)
            table = read_sok_sheet(path, _data_sheet(path, sheets))
        else:
            table = read_sok_csv(path)
        m = spec.title.match(table.title)
        if m is None:
            fc = FailureCollector(path)
            found = _title_row(path, table.sheet, spec.title) if table.sheet else None
            if found is not None:
                fc.add(
                    f"sheet {table.sheet!r}, row {found}",
                    None,
                    table.title,
                    f"the report title as the first text of the sheet (rows above row {found} were added)",
                    row=found,
                )
                fc.raise_if_any(
                    f"Remove the rows added above the title (rows 1-{found - 1}) in sheet "
                    f"{table.sheet!r}, or download the file again from Skolverket's 'Sök statistik'."
                )
            fc.add("preamble", None, table.title, f"a report title matching {spec.title.pattern!r}")
            raise fc.error()
        return read_table(table, spec, m, ctx)

    return read


for _spec in REPORTS:
    register(Source(_spec.name, _spec.description, _detector(_spec), _reader(_spec)))


def _detect_jamforelse(s: Sniff) -> bool:
    return _is_skolverket_xlsx(s) and bool(JAMFORELSE_TITLE.match(_xlsx_title(s.path)[1]))


def _read_jamforelse(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
    sheets, _ = _xlsx_title(Path(path))
    return read_jamforelse(Path(path), sheets, ctx)


register(
    Source(
        "skolverket_jamforelse_over_tid",
        "Skolverket: Grundskola - Jämförelse av betygsresultat över tid (XLSX, läsår in columns, one sheet per Typ av huvudman)",
        _detect_jamforelse,
        _read_jamforelse,
    )
)


def _detect_amnesbetyg(s: Sniff) -> bool:
    if _is_skolverket_xlsx(s):
        return any(AMNESBETYG_TITLE.match(t) for t in _xlsx_texts(s.path))
    return bool(s.head and AMNESBETYG_TITLE.match(title_of_head(s.head)))


def _read_amnesbetyg(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        sheets, _ = _xlsx_title(path)
        tables = [read_sok_sheet(path, x) for x in sheets if not x.startswith("Rapportbeskrivning")]
    else:
        tables = [read_sok_csv(path)]
    return {"publicerad": publicerad_frame([r for t in tables for r in read_amnesbetyg(t, ctx)])}


register(
    Source(
        "skolverket_amnesbetyg_over_tid",
        "Skolverket: Grundskola - Jämförelse av ämnesbetyg över tid (CSV/XLSX, läsår in columns, subjects in 'Uppgift')",
        _detect_amnesbetyg,
        _read_amnesbetyg,
    )
)
