"""The PDF report and the unit sheets, printed with headless Chromium."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.publishing.pdf import outline_pages, page_count, pdf_text, render_pdfs
from tests.publishing.test_site_standin import make_book

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    tmp = tmp_path_factory.mktemp("pdf")
    book, _ = make_book(tmp)
    files = render_pdfs(book, tmp / "report")
    return book, tmp, files


def test_files(printed):
    book, tmp, files = printed
    names = sorted(f.relative_to(tmp / "report").as_posix() for f in files)
    units = [u.skolenhetskod for ch in book.chapters for u in ch.units]
    assert names == sorted(["kvalitetsrapport-2024.pdf", *(f"enheter/{c}.pdf" for c in units)])


def test_report_has_page_numbers_toc_and_figures(printed):
    _, tmp, _ = printed
    data = (tmp / "report/kvalitetsrapport-2024.pdf").read_bytes()
    n = page_count(data)
    assert n >= 8
    reader = PdfReader(io.BytesIO(data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.92, abs=1)  # A4
    for i, p in enumerate(reader.pages, start=1):
        assert f"Sida {i} av {n}" in (p.extract_text() or "")
    toc = reader.pages[1].extract_text()
    assert "Rapportens innehåll" in toc
    # the page numbers in the table of contents are the pages the headings are on
    outline = {title: page for depth, title, page in outline_pages(data)}
    for title in ("Björkskolan", "Lindskolan", "Metod och data", "Grundskola hos Exempelkommun"):
        assert f"{title} {outline[title]}" in toc, title
    # one figure per notebook page (an SVG, drawn as vectors: counted by its caption)
    captions = sum((p.extract_text() or "").count("Meritvärde 2020–2024") for p in reader.pages)
    # the stand-in book's two chapter overviews; unit pages are now sheets (their trend is
    # tested on the demo build in tests/test_board.py)
    assert captions >= 2


def test_report_content(printed):
    _, tmp, _ = printed
    text = pdf_text((tmp / "report/kvalitetsrapport-2024.pdf").read_bytes())
    assert "Rapporten för Lindskolan kunde inte tas fram i år." in text
    assert "Genomsnittligt meritvärde (17 ämnen)" in text  # method appendix
    assert "<script>alert(1)</script>" in text  # shown as text, as written
    assert "debug output 1234" not in text


def test_unit_sheets_are_at_most_two_pages(printed):
    _, tmp, files = printed
    for f in files:
        if f.parent.name == "enheter":
            assert 1 <= page_count(f.read_bytes()) <= 2, f


def test_metadata_is_fixed(printed):
    book, tmp, _ = printed
    meta = PdfReader(tmp / "report/kvalitetsrapport-2024.pdf").metadata
    assert meta["/CreationDate"] == "D:20000101000000+00'00'" or os.environ.get("SOURCE_DATE_EPOCH")
    assert meta["/Title"] == "Kvalitetsrapport 2024 – Exempelkommun"


def test_rebuild_is_byte_identical(printed, tmp_path):
    book, tmp, files = printed
    again = render_pdfs(book, tmp_path / "again", units=False)
    assert again[0].read_bytes() == (tmp / "report/kvalitetsrapport-2024.pdf").read_bytes()


def test_long_unit_sheet_is_scaled_to_two_pages(printed, tmp_path):
    from dataclasses import replace

    from pipeline.publishing.pdf import _sections, open_printer, render_unit_pdf

    book, _, _ = printed
    unit = book.chapters[1].units[1]
    cache: dict = {}
    sections = dict(_sections(unit, cache))
    sid = next(iter(sections))
    long = sections[sid]
    sections["sammanfattning"] = replace(long, body=long.body * 12)
    cache[("sections", unit)] = sections
    with open_printer() as printer:
        out = render_unit_pdf(book, unit, tmp_path / "u.pdf", printer=printer, cache=cache)
    assert page_count(out.read_bytes()) == 2


def test_digest_differs_between_units(printed):
    _, tmp, files = printed
    digests = {hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    assert len(digests) == len(files)


def test_unit_sheet_headings_nest_without_a_gap(printed):
    """The sheet's own headings are h3 under the unit's h2 (no regex shifting of headings)."""
    import re

    from pipeline.publishing.pdf import kvalitetsdialog_html, unit_print_html

    book, _, _ = printed
    unit = book.chapters[1].units[0]
    body = str(kvalitetsdialog_html(book, unit))
    assert set(re.findall(r"<h([1-6])", body)) == {"3"}
    levels = [int(x) for x in re.findall(r"<h([1-6])", unit_print_html(book, unit))]
    assert levels[:2] == [1, 2] and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_unit_sheet_keeps_key_figures_and_analysis():
    from pipeline.publishing.views import page_from_outputs

    def out(sid):
        return {
            "data": {"text/html": f"<h2>{sid}</h2>"},
            "metadata": {"kvalitet": {"del": "text", "sektion": sid}},
        }

    outputs = [out("sammanfattning"), out("omrade-kunskapsresultat"), out("analys")]
    html = str(page_from_outputs(outputs, only=("sammanfattning", "analys")).html)
    assert "<h2>sammanfattning</h2>" in html and "<h2>analys</h2>" in html
    assert "kunskapsresultat" not in html
    # a page without those sections is printed whole
    assert "<h2>x</h2>" in str(page_from_outputs([out("x")], only=("analys",)).html)


def _struct_alts(reader: PdfReader) -> list[str]:
    """The /Alt of every /Figure element of the PDF's structure tree."""
    from pypdf.generic import ArrayObject, DictionaryObject

    alts: list[str] = []

    def walk(node) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, ArrayObject):
            for k in node:
                walk(k)
        elif isinstance(node, DictionaryObject):
            if node.get("/S") == "/Figure" and node.get("/Alt"):
                alts.append(str(node["/Alt"]))
            if "/K" in node:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return alts


def test_pdfs_are_tagged_with_language_title_outline_and_alt_text(printed):
    """What the README promises: Chromium's tagged output is kept (the book is one document,
    nothing joined afterwards), in Swedish, with its title, bookmarks and the figures' alt text."""
    import shutil
    import subprocess

    _, tmp, files = printed
    book_pdf = tmp / "report/kvalitetsrapport-2024.pdf"
    for f in files:
        reader = PdfReader(f)
        root = reader.trailer["/Root"]
        assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"], f
        assert root["/Lang"] == "sv", f
        assert reader.metadata["/Title"], f
        if shutil.which("pdfinfo"):
            info = subprocess.run(["pdfinfo", str(f)], capture_output=True, text=True, check=True).stdout
            assert "Tagged:          yes" in info, f
    reader = PdfReader(book_pdf)
    assert len(outline_pages(book_pdf.read_bytes())) > 10
    # the stand-in's trend figure keeps its alt text in the structure tree
    assert "Meritvärdet har ökat sedan 2020 för Exempelkommun." in _struct_alts(reader)
