"""Swedish number formatting for reader-facing text (decimal comma, "procentenheter").

The one public function is :func:`format_number`::

    format_number(231.44, 1)                       -> '231,4'
    format_number(84.25, 1, "procent")             -> '84,3 %'
    format_number(-1.3, 1, "procentenheter")       -> '−1,3 procentenheter'
    format_number(8.3, 1, "poang", sign=True)      -> '+8,3 poäng'
    format_number(12345, 0)                        -> '12 345'
    format_number(None, 1)                         -> '–'

Rules: rounding half away from zero at ``decimals`` (on the decimal representation, so 0.125
rounds to 0.13, not 0.12); decimal comma; digits grouped by three with a no-break space (U+00A0);
a negative number starts with the minus sign U+2212 (read as "minus" by screen readers); a value
that rounds to zero is never negative; a missing value (None/NaN/pd.NA/±inf) gives an en dash '–'. The unit
is separated by a no-break space so it never wraps away from its number.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
MINUS = "\u2212"
MISSING = "\u2013"

#: unit code -> suffix written after the number ("" = none)
UNITS: dict[str, str] = {
    "": "",
    "procent": "%",
    "procentenheter": "procentenheter",
    "poang": "poäng",
    "kvot": "",
    "index": "",
    "antal": "",
    "per_100": "per 100 elever",
    "dagar": "dagar",
}


def format_number(value: float | int | None, decimals: int = 1, unit: str = "", *, sign: bool = False) -> str:
    """Format a number the Swedish way.

    Parameters
    ----------
    value
        The number; None or NaN gives '–'.
    decimals
        Number of decimals (≥ 0), rounded half away from zero.
    unit
        A key of :data:`UNITS` (``"procent"`` → ``%``, ``"procentenheter"``, ``"poang"`` → ``poäng``,
        ...) or any other text, written after a no-break space.
    sign
        Write ``+`` before positive numbers (for changes); the same keyword as
        ``pipeline.publishing.format.format_number``.

    Returns
    -------
    str
    """
    try:
        x = float(value)  # type: ignore[arg-type]
    except TypeError:
        return MISSING
    if math.isnan(x) or math.isinf(x):
        return MISSING
    if decimals < 0:
        raise ValueError(f"`decimals` must be 0 or more, got {decimals!r}.")
    q = Decimal(1).scaleb(-decimals)
    d = Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP)
    negative = d < 0
    d = abs(d)
    whole, _, frac = f"{d:f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = NBSP.join(groups) + ("," + frac if decimals > 0 else "")
    if negative and d != 0:
        text = MINUS + text
    elif sign and d != 0:
        text = "+" + text
    suffix = UNITS.get(unit, unit)
    return f"{text}{NBSP}{suffix}" if suffix else text
