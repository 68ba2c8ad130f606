"""The pages the notebooks show: one per unit (``unit_page``) and one per school form (``overview_page``).

A :class:`Page` has a title and sections: first ``sammanfattning`` (key figures with their change,
observations), then ``analys`` (the written analysis, with last year's development areas followed
up), then one section per quality area of the school form, in the registry's order. A quality area
without data says so in words.

Each section is a :class:`~pipeline.publishing.views.Section` view: its tidy rows (``.data``,
Swedish column labels, rounded as shown), figures, sentences and footnotes, and its HTML made by
the autoescaped macros of ``templates/views/`` (:mod:`pipeline.publishing.render`). A notebook
displays it with ``show()``; the site, the PDF and the Quarto book are assembled from those
outputs (:func:`pipeline.publishing.views.page_from_outputs`).

HTML contract
-------------
- Headings are ``<h2>`` (one per section) and ``<h3>`` only; the site template provides the page's
  single ``<h1>`` from the header output's metadata.
- Each section is ``<section id="<id>" class="sektion" aria-labelledby="<id>-rubrik"
  data-sektion="<id>">`` with ``<h2 id="<id>-rubrik">``. Ids: ``sammanfattning``, ``analys``,
  ``omrade-<quality area id>``.
- Every number is a ``<span class="tal" data-...>`` described in :mod:`pipeline.publishing.tables`
  (``data-varde`` is exact and unrounded; ``data-kolumn`` says which column it holds).
- Figures are ``<figure class="diagram">`` with an SVG data URI, alt text, ``<figcaption>`` and a
  ``<details>`` data table; every table sits in a keyboard-scrollable region. Nothing refers to a
  resource outside the fragment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from pipeline.errors import DataValidationError, UnknownIndicatorError
from pipeline.indicators.registry import Indicator
from pipeline.publishing import figures
from pipeline.publishing.analyses import HEADINGS, load_analysis, render_markdown
from pipeline.publishing.context import PageContext, Slice, load_context
from pipeline.publishing.format import exact, format_number, is_missing, lower_first, round_value
from pipeline.publishing.render import M, fill, join
from pipeline.publishing.tables import (
    Notes,
    antal_html,
    change_number_html,
    html_table,
    interval_html,
    note_items,
    notes_html,
    reference_html,
    target_html,
    value_html,
)
from pipeline.publishing.views import FigureView, Page, Section
from pipeline.publishing.wording import change_sentence
from pipeline.school_forms import UNIT_COMPARISON_AREAS, get_school_form

#: How many key figures the summary shows (one per quality area, in area order).
KEY_FIGURES = 6
#: How many observations (significant changes) the summary lists.
MAX_OBSERVATIONS = 8


def _has_value(row: Mapping | None) -> bool:
    return row is not None and (not is_missing(row.get("varde")) or bool(row.get("markering")))


# --------------------------------------------------------------------------------------- pieces
def _section(
    sid: str,
    title: str,
    before: list,
    *,
    figures_: tuple = (),
    after: list | None = None,
    has_data: bool = True,
    area: str = "",
    data: pd.DataFrame | None = None,
    sentences: tuple[str, ...] = (),
    footnotes: tuple[str, ...] = (),
) -> Section:
    return Section(
        id=sid,
        title=title,
        before=join(before),
        figures=tuple(figures_),
        after=join(after or []),
        has_data=has_data,
        area=area,
        data=data if data is not None else pd.DataFrame(),
        sentences=sentences,
        footnotes=footnotes,
    )


def _note_texts(ctx: PageContext, skolform: str = "GR") -> dict[str, str]:
    personer = ctx.words(skolform)["personer"]
    return {
        "undertryckt": ctx.label(
            "diagram", "undertryckt", n=ctx.params.installningar.undertryck_min_antal, personer=personer
        ),
        "saknas": ctx.label("markering", "saknas"),
        "avrundad": ctx.label("markering", "avrundad"),
    }


def _untested(change: Mapping) -> bool:
    return change.get("riktning_bedomning") == "ej_testad" or change.get("test") in ("ingen", "", None)


def _change_short(ctx: PageContext, change: Mapping | None, ind: Indicator) -> Markup:
    if change is None or is_missing(change.get("forandring")):
        return Markup.escape(ctx.label("forandring", "saknas"))
    number = change_number_html(change, ind)
    unit = ctx.unit_word(ind, change=True)
    delta = join([number, unit], "\u00a0") if unit else number
    if _untested(change):
        key = "ej_testad"
    elif bool(change.get("signifikant")):
        key = "okning" if float(change["forandring"]) > 0 else "minskning"
    else:
        key = "ingen"
    return fill(ctx.params.label("forandring_kort", key), delta=delta)


def _change_sentence(ctx: PageContext, change: Mapping, ind: Indicator) -> tuple[Markup, str]:
    """The full change statement, as HTML and plain text (:func:`wording.change_sentence`)."""
    return change_sentence(ctx.params.label, change, ind)


def _reference_levels(
    ctx: PageContext, sl: Slice, *, unit: bool, inds: list[Indicator] | None = None
) -> list[tuple[str, str]]:
    """The comparison columns: (niva, column label). The huvudman (on a unit page) always; the
    comparison group and riket where a file holds a value for one of ``inds`` (all indicators
    when ``None``) this läsår: a column of dashes only says the data lack it (see
    :func:`_missing_references`)."""
    levels = []
    if unit:
        levels.append(("huvudman", ctx.label("tabell", "huvudman")))
    for niva, label in (
        ("jamforelse", ctx.params.huvudman.jamforelsegrupp_namn),
        ("riket", ctx.label("tabell", "riket")),
    ):
        rows = sl.subjects.get((niva, ""), {})
        ids = None if inds is None else {i.id for i in inds}
        if any(
            _shown(r) or bool(r.get("undertryckt"))
            for (i, g), r in rows.items()
            if g == "samtliga" and (ids is None or i in ids)
        ):
            levels.append((niva, label))
    return levels


def _missing_references(
    ctx: PageContext, levels: list[tuple[str, str]], *, lasar: int, said: set[str] | None = None
) -> Markup:
    """The notes on a table's comparisons, each said once per page (``said`` holds what the page
    said already): the comparison group's members (and that it has no value for counts), and the
    comparisons the data lack (riket always, the comparison group when one is configured), with
    how to add riket values. A later table without them shows its dashes without a note."""
    said = set() if said is None else said
    have = {lv for lv, _ in levels}
    hm = ctx.params.huvudman
    namn = lower_first(hm.jamforelsegrupp_namn)
    lacking = []
    if hm.jamforelsegrupp and "jamforelse" not in have and "saknas:jamforelse" not in said:
        said.add("saknas:jamforelse")
        lacking.append(ctx.label("diagram", "referens_jamforelse", namn=namn))
    riket = "riket" not in have and "saknas:riket" not in said
    if riket:
        said.add("saknas:riket")
        lacking.append(ctx.label("diagram", "referens_riket"))
    parts = []
    if "jamforelse" in have and hm.jamforelsegrupp_medlemmar and "jamforelsegrupp" not in said:
        said.add("jamforelsegrupp")
        names = sorted(hm.jamforelsegrupp_medlemmar.values())
        och = f" {ctx.label('diagram', 'och')} "
        members = och.join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
        parts.append(
            M.p(
                ctx.label("referenser", "jamforelsegrupp", namn=namn, medlemmar=members),
                "jamforelsegrupp",
            )
        )
    if lacking:
        joined = f" {ctx.label('diagram', 'och')} ".join(lacking)
        text = ctx.label("diagram", "referens_saknas", referenser=joined, lasar_text=ctx.lasar_text(lasar))
        if riket:
            text = f"{text} {ctx.label('referenser', 'riket_saknas_i_filerna')}"
        parts.append(M.p(text, "referens-saknas"))
    return join(parts)


def _indicator_table(
    ctx: PageContext,
    sl: Slice,
    inds: list[Indicator],
    *,
    skolform: str,
    niva: str,
    kod: str,
    caption: str,
    notes: Notes,
    lasar: int,
    said: set[str] | None = None,
) -> tuple[Markup, pd.DataFrame]:
    """The table of a section and its tidy rows (Swedish column labels, values rounded as shown;
    a hidden value and a count under the threshold are empty). ``said``: the notes on
    comparisons the page has said already (:func:`_missing_references`)."""
    levels = _reference_levels(ctx, sl, unit=niva == "enhet", inds=inds)
    threshold = ctx.params.installningar.undertryck_min_antal
    columns = [
        ctx.label("tabell", "indikator"),
        ctx.label("tabell", "varde"),
        ctx.label("tabell", "intervall"),
        ctx.label("tabell", "antal"),
        ctx.label("tabell", "forandring"),
        *[label for _, label in levels],
        ctx.label("tabell", "mal"),
    ]
    rows = []
    records = []
    for ind in inds:
        row = sl.rows.get((niva, kod, ind.id, "samtliga"))
        change = sl.changes.get(("ett_ar", niva, kod, ind.id, "samtliga"))
        cells = [
            ind.label,
            value_html(row, ind, notes),
            interval_html(row, ind),
            antal_html(row, threshold=threshold),
            _change_short(ctx, change, ind),
        ]
        shown = _shown(row)
        row = row or {}  # with no row nothing is shown
        antal = None if is_missing(row.get("antal")) else float(row["antal"])
        rec: dict[str, object] = {
            columns[0]: ind.label,
            columns[1]: round_value(row.get("varde"), ind.decimaler) if shown else None,
            f"{columns[2]} ({ctx.label('tabell', 'lag')})": round_value(row.get("ki_lag"), ind.decimaler)
            if shown
            else None,
            f"{columns[2]} ({ctx.label('tabell', 'hog')})": round_value(row.get("ki_hog"), ind.decimaler)
            if shown
            else None,
            columns[3]: None if antal is None or antal < threshold else int(antal),
            columns[4]: None
            if change is None or is_missing(change.get("forandring"))
            else round_value(change["forandring"], ind.decimaler),
        }
        for (_niva, label), ref in zip(
            levels, [sl.rows.get((lv, "", ind.id, "samtliga")) for lv, _ in levels], strict=True
        ):
            cells.append(reference_html(ref, ind, notes))
            rec[label] = round_value(ref["varde"], ind.decimaler) if ref is not None and _shown(ref) else None
        mal = ctx.target(ind.id, skolform)
        cells.append(target_html(mal.varde, ind, skolform=skolform) if mal else "–")
        rec[columns[-1]] = mal.varde if mal else None
        rows.append(cells)
        records.append(rec)
    data = pd.DataFrame.from_records(records)
    has_interval = any(
        r is not None and not is_missing(r.get("ki_lag"))
        for r in (sl.rows.get((niva, kod, i.id, "samtliga")) for i in inds)
    )
    if not has_interval:  # published values carry no interval: no column of dashes
        columns = [c for k, c in enumerate(columns) if k != 2]
        rows = [[c for k, c in enumerate(r) if k != 2] for r in rows]
        data = data.drop(columns=[c for c in data.columns if c.startswith(ctx.label("tabell", "intervall"))])
    table = html_table(caption=caption, columns=columns, rows=rows)
    return join([table, _missing_references(ctx, levels, lasar=lasar, said=said)]), data


def _shown(row: Mapping | None) -> bool:
    """A value a reader may see (present, not hidden)."""
    return row is not None and not bool(row.get("undertryckt")) and not is_missing(row.get("varde"))


def _period_changes(
    ctx: PageContext, sl: Slice, inds: list[Indicator], *, niva: str, kod: str, sentences: list[str]
) -> Markup:
    """The period changes, one sentence each, written once from the ``forandringar`` table."""
    items = []
    for ind in inds:
        change = sl.changes.get(("period", niva, kod, ind.id, "samtliga"))
        if change is None or is_missing(change.get("forandring")):
            continue
        html, text = _change_sentence(ctx, change, ind)
        sentence = join([ind.kort or ind.label, ": ", html])
        sentences.append(f"{ind.kort or ind.label}: {text}")
        items.append(({"data-indikator": ind.id}, sentence))
    if not items:
        return Markup("")
    return join([M.h3(ctx.label("sida_extra", "forandringar_rubrik")), M.ul(items, "forandringar")])


def _comparisons(
    ctx: PageContext, sl: Slice, inds: list[Indicator], *, niva: str, kod: str, sentences: list[str]
) -> Markup:
    """Sentences for the differences against riket (and, for a unit, the huvudman) that a test
    says are real; one closing sentence for the rest. Empty without ``jamforelser``."""
    if not sl.comparisons:
        return Markup("")
    references = (["huvudman"] if niva == "enhet" else []) + ["jamforelse", "riket"]
    items: list[tuple[dict, Markup]] = []
    rest: list[str] = []
    for ref in references:
        name = (  # inside a sentence or heading: the group's name lower-first
            lower_first(ctx.params.huvudman.jamforelsegrupp_namn)
            if ref == "jamforelse"
            else ctx.label("jamforelse", ref)
        )
        any_row = False
        for ind in inds:
            row = sl.comparisons.get((niva, kod, ind.id, ref))
            if row is None or is_missing(row.get("skillnad")):
                continue
            any_row = True
            if not bool(row.get("signifikant")):
                continue
            a = {
                "data-kalla": "jamforelser",
                "data-indikator": ind.id,
                "data-grupp": "samtliga",
                "data-lasar": str(int(row["lasar"])),
                "data-niva": niva,
                "data-skolenhetskod": kod,
                "data-jamfor-med": ref,
                "data-kolumn": "skillnad",
                "data-varde": exact(row["skillnad"]),
            }
            text = format_number(abs(float(row["skillnad"])), ind.decimaler)
            key = "hogre" if float(row["skillnad"]) > 0 else "lagre"
            template = ctx.params.label("jamforelse", key)
            unit = ctx.unit_word(ind, change=True)
            if not unit:
                template = template.replace(" {enhet}", "{enhet}")
            if not row.get("test"):
                template = template.replace(", {test})", ")").replace(" ({test})", "")
            words = dict(
                indikator=ind.kort or ind.label, enhet=unit, referens=name, test=row.get("test") or ""
            )
            items.append(({}, fill(template, skillnad=M.tal(a, text), **words)))
            sentences.append(template.format(skillnad=text, **words))
        if any_row:
            rest.append(name)
    if not rest:
        return Markup("")
    och = f" {ctx.label('diagram', 'och')} "
    closing = ctx.label("jamforelse", "ovriga", referenser=och.join(rest))
    sentences.append(closing)
    if not items:  # no difference to list: the sentence alone, under no heading of its own
        return M.p(closing)
    return join(
        [
            M.h3(ctx.label("diagram", "jamforelse_rubrik", referenser=och.join(rest))),
            M.ul(items, "jamforelser"),
            M.p(closing),
        ]
    )


def _no_data(ctx: PageContext, area: str, name: str, lasar: int) -> Markup:
    text = ctx.label(
        "sida",
        "inga_uppgifter",
        omrade=lower_first(ctx.area_label(area)),
        enhet=name,
        lasar_text=ctx.lasar_text(lasar),
    )
    return M.p(f"{text} {ctx.label('sida', 'inga_uppgifter_fotnot')}", "inga-uppgifter")


def _targets_table(
    ctx: PageContext, sl: Slice, *, skolform: str, niva: str, kod: str, name: str, lasar: int, notes: Notes
) -> Markup:
    form = get_school_form(skolform)
    mals = [m for m in ctx.params.mal if m.skolform == skolform]
    if not mals:
        return M.p(ctx.label("sida", "inga_mal", skolform=lower_first(form.name)))
    rows = []
    for mal in mals:
        try:
            ind = ctx.registry.get(mal.indikator)
        except UnknownIndicatorError as exc:
            raise UnknownIndicatorError(f"params/mal.yml: {exc}") from None
        row = sl.rows.get((niva, kod, ind.id, mal.grupp))
        if row is None and not _applicable_missing(ctx, sl, [ind], skolform=skolform, kod=kod, lasar=lasar):
            continue  # a target on what the unit does not report (åk 9 results at an F-6 school)
        verdict = "–"
        if row is not None and not is_missing(row.get("varde")) and ind.riktning != "neutral":
            ok = row["varde"] >= mal.varde if ind.riktning == "hogre_battre" else row["varde"] <= mal.varde
            verdict = ctx.label("tabell", "malet_nas" if ok else "malet_nas_inte")
        rows.append(
            [
                ind.label,
                value_html(row, ind, notes),
                target_html(mal.varde, ind, skolform=skolform, grupp=mal.grupp),
                verdict,
                mal.beskrivning,
            ]
        )
    if not rows:
        return M.p(ctx.label("diagram", "inga_mal_enhet", skolform=lower_first(form.name), enhet=name))
    caption = (
        ctx.label("tabell", "caption_mal", skolform=form.name, lasar_text=ctx.lasar_text(lasar))
        + f" ({name})"
    )
    return join(
        [
            M.h3(ctx.label("sida", "malrubrik")),
            html_table(
                caption=caption,
                columns=[
                    ctx.label("tabell", "indikator"),
                    ctx.label("tabell", "varde"),
                    ctx.label("tabell", "mal"),
                    ctx.label("sida_extra", "bedomning_mal"),
                    ctx.label("tabell", "beskrivning"),
                ],
                rows=rows,
                numeric_from=1,
            ),
        ]
    )


def _first_with(inds: list[Indicator], pred) -> Indicator | None:
    for ind in inds:
        if pred(ind):
            return ind
    return None


# ----------------------------------------------------------------------------- area sections
def _area_section(
    ctx: PageContext,
    sl: Slice,
    *,
    area: str,
    skolform: str,
    skolenhetskod: str,
    lasar: int,
    name: str,
    said: set[str] | None = None,
) -> Section:
    sid = f"omrade-{area}"
    title = ctx.area_label(area)
    notes = Notes(sid)
    niva = "enhet" if skolenhetskod else "huvudman"
    all_inds = list(ctx.registry.for_area(skolform, area))
    # A unit shows its own rows; the overview also shows an area whose data exist only per unit
    # (e.g. value added), with the units' table and figure.
    if skolenhetskod:
        present = {k[0] for k in sl.subjects.get((niva, skolenhetskod), {})}
    else:
        present = {
            k[0]
            for (lvl, kod), rows in sl.subjects.items()
            if lvl == "enhet" or (lvl == niva and kod == "")
            for k in rows
        }
    with_data = [i for i in all_inds if i.id in present]
    missing_inds = _applicable_missing(
        ctx,
        sl,
        [i for i in all_inds if i not in with_data],
        skolform=skolform,
        kod=skolenhetskod,
        lasar=lasar,
    )
    before: list = []
    after: list = []
    programme_notes: dict[str, str] = {}
    figs: list[FigureView] = []
    sentences: list[str] = []
    data = None
    if not with_data:
        before.append(_no_data(ctx, area, name, lasar))
    else:
        caption = ctx.label(
            "tabell", "caption_omrade", omrade=title, enhet=name, lasar_text=ctx.lasar_text(lasar)
        )
        table, data = _indicator_table(
            ctx,
            sl,
            with_data,
            skolform=skolform,
            niva=niva,
            kod=skolenhetskod,
            caption=caption,
            notes=notes,
            lasar=lasar,
            said=said,
        )
        before.append(table)
        missing = missing_inds
        if missing:
            before.append(
                M.p(
                    ctx.label(
                        "sida_extra",
                        "saknade_indikatorer",
                        enhet=name,
                        lasar_text=ctx.lasar_text(lasar),
                        lista="; ".join(lower_first(i.kort or i.label) for i in missing),
                    )
                )
            )
        before.append(_period_changes(ctx, sl, with_data, niva=niva, kod=skolenhetskod, sentences=sentences))
        before.append(_comparisons(ctx, sl, with_data, niva=niva, kod=skolenhetskod, sentences=sentences))
        before.append(
            _groups_table(
                ctx,
                sl,
                with_data,
                niva=niva,
                kod=skolenhetskod,
                name=name,
                lasar=lasar,
                area=area,
                notes=notes,
            )
        )
        programme_tables, programme_notes = _programme_tables(
            ctx,
            with_data,
            skolform=skolform,
            niva=niva,
            kod=skolenhetskod,
            name=name,
            lasar=lasar,
            notes=notes,
        )
        before.append(programme_tables)
        if not skolenhetskod:
            before.append(
                _units_table(ctx, sl, with_data, skolform=skolform, lasar=lasar, area=area, notes=notes)
            )
        figs = _area_figures(
            ctx,
            sl,
            with_data,
            area=area,
            skolform=skolform,
            skolenhetskod=skolenhetskod,
            lasar=lasar,
            sid=sid,
            notes=notes,
        )
        note = _breaks_note(ctx, skolform=skolform, skolenhetskod=skolenhetskod, lasar=lasar)
        if note:  # the break in the unit's series: under the trend figure and in its table's note
            figs = [
                replace(
                    f,
                    caption=f"{f.caption} {note}",
                    table_html=join([f.table_html, M.p(note, cls="tidsseriebrott")]),
                )
                if f.id.endswith("-trend")
                else f
                for f in figs
            ]
    if area == "maluppfyllelse":
        after.append(
            _targets_table(
                ctx, sl, skolform=skolform, niva=niva, kod=skolenhetskod, name=name, lasar=lasar, notes=notes
            )
        )
    texts = {**_note_texts(ctx, skolform), **programme_notes}
    after.append(notes_html(notes, texts, ctx.label("markering", "fotnoter")))
    return _section(
        sid,
        title,
        before,
        figures_=tuple(figs),
        after=after,
        has_data=bool(with_data),
        area=area,
        data=data,
        sentences=tuple(sentences),
        footnotes=tuple(t for _, _, t in note_items(notes, texts)),
    )


def _applicable_missing(
    ctx: PageContext, sl: Slice, candidates: list[Indicator], *, skolform: str, kod: str, lasar: int
) -> list[Indicator]:
    """The indicators a subject lacks this läsår that apply to it ("Uppgifter saknas" lists only
    these): for the huvudman, those it had another year; for a unit, never an indicator of an
    årskurs it has no pupils in (``arskurs`` in the registry, the unit's årskurser from
    :meth:`PageContext.unit_grade_set`: an F-6 school does not lack åk 9 results), else those it
    had another year, or, when its årskurser are known from the register, those another unit with
    the same årskurser has this year (a kommun-level figure such as costs is no unit's)."""
    if not candidates:
        return []
    niva = "enhet" if kod else "huvudman"
    out = []
    grades = ctx.unit_grades(skolform, kod) if kod else ""
    peers = (
        [c for c in ctx.own_unit_codes(skolform) if c != kod and ctx.unit_grades(skolform, c) == grades]
        if grades
        else []
    )
    unit_grades = ctx.unit_grade_set(skolform, kod, lasar) if kod else frozenset()
    for ind in candidates:
        if unit_grades and ind.arskurs is not None and ind.arskurs not in unit_grades:
            continue  # the unit has no pupils in the årskurs the indicator describes
        rows = ctx.indicator_rows(skolform=skolform, niva=niva, indikator=ind.id)
        had = bool((rows["skolenhetskod"] == kod).any()) if len(rows) else False
        if not had and peers:
            had = any(_has_value(sl.rows.get(("enhet", c, ind.id, "samtliga"))) for c in peers)
        if had:
            out.append(ind)
    return out


def _breaks_note(ctx: PageContext, *, skolform: str, skolenhetskod: str, lasar: int) -> str | None:
    """The breaks in a unit's series up to ``lasar`` (a code, name or huvudman change), in words
    (plain text: the templates escape it)."""
    df = ctx.enhetsbrott
    if not skolenhetskod or df is None or df.empty:
        return None
    rows = df[df["skolenhetskod"].eq(skolenhetskod) & df["skolform"].eq(skolform) & df["lasar"].le(lasar)]
    if rows.empty:
        return None
    parts = [
        ctx.label(
            "enhetsbyten",
            r.slag,
            lasar_text=ctx.lasar_text(int(r.lasar)),
            fran=r.fran if r.slag != "huvudman" else lower_first(r.fran),
            till=r.till if r.slag != "huvudman" else lower_first(r.till),
        )
        for r in rows.itertuples()
    ]
    return f"{ctx.label('enhetsbyten', 'inledning')} {'; '.join(parts)}."


#: Group prefixes that are a breakdown by programme or course (avgångselever per program), not a
#: background group: shown in the programme tables, not as columns of the groups table.
_BREAKDOWN_PREFIXES = ("program", "programtyp", "kurs")


def _is_breakdown(grupp: str) -> bool:
    return any(part.split(":", 1)[0] in _BREAKDOWN_PREFIXES for part in grupp.split("|") if ":" in part)


def _programme_tables(
    ctx: PageContext,
    inds: list[Indicator],
    *,
    skolform: str,
    niva: str,
    kod: str,
    name: str,
    lasar: int,
    notes: Notes,
) -> tuple[Markup, dict[str, str]]:
    """One table per indicator with values per national programme (``grupp`` ``program:<kod>``):
    a row per programme, a column per läsår of the trend period. A programme whose series holds a
    replaced programme's values (``programbyten``) has a footnote saying until which läsår the
    values are the old programme's. Returns the tables and the footnote texts they use."""
    from pipeline.ingest.program import programmes

    table = programmes()
    first_year = lasar - ctx.params.installningar.trend_ar + 1
    moved = ctx.programbyten
    if moved is not None and len(moved):
        moved = moved[
            moved["skolform"].eq(skolform)
            & moved["niva"].eq(niva)
            & moved["skolenhetskod"].fillna("").eq(kod)
            & moved["lasar"].between(first_year, lasar)
        ]
    parts: list[Markup] = []
    texts: dict[str, str] = {}
    for ind in inds:
        series: dict[str, dict[int, Mapping]] = {}
        for prog in table:
            rows = ctx.series(
                skolform=skolform,
                niva=niva,
                skolenhetskod=kod,
                indikator=ind.id,
                grupp=f"program:{prog}",
                years=range(first_year, lasar + 1),
            )
            if len(rows):
                series[prog] = {int(r["lasar"]): r for r in rows.to_dict("records")}
        if not series:
            continue
        years = list(range(min(min(v) for v in series.values()), lasar + 1))
        body = []
        for prog in sorted(series, key=lambda k: (table[k].namn, k)):
            cell: Markup | str = table[prog].namn
            if moved is not None and len(moved):
                mine = moved[moved["indikator"].eq(ind.id) & moved["grupp"].eq(f"program:{prog}")]
                for fran, g in mine.groupby("fran", sort=True):
                    sista = int(g["lasar"].max())
                    key = f"programbyte-{fran}-{prog}-{sista}"
                    texts[key] = _programme_note(ctx, str(fran), prog, sista)
                    cell = join([cell, notes.ref(key)])
            body.append([cell] + [value_html(series[prog].get(y), ind, notes) for y in years])
        caption = (
            ctx.label(
                "program_historik",
                "caption",
                indikator=ind.label,
                enhet=name,
                fran=ctx.lasar_text(years[0]),
                till=ctx.lasar_text(years[-1]),
            )
            if len(years) > 1
            else ctx.label(
                "program_historik",
                "caption_ett_ar",
                indikator=ind.label,
                enhet=name,
                lasar_text=ctx.lasar_text(lasar),
            )
        )
        parts.append(
            html_table(
                caption=caption,
                columns=[ctx.label("program_historik", "kolumn"), *[ctx.lasar_text(y) for y in years]],
                rows=body,
                css_class="datatabell programtabell",
            )
        )
    if not parts:
        return Markup(""), texts
    return join([M.h3(ctx.label("program_historik", "rubrik")), *parts]), texts


def _programme_note(ctx: PageContext, fran: str, till: str, sista: int) -> str:
    """The footnote under a series that holds the replaced programme ``fran``'s values up to
    ``sista`` (``params/gymnasieprogram.yml``: its last intake, when given)."""
    from pipeline.ingest.program import programmes

    table = programmes()
    fill_ = dict(fran=table[fran].namn, till=table[till].namn, sista=ctx.lasar_text(sista))
    intag = table[fran].till_lasar
    if intag is None:
        return ctx.label("program_historik", "byte_utan_ar", **fill_)
    return ctx.label("program_historik", "byte", sista_intag=ctx.lasar_text(intag), **fill_)


def _group_order(grupp: str) -> tuple[int, str]:
    return ({"samtliga": 0, "flickor": 1, "pojkar": 2}.get(grupp, 3), grupp)


def _groups_table(
    ctx: PageContext,
    sl: Slice,
    inds: list[Indicator],
    *,
    niva: str,
    kod: str,
    name: str,
    lasar: int,
    area: str,
    notes: Notes,
) -> Markup:
    """Values per group (flickor, pojkar, background ...) for the indicators that have groups."""
    groups: dict[str, set[str]] = {}
    for indikator, grupp in sl.subjects.get((niva, kod), {}):
        if grupp != "samtliga" and not _is_breakdown(grupp):
            groups.setdefault(indikator, set()).add(grupp)
    shown = [i for i in inds if i.id in groups]
    if not shown:
        return Markup("")
    # the groups of the area's own indicators (a survey's respondent groups are not columns of the
    # knowledge-results table)
    cols = sorted({"samtliga"} | set().union(*(groups[i.id] for i in shown)), key=_group_order)
    rows = [
        [i.label] + [value_html(sl.rows.get((niva, kod, i.id, g)), i, notes) for g in cols] for i in shown
    ]
    caption = ctx.label(
        "sida_extra",
        "grupptabell_caption",
        omrade=ctx.area_label(area),
        enhet=name,
        lasar_text=ctx.lasar_text(lasar),
    )
    table = html_table(
        caption=caption,
        columns=[ctx.label("tabell", "indikator"), *[ctx.group_label(g) for g in cols]],
        rows=rows,
        css_class="datatabell grupptabell",
    )
    return join([M.h3(ctx.label("sida_extra", "grupptabell_rubrik")), table])


def _units_table(
    ctx: PageContext, sl: Slice, inds: list[Indicator], *, skolform: str, lasar: int, area: str, notes: Notes
) -> Markup:
    """The values per unit: the huvudman's own units, then (in a kommun report from public files)
    the other organisers' units in the kommun in a table of their own."""
    every = {kod for lvl, kod in sl.subjects if lvl == "enhet"}
    own = ctx.own_unit_codes(skolform)
    parts = []
    for group in ("egna", "andra"):
        codes = sorted(
            (c for c in every if (c in own) == (group == "egna")),
            key=lambda c: (ctx.unit_name(skolform, c), c),
        )
        shown = [i for i in inds if any(sl.rows.get(("enhet", c, i.id, "samtliga")) for c in codes)]
        if not codes or not shown:
            continue
        rows = [
            [ctx.unit_name(skolform, code)]
            + [value_html(sl.rows.get(("enhet", code, i.id, "samtliga")), i, notes) for i in shown]
            for code in codes
        ]
        words = ctx.words(skolform)
        fill_ = dict(omrade=ctx.area_label(area), lasar_text=ctx.lasar_text(lasar), **words)
        caption = (
            ctx.label("sida_extra", "enhetstabell_caption", **fill_)
            if group == "egna"
            else ctx.label("diagram", "andra_huvudmans_caption", **fill_)
        )
        table = html_table(
            caption=caption,
            columns=[ctx.label("tabell", "enhet", **words), *[i.kort or i.label for i in shown]],
            rows=rows,
            css_class="datatabell enhetstabell",
        )
        if group == "egna":
            parts += [M.h3(ctx.label("sida", "enheter_rubrik", **words)), table]
        else:
            parts += [
                M.h3(ctx.label("diagram", "andra_huvudmans_rubrik", **words)),
                M.p(ctx.label("diagram", "andra_huvudmans_text", **words)),
                table,
            ]
    return join(parts)


def _present(ctx: PageContext, sl: Slice, *, kod: str) -> set[str]:
    """The indicators with rows for the subject this läsår (for the huvudman: its own rows and
    its units')."""
    if kod:
        return {k[0] for k in sl.subjects.get(("enhet", kod), {})}
    return {
        k[0]
        for (lvl, c), rows in sl.subjects.items()
        if lvl == "enhet" or (lvl == "huvudman" and c == "")
        for k in rows
    }


def _gap_area(ctx: PageContext, sl: Slice, *, skolform: str, kod: str) -> str:
    """The one area of a page that shows the flickor/pojkar figure: likvardighet when the school
    form has it and the subject has data there, else kunskapsresultat (never both)."""
    form = get_school_form(skolform)
    if "likvardighet" in form.quality_areas:
        present = _present(ctx, sl, kod=kod)
        if any(i.id in present for i in ctx.registry.for_area(skolform, "likvardighet")):
            return "likvardighet"
    return "kunskapsresultat"


def _area_figures(
    ctx: PageContext,
    sl: Slice,
    inds: list[Indicator],
    *,
    area: str,
    skolform: str,
    skolenhetskod: str,
    lasar: int,
    sid: str,
    notes: Notes,
) -> list[FigureView]:
    out: list[FigureView] = []
    niva = "enhet" if skolenhetskod else "huvudman"
    for ind in inds:
        fig = figures.trend_figure(
            ctx,
            ind=ind,
            skolform=skolform,
            skolenhetskod=skolenhetskod,
            lasar=lasar,
            fig_id=f"{sid}-trend",
            notes=notes,
        )
        if fig is not None:
            out.append(fig)
            break
    if area == "foradlingsvarde":
        fig = figures.va_figure(
            ctx, skolform=skolform, lasar=lasar, fig_id=f"{sid}-va", highlight=skolenhetskod
        )
        if fig is not None:
            out.append(fig)
    if area in ("kunskapsresultat", "likvardighet") and area == _gap_area(
        ctx, sl, skolform=skolform, kod=skolenhetskod
    ):
        gap_ind = _first_with(
            inds,
            lambda i: (
                _has_value(sl.rows.get((niva, skolenhetskod, i.id, "flickor")))
                or _has_value(sl.rows.get((niva, skolenhetskod, i.id, "pojkar")))
            ),
        )
        if gap_ind is None and area == "likvardighet":
            kr = list(ctx.registry.for_area(skolform, "kunskapsresultat"))
            gap_ind = _first_with(
                kr, lambda i: _has_value(sl.rows.get((niva, skolenhetskod, i.id, "flickor")))
            )
        if gap_ind is not None:
            fig = figures.gap_figure(
                ctx,
                ind=gap_ind,
                skolform=skolform,
                skolenhetskod=skolenhetskod,
                lasar=lasar,
                fig_id=f"{sid}-kon",
                notes=notes,
            )
            if fig is not None:
                out.append(fig)
    if area != "foradlingsvarde" and (not skolenhetskod or area in UNIT_COMPARISON_AREAS):
        for ind in inds:
            fig = figures.caterpillar_figure(
                ctx,
                ind=ind,
                skolform=skolform,
                lasar=lasar,
                fig_id=f"{sid}-enheter",
                highlight=skolenhetskod,
                notes=notes,
            )
            if fig is not None:
                out.append(
                    replace(fig, rubrik=ctx.label("sida_extra", "jamfor_enheter", **ctx.words(skolform)))
                )
                break
    return out


# ------------------------------------------------------------------------ intro and analysis
def _summary_section(
    ctx: PageContext,
    sl: Slice,
    *,
    skolform: str,
    skolenhetskod: str,
    lasar: int,
    name: str,
    said: set[str] | None = None,
) -> Section:
    sid = "sammanfattning"
    notes = Notes(sid)
    niva = "enhet" if skolenhetskod else "huvudman"
    form = get_school_form(skolform)
    keys: list[Indicator] = []
    for area in form.quality_areas:
        ind = _first_with(
            list(ctx.registry.for_area(skolform, area)),
            lambda i: _has_value(sl.rows.get((niva, skolenhetskod, i.id, "samtliga"))),
        )
        if ind is not None and ind not in keys:
            keys.append(ind)
        if len(keys) >= KEY_FIGURES:
            break
    parts: list = []
    data = None
    sentences: list[str] = []
    if ctx.params.huvudman.fiktiv:
        parts.append(M.p(ctx.label("sida_extra", "fiktiv"), "fiktiv"))
    if keys:
        parts.append(M.h3(ctx.label("sida", "nyckeltal")))
        caption = ctx.label("sida_extra", "nyckeltal_caption", enhet=name, lasar_text=ctx.lasar_text(lasar))
        table, data = _indicator_table(
            ctx,
            sl,
            keys,
            skolform=skolform,
            niva=niva,
            kod=skolenhetskod,
            caption=caption,
            notes=notes,
            lasar=lasar,
            said=said,
        )
        parts.append(table)
    else:
        text = ctx.label(
            "sida", "inga_uppgifter", omrade="resultat", enhet=name, lasar_text=ctx.lasar_text(lasar)
        )
        parts.append(M.p(text, "inga-uppgifter"))
    parts.append(
        _observations_html(
            ctx, skolform=skolform, skolenhetskod=skolenhetskod, lasar=lasar, sentences=sentences
        )
    )
    texts = _note_texts(ctx, skolform)
    parts.append(notes_html(notes, texts, ctx.label("markering", "fotnoter")))
    return _section(
        sid,
        ctx.label("sida", "intro"),
        parts,
        has_data=bool(keys),
        data=data,
        sentences=tuple(sentences),
        footnotes=tuple(t for _, _, t in note_items(notes, texts)),
    )


def _observations_html(
    ctx: PageContext, *, skolform: str, skolenhetskod: str, lasar: int, sentences: list[str]
) -> Markup:
    """The statistically significant changes, as sentences from ``pipeline.indicators.observations``
    (when that module exists and there is a ``forandringar`` table), at most ``MAX_OBSERVATIONS``,
    in registry order. Each sentence carries the numbers it states as data attributes."""
    if ctx.forandringar is None:
        return Markup("")
    try:
        from pipeline.indicators.observations import observations
    except ImportError:
        return Markup("")
    indikatorer, forandringar = ctx.year_frames(skolform, lasar)
    found = observations(
        indikatorer,
        forandringar,
        skolform=skolform,
        skolenhetskod=skolenhetskod,
        lasar=lasar,
        registry=ctx.registry,
    )
    items = []
    for obs in found:
        if not getattr(obs, "signifikant", False):
            continue
        a = {
            "class": "iakttagelse",
            "data-indikator": obs.indikator,
            "data-grupp": obs.grupp,
            "data-lasar": str(obs.lasar),
            "data-niva": "enhet" if skolenhetskod else "huvudman",
            "data-skolenhetskod": skolenhetskod,
            "data-varde": exact(getattr(obs, "varde", None)),
            "data-forandring": exact(getattr(obs, "forandring", None)),
        }
        items.append((a, obs.text))
        sentences.append(obs.text)
        if len(items) >= MAX_OBSERVATIONS:
            break
    if not items:
        return Markup("")
    return join(
        [
            M.h3(ctx.label("sida", "iakttagelser")),
            M.p(ctx.label("sida_extra", "iakttagelser_intro")),
            M.ul(items, "iakttagelser"),
        ]
    )


def page_board(ctx: PageContext, lasar: int):
    """The huvudman-level data of the report year (development areas, assessment) for a page."""
    from pipeline.publishing.board import build_board

    names = {}
    if ctx.indikatorer is not None and "enhet" in ctx.indikatorer.columns:
        sel = ctx.indikatorer[ctx.indikatorer["niva"] == "enhet"][
            ["skolenhetskod", "enhet"]
        ].drop_duplicates()
        names = {str(k): str(n) for k, n in zip(sel["skolenhetskod"], sel["enhet"], strict=True)}
    return build_board(
        params_dir=ctx.params_dir if ctx.analyses else None,
        lasar=lasar,
        huvudman=ctx.huvudman_namn,
        skolformer=(),
        label=ctx.params.label,
        registry=ctx.registry,
        indikatorer=ctx.indikatorer,
        forandringar=ctx.forandringar,
        unit_names=names,
    )


def _analysis_section(
    ctx: PageContext, *, kod: str, lasar: int, name: str, skolform: str = "", skolenhetskod: str = ""
) -> Section:
    sid = "analys"
    analysis = load_analysis(ctx.params_dir, lasar, kod) if ctx.analyses else None
    previous = load_analysis(ctx.params_dir, lasar - 1, kod) if ctx.analyses else None
    parts: list = []
    if analysis is None:
        parts.append(
            M.p(ctx.label("analys", "saknas", enhet=name, lasar_text=ctx.lasar_text(lasar)), "analys-saknas")
        )
    else:
        for key, _text in HEADINGS:
            body = analysis.text(key)
            html = Markup(render_markdown(body)) if body else M.p(ctx.label("analys", "tom"), "analys-tom")
            parts.append(M.h3(ctx.label("analys", f"rubrik_{key}"), f"{sid}-{key}"))
            parts.append(M.div(html, "analys-text"))
    if previous is not None:
        body = previous.utvecklingsomraden
        html = (
            Markup(render_markdown(body))
            if body
            else M.p(ctx.label("analys", "ingen_uppfoljning", lasar_text=ctx.lasar_text(lasar - 1)))
        )
        parts.append(M.h3(ctx.label("analys", "uppfoljning"), f"{sid}-uppfoljning"))
        parts.append(M.div(html, "analys-text uppfoljning"))
    if ctx.analyses and skolform:
        from pipeline.publishing.board import areas_html

        parts.append(
            areas_html(
                page_board(ctx, lasar),
                level=3,
                skolform=skolform,
                skolenhetskod=skolenhetskod,
                vem=name if skolenhetskod else get_school_form(skolform).name.lower(),
            )
        )
    return _section(sid, ctx.label("analys", "skriftlig_analys"), parts, has_data=analysis is not None)


def _forskola_section(ctx: PageContext, *, kod: str, lasar: int, name: str) -> Section:
    """A förskola's barnintervjuer and observationer per läroplan area
    (``params/analyser/<YEAR>/forskola/<kod>.yml``, :mod:`pipeline.periods.forskola`), shown after
    the staffing figures and the vårdnadshavarenkät; said aloud when the file is missing."""
    from pipeline.periods.forskola import evidence_rows

    sid = "forskola-underlag"
    rows = evidence_rows(ctx.params_dir, lasar, kod, lambda a: ctx.label("perioder", "forskola_omraden", a))
    columns = [
        ctx.label("perioder", "kolumn_omrade"),
        ctx.label("perioder", "forskola_barnintervjuer"),
        ctx.label("perioder", "forskola_observationer"),
    ]
    if rows is None:
        parts = [M.p(ctx.label("perioder", "forskola_saknas", lasar=lasar, kod=kod), "analys-saknas")]
        return _section(sid, ctx.label("perioder", "forskola_underlag"), parts, has_data=False)
    empty = ctx.label("perioder", "forskola_tom")
    table_rows = [[r["omrade"], r["barnintervjuer"] or empty, r["observationer"] or empty] for r in rows]
    caption = ctx.label("perioder", "forskola_tabell", enhet=name, lasar_text=ctx.lasar_text(lasar))
    parts = [
        M.p(ctx.label("perioder", "forskola_intro")),
        M.table(caption, columns, table_rows, "datatabell forskola-underlag", numeric_from=len(columns)),
    ]
    data = pd.DataFrame(table_rows, columns=columns)
    return _section(sid, ctx.label("perioder", "forskola_underlag"), parts, data=data)


# ----------------------------------------------------------------------------------- the pages
def _kicker(ctx: PageContext, *, skolform: str, lasar: int) -> str:
    form = get_school_form(skolform)
    return ctx.label(
        "sida", "kicker", huvudman=ctx.huvudman_namn, skolform=form.name, lasar_text=ctx.lasar_text(lasar)
    )


def _build(
    ctx: PageContext,
    *,
    skolform: str,
    skolenhetskod: str,
    lasar: int,
    name: str,
    title: str,
    analysis_kod: str,
) -> Page:
    form = get_school_form(skolform)
    lasar = int(lasar)
    sl = ctx.slice(form.code, lasar)
    said: set[str] = set()  # the notes on comparisons, each said once on the page
    sections = [
        _summary_section(
            ctx, sl, skolform=form.code, skolenhetskod=skolenhetskod, lasar=lasar, name=name, said=said
        ),
        _analysis_section(
            ctx, kod=analysis_kod, lasar=lasar, name=name, skolform=form.code, skolenhetskod=skolenhetskod
        ),
    ]
    for area in form.quality_areas:
        sections.append(
            _area_section(
                ctx,
                sl,
                area=area,
                skolform=form.code,
                skolenhetskod=skolenhetskod,
                lasar=lasar,
                name=name,
                said=said,
            )
        )
    if form.own_evidence and skolenhetskod and ctx.analyses:
        sections.append(_forskola_section(ctx, kod=skolenhetskod, lasar=lasar, name=name))
    kicker = _kicker(ctx, skolform=form.code, lasar=lasar)
    return Page(title, form.code, skolenhetskod, lasar, kicker, tuple(sections))


def unit_page(
    *, skolform: str, skolenhetskod: str, lasar: int, processed_dir: str | Path, params_dir: str | Path
) -> Page:
    """The page of one skolenhet in one school form and läsår.

    Parameters
    ----------
    skolform
        School-form code (``GR``).
    skolenhetskod
        The unit (8 digits, as text).
    lasar
        Spring year of the läsår (2024 = 2023/24).
    processed_dir, params_dir
        The processed tables and the params folder.

    Raises
    ------
    UnknownSchoolFormError
        ``skolform`` is not a known code.
    AnalysisFileError
        The unit's written analysis (this year or last) is malformed.
    DataValidationError
        ``indikatorer.parquet`` is missing, or the unit has no rows at all in that school form.
    """
    form = get_school_form(skolform)
    skolenhetskod = str(skolenhetskod)
    ctx = load_context(processed_dir, params_dir)
    codes = ctx.unit_codes(form.code)
    if skolenhetskod not in codes:
        known = sorted(codes)
        raise DataValidationError(
            f"{ctx.processed_dir / 'indikatorer.parquet'}: no rows for skolenhet {skolenhetskod!r} in {form.name} "
            f"({form.code}); set the notebook parameter skolenhetskod to one of {known[:10]}"
            f"{' ...' if len(known) > 10 else ''}."
        )
    name = ctx.unit_name(form.code, skolenhetskod)
    title = ctx.label(
        "sida", "unit_title", enhet=name, skolform=lower_first(form.name), lasar=ctx.lasar_text(int(lasar))
    )
    return _build(
        ctx,
        skolform=form.code,
        skolenhetskod=skolenhetskod,
        lasar=lasar,
        name=name,
        title=title,
        analysis_kod=skolenhetskod,
    )


def overview_page(*, skolform: str, lasar: int, processed_dir: str | Path, params_dir: str | Path) -> Page:
    """The huvudman's page for one school form and läsår (units compared side by side).

    Parameters are as for :func:`unit_page`, without ``skolenhetskod``. The written analysis is
    ``params/analyser/<lasar>/<skolform>.md``.
    """
    form = get_school_form(skolform)
    ctx = load_context(processed_dir, params_dir)
    name = ctx.huvudman_namn
    title = ctx.label(
        "sida", "overview_title", skolform=form.name, huvudman=name, lasar=ctx.lasar_text(int(lasar))
    )
    return _build(
        ctx, skolform=form.code, skolenhetskod="", lasar=lasar, name=name, title=title, analysis_kod=form.code
    )


def exploration(
    *,
    skolform: str,
    skolenhetskod: str,
    lasar: int,
    indikator: str,
    grupp: str,
    processed_dir: str | Path,
    params_dir: str | Path,
) -> Page:
    """A small page for the exploration notebook: one indicator and group over the years, per
    level and unit, with its trend (for the unit, or the huvudman when ``skolenhetskod`` is ``""``),
    the units compared and the flickor/pojkar gap.
    """
    form = get_school_form(skolform)
    ctx = load_context(processed_dir, params_dir)
    ind = ctx.registry.get(indikator)
    lasar = int(lasar)
    notes = Notes("utforska-tabell")
    df = ctx.indikatorer
    sel = df[(df["skolform"] == form.code) & (df["indikator"] == ind.id) & (df["grupp"] == grupp)]
    years = sorted(set(sel["lasar"]))
    order = {"enhet": 0, "huvudman": 1, "kommun": 2, "jamforelse": 3, "riket": 4}
    keys = sorted(
        {
            (r["niva"], r["skolenhetskod"], r["enhet"])
            for r in sel[["niva", "skolenhetskod", "enhet"]].to_dict("records")
        },
        key=lambda k: (order.get(k[0], 9), k[2], k[1]),
    )
    lookup = {(r["niva"], r["skolenhetskod"], int(r["lasar"])): r for r in sel.to_dict("records")}
    rows = [
        [name or ctx.label("nivaer", niva)]
        + [value_html(lookup.get((niva, kod, y)), ind, notes) for y in years]
        for niva, kod, name in keys
    ]
    enhet_col = ctx.label("tabell", "enhet", **ctx.words(form.code))
    data = pd.DataFrame.from_records(
        [
            {
                enhet_col: name or ctx.label("nivaer", niva),
                **{
                    ctx.lasar_text(y): round_value(lookup[(niva, kod, y)]["varde"], ind.decimaler)
                    if _shown(lookup.get((niva, kod, y)))
                    else None
                    for y in years
                },
            }
            for niva, kod, name in keys
        ]
    )
    caption = ctx.label("utforska", "tabell_caption", indikator=ind.label, grupp=ctx.group_label(grupp))
    table = html_table(
        caption=caption,
        columns=[enhet_col, *[ctx.lasar_text(y) for y in years]],
        rows=rows,
    )
    texts = _note_texts(ctx, form.code)
    first = _section(
        "utforska-tabell",
        ctx.label("utforska", "tabell_rubrik"),
        [table, notes_html(notes, texts, ctx.label("markering", "fotnoter"))],
        data=data,
        footnotes=tuple(t for _, _, t in note_items(notes, texts)),
    )
    fig_notes = Notes("utforska-diagram")
    figs = [
        figures.trend_figure(
            ctx,
            ind=ind,
            skolform=form.code,
            skolenhetskod=skolenhetskod,
            lasar=lasar,
            fig_id="utforska-trend",
            notes=fig_notes,
        ),
        figures.caterpillar_figure(
            ctx,
            ind=ind,
            skolform=form.code,
            lasar=lasar,
            fig_id="utforska-enheter",
            highlight=skolenhetskod,
            notes=fig_notes,
        ),
        figures.gap_figure(
            ctx,
            ind=ind,
            skolform=form.code,
            skolenhetskod=skolenhetskod,
            lasar=lasar,
            fig_id="utforska-kon",
            notes=fig_notes,
        ),
    ]
    second = _section(
        "utforska-diagram",
        ctx.label("utforska", "diagram_rubrik"),
        [],
        figures_=tuple(f for f in figs if f is not None),
        after=[notes_html(fig_notes, texts, ctx.label("markering", "fotnoter"))],
        footnotes=tuple(t for _, _, t in note_items(fig_notes, texts)),
    )
    title = ctx.label("utforska", "titel", indikator=ind.label)
    kicker = _kicker(ctx, skolform=form.code, lasar=lasar)
    return Page(title, form.code, skolenhetskod, lasar, kicker, (first, second))


def readable_indicators(
    *,
    skolform: str,
    processed_dir: str | Path,
    params_dir: str | Path,
    indikator: str | None = None,
    grupp: str | None = None,
    decimals: bool = True,
) -> pd.DataFrame:
    """The indicator table of one school form as readers see it: Swedish column names
    (``kolumner`` in ``labels.yml``), indicator and group names, läsår as ``2023/24``, values
    rounded to each indicator's decimals (``decimals=False`` keeps them exact), hidden values
    empty and counts under the suppression threshold empty.

    Pivot it in a notebook, e.g.
    ``tabell.pivot_table(index="Enhet", columns="Läsår", values="Värde")``.
    """
    form = get_school_form(skolform)
    ctx = load_context(processed_dir, params_dir)
    df = ctx.indikatorer
    df = df[df["skolform"] == form.code]
    if indikator is not None:
        df = df[df["indikator"] == ctx.registry.get(indikator).id]
    if grupp is not None:
        df = df[df["grupp"] == grupp]
    df = df.copy()
    threshold = ctx.params.installningar.undertryck_min_antal
    dec = {i.id: i.decimaler for i in ctx.registry.indicators}
    hidden = df["undertryckt"].fillna(False).astype(bool) if "undertryckt" in df.columns else False
    for col in ("varde", "ki_lag", "ki_hog"):
        vals = [
            None
            if h
            else (round_value(v, dec.get(i, 1)) if decimals else (None if is_missing(v) else float(v)))
            for v, i, h in zip(
                df[col],
                df["indikator"],
                hidden if not isinstance(hidden, bool) else [False] * len(df),
                strict=True,
            )
        ]
        df[col] = pd.array(vals, dtype="Float64")
    df["antal"] = pd.array(
        [None if is_missing(a) or float(a) < threshold else int(a) for a in df["antal"]], dtype="Int64"
    )
    df["indikator"] = [ctx.registry.get(i).label for i in df["indikator"]]
    df["grupp"] = [ctx.group_label(g) for g in df["grupp"]]
    df["niva"] = [ctx.params.label("nivaer", n, default=n) for n in df["niva"]]
    df["lasar"] = [ctx.lasar_text(int(y)) for y in df["lasar"]]
    keep = [
        c
        for c in (
            "lasar",
            "niva",
            "skolenhetskod",
            "enhet",
            "indikator",
            "grupp",
            "varde",
            "ki_lag",
            "ki_hog",
            "antal",
        )
        if c in df.columns
    ]
    return df[keep].rename(columns={c: ctx.label("kolumner", c) for c in keep}).reset_index(drop=True)
