"""The huvudman-level report on the demo build: the start page opens with the assessment and the
development areas, the board PDF's main part is 20-40 pages with the units in an appendix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.publishing.pdf import outline_pages, page_count, pdf_text

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report(demo_build) -> Path:
    return demo_build / "reports" / "2024"


def test_start_page_opens_with_the_assessment_and_areas(report):
    html = (report / "site" / "index.html").read_text(encoding="utf-8")
    main = html[html.index('<main id="innehall"') :]
    # the assessment is the first section, before the key figures
    assert main.index("Huvudmannens samlade bedömning") < main.index("Nyckeltal för Exempelkommun")
    assert "Läsåret 2023/24 ligger resultaten hos Exempelkommun nära föregående år." in main
    for heading in (
        "Sammanfattning",
        "Bedömning per skolform och kvalitetsområde",
        "Prioriterade utvecklingsområden",
    ):
        assert f">{heading}</h3>" in main
    # the numbers beside it: Exempelgymnasiet Södra misses the examen target by 33,3 points
    # (41,7 % against 75 %, params/mal.yml), the largest gap of the demo
    assert "Enheter längst från nämndens mål" in main  # förskoleenheter and skolenheter together
    assert re.search(r"Exempelgymnasiet Södra \(fiktiv\).*?−33,3\sprocentenheter", main, re.S)
    # development areas with status, this year's and last year's followed up
    assert 'data-omrade-id="gr-trygghet" data-status="planerad"' in main
    assert "Status för förra årets utvecklingsområden" in main
    # bjork-narvaro (2023) has no uppfoljning entry in 2024.yml: said aloud, not hidden
    assert "(status från läsåret 2022/23, inte uppdaterad)" in main
    assert "Utvärderad" in main  # gr-bedomning followed up as utvärderad


def test_unit_page_shows_its_own_areas(report):
    html = (report / "site" / "grundskola" / "99992002.html").read_text(encoding="utf-8")
    assert 'data-omrade-id="bjork-pojkar"' in html  # this year's
    assert 'data-omrade-id="bjork-studiero"' in html  # last year's, followed up
    assert 'data-omrade-id="gr-trygghet"' not in html  # a school-form area is not the unit's


def test_board_pdf_main_part_is_20_to_40_pages(report):
    data = (report / "kvalitetsrapport-2024.pdf").read_bytes()
    top = [(title, page) for depth, title, page in outline_pages(data) if depth == 0]
    titles = [t for t, _ in top]
    appendix = dict(top)["Bilaga: kvalitetsdialog per enhet"]
    main_part = appendix - 1  # every page before the appendix's first page
    assert 20 <= main_part <= 40, top
    assert titles.index("Huvudmannens samlade bedömning") < titles.index("Utvecklingsområden")
    assert titles.index("Utvecklingsområden") < titles.index("Bilaga: kvalitetsdialog per enhet")
    # every unit is in the appendix, as a sheet with questions and room for agreed actions
    text = pdf_text(data)
    assert text.count("Överenskomna åtgärder") == 12  # the demo has 12 units
    assert page_count(data) > appendix


def test_unit_pdf_is_the_kvalitetsdialog_sheet(report):
    data = (report / "enheter" / "99992002.pdf").read_bytes()
    assert 1 <= page_count(data) <= 2
    text = pdf_text(data)
    for part in (
        "Kvalitetsdialog läsåret 2023/24",
        "Utveckling över tid",
        "Frågor inför dialogen",
        "Överenskomna åtgärder",
    ):
        assert part in text
