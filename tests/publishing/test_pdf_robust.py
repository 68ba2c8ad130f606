"""The PDF printer under stress: a dead browser at cleanup, and a book printed in many chunks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.publishing import pdf as pdfmod
from pipeline.publishing.pdf import (
    PdfError,
    Printer,
    open_printer,
    outline_pages,
    page_count,
    render_book_pdf,
)
from tests.publishing.test_site_standin import make_book


class _DeadContext:
    def close(self) -> None:
        raise RuntimeError("BrowserContext.close: Target page, context or browser has been closed")


def test_close_tolerates_a_dead_context():
    printer = Printer.__new__(Printer)
    printer._context = _DeadContext()
    printer.close()  # no exception: the browser is gone already


def _need_chromium() -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (make browser)")


@pytest.mark.browser
def test_cleanup_never_masks_the_original_error():
    _need_chromium()
    with pytest.raises(ZeroDivisionError, match="the error that matters"):
        with open_printer() as printer:
            printer._browser.close()  # the browser dies under the printer ...
            raise ZeroDivisionError("the error that matters")  # ... and this is the one to see


@pytest.mark.browser
def test_browser_failure_is_a_pdf_error_naming_what_was_printed():
    _need_chromium()
    with pytest.raises(PdfError, match="the test document"):
        with open_printer() as printer:
            printer._browser.close()
            printer.pdf("<p>x</p>", header=None, footer=None, margin={}, what="the test document")


@pytest.mark.browser
def test_book_is_one_tagged_document_with_numbered_contents(tmp_path):
    """The book printed as one Chromium document: tagged, language and title set, "Sida X av Y"
    on every page, and the contents name the page of every part's bookmark (read from a first
    print); a second print is byte-identical."""
    _need_chromium()
    book, _ = make_book(tmp_path)
    with open_printer() as printer:
        out = render_book_pdf(book, tmp_path / "r.pdf", printer=printer)
        again = render_book_pdf(book, tmp_path / "r2.pdf", printer=printer)
    data = out.read_bytes()
    assert again.read_bytes() == data
    n = page_count(data)
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]  # tagged
    assert root["/Lang"] == "sv"
    assert reader.metadata["/Title"] == "Kvalitetsrapport 2024 – Exempelkommun"
    for i, p in enumerate(reader.pages, start=1):
        text = p.extract_text() or ""
        assert f"Sida {i} av {n}" in text
        assert "Exempelkommun" in text  # the header
    toc = reader.pages[1].extract_text()
    outline = outline_pages(data)
    parts = pdfmod._print_parts(book, {})
    assert sum(p["kind"] == "unit" for p in parts) >= 3
    i = 0
    for part in parts:  # each part's bookmark, in order; the contents name its page
        while outline[i][1] != " ".join(part["title"].split()):
            i += 1
        depth, title, page = outline[i]
        assert depth == part["level"] - 1, title
        assert f"{title} {page}" in toc, title
        assert title in (reader.pages[page - 1].extract_text() or ""), title
