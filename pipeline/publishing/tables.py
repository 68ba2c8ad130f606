"""Accessible HTML tables and the number elements every page is built from.

We write plain semantic tables (``<caption>``, ``<th scope="col">``, ``<th scope="row">``) rather
than great-tables' HTML: accessibility comes first, the markup is small and stable, and nothing
loads from outside the site. Numbers are formatted by :mod:`pipeline.publishing.format` (the one
formatter); the HTML comes from the autoescaped macros of ``templates/views/macros.html.j2``
(:mod:`pipeline.publishing.render`); every table sits in a keyboard-scrollable region.

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
from markupsafe import Markup

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
from pipeline.publishing.render import M, join

#: Markers that get a footnote, in the order footnotes are listed.
NOTE_MARKERS = ("undertryckt", "saknas", "avrundad")


@dataclass
class Notes:
    """Footnotes used in one section (markers explained once, at the end of the section),
    numbered from 1 in the order they are first used."""

    section_id: str
    used: dict[str, int] = field(default_factory=dict)

    def ref(self, markering: str) -> Markup:
        """A footnote reference for this marker (and remember to print the note)."""
        n = self.used.setdefault(markering, len(self.used) + 1)
        return M.ref(self.note_id(markering), f"{self.section_id}-fotnoter-rubrik", n)

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


def value_html(row: Mapping[str, object] | None, ind: Indicator, notes: Notes | None = None) -> Markup:
    """One indicator value as a number element (``–`` plus a footnote when hidden or missing)."""
    if row is None:
        ref = notes.ref("saknas") if notes is not None else ""
        return join([M.tal({"data-markering": "saknas"}, DASH, "tal saknas"), ref])
    markering = str(row.get("markering") or "")
    if bool(row.get("undertryckt")) and not markering:
        markering = "undertryckt"
    if not markering and is_missing(row.get("varde")):
        markering = "saknas"
    text = format_value(row.get("varde"), enhet=ind.enhet, decimals=ind.decimaler, markering=markering)
    a = row_attrs(row)
    a["data-markering"] = markering
    ref = notes.ref(markering) if (notes is not None and markering in NOTE_MARKERS) else ""
    return join([M.tal(a, text), ref])


def reference_html(row: Mapping[str, object] | None, ind: Indicator, notes: Notes | None = None) -> Markup:
    """A comparison value (huvudman, comparison group, riket): a missing one is a plain ``–``
    (the table says once which comparisons the data lack), a hidden one keeps its footnote."""
    if row is None or (is_missing(row.get("varde")) and str(row.get("markering") or "") in ("", "saknas")):
        if row is None or not bool(row.get("undertryckt")):
            return _missing()
    return value_html(row, ind, notes)


def _missing() -> Markup:
    return M.tal({}, DASH, "tal saknas")


def interval_html(row: Mapping[str, object] | None, ind: Indicator) -> Markup:
    """The 95 % interval as two number elements (``ki_lag``–``ki_hog``); ``–`` when absent."""
    if row is None or is_missing(row.get("ki_lag")) or is_missing(row.get("ki_hog")):
        return _missing()
    lo = M.tal(row_attrs(row, "ki_lag"), format_number(row["ki_lag"], ind.decimaler))
    hi = M.tal(row_attrs(row, "ki_hog"), format_number(row["ki_hog"], ind.decimaler))
    return join([lo, DASH, hi, unit_suffix(ind.enhet)])


def antal_html(row: Mapping[str, object] | None, *, threshold: int) -> Markup:
    """The number of pupils behind a value; under ``threshold`` never exactly (``färre än 10``)."""
    if row is None or is_missing(row.get("antal")):
        return _missing()
    a = row_attrs(row, "antal")
    if float(row["antal"]) < threshold:  # type: ignore[arg-type]
        a["data-varde"] = ""  # never exactly, not even in an attribute (the downloads leave it empty too)
    return M.tal(a, format_count(row["antal"], threshold=threshold))


def target_html(value: float, ind: Indicator, *, skolform: str, grupp: str = "samtliga") -> Markup:
    """A local target from ``params/mal.yml`` as a number element."""
    a = {
        "data-kalla": "mal",
        "data-indikator": ind.id,
        "data-grupp": grupp,
        "data-skolform": skolform,
        "data-varde": exact(value),
    }
    return M.tal(a, format_value(value, enhet=ind.enhet, decimals=ind.decimaler))


def change_number_html(row: Mapping[str, object], ind: Indicator, *, signed: bool = True) -> Markup:
    """A change from ``forandringar`` as a number element (the number only; the unit is worded
    by the sentence around it)."""
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
    return M.tal(a, text)


def note_items(notes: Notes, texts: Mapping[str, str]) -> list[tuple[str, int, str]]:
    """The footnotes a section used: ``(id, number, text)``, numbered from 1 in order of use."""
    return [(notes.note_id(m), n, texts[m]) for m, n in sorted(notes.used.items(), key=lambda kv: kv[1])]


def notes_html(notes: Notes, texts: Mapping[str, str], heading: str) -> Markup:
    """The footnotes a section used, as an ordered list after a heading-less label."""
    items = note_items(notes, texts)
    if not items:
        return Markup("")
    return M.notes(f"{notes.section_id}-fotnoter-rubrik", heading, items)


def html_table(
    *,
    caption: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    css_class: str = "datatabell",
    numeric_from: int = 1,
) -> Markup:
    """A semantic table in a scrollable region: ``<caption>``, column headers, and the first cell
    of a row as its header.

    Cells are :class:`Markup` (number elements) or plain text (escaped); ``columns`` and
    ``caption`` are plain text. Columns from ``numeric_from`` on are right-aligned (class ``num``).
    """
    return M.table(caption, list(columns), [list(r) for r in rows], css_class, numeric_from)


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
