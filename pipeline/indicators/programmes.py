"""A programme's series across a change of code (``params/gymnasieprogram.yml``).

Skolverket's leaver statistics publish a value per national programme (``grupp`` ``program:<kod>``,
also inside a compound group such as ``program:HA|kurs:MA1``). When a programme is *replaced* by a
new code (Handels- och administrationsprogrammet, HA, by Försäljnings- och serviceprogrammet, FS:
first intake läsår 2022/23), the old code's rows are the same programme's history.
:func:`follow_programme_history` keys them to the code at the end of the chain
(:attr:`Program.ersatt_av` followed to the last code), so that a unit's series per programme is one
series under the current code:

- a row of an old code is moved to the current code unless the current code has a row of its own
  with the same key (läsår, skolform, nivå, unit, indikator, grupp): pupils who started on HA finish
  on HA, so in the first years with FS leavers both codes publish values side by side; there the
  current code's own value is the series' value and the old code's row stays as it is (nothing is
  dropped);
- in a chain (A → B → C) two old codes with the same key: the later one (B) is moved;
- a programme that was not replaced, and every row without a programme, is untouched.

Every moved row is listed in the second return value (``programbyten``: the key under the new
code, ``fran`` the code it was published under, ``till`` the code it is shown under), which the
pages read to mark the change under the programme's series.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipeline.ingest.program import Program

PREFIX = "program:"
KEY = ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"]
BYTEN_COLUMNS = [*KEY, "fran", "till"]
TABLE = "programbyten"


def chains(programmes: Mapping[str, Program]) -> dict[str, tuple[str, int]]:
    """Each replaced code → (the code at the end of its chain, its position in the chain, 0 =
    oldest). Codes that were not replaced are not in the result."""
    out: dict[str, tuple[str, int]] = {}
    for kod in programmes:
        first = kod
        while programmes[first].ersatter is not None:
            first = str(programmes[first].ersatter)
        chain = [first]
        while programmes[chain[-1]].ersatt_av is not None:
            chain.append(str(programmes[chain[-1]].ersatt_av))
        if kod != chain[-1]:
            out[kod] = (chain[-1], chain.index(kod))
    return out


def empty_byten() -> pd.DataFrame:
    """An empty ``programbyten`` table."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "lasar" else "object") for c in BYTEN_COLUMNS})


def _rekey(grupp: str, succ: Mapping[str, tuple[str, int]]) -> tuple[str, str | None, int]:
    """``grupp`` with a replaced programme's code changed to the current one, the old code (or
    ``None``) and its position in the chain."""
    parts = grupp.split("|")
    old, rank = None, -1
    for i, part in enumerate(parts):
        kod = part[len(PREFIX) :] if part.startswith(PREFIX) else None
        if kod is not None and kod in succ:
            old, rank = kod, succ[kod][1]
            parts[i] = PREFIX + succ[kod][0]
    return "|".join(parts), old, rank


def follow_programme_history(
    rows: pd.DataFrame, programmes: Mapping[str, Program]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rows`` (indicator-table rows) with replaced programmes' rows keyed to the current code,
    and the moves (``programbyten``); see the module doc. Row order and index are kept."""
    succ = chains(programmes)
    if rows.empty or not succ or "grupp" not in rows.columns:
        return rows, empty_byten()
    index = rows.index
    rows = rows.reset_index(drop=True)
    grupp = rows["grupp"].astype(str)
    mapped = {g: _rekey(g, succ) for g in grupp.unique()}
    old = grupp.map(lambda g: mapped[g][1])
    moving = old.notna().to_numpy()
    if not moving.any():
        return rows.set_axis(index), empty_byten()
    keyed = rows[KEY].astype({"lasar": "int64"}).astype({c: str for c in KEY if c != "lasar"})
    cand = keyed[moving].assign(
        grupp=grupp[moving].map(lambda g: mapped[g][0]),
        fran=old[moving],
        _rank=grupp[moving].map(lambda g: mapped[g][2]),
    )
    own = pd.MultiIndex.from_frame(keyed[~moving])
    taken = pd.MultiIndex.from_frame(cand[KEY]).isin(own)
    cand = cand[~taken]
    # a chain: of two old codes with the same key, the later one is moved
    cand = cand.sort_values("_rank", ascending=False, kind="mergesort")
    cand = cand[~cand.duplicated(KEY, keep="first")].sort_index()
    out = rows.copy()
    out.loc[cand.index, "grupp"] = cand["grupp"]
    out.index = index
    byten = cand.assign(till=[succ[k][0] for k in cand["fran"]])[BYTEN_COLUMNS]
    byten = byten.sort_values(KEY, kind="mergesort").reset_index(drop=True)
    return out, byten
