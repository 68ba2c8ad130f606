"""Likvärdighet: differences between groups and the share of variance between units.

- ``konsskillnad_meritvarde`` (flickor − pojkar, meritvärde 17), ``bakgrundsskillnad_meritvarde``
  (föräldrar med eftergymnasial utbildning − övriga, meritvärde 17) and ``konsskillnad_gbp``
  (kvinnor − män, GBP för elever med examen): difference of the group means with **Welch's 95 %
  interval** (Welch–Satterthwaite df), computed from the group cells (mean, standard error, n).
  ``antal`` = pupils in both groups.
- ``mellanskolvarians``: ICC(1) from a one-way ANOVA of the pupils' meritvärde 17 on skolenhet,
  huvudman level only, in per cent, with the **F-distribution based interval** (Searle 1971;
  Donner 1986), clipped to [0, 100]. Source: Skolverket's analyses of likvärdighet (share of the
  variance between schools).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.indicators import stats
from pipeline.indicators.core import KALLA_ELEVREGISTER, finish_cells

#: target id -> (source indicator, group a, group b): target = a − b
DIFFERENCES: dict[str, tuple[str, str, str]] = {
    "konsskillnad_meritvarde": ("meritvarde_17", "flickor", "pojkar"),
    "bakgrundsskillnad_meritvarde": (
        "meritvarde_17",
        "foraldrar_eftergymnasial",
        "foraldrar_ej_eftergymnasial",
    ),
    "konsskillnad_gbp": ("gbp_examen", "flickor", "pojkar"),
}

_KEY = ["lasar", "skolform", "niva", "skolenhetskod"]


def compute_difference_cells(cells: pd.DataFrame, *, konfidensniva: float) -> pd.DataFrame:
    """Difference cells (see :data:`DIFFERENCES`) from unsuppressed group cells."""
    out = []
    for target, (source, a, b) in DIFFERENCES.items():
        src = cells[cells["indikator"].eq(source)]
        ca = src[src["grupp"].eq(a)][[*_KEY, "varde", "se", "antal"]]
        cb = src[src["grupp"].eq(b)][[*_KEY, "varde", "se", "antal"]]
        m = ca.merge(cb, on=_KEY, suffixes=("_a", "_b"))
        if len(m) == 0:
            continue
        na, nb = m["antal_a"].astype(float).to_numpy(), m["antal_b"].astype(float).to_numpy()
        diff = m["varde_a"].to_numpy() - m["varde_b"].to_numpy()
        se = np.sqrt(m["se_a"].to_numpy() ** 2 + m["se_b"].to_numpy() ** 2)
        # Welch: sd = se·√n, so welch_interval with sd_i = se_i·√n_i
        _, _, lo, hi = stats.welch_interval(
            m["varde_a"],
            m["se_a"].to_numpy() * np.sqrt(na),
            na,
            m["varde_b"],
            m["se_b"].to_numpy() * np.sqrt(nb),
            nb,
            konfidensniva=konfidensniva,
        )
        out.append(
            m[_KEY].assign(
                indikator=target,
                grupp="samtliga",
                varde=diff,
                se=se,
                ki_lag=lo,
                ki_hog=hi,
                antal=(m["antal_a"] + m["antal_b"]).astype("int64"),
                typ="skillnad",
                kalla=KALLA_ELEVREGISTER,
            )
        )
    return finish_cells(pd.concat(out, ignore_index=True) if out else None)


def compute_mellanskolvarians_cells(values: pd.DataFrame, *, konfidensniva: float) -> pd.DataFrame:
    """ICC cells (huvudman level) from meritvärde 17 pupil values (grupp ``samtliga`` rows)."""
    v = values[values["indikator"].eq("meritvarde_17") & values["grupp"].eq("samtliga")]
    rows = []
    for (lasar, skolform), g in v.groupby(["lasar", "skolform"], sort=True):
        icc, lo, hi, n, k = stats.icc_oneway(
            g["value"].to_numpy(), g["skolenhetskod"].astype(str).to_numpy(), konfidensniva=konfidensniva
        )
        if k < 2:
            continue
        rows.append(
            {
                "lasar": lasar,
                "skolform": skolform,
                "niva": "huvudman",
                "skolenhetskod": "",
                "indikator": "mellanskolvarians",
                "grupp": "samtliga",
                "varde": 100 * icc,
                "antal": n,
                "ki_lag": 100 * lo,
                "ki_hog": 100 * hi,
                "typ": "icc",
                "kalla": KALLA_ELEVREGISTER,
            }
        )
    return finish_cells(pd.DataFrame(rows) if rows else None)
