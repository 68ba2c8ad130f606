"""Förädlingsvärde (value added): how pupils' results compare with what their prior attainment
and background predict, as a unit's *lasting* effect pooled over several cohorts.

Two measures, both built from models fitted per school form and läsår over the huvudman's own
pupils:

(a) ``foradlingsvarde_residual`` (in the spirit of Skolverket's SALSA, DfE's Progress 8 and
    Statistics Norway's skolebidragsindikatorer): OLS (statsmodels) of the outcome on prior
    attainment, kön (flicka), nyanländ and föräldrarnas utbildning (categories, reference = the
    first in sorted order), one model per läsår. A pupil's residual is actual − expected.
(b) ``foradlingsvarde_kvot`` (the ratio used in many huvudmän's SKA reports): the same pooling on
    the residuals of a simple line ``expected = a + b · prior``; the value is
    ``1 + pooled residual / mean(expected)``, so 1 = as expected.

The unit level. A unit's cohort mean residual ``r̄_jt`` (unit j, läsår t) is modelled as

    r̄_jt = u_j + v_jt + ē_jt

with ``u_j`` the unit's lasting effect (the target), ``v_jt`` a one-year cohort shock (variance
σ²_kohort) and ``ē_jt`` the mean of the cohort's pupil noise (variance σ²_elev / n_jt). Because
every year's model has an intercept, residuals are measured from the year's huvudman average, so
a cohort's mean residual is a contrast ``r̄_jt − Σ_k π_kt r̄_kt`` (π = the units' shares of the
year's pupils), whose variance is ``a_jt σ²_kohort + b_jt σ²_elev`` with
``a_jt = 1 − 2π_jt + Σ_k π_kt²`` and ``b_jt = 1/n_jt − 1/N_t``.

For the row of läsår T the window is the ``va_kohorter`` läsår T − K + 1 … T (Norway pools two
cohorts, we default to three). In it:

- σ²_elev: pooled within-cohort variance of the pupils' residuals (df = N − number of cohorts);
- σ²_kohort: method of moments (ANOVA) on the spread of each unit's cohort means around the
  unit's mean, ``Q = Σ_j Σ_t (r̄_jt − m_j)²``, ``E[Q] = Σ_j (T_j−1)/T_j Σ_t (a_jt σ²_kohort +
  b_jt σ²_elev)``, truncated at 0 (the balanced-data REML estimate when it is positive). With
  no unit having two cohorts in the window it cannot be estimated: it is then *assumed* to be
  ``va_kohortvarians_andel · σ²_elev`` (params), stated as ``kohortvarians_kalla = "antagen"``;
- the unit's estimate: the precision-weighted mean of its cohort means,
  ``d_j = Σ w_t r̄_jt / Σ w_t`` with ``w_t = 1 / (a_jt σ²_kohort + b_jt σ²_elev)``, variance
  ``V_j = 1 / Σ w_t`` (the between-cohort variance is part of it: a unit cannot be called
  above or below expectation because one year's cohort was good or bad);
- the interval ``d_j ± t_df · √V_j`` with Satterthwaite's degrees of freedom for V_j
  (``df_j = D · (V_j A / (g_j Q))²``, D = Σ(T_j − 1), A the σ²_kohort coefficient of E[Q],
  g_j = ∂V_j/∂σ²_kohort); with the assumed σ²_kohort, the pupil df.

A unit is "över förväntan"/"under förväntan" only when that interval excludes 0. The minimum
group holds per cohort: a unit gets a value for läsår T only when its cohort of T has at least
``va_min_antal`` pupils ("för få elever" otherwise), and only its cohorts of that size enter its
estimate (smaller ones still inform the variance components), so no published value or count
mixes in a cohort below the minimum. A unit that is the only one of its school form in every
läsår of the window gets no value either ("för få enheter": its residuals are 0 by construction).

Shrinkage (for analysts, not the published value): with at least three units with a value, the
between-unit variance τ² is estimated by moments, ``τ² = max(0, (Σ(d_j − d̄)² − (J−1)/J ΣV_j) /
(J−1))``, and each unit gets the EBLUP ``λ_j d_j`` with ``λ_j = τ² / (τ² + V_j)`` and the
posterior interval ``λ_j d_j ± z √(λ_j V_j)``. The calibration (``pipeline.indicators.
va_calibration``) shows why it is not the published interval: it covers the lasting effect too
rarely with few units and far too often when no unit differs.

Outcome and prior: grundskola — meritvärde 17 in åk 9 (pupils counted in the average) vs the
same sum computed on the pupil's latest earlier åk 6 grades; gymnasieskola — GBP of avgångselever
with examen or studiebevis vs their meritvärde from åk 9 (``gy_studievag.meritvarde_ak9``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps

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
#: One row per unit and läsår (the unit has pupils that läsår). ``antal`` = pupils in the window.
VA_ENHET_COLUMNS = [
    "skolform",
    "lasar",
    "skolenhetskod",
    "antal",
    "antal_lasar",
    "kohorter",
    "residual",
    "se",
    "frihetsgrader",
    "ki_lag",
    "ki_hog",
    "kvot",
    "bedomning",
    "residual_lasar",
    "residual_krympt",
    "krympning",
    "ki_krympt_lag",
    "ki_krympt_hog",
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
#: One row per school form and läsår: what the method page says about the model.
VA_METOD_COLUMNS = [
    "skolform",
    "lasar",
    "forsta_lasar",
    "kohorter",
    "antal_elever",
    "antal_enheter",
    "r2",
    "r2_fonster",
    "sd_elev",
    "sd_kohort",
    "kohortvarians_kalla",
    "frihetsgrader_kohort",
    "sd_enhet",
    "konfidensniva",
]

OVER, UNDER, SOM, FA = "över förväntan", "under förväntan", "som förväntat", "för få elever"
#: A unit that is the school form's only unit in every läsår of the window: nothing to compare with.
FE = "för få enheter"
SKATTAD, ANTAGEN = "skattad", "antagen"


def _design(p: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Design matrix of the residual model: names and columns (constant columns dropped)."""
    fu = p["foraldrar_utbildning"].astype(object).where(p["foraldrar_utbildning"].notna(), "okand")
    fu = fu.astype(str).to_numpy()
    cols = {
        "const": np.ones(len(p)),
        "prior": p["prior"].to_numpy(dtype=float),
        "flicka": (p["kon"].astype(object).to_numpy() == "flicka").astype(float),
        "nyanland": (p["nyanland"].astype(object).to_numpy() == True).astype(float),  # noqa: E712
    }
    for c in sorted(set(fu))[1:]:
        cols[f"foraldrar_{c}"] = (fu == c).astype(float)
    keep = ["const"] + [c for c, v in cols.items() if c != "const" and v.std() > 0]
    return keep, np.column_stack([cols[c] for c in keep])


# ----------------------------------------------------------------------------- the unit level
@dataclass(frozen=True)
class CohortComponents:
    """Variance components of one window (see the module docstring)."""

    sigma2_elev: float
    sigma2_kohort: float
    kalla: str  # SKATTAD or ANTAGEN
    df_kohort: int  # D = Σ_j (T_j − 1); 0 when assumed
    df_elev: int
    q: float  # Q, the within-unit sum of squares of cohort means
    a: float  # coefficient of σ²_kohort in E[Q]


def _codes(values) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(np.asarray(values), sort=True)
    return codes, len(uniques)


def contrast_coefficients(cohorts: pd.DataFrame) -> pd.DataFrame:
    """Add ``a`` and ``b``: the variance of a cohort's mean residual (measured from the year's
    huvudman average) is ``a · σ²_kohort + b · σ²_elev``.

    ``cohorts`` has one row per unit and läsår with ``lasar`` and ``antal`` (n_jt). With
    π_jt = n_jt / N_t: ``a = 1 − 2π_jt + Σ_k π_kt²``, ``b = 1/n_jt − 1/N_t``.
    """
    yi, ny = _codes(cohorts["lasar"])
    n = cohorts["antal"].to_numpy(dtype=float)
    big_n = np.bincount(yi, n, minlength=ny)[yi]
    pi = n / big_n
    sum_pi2 = np.bincount(yi, pi**2, minlength=ny)[yi]
    return cohorts.assign(a=np.clip(1 - 2 * pi + sum_pi2, 0, None), b=np.clip(1 / n - 1 / big_n, 0, None))


def cohort_components(cohorts: pd.DataFrame, *, kohortvarians_andel: float) -> CohortComponents:
    """Estimate σ²_elev and σ²_kohort of one window.

    Parameters
    ----------
    cohorts
        One row per unit and läsår: ``skolenhetskod``, ``lasar``, ``antal``, ``medel`` (mean
        residual), ``kvadratsumma`` (within-cohort sum of squared deviations of the residuals),
        ``a``, ``b`` (:func:`contrast_coefficients`).
    kohortvarians_andel
        σ²_kohort / σ²_elev assumed when no unit has two informative cohorts.
    """
    ui, nu = _codes(cohorts["skolenhetskod"])
    n = cohorts["antal"].to_numpy(dtype=float)
    medel = cohorts["medel"].to_numpy(dtype=float)
    a, b = cohorts["a"].to_numpy(dtype=float), cohorts["b"].to_numpy(dtype=float)
    df_elev = int(n.sum() - len(n))
    sigma2_elev = float(cohorts["kvadratsumma"].sum() / df_elev) if df_elev > 0 else np.nan
    inf = (a > 0) | (b > 0)
    t_j = np.bincount(ui[inf], minlength=nu).astype(float)
    multi = inf & (t_j[ui] >= 2)
    d = int(np.sum(np.maximum(t_j[t_j >= 2] - 1, 0)))
    if d == 0 or not np.isfinite(sigma2_elev):
        s2 = kohortvarians_andel * sigma2_elev if np.isfinite(sigma2_elev) else np.nan
        return CohortComponents(sigma2_elev, s2, ANTAGEN, 0, df_elev, np.nan, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_j = np.bincount(ui[multi], medel[multi], minlength=nu) / t_j
    q = float(np.sum((medel[multi] - m_j[ui[multi]]) ** 2))
    factor = (t_j[ui[multi]] - 1) / t_j[ui[multi]]
    a_sum = float(np.sum(factor * a[multi]))
    c = float(np.sum(factor * b[multi])) * sigma2_elev
    s2 = max(0.0, (q - c) / a_sum) if a_sum > 0 else 0.0
    return CohortComponents(sigma2_elev, s2, SKATTAD, d, df_elev, q, a_sum)


def pool_cohorts(
    cohorts: pd.DataFrame, comp: CohortComponents, *, konfidensniva: float, min_antal: int = 1
) -> pd.DataFrame:
    """Pool each unit's cohort means into its lasting-effect estimate with an interval.

    Only cohorts with at least ``min_antal`` pupils enter a unit's estimate (all of them enter
    the variance components). Returns one row per unit (sorted): ``skolenhetskod``, ``kohorter``
    (cohorts used), ``antal`` (their pupils), ``residual`` (d_j), ``se`` (√V_j),
    ``frihetsgrader``, ``ki_lag``, ``ki_hog``. A unit with no cohort to use (too small, or the
    only unit of every läsår) gets NaN.
    """
    codes, uniques = pd.factorize(np.asarray(cohorts["skolenhetskod"]), sort=True)
    nu = len(uniques)
    medel = cohorts["medel"].to_numpy(dtype=float)
    a, b = cohorts["a"].to_numpy(dtype=float), cohorts["b"].to_numpy(dtype=float)
    n = cohorts["antal"].to_numpy(dtype=float)
    var = a * comp.sigma2_kohort + b * comp.sigma2_elev
    ok = (var > 0) & (n >= min_antal)
    w = np.where(ok, 1 / np.where(ok, var, 1.0), 0.0)
    sw = np.bincount(codes, w, minlength=nu)
    swr = np.bincount(codes, w * medel, minlength=nu)
    sw2a = np.bincount(codes, w**2 * a, minlength=nu)
    kohorter = np.bincount(codes, ok.astype(float), minlength=nu).astype(int)
    antal = np.bincount(codes, np.where(ok, n, 0.0), minlength=nu).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.where(sw > 0, swr / sw, np.nan)
        v = np.where(sw > 0, 1 / sw, np.nan)
        if comp.kalla == SKATTAD and comp.q > 0:
            gj = sw2a / sw**2
            df = np.where(gj > 0, comp.df_kohort * (v * comp.a / (gj * comp.q)) ** 2, comp.df_elev)
        else:
            df = np.full(nu, float(comp.df_elev))
    df = np.clip(np.nan_to_num(df, nan=1.0, posinf=1e6), 1.0, 1e6)
    half = sps.t.ppf(0.5 + konfidensniva / 2, df) * np.sqrt(v)
    return pd.DataFrame(
        {
            "skolenhetskod": uniques,
            "kohorter": kohorter,
            "antal": antal,
            "residual": est,
            "se": np.sqrt(v),
            "frihetsgrader": np.where(np.isfinite(est), df, np.nan),
            "ki_lag": est - half,
            "ki_hog": est + half,
        }
    )


def shrink(estimate, variance, *, konfidensniva: float):
    """Empirical-Bayes shrinkage of unit estimates towards 0 (the huvudman average).

    τ² by moments, ``max(0, (Σ(d_j − d̄)² − (J−1)/J · ΣV_j) / (J−1))``; ``λ_j = τ²/(τ² + V_j)``;
    EBLUP ``λ_j d_j``; posterior interval ``λ_j d_j ± z √(λ_j V_j)``. NaN with fewer than 3 units.

    Returns
    -------
    (tau2, lam, eblup, lower, upper)
    """
    d = np.asarray(estimate, dtype=float)
    v = np.asarray(variance, dtype=float)
    ok = np.isfinite(d) & np.isfinite(v)
    j = int(ok.sum())
    nan = np.full(len(d), np.nan)
    if j < 3:
        return np.nan, nan, nan, nan, nan
    dd, vv = d[ok], v[ok]
    tau2 = max(0.0, (np.sum((dd - dd.mean()) ** 2) - (j - 1) / j * vv.sum()) / (j - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        lam = np.where(ok, tau2 / (tau2 + v), np.nan)
    eblup = lam * d
    half = float(sps.norm.ppf(0.5 + konfidensniva / 2)) * np.sqrt(lam * v)
    return tau2, lam, eblup, eblup - half, eblup + half


# ----------------------------------------------------------------------------- per-year models
def _fit_years(p_all: pd.DataFrame):
    """Per school form and läsår: the two models' pupil residuals and the coefficient rows."""
    modell, parts, fits = [], [], []
    for (skolform, lasar), p in p_all.groupby(["skolform", "lasar"], sort=True):
        y = p["utfall"].astype(float).to_numpy()
        prior = p["prior"].astype(float).to_numpy()
        if len(p) < 3 or np.std(prior) == 0:
            continue
        b, a = np.polyfit(prior, y, 1)
        expected = a + b * prior
        names, x = _design(p)
        fit = sm.OLS(y, x).fit()
        for term, coef, se, pv in zip(names, fit.params, fit.bse, fit.pvalues, strict=True):
            modell.append((skolform, lasar, "residual", term, coef, se, pv, len(p), fit.rsquared))
        ss_tot = float(np.sum((y - y.mean()) ** 2))
        ss_line = float(np.sum((y - expected) ** 2))
        r2_line = 1 - ss_line / ss_tot if ss_tot > 0 else np.nan
        modell.append((skolform, lasar, "kvot", "const", a, np.nan, np.nan, len(p), r2_line))
        modell.append((skolform, lasar, "kvot", "prior", b, np.nan, np.nan, len(p), r2_line))
        fits.append((skolform, lasar, fit.rsquared, ss_tot, float(np.sum(fit.resid**2))))
        parts.append(
            pd.DataFrame(
                {
                    "skolform": skolform,
                    "lasar": lasar,
                    "skolenhetskod": p["skolenhetskod"].to_numpy(),
                    "y": y,
                    "exp": expected,
                    "r_line": y - expected,
                    "resid": fit.resid,
                }
            )
        )
    return modell, parts, pd.DataFrame(fits, columns=["skolform", "lasar", "r2", "ss_tot", "ss_res"])


def _cohort_table(d: pd.DataFrame) -> pd.DataFrame:
    """One row per skolform × läsår × unit: ``antal``, and ``medel``/``kvadratsumma`` of both
    models' residuals (``resid``; ``r_line`` with suffix ``_kvot``), and the sum of expected."""
    g = d.groupby(["skolform", "lasar", "skolenhetskod"], sort=True)
    out = pd.DataFrame({"antal": g.size()})
    for col, suffix in (("resid", ""), ("r_line", "_kvot")):
        out[f"medel{suffix}"] = g[col].mean()
        out[f"kvadratsumma{suffix}"] = g[col].var(ddof=0) * out["antal"]
    out["exp_sum"] = g["exp"].sum()
    return out.reset_index()


def _pool_window(cohorts: pd.DataFrame, *, konfidensniva: float, kohortvarians_andel: float, min_antal: int):
    c = contrast_coefficients(cohorts)
    comp = cohort_components(c, kohortvarians_andel=kohortvarians_andel)
    return pool_cohorts(c, comp, konfidensniva=konfidensniva, min_antal=min_antal), comp


def compute_value_added(
    pupils: pd.DataFrame,
    *,
    va_min_antal: int,
    konfidensniva: float,
    va_kohorter: int = 3,
    va_kohortvarians_andel: float = 0.15,
):
    """Fit both value-added models and estimate each unit's lasting effect.

    Parameters
    ----------
    pupils
        Columns :data:`VA_PUPIL_COLUMNS` (one row per pupil with both outcome and prior).
    va_min_antal
        Minimum number of pupils of a cohort: for the unit to get a value that läsår, and for the
        cohort to enter the unit's pooled estimate.
    konfidensniva
        Level of the unit intervals.
    va_kohorter
        Number of cohorts (läsår) pooled: the row of läsår T uses T − va_kohorter + 1 … T.
    va_kohortvarians_andel
        σ²_kohort as a share of σ²_elev, assumed when the window has no unit with two cohorts.

    Returns
    -------
    (cells, va_enheter, va_modell, va_metod)
        Enhet-level cells of both indicators; one row per unit and läsår (:data:`VA_ENHET_COLUMNS`);
        the coefficients of every fitted model; one row per school form and läsår with the
        residual model's R² and the variance components (:data:`VA_METOD_COLUMNS`).
    """
    empty = (
        finish_cells(None),
        pd.DataFrame(columns=VA_ENHET_COLUMNS),
        pd.DataFrame(columns=VA_MODELL_COLUMNS),
        pd.DataFrame(columns=VA_METOD_COLUMNS),
    )
    if pupils is None or len(pupils) == 0:
        return empty
    p_all = pupils.dropna(subset=["utfall", "prior"]).sort_values(
        ["skolform", "lasar", "skolenhetskod", "elev_id"]
    )
    modell, parts, fits = _fit_years(p_all)
    if not parts:
        return empty
    d = pd.concat(parts, ignore_index=True)
    d["skolenhetskod"] = d["skolenhetskod"].astype(str)
    coh = _cohort_table(d)
    line_cols = {"medel_kvot": "medel", "kvadratsumma_kvot": "kvadratsumma"}
    enheter, metod, cells = [], [], []

    def pool(cohorts: pd.DataFrame) -> tuple:
        return _pool_window(
            cohorts,
            konfidensniva=konfidensniva,
            kohortvarians_andel=va_kohortvarians_andel,
            min_antal=va_min_antal,
        )

    for (skolform, lasar), now in coh.groupby(["skolform", "lasar"], sort=True):
        first = lasar - va_kohorter + 1
        win = coh[(coh["skolform"] == skolform) & coh["lasar"].between(first, lasar)]
        res, comp = pool(win)
        lin, _ = pool(win.drop(columns=["medel", "kvadratsumma"]).rename(columns=line_cols))
        # res and lin list the window's units sorted; ``now`` (this läsår's units) is sorted too
        codes = now["skolenhetskod"].to_numpy()
        pos = np.searchsorted(res["skolenhetskod"].to_numpy(), codes)
        r, li = res.iloc[pos].reset_index(drop=True), lin.iloc[pos].reset_index(drop=True)
        used = win[win["antal"] >= va_min_antal]
        exp_sum = used.groupby("skolenhetskod")["exp_sum"].sum().reindex(codes).to_numpy()
        small = now["antal"].to_numpy() < va_min_antal
        # the pupils behind the value: its cohorts with at least va_min_antal pupils
        antal = np.where(small, now["antal"].to_numpy(), r["antal"].to_numpy())
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_exp = exp_sum / r["antal"].to_numpy()
        enough = ~small & np.isfinite(r["residual"].to_numpy())
        lo, hi = r["ki_lag"].to_numpy(), r["ki_hog"].to_numpy()
        bed = np.where(lo > 0, OVER, np.where(hi < 0, UNDER, SOM))
        bed = np.where(enough, bed, np.where(small, FA, FE))
        tau2, lam, eblup, klo, khi = shrink(
            np.where(enough, r["residual"], np.nan),
            np.where(enough, r["se"] ** 2, np.nan),
            konfidensniva=konfidensniva,
        )

        def keep(values, enough=enough):
            return np.where(enough, values, np.nan)

        out = pd.DataFrame(
            {
                "skolform": skolform,
                "lasar": lasar,
                "skolenhetskod": codes,
                "antal": antal,
                "antal_lasar": now["antal"].to_numpy(),
                "kohorter": np.where(small, 0, r["kohorter"].to_numpy()),
                "residual": keep(r["residual"]),
                "se": keep(r["se"]),
                "frihetsgrader": keep(r["frihetsgrader"]),
                "ki_lag": keep(lo),
                "ki_hog": keep(hi),
                "kvot": keep(1 + li["residual"] / mean_exp),
                "bedomning": bed,
                "residual_lasar": keep(now["medel"]),
                "residual_krympt": eblup,
                "krympning": lam,
                "ki_krympt_lag": klo,
                "ki_krympt_hog": khi,
            }
        )
        enheter.append(out)
        f = fits[(fits["skolform"] == skolform) & fits["lasar"].between(first, lasar)]
        metod.append(
            (
                skolform,
                lasar,
                int(win["lasar"].min()),
                int(win["lasar"].nunique()),
                int(win["antal"].sum()),
                int(win["skolenhetskod"].nunique()),
                float(f.loc[f["lasar"] == lasar, "r2"].iloc[0]),
                float(1 - f["ss_res"].sum() / f["ss_tot"].sum()) if f["ss_tot"].sum() > 0 else np.nan,
                float(np.sqrt(comp.sigma2_elev)),
                float(np.sqrt(comp.sigma2_kohort)),
                comp.kalla,
                comp.df_kohort,
                float(np.sqrt(tau2)),
                konfidensniva,
            )
        )
        base = {
            "lasar": lasar,
            "skolform": skolform,
            "niva": "enhet",
            "skolenhetskod": codes,
            "grupp": "samtliga",
            "antal": antal,
            "typ": "va",
            "kalla": KALLA_ELEVREGISTER,
        }
        cells.append(
            pd.DataFrame(
                {
                    **base,
                    "indikator": "foradlingsvarde_residual",
                    "varde": out["residual"],
                    "se": out["se"],
                    "ki_lag": out["ki_lag"],
                    "ki_hog": out["ki_hog"],
                }
            )
        )
        cells.append(
            pd.DataFrame(
                {
                    **base,
                    "indikator": "foradlingsvarde_kvot",
                    "varde": out["kvot"],
                    "se": keep(li["se"] / mean_exp),
                    "ki_lag": keep(1 + li["ki_lag"] / mean_exp),
                    "ki_hog": keep(1 + li["ki_hog"] / mean_exp),
                }
            )
        )
    va_enheter = pd.concat(enheter, ignore_index=True)[VA_ENHET_COLUMNS]
    va_enheter["skolenhetskod"] = va_enheter["skolenhetskod"].astype("string")
    va_enheter = va_enheter.sort_values(["skolform", "lasar", "skolenhetskod"]).reset_index(drop=True)
    va_modell = (
        pd.DataFrame(modell, columns=VA_MODELL_COLUMNS)
        .sort_values(["skolform", "lasar", "modell"], kind="mergesort")
        .reset_index(drop=True)
    )
    va_metod = pd.DataFrame(metod, columns=VA_METOD_COLUMNS)
    return finish_cells(pd.concat(cells, ignore_index=True)), va_enheter, va_modell, va_metod
