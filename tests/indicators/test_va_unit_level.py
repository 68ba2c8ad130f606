"""The unit level of the value-added model: cohort contrasts, variance components, pooling,
shrinkage and the small-data edges, each with the answer worked out by hand."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from pipeline.indicators.foradlingsvarde import (
    ANTAGEN,
    SKATTAD,
    cohort_components,
    compute_value_added,
    contrast_coefficients,
    pool_cohorts,
    shrink,
)
from tests.indicators.helpers import UNIT_A, UNIT_B, UNIT_C, cell

PRIORS = [100, 150, 200, 250]
#: Pupil noise orthogonal to the constant and to prior: Σe = 0, Σe·prior = 300 − 450 − 600 + 750 = 0.
NOISE = [3, -3, -3, 3]


def pupils(effects: dict[tuple[str, int], float]) -> pd.DataFrame:
    """Four pupils per unit and läsår, outcome = 2·prior + 10 + cohort effect + NOISE.

    The cohort effects sum to 0 within each läsår (equal cohorts) and every cohort has the same
    priors, so the OLS line is exactly 2·prior + 10 and a pupil's residual is its cohort effect
    plus its noise: cohort means = the effects, within-cohort sum of squares = 4 · 3² = 36.
    """
    rows = []
    for (unit, lasar), c in effects.items():
        for i, (x, e) in enumerate(zip(PRIORS, NOISE, strict=True)):
            rows.append(
                (
                    "GR",
                    lasar,
                    unit,
                    f"{unit}-{lasar}-{i}",
                    2 * x + 10 + c + e,
                    x,
                    "flicka",
                    False,
                    "gymnasial",
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "skolform",
            "lasar",
            "skolenhetskod",
            "elev_id",
            "utfall",
            "prior",
            "kon",
            "nyanland",
            "foraldrar_utbildning",
        ],
    )


def test_contrast_coefficients_by_hand():
    # one läsår, n = 10 and 30: N = 40, π = 0.25 and 0.75, Σπ² = 0.0625 + 0.5625 = 0.625
    # a = 1 − 2π + Σπ²: 1 − 0.5 + 0.625 = 1.125 and 1 − 1.5 + 0.625 = 0.125
    # b = 1/n − 1/N: 0.1 − 0.025 = 0.075 and 1/30 − 1/40 = 1/120
    c = contrast_coefficients(pd.DataFrame({"skolenhetskod": ["A", "B"], "lasar": 2024, "antal": [10, 30]}))
    assert c["a"].tolist() == pytest.approx([1.125, 0.125])
    assert c["b"].tolist() == pytest.approx([0.075, 1 / 120])


# Three units × two läsår, cohort effects A (1, 7), B (−2, −4), C (1, −3): each läsår sums to 0.
# By hand: n = 4, N = 12, π = 1/3, a = 1 − 2/3 + 1/3 = 2/3, b = 1/4 − 1/12 = 1/6.
# σ²_elev = 6 · 36 / (24 − 6) = 12.
# Q: A mean 4 → 9 + 9; B mean −3 → 1 + 1; C mean −1 → 4 + 4: Q = 28; D = 3 · (2 − 1) = 3.
# E[Q] = Σ (T−1)/T · (a σ²_kohort + b σ²_elev) over the 6 cohorts = 6 · ½ · (2/3 σ² + 2) = 2σ² + 6,
# so σ²_kohort = (28 − 6) / 2 = 11.
# Each cohort: variance 2/3 · 11 + 1/6 · 12 = 28/3, weight 3/28, so V = 1 / (2 · 3/28) = 14/3.
# d = (4, −3, −1). Balanced: Satterthwaite df = D = 3, half-width t(3) · √(14/3).
BALANCED = {
    (UNIT_A, 2023): 1,
    (UNIT_A, 2024): 7,
    (UNIT_B, 2023): -2,
    (UNIT_B, 2024): -4,
    (UNIT_C, 2023): 1,
    (UNIT_C, 2024): -3,
}


def test_variance_components_and_pooling_by_hand():
    cohorts = pd.DataFrame(
        [(u, t, 4, c, 36.0) for (u, t), c in BALANCED.items()],
        columns=["skolenhetskod", "lasar", "antal", "medel", "kvadratsumma"],
    )
    c = contrast_coefficients(cohorts)
    comp = cohort_components(c, kohortvarians_andel=0.15)
    assert comp.kalla == SKATTAD
    assert comp.sigma2_elev == pytest.approx(12)
    assert comp.sigma2_kohort == pytest.approx(11)
    assert comp.df_kohort == 3
    p = pool_cohorts(c, comp, konfidensniva=0.95).set_index("skolenhetskod")
    assert p["residual"].tolist() == pytest.approx([4, -3, -1])
    assert p["se"].tolist() == pytest.approx([np.sqrt(14 / 3)] * 3)
    assert p["frihetsgrader"].tolist() == pytest.approx([3, 3, 3])
    half = sps.t.ppf(0.975, 3) * np.sqrt(14 / 3)  # 3.182 · 2.160 = 6.875
    assert p.loc[UNIT_A, "ki_lag"] == pytest.approx(4 - half)
    assert p.loc[UNIT_A, "ki_hog"] == pytest.approx(4 + half)


def test_shrinkage_factor_balanced_by_hand():
    # d = (4, −3, −1), V = 14/3 each: Σ(d − d̄)² = 16 + 9 + 1 = 26, (J−1)/J · ΣV = 2/3 · 14 = 28/3,
    # τ² = (26 − 28/3) / 2 = 25/3, λ = (25/3) / (25/3 + 14/3) = 25/39,
    # EBLUP of A = 4 · 25/39 = 2.564, posterior SD = √(25/39 · 14/3) = 1.730
    tau2, lam, eblup, lo, hi = shrink([4, -3, -1], [14 / 3] * 3, konfidensniva=0.95)
    assert tau2 == pytest.approx(25 / 3)
    assert lam.tolist() == pytest.approx([25 / 39] * 3)
    assert eblup.tolist() == pytest.approx([100 / 39, -75 / 39, -25 / 39])
    assert hi[0] - eblup[0] == pytest.approx(1.959964 * np.sqrt(25 / 39 * 14 / 3), rel=1e-6)
    # no spread beyond the noise: τ² = 0 and every unit shrinks to the huvudman average
    tau2, lam, eblup, _, _ = shrink([1, -1, 0], [14 / 3] * 3, konfidensniva=0.95)
    assert tau2 == 0 and eblup.tolist() == [0, 0, 0]
    # fewer than three units: no shrinkage
    assert np.isnan(shrink([1, -1], [1, 1], konfidensniva=0.95)[0])


def test_compute_value_added_pools_two_cohorts_by_hand():
    cells, e, _, metod = compute_value_added(pupils(BALANCED), va_min_antal=4, konfidensniva=0.95)
    e = e[e["lasar"] == 2024].set_index("skolenhetskod")
    # the same numbers as the hand-made cohort frame above, now from pupils through the models
    assert e["residual"].tolist() == pytest.approx([4, -3, -1])
    assert e["se"].tolist() == pytest.approx([np.sqrt(14 / 3)] * 3)
    assert e["antal"].tolist() == [8, 8, 8]  # both cohorts' pupils
    assert e["antal_lasar"].tolist() == [4, 4, 4]
    assert e["residual_lasar"].tolist() == pytest.approx([7, -4, -3])
    # A's 2024 cohort alone is 7 (the old interval on it excluded 0); pooled, 4 ± 6.9 does not
    assert set(e["bedomning"]) == {"som förväntat"}
    assert e["krympning"].tolist() == pytest.approx([25 / 39] * 3)
    m = metod.set_index(["skolform", "lasar"]).loc[("GR", 2024)]
    assert (m["sd_kohort"], m["sd_elev"]) == (pytest.approx(np.sqrt(11)), pytest.approx(np.sqrt(12)))
    assert m["kohortvarians_kalla"] == SKATTAD and m["forsta_lasar"] == 2023 and m["kohorter"] == 2
    # R² of 2024's model: SS_res = 4 · 36 + (the cohort effects are residuals too) 4 · (49 + 16 + 9);
    # SS_tot adds the prior's part 4² · Σ(prior − 175)² · 3 units = 4 · 12500 · 3
    ss_res = 3 * 36 + 4 * (49 + 16 + 9)
    ss_tot = ss_res + 4 * 12500 * 3
    assert m["r2"] == pytest.approx(1 - ss_res / ss_tot)
    c = cell(cells, indikator="foradlingsvarde_residual", skolenhetskod=UNIT_A, lasar=2024)
    assert c["varde"] == pytest.approx(4) and c["antal"] == 8


def test_clear_lasting_effect_is_labelled():
    # A (10, 12), B (−5, −7), C (−5, −5): Q = 2 + 2 + 0 = 4 < E[Q | σ²_kohort = 0] = 6, so σ²_kohort = 0.
    # Each cohort: variance b σ²_elev = 1/6 · 12 = 2, V = 1 / (2 · ½) = 1; d = (11, −6, −5).
    # df (Satterthwaite) = D · (V · A / (g · Q))² with A = 2, g = (2/3) / 2 = 1/3: 3 · (2 / (4/3))² = 6.75.
    effects = {(UNIT_A, 2023): 10, (UNIT_A, 2024): 12, (UNIT_B, 2023): -5, (UNIT_B, 2024): -7}
    effects |= {(UNIT_C, 2023): -5, (UNIT_C, 2024): -5}
    _, e, _, metod = compute_value_added(pupils(effects), va_min_antal=4, konfidensniva=0.95)
    e = e[e["lasar"] == 2024].set_index("skolenhetskod")
    assert e["residual"].tolist() == pytest.approx([11, -6, -5])
    assert e["se"].tolist() == pytest.approx([1, 1, 1])
    assert e["frihetsgrader"].tolist() == pytest.approx([6.75] * 3)
    assert e.loc[UNIT_A, "ki_lag"] == pytest.approx(11 - sps.t.ppf(0.975, 6.75))
    assert e["bedomning"].tolist() == ["över förväntan", "under förväntan", "under förväntan"]
    assert metod.set_index("lasar").loc[2024, "sd_kohort"] == 0


def test_one_year_only_assumes_the_cohort_variance():
    # One läsår: σ²_kohort cannot be estimated; assumed 0.15 · σ²_elev with σ²_elev = 3 · 36 / 9 = 12:
    # 1.8. V = a · 1.8 + b · 12 = 2/3 · 1.8 + 1/6 · 12 = 3.2, df = pupil df = 12 − 3 = 9.
    effects = {(UNIT_A, 2024): 7, (UNIT_B, 2024): -4, (UNIT_C, 2024): -3}
    _, e, _, metod = compute_value_added(pupils(effects), va_min_antal=4, konfidensniva=0.95)
    e = e.set_index("skolenhetskod")
    assert e["se"].tolist() == pytest.approx([np.sqrt(3.2)] * 3)
    assert e["frihetsgrader"].tolist() == pytest.approx([9] * 3)
    assert e.loc[UNIT_A, "ki_lag"] == pytest.approx(7 - sps.t.ppf(0.975, 9) * np.sqrt(3.2))
    m = metod.iloc[0]
    assert m["kohortvarians_kalla"] == ANTAGEN and m["frihetsgrader_kohort"] == 0
    assert m["sd_kohort"] == pytest.approx(np.sqrt(1.8))
    # the assumption is a parameter: twice the share, wider interval
    _, e2, _, _ = compute_value_added(
        pupils(effects), va_min_antal=4, konfidensniva=0.95, va_kohortvarians_andel=0.3
    )
    assert e2["se"].iloc[0] == pytest.approx(np.sqrt(2 / 3 * 3.6 + 2))


def test_small_units_and_the_minimum_group():
    # The minimum holds per cohort: with 4 pupils per cohort, a minimum of 5 leaves every unit
    # without a value ("för få elever", its count is this läsår's 4), however many cohorts it has.
    _, e, _, _ = compute_value_added(pupils(BALANCED), va_min_antal=5, konfidensniva=0.95)
    assert set(e["bedomning"]) == {"för få elever"} and e["residual"].isna().all()
    assert e["antal"].tolist() == [4] * 6
    # A cohort below the minimum does not enter the unit's estimate: add a fourth unit D whose
    # 2023 cohort has 2 pupils and 2024 cohort 4. Its 2024 value is its 2024 cohort's mean
    # residual alone (one cohort used, 4 pupils), while A, B, C still pool two cohorts.
    p = pupils(BALANCED)
    d = pupils({("99990004", 2023): 0, ("99990004", 2024): 0})
    d = d[~d["elev_id"].isin(["99990004-2023-0", "99990004-2023-3"])]
    _, e, _, _ = compute_value_added(pd.concat([p, d]), va_min_antal=4, konfidensniva=0.95)
    e = e[e["lasar"] == 2024].set_index("skolenhetskod")
    assert e.loc["99990004", "kohorter"] == 1 and e.loc["99990004", "antal"] == 4
    assert e.loc["99990004", "residual"] == pytest.approx(e.loc["99990004", "residual_lasar"])
    assert e.loc[UNIT_A, "kohorter"] == 2 and e.loc[UNIT_A, "antal"] == 8


def test_window_is_the_last_cohorts():
    # va_kohorter = 1: the 2024 row uses 2024 only (mean 7 for A), whatever 2023 was
    _, e, _, metod = compute_value_added(pupils(BALANCED), va_min_antal=4, konfidensniva=0.95, va_kohorter=1)
    assert e.set_index(["lasar", "skolenhetskod"]).loc[(2024, UNIT_A), "residual"] == pytest.approx(7)
    assert set(metod["kohortvarians_kalla"]) == {ANTAGEN}


def test_only_unit_has_nothing_to_compare_with():
    effects = {(UNIT_A, 2023): 0, (UNIT_A, 2024): 0}
    _, e, _, _ = compute_value_added(pupils(effects), va_min_antal=4, konfidensniva=0.95)
    assert set(e["bedomning"]) == {"för få enheter"} and e["residual"].isna().all()


def test_variance_components_agree_with_mixedlm_reml():
    """The moment estimates against statsmodels' REML fit of the same three-level model
    (unit random intercept + unit × läsår variance component) on a simulated balanced huvudman:
    20 units × 3 läsår × 25 pupils, σ_kohort = 10, σ_elev = 30, unit effects SD 8."""
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(7)
    units, years, n = 20, 3, 25
    u = rng.normal(0, 8, units)
    rows = []
    for t in range(years):
        shock = rng.normal(0, 10, units)
        for j in range(units):
            r = u[j] + shock[j] + rng.normal(0, 30, n)
            rows += [(f"9{j:07d}", 2022 + t, x) for x in r]
    d = pd.DataFrame(rows, columns=["skolenhetskod", "lasar", "r"])
    d["r"] -= d.groupby("lasar")["r"].transform("mean")  # residuals: each läsår's mean is 0
    g = d.groupby(["skolenhetskod", "lasar"])["r"]
    cohorts = pd.DataFrame({"antal": g.size(), "medel": g.mean(), "kvadratsumma": g.var(ddof=0) * g.size()})
    comp = cohort_components(contrast_coefficients(cohorts.reset_index()), kohortvarians_andel=0.15)
    fit = smf.mixedlm(
        "r ~ 1", d, groups="skolenhetskod", vc_formula={"kohort": "0 + C(lasar)"}, re_formula="1"
    ).fit(reml=True)
    assert comp.sigma2_elev == pytest.approx(fit.scale, rel=0.02)
    # REML's model does not know the läsår centring (a factor 1 − 1/J on the cohort contrast),
    # and balanced-data ANOVA equals REML only up to that: agree within 15 %
    assert comp.sigma2_kohort == pytest.approx(float(fit.vcomp[0]), rel=0.15)
