"""Privacy suppression (primary and secondary) of indicator cells.

Decisions (documented for the method appendix; the machinery is :mod:`pipeline.indicators.disclosure`):

- **Primary**: a cell whose ``antal`` (the persons behind it) is below ``min_antal`` is hidden:
  ``varde``, ``se``, ``ki_lag``, ``ki_hog`` are emptied and ``undertryckt`` is True. A count
  (``typ == "antal"``, e.g. ``elevantal``) under the threshold is hidden the same way. ``antal``
  is kept in the indicator table (the downloads never write a value under the threshold exactly,
  see :mod:`pipeline.publishing.downloads`).
- **Secondary**: chosen by the disclosure audit, not by special rules: every published table is
  described as linear relations (units → huvudman, groups → samtliga with an implicit rest,
  indicators on the same persons, differences of group means), and more cells are hidden until no
  hidden cell can be narrowed down to less than ``skyddsintervall`` of its possible range
  (:func:`pipeline.indicators.disclosure.protect`).
"""

from __future__ import annotations

import pandas as pd

from pipeline.indicators.disclosure import protect

__all__ = ["row_key", "suppress"]


def row_key(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """One text key per row from ``cols`` (vectorised)."""
    key = pd.Series("", index=df.index, dtype=object)
    for c in cols:
        key = key + "|" + df[c].astype(str).to_numpy(dtype=object)
    return key


def suppress(cells: pd.DataFrame, *, min_antal: int, skyddsintervall: float = 0.25) -> pd.DataFrame:
    """Apply primary and secondary suppression (see module doc).

    Parameters
    ----------
    cells
        Cell frame (:data:`pipeline.indicators.core.CELL_COLUMNS`), unsuppressed.
    min_antal
        ``installningar.undertryck_min_antal``.
    skyddsintervall
        ``installningar.skyddsintervall``: the protection margin of the audit.

    Returns
    -------
    DataFrame
        A copy with a boolean column ``undertryckt`` and ``varde``, ``se``, ``ki_lag``, ``ki_hog``
        emptied where it is True. Row order is kept.

    Raises
    ------
    pipeline.indicators.disclosure.DisclosureAuditError
        Some hidden cell cannot be protected (nothing left to hide).
    """
    out, _audit = protect(cells, min_antal=min_antal, skyddsintervall=skyddsintervall)
    return out
