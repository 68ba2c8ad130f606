"""``make report YEAR=2024 PERIOD=2``: the period's verksamhetsanalyser under ``reports/<YEAR>/<PERIOD>/``.

Per school form a short report (``<skolform>.html``: the form's indicators that exist in the
period, this period against the same period of the previous läsår, per unit; the written analysis
from ``params/analyser/<YEAR>/<PERIOD>/<SKOLFORM>.md``; the development areas with status) and its
presentation (``<skolform>-presentation.html``, offline slides from the same values). Per unit a
kvalitetsdialog sheet (``kvalitetsdialog/<kod>.html`` and a one-page PDF), and the läsår's
årshjul (``arshjul.html``, ``arshjul-<YEAR>.ics``).

Published like the full report: assembled in a staging folder, scanned for pupil-level
information, swapped in whole (:mod:`pipeline.atomic`); rebuilt byte for byte from the same input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from pipeline.atomic import staged_directory
from pipeline.errors import ConfigError
from pipeline.indicators.registry import IndicatorRegistry, load_indicator_registry
from pipeline.killpoints import checkpoint
from pipeline.paths import ProjectPaths
from pipeline.periods.config import Period, Perioder, load_perioder
from pipeline.periods.engine import exists_in, period_indicators
from pipeline.progress import log
from pipeline.publishing.board import unit_questions
from pipeline.publishing.format import format_change, format_number, format_value, lasar_text
from pipeline.publishing.presentation import ASSETS_NAME, Slide, SlideTable, build_presentation
from pipeline.school_forms import SCHOOL_FORMS, get_school_form

TEMPLATES = Path(__file__).resolve().parent.parent / "publishing" / "templates" / "periods"
#: Significant changes shown on the presentation's change slide (the largest first).
MAX_SLIDE_ROWS = 8


@dataclass
class PeriodResult:
    year: int
    period: str
    report_dir: Path
    files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"Verksamhetsanalyser {self.period} {self.year}: {len(self.files)} files in {self.report_dir}"


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


class _Labels:
    """``labels.perioder`` with ``{placeholders}`` filled (the values are escaped by Jinja)."""

    def __init__(self, labels: dict) -> None:
        self._l = labels

    def __call__(self, key: str, **kw: Any) -> str:
        node: Any = self._l["perioder"]
        for k in key.split("."):
            node = node[k]
        return str(node).format(**kw) if kw else str(node)


# ------------------------------------------------------------------------------ values


def _fmt(row: pd.Series | None, ind) -> str:
    if row is None:
        return "–"
    if bool(row["undertryckt"]):
        return "–"
    return format_value(
        row["varde"], enhet=ind.enhet, decimals=ind.decimaler, markering=row["markering"] or ""
    )


def _lookup(df: pd.DataFrame, **keys: Any) -> pd.Series | None:
    m = pd.Series(True, index=df.index)
    for k, v in keys.items():
        m &= df[k] == v
    hit = df[m]
    return None if hit.empty else hit.iloc[0]


def change_word(ch: pd.Series | None, L: _Labels) -> tuple[str, str]:
    """(text, css class) for a change row of ``forandringar``."""
    if ch is None:
        return L("ingen_jamforelse"), "neutral"
    bed = ch["riktning_bedomning"]
    delta = format_change(ch["forandring"], enhet=ch["forandring_enhet"] or "", decimals=1)
    word = {
        "forbattring": ("signifikant_battre", "battre"),
        "forsamring": ("signifikant_samre", "samre"),
        "okning": ("signifikant_okning", "neutral"),
        "minskning": ("signifikant_minskning", "neutral"),
        "ej_testad": ("ej_testad", "neutral"),
    }.get(bed, ("ej_signifikant", "neutral"))
    return f"{delta}: {L(word[0])}", word[1]


def _antal(row: pd.Series | None, threshold: int) -> str:
    if row is None or pd.isna(row["antal"]):
        return "–"
    n = int(row["antal"])
    return f"färre än {threshold}" if n < threshold else format_number(n, 0)


def form_rows(
    ind: pd.DataFrame,
    ch: pd.DataFrame,
    registry: IndicatorRegistry,
    form: str,
    period: Period,
    year: int,
    *,
    niva: str = "huvudman",
    kod: str = "",
    L: _Labels,
    threshold: int,
) -> tuple[list[dict], list[str], bool]:
    """The table rows of one school form (or unit): indicators that exist in the period, with this
    period, the same period last year and the change. Also the labels of indicators that exist in
    the period but have no value this year (said aloud), and whether any previous value exists."""
    rows, missing, any_before = [], [], False
    sel = ind[(ind["skolform"] == form) & (ind["niva"] == niva) & (ind["grupp"] == "samtliga")]
    if niva == "enhet":
        sel = sel[sel["skolenhetskod"] == kod]
    chs = ch[(ch["skolform"] == form) & (ch["niva"] == niva) & (ch["grupp"] == "samtliga")] if len(ch) else ch
    if niva == "enhet" and len(chs):
        chs = chs[chs["skolenhetskod"] == kod]
    for i in registry.for_skolform(form):
        if not exists_in(i, period):
            continue  # absent: not a row, not zero, not 'saknas'
        now = _lookup(sel, indikator=i.id, lasar=year)
        before = _lookup(sel, indikator=i.id, lasar=year - 1)
        if now is None:
            missing.append(i.kort or i.label)
            continue
        any_before |= before is not None
        c = _lookup(chs, indikator=i.id) if len(chs) else None
        text, css = change_word(c, L)
        rows.append(
            {
                "id": i.id,
                "label": i.kort or i.label,
                "nu": _fmt(now, i),
                "fore": _fmt(before, i),
                "forandring": text,
                "klass": css,
                "antal": _antal(now, threshold),
                "signifikant": bool(c is not None and c["signifikant"]),
                "abs_z": abs(float(c["forandring"]))
                if c is not None and not pd.isna(c["forandring"])
                else 0.0,
            }
        )
    return rows, missing, any_before


def _areas(paths: ProjectPaths, year: int, form: str, codes: set[str], L: _Labels) -> list[dict]:
    """The development areas worked on during läsår ``year`` (decided in ``year - 1``'s report)
    that concern ``form`` (or one of its units, or the huvudman with this form), with status now."""
    from pipeline.utveckling import areas_path, read_areas_file

    assert paths.params is not None  # set by ProjectPaths.__post_init__
    prev_path = areas_path(paths.params, year - 1)
    if not prev_path.exists():
        return []
    previous = read_areas_file(prev_path).omraden
    now_path = areas_path(paths.params, year)
    status_now = {u.id: u for u in read_areas_file(now_path).uppfoljning} if now_path.exists() else {}
    out = []
    for a in previous:
        concerns = (
            (a.niva == "skolform" and a.skolform == form)
            or (a.niva == "enhet" and a.skolenhetskod in codes)
            or (a.niva == "huvudman" and (a.skolform in (None, form)))
        )
        if not concerns:
            continue
        follow = status_now.get(a.id)
        out.append(
            {
                "id": a.id,
                "omrade": a.omrade,
                "aktivitet": a.aktivitet,
                "ansvarig": a.ansvarig,
                "tidplan": a.tidplan,
                "status": follow.status if follow else a.status,
                "kommentar": follow.kommentar if follow else "",
                "skolenhetskod": a.skolenhetskod or "",
            }
        )
    return out


# ------------------------------------------------------------------------------ build


def _units(tables: dict[str, pd.DataFrame], ind: pd.DataFrame, year: int) -> pd.DataFrame:
    """The huvudman's units in the register (every unit gets its sheet, even in a period without
    figures for it: the sheet then says so)."""
    reg = tables["skolenheter"][["skolenhetskod", "skolform", "enhet"]].drop_duplicates(
        ["skolform", "skolenhetskod"]
    )
    return reg.sort_values(["skolform", "skolenhetskod"]).reset_index(drop=True)


def _analysis(paths: ProjectPaths, year: int, pid: str, form: str):
    from pipeline.publishing.analyses import parse_analysis, render_markdown

    assert paths.params is not None  # set by ProjectPaths.__post_init__
    p = paths.params / "analyser" / str(year) / pid / f"{form}.md"
    if not p.exists():
        return None
    a = parse_analysis(p.read_text(encoding="utf-8"), p)
    return {k: render_markdown(a.text(k)) for k in ("resultat", "analys", "utvecklingsomraden")}


def build_period_report(
    year: int,
    period_id: str,
    *,
    paths: ProjectPaths | None = None,
    data_dir: Path | None = None,
    kommun: str | None = None,
    pdf: bool = True,
    skip_unknown: bool = False,
) -> PeriodResult:
    """Build ``reports/<year>/<period_id>/`` (see the module docstring)."""
    from pipeline import report as full
    from pipeline.ingest import load_tables

    full._source_date_epoch()
    paths = (paths or ProjectPaths()).for_source(data_dir, kommun)
    assert paths.params is not None and paths.processed is not None  # set by ProjectPaths.__post_init__
    perioder = load_perioder(paths.params)
    period = perioder.get(period_id)
    log(f"[1/4] Reading raw data for {period.namn} {lasar_text(year)} ...")
    raw = full.ensure_raw_data(paths, data_dir)
    params = full.resolve_params(paths, kommun)
    full._ingest(raw, paths, full.read_context(params), force=False, skip_unknown=skip_unknown)
    tables = load_tables(paths.processed)
    years = sorted({int(y) for n in ("elever",) for y in tables[n]["lasar"].unique()})
    if year not in years:
        raise ConfigError(
            f"No data for läsår {lasar_text(year)} (YEAR={year}). Years in the data: {years}. "
            "Give YEAR as the spring year of a läsår in the data."
        )
    log(
        f"[2/4] Computing the period's indicators ({period.namn}, and the same period of {lasar_text(year - 1)}) ..."
    )
    registry = load_indicator_registry()
    out = period_indicators(
        tables,
        period,
        perioder,
        year,
        huvudman_namn=params.huvudman.namn,
        kommunkod=params.huvudman.kommunkod,
        installningar=params.installningar,
        mal=params.mal,
        registry=registry,
    )
    ind, ch, jf = out["indikatorer"], out["forandringar"], out["jamforelser"]
    if ch is None or not len(ch):
        ch = pd.DataFrame(columns=["skolform", "niva", "skolenhetskod", "grupp", "indikator"])
    units = _units(tables, ind, year)
    log("[3/4] Writing the verksamhetsanalyser, presentations and kvalitetsdialog sheets ...")
    target = paths.report_dir(year) / period_id
    names, ids = full.identities(raw, full.read_context(params))
    with staged_directory(target) as stage:
        files = write_period_site(
            stage,
            year=year,
            period=period,
            perioder=perioder,
            ind=ind,
            ch=ch,
            jf=jf,
            units=units,
            registry=registry,
            params=params,
            paths=paths,
            pdf=pdf,
        )
        log("[4/4] Scanning for pupil-level information and swapping the new folder in ...")
        from pipeline.publishing.leak import assert_no_leaks, scan_published

        allowed = [params.huvudman.namn, *units["enhet"].tolist()]
        assert_no_leaks(
            scan_published(stage, forbidden_names=names, forbidden_ids=ids, allowed_names=allowed)
        )
        checkpoint("period.swap")
    return PeriodResult(year=year, period=period_id, report_dir=target, files=files)


def _mal_of(params, form: str) -> dict[str, float]:
    """The local targets of ``form`` (group samtliga): indicator id -> target."""
    return {m.indikator: float(m.varde) for m in params.mal if m.skolform == form and m.grupp == "samtliga"}


def write_period_site(
    stage: Path,
    *,
    year: int,
    period: Period,
    perioder: Perioder,
    ind: pd.DataFrame,
    ch: pd.DataFrame,
    jf: pd.DataFrame | None,
    units: pd.DataFrame,
    registry: IndicatorRegistry,
    params,
    paths: ProjectPaths,
    pdf: bool,
) -> list[str]:
    """Write every file of the period folder into ``stage``; returns their relative paths."""
    from pipeline.periods.arshjul import arshjul_context, ics_text
    from pipeline.periods.forskola import evidence_rows

    assert paths.params is not None  # set by ProjectPaths.__post_init__
    L = _Labels(params.labels)
    env = _env()
    threshold = params.installningar.undertryck_min_antal
    written: list[str] = []
    lt, lt0 = lasar_text(year), lasar_text(year - 1)
    lo, hi = period.window(year)
    common = {
        "L": L,
        "huvudman": params.huvudman.namn,
        "period": period,
        "year": year,
        "lasar_text": lt,
        "lasar_fore": lt0,
        "fran": _date(lo),
        "till": _date(hi),
    }

    def put(rel: str, text: str) -> None:
        p = stage / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        written.append(rel)

    forms = []
    sheets = []
    # the full report's kvalitetsdialog questions, on the period's tables (changes from the same
    # period last year, differences and targets in the period): only where something is significant
    questions = unit_questions(ch, jf, lasar=year, registry=registry, label=params.label)
    for code in SCHOOL_FORMS:
        form = get_school_form(code)
        fu = units[units["skolform"] == code]
        rows, missing, any_before = form_rows(ind, ch, registry, code, period, year, L=L, threshold=threshold)
        if fu.empty:
            continue
        per_unit = []
        for u in fu.itertuples(index=False):
            urows, umissing, _ = form_rows(
                ind,
                ch,
                registry,
                code,
                period,
                year,
                niva="enhet",
                kod=u.skolenhetskod,
                L=L,
                threshold=threshold,
            )
            per_unit.append({"kod": u.skolenhetskod, "enhet": u.enhet, "rows": {r["id"]: r for r in urows}})
            evidence = None
            if form.own_evidence:
                evidence = evidence_rows(
                    paths.params, year, u.skolenhetskod, lambda a: L(f"forskola_omraden.{a}")
                )
            mal = _mal_of(params, code)
            sheets.append(
                {
                    "kod": u.skolenhetskod,
                    "enhet": u.enhet,
                    "skolform": form.name,
                    "fs": form.own_evidence,
                    "rows": [
                        {
                            **r,
                            "mal": format_value(
                                mal[r["id"]],
                                enhet=registry.get(r["id"]).enhet,
                                decimals=registry.get(r["id"]).decimaler,
                            )
                            if r["id"] in mal
                            else "–",
                        }
                        for r in urows
                    ],
                    "missing": umissing,
                    "fragor": list(questions.get(u.skolenhetskod, ())),
                    "evidence": evidence,
                    "areas": [
                        a
                        for a in _areas(paths, year, code, {u.skolenhetskod}, L)
                        if a["skolenhetskod"] == u.skolenhetskod
                    ],
                }
            )
        significant = sorted((r for r in rows if r["signifikant"]), key=lambda r: -r["abs_z"])[
            :MAX_SLIDE_ROWS
        ]
        ctx = {
            **common,
            "form": form,
            "rows": rows,
            "missing": missing,
            "any_before": any_before,
            "units": per_unit,
            "analysis": _analysis(paths, year, period.id, code),
            "areas": _areas(paths, year, code, set(fu["skolenhetskod"]), L),
            "significant": significant,
            "evidence_units": [x for x in sheets if x["fs"] and x["kod"] in set(fu["skolenhetskod"])],
        }
        put(f"{form.slug}.html", env.get_template("verksamhetsanalys.html.j2").render(**ctx))
        out = stage / f"{form.slug}-presentation.html"
        for f in build_presentation(
            period_slides(ctx, L),
            L("titel_skolform", skolform=form.name, period=period.namn, lasar_text=lt),
            out,
            stage / ASSETS_NAME,
            labels={"navigering": params.label("presentation", "navigering")},
        ):
            written.append(f.relative_to(stage).as_posix())
        forms.append({"form": form, "rows": len(rows), "analysis": ctx["analysis"] is not None})

    for s in sheets:
        html = env.get_template("kvalitetsdialog.html.j2").render(**common, s=s, print_mode=False)
        put(f"kvalitetsdialog/{s['kod']}.html", html)
    if pdf and sheets:
        from pipeline.publishing.pdf import normalize_pdf, open_printer

        margin = {"top": "12mm", "bottom": "12mm", "left": "14mm", "right": "14mm"}
        with open_printer() as printer:
            for s in sheets:
                html = env.get_template("kvalitetsdialog.html.j2").render(**common, s=s, print_mode=True)
                # one A4 page: shrink to fit (A4 less the margins is 688 x 1032 CSS px)
                height = printer.content_height(html, 688)
                scale = min(1.0, 1000 / height) if height > 0 else 1.0
                data = normalize_pdf(
                    printer.pdf(
                        html,
                        header=None,
                        footer=None,
                        margin=margin,
                        scale=scale,
                        what=f"the sheet of {s['kod']}",
                    )
                )
                rel = f"kvalitetsdialog/{s['kod']}.pdf"
                (stage / rel).write_bytes(data)
                written.append(rel)

    aj = arshjul_context(paths, year, perioder, units, L)
    put("arshjul.html", env.get_template("arshjul.html.j2").render(**common, aj=aj))
    put(f"arshjul-{year}.ics", ics_text(aj, year, params.huvudman.namn))
    put(
        "index.html",
        env.get_template("index.html.j2").render(**common, forms=forms, sheets=sheets),
    )
    return sorted(set(written))


def period_slides(ctx: dict[str, Any], L: _Labels) -> list[Slide]:
    """A school form's slides for the period, from the same values as its verksamhetsanalys: the
    title, the key figures against the same period last year, the significant changes, the written
    analysis and the development areas with status (:mod:`pipeline.publishing.presentation`)."""
    form, period, lt, lt0 = ctx["form"], ctx["period"], ctx["lasar_text"], ctx["lasar_fore"]
    now = L("denna_period", period=period.id, lasar_text=lt)
    before = L("samma_period_fore", period=period.id, lasar_text=lt0)
    title = Slide(
        kind="title",
        title=L("titel_skolform", skolform=form.name, period=period.namn, lasar_text=lt),
        lead=L("ingress", huvudman=ctx["huvudman"], fran=ctx["fran"], till=ctx["till"], lasar_fore=lt0),
    )
    rows = ctx["rows"]
    missing = (L("saknas_text", lista=", ".join(ctx["missing"])),) if ctx["missing"] else ()
    figures = Slide(
        title=L("bild_nyckeltal"),
        lead="" if rows else L("inga_uppgifter", skolform=form.name),
        table=SlideTable(
            L("resultat"),
            (L("indikator"), now, before),
            tuple((r["label"], r["nu"], r["fore"]) for r in rows),
        )
        if rows
        else None,
        notes=missing,
        dense=len(rows) > MAX_SLIDE_ROWS,
    )
    sig = ctx["significant"]
    changes = Slide(
        title=L("bild_forandringar"),
        lead="" if sig else L("inga_forandringar"),
        table=SlideTable(
            L("forandring"),
            (L("indikator"), before, now, L("forandring")),
            tuple((r["label"], r["fore"], r["nu"], r["forandring"]) for r in sig),
        )
        if sig
        else None,
    )
    analysis, areas = ctx["analysis"], ctx["areas"]
    text = Slide(
        title=L("analys"),
        lead=""
        if analysis
        else L("analys_saknas", lasar=ctx["year"], period_id=period.id, skolform=form.code),
        body=Markup(analysis["analys"])
        if analysis
        else Markup(""),  # Markdown rendered by the analyses module
        dense=True,
    )
    status = Slide(
        title=L("utvecklingsomraden"),
        lead="" if areas else L("inga_omraden", skolform=form.name, lasar_text=lt),
        table=SlideTable(
            L("utvecklingsomraden"),
            (L("aktivitet"), L("status")),
            tuple((a["aktivitet"], a["status"]) for a in areas),
        )
        if areas
        else None,
        dense=len(areas) > MAX_SLIDE_ROWS,
    )
    return [title, figures, changes, text, status]


def _date(d: dt.date) -> str:
    from pipeline.publishing.format import format_date

    return format_date(d)
