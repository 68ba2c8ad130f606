"""The PDFs: the huvudman report for the board and a one-page sheet per unit.

Both are printed with Debian's headless Chromium through playwright (``page.pdf``), offline:
every request that is not ``data:`` or ``about:`` is aborted.

- ``reports/<YEAR>/kvalitetsrapport-<YEAR>.pdf``: the print version of the book as ONE HTML
  document (title page, table of contents with page numbers, the huvudman's assessment, the
  development areas, a chapter per school form, the appendix of kvalitetsdialog sheets, the
  method), A4, "Sida X av Y" in the footer, printed by Chromium as one tagged PDF
  (``tagged=True``: structure tree, ``/Lang sv``, the title, the figures' alt text) with bookmarks
  from the headings (``outline=True``). The contents' page numbers are read from a first print's
  bookmarks and the book is printed again with them. Nothing is joined afterwards, so the tags
  Chromium writes are kept.
- ``reports/<YEAR>/enheter/<skolenhetskod>.pdf``: the unit's kvalitetsdialog sheet (the same
  sheet as in the appendix) on at most two A4 pages, scaled down when it is longer.

Chromium stamps the print time into a PDF; the two time stamps are replaced in place by
``SOURCE_DATE_EPOCH`` (or 2000-01-01), so rebuilds are byte-identical. One browser prints every
PDF of a build.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from pipeline.errors import PipelineError
from pipeline.publishing.book import Book, Page
from pipeline.publishing.downloads import source_date, write_published
from pipeline.publishing.site import (
    STATIC,
    _environment,
    change_text,
    failed_name,
    format_value,
    lasar_text,
    render_notebook_fragment,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_MARGIN = {"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"}
_UNIT_MARGIN = {"top": "12mm", "bottom": "14mm", "left": "12mm", "right": "12mm"}


class PdfError(PipelineError):
    """A PDF could not be printed (no browser, or the browser failed)."""

    exit_code = 1


def report_pdf_name(lasar: int) -> str:
    """``kvalitetsrapport-<YEAR>.pdf``."""
    return f"kvalitetsrapport-{lasar}.pdf"


def chromium_path() -> str:
    """The Chromium binary used for printing, loudly."""
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not found:
        raise PdfError(
            f"Chromium not found at {CHROMIUM}: the PDFs are printed with Debian's chromium. "
            "Install it with `make browser` (apt-get install chromium) and run again."
        )
    return found


# --------------------------------------------------------------------------- browser


class Printer:
    """One headless Chromium for all the PDFs of a build. Use :func:`open_printer`."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self._context = browser.new_context()
        self._context.set_default_timeout(PRINT_TIMEOUT_MS)
        self._context.route("**/*", _offline_route)

    def _page(self, html_text: str) -> Any:
        page = self._context.new_page()
        try:
            page.emulate_media(media="print")
            page.set_content(html_text, wait_until="load")
        except Exception:
            _close_quietly(page.close)
            raise
        return page

    def pdf(
        self,
        html_text: str,
        *,
        header: str | None,
        footer: str | None,
        margin: dict,
        scale: float = 1.0,
        what: str = "a PDF",
    ) -> bytes:
        """Print an HTML document to PDF bytes (A4, header and footer templates, bookmarks).

        ``header``/``footer`` None prints no header and footer (the book's chunks get theirs from
        an overlay). A browser failure is raised as :class:`PdfError` naming ``what``.
        """
        try:
            page = self._page(html_text)
            try:
                return page.pdf(
                    format="A4",
                    print_background=True,
                    display_header_footer=header is not None or footer is not None,
                    header_template=header or "<span></span>",
                    footer_template=footer or "<span></span>",
                    margin=margin,
                    scale=max(0.1, min(2.0, scale)),
                    outline=True,
                    tagged=True,
                )
            finally:
                _close_quietly(page.close)
        except PdfError:
            raise
        except Exception as exc:  # playwright's errors: wrap with what was printed
            raise PdfError(
                f"Chromium failed printing {what} ({len(html_text) / 1e6:.1f} MB of HTML): "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}. "
                "Run again; if it repeats, build without the PDF (`--no-pdf`) and report the problem."
            ) from exc

    def content_height(self, html_text: str, width_px: int) -> float:
        """The document's height in CSS px when laid out at ``width_px``."""
        try:
            page = self._page(html_text)
            try:
                page.set_viewport_size({"width": width_px, "height": 1000})
                return float(page.evaluate("document.documentElement.scrollHeight"))
            finally:
                _close_quietly(page.close)
        except Exception as exc:
            raise PdfError(f"Chromium failed laying out a unit sheet: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        """Close the browser context; a browser that is already gone is fine."""
        _close_quietly(self._context.close)


#: Playwright's timeout for loading and printing one document (a big chunk takes a while).
PRINT_TIMEOUT_MS = 300_000

_log = logging.getLogger(__name__)


def _close_quietly(close: Any) -> None:
    """Call a playwright ``close``; a dead page, context or browser (it crashed, or was already
    closed) is not an error at cleanup: the error that killed it is the one that matters."""
    try:
        close()
    except Exception as exc:  # noqa: BLE001 - cleanup must never mask the original error
        _log.debug("ignored while closing the browser: %s", exc)


def _offline_route(route: Any) -> None:
    url = route.request.url
    if url.startswith(("data:", "about:")):
        route.continue_()
    else:
        route.abort()


@contextmanager
def open_printer() -> Iterator[Printer]:
    """Launch Debian's chromium once and yield a printer.

    Playwright's ``launch`` gives the browser a fresh, temporary profile each time; the flags turn
    off every background network service.
    """
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            printer = Printer(browser)
            try:
                yield printer
            finally:
                printer.close()
        finally:
            _close_quietly(browser.close)


# --------------------------------------------------------------------------- determinism


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})([^)]*)\)")


def normalize_pdf(data: bytes) -> bytes:
    """Make a Chromium PDF reproducible: fix its time stamps.

    Chromium (Skia) writes the same bytes for the same HTML except ``/CreationDate`` and
    ``/ModDate``; they are replaced in place by ``SOURCE_DATE_EPOCH`` (2000-01-01 when unset), with
    the same length, so the cross-reference offsets stay valid. (The title comes from the HTML's
    ``<title>``; the producer names the Chromium version, so byte-identical means: same inputs,
    same Chromium.)
    """
    stamp = source_date().strftime("%Y%m%d%H%M%S").encode()

    def fix(m: re.Match) -> bytes:
        tz = m.group(3)
        tz = b"+00'00'" if len(tz) == 7 else tz
        return b"/" + m.group(1) + b" (D:" + stamp + tz + b")"

    return _PDF_DATE.sub(fix, data)


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf warns about Chromium's trailer size on every read; the files are fine."""
    log = logging.getLogger("pypdf")
    old = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(old)


def page_count(data: bytes) -> int:
    """Number of pages of a PDF."""
    from pypdf import PdfReader

    with _quiet_pypdf():
        return len(PdfReader(io.BytesIO(data)).pages)


def pdf_text(data: bytes) -> str:
    """All text of a PDF (for tests and the leak scanner)."""
    from pypdf import PdfReader

    with _quiet_pypdf():
        return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def outline_pages(data: bytes) -> list[tuple[int, str, int]]:
    """The PDF's bookmarks as ``(depth, title, 1-based page)``, in document order."""
    from pypdf import PdfReader

    with _quiet_pypdf():
        reader = PdfReader(io.BytesIO(data))
        return _walk_outline(reader)


def _walk_outline(reader: Any) -> list[tuple[int, str, int]]:
    out: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                try:
                    pno = reader.get_destination_page_number(item) + 1
                except Exception:  # an outline entry without a page: skip it
                    continue
                out.append((depth, " ".join(str(item.title).split()), pno))

    walk(reader.outline, 0)
    return out


# --------------------------------------------------------------------------- print HTML


@dataclass(frozen=True)
class _TocEntry:
    key: str
    title: str
    level: int
    page: str = ""


def _labels(book: Book):
    def L(key: str, default: str) -> str:  # noqa: N802
        return book.label("publicering", key, default=default)

    return L


def _css() -> str:
    return Markup((STATIC / "print.css").read_text(encoding="utf-8"))


def _fragment(page: Page, cache: dict) -> tuple[str | None, str]:
    if page not in cache:
        cache[page] = render_notebook_fragment(page.notebook) if page.notebook is not None else (None, "")
    return cache[page]


def _failed_html(book: Book, page: Page) -> str:
    env = _environment()
    return env.get_template("_failed_message.html.j2").render(
        L=_labels(book), failed_name=failed_name(book, page)
    )


def _sections(page: Page, cache: dict) -> dict:
    """A unit notebook's sections (:func:`~pipeline.publishing.views.sections_from_outputs`), cached."""
    import nbformat

    from pipeline.publishing.site import published_outputs
    from pipeline.publishing.views import sections_from_outputs

    key = ("sections", page)
    if key not in cache:
        cache[key] = sections_from_outputs(published_outputs(nbformat.read(page.notebook, as_version=4)))
    return cache[key]


#: The quality areas whose first figure is the sheet's trend, in order of preference.
TREND_AREAS = ("kunskapsresultat", "fullfoljda_studier", "maluppfyllelse", "trygghet_studiero")


def kvalitetsdialog_html(book: Book, page: Page, *, cache: dict | None = None) -> Markup:
    """The kvalitetsdialog sheet of a unit (its body; every heading ``h3``): key figures against
    target, huvudman, riket and last year (the page's ``sammanfattning``), the trend (the first
    figure of the first of :data:`TREND_AREAS` that has one), the written analysis with the unit's
    development areas (its ``analys``), the questions the numbers raise (only where a change or a
    difference is significant or a target is missed) and room for the agreed actions."""
    cache = {} if cache is None else cache
    ctx: dict[str, Any] = {
        "K": lambda key: book.label("kvalitetsdialog", key),
        "kod": page.skolenhetskod,
        "failed": None,
        "nyckeltal": Markup(""),
        "trend": None,
        "analys": Markup(""),
        "questions": (),
    }
    if page.failed or page.notebook is None:
        ctx["failed"] = Markup(_failed_html(book, page))
    else:
        sections = _sections(page, cache)
        if "sammanfattning" in sections:
            ctx["nyckeltal"] = sections["sammanfattning"].body
        if "analys" in sections:
            ctx["analys"] = sections["analys"].body
        for area in TREND_AREAS:
            sec = sections.get(f"omrade-{area}")
            if sec is not None and sec.figures:
                ctx["trend"] = sec.figures[0]
                break
        board = book.board
        ctx["questions"] = board.questions.get(page.skolenhetskod, ()) if board is not None else ()
    return Markup(_environment().get_template("_sheet.html.j2").render(**ctx))


def _chapter_body(book: Book, page: Page, cache: dict) -> tuple[str, str]:
    """(title, body html) of a school form's overview for print: its sections as the views made
    them (``h2`` per section, ``h3`` inside), under the chapter's ``h1``."""
    if page.failed or page.notebook is None:
        return page.title, _failed_html(book, page)
    title, body = _fragment(page, cache)
    return title or page.title, body


def _print_parts(book: Book, cache: dict) -> list[dict]:
    """Every part of the print book in order: the huvudman's assessment with its numbers, the
    development areas, a chapter per school form (its overview), then the appendices: a
    kvalitetsdialog sheet per unit, and the method."""
    from pipeline.publishing.site import board_context

    env = _environment()
    L = _labels(book)
    parts = []
    kf = [
        {
            "skolform": k.skolform,
            "skolform_namn": k.skolform_namn,
            "indikator": k.indikator,
            "label": k.label,
            "text": format_value(k.varde, k.enhet, k.decimaler),
            "varde_exact": "" if k.varde is None else repr(k.varde),
            "change_text": change_text(k, book),
        }
        for k in book.key_figures
    ]
    bc = board_context(book, level=2)
    key_figures = env.get_template("_key_figures.html.j2").render(L=L, book=book, key_figures=kf)
    parts.append(
        {
            "kind": "start",
            "key": book.start.key,
            "title": bc["rubrik_bedomning"],
            "level": 1,
            "body": Markup(
                str(bc["bedomning_html"])
                + key_figures
                + f'<h2 id="siffror-rubrik">{Markup.escape(bc["rubrik_siffror"])}</h2>'
                + str(bc["siffror_html_3"])
            ),
        }
    )
    parts.append(
        {
            "kind": "utveckling",
            "key": "utvecklingsomraden",
            "title": bc["rubrik_utveckling"],
            "level": 1,
            "body": bc["utveckling_html"],
        }
    )
    for ch in book.chapters:
        title, body = _chapter_body(book, ch.overview, cache)
        parts.append(
            {"kind": "chapter", "key": ch.overview.key, "title": title, "level": 1, "body": Markup(body)}
        )
    units = [u for ch in book.chapters for u in ch.units]
    if units:
        parts.append(
            {
                "kind": "bilaga",
                "key": "bilaga-kvalitetsdialog",
                "title": book.label("kvalitetsdialog", "bilaga_titel"),
                "level": 1,
                "body": Markup(f"<p>{Markup.escape(book.label('kvalitetsdialog', 'bilaga_ingress'))}</p>"),
            }
        )
    for u in units:
        parts.append(
            {
                "kind": "unit",
                "key": u.key,
                "title": u.enhet or u.title,
                "level": 2,
                "body": kvalitetsdialog_html(book, u, cache=cache),
            }
        )
    method = env.get_template("_method_body.html.j2").render(
        L=L,
        E=lambda k: book.label("ej_publicerat", k),  # the ledger's texts, as on the site
        m=_method_view(book),
        konf_text=format_value(book.method.konfidensniva * 100, "", 0),
        alfa_text=format_value(book.method.signifikansniva, "", 2),
        root="",
        csv_href="site/data/indikatorer.csv",
        xlsx_href="site/data/indikatorer.xlsx",
    )
    parts.append(
        {
            "kind": "method",
            "key": book.method_page.key,
            "title": book.method_page.title,
            "level": 1,
            "body": Markup(method),
        }
    )
    return parts


def _render_print(book: Book, parts: list[dict], toc: list[_TocEntry], *, front: bool) -> str:
    return (
        _environment()
        .get_template("book.html.j2")
        .render(
            book=book,
            parts=parts,
            toc=toc,
            front=front,
            css=_css(),
            L=_labels(book),
            lasar_text=lasar_text(book.lasar),
            fiktiv=book.fiktiv,
        )
    )


def _toc(parts: list[dict], page_numbers: dict[str, int] | None) -> list[_TocEntry]:
    numbers = page_numbers or {}
    return [
        _TocEntry(
            key=p["key"],
            title=p["title"],
            level=p["level"],
            page=str(numbers.get(p["key"], "")) if page_numbers else "00",
        )
        for p in parts
    ]


def book_print_html(
    book: Book, *, page_numbers: dict[str, int] | None = None, cache: dict | None = None
) -> str:
    """The print version of the whole book as one HTML document (title page, contents, parts)."""
    cache = {} if cache is None else cache
    parts = _print_parts(book, cache)
    return _render_print(book, parts, _toc(parts, page_numbers), front=True)


def _method_view(book: Book) -> Any:
    from pipeline.publishing.site import _method_view as mv

    return mv(book.method)


def _header_footer(book: Book, title: str, side: str = "16mm") -> tuple[str, str]:
    from html import escape

    L = _labels(book)
    style = f"font-family: 'DejaVu Sans', 'Liberation Sans', sans-serif; font-size: 8pt; color: #333; width: 100%; margin: 0 {side};"
    header = f'<div style="{style} text-align: left;">{escape(book.huvudman)} · {escape(title)}</div>'
    sida, av = L("pdf_sida", "Sida"), L("pdf_av", "av")
    footer = (
        f'<div style="{style} text-align: right;">{escape(sida)} <span class="pageNumber"></span> '
        f'{escape(av)} <span class="totalPages"></span></div>'
    )
    return header, footer


def _match_outline(parts: list[dict], outline: list[tuple[int, str, int]]) -> dict[str, int]:
    """Map each part's key to the page of its heading: the outline entries at the part's depth
    (a level-1 part is a top bookmark, a unit one level below) matched by title, in order."""
    found: dict[str, int] = {}
    i = 0
    for p in parts:
        want = (p["level"] - 1, " ".join(p["title"].split()))
        for j in range(i, len(outline)):
            if (outline[j][0], outline[j][1]) == want:
                found[p["key"]] = outline[j][2]
                i = j + 1
                break
    return found


#: At most this many prints of the book to settle the contents' page numbers (normally 2: the
#: numbers are read from the first print's bookmarks; the contents keep their length).
PRINT_PASSES = 4


def render_book_pdf(book: Book, path: Path, *, printer: Printer, cache: dict | None = None) -> Path:
    """Print the huvudman report to ``path`` as ONE Chromium document (tagged, bookmarks).

    The contents' page numbers come from the bookmarks of a first print (every part's heading is
    a bookmark); the book is printed again with them, until the bookmarks' pages no longer
    change. Chromium's tagged output (structure tree, ``/Lang`` from ``<html lang="sv">``, the
    title from ``<title>``, alt text of every figure) is kept as printed: nothing is joined or
    rewritten, only the two time stamps are fixed (:func:`normalize_pdf`).
    """
    cache = {} if cache is None else cache
    parts = _print_parts(book, cache)
    header, footer = _header_footer(book, book.title)
    title = f"{book.title} – {book.huvudman}"
    numbers: dict[str, int] | None = None
    data = b""
    for attempt in range(PRINT_PASSES):
        html_text = _render_print(book, parts, _toc(parts, numbers), front=True)
        data = printer.pdf(
            html_text,
            header=header,
            footer=footer,
            margin=_MARGIN,
            what=f"{title!r} (print {attempt + 1})",
        )
        found = _match_outline(parts, outline_pages(data))
        missing = [p["title"] for p in parts if p["key"] not in found]
        if missing:
            raise PdfError(
                f"The printed report has no bookmark for {missing[0]!r} ({len(missing)} part(s) in "
                "all): its contents cannot be numbered. Check that every part has its heading."
            )
        if found == numbers:
            break
        numbers = found
    else:
        raise PdfError(
            f"The contents' page numbers of {title!r} did not settle in {PRINT_PASSES} prints; run again."
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_published(path, normalize_pdf(data))
    return path


def unit_print_html(book: Book, page: Page, *, cache: dict | None = None) -> str:
    """The unit's own PDF: its kvalitetsdialog sheet (:func:`kvalitetsdialog_html`) as a document."""
    cache = {} if cache is None else cache
    title = page.enhet or page.title
    ch = book.chapter_of(page)
    return (
        _environment()
        .get_template("unit.html.j2")
        .render(
            book=book,
            title=title,
            underrubrik=book.label("kvalitetsdialog", "underrubrik").format(
                lasar_text=lasar_text(book.lasar)
            ),
            body=kvalitetsdialog_html(book, page, cache=cache),
            css=_css(),
            L=_labels(book),
            skolform_namn=ch.name if ch else "",
            skolenhetskod=page.skolenhetskod,
        )
    )


#: A unit's sheet is at most this many pages.
UNIT_MAX_PAGES = 2

#: Printable area of A4 with the unit margins, in CSS px (96 per inch).
_UNIT_WIDTH_PX = round((210 - 24) / 25.4 * 96)
_UNIT_HEIGHT_PX = round((297 - 26) / 25.4 * 96)


def render_unit_pdf(
    book: Book, page: Page, path: Path, *, printer: Printer, cache: dict | None = None
) -> Path:
    """Print one unit's kvalitetsdialog sheet on at most :data:`UNIT_MAX_PAGES` A4 pages (scaled
    down when it is longer)."""
    html_text = unit_print_html(book, page, cache=cache)
    header, footer = _header_footer(book, page.enhet or page.title, side=_UNIT_MARGIN["left"])
    height = printer.content_height(html_text, _UNIT_WIDTH_PX)
    scale = min(1.0, (UNIT_MAX_PAGES * _UNIT_HEIGHT_PX * 0.9) / max(height, 1.0))
    data = b""
    for _ in range(8):
        data = printer.pdf(html_text, header=header, footer=footer, margin=_UNIT_MARGIN, scale=scale)
        if page_count(data) <= UNIT_MAX_PAGES or scale <= 0.1:
            break
        scale = max(0.1, scale * 0.88)
    data = normalize_pdf(data)

    write_published(Path(path), data)
    return Path(path)


def render_pdfs(book: Book, report_dir: Path, *, units: bool = True, cache: dict | None = None) -> list[Path]:
    """Print the huvudman report and (optionally) every unit's one-page sheet.

    Parameters
    ----------
    book
        The book manifest.
    report_dir
        ``reports/<YEAR>`` (or its staging folder): the report goes to
        ``kvalitetsrapport-<YEAR>.pdf``, the units to ``enheter/<skolenhetskod>.pdf``.
    units
        Also print the unit sheets.
    cache
        Optional cache of converted notebooks (shared with the site renderer).

    Returns
    -------
    list of Path
        The PDFs written, sorted.
    """
    report_dir = Path(report_dir)
    cache = {} if cache is None else cache
    written = []
    with open_printer() as printer:
        written.append(
            render_book_pdf(book, report_dir / report_pdf_name(book.lasar), printer=printer, cache=cache)
        )
        if units:
            for ch in book.chapters:
                for u in ch.units:
                    written.append(
                        render_unit_pdf(
                            book,
                            u,
                            report_dir / "enheter" / f"{u.skolenhetskod}.pdf",
                            printer=printer,
                            cache=cache,
                        )
                    )
    return sorted(written)
