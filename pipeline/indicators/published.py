"""Published values (``publicerad``: Skolverket, Kolada, Skolenkäten, national files) passed through.

- Rows of niva ``enhet``/``huvudman``/``kommun`` are kept for the report's own kommun
  (``kommunkod`` equal, or empty); at ``kommun`` level only rows for all organisers
  (``typ_av_huvudman`` empty or ``Samtliga``), at ``huvudman`` level only ``Kommunal`` (or empty):
  rows for e.g. ``Enskild`` organisers have no level in the table and are left out. ``riket`` rows
  are kept for all organisers (``typ_av_huvudman`` empty or ``Samtliga``), with enhet ``Riket``.
- The same figure from two files (same key, value and marker) is kept once (source first in
  alphabetical order). Two *different* published values with the same key (läsår × skolform × nivå
  × unit × indikator × grupp) are an error (:class:`DataValidationError` naming them): the table has one value per key.
- ``jamforelse`` rows (one per kommun of the comparison group; per kommun the ``Samtliga`` row,
  else the ``Kommunal`` one, other organiser types left out) are aggregated to one row per
  läsår × skolform × indikator × grupp: the ``antal``-weighted mean where every row has an
  ``antal``, else the unweighted mean of the published values; ``antal`` is the sum when known.
  Hidden/missing values are left out; if none is left the row is ``saknas``. Enhet is
  ``jamforelsegrupp_namn``. No group row is formed for the indicators in ``utan_gruppvarde``
  (counts and totals: registry ``statistik`` ``antal``/``summa``, see
  :attr:`pipeline.indicators.registry.Indicator.is_count`): a mean of the kommuners' pupil counts
  or costs in total describes no kommun, so the group's cell stays empty ("–").
- markers become ``markering``; ``undertryckt`` is ``markering == "undertryckt"``; the source is
  kept in ``kalla``. Published rows have no interval.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from pipeline.errors import DataValidationError
from pipeline.validate.schemas import INDICATOR_COLUMNS

ORDER = ["lasar", "skolform", "niva", "skolenhetskod", "enhet", "indikator", "grupp"]
KEY = ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"]


def _str(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("")


def published_rows(
    publicerad: pd.DataFrame,
    *,
    huvudman_namn: str,
    kommunkod: str,
    jamforelsegrupp_namn: str = "Jämförelsegrupp",
    utan_gruppvarde: Collection[str] = (),
) -> pd.DataFrame:
    """Published rows in the indicator table's columns (see module doc); ``utan_gruppvarde``: the
    indicator ids (counts, totals) for which no comparison-group value is formed."""
    if publicerad is None or len(publicerad) == 0:
        return pd.DataFrame({c: [] for c in INDICATOR_COLUMNS})
    p = publicerad.copy()
    for c in (
        "kommunkod",
        "skolenhetskod",
        "enhet",
        "niva",
        "markering",
        "kalla",
        "indikator",
        "grupp",
        "skolform",
    ):
        p[c] = _str(p[c])
    p["varde"] = p["varde"].astype("float64")
    p["antal"] = pd.array(p["antal"], dtype="Int64")
    p["typ_av_huvudman"] = _str(p["typ_av_huvudman"])
    own_level = p["niva"].isin(["enhet", "huvudman", "kommun"])
    own = own_level & (p["kommunkod"].eq("") | p["kommunkod"].eq(kommunkod))
    # kommun level = all organisers (Samtliga), huvudman level = the kommun's own units (Kommunal);
    # rows for other organiser types (e.g. Enskild) have no place at these levels
    typ = p["typ_av_huvudman"].str.lower()
    own &= ~(p["niva"].eq("kommun") & ~typ.isin(["", "samtliga", "alla"]))
    own &= ~(p["niva"].eq("huvudman") & ~typ.isin(["", "kommunal"]))
    # riket: the value for all organisers (a Riket export has a row per organiser type too)
    riket = p["niva"].eq("riket") & typ.isin(["", "samtliga", "alla"])
    keep = p[own | riket].copy()
    keep.loc[keep["niva"].eq("riket"), "enhet"] = "Riket"
    keep.loc[keep["niva"].ne("enhet"), "skolenhetskod"] = ""
    keep.loc[keep["niva"].isin(["huvudman", "kommun"]) & keep["enhet"].eq(""), "enhet"] = huvudman_namn
    parts = [keep]
    jf = p[p["niva"].eq("jamforelse") & ~p["indikator"].isin(list(utan_gruppvarde))]
    if len(jf):
        parts.append(_aggregate_jamforelse(jf, jamforelsegrupp_namn))
    out = pd.concat(parts, ignore_index=True)
    # the same figure from two files (e.g. riket in several exports) is one value
    out = out.sort_values([*KEY, "kalla"], kind="mergesort")
    out = out[~out.duplicated([*KEY, "varde", "markering"], keep="first")]
    dup = out.duplicated(KEY, keep=False)
    if dup.any():
        first = out.loc[dup, [*KEY, "kalla"]].sort_values(KEY).head(4).to_dict("records")
        raise DataValidationError(
            f"table 'publicerad': {int(dup.sum())} rows share a key {KEY} with another row, e.g. {first}. "
            "Each läsår × skolform × nivå × unit × indikator × grupp must have one published value; "
            "check that the same export is not in data/raw/ twice and that the reader sets `niva` and "
            "`typ_av_huvudman` as docs/contracts.md describes."
        )
    out["undertryckt"] = out["markering"].eq("undertryckt")
    out.loc[out["undertryckt"], "varde"] = np.nan
    out["ki_lag"] = np.nan
    out["ki_hog"] = np.nan
    return out[INDICATOR_COLUMNS].sort_values(ORDER, kind="mergesort").reset_index(drop=True)


def _aggregate_jamforelse(jf: pd.DataFrame, namn: str) -> pd.DataFrame:
    key = ["lasar", "skolform", "indikator", "grupp"]
    j = jf.copy()
    # per kommun: the value for all organisers (Samtliga), else for the kommunal ones; never mix
    rank = j["typ_av_huvudman"].str.lower().map({"": 0, "samtliga": 0, "alla": 0, "kommunal": 1}).fillna(2)
    j = j.assign(_rank=rank.to_numpy())
    best = j.groupby([*key, "kommunkod"])["_rank"].transform("min")
    j = j[(j["_rank"] == best) & (j["_rank"] < 2)]
    j["ok"] = j["varde"].notna() & j["markering"].isin(["", "avrundad"])
    j["w"] = j["antal"].astype("Float64").astype("float64")
    j["wv"] = j["w"] * j["varde"]
    rows = []
    for k, g in j.groupby(key, sort=True):
        ok = g[g["ok"]]
        if len(ok) == 0:
            varde, antal, mark, how = np.nan, pd.NA, "saknas", "medel"
        elif ok["w"].notna().all() and ok["w"].sum() > 0:
            varde, antal, mark, how = ok["wv"].sum() / ok["w"].sum(), int(ok["w"].sum()), "", "vägt medel"
        else:
            varde, antal, mark, how = ok["varde"].mean(), pd.NA, "", "medel"
        kalla = "; ".join(sorted(set(g["kalla"]))) + f" ({how} över {ok['kommunkod'].nunique()} kommuner)"
        rows.append(
            dict(
                zip(key, k, strict=True),
                niva="jamforelse",
                skolenhetskod="",
                enhet=namn,
                varde=varde,
                antal=antal,
                markering=mark,
                kalla=kalla,
            )
        )
    out = pd.DataFrame(rows)
    out["antal"] = pd.array(out["antal"], dtype="Int64")
    return out
