"""Redirect: Swedish number formatting lives in one module, :mod:`pipeline.publishing.format`.

Kept so that ``from pipeline.indicators.format import format_number`` keeps working; there is no
second formatter (same rounding rule, same words).
"""

from __future__ import annotations

from pipeline.publishing.format import MINUS, MISSING, NBSP, format_number

__all__ = ["MINUS", "MISSING", "NBSP", "format_number"]
