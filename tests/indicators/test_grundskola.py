import pandas as pd
import pytest

from pipeline.amnen import AMNEN_16
from pipeline.indicators.core import aggregate_values, explode_groups
from pipeline.indicators.grundskola import compute_grundskola_values, compute_meritvarde, compute_pass_flags
from tests.indicators.helpers import UNIT_A, cell, grades, pupils

ORDINARY_16 = list(AMNEN_16)


def all_of(grade, subjects=ORDINARY_16):
    return " ".join(f"{s}:{grade}" for s in subjects)


def mv(spec):
    return compute_meritvarde(grades(spec)).set_index("elev_id")


def test_meritvarde_full_marks_with_m2():
    m = mv({"e1": all_of("A") + " M2:A"})
    assert m.loc["e1", "meritvarde_16"] == 16 * 20
    assert m.loc["e1", "meritvarde_17"] == 16 * 20 + 20


def test_meritvarde_takes_the_16_best_ordinary_subjects():
    # 16 A and one extra ordinary subject (modersmål) with E: the E is not among the best 16
    m = mv({"e1": all_of("A") + " ML:E"})
    assert m.loc["e1", "meritvarde_16"] == 16 * 20
    assert m.loc["e1", "meritvarde_17"] == 16 * 20  # no M2: 17 equals 16


def test_meritvarde_16_takes_sprakval_among_the_16_best():
    # Skolverket: "Betyg i moderna språk som språkval kan ingå bland de 16 ämnena".
    # SV E, the other 15 ordinary subjects F, M2 A. 16 best of the 17 grades: A (20) + E (10) +
    # 14 F (0) = 30. Meritvärde 17: 16 best of the 16 ordinary ones = 10, plus M2 A = 20 -> 30.
    subjects = " ".join(f"{s}:F" for s in ORDINARY_16[1:])
    m = mv({"e1": f"SV:E {subjects} M2:A"})
    assert m.loc["e1", "meritvarde_16"] == 30
    assert m.loc["e1", "meritvarde_17"] == 30


@pytest.mark.parametrize(
    "text,expected16,expected17",
    [
        # 15 A and one F, M2 C: the C replaces the F among the 16 -> 15*20 + 15 = 315;
        # 17: 15*20 + 0 (the F) + 15 (M2) = 315
        (all_of("A", ORDINARY_16[:15]) + f" {ORDINARY_16[15]}:F M2:C", 315, 315),
        # 16 E, M2 A: 16 best = 15 E + A = 150 + 20 = 170; 17: 16*10 + 20 = 180
        (all_of("E") + " M2:A", 170, 180),
        # 16 A, modersmål A, M2 E: 16 best of 18 = 320; 17: best 16 of the 17 non-språkval = 320,
        # + M2 10 = 330 (modersmål is never the 17th)
        (all_of("A") + " ML:A M2:E", 320, 330),
        # 16 A, modersmål B, no M2: 320 / 320 (modersmål does not become a 17th subject)
        (all_of("A") + " ML:B", 320, 320),
        # only språkval passed: SV F, EN -, M2 D -> 16: 12.5; 17: 0 + 12.5
        ("SV:F EN:- M2:D", 12.5, 12.5),
    ],
)
def test_meritvarde_16_and_17_by_hand(text, expected16, expected17):
    m = mv({"e1": text})
    assert m.loc["e1", "meritvarde_16"] == pytest.approx(expected16)
    assert m.loc["e1", "meritvarde_17"] == pytest.approx(expected17)


@pytest.mark.parametrize(
    "text,expected16",
    [
        ("SV:C EN:E MA:F BI:-", 15 + 10 + 0 + 0),  # streck counts 0
        ("SV:B EN:D MA:A", 17.5 + 12.5 + 20),
        ("SV:F EN:-", 0),
    ],
)
def test_meritvarde_grade_values(text, expected16):
    assert mv({"e1": text}).loc["e1", "meritvarde_16"] == expected16


def test_average_counts_only_pupils_with_a_pass():
    b = grades({"e1": "SV:A EN:A", "e2": "SV:E EN:F", "e3": "SV:F EN:-", "e4": "SV:F M2:E"})
    e = pupils({k: ("flicka", "gymnasial", False) for k in ("e1", "e2", "e3", "e4")})
    v = compute_grundskola_values(
        b, e, pd.DataFrame(columns=["lasar", "elev_id", "skolenhetskod", "arskurs", "amne", "provbetyg"])
    )
    m17 = v[v["indikator"] == "meritvarde_17"].set_index("elev_id")["value"]
    m16 = v[v["indikator"] == "meritvarde_16"].set_index("elev_id")["value"]
    # Skolverket: the average is over pupils with at least one E in any subject (M2 included):
    # e3 has no pass and is left out of both; e4 passes only M2 and is in both.
    assert sorted(m17.index) == ["e1", "e2", "e4"]
    assert sorted(m16.index) == ["e1", "e2", "e4"]
    # e1 20+20 = 40; e2 10+0 = 10; e4: 16 best of {F, E} = 10, 17 = 0 + 10 = 10
    assert m17.mean() == pytest.approx((40 + 10 + 10) / 3)
    assert m16.mean() == pytest.approx((40 + 10 + 10) / 3)


@pytest.mark.parametrize(
    "text,passed",
    [
        ("SV:A EN:E MA:C", True),
        ("SV:A EN:F MA:C", False),
        ("SV:A EN:- MA:C", False),  # streck is not passed
        ("SV:F EN:F", False),  # no passes: included in the denominator
        ("SV:E M2:F", False),  # språkval counts as a subject read
    ],
)
def test_godkand_alla_amnen(text, passed):
    f = compute_pass_flags(grades({"e1": text}), arskurs=9)
    assert bool(f.loc[0, "godkand_alla"]) is passed


OTHER9 = "GE:E HI:E RE:E SH:E BI:E FY:E KE:E TK:E BL:E"


@pytest.mark.parametrize(
    "text,expected",
    [
        # core + exactly 5 others -> yrkes only
        (
            "SV:E EN:E MA:E BI:E FY:E KE:E TK:E BL:E",
            dict(yrkes=True, ekonomi=False, natur=False, estet=False),
        ),
        # core + 4 others -> nothing
        ("SV:E EN:E MA:E BI:E FY:E KE:E TK:E", dict(yrkes=False, ekonomi=False, natur=False, estet=False)),
        # SVA instead of SV, 9 others incl. GE HI RE SH BI FY KE -> all
        (f"SVA:C EN:E MA:E {OTHER9}", dict(yrkes=True, ekonomi=True, natur=True, estet=True)),
        # failed MA -> nothing, however many others
        (f"SV:A EN:A MA:F {OTHER9} MU:A", dict(yrkes=False, ekonomi=False, natur=False, estet=False)),
        # 9 others without KE -> ekonomi and estet, not natur
        (
            "SV:E EN:E MA:E GE:E HI:E RE:E SH:E BI:E FY:E TK:E BL:E MU:E",
            dict(yrkes=True, ekonomi=True, natur=False, estet=True),
        ),
        # 9 others without SH -> natur and estet, not ekonomi; M2 counts as another subject
        (
            "SV:E EN:E MA:E GE:E HI:E RE:E BI:E FY:E KE:E TK:E BL:E M2:E",
            dict(yrkes=True, ekonomi=False, natur=True, estet=True),
        ),
    ],
)
def test_behorighet(text, expected):
    f = compute_pass_flags(grades({"e1": text}), arskurs=9).iloc[0]
    assert {k: bool(f[f"behorighet_{k}"]) for k in expected} == expected


def test_shares_and_np_aggregate_by_hand():
    b = grades({"e1": "SV:A EN:A MA:A", "e2": "SV:E EN:F MA:E", "e3": "SV:C EN:C MA:C"})
    b6 = grades({"e1": "SV:A", "e2": "SV:F", "e3": "SV:E"}, arskurs=6, lasar=2021)
    e = pupils(
        {
            "e1": ("flicka", "eftergymnasial", False),
            "e2": ("pojke", "gymnasial", True),
            "e3": ("pojke", "okand", False),
        }
    )
    npr = pd.DataFrame(
        [
            (2024, "e1", UNIT_A, 9, "SV", "A"),
            (2024, "e2", UNIT_A, 9, "MA", "F"),
            (2024, "e3", UNIT_A, 9, "EN", "E"),
            (2024, "e3", UNIT_A, 9, "BI", "F"),
        ],  # BI is not one of the tests counted
        columns=["lasar", "elev_id", "skolenhetskod", "arskurs", "amne", "provbetyg"],
    )
    v = compute_grundskola_values(pd.concat([b, b6]), e, npr).assign(skolform="GR")
    c = aggregate_values(explode_groups(v), typ="andel", konfidensniva=0.95)
    assert cell(c, niva="enhet", indikator="godkand_alla_amnen", grupp="samtliga", lasar=2024)[
        "varde"
    ] == pytest.approx(100 * 2 / 3)
    assert cell(c, niva="enhet", indikator="godkand_alla_amnen", grupp="pojkar", lasar=2024)[
        "varde"
    ] == pytest.approx(100 * 1 / 2)
    assert cell(c, niva="enhet", indikator="godkand_alla_amnen", grupp="nyanland", lasar=2024)["varde"] == 0
    assert (
        cell(
            c, niva="enhet", indikator="godkand_alla_amnen", grupp="foraldrar_ej_eftergymnasial", lasar=2024
        )["antal"]
        == 2
    )
    assert cell(c, niva="enhet", indikator="np_ak9_provbetyg_ae", grupp="samtliga", lasar=2024)[
        "varde"
    ] == pytest.approx(100 * 2 / 3)
    assert cell(c, niva="enhet", indikator="np_ak9_provbetyg_ae", grupp="samtliga", lasar=2024)["antal"] == 3
    ak6 = cell(c, niva="huvudman", indikator="ak6_godkand_alla_amnen", grupp="samtliga", lasar=2021)
    assert ak6["varde"] == pytest.approx(100 * 2 / 3)
