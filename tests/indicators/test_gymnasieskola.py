import pandas as pd
import pytest

from pipeline.indicators.gymnasieskola import compute_gbp, compute_gymnasieskola_values

U = "55555555"


def studievag(rows):
    return pd.DataFrame(
        [(e, U, "NA", start, slut, utfall, mv) for e, start, slut, utfall, mv in rows],
        columns=[
            "elev_id",
            "skolenhetskod",
            "program",
            "startlasar",
            "slutlasar",
            "utfall",
            "meritvarde_ak9",
        ],
    ).astype({"slutlasar": "Int64"})


def kurser(rows):
    return pd.DataFrame(
        [(2022, e, U, "NA", f"K{i}", p, b) for i, (e, p, b) in enumerate(rows)],
        columns=["lasar", "elev_id", "skolenhetskod", "program", "kurs", "poang", "betyg"],
    )


def share(values, ind, lasar):
    v = values[(values["indikator"] == ind) & (values["lasar"] == lasar)]["value"]
    return v.mean(), len(v)


def test_gbp_is_points_weighted():
    g = compute_gbp(kurser([("e1", 100, "A"), ("e1", 200, "E"), ("e1", 100, "F")])).set_index("elev_id")
    assert g.loc["e1", "gbp"] == pytest.approx((100 * 20 + 200 * 10 + 100 * 0) / (100 + 200 + 100))


def kurser_named(rows):
    return pd.DataFrame(
        [(2023, e, U, "NA", kurs, p, b) for e, kurs, p, b in rows],
        columns=["lasar", "elev_id", "skolenhetskod", "program", "kurs", "poang", "betyg"],
    )


def test_gbp_full_programme_divides_by_2400_without_gymnasiearbetet():
    # A full programme: 24 courses of 100 points (12 A, 12 E) and the gymnasiearbete (100 p, E).
    # Skolverket: gymnasiearbetet is not in GBP -> (12*100*20 + 12*100*10) / 2 400 = 36 000 / 2 400 = 15.
    # (Counting it would give (36 000 + 1 000) / 2 500 = 14.8.)
    rows = [("e1", f"K{i:02d}", 100, "A" if i < 12 else "E") for i in range(24)]
    g = compute_gbp(kurser_named([*rows, ("e1", "GYARNA", 100, "E")])).set_index("elev_id")
    assert g.loc["e1", "poang"] == 2400
    assert g.loc["e1", "gbp"] == pytest.approx(15.0)


@pytest.mark.parametrize("gyar", ["GYARNA", "gyarte", "GYARBA"])
def test_gbp_gymnasiearbete_f_does_not_count_either(gyar):
    # courses: 100 p C (15), 50 p A (20), gymnasiearbete F -> (1500 + 1000) / 150 = 16.67
    k = kurser_named([("e1", "SVESVE01", 100, "C"), ("e1", "MATMAT01c", 50, "A"), ("e1", gyar, 100, "F")])
    g = compute_gbp(k).set_index("elev_id")
    assert g.loc["e1", "gbp"] == pytest.approx(2500 / 150)
    assert g.loc["e1", "poang"] == 150


def test_gbp_counts_courses_from_every_unit_the_pupil_attended():
    # e1 took 100 p A at unit U and 100 p E at another unit: one GBP (2000 + 1000) / 200 = 15
    k = kurser_named([("e1", "K1", 100, "A"), ("e1", "K2", 100, "E")])
    k.loc[1, "skolenhetskod"] = "66666666"
    assert compute_gbp(k).set_index("elev_id").loc["e1", "gbp"] == pytest.approx(15.0)


def test_leaver_indicators_by_hand():
    s = studievag(
        [
            ("e1", 2021, 2023, "hogskoleforberedande_examen", 250.0),
            ("e2", 2021, 2023, "yrkesexamen", 200.0),
            ("e3", 2021, 2023, "studiebevis", 150.0),
            ("e4", 2021, 2022, "avbrott", 120.0),
        ]
    )
    k = kurser([("e1", 100, "C"), ("e2", 100, "D"), ("e3", 100, "F"), ("e3", 100, "E")])
    v = compute_gymnasieskola_values(s, k, None, senaste_lasar=2023)
    assert share(v, "andel_examen", 2023) == (pytest.approx(2 / 3), 3)
    assert share(v, "hogskoleforberedande_examen", 2023) == (pytest.approx(1 / 3), 3)
    assert share(v, "yrkesexamen", 2023) == (pytest.approx(1 / 3), 3)
    assert share(v, "gbp_examen", 2023) == (pytest.approx((15 + 12.5) / 2), 2)
    assert share(v, "gbp_examen_studiebevis", 2023) == (pytest.approx((15 + 12.5 + 5) / 3), 3)


def test_cohort_convention_three_and_four_years():
    # startlasar 2021 = started autumn 2020; within 3 years = slutlasar <= 2023, reported at 2023
    s = studievag(
        [
            ("e1", 2021, 2023, "yrkesexamen", None),
            ("e2", 2021, 2024, "hogskoleforberedande_examen", None),  # 4th year
            ("e3", 2021, 2023, "studiebevis", None),
            ("e4", 2021, 2022, "avbrott", None),
            ("e5", 2022, 2024, "yrkesexamen", None),
        ]
    )
    v = compute_gymnasieskola_values(s, kurser([]), None, senaste_lasar=2024)
    assert share(v, "examen_3ar", 2023) == (pytest.approx(1 / 4), 4)
    assert share(v, "examen_4ar", 2024) == (pytest.approx(2 / 4), 4)
    assert share(v, "examen_3ar", 2024) == (1.0, 1)  # cohort 2022
    # cohort 2022 has no fourth year in the data yet: not reported
    assert share(v, "examen_4ar", 2025)[1] == 0
    assert v[(v["indikator"] == "examen_4ar")]["lasar"].max() == 2024


@pytest.mark.parametrize("senaste,reported", [(2022, False), (2023, True)])
def test_incomplete_cohort_is_not_reported(senaste, reported):
    s = studievag([("e1", 2021, None, "pagaende", None)])
    v = compute_gymnasieskola_values(s, kurser([]), None, senaste_lasar=senaste)
    assert (share(v, "examen_3ar", 2023)[1] == 1) is reported


def test_avbrott_share_of_active_pupils():
    s = studievag(
        [
            ("e1", 2022, 2022, "avbrott", None),  # active 2022, broke off 2022
            ("e2", 2021, 2023, "yrkesexamen", None),  # active 2021-2023
            ("e3", 2022, None, "pagaende", None),  # active 2022-
            ("e4", 2023, 2023, "avbrott", None),
        ]
    )
    v = compute_gymnasieskola_values(s, kurser([]), None, senaste_lasar=2023)
    assert share(v, "gy_avbrott", 2022) == (pytest.approx(1 / 3), 3)
    assert share(v, "gy_avbrott", 2023) == (pytest.approx(1 / 3), 3)
    assert share(v, "gy_avbrott", 2021) == (0.0, 1)


def test_empty_studievag_gives_no_values():
    v = compute_gymnasieskola_values(studievag([]).iloc[0:0], kurser([]), None)
    assert len(v) == 0
