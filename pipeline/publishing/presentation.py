"""Offline reveal.js slides: ``reports/<YEAR>/presentation.html`` for the nämnd meeting.

Two layers:

- :func:`build_presentation` is generic: it writes one HTML file of :class:`Slide` objects (title,
  a lead sentence, key numbers, a figure, a table, a piece of HTML from the views, links) from the
  Jinja templates in ``templates/presentation/`` (autoescape on) and copies reveal.js from
  ``node_modules/reveal.js`` (pinned in ``package.json``; ``npm ci`` installs it) into an assets
  folder beside it. Nothing is fetched from a network: the theme is reveal's ``serif`` theme (no
  ``@import``, no web font) with ``static/presentation.css`` on top, and every figure is a
  ``data:`` URI. Any report (the year's report, the period reports) can hand it its own slides.
- :func:`report_slides` makes the slides of a year's report from the same data as the start page
  (the book's key figures, the huvudman's written assessment, a figure and the key numbers per
  school form from the overview notebooks, the development areas and last year's followed up);
  :func:`render_presentation` writes them.

A rebuild copies the same files and renders the same HTML, so the output is byte-identical.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from pipeline.errors import PipelineError
from pipeline.publishing.downloads import write_published

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "presentation"
STATIC = Path(__file__).resolve().parent / "static"

#: The file name of the year's slides in ``reports/<YEAR>/``.
PRESENTATION_NAME = "presentation.html"
#: The folder of the reveal.js files beside it.
ASSETS_NAME = "presentation-filer"

#: What is copied into the assets folder: target name -> source (relative to node_modules, or
#: ``static:`` for this package's own files). The serif theme has no font import and no url().
ASSET_FILES = {
    "reveal.js": "reveal.js/dist/reveal.js",
    "reveal.css": "reveal.js/dist/reveal.css",
    "tema.css": "reveal.js/dist/theme/serif.css",
    "presentation.css": "static:presentation.css",
    "LICENSE-reveal.js.txt": "reveal.js/LICENSE",
}


class PresentationError(PipelineError):
    """The presentation could not be written (reveal.js is not installed, or an asset would load
    something from the network)."""


@dataclass(frozen=True)
class SlideNumber:
    """One key number on a slide: what it is, its value as text, and a note (the change)."""

    label: str
    value: str
    note: str = ""
    group: str = ""


@dataclass(frozen=True)
class SlideFigure:
    """A figure as a ``data:`` URI with its alt text and caption."""

    src: str
    alt: str
    caption: str = ""
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class SlideTable:
    """A small table: a caption, the column headings and rows of text (the first cell of a row
    is its row heading)."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Slide:
    """One slide. ``kind`` ``"title"`` is the opening slide (its title is the ``h1``); every other
    slide has an ``h2``. The parts are shown in this order: lead, numbers, figure, table, body,
    links. ``dense`` sets the text smaller (a long written text)."""

    title: str
    lead: str = ""
    numbers: tuple[SlideNumber, ...] = ()
    figure: SlideFigure | None = None
    table: SlideTable | None = None
    body: Markup = Markup("")
    links: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    kind: str = "innehall"
    dense: bool = False
    id: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _source(spec: str, node_modules: Path) -> Path:
    if spec.startswith("static:"):
        return STATIC / spec.removeprefix("static:")
    return node_modules / spec


def copy_assets(assets_dir: Path, *, node_modules: Path | None = None) -> list[Path]:
    """Copy reveal.js, its CSS, the theme and our own CSS into ``assets_dir``.

    Raises :class:`PresentationError` when ``node_modules/reveal.js`` is missing (run ``npm ci``)
    or when a stylesheet would load anything from outside (``@import`` or a ``url()`` that is not
    ``data:``).
    """
    nm = Path(node_modules) if node_modules is not None else NODE_MODULES
    missing = [str(_source(s, nm)) for s in ASSET_FILES.values() if not _source(s, nm).is_file()]
    if missing:
        raise PresentationError(
            f"reveal.js is not installed: {', '.join(missing)} not found. The presentation's "
            "JavaScript comes from npm (package.json pins reveal.js); run `npm ci` in the "
            "repository (make report and make test do it) and build again."
        )
    assets_dir = Path(assets_dir)
    assets_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, spec in ASSET_FILES.items():
        data = _source(spec, nm).read_bytes()
        if name.endswith(".css"):
            _check_offline_css(name, data.decode("utf-8"))
        target = assets_dir / name
        write_published(target, data)
        written.append(target)
    return written


def _check_offline_css(name: str, css: str) -> None:
    import re

    bad = re.findall(r"@import[^;]*|url\(\s*['\"]?(?!data:)[^)]*\)", css)
    if bad:
        raise PresentationError(
            f"The presentation's stylesheet {name} loads other files ({bad[0][:80]!r}); the "
            "slides must open offline: pick a reveal.js theme without font imports."
        )


def build_presentation(
    slides: Sequence[Slide],
    title: str,
    out_path: Path,
    assets_dir: Path | None = None,
    *,
    lang: str = "sv",
    node_modules: Path | None = None,
    labels: dict[str, str] | None = None,
) -> list[Path]:
    """Write ``slides`` as one reveal.js presentation at ``out_path``.

    Parameters
    ----------
    slides
        The slides, in order (the first is normally ``kind="title"``).
    title
        The document title (``<title>``).
    out_path
        The HTML file to write.
    assets_dir
        Where reveal.js and the CSS are copied (default ``presentation-filer/`` beside
        ``out_path``); the HTML links them relatively, so the folder can be moved as a whole.
    lang
        The document language.
    node_modules
        Where reveal.js is installed (default the repository's ``node_modules``).
    labels
        Reader texts the template needs besides the slides (``navigering``: the keyboard hint
        for screen readers).

    Returns
    -------
    list of Path
        Every file written (the HTML and the assets).
    """
    out_path = Path(out_path)
    assets_dir = Path(assets_dir) if assets_dir is not None else out_path.parent / ASSETS_NAME
    written = copy_assets(assets_dir, node_modules=node_modules)
    href = Path(os.path.relpath(assets_dir, out_path.parent)).as_posix()
    html = (
        _environment()
        .get_template("presentation.html.j2")
        .render(slides=list(slides), title=title, lang=lang, assets=href, labels=labels or {})
    )
    write_published(out_path, html.encode("utf-8"))
    return [out_path, *written]


# --------------------------------------------------------------------------- the year's slides


#: The quality areas whose trend figure shows a school form, in order of preference.
FIGURE_AREAS = ("kunskapsresultat", "fullfoljda_studier", "maluppfyllelse", "trygghet_studiero")
#: At most this many key numbers on a school form's slide, and on the key-figures slide.
FORM_NUMBERS = 3
KEY_NUMBERS = 8
#: At most this many rows in a table of development areas (the rest are in the report).
AREA_ROWS = 8


def _figure(svg: bytes, alt: str, caption: str) -> SlideFigure:
    import base64

    from pipeline.publishing.figures import svg_size

    width, height = svg_size(svg)
    src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return SlideFigure(src=src, alt=alt, caption=caption, width=width, height=height)


def _form_figure(page: Any) -> SlideFigure | None:
    """The school form's trend figure (first of :data:`FIGURE_AREAS` that has one) from its
    overview notebook."""
    import nbformat

    from pipeline.publishing.site import published_outputs
    from pipeline.publishing.views import figures_from_outputs

    if page.failed or page.notebook is None:
        return None
    figs = figures_from_outputs(published_outputs(nbformat.read(page.notebook, as_version=4)))
    for area in FIGURE_AREAS:
        for sid, fv in figs:
            if sid == f"omrade-{area}" and fv.id.endswith("-trend"):
                return _figure(fv.svg, fv.alt, fv.caption)
    return _figure(figs[0][1].svg, figs[0][1].alt, figs[0][1].caption) if figs else None


def _numbers(book: Any, key_figures: Sequence[Any], *, group: bool) -> tuple[SlideNumber, ...]:
    from pipeline.publishing.site import change_text, format_value

    return tuple(
        SlideNumber(
            label=k.label,
            value=format_value(k.varde, k.enhet, k.decimaler),
            note=change_text(k, book),
            group=k.skolform_namn if group else "",
        )
        for k in key_figures
    )


def report_slides(book: Any, *, pdf_href: str | None = None, site_href: str | None = None) -> list[Slide]:
    """The slides of a year's report (see the module docstring): 10-15 for a huvudman with a
    few school forms. Written text that is missing is said aloud, as on the start page."""
    from pipeline.publishing.site import board_context, lasar_text

    def P(key: str, **fill: object) -> str:  # noqa: N802 - reads like a label lookup
        text = book.label("presentation", key)
        return text.format(**fill) if fill else text

    lt = lasar_text(book.lasar)
    board = book.board
    slides: list[Slide] = [
        Slide(
            kind="title",
            id="titel",
            title=book.title,
            lead=P("undertitel", lasar_text=lt),
            notes=(book.huvudman,) + ((P("fiktiv"),) if book.fiktiv else ()),
        )
    ]
    kf = list(book.key_figures)
    slides.append(
        Slide(
            id="nyckeltal",
            title=P("nyckeltal_rubrik"),
            lead=P("nyckeltal_ingress", lasar_text=lt) if kf else P("nyckeltal_inga", lasar_text=lt),
            numbers=_numbers(book, kf[:KEY_NUMBERS], group=True),
        )
    )
    # the written assessment, one slide per heading; not written yet: one slide that says so
    if board is None or board.assessment is None:
        bc = board_context(book, level=3)
        slides.append(Slide(id="bedomning", title=bc["rubrik_bedomning"], body=bc["bedomning_html"]))
    else:
        for key, heading, body in board.assessment:
            slides.append(
                Slide(
                    id=f"bedomning-{key}",
                    title=heading,
                    body=body if body else Markup("<p>{}</p>").format(book.label("bedomning", "tom")),
                    dense=len(str(body)) > 900,
                )
            )
    # one slide per school form: its trend figure and its key numbers
    for ch in book.chapters:
        own = [k for k in (book.form_key_figures or kf) if k.skolform == ch.skolform][:FORM_NUMBERS]
        fig = _form_figure(ch.overview)
        slides.append(
            Slide(
                id=f"skolform-{ch.slug}",
                title=ch.name,
                lead=P("skolform_ingress", lasar_text=lt),
                numbers=_numbers(book, own, group=False),
                figure=fig,
                notes=(() if own else (P("skolform_inga_tal", lasar_text=lt),))
                + (() if fig else (P("skolform_ingen_figur", lasar_text=lt),)),
                kind="skolform",
            )
        )
    if board is not None and board.target_gaps:
        L = book.label
        slides.append(
            Slide(
                id="mal",
                title=P("mal_rubrik"),
                table=SlideTable(
                    caption=L("bedomning", "mal_caption").format(lasar_text=lt, n=3),
                    columns=(
                        L("bedomning", "kolumn_enhet"),
                        L("bedomning", "kolumn_indikator"),
                        L("bedomning", "kolumn_varde"),
                        L("bedomning", "kolumn_mal"),
                    ),
                    rows=tuple(
                        (g.enhet, g.indikator_namn, g.varde, g.mal) for g in board.target_gaps[:AREA_ROWS]
                    ),
                ),
            )
        )
    slides += _area_slides(book, board, lt)
    links = tuple(
        (text, href)
        for text, href in ((P("slut_webb"), site_href), (P("slut_pdf"), pdf_href))
        if href is not None
    )
    slides.append(Slide(id="slut", title=P("slut_rubrik"), lead=P("slut_text"), links=links))
    return slides


def _area_slides(book: Any, board: Any, lt: str) -> list[Slide]:
    from pipeline.publishing.site import lasar_text

    def U(key: str, **fill: object) -> str:  # noqa: N802
        text = book.label("utveckling", key)
        return text.format(**fill) if fill else text

    alla = U("alla")
    forra = lasar_text(book.lasar - 1)
    areas = board.areas if board is not None else ()
    follows = board.follow_ups if board is not None else ()

    def more(n: int) -> tuple[str, ...]:
        extra = n - AREA_ROWS
        return (book.label("presentation", "fler").format(n=extra),) if extra > 0 else ()

    now = Slide(
        id="utvecklingsomraden",
        title=book.label("presentation", "utveckling_rubrik"),
        lead="" if areas else U("inga", vem=alla, lasar_text=lt),
        table=SlideTable(
            caption=U("caption_i_ar", vem=alla, lasar_text=lt),
            columns=(U("kolumn_omrade"), U("kolumn_niva"), U("kolumn_aktivitet"), U("kolumn_status")),
            rows=tuple((a.omrade, a.vem, a.aktivitet, a.status) for a in areas[:AREA_ROWS]),
        )
        if areas
        else None,
        notes=more(len(areas)),
        dense=True,
    )
    before = Slide(
        id="uppfoljning",
        title=book.label("presentation", "uppfoljning_rubrik"),
        lead="" if follows else U("inga_forra", vem=alla, forra=forra),
        table=SlideTable(
            caption=U("caption_uppfoljning", vem=alla, forra=forra, lasar_text=lt),
            columns=(
                U("kolumn_omrade"),
                U("kolumn_niva"),
                U("kolumn_status"),
                U("kolumn_indikator"),
                U("kolumn_varden"),
            ),
            rows=tuple(
                (
                    f.area.omrade,
                    f.area.vem,
                    f.status,
                    f.area.indikator,
                    ", ".join(x for x in (f.varden, f.mal_text) if x),
                )
                for f in follows[:AREA_ROWS]
            ),
        )
        if follows
        else None,
        notes=more(len(follows)),
        dense=True,
    )
    return [now, before]


def render_presentation(
    book: Any, report_dir: Path, *, pdf_name: str | None = None, node_modules: Path | None = None
) -> list[Path]:
    """Write ``presentation.html`` (and its assets) for ``book`` into ``report_dir``."""
    report_dir = Path(report_dir)
    slides = report_slides(
        book,
        pdf_href=pdf_name,
        site_href="site/index.html",
    )
    return build_presentation(
        slides,
        f"{book.title} – {book.huvudman}",
        report_dir / PRESENTATION_NAME,
        report_dir / ASSETS_NAME,
        node_modules=node_modules,
        labels={"navigering": book.label("presentation", "navigering")},
    )
