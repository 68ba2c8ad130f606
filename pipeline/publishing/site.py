"""Render the book as a static, offline, accessible website with nbconvert and Jinja.

Each executed notebook is converted with nbconvert's :class:`~nbconvert.HTMLExporter` using the
report's own template (``templates/nbfragment``, based on nbconvert's ``base`` template, not
``lab``/``classic``, which load require.js and MathJax from a CDN): only the ``text/html``
outputs of code cells are kept, without inputs or prompts. Markdown cells, streams, errors and
plain-text outputs are never published (everything a reader sees comes from
:mod:`pipeline.publishing.pages`). The fragment is placed in the page layout
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

import html
import re
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

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
#: Files of ``static/`` the site uses (``print.css`` is inlined into the PDFs instead).
SITE_STATIC = ("rapport.css",)

_TITLE_RE = re.compile(
    r"<header\b(?=[^>]*\bclass=\"[^\"]*\bpage-title\b)[^>]*>(?P<inner>.*?)</header>",
    re.DOTALL | re.IGNORECASE,
)
_DATA_TITLE_RE = re.compile(r"\bdata-title=\"(?P<t>[^\"]*)\"")
_SCRIPT_RE = re.compile(r"<script\b.*?</script\s*>", re.DOTALL | re.IGNORECASE)
_H1_RE = re.compile(r"<(/?)h1(\b[^>]*)>", re.IGNORECASE)


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
    prev_year = book.lasar - 1
    if k.varde is None:
        return book.label("nyckeltal", "dolt")
    if k.forra is None or k.forandring is None:
        return book.label("nyckeltal", "ingen_jamforelse").format(ar=prev_year)
    diff = fmt.format_change(k.forandring, enhet=k.enhet, decimals=k.decimaler)
    prev = fmt.format_value(k.forra, enhet=k.enhet, decimals=k.decimaler)
    key = {True: "forandring_sakerstalld", False: "forandring_ej_sakerstalld"}.get(
        k.signifikant, "forandring"
    )  # type: ignore[arg-type]
    return book.label("nyckeltal", key).format(diff=diff, ar=prev_year, forra=prev)


# --------------------------------------------------------------------------- notebooks


@lru_cache(maxsize=1)
def _exporter() -> Any:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="nbfragment",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        exclude_raw=True,
        exclude_unknown=True,
    )
    return exporter


def render_notebook_fragment(path: Path) -> tuple[str | None, str]:
    """Convert an executed notebook into the HTML fragment of its page.

    Returns
    -------
    (title, html)
        ``title`` comes from the ``<header class="page-title" data-title="...">`` element the page
        renderer emits (``None`` when there is none); that element is removed from ``html`` and
        becomes the page's single ``h1``. Any other ``h1`` is demoted to ``h2`` and scripts are
        dropped.

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
    body, _ = _exporter().from_notebook_node(nb)
    return postprocess_fragment(body)


def postprocess_fragment(body: str) -> tuple[str | None, str]:
    """Pull out the page title, demote stray ``h1`` and drop scripts (see
    :func:`render_notebook_fragment`)."""
    title = None
    m = _TITLE_RE.search(body)
    if m:
        t = _DATA_TITLE_RE.search(m.group(0))
        if t:
            title = html.unescape(t.group("t"))
        else:
            title = html.unescape(re.sub(r"<[^>]+>", "", m.group("inner"))).strip() or None
        inner = m.group("inner")
        # keep what the header holds besides its heading (e.g. the kicker), without headings, and
        # its data attributes (data-skolform, data-skolenhetskod, data-lasar) for checks
        inner = re.sub(r"<h[1-6]\b.*?</h[1-6]\s*>", "", inner, flags=re.DOTALL | re.IGNORECASE).strip()
        opening = m.group(0)[: m.group(0).index(">") + 1]
        keep = "".join(f" {a.group(0)}" for a in re.finditer(r'data-(?!title)[a-z-]+="[^"]*"', opening))
        div = f'<div class="page-title"{keep}>{inner}</div>' if inner or keep else ""
        body = body[: m.start()] + div + body[m.end() :]
    body = _SCRIPT_RE.sub("", body)
    body = _H1_RE.sub(lambda mm: f"<{mm.group(1)}h2{mm.group(2)}>", body)
    body = wrap_tables(body)
    return title, body.strip() + "\n"


_TABLE_RE = re.compile(r"<table\b.*?</table\s*>", re.DOTALL | re.IGNORECASE)
_CAPTION_RE = re.compile(r"<caption\b[^>]*>(.*?)</caption\s*>", re.DOTALL | re.IGNORECASE)


def wrap_tables(body: str) -> str:
    """Put every table in a keyboard-scrollable region, so a wide table scrolls on its own instead
    of widening the page (``role="region"``, named by the table's caption, ``tabindex="0"``)."""

    def wrap(m: re.Match) -> str:
        cap = _CAPTION_RE.search(m.group(0))
        name = html.unescape(re.sub(r"<[^>]+>", "", cap.group(1))).strip() if cap else ""
        label = html.escape(name or "Tabell", quote=True)
        return (
            f'<div class="tabellbehallare" role="region" aria-label="{label}" tabindex="0">{m.group(0)}</div>'
        )

    return _TABLE_RE.sub(wrap, body)


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
