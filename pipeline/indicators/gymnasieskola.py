"""Gymnasieskola: betygspoäng (GBP), examen, genomströmning and avbrott.

Definitions (Skolverket, Avgångselever och Genomströmning gymnasieskolan; ``params/indikatorer.yml``):

- GBP (genomsnittlig betygspoäng): per pupil, the sum over the graded courses of grade value
  (A = 20, B = 17,5, C = 15, D = 12,5, E = 10, F = 0) × the course's gymnasiepoäng, divided by the
  sum of those courses' gymnasiepoäng (scale 0–20). The gymnasiearbete (course code ``GYAR...``,
  graded only E or F) is not part of it, in neither sum: a full programme of 2 500 points divides
  by 2 400 (Skolverket's GBP for avgångselever; ``../shared/realdata/PROVENANCE.md``, "Official
  definitions found"). F counts with its points. Every course grade of the pupil counts, in every läsår and at every
  unit (a pupil who changed school has one GBP over the whole education); a pupil with a reduced
  or extended programme divides by the points actually graded.
- avgångselever of läsår L: study paths with ``slutlasar == L`` and outcome examen
  (högskoleförberedande or yrkes) or studiebevis. ``gbp_examen``: those with examen;
  ``gbp_examen_studiebevis``: all of them; ``andel_examen``, ``hogskoleforberedande_examen`` and
  ``yrkesexamen`` are shares of all of them.
- examen_3ar / examen_4ar (Skolverket, Genomströmning gymnasieskolan): the cohort is *persons* by
  their **first** start in gymnasieskolan (the earliest ``startlasar`` over all their study paths
  in ``gy_studievag``), followed across units and programmes: a pupil counts as having examen
  within three years if *any* of their study paths ended with examen (högskoleförberedande or
  yrkes) by ``first start + 2`` (within four: ``+ 3``), also after a change of school or
  programme. The pupil is attributed to the unit of that first start (as Skolverket reports
  genomströmning by the unit and programme the pupil started on): the unit that received the
  pupil is answerable for the whole path, and attributing to the unit of the last path would drop
  every pupil who left a unit without examen from that unit's cohort. Two paths that start the
  same läsår: the one that ended first (an open path last), then the lower skolenhetskod, is the
  first start. Cohort convention: ``lasar`` is the spring year, so a pupil who starts in the
  autumn of läsår 2020/21 has ``startlasar = 2021``; "within three years" means examen with
  ``slutlasar <= startlasar + 2`` (spring 2023), reported at ``lasar = startlasar + 2`` (four
  years: ``+ 3``). A cohort is reported only when that läsår is not after the latest läsår in the
  data (``senaste_lasar``), so an incomplete cohort never shows as a low share.
- gy_avbrott: among the läsår's pupils at the unit (study paths with ``startlasar <= L`` and
  ``slutlasar`` missing or ``>= L``), the share whose path ended with ``avbrott`` in L and who did
  not continue in gymnasieskolan (no other study path of the same pupil starting in L or later):
  a change of school or programme is not an avbrott.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.indicators.core import background
from pipeline.indicators.grundskola import GRADE_POINTS

EXAMEN = ("hogskoleforberedande_examen", "yrkesexamen")
LEAVER_OUTCOMES = (*EXAMEN, "studiebevis")
#: indicator id -> years after startlasar at which the cohort is reported
COHORT_YEARS: dict[str, int] = {"examen_3ar": 2, "examen_4ar": 3}

_KEYS = ["lasar", "skolenhetskod", "elev_id"]


#: Course code prefix of the gymnasiearbete (Gy11: GYAR + the programme's code, e.g. GYARNA).
GYMNASIEARBETE_PREFIX = "GYAR"


def is_gymnasiearbete(kurs: pd.Series) -> pd.Series:
    """True for the gymnasiearbete's course codes (``GYAR...``, any case)."""
    return kurs.astype(str).str.strip().str.upper().str.startswith(GYMNASIEARBETE_PREFIX)


def compute_gbp(kursbetyg: pd.DataFrame) -> pd.DataFrame:
    """GBP per pupil: ``elev_id, gbp, poang`` (points-weighted mean grade value, 0–20).

    The gymnasiearbete is left out (see the module docstring); ``poang`` is the divisor.
    """
    k = kursbetyg.loc[~is_gymnasiearbete(kursbetyg["kurs"]), ["elev_id", "poang", "betyg"]].copy()
    k["poang"] = k["poang"].astype("float64")
    k["wp"] = k["betyg"].astype(str).map(GRADE_POINTS).astype("float64") * k["poang"]
    g = k.groupby("elev_id")[["wp", "poang"]].sum()
    g = g[g["poang"] > 0]
    return pd.DataFrame(
        {
            "elev_id": g.index.astype(str),
            "gbp": (g["wp"] / g["poang"]).to_numpy(),
            "poang": g["poang"].to_numpy(),
        }
    )


def leavers(gy_studievag: pd.DataFrame, kursbetyg: pd.DataFrame | None) -> pd.DataFrame:
    """Avgångselever with their GBP: ``lasar, skolenhetskod, elev_id, utfall, examen, gbp``."""
    s = gy_studievag[
        gy_studievag["utfall"].astype(str).isin(LEAVER_OUTCOMES) & gy_studievag["slutlasar"].notna()
    ]
    out = pd.DataFrame(
        {
            "lasar": s["slutlasar"].astype("int64").to_numpy(),
            "skolenhetskod": s["skolenhetskod"].astype(str).to_numpy(),
            "elev_id": s["elev_id"].astype(str).to_numpy(),
            "utfall": s["utfall"].astype(str).to_numpy(),
            "meritvarde_ak9": s["meritvarde_ak9"].astype("float64").to_numpy(),
        }
    )
    out["examen"] = out["utfall"].isin(EXAMEN)
    gbp = (
        compute_gbp(kursbetyg)
        if kursbetyg is not None and len(kursbetyg)
        else pd.DataFrame(columns=["elev_id", "gbp"])
    )
    out = out.merge(gbp[["elev_id", "gbp"]], on="elev_id", how="left")
    out["gbp"] = out["gbp"].astype("float64")
    return out.sort_values(_KEYS).reset_index(drop=True)


def compute_gymnasieskola_values(
    gy_studievag: pd.DataFrame,
    kursbetyg: pd.DataFrame,
    elever: pd.DataFrame,
    *,
    senaste_lasar: int | None = None,
    forsta_lasar: int | None = None,
) -> pd.DataFrame:
    """Pupil-level value frame of the gymnasieskola indicators.

    Parameters
    ----------
    gy_studievag, kursbetyg, elever
        Canonical tables.
    senaste_lasar
        The latest läsår in the data; cohorts and avbrott are not reported after it. Defaults to
        the latest ``startlasar``/``slutlasar`` in ``gy_studievag``.
    forsta_lasar
        The first läsår the pupil register covers. Avbrott is reported only from that year, and
        the examen cohorts only for pupils who started in or after it: an earlier cohort's
        register lacks the pupils who left before it began, which would overstate examen and
        understate avbrott. Defaults to the earliest ``lasar`` in ``elever`` (no bound if empty).
    """
    cols = [*_KEYS, "indikator", "value", "kon", "foraldrar_utbildning", "nyanland"]
    if gy_studievag is None or len(gy_studievag) == 0:
        return pd.DataFrame(columns=cols)
    s = gy_studievag.copy()
    s["slutlasar"] = s["slutlasar"].astype("Int64")
    if senaste_lasar is None:
        senaste_lasar = int(
            max(s["startlasar"].max(), s["slutlasar"].max(skipna=True) if s["slutlasar"].notna().any() else 0)
        )
    if forsta_lasar is None and elever is not None and len(elever):
        forsta_lasar = int(elever["lasar"].min())
    lv = leavers(s, kursbetyg)
    parts = []
    ex = lv[lv["examen"] & lv["gbp"].notna()]
    parts.append(ex[_KEYS].assign(indikator="gbp_examen", value=ex["gbp"].to_numpy()))
    es = lv[lv["gbp"].notna()]
    parts.append(es[_KEYS].assign(indikator="gbp_examen_studiebevis", value=es["gbp"].to_numpy()))
    parts.append(lv[_KEYS].assign(indikator="andel_examen", value=lv["examen"].astype(float).to_numpy()))
    for ind in EXAMEN:
        parts.append(lv[_KEYS].assign(indikator=ind, value=lv["utfall"].eq(ind).astype(float).to_numpy()))
    parts.append(_cohort_values(s, senaste_lasar=senaste_lasar, forsta_lasar=forsta_lasar))
    start = s["startlasar"].astype("int64").to_numpy()
    slut = s["slutlasar"].astype("float64").to_numpy()
    # avbrott: one row per pupil and läsår the study path is active
    last = np.where(np.isnan(slut), senaste_lasar, slut).astype("int64")
    last = np.minimum(last, senaste_lasar)
    span = np.maximum(last - start + 1, 0)
    idx = np.repeat(np.arange(len(s)), span)
    offset = np.arange(len(idx)) - np.repeat(np.cumsum(span) - span, span)
    lasar = start[idx] + offset
    left = s["utfall"].astype(str).eq("avbrott").to_numpy() & ~_continued(s)
    avbrott = left[idx] & (slut[idx] == lasar)
    covered = lasar >= (forsta_lasar if forsta_lasar is not None else lasar.min(initial=0))
    parts.append(
        pd.DataFrame(
            {
                "lasar": lasar[covered],
                "skolenhetskod": s["skolenhetskod"].astype(str).to_numpy()[idx][covered],
                "elev_id": s["elev_id"].astype(str).to_numpy()[idx][covered],
                "indikator": "gy_avbrott",
                "value": avbrott[covered].astype(float),
            }
        )
    )
    values = pd.concat(parts, ignore_index=True)
    values["lasar"] = values["lasar"].astype("int64")
    return values.merge(background(elever, by_lasar=False), on="elev_id", how="left")


def first_starts(gy_studievag: pd.DataFrame) -> pd.DataFrame:
    """Each pupil's first start in gymnasieskolan: ``elev_id, skolenhetskod, startlasar``.

    The earliest ``startlasar`` over the pupil's study paths; among paths starting the same läsår,
    the one that ended first (an open path last), then the lowest skolenhetskod (see the module
    docstring).
    """
    s = gy_studievag[["elev_id", "skolenhetskod", "startlasar", "slutlasar"]].copy()
    s["elev_id"] = s["elev_id"].astype(str)
    s["skolenhetskod"] = s["skolenhetskod"].astype(str)
    s["startlasar"] = s["startlasar"].astype("int64")
    s["_slut"] = s["slutlasar"].astype("float64").fillna(np.inf)
    s = s.sort_values(["elev_id", "startlasar", "_slut", "skolenhetskod"], kind="mergesort")
    first = s.drop_duplicates("elev_id", keep="first")
    return first[["elev_id", "skolenhetskod", "startlasar"]].reset_index(drop=True)


def _cohort_values(s: pd.DataFrame, *, senaste_lasar: int, forsta_lasar: int | None) -> pd.DataFrame:
    """examen_3ar / examen_4ar rows: one per person of a complete cohort, at the first-start unit."""
    first = first_starts(s)
    ex = s[s["utfall"].astype(str).isin(EXAMEN) & s["slutlasar"].notna()]
    first_examen = (
        ex.assign(elev_id=ex["elev_id"].astype(str), slut=ex["slutlasar"].astype("int64"))
        .groupby("elev_id")["slut"]
        .min()
    )
    start = first["startlasar"].to_numpy()
    examen_by = first["elev_id"].map(first_examen).astype("float64").fillna(np.inf).to_numpy()
    out = []
    for ind, years in COHORT_YEARS.items():
        report = start + years
        keep = report <= senaste_lasar
        if forsta_lasar is not None:
            keep &= start >= forsta_lasar
        out.append(
            pd.DataFrame(
                {
                    "lasar": report[keep],
                    "skolenhetskod": first["skolenhetskod"].to_numpy()[keep],
                    "elev_id": first["elev_id"].to_numpy()[keep],
                    "indikator": ind,
                    "value": (examen_by <= report)[keep].astype(float),
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def _continued(s: pd.DataFrame) -> np.ndarray:
    """Per study path: the same pupil has another path starting in its last läsår or later."""
    p = pd.DataFrame(
        {
            "row": np.arange(len(s)),
            "elev_id": s["elev_id"].astype(str).to_numpy(),
            "start": s["startlasar"].astype("int64").to_numpy(),
            "slut": s["slutlasar"].astype("float64").to_numpy(),
        }
    )
    m = p.merge(p, on="elev_id", suffixes=("", "_o"))
    later = (m["row_o"] != m["row"]) & (m["start_o"] >= m["slut"]) & m["slut"].notna()
    cont = m[later.to_numpy()]["row"].unique()
    out = np.zeros(len(s), dtype=bool)
    out[cont] = True
    return out
