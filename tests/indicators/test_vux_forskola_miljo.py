import numpy as np
import pandas as pd
import pytest

from pipeline.indicators.core import aggregate_values, explode_groups
from pipeline.indicators.forskola import compute_forskola_cells
from pipeline.indicators.miljo import (
    compute_avvikelser_cells,
    compute_elevantal,
    compute_enkat_values,
    compute_franvaro_values,
)
from pipeline.indicators.vuxenutbildning import compute_vux_values, explode_kursomrade
from tests.indicators.helpers import UNIT_A, UNIT_B, cell

VUX = "44444444"


def test_vux_shares_by_hand():
    # Skolverket reports sfi apart: vux_godkand / vux_avbrott cover grundläggande + gymnasial only.
    k = pd.DataFrame(
        [
            (2024, "v1", VUX, "K1", "gymnasial", 100, "A"),
            (2024, "v2", VUX, "K1", "gymnasial", 100, "F"),
            (2024, "v3", VUX, "K2", "grundlaggande", 100, "avbrott"),
            (2024, "v4", VUX, "S", "sfi", 100, "E"),
            (2024, "v5", VUX, "S", "sfi", 100, "F"),
        ],
        columns=["lasar", "elev_id", "skolenhetskod", "kurs", "kursomrade", "poang", "resultat"],
    )
    v = compute_vux_values(k, None).assign(skolform="VUX")
    ex = pd.concat([explode_groups(v, groups=("kon",)), explode_kursomrade(v)])
    c = aggregate_values(ex, typ="andel", konfidensniva=0.95, person="elev_id")
    # grundläggande + gymnasial: v1 A, v2 F, v3 avbrott -> godkänt 1 of 3, avbrott 1 of 3
    godkand = cell(c, niva="enhet", indikator="vux_godkand", grupp="samtliga")
    assert godkand["varde"] == pytest.approx(100 * 1 / 3) and godkand["antal"] == 3
    assert cell(c, niva="enhet", indikator="vux_avbrott", grupp="samtliga")["varde"] == pytest.approx(
        100 * 1 / 3
    )
    # sfi on its own: v4 E, v5 F -> godkänt 1 of 2, avbrott 0 of 2
    assert cell(c, niva="enhet", indikator="sfi_progression", grupp="samtliga")["varde"] == pytest.approx(
        100 * 1 / 2
    )
    assert cell(c, niva="enhet", indikator="sfi_avbrott", grupp="samtliga")["varde"] == 0
    assert cell(c, niva="enhet", indikator="vux_godkand", grupp="kursomrade:gymnasial")[
        "varde"
    ] == pytest.approx(100 * 1 / 2)
    assert cell(c, niva="enhet", indikator="vux_avbrott", grupp="kursomrade:grundlaggande")["varde"] == 100
    # the course-area groups are grundläggande and gymnasial only: no sfi group under vux_*
    groups = set(c.loc[c["indikator"].eq("vux_godkand"), "grupp"])
    assert groups == {"samtliga", "kursomrade:gymnasial", "kursomrade:grundlaggande"}


def test_vux_antal_counts_students_not_course_participations():
    # One student with three gymnasial courses (A, E, F) and one with one (F): 4 participations,
    # 2 students. Share godkänt over participations = 2/4 = 50 %, antal = 2 students.
    k = pd.DataFrame(
        [
            (2024, "v1", VUX, "K1", "gymnasial", 100, "A"),
            (2024, "v1", VUX, "K2", "gymnasial", 100, "E"),
            (2024, "v1", VUX, "K3", "gymnasial", 100, "F"),
            (2024, "v2", VUX, "K1", "gymnasial", 100, "F"),
        ],
        columns=["lasar", "elev_id", "skolenhetskod", "kurs", "kursomrade", "poang", "resultat"],
    )
    v = compute_vux_values(k, None).assign(skolform="VUX")
    c = aggregate_values(
        explode_groups(v, groups=("kon",)), typ="andel", konfidensniva=0.95, person="elev_id"
    )
    g = cell(c, niva="enhet", indikator="vux_godkand", grupp="samtliga")
    assert g["varde"] == pytest.approx(50.0) and g["antal"] == 2
    # no sfi course: no sfi rows at all
    assert not c["indikator"].isin(["sfi_progression", "sfi_avbrott"]).any()


def test_forskola_ratios_huvudman_is_ratio_of_sums():
    fs = pd.DataFrame(
        [(2024, UNIT_A, 30, 6.0, 3.0, 2), (2024, UNIT_B, 20, 4.0, 1.0, 2)],
        columns=[
            "lasar",
            "skolenhetskod",
            "antal_barn",
            "arsarbetare",
            "arsarbetare_forskollararexamen",
            "antal_barngrupper",
        ],
    )
    units = pd.DataFrame({"skolenhetskod": [UNIT_A, UNIT_B], "skolform": ["FS", "FS"]}).astype("string")
    c = compute_forskola_cells(fs, units)
    assert cell(c, niva="enhet", skolenhetskod=UNIT_B, indikator="barn_per_arsarbetare")["varde"] == 20 / 4
    assert cell(c, niva="huvudman", indikator="barn_per_arsarbetare")["varde"] == pytest.approx(
        (30 + 20) / (6 + 4)
    )
    assert cell(c, niva="huvudman", indikator="andel_forskollararexamen")["varde"] == pytest.approx(
        100 * (3 + 1) / (6 + 4)
    )
    assert cell(c, niva="huvudman", indikator="barngruppsstorlek")["varde"] == pytest.approx(
        (30 + 20) / (2 + 2)
    )
    assert cell(c, niva="huvudman", indikator="barngruppsstorlek")["antal"] == 30 + 20


def test_forskola_zero_staff_gives_no_value():
    fs = pd.DataFrame(
        [(2024, UNIT_A, 5, 0.0, 0.0, 0)],
        columns=[
            "lasar",
            "skolenhetskod",
            "antal_barn",
            "arsarbetare",
            "arsarbetare_forskollararexamen",
            "antal_barngrupper",
        ],
    )
    units = pd.DataFrame({"skolenhetskod": [UNIT_A], "skolform": ["FS"]}).astype("string")
    assert compute_forskola_cells(fs, units)["varde"].isna().all()


def test_enkat_index_is_mean_of_respondent_means():
    e = pd.DataFrame(
        [
            (2024, UNIT_A, "r1", "elev", 9, "flicka", "trygghet", "q1", 10.0),
            (2024, UNIT_A, "r1", "elev", 9, "flicka", "trygghet", "q2", 8.0),
            (2024, UNIT_A, "r2", "elev", 9, "pojke", "trygghet", "q1", 6.0),
            (2024, UNIT_A, "r3", "vardnadshavare", None, None, "helhet", "q9", 4.0),
        ],
        columns=[
            "lasar",
            "skolenhetskod",
            "respondent_id",
            "enkat",
            "arskurs",
            "kon",
            "omrade",
            "fraga",
            "poang",
        ],
    )
    v = compute_enkat_values(e).assign(skolform="GR")
    c = aggregate_values(explode_groups(v, groups=("kon",)), typ="medel", konfidensniva=0.95)
    tr = cell(c, niva="enhet", indikator="trygghet", grupp="samtliga")
    assert tr["varde"] == pytest.approx(((10 + 8) / 2 + 6) / 2)  # not (10 + 8 + 6) / 3
    assert tr["antal"] == 2
    assert cell(c, niva="enhet", indikator="trygghet", grupp="flickor")["varde"] == 9
    assert cell(c, niva="enhet", indikator="vh_enkat_index", grupp="samtliga")["varde"] == 4


@pytest.mark.parametrize("andel,over10,over20", [(0.0999, 0, 0), (0.10, 1, 0), (0.20, 1, 1), (0.35, 1, 1)])
def test_franvaro_thresholds_include_the_limit(andel, over10, over20):
    f = pd.DataFrame(
        [(2024, "e1", UNIT_A, andel)], columns=["lasar", "elev_id", "skolenhetskod", "franvaro_andel"]
    )
    v = compute_franvaro_values(f, None).set_index("indikator")["value"]
    assert (v["franvaro_over_10"], v["franvaro_over_20"]) == (over10, over20)
    assert v["franvaro_medel"] == pytest.approx(100 * andel)


def test_franvaro_mean_by_hand():
    f = pd.DataFrame(
        [(2024, e, UNIT_A, a) for e, a in (("e1", 0.05), ("e2", 0.10), ("e3", 0.25))],
        columns=["lasar", "elev_id", "skolenhetskod", "franvaro_andel"],
    )
    v = compute_franvaro_values(f, None).assign(skolform="GR")
    c = aggregate_values(explode_groups(v[v.indikator == "franvaro_medel"]), typ="medel", konfidensniva=0.95)
    assert cell(c, niva="huvudman", grupp="samtliga")["varde"] == pytest.approx((5 + 10 + 25) / 3)


def test_avvikelser_per_100_by_hand():
    elever = pd.DataFrame(
        {
            "lasar": [2024] * 40 + [2024] * 60,
            "elev_id": [f"e{i}" for i in range(100)],
            "skolenhetskod": [UNIT_A] * 40 + [UNIT_B] * 60,
            "skolform": "GR",
        }
    )
    units = pd.DataFrame({"skolenhetskod": [UNIT_A, UNIT_B], "skolform": ["GR", "GR"]}).astype("string")
    n = compute_elevantal(elever, None, None, units)
    avv = pd.DataFrame(
        {"lasar": [2024] * 3, "skolenhetskod": [UNIT_A] * 3, "arende_id": ["a", "b", "c"], "typ": "krankning"}
    )
    c = compute_avvikelser_cells(avv, n, konfidensniva=0.95)
    assert cell(c, niva="enhet", skolenhetskod=UNIT_A)["varde"] == pytest.approx(3 / 40 * 100)
    assert cell(c, niva="enhet", skolenhetskod=UNIT_B)["varde"] == 0  # pupils but no cases
    hm = cell(c, niva="huvudman")
    assert hm["varde"] == pytest.approx(3 / (40 + 60) * 100)
    assert hm["ki_lag"] < hm["varde"] < hm["ki_hog"]


def test_elevantal_prefers_elever_then_fs_personal():
    elever = pd.DataFrame(
        {"lasar": [2024, 2024], "elev_id": ["e1", "e2"], "skolenhetskod": [UNIT_A, UNIT_A], "skolform": "GR"}
    )
    fs = pd.DataFrame(
        [(2024, UNIT_B, 25, 5.0, 2.0, 2)],
        columns=[
            "lasar",
            "skolenhetskod",
            "antal_barn",
            "arsarbetare",
            "arsarbetare_forskollararexamen",
            "antal_barngrupper",
        ],
    )
    units = pd.DataFrame({"skolenhetskod": [UNIT_A, UNIT_B], "skolform": ["GR", "FS"]}).astype("string")
    n = compute_elevantal(elever, fs, None, units).set_index("skolenhetskod")["elever"]
    assert n[UNIT_A] == 2 and n[UNIT_B] == 25
    assert np.issubdtype(n.dtype, np.integer)
