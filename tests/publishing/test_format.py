"""The one Swedish formatter (pipeline.publishing.format).

Expected strings are written by hand from the rules: decimal comma, digits grouped by three with a
no-break space, minus sign U+2212, round half away from zero on the decimal value.
"""

from __future__ import annotations

import datetime
import math

import pytest
from babel.numbers import format_decimal

from pipeline.indicators import format as indicators_format
from pipeline.publishing.format import (
    DASH,
    MINUS,
    NBSP,
    exact,
    format_change,
    format_count,
    format_date,
    format_interval,
    format_number,
    format_significant,
    format_value,
    lasar_text,
    round_value,
)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (231.44, 1, "231,4"),
        (12345.678, 1, f"12{NBSP}345,7"),
        (1234567, 0, f"1{NBSP}234{NBSP}567"),
        (-3.25, 1, MINUS + "3,3"),  # half away from zero: −3,25 -> −3,3
        (84.25, 1, "84,3"),  # the binary float is 84.2499...; the decimal value 84.25 rounds up
        (0.125, 2, "0,13"),
        (2.5, 0, "3"),  # not banker's rounding (which gives 2)
        (0.0, 1, "0,0"),
        (-0.04, 1, "0,0"),  # rounds to zero: never "−0,0"
        (None, 1, DASH),
        (math.nan, 1, DASH),
        (math.inf, 1, DASH),
    ],
)
def test_format_number(value, decimals, expected):
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize("value", [0.0, 1.5, 231.41666, 12345.678, 1e6 + 0.3])
def test_grouping_and_decimal_sign_are_babels_sv_se(value):
    # Babel's own sv_SE pattern for a positive value (ties excluded: Babel rounds half to even)
    assert format_number(value, 1) == format_decimal(value, format="#,##0.0", locale="sv_SE")


def test_units_and_signed_changes():
    assert format_number(84.25, 1, "procent") == f"84,3{NBSP}%"
    assert format_number(8.3, 1, "poang", sign=True) == f"+8,3{NBSP}poäng"
    assert format_number(-8.3, 1, sign=True) == MINUS + "8,3"
    assert format_number(0.01, 1, sign=True) == "0,0"
    # a share changes in procentenheter; points stay points
    assert format_change(1.25, enhet="procent", decimals=1) == f"+1,3{NBSP}procentenheter"
    assert format_change(-4.0, enhet="poang", decimals=1) == f"{MINUS}4,0{NBSP}poäng"
    assert format_change(-4.0, enhet="poang", decimals=1, words=False) == f"{MINUS}4,0"


def test_the_same_value_is_written_the_same_in_a_table_and_a_sentence():
    # issue 11: 84,25 % was "84,2" in a table and "84,3" in the sentence beside it
    table = format_value(84.25, enhet="procent", decimals=1)
    sentence = format_number(84.25, 1, "procent")
    assert table == sentence == f"84,3{NBSP}%"
    assert indicators_format.format_number(84.25, 1, "procent") == sentence  # the redirect


def test_format_value_units_and_markers():
    assert format_value(87.46, enhet="procent", decimals=1) == f"87,5{NBSP}%"
    assert format_value(231.4, enhet="poang", decimals=1) == "231,4"
    assert format_value(None, enhet="procent", decimals=1, markering="undertryckt") == DASH
    assert format_value(12.0, enhet="procent", decimals=1, markering="undertryckt") == DASH
    assert format_value(None, enhet="procent", decimals=1, markering="saknas") == DASH
    assert format_value(100.0, enhet="procent", decimals=1, markering="avrundad") == f"~100{NBSP}%"


def test_counts_under_the_threshold_are_never_exact():
    assert format_count(7, threshold=10) == "färre än 10"
    assert format_count(0, threshold=10) == "färre än 10"
    assert format_count(9.0, threshold=10) == "färre än 10"
    assert format_count(10, threshold=10) == "10"
    assert format_count(1234, threshold=10) == f"1{NBSP}234"
    assert format_count(3, threshold=5) == "färre än 5"
    assert format_count(None, threshold=10) == DASH


def test_interval_lasar_date_significant():
    assert format_interval(225.12, 237.66, enhet="poang", decimals=1) == f"225,1{DASH}237,7"
    assert format_interval(None, 3, enhet="poang", decimals=1) == DASH
    assert lasar_text(2024) == "2023/24"
    assert lasar_text(2000) == "1999/00"
    assert format_date(datetime.date(2024, 8, 1)) == "1 augusti 2024"
    assert format_significant(0.000123456789) == "0,000123457"
    assert format_significant(-12.5) == MINUS + "12,5"
    assert format_significant(1234567.0) == f"1{NBSP}234{NBSP}567"


def test_round_value_is_what_the_reader_sees():
    assert round_value(84.25, 1) == 84.3
    assert round_value(-3.25, 1) == -3.3
    assert round_value(None, 1) is None


def test_exact_keeps_every_digit():
    assert exact(231.41666666666666) == "231.41666666666666"
    assert float(exact(0.1 + 0.2)) == 0.1 + 0.2
    assert exact(None) == "" and exact(math.nan) == ""
    assert exact(60) == "60"


def test_a_count_is_written_with_its_word_in_every_change_text():
    """Elever i åk 9 with slutbetyg, 30 -> 28: every change text says "−2 elever" (the registry's
    ``enhet_ord``); a count without a word (elevantal, which counts barn, elever or kursdeltagare
    by school form) stays a bare number."""
    from pipeline.config import ProjectPaths, load_params
    from pipeline.indicators.registry import load_indicator_registry
    from pipeline.paths import REPO_ROOT
    from pipeline.publishing.wording import change_sentence, unit_word

    reg = load_indicator_registry()
    ak9 = reg.get("antal_elever_ak9")
    assert ak9.enhet_text == "elever"
    assert format_change(-2, enhet=ak9.enhet_text, decimals=0) == "−2\xa0elever"
    label = load_params(ProjectPaths(REPO_ROOT)).label
    assert unit_word(label, ak9, change=True) == "elever"
    assert unit_word(label, reg.get("kostnad_per_elev")) == "kronor"
    assert unit_word(label, reg.get("elevantal")) == ""
    change = {
        "indikator": "antal_elever_ak9",
        "grupp": "samtliga",
        "niva": "huvudman",
        "forandring": -2.0,
        "lasar_fran": 2023,
        "lasar_till": 2024,
        "test": "ingen",
        "riktning_bedomning": "ej_testad",
        "typ": "ett_ar",
    }
    html, text = change_sentence(label, change, ak9)
    assert text.startswith("−2 elever sedan 2022/23"), text  # lasar 2023 is läsåret 2022/23
    assert "elever" in str(html)
