"""Swedish number formatting for reader-facing pages.

Decimal comma, a space as thousands separator, a true minus sign (U+2212), ``%`` for shares,
``–`` (en dash) for a value that is hidden or missing. The output equals great-tables'
``vals.fmt_number(..., locale="sv")`` (a test checks it); we do not call great-tables per number
because each call costs about 15 ms, and a report formats tens of thousands of numbers.

Rounding happens only here, at presentation: Python's round-half-even on the stored binary value,
as great-tables does.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping

MINUS = "\u2212"
DASH = "\u2013"
#: Shown for a value Skolverket publishes as ``~100``.
ROUNDED_100 = "~100"


def is_missing(value: object) -> bool:
    """True for ``None``, NaN and pandas' NA."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and pd.NA
    except (TypeError, ValueError):
        return True


def format_number(value: float | int | None, decimals: int = 1, *, sign: bool = False) -> str:
    """Format a number the Swedish way: ``12 345,7``, ``−3,2``.

    Parameters
    ----------
    value
        The number; ``None``/NaN gives ``–``.
    decimals
        Digits after the decimal comma.
    sign
        Prefix ``+`` on positive numbers (for changes).
    """
    if is_missing(value):
        return DASH
    x = float(value)  # type: ignore[arg-type]
    if math.isinf(x):
        return DASH
    text = f"{abs(x):,.{decimals}f}".replace(",", " ").replace(".", ",")
    zero = float(text.replace(" ", "").replace(",", ".")) == 0.0
    if x < 0 and not zero:
        return MINUS + text
    if sign and x > 0 and not zero:
        return "+" + text
    return text


def unit_suffix(enhet: str) -> str:
    """What follows a value of this indicator unit (``" %"`` for shares, else nothing)."""
    return "\u00a0%" if enhet == "procent" else ""


def format_value(value: float | None, *, enhet: str, decimals: int, markering: str = "") -> str:
    """Format one indicator value with its unit and marker.

    ``undertryckt`` and ``saknas`` give ``–``; ``avrundad`` gives ``~100``.
    """
    if markering == "avrundad":
        return ROUNDED_100 + unit_suffix(enhet)
    if markering in ("undertryckt", "saknas") or is_missing(value):
        return DASH
    return format_number(value, decimals) + unit_suffix(enhet)


def format_interval(low: float | None, high: float | None, *, enhet: str, decimals: int) -> str:
    """``225,1–237,7`` (with ``%`` for shares); ``–`` when either end is missing."""
    if is_missing(low) or is_missing(high):
        return DASH
    return f"{format_number(low, decimals)}{DASH}{format_number(high, decimals)}{unit_suffix(enhet)}"


def lasar_text(lasar: int) -> str:
    """``2024`` -> ``2023/24`` (läsår are stored by their spring year)."""
    return f"{lasar - 1}/{str(lasar)[-2:]}"


def exact(value: object) -> str:
    """The exact, unrounded value for a ``data-varde`` attribute (``repr`` of the float, or '')."""
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    try:
        return repr(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def attrs(mapping: Mapping[str, object]) -> str:
    """Render HTML attributes, escaped, in the given order (deterministic)."""
    return "".join(f' {k}="{html.escape(str(v), quote=True)}"' for k, v in mapping.items())


def esc(text: object) -> str:
    """Escape text for HTML."""
    return html.escape(str(text), quote=True)
