"""Accessible HTML tables and the number elements every page is built from.

We write plain semantic tables (``<caption>``, ``<th scope="col">``, ``<th scope="row">``) rather
than great-tables' HTML: accessibility comes first, the markup is small and stable, and nothing
loads from outside the site. Numbers are formatted by :mod:`pipeline.publishing.format` (which
matches great-tables' ``locale="sv"``).

Every number is a ``<span class="tal">`` that names where it comes from::

    <span class="tal" data-indikator="meritvarde_17" data-grupp="samtliga" data-lasar="2024"
          data-niva="enhet" data-skolenhetskod="99990011" data-kolumn="varde"
          data-varde="231.41666666666666" data-markering="">231,4</span>

``data-kolumn`` names the column of ``indikatorer.csv`` that ``data-varde`` holds exactly
(``varde``, ``ki_lag``, ``ki_hog`` or ``antal``). Numbers that are not in the indicator table say
so with ``data-kalla``: ``forandringar`` (a change; ``data-kolumn="forandring"``, plus
``data-lasar-fran``) or ``mal`` (a local target from ``params/mal.yml``). A hidden or missing value
has ``data-varde=""``, its ``data-markering`` and a footnote reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from pipeline.indicators.registry import Indicator
from pipeline.publishing.format import (
    DASH,
    exact,
    format_count,
    format_number,
    format_value,
    is_missing,
    unit_suffix,
)
from pipeline.publishing.markup import attrs, esc

#: Markers that get a footnote, in the order footnotes are listed.
NOTE_MARKERS = ("undertryckt", "saknas", "avrundad")
_NUM = ' class="num"'


@dataclass
class Notes:
    """Footnotes used in one section (markers explained once, at the end of the section)."""

    section_id: str
    used: set[str] = field(default_factory=set)

    def ref(self, markering: str) -> str:
        """A footnote reference for this marker (and remember to print the note)."""
        self.used.add(markering)
        n = NOTE_MARKERS.index(markering) + 1
        return (
            f'<sup class="fotnotsref"><a href="#{self.note_id(markering)}" '
            f'aria-describedby="{self.section_id}-fotnoter-rubrik">{n}</a></sup>'
        )

    def note_id(self, markering: str) -> str:
        """Id of the footnote for a marker."""
        return f"{self.section_id}-fotnot-{markering}"


def row_attrs(row: Mapping[str, object], kolumn: str = "varde") -> dict[str, str]:
    """The identifying data attributes of an indicator-table row and one of its columns."""
    value = row.get(kolumn)
    out = {
        "data-indikator": str(row["indikator"]),
        "data-grupp": str(row["grupp"]),
        "data-lasar": str(int(row["lasar"])),  # type: ignore[call-overload]
        "data-niva": str(row["niva"]),
        "data-skolenhetskod": str(row.get("skolenhetskod") or ""),
        "data-kolumn": kolumn,
        "data-varde": exact(value),
    }
    if kolumn == "varde":
        out["data-markering"] = str(row.get("markering") or "")
    return out


def value_html(row: Mapping[str, object] | None, ind: Indicator, notes: Notes | None = None) -> str:
    """One indicator value as a number element (``–`` plus a footnote when hidden or missing)."""
    if row is None:
        ref = notes.ref("saknas") if notes is not None else ""
        return f'<span class="tal saknas" data-markering="saknas">{DASH}</span>{ref}'
    markering = str(row.get("markering") or "")
    if bool(row.get("undertryckt")) and not markering:
        markering = "undertryckt"
    if not markering and is_missing(row.get("varde")):
        markering = "saknas"
    text = format_value(row.get("varde"), enhet=ind.enhet, decimals=ind.decimaler, markering=markering)  # type: ignore[arg-type]
    a = row_attrs(row)
    a["data-markering"] = markering
    ref = notes.ref(markering) if (notes is not None and markering in NOTE_MARKERS) else ""
    return f'<span class="tal"{attrs(a)}>{esc(text)}</span>{ref}'


def interval_html(row: Mapping[str, object] | None, ind: Indicator) -> str:
    """The 95 % interval as two number elements (``ki_lag``–``ki_hog``); ``–`` when absent."""
    if row is None or is_missing(row.get("ki_lag")) or is_missing(row.get("ki_hog")):
        return f'<span class="tal saknas">{DASH}</span>'
    lo = f'<span class="tal"{attrs(row_attrs(row, "ki_lag"))}>{format_number(row["ki_lag"], ind.decimaler)}</span>'  # type: ignore[arg-type]
    hi = f'<span class="tal"{attrs(row_attrs(row, "ki_hog"))}>{format_number(row["ki_hog"], ind.decimaler)}</span>'  # type: ignore[arg-type]
    return f"{lo}{DASH}{hi}{esc(unit_suffix(ind.enhet))}"


def antal_html(row: Mapping[str, object] | None, *, threshold: int) -> str:
    """The number of pupils behind a value; under ``threshold`` never exactly (``färre än 10``)."""
    if row is None or is_missing(row.get("antal")):
        return f'<span class="tal saknas">{DASH}</span>'
    text = format_count(row["antal"], threshold=threshold)
    return f'<span class="tal"{attrs(row_attrs(row, "antal"))}>{esc(text)}</span>'


def target_html(value: float, ind: Indicator, *, skolform: str, grupp: str = "samtliga") -> str:
    """A local target from ``params/mal.yml`` as a number element."""
    a = {
        "data-kalla": "mal",
        "data-indikator": ind.id,
        "data-grupp": grupp,
        "data-skolform": skolform,
        "data-varde": exact(value),
    }
    return f'<span class="tal"{attrs(a)}>{esc(format_value(value, enhet=ind.enhet, decimals=ind.decimaler))}</span>'


def change_number_html(row: Mapping[str, object], ind: Indicator, *, signed: bool = True) -> str:
    """A change from ``forandringar`` as a number element."""
    a = {
        "data-kalla": "forandringar",
        "data-indikator": str(row["indikator"]),
        "data-grupp": str(row["grupp"]),
        "data-lasar": str(int(row["lasar_till"])),  # type: ignore[call-overload]
        "data-lasar-fran": str(int(row["lasar_fran"])),  # type: ignore[call-overload]
        "data-niva": str(row["niva"]),
        "data-skolenhetskod": str(row.get("skolenhetskod") or ""),
        "data-kolumn": "forandring",
        "data-varde": exact(row["forandring"]),
    }
    value = row["forandring"]
    text = format_number(value if signed else abs(float(value)), ind.decimaler, sign=signed)  # type: ignore[arg-type]
    return f'<span class="tal"{attrs(a)}>{esc(text)}</span>'


def notes_html(notes: Notes, texts: Mapping[str, str], heading: str) -> str:
    """The footnotes a section used, as an ordered list after a heading-less label."""
    if not notes.used:
        return ""
    items = []
    for markering in NOTE_MARKERS:
        if markering in notes.used:
            n = NOTE_MARKERS.index(markering) + 1
            items.append(f'<li id="{notes.note_id(markering)}" value="{n}">{esc(texts[markering])}</li>')
    return (
        f'<div class="fotnoter"><p id="{notes.section_id}-fotnoter-rubrik" class="fotnoter-rubrik">'
        f"{esc(heading)}</p><ol>{''.join(items)}</ol></div>"
    )


def html_table(
    *,
    caption: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    css_class: str = "datatabell",
    numeric_from: int = 1,
) -> str:
    """A semantic table: ``<caption>``, column headers, and the first cell of a row as its header.

    Cells are HTML (already escaped by the caller); ``columns`` and ``caption`` are plain text.
    Columns from ``numeric_from`` on are right-aligned (class ``num``).
    """
    head = "".join(
        f'<th scope="col"{_NUM if i >= numeric_from else ""}>{esc(c)}</th>' for i, c in enumerate(columns)
    )
    body = []
    for row in rows:
        cells = [f'<th scope="row">{row[0]}</th>']
        cells += [f"<td{_NUM if i >= numeric_from else ''}>{c}</td>" for i, c in enumerate(row[1:], start=1)]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="{esc(css_class)}"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def indicator_pivot(
    indikatorer: pd.DataFrame, *, skolform: str, indikator: str, grupp: str = "samtliga"
) -> pd.DataFrame:
    """One indicator as a wide table for exploration: a row per nivå and unit, a column per läsår.

    Values are unrounded (hidden values are empty); only aggregated rows of the indicator table are
    used, never pupil-level data.
    """
    sel = indikatorer[
        (indikatorer["skolform"] == skolform)
        & (indikatorer["indikator"] == indikator)
        & (indikatorer["grupp"] == grupp)
    ]
    order = {"enhet": 0, "huvudman": 1, "kommun": 2, "jamforelse": 3, "riket": 4}
    wide = sel.groupby(["niva", "enhet", "lasar"], sort=True)["varde"].first().unstack("lasar")
    wide = wide.reindex(sorted(wide.index, key=lambda k: (order.get(k[0], 9), k[1])))
    wide.columns = [int(c) for c in wide.columns]
    return pd.DataFrame(wide)
