"""The Quarto book project: ``reports/<YEAR>/quarto/``.

The design card stitches the report with Quarto. The ``quarto`` binary cannot be installed on
every machine, so this module always writes a complete book project from the same
:class:`~pipeline.publishing.book.Book` the site is rendered from, and runs ``quarto render`` only
when ``quarto`` is on ``PATH``:

- ``_quarto.yml``: ``project: type: book``, ``lang: sv``, ``execute: enabled: false`` (and
  ``freeze``) so no notebook is ever re-executed, ``echo: false``, the chapters of the book with
  one ``part:`` per school form (the sidebar is grouped by school form), the method appendix under
  ``appendices:``, HTML output with ``html-math-method: plain`` (nothing fetched from a CDN);
- ``index.qmd``: the start page (key figures, the chapter list);
- ``index.qmd`` is unnumbered (``# title {.unnumbered}``); chapters are numbered
  (``number-sections``); ``rapport-quarto.css`` styles the key figures and lets wide tables scroll;
- ``<skolform-slug>/huvudman.qmd`` and ``<skolform-slug>/<skolenhetskod>.qmd``: chapters made
  from the executed notebooks' published outputs (see :func:`_chapter_qmd`): Markdown headings,
  figures as Markdown figures (``#fig-`` id, caption, ``fig-alt``; the SVG files beside the
  chapter), text and tables rendered by the autoescaped templates and converted to Pandoc Markdown
  (:func:`markdown_from_html`: pipe/grid tables, no raw HTML, which the Typst writer drops). No chapter is a notebook, so Quarto adds no
  Jupyter dependencies (require.js, jquery) to any page;
- ``<skolform-slug>/<skolenhetskod>.qmd`` for a failed job: the plain sentence that the unit's
  report could not be produced;
- ``metod.qmd``: the method-and-data appendix;
- ``data/indikatorer.csv|.xlsx`` when the site's downloads exist (listed as project resources).

Texts from data are escaped for Markdown and HTML (a unit called ``<script>`` stays text).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import yaml
from markupsafe import Markup

from pipeline.errors import PipelineError
from pipeline.publishing.book import Book, Page
from pipeline.publishing.render import M
from pipeline.publishing.site import (
    _environment,
    _method_view,
    change_text,
    failed_name,
    format_value,
    lasar_text,
    published_outputs,
)
from pipeline.publishing.views import META

STATIC = Path(__file__).resolve().parent / "static"
#: The book's stylesheet (key figures, scrolling tables), copied from ``static/quarto.css``.
CSS_FILE = "rapport-quarto.css"

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~^$@:])")


class QuartoError(PipelineError):
    """``quarto render`` failed."""

    exit_code = 1


def md_escape(text: str) -> str:
    """Text from data made safe for Pandoc Markdown: HTML-escaped, punctuation backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def _yaml_text(text: str) -> str:
    """A YAML scalar whose value Pandoc reads as plain text (HTML-escaped)."""
    return (
        yaml.safe_dump(
            html.escape(str(text), quote=False), allow_unicode=True, default_flow_style=True, width=10_000
        )
        .strip()
        .removesuffix("...")
        .strip()
    )


def _chapter_file(page: Page) -> str:
    """The chapter's file name inside the project (``grundskola/12345678.qmd``)."""
    stem = page.href.removesuffix(".html")
    if page.kind == "chapter":
        stem = stem.removesuffix("index") + "huvudman"
    return stem + ".qmd"


def quarto_config(book: Book) -> dict[str, Any]:
    """The ``_quarto.yml`` content as a mapping."""
    chapters: list[Any] = ["index.qmd"]
    for ch in book.chapters:
        chapters.append(
            {"part": html.escape(ch.name, quote=False), "chapters": [_chapter_file(p) for p in ch.pages]}
        )
    return {
        "project": {
            "type": "book",
            "output-dir": "_book",
            "resources": ["data/*"],
        },
        "lang": "sv",
        "execute": {"enabled": False, "freeze": True, "echo": False, "warning": False},
        "book": {
            "title": html.escape(book.title, quote=False),
            "subtitle": html.escape(f"{book.huvudman}, läsåret {lasar_text(book.lasar)}", quote=False),
            "author": html.escape(book.huvudman, quote=False),
            "chapters": chapters,
            "appendices": ["metod.qmd"],
            "downloads": [],
        },
        "format": {
            "html": {
                "theme": "cosmo",
                "toc": True,
                "html-math-method": "plain",
                "css": [CSS_FILE],
                "number-sections": True,
                "code-tools": False,
                "anchor-sections": True,
                "smooth-scroll": False,
            }
        },
    }


def _front_matter(title: str) -> str:
    return f"---\ntitle: {_yaml_text(title)}\n---\n"


def _attr(value: str) -> str:
    """A Pandoc attribute value in double quotes."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _html_block(body: str) -> str:
    return "```{=html}\n" + body.strip() + "\n```"


_RAW_HTML = re.compile(r"^```\{=html\}\n(.*?)\n```$", re.DOTALL | re.MULTILINE)
#: A paragraph that separates the blocks of one file in the one pandoc call that converts them.
_ESCAPED_ANGLE = re.compile(r"(?<!\\)((?:\\\\)*)\\([<>])")
_SEAM = "KVALITETSKARV{n}SKARV"
#: Pandoc Markdown as Quarto reads it, without raw HTML (dropped by the Typst writer): tables as
#: pipe tables (grid tables where a cell holds blocks), classes and ids on fenced divs and spans.
_MARKDOWN = "markdown-raw_html-raw_attribute-simple_tables-multiline_tables"


def markdown_from_html(qmd: str) -> str:
    """``qmd`` with every raw HTML block (from the autoescaped templates) converted to Pandoc
    Markdown by pandoc itself (``pypandoc_binary``), in one call per file.

    Pandoc keeps raw HTML when writing HTML but drops it when writing Typst (the PDF would lose its
    text and tables, and an ``id`` inside it would leave a ``label <...> does not exist``); as
    Markdown, paragraphs, lists, tables (pipe or grid), footnote ids (``[...]{#id}``) and classed
    containers (``::: {.tabellbehallare}``) reach every format.
    """
    bodies = _RAW_HTML.findall(qmd)
    if not bodies:
        return qmd
    import pypandoc

    joined = "".join(f"{b}\n<p>{_SEAM.format(n=i)}</p>\n" for i, b in enumerate(bodies))
    md = pypandoc.convert_text(joined, _MARKDOWN, format="html", extra_args=["--wrap=none"])
    parts = re.split(r"^KVALITETSKARV\d+SKARV$", md.replace("\r\n", "\n"), flags=re.MULTILINE)
    if len(parts) != len(bodies) + 1:
        raise PipelineError(
            f"pandoc returned {len(parts) - 1} of {len(bodies)} converted HTML blocks; the Quarto book "
            "cannot be written without raw HTML."
        )
    # an escaped angle bracket (``\\<``) as an entity: text that reads as no tag to any HTML parser
    parts = [
        _ESCAPED_ANGLE.sub(lambda m: m.group(1) + ("&lt;" if m.group(2) == "<" else "&gt;"), p) for p in parts
    ]
    converted = iter(p.strip() for p in parts[:-1])
    return _RAW_HTML.sub(lambda _m: next(converted), qmd)


def _chapter_qmd(page: Page) -> tuple[str, dict[str, bytes], str]:
    """A chapter made from an executed notebook's published outputs: ``(qmd, figure files, title)``.

    The outputs are those the views displayed (``kvalitet`` metadata, see
    :mod:`pipeline.publishing.views`): each section's heading as a Markdown heading (``##``, so
    Quarto numbers and lists it), its text and tables as raw HTML blocks (kept as they are:
    ``html-table-processing: none``, so no HTML id becomes a cross-reference target that another
    format cannot carry), each figure as a Markdown figure with its SVG file, an id ``#fig-...``,
    the caption and ``fig-alt``, followed by its data table.
    """
    nb = nbformat.read(page.notebook, as_version=4)  # type: ignore[arg-type]
    stem = Path(_chapter_file(page)).stem
    title = None
    blocks: list[str] = []
    files: dict[str, bytes] = {}
    for o in published_outputs(nb):
        meta = (o.get("metadata") or {}).get(META)
        if not isinstance(meta, dict):
            continue
        part = meta.get("del")
        data = o.get("data") or {}
        if part == "sidhuvud":
            title = title or meta.get("titel")
        elif part == "rubrik":
            blocks.append(f"## {md_escape(str(meta.get('titel', '')))} {{#{meta.get('sektion', '')}-rubrik}}")
        elif part in ("text", "slut"):
            body = "".join(data.get("text/html", ""))
            if body.strip():
                blocks.append(_html_block(body))
        elif part == "figur":
            name = f"{stem}-{meta['id']}.svg"
            files[name] = "".join(data.get("image/svg+xml", "")).encode("utf-8")
            cap = md_escape(str(meta.get("caption", "")))
            blocks.append(
                f"![{cap}]({name}){{#fig-{meta['id']} fig-alt={_attr(html.escape(str(meta.get('alt', '')), quote=False))}}}"
            )
            details = M.details(str(meta.get("summary", "")), Markup(meta.get("tabell", "")))
            blocks.append(_html_block(str(details)))
    title = title or page.title
    head = f"---\ntitle: {_yaml_text(title)}\nhtml-table-processing: none\n---\n"
    return head + "\n" + "\n\n".join(blocks) + "\n", files, title


def _failed_qmd(book: Book, page: Page) -> str:
    body = (
        _environment()
        .get_template("_failed_message.html.j2")
        .render(L=lambda k, d: book.label("publicering", k, default=d), failed_name=failed_name(book, page))
    )
    return _front_matter(page.title) + "\n```{=html}\n" + body.strip() + "\n```\n"


def _index_qmd(book: Book) -> str:
    L = lambda k, d: book.label("publicering", k, default=d)  # noqa: E731
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
    figures = _environment().get_template("_key_figures.html.j2").render(L=L, book=book, key_figures=kf)
    lines = [
        # the start page is not a numbered chapter (Quarto books: the .unnumbered class)
        f"# {md_escape(book.title)} {{.unnumbered}}",
        "",
        md_escape(
            L(
                "start_ingress",
                "Så här gick det hos {huvudman} läsåret {lasar_text}. Rapporten omfattar {skolformer} och visar resultaten som de är: per skolform, per enhet, med förklaringar av hur siffrorna tagits fram.",
            ).format(
                huvudman=book.huvudman, lasar_text=lasar_text(book.lasar), skolformer=book.skolformer_text
            )
        ),
        "",
        "```{=html}",
        figures.strip(),
        "```",
        "",
        f"## {md_escape(L('innehall_rubrik', 'Rapportens innehåll'))}",
        "",
    ]
    for ch in book.chapters:
        lines.append(f"- [{md_escape(ch.overview.title)}]({_chapter_file(ch.overview)})")
        for u in ch.units:
            lines.append(f"    - [{md_escape(u.enhet)}]({_chapter_file(u)})")
    lines.append(f"- [{md_escape(book.method_page.title)}](metod.qmd)")
    if book.fiktiv:
        lines += ["", md_escape(L("fiktiv_data", "Rapporten bygger på påhittade exempeldata."))]
    return "\n".join(lines) + "\n"


def _method_qmd(book: Book) -> str:
    body = (
        _environment()
        .get_template("_method_body.html.j2")
        .render(
            L=lambda k, d: book.label("publicering", k, default=d),
            E=lambda k: book.label("ej_publicerat", k),  # the ledger's texts, as on the site
            m=_method_view(book.method),
            konf_text=format_value(book.method.konfidensniva * 100, "", 0),
            alfa_text=format_value(book.method.signifikansniva, "", 2),
            root="",
            csv_href="data/indikatorer.csv",
            xlsx_href="data/indikatorer.xlsx",
        )
    )
    return _front_matter(book.method_page.title) + "\n```{=html}\n" + body.strip() + "\n```\n"


def write_quarto_project(book: Book, out_dir: Path, *, downloads_dir: Path | None = None) -> list[Path]:
    """Write the Quarto book project for ``book`` into ``out_dir`` (``reports/<YEAR>/quarto``).

    Parameters
    ----------
    book
        The book manifest (the same one the site is rendered from).
    out_dir
        The project folder.
    downloads_dir
        The site's ``data`` folder; its CSV and XLSX files are copied to ``out_dir/data``.

    Returns
    -------
    list of Path
        Every file written, sorted.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(rel: str, text: str) -> None:
        if rel.endswith(".qmd"):
            text = markdown_from_html(text)
        p = out_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="\n")
        written.append(p)

    cfg = yaml.safe_dump(quarto_config(book), allow_unicode=True, sort_keys=False, width=10_000)
    write(
        "_quarto.yml", "# Written by pipeline.publishing.quarto from the book manifest; do not edit.\n" + cfg
    )
    write(CSS_FILE, (STATIC / "quarto.css").read_text(encoding="utf-8"))
    write("index.qmd", _index_qmd(book))
    for ch in book.chapters:
        for page in ch.pages:
            rel = _chapter_file(page)
            if page.failed or page.notebook is None:
                write(rel, _failed_qmd(book, page))
            else:
                text, figures, _ = _chapter_qmd(page)
                write(rel, text)
                folder = Path(rel).parent
                for name, svg in sorted(figures.items()):
                    p = out_dir / folder / name
                    p.write_bytes(svg)
                    written.append(p)
    write("metod.qmd", _method_qmd(book))
    if downloads_dir is not None and Path(downloads_dir).is_dir():
        for src in sorted(Path(downloads_dir).iterdir()):
            if src.is_file() and src.suffix in (".csv", ".xlsx"):
                dst = out_dir / "data" / src.name
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
                written.append(dst)
    return sorted(written)


def render_quarto(project_dir: Path, *, quarto: str | None = None) -> Path | None:
    """Run ``quarto render`` on the project when ``quarto`` is installed.

    Returns
    -------
    Path or None
        The rendered book folder (``_book``), or ``None`` when ``quarto`` is not on ``PATH``.

    Raises
    ------
    QuartoError
        ``quarto render`` exited with an error (its output is in the message).
    """
    exe = quarto or shutil.which("quarto")
    if not exe:
        return None
    proc = subprocess.run(
        [exe, "render", str(project_dir), "--no-execute"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise QuartoError(
            f"{project_dir}: `quarto render` failed with exit code {proc.returncode}:\n{proc.stderr[-4000:]}\n"
            "The nbconvert site is unaffected; fix the Quarto project or remove quarto from PATH."
        )
    return Path(project_dir) / "_book"
