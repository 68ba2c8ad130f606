"""Back-tests of the Skolverket "Sök statistik" readers against the real published files.

Every data cell of every file is read here with the csv module (or openpyxl) and compared with
the reader's output (run without kommun filter), cell for cell after marker handling.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline.ingest.sources import ReadContext, recognise
from tests.ingest.realdata_backtest import CellCounter, csv_table, expected_value, index_output, same

ALL = ReadContext(kommunkod=None)
KON = {"": "samtliga", "Samtliga": "samtliga", "Totalt": "samtliga", "Flickor": "flickor", "Pojkar": "pojkar"}
AMNE = {"Matematik": "MA", "Engelska": "EN", "Svenska": "SV", "Svenska som andraspråk": "SVA"}
PROGRAM = {
    "Vård- och omsorgsprogrammet": "program:VO",
    "Samhällsvetenskapsprogrammet": "program:SA",
    "Teknikprogrammet": "program:TE",
    "Barn- och fritidsprogrammet": "program:BF",
    "Bygg- och anläggningsprogrammet": "program:BA",
    "Estetiska programmet": "program:ES",
    "Naturvetenskapsprogrammet": "program:NA",
    "Ekonomiprogrammet": "program:EK",
    "El- och energiprogrammet": "program:EE",
    "Fordons- och transportprogrammet": "program:FT",
    "Handels- och administrationsprogrammet": "program:HA",
    "Hotell- och turismprogrammet": "program:HT",
    "Industritekniska programmet": "program:IN",
    "Restaurang- och livsmedelsprogrammet": "program:RL",
    "VVS- och fastighetsprogrammet": "program:VF",
    "Humanistiska programmet": "program:HU",
    "Naturbruksprogrammet": "program:NB",
    "Hantverksprogrammet": "program:HV",
    "Nationella program": "",
    "Yrkesprogram": "programtyp:yrkes",
    "Högskoleförberedande program": "programtyp:hogskoleforberedande",
}
KURS = {
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
ANTAL = "ANTAL"  # the column is the n of the values of its grupp


def join(*parts: str) -> str:
    keep = [p for p in parts if p and p != "samtliga"]
    return "|".join(keep) or "samtliga"


def rule_ak6(group, header, row):
    return {
        "Antal elever": ANTAL,
        "Antal ämnesbetyg (genomsnitt)": "ak6_antal_amnesbetyg",
        "Andel (%) elever som fått godkänt betyg i alla ämnen": "ak6_godkand_alla_amnen",
        "Andel (%) elever som ej fått godkänt betyg i ett ämne": "ak6_ej_godkand_ett_amne",
        "Andel (%) elever som ej fått godkänt betyg i fler, alternativt alla ämnen": "ak6_ej_godkand_flera_amnen",
    }[header], KON[group]


def rule_behorighet(group, header, row):
    return {
        "Antal elever": ANTAL,
        "Andel (%) elever behöriga till yrkesprog.": "behorighet_yrkes",
        "Andel elever (%) behöriga till estetiskt program": "behorighet_estet",
        "Andel elever (%) behöriga till Ekonomi-, humanistiska och samhällsvetenskaps- program": "behorighet_ekonomi",
        "Andel elever (%) behöriga till Naturvetenskapligt och tekniskt program": "behorighet_natur",
    }[header], KON[row["Kön"]]


def rule_elever(group, header, row):
    m = re.fullmatch(r"Elever, årskurs (\d)", header)
    if m:
        return "elevantal*", f"arskurs:{m.group(1)}"
    return {
        "Elever, förskoleklass": ("elevantal*", "arskurs:FK"),
        "Elever, årskurs 1-9": ("elevantal*", "samtliga"),
        "Andel (%) flickor, förskoleklass": ("andel_flickor", "arskurs:FK"),
        "Andel (%) flickor, årskurs 1-9": ("andel_flickor", "samtliga"),
        "Andel (%) elever med utländsk bakgrund, åk 1-9": ("andel_utlandsk_bakgrund", "samtliga"),
        "Andel (%) elever med föräldrar med eftergymnasial utb., åk 1-9": (
            "andel_foraldrar_eftergymnasial",
            "samtliga",
        ),
    }[header]


def rule_personal(group, header, row):
    fte = {
        "Totalt antal": "larare_heltidstjanster",
        "Antal med lärarlegitimation och behörighet": "larare_heltidstjanster_leg",
        "Andel med lärarlegitimation och behörighet": "andel_heltidstjanster_leg",
        "Förstelärare": "forstelarare_heltidstjanster",
    }
    pers = {
        "Totalt antal": "larare_antal",
        "Antal med lärarlegitimation och behörighet i minst ett ämne": "larare_antal_leg",
        "Andel med lärarlegitimation och behörighet i minst ett ämne": "andel_larare_leg",
        "Förstelärare": "forstelarare_antal",
    }
    return {"#Heltidstjänster": fte, "#Tjänstgörande lärare": pers}[group][header], "samtliga"


def rule_kostnader(group, header, row):
    return {
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
    }[header], "samtliga"


def rule_np(group, header, row):
    ind = {
        "Andel (%) elever som deltagit": "np_ak9_andel_deltagit",
        "Antal elever med provbetyg A-F": ANTAL,
        "Andel (%) med provbetyg A-E": "np_ak9_provbetyg_ae",
        "Genomsnittlig betygspoäng": "np_ak9_betygspoang",
    }[group]
    return ind, join(f"amne:{AMNE[row['Ämne']]}", KON[header])


def rule_slutbetyg(group, header, row):
    return {
        "Antal elever": ANTAL,
        "Andel (%) elever som uppfyllt betygskriterierna i alla ämnen": "godkand_alla_amnen",
        "Andel (%) elever behöriga till yrkesprog.": "behorighet_yrkes",
        "Genomsnittligt meritvärde (17 ämnen)": "meritvarde_17",
    }[header], "samtliga"


def rule_gy(group, header, row):
    prog = PROGRAM[row["Program"]]
    if group.startswith("Andel elever med minst betyget E"):
        return "gy_kurs_lagst_e", join(prog, f"kurs:{KURS[header]}")
    return {
        "Totalt antal": ANTAL,
        "Andel (%) med examen": "andel_examen",
        "Andel (%) med studiebevis": "andel_studiebevis",
        "Andel (%) med grundl. behörighet": "andel_grundlaggande_behorighet",
        "Andel (%) med utökat prog.": "andel_utokat_program",
        "GBP för elever med examen eller studiebevis": "gbp_examen_studiebevis",
        "GBP för elever med examen": "gbp_examen",
    }[header], join(prog)


#: Title prefix → (expected source, column rule, row-dimension columns).
FAMILIES = {
    "Grundskola - Betyg årskurs 6": ("skolverket_betyg_ak6", rule_ak6, ()),
    "Grundskola - Behörighet till gymnasieskolan": ("skolverket_behorighet", rule_behorighet, ("Kön",)),
    "Grundskola - Antal elever per": ("skolverket_elever_per_arskurs", rule_elever, ()),
    "Grundskolan - Antal elever per": ("skolverket_elever_per_arskurs", rule_elever, ()),
    "Grundskola - Personalstatistik": ("skolverket_personal", rule_personal, ()),
    "Grundskola - Kostnader per kommun": ("skolverket_kostnader", rule_kostnader, ()),
    "Gymnasieskola - Kostnader per kommun": ("skolverket_kostnader_gy", rule_kostnader, ()),
    "Grundskola - Resultat nationella prov årskurs 9": ("skolverket_nationella_prov", rule_np, ("Ämne",)),
    "Grundskola - Slutbetyg årskurs 9": ("skolverket_slutbetyg_ak9", rule_slutbetyg, ()),
    "Gymnasieskola - Avgångselever": ("skolverket_gy_avgangselever", rule_gy, ("Program",)),
}
KOMMUN_META = {"Kommun", "Kommun-kod", "Kommunkod", "Län", "Läns-kod", "Typ av huvudman"}
ENHET_META = {
    "Skola",
    "Skol-enhetskod",
    "Skolkommun",
    "Kommun-kod",
    "Typ av huvudman",
    "Huvudman",
    "Huvudman orgnr",
}


def csv_files(realdata: Path) -> list[Path]:
    return sorted(
        p
        for d in ("skolverket_kommun", "skolverket_skolenhet", "skolverket_gymnasium_kungsbacka")
        for p in (realdata / d).glob("*.csv")
    )


def family_of(title: str):
    title = re.sub(r"\s+", " ", title)
    return next(v for k, v in FAMILIES.items() if title.startswith(k))


def test_all_csv_files_are_covered(realdata: Path) -> None:
    assert sorted(p.name for p in csv_files(realdata)) == CSV_NAMES


CSV_NAMES = sorted(
    [f"Grundskola - Antal elever per årskurs {y} Kommun.csv" for y in (2020, 2021, 2022, 2023)]
    + ["Grundskola - Betyg årskurs 6, andel som fått godkänt betyg (A-E), per kön 2025 Kommun.csv"]
    + [
        f"Grundskola - Betyg årskurs 6, andel som fått godkänt betyg (A-E), samtliga elever {y} Kommun.csv"
        for y in range(2020, 2025)
    ]
    + ["Grundskola - Kostnader per kommun 2024 Kommun.csv"]
    + [
        f"Grundskola - Personalstatistik med lärarlegitimation och behörighet {y} Kommun.csv"
        for y in (2020, 2021, 2022, 2023)
    ]
    + [
        f"Grundskola - Resultat nationella prov årskurs 9, provbetyg per kön - Engelska, Matematik och Svenska_svenska som andraspråk {y} Kommun.csv"
        for y in (2022, 2023)
    ]
    + [f"Gymnasieskola - Kostnader per kommun {y} Kommun.csv" for y in (2020, 2021, 2022)]
    + ["behorighet_grundskola_2024_25.csv"]
    + ["Grundskola - Slutbetyg årskurs 9, samtliga elever 2025 Skolenhet.csv"]
    + [
        f"Grundskolan - Antal elever per årskurs {y} Skolenhet.csv"
        for y in (2009, 2014, 2019, 2020, 2021, 2022)
    ]
    + ["slutbetyg-gymnasiet-2023-24.csv"],
    key=lambda n: n,
)


@pytest.mark.parametrize("name", CSV_NAMES)
def test_every_csv_cell_matches(realdata: Path, name: str) -> None:
    """All rows, all data cells of a Skolverket CSV equal the reader's publicerad rows."""
    for path in [p for p in csv_files(realdata) if p.name == name]:
        title, group, header, data = csv_table(path)
        source_name, rule, dims = family_of(title)
        source = recognise(path)
        assert source.name == source_name, path.name
        out = source.read(path, ALL)["publicerad"]
        enhet = header[0] == "Skola"
        meta = ENHET_META if enhet else KOMMUN_META
        unit_col = "Skol-enhetskod" if enhet else ("Kommun-kod" if "Kommun-kod" in header else "Kommunkod")
        # kommun level: keyed by name too, since kommunalförbund rows of 2022 have no code at all
        key_cols = [
            "skolenhetskod" if enhet else "kommunkod",
            *([] if enhet else ["enhet"]),
            "typ_av_huvudman",
            "indikator",
            "grupp",
        ]
        got = index_output(out, key_cols)
        m = re.search(
            r"Valt läsår: (\d{4})/(\d{2})|Valt år: (\d{4})", path.read_text(encoding="utf-8-sig")[:600]
        )
        lasar = int(m.group(1)) + 1 if m.group(1) else int(m.group(3))
        assert set(out["lasar"]) == {lasar}
        n = 0
        used = set()
        for lineno, cells in data:
            row = dict(zip(header, cells, strict=False))
            unit = row[unit_col].strip()
            typ = row["Typ av huvudman"].strip()
            antal_cells = {}
            values = []
            for j, name in enumerate(header):
                if name in meta or name in dims or name == "":
                    continue
                ind, grupp = rule(group[j], name, row)
                if ind == ANTAL:
                    antal_cells[grupp] = cells[j]
                else:
                    values.append((j, ind, grupp))
            for j, ind, grupp in values:
                count = ind.endswith("*")
                ind = ind.rstrip("*")
                name_key = (
                    ()
                    if enhet
                    else (
                        "Riket"
                        if unit in ("", "0000") and row["Kommun"].strip().lower() in ("riket", "")
                        else row["Kommun"].strip(),
                    )
                )
                key = (unit, *name_key, typ, ind, grupp)
                rec = got[key]
                used.add(key)
                varde, mark = expected_value(cells[j])
                assert same(varde, rec["varde"]) and rec["markering"] == mark, (
                    path.name,
                    lineno,
                    name,
                    cells[j],
                    rec,
                )
                n += 1
                if count:
                    assert same(varde, rec["antal"]), (path.name, lineno, header[j], rec)
                if grupp in antal_cells:
                    a, amark = expected_value(antal_cells[grupp])
                    assert same(a, rec["antal"]), (path.name, lineno, grupp, antal_cells[grupp], rec)
            n += len(antal_cells)
        # no output row that is not a cell of the file
        assert used == set(got), (path.name, len(set(got) - used))
        CellCounter.add(f"skolverket csv ({source_name})", n)


def _xlsx_rows(path: Path, sheet: str):
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    wb.close()
    return rows


def test_ak6_per_kon_csv_and_xlsx_agree(realdata: Path) -> None:
    base = (
        realdata
        / "skolverket_kommun"
        / "Grundskola - Betyg årskurs 6, andel som fått godkänt betyg (A-E), per kön 2025 Kommun"
    )
    csv_out = recognise(base.with_suffix(".csv")).read(base.with_suffix(".csv"), ALL)["publicerad"]
    xlsx_path = base.with_suffix(".xlsx")
    source = recognise(xlsx_path)
    assert source.name == "skolverket_betyg_ak6"
    xlsx_out = source.read(xlsx_path, ALL)["publicerad"]
    cols = [c for c in csv_out.columns if c != "kalla"]
    a = csv_out[cols].sort_values(cols[:9]).reset_index(drop=True)
    b = xlsx_out[cols].sort_values(cols[:9]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert len(a) == 6088
    # and the xlsx cells themselves, by openpyxl
    rows = _xlsx_rows(xlsx_path, "Statistik")
    h = next(i for i, r in enumerate(rows) if r[0] == "Kommun")
    groups, header = rows[h - 1], [str(c).strip() for c in rows[h]]
    got = index_output(xlsx_out, ["kommunkod", "typ_av_huvudman", "indikator", "grupp"])
    n, current = 0, ""
    for r in rows[h + 1 :]:
        if r[0] is None:
            continue
        for j in range(5, len(header)):
            current = groups[j] or current
            ind, grupp = rule_ak6(current, header[j], None)
            varde, mark = expected_value(r[j])
            if ind == ANTAL:
                recs = [v for k, v in got.items() if k[0] == r[1] and k[1] == r[4] and k[3] == grupp]
                assert recs and all(same(varde, x["antal"]) for x in recs)
            else:
                rec = got[(r[1], r[4], ind, grupp)]
                assert same(varde, rec["varde"]) and rec["markering"] == mark
            n += 1
    assert n == 761 * 10
    CellCounter.add("skolverket xlsx (skolverket_betyg_ak6)", n)


def test_jamforelse_xlsx_every_cell(realdata: Path) -> None:
    path = (
        realdata
        / "skolverket_kommun"
        / "Grundskola - Jämförelse av betygsresultat över tid 2025 Kommun_Åk9.xlsx"
    )
    source = recognise(path)
    assert source.name == "skolverket_jamforelse_over_tid"
    out = source.read(path, ALL)["publicerad"]
    got = index_output(out, ["kommunkod", "typ_av_huvudman", "lasar", "indikator", "grupp"])
    uppgift = {
        "Totalt antal elever årskurs 9": ("antal_elever_ak9", "samtliga"),
        "- andel (%) flickor": ("andel_flickor", "arskurs:9"),
        "- andel (%) pojkar": ("andel_pojkar", "arskurs:9"),
        "- andel (%) elever med utländsk bakgrund": ("andel_utlandsk_bakgrund", "arskurs:9"),
        "- andel (%) med föräldrar med eftergymnasial utbildning": (
            "andel_foraldrar_eftergymnasial",
            "arskurs:9",
        ),
        "Genomsnittligt meritvärde (17 ämnen)": ("meritvarde_17", "samtliga"),
        "Genomsnittligt meritvärde (16 ämnen)": ("meritvarde_16", "samtliga"),
        "Andel (%) behöriga till yrkesprogram": ("behorighet_yrkes", "samtliga"),
        "Andel (%) som fått godkänt betyg i alla ämnen": ("godkand_alla_amnen", "samtliga"),
    }
    n = 0
    for sheet in ("Samtliga", "Kommunal", "Enskild"):
        rows = _xlsx_rows(path, sheet)
        h = next(i for i, r in enumerate(rows) if r[0] == "Kommun")
        years = [int(str(c)[:4]) + 1 for c in rows[h][5:]]
        totals = {}
        for r in rows[h + 1 :]:
            if r[0] is None:
                continue
            ind, grupp = uppgift[r[4].strip()]
            for lasar, cell in zip(years, r[5:], strict=False):
                rec = got[(r[1], sheet, lasar, ind, grupp)]
                varde, mark = expected_value(cell)
                assert same(varde, rec["varde"]) and rec["markering"] == mark, (
                    sheet,
                    r[:5],
                    lasar,
                    cell,
                    rec,
                )
                if ind == "antal_elever_ak9":
                    totals[(r[1], lasar)] = varde
                n += 1
        # the n behind every value of a kommun and year is its 'Totalt antal elever årskurs 9'
        part = out[out["typ_av_huvudman"] == sheet]
        for rec in part.itertuples():
            assert same(totals[(rec.kommunkod, rec.lasar)], rec.antal)
    assert n == len(out)
    CellCounter.add("skolverket xlsx (skolverket_jamforelse_over_tid)", n)


def test_filter_to_stockholm_keeps_only_its_rows(realdata: Path) -> None:
    ctx = ReadContext(kommunkod="0180", jamforelsegrupp=("1480",))
    for path in csv_files(realdata):
        out = recognise(path).read(path, ctx)
        pub = out["publicerad"]
        assert set(pub["kommunkod"]) <= {"0180", "1480"}, path.name
        assert set(pub.loc[pub["kommunkod"] == "1480", "niva"]) <= {"jamforelse"}
        assert set(pub.loc[pub["kommunkod"] == "1480", "typ_av_huvudman"]) <= {"Samtliga"}
        if "skolenheter" in out:
            assert set(out["skolenheter"]["kommunkod"]) <= {"0180"}
    path = (
        realdata
        / "skolverket_kommun"
        / "Grundskola - Betyg årskurs 6, andel som fått godkänt betyg (A-E), samtliga elever 2024 Kommun.csv"
    )
    pub = recognise(path).read(path, ctx)["publicerad"]
    stockholm = pub[pub["kommunkod"] == "0180"]
    assert set(zip(stockholm["typ_av_huvudman"], stockholm["niva"], strict=False)) >= {
        ("Samtliga", "kommun"),
        ("Kommunal", "huvudman"),
    }


def test_skolenhet_files_give_kommunal_units_once(realdata: Path) -> None:
    path = (
        realdata
        / "skolverket_skolenhet"
        / "Grundskola - Slutbetyg årskurs 9, samtliga elever 2025 Skolenhet.csv"
    )
    out = recognise(path).read(path, ReadContext(kommunkod="0180"))
    units = out["skolenheter"]
    assert not units.duplicated(["skolenhetskod", "skolform"]).any()
    assert set(units["skolform"]) == {"GR"} and set(units["kommunkod"]) == {"0180"}
    assert units.attrs["lasar"] == 2025
    _, _, header, data = csv_table(path)
    expected = {r[1] for _, r in data if r[3] == "0180" and r[4] == "Kommunal"}
    assert set(units["skolenhetskod"]) == expected
    pub = out["publicerad"]
    assert set(pub["niva"]) == {"enhet"} and set(pub["typ_av_huvudman"]) >= {"Kommunal", "Enskild"}


def test_gymnasium_aggregates_are_not_double_counted(realdata: Path) -> None:
    path = realdata / "skolverket_gymnasium_kungsbacka" / "slutbetyg-gymnasiet-2023-24.csv"
    pub = recognise(path).read(path, ALL)["publicerad"]
    unit = pub[(pub["skolenhetskod"] == "80405898") & (pub["indikator"] == "andel_examen")]
    assert dict(zip(unit["grupp"], unit["varde"], strict=False)) == {
        "program:TE": 96.6,
        "programtyp:hogskoleforberedande": 96.6,
        "samtliga": 96.6,
    }
    assert set(unit["antal"]) == {119}
    assert set(pub["lasar"]) == {2024} and set(pub["skolform"]) == {"GY"}


def test_gymnasieskola_kostnader_kommunalforbund(realdata: Path) -> None:
    """Kommunalförbund run gymnasieskolor for several kommuner: Skolverket lists them beside the
    kommuner with a code 30xx-32xx (2020, 2021) or none at all (2022), and an empty län.

    Hand-read from the files (PROVENANCE.md): Kunskapsförbundet Väst, 2020: code 3140,
    Genomsnittligt elevantal '2 594', Totalt per elev '127 600'; 2022: no code, '2 584', '132 100'.
    Södra Lapplands Gymnasieförbund 2022, Måltider per elev '-600' (a negative cost is published).
    """
    folder = realdata / "skolverket_kommun"
    out20 = recognise(folder / "Gymnasieskola - Kostnader per kommun 2020 Kommun.csv").read(
        folder / "Gymnasieskola - Kostnader per kommun 2020 Kommun.csv", ALL
    )["publicerad"]
    kv = out20[out20["enhet"] == "Kunskapsförbundet Väst"].set_index("indikator")
    assert (
        set(kv["kommunkod"]) == {"3140"} and set(kv["niva"]) == {"huvudman"} and set(kv["skolform"]) == {"GY"}
    )
    assert kv.loc["elevantal_genomsnitt", "varde"] == 2594 and kv.loc["kostnad_per_elev", "varde"] == 127600
    assert set(out20["lasar"]) == {2020}
    p22 = folder / "Gymnasieskola - Kostnader per kommun 2022 Kommun.csv"
    out22 = recognise(p22).read(p22, ALL)["publicerad"]
    kv22 = out22[out22["enhet"] == "Kunskapsförbundet Väst"].set_index("indikator")
    assert set(kv22["kommunkod"]) == {""} and kv22.loc["kostnad_per_elev", "varde"] == 132100
    sl = out22[
        (out22["enhet"] == "Södra Lapplands Gymnasieförbund")
        & (out22["indikator"] == "kostnad_maltider_per_elev")
    ]
    assert sl["varde"].tolist() == [-600.0]
    # a kommun's report does not take a förbund's row as its own (Trollhättan 1488 is a member of
    # Kunskapsförbundet Väst; its own row, '.', stays its own)
    trollhattan = recognise(p22).read(p22, ReadContext(kommunkod="1488"))["publicerad"]
    assert set(trollhattan["enhet"]) == {"Trollhättan"} and set(trollhattan["kommunkod"]) == {"1488"}
