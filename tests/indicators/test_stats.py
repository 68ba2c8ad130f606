import math

import numpy as np
import pytest
from scipy import stats as sps

from pipeline.indicators import stats

Z = 1.959963984540054


def test_wilson_interval_by_hand():
    x, n = 8, 10
    p = x / n
    denom = 1 + Z**2 / n
    centre = (p + Z**2 / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / denom
    lo, hi = stats.wilson_interval(x, n)
    assert lo == pytest.approx(centre - half)
    assert hi == pytest.approx(centre + half)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.4902, 0.9433)  # published table value


@pytest.mark.parametrize("x,n", [(0, 5), (5, 5), (0, 1)])
def test_wilson_stays_in_unit_interval(x, n):
    lo, hi = stats.wilson_interval(x, n)
    assert 0 <= lo <= x / n <= hi <= 1


def test_wilson_zero_n_is_nan():
    lo, hi = stats.wilson_interval(0, 0)
    assert np.isnan(lo) and np.isnan(hi)


def test_t_interval_by_hand():
    values = [1, 2, 3, 4]
    mean = (1 + 2 + 3 + 4) / 4
    sd = math.sqrt(((1.5**2) * 2 + (0.5**2) * 2) / 3)
    t3 = 3.182446305284263
    lo, hi = stats.t_interval(mean, sd, len(values))
    assert lo == pytest.approx(mean - t3 * sd / 2)
    assert hi == pytest.approx(mean + t3 * sd / 2)


def test_t_interval_single_value_is_nan():
    lo, hi = stats.t_interval(5.0, np.nan, 1)
    assert np.isnan(lo) and np.isnan(hi)


def test_two_proportion_test_by_hand():
    pooled = (50 + 60) / 200
    se = math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    z = (0.6 - 0.5) / se
    assert stats.two_proportion_test(0.5, 100, 0.6, 100) == pytest.approx(2 * sps.norm.sf(z))


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_two_proportion_identical_extremes_is_no_change(p):
    assert stats.two_proportion_test(p, 20, p, 30) == 1.0


def test_welch_test_matches_raw_data_test():
    a = np.array([200.0, 220.0, 240.0, 210.0])
    b = np.array([180.0, 190.0, 200.0])
    se_a, se_b = a.std(ddof=1) / 2, b.std(ddof=1) / math.sqrt(3)
    p = stats.welch_test(a.mean(), se_a, 4, b.mean(), se_b, 3)
    assert p == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue)


def test_welch_interval_matches_raw_data_interval():
    f = np.array([200.0, 220.0])
    m = np.array([180.0, 190.0, 200.0])
    diff, se, lo, hi = stats.welch_interval(f.mean(), f.std(ddof=1), 2, m.mean(), m.std(ddof=1), 3)
    assert diff == pytest.approx((200 + 220) / 2 - (180 + 190 + 200) / 3)
    assert se == pytest.approx(math.sqrt(200 / 2 + 100 / 3))
    ci = sps.ttest_ind(f, m, equal_var=False).confidence_interval()
    assert (lo, hi) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_icc_by_hand():
    # groups [1,2,3] and [4,5,6]: MSB = 3·1.5²·2 / 1 = 13.5, MSW = (2 + 2) / 4 = 1, n0 = 3
    icc, lo, hi, n, k = stats.icc_oneway([1, 2, 3, 4, 5, 6], ["a", "a", "a", "b", "b", "b"])
    assert icc == pytest.approx((13.5 - 1) / (13.5 + (3 - 1) * 1))
    assert (n, k) == (6, 2)
    assert 0 <= lo <= icc <= hi <= 1


def test_icc_needs_two_groups():
    icc, *_ = stats.icc_oneway([1, 2, 3], ["a", "a", "a"])
    assert np.isnan(icc)


def test_poisson_rate_test():
    assert stats.poisson_rate_test(5, 100, 5, 100) == 1.0
    assert stats.poisson_rate_test(0, 100, 10, 100) == pytest.approx(2 * 0.5**10)
    assert stats.poisson_rate_test(0, 50, 0, 60) == 1.0


def test_poisson_interval_zero_cases():
    lo, hi = stats.poisson_interval(0)
    assert lo == 0 and hi == pytest.approx(-math.log(0.025))
