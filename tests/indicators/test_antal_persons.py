"""`antal` counts persons, never rows (issue 13, item 4), and the registry names whom it counts."""

import numpy as np
import pandas as pd
import pytest

from pipeline.config import load_params
from pipeline.errors import ConfigError
from pipeline.indicators import COMPUTED, build_indicator_outputs
from pipeline.indicators.core import aggregate_values, explode_groups
from pipeline.indicators.registry import ANTAL_AVSER, load_indicator_registry, parse_indicator_registry
from tests.indicators.helpers import UNIT_A, cell, installningar, pupils, register

ENTRY = {"id": "x", "label": "l", "definition": "d", "skolform": ["GR"], "kvalitetsomrade": "kunskapsresultat",
         "enhet": "procent", "riktning": "hogre_battre", "kalla": "k",
         "berakning": "pipeline.indicators.published.published_rows", "statistik": "andel", "period": "lasarsslut"}  # fmt: skip


def four_pupils_twelve_results():
    # 4 pupils, each with 3 national-test results in SV, EN, MA (12 results):
    # p1 A A A -> 3 passed; p2 E F E -> 2; p3 F F F -> 0; p4 C C F -> 2: 7 of 12 results A-E.
    res = {"p1": "AAA", "p2": "EFE", "p3": "FFF", "p4": "CCF"}
    npr = pd.DataFrame(
        [
            (2024, e, UNIT_A, 9, amne, g)
            for e, gs in res.items()
            for amne, g in zip(("SV", "EN", "MA"), gs, strict=True)
        ],
        columns=["lasar", "elev_id", "skolenhetskod", "arskurs", "amne", "provbetyg"],
    )
    e = pupils({k: ("flicka", "gymnasial", False) for k in res})
    return {"skolenheter": register(UNIT_A), "elever": e, "nationella_prov": npr}


@pytest.mark.parametrize("threshold,hidden", [(10, True), (5, True), (4, False)])
def test_four_pupils_with_twelve_results_have_antal_four(threshold, hidden):
    out = build_indicator_outputs(
        four_pupils_twelve_results(),
        huvudman_namn="Testkommun",
        kommunkod="9999",
        installningar=installningar(undertryck_min_antal=threshold),
    )["indikatorer"]
    for niva in ("enhet", "huvudman"):
        c = cell(out, niva=niva, indikator="np_ak9_provbetyg_ae", grupp="samtliga")
        assert c["antal"] == 4  # pupils, not the 12 results
        assert bool(c["undertryckt"]) is hidden
        if not hidden:
            assert c["varde"] == pytest.approx(100 * 7 / 12)


def test_clustered_share_interval_by_hand():
    # Two persons with two rows each: p1 (1, 1), p2 (0, 0). Share over rows p = 2/4 = 0.5; antal 2.
    # Cluster-robust variance: n/(n-1) * sum_i (y_i - p m_i)^2 / (sum m)^2
    #   = 2/1 * ((2 - 1)^2 + (0 - 1)^2) / 16 = 0.25 -> se = 0.5 (50 procentenheter); the effective
    #   n = p(1-p)/var = 1, so the Wilson interval is the one for 1 success of 2 * 0.5 ... of n = 1.
    v = pd.DataFrame(
        {
            "lasar": 2024,
            "skolform": "GR",
            "skolenhetskod": UNIT_A,
            "indikator": "x",
            "grupp": "samtliga",
            "elev_id": ["p1", "p1", "p2", "p2"],
            "value": [1.0, 1.0, 0.0, 0.0],
        }
    )
    c = cell(aggregate_values(v, typ="andel", konfidensniva=0.95, person="elev_id"), niva="enhet")
    assert c["antal"] == 2
    assert c["varde"] == pytest.approx(50.0)
    assert c["se"] == pytest.approx(50.0)
    # Wilson for p = 0.5, n = 1, z = 1.96: centre 0.5, half = z*sqrt(0.25 + z^2/4)/(1 + z^2)
    z = 1.959963984540054
    half = z * np.sqrt(0.25 + z**2 / 4) / (1 + z**2)
    assert c["ki_lag"] == pytest.approx(100 * max(0.5 - half, 0))
    assert c["ki_hog"] == pytest.approx(100 * min(0.5 + half, 1))


def test_one_row_per_person_gives_the_ordinary_interval():
    # 3 persons, one row each, values 1, 0, 1: p = 2/3, se = sqrt(p(1-p)/3), antal 3 with or without
    # naming the person column.
    v = pd.DataFrame(
        {
            "lasar": 2024,
            "skolform": "GR",
            "skolenhetskod": UNIT_A,
            "indikator": "x",
            "grupp": "samtliga",
            "elev_id": ["p1", "p2", "p3"],
            "value": [1.0, 0.0, 1.0],
        }
    )
    a = cell(aggregate_values(v, typ="andel", konfidensniva=0.95, person="elev_id"), niva="enhet")
    b = cell(aggregate_values(v, typ="andel", konfidensniva=0.95), niva="enhet")
    assert a["antal"] == b["antal"] == 3
    assert a["se"] == pytest.approx(100 * np.sqrt((2 / 3) * (1 / 3) / 3))
    assert (a["ki_lag"], a["ki_hog"]) == pytest.approx((b["ki_lag"], b["ki_hog"]))


def test_huvudman_counts_a_person_in_two_units_once():
    # e1 has a row at unit A and at unit B in the same läsår: the units have antal 1 each, the
    # huvudman 1 (one person), 2 values.
    v = pd.DataFrame(
        {
            "lasar": 2024,
            "skolform": "GY",
            "skolenhetskod": ["A", "B"],
            "indikator": "x",
            "grupp": "samtliga",
            "elev_id": ["e1", "e1"],
            "value": [1.0, 0.0],
        }
    )
    c = aggregate_values(v, typ="andel", konfidensniva=0.95, person="elev_id")
    assert cell(c, niva="enhet", skolenhetskod="A")["antal"] == 1
    assert cell(c, niva="huvudman")["antal"] == 1
    assert cell(c, niva="huvudman")["varde"] == pytest.approx(50.0)


def test_missing_person_column_is_an_error():
    v = explode_groups(
        pd.DataFrame(
            {
                "lasar": [2024],
                "skolform": "GR",
                "skolenhetskod": UNIT_A,
                "indikator": "x",
                "kon": "flicka",
                "foraldrar_utbildning": "gymnasial",
                "nyanland": False,
                "value": [1.0],
            }  # fmt: skip
        )
    )
    with pytest.raises(ValueError, match="person column 'elev_id'"):
        aggregate_values(v, typ="andel", konfidensniva=0.95, person="elev_id")


def test_every_indicator_names_what_antal_counts():
    reg = load_indicator_registry()
    for ind in reg.indicators:
        assert ind.antal_avser in ANTAL_AVSER, ind.id
    # every computed indicator counts persons; förskola ratios count children, surveys respondents
    for i in COMPUTED:
        if i in reg.ids:
            assert reg.get(i).antal_avser != "ingen", i
    assert reg.get("barngruppsstorlek").antal_avser == "barn"
    assert reg.get("trygghet").antal_avser == "respondenter"
    assert reg.get("np_ak9_provbetyg_ae").antal_avser == "elever"
    assert reg.get("vux_godkand").antal_avser == "elever"
    # every value has a reader text
    labels = load_params().labels["antal_avser"]
    assert set(labels) == set(ANTAL_AVSER)


@pytest.mark.parametrize(
    "extra,fragment",
    [
        ({}, "lacks"),
        ({"antal_avser": "prov"}, "antal_avser must be one of"),
        ({"antal_avser": "rader"}, "never rows"),
    ],
)
def test_antal_avser_is_required_and_checked(extra, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse_indicator_registry({"indikatorer": [{**ENTRY, **extra}]})


def test_published_antal_for_an_indicator_without_one_is_an_error():
    # Kolada KPIs publish no count (antal_avser: ingen); a row that carries one is a reader error.
    from pipeline.errors import DataValidationError

    pub = pd.DataFrame(
        {
            "lasar": [2024],
            "skolform": ["GR"],
            "niva": ["kommun"],
            "kommunkod": ["9999"],
            "skolenhetskod": [""],
            "enhet": [""],
            "typ_av_huvudman": [""],
            "indikator": ["kolada_n15428"],
            "grupp": ["samtliga"],
            "varde": [85.0],
            "antal": pd.array([120], dtype="Int64"),
            "markering": [""],
            "kalla": ["Kolada N15428"],
        }
    )
    with pytest.raises(DataValidationError, match="antal_avser: ingen"):
        build_indicator_outputs(
            {"publicerad": pub}, huvudman_namn="T", kommunkod="9999", installningar=installningar()
        )
    # the same row without a count passes
    ok = build_indicator_outputs(
        {"publicerad": pub.assign(antal=pd.array([None], dtype="Int64"))},
        huvudman_namn="T",
        kommunkod="9999",
        installningar=installningar(),
    )["indikatorer"]
    assert cell(ok, indikator="kolada_n15428")["varde"] == 85.0
