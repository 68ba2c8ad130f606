"""Shared machinery: pupil-level values → cells (enhet and huvudman level) with intervals.

An indicator computed from pupil data is first a *value frame*: one row per observation (a
pupil, a test result, a course participation, a respondent) with the columns of
:data:`VALUE_COLUMNS` and the column naming the person behind the row (``elev_id`` or
``respondent_id``); a cell's ``antal`` counts those persons, never the rows. :func:`explode_groups` copies each row into the groups it belongs to
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
    values: pd.DataFrame,
    *,
    typ: str,
    konfidensniva: float,
    kalla: str = KALLA_ELEVREGISTER,
    person: str | None = None,
) -> pd.DataFrame:
    """Aggregate exploded value rows to enhet and huvudman cells.

    Parameters
    ----------
    values
        Rows with ``lasar, skolform, skolenhetskod, indikator, grupp, value`` (and ``person``).
    typ
        ``"andel"``: ``value`` is 0/1, ``varde`` = 100 × mean, Wilson interval;
        ``"medel"``: ``varde`` = mean, t interval.
    konfidensniva
        Confidence level of the intervals.
    person
        The column naming the person behind each row (``elev_id``, ``respondent_id``). ``antal``
        is then the number of distinct persons in the cell, never the number of rows: a unit with 4
        pupils and 12 test results has ``antal`` 4 (the suppression threshold counts persons). Where
        a person has several rows in a cell (test results, course participations) ``varde`` is
        still the mean over the rows, and the interval treats the person as a cluster: the
        standard error is the cluster-robust (linearised ratio) one, ``n/(n-1) · Σ(yᵢ − p·mᵢ)² /
        (Σmᵢ)²`` over persons i with row sum yᵢ and row count mᵢ; a share's Wilson interval uses
        the effective number of observations ``p(1−p)/se²`` (at most the rows), a mean's t interval
        n − 1 degrees of freedom. With one row per person this is the ordinary interval. ``None``
        declares that every row is a different person (``antal`` = rows).

    Raises
    ------
    ValueError
        ``person`` is given but is not a column of ``values``, or ``typ`` is unknown.
    """
    if len(values) == 0:
        return empty_cells()
    if person is not None and person not in values.columns:
        raise ValueError(
            f"aggregate_values: person column {person!r} is not in the value frame "
            f"(columns {list(values.columns)}); antal must count persons, so pass the column that "
            "identifies them."
        )
    cols = ["lasar", "skolform", "skolenhetskod", "indikator", "grupp", "value"]
    v = values[[*cols, person] if person else cols].copy()
    v["value"] = v["value"].astype("float64")
    v = v[v["value"].notna()]
    if person is None:
        v["_person"] = np.arange(len(v))
    else:
        v["_person"] = v[person].astype(str)
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
        per = v.groupby([*keys, "_person"], observed=True, sort=False)["value"].agg(y="sum", m="count")
        per = per.reset_index().merge(g[[*keys, "mean"]], on=keys, how="left")
        per["r2"] = (per["y"] - per["mean"] * per["m"]) ** 2
        cl = per.groupby(keys, observed=True, sort=True).agg(persons=("m", "size"), r2=("r2", "sum"))
        g = g.merge(cl.reset_index(), on=keys, how="left")
        if niva == "huvudman":
            g["skolenhetskod"] = ""
        g["niva"] = niva
        n = g["count"].to_numpy(dtype=float)
        n_p = g["persons"].to_numpy(dtype=float)
        clustered = n_p < n
        with np.errstate(invalid="ignore", divide="ignore"):
            var_cl = n_p / (n_p - 1) * g["r2"].to_numpy(dtype=float) / n**2
        if typ == "andel":
            p = g["mean"].to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                se = np.sqrt(p * (1 - p) / n)
                n_eff = np.where(var_cl > 0, np.minimum(p * (1 - p) / var_cl, n), n_p)
            n_eff = np.where(clustered, n_eff, n)
            se = np.where(clustered, np.sqrt(var_cl), se)
            lo, hi = stats.wilson_interval(p * n_eff, n_eff, konfidensniva=konfidensniva)
            g["varde"] = 100 * p
            g["se"] = 100 * se
            g["ki_lag"], g["ki_hog"] = 100 * lo, 100 * hi
        elif typ == "medel":
            g["varde"] = g["mean"]
            sd = g["std"].to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                se = np.where(clustered, np.sqrt(var_cl), sd / np.sqrt(n))
                sd_eq = np.where(clustered, se * np.sqrt(n_p), sd)
            g["se"] = se
            g["ki_lag"], g["ki_hog"] = stats.t_interval(
                g["mean"].to_numpy(), sd_eq, np.where(clustered, n_p, n), konfidensniva=konfidensniva
            )
        else:
            raise ValueError(f"`typ` must be one of 'andel', 'medel', got {typ!r}.")
        g["antal"] = g["persons"].astype("int64")
        g["typ"] = typ
        g["kalla"] = kalla
        out.append(g)
    return finish_cells(pd.concat(out, ignore_index=True))
