"""Indicators for one period of a läsår, compared with the same period of the previous läsår.

The canonical tables are cut to the period (:func:`period_tables`) and the ordinary indicator
builder (:func:`pipeline.indicators.build_indicator_outputs`) runs on the cut tables for this
läsår and the previous one, so suppression, intervals and the significance tests are the same as
in the full-year report, and ``forandringar`` (``typ = "ett_ar"``) compares the period with the
same period a year earlier, never with a full year.

What a period holds (the registry's ``period``, :data:`pipeline.indicators.registry.PERIODICITET`):

- ``lasarsslut``: the year-end tables (slutbetyg, gymnasium and komvux results) only in a period
  with ``lasarsslut: true``;
- ``termin``: absence of the period's termin (``franvaro_termin``);
- ``ht``: terminsbetyg at the end of the autumn termin (``betyg_termin``, termin HT), published
  as ``termin_*`` indicators;
- ``vt``: national tests only in a period that closes the spring termin;
- ``datum``: incidents dated inside the period; surveys and the förskola staffing count when the
  day ``params/perioder.yml`` gives them (``datum``) falls inside the period;
- ``alltid``: the pupil count.

An indicator that does not exist in a period is absent from the result: no row, not zero, not
``saknas``. Published values (Skolverket, Kolada, riket) are yearly and never enter a period.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.indicators.registry import Indicator, IndicatorRegistry
from pipeline.periods.config import Period, Perioder
from pipeline.validate.schemas import empty_table

#: Terminsbetyg indicators: the full-year id computed on the termin's grades -> the period id.
TERMIN_GRADE_IDS = {
    "meritvarde_17": "termin_meritvarde_17",
    "godkand_alla_amnen": "termin_godkand_alla_amnen",
}
#: Year-end tables: only in a period that closes the läsår.
YEAR_END_TABLES = ("kursbetyg", "gy_studievag", "vux_kurser")
_ENKAT_DAY = {"elev": "elevenkat", "vardnadshavare": "vardnadshavarenkat"}


def exists_in(indicator: Indicator, period: Period) -> bool:
    """Whether ``indicator`` exists in ``period`` (by the registry's ``period``)."""
    kind = indicator.period
    if kind == "lasarsslut":
        return period.lasarsslut
    if kind == "termin":
        return bool(period.terminer)
    if kind == "ht":
        return "HT" in period.terminer
    if kind == "vt":
        return "VT" in period.terminer
    return kind in ("datum", "alltid")


def _in_window(days: pd.Series, period: Period, years: pd.Series) -> pd.Series:
    """True where the ISO date ``days`` lies inside ``period`` of the row's läsår."""
    out = []
    for d, y in zip(days, years, strict=True):
        if not isinstance(d, str) or pd.isna(y):
            out.append(False)
            continue
        out.append(period.contains(dt.date.fromisoformat(d), int(y)))
    return pd.Series(out, index=days.index, dtype=bool)


def period_tables(
    tables: dict[str, pd.DataFrame], period: Period, perioder: Perioder, years: tuple[int, ...]
) -> dict[str, pd.DataFrame]:
    """The canonical tables cut to ``period`` of each läsår in ``years``."""

    def get(name: str) -> pd.DataFrame:
        df = tables.get(name)
        return empty_table(name) if df is None else df

    def of_years(df: pd.DataFrame) -> pd.DataFrame:
        return df[df["lasar"].isin(years)] if "lasar" in df.columns else df

    out: dict[str, pd.DataFrame] = {
        "skolenheter": get("skolenheter"),
        "elever": of_years(get("elever")),
    }
    termin = period.terminer[0] if period.terminer else None
    # grades: slutbetyg at year end; terminsbetyg of the autumn in a period that closes HT
    if period.lasarsslut:
        out["betyg"] = of_years(get("betyg"))
    elif termin == "HT":
        bt = of_years(get("betyg_termin"))
        out["betyg"] = bt[bt["termin"] == "HT"].drop(columns="termin")
    else:
        out["betyg"] = empty_table("betyg")
    np_ = of_years(get("nationella_prov"))
    out["nationella_prov"] = np_ if termin == "VT" else empty_table("nationella_prov")
    for name in YEAR_END_TABLES:
        out[name] = of_years(get(name)) if period.lasarsslut else empty_table(name)
    fr = of_years(get("franvaro_termin"))
    out["franvaro"] = fr[fr["termin"] == termin].drop(columns="termin") if termin else empty_table("franvaro")
    av = of_years(get("avvikelser"))
    has_dates = len(av) and "datum" in av.columns  # tables without dates hold no dated incident
    out["avvikelser"] = av[_in_window(av["datum"], period, av["lasar"])] if has_dates else av.iloc[0:0]
    en = of_years(get("enkat"))
    keep = [
        period.contains(
            _day(getattr(perioder.datum, _ENKAT_DAY[e]), int(y)),
            int(y),
        )
        for e, y in zip(en["enkat"], en["lasar"], strict=True)
    ]
    out["enkat"] = en[pd.Series(keep, index=en.index, dtype=bool)] if len(en) else en
    fs = of_years(get("fs_personal"))
    keep = [period.contains(_day(perioder.datum.fs_personal, int(y)), int(y)) for y in fs["lasar"]]
    out["fs_personal"] = fs[pd.Series(keep, index=fs.index, dtype=bool)] if len(fs) else fs
    out["publicerad"] = empty_table("publicerad")  # yearly values never enter a period
    return {k: v.reset_index(drop=True) for k, v in out.items()}


def _day(mmdd: str, year: int) -> dt.date:
    from pipeline.periods.config import day_in_lasar

    return day_in_lasar(mmdd, year)


def keep_period_rows(df: pd.DataFrame, period: Period, registry: IndicatorRegistry) -> pd.DataFrame:
    """Rename the terminsbetyg ids and drop every row of an indicator that does not exist in the
    period (absent: no row at all)."""
    if df is None or len(df) == 0 or "indikator" not in df.columns:
        return df
    out = df.copy()
    if not period.lasarsslut and "HT" in period.terminer:
        out["indikator"] = out["indikator"].replace(TERMIN_GRADE_IDS)
    known = {i.id: i for i in registry.indicators}
    keep = out["indikator"].map(lambda x: x in known and exists_in(known[x], period))
    return out[keep.astype(bool)].reset_index(drop=True)


def period_indicators(
    tables: dict[str, pd.DataFrame],
    period: Period,
    perioder: Perioder,
    year: int,
    *,
    huvudman_namn: str,
    kommunkod: str,
    installningar,
    mal=(),
    registry: IndicatorRegistry | None = None,
) -> dict[str, pd.DataFrame]:
    """``indikatorer`` and ``forandringar`` of ``period`` in läsår ``year`` and ``year - 1``.

    ``forandringar`` holds only the one-year pairs (this period against the same period of the
    previous läsår).
    """
    from pipeline.indicators import build_indicator_outputs
    from pipeline.indicators.registry import load_indicator_registry

    registry = registry or load_indicator_registry()
    cut = period_tables(tables, period, perioder, (year - 1, year))
    outputs = build_indicator_outputs(
        cut,
        huvudman_namn=huvudman_namn,
        kommunkod=kommunkod,
        installningar=installningar,
        mal=mal,
        registry=registry,
    )
    ind = outputs["indikatorer"]
    ind = keep_period_rows(ind[ind["lasar"].isin([year - 1, year])], period, registry)
    ch = outputs.get("forandringar")
    if ch is not None and len(ch):
        ch = ch[(ch["typ"] == "ett_ar") & (ch["lasar"] == year)]
        ch = keep_period_rows(ch, period, registry)
    jf = outputs.get("jamforelser")
    if jf is not None and len(jf):
        jf = keep_period_rows(jf[jf["lasar"] == year], period, registry)
    return {"indikatorer": ind, "forandringar": ch, "jamforelser": jf}
