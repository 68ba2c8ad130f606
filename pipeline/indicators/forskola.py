"""Förskola: staffing ratios from ``fs_personal`` (unit-level counts as of 15 October).

Definitions (Skolverket, Barn och personal i förskolan; ``params/indikatorer.yml``):
``barn_per_arsarbetare`` = antal barn / årsarbetare, ``barngruppsstorlek`` = antal barn / antal
barngrupper, ``andel_forskollararexamen`` = 100 × årsarbetare med förskollärarexamen / årsarbetare.
The huvudman value is the ratio of the sums over its units (not a mean of ratios). These are
register totals, not samples, so they get no interval. ``antal`` is the number of children.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.indicators.core import KALLA_PERSONAL, finish_cells

#: indicator id -> (numerator column, denominator column, factor)
RATIOS: dict[str, tuple[str, str, float]] = {
    "barn_per_arsarbetare": ("antal_barn", "arsarbetare", 1.0),
    "barngruppsstorlek": ("antal_barn", "antal_barngrupper", 1.0),
    "andel_forskollararexamen": ("arsarbetare_forskollararexamen", "arsarbetare", 100.0),
}


def compute_forskola_cells(fs_personal: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Enhet and huvudman cells of the förskola ratios.

    Parameters
    ----------
    fs_personal
        Canonical ``fs_personal`` table.
    units
        ``skolenhetskod, skolform`` pairs the rows belong to (from the register, filtered to the
        school forms of these indicators).
    """
    if fs_personal is None or len(fs_personal) == 0:
        return finish_cells(None)
    cols = ["antal_barn", "arsarbetare", "arsarbetare_forskollararexamen", "antal_barngrupper"]
    f = fs_personal[["lasar", "skolenhetskod", *cols]].merge(units, on="skolenhetskod", how="inner")
    f[cols] = f[cols].astype("float64")
    unit = f.groupby(["lasar", "skolform", "skolenhetskod"])[cols].sum().reset_index().assign(niva="enhet")
    hm = f.groupby(["lasar", "skolform"])[cols].sum().reset_index().assign(niva="huvudman", skolenhetskod="")
    both = pd.concat([unit, hm], ignore_index=True)
    out = []
    for ind, (num, den, factor) in RATIOS.items():
        with np.errstate(invalid="ignore", divide="ignore"):
            val = np.where(both[den] > 0, factor * both[num] / both[den], np.nan)
        out.append(
            both[["lasar", "skolform", "niva", "skolenhetskod"]].assign(
                indikator=ind,
                grupp="samtliga",
                varde=val,
                antal=both["antal_barn"].round().astype("int64"),
                typ="kvot",
                kalla=KALLA_PERSONAL,
            )
        )
    return finish_cells(pd.concat(out, ignore_index=True))
