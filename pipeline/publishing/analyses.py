"""Written analyses: one Markdown file per unit and per school form and läsår.

Where: ``params/analyser/<YEAR>/<skolenhetskod>.md`` for a unit, ``params/analyser/<YEAR>/<skolform>.md``
(``GR.md``) for a school form's overview, and ``params/analyser/<YEAR>/huvudman.md`` for the
huvudman's written assessment (headings ``## Sammanfattning``, ``## Bedömning`` (per school form
and quality area: start a paragraph with **bold** names), ``## Prioriterade utvecklingsområden``;
it opens the start page, the board PDF and the presentation). A unit's or school form's file has
exactly these headings, in this order::

    ## Resultat
    (what the numbers show)

    ## Analys
    (why: causes, what was done)

    ## Utvecklingsområden
    (what the unit will work on next year: a list)

Under a heading write ordinary Markdown (paragraphs, lists, **bold**, links). Raw HTML is shown as
text, images are not allowed (the site loads nothing from outside), and sub-headings are not
allowed (write **bold** text instead). Links to other sites are shown as their text followed by the
address in parentheses, never as live links (in the site, the PDF and the Quarto book alike); links
with any other scheme (``javascript:``, ``data:``, also written with HTML entities) keep only their
text. Last year's ``Utvecklingsområden`` appear on this year's page
as "Uppföljning av förra årets utvecklingsområden".

:func:`check_analyses` lists what is missing or malformed with what to write where;
:func:`write_templates` writes empty templates (``make analyses YEAR=2024``); a malformed file raises
:class:`~pipeline.errors.AnalysisFileError` naming the file, the line and the fix.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import markdown
import pandas as pd
from markdown.treeprocessors import Treeprocessor

from pipeline.errors import AnalysisFileError
from pipeline.school_forms import SCHOOL_FORMS

#: The fixed headings (level 2), in file order, and their keys.
HEADINGS: tuple[tuple[str, str], ...] = (
    ("resultat", "Resultat"),
    ("analys", "Analys"),
    ("utvecklingsomraden", "Utvecklingsområden"),
)
#: The huvudman's written assessment (``params/analyser/<YEAR>/huvudman.md``): its fixed headings.
HUVUDMAN = "huvudman"
HUVUDMAN_HEADINGS: tuple[tuple[str, str], ...] = (
    ("sammanfattning", "Sammanfattning"),
    ("bedomning", "Bedömning"),
    ("prioriterade", "Prioriterade utvecklingsområden"),
)
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


@dataclass(frozen=True)
class Analysis:
    """A parsed analysis file: the Markdown text under each fixed heading."""

    path: Path
    resultat: str
    analys: str
    utvecklingsomraden: str

    def text(self, key: str) -> str:
        """The Markdown under heading ``key`` (``resultat``, ``analys``, ``utvecklingsomraden``)."""
        return getattr(self, key)


@dataclass(frozen=True)
class Problem:
    """Something missing or wrong in the written analyses.

    Attributes
    ----------
    path
        The file concerned.
    kod
        The skolenhetskod or skolform code.
    lasar
        The report year.
    kind
        ``saknas`` (no file), ``felaktig`` (malformed: the page build fails), ``tom`` (a heading
        without text; the page says so).
    message
        What is wrong and what to write where (English, for the person running the pipeline).
    """

    path: Path
    kod: str
    lasar: int
    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


def analysis_path(params_dir: str | Path, lasar: int, kod: str) -> Path:
    """``<params_dir>/analyser/<lasar>/<kod>.md``."""
    return Path(params_dir) / "analyser" / str(int(lasar)) / f"{kod}.md"


def headings_for(kod: str) -> tuple[tuple[str, str], ...]:
    """The fixed headings of a file: the huvudman's assessment or a unit's/school form's analysis."""
    return HUVUDMAN_HEADINGS if kod == HUVUDMAN else HEADINGS


def template_text(kod: str = "") -> str:
    """The empty template: the fixed headings."""
    return "\n\n".join(f"## {text}\n" for _, text in headings_for(kod))


def _fix_hint(headings: tuple[tuple[str, str], ...] = HEADINGS) -> str:
    return (
        "The file must have exactly the headings "
        + ", ".join(f"'## {t}'" for _, t in headings)
        + ", in that order."
    )


def parse_sections(
    text: str, path: str | Path, headings: tuple[tuple[str, str], ...] = HEADINGS
) -> dict[str, str]:
    """Split a written file into its fixed sections (``{key: markdown}``, in heading order).

    Raises
    ------
    AnalysisFileError
        Text before the first heading, an unknown or repeated heading, a sub-heading, a heading
        missing, or the headings out of order; the message names file and line and says how to fix.
    """
    path = Path(path)
    by_text = {t.casefold(): k for k, t in headings}
    parts: dict[str, list[str]] = {}
    order: list[str] = []
    heading_line: dict[str, int] = {}
    current: str | None = None
    in_fence = False
    lines = text.splitlines()
    for n, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
        m = None if in_fence else _ATX.match(line)
        if m:
            level, title = len(m.group(1)), (m.group(2) or "").strip()
            key = by_text.get(title.casefold())
            if level != 2 or key is None:
                if key is not None:
                    fix = f"write it as '## {title}' (two #)"
                elif level == 2:
                    fix = "rename it to one of the fixed headings or remove it"
                else:
                    fix = "remove it; use **bold** text instead of a sub-heading"
                raise AnalysisFileError(
                    f"{path}, line {n}: unknown heading {line.strip()!r}; {fix}. {_fix_hint(headings)}"
                )
            if key in parts:
                raise AnalysisFileError(
                    f"{path}, line {n}: heading '## {title}' appears twice; merge the two parts under one heading."
                )
            parts[key] = []
            order.append(key)
            heading_line[key] = n
            current = key
            continue
        if (
            not in_fence
            and _SETEXT.match(line)
            and n >= 2
            and lines[n - 2].strip()
            and not _ATX.match(lines[n - 2])
        ):
            raise AnalysisFileError(
                f"{path}, line {n}: a line of '{line.strip()[:3]}' right under text turns that text into a "
                f"heading, which is not allowed; remove the line or put an empty line before it. {_fix_hint(headings)}"
            )
        if current is None:
            if line.strip():
                raise AnalysisFileError(
                    f"{path}, line {n}: text before the first heading; move it under "
                    + " or ".join(f"'## {t}'" for _, t in headings)
                    + f". {_fix_hint(headings)}"
                )
            continue
        parts[current].append(line)
    missing = [text for key, text in headings if key not in parts]
    if missing:
        raise AnalysisFileError(
            f"{path}, line {len(lines) + 1}: heading(s) missing: "
            + ", ".join(f"'## {t}'" for t in missing)
            + f"; add them with their text. {_fix_hint(headings)}"
        )
    expected = [key for key, _ in headings]
    if order != expected:
        first = next(k for k, e in zip(order, expected, strict=True) if k != e)
        raise AnalysisFileError(
            f"{path}, line {heading_line[first]}: the headings are in the order "
            f"{[dict(headings)[k] for k in order]}; put them in the order "
            + ", ".join(f"'## {t}'" for _, t in headings)
            + f" (move each heading with its text). {_fix_hint(headings)}"
        )
    return {k: "\n".join(parts[k]).strip() for k in expected}


def parse_analysis(text: str, path: str | Path) -> Analysis:
    """Split a unit's or school form's analysis file into its fixed sections
    (:func:`parse_sections` with :data:`HEADINGS`)."""
    parts = parse_sections(text, path, HEADINGS)
    return Analysis(Path(path), *(parts[k] for k, _ in HEADINGS))


def load_assessment(params_dir: str | Path, lasar: int) -> dict[str, str] | None:
    """The huvudman's written assessment of ``lasar`` (``{key: markdown}`` by
    :data:`HUVUDMAN_HEADINGS`), or ``None`` when there is no file.

    Raises
    ------
    AnalysisFileError
        The file is malformed or not UTF-8.
    """
    path = analysis_path(params_dir, lasar, HUVUDMAN)
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise AnalysisFileError(f"{path}: not UTF-8 text; save it as UTF-8 and run again.") from None
    return parse_sections(text, path, HUVUDMAN_HEADINGS)


def load_analysis(params_dir: str | Path, lasar: int, kod: str) -> Analysis | None:
    """The analysis of unit (or school form) ``kod`` for ``lasar``, or ``None`` when there is no file.

    Raises
    ------
    AnalysisFileError
        The file is malformed or not UTF-8.
    """
    if kod == HUVUDMAN:
        raise ValueError("the huvudman's assessment is read with load_assessment()")
    path = analysis_path(params_dir, lasar, kod)
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise AnalysisFileError(f"{path}: not UTF-8 text; save it as UTF-8 and run again.") from None
    return parse_analysis(text, path)


def load_written(params_dir: str | Path, lasar: int, kod: str) -> dict[str, str] | None:
    """Any written file (unit, school form or the huvudman's assessment) as ``{key: markdown}``."""
    if kod == HUVUDMAN:
        return load_assessment(params_dir, lasar)
    analysis = load_analysis(params_dir, lasar, kod)
    return None if analysis is None else {k: analysis.text(k) for k, _ in HEADINGS}


#: Tags and attributes the rendered Markdown may contain (an allow-list; everything else is escaped).
ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "ul", "ol", "li", "strong", "em", "b", "i", "code", "pre", "blockquote", "a", "span"}
)
ALLOWED_ATTRIBUTES = {"a": ["href"], "span": ["class"], "ol": ["start"]}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
#: Characters a browser drops from a URL before it looks at the scheme (C0 controls, space, DEL).
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]")
#: Schemes of addresses outside the report: shown as text with the address, never as a live link.
EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "tel"})


def decoded_href(href: str) -> str:
    """An href as a browser reads it: HTML entities decoded (``javascript&colon;``, ``&#58;``,
    ``&#x3a;``, repeatedly, so ``&amp;#58;`` too), percent-escapes decoded, and the control
    characters and spaces a browser ignores removed. Checked, never published."""
    from urllib.parse import unquote

    text = href
    for _ in range(5):
        decoded = unquote(html.unescape(text))
        if decoded == text:
            break
        text = decoded
    return _URL_NOISE.sub("", text)


def link_kind(href: str) -> str:
    """``intern`` (a fragment on the same page, ``#...``: stays a live link), ``extern`` (http,
    https, mailto, a protocol-relative or relative address: shown as text with the address; a
    relative path would point elsewhere in the Quarto book and the PDF than in the site) or
    ``farlig`` (any other scheme: ``javascript:``, ``data:``, ``vbscript:``, ``file:``; shown as
    text without the address)."""
    url = decoded_href(href)
    if url.startswith("#"):
        return "intern"
    m = _SCHEME.match(url)
    if m is None or m.group(1).lower() in EXTERNAL_SCHEMES:
        return "extern"
    return "farlig"


class _SafeLinks(Treeprocessor):
    """Keep only links within the page live. An external link becomes its text followed by the
    address in parentheses (a reader of the PDF or the printed page sees where it points, and
    nothing opens another site); a link with any other scheme becomes its text alone."""

    def run(self, root: ET.Element) -> None:
        for el in root.iter("a"):
            href = el.get("href", "")
            kind = link_kind(href)
            if kind == "intern":
                el.attrib.clear()
                el.set("href", decoded_href(href))
                continue
            text = "".join(el.itertext()).strip()
            el.tag = "span"
            el.attrib.clear()
            el.set("class", "extern-lank" if kind == "extern" else "borttagen-lank")
            if kind != "extern":
                continue
            address = html.unescape(href).strip()
            if address.lower().startswith("mailto:"):
                address = address[len("mailto:") :]
            if text == address or text == html.unescape(href).strip():
                continue  # an autolink: its text is the address already
            suffix = f" ({address})"
            if len(el):
                last = el[-1]
                last.tail = (last.tail or "") + suffix
            else:
                el.text = (el.text or "") + suffix


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML: raw HTML escaped, no images, only links within the page live.

    Two layers: the Markdown parser never emits raw HTML or images, and :class:`_SafeLinks` turns
    every link that leaves the report into text (hrefs are checked after decoding HTML entities and
    percent-escapes); then bleach cleans the result against an allow-list of tags, attributes and
    (no) URL schemes, so whatever the parser lets through cannot carry script or a link out.
    """
    import bleach

    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    md.preprocessors.deregister("html_block")
    for name in ("html", "image_link", "image_reference", "short_image_ref", "automail"):
        if name in md.inlinePatterns:
            md.inlinePatterns.deregister(name)
    md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)
    return bleach.clean(
        md.convert(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=frozenset(),  # fragments (#...) only
        strip=False,
        strip_comments=True,
    )


def _what_to_write(kod: str, names: dict[str, str] | None = None) -> str:
    if kod == HUVUDMAN:
        return "the huvudman's assessment (sammanfattning, bedömning per skolform and kvalitetsområde, prioriterade utvecklingsområden)"
    if kod in SCHOOL_FORMS:
        return f"the analysis of the school form {SCHOOL_FORMS[kod].name} as a whole"
    name = (names or {}).get(kod)
    return f"the analysis of skolenhet {kod}" + (f" ({name})" if name else "")


def _codes(units: Iterable[str] | pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """Codes that need an analysis, and unit names when known.

    ``units`` is an iterable of skolenhetskoder and/or school-form codes, or a frame with columns
    ``skolenhetskod`` and ``skolform`` (and optionally ``enhet``): then every unit and every school
    form in it needs one.
    """
    if isinstance(units, pd.DataFrame):
        codes = (
            {str(c) for c in units["skolenhetskod"] if str(c)}
            | {str(f) for f in units["skolform"]}
            | ({HUVUDMAN} if len(units) else set())
        )
        names = {}
        if "enhet" in units.columns:
            names = {str(c): str(n) for c, n in zip(units["skolenhetskod"], units["enhet"], strict=True)}
        return sorted(codes), names
    if isinstance(units, str):
        raise TypeError(
            f"`units` must be a list of codes or a frame, got the single string {units!r}; wrap it in a list."
        )
    return sorted({str(u) for u in units}), {}


def check_analyses(params_dir: str | Path, lasar: int, units: Iterable[str] | pd.DataFrame) -> list[Problem]:
    """List the written analyses of ``lasar`` that are missing, malformed or have empty sections.

    Parameters
    ----------
    params_dir
        The ``params/`` folder.
    lasar
        The report year.
    units
        Skolenhetskoder and/or school-form codes (``GR``) that should have an analysis, or a frame
        with ``skolform``, ``skolenhetskod`` (and ``enhet``): every unit and school form in it.

    Returns
    -------
    list[Problem]
        Sorted by code; empty when everything is in place.
    """
    problems = []
    codes, names = _codes(units)
    for kod in codes:
        path = analysis_path(params_dir, lasar, kod)
        if not path.exists():
            problems.append(
                Problem(
                    path,
                    kod,
                    lasar,
                    "saknas",
                    f"{path}: missing. Write {_what_to_write(kod, names)} there under the headings "
                    + ", ".join(f"'## {t}'" for _, t in headings_for(kod))
                    + " "
                    f"(`make analyses YEAR={lasar}` writes an empty template).",
                )
            )
            continue
        try:
            texts = load_written(params_dir, lasar, kod)
        except AnalysisFileError as exc:
            problems.append(Problem(path, kod, lasar, "felaktig", str(exc)))
            continue
        assert texts is not None
        empty = [text for key, text in headings_for(kod) if not texts[key]]
        if empty:
            problems.append(
                Problem(
                    path,
                    kod,
                    lasar,
                    "tom",
                    f"{path}: no text under "
                    + ", ".join(f"'## {t}'" for t in empty)
                    + f"; write {_what_to_write(kod, names)} there (the page says the text is missing until then).",
                )
            )
    return problems


def write_templates(params_dir: str | Path, lasar: int, units: Iterable[str] | pd.DataFrame) -> list[Path]:
    """Write an empty template for every unit (or school form) without a file; never overwrite.

    ``units`` as for :func:`check_analyses`.

    Returns
    -------
    list[Path]
        The files written, sorted.
    """
    written = []
    for kod in _codes(units)[0]:
        path = analysis_path(params_dir, lasar, kod)
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template_text(kod), encoding="utf-8")
        written.append(path)
    return written
