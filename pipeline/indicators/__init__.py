"""Indicators: pure functions from canonical tables to the tidy indicator table.

The one entry point is :func:`build_indicator_outputs`. Each compute function lives in the module
of its area (:mod:`.grundskola`, :mod:`.gymnasieskola`, :mod:`.vuxenutbildning`, :mod:`.forskola`,
:mod:`.miljo`, :mod:`.foradlingsvarde`, :mod:`.likvardighet`); shared machinery in :mod:`.core`,
:mod:`.stats`, :mod:`.suppression`, :mod:`.changes`, :mod:`.published`; reader sentences in
:mod:`.observations`; Swedish number formatting in :mod:`.format`. Definitions and decisions are
in each module's docstring; the main ones:

- Levels: ``enhet`` (per skolenhet, name from the register) and ``huvudman`` (all units in the
  pupil data; ``skolenhetskod`` "", ``enhet`` = the huvudman's name). A huvudman value is
  aggregated from the same pupils as its units (pupil-weighted mean of the unit values); förskola
  ratios are ratios of sums. A unit's school form comes from the register (``skolenheter``),
  intersected with the indicator's forms in the indicator registry (no per-form branching).
- Groups: ``samtliga``, ``flickor``/``pojkar``, ``foraldrar_eftergymnasial`` /
  ``foraldrar_ej_eftergymnasial`` (unknown background counts as "ej"), ``nyanland`` /
  ``ej_nyanland``; vux_godkand/vux_avbrott also ``kursomrade:grundlaggande`` /
  ``kursomrade:gymnasial`` (sfi is reported apart, in sfi_progression/sfi_avbrott); enkät only by kön.
- ``antal`` counts persons (pupils, children, respondents), never rows: several test results or
  course participations of one pupil count once (the registry's ``antal_avser`` names whom).
- Intervals: Wilson for shares, t for means, Welch for differences, exact Poisson for rates,
  F-based for the ICC, t on the unit's residuals for value added; none for register ratios/counts.
- Suppression (:mod:`.suppression`): ``antal`` below ``undertryck_min_antal`` hides the value,
  with secondary suppression; ``antal`` itself is kept. Changes are never computed from a hidden
  value. Value-added needs ``va_min_antal`` pupils (else ``markering = "saknas"``).
- ``markering``: ``undertryckt`` for hidden cells, ``saknas`` for computed rows without a value,
  published markers kept. Where a computed and a published row share a key, the computed one wins.

The heavy modules (scipy, statsmodels, pandera) load only when :func:`build_indicator_outputs`
or ``COMPUTED`` is first used (the implementation is :mod:`pipeline.indicators.build`), so that a
notebook kernel that only needs the registry or the formatting starts fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_indicator_outputs", "COMPUTED", "SORT_ORDER"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pipeline.indicators import build

        return getattr(build, name)
    raise AttributeError(f"module 'pipeline.indicators' has no attribute {name!r}")
