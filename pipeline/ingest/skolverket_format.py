"""Shared parsing of Skolverket's published files ("Sök statistik" exports and friends).

Skolverket's exports share one layout (see ``../shared/realdata/PROVENANCE.md``): a preamble
(``Statistik från Skolverket, ...``, the report title, ``Valt läsår: 2023/24`` or
``Valt år: 2024``, free-text notes), an optional *group-header* row above the header (``Flickor``,
``Pojkar``, ``#Heltidstjänster``, a measure name), the header row (starting ``Kommun`` or
``Skola``), the data rows and a footer ``Rapportbeskrivning och definitioner etc.``. CSV exports
use ``;``, decimal comma and a plain space as thousands separator; XLSX exports hold numbers as
numeric cells and markers as text.

This module turns either form into a :class:`SokTable` (title, läsår, header, data rows with
their location in the file) and gives the marker rules shared by every published-source reader:

* ``..`` → ``markering='undertryckt'`` (``varde`` empty),
* ``.`` → ``'saknas'`` (``varde`` empty),
* ``~100`` → ``'avrundad'`` (``varde`` 100),
* a number → ``''``.

It also holds :class:`FailureCollector` (lazy errors that name file, line or cell, column, value
and expectation), the level rules of the ``publicerad`` table (:func:`kommun_level`) and
:data:`KOMMUNER`, the official kommunkod → kommun name list (SCB codes, as in Kolada's
municipality list), used to resolve files that name a kommun without its code.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from pipeline.errors import DataValidationError
from pipeline.ingest.sources import ReadContext

#: Column order of the ``publicerad`` table (pipeline/validate/schemas.py).
PUBLICERAD_COLUMNS = [
    "lasar",
    "skolform",
    "niva",
    "kommunkod",
    "skolenhetskod",
    "enhet",
    "typ_av_huvudman",
    "indikator",
    "grupp",
    "varde",
    "antal",
    "markering",
    "kalla",
]
#: Column order of the ``skolenheter`` table.
SKOLENHETER_COLUMNS = ["skolenhetskod", "enhet", "skolform", "huvudman", "kommunkod", "arskurser"]

PREAMBLE_FIRST = "Statistik från Skolverket"
FOOTER_START = "Rapportbeskrivning"

_LASAR_RE = re.compile(r"^\s*Valt läsår:\s*(\d{4})\s*/\s*(\d{2,4})\s*$")
_YEAR_RE = re.compile(r"^\s*Valt år:\s*(\d{4})\s*$")
_SPACES = re.compile(r"[ \u00a0\u202f]")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


# --------------------------------------------------------------------------------- errors
@dataclass
class FailureCollector:
    """Collects every failure of one file, then raises them at once (lazy validation)."""

    path: Path
    failures: list[dict] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def add(
        self, where: str, column: str | None, value: Any, expected: str, *, row: int | None = None
    ) -> None:
        """Record one failure; ``where`` is 'line 12' or "sheet 'Statistik', cell H12"."""
        self.failures.append(
            {
                "file": str(self.path),
                "row": row if row is not None else where,
                "column": column,
                "value": None if value is None else str(value),
                "expected": expected,
            }
        )
        col = f", column {column!r}" if column else ""
        self.messages.append(f"{self.path}, {where}{col}: found {value!r}, expected {expected}")

    def raise_if_any(self, fix: str = "") -> None:
        """Raise :class:`DataValidationError` with every failure, if there is any."""
        if self.failures:
            raise self.error(fix)

    def error(self, fix: str = "") -> DataValidationError:
        """The :class:`DataValidationError` of every failure (at least one)."""
        n = len(self.failures)
        more = f" ({n} failures in all; the first {min(n, 5)} shown)" if n > 1 else ""
        fix = fix or (
            "Download the file again from Skolverket's 'Sök statistik' (or the original source) "
            "without editing it, or remove it from data/raw/."
        )
        msg = "; ".join(self.messages[:5]) + f"{more}. {fix}"
        return DataValidationError(msg, self.failures)


def fail_now(
    path: Path, where: str, column: str | None, value: Any, expected: str, fix: str = ""
) -> NoReturn:
    """Raise one failure immediately (for structural problems that stop parsing)."""
    fc = FailureCollector(path)
    fc.add(where, column, value, expected)
    raise fc.error(fix)


# ------------------------------------------------------------------------------- values
def parse_lasar(text: str) -> int | None:
    """Parse ``'Valt läsår: 2023/24'`` → 2024 (the spring year) or ``'Valt år: 2024'`` → 2024.

    Returns None when ``text`` is neither.
    """
    m = _LASAR_RE.match(text or "")
    if m:
        start = int(m.group(1))
        return start + 1
    m = _YEAR_RE.match(text or "")
    if m:
        return int(m.group(1))
    return None


def lasar_from_period(period: str) -> int | None:
    """``'2023/24'`` → 2024; ``'2024'`` → 2024; anything else → None."""
    m = re.fullmatch(r"\s*(\d{4})\s*/\s*(\d{2,4})\s*", str(period or ""))
    if m:
        return int(m.group(1)) + 1
    m = re.fullmatch(r"\s*(\d{4})\s*", str(period or ""))
    return int(m.group(1)) if m else None


class ValueFormatError(ValueError):
    """A cell that is neither a number nor a known marker."""


def parse_value(cell: Any) -> tuple[float | None, str]:
    """A published cell → ``(varde, markering)``.

    ``'82,0'`` → (82.0, ''), ``'3 877'`` → (3877.0, ''), ``'..'`` → (None, 'undertryckt'),
    ``'.'`` → (None, 'saknas'), ``'~100'`` → (100.0, 'avrundad'); numeric xlsx cells as they are.

    Raises
    ------
    ValueFormatError
        Empty cell, or text that is neither a number nor a marker.
    """
    if isinstance(cell, bool):
        raise ValueFormatError("a number or a marker ('..', '.', '~100'), not a truth value")
    if isinstance(cell, (int, float)):
        if cell != cell:  # NaN
            raise ValueFormatError("a number or a marker ('..', '.', '~100'), not an empty cell")
        return float(cell), ""
    text = "" if cell is None else _SPACES.sub("", str(cell)).strip()
    if text == "..":
        return None, "undertryckt"
    if text == ".":
        return None, "saknas"
    if text.startswith("~") and _NUMBER.match(text[1:]):
        return float(text[1:].replace(",", ".")), "avrundad"
    if _NUMBER.match(text):
        return float(text.replace(",", ".")), ""
    if text == "":
        raise ValueFormatError("a number or a marker ('..', '.', '~100'), not an empty cell")
    raise ValueFormatError(
        "a number (decimal comma, space as thousands separator) or a marker ('..', '.', '~100')"
    )


def as_count(varde: float | None) -> int | None:
    """A count cell as an int (None when hidden or missing)."""
    if varde is None:
        return None
    return int(round(varde))


def clean_code(value: Any, digits: int) -> str:
    """A code cell as text with its leading zeros (``764`` → ``'0764'`` for kommunkod)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.isdigit() and len(text) < digits:
        text = text.zfill(digits)
    return text


def norm_header(value: Any) -> str:
    """Header text with whitespace collapsed and stripped (xlsx headers carry trailing spaces)."""
    return re.sub(r"\s+", " ", "" if value is None else str(value)).strip()


# ------------------------------------------------------------------------------- tables
@dataclass
class SokTable:
    """One parsed Skolverket export (CSV or one XLSX sheet).

    Attributes
    ----------
    path
        The file.
    title
        The report title line (e.g. ``Grundskola - Betyg årskurs 6, ...``).
    lasar
        Spring year of ``Valt läsår`` (or the calendar year of ``Valt år``); None if absent.
    preamble
        Every non-empty preamble line (title, Valt läsår, notes), stripped of padding ``;``.
    groups, columns
        Per column: the group-header label (forward-filled, ``''`` when none) and the header.
    rows
        ``(rowno, cells)`` per data row; ``rowno`` is the 1-based line (CSV) or Excel row.
    sheet
        The sheet name (XLSX) or None (CSV).
    header_row
        Line / Excel row of the header.
    """

    path: Path
    title: str
    lasar: int | None
    preamble: list[str]
    groups: list[str]
    columns: list[str]
    rows: list[tuple[int, list[Any]]]
    sheet: str | None = None
    header_row: int = 0

    def where(self, rowno: int, col: int | None = None) -> str:
        """Location text a user finds in an editor: 'line 12' or "sheet 'S', cell H12"."""
        if self.sheet is None:
            return f"line {rowno}"
        if col is None:
            return f"sheet {self.sheet!r}, row {rowno}"
        from openpyxl.utils import get_column_letter

        return f"sheet {self.sheet!r}, cell {get_column_letter(col + 1)}{rowno}"

    def index_of(self, name: str) -> int:
        """Column position of header ``name`` (the first match)."""
        return self.columns.index(name)


def decode_text(path: Path) -> str:
    """File text, UTF-8 (BOM optional) with a cp1252 fallback."""
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def head_lines(head: str, n: int = 8) -> list[str]:
    """The first ``n`` non-empty lines of a sniffed head, stripped of padding ``;``."""
    out = []
    for line in head.lstrip("\ufeff").splitlines():
        line = norm_header(line.strip().rstrip(";"))
        if line:
            out.append(line)
        if len(out) >= n:
            break
    return out


def is_skolverket_head(head: str) -> bool:
    """True when a text file starts like a Skolverket export."""
    lines = head_lines(head, 1)
    return bool(lines) and lines[0].startswith(PREAMBLE_FIRST)


def title_of_head(head: str) -> str:
    """The report title of a sniffed Skolverket CSV ('' when not one)."""
    if not is_skolverket_head(head):
        return ""
    lines = head_lines(head, 3)
    return lines[1] if len(lines) > 1 else ""


_HEADER_FIRST = {"Kommun", "Skola", "Riket"}


def _split_rows(
    rows: list[tuple[int, list[Any]]], path: Path, sheet: str | None, make_where: Callable[[int], str]
) -> SokTable:
    preamble: list[str] = []
    header_at = None
    for i, (_rowno, cells) in enumerate(rows):
        first = norm_header(cells[0]) if cells else ""
        if first in _HEADER_FIRST and sum(1 for c in cells if norm_header(c)) >= 4:
            header_at = i
            break
        text = " ".join(norm_header(c) for c in cells if norm_header(c))
        if text and first:
            preamble.append(text)
    if header_at is None:
        fail_now(
            path,
            "preamble",
            None,
            None,
            "a header row starting with 'Kommun', 'Skola' or 'Riket' (the Skolverket export layout); the file looks truncated or is another report",
        )
    header_rowno, header = rows[header_at]
    columns = [norm_header(c) for c in header]
    while columns and columns[-1] == "":
        columns.pop()  # trailing ';'
    ncol = len(columns)
    groups = [""] * ncol
    if header_at > 0:
        _, grow = rows[header_at - 1]
        if grow and not norm_header(grow[0]) and any(norm_header(c) for c in grow):
            current = ""
            for j in range(ncol):
                label = norm_header(grow[j]) if j < len(grow) else ""
                if label:
                    current = label
                groups[j] = current
    data: list[tuple[int, list[Any]]] = []
    fc = FailureCollector(path)
    footer_found = False
    for rowno, cells in rows[header_at + 1 :]:
        first = str(cells[0]).strip() if cells and cells[0] is not None else ""
        if first.startswith(FOOTER_START):
            footer_found = True
            break
        if not any(c is not None and str(c).strip() for c in cells):
            # a blank line ends the data (the footer follows)
            footer_found = True
            break
        cells = list(cells)
        while len(cells) > ncol and (cells[-1] is None or str(cells[-1]).strip() == ""):
            cells.pop()
        if len(cells) < ncol:
            cells = cells + [None] * (ncol - len(cells))
            fc.add(
                make_where(rowno),
                columns[len([c for c in cells if c is not None]) - 1] if cells else None,
                f"{len([c for c in cells if c is not None])} fields",
                f"{ncol} fields as in the header (the row is truncated)",
                row=rowno,
            )
            continue
        if len(cells) > ncol:
            fc.add(
                make_where(rowno), None, f"{len(cells)} fields", f"{ncol} fields as in the header", row=rowno
            )
            continue
        data.append((rowno, cells))
    if not data:
        fc.add(make_where(header_rowno), None, "no data rows", "at least one data row below the header")
    fc.raise_if_any()
    if columns[0] == "Riket":
        # the same report downloaded at level Riket: 'Riket; Typ av huvudman; ...', one row per
        # organiser type, no kommun code. Read as the kommun layout's Riket row (name Riket, no code).
        columns = ["Kommun", "Kommun-kod", *columns[1:]]
        groups = ["", "", *groups[1:]]
        data = [(rowno, [cells[0], "", *cells[1:]]) for rowno, cells in data]
    title = (
        preamble[1]
        if len(preamble) > 1 and preamble[0].startswith(PREAMBLE_FIRST)
        else (preamble[0] if preamble else "")
    )
    lasar = None
    for line in preamble:
        lasar = parse_lasar(line)
        if lasar is not None:
            break
    table = SokTable(
        path=path,
        title=title,
        lasar=lasar,
        preamble=preamble,
        groups=groups,
        columns=columns,
        rows=data,
        sheet=sheet,
        header_row=header_rowno,
    )
    table.footer_found = footer_found  # type: ignore[attr-defined]
    return table


def read_sok_csv(path: Path) -> SokTable:
    """Parse a Skolverket CSV export (any report) into a :class:`SokTable`."""
    path = Path(path)
    text = decode_text(path)
    rows = [(i, cells) for i, cells in enumerate(csv.reader(io.StringIO(text), delimiter=";"), start=1)]
    table = _split_rows(rows, path, None, lambda r: f"line {r}")
    if not getattr(table, "footer_found", True):
        fail_now(
            path,
            f"line {rows[-1][0] if rows else 0}",
            None,
            "end of file",
            f"the footer line '{FOOTER_START} och definitioner etc.' after the data (the file looks truncated)",
        )
    return table


def read_sok_sheet(path: Path, sheet: str) -> SokTable:
    """Parse one sheet of a Skolverket XLSX export into a :class:`SokTable`."""
    path = Path(path)
    rows = xlsx_rows(path, sheet)
    return _split_rows(rows, path, sheet, lambda r: f"sheet {sheet!r}, row {r}")


#: At most this many bytes unpacked from one workbook: the largest real export (the
#: skolenhetsregister, ~10 MB zipped) unpacks to ~60 MB; a workbook that would unpack to more is a zip
#: bomb or not an export, and reading it would take minutes and gigabytes.
MAX_XLSX_UNPACKED = 400 * 1024**2
#: At most this compression ratio for a member of more than 1 MB (XML of real sheets packs ~10:1).
MAX_XLSX_RATIO = 200


def check_xlsx_archive(path: Path) -> None:
    """Refuse a workbook that is damaged (truncated, not a zip) or would unpack to too much, from the
    zip's central directory alone, before openpyxl reads any of it.

    Raises
    ------
    DataValidationError
        Naming the file, what was found and what is expected.
    """
    import zipfile

    path = Path(path)

    def refuse(problem: str, fix: str) -> None:
        raise DataValidationError(
            f"{path}: {problem}; {fix}",
            [
                {
                    "file": str(path),
                    "row": None,
                    "column": None,
                    "value": None,
                    "expected": "a complete xlsx workbook",
                }
            ],
        )

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        refuse(
            f"the workbook is damaged: it is not a complete xlsx (zip) file ({exc}; expected a complete xlsx "
            "workbook); it was probably cut off while downloading or copying",
            "download or export it again, or remove it from the raw data folder.",
        )
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        refuse(
            "not an Excel workbook (the zip holds no xl/workbook.xml; expected an xlsx workbook)",
            "save it from Excel as .xlsx, or remove it from the raw data folder.",
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_XLSX_UNPACKED:
        refuse(
            f"the workbook would unpack to {total / 1024**2:,.0f} MB (expected at most "
            f"{MAX_XLSX_UNPACKED / 1024**2:,.0f} MB for an export): a zip bomb or not an export, so it was not opened",
            "remove it from the raw data folder, or export the data again in smaller files.",
        )
    for i in infos:
        if i.file_size > 1024**2 and i.file_size > MAX_XLSX_RATIO * max(i.compress_size, 1):
            refuse(
                f"member {i.filename!r} packs {i.file_size / 1024**2:,.0f} MB into {i.compress_size:,} bytes "
                f"(ratio {i.file_size // max(i.compress_size, 1):,}:1, expected at most {MAX_XLSX_RATIO}:1 for "
                "real sheets): a zip bomb, so it was not opened",
                "remove it from the raw data folder.",
            )


def xlsx_title(path: Path, max_rows: int = 8) -> tuple[tuple[str, ...], str]:
    """Sheet names and the first text line after row 1 of the first sheet (the report title)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - an unreadable workbook is simply not recognised
        return (), ""
    try:
        names = tuple(wb.sheetnames)
        texts = []
        for row in wb[names[0]].iter_rows(max_row=max_rows, values_only=True):
            t = " ".join(norm_header(c) for c in row if norm_header(c))
            if t:
                texts.append(t)
    finally:
        wb.close()
    return names, texts[0] if texts else ""


# -------------------------------------------------------------------------------- levels
def kommun_level(
    kommunkod: str, typ_av_huvudman: str, ctx: ReadContext, *, kommun_name: str = ""
) -> str | None:
    """The ``niva`` of a kommun-level row, or None when the row is filtered out.

    * Riket (``kommunkod`` '0000'/empty with the name 'Riket') → ``riket``, always kept.
    * ``ctx.kommunkod`` None (no filtering): ``Kommunal`` → ``huvudman``, every other type
      (``Samtliga``, ``Enskild``, ...) → ``kommun`` (``typ_av_huvudman`` tells them apart).
    * The report's kommun: as above.
    * A kommun of ``ctx.jamforelsegrupp``: only its ``Samtliga`` row, as ``jamforelse``.
    * Any other kommun: dropped.
    """
    typ = (typ_av_huvudman or "").strip()
    if kommunkod in ("", "0000") and kommun_name.strip().lower() in ("riket", "sverige", "hela riket", ""):
        return "riket"
    if ctx.kommunkod is None or kommunkod == ctx.kommunkod:
        return "huvudman" if typ == "Kommunal" else "kommun"
    if kommunkod in ctx.jamforelsegrupp:
        return "jamforelse" if typ in ("Samtliga", "") else None
    return None


def keep_enhet(kommunkod: str, ctx: ReadContext) -> bool:
    """Skolenhet rows are kept for the report's kommun (all of them when not filtering)."""
    return ctx.kommunkod is None or kommunkod == ctx.kommunkod


def grupp_of(*parts: str) -> str:
    """Join grupp parts: ``grupp_of('amne:MA', 'flickor')`` → ``'amne:MA|flickor'``;
    ``grupp_of('', 'samtliga')`` → ``'samtliga'``; ``grupp_of('program:NA', 'samtliga')`` →
    ``'program:NA'`` (``samtliga`` is dropped once a more specific part is present)."""
    keep = [p for p in parts if p and p != "samtliga"]
    return "|".join(keep) if keep else "samtliga"


#: The text columns of a ``publicerad`` frame.
_PUBLICERAD_TEXT = (
    "skolform",
    "niva",
    "kommunkod",
    "skolenhetskod",
    "enhet",
    "typ_av_huvudman",
    "indikator",
    "grupp",
    "markering",
    "kalla",
)


def publicerad_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """A frame with the ``publicerad`` columns → those columns, in order, with their dtypes."""
    out = df[PUBLICERAD_COLUMNS].reset_index(drop=True)
    out["lasar"] = out["lasar"].astype("int64")
    out["varde"] = pd.to_numeric(out["varde"], errors="raise").astype("float64")
    out["antal"] = pd.array([None if (a is None or a != a) else int(a) for a in out["antal"]], dtype="Int64")
    for c in _PUBLICERAD_TEXT:
        out[c] = out[c].astype("object")
    return out


def publicerad_frame(records: Iterable[dict]) -> pd.DataFrame:
    """Records → a ``publicerad`` frame with the canonical columns and loose-but-right dtypes."""
    return publicerad_dtypes(pd.DataFrame.from_records(list(records), columns=PUBLICERAD_COLUMNS))


def skolenheter_frame(records: Iterable[dict], *, lasar: int | None = None) -> pd.DataFrame:
    """Records → a deduplicated ``skolenheter`` frame (one row per skolenhetskod × skolform).

    Within one file, the last record of a unit wins (files are read in row order). The frame's
    ``attrs['lasar']`` carries the file's year so that ingest can prefer the newest source when
    several files name the same unit (see :func:`merge_skolenheter`).
    """
    df = pd.DataFrame.from_records(list(records), columns=SKOLENHETER_COLUMNS)
    df = df[df["skolenhetskod"].astype(str).str.fullmatch(r"\d{8}")]
    df = df.drop_duplicates(["skolenhetskod", "skolform"], keep="last")
    df = df.sort_values(["skolenhetskod", "skolform"], kind="mergesort").reset_index(drop=True)
    for c in SKOLENHETER_COLUMNS:
        df[c] = df[c].astype("object")
    if lasar is not None:
        df.attrs["lasar"] = int(lasar)
    return df


def merge_skolenheter(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Combine ``skolenheter`` frames from several files: one row per (skolenhetskod, skolform),
    the newest file's row winning (``attrs['lasar']``; ties by the frames' order, later wins).
    Deterministic for the same inputs."""
    parts = []
    for order, f in enumerate(frames):
        if f is None or f.empty:
            continue
        g = f.copy()
        g["_lasar"] = int(f.attrs.get("lasar", 0))
        g["_order"] = order
        parts.append(g)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SKOLENHETER_COLUMNS})
    df = pd.concat(parts, ignore_index=True)
    df = df.sort_values(["skolenhetskod", "skolform", "_lasar", "_order"], kind="mergesort")
    df = df.drop_duplicates(["skolenhetskod", "skolform"], keep="last")
    return df[SKOLENHETER_COLUMNS].reset_index(drop=True)


# ----------------------------------------------------------------------------- kommuner
KOMMUNER: dict[str, str] = {
    "0114": "Upplands Väsby",
    "0115": "Vallentuna",
    "0117": "Österåker",
    "0120": "Värmdö",
    "0123": "Järfälla",
    "0125": "Ekerö",
    "0126": "Huddinge",
    "0127": "Botkyrka",
    "0128": "Salem",
    "0136": "Haninge",
    "0138": "Tyresö",
    "0139": "Upplands-Bro",
    "0140": "Nykvarn",
    "0160": "Täby",
    "0162": "Danderyd",
    "0163": "Sollentuna",
    "0180": "Stockholm",
    "0181": "Södertälje",
    "0182": "Nacka",
    "0183": "Sundbyberg",
    "0184": "Solna",
    "0186": "Lidingö",
    "0187": "Vaxholm",
    "0188": "Norrtälje",
    "0191": "Sigtuna",
    "0192": "Nynäshamn",
    "0305": "Håbo",
    "0319": "Älvkarleby",
    "0330": "Knivsta",
    "0331": "Heby",
    "0360": "Tierp",
    "0380": "Uppsala",
    "0381": "Enköping",
    "0382": "Östhammar",
    "0428": "Vingåker",
    "0461": "Gnesta",
    "0480": "Nyköping",
    "0481": "Oxelösund",
    "0482": "Flen",
    "0483": "Katrineholm",
    "0484": "Eskilstuna",
    "0486": "Strängnäs",
    "0488": "Trosa",
    "0509": "Ödeshög",
    "0512": "Ydre",
    "0513": "Kinda",
    "0560": "Boxholm",
    "0561": "Åtvidaberg",
    "0562": "Finspång",
    "0563": "Valdemarsvik",
    "0580": "Linköping",
    "0581": "Norrköping",
    "0582": "Söderköping",
    "0583": "Motala",
    "0584": "Vadstena",
    "0586": "Mjölby",
    "0604": "Aneby",
    "0617": "Gnosjö",
    "0642": "Mullsjö",
    "0643": "Habo",
    "0662": "Gislaved",
    "0665": "Vaggeryd",
    "0680": "Jönköping",
    "0682": "Nässjö",
    "0683": "Värnamo",
    "0684": "Sävsjö",
    "0685": "Vetlanda",
    "0686": "Eksjö",
    "0687": "Tranås",
    "0760": "Uppvidinge",
    "0761": "Lessebo",
    "0763": "Tingsryd",
    "0764": "Alvesta",
    "0765": "Älmhult",
    "0767": "Markaryd",
    "0780": "Växjö",
    "0781": "Ljungby",
    "0821": "Högsby",
    "0834": "Torsås",
    "0840": "Mörbylånga",
    "0860": "Hultsfred",
    "0861": "Mönsterås",
    "0862": "Emmaboda",
    "0880": "Kalmar",
    "0881": "Nybro",
    "0882": "Oskarshamn",
    "0883": "Västervik",
    "0884": "Vimmerby",
    "0885": "Borgholm",
    "0980": "Gotland",
    "1060": "Olofström",
    "1080": "Karlskrona",
    "1081": "Ronneby",
    "1082": "Karlshamn",
    "1083": "Sölvesborg",
    "1214": "Svalöv",
    "1230": "Staffanstorp",
    "1231": "Burlöv",
    "1233": "Vellinge",
    "1256": "Östra Göinge",
    "1257": "Örkelljunga",
    "1260": "Bjuv",
    "1261": "Kävlinge",
    "1262": "Lomma",
    "1263": "Svedala",
    "1264": "Skurup",
    "1265": "Sjöbo",
    "1266": "Hörby",
    "1267": "Höör",
    "1270": "Tomelilla",
    "1272": "Bromölla",
    "1273": "Osby",
    "1275": "Perstorp",
    "1276": "Klippan",
    "1277": "Åstorp",
    "1278": "Båstad",
    "1280": "Malmö",
    "1281": "Lund",
    "1282": "Landskrona",
    "1283": "Helsingborg",
    "1284": "Höganäs",
    "1285": "Eslöv",
    "1286": "Ystad",
    "1287": "Trelleborg",
    "1290": "Kristianstad",
    "1291": "Simrishamn",
    "1292": "Ängelholm",
    "1293": "Hässleholm",
    "1315": "Hylte",
    "1380": "Halmstad",
    "1381": "Laholm",
    "1382": "Falkenberg",
    "1383": "Varberg",
    "1384": "Kungsbacka",
    "1401": "Härryda",
    "1402": "Partille",
    "1407": "Öckerö",
    "1415": "Stenungsund",
    "1419": "Tjörn",
    "1421": "Orust",
    "1427": "Sotenäs",
    "1430": "Munkedal",
    "1435": "Tanum",
    "1438": "Dals-Ed",
    "1439": "Färgelanda",
    "1440": "Ale",
    "1441": "Lerum",
    "1442": "Vårgårda",
    "1443": "Bollebygd",
    "1444": "Grästorp",
    "1445": "Essunga",
    "1446": "Karlsborg",
    "1447": "Gullspång",
    "1452": "Tranemo",
    "1460": "Bengtsfors",
    "1461": "Mellerud",
    "1462": "Lilla Edet",
    "1463": "Mark",
    "1465": "Svenljunga",
    "1466": "Herrljunga",
    "1470": "Vara",
    "1471": "Götene",
    "1472": "Tibro",
    "1473": "Töreboda",
    "1480": "Göteborg",
    "1481": "Mölndal",
    "1482": "Kungälv",
    "1484": "Lysekil",
    "1485": "Uddevalla",
    "1486": "Strömstad",
    "1487": "Vänersborg",
    "1488": "Trollhättan",
    "1489": "Alingsås",
    "1490": "Borås",
    "1491": "Ulricehamn",
    "1492": "Åmål",
    "1493": "Mariestad",
    "1494": "Lidköping",
    "1495": "Skara",
    "1496": "Skövde",
    "1497": "Hjo",
    "1498": "Tidaholm",
    "1499": "Falköping",
    "1715": "Kil",
    "1730": "Eda",
    "1737": "Torsby",
    "1760": "Storfors",
    "1761": "Hammarö",
    "1762": "Munkfors",
    "1763": "Forshaga",
    "1764": "Grums",
    "1765": "Årjäng",
    "1766": "Sunne",
    "1780": "Karlstad",
    "1781": "Kristinehamn",
    "1782": "Filipstad",
    "1783": "Hagfors",
    "1784": "Arvika",
    "1785": "Säffle",
    "1814": "Lekeberg",
    "1860": "Laxå",
    "1861": "Hallsberg",
    "1862": "Degerfors",
    "1863": "Hällefors",
    "1864": "Ljusnarsberg",
    "1880": "Örebro",
    "1881": "Kumla",
    "1882": "Askersund",
    "1883": "Karlskoga",
    "1884": "Nora",
    "1885": "Lindesberg",
    "1904": "Skinnskatteberg",
    "1907": "Surahammar",
    "1960": "Kungsör",
    "1961": "Hallstahammar",
    "1962": "Norberg",
    "1980": "Västerås",
    "1981": "Sala",
    "1982": "Fagersta",
    "1983": "Köping",
    "1984": "Arboga",
    "2021": "Vansbro",
    "2023": "Malung-Sälen",
    "2026": "Gagnef",
    "2029": "Leksand",
    "2031": "Rättvik",
    "2034": "Orsa",
    "2039": "Älvdalen",
    "2061": "Smedjebacken",
    "2062": "Mora",
    "2080": "Falun",
    "2081": "Borlänge",
    "2082": "Säter",
    "2083": "Hedemora",
    "2084": "Avesta",
    "2085": "Ludvika",
    "2101": "Ockelbo",
    "2104": "Hofors",
    "2121": "Ovanåker",
    "2132": "Nordanstig",
    "2161": "Ljusdal",
    "2180": "Gävle",
    "2181": "Sandviken",
    "2182": "Söderhamn",
    "2183": "Bollnäs",
    "2184": "Hudiksvall",
    "2260": "Ånge",
    "2262": "Timrå",
    "2280": "Härnösand",
    "2281": "Sundsvall",
    "2282": "Kramfors",
    "2283": "Sollefteå",
    "2284": "Örnsköldsvik",
    "2303": "Ragunda",
    "2305": "Bräcke",
    "2309": "Krokom",
    "2313": "Strömsund",
    "2321": "Åre",
    "2326": "Berg",
    "2361": "Härjedalen",
    "2380": "Östersund",
    "2401": "Nordmaling",
    "2403": "Bjurholm",
    "2404": "Vindeln",
    "2409": "Robertsfors",
    "2417": "Norsjö",
    "2418": "Malå",
    "2421": "Storuman",
    "2422": "Sorsele",
    "2425": "Dorotea",
    "2460": "Vännäs",
    "2462": "Vilhelmina",
    "2463": "Åsele",
    "2480": "Umeå",
    "2481": "Lycksele",
    "2482": "Skellefteå",
    "2505": "Arvidsjaur",
    "2506": "Arjeplog",
    "2510": "Jokkmokk",
    "2513": "Överkalix",
    "2514": "Kalix",
    "2518": "Övertorneå",
    "2521": "Pajala",
    "2523": "Gällivare",
    "2560": "Älvsbyn",
    "2580": "Luleå",
    "2581": "Piteå",
    "2582": "Boden",
    "2583": "Haparanda",
    "2584": "Kiruna",
}

#: Kommun name → kommunkod (for files that give only a name, e.g. Kolada's "ready" exports).
KOMMUNKOD_AV_NAMN: dict[str, str] = {namn: kod for kod, namn in KOMMUNER.items()}


_KOD_AV_LOWER: dict[str, str] = {namn.lower(): kod for kod, namn in KOMMUNER.items()}


def kommunkod_of_name(name: str) -> str | None:
    """The kommunkod of a kommun name, as written in published files.

    Case-insensitive; accepts ``'Stockholms kommun'``, ``'Stockholms stad'``, ``'Region Gotland'``,
    genitive and clipped forms (``'Falu kommun'`` → Falun, ``'Grum'`` → Grums). None when unknown.
    """
    n = norm_header(name).lower()
    bases = [n]
    for prefix in ("region ",):
        if n.startswith(prefix):
            bases.append(n[len(prefix) :])
    for suffix in (" kommun", " stad"):
        if n.endswith(suffix):
            bases.append(n[: -len(suffix)])
    for b in bases:
        for cand in (b, b + "s", b + "n", b[:-1] if b.endswith("s") else b):
            if cand in _KOD_AV_LOWER:
                return _KOD_AV_LOWER[cand]
    return None


# ------------------------------------------------------------------------- fast xlsx rows
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RNS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


@lru_cache(maxsize=8)
def _shared_strings(path: str, mtime: float) -> tuple[str, ...]:
    import xml.etree.ElementTree as ET
    import zipfile

    with zipfile.ZipFile(path) as zf:
        if "xl/sharedStrings.xml" not in zf.namelist():
            return ()
        root = ET.fromstring(zf.read("xl/sharedStrings.xml"))
    return tuple("".join(t.text or "" for t in si.iter(f"{_NS}t")) for si in root.iter(f"{_NS}si"))


def iter_xlsx_rows(path: Path, sheet: str, columns: Iterable[int] | None = None):
    """Yield ``(rowno, values)`` of one sheet, reading the XML directly (several times faster
    than openpyxl on wide sheets). Values are as openpyxl gives them with ``values_only``: str,
    int or float (None for empty cells). With ``columns``, only those 0-based columns are
    decoded (the others are None); ``values`` always spans up to the last non-empty cell read.
    """
    import xml.etree.ElementTree as ET
    import zipfile

    wanted = set(columns) if columns is not None else None
    with zipfile.ZipFile(path) as zf:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = {r.get("Id"): r.get("Target") for r in rels}
        rid = next((s.get(f"{_RNS}id") for s in wb.iter(f"{_NS}sheet") if s.get("name") == sheet), None)
        if rid is None:
            raise KeyError(sheet)
        part = target[rid]
        if part is None:  # a sheet whose relationship names no part
            raise KeyError(sheet)
        part = part.lstrip("/")
        part = part if part.startswith("xl/") else f"xl/{part}"
        shared = _shared_strings(str(path), Path(path).stat().st_mtime)
        with zf.open(part) as fh:
            for _, el in ET.iterparse(fh, events=("end",)):
                if el.tag != f"{_NS}row":
                    continue
                rowno = int(el.get("r"))
                values: dict[int, Any] = {}
                for c in el.iter(f"{_NS}c"):
                    m = _CELL_REF.match(c.get("r", ""))
                    j = _col_index(m.group(1)) if m else len(values)
                    if wanted is not None and j not in wanted:
                        continue
                    t = c.get("t")
                    if t == "inlineStr":
                        values[j] = "".join(x.text or "" for x in c.iter(f"{_NS}t"))
                        continue
                    v = c.find(f"{_NS}v")
                    if v is None or v.text is None:
                        continue
                    if t == "s":
                        values[j] = shared[int(v.text)]
                    elif t in ("str", "e"):
                        values[j] = v.text
                    elif t == "b":
                        values[j] = v.text == "1"
                    else:
                        f = float(v.text)
                        values[j] = int(f) if f.is_integer() and re.fullmatch(r"-?\d+", v.text) else f
                el.clear()
                width = max(values) + 1 if values else 0
                yield rowno, [values.get(j) for j in range(width)]


def xlsx_rows(path: Path, sheet: str, columns: Iterable[int] | None = None) -> list[tuple[int, list[Any]]]:
    """Every row of a sheet as ``(rowno, values)``, with empty rows filled in (rows 1..last).

    Raises
    ------
    DataValidationError
        The file is not a readable workbook or has no sheet ``sheet``.
    """
    import zipfile

    try:
        got = list(iter_xlsx_rows(path, sheet, columns))
    except KeyError:
        fail_now(Path(path), "workbook", None, sheet, "a sheet of that name")
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        fail_now(Path(path), "workbook", None, type(exc).__name__, f"a readable .xlsx workbook ({exc})")
    out: list[tuple[int, list[Any]]] = []
    expect = 1
    for rowno, values in got:
        while expect < rowno:
            out.append((expect, []))
            expect += 1
        out.append((rowno, values))
        expect = rowno + 1
    return out
