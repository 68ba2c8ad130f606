"""The real-data report for a small municipality, through the CLI, from ``../shared/realdata``.

Nynäshamn (0192) has three kommunal grundskolor with åk 9 leavers in 2024/25 and no enskilda, so
the whole build (ingest of every real file filtered to the kommun, indicators, notebooks, site and
PDFs) is small. It is built once per test run (a session fixture); its time is printed, never
asserted (``make bench`` measures speed). Checked as a reader would: every unit of
the kommun has its page, the kommun is the huvudman on the start page, every number on a page is
the published indicator table's, and the table's values are the ones in Skolverket's file (read
here independently with the csv module), markers included.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e_support import check_numbers_trace, cli, make_project, parse_page, read_published_table

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

YEAR = 2025
KOMMUN = "0192"
KOMMUN_NAMN = "Nynäshamn"
SLUTBETYG = "skolverket_skolenhet/Grundskola - Slutbetyg årskurs 9, samtliga elever 2025 Skolenhet.csv"
#: Columns of the Slutbetyg file → indicator of the published table.
COLUMNS = {
    "Andel (%) elever som uppfyllt betygskriterierna i alla ämnen": "godkand_alla_amnen",
    "Andel (%) elever behöriga till yrkesprog.": "behorighet_yrkes",
    "Genomsnittligt meritvärde (17 ämnen)": "meritvarde_17",
}


@pytest.fixture(scope="session")
def build(realdata: Path, tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("realdata") / "proj")
    t0 = time.perf_counter()
    res = cli(root, "report", str(YEAR), "--data", str(realdata), "--kommun", KOMMUN, timeout=3600)
    seconds = time.perf_counter() - t0
    assert res.returncode == 0, f"report failed (exit {res.returncode}):\n{res.stdout}\n{res.stderr[-4000:]}"
    print(f"[timing] real-data report for {KOMMUN} built in {seconds:.1f} s")
    return root


def _site(root: Path) -> Path:
    return root / "reports" / str(YEAR) / "site"


def _table(root: Path) -> pd.DataFrame:
    return read_published_table(_site(root))


def _source_rows(realdata: Path) -> list[dict[str, str]]:
    """The kommun's rows of Skolverket's Slutbetyg file, read with the csv module."""
    with open(realdata / SLUTBETYG, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f, delimiter=";"))
    at = next(i for i, r in enumerate(lines) if r and r[0] == "Skola")
    header = lines[at]
    rows = []
    for r in lines[at + 1 :]:
        if not r or not r[0].strip():
            break
        row = dict(zip(header, r, strict=False))
        if row["Kommun-kod"] == KOMMUN:
            rows.append(row)
    assert rows, f"no rows of {KOMMUN} in {SLUTBETYG}"
    return rows


def _is_true(v) -> bool:
    return str(v).strip().lower() in ("true", "1", "sant", "ja")


def test_every_kommunal_unit_has_a_page(build: Path, realdata: Path):
    from pipeline.school_forms import get_school_form

    kommunala = [r for r in _source_rows(realdata) if r["Typ av huvudman"] == "Kommunal"]
    assert len(kommunala) >= 2
    slug = get_school_form("GR").slug
    for r in kommunala:
        page = _site(build) / slug / f"{r['Skol-enhetskod']}.html"
        assert page.exists(), f"no page for {r['Skola']} ({r['Skol-enhetskod']})"
        assert r["Skola"] in page.read_text(encoding="utf-8"), page
    assert (_site(build) / slug / "index.html").exists()


def test_the_kommun_is_the_huvudman(build: Path):
    start = (_site(build) / "index.html").read_text(encoding="utf-8")
    assert KOMMUN_NAMN in start
    assert "Exempelkommun" not in start
    # the demo's development areas of 2023/24 (params/utvecklingsomraden/2024.yml, about
    # Exempelkommun's units 99991001 and 99992002) are not followed up in a real kommun's report
    assert "99992002" not in start and "Samordna elevhälsans insatser" not in start
    assert "Studievägledning vid kursstart" not in start
    assert "Inga utvecklingsområden har registrerats" in start
    # its intro names only the forms it covers
    assert "Rapporten omfattar grundskola och visar" in start
    import json

    manifest = json.loads((build / "reports" / str(YEAR) / "manifest.json").read_text())
    assert manifest["kommunkod"] == KOMMUN
    assert KOMMUN_NAMN in manifest["huvudman"]


def test_numbers_on_pages_equal_the_indicator_table(build: Path):
    # a derived number (e.g. 'skillnad', a gap) has a data-kolumn that is not a cell
    checked = check_numbers_trace(_site(build), _table(build), derived_columns=True)
    assert checked >= 30, f"only {checked} numbers carried data attributes"


def test_indicator_table_has_the_values_of_the_source_file(build: Path, realdata: Path):
    ind = _table(build)
    ind = ind[
        (ind["lasar"] == YEAR)
        & (ind["niva"] == "enhet")
        & (ind["grupp"] == "samtliga")
        & (ind["skolform"] == "GR")
    ]
    compared = suppressed = 0
    for r in _source_rows(realdata):
        for column, indikator in COLUMNS.items():
            cell = r[column].strip()
            hit = ind[(ind["skolenhetskod"] == r["Skol-enhetskod"]) & (ind["indikator"] == indikator)]
            assert len(hit) >= 1, f"{r['Skola']} {indikator}: not in indikatorer.csv"
            row = hit.iloc[0]
            if cell == "..":
                assert pd.isna(row["varde"]) and _is_true(row["undertryckt"]), (
                    r["Skola"],
                    indikator,
                    row.to_dict(),
                )
                suppressed += 1
            elif cell == ".":
                assert pd.isna(row["varde"]), (r["Skola"], indikator, row.to_dict())
            elif cell == "~100":
                assert row["varde"] == 100 and not _is_true(row["undertryckt"]), (r["Skola"], indikator)
            else:
                want = float(cell.replace(",", ".").replace(" ", ""))
                assert math.isclose(row["varde"], want, abs_tol=1e-9), (
                    r["Skola"],
                    indikator,
                    cell,
                    row["varde"],
                )
                assert not _is_true(row["undertryckt"])
            compared += 1
    print(f"[back-test] {compared} cells of {SLUTBETYG} for {KOMMUN} ({suppressed} '..')")
    assert compared >= 6


def test_suppressed_values_show_as_dash_on_the_unit_page(build: Path, realdata: Path):
    """A '..' of the file is shown as an empty number (data-varde="") with the dash, never as 0."""
    from pipeline.school_forms import get_school_form

    slug = get_school_form("GR").slug
    ind = _table(build)
    hidden = ind[(ind["lasar"] == YEAR) & (ind["niva"] == "enhet") & ind["undertryckt"].map(_is_true)]
    for code in sorted(set(hidden["skolenhetskod"]))[:3]:
        page = _site(build) / slug / f"{code}.html"
        if not page.exists():
            continue
        nums = [
            n
            for n in parse_page(page).numbers
            if n.get("data-skolenhetskod") == code and int(n["data-lasar"]) == YEAR
        ]
        keys = {(r.indikator, r.grupp) for r in hidden[hidden["skolenhetskod"] == code].itertuples()}
        for n in nums:
            if (n["data-indikator"], n.get("data-grupp", "samtliga")) in keys:
                assert n.get("data-varde", "") == "", (page.name, n)


def test_pdfs_on_real_data(build: Path):
    from pipeline.publishing.pdf import outline_pages, page_count, pdf_text

    report = build / "reports" / str(YEAR) / f"kvalitetsrapport-{YEAR}.pdf"
    data = report.read_bytes()
    n = page_count(data)
    assert n >= 5
    text = pdf_text(data)
    assert KOMMUN_NAMN in text
    assert f"Sida {n} av {n}" in text
    assert len(outline_pages(data)) >= 5
    sheets = sorted((build / "reports" / str(YEAR) / "enheter").glob("*.pdf"))
    assert sheets
    for s in sheets:
        # the kvalitetsdialog sheet: one or two pages per unit (issue 12)
        assert page_count(s.read_bytes()) in (1, 2), s


ELEVER = "skolverket_skolenhet/Grundskolan - Antal elever per årskurs 2022 Skolenhet.csv"
#: Share columns of the Antal elever file (2022/23) → (indikator, grupp); '..' below 10 pupils.
ELEVER_COLUMNS = {
    "Andel (%) flickor, årskurs 1-9": ("andel_flickor", "samtliga"),
    "Andel (%) elever med utländsk bakgrund, åk 1-9": ("andel_utlandsk_bakgrund", "samtliga"),
    "Andel (%) elever med föräldrar med eftergymnasial utb., åk 1-9": (
        "andel_foraldrar_eftergymnasial",
        "samtliga",
    ),
    "Andel (%) flickor, förskoleklass": ("andel_flickor", "arskurs:FK"),
}


def test_markers_of_the_source_are_kept(build: Path, realdata: Path):
    """'..' in Skolverket's file is undertryckt with no value in indikatorer.csv; '~100' is shown
    as '~100' on the unit page."""
    with open(realdata / ELEVER, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f, delimiter=";"))
    at = next(i for i, r in enumerate(lines) if r and r[0] == "Skola")
    header = lines[at]
    ind = _table(build)
    ind = ind[(ind["lasar"] == 2023) & (ind["niva"] == "enhet")]
    dots = values = 0
    for r in lines[at + 1 :]:
        if not r or not r[0].strip():
            break
        row = dict(zip(header, r, strict=False))
        if row["Kommun-kod"] != KOMMUN:
            continue
        for column, (indikator, grupp) in ELEVER_COLUMNS.items():
            cell = row[column].strip()
            hit = ind[
                (ind["skolenhetskod"] == row["Skol-enhetskod"])
                & (ind["indikator"] == indikator)
                & (ind["grupp"] == grupp)
            ]
            if cell == "..":
                assert len(hit) == 1, (row["Skola"], column)
                assert pd.isna(hit["varde"].iloc[0]) and _is_true(hit["undertryckt"].iloc[0]), (
                    row["Skola"],
                    column,
                )
                dots += 1
            elif cell not in (".", ""):
                assert len(hit) == 1, (row["Skola"], column)
                assert math.isclose(hit["varde"].iloc[0], float(cell.replace(",", ".")), abs_tol=1e-9), (
                    row["Skola"],
                    column,
                )
                values += 1
    print(f"[back-test] {ELEVER}: {values} values and {dots} '..' of {KOMMUN} as published")
    assert dots >= 1 and values >= 5

    from pipeline.school_forms import get_school_form

    rounded = [r for r in _source_rows(realdata) if "~100" in r.values()]
    assert rounded, "the Slutbetyg file has a '~100' for this kommun"
    for r in rounded:
        page = (_site(build) / get_school_form("GR").slug / f"{r['Skol-enhetskod']}.html").read_text(
            encoding="utf-8"
        )
        assert "~100" in page, r["Skola"]


def test_no_raw_codes_and_no_figure_defects_on_the_real_data_site(build: Path):
    # the same checks as on the demo site (tests/publishing/test_raw_codes.py, test_figures_svg.py)
    from tests.publishing.test_figures_svg import figure_problems
    from tests.publishing.test_raw_codes import published_groups, raw_codes_on_pages

    site = _site(build)
    assert raw_codes_on_pages(site, published_groups(site)) == []
    _n, problems = figure_problems(site)
    assert problems == []


def test_comparison_notes_once_per_page_and_changes_name_the_lasar(build: Path):
    # A kommun-level build lacks riket for some tables: each page says why at most once, and the
    # start page's key figures compare with the läsår before (2023/24), never a calendar year.
    import re

    site = _site(build)
    for page in sorted(site.rglob("*.html")):
        text = re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))
        assert text.count("Filerna innehåller inga riksvärden") <= 1, page
        assert text.count("Värden för riket finns inte i underlaget") <= 1, page
        assert not re.search(r"jämfört med 20\d\d(?!/)", text), page
    start = re.sub(r"<[^>]+>", "", (site / "index.html").read_text(encoding="utf-8"))
    assert "jämfört med läsåret 2023/24" in start
