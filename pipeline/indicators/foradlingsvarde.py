"""Förädlingsvärde (value added): how pupils' results compare with what their prior attainment
and background predict.

Two measures, both fitted per school form and läsår over the huvudman's own pupils:

(a) ``foradlingsvarde_kvot`` (the ratio used in many huvudmän's SKA reports): the outcome is
    regressed on prior attainment alone (simple OLS line ``expected = a + b · prior``); a unit's
    value is ``mean(actual) / mean(expected)`` over its pupils, so 1 = as expected and the
    huvudman population as a whole is exactly 1. Interval: ``1 + (mean residual ± t · s/√n) /
    mean(expected)`` (t interval on the unit's residuals, the expected values taken as fixed).
(b) ``foradlingsvarde_residual`` (in the spirit of Skolverket's SALSA and DfE's Progress 8, but at
    pupil level): OLS (statsmodels) of the outcome on prior attainment, kön (flicka), nyanländ and
    föräldrarnas utbildning (categories, reference = the first in sorted order); a unit's value is
    the mean residual of its pupils, with a **t interval on the unit's residuals** (n − 1 df).
    The residuals average to zero over the population (OLS with an intercept). A unit is
    "över förväntan"/"under förväntan" only when the interval excludes 0.

Outcome and prior: grundskola — meritvärde 17 in åk 9 (pupils counted in the average) vs the
same sum computed on the pupil's latest earlier åk 6 grades; gymnasieskola — GBP of avgångselever
with examen or studiebevis vs their meritvärde from åk 9 (``gy_studievag.meritvarde_ak9``).
Units with fewer than ``va_min_antal`` pupils get no value (bedömning "för få elever").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from pipeline.indicators import stats
from pipeline.indicators.core import KALLA_ELEVREGISTER, finish_cells

VA_PUPIL_COLUMNS = [
    "skolform",
    "lasar",
    "skolenhetskod",
    "elev_id",
    "utfall",
    "prior",
    "kon",
    "nyanland",
    "foraldrar_utbildning",
]
VA_ENHET_COLUMNS = [
    "skolform",
    "lasar",
    "skolenhetskod",
    "antal",
    "residual",
    "ki_lag",
    "ki_hog",
    "kvot",
    "bedomning",
]
VA_MODELL_COLUMNS = [
    "skolform",
    "lasar",
    "modell",
    "term",
    "koefficient",
    "standardfel",
    "p_varde",
    "antal",
    "r2",
]

OVER, UNDER, SOM, FA = "över förväntan", "under förväntan", "som förväntat", "för få elever"


def _design(p: pd.DataFrame) -> pd.DataFrame:
    x = pd.DataFrame(index=p.index)
    x["const"] = 1.0
    x["prior"] = p["prior"].astype(float)
    x["flicka"] = p["kon"].astype("string").eq("flicka").fillna(False).astype(float)
    x["nyanland"] = p["nyanland"].astype("boolean").fillna(False).astype(float)
    fu = p["foraldrar_utbildning"].astype("string").fillna("okand")
    cats = sorted(fu.unique())
    for c in cats[1:]:
        x[f"foraldrar_{c}"] = fu.eq(c).astype(float)
    keep = ["const"] + [c for c in x.columns if c != "const" and x[c].std(ddof=0) > 0]
    return x[keep]


def compute_value_added(pupils: pd.DataFrame, *, va_min_antal: int, konfidensniva: float):
    """Fit both value-added models.

    Parameters
    ----------
    pupils
        Columns :data:`VA_PUPIL_COLUMNS` (one row per pupil with both outcome and prior).
    va_min_antal
        Minimum number of pupils for a unit to get a value.
    konfidensniva
        Level of the unit intervals.

    Returns
    -------
    (cells, va_enheter, va_modell)
        Enhet-level cells of both indicators, one row per unit and läsår with the residual, its
        interval and the bedömning, and the coefficients of every fitted model.
    """
    enheter, modell, cells = [], [], []
    if pupils is None or len(pupils) == 0:
        return (
            finish_cells(None),
            pd.DataFrame(columns=VA_ENHET_COLUMNS),
            pd.DataFrame(columns=VA_MODELL_COLUMNS),
        )
    p_all = pupils.dropna(subset=["utfall", "prior"]).sort_values(
        ["skolform", "lasar", "skolenhetskod", "elev_id"]
    )
    for (skolform, lasar), p in p_all.groupby(["skolform", "lasar"], sort=True):
        y = p["utfall"].astype(float).to_numpy()
        prior = p["prior"].astype(float).to_numpy()
        if len(p) < 3 or np.std(prior) == 0:
            continue
        # (a) simple line
        b, a = np.polyfit(prior, y, 1)
        expected = a + b * prior
        # (b) full model
        x = _design(p)
        fit = sm.OLS(y, x.to_numpy()).fit()
        resid = fit.resid
        for term, coef, se, pv in zip(x.columns, fit.params, fit.bse, fit.pvalues, strict=True):
            modell.append((skolform, lasar, "residual", term, coef, se, pv, len(p), fit.rsquared))
        ss_tot = np.sum((y - y.mean()) ** 2)
        r2_line = 1 - np.sum((y - expected) ** 2) / ss_tot if ss_tot > 0 else np.nan
        modell.append((skolform, lasar, "kvot", "const", a, np.nan, np.nan, len(p), r2_line))
        modell.append((skolform, lasar, "kvot", "prior", b, np.nan, np.nan, len(p), r2_line))
        d = pd.DataFrame(
            {
                "skolenhetskod": p["skolenhetskod"].to_numpy(),
                "y": y,
                "exp": expected,
                "r_line": y - expected,
                "resid": resid,
            }
        )
        g = (
            d.groupby("skolenhetskod")
            .agg(
                antal=("y", "size"),
                y=("y", "mean"),
                exp=("exp", "mean"),
                r_line_sd=("r_line", "std"),
                r_line=("r_line", "mean"),
                residual=("resid", "mean"),
                resid_sd=("resid", "std"),
            )
            .reset_index()
        )
        n = g["antal"].to_numpy(dtype=float)
        lo, hi = stats.t_interval(g["residual"], g["resid_sd"], n, konfidensniva=konfidensniva)
        klo, khi = stats.t_interval(g["r_line"], g["r_line_sd"], n, konfidensniva=konfidensniva)
        kvot = g["y"] / g["exp"]
        enough = n >= va_min_antal
        bed = np.where(~enough, FA, np.where(lo > 0, OVER, np.where(hi < 0, UNDER, SOM)))
        e = pd.DataFrame(
            {
                "skolform": skolform,
                "lasar": lasar,
                "skolenhetskod": g["skolenhetskod"],
                "antal": g["antal"],
                "residual": np.where(enough, g["residual"], np.nan),
                "ki_lag": np.where(enough, lo, np.nan),
                "ki_hog": np.where(enough, hi, np.nan),
                "kvot": np.where(enough, kvot, np.nan),
                "bedomning": bed,
            }
        )
        enheter.append(e)
        with np.errstate(invalid="ignore", divide="ignore"):
            se_res = g["resid_sd"].to_numpy() / np.sqrt(n)
            se_kvot = g["r_line_sd"].to_numpy() / np.sqrt(n) / g["exp"].to_numpy()
        base = {
            "lasar": lasar,
            "skolform": skolform,
            "niva": "enhet",
            "skolenhetskod": g["skolenhetskod"],
            "grupp": "samtliga",
            "antal": g["antal"],
            "typ": "va",
            "kalla": KALLA_ELEVREGISTER,
        }
        cells.append(
            pd.DataFrame(
                {
                    **base,
                    "indikator": "foradlingsvarde_residual",
                    "varde": e["residual"],
                    "se": np.where(enough, se_res, np.nan),
                    "ki_lag": e["ki_lag"],
                    "ki_hog": e["ki_hog"],
                }
            )
        )
        cells.append(
            pd.DataFrame(
                {
                    **base,
                    "indikator": "foradlingsvarde_kvot",
                    "varde": e["kvot"],
                    "se": np.where(enough, se_kvot, np.nan),
                    "ki_lag": np.where(enough, 1 + klo / g["exp"], np.nan),
                    "ki_hog": np.where(enough, 1 + khi / g["exp"], np.nan),
                }
            )
        )
    va_enheter = pd.concat(enheter, ignore_index=True) if enheter else pd.DataFrame(columns=VA_ENHET_COLUMNS)
    va_enheter = va_enheter.sort_values(["skolform", "lasar", "skolenhetskod"]).reset_index(drop=True)
    va_modell = (
        pd.DataFrame(modell, columns=VA_MODELL_COLUMNS)
        .sort_values(["skolform", "lasar", "modell"], kind="mergesort")
        .reset_index(drop=True)
    )
    return finish_cells(pd.concat(cells, ignore_index=True) if cells else None), va_enheter, va_modell
