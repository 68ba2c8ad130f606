"""Readers of Kolada (RKA) KPI data stored as parquet.

Four file families, recognised by their parquet columns:

* ``kolada_data``: the API's raw data format (``kpi, municipality_id, year, gender, status,
  value, ...``). → ``publicerad`` rows.
* ``kolada_tabell``: the "ready" format with Swedish columns (``Kommun, KPI, kpi, År, Andel,
  Kön``), kommun by *name* only (resolved with the official kommun list
  :data:`~pipeline.ingest.skolverket_format.KOMMUNER`). → ``publicerad`` rows.
* ``kolada_kpi_lista``: KPI metadata (``id, title, description, operating_area, ...``): labels;
  no canonical rows (the registry holds the labels of the KPIs we read).
* ``kolada_kommunlista``: municipality list (``id, title, type``): names; no canonical rows.

Which KPIs are read is configuration, not code: every entry of the indicator registry whose
``kalla`` is ``Kolada <KPI id>`` (``params/indikatorer_publicerade.yml``) maps that KPI to its
indicator id and school form. KPIs without such an entry (background KPIs such as
trångboddhet, bibliotek, brott) are not school indicators and are not read; see
``docs/realdata.md``.

Rules: ``municipality_id`` ``0000`` → ``niva='riket'``; the report's kommun → ``kommun`` (Kolada
counts all organisers); its comparison group → ``jamforelse``; others dropped when
``ctx.kommunkod`` is set. ``gender`` T/K/M → grupp samtliga/flickor/pojkar. ``status``
``Privacy`` → ``undertryckt``, ``Missing`` and ``Not applicable`` → ``saknas``. ``lasar`` is
Kolada's ``year`` (for school KPIs the spring term of the läsår).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.ingest.ledger import LEDGER_KEY, Ledger
from pipeline.ingest.skolverket_format import (
    KOMMUNKOD_AV_NAMN,
    FailureCollector,
    kommunkod_of_name,
    publicerad_dtypes,
)
from pipeline.ingest.sources import ReadContext, Sniff, Source, register

DATA_COLUMNS = {"kpi", "municipality_id", "year", "gender", "status", "value"}
#: Enough of the raw format to recognise a Kolada file with a column missing (the reader then
#: names the missing column instead of the file being "not recognised").
DATA_CORE_COLUMNS = {"kpi", "municipality_id", "year", "value"}
TABELL_COLUMNS = {"Kommun", "kpi", "År", "Andel", "Kön"}
KPI_LIST_COLUMNS = {"id", "title", "description", "operating_area"}
KOMMUN_LIST_COLUMNS = {"id", "title", "type"}

GENDER = {"T": "samtliga", "K": "flickor", "M": "pojkar"}
KON_TABELL = {"Alla": "samtliga", "Flicka": "flickor", "Pojke": "pojkar"}
STATUS = {"": "", "Privacy": "undertryckt", "Missing": "saknas", "Not applicable": "saknas"}


def kolada_kpis() -> dict[str, tuple[str, str]]:
    """KPI id → (indikator id, skolform) from the registry entries with ``kalla: Kolada <id>``."""
    # The registry files are read directly (not through pipeline.indicators, whose import pulls in
    # scipy/statsmodels and would cost seconds at ingest); the registry checks them on load.
    return dict(_kolada_kpis())


@lru_cache(maxsize=1)
def _kolada_kpis() -> tuple[tuple[str, tuple[str, str]], ...]:
    from pipeline.config import read_yaml
    from pipeline.paths import REPO_ROOT

    out = {}
    for name in ("indikatorer.yml", "indikatorer_publicerade.yml"):  # = registry.REGISTRY_FILES
        p = REPO_ROOT / "params" / name
        raw = read_yaml(p) if p.exists() else {}
        for entry in (raw or {}).get("indikatorer", []) or []:
            m = re.fullmatch(r"Kolada ([A-Z]\d{5})", str(entry.get("kalla", "")).strip())
            if m:
                forms = entry.get("skolform")
                form = forms if isinstance(forms, str) else list(forms)[0]
                out[m.group(1)] = (str(entry["id"]), str(form))
    return tuple(sorted(out.items()))


def _niva(codes: pd.Series, ctx: ReadContext) -> pd.Series:
    niva = pd.Series(np.where(codes == "0000", "riket", "kommun"), index=codes.index, dtype="object")
    if ctx.kommunkod is not None:
        niva[codes.isin(ctx.jamforelsegrupp)] = "jamforelse"
        keep = (codes == "0000") | (codes == ctx.kommunkod) | codes.isin(ctx.jamforelsegrupp)
        niva[~keep] = None
    return niva


def _left_out(df: pd.DataFrame, kpi_col: str, known: pd.Series, kept: pd.Series) -> pd.DataFrame:
    """The ledger of a Kolada file: rows of KPIs that are not school indicators, rows of other kommuner."""
    ledger = Ledger()
    other = df.loc[~known, kpi_col].astype(str)
    ledger.add("ej_skolindikator", len(other), detalj=sorted(other.unique()))
    ledger.add("annan_kommun", int((~kept).sum()))
    return ledger.frame()


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    return publicerad_dtypes(df.assign(antal=None))  # Kolada publishes no n


def read_data(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
    """Read Kolada raw data (one row per kpi × kommun × year × gender) into ``publicerad``.

    Raises
    ------
    DataValidationError
        Missing columns, unknown gender or status, a value with a status that says it is
        missing, or a missing value without a status; every failure listed (row = parquet row, 1-based).
    """
    path = Path(path)
    fc = FailureCollector(path)
    df = pd.read_parquet(path)
    for c in sorted(DATA_COLUMNS - set(df.columns)):
        fc.add("schema", c, None, f"a column {c!r} (Kolada's raw data format)")
    fc.raise_if_any("Fetch the data again from Kolada (api.kolada.se) with every column, or remove the file.")
    kpis = kolada_kpis()
    known = df["kpi"].isin(list(kpis))
    all_rows = df
    df = df[known].copy()
    codes = df["municipality_id"].astype(str).str.zfill(4)
    df["niva"] = _niva(codes, ctx)
    ledger = _left_out(all_rows, "kpi", known, df["niva"].notna())
    df = df[df["niva"].notna()].copy()
    df["kommunkod"] = codes[df.index]
    status = df["status"].fillna("").astype(str)
    value = pd.to_numeric(df["value"], errors="coerce")
    bad_status = ~status.isin(list(STATUS))
    bad_gender = ~df["gender"].isin(list(GENDER))
    present_but_flagged = (status != "") & value.notna()
    missing_unflagged = (status == "") & value.isna()
    for mask, col, expected in (
        (bad_status, "status", f"one of {sorted(STATUS)}"),
        (bad_gender, "gender", f"one of {sorted(GENDER)}"),
        (present_but_flagged, "value", "no value when status says Privacy/Missing/Not applicable"),
        (missing_unflagged, "value", "a number (status is empty)"),
    ):
        for idx in df.index[mask][:50]:
            shown = df.at[idx, col] if col != "value" else df.at[idx, "value"]
            fc.add(f"row {idx + 1}", col, shown, expected, row=int(idx) + 1)
    year = pd.to_numeric(df["year"], errors="coerce")
    bad_year = year.isna() | (year != year.round())
    for idx in df.index[bad_year][:50]:
        fc.add(
            f"row {idx + 1}",
            "year",
            df.at[idx, "year"],
            "a year as a whole number (e.g. 2024)",
            row=int(idx) + 1,
        )
    fc.raise_if_any("Fetch the data again from Kolada (api.kolada.se) or remove the file.")
    df["lasar"] = year.astype("int64")
    df["skolform"] = df["kpi"].map(lambda k: kpis[k][1])
    df["indikator"] = df["kpi"].map(lambda k: kpis[k][0])
    df["grupp"] = df["gender"].map(GENDER)
    df["varde"] = value
    df["markering"] = status.map(STATUS)
    df["skolenhetskod"] = ""
    name = df["municipality"].astype(str) if "municipality" in df.columns else df["kommunkod"]
    df["enhet"] = np.where(df["niva"] == "riket", "Riket", name)
    df["typ_av_huvudman"] = None
    df["kalla"] = "Kolada " + df["kpi"].astype(str)
    return {"publicerad": _frame(df), LEDGER_KEY: ledger}


def read_tabell(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
    """Read Kolada's "ready" table (Kommun by name, År, Andel, Kön) into ``publicerad``.

    A missing ``Andel`` is Kolada's suppression of small groups → ``undertryckt``.
    """
    path = Path(path)
    fc = FailureCollector(path)
    df = pd.read_parquet(path)
    for c in sorted(TABELL_COLUMNS - set(df.columns)):
        fc.add("schema", c, None, f"a column {c!r} (Kolada's ready table format)")
    fc.raise_if_any()
    kpis = kolada_kpis()
    known = df["kpi"].isin(list(kpis))
    all_rows = df
    df = df[known].copy()
    names = df["Kommun"].astype(str)
    lookup = {n: ("0000" if n in ("Riket", "Sverige") else kommunkod_of_name(n)) for n in names.unique()}
    for n, code in sorted(lookup.items()):
        if code is None:
            idx = names.index[names == n][0]
            fc.add(
                f"row {idx + 1}",
                "Kommun",
                n,
                f"a kommun name of the official list (e.g. {next(iter(KOMMUNKOD_AV_NAMN))!r})",
                row=int(idx) + 1,
            )
    kon = df["Kön"].astype(str)
    for idx in df.index[~kon.isin(list(KON_TABELL))][:50]:
        fc.add(f"row {idx + 1}", "Kön", df.at[idx, "Kön"], f"one of {sorted(KON_TABELL)}", row=int(idx) + 1)
    fc.raise_if_any("Export the table again from Kolada or remove the file.")
    codes = names.map(lookup)
    df["niva"] = _niva(codes, ctx)
    ledger = _left_out(all_rows, "kpi", known, df["niva"].notna())
    df = df[df["niva"].notna()].copy()
    df["kommunkod"] = codes[df.index]
    value = pd.to_numeric(df["Andel"], errors="coerce")
    df["lasar"] = df["År"].astype("int64")
    df["skolform"] = df["kpi"].map(lambda k: kpis[k][1])
    df["indikator"] = df["kpi"].map(lambda k: kpis[k][0])
    df["grupp"] = df["Kön"].astype(str).map(KON_TABELL)
    df["varde"] = value
    df["markering"] = np.where(value.isna(), "undertryckt", "")
    df["skolenhetskod"] = ""
    df["enhet"] = np.where(df["niva"] == "riket", "Riket", df["Kommun"].astype(str))
    df["typ_av_huvudman"] = None
    df["kalla"] = "Kolada " + df["kpi"].astype(str)
    return {"publicerad": _frame(df), LEDGER_KEY: ledger}


def read_metadata(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
    """KPI and municipality lists give labels and names only: no canonical rows (said in the ledger).

    The file is still opened, so a corrupt list fails loudly.
    """
    ledger = Ledger()
    ledger.add("metadata", len(pd.read_parquet(path)))
    return {LEDGER_KEY: ledger.frame()}


def _has(s: Sniff, cols: set[str]) -> bool:
    return s.path.suffix.lower() == ".parquet" and cols <= set(s.columns)


register(
    Source(
        "kolada_data",
        "Kolada KPI data, raw API format (parquet: kpi, municipality_id, year, gender, status, value)",
        lambda s: _has(s, DATA_CORE_COLUMNS) and not (TABELL_COLUMNS <= set(s.columns)),
        read_data,
    )
)
register(
    Source(
        "kolada_tabell",
        "Kolada KPI data, ready table (parquet: Kommun, kpi, År, Andel, Kön)",
        lambda s: _has(s, TABELL_COLUMNS),
        read_tabell,
    )
)
register(
    Source(
        "kolada_kpi_lista",
        "Kolada KPI list (parquet: id, title, description, operating_area; labels only)",
        lambda s: _has(s, KPI_LIST_COLUMNS),
        read_metadata,
    )
)
register(
    Source(
        "kolada_kommunlista",
        "Kolada municipality list (parquet: id, title, type; names only)",
        lambda s: _has(s, KOMMUN_LIST_COLUMNS) and not (KPI_LIST_COLUMNS <= set(s.columns)),
        read_metadata,
    )
)
