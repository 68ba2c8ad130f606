"""The implementation behind :func:`pipeline.indicators.build_indicator_outputs` (see the
package docstring for the definitions and decisions)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.errors import DataValidationError
from pipeline.indicators import core
from pipeline.indicators.changes import compute_forandringar, compute_jamforelser
from pipeline.indicators.core import (
    aggregate_values,
    attach_skolform,
    explode_groups,
    finish_cells,
)
from pipeline.indicators.fordelning import compute_fordelning
from pipeline.indicators.forskola import RATIOS
from pipeline.indicators.grundskola import compute_meritvarde
from pipeline.indicators.gymnasieskola import leavers
from pipeline.indicators.miljo import compute_elevantal
from pipeline.indicators.programmes import follow_programme_history
from pipeline.indicators.published import published_rows
from pipeline.indicators.registry import VALUE_STATISTICS
from pipeline.indicators.suppression import row_key, suppress
from pipeline.indicators.vuxenutbildning import explode_kursomrade
from pipeline.validate.schemas import CANONICAL_TABLES, INDICATOR_COLUMNS, empty_table, validate_table

__all__ = ["build_indicator_outputs", "computed_kinds", "SORT_ORDER"]  # and COMPUTED (module __getattr__)

SORT_ORDER = ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"]


def computed_kinds(registry=None) -> dict[str, str]:
    """Every computed indicator id -> its ``statistik`` (from the registry: intervals, suppression,
    the disclosure audit). ``COMPUTED`` is this dictionary for the default registry."""
    if registry is None:
        from pipeline.indicators.registry import load_indicator_registry

        registry = load_indicator_registry()
    return registry.computed_kinds()


def __getattr__(name: str):
    if name == "COMPUTED":
        return computed_kinds()
    raise AttributeError(f"module 'pipeline.indicators.build' has no attribute {name!r}")


def _call_with_tables(fn: Callable, t: dict[str, pd.DataFrame], **context) -> pd.DataFrame:
    """Call a value function with the canonical tables its parameters name (``betyg``, ``elever``,
    ...) and any of ``context`` (e.g. ``senaste_lasar``) it accepts."""
    kwargs = {}
    for name, p in inspect.signature(fn).parameters.items():
        if name in t:
            kwargs[name] = t[name]
        elif name in context:
            kwargs[name] = context[name]
        elif p.default is p.empty:
            raise TypeError(f"{fn.__module__}.{fn.__name__}: parameter {name!r} is no canonical table")
    return fn(**kwargs)


def _step(registry, *ids: str) -> Callable:
    """The one compute function the registry names for ``ids`` (a step of several indicators)."""
    paths = {registry.get(i).berakning for i in ids}
    if len(paths) != 1:
        raise DataValidationError(
            f"params/indikatorer.yml: {list(ids)} must share one berakning, got {sorted(paths)}"
        )
    return registry.get(ids[0]).compute_function()


def _tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    out = {}
    for name in CANONICAL_TABLES:
        df = tables.get(name)
        out[name] = empty_table(name) if df is None else df
    return out


def _value_frames(t: dict[str, pd.DataFrame], registry) -> list[tuple[pd.DataFrame, dict, str, str]]:
    """(value frame, indicators by id, kalla, person column) for every value function the registry
    names for a ``medel`` / ``andel`` indicator, in registry order.

    The person column identifies whom a row is about (``respondent_id`` for survey indicators,
    whose ``antal`` counts respondents; ``elev_id`` otherwise); a cell's ``antal`` counts those persons.
    """
    senaste = None
    years = [int(df["lasar"].max()) for n, df in t.items() if len(df) and "lasar" in df and n != "publicerad"]
    if years:
        senaste = max(years)
    by_function: dict[str, dict] = {}
    for ind in registry.indicators:
        if ind.is_computed and ind.statistik in VALUE_STATISTICS:
            by_function.setdefault(ind.berakning, {})[ind.id] = ind
    out = []
    for inds in by_function.values():
        first = next(iter(inds.values()))
        values = _call_with_tables(first.compute_function(), t, senaste_lasar=senaste)
        survey = {i.antal_avser == "respondenter" for i in inds.values()}
        if len(survey) != 1:
            raise DataValidationError(
                f"params/indikatorer.yml: the indicators of {first.berakning} must all count respondents "
                f"or all count pupils (antal_avser), got {sorted((i.id, i.antal_avser) for i in inds.values())}"
            )
        if survey.pop():
            out.append((values, inds, core.KALLA_ENKAT, "respondent_id"))
        else:
            out.append((values, inds, core.KALLA_ELEVREGISTER, "elev_id"))
    return out


def _va_pupils(t: dict[str, pd.DataFrame], units: pd.DataFrame, forms_of: dict) -> pd.DataFrame:
    """Outcome/prior pupil rows for the value-added models, with school forms from the register."""
    parts = []
    b = t["betyg"]
    if len(b) and (b["arskurs"] == 6).any() and (b["arskurs"] == 9).any():
        m9 = compute_meritvarde(b, arskurs=9)
        m9 = m9[m9["godkant"]]
        m6 = compute_meritvarde(b, arskurs=6)[["lasar", "elev_id", "meritvarde_17"]].rename(
            columns={"lasar": "lasar_6", "meritvarde_17": "prior"}
        )
        j = m9.merge(m6, on="elev_id", how="inner")
        j = (
            j[j["lasar_6"] < j["lasar"]]
            .sort_values(["lasar", "elev_id", "lasar_6"])
            .drop_duplicates(["lasar", "elev_id"], keep="last")
        )
        bg = core.background(t["elever"])
        j = j.merge(bg, on=["lasar", "elev_id"], how="left")
        parts.append(j.assign(utfall=j["meritvarde_17"], indikator="foradlingsvarde_residual"))
    s = t["gy_studievag"]
    if len(s):
        lv = leavers(s, t["kursbetyg"])
        lv = lv[lv["gbp"].notna() & lv["meritvarde_ak9"].notna()]
        lv = lv.merge(core.background(t["elever"], by_lasar=False), on="elev_id", how="left")
        parts.append(
            lv.assign(utfall=lv["gbp"], prior=lv["meritvarde_ak9"], indikator="foradlingsvarde_residual")
        )
    if not parts:
        return pd.DataFrame()
    p = pd.concat(
        [
            x[
                [
                    "lasar",
                    "skolenhetskod",
                    "elev_id",
                    "utfall",
                    "prior",
                    "kon",
                    "nyanland",
                    "foraldrar_utbildning",
                    "indikator",
                ]
            ]
            for x in parts
        ],
        ignore_index=True,
    )
    p["skolenhetskod"] = p["skolenhetskod"].astype("string")
    # the school form comes from the unit register, limited to the forms of the VA indicators
    p = p.merge(units, on="skolenhetskod", how="inner")
    p = p[p["skolform"].isin(forms_of.get("foradlingsvarde_residual", ()))]
    return p.drop_duplicates(["skolform", "lasar", "elev_id"]).drop(columns="indikator")


def _check_published_antal(pub: pd.DataFrame, registry) -> None:
    """A published ``antal`` must be of an indicator whose registry entry says whom it counts.

    Raises
    ------
    DataValidationError
        A published row carries an ``antal`` for an indicator with ``antal_avser: ingen``.
    """
    if len(pub) == 0:
        return
    ingen = [i.id for i in registry.indicators if i.antal_avser == "ingen"]
    bad = pub[pub["indikator"].isin(ingen).to_numpy() & pub["antal"].notna().to_numpy()]
    if len(bad):
        first = bad[["lasar", "niva", "indikator", "grupp", "antal", "kalla"]].head(3).to_dict("records")
        raise DataValidationError(
            f"table 'publicerad': {len(bad)} rows carry an `antal` for indicators whose registry entry "
            f"says `antal_avser: ingen` (the source publishes no count), e.g. {first}. Either the reader "
            "maps a column that is not a count of persons to `antal` (fix the reader), or the source "
            "does publish how many persons the value is built on: then name them in "
            "params/indikatorer_publicerade.yml (`antal_avser: elever`, `barn` or `respondenter`)."
        )


def build_indicator_outputs(
    tables: dict[str, pd.DataFrame],
    *,
    huvudman_namn: str,
    kommunkod: str,
    installningar,
    registry=None,
    mal: Sequence = (),
    jamforelsegrupp_namn: str = "Jämförelsegrupp",
    programmes: Mapping | None = None,
) -> dict[str, pd.DataFrame]:
    """Compute every indicator from the canonical tables.

    Parameters
    ----------
    tables
        Canonical tables by name (any may be missing or empty).
    huvudman_namn, kommunkod
        Who the report is about (``enhet`` of huvudman rows; published rows of this kommun kept).
    installningar
        :class:`pipeline.config.Installningar` (suppression threshold, VA minimum, cohorts pooled
        and assumed cohort variance, significance level, confidence level, trend years).
    registry
        The indicator registry; :func:`load_indicator_registry` by default.
    mal
        Local targets (``Params.mal``) for the comparisons; none by default.
    jamforelsegrupp_namn
        Name of the aggregated comparison-group rows.
    programmes
        The national programmes with their history (code → :class:`pipeline.ingest.program.Program`);
        :func:`pipeline.ingest.program.programmes` by default. A replaced programme's published
        rows are keyed to its current code (:mod:`pipeline.indicators.programmes`).

    Returns
    -------
    dict
        ``indikatorer`` (schema ``Indikatorer``, validated, sorted), ``forandringar``,
        ``jamforelser``, ``va_modell``, ``va_enheter``, ``va_metod`` (the value-added model's R²
        and variance components per school form and läsår, for the method page), ``fordelning``
        and ``placeringar`` (the units' quartiles and ranks, :mod:`pipeline.indicators.fordelning`),
        ``programbyten`` (the rows of a replaced programme shown under its current code).
    """
    if registry is None:
        from pipeline.indicators.registry import load_indicator_registry

        registry = load_indicator_registry()
    konf = installningar.konfidensniva
    t = _tables(tables)
    forms_of = {ind.id: ind.skolform for ind in registry.indicators}
    register = t["skolenheter"]
    units = register[["skolenhetskod", "skolform"]].astype("string")

    cells = []
    pupil_values = []
    for values, inds, kalla, person in _value_frames(t, registry):
        if len(values) == 0:
            continue
        values = values.copy()
        values["skolenhetskod"] = values["skolenhetskod"].astype("string")
        values["indikator"] = values["indikator"].astype("string")
        values = attach_skolform(values, register, forms_of)
        for ind in sorted(values["indikator"].unique().tolist()):
            entry = inds.get(ind)
            if entry is None:
                raise DataValidationError(
                    f"{next(iter(inds.values())).berakning} returned values of {ind!r}, which "
                    "params/indikatorer.yml does not name as computed by it (berakning)."
                )
            v = values[values["indikator"].eq(ind)]
            ex = explode_groups(v, groups=tuple(g for g in entry.grupper if g != "kursomrade"))
            if "kursomrade" in entry.grupper:
                add = explode_kursomrade(v)
                if len(add):
                    ex = pd.concat([ex, add], ignore_index=True)
            pupil_values.append(ex[["lasar", "skolform", "skolenhetskod", "indikator", "grupp", "value"]])
            cells.append(
                aggregate_values(ex, typ=entry.statistik, konfidensniva=konf, kalla=kalla, person=person)
            )
    fs_units = units[units["skolform"].isin([f for f in forms_of.get("barn_per_arsarbetare", ())])]
    cells.append(_step(registry, *RATIOS)(t["fs_personal"], fs_units))
    elevantal = compute_elevantal(t["elever"], t["fs_personal"], t["vux_kurser"], units)
    elevantal = elevantal[elevantal["skolform"].isin(forms_of.get("elevantal", ()))]
    cells.append(_step(registry, "elevantal")(elevantal))
    av_forms = forms_of.get("avvikelser_per_100", ())
    cells.append(
        _step(registry, "avvikelser_per_100")(
            t["avvikelser"], elevantal[elevantal["skolform"].isin(av_forms)], konfidensniva=konf
        )
    )
    va_pupils = _va_pupils(t, units, forms_of)
    va_cells, va_enheter, va_modell, va_metod = _step(
        registry, "foradlingsvarde_kvot", "foradlingsvarde_residual"
    )(
        va_pupils,
        va_min_antal=installningar.va_min_antal,
        konfidensniva=konf,
        va_kohorter=installningar.va_kohorter,
        va_kohortvarians_andel=installningar.va_kohortvarians_andel,
    )
    cells.append(va_cells)
    base = (
        pd.concat([c for c in cells if len(c)], ignore_index=True)
        if any(len(c) for c in cells)
        else finish_cells(None)
    )
    differences = _step(
        registry, "konsskillnad_meritvarde", "bakgrundsskillnad_meritvarde", "konsskillnad_gbp"
    )
    cells.append(differences(base, konfidensniva=konf))
    if pupil_values:
        pv = pd.concat(pupil_values, ignore_index=True)
        cells.append(_step(registry, "mellanskolvarians")(pv, konfidensniva=konf))
    allc = [c for c in cells if len(c)]
    computed = finish_cells(pd.concat(allc, ignore_index=True) if allc else None)
    # indicators of other forms (a unit running two forms) are dropped by attach_skolform already;
    # keep only rows whose indicator is in the registry for that form
    allowed = {f"{i}|{f}" for i, fs in forms_of.items() for f in fs}
    computed = computed[
        (computed["indikator"].astype(str) + "|" + computed["skolform"].astype(str)).isin(allowed).to_numpy()
    ]
    computed = suppress(
        computed,
        min_antal=installningar.undertryck_min_antal,
        skyddsintervall=installningar.skyddsintervall,
    )

    reg1 = register.drop_duplicates("skolenhetskod")
    names = pd.Series(
        reg1["enhet"].astype(str).to_numpy(), index=reg1["skolenhetskod"].astype(str).to_numpy()
    )
    computed["enhet"] = np.where(
        computed["niva"].eq("enhet"),
        computed["skolenhetskod"].astype(str).map(names).fillna(""),
        huvudman_namn,
    )
    computed["markering"] = np.where(
        computed["undertryckt"], "undertryckt", np.where(computed["varde"].isna(), "saknas", "")
    )
    computed["stat"] = computed["typ"]

    pub = published_rows(
        t["publicerad"],
        huvudman_namn=huvudman_namn,
        kommunkod=kommunkod,
        jamforelsegrupp_namn=jamforelsegrupp_namn,
        utan_gruppvarde={i.id for i in registry.indicators if i.is_count},
    )
    _check_published_antal(pub, registry)
    if programmes is None:
        from pipeline.ingest.program import programmes as load_programmes

        programmes = load_programmes()
    # a replaced programme's rows (HA) continue the current code's series (FS), before changes
    pub, programbyten = follow_programme_history(pub, programmes)
    shares = {i.id: "andel" for i in registry.indicators if i.is_share}
    pub = pub.assign(se=np.nan, stat=pub["indikator"].map(shares).fillna("publicerad"))
    # own computation wins over a published row with the same key
    keys = ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"]
    if len(pub) and len(computed):
        ck = row_key(computed, keys)
        pk = row_key(pub, keys)
        pub = pub[~pk.isin(set(ck)).to_numpy()]
    cols = [*INDICATOR_COLUMNS, "se", "stat"]
    frames = [f[cols] for f in (computed, pub) if len(f)]
    full = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({c: [] for c in cols})
    full = full.sort_values(keys, kind="mergesort").reset_index(drop=True)

    riktning = {i.id: i.riktning for i in registry.indicators}
    enhet_of = {i.id: i.enhet for i in registry.indicators}
    full["undertryckt"] = full["undertryckt"].astype(bool)
    forandringar = compute_forandringar(
        full,
        trend_ar=installningar.trend_ar,
        signifikansniva=installningar.signifikansniva,
        riktning=riktning,
        enhet_of=enhet_of,
        enhet_ord_of={i.id: i.enhet_ord for i in registry.indicators},
    )
    jamforelser = compute_jamforelser(
        full, mal=tuple(mal), signifikansniva=installningar.signifikansniva, riktning=riktning
    )

    ind = full[INDICATOR_COLUMNS].copy()
    for c in ("skolform", "niva", "skolenhetskod", "enhet", "indikator", "grupp", "kalla", "markering"):
        ind[c] = ind[c].astype("string").fillna("")
    ind["lasar"] = ind["lasar"].astype("int64")
    ind["antal"] = pd.array(ind["antal"], dtype="Int64")
    for c in ("varde", "ki_lag", "ki_hog"):
        ind[c] = ind[c].astype("float64")
    ind = validate_table("indikatorer", ind.reset_index(drop=True))
    va_enheter = va_enheter.copy()
    fordelning, placeringar = compute_fordelning(ind, register, va_enheter)
    return {
        "indikatorer": ind,
        "forandringar": forandringar,
        "jamforelser": jamforelser,
        "va_modell": va_modell,
        "va_enheter": va_enheter,
        "va_metod": va_metod,
        "fordelning": fordelning,
        "placeringar": placeringar,
        "programbyten": programbyten,
    }
