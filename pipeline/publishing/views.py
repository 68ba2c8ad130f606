"""Section views: what a notebook shows and the site, PDF and Quarto book are assembled from.

A :class:`Section` is data first: its tidy rows (``.data``, a DataFrame with Swedish column
labels and values rounded as readers see them), its figures (``.figures``; ``.figure`` is the
first), its sentences and footnotes as plain text, and its HTML pieces (``before`` the figures
and ``after`` them), all made by the autoescaped templates of ``templates/views/``.

In a notebook, ``section.show()`` displays the section as separate outputs, each carrying
``metadata["kvalitet"]`` (see :data:`META`):

- ``del: "rubrik"``: the section's heading (its ``titel`` and ``omrade`` in the metadata; the
  site makes the ``h2`` from them, the Quarto book a Markdown heading);
- ``del: "text"``: ``text/html`` (tables, sentences) and ``del: "slut"`` (targets, footnotes);
- ``del: "figur"``: one output per figure, ``image/svg+xml`` (a real figure output), with its
  ``id``, ``alt``, ``caption``, the data table behind it (``tabell``, HTML) and an optional
  ``rubrik`` shown above it; Quarto's ``fig-cap``/``fig-alt`` are in the same metadata.

A page's header is one output with ``del: "sidhuvud"`` (title, skolform, skolenhetskod, läsår,
kicker). :func:`page_from_outputs` reads these outputs back into the published page fragment
through the same templates: no HTML is taken apart.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from markupsafe import Markup

from pipeline.publishing.render import M, join, render

#: The output-metadata key of the report's own outputs.
META = "kvalitet"


@dataclass(frozen=True)
class FigureView:
    """A rendered figure (SVG, text as text) with its accessible text and the data behind it."""

    id: str
    svg: bytes
    alt: str
    caption: str
    table_html: Markup
    summary: str
    rubrik: str = ""

    def size(self) -> tuple[int, int]:
        from pipeline.publishing.figures import svg_size

        return svg_size(self.svg)

    def to_html(self) -> Markup:
        """``<figure>`` with the image (data URI), alt text, caption and the data behind it."""
        width, height = self.size()
        src = "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")
        fig = M.figure(self.id, src, self.alt, width, height, self.caption, self.summary, self.table_html)
        return join([M.h3(self.rubrik), fig]) if self.rubrik else fig

    def _repr_svg_(self) -> str:
        return self.svg.decode("utf-8")

    def metadata(self, section_id: str) -> dict[str, Any]:
        """The output metadata that lets the site rebuild ``to_html()`` from the SVG output."""
        return {
            META: {
                "del": "figur",
                "sektion": section_id,
                "id": self.id,
                "alt": self.alt,
                "caption": self.caption,
                "summary": self.summary,
                "tabell": str(self.table_html),
                "rubrik": self.rubrik,
            },
            "fig-cap": self.caption,
            "fig-alt": self.alt,
        }


@dataclass(frozen=True)
class Section:
    """One section of a page (a quality area, the summary, the written analysis)."""

    id: str
    title: str
    before: Markup
    figures: tuple[FigureView, ...] = ()
    after: Markup = Markup("")
    has_data: bool = True
    area: str = ""
    data: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)
    sentences: tuple[str, ...] = ()
    footnotes: tuple[str, ...] = ()

    @property
    def figure(self) -> FigureView | None:
        """The first figure (``None`` when the section has none)."""
        return self.figures[0] if self.figures else None

    @property
    def html(self) -> Markup:
        """The published ``<section>``."""
        body = join(
            [M.h2(self.id, self.title), self.before, *(f.to_html() for f in self.figures), self.after]
        )
        return M.section(self.id, body, self.area)

    def _repr_html_(self) -> str:
        return str(self.html)

    def _meta(self, part: str) -> dict[str, Any]:
        return {META: {"del": part, "sektion": self.id, "titel": self.title, "omrade": self.area}}

    def outputs(self) -> list[tuple[dict[str, str], dict[str, Any]]]:
        """``[(mime bundle, metadata)]``: what :meth:`show` displays, in order."""
        out = [
            ({"text/html": str(M.h2(self.id, self.title)), "text/plain": self.title}, self._meta("rubrik"))
        ]
        if self.before:
            out.append(({"text/html": str(self.before), "text/plain": ""}, self._meta("text")))
        for f in self.figures:
            out.append(({"image/svg+xml": f._repr_svg_(), "text/plain": f.alt}, f.metadata(self.id)))
        if self.after:
            out.append(({"text/html": str(self.after), "text/plain": ""}, self._meta("slut")))
        return out

    def show(self) -> None:
        """Display the section in a notebook: its text and tables, each figure as a figure output."""
        from IPython.display import display

        for bundle, metadata in self.outputs():
            display(bundle, raw=True, metadata=metadata)


@dataclass(frozen=True)
class Page:
    """A page: title, header and sections (see the module docstring)."""

    title: str
    skolform: str
    skolenhetskod: str
    lasar: int
    kicker: str
    sections: tuple[Section, ...]

    @property
    def header_html(self) -> Markup:
        return M.header(self.header_attrs(), self.kicker)

    def header_attrs(self) -> dict[str, str]:
        return {
            "class": "page-title",
            "data-title": self.title,
            "data-skolform": self.skolform,
            "data-skolenhetskod": self.skolenhetskod,
            "data-lasar": str(self.lasar),
        }

    def sektion(self, id_or_area: str) -> Section:
        """The section with this id (``sammanfattning``, ``analys``, ``omrade-<area>``) or area."""
        for s in self.sections:
            if id_or_area in (s.id, s.area):
                return s
        known = ", ".join(repr(s.area or s.id) for s in self.sections)
        raise KeyError(f"No section {id_or_area!r} on this page; it has {known}.")

    def show_section(self, id_or_area: str) -> None:
        """Display a section if this page has it (an overview notebook serves every school form;
        a quality area the school form does not have shows nothing)."""
        for s in self.sections:
            if id_or_area in (s.id, s.area):
                s.show()

    def sections_html(self) -> list[tuple[str, str]]:
        """``[(section id, html)]``, with the page header prepended to the first section."""
        out = [(s.id, str(s.html)) for s in self.sections]
        if out:
            out[0] = (out[0][0], str(self.header_html) + out[0][1])
        return out

    def header_output(self) -> tuple[dict[str, str], dict[str, Any]]:
        meta = {
            META: {
                "del": "sidhuvud",
                "titel": self.title,
                "skolform": self.skolform,
                "skolenhetskod": self.skolenhetskod,
                "lasar": self.lasar,
                "kicker": self.kicker,
            }
        }
        return {"text/html": str(M.h1(self.title, self.kicker)), "text/plain": self.title}, meta

    def show_header(self) -> None:
        """Display the page title and kicker (the first output of a page's notebook)."""
        from IPython.display import display

        bundle, metadata = self.header_output()
        display(bundle, raw=True, metadata=metadata)

    def show(self) -> None:
        """Display the whole page: header, then every section."""
        self.show_header()
        for s in self.sections:
            s.show()

    def _repr_html_(self) -> str:
        return str(M.page(self.header_html, [s.html for s in self.sections]))


# ------------------------------------------------------------------ from executed notebook outputs
@dataclass(frozen=True)
class Fragment:
    """A page as read back from an executed notebook's outputs."""

    title: str | None
    header: Mapping[str, Any]
    html: Markup


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def page_from_outputs(
    outputs: Iterable[Mapping[str, Any]], *, only: tuple[str, ...] | None = None
) -> Fragment:
    """Assemble the published fragment from a notebook's outputs (their ``kvalitet`` metadata).

    Outputs without that metadata (a developer's own ``display``) are not published. ``only``
    keeps just the sections with these ids (the unit's one-page sheet); when none of them is
    there, every section is kept.
    """
    header: Mapping[str, Any] = {}
    sections: list[dict[str, Any]] = []
    for out in outputs:
        meta = (out.get("metadata") or {}).get(META)
        if not isinstance(meta, Mapping):
            continue
        data = out.get("data") or {}
        part = meta.get("del")
        if part == "sidhuvud":
            header = dict(meta)
            continue
        sid = str(meta.get("sektion", ""))
        if not sections or sections[-1]["id"] != sid:
            sections.append({"id": sid, "area": "", "parts": []})
        sec = sections[-1]
        if part == "rubrik":
            sec["area"] = str(meta.get("omrade", ""))
            sec["parts"].append(M.h2(sid, str(meta.get("titel", ""))))
        elif part in ("text", "slut"):
            sec["parts"].append(Markup(_text(data.get("text/html", ""))))
        elif part == "figur":
            svg = _text(data.get("image/svg+xml", "")).encode("utf-8")
            sec["parts"].append(
                FigureView(
                    id=str(meta["id"]),
                    svg=svg,
                    alt=str(meta.get("alt", "")),
                    caption=str(meta.get("caption", "")),
                    table_html=Markup(meta.get("tabell", "")),
                    summary=str(meta.get("summary", "")),
                    rubrik=str(meta.get("rubrik", "")),
                ).to_html()
            )
    if only is not None and any(sec["id"] in only for sec in sections):
        sections = [sec for sec in sections if sec["id"] in only]
    html = render("page_fragment.html.j2", header=header, sections=sections, M=M)
    return Fragment(title=header.get("titel") or None, header=header, html=html)


@dataclass(frozen=True)
class SectionParts:
    """One section read back from a notebook: its title, its HTML pieces without the heading, and
    its figures (for sheets that lay a page's sections out under headings of their own)."""

    id: str
    title: str
    body: Markup
    figures: tuple[Markup, ...]


def _figure_view(meta: Mapping[str, Any], data: Mapping[str, Any]) -> FigureView:
    return FigureView(
        id=str(meta["id"]),
        svg=_text(data.get("image/svg+xml", "")).encode("utf-8"),
        alt=str(meta.get("alt", "")),
        caption=str(meta.get("caption", "")),
        table_html=Markup(meta.get("tabell", "")),
        summary=str(meta.get("summary", "")),
    )


def figures_from_outputs(outputs: Iterable[Mapping[str, Any]]) -> list[tuple[str, FigureView]]:
    """A notebook's published figures in order, each as ``(section id, FigureView)`` (for views
    that show a figure outside its page, e.g. the presentation's slide per school form)."""
    found = []
    for out in outputs:
        meta = (out.get("metadata") or {}).get(META)
        if isinstance(meta, Mapping) and meta.get("del") == "figur":
            found.append((str(meta.get("sektion", "")), _figure_view(meta, out.get("data") or {})))
    return found


def sections_from_outputs(outputs: Iterable[Mapping[str, Any]]) -> dict[str, SectionParts]:
    """A notebook's published sections by id, each without its ``h2`` (the caller sets the level
    of its own headings; the pieces inside use ``h3``). Text pieces and figures are kept apart."""
    found: dict[str, dict[str, Any]] = {}
    for out in outputs:
        meta = (out.get("metadata") or {}).get(META)
        if not isinstance(meta, Mapping) or meta.get("del") == "sidhuvud":
            continue
        data = out.get("data") or {}
        sid = str(meta.get("sektion", ""))
        sec = found.setdefault(sid, {"title": "", "text": [], "figures": []})
        part = meta.get("del")
        if part == "rubrik":
            sec["title"] = str(meta.get("titel", ""))
        elif part in ("text", "slut"):
            sec["text"].append(Markup(_text(data.get("text/html", ""))))
        elif part == "figur":
            sec["figures"].append(_figure_view(meta, data).to_html())
    return {
        sid: SectionParts(sid, s["title"], join(s["text"]), tuple(s["figures"])) for sid, s in found.items()
    }
