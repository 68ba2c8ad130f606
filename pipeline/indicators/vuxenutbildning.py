"""Kommunal vuxenutbildning: godkända and avbrott in grundläggande and gymnasial courses; sfi apart.

Definitions (Skolverket, Kommunal vuxenutbildning – kursdeltagare och studieresultat;
``params/indikatorer.yml``): the observation is a finished course participation (a row of
``vux_kurser``: grade A–F or ``avbrott``). Skolverket reports sfi (kommunal vuxenutbildning i
svenska för invandrare) apart from the other course areas: its yearly statistics on komvux
*kursdeltagare och studieresultat* cover grundläggande and gymnasial courses, and sfi has its own
(*Elever och studieresultat i sfi*). So here:

- ``vux_godkand`` = share of the finished **grundläggande and gymnasial** course participations
  with A–E; ``vux_avbrott`` = share of them broken off. ``samtliga`` is these two course areas
  only, never sfi; the groups ``kursomrade:grundlaggande`` and ``kursomrade:gymnasial`` split it.
- ``sfi_progression`` = share of the finished sfi course participations with A–E;
  ``sfi_avbrott`` = share of them broken off.

``antal`` is the number of distinct students (persons) behind the participations, not the
number of participations; a student's participations are one cluster in the interval (see
:func:`pipeline.indicators.core.aggregate_values`).
"""

from __future__ import annotations

import pandas as pd

from pipeline.indicators.core import background
from pipeline.indicators.grundskola import PASSING

_KEYS = ["lasar", "skolenhetskod", "elev_id"]

#: Course areas of vux_godkand / vux_avbrott (their samtliga); sfi is reported apart.
KURSOMRADEN_VUX = ("grundlaggande", "gymnasial")
SFI = "sfi"
#: indicator ids -> (course areas, "godkand" or "avbrott")
VUX_INDICATORS: dict[str, tuple[tuple[str, ...], str]] = {
    "vux_godkand": (KURSOMRADEN_VUX, "godkand"),
    "vux_avbrott": (KURSOMRADEN_VUX, "avbrott"),
    "sfi_progression": ((SFI,), "godkand"),
    "sfi_avbrott": ((SFI,), "avbrott"),
}


def compute_vux_values(vux_kurser: pd.DataFrame, elever: pd.DataFrame) -> pd.DataFrame:
    """Value frame of the vux indicators, with an extra column ``kursomrade``."""
    cols = [*_KEYS, "kursomrade", "indikator", "value", "kon", "foraldrar_utbildning", "nyanland"]
    if vux_kurser is None or len(vux_kurser) == 0:
        return pd.DataFrame(columns=cols)
    v = vux_kurser[[*_KEYS, "kursomrade", "resultat"]].copy()
    res = v["resultat"].astype(str)
    outcome = {
        "godkand": res.isin(PASSING).astype(float).to_numpy(),
        "avbrott": res.eq("avbrott").astype(float).to_numpy(),
    }
    base = v[[*_KEYS, "kursomrade"]]
    omrade = v["kursomrade"].astype(str)
    parts = []
    for ind, (areas, what) in VUX_INDICATORS.items():
        sel = omrade.isin(areas).to_numpy()
        parts.append(base[sel].assign(indikator=ind, value=outcome[what][sel]))
    out = pd.concat(parts, ignore_index=True)
    return out.merge(background(elever), on=["lasar", "elev_id"], how="left")[cols]


def explode_kursomrade(values: pd.DataFrame) -> pd.DataFrame:
    """Extra ``kursomrade:<omrade>`` groups for vux_godkand and vux_avbrott (they add up to samtliga)."""
    sel = values[values["indikator"].isin(["vux_godkand", "vux_avbrott"])]
    return sel.assign(grupp="kursomrade:" + sel["kursomrade"].astype(str))
