"""The units' distribution and ranks (pipeline.indicators.fordelning), against hand computation."""

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.indicators.fordelning import compute_fordelning, own_units, quartiles


def _row(kod, varde, *, niva="enhet", indikator="meritvarde", grupp="samtliga", lasar=2024, skolform="GR"):
    return {
        "lasar": lasar,
        "skolform": skolform,
        "niva": niva,
        "skolenhetskod": kod,
        "indikator": indikator,
        "grupp": grupp,
        "varde": varde,
    }


def _indikatorer():
    return pd.DataFrame(
        [
            _row("A", 210.0),
            _row("B", 180.0),
            _row("C", 240.0),
            _row("D", 200.0),
            _row("E", 200.0),
            _row("F", np.nan),  # hidden (undertryckt): in neither the quartiles nor the ranks
            _row("X", 300.0),  # another organiser's school: not in the register
            _row("", 205.0, niva="huvudman"),  # the huvudman's value: not a unit
        ]
    )


def _register():
    return pd.DataFrame({"skolenhetskod": list("ABCDEF"), "skolform": ["GR"] * 6})


def test_quartiles_by_hand():
    # sorted: 180, 200, 200, 210, 240; n = 5, h = q·(n−1) = q·4
    # p25: h = 1   -> x1 = 200
    # median: h = 2 -> x2 = 200
    # p75: h = 3   -> x3 = 210
    assert quartiles([210.0, 180.0, 240.0, 200.0, 200.0]) == {
        "lagst": 180.0,
        "p25": 200.0,
        "median": 200.0,
        "p75": 210.0,
        "hogst": 240.0,
    }
    # 10, 20, 40, 80: n = 4, h = q·3
    # p25: h = 0.75 -> 10 + 0.75·(20 − 10) = 17.5
    # median: h = 1.5 -> 20 + 0.5·(40 − 20) = 30
    # p75: h = 2.25 -> 40 + 0.25·(80 − 40) = 50
    q = quartiles([80.0, 10.0, 40.0, 20.0])
    assert (q["p25"], q["median"], q["p75"]) == (17.5, 30.0, 50.0)
    # one value: every quantile is that value
    assert set(quartiles([7.0]).values()) == {7.0}


def test_distribution_and_ranks_of_the_own_units_with_a_value():
    fordelning, placeringar = compute_fordelning(_indikatorer(), _register())
    assert len(fordelning) == 1
    d = fordelning.iloc[0]
    # own units with a value: A 210, B 180, C 240, D 200, E 200 (F hidden, X not own)
    assert (d["kalla"], d["antal_enheter"]) == ("indikatorer", 5)
    assert (d["lagst"], d["p25"], d["median"], d["p75"], d["hogst"]) == (180.0, 200.0, 200.0, 210.0, 240.0)
    # place = 1 + units with a strictly higher value: C 1, A 2, D and E 3 (tied), B 5
    plats = dict(zip(placeringar["skolenhetskod"], placeringar["plats"], strict=True))
    assert plats == {"A": 2, "B": 5, "C": 1, "D": 3, "E": 3}
    assert set(placeringar["antal_enheter"]) == {5}


def test_without_register_every_unit_counts():
    # no register: X counts too; sorted 180, 200, 200, 210, 240, 300; n = 6, h = q·5
    # p25: h = 1.25 -> 200 + 0.25·0 = 200; median: h = 2.5 -> 200 + 0.5·(210 − 200) = 205
    # p75: h = 3.75 -> 210 + 0.75·(240 − 210) = 232.5
    fordelning, placeringar = compute_fordelning(_indikatorer(), None)
    d = fordelning.iloc[0]
    assert (d["antal_enheter"], d["p25"], d["median"], d["p75"], d["hogst"]) == (
        6,
        200.0,
        205.0,
        232.5,
        300.0,
    )
    assert placeringar.set_index("skolenhetskod").loc["X", "plats"] == 1


def test_own_units_fall_back_when_the_register_names_none_of_the_form():
    reg = pd.DataFrame({"skolenhetskod": ["Q"], "skolform": ["GR"]})
    assert own_units(_indikatorer(), reg) == {"GR": frozenset("ABCDEFX")}


def test_value_added_residuals_with_both_bounds():
    va = pd.DataFrame(
        {
            "skolform": ["GR"] * 4,
            "lasar": [2024] * 4,
            "skolenhetskod": ["A", "B", "C", "D"],
            "residual": [1.0, -3.0, 2.0, 5.0],
            "ki_lag": [0.0, -5.0, 1.0, np.nan],  # D has no interval: left out, as in the figure
            "ki_hog": [2.0, -1.0, 3.0, np.nan],
        }
    )
    fordelning, placeringar = compute_fordelning(_indikatorer(), _register(), va)
    d = fordelning[fordelning["kalla"] == "va_enheter"].iloc[0]
    # -3, 1, 2; n = 3, h = q·2: p25 h = 0.5 -> -3 + 0.5·4 = -1; median 1; p75 h = 1.5 -> 1.5
    assert d["indikator"] == "foradlingsvarde_residual"
    assert (d["antal_enheter"], d["lagst"], d["p25"], d["median"], d["p75"]) == (3, -3.0, -1.0, 1.0, 1.5)
    va_places = placeringar[placeringar["kalla"] == "va_enheter"]
    assert dict(zip(va_places["skolenhetskod"], va_places["plats"], strict=True)) == {"A": 2, "B": 3, "C": 1}


def test_empty_table_gives_empty_tables_with_columns():
    empty = _indikatorer().iloc[0:0]
    fordelning, placeringar = compute_fordelning(empty, None)
    assert fordelning.empty and placeringar.empty
    assert "p25" in fordelning.columns and "plats" in placeringar.columns


@pytest.mark.parametrize("values", [[1.0, 2.0], [3.3, 1.1, 2.2, 9.9, 4.4, 0.5]])
def test_matches_pandas_linear_quantile(values):
    s = pd.Series(values)
    q = quartiles(values)
    for key, p in (("p25", 0.25), ("median", 0.5), ("p75", 0.75)):
        assert math.isclose(q[key], float(s.quantile(p)), rel_tol=0, abs_tol=0)
