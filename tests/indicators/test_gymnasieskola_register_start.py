"""Cohorts and avbrott are reported only for years the pupil register covers."""

from __future__ import annotations

import pandas as pd

from pipeline.indicators.gymnasieskola import compute_gymnasieskola_values

UNIT = "99993001"


def _paths() -> pd.DataFrame:
    # p1 started 2019 (before the register begins in 2020) and took examen 2021;
    # p2 started 2020 and dropped out in 2020; p3 started 2020 and took examen 2022.
    return pd.DataFrame(
        {
            "elev_id": ["p1", "p2", "p3"],
            "skolenhetskod": [UNIT] * 3,
            "program": ["NA", "NA", "EK"],
            "startlasar": [2019, 2020, 2020],
            "slutlasar": pd.array([2021, 2020, 2022], dtype="Int64"),
            "utfall": ["hogskoleforberedande_examen", "avbrott", "hogskoleforberedande_examen"],
            "meritvarde_ak9": [250.0, 180.0, 230.0],
        }
    )


def _elever() -> pd.DataFrame:
    rows = [(y, e) for y in (2020, 2021, 2022) for e in ("p1", "p2", "p3")]
    return pd.DataFrame(
        {
            "lasar": [y for y, _ in rows],
            "elev_id": [e for _, e in rows],
            "skolenhetskod": UNIT,
            "skolform": "GY",
            "arskurs": pd.array([None] * len(rows), dtype="Int64"),
            "kon": "flicka",
            "nyanland": False,
            "foraldrar_utbildning": "gymnasial",
            "program": "NA",
        }
    )


def test_cohort_started_before_the_register_is_not_reported():
    kurser = pd.DataFrame(columns=["lasar", "elev_id", "skolenhetskod", "program", "kurs", "poang", "betyg"])
    v = compute_gymnasieskola_values(_paths(), kurser, _elever(), senaste_lasar=2022)
    e3 = v[v["indikator"] == "examen_3ar"]
    # Only the 2020 cohort (p2, p3), reported at 2020 + 2 = 2022: 1 of 2 with examen.
    assert sorted(e3["elev_id"]) == ["p2", "p3"]
    assert set(e3["lasar"]) == {2022}
    assert e3["value"].mean() == 1 / 2


def test_avbrott_only_from_the_first_register_year():
    kurser = pd.DataFrame(columns=["lasar", "elev_id", "skolenhetskod", "program", "kurs", "poang", "betyg"])
    v = compute_gymnasieskola_values(_paths(), kurser, _elever(), senaste_lasar=2022)
    av = v[v["indikator"] == "gy_avbrott"]
    assert av["lasar"].min() == 2020  # p1's 2019 is before the register
    # 2020: p1, p2, p3 active, p2 left -> 1/3
    y2020 = av[av["lasar"] == 2020]
    assert len(y2020) == 3 and y2020["value"].sum() == 1
