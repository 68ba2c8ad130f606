import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.indicators.format import MINUS, NBSP, format_number
from pipeline.indicators.observations import observations
from pipeline.indicators.registry import load_indicator_registry


@pytest.mark.parametrize(
    "value,decimals,unit,signed,expected",
    [
        (231.44, 1, "", False, "231,4"),
        (84.25, 1, "procent", False, f"84,3{NBSP}%"),
        (0.125, 2, "", False, "0,13"),  # half away from zero on the decimal value
        (-1.3, 1, "procentenheter", False, f"{MINUS}1,3{NBSP}procentenheter"),
        (8.3, 1, "poang", True, f"+8,3{NBSP}poäng"),
        (-0.04, 1, "", True, "0,0"),  # rounds to zero: no sign
        (12345, 0, "", False, f"12{NBSP}345"),
        (1234567.891, 2, "", False, f"1{NBSP}234{NBSP}567,89"),
        (None, 1, "", False, "–"),
        (float("nan"), 1, "procent", False, "–"),
    ],
)
def test_format_number(value, decimals, unit, signed, expected):
    assert format_number(value, decimals, unit, sign=signed) == expected


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 3))
def test_format_number_round_trips(value, decimals):
    text = format_number(value, decimals)
    back = float(text.replace(NBSP, "").replace(MINUS, "-").replace(",", "."))
    assert abs(back - value) <= 0.5 * 10**-decimals + 1e-9 * max(1, abs(value))


REG = load_indicator_registry()


def tables():
    base = dict(
        skolform="GR",
        niva="enhet",
        skolenhetskod="11111111",
        enhet="Skolan",
        grupp="samtliga",
        ki_lag=np.nan,
        ki_hog=np.nan,
        kalla="x",
    )
    ind = pd.DataFrame(
        [
            dict(
                base,
                lasar=2024,
                indikator="meritvarde_17",
                varde=231.44,
                antal=50,
                undertryckt=False,
                markering="",
            ),
            dict(
                base,
                lasar=2024,
                indikator="behorighet_yrkes",
                varde=84.2,
                antal=50,
                undertryckt=False,
                markering="",
            ),
            dict(
                base,
                lasar=2024,
                indikator="godkand_alla_amnen",
                varde=np.nan,
                antal=8,
                undertryckt=True,
                markering="undertryckt",
            ),
            dict(
                base,
                lasar=2024,
                indikator="ak6_godkand_alla_amnen",
                varde=70.0,
                antal=40,
                undertryckt=False,
                markering="",
            ),
        ]
    )
    ch = dict(
        skolform="GR",
        niva="enhet",
        skolenhetskod="11111111",
        enhet="Skolan",
        grupp="samtliga",
        lasar=2024,
        typ="ett_ar",
        lasar_fran=2023,
        lasar_till=2024,
    )
    fr = pd.DataFrame(
        [
            dict(
                ch,
                indikator="meritvarde_17",
                forandring=8.3,
                test="Welch t-test",
                p_varde=0.01,
                signifikant=True,
            ),
            dict(
                ch,
                indikator="behorighet_yrkes",
                forandring=-1.3,
                test="z-test, två andelar",
                p_varde=0.6,
                signifikant=False,
            ),
        ]
    )
    return ind, fr


def test_observation_sentences():
    ind, fr = tables()
    obs = {
        o.indikator: o
        for o in observations(ind, fr, skolform="GR", skolenhetskod="11111111", lasar=2024, registry=REG)
    }
    assert (
        obs["meritvarde_17"].text
        == "Genomsnittligt meritvärde (17 ämnen) ökade med 8,3\u00a0poäng till 231,4 (statistiskt säkerställt)."
    )
    assert obs["behorighet_yrkes"].text == (
        f"Andelen elever behöriga till yrkesprogram var 84,2{NBSP}% ({MINUS}1,3{NBSP}procentenheter jämfört med läsåret 2022/23, "
        "ingen statistiskt säkerställd förändring)."
    )
    assert obs["godkand_alla_amnen"].undertryckt and "för få elever" in obs["godkand_alla_amnen"].text
    assert obs["ak6_godkand_alla_amnen"].text.endswith(f"var 70,0{NBSP}%.")
    # registry order
    ids = [
        o.indikator
        for o in observations(ind, fr, skolform="GR", skolenhetskod="11111111", lasar=2024, registry=REG)
    ]
    assert ids == [i.id for i in REG.for_skolform("GR") if i.id in set(ids)]


def test_observation_numbers_match_the_table():
    ind, fr = tables()
    for o in observations(ind, fr, skolform="GR", skolenhetskod="11111111", lasar=2024, registry=REG):
        if o.undertryckt:
            assert o.varde is None
            continue
        row = ind[(ind.indikator == o.indikator) & (ind.lasar == o.lasar) & (ind.grupp == o.grupp)].iloc[0]
        assert o.varde == row["varde"]
        dec = REG.get(o.indikator).decimaler
        assert format_number(o.varde, dec) in o.text
        if o.forandring is not None:
            assert format_number(abs(o.forandring), dec) in o.text
            assert ("statistiskt säkerställt)" in o.text) is bool(o.signifikant)
            assert ("ökade" in o.text or "minskade" in o.text) is bool(o.signifikant)
