"""Miljö för lärande och elevhälsa: enkät indexes, kränkningsanmälningar, frånvaro, elevantal.

- Enkät index (Skolinspektionen, Skolenkäten – indexberäkning, applied to the huvudman's own
  survey on the same 0–10 scale): for each respondent the mean of the area's questions, then the
  mean over respondents; ``antal`` = respondents; t interval. ``vh_enkat_index``: the
  vårdnadshavare survey, all questions. Groups by the respondent's kön where given.
- ``avvikelser_per_100``: cases / pupils × 100 (pupils = ``elevantal`` of the unit and läsår);
  exact Poisson interval for the count, scaled the same way.
- Frånvaro (Skolverket, frånvarokartläggning): ``franvaro_medel`` = mean of the pupils' absence in
  per cent of scheduled time (t interval); ``franvaro_over_10``/``_20`` = share with at least
  10 %/20 % (a pupil exactly at the threshold counts).
- ``elevantal``: distinct pupils in ``elever`` per unit, school form and läsår; where a unit and
  läsår has no ``elever`` rows, the number of children in ``fs_personal`` or of distinct course
  participants in ``vux_kurser``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.indicators import stats
from pipeline.indicators.core import KALLA_ARENDEN, KALLA_ELEVREGISTER, background, finish_cells

ENKAT_AREAS: dict[str, str] = {
    "trygghet": "trygghet",
    "studiero": "studiero",
    "stimulans": "stimulans",
    "inflytande": "inflytande",
    "normer_varden": "normer_varden",
}


def compute_enkat_values(enkat: pd.DataFrame) -> pd.DataFrame:
    """Respondent-level value frame: one row per respondent and index (indicator)."""
    cols = [
        "lasar",
        "skolenhetskod",
        "respondent_id",
        "indikator",
        "value",
        "kon",
        "foraldrar_utbildning",
        "nyanland",
    ]
    if enkat is None or len(enkat) == 0:
        return pd.DataFrame(columns=cols)
    e = enkat.copy()
    e["kon"] = e["kon"].astype("string")
    elev = e[e["enkat"].astype(str).eq("elev") & e["omrade"].astype(str).isin(list(ENKAT_AREAS))]
    elev = elev.assign(indikator=elev["omrade"].astype(str).map(ENKAT_AREAS))
    vh = e[e["enkat"].astype(str).eq("vardnadshavare")].assign(indikator="vh_enkat_index")
    both = pd.concat([elev, vh], ignore_index=True)
    keys = ["lasar", "skolenhetskod", "respondent_id", "indikator"]
    g = both.groupby(keys).agg(value=("poang", "mean"), kon=("kon", "first")).reset_index()
    g["foraldrar_utbildning"] = pd.NA
    g["nyanland"] = pd.NA
    return g[cols]


def compute_franvaro_values(franvaro: pd.DataFrame, elever: pd.DataFrame) -> pd.DataFrame:
    """Pupil-level value frame of the frånvaro indicators (values in per cent or 0/1)."""
    cols = [
        "lasar",
        "skolenhetskod",
        "elev_id",
        "indikator",
        "value",
        "kon",
        "foraldrar_utbildning",
        "nyanland",
    ]
    if franvaro is None or len(franvaro) == 0:
        return pd.DataFrame(columns=cols)
    f = franvaro[["lasar", "skolenhetskod", "elev_id", "franvaro_andel"]].copy()
    a = f["franvaro_andel"].astype("float64").to_numpy()
    base = f[["lasar", "skolenhetskod", "elev_id"]]
    parts = [
        base.assign(indikator="franvaro_medel", value=100 * a),
        base.assign(indikator="franvaro_over_10", value=(a >= 0.10 - 1e-12).astype(float)),
        base.assign(indikator="franvaro_over_20", value=(a >= 0.20 - 1e-12).astype(float)),
    ]
    out = pd.concat(parts, ignore_index=True)
    bg = background(elever)
    return out.merge(bg, on=["lasar", "elev_id"], how="left")


def compute_elevantal(
    elever: pd.DataFrame | None,
    fs_personal: pd.DataFrame | None,
    vux_kurser: pd.DataFrame | None,
    units: pd.DataFrame,
) -> pd.DataFrame:
    """Pupil counts per ``lasar, skolform, skolenhetskod`` (column ``elever``), see module doc.

    ``units`` is the register's ``skolenhetskod, skolform`` pairs, used where a source has no
    school form of its own.
    """
    parts = []
    if elever is not None and len(elever):
        e = (
            elever.groupby(["lasar", "skolform", "skolenhetskod"])["elev_id"]
            .nunique()
            .rename("elever")
            .reset_index()
        )
        parts.append(e)
    if fs_personal is not None and len(fs_personal):
        f = fs_personal.groupby(["lasar", "skolenhetskod"])["antal_barn"].sum().rename("elever").reset_index()
        parts.append(f.merge(units, on="skolenhetskod", how="inner"))
    if vux_kurser is not None and len(vux_kurser):
        v = vux_kurser.groupby(["lasar", "skolenhetskod"])["elev_id"].nunique().rename("elever").reset_index()
        parts.append(v.merge(units, on="skolenhetskod", how="inner"))
    if not parts:
        return pd.DataFrame(
            {
                "lasar": pd.Series([], dtype="int64"),
                "skolform": pd.Series([], dtype="string"),
                "skolenhetskod": pd.Series([], dtype="string"),
                "elever": pd.Series([], dtype="int64"),
            }
        )
    out = pd.concat(parts, ignore_index=True)
    out["skolform"] = out["skolform"].astype("string")
    out["skolenhetskod"] = out["skolenhetskod"].astype("string")
    out["lasar"] = out["lasar"].astype("int64")
    out["elever"] = out["elever"].astype("int64")
    # first source wins: elever, then fs_personal, then vux_kurser
    return (
        out.drop_duplicates(["lasar", "skolform", "skolenhetskod"], keep="first")
        .sort_values(["lasar", "skolform", "skolenhetskod"])
        .reset_index(drop=True)
    )


def compute_elevantal_cells(elevantal: pd.DataFrame) -> pd.DataFrame:
    """``elevantal`` cells at enhet and huvudman level (a count: no interval)."""
    if len(elevantal) == 0:
        return finish_cells(None)
    unit = elevantal.assign(niva="enhet")
    hm = (
        elevantal.groupby(["lasar", "skolform"])["elever"]
        .sum()
        .reset_index()
        .assign(niva="huvudman", skolenhetskod="")
    )
    both = pd.concat([unit, hm], ignore_index=True)
    return finish_cells(
        both.assign(
            indikator="elevantal",
            grupp="samtliga",
            varde=both["elever"].astype(float),
            antal=both["elever"],
            typ="antal",
            kalla=KALLA_ELEVREGISTER,
        )
    )


def compute_avvikelser_cells(
    avvikelser: pd.DataFrame, elevantal: pd.DataFrame, *, konfidensniva: float
) -> pd.DataFrame:
    """``avvikelser_per_100`` cells: cases per 100 pupils at enhet and huvudman level.

    Units with pupils but no cases get 0; cases at a unit with no pupil count are left out.
    """
    if avvikelser is None or len(elevantal) == 0:
        return finish_cells(None)
    cases = (
        avvikelser.groupby(["lasar", "skolenhetskod"])["arende_id"].nunique().rename("fall").reset_index()
        if len(avvikelser)
        else pd.DataFrame(columns=["lasar", "skolenhetskod", "fall"])
    )
    if len(cases) == 0:
        return finish_cells(None)
    cases["skolenhetskod"] = cases["skolenhetskod"].astype("string")
    cases["lasar"] = cases["lasar"].astype("int64")
    # only läsår where the case system has data
    years = set(cases["lasar"])
    d = elevantal[elevantal["lasar"].isin(years)].merge(cases, on=["lasar", "skolenhetskod"], how="left")
    d["fall"] = d["fall"].fillna(0).astype(float)
    unit = d.assign(niva="enhet")
    hm = (
        d.groupby(["lasar", "skolform"])[["elever", "fall"]]
        .sum()
        .reset_index()
        .assign(niva="huvudman", skolenhetskod="")
    )
    both = pd.concat([unit, hm], ignore_index=True)
    n = both["elever"].to_numpy(dtype=float)
    k = both["fall"].to_numpy(dtype=float)
    lo, hi = stats.poisson_interval(k, konfidensniva=konfidensniva)
    with np.errstate(invalid="ignore", divide="ignore"):
        varde = np.where(n > 0, 100 * k / n, np.nan)
        se = np.where(n > 0, 100 * np.sqrt(k) / n, np.nan)
        lo, hi = 100 * lo / n, 100 * hi / n
    return finish_cells(
        both.assign(
            indikator="avvikelser_per_100",
            grupp="samtliga",
            varde=varde,
            antal=both["elever"],
            se=se,
            ki_lag=lo,
            ki_hog=hi,
            typ="rate",
            kalla=KALLA_ARENDEN,
        )
    )
