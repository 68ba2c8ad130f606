"""A replaced programme's rows continue the current code's series (pipeline/indicators/programmes.py).

Handels- och administrationsprogrammet (HA) was replaced by Försäljnings- och serviceprogrammet
(FS), params/gymnasieprogram.yml: HA's last intake 2021/22, FS's first 2022/23; the first FS leavers
finish in 2024/25, so leaver files hold HA values up to 2023/24 and both codes side by side after.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.indicators import build_indicator_outputs
from pipeline.indicators.programmes import BYTEN_COLUMNS, chains, follow_programme_history
from pipeline.ingest.program import Program, programmes
from tests.indicators.helpers import UNIT_A, installningar, register

#: A hand-made programme table: HA -> FS, and NA that was never replaced.
PROGRAMMES = {
    "HA": Program("HA", "Handels- och administrationsprogrammet", "yrkes", till_lasar=2022, ersatt_av="FS"),
    "FS": Program("FS", "Försäljnings- och serviceprogrammet", "yrkes", fran_lasar=2023, ersatter="HA"),
    "NA": Program("NA", "Naturvetenskapsprogrammet", "hogskoleforberedande"),
}
COLS = ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp", "varde"]


def rows(*data):
    return pd.DataFrame([(y, "GY", "enhet", UNIT_A, "andel_examen", g, v) for y, g, v in data], columns=COLS)


def test_chains_follow_the_replacement_to_the_current_code():
    assert chains(PROGRAMMES) == {"HA": ("FS", 0)}
    three = {
        "A": Program("A", "A-programmet", "yrkes", ersatt_av="B"),
        "B": Program("B", "B-programmet", "yrkes", ersatter="A", ersatt_av="C"),
        "C": Program("C", "C-programmet", "yrkes", ersatter="B"),
    }
    assert chains(three) == {"A": ("C", 0), "B": ("C", 1)}
    # the shipped table: only HA is replaced
    assert chains(programmes()) == {"HA": ("FS", 0)}


def test_ha_in_two_years_and_fs_in_the_next_is_one_series_under_fs():
    given = rows(
        (2023, "program:HA", 80.0),
        (2024, "program:HA", 70.0),
        (2025, "program:FS", 90.0),
        (2025, "program:HA", 50.0),  # an HA pupil finishing late, beside FS's own value: kept as HA
        (2024, "program:HA|kurs:MA1", 95.0),  # a compound group follows too
        (2023, "program:NA", 60.0),
        (2024, "program:NA", 61.0),
        (2025, "program:NA", 62.0),
        (2025, "samtliga", 75.0),
    )
    out, byten = follow_programme_history(given, PROGRAMMES)
    fs = out[out["grupp"].eq("program:FS")].sort_values("lasar")
    # by hand: 2023 and 2024 are HA's values (80, 70), 2025 FS's own (90)
    assert fs[["lasar", "varde"]].values.tolist() == [[2023, 80.0], [2024, 70.0], [2025, 90.0]]
    assert out.loc[out["grupp"].eq("program:HA"), ["lasar", "varde"]].values.tolist() == [[2025, 50.0]]
    assert out.loc[out["grupp"].eq("program:FS|kurs:MA1"), "varde"].tolist() == [95.0]
    # NA and samtliga are untouched; row order and index are kept
    untouched = [5, 6, 7, 8]
    pd.testing.assert_frame_equal(out.loc[untouched], given.loc[untouched])
    assert out.index.equals(given.index) and len(out) == len(given)
    assert list(byten.columns) == BYTEN_COLUMNS
    assert byten[["lasar", "grupp", "fran", "till"]].values.tolist() == [
        [2023, "program:FS", "HA", "FS"],
        [2024, "program:FS", "HA", "FS"],
        [2024, "program:FS|kurs:MA1", "HA", "FS"],
    ]


def test_a_programme_that_was_not_replaced_is_untouched():
    given = rows((2023, "program:NA", 60.0), (2024, "program:NA", 61.0), (2024, "samtliga", 70.0))
    out, byten = follow_programme_history(given, PROGRAMMES)
    pd.testing.assert_frame_equal(out, given)
    assert byten.empty and list(byten.columns) == BYTEN_COLUMNS


def test_in_a_chain_the_later_old_code_is_moved():
    three = {
        "A": Program("A", "A-programmet", "yrkes", ersatt_av="B"),
        "B": Program("B", "B-programmet", "yrkes", ersatter="A", ersatt_av="C"),
        "C": Program("C", "C-programmet", "yrkes", ersatter="B"),
    }
    given = rows((2020, "program:A", 1.0), (2021, "program:A", 2.0), (2021, "program:B", 3.0))
    out, byten = follow_programme_history(given, three)
    # 2021: B (later in the chain) continues C's series; A's 2021 row stays as A
    assert out[["lasar", "grupp", "varde"]].values.tolist() == [
        [2020, "program:C", 1.0],
        [2021, "program:A", 2.0],
        [2021, "program:C", 3.0],
    ]
    assert byten["fran"].tolist() == ["A", "B"]


def _publicerad(data):
    cols = [
        "lasar", "skolform", "niva", "kommunkod", "skolenhetskod", "enhet", "typ_av_huvudman",
        "indikator", "grupp", "varde", "antal", "markering", "kalla",
    ]  # fmt: skip
    df = pd.DataFrame(
        [
            (
                y,
                "GY",
                "enhet",
                "9999",
                UNIT_A,
                "Enhet 1",
                "Kommunal",
                "andel_examen",
                g,
                v,
                40,
                "",
                "Skolverket",
            )
            for y, g, v in data
        ],
        columns=cols,
    )
    df["antal"] = pd.array(df["antal"], dtype="Int64")
    return df


def test_the_indicator_table_and_its_changes_follow_the_series():
    pub = _publicerad(
        [
            (2023, "program:HA", 80.0),
            (2024, "program:HA", 70.0),
            (2025, "program:FS", 90.0),
            (2024, "program:NA", 60.0),
            (2025, "program:NA", 65.0),
        ]
    )
    reg = register(UNIT_A, skolform="GY")
    out = build_indicator_outputs(
        {"skolenheter": reg, "publicerad": pub},
        huvudman_namn="Testkommun",
        kommunkod="9999",
        installningar=installningar(),
        programmes=PROGRAMMES,
    )
    ind = out["indikatorer"]
    assert not ind["grupp"].eq("program:HA").any()
    fs = ind[ind["grupp"].eq("program:FS")].sort_values("lasar")
    assert fs[["lasar", "varde"]].values.tolist() == [[2023, 80.0], [2024, 70.0], [2025, 90.0]]
    na = ind[ind["grupp"].eq("program:NA")].sort_values("lasar")
    assert na[["lasar", "varde"]].values.tolist() == [[2024, 60.0], [2025, 65.0]]
    # the one-year change 2024 -> 2025 under FS is 90 - 70 = 20 percentage points
    ch = out["forandringar"]
    one = ch[ch["grupp"].eq("program:FS") & ch["typ"].eq("ett_ar") & ch["lasar_till"].eq(2025)]
    assert one["forandring"].tolist() == [pytest.approx(20.0)]
    assert out["programbyten"][["lasar", "fran", "till"]].values.tolist() == [
        [2023, "HA", "FS"],
        [2024, "HA", "FS"],
    ]
