"""Kommunal vuxenutbildning: godkända, avbrott and sfi progression (course participations).

Definitions (Skolverket, Kommunal vuxenutbildning – kursdeltagare och studieresultat;
``params/indikatorer.yml``): the observation is a finished course participation (a row of
``vux_kurser``: grade A–F or ``avbrott``). ``vux_godkand`` = share with A–E, ``vux_avbrott`` =
share broken off, ``sfi_progression`` = share of sfi participations with A–E. ``vux_godkand`` and
``vux_avbrott`` are also given per kursområde (grupp ``kursomrade:<omrade>``). Participations of
one pupil are treated as independent in the intervals (an approximation; say so in the report).
"""

from __future__ import annotations

import pandas as pd

from pipeline.indicators.core import background
from pipeline.indicators.grundskola import PASSING

_KEYS = ["lasar", "skolenhetskod", "elev_id"]


def compute_vux_values(vux_kurser: pd.DataFrame, elever: pd.DataFrame) -> pd.DataFrame:
    """Value frame of the vux indicators, with an extra column ``kursomrade``."""
    cols = [*_KEYS, "kursomrade", "indikator", "value", "kon", "foraldrar_utbildning", "nyanland"]
    if vux_kurser is None or len(vux_kurser) == 0:
        return pd.DataFrame(columns=cols)
    v = vux_kurser[[*_KEYS, "kursomrade", "resultat"]].copy()
    res = v["resultat"].astype(str)
    godkand = res.isin(PASSING).astype(float).to_numpy()
    avbrott = res.eq("avbrott").astype(float).to_numpy()
    base = v[[*_KEYS, "kursomrade"]]
    sfi = v["kursomrade"].astype(str).eq("sfi").to_numpy()
    parts = [
        base.assign(indikator="vux_godkand", value=godkand),
        base.assign(indikator="vux_avbrott", value=avbrott),
        base[sfi].assign(indikator="sfi_progression", value=godkand[sfi]),
    ]
    out = pd.concat(parts, ignore_index=True)
    return out.merge(background(elever), on=["lasar", "elev_id"], how="left")[cols]


def explode_kursomrade(values: pd.DataFrame) -> pd.DataFrame:
    """Extra ``kursomrade:<omrade>`` groups for vux_godkand and vux_avbrott."""
    sel = values[values["indikator"].isin(["vux_godkand", "vux_avbrott"])]
    return sel.assign(grupp="kursomrade:" + sel["kursomrade"].astype(str))
