"""The one Swedish formatter: every number, share, change, count and date a reader sees.

Built on Babel's ``sv_SE`` locale (decimal comma, digits grouped by three with a no-break space
U+00A0). Tables, sentences, figure axes and alt texts, key figures, the PDF and the Quarto book all
call these functions, so the same value is written the same way everywhere::

    format_number(231.44, 1)                      -> '231,4'
    format_number(84.25, 1, "procent")            -> '84,3 %'        (no-break space)
    format_number(-1.3, 1, "procentenheter")      -> '−1,3 procentenheter'
    format_number(8.3, 1, "poang", sign=True)     -> '+8,3 poäng'
    format_number(12345, 0)                       -> '12 345'
    format_number(None, 1)                        -> '–'
    format_count(7, threshold=10)                 -> 'färre än 10'
    format_date(date(2024, 8, 1))                 -> '1 augusti 2024'

The rounding rule (one, everywhere): **round half away from zero on the decimal value** of the
number (``repr`` of the float), at presentation only. So 84.25 is "84,3" and 0.125 is "0,13",
although the binary floats lie just below them; a value that rounds to zero is never negative
("0,0", not "−0,0"). A negative number starts with the minus sign U+2212 (read as "minus" by
screen readers); a missing, hidden or infinite value is an en dash "–".

The words after a number (``poäng``, ``procentenheter``, ``per 100 elever``) and "färre än {n}"
are reader text: they come from ``params/labels.yml`` (``enheter``, ``procentenheter``,
``format.farre_an``), never from this module.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Any

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal as _babel_decimal

LOCALE = "sv_SE"
NBSP = "\u00a0"
MINUS = "\u2212"
DASH = "\u2013"
#: Alias kept for callers of the former ``pipeline.indicators.format``.
MISSING = DASH
#: Shown for a value Skolverket publishes as ``~100``.
ROUNDED_100 = "~100"


@lru_cache(maxsize=1)
def default_labels() -> Mapping[str, Any]:
    """The repository's ``params/labels.yml`` (the words after numbers)."""
    from pipeline.config import read_yaml
    from pipeline.paths import REPO_ROOT

    data = read_yaml(REPO_ROOT / "params" / "labels.yml")
    return data if isinstance(data, Mapping) else {}


def _word(*keys: str) -> str | None:
    node: Any = default_labels()
    for k in keys:
        if not isinstance(node, Mapping) or k not in node:
            return None
        node = node[k]
    return None if node is None else str(node)


def unit_text(unit: str) -> str:
    """What follows a number of this unit: ``%`` for ``procent``; the word from ``labels.yml``
    for a unit code (``poang`` -> ``poäng``, ``procentenheter``); any other text as it is."""
    if unit == "procent":
        return "%"
    if unit == "procentenheter":
        return _word("procentenheter") or unit
    word = _word("enheter", unit) if unit else ""
    return unit if word is None else word


def is_missing(value: object) -> bool:
    """True for ``None``, NaN, pandas' NA and infinities."""
    if value is None:
        return True
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        try:
            return bool(value != value)
        except (TypeError, ValueError):
            return True
    return math.isnan(x) or math.isinf(x)


def round_decimal(value: float | int, decimals: int) -> Decimal:
    """``value`` rounded half away from zero at ``decimals`` on its decimal representation."""
    if decimals < 0:
        raise ValueError(f"`decimals` must be 0 or more, got {decimals!r}.")
    d = Decimal(str(value)) if isinstance(value, int) else Decimal(repr(float(value)))
    with localcontext() as c:
        c.prec = 60
        return d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def round_value(value: float | int | None, decimals: int) -> float | None:
    """The number a reader sees, as a float (for a table's rounded ``.data``); ``None`` if missing."""
    if is_missing(value):
        return None
    return float(round_decimal(value, decimals))  # type: ignore[arg-type]


def format_number(value: object, decimals: int = 1, unit: str = "", *, sign: bool = False) -> str:
    """Format a number the Swedish way (see the module docstring for the rules).

    Parameters
    ----------
    value
        The number; ``None``/NaN/NA/±inf gives ``–``.
    decimals
        Digits after the decimal comma (≥ 0).
    unit
        A unit code (``procent`` -> ``%``, ``procentenheter``, ``poang``, ...) or any text,
        written after a no-break space; ``""`` for none.
    sign
        Prefix ``+`` on positive numbers (for changes).
    """
    if is_missing(value):
        return DASH
    try:
        d = round_decimal(value, decimals)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError) as exc:
        if isinstance(exc, ValueError) and "decimals" in str(exc):
            raise
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    text = _babel_decimal(abs(d), format=pattern, locale=LOCALE, decimal_quantization=True)
    if d < 0:
        text = MINUS + text
    elif sign and d > 0:
        text = "+" + text
    suffix = unit_text(unit) if unit else ""
    return f"{text}{NBSP}{suffix}" if suffix else text


def change_unit(enhet: str) -> str:
    """The unit of a change of a value in ``enhet``: a share changes in ``procentenheter``."""
    return "procentenheter" if enhet == "procent" else enhet


def format_change(delta: object, *, enhet: str, decimals: int, words: bool = True) -> str:
    """A signed change: ``+1,3 procentenheter``, ``−4,0 poäng``, ``0,0`` (no sign at zero).

    ``words=False`` leaves out the unit (for a table column whose heading names it).
    """
    return format_number(delta, decimals, change_unit(enhet) if words else "", sign=True)


def unit_suffix(enhet: str) -> str:
    """What follows a value of this indicator unit in a table (``" %"`` for shares, else nothing)."""
    return NBSP + "%" if enhet == "procent" else ""


def format_value(value: object, *, enhet: str, decimals: int, markering: str = "") -> str:
    """One indicator value with its unit and marker (``82,3 %``, ``231,5``).

    ``undertryckt`` and ``saknas`` give ``–``; ``avrundad`` gives ``~100 %``.
    """
    if markering == "avrundad":
        return ROUNDED_100 + unit_suffix(enhet)
    if markering in ("undertryckt", "saknas") or is_missing(value):
        return DASH
    return format_number(value, decimals) + unit_suffix(enhet)


def format_interval(low: object, high: object, *, enhet: str, decimals: int) -> str:
    """``225,1–237,7`` (with ``%`` for shares); ``–`` when either end is missing."""
    if is_missing(low) or is_missing(high):
        return DASH
    return f"{format_number(low, decimals)}{DASH}{format_number(high, decimals)}{unit_suffix(enhet)}"


def format_count(value: object, *, threshold: int) -> str:
    """A count of persons: exact at or above ``threshold``; below it never exactly, but
    ``färre än 10`` (``format.farre_an`` in ``labels.yml``); ``–`` when missing."""
    if is_missing(value):
        return DASH
    n = float(value)  # type: ignore[arg-type]
    if n < threshold:
        tpl = _word("format", "farre_an") or "< {n}"
        return tpl.format(n=format_number(threshold, 0))
    return format_number(n, 0)


def format_significant(value: object, digits: int = 6) -> str:
    """A model coefficient with ``digits`` significant digits (rounded by the same rule)."""
    if is_missing(value):
        return DASH
    x = float(value)  # type: ignore[arg-type]
    if x == 0:
        return format_number(0, 0)
    exponent = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - exponent)
    text = format_number(x, decimals)
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


def format_date(value: _dt.date) -> str:
    """``1 augusti 2024`` (Babel's long ``sv_SE`` date)."""
    return _babel_date(value, format="long", locale=LOCALE)


def lasar_text(lasar: int) -> str:
    """``2024`` -> ``2023/24`` (läsår are stored by their spring year)."""
    return f"{lasar - 1}/{str(lasar)[-2:]}"


def exact(value: object) -> str:
    """The exact, unrounded value for a ``data-varde`` attribute (``repr`` of the float, or '')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return "" if math.isnan(x) else repr(x)


def lower_first(text: str) -> str:
    """Lower-case the first letter of a name used inside a sentence ('Flickor' -> 'flickor'), but
    leave acronyms and codes ('GBP', 'NA') as they are."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]
