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
- ``<skolform-slug>/huvudman.ipynb`` and ``<skolform-slug>/<skolenhetskod>.ipynb``: the executed
  notebooks, copied as chapters with exactly what the site publishes: a front-matter raw cell with
  the page title and the code cells' ``text/html`` outputs, with the code removed (the site
  publishes no code either, and nothing else: no streams, errors or parameters);
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

from pipeline.errors import PipelineError
from pipeline.publishing.book import Book, Page
from pipeline.publishing.site import (
    _environment,
    _method_view,
    change_text,
    failed_name,
    format_value,
    lasar_text,
    postprocess_fragment,
)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~^$@:])")


class QuartoError(PipelineError):
    """``quarto render`` failed."""

    exit_code = 1


def md_escape(text: str) -> str:
    """Text from data made safe for Pandoc Markdown: HTML-escaped, punctuation backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def _yaml_text(text: str) -> str:
    """A YAML scalar whose value Pandoc reads as plain text (HTML-escaped)."""
    return yaml.safe_dump(html.escape(str(text), quote=False), allow_unicode=True, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def _chapter_file(page: Page) -> str:
    """The chapter's file name inside the project (``grundskola/12345678.ipynb``)."""
    stem = page.href.removesuffix(".html")
    if page.kind == "chapter":
        stem = stem.removesuffix("index") + "huvudman"
    return stem + (".qmd" if page.failed or page.notebook is None else ".ipynb")


def quarto_config(book: Book) -> dict[str, Any]:
    """The ``_quarto.yml`` content as a mapping."""
    chapters: list[Any] = ["index.qmd"]
    for ch in book.chapters:
        chapters.append({"part": html.escape(ch.name, quote=False), "chapters": [_chapter_file(p) for p in ch.pages]})
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
                "code-tools": False,
                "anchor-sections": True,
                "smooth-scroll": False,
            }
        },
    }


def _front_matter(title: str) -> str:
    return f"---\ntitle: {_yaml_text(title)}\n---\n"


def _chapter_notebook(page: Page) -> tuple[nbformat.NotebookNode, str]:
    """A copy of an executed notebook with only its published outputs, and the page title."""
    nb = nbformat.read(page.notebook, as_version=4)  # type: ignore[arg-type]
    out = nbformat.v4.new_notebook()
    out.metadata = {
        "kernelspec": nb.metadata.get("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}),
        "language_info": {"name": "python"},
    }
    title = None
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for o in cell.get("outputs", []):
            if o.get("output_type") in ("display_data", "execute_result") and "text/html" in o.get("data", {}):
                t, body = postprocess_fragment(o["data"]["text/html"])
                title = title or t
                if body.strip():
                    outputs.append(nbformat.v4.new_output("display_data", data={"text/html": body}))
        if outputs:
            c = nbformat.v4.new_code_cell("", execution_count=None)
            c.outputs = outputs
            cells.append(c)
    title = title or page.title
    out.cells = [nbformat.v4.new_raw_cell(_front_matter(title)), *cells]
    for i, c in enumerate(out.cells):  # stable cell ids: rebuilds are byte-identical
        c["id"] = f"cell-{i:04d}"
    return out, title


def _failed_qmd(book: Book, page: Page) -> str:
    body = _environment().get_template("_failed_message.html.j2").render(
        L=lambda k, d: book.label("publicering", k, default=d), failed_name=failed_name(book, page)
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
        "---",
        f"title: {_yaml_text(book.title)}",
        "---",
        "",
        md_escape(
            L(
                "start_ingress",
                "Så här gick det för förskolorna och skolorna hos {huvudman} läsåret {lasar_text}. Rapporten visar resultaten som de är: per skolform, per enhet, med förklaringar av hur siffrorna tagits fram.",
            ).format(huvudman=book.huvudman, lasar_text=lasar_text(book.lasar))
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
    body = _environment().get_template("_method_body.html.j2").render(
        L=lambda k, d: book.label("publicering", k, default=d),
        m=_method_view(book.method),
        konf_text=format_value(book.method.konfidensniva * 100, "", 0),
        alfa_text=format_value(book.method.signifikansniva, "", 2),
        root="",
        csv_href="data/indikatorer.csv",
        xlsx_href="data/indikatorer.xlsx",
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
        p = out_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="\n")
        written.append(p)

    cfg = yaml.safe_dump(quarto_config(book), allow_unicode=True, sort_keys=False, width=10_000)
    write("_quarto.yml", "# Written by pipeline.publishing.quarto from the book manifest; do not edit.\n" + cfg)
    write("index.qmd", _index_qmd(book))
    for ch in book.chapters:
        for page in ch.pages:
            rel = _chapter_file(page)
            if rel.endswith(".qmd"):
                write(rel, _failed_qmd(book, page))
            else:
                nb, _ = _chapter_notebook(page)
                write(rel, nbformat.writes(nb) + "\n")
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
