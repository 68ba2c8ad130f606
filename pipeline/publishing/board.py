"""The huvudman-level part of the report: the written assessment, the numbers beside it, and the
development areas (this year's and last year's followed up).

:func:`build_board` collects them once per build into a :class:`Board` (data first: every number
is selected from the indicator layer's tables, ``indikatorer``, ``forandringar`` and
``jamforelser``, and formatted by the one formatter). :func:`assessment_html` and
:func:`areas_html` render them through the autoescaped view templates
(``templates/views/board.html.j2``); the start page, the board PDF, the unit sheets, the unit pages
and the presentation all use these functions, so they never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from pipeline.publishing import format as fmt
from pipeline.publishing.analyses import HUVUDMAN_HEADINGS, load_assessment, render_markdown
from pipeline.publishing.format import lower_first
from pipeline.publishing.render import render
from pipeline.publishing.wording import change_sentence, unit_word
from pipeline.school_forms import get_school_form
from pipeline.utveckling import (
    Uppfoljning,
    Utvecklingsomrade,
    areas_path,
    follow_up,
    read_areas_file,
)

Label = Callable[..., str]

#: At most this many units per target in "furthest from target".
TARGET_UNITS = 3


@dataclass(frozen=True)
class TargetGap:
    """A unit that does not reach a board target this year (from ``jamforelser``, ``jamfor_med = mal``)."""

    skolform: str
    skolform_namn: str
    skolenhetskod: str
    enhet: str
    indikator: str
    indikator_namn: str
    varde: str
    mal: str
    avstand: str
    avstand_exakt: float


@dataclass(frozen=True)
class EquityRow:
    """A likvärdighet indicator at huvudman level with its change from last year."""

    skolform: str
    skolform_namn: str
    indikator: str
    indikator_namn: str
    varde: str
    varde_exakt: float | None
    forandring: Markup
    forandring_text: str


@dataclass(frozen=True)
class AreaView:
    """A development area as readers see it."""

    id: str
    niva: str
    skolform: str
    skolenhetskod: str
    vem: str
    omrade: str
    aktivitet: str
    ansvarig: str
    tidplan: str
    indikator: str
    status: str
    status_kod: str


@dataclass(frozen=True)
class FollowView:
    """Last year's area followed up: status now and its indicator's movement."""

    area: AreaView
    status: str
    kommentar: str
    varden: str
    rorelse: Markup
    rorelse_text: str
    mal_text: str


@dataclass(frozen=True)
class Board:
    """Everything of the huvudman-level part of a report year."""

    lasar: int
    huvudman: str
    assessment: tuple[tuple[str, str, Markup], ...] | None
    target_gaps: tuple[TargetGap, ...] = ()
    has_targets: bool = False
    equity: tuple[EquityRow, ...] = ()
    areas: tuple[AreaView, ...] = ()
    follow_ups: tuple[FollowView, ...] = ()
    #: Per skolenhetskod, the questions the numbers raise for its kvalitetsdialog.
    questions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    labels: Label = field(default=lambda *k, **kw: "", compare=False, repr=False)

    def areas_for(self, *, skolform: str = "", skolenhetskod: str = "") -> tuple[AreaView, ...]:
        """This year's areas of a unit (``skolenhetskod``), a school form (its form-level areas) or,
        with neither, all of them."""
        return tuple(a for a in self.areas if _matches(a, skolform, skolenhetskod))

    def follow_ups_for(self, *, skolform: str = "", skolenhetskod: str = "") -> tuple[FollowView, ...]:
        """Last year's areas followed up, selected as :meth:`areas_for`."""
        return tuple(f for f in self.follow_ups if _matches(f.area, skolform, skolenhetskod))


def _matches(a: AreaView, skolform: str, skolenhetskod: str) -> bool:
    if skolenhetskod:
        return a.niva == "enhet" and a.skolenhetskod == skolenhetskod
    if skolform:
        return a.niva == "skolform" and a.skolform == skolform
    return True


def _registry_label(registry: Any, ind_id: str) -> str:
    return registry.get(ind_id).label


def _area_view(
    a: Utvecklingsomrade, *, label: Label, registry: Any, unit_names: Mapping[str, str]
) -> AreaView:
    if a.niva == "enhet":
        vem = unit_names.get(a.skolenhetskod or "", a.skolenhetskod or "")
    elif a.niva == "skolform":
        vem = get_school_form(a.skolform or "").name
    else:
        vem = label("nivaer", "huvudman")
    indikator = label("utveckling", "ingen_indikator")
    if a.indikator is not None:
        ind = registry.get(a.indikator)
        indikator = ind.label
        if a.mal is not None:
            mal = fmt.format_value(a.mal, enhet=ind.enhet, decimals=ind.decimaler)
            indikator += f", {label('utveckling', 'mal').format(mal=mal)}"
    return AreaView(
        id=a.id,
        niva=a.niva,
        skolform=a.skolform or "",
        skolenhetskod=a.skolenhetskod or "",
        vem=vem,
        omrade=label("kvalitetsomraden", a.omrade),
        aktivitet=a.aktivitet,
        ansvarig=a.ansvarig,
        tidplan=a.tidplan,
        indikator=indikator,
        status=label("utveckling", "status", a.status),
        status_kod=a.status,
    )


def _follow_view(f: Uppfoljning, *, label: Label, registry: Any, unit_names: Mapping[str, str]) -> FollowView:
    area = _area_view(f.omrade, label=label, registry=registry, unit_names=unit_names)
    status = label("utveckling", "status", f.status)
    if not f.status_uppdaterad:
        status = label("utveckling", "ej_uppdaterad").format(
            status=status, forra=fmt.lasar_text(f.lasar_fran)
        )
    varden, rorelse, text, mal_text = "–", Markup(""), "", ""
    if f.omrade.indikator is not None:
        ind = registry.get(f.omrade.indikator)
        v = lambda x: fmt.format_value(x, enhet=ind.enhet, decimals=ind.decimaler)  # noqa: E731
        varden = label("utveckling", "varde_pil").format(fran=v(f.varde_fran), till=v(f.varde_till))
        if f.forandring is not None and not fmt.is_missing(f.forandring.get("forandring")):
            rorelse, text = change_sentence(label, f.forandring, ind)
        else:
            text = label("utveckling", "inget_varde")
            rorelse = Markup.escape(text)
        if f.mal_uppnatt is not None:
            mal_text = label("utveckling", "mal_nas" if f.mal_uppnatt else "mal_nas_inte")
    return FollowView(
        area=area,
        status=status,
        kommentar=f.kommentar,
        varden=varden,
        rorelse=rorelse,
        rorelse_text=text,
        mal_text=mal_text,
    )


def target_gaps(
    jamforelser: pd.DataFrame | None, *, lasar: int, registry: Any, n: int = TARGET_UNITS
) -> tuple[TargetGap, ...]:
    """Per board target, the ``n`` units furthest from it this year (only those that miss it),
    ordered by school form, target and distance. Selected from ``jamforelser``; the distance is its
    ``skillnad`` (value minus target), turned so that "further" is worse whatever the direction."""
    if jamforelser is None or jamforelser.empty:
        return ()
    j = jamforelser[
        (jamforelser["lasar"] == lasar)
        & (jamforelser["jamfor_med"] == "mal")
        & (jamforelser["niva"] == "enhet")
        & (jamforelser["grupp"] == "samtliga")
        & (jamforelser["bedomning"] == "ej_uppnatt")
    ]
    out: list[TargetGap] = []
    forms = list(get_school_form(c).code for c in sorted(set(j["skolform"]), key=_form_order))
    for code in forms:
        for ind_id in sorted(set(j.loc[j["skolform"] == code, "indikator"]), key=_registry_order(registry)):
            ind = registry.get(ind_id)
            rows = j[(j["skolform"] == code) & (j["indikator"] == ind_id)].copy()
            rows["_gap"] = rows["skillnad"].abs()
            rows = rows.sort_values(["_gap", "skolenhetskod"], ascending=[False, True]).head(n)
            for r in rows.to_dict("records"):
                out.append(
                    TargetGap(
                        skolform=code,
                        skolform_namn=get_school_form(code).name,
                        skolenhetskod=str(r["skolenhetskod"]),
                        enhet=str(r["enhet"]),
                        indikator=ind_id,
                        indikator_namn=ind.kort or ind.label,
                        varde=fmt.format_value(r["varde"], enhet=ind.enhet, decimals=ind.decimaler),
                        mal=fmt.format_value(r["referens_varde"], enhet=ind.enhet, decimals=ind.decimaler),
                        avstand=fmt.format_change(
                            r["skillnad"], enhet=ind.enhet_text, decimals=ind.decimaler
                        ),
                        avstand_exakt=float(r["skillnad"]),
                    )
                )
    return tuple(out)


def _form_order(code: str) -> int:
    from pipeline.school_forms import school_form_codes

    codes = school_form_codes()
    return codes.index(code) if code in codes else len(codes)


def _registry_order(registry: Any) -> Callable[[str], int]:
    ids = [i.id for i in registry.indicators]
    return lambda i: ids.index(i) if i in ids else len(ids)


def equity_rows(
    indikatorer: pd.DataFrame | None,
    forandringar: pd.DataFrame | None,
    *,
    lasar: int,
    skolformer: Sequence[str],
    registry: Any,
    label: Label,
) -> tuple[EquityRow, ...]:
    """The likvärdighet indicators of each school form at huvudman level this year, with the
    one-year change from ``forandringar`` in the report's change wording."""
    if indikatorer is None or indikatorer.empty:
        return ()
    df = indikatorer[
        (indikatorer["lasar"] == lasar)
        & (indikatorer["niva"] == "huvudman")
        & (indikatorer["grupp"] == "samtliga")
    ]
    out = []
    for code in skolformer:
        for ind in registry.for_area(code, "likvardighet"):
            rows = df[(df["skolform"] == code) & (df["indikator"] == ind.id)]
            if rows.empty:
                continue
            row = rows.iloc[0]
            hidden = bool(row.get("undertryckt", False)) or pd.isna(row["varde"])
            value = None if hidden else float(row["varde"])
            change = None
            if forandringar is not None and not forandringar.empty:
                f = forandringar[
                    (forandringar["lasar"] == lasar)
                    & (forandringar["typ"] == "ett_ar")
                    & (forandringar["skolform"] == code)
                    & (forandringar["niva"] == "huvudman")
                    & (forandringar["indikator"] == ind.id)
                    & (forandringar["grupp"] == "samtliga")
                ]
                change = None if f.empty else f.iloc[0].to_dict()
            if change is not None and not fmt.is_missing(change.get("forandring")):
                html, text = change_sentence(label, change, ind)
            else:
                text = label("forandring", "saknas")
                html = Markup.escape(text)
            unit = unit_word(label, ind)
            out.append(
                EquityRow(
                    skolform=code,
                    skolform_namn=get_school_form(code).name,
                    indikator=ind.id,
                    indikator_namn=ind.label,
                    varde=fmt.format_value(value, enhet=ind.enhet, decimals=ind.decimaler)
                    + (f" {unit}" if unit and ind.enhet not in ("procent",) and value is not None else ""),
                    varde_exakt=value,
                    forandring=html,
                    forandring_text=text,
                )
            )
    return tuple(out)


#: At most this many questions on a unit's sheet.
MAX_QUESTIONS = 6


def unit_questions(
    forandringar: pd.DataFrame | None,
    jamforelser: pd.DataFrame | None,
    *,
    lasar: int,
    registry: Any,
    label: Label,
) -> dict[str, tuple[str, ...]]:
    """Questions for each unit's kvalitetsdialog, only where the numbers give cause: a one-year
    change the test calls significant, a difference from the huvudman or riket the test calls
    significant, or a board target not reached. Selected from ``forandringar`` and ``jamforelser``
    (all pupils, this läsår), in registry order; at most :data:`MAX_QUESTIONS` per unit."""
    order = _registry_order(registry)
    found: dict[str, list[tuple[int, int, str]]] = {}
    if forandringar is not None and not forandringar.empty:
        f = forandringar[
            (forandringar["lasar"] == lasar)
            & (forandringar["typ"] == "ett_ar")
            & (forandringar["niva"] == "enhet")
            & (forandringar["grupp"] == "samtliga")
            & (forandringar["signifikant"].fillna(False).astype(bool))
        ]
        for r in f.to_dict("records"):
            if r["indikator"] not in {i.id for i in registry.indicators}:
                continue
            ind = registry.get(r["indikator"])
            _, text = change_sentence(label, r, ind)
            q = label("kvalitetsdialog", "fraga_forandring").format(
                indikator=lower_first(ind.kort or ind.label), text=text
            )
            found.setdefault(str(r["skolenhetskod"]), []).append((order(ind.id), 0, q))
    if jamforelser is not None and not jamforelser.empty:
        j = jamforelser[
            (jamforelser["lasar"] == lasar)
            & (jamforelser["niva"] == "enhet")
            & (jamforelser["grupp"] == "samtliga")
        ]
        for r in j.to_dict("records"):
            if r["indikator"] not in {i.id for i in registry.indicators}:
                continue
            ind = registry.get(r["indikator"])
            name = lower_first(ind.kort or ind.label)
            if r["jamfor_med"] == "mal" and r.get("bedomning") == "ej_uppnatt":
                q = label("kvalitetsdialog", "fraga_mal").format(
                    indikator=name,
                    varde=fmt.format_value(r["varde"], enhet=ind.enhet, decimals=ind.decimaler),
                    mal=fmt.format_value(r["referens_varde"], enhet=ind.enhet, decimals=ind.decimaler),
                )
                found.setdefault(str(r["skolenhetskod"]), []).append((order(ind.id), 1, q))
            elif (
                r["jamfor_med"] in ("huvudman", "riket")
                and bool(r.get("signifikant"))
                and not fmt.is_missing(r.get("skillnad"))
            ):
                q = label("kvalitetsdialog", "fraga_jamforelse").format(
                    indikator=name,
                    riktning=label("kvalitetsdialog", "hogre" if float(r["skillnad"]) > 0 else "lagre"),
                    referens=label("kvalitetsdialog", str(r["jamfor_med"])),
                    skillnad=fmt.format_change(r["skillnad"], enhet=ind.enhet_text, decimals=ind.decimaler),
                )
                found.setdefault(str(r["skolenhetskod"]), []).append((order(ind.id), 2, q))
    return {k: tuple(q for _, _, q in sorted(v)[:MAX_QUESTIONS]) for k, v in sorted(found.items())}


def build_board(
    *,
    params_dir: str | Path | None,
    lasar: int,
    huvudman: str,
    skolformer: Sequence[str],
    label: Label,
    registry: Any,
    indikatorer: pd.DataFrame | None = None,
    forandringar: pd.DataFrame | None = None,
    jamforelser: pd.DataFrame | None = None,
    unit_names: Mapping[str, str] | None = None,
    has_targets: bool = False,
) -> Board:
    """Collect the huvudman-level part of the report of ``lasar`` (see the module docstring).

    ``params_dir`` ``None`` gives a board without written text and areas (its pages say so).
    """
    names = dict(unit_names or {})
    assessment = None
    areas: tuple[AreaView, ...] = ()
    follows: tuple[FollowView, ...] = ()
    if params_dir is not None:
        written = load_assessment(params_dir, lasar)
        if written is not None:
            assessment = tuple(
                (
                    key,
                    label("bedomning", f"rubrik_{key}"),
                    Markup(render_markdown(written[key])) if written[key] else Markup(""),
                )
                for key, _ in HUVUDMAN_HEADINGS
            )
        now = read_areas_file(areas_path(params_dir, lasar))
        before = read_areas_file(areas_path(params_dir, lasar - 1))
        areas = tuple(_area_view(a, label=label, registry=registry, unit_names=names) for a in now.omraden)
        riktning = {i.id: i.riktning for i in registry.indicators}
        follows = tuple(
            _follow_view(f, label=label, registry=registry, unit_names=names)
            for f in follow_up(
                before.omraden,
                now.uppfoljning,
                lasar=lasar,
                indikatorer=indikatorer,
                forandringar=forandringar,
                riktning=riktning,
            )
        )
    return Board(
        lasar=int(lasar),
        huvudman=huvudman,
        assessment=assessment,
        target_gaps=target_gaps(jamforelser, lasar=lasar, registry=registry),
        has_targets=has_targets,
        equity=equity_rows(
            indikatorer, forandringar, lasar=lasar, skolformer=skolformer, registry=registry, label=label
        ),
        areas=areas,
        follow_ups=follows,
        questions=unit_questions(forandringar, jamforelser, lasar=lasar, registry=registry, label=label),
        labels=label,
    )


def _L(board: Board) -> Callable[..., str]:  # noqa: N802 - reads like a label lookup in templates
    def L(*keys: str, **fill: object) -> str:  # noqa: N802
        text = board.labels(*keys)
        return text.format(**fill) if fill else text

    return L


def assessment_html(board: Board, *, level: int = 2) -> Markup:
    """The huvudman's written assessment, or the sentence that it is not written yet (never
    hidden). Headings are ``h<level>``."""
    return render(
        "board.html.j2",
        what="bedomning",
        board=board,
        L=_L(board),
        h=level,
        lasar_text=fmt.lasar_text(board.lasar),
    )


def numbers_html(board: Board, *, level: int = 2) -> Markup:
    """The numbers beside the assessment: the units furthest from the board's targets and the
    equity gaps with their change. Headings are ``h<level>``."""
    return render(
        "board.html.j2",
        what="siffror",
        board=board,
        L=_L(board),
        h=level,
        lasar_text=fmt.lasar_text(board.lasar),
    )


def areas_html(
    board: Board,
    *,
    level: int = 2,
    skolform: str = "",
    skolenhetskod: str = "",
    vem: str = "",
    compact: bool = False,
) -> Markup:
    """This year's development areas and last year's followed up, for the huvudman (all levels),
    a school form or a unit; headings start at ``h<level>``. ``compact`` drops the responsible
    and time-plan columns (the one-page unit sheet)."""
    return render(
        "board.html.j2",
        what="utveckling",
        board=board,
        L=_L(board),
        h=level,
        areas=board.areas_for(skolform=skolform, skolenhetskod=skolenhetskod),
        follow_ups=board.follow_ups_for(skolform=skolform, skolenhetskod=skolenhetskod),
        vem=vem or board.labels("utveckling", "alla"),
        compact=compact,
        show_niva=not (skolform or skolenhetskod),
        lasar_text=fmt.lasar_text(board.lasar),
        forra=fmt.lasar_text(board.lasar - 1),
    )
