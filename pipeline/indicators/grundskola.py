"""Grundskola: meritvärde, godkänt i alla ämnen, behörighet and national tests.

Definitions follow Skolverket (``../shared/realdata/PROVENANCE.md``, "Official definitions found";
``params/indikatorer.yml``):

- grade values E = 10, D = 12,5, C = 15, B = 17,5, A = 20, F = 0 and ``-`` (streck) = 0;
- meritvärde 16 = the sum of the 16 best grades among *all* the pupil's subjects, moderna språk
  som språkval (``M2``) included (Skolverket, Jämförelse av betygsresultat över tid: "Betyg i
  moderna språk som språkval kan ingå bland de 16 ämnena"), at most 320;
- meritvärde 17 = the sum of the 16 best grades among the subjects other than ``M2``, plus the
  value of ``M2`` as a 17th subject (0 if the pupil has no M2 grade; at most 340; Skolverket:
  "ett 17:e betyg i meritvärdet, utöver de 16 bästa betygen i övrigt"). Modersmål (``ML``) is an
  ordinary subject: it can be among the 16, never the 17th;
- the average meritvärde (both variants) is over the pupils with at least one passing grade (A–E)
  in any subject, M2 included (Skolverket: "beräknas för de elever som fått lägst betyg E i minst
  ett ämne"; pupils with no pass at all are left out). The two averages have the same pupils;
- godkänt i alla ämnen: A–E in every subject the pupil has a grade row in (``-`` and F are not
  passed), pupils with no passes included (Skolverket from 2013/14);
- behörighet (skollagen 16 kap. 30–31 §§): pass in SV or SVA, EN and MA plus at least 5 (yrkes)
  or 9 (högskoleförberedande) other passed subjects; ekonomi/humanistiska/samhällsvetenskap
  require GE, HI, RE and SH among the 9, natur/teknik BI, FY and KE; estetiska only the 9.
  Every other subject with a grade (incl. M2 and modersmål) counts as "other";
- np_ak9_provbetyg_ae: the share of all åk 9 test results in SV, SVA, EN and MA with provbetyg
  A–E. The observation is a test result, but ``antal`` counts the pupils behind the results
  (:func:`pipeline.indicators.core.aggregate_values` with ``person="elev_id"``), and the interval
  treats a pupil's results as one cluster.
"""

from __future__ import annotations

import pandas as pd

from pipeline.indicators.core import background

GRADE_POINTS: dict[str, float] = {"A": 20.0, "B": 17.5, "C": 15.0, "D": 12.5, "E": 10.0, "F": 0.0, "-": 0.0}
PASSING = ("A", "B", "C", "D", "E")
SPRAKVAL = "M2"
CORE_SWEDISH = ("SV", "SVA")
CORE_OTHER = ("EN", "MA")
NP_SUBJECTS = ("SV", "SVA", "EN", "MA")

#: indicator id -> (number of other subjects, subjects required among them)
BEHORIGHET: dict[str, tuple[int, tuple[str, ...]]] = {
    "behorighet_yrkes": (5, ()),
    "behorighet_ekonomi": (9, ("GE", "HI", "RE", "SH")),
    "behorighet_natur": (9, ("BI", "FY", "KE")),
    "behorighet_estet": (9, ()),
}

_PUPIL = ["lasar", "skolenhetskod", "elev_id"]


def compute_meritvarde(betyg: pd.DataFrame, *, arskurs: int = 9) -> pd.DataFrame:
    """Meritvärde 16 and 17 per pupil (see the module docstring for the definitions).

    Parameters
    ----------
    betyg
        Canonical ``betyg`` table.
    arskurs
        Årskurs to use (9 for the final grades; 6 gives the same sum on åk 6 grades, used as prior
        attainment in förädlingsvärde).

    Returns
    -------
    DataFrame
        ``lasar, skolenhetskod, elev_id, meritvarde_16, meritvarde_17, godkant`` (``godkant``: at
        least one passing grade A–E in any subject, språkval included: the pupils of the average),
        sorted.
    """
    b = betyg.loc[betyg["arskurs"] == arskurs, [*_PUPIL, "amne", "betyg"]].copy()
    b["amne"] = b["amne"].astype(str)
    b["betyg"] = b["betyg"].astype(str)
    b["points"] = b["betyg"].map(GRADE_POINTS).astype("float64")
    b["passed"] = b["betyg"].isin(PASSING)
    is_m2 = b["amne"].eq(SPRAKVAL)
    m16 = _sum_of_best(b, 16).rename("meritvarde_16")
    others16 = _sum_of_best(b[~is_m2], 16).rename("others_16")
    m2 = b[is_m2].groupby(_PUPIL)["points"].max().rename("m2")
    passed = b.groupby(_PUPIL)["passed"].any().rename("godkant")
    out = pd.concat([m16, others16, m2, passed], axis=1)
    out["meritvarde_17"] = out["others_16"].fillna(0.0) + out["m2"].fillna(0.0)
    out["godkant"] = out["godkant"].astype(bool)
    out = out.reset_index()
    return (
        out[[*_PUPIL, "meritvarde_16", "meritvarde_17", "godkant"]].sort_values(_PUPIL).reset_index(drop=True)
    )


def _sum_of_best(b: pd.DataFrame, n: int) -> pd.Series:
    """Per pupil: the sum of the ``n`` highest grade values in ``b``."""
    best = b.sort_values([*_PUPIL, "points"], ascending=[True, True, True, False], kind="mergesort")
    best = best[best.groupby(_PUPIL, sort=False).cumcount() < n]
    return best.groupby(_PUPIL)["points"].sum()


def compute_pass_flags(betyg: pd.DataFrame, *, arskurs: int) -> pd.DataFrame:
    """Per pupil: ``godkand_alla`` (A–E in every graded subject) and the behörighet flags.

    Returns
    -------
    DataFrame
        ``lasar, skolenhetskod, elev_id, godkand_alla`` and one boolean column per id in
        :data:`BEHORIGHET`, sorted.
    """
    b = betyg.loc[betyg["arskurs"] == arskurs, [*_PUPIL, "amne", "betyg"]].copy()
    b["amne"] = b["amne"].astype(str)
    b["passed"] = b["betyg"].astype(str).isin(PASSING)
    core = set(CORE_SWEDISH) | set(CORE_OTHER)
    b["sv"] = b["passed"] & b["amne"].isin(CORE_SWEDISH)
    b["en"] = b["passed"] & b["amne"].eq("EN")
    b["ma"] = b["passed"] & b["amne"].eq("MA")
    b["other"] = b["passed"] & ~b["amne"].isin(core)
    b["failed"] = ~b["passed"]
    required = sorted({s for _, req in BEHORIGHET.values() for s in req})
    for s in required:
        b[f"req_{s}"] = b["passed"] & b["amne"].eq(s)
    agg = {"sv": "any", "en": "any", "ma": "any", "other": "sum", "failed": "any"}
    agg.update({f"req_{s}": "any" for s in required})
    g = b.groupby(_PUPIL).agg(agg).reset_index()
    g["godkand_alla"] = ~g["failed"]
    base = g["sv"] & g["en"] & g["ma"]
    for ind, (n_other, req) in BEHORIGHET.items():
        flag = base & (g["other"] >= n_other)
        for s in req:
            flag &= g[f"req_{s}"]
        g[ind] = flag
    return g[[*_PUPIL, "godkand_alla", *BEHORIGHET]].sort_values(_PUPIL).reset_index(drop=True)


def compute_grundskola_values(
    betyg: pd.DataFrame, elever: pd.DataFrame, nationella_prov: pd.DataFrame
) -> pd.DataFrame:
    """Pupil-level value frame (see :mod:`pipeline.indicators.core`) of the grundskola indicators.

    Indicators: meritvarde_17, meritvarde_16 (both over the pupils with at least one pass), godkand_alla_amnen,
    the four behorighet_*, ak6_godkand_alla_amnen (åk 6), np_ak9_provbetyg_ae (one row per test).
    """
    bg = background(elever)
    parts = []
    if betyg is not None and len(betyg):
        mv = compute_meritvarde(betyg, arskurs=9)
        sel = mv[mv["godkant"]]
        for ind in ("meritvarde_17", "meritvarde_16"):
            parts.append(sel[_PUPIL].assign(indikator=ind, value=sel[ind].to_numpy()))
        f9 = compute_pass_flags(betyg, arskurs=9)
        parts.append(
            f9[_PUPIL].assign(
                indikator="godkand_alla_amnen", value=f9["godkand_alla"].astype(float).to_numpy()
            )
        )
        for ind in BEHORIGHET:
            parts.append(f9[_PUPIL].assign(indikator=ind, value=f9[ind].astype(float).to_numpy()))
        f6 = compute_pass_flags(betyg, arskurs=6)
        parts.append(
            f6[_PUPIL].assign(
                indikator="ak6_godkand_alla_amnen", value=f6["godkand_alla"].astype(float).to_numpy()
            )
        )
    if nationella_prov is not None and len(nationella_prov):
        npv = nationella_prov[
            (nationella_prov["arskurs"] == 9) & nationella_prov["amne"].astype(str).isin(NP_SUBJECTS)
        ]
        parts.append(
            npv[_PUPIL].assign(
                indikator="np_ak9_provbetyg_ae",
                value=npv["provbetyg"].astype(str).isin(PASSING).astype(float).to_numpy(),
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=[*_PUPIL, "indikator", "value", "kon", "foraldrar_utbildning", "nyanland"]
        )
    values = pd.concat(parts, ignore_index=True)
    return values.merge(bg, on=["lasar", "elev_id"], how="left")
