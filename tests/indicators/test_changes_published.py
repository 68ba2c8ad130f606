import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from pipeline.config import Mal
from pipeline.indicators.changes import compute_forandringar, compute_jamforelser
from pipeline.indicators.published import published_rows
from tests.indicators.helpers import cell

RIKTNING = {
    "share_up": "hogre_battre",
    "share_down": "lagre_battre",
    "mean": "hogre_battre",
    "neutral_share": "neutral",
}
ENHET = {"share_up": "procent", "share_down": "procent", "mean": "poang", "neutral_share": "procent"}


def table(rows):
    """rows: (lasar, indikator, varde, antal, se, stat, undertryckt)"""
    df = pd.DataFrame(rows, columns=["lasar", "indikator", "varde", "antal", "se", "stat", "undertryckt"])
    return df.assign(skolform="GR", niva="enhet", skolenhetskod="11111111", enhet="Skolan", grupp="samtliga")


def changes(rows, **kw):
    return compute_forandringar(
        table(rows), trend_ar=kw.get("trend_ar", 5), signifikansniva=0.05, riktning=RIKTNING, enhet_of=ENHET
    )


def test_share_change_not_significant_by_hand():
    f = changes(
        [
            (2023, "share_up", 50.0, 100, np.nan, "andel", False),
            (2024, "share_up", 60.0, 100, np.nan, "andel", False),
        ]
    )
    r = cell(f, typ="ett_ar")
    pooled = (50 + 60) / 200
    z = (0.6 - 0.5) / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert r["p_varde"] == pytest.approx(2 * sps.norm.sf(z))
    assert r["forandring"] == pytest.approx(60 - 50)
    assert r["forandring_enhet"] == "procentenheter"
    assert (r["lasar_fran"], r["lasar_till"]) == (2023, 2024)
    assert not r["signifikant"] and r["riktning_bedomning"] == "oforandrad"
    assert r["test"] == "z-test, två andelar"


@pytest.mark.parametrize(
    "ind,expected", [("share_up", "forbattring"), ("share_down", "forsamring"), ("neutral_share", "okning")]
)
def test_significant_direction_uses_riktning(ind, expected):
    f = changes(
        [(2023, ind, 20.0, 100, np.nan, "andel", False), (2024, ind, 60.0, 100, np.nan, "andel", False)]
    )
    r = cell(f, typ="ett_ar")
    assert r["signifikant"] and r["riktning_bedomning"] == expected


def test_mean_change_uses_welch():
    f = changes(
        [(2023, "mean", 220.0, 50, 5.0, "medel", False), (2024, "mean", 240.0, 60, 4.0, "medel", False)]
    )
    r = cell(f, typ="ett_ar")
    se = math.sqrt(5.0**2 + 4.0**2)
    df = (5.0**2 + 4.0**2) ** 2 / (5.0**4 / 49 + 4.0**4 / 59)
    assert r["p_varde"] == pytest.approx(2 * sps.t.sf(20 / se, df))
    assert r["test"] == "Welch t-test"
    assert r["forandring_enhet"] == "poäng"


def test_period_uses_earliest_year_in_window():
    rows = [
        (y, "share_up", 50.0 + y - 2019, 100, np.nan, "andel", False)
        for y in (2019, 2020, 2021, 2022, 2023, 2024)
    ]
    f = changes(rows, trend_ar=5)
    r = cell(f, typ="period", lasar=2024)
    assert r["lasar_fran"] == 2024 - 5 + 1
    assert r["forandring"] == pytest.approx((50 + 5) - (50 + 1))


def test_suppressed_endpoint_gives_no_change():
    f = changes(
        [
            (2023, "share_up", np.nan, 8, np.nan, "andel", True),
            (2024, "share_up", 60.0, 100, np.nan, "andel", False),
        ]
    )
    assert len(f) == 0


def test_untested_change_is_ej_testad():
    f = changes(
        [(2023, "mean", 5.0, 40, np.nan, "kvot", False), (2024, "mean", 6.0, 40, np.nan, "kvot", False)]
    )
    r = cell(f, typ="ett_ar")
    assert r["test"] == "ingen" and np.isnan(r["p_varde"]) and r["riktning_bedomning"] == "ej_testad"


def test_jamforelser_against_riket_and_mal():
    t = table([(2024, "share_up", 60.0, 100, np.nan, "andel", False)])
    riket = t.assign(niva="riket", skolenhetskod="", enhet="Riket", varde=50.0, antal=pd.NA, stat="andel")
    j = compute_jamforelser(
        pd.concat([t, riket]),
        # a fictitious indicator id: the target is built directly (the load-time check of ids is
        # params validation, tested in tests/bad_inputs)
        mal=(Mal.model_construct(indikator="share_up", skolform="GR", varde=65),),
        signifikansniva=0.05,
        riktning=RIKTNING,
    )
    r = cell(j, jamfor_med="riket")
    assert r["skillnad"] == pytest.approx(60 - 50)
    assert r["p_varde"] == pytest.approx(2 * sps.norm.sf((0.6 - 0.5) / math.sqrt(0.5 * 0.5 / 100)))
    assert r["bedomning"] == "battre"
    m = cell(j, jamfor_med="mal")
    assert m["referens_varde"] == 65 and m["bedomning"] == "ej_uppnatt"


def publicerad(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "lasar",
            "skolform",
            "niva",
            "kommunkod",
            "skolenhetskod",
            "enhet",
            "indikator",
            "grupp",
            "varde",
            "antal",
            "markering",
        ],
    ).assign(typ_av_huvudman=None, kalla="Skolverket")


def test_published_jamforelse_weighted_and_unweighted():
    p = publicerad(
        [
            (2024, "GR", "jamforelse", "0001", None, "A-kommun", "meritvarde_17", "samtliga", 200.0, 100, ""),
            (2024, "GR", "jamforelse", "0002", None, "B-kommun", "meritvarde_17", "samtliga", 220.0, 300, ""),
            (
                2024,
                "GR",
                "jamforelse",
                "0001",
                None,
                "A-kommun",
                "meritvarde_16",
                "samtliga",
                200.0,
                None,
                "",
            ),
            (
                2024,
                "GR",
                "jamforelse",
                "0002",
                None,
                "B-kommun",
                "meritvarde_16",
                "samtliga",
                210.0,
                None,
                "",
            ),
            (
                2024,
                "GR",
                "jamforelse",
                "0003",
                None,
                "C-kommun",
                "meritvarde_16",
                "samtliga",
                None,
                None,
                "undertryckt",
            ),
        ]
    )
    out = published_rows(p, huvudman_namn="X", kommunkod="9999", jamforelsegrupp_namn="Liknande kommuner")
    assert cell(out, indikator="meritvarde_17")["varde"] == pytest.approx(
        (200 * 100 + 220 * 300) / (100 + 300)
    )
    assert cell(out, indikator="meritvarde_17")["antal"] == 400
    m16 = cell(out, indikator="meritvarde_16")
    assert m16["varde"] == pytest.approx((200 + 210) / 2)
    assert m16["enhet"] == "Liknande kommuner" and m16["niva"] == "jamforelse"


def test_published_keeps_own_kommun_riket_and_markers():
    p = publicerad(
        [
            (
                2024,
                "GR",
                "enhet",
                "9999",
                "11111111",
                "Skolan",
                "meritvarde_17",
                "samtliga",
                None,
                None,
                "undertryckt",
            ),
            (2024, "GR", "enhet", "0001", "22222222", "Annan", "meritvarde_17", "samtliga", 230.0, None, ""),
            (2024, "GR", "riket", None, None, None, "meritvarde_17", "samtliga", 229.0, None, ""),
            (
                2024,
                "GR",
                "huvudman",
                "9999",
                None,
                None,
                "behorighet_yrkes",
                "samtliga",
                100.0,
                None,
                "avrundad",
            ),
        ]
    )
    out = published_rows(p, huvudman_namn="Exempelkommun", kommunkod="9999")
    assert len(out) == 3
    s = cell(out, niva="enhet")
    assert s["undertryckt"] and np.isnan(s["varde"]) and s["markering"] == "undertryckt"
    assert cell(out, niva="riket")["enhet"] == "Riket"
    h = cell(out, niva="huvudman")
    assert h["enhet"] == "Exempelkommun" and h["markering"] == "avrundad" and h["varde"] == 100


def test_published_organiser_types_are_not_mixed():
    p = publicerad(
        [
            (2024, "GR", "kommun", "9999", None, "X", "meritvarde_17", "samtliga", 230.0, 500, ""),
            (2024, "GR", "kommun", "9999", None, "X", "meritvarde_17", "samtliga", 250.0, 100, ""),  # Enskild
            (2024, "GR", "jamforelse", "0001", None, "A", "meritvarde_17", "samtliga", 200.0, 100, ""),
            (
                2024,
                "GR",
                "jamforelse",
                "0001",
                None,
                "A",
                "meritvarde_17",
                "samtliga",
                260.0,
                50,
                "",
            ),  # Enskild
            (
                2024,
                "GR",
                "jamforelse",
                "0002",
                None,
                "B",
                "meritvarde_17",
                "samtliga",
                220.0,
                300,
                "",
            ),  # Kommunal only
        ]
    ).assign(typ_av_huvudman=["Samtliga", "Enskild", "Samtliga", "Enskild", "Kommunal"])
    out = published_rows(p, huvudman_namn="X", kommunkod="9999")
    assert cell(out, niva="kommun")["varde"] == 230
    assert cell(out, niva="jamforelse")["varde"] == pytest.approx((200 * 100 + 220 * 300) / (100 + 300))


def test_duplicate_published_keys_are_an_error():
    from pipeline.errors import DataValidationError

    p = publicerad(
        [
            (2024, "GR", "riket", None, None, None, "meritvarde_17", "samtliga", 230.0, None, ""),
            (2024, "GR", "riket", None, None, None, "meritvarde_17", "samtliga", 231.0, None, ""),
        ]
    )
    with pytest.raises(DataValidationError, match="share a key"):
        published_rows(p, huvudman_namn="X", kommunkod="9999")


def test_same_published_figure_twice_is_kept_once():
    p = publicerad(
        [
            (2024, "GR", "riket", None, None, None, "meritvarde_17", "samtliga", 230.0, None, ""),
            (2024, "GR", "riket", None, None, None, "meritvarde_17", "samtliga", 230.0, None, ""),
        ]
    )
    assert len(published_rows(p, huvudman_namn="X", kommunkod="9999")) == 1


def test_a_counts_change_is_in_its_own_word():
    """A count of pupils changes in pupils ("−2 elever"), not in a bare number: the registry's
    ``enhet_ord``; a count without one keeps the empty word, a rate its "per 100 elever"."""
    rows = [
        (2023, "elever_ak9", 30.0, np.nan, np.nan, "antal", False),
        (2024, "elever_ak9", 28.0, np.nan, np.nan, "antal", False),
        (2023, "tjanster", 5.0, np.nan, np.nan, "antal", False),
        (2024, "tjanster", 6.0, np.nan, np.nan, "antal", False),
        (2023, "avvikelser", 3.0, 100, np.nan, "rate", False),
        (2024, "avvikelser", 4.0, 100, np.nan, "rate", False),
    ]
    f = compute_forandringar(
        table(rows),
        trend_ar=5,
        signifikansniva=0.05,
        riktning={"elever_ak9": "neutral", "tjanster": "neutral", "avvikelser": "lagre_battre"},
        enhet_of={"elever_ak9": "antal", "tjanster": "antal", "avvikelser": "per_100"},
        enhet_ord_of={"elever_ak9": "elever", "tjanster": "", "avvikelser": ""},
    )
    ett_ar = f[f["typ"] == "ett_ar"].set_index("indikator")
    assert ett_ar.loc["elever_ak9", "forandring"] == pytest.approx(28 - 30)
    assert ett_ar.loc["elever_ak9", "forandring_enhet"] == "elever"
    assert ett_ar.loc["tjanster", "forandring_enhet"] == ""
    assert ett_ar.loc["avvikelser", "forandring_enhet"] == "per 100 elever"


def test_change_unit_words_agree_with_the_labels():
    """The ``forandring_enhet`` column and the pages' sentences use the same words."""
    from pipeline.config import ProjectPaths, load_params
    from pipeline.indicators.changes import UNIT_WORDS
    from pipeline.paths import REPO_ROOT

    label = load_params(ProjectPaths(REPO_ROOT)).label
    for enhet, word in UNIT_WORDS.items():
        expected = label("procentenheter") if enhet == "procent" else label("enheter", enhet, default="")
        assert word == expected, enhet
