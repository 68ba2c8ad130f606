import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.indicators.core import aggregate_values, explode_groups
from pipeline.indicators.foradlingsvarde import compute_value_added
from pipeline.indicators.likvardighet import compute_difference_cells, compute_mellanskolvarians_cells
from tests.indicators.helpers import UNIT_A, UNIT_B, UNIT_C, cell


def va_pupils(rows):
    return pd.DataFrame(
        [("GR", 2024, u, f"e{i}", y, x, k, False, "gymnasial") for i, (u, y, x, k) in enumerate(rows)],
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


def test_unit_above_and_below_expectation():
    # outcome = 2·prior + 10, plus 5 at unit A and minus 5 at unit B, same priors, both sexes
    priors = [100, 150, 200, 250]
    rows = [(UNIT_A, 2 * x + 10 + 5, x, k) for x in priors for k in ("flicka", "pojke")]
    rows += [(UNIT_B, 2 * x + 10 - 5, x, k) for x in priors for k in ("flicka", "pojke")]
    rows += [(UNIT_C, 2 * 120 + 10, 120, "flicka")]  # one pupil: too few
    cells, enheter, modell, _ = compute_value_added(va_pupils(rows), va_min_antal=3, konfidensniva=0.95)
    e = enheter.set_index("skolenhetskod")
    # the model's intercept absorbs the mean unit effect (8·5 − 8·5 + 0) / 17 = 0; one läsår, so
    # the between-cohort variance is assumed (0.15 · σ²_elev, here 0: the pupils fit exactly)
    assert e.loc[UNIT_A, "residual"] == pytest.approx(5, abs=1e-9)
    assert e.loc[UNIT_B, "residual"] == pytest.approx(-5, abs=1e-9)
    assert e.loc[UNIT_A, "bedomning"] == "över förväntan"
    assert e.loc[UNIT_B, "bedomning"] == "under förväntan"
    assert e.loc[UNIT_C, "bedomning"] == "för få elever"
    assert np.isnan(e.loc[UNIT_C, "residual"])
    assert cell(cells, indikator="foradlingsvarde_residual", skolenhetskod=UNIT_C)["antal"] == 1
    assert set(modell["term"]) >= {"const", "prior"}
    assert cell(modell, modell="residual", term="prior")["koefficient"] == pytest.approx(2, abs=1e-9)


def test_unit_as_expected_when_interval_contains_zero():
    rows = [
        (UNIT_A, 2 * x + 10 + e, x, "flicka")
        for x, e in zip([100, 150, 200, 250, 300], [3, -3, 4, -4, 0], strict=True)
    ]
    rows += [
        (UNIT_B, 2 * x + 10 + e, x, "pojke")
        for x, e in zip([100, 150, 200, 250, 300], [-2, 2, 1, -1, 0], strict=True)
    ]
    _, enheter, _, _ = compute_value_added(va_pupils(rows), va_min_antal=3, konfidensniva=0.95)
    assert set(enheter["bedomning"]) == {"som förväntat"}


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([UNIT_A, UNIT_B, UNIT_C]),
            st.floats(0, 340),
            st.floats(0, 340),
            st.sampled_from(["flicka", "pojke"]),
        ),
        min_size=8,
        max_size=40,
    )
)
def test_residuals_average_to_zero_and_kvot_to_one(rows):
    p = va_pupils(rows)
    if p["prior"].std() < 1e-6:
        return
    cells, enheter, _, _ = compute_value_added(p, va_min_antal=1, konfidensniva=0.95)
    e = enheter.dropna(subset=["residual"])
    n = e["antal"].astype(float)
    assert (e["residual"] * n).sum() / n.sum() == pytest.approx(0, abs=1e-6)
    # pupil-weighted kvot: Σ n·mean(y) / Σ n·mean(expected) = 1 over the population
    k = cells[cells["indikator"] == "foradlingsvarde_kvot"]
    assert len(k) == e["skolenhetskod"].nunique()


def group_cells():
    v = pd.DataFrame(
        {
            "lasar": 2024,
            "skolform": "GR",
            "skolenhetskod": UNIT_A,
            "indikator": "meritvarde_17",
            "kon": ["flicka", "flicka", "pojke", "pojke", "pojke"],
            "foraldrar_utbildning": ["eftergymnasial", "gymnasial", "eftergymnasial", "okand", "gymnasial"],
            "nyanland": False,
            "value": [200.0, 220.0, 180.0, 190.0, 200.0],
        }
    )
    return v, aggregate_values(explode_groups(v), typ="medel", konfidensniva=0.95)


def test_konsskillnad_welch_by_hand():
    _, c = group_cells()
    d = compute_difference_cells(c, konfidensniva=0.95)
    k = cell(d, niva="enhet", indikator="konsskillnad_meritvarde")
    assert k["varde"] == pytest.approx((200 + 220) / 2 - (180 + 190 + 200) / 3)
    assert k["antal"] == 5
    from scipy import stats as sps

    ci = sps.ttest_ind([200, 220], [180, 190, 200], equal_var=False).confidence_interval()
    assert (k["ki_lag"], k["ki_hog"]) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_bakgrundsskillnad_by_hand():
    _, c = group_cells()
    d = compute_difference_cells(c, konfidensniva=0.95)
    b = cell(d, niva="huvudman", indikator="bakgrundsskillnad_meritvarde")
    assert b["varde"] == pytest.approx((200 + 180) / 2 - (220 + 190 + 200) / 3)


def test_mellanskolvarians_by_hand():
    v = pd.DataFrame(
        {
            "lasar": 2024,
            "skolform": "GR",
            "skolenhetskod": [UNIT_A] * 3 + [UNIT_B] * 3,
            "indikator": "meritvarde_17",
            "grupp": "samtliga",
            "value": [1.0, 2, 3, 4, 5, 6],
        }
    )
    c = compute_mellanskolvarians_cells(v, konfidensniva=0.95)
    r = cell(c, niva="huvudman")
    assert r["varde"] == pytest.approx(100 * (13.5 - 1) / (13.5 + 2 * 1))
    assert r["antal"] == 6
    assert r["ki_lag"] <= r["varde"] <= r["ki_hog"]


def test_mellanskolvarians_needs_two_units():
    v = pd.DataFrame(
        {
            "lasar": 2024,
            "skolform": "GR",
            "skolenhetskod": [UNIT_A] * 3,
            "indikator": "meritvarde_17",
            "grupp": "samtliga",
            "value": [1.0, 2, 3],
        }
    )
    assert len(compute_mellanskolvarians_cells(v, konfidensniva=0.95)) == 0
