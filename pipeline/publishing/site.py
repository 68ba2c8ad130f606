"""Render the book as a static, offline, accessible website with nbconvert and Jinja.

Each executed notebook's outputs are read back by their ``kvalitet`` metadata (see
:mod:`pipeline.publishing.views`): the page header, each section's text and tables, each figure
(an SVG output with its alt text, caption and data table), assembled through the same
autoescaped templates; inputs, markdown cells, streams, errors and any output without that
metadata are never published. The fragment is placed in the page layout
(``templates/site/layout.html.j2``): ``<html lang="sv">``, a skip link, a header with the
huvudman and year, navigation (breadcrumbs, the school form's units, previous/next), one
``<main id="innehall">`` with exactly one ``h1``, and a footer with links to the downloads and the
method appendix.

Output layout under ``site/``::

    index.html                      start page: key figures, links to every chapter and unit
    <skolform-slug>/index.html      a school form's chapter (its overview notebook)
    <skolform-slug>/<kod>.html      a unit's page
    metod.html                      the method-and-data appendix
    data/indikatorer.csv|.xlsx      the downloads (see :mod:`pipeline.publishing.downloads`)
    static/rapport.css              the only stylesheet

Every link is relative; nothing is loaded from outside the site; pages contain no scripts.
"""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import nbformat
import pandas as pd
from markupsafe import Markup

from pipeline.errors import PipelineError
from pipeline.publishing import format as fmt
from pipeline.publishing.book import CSV_FILE, XLSX_FILE, Book, Chapter, KeyFigure, Page
from pipeline.publishing.format import lasar_text
from pipeline.publishing.views import page_from_outputs

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
#: Files of ``static/`` the site uses (``print.css`` is inlined into the PDFs instead).
SITE_STATIC = ("rapport.css",)


class PublishingError(PipelineError):
    """A notebook or page could not be rendered into the published report."""

    exit_code = 1


# --------------------------------------------------------------------------- formatting


def format_value(value: float | None, enhet: str, decimals: int) -> str:
    """A value as readers see it (``82,3 %``, ``231,5``); ``–`` when missing or hidden."""
    return fmt.format_value(value, enhet=enhet, decimals=decimals)


def change_text(k: KeyFigure, book: Book) -> str:
    """Describe the change of a key figure from last year, honestly (the one wording).

    The numbers come from the ``forandringar`` table (via :class:`KeyFigure`); the difference is
    called an increase/decrease only when ``signifikant`` is true; when the test says no, the
    sentence says the difference is not statistically certain; where no test is possible
    (published values without pupil counts) it says so. Texts: ``nyckeltal`` in ``labels.yml``.
    """
    forra_lasar = fmt.lasar_text(book.lasar - 1)  # the läsår before, as the report names läsår
    if k.varde is None:
        return book.label("nyckeltal", "dolt")
    if k.forra is None or k.forandring is None:
        return book.label("nyckeltal", "ingen_jamforelse").format(lasar_text=forra_lasar)
    diff = fmt.format_change(k.forandring, enhet=k.enhet_ord or k.enhet, decimals=k.decimaler)
    prev = fmt.format_value(k.forra, enhet=k.enhet, decimals=k.decimaler)
    if k.signifikant is None:  # no test
        key = "forandring"
    else:
        key = "forandring_sakerstalld" if k.signifikant else "forandring_ej_sakerstalld"
    return book.label("nyckeltal", key).format(diff=diff, lasar_text=forra_lasar, forra=prev)


# --------------------------------------------------------------------------- notebooks


def render_notebook_fragment(path: Path, *, only: tuple[str, ...] | None = None) -> tuple[str | None, str]:
    """Read an executed notebook's published outputs back into its page fragment.

    The outputs the views displayed carry ``metadata["kvalitet"]`` (a page header, section text,
    figures; see :mod:`pipeline.publishing.views`); they are assembled through the same
    autoescaped templates. Nothing else a notebook shows (inputs, streams, a developer's own
    displays) is published, and no HTML is taken apart.

    Returns
    -------
    (title, html)
        ``title`` from the page header output (``None`` when there is none); it becomes the page's
        single ``h1``. ``only`` keeps just these section ids (see :func:`page_from_outputs`).

    Raises
    ------
    PublishingError
        The notebook is missing or not a valid notebook.
    """
    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise PublishingError(
            f"{path}: executed notebook not found. Run the notebook jobs first (make report), or mark the job as failed."
        ) from None
    except Exception as exc:  # nbformat raises several unrelated types for broken files
        raise PublishingError(f"{path}: not a readable notebook ({type(exc).__name__}: {exc}).") from None
    fragment = page_from_outputs(published_outputs(nb), only=only)
    return fragment.title, str(fragment.html).strip() + "\n"


def published_outputs(nb: Any) -> list[Any]:
    """The display outputs of a notebook's code cells, in order (the ones with ``kvalitet``
    metadata are published)."""
    return [
        o
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
        if o.get("output_type") in ("display_data", "execute_result")
    ]


# --------------------------------------------------------------------------- layout


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """One template environment per process: its template cache saves compiling every template
    again for each of hundreds of pages and PDFs (nobody mutates it)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(TEMPLATES / "site"), str(TEMPLATES / "print")]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def _root(page: Page) -> str:
    return "../" * page.href.count("/")


def _crumbs(book: Book, page: Page, chapter: Chapter | None, root: str, title: str) -> list[tuple[str, str]]:
    if page.kind == "start":
        return []
    start = book.label("publicering", "startsida", default="Översikt")
    crumbs = [(start, f"{root}{book.start.href}")]
    if chapter is not None:
        crumbs.append((chapter.name, f"{root}{chapter.overview.href}"))
        if page == chapter.overview:
            return crumbs
    crumbs.append((title, f"{root}{page.href}"))
    return crumbs


def _context(book: Book, page: Page, title: str, pdf_href: str | None) -> dict[str, Any]:
    chapter = book.chapter_of(page)
    prev, nxt = book.neighbours(page)
    root = _root(page)

    def L(key: str, default: str) -> str:  # noqa: N802 - reads like a label lookup in templates
        return book.label("publicering", key, default=default)

    return {
        "book": book,
        "page": page,
        "page_title": title,
        "chapter": chapter,
        "prev": prev,
        "next": nxt,
        "root": root,
        "crumbs": _crumbs(book, page, chapter, root, title),
        "csv_href": CSV_FILE,
        "xlsx_href": XLSX_FILE,
        "pdf_href": pdf_href,
        "fiktiv": book.fiktiv,
        "lasar_text": lasar_text(book.lasar),
        "L": L,
    }


def failed_name(book: Book, page: Page) -> str:
    """The name used in the 'could not be produced' sentence."""
    if page.kind == "chapter":
        chapter = book.chapter_of(page)
        return book.label("publicering", "oversikt_for", default="översikten för {skolform}").format(
            skolform=(chapter.name if chapter else page.skolform).lower()
        )
    return page.enhet or page.title


def render_page(
    book: Book, page: Page, *, pdf_href: str | None = None, fragments: dict[Page, tuple] | None = None
) -> str:
    """Render one page of the book to a full HTML document (a string).

    ``fragments`` is an optional cache of converted notebooks (page -> (title, html)), shared
    with the PDF printer so every notebook is converted once per build.
    """
    env = _environment()
    if page.kind == "start":
        ctx = _context(book, page, page.title, pdf_href)
        ctx["key_figures"] = [
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
        ctx.update(board_context(book))
        return env.get_template("start.html.j2").render(**ctx)
    if page.kind == "method":
        ctx = _context(book, page, page.title, pdf_href)
        m = book.method
        ctx["m"] = _method_view(m)
        ctx["konf_text"] = fmt.format_number(m.konfidensniva * 100, 0)
        ctx["alfa_text"] = fmt.format_number(m.signifikansniva, 2)
        return env.get_template("method.html.j2").render(**ctx)
    if page.failed or page.notebook is None:
        ctx = _context(book, page, page.title, pdf_href)
        ctx["failed_name"] = failed_name(book, page)
        return env.get_template("failed.html.j2").render(**ctx)
    if fragments is not None and page in fragments:
        title, body = fragments[page]
    else:
        title, body = render_notebook_fragment(page.notebook)
        if fragments is not None:
            fragments[page] = (title, body)
    ctx = _context(book, page, title or page.title, pdf_href)
    ctx["body"] = Markup(body)
    return env.get_template("layout.html.j2").render(**ctx)


def board_context(book: Book, level: int = 3) -> dict[str, Any]:
    """The huvudman-level parts of the start page and the PDF's opening (Markup from the views),
    headings at ``h<level>`` (``siffror_html_3`` one level deeper)."""
    from pipeline.publishing.board import areas_html, assessment_html, build_board, numbers_html

    board = book.board
    if board is None:  # a book built without the huvudman-level data: say so, never hide it
        board = build_board(
            params_dir=None,
            lasar=book.lasar,
            huvudman=book.huvudman,
            skolformer=(),
            label=book.label,
            registry=_registry(),
        )
    return {
        "bedomning_html": assessment_html(board, level=level),
        "siffror_html": numbers_html(board, level=level),
        "siffror_html_3": numbers_html(board, level=level + 1),
        "utveckling_html": areas_html(board, level=level),
        "rubrik_bedomning": book.label("bedomning", "rubrik"),
        "rubrik_siffror": book.label("bedomning", "siffror_rubrik"),
        "rubrik_utveckling": book.label("utveckling", "rubrik"),
    }


def _registry() -> Any:
    from pipeline.indicators.registry import load_indicator_registry

    return load_indicator_registry()


def _method_view(m: Any) -> Any:
    from types import SimpleNamespace

    defs = [SimpleNamespace(**d.__dict__, skolformer_text=", ".join(d.skolformer)) for d in m.definitions]
    return SimpleNamespace(**{**m.__dict__, "definitions": defs})


def render_site(
    book: Book,
    out_dir: Path,
    *,
    indikatorer: pd.DataFrame | None = None,
    pdf_href: str | None = None,
    fragments: dict[Page, tuple] | None = None,
) -> list[Path]:
    """Write the whole site for ``book`` into ``out_dir`` (normally ``reports/<YEAR>/site``).

    Parameters
    ----------
    book
        The book manifest.
    out_dir
        The site folder; created if needed. Files of a previous build are not removed (the
        orchestrator writes into a fresh staging folder).
    indikatorer
        The indicator table; when given, ``data/indikatorer.csv`` and ``.xlsx`` are written too.
    pdf_href
        Optional link (relative to the site root) to the PDF report, shown in every footer.
    fragments
        Optional cache of converted notebooks, shared with :mod:`pipeline.publishing.pdf`.

    Returns
    -------
    list of Path
        Every file written, sorted.
    """
    out_dir = Path(out_dir)
    written: list[Path] = []
    static_out = out_dir / "static"
    static_out.mkdir(parents=True, exist_ok=True)
    for name in SITE_STATIC:
        dst = static_out / name
        shutil.copyfile(STATIC / name, dst)
        written.append(dst)
    for page in book.pages():
        text = render_page(book, page, pdf_href=pdf_href, fragments=fragments)
        dst = out_dir / page.href
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(text, encoding="utf-8", newline="\n")
        written.append(dst)
    if indikatorer is not None:
        from pipeline.publishing.downloads import write_downloads

        written.extend(write_downloads(indikatorer, out_dir / "data", lasar=book.lasar))
    return sorted(written)
