"""Shared machinery: pupil-level values → cells (enhet and huvudman level) with intervals.

An indicator computed from pupil data is first a *value frame*: one row per observation (a
pupil, a test result, a course participation, a respondent) with the columns of
:data:`VALUE_COLUMNS`. :func:`explode_groups` copies each row into the groups it belongs to
(``samtliga``, ``flickor``/``pojkar``, ``foraldrar_eftergymnasial``/``foraldrar_ej_eftergymnasial``,
``nyanland``/``ej_nyanland``) and :func:`aggregate_values` turns them into *cells*: the internal
form of an indicator row (:data:`CELL_COLUMNS`), which also keeps the standard error that the
change tests need. A huvudman cell is aggregated from the same pupils as its units, so the
huvudman value is the pupil-weighted mean of the unit values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.errors import DataValidationError
from pipeline.indicators import stats

#: Columns of a value frame (``value`` is 0/1 for shares, a number for means).
VALUE_COLUMNS = ["lasar", "skolenhetskod", "indikator", "kon", "foraldrar_utbildning", "nyanland", "value"]

#: Internal cell columns: the published ones plus ``se`` and ``typ`` (statistic kind).
CELL_COLUMNS = [
    "lasar",
    "skolform",
    "niva",
    "skolenhetskod",
    "indikator",
    "grupp",
    "varde",
    "antal",
    "se",
    "ki_lag",
    "ki_hog",
    "typ",
    "kalla",
]

#: Statistic kinds: ``andel`` (share of 0/1 values, 0-100), ``medel`` (mean), ``kvot`` (ratio of
#: sums), ``rate`` (cases per 100), ``skillnad`` (difference of means), ``antal`` (a count),
#: ``icc`` (share of variance, 0-100), ``va`` (value added).
KINDS = ("andel", "medel", "kvot", "rate", "skillnad", "antal", "icc", "va")

#: Complementary group pairs: together they make up ``samtliga`` (used by secondary suppression).
GROUP_PAIRS: tuple[tuple[str, str], ...] = (
    ("flickor", "pojkar"),
    ("foraldrar_eftergymnasial", "foraldrar_ej_eftergymnasial"),
    ("nyanland", "ej_nyanland"),
)

KALLA_ELEVREGISTER = "Egen beräkning från elevregistret"
KALLA_ENKAT = "Egen beräkning från huvudmannens enkät"
KALLA_PERSONAL = "Egen beräkning från huvudmannens personal- och barnregister"
KALLA_ARENDEN = "Egen beräkning från huvudmannens ärendesystem"


def empty_cells() -> pd.DataFrame:
    """An empty cell frame with the right dtypes."""
    return _cell_dtypes(pd.DataFrame({c: [] for c in CELL_COLUMNS}))


def _cell_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in ("skolform", "niva", "skolenhetskod", "indikator", "grupp", "typ", "kalla"):
        df[c] = df[c].astype("string") if len(df) else pd.Series([], dtype="string")
    df["lasar"] = df["lasar"].astype("int64")
    df["antal"] = pd.array(df["antal"], dtype="Int64") if len(df) else pd.array([], dtype="Int64")
    for c in ("varde", "se", "ki_lag", "ki_hog"):
        df[c] = df[c].astype("float64")
    return df[CELL_COLUMNS]


def finish_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Fix dtypes and column order, sort, and reset the index of a cell frame."""
    if df is None or len(df) == 0:
        return empty_cells()
    df = df.copy()
    for c in CELL_COLUMNS:
        if c not in df:
            df[c] = np.nan if c in ("varde", "se", "ki_lag", "ki_hog") else pd.NA
    df = _cell_dtypes(df)
    return df.sort_values(
        ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"], kind="mergesort"
    ).reset_index(drop=True)


def background(elever: pd.DataFrame | None, *, by_lasar: bool = True) -> pd.DataFrame:
    """Background variables per pupil (and läsår): ``kon``, ``foraldrar_utbildning``, ``nyanland``.

    With ``by_lasar=False`` the pupil's latest row is used (gymnasium study paths span years).
    """
    cols = ["lasar", "elev_id", "kon", "foraldrar_utbildning", "nyanland"]
    if elever is None or len(elever) == 0:
        out = pd.DataFrame({c: pd.Series([], dtype="object") for c in cols})
        out["lasar"] = out["lasar"].astype("int64")
        return out if by_lasar else out.drop(columns="lasar")
    e = elever[cols].sort_values(["elev_id", "lasar"], kind="mergesort")
    if by_lasar:
        return e.drop_duplicates(["lasar", "elev_id"], keep="last").reset_index(drop=True)
    return e.drop_duplicates("elev_id", keep="last").drop(columns="lasar").reset_index(drop=True)


def explode_groups(
    values: pd.DataFrame, *, groups: tuple[str, ...] = ("kon", "foraldrar", "nyanland")
) -> pd.DataFrame:
    """Copy each value row into every group it belongs to (column ``grupp``).

    Groups: ``samtliga`` always; with ``"kon"``: ``flickor``/``pojkar`` (pupils of unknown kön are
    only in ``samtliga``); with ``"foraldrar"``: ``foraldrar_eftergymnasial`` (at least one parent
    with eftergymnasial utbildning) and ``foraldrar_ej_eftergymnasial`` (everyone else, including
    unknown background, so the pair adds up to ``samtliga``); with ``"nyanland"``: ``nyanland`` /
    ``ej_nyanland`` (unknown counts as not newly arrived).
    """
    parts = [values.assign(grupp="samtliga")]
    if "kon" in groups:
        kon = values["kon"].astype("string")
        parts.append(values[kon.eq("flicka").fillna(False).to_numpy()].assign(grupp="flickor"))
        parts.append(values[kon.eq("pojke").fillna(False).to_numpy()].assign(grupp="pojkar"))
    if "foraldrar" in groups:
        eft = values["foraldrar_utbildning"].astype("string").eq("eftergymnasial").fillna(False).to_numpy()
        parts.append(values[eft].assign(grupp="foraldrar_eftergymnasial"))
        parts.append(values[~eft].assign(grupp="foraldrar_ej_eftergymnasial"))
    if "nyanland" in groups:
        ny = values["nyanland"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        parts.append(values[ny].assign(grupp="nyanland"))
        parts.append(values[~ny].assign(grupp="ej_nyanland"))
    return pd.concat(parts, ignore_index=True)


def attach_skolform(
    values: pd.DataFrame, skolenheter: pd.DataFrame, forms_of: dict[str, tuple[str, ...]]
) -> pd.DataFrame:
    """Give each row the school form(s) of its unit, from the unit register.

    A row gets one copy per school form that its unit runs (``skolenheter``) *and* that its
    indicator belongs to (``forms_of``: indicator id → school forms, from the indicator registry).
    A row that already has a ``skolform`` (from ``elever``) keeps it if the indicator allows it.

    Raises
    ------
    DataValidationError
        A unit in the data is not in the register.
    """
    if len(values) == 0:
        return values.assign(skolform=pd.Series([], dtype="string"))
    allowed = pd.DataFrame(
        [(i, f) for i, fs in forms_of.items() for f in fs], columns=["indikator", "skolform"]
    ).astype("string")
    if "skolform" in values.columns:
        out = values.merge(allowed, on=["indikator", "skolform"], how="inner")
        return out
    reg = skolenheter[["skolenhetskod", "skolform"]].astype("string")
    missing = sorted(
        set(values["skolenhetskod"].unique().tolist()) - set(reg["skolenhetskod"].unique().tolist())
    )
    if missing:
        raise DataValidationError(
            f"skolenhetskod {missing[:5]} occur in the pupil data but not in the unit register "
            "(table 'skolenheter'); add the units to the register export (Skolenhetsregistret) "
            "or correct the codes in the pupil data."
        )
    out = values.merge(reg, on="skolenhetskod", how="inner")
    return out.merge(allowed, on=["indikator", "skolform"], how="inner")


def aggregate_values(
    values: pd.DataFrame, *, typ: str, konfidensniva: float, kalla: str = KALLA_ELEVREGISTER
) -> pd.DataFrame:
    """Aggregate exploded value rows to enhet and huvudman cells.

    Parameters
    ----------
    values
        Rows with ``lasar, skolform, skolenhetskod, indikator, grupp, value``.
    typ
        ``"andel"``: ``value`` is 0/1, ``varde`` = 100 × mean, Wilson interval;
        ``"medel"``: ``varde`` = mean, t interval.
    konfidensniva
        Confidence level of the intervals.
    """
    if len(values) == 0:
        return empty_cells()
    v = values[["lasar", "skolform", "skolenhetskod", "indikator", "grupp", "value"]].copy()
    v["value"] = v["value"].astype("float64")
    v = v[v["value"].notna()]
    out = []
    for niva, keys in (
        ("enhet", ["lasar", "skolform", "skolenhetskod", "indikator", "grupp"]),
        ("huvudman", ["lasar", "skolform", "indikator", "grupp"]),
    ):
        g = (
            v.groupby(keys, observed=True, sort=True)["value"]
            .agg(["mean", "std", "count", "sum"])
            .reset_index()
        )
        if niva == "huvudman":
            g["skolenhetskod"] = ""
        g["niva"] = niva
        n = g["count"].to_numpy(dtype=float)
        if typ == "andel":
            lo, hi = stats.wilson_interval(g["sum"].to_numpy(), n, konfidensniva=konfidensniva)
            p = g["mean"].to_numpy()
            g["varde"] = 100 * p
            with np.errstate(invalid="ignore", divide="ignore"):
                g["se"] = 100 * np.sqrt(p * (1 - p) / n)
            g["ki_lag"], g["ki_hog"] = 100 * lo, 100 * hi
        elif typ == "medel":
            g["varde"] = g["mean"]
            sd = g["std"].to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                g["se"] = sd / np.sqrt(n)
            g["ki_lag"], g["ki_hog"] = stats.t_interval(
                g["mean"].to_numpy(), sd, n, konfidensniva=konfidensniva
            )
        else:
            raise ValueError(f"`typ` must be one of 'andel', 'medel', got {typ!r}.")
        g["antal"] = g["count"].astype("int64")
        g["typ"] = typ
        g["kalla"] = kalla
        out.append(g)
    return finish_cells(pd.concat(out, ignore_index=True))
