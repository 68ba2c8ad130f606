"""Privacy suppression (primary and secondary) of indicator cells.

Decisions (documented for the method appendix):

- **Primary**: a cell whose ``antal`` (the pupils, respondents or participations behind it) is
  below ``min_antal`` is hidden: ``varde``, ``ki_lag``, ``ki_hog`` are emptied and ``undertryckt``
  is True. ``antal`` is **kept**: it is the size of the group, not a result, and the unit's pupil
  count is public anyway. Counts (``typ == "antal"``, e.g. ``elevantal``) are never hidden.
- **Secondary**, repeated until nothing changes, so that no hidden value can be recovered from a
  total and the published cells (with their ``antal`` as weights):

  (a) complementary groups (flickor/pojkar, foraldrar_*, nyanland/ej_nyanland, which add up to
      ``samtliga``): if one of a pair is hidden, the other is hidden too;
  (b) if ``samtliga`` of a unit is hidden, every complementary group of that unit is hidden; a
      group that holds all the unit's pupils (its pair partner is empty) is the same number as
      ``samtliga``, so the two are hidden together;
  (c) across units (the huvudman cell is the pupil-weighted mean of its units): if exactly one
      unit cell of a läsår × skolform × indikator × grupp is hidden while the huvudman cell is
      published, the published unit cell with the smallest ``antal`` is hidden as well (the
      huvudman cell if there is no other unit);
  (d) if a huvudman cell is hidden, at least two of its unit cells are hidden (smallest first);
  (e) a difference (``konsskillnad_*``, ``bakgrundsskillnad_*``) is hidden when either group cell
      it is built from is hidden (with the published ``samtliga`` it would reveal both).

Value-added cells (enhet only, minimum ``va_min_antal`` ≥ this threshold) and the huvudman ICC
take part in primary suppression only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.indicators.core import GROUP_PAIRS
from pipeline.indicators.likvardighet import DIFFERENCES

#: kinds whose huvudman value is a pupil-weighted combination of the unit values
ADDITIVE = ("andel", "medel", "kvot", "rate")
_UNIT = ["lasar", "skolform", "niva", "skolenhetskod", "indikator"]
_ACROSS = ["lasar", "skolform", "indikator", "grupp"]


def row_key(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """One text key per row from ``cols`` (vectorised)."""
    key = pd.Series("", index=df.index, dtype=object)
    for c in cols:
        key = key + "|" + df[c].astype(str).to_numpy(dtype=object)
    return key


def _hide_pairs(df: pd.DataFrame, hidden: np.ndarray) -> np.ndarray:
    hidden = hidden.copy()
    tot = df["grupp"].eq("samtliga").to_numpy()
    key = row_key(df, _UNIT)
    total_hidden = set(key[tot & hidden])
    for a, b in GROUP_PAIRS:
        sel = df["grupp"].isin([a, b]).to_numpy()
        if not sel.any():
            continue
        k = key[sel]
        any_hidden = pd.Series(hidden[sel], index=k.index).groupby(k.to_numpy()).transform("any").to_numpy()
        hidden[np.flatnonzero(sel)[any_hidden | k.isin(total_hidden).to_numpy()]] = True
    # (b') a group that holds every pupil of its unit (the other of its pair is empty) *is* the
    # total: they are hidden together
    antal = df["antal"].astype("Float64").fillna(-1).to_numpy(dtype=float)
    total_antal = pd.Series(antal[tot], index=key[tot].to_numpy())
    total_antal = total_antal[~total_antal.index.duplicated()]
    member = df["grupp"].isin([g for pair in GROUP_PAIRS for g in pair]).to_numpy()
    same = member & (key.map(total_antal).to_numpy(dtype=float) == antal)
    if same.any():
        hidden_same = set(key[same & hidden])
        hidden[tot & key.isin(hidden_same).to_numpy()] = True
        hidden_tot = set(key[tot & hidden])
        hidden[same & key.isin(hidden_tot).to_numpy()] = True
    return hidden


def _hide_across(df: pd.DataFrame, hidden: np.ndarray) -> np.ndarray:
    hidden = hidden.copy()
    add = (
        df["typ"].isin(ADDITIVE).to_numpy() & df["varde"].notna().to_numpy()
        | hidden & df["typ"].isin(ADDITIVE).to_numpy()
    )
    unit = add & df["niva"].eq("enhet").to_numpy()
    hm = add & df["niva"].eq("huvudman").to_numpy()
    if not unit.any() or not hm.any():
        return hidden
    u = df.loc[unit, [*_ACROSS, "antal", "skolenhetskod"]].copy()
    u["hidden"] = hidden[unit]
    u["pos"] = np.flatnonzero(unit)
    h = df.loc[hm, _ACROSS].copy()
    h["hm_hidden"] = hidden[hm]
    h["hm_pos"] = np.flatnonzero(hm)
    u = u.merge(h, on=_ACROSS, how="inner")
    u["n_hidden"] = u.groupby(_ACROSS)["hidden"].transform("sum")
    u["n_units"] = u.groupby(_ACROSS)["hidden"].transform("size")
    # (c) exactly one hidden unit, huvudman published
    need = (u["n_hidden"] == 1) & ~u["hm_hidden"]
    # (d) huvudman hidden, fewer than two hidden units
    need_d = u["hm_hidden"] & (u["n_hidden"] < 2) & (u["n_units"] > u["n_hidden"])
    cand = u[(need | need_d) & ~u["hidden"]].sort_values(
        [*_ACROSS, "antal", "skolenhetskod"], kind="mergesort"
    )
    first = cand.drop_duplicates(_ACROSS, keep="first")
    hidden[first["pos"].to_numpy()] = True
    # (c) with no other unit: hide the huvudman cell
    lone = u[need & (u["n_units"] == 1)]
    hidden[lone["hm_pos"].to_numpy()] = True
    return hidden


def _hide_differences(df: pd.DataFrame, hidden: np.ndarray) -> np.ndarray:
    hidden = hidden.copy()
    key = ["lasar", "skolform", "niva", "skolenhetskod"]
    for target, (source, a, b) in DIFFERENCES.items():
        tsel = df["indikator"].eq(target).to_numpy()
        if not tsel.any():
            continue
        src = df[df["indikator"].eq(source).to_numpy() & df["grupp"].isin([a, b]).to_numpy()][key].copy()
        src["h"] = hidden[df["indikator"].eq(source).to_numpy() & df["grupp"].isin([a, b]).to_numpy()]
        bad = src.groupby(key)["h"].any().reset_index()
        t = df.loc[tsel, key].copy()
        t["pos"] = np.flatnonzero(tsel)
        t = t.merge(bad, on=key, how="left")
        hidden[t.loc[t["h"].fillna(True).astype(bool), "pos"].to_numpy()] = True
    return hidden


def suppress(cells: pd.DataFrame, *, min_antal: int) -> pd.DataFrame:
    """Apply primary and secondary suppression (see module doc).

    Parameters
    ----------
    cells
        Cell frame (:data:`pipeline.indicators.core.CELL_COLUMNS`), unsuppressed.
    min_antal
        ``installningar.undertryck_min_antal``.

    Returns
    -------
    DataFrame
        A copy with a boolean column ``undertryckt`` and ``varde``, ``se``, ``ki_lag``, ``ki_hog``
        emptied where it is True. Row order is kept.
    """
    df = cells.reset_index(drop=True).copy()
    antal = df["antal"].astype("Float64").fillna(0).to_numpy(dtype=float)
    countable = ~df["typ"].eq("antal").to_numpy()
    hidden = countable & (antal < min_antal) & df["varde"].notna().to_numpy()
    for _ in range(100):
        before = hidden.copy()
        hidden = _hide_pairs(df, hidden)
        hidden = _hide_across(df, hidden)
        if (hidden == before).all():
            break
    hidden = _hide_differences(df, hidden)
    hidden &= countable
    df["undertryckt"] = hidden
    for c in ("varde", "se", "ki_lag", "ki_hog"):
        df.loc[hidden, c] = np.nan
    return df
