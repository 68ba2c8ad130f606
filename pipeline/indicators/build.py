"""The implementation behind :func:`pipeline.indicators.build_indicator_outputs` (see the
package docstring for the definitions and decisions)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
from pipeline.indicators.foradlingsvarde import compute_value_added
from pipeline.indicators.forskola import RATIOS, compute_forskola_cells
from pipeline.indicators.grundskola import compute_grundskola_values, compute_meritvarde
from pipeline.indicators.gymnasieskola import compute_gymnasieskola_values, leavers
from pipeline.indicators.likvardighet import compute_difference_cells, compute_mellanskolvarians_cells
from pipeline.indicators.miljo import (
    compute_avvikelser_cells,
    compute_elevantal,
    compute_elevantal_cells,
    compute_enkat_values,
    compute_franvaro_values,
)
from pipeline.indicators.published import published_rows
from pipeline.indicators.suppression import row_key, suppress
from pipeline.indicators.vuxenutbildning import compute_vux_values, explode_kursomrade
from pipeline.validate.schemas import CANONICAL_TABLES, INDICATOR_COLUMNS, empty_table, validate_table

__all__ = ["build_indicator_outputs", "COMPUTED", "SORT_ORDER"]

SORT_ORDER = ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"]

_ALL = ("kon", "foraldrar", "nyanland")

#: Pupil-level indicators: id -> (statistic kind, groups). Their value frames come from the
#: functions in :data:`VALUE_SOURCES`.
PUPIL_INDICATORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "meritvarde_17": ("medel", _ALL),
    "meritvarde_16": ("medel", _ALL),
    "godkand_alla_amnen": ("andel", _ALL),
    "behorighet_yrkes": ("andel", _ALL),
    "behorighet_ekonomi": ("andel", _ALL),
    "behorighet_natur": ("andel", _ALL),
    "behorighet_estet": ("andel", _ALL),
    "ak6_godkand_alla_amnen": ("andel", _ALL),
    "np_ak9_provbetyg_ae": ("andel", _ALL),
    "gbp_examen": ("medel", _ALL),
    "gbp_examen_studiebevis": ("medel", _ALL),
    "andel_examen": ("andel", _ALL),
    "hogskoleforberedande_examen": ("andel", _ALL),
    "yrkesexamen": ("andel", _ALL),
    "examen_3ar": ("andel", _ALL),
    "examen_4ar": ("andel", _ALL),
    "gy_avbrott": ("andel", _ALL),
    "vux_godkand": ("andel", ("kon",)),
    "vux_avbrott": ("andel", ("kon",)),
    "sfi_progression": ("andel", ("kon",)),
    "sfi_avbrott": ("andel", ("kon",)),
    "trygghet": ("medel", ("kon",)),
    "studiero": ("medel", ("kon",)),
    "stimulans": ("medel", ("kon",)),
    "inflytande": ("medel", ("kon",)),
    "normer_varden": ("medel", ("kon",)),
    "vh_enkat_index": ("medel", ()),
    "franvaro_medel": ("medel", _ALL),
    "franvaro_over_10": ("andel", _ALL),
    "franvaro_over_20": ("andel", _ALL),
}

#: Every computed indicator id -> the kind of statistic (drives intervals, suppression and tests).
COMPUTED: dict[str, str] = {
    **{k: v[0] for k, v in PUPIL_INDICATORS.items()},
    **{k: "kvot" for k in RATIOS},
    "avvikelser_per_100": "rate",
    "elevantal": "antal",
    "foradlingsvarde_kvot": "va",
    "foradlingsvarde_residual": "va",
    "konsskillnad_meritvarde": "skillnad",
    "bakgrundsskillnad_meritvarde": "skillnad",
    "konsskillnad_gbp": "skillnad",
    "mellanskolvarians": "icc",
}


def _tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    out = {}
    for name in CANONICAL_TABLES:
        df = tables.get(name)
        out[name] = empty_table(name) if df is None else df
    return out


def _value_frames(t: dict[str, pd.DataFrame]) -> list[tuple[pd.DataFrame, Callable | None, str, str]]:
    """(value frame, extra-group function, kalla, person column) for every pupil-level source.

    The person column identifies whom a row is about; a cell's ``antal`` counts those persons.
    """
    senaste = None
    years = [int(df["lasar"].max()) for n, df in t.items() if len(df) and "lasar" in df and n != "publicerad"]
    if years:
        senaste = max(years)
    return [
        (
            compute_grundskola_values(t["betyg"], t["elever"], t["nationella_prov"]),
            None,
            core.KALLA_ELEVREGISTER,
            "elev_id",
        ),
        (
            compute_gymnasieskola_values(
                t["gy_studievag"], t["kursbetyg"], t["elever"], senaste_lasar=senaste
            ),
            None,
            core.KALLA_ELEVREGISTER,
            "elev_id",
        ),
        (
            compute_vux_values(t["vux_kurser"], t["elever"]),
            explode_kursomrade,
            core.KALLA_ELEVREGISTER,
            "elev_id",
        ),
        (compute_enkat_values(t["enkat"]), None, core.KALLA_ENKAT, "respondent_id"),
        (compute_franvaro_values(t["franvaro"], t["elever"]), None, core.KALLA_ELEVREGISTER, "elev_id"),
    ]


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

    Returns
    -------
    dict
        ``indikatorer`` (schema ``Indikatorer``, validated, sorted), ``forandringar``,
        ``jamforelser``, ``va_modell``, ``va_enheter``, ``va_metod`` (the value-added model's R²
        and variance components per school form and läsår, for the method page).
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
    for values, extra, kalla, person in _value_frames(t):
        if len(values) == 0:
            continue
        values = values.copy()
        values["skolenhetskod"] = values["skolenhetskod"].astype("string")
        values["indikator"] = values["indikator"].astype("string")
        values = attach_skolform(values, register, forms_of)
        for ind in sorted(values["indikator"].unique().tolist()):
            kind, groups = PUPIL_INDICATORS[ind]
            v = values[values["indikator"].eq(ind)]
            ex = explode_groups(v, groups=groups)
            if extra is not None:
                add = extra(v)
                if len(add):
                    ex = pd.concat([ex, add], ignore_index=True)
            pupil_values.append(ex[["lasar", "skolform", "skolenhetskod", "indikator", "grupp", "value"]])
            cells.append(aggregate_values(ex, typ=kind, konfidensniva=konf, kalla=kalla, person=person))
    fs_units = units[units["skolform"].isin([f for f in forms_of.get("barn_per_arsarbetare", ())])]
    cells.append(compute_forskola_cells(t["fs_personal"], fs_units))
    elevantal = compute_elevantal(t["elever"], t["fs_personal"], t["vux_kurser"], units)
    elevantal = elevantal[elevantal["skolform"].isin(forms_of.get("elevantal", ()))]
    cells.append(compute_elevantal_cells(elevantal))
    av_forms = forms_of.get("avvikelser_per_100", ())
    cells.append(
        compute_avvikelser_cells(
            t["avvikelser"], elevantal[elevantal["skolform"].isin(av_forms)], konfidensniva=konf
        )
    )
    va_pupils = _va_pupils(t, units, forms_of)
    va_cells, va_enheter, va_modell, va_metod = compute_value_added(
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
    cells.append(compute_difference_cells(base, konfidensniva=konf))
    if pupil_values:
        pv = pd.concat(pupil_values, ignore_index=True)
        cells.append(compute_mellanskolvarians_cells(pv, konfidensniva=konf))
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
    )
    _check_published_antal(pub, registry)
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
    return {
        "indikatorer": ind,
        "forandringar": forandringar,
        "jamforelser": jamforelser,
        "va_modell": va_modell,
        "va_enheter": va_enheter,
        "va_metod": va_metod,
    }
