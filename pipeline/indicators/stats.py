"""Interval estimates and tests used by the indicators, vectorised over numpy arrays.

- proportions: Wilson score interval (Wilson 1927; as recommended by Brown, Cai & DasGupta 2001),
  two-proportion z-test with pooled variance;
- means: Student's t interval, Welch's t-test from group statistics (mean, standard error, n);
- differences and other estimates with a standard error: normal (z) interval and test;
- rates (cases per 100): exact Poisson (Garwood) interval;
- intraclass correlation: one-way ANOVA ICC(1) with the F-distribution based interval
  (Searle 1971; Donner 1986).

Every function takes and returns arrays (or scalars) and never mutates its input.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps


def _z(konfidensniva: float) -> float:
    return float(sps.norm.ppf(0.5 + konfidensniva / 2))


def wilson_interval(successes, n, *, konfidensniva: float = 0.95):
    """Wilson score interval for a proportion, on the 0-1 scale.

    Parameters
    ----------
    successes, n
        Counts (arrays broadcast together). ``n == 0`` gives NaN.
    konfidensniva
        Confidence level, e.g. 0.95.

    Returns
    -------
    (lower, upper)
        Arrays of bounds in [0, 1].
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _z(konfidensniva)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    lo = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    hi = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return lo, hi


def t_interval(mean, sd, n, *, konfidensniva: float = 0.95):
    """Student's t interval for a mean: ``mean ± t(n-1) · sd / sqrt(n)`` (NaN for n < 2)."""
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n >= 2, n - 1, np.nan)
        t = sps.t.ppf(0.5 + konfidensniva / 2, df)
        half = t * sd / np.sqrt(n)
    return mean - half, mean + half


def z_interval(estimate, se, *, konfidensniva: float = 0.95):
    """Normal interval ``estimate ± z · se``."""
    est = np.asarray(estimate, dtype=float)
    half = _z(konfidensniva) * np.asarray(se, dtype=float)
    return est - half, est + half


def welch_df(se1, n1, se2, n2):
    """Welch-Satterthwaite degrees of freedom from two standard errors and group sizes."""
    se1, se2 = np.asarray(se1, dtype=float) ** 2, np.asarray(se2, dtype=float) ** 2
    n1, n2 = np.asarray(n1, dtype=float), np.asarray(n2, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (se1 + se2) ** 2 / (se1**2 / (n1 - 1) + se2**2 / (n2 - 1))


def welch_interval(mean1, sd1, n1, mean2, sd2, n2, *, konfidensniva: float = 0.95):
    """Difference of means ``mean1 - mean2`` with Welch's interval.

    Returns
    -------
    (difference, se, lower, upper)
    """
    n1, n2 = np.asarray(n1, dtype=float), np.asarray(n2, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se1 = np.asarray(sd1, dtype=float) / np.sqrt(n1)
        se2 = np.asarray(sd2, dtype=float) / np.sqrt(n2)
        diff = np.asarray(mean1, dtype=float) - np.asarray(mean2, dtype=float)
        se = np.sqrt(se1**2 + se2**2)
        df = welch_df(se1, n1, se2, n2)
        t = sps.t.ppf(0.5 + konfidensniva / 2, df)
    return diff, se, diff - t * se, diff + t * se


def welch_test(mean1, se1, n1, mean2, se2, n2):
    """Two-sided Welch t-test from group statistics; returns p-values (NaN where undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.asarray(mean2, dtype=float) - np.asarray(mean1, dtype=float)
        se = np.sqrt(np.asarray(se1, dtype=float) ** 2 + np.asarray(se2, dtype=float) ** 2)
        df = welch_df(se1, n1, se2, n2)
        t = diff / se
        p = 2 * sps.t.sf(np.abs(t), df)
    return np.where(se > 0, p, np.where(diff == 0, 1.0, np.nan))


def two_proportion_test(p1, n1, p2, n2):
    """Two-sided two-proportion z-test with pooled variance; ``p`` on the 0-1 scale."""
    p1, p2 = np.asarray(p1, dtype=float), np.asarray(p2, dtype=float)
    n1, n2 = np.asarray(n1, dtype=float), np.asarray(n2, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (p2 - p1) / se
        p = 2 * sps.norm.sf(np.abs(z))
    # identical proportions at 0 or 1: no evidence of change
    return np.where(se > 0, p, np.where(p1 == p2, 1.0, np.nan))


def z_test(est1, se1, est2, se2):
    """Two-sided z-test of ``est2 - est1`` with independent standard errors."""
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(np.asarray(se1, dtype=float) ** 2 + np.asarray(se2, dtype=float) ** 2)
        z = (np.asarray(est2, dtype=float) - np.asarray(est1, dtype=float)) / se
        return np.where(se > 0, 2 * sps.norm.sf(np.abs(z)), np.nan)


def poisson_rate_test(k1, n1, k2, n2):
    """Two-sided exact conditional test of equal Poisson rates ``k1/n1`` and ``k2/n2``.

    Given ``k1 + k2`` cases, ``k2`` is binomial with ``p = n2 / (n1 + n2)`` under equal rates
    (Przyborowski & Wilenski 1940); p = min(1, 2 · the smaller tail).
    """
    k1, k2 = np.rint(np.asarray(k1, dtype=float)), np.rint(np.asarray(k2, dtype=float))
    n1, n2 = np.asarray(n1, dtype=float), np.asarray(n2, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = k1 + k2
        prob = n2 / (n1 + n2)
        lower = sps.binom.cdf(k2, total, prob)
        upper = sps.binom.sf(k2 - 1, total, prob)
        p = np.minimum(1.0, 2 * np.minimum(lower, upper))
    return np.where(total > 0, p, 1.0)


def poisson_interval(count, *, konfidensniva: float = 0.95):
    """Exact (Garwood) interval for a Poisson count."""
    k = np.asarray(count, dtype=float)
    a = 1 - konfidensniva
    lo = np.where(k > 0, sps.chi2.ppf(a / 2, 2 * k) / 2, 0.0)
    hi = sps.chi2.ppf(1 - a / 2, 2 * (k + 1)) / 2
    return lo, hi


def icc_oneway(values, groups, *, konfidensniva: float = 0.95):
    """Intraclass correlation ICC(1) from a one-way ANOVA with its F-based interval.

    ``ICC = (MSB - MSW) / (MSB + (n0 - 1) MSW)`` with ``n0 = (N - sum(n_j^2)/N) / (k - 1)``; the
    interval transforms the bounds ``F / F_{1-a/2}(k-1, N-k)`` and ``F / F_{a/2}(k-1, N-k)`` the same
    way (Searle 1971, Donner 1986). Estimate and bounds are clipped to [0, 1].

    Returns
    -------
    (icc, lower, upper, n, k)
        NaN for fewer than two groups or no within-group variation.
    """
    v = np.asarray(values, dtype=float)
    g = np.asarray(groups)
    codes, uniq = _codes(g)
    k = len(uniq)
    n_total = len(v)
    if k < 2 or n_total - k < 1:
        return np.nan, np.nan, np.nan, n_total, k
    nj = np.bincount(codes).astype(float)
    sums = np.bincount(codes, weights=v)
    means = sums / nj
    grand = v.mean()
    ssb = float(np.sum(nj * (means - grand) ** 2))
    ssw = float(np.sum((v - means[codes]) ** 2))
    msb, msw = ssb / (k - 1), ssw / (n_total - k)
    if msw <= 0:
        return np.nan, np.nan, np.nan, n_total, k
    n0 = (n_total - np.sum(nj**2) / n_total) / (k - 1)
    f_obs = msb / msw
    a = 1 - konfidensniva
    f_lo = f_obs / sps.f.ppf(1 - a / 2, k - 1, n_total - k)
    f_hi = f_obs / sps.f.ppf(a / 2, k - 1, n_total - k)

    def to_icc(f):
        return float(np.clip((f - 1) / (f + n0 - 1), 0, 1))

    return to_icc(f_obs), to_icc(f_lo), to_icc(f_hi), n_total, k


def _codes(g):
    uniq, codes = np.unique(g.astype(str), return_inverse=True)
    return codes, uniq
