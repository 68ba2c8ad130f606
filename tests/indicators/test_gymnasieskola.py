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


V = "66666666"


def paths(rows):
    """(elev_id, skolenhetskod, startlasar, slutlasar, utfall) -> gy_studievag rows."""
    return pd.DataFrame(
        [(e, u, "NA", start, slut, utfall, None) for e, u, start, slut, utfall in rows],
        columns=[
            "elev_id",
            "skolenhetskod",
            "program",
            "startlasar",
            "slutlasar",
            "utfall",
            "meritvarde_ak9",
        ],
    ).astype({"slutlasar": "Int64", "meritvarde_ak9": "float64"})


def by_unit(values, ind, lasar):
    v = values[(values["indikator"] == ind) & (values["lasar"] == lasar)]
    return {u: (g["value"].sum(), len(g)) for u, g in v.groupby("skolenhetskod")}


def test_examen_cohort_follows_persons_across_units_from_their_first_start():
    # Skolverket, genomströmning: the cohort is pupils by their first start (here autumn 2020,
    # startlasar 2021), followed across units; the pupil stays with the unit of that first start.
    s = paths(
        [
            ("p1", U, 2021, 2021, "avbrott"),  # left U in year 1 ...
            ("p1", V, 2022, 2023, "yrkesexamen"),  # ... examen at V in 2023: within 3 years, for U
            ("p2", U, 2021, 2023, "hogskoleforberedande_examen"),  # within 3 years, U
            ("p3", V, 2021, 2022, "avbrott"),  # left V ...
            ("p3", U, 2022, 2024, "hogskoleforberedande_examen"),  # ... examen 2024: 4 years, for V
            ("p4", V, 2021, 2023, "studiebevis"),  # no examen
        ]
    )
    v = compute_gymnasieskola_values(s, kurser([]), None, senaste_lasar=2024)
    # examen inom 3 år (reported 2023): U = p1, p2 -> 2 of 2; V = p3, p4 -> 0 of 2; all 2 of 4
    assert by_unit(v, "examen_3ar", 2023) == {U: (2, 2), V: (0, 2)}
    # examen inom 4 år (reported 2024): U 2 of 2; V = p3 (examen 2024) -> 1 of 2; all 3 of 4
    assert by_unit(v, "examen_4ar", 2024) == {U: (2, 2), V: (1, 2)}
    # one row per person: 4 pupils in the cohort, not 6 study paths; no cohort row for 2022 starts
    assert len(v[v["indikator"] == "examen_3ar"]) == 4
    assert share(v, "examen_3ar", 2024)[1] == 0


def test_first_start_between_two_paths_of_the_same_year():
    # q1 started at V and at U in the same läsår; the U path ended first (2021), so U is the first
    # start; q2 has only an open path at V.
    from pipeline.indicators.gymnasieskola import first_starts

    s = paths(
        [
            ("q1", V, 2021, 2023, "yrkesexamen"),
            ("q1", U, 2021, 2021, "avbrott"),
            ("q2", V, 2022, None, "pagaende"),
        ]
    )
    f = first_starts(s).set_index("elev_id")
    assert f.loc["q1", "skolenhetskod"] == U and f.loc["q1", "startlasar"] == 2021
    assert f.loc["q2", "skolenhetskod"] == V


def test_a_change_of_school_is_not_an_avbrott():
    s = paths(
        [
            ("p1", U, 2022, 2022, "avbrott"),  # changed to V the next läsår: not an avbrott
            ("p1", V, 2023, None, "pagaende"),
            ("p2", U, 2022, 2022, "avbrott"),  # left gymnasieskolan: avbrott
            ("p3", U, 2022, None, "pagaende"),
        ]
    )
    v = compute_gymnasieskola_values(s, kurser([]), None, senaste_lasar=2023)
    # 2022 at U: p1, p2, p3 active; only p2 broke off -> 1 of 3
    assert by_unit(v, "gy_avbrott", 2022) == {U: (1, 3)}
    # 2023: p1 at V, p3 at U, no avbrott
    assert by_unit(v, "gy_avbrott", 2023) == {U: (0, 1), V: (0, 1)}


def test_examen_cohort_through_the_build_counts_persons():
    # The same four pupils as above through build_indicator_outputs (threshold 1): p1 and p3 have
    # two study paths each but are one person each. examen inom 3 år 2023: U 2 of 2 (100 %),
    # V 0 of 2 (0 %), huvudman 2 of 4 = 50 % with antal 4 (persons, not the 6 paths).
    from pipeline.indicators import build_indicator_outputs
    from tests.indicators.helpers import cell, installningar, register

    s = paths(
        [
            ("p1", U, 2021, 2021, "avbrott"),
            ("p1", V, 2022, 2023, "yrkesexamen"),
            ("p2", U, 2021, 2023, "hogskoleforberedande_examen"),
            ("p3", V, 2021, 2022, "avbrott"),
            ("p3", U, 2022, 2024, "hogskoleforberedande_examen"),
            ("p4", V, 2021, 2023, "studiebevis"),
        ]
    )
    out = build_indicator_outputs(
        {"skolenheter": register(U, V, skolform="GY"), "gy_studievag": s, "kursbetyg": kurser([])},
        huvudman_namn="Testkommun",
        kommunkod="9999",
        installningar=installningar(undertryck_min_antal=1),
    )["indikatorer"]
    hm = cell(out, niva="huvudman", indikator="examen_3ar", grupp="samtliga", lasar=2023)
    assert hm["varde"] == pytest.approx(50.0) and hm["antal"] == 4
    assert cell(out, niva="enhet", skolenhetskod=U, indikator="examen_3ar", grupp="samtliga", lasar=2023)[
        "varde"
    ] == pytest.approx(100.0)
    assert cell(out, niva="enhet", skolenhetskod=V, indikator="examen_3ar", grupp="samtliga", lasar=2023)[
        "varde"
    ] == pytest.approx(0.0)
    # examen inom 4 år 2024: 3 of 4 (p3's examen in 2024 counts, for V)
    e4 = cell(out, niva="huvudman", indikator="examen_4ar", grupp="samtliga", lasar=2024)
    assert e4["varde"] == pytest.approx(75.0) and e4["antal"] == 4
