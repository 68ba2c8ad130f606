"""The data downloads: ``site/data/indikatorer.csv`` and ``site/data/indikatorer.xlsx``.

Both hold the published indicator table (a contract with users, see DESIGN.md): exactly the
columns :data:`pipeline.validate.schemas.INDICATOR_COLUMNS`, every läsår up to the report year,
rows sorted by ``lasar, skolform, niva`` (in the order enhet, huvudman, kommun, jamforelse,
riket), ``skolenhetskod, enhet, indikator, grupp``.

CSV format: as Skolverket writes its own CSV files, so that a double-click opens it in Excel with
Swedish settings as a table (columns split, decimals read as numbers):

- UTF-8 *with* a byte-order mark (Excel needs it to read å, ä, ö), ``;`` as separator, ``"``
  quoting only where needed, ``\\n`` line ends (as Skolverket's files);
- numbers with a decimal comma (``231,5``), no thousands separator, never in exponent form,
  rounded to 9 decimals to drop float noise (so no run of ten digits after the comma, which the
  leak scan would rightly take for a possible personnummer); ``lasar`` and ``antal`` as integers;
- ``undertryckt`` as ``true``/``false``; an empty cell is a missing value (suppressed cells have
  an empty ``varde``, ``ki_lag``, ``ki_hog`` and ``undertryckt`` = ``true``);
- ``antal`` under the suppression threshold (1 to ``min_antal`` − 1) is never written exactly: it is
  left empty (an empty ``antal`` with ``undertryckt`` = ``true`` means "fewer than ``min_antal``";
  the pages say "färre än 10"). An empty cell rather than a text marker such as ``<10`` keeps the
  column numeric for every reader of the file; the explanation sheet of the xlsx says so.

The xlsx is written with xlsxwriter with fixed document properties (creation time from
``SOURCE_DATE_EPOCH``, or 2000-01-01 when it is not set) so rebuilds are byte-identical; texts
from the data are never turned into formulas or links.
"""

from __future__ import annotations

import csv
import io
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import PrivacyLeakError
from pipeline.validate.schemas import INDICATOR_COLUMNS, NIVAER

CSV_NAME = "indikatorer.csv"
XLSX_NAME = "indikatorer.xlsx"
_NIVA_ORDER = {n: i for i, n in enumerate(["enhet", "huvudman", "kommun", "jamforelse", "riket"])}
_FLOATS = ("varde", "ki_lag", "ki_hog")

#: Column explanations on the xlsx's second sheet (Swedish, reader-facing).
COLUMN_HELP: dict[str, str] = {
    "lasar": "Läsår, angivet som vårterminens år (2024 = läsåret 2023/24).",
    "skolform": "Skolform: FS förskola, GR grundskola, GY gymnasieskola, VUX kommunal vuxenutbildning.",
    "niva": "Nivå: enhet, huvudman, kommun, jamforelse (jämförelsegrupp) eller riket.",
    "skolenhetskod": "Skolverkets skolenhetskod (tom ovanför enhetsnivå).",
    "enhet": "Enhetens namn, eller huvudmannens/kommunens namn (Riket för riket).",
    "indikator": "Indikatorns id; definitionerna står i rapportens metodbilaga.",
    "grupp": "Grupp: samtliga, flickor, pojkar, eller amne:<kod> för ett ämne.",
    "varde": "Värdet. Tomt när det är undertryckt eller saknas.",
    "antal": (
        "Antal elever (eller barn, svarande, kursdeltagare) som värdet bygger på. Tomt när de är färre "
        "än 10 (gränsen för undertryckning): ett antal under gränsen skrivs aldrig ut exakt."
    ),
    "ki_lag": "Nedre gräns för 95-procentigt konfidensintervall.",
    "ki_hog": "Övre gräns för 95-procentigt konfidensintervall.",
    "undertryckt": "true när värdet döljs för att skydda enskilda elever (för få elever).",
    "kalla": "Källa: beräknad av huvudmannen, eller Skolverket/Kolada/Skolenkäten.",
    "markering": "Källans markering: undertryckt, saknas, avrundad eller tom.",
}


def prepare_indicator_table(
    indikatorer: pd.DataFrame, *, lasar: int | None = None, min_antal: int = 10
) -> pd.DataFrame:
    """The rows and columns that are published, sorted.

    Parameters
    ----------
    indikatorer
        The indicator table (schema ``Indikatorer``).
    lasar
        The report year; later years are dropped. ``None`` keeps every year.
    min_antal
        The suppression threshold (``installningar.undertryck_min_antal``): an ``antal`` from 1 to
        ``min_antal`` − 1 is emptied (never published exactly).

    Raises
    ------
    PrivacyLeakError
        A row marked ``undertryckt`` still carries a value or an interval; publishing it would
        reveal a hidden cell.
    KeyError
        A column of :data:`INDICATOR_COLUMNS` is missing.
    """
    missing = [c for c in INDICATOR_COLUMNS if c not in indikatorer.columns]
    if missing:
        raise KeyError(f"The indicator table lacks column(s) {missing}; expected {INDICATOR_COLUMNS}.")
    df = indikatorer.loc[:, INDICATOR_COLUMNS].copy()
    if lasar is not None:
        df = df[df["lasar"].astype(int) <= int(lasar)]
    df["undertryckt"] = df["undertryckt"].fillna(False).astype(bool)
    for c in ("skolenhetskod", "enhet", "skolform", "niva", "indikator", "grupp", "kalla", "markering"):
        df[c] = df[c].fillna("").astype(str)
    for c in _FLOATS:
        df[c] = pd.to_numeric(df[c], errors="raise").astype("float64")
    df["antal"] = pd.to_numeric(df["antal"], errors="raise").astype("Int64")
    small = (df["antal"] > 0) & (df["antal"] < int(min_antal))
    df.loc[small.fillna(False).to_numpy(dtype=bool), "antal"] = pd.NA
    bad = df[df["undertryckt"] & (df["varde"].notna() | df["ki_lag"].notna() | df["ki_hog"].notna())]
    if not bad.empty:
        r = bad.iloc[0]
        raise PrivacyLeakError(
            f"indikatorer: {len(bad)} row(s) marked undertryckt still carry a value or interval, e.g. "
            f"lasar {r['lasar']}, {r['skolform']}, {r['niva']} {r['skolenhetskod'] or r['enhet']!r}, "
            f"indikator {r['indikator']!r}, grupp {r['grupp']!r}. Suppression must empty varde, ki_lag and "
            "ki_hog; fix the indicator step (nothing was published)."
        )
    unknown = sorted(set(df["niva"]) - set(NIVAER))
    order = df["niva"].map(lambda n: _NIVA_ORDER.get(n, len(_NIVA_ORDER)))
    if unknown:
        order = order.fillna(len(_NIVA_ORDER))
    df = (
        df.assign(_niva=order)
        .sort_values(
            ["lasar", "skolform", "_niva", "niva", "skolenhetskod", "enhet", "indikator", "grupp"],
            kind="stable",
        )
        .drop(columns="_niva")
        .reset_index(drop=True)
    )
    return df


def write_published(path: Path, data: bytes) -> None:
    """Write a published file: world-readable (0644), parents created.

    The report is written into a staging folder that is swapped in as a whole, so a plain write
    is enough here (and, unlike a ``mkstemp`` file, it gets normal permissions for a web server).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o644)


#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """A text cell that no spreadsheet evaluates: prefixed with ``'`` when it starts like a formula.

    OWASP's advice against CSV injection: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or
    carriage return is written with a leading single quote, so Excel, LibreOffice and Google Sheets
    show it as text (in the CSV and, for whoever copies cells onwards, in the xlsx).
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_text(text: str) -> str:
    """A text cell of the CSV: neutralised (:func:`neutralise_formula`), and a carriage return
    written as a line feed, which the writer quotes (a bare CR in an unquoted cell splits the row)."""
    return neutralise_formula(text).replace("\r\n", "\n").replace("\r", "\n")


#: The CSV's separator and decimal mark (Skolverket's: ``;`` and ``,``) and its encoding.
CSV_SEPARATOR = ";"
CSV_DECIMAL = ","
CSV_ENCODING = "utf-8-sig"
#: Decimals kept in the CSV (float noise dropped; the xlsx keeps 10 as numbers).
CSV_DECIMALS = 9


def _float_text(x: Any) -> str:
    """``231,5``: at most 9 decimals, trailing zeros dropped, decimal comma, no exponent."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return ""
    text = f"{round(float(x), CSV_DECIMALS) + 0.0:.{CSV_DECIMALS}f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", CSV_DECIMAL)


def _cell_text(col: str, x: Any) -> str:
    if col in _FLOATS:
        return _float_text(x)
    if col == "undertryckt":
        return "true" if bool(x) else "false"
    if x is None or x is pd.NA:
        return ""
    if col in ("lasar", "antal"):
        return str(int(x))
    return _csv_text(str(x))


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The CSV bytes of a prepared table (see the module docstring for the format)."""
    buf = io.StringIO()
    w = csv.writer(
        buf, delimiter=CSV_SEPARATOR, quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\n"
    )
    w.writerow(INDICATOR_COLUMNS)
    for rec in df.itertuples(index=False, name=None):
        w.writerow([_cell_text(c, v) for c, v in zip(INDICATOR_COLUMNS, rec, strict=True)])
    return buf.getvalue().encode(CSV_ENCODING)


def source_date() -> datetime:
    """The build time stamped into files: ``SOURCE_DATE_EPOCH`` or 2000-01-01T00:00:00Z."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    ts = int(epoch) if epoch and epoch.strip().isdigit() else 946684800
    return datetime.fromtimestamp(ts, tz=UTC)


def xlsx_bytes(df: pd.DataFrame, *, title: str = "Indikatorer", author: str = "") -> bytes:
    """The xlsx bytes of a prepared table: sheet ``indikatorer`` plus a sheet ``kolumner``."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": False,
        },
    )
    wb.set_properties(
        {"title": title, "author": author, "company": author, "created": source_date().replace(tzinfo=None)}
    )
    head = wb.add_format({"bold": True, "bottom": 1})
    ws = wb.add_worksheet("indikatorer")
    ws.write_row(0, 0, INDICATOR_COLUMNS, head)
    for r, rec in enumerate(df.itertuples(index=False, name=None), start=1):
        for c, (col, v) in enumerate(zip(INDICATOR_COLUMNS, rec, strict=True)):
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                continue
            if col == "undertryckt":
                ws.write_boolean(r, c, bool(v))
            elif col in _FLOATS:
                ws.write_number(r, c, round(float(v), 10))
            elif col in ("lasar", "antal"):
                ws.write_number(r, c, int(v))
            else:
                ws.write_string(r, c, neutralise_formula(str(v)))
    widths = {
        "enhet": 34,
        "indikator": 28,
        "kalla": 30,
        "skolenhetskod": 14,
        "markering": 12,
        "undertryckt": 12,
    }
    for c, col in enumerate(INDICATOR_COLUMNS):
        ws.set_column(c, c, widths.get(col, 10))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(df), 1), len(INDICATOR_COLUMNS) - 1)
    help_ws = wb.add_worksheet("kolumner")
    help_ws.write_row(0, 0, ["kolumn", "betydelse"], head)
    for r, col in enumerate(INDICATOR_COLUMNS, start=1):
        help_ws.write_string(r, 0, col)
        help_ws.write_string(r, 1, COLUMN_HELP.get(col, ""))
    help_ws.set_column(0, 0, 16)
    help_ws.set_column(1, 1, 90)
    wb.close()
    return buf.getvalue()


def write_downloads(
    indikatorer: pd.DataFrame,
    folder: Path,
    *,
    lasar: int | None = None,
    author: str = "",
    min_antal: int = 10,
) -> list[Path]:
    """Write ``indikatorer.csv`` and ``indikatorer.xlsx`` into ``folder`` (``site/data``).

    Returns
    -------
    list of Path
        The two files written.
    """
    folder = Path(folder)
    df = prepare_indicator_table(indikatorer, lasar=lasar, min_antal=min_antal)
    csv_path, xlsx_path = folder / CSV_NAME, folder / XLSX_NAME
    write_published(csv_path, csv_bytes(df))
    title = f"Indikatorer {lasar}" if lasar else "Indikatorer"
    write_published(xlsx_path, xlsx_bytes(df, title=title, author=author))
    return [csv_path, xlsx_path]
