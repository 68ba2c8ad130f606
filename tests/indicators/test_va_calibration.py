"""Fast, seeded calibration of the value-added intervals (the full one: ``make calibrate``).

Targets in every scenario: coverage of the true lasting effect 95 ± 2 % and at most 5 % of the
units without an effect called "över/under förväntan".

Tolerance. A calibration estimated from a finite number of simulated units has Monte Carlo error:
with n intervals and true coverage p, the binomial SE is √(p(1 − p)/n); for the n = 400 intervals
of a 20-unit scenario (20 replications) at p = 0.95 that is √(0.0475/400) = 1.09 percentage
points, for the 200 of the 5-unit scenario 1.54, and for the 160 zero-effect units of a 20-unit
scenario at 5 % √(0.0475/160) = 1.72. Units of one replication share their
variance estimates, so :func:`_share_and_se` takes the larger of that and the SE from the spread
of the per-replication shares. A method that meets the target passes when its estimate is within
3 SE of the target band (coverage in [93 − 3 SE, 97 + 3 SE], labelled ≤ 5 + 3 SE): a false failure
has probability about 0.1 % per check. The seed is fixed, so the run is reproducible.
"""

import time

import pandas as pd
import pytest

from pipeline.indicators.va_calibration import SCENARIOS, calibrate, format_table

#: replications per scenario: 400 intervals in the 20-unit scenarios, 200 with 5 units
FAST = {"a": 20, "b": 20, "c": 20, "d": 40}


@pytest.fixture(scope="module")
def table():
    t0 = time.perf_counter()
    parts = [calibrate([s], replikat=FAST[s.namn], seed=20240601) for s in SCENARIOS if s.namn in FAST]
    t = pd.concat(parts, ignore_index=True)
    print("\n" + format_table(t) + f"\n(fast calibration: {time.perf_counter() - t0:.1f} s)")
    return t.set_index(["scenario", "modell"])


@pytest.mark.parametrize("scenario", sorted(FAST))
def test_new_interval_covers_the_lasting_effect(table, scenario):
    r = table.loc[(scenario, "ny")]
    assert r["intervall"] >= 200
    assert 93 - 3 * r["tackning_se"] <= r["tackning"] <= 97 + 3 * r["tackning_se"]


@pytest.mark.parametrize("scenario", sorted(FAST))
def test_new_interval_rarely_labels_units_without_effect(table, scenario):
    r = table.loc[(scenario, "ny")]
    assert r["noll_enheter"] >= 100
    assert r["markerade_noll"] <= 5 + 3 * r["markerade_noll_se"]


@pytest.mark.parametrize("scenario", ["b", "c"])
def test_calibration_catches_the_old_interval_with_cohort_shocks(table, scenario):
    # the interval on one cohort's pupils alone ignores the cohort shock: far below 95 %
    r = table.loc[(scenario, "fore")]
    assert r["tackning"] < 93 - 3 * r["tackning_se"]
    assert r["markerade_noll"] > 5 + 3 * r["markerade_noll_se"]
