"""The method appendix's value-added paragraphs and calibration table, from hand-made tables."""

import pandas as pd

from pipeline.publishing.book import va_method_texts


def va_metod():
    # GR 2024: two cohorts (2023-2024), R² 0.8778 -> "88 %"; cohort SD estimated 3.25 -> "3,3"
    # (half away from zero), pupil SD 19.48 -> "19,5". GY 2024: one cohort, SD assumed 0.86 -> "0,9".
    return pd.DataFrame(
        {
            "skolform": ["GR", "GY", "GR"],
            "lasar": [2024, 2024, 2023],
            "forsta_lasar": [2023, 2024, 2023],
            "kohorter": [2, 1, 1],
            "r2": [0.8778, 0.70, 0.9],
            "sd_elev": [19.48, 2.0, 19.0],
            "sd_kohort": [3.25, 0.86, 7.0],
            "kohortvarians_kalla": ["skattad", "antagen", "antagen"],
        }
    )


def kalibrering():
    # new interval, scenarios a-d: coverage 94.9..96.8 -> "94,9–96,8"; labelled at most 5.0 -> "5,0";
    # the old interval in scenario b: 64.6 % coverage, 35.5 % of zero-effect units labelled.
    rows = [
        ("a", "ny", 96.8, 3.1), ("b", "ny", 95.2, 4.5), ("c", "ny", 95.1, 4.9), ("d", "ny", 94.9, 5.0),
        ("e", "ny", 97.3, 2.5), ("b", "fore", 64.6, 35.5),
    ]  # fmt: skip
    return pd.DataFrame(
        [
            dict(scenario=s, modell=m, tackning=t, markerade_noll=k, medelbredd=20.0, replikat=300)
            for s, m, t, k in rows
        ]
    )


def test_texts_give_r2_window_cohort_spread_and_calibration():
    texts, table = va_method_texts(va_metod(), kalibrering(), lasar=2024)
    joined = "\n".join(texts)
    assert "de senaste 2 läsåren (2022/23–2023/24)" in joined
    assert (
        "Modellen förklarar 88\u00a0% av variationen i elevernas resultat läsåret 2023/24 (R², grundskola)"
        in joined
    )
    assert "standardavvikelse 3,3 poäng, att jämföra med 19,5 poäng" in joined
    assert "Den antas vara 0,9 poäng" in joined  # GY: one cohort, assumed
    assert "i 94,9–96,8 % av fallen" in joined and "högst 5,0 %" in joined
    assert "i 64,6 % av fallen" in joined and "35,5 %" in joined
    assert table is not None and len(table.rows) == 6
    assert table.rows[0][:2] == ("Bara slump mellan elever", "Flera årskullar (publicerad)")
    assert not any("2022/23 (R²" in t for t in texts)  # only the report year's models


def test_without_a_calibration_the_page_says_so():
    texts, table = va_method_texts(va_metod(), None, lasar=2024)
    assert table is None
    assert any("har inte körts" in t for t in texts)
