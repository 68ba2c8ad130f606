"""The distribution of a school form's units and each unit's place in it (``fordelning``,
``placeringar``).

A page that compares one unit with the others, or shows how the units spread, reads these two
tables; it computes no quartile or rank itself.

Definitions:

- The units are the huvudman's own units of the school form: those with ``niva = "enhet"`` rows of
  the form in ``indikatorer`` (any läsår) that the unit register (``skolenheter``) lists for the
  form; without a register, or when none of them is in it, every unit of the form. In a real-data
  report for a kommun the indicator table also holds schools of other organisers: they are never
  counted among the huvudman's units.
- Values are the published ones: a hidden value (``varde`` missing, e.g. ``undertryckt``) enters
  neither the distribution nor the ranks.
- ``fordelning``: per läsår × skolform × indikator × grupp × ``kalla`` the number of units with a
  value (``antal_enheter``), the lowest (``lagst``), the quartiles ``p25``, ``median``, ``p75``
  (linear interpolation between order statistics: the q-quantile of n sorted values x₀..xₙ₋₁ is
  x_k + f·(x_{k+1} − x_k) with h = q·(n−1), k = ⌊h⌋, f = h − k; pandas' and numpy's default,
  Hyndman & Fan type 7) and the highest (``hogst``).
- ``placeringar``: per unit with a value its ``plats``, 1 + the number of units with a strictly
  higher value (1 = highest; equal values share a place), whatever the indicator's direction.
- ``kalla = "indikatorer"``: the units' ``varde``; ``kalla = "va_enheter"``: the units' value-added
  ``residual`` (only units with a residual and both interval bounds), indikator
  ``foradlingsvarde_residual``, grupp ``samtliga``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "FORDELNING_COLUMNS",
    "PLACERING_COLUMNS",
    "compute_fordelning",
    "own_units",
    "quartiles",
]

KEYS = ["lasar", "skolform", "indikator", "grupp", "kalla"]
FORDELNING_COLUMNS = [*KEYS, "antal_enheter", "lagst", "p25", "median", "p75", "hogst"]
PLACERING_COLUMNS = [*KEYS, "skolenhetskod", "plats", "antal_enheter"]
VA_INDIKATOR = "foradlingsvarde_residual"


def quartiles(values: Sequence[float]) -> dict[str, float]:
    """Lowest, quartiles (linear interpolation, see the module docstring) and highest of ``values``
    (at least one value)."""
    x = np.sort(np.asarray(values, dtype="float64"))
    p25, median, p75 = np.percentile(x, [25.0, 50.0, 75.0], method="linear")
    return {
        "lagst": float(x[0]),
        "p25": float(p25),
        "median": float(median),
        "p75": float(p75),
        "hogst": float(x[-1]),
    }


def own_units(indikatorer: pd.DataFrame, skolenheter: pd.DataFrame | None) -> dict[str, frozenset[str]]:
    """School form -> the huvudman's own units of the form (see the module docstring)."""
    enhet = indikatorer[indikatorer["niva"].astype(str) == "enhet"]
    forms = enhet["skolform"].astype(str).to_numpy()
    codes = enhet["skolenhetskod"].fillna("").astype(str).to_numpy()
    out: dict[str, frozenset[str]] = {}
    for form in sorted(set(forms)):
        have = frozenset(codes[forms == form])
        if skolenheter is None or skolenheter.empty:
            out[form] = have
            continue
        reg = skolenheter.loc[skolenheter["skolform"].astype(str) == form, "skolenhetskod"]
        own = have & frozenset(reg.astype(str))
        out[form] = own if own else have
    return out


def _values(indikatorer: pd.DataFrame, own: dict[str, frozenset[str]]) -> pd.DataFrame:
    """The own units' published values: KEYS + skolenhetskod + varde."""
    df = indikatorer[indikatorer["niva"].astype(str) == "enhet"]
    df = pd.DataFrame(
        {
            "lasar": df["lasar"].astype("int64").to_numpy(),
            "skolform": df["skolform"].astype(str).to_numpy(),
            "indikator": df["indikator"].astype(str).to_numpy(),
            "grupp": df["grupp"].astype(str).to_numpy(),
            "kalla": "indikatorer",
            "skolenhetskod": df["skolenhetskod"].fillna("").astype(str).to_numpy(),
            "varde": df["varde"].astype("float64").to_numpy(),
        }
    )
    mine = np.fromiter(
        (c in own.get(f, frozenset()) for f, c in zip(df["skolform"], df["skolenhetskod"], strict=True)),
        dtype=bool,
        count=len(df),
    )
    return df[mine & df["varde"].notna().to_numpy()]


def _va_values(va_enheter: pd.DataFrame | None, own: dict[str, frozenset[str]]) -> pd.DataFrame:
    """The own units' value-added residuals (with both interval bounds), as :func:`_values`."""
    cols = [*KEYS, "skolenhetskod", "varde"]
    if va_enheter is None or va_enheter.empty:
        return pd.DataFrame({c: [] for c in cols})
    va = va_enheter.dropna(subset=["residual", "ki_lag", "ki_hog"])
    parts = []
    for form, codes in own.items():
        sel = va[va["skolenhetskod"].astype(str).isin(codes)]
        if "skolform" in va.columns:
            sel = sel[sel["skolform"].astype(str) == form]
        parts.append(
            pd.DataFrame(
                {
                    "lasar": sel["lasar"].astype("int64").to_numpy(),
                    "skolform": form,
                    "indikator": VA_INDIKATOR,
                    "grupp": "samtliga",
                    "kalla": "va_enheter",
                    "skolenhetskod": sel["skolenhetskod"].astype(str).to_numpy(),
                    "varde": sel["residual"].astype("float64").to_numpy(),
                }
            )
        )
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({c: [] for c in cols})


def compute_fordelning(
    indikatorer: pd.DataFrame,
    skolenheter: pd.DataFrame | None = None,
    va_enheter: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(fordelning, placeringar)`` of the indicator table (and the value-added units).

    Parameters
    ----------
    indikatorer
        The published indicator table (hidden values missing in ``varde``).
    skolenheter
        The unit register (which units are the huvudman's own); optional.
    va_enheter
        Value added per unit (:mod:`pipeline.indicators.foradlingsvarde`); optional.

    Returns
    -------
    tuple of DataFrame
        ``fordelning`` (:data:`FORDELNING_COLUMNS`) and ``placeringar`` (:data:`PLACERING_COLUMNS`),
        sorted by their keys.
    """
    own = own_units(indikatorer, skolenheter)
    values = pd.concat([_values(indikatorer, own), _va_values(va_enheter, own)], ignore_index=True)
    if values.empty:
        return (
            pd.DataFrame({c: [] for c in FORDELNING_COLUMNS}),
            pd.DataFrame({c: [] for c in PLACERING_COLUMNS}),
        )
    values = values.sort_values([*KEYS, "varde", "skolenhetskod"], kind="mergesort").reset_index(drop=True)
    rows = []
    for key, idx in values.groupby(KEYS, sort=True).indices.items():
        q = quartiles(values["varde"].to_numpy()[idx])
        rows.append((*key, len(idx), q["lagst"], q["p25"], q["median"], q["p75"], q["hogst"]))
    fordelning = pd.DataFrame(rows, columns=FORDELNING_COLUMNS)
    fordelning["antal_enheter"] = fordelning["antal_enheter"].astype("int64")
    grouped = values.groupby(KEYS, sort=False)["varde"]
    placeringar = values[[*KEYS, "skolenhetskod"]].assign(
        plats=grouped.rank(method="min", ascending=False).astype("int64"),
        antal_enheter=grouped.transform("size").astype("int64"),
    )
    placeringar = placeringar.sort_values([*KEYS, "skolenhetskod"], kind="mergesort").reset_index(drop=True)
    return fordelning, placeringar
