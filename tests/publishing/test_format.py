"""Swedish number formatting (pipeline.publishing.format)."""

from __future__ import annotations

import math

import pytest
from great_tables import vals

from pipeline.publishing.format import (
    DASH,
    MINUS,
    exact,
    format_interval,
    format_number,
    format_value,
    lasar_text,
)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (231.44, 1, "231,4"),
        (12345.678, 1, "12 345,7"),
        (1234567, 0, "1 234 567"),
        (-3.25, 1, MINUS + "3,2"),
        (0.0, 1, "0,0"),
        (-0.04, 1, "0,0"),
        (None, 1, DASH),
        (math.nan, 1, DASH),
    ],
)
def test_format_number(value, decimals, expected):
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize("value", [0.0, 1.5, 2.25, 99.95, 231.41666, 12345.678, -17.5, 1e6 + 0.05])
@pytest.mark.parametrize("decimals", [0, 1, 2])
def test_format_number_agrees_with_great_tables_sv(value, decimals):
    assert format_number(value, decimals) == vals.fmt_number([value], decimals=decimals, locale="sv")[0]


def test_signed_changes():
    assert format_number(8.3, 1, sign=True) == "+8,3"
    assert format_number(-8.3, 1, sign=True) == MINUS + "8,3"
    assert format_number(0.01, 1, sign=True) == "0,0"


def test_format_value_units_and_markers():
    assert format_value(87.46, enhet="procent", decimals=1) == "87,5\u00a0%"
    assert format_value(231.4, enhet="poang", decimals=1) == "231,4"
    assert format_value(None, enhet="procent", decimals=1, markering="undertryckt") == DASH
    assert format_value(None, enhet="procent", decimals=1, markering="saknas") == DASH
    assert format_value(100.0, enhet="procent", decimals=1, markering="avrundad") == "~100\u00a0%"


def test_interval_and_lasar():
    assert format_interval(225.12, 237.66, enhet="poang", decimals=1) == f"225,1{DASH}237,7"
    assert format_interval(None, 3, enhet="poang", decimals=1) == DASH
    assert lasar_text(2024) == "2023/24"
    assert lasar_text(2000) == "1999/00"


def test_exact_keeps_every_digit():
    assert exact(231.41666666666666) == "231.41666666666666"
    assert float(exact(0.1 + 0.2)) == 0.1 + 0.2
    assert exact(None) == "" and exact(math.nan) == ""
    assert exact(60) == "60"
