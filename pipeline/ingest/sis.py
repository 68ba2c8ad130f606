"""Readers for pupil-level exports from a school information system (SIS).

A huvudman exports CSV files from its SIS (or its HR, survey and case systems) and drops them in
``data/raw/``. Each file kind below is recognised by its header row (never by its name), read,
checked value by value, pseudonymised and mapped to the canonical codes of
:mod:`pipeline.validate.schemas`. The formats are documented in ``data/raw/README.md``.

What every reader accepts:

- delimiter ``;`` or ``,`` (or tab), chosen from the header row;
- encoding UTF-8 with or without BOM, or cp1252 (Windows Excel);
- decimal comma or point;
- headers in any case, with or without Swedish letters and punctuation (``Föräldrars
  utbildning`` = ``foraldrars_utbildning``), renamed per file kind in
  ``params/kolumnmappning.yml`` (canonical column -> header in the export);
- the pupil as ``personnummer`` (``YYYYMMDD-XXXX``, ``YYMMDD-XXXX``, 12 or 10 digits) or as an
  already pseudonymous ``elev_id``.

Identities are pseudonymised at the boundary: ``elev_id = HMAC-SHA256(key, personnummer)[:16]``
with the personnummer normalised to 12 digits and a secret key per huvudman kept outside the
repository (:mod:`pipeline.ingest.pseudonym`); names, personnummer and every column that is not read
(free text) never leave this module. All failures of a file are collected before one
:class:`~pipeline.errors.DataValidationError` is raised; each names the file, the line (1-based,
as in an editor), the column as written in the file, the value and what was expected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.amnen import AMNEN
from pipeline.errors import DataValidationError
from pipeline.ingest.ledger import LEDGER_KEY, SIDE_KEYS, Ledger
from pipeline.ingest.sources import ReadContext, Sniff, Source, register
from pipeline.school_forms import alias_table, get_school_form

#: Skolenkäten's answer options and their score on the 0-10 scale; "Vet ej" is not scored.
ENKAT_SVAR: dict[str, float | None] = {
    "stammerheltochhallet": 10.0,
    "stammerganskabra": 20.0 / 3.0,
    "stammerganskadaligt": 10.0 / 3.0,
    "stammerintealls": 0.0,
    "vetej": None,
}

_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", "à": "a", "è": "e"})
_PNR = re.compile(r"^(\d{2})?(\d{6})([-+]?)(\d{4})$")
_OLD_GRADES = {"G", "VG", "MVG", "IG", "G+"}


def fold(text: str) -> str:
    """Fold a header or value for matching: lower case, å/ä/ö -> a/a/o, only letters and digits.

    >>> fold("Föräldrars utbildning")
    'foraldrarsutbildning'
    """
    return re.sub(r"[^a-z0-9]", "", str(text).strip().lower().translate(_FOLD))


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower().translate(_FOLD)).strip("_")


# --------------------------------------------------------------------------------- file kinds


@dataclass(frozen=True)
class FileKind:
    """One kind of SIS export.

    Attributes
    ----------
    name
        The kind's name: the key in ``params/kolumnmappning.yml`` and in ``data/raw/README.md``.
    description
        One line for listings.
    columns
        Every column the reader knows (canonical names, snake_case).
    required
        Columns that must be present (the pupil identity is checked separately).
    signature
        Columns whose presence identifies the kind (all must be present).
    pupil
        True when rows are about a pupil (``personnummer`` or ``elev_id`` required).
    any_of
        Groups of alternative columns: at least one of each group must be present.
    """

    name: str
    description: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    signature: tuple[str, ...]
    pupil: bool = True
    any_of: tuple[tuple[str, ...], ...] = ()


_ID = ("personnummer", "elev_id")

KINDS: dict[str, FileKind] = {
    k.name: k
    for k in (
        FileKind(
            "skolenheter", "SIS unit register: skolenhetskod, skolenhetsnamn, skolform, årskurser",
            ("skolenhetskod", "skolenhetsnamn", "skolform", "huvudman", "kommunkod", "arskurser"),
            ("skolenhetskod", "skolenhetsnamn", "skolform", "huvudman", "kommunkod"),
            ("skolenhetskod", "skolenhetsnamn", "arskurser"), pupil=False,
        ),
        FileKind(
            "elever", "SIS pupils per läsår with background (kön, nyanländ, föräldrars utbildning)",
            ("lasar", *_ID, "fornamn", "efternamn", "skolenhetskod", "skolform", "arskurs", "kon",
             "nyanland", "foraldrars_utbildning", "program"),
            ("lasar", "skolenhetskod", "skolform", "arskurs", "kon", "nyanland", "foraldrars_utbildning"),
            ("kon", "nyanland"),
        ),
        FileKind(
            "betyg_gr", "SIS grundskola subject grades åk 6/9 (A-F or '-')",
            ("lasar", *_ID, "skolenhetskod", "arskurs", "amne", "betyg", "termin"),
            ("lasar", "skolenhetskod", "arskurs", "amne", "betyg"),
            ("amne", "betyg"),
        ),
        FileKind(
            "nationella_prov", "SIS national test results (provbetyg) åk 3/6/9",
            ("lasar", *_ID, "skolenhetskod", "arskurs", "amne", "provbetyg"),
            ("lasar", "skolenhetskod", "arskurs", "amne", "provbetyg"),
            ("provbetyg",),
        ),
        FileKind(
            "kursbetyg_gy", "SIS gymnasium course grades with gymnasiepoäng",
            ("lasar", *_ID, "skolenhetskod", "program", "kurs", "gymnasiepoang", "betyg"),
            ("lasar", "skolenhetskod", "program", "kurs", "gymnasiepoang", "betyg"),
            ("kurs", "gymnasiepoang"),
        ),
        FileKind(
            "studievag_gy", "SIS gymnasium study paths (start, end, outcome, meritvärde åk 9)",
            (*_ID, "skolenhetskod", "program", "startlasar", "slutlasar", "utfall", "meritvarde_ak9"),
            ("skolenhetskod", "program", "startlasar", "slutlasar", "utfall"),
            ("startlasar", "utfall"),
        ),
        FileKind(
            "vux_kurser", "SIS komvux course results (kursområde, poäng, A-F or avbrott)",
            ("lasar", *_ID, "skolenhetskod", "kurs", "kursomrade", "poang", "resultat"),
            ("lasar", "skolenhetskod", "kurs", "kursomrade", "poang", "resultat"),
            ("kursomrade", "resultat"),
        ),
        FileKind(
            "franvaro", "SIS absence per pupil (share, percent, or minutes absent and scheduled)",
            ("lasar", *_ID, "skolenhetskod", "franvaro_andel", "franvaro_procent", "franvaro_minuter",
             "schemalagd_tid_minuter", "termin"),
            ("lasar", "skolenhetskod"),
            (),
            any_of=(("franvaro_andel", "franvaro_procent", "franvaro_minuter"),),
        ),
        FileKind(
            "enkat", "Survey answers per respondent and question (elevenkät, vårdnadshavarenkät)",
            ("lasar", "skolenhetskod", "respondent_id", "enkat", "arskurs", "kon", "omrade", "fraga", "svar"),
            ("lasar", "skolenhetskod", "respondent_id", "enkat", "omrade", "fraga", "svar"),
            ("respondent_id", "svar"), pupil=False,
        ),
        FileKind(
            "avvikelser", "Reported incidents (kränkande behandling etc.), one row per case",
            ("lasar", "datum", "skolenhetskod", "arende_id", "typ"),
            ("skolenhetskod", "arende_id", "typ"),
            ("arende_id", "typ"), pupil=False, any_of=(("lasar", "datum"),),
        ),
        FileKind(
            "fs_personal", "Förskola staffing and groups per unit (15 October)",
            ("lasar", "skolenhetskod", "antal_barn", "arsarbetare", "arsarbetare_forskollararexamen",
             "antal_barngrupper"),
            ("lasar", "skolenhetskod", "antal_barn", "arsarbetare", "arsarbetare_forskollararexamen",
             "antal_barngrupper"),
            ("antal_barn", "arsarbetare"), pupil=False,
        ),
        FileKind(
            "referens_riket", "National reference values (riket) per läsår, skolform, indicator, grupp",
            ("lasar", "skolform", "indikator", "grupp", "varde", "antal", "kalla"),
            ("lasar", "skolform", "indikator", "grupp", "varde", "kalla"),
            ("indikator", "varde", "kalla", "skolform", "lasar"), pupil=False,
        ),
    )
}  # fmt: skip


# ------------------------------------------------------------------------------ CSV reading


def _decode(raw: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("cp1252", raw, 0, 1, "not UTF-8 or cp1252")  # pragma: no cover


def _is_cp1252_fallback(raw: bytes) -> bool:
    """True when ``raw`` is not UTF-8, so :func:`_decode` read it as cp1252."""
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return True
    return False


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _mixed_encoding(raw: bytes) -> tuple[int, int] | None:
    """``(utf8_row, other_row)`` when a file that is not valid UTF-8 also holds rows that are
    (rows pasted together from two exports): read as cp1252, the UTF-8 rows would turn into
    mojibake (``Ã¶`` for ``ö``) without any error. ``None`` for a consistent file."""
    utf8_row = other_row = None
    for n, line in enumerate(raw.split(b"\n"), start=1):
        if not any(b >= 0x80 for b in line):
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other_row = other_row or n
        else:
            if _UTF8_MULTIBYTE.search(line):
                utf8_row = utf8_row or n
        if utf8_row and other_row:
            return utf8_row, other_row
    return None


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts.values())
    if best == 0:
        return ";"
    return next(d for d in (";", "\t", ",") if counts[d] == best)


def _first_line(text: str) -> tuple[int, str]:
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            return n, line
    return 0, ""


def _header_map(headers: list[str], kind: FileKind, mapping: dict) -> dict[str, int]:
    """Canonical column -> index in the header row (mapping applied, headers folded)."""
    own = {str(k): str(v) for k, v in (mapping.get(kind.name) or {}).items()}
    folded = [fold(h) for h in headers]
    out: dict[str, int] = {}
    for col in kind.columns:
        wanted = fold(own.get(col, col))
        if wanted in folded:
            out[col] = folded.index(wanted)
    return out


def _has_identity(cols: dict[str, int]) -> bool:
    return "personnummer" in cols or "elev_id" in cols


def classify(head: str, mapping: dict | None = None) -> FileKind | None:
    """The file kind whose signature the header row of ``head`` carries, or None.

    When several kinds match, the one with the largest signature wins (most specific).
    """
    _, line = _first_line(head)
    if not line:
        return None
    try:
        headers = next(csv.reader([line], delimiter=_delimiter(line)))
    except (csv.Error, StopIteration):
        return None
    best: tuple[int, FileKind] | None = None
    for kind in KINDS.values():
        cols = _header_map(headers, kind, mapping or {})
        if kind.pupil and not _has_identity(cols):
            continue
        if not kind.pupil and ("personnummer" in cols or "elev_id" in cols):
            continue
        if not all(c in cols for c in kind.signature):
            continue
        if kind.any_of and not all(any(c in cols for c in grp) for grp in kind.any_of):
            continue
        if kind.name == "referens_riket" and "skolenhetskod" in [fold(h) for h in headers]:
            continue  # per-unit published files belong to other readers
        score = len(kind.signature) + (1 if kind.pupil else 0)
        if best is None or score > best[0]:
            best = (score, kind)
    return best[1] if best else None


class _Failures:
    """Collects the failures of one file."""

    def __init__(self, path: Path, headers: dict[str, str]) -> None:
        self.path = path
        self.headers = headers  # canonical -> header as written
        self.items: list[tuple[dict, str]] = []

    def add(self, row: int | None, column: str | None, value: object, expected: str, problem: str) -> None:
        col = self.headers.get(column, column) if column else None
        self.items.append(
            (
                {
                    "file": str(self.path),
                    "row": row,
                    "column": col,
                    "value": None if value is None else str(value),
                    "expected": expected,
                },
                problem,
            )
        )

    def add_mask(
        self,
        df: pd.DataFrame,
        mask: pd.Series,
        column: str,
        expected: str,
        problem: str,
        *,
        mask_value: bool = False,
    ) -> None:
        for line, value in zip(df.loc[mask, "_line"], df.loc[mask, column], strict=True):
            shown = _mask_pnr(value) if mask_value else value
            self.add(int(line), column, shown, expected, problem)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        self.items.sort(key=lambda item: (item[0]["row"] is not None, item[0]["row"] or 0))
        failures = [f for f, _ in self.items]
        lines = []
        for f, problem in self.items[:5]:
            where = f"{f['file']}"
            if f["row"] is not None:
                where += f", row {f['row']}"
            if f["column"]:
                where += f", column {f['column']!r}"
            value = f" {f['value']!r}" if f["value"] is not None else ""
            lines.append(f"{where}:{value} {problem} (expected {f['expected']}).")
        more = f" ... and {len(failures) - 5} more." if len(failures) > 5 else ""
        raise DataValidationError(
            " ".join(lines) + more + f" {len(failures)} failure(s) in this file; correct the export in "
            "data/raw/ (or the mapping in params/kolumnmappning.yml) and run again.",
            failures,
        )


def _mask_pnr(value: object) -> str:
    s = str(value)
    return s[:-4] + "****" if len(s) > 4 else "****"


def _check_header(path: Path, row: int, headers: list[str]) -> None:
    """Refuse a header row that names a column twice (after folding case, å/ä/ö and punctuation):
    which of the two holds the values would be a guess."""
    seen: dict[str, int] = {}
    for i, h in enumerate(headers, start=1):
        f = fold(h)
        if not f:
            continue
        if f in seen:
            first = seen[f]
            raise DataValidationError(
                f"{path}, row {row}, column {h!r}: the header names this column twice (column {first}, "
                f"{headers[first - 1]!r}, and column {i}); expected every column once. Remove or rename one "
                "of the two in the export (or map the one to read in params/kolumnmappning.yml).",
                [
                    {
                        "file": str(path),
                        "row": row,
                        "column": h,
                        "value": f"columns {first} and {i}",
                        "expected": "each column once",
                    }
                ],
            )
        seen[f] = i


def read_csv_kind(path: Path, kind: FileKind, ctx: ReadContext) -> tuple[pd.DataFrame, _Failures]:
    """Read ``path`` as file kind ``kind``: a frame of stripped texts with canonical column names
    and a ``_line`` column (line number in the file), plus the failure collector.

    Raises
    ------
    DataValidationError
        The file cannot be decoded, has no header, lacks required columns, or has rows with the
        wrong number of fields.
    """
    raw = Path(path).read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw[:4096]:
        raise DataValidationError(
            f"{path}, row 1: the file is UTF-16 text (Excel's 'Unicode text'), which is not read (expected UTF-8 "
            "or cp1252 text); save the export as CSV UTF-8 (Excel: 'CSV UTF-8 (kommaavgränsad)') and run again.",
            [
                {
                    "file": str(path),
                    "row": 1,
                    "column": None,
                    "value": None,
                    "expected": "UTF-8 or cp1252 text",
                }
            ],
        )
    try:
        text = _decode(raw)
    except UnicodeDecodeError:
        try:
            raw.decode("utf-8-sig")
            bad_at = 0  # pragma: no cover - _decode would have succeeded
        except UnicodeDecodeError as exc:
            bad_at = exc.start
        row = raw[:bad_at].count(b"\n") + 1
        byte = raw[bad_at : bad_at + 1].hex().upper()
        raise DataValidationError(
            f"{path}, row {row}: byte 0x{byte} is not valid UTF-8 or cp1252 (Windows) text, so the file "
            "cannot be read; save the export as CSV UTF-8 (Excel: 'CSV UTF-8 (kommaavgränsad)') and run again.",
            [
                {
                    "file": str(path),
                    "row": row,
                    "column": None,
                    "value": f"0x{byte}",
                    "expected": "UTF-8 or cp1252 text",
                }
            ],
        ) from None
    if not raw.startswith(b"\xef\xbb\xbf"):
        mixed = _mixed_encoding(raw) if text is not None and _is_cp1252_fallback(raw) else None
        if mixed:
            utf8_row, other_row = mixed
            raise DataValidationError(
                f"{path}, row {other_row}: the row is not UTF-8 (Windows cp1252) while row {utf8_row} is UTF-8: "
                "the file mixes two encodings (rows pasted together from two exports), so its letters å, ä, ö "
                "cannot all be read right (expected one encoding for the whole file); export it again in one "
                "piece, or save it as CSV UTF-8 (Excel: 'CSV UTF-8 (kommaavgränsad)').",
                [
                    {
                        "file": str(path),
                        "row": other_row,
                        "column": None,
                        "value": None,
                        "expected": f"the same encoding as row {utf8_row} (UTF-8)",
                    }
                ],
            )
    header_no, header_line = _first_line(text)
    if not header_line:
        raise DataValidationError(
            f"{path}: empty file; expected a header row with the columns of a {kind.name} export.",
            [{"file": str(path), "row": 1, "column": None, "value": None, "expected": "a header row"}],
        )
    delim = _delimiter(header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows: list[list[str]] = []
    lines: list[int] = []
    headers: list[str] | None = None
    start = 1
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            opened = '"' in text.splitlines()[start - 1] if start - 1 < len(text.splitlines()) else False
            cause = (
                'a quote (") opened in this row is never closed, so the rest of the file runs into one field'
                if opened
                else "a field longer than the CSV reader accepts (a free-text column of several MB?)"
            )
            raise DataValidationError(
                f"{path}, row {start}: the row cannot be read as CSV: {cause} ({exc}; expected fields of at most "
                f"{csv.field_size_limit():,} characters, with every quote closed). Correct the quote in that row, "
                "or remove the free-text column from the export, and run again.",
                [
                    {
                        "file": str(path),
                        "row": start,
                        "column": None,
                        "value": None,
                        "expected": "a CSV row with closed quotes and fields of normal length",
                    }
                ],
            ) from None
        if not any(cell.strip() for cell in record):
            continue
        if headers is None:
            headers = [h.strip() for h in record]
            _check_header(path, start, headers)
            continue
        rows.append(record)
        lines.append(reader.line_num)
    assert headers is not None
    if not rows and kind.name != "avvikelser":  # a year without incidents is a header-only export
        raise DataValidationError(
            f"{path}, row {header_no + 1}: the file has a header but no data rows; export it again with "
            f"its rows (a {kind.name} export is never empty), or remove the file from data/raw/.",
            [
                {
                    "file": str(path),
                    "row": header_no + 1,
                    "column": None,
                    "value": None,
                    "expected": "data rows",
                }
            ],
        )
    cols = _header_map(headers, kind, ctx.kolumnmappning or {})
    written = {c: headers[i] for c, i in cols.items()}
    fails = _Failures(path, written)
    own = (ctx.kolumnmappning or {}).get(kind.name) or {}
    missing = [c for c in kind.required if c not in cols]
    if kind.pupil and not _has_identity(cols):
        missing.insert(0, "personnummer (or elev_id)")
    for grp in kind.any_of:
        if not any(c in cols for c in grp):
            missing.append(" or ".join(grp))
    if missing:
        shown = ", ".join(f"{m!r}" + (f" (mapped to {own[m]!r})" if m in own else "") for m in missing)
        raise DataValidationError(
            f"{path}, row {header_no}: a {kind.name} file ({kind.description}) lacks the column(s) {shown}; "
            f"found {headers} (expected every required column: {', '.join(kind.required)}). Add the column to the export, or map your header to it in "
            f"params/kolumnmappning.yml under '{kind.name}:'.",
            [
                {
                    "file": str(path),
                    "row": header_no,
                    "column": m,
                    "value": None,
                    "expected": "a column in the header row",
                }
                for m in missing
            ],
        )
    width = len(headers)
    good_rows, good_lines = [], []
    for rec, line in zip(rows, lines, strict=True):
        if len(rec) != width:
            fails.add(
                line,
                None,
                delim.join(rec)[:80] if kind.pupil is False else None,
                f"{width} fields like the header",
                f"has {len(rec)} fields",
            )
            continue
        good_rows.append(rec)
        good_lines.append(line)
    data = {c: [r[i].strip() for r in good_rows] for c, i in cols.items()}
    df = pd.DataFrame(data, dtype=object)
    df["_line"] = good_lines
    return df.reset_index(drop=True), fails


# --------------------------------------------------------------------------- value parsers


def _lookup(series: pd.Series, table: Callable[[str], object]) -> pd.Series:
    """Map each distinct value once (fast on large files)."""
    uniq = {v: table(v) for v in pd.unique(series)}
    return series.map(uniq)


def parse_lasar(value: str) -> int | None:
    """'2024', '2023/24', '2023/2024', '2023-2024' or 'VT2024' -> 2024 (the spring year)."""
    s = value.strip().upper().replace(" ", "")
    m = re.fullmatch(r"(?:VT)?(\d{4})(?:\.0)?", s)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"HT(\d{4})", s)
    if m:
        return int(m.group(1)) + 1
    m = re.fullmatch(r"(\d{4})[/-](\d{2}|\d{4})", s)
    if m:
        first, second = int(m.group(1)), m.group(2)
        spring = int(second) if len(second) == 4 else (first // 100) * 100 + int(second)
        if spring == first + 1:
            return spring
    return None


def _year_column(df: pd.DataFrame, column: str, fails: _Failures, *, nullable: bool = False) -> pd.Series:
    parsed = _lookup(df[column], lambda v: None if v == "" else parse_lasar(v))
    ok = parsed.notna() & parsed.between(2000, 2100)
    bad = ~ok if not nullable else (~ok & (df[column] != ""))
    fails.add_mask(
        df,
        bad,
        column,
        "a läsår between 2000 and 2100 as 2024 or 2023/24 (spring year)",
        "is not a possible läsår",
    )
    return parsed.where(ok).astype("Int64")


def parse_termin(value: str) -> str | None:
    """The termin a läsår cell names: 'HT2023' -> 'HT', 'VT2024' -> 'VT', '2024' or '2023/24' -> None."""
    m = re.fullmatch(r"(HT|VT)\d{4}(?:\.0)?", value.strip().upper().replace(" ", ""))
    return m.group(1) if m else None


def _termin_column(df: pd.DataFrame, fails: _Failures) -> pd.Series:
    """The termin of each row: from a ``termin`` column (HT, VT, HT2023, VT2024, höst, vår) when
    the file has one, else from the läsår cell (``HT2023``/``VT2024``); None for a whole läsår."""
    from_lasar = _lookup(df["lasar"], parse_termin)
    if "termin" not in df.columns:
        return from_lasar.astype(object).where(from_lasar.notna(), None)

    def one(v: str) -> str | None:
        f = fold(v)
        if f in {"ht", "host", "hosttermin", "hostterminen"}:
            return "HT"
        if f in {"vt", "var", "vartermin", "varterminen"}:
            return "VT"
        return parse_termin(v)

    own = _lookup(df["termin"], one)
    fails.add_mask(df, own.isna(), "termin", "HT or VT (or HT2023/VT2024)", "is not a termin")
    clash = own.notna() & from_lasar.notna() & own.ne(from_lasar)
    fails.add_mask(
        df, clash.fillna(False).astype(bool), "termin", "the termin the läsår cell names", "contradicts lasar"
    )
    return own.astype(object).where(own.notna(), None)


def _split_termin(
    out: pd.DataFrame, termin: pd.Series, df: pd.DataFrame, name: str
) -> dict[str, pd.DataFrame]:
    """Rows of a termin go to ``<name>_termin`` (with the termin kept); the full-year table keeps
    rows without a termin and, for backward compatibility, rows whose läsår cell reads
    ``VT2024`` in a file without a termin column (the spring termin closes the läsår)."""
    has = termin.notna()
    full = ~has
    tables = {}
    if "termin" not in df.columns:
        full = full | termin.eq("VT").fillna(False).astype(bool)
        # an HT row of a file without a termin column counted in the full year before periods
        # existed; it is autumn data (slutbetyg are the spring grades), so it is said aloud
        autumn = termin.eq("HT").fillna(False).astype(bool)
        if autumn.any():
            ledger = Ledger()
            ledger.add("hosttermin", int(autumn.sum()), sorted(set(df.loc[autumn, "lasar"].str.strip())))
            tables[LEDGER_KEY] = ledger.frame()
    return {name: out[full], f"{name}_termin": out[has].assign(termin=termin[has]), **tables}


def _number(value: str) -> float | None:
    s = value.strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
    if s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")
    try:
        x = float(s)
    except ValueError:
        return None
    return x if np.isfinite(x) else None


def _float_column(df, column, fails, *, lo=0.0, hi=None, nullable=False, what="a number") -> pd.Series:
    parsed = _lookup(df[column], lambda v: None if v == "" else _number(v)).astype("Float64")
    empty = df[column] == ""
    rng_ok = parsed >= lo
    if hi is not None:
        rng_ok &= parsed <= hi
    ok = parsed.notna() & rng_ok.fillna(False)
    bad = ~ok & ~(empty if nullable else pd.Series(False, index=df.index))
    bound = f"{lo:g} to {hi:g}" if hi is not None else f"at least {lo:g}"
    fails.add_mask(df, bad, column, f"{what}, {bound} (decimal comma or point)", "is not a valid value")
    return parsed.where(ok)


def _int_column(df, column, fails, *, lo=0, hi=None, what="a whole number") -> pd.Series:
    parsed = _float_column(df, column, fails, lo=lo, hi=hi, what=what)
    frac = parsed.notna() & (parsed.fillna(0) % 1 != 0)
    fails.add_mask(df, frac, column, what, "is not a whole number")
    return parsed.where(~frac).round().astype("Int64")


def _code_column(
    df, column, fails, table: Mapping[str, object], expected: str, problem: str = "is not a known code"
) -> pd.Series:
    parsed = _lookup(df[column], lambda v: table.get(fold(v)))
    fails.add_mask(df, parsed.isna(), column, expected, problem)
    return parsed


_KON = {"flicka": "flicka", "f": "flicka", "k": "flicka", "kvinna": "flicka", "tjej": "flicka",
        "pojke": "pojke", "p": "pojke", "m": "pojke", "man": "pojke", "kille": "pojke"}  # fmt: skip
_BOOL = {"ja": True, "j": True, "1": True, "true": True, "sant": True, "x": True,
         "nej": False, "n": False, "0": False, "false": False, "falskt": False}  # fmt: skip
_FORALDRAR = {"forgymnasial": "forgymnasial", "forgymnasialutbildning": "forgymnasial",
              "gymnasial": "gymnasial", "gymnasialutbildning": "gymnasial",
              "eftergymnasial": "eftergymnasial", "eftergymnasialutbildning": "eftergymnasial",
              "okand": "okand", "uppgiftsaknas": "okand", "": "okand"}  # fmt: skip
_SKOLFORM = alias_table()  # the school-form registry's codes and aliases
_UTFALL = {"hogskoleforberedandeexamen": "hogskoleforberedande_examen", "yrkesexamen": "yrkesexamen",
           "studiebevis": "studiebevis", "avbrott": "avbrott", "avbrutit": "avbrott", "avbruten": "avbrott",
           "pagaende": "pagaende"}  # fmt: skip
_KURSOMRADE = {"grundlaggande": "grundlaggande", "grundlaggandevuxenutbildning": "grundlaggande",
               "gymnasial": "gymnasial", "gymnasialvuxenutbildning": "gymnasial", "sfi": "sfi",
               "svenskforinvandrare": "sfi", "kommunalvuxenutbildningisvenskforinvandrare": "sfi"}  # fmt: skip
_OMRADE = {"trygghet": "trygghet", "studiero": "studiero", "stimulans": "stimulans",
           "inflytande": "inflytande", "elevernasinflytande": "inflytande", "delaktighetochinflytande": "inflytande",
           "normervarden": "normer_varden", "normerochvarden": "normer_varden", "helhet": "helhet",
           "helhetsomdome": "helhet"}  # fmt: skip
_ENKAT = {"elev": "elev", "elever": "elev", "elevenkat": "elev", "vardnadshavare": "vardnadshavare",
          "vardnadshavarenkat": "vardnadshavare", "vardnadshavarenkaten": "vardnadshavare"}  # fmt: skip
_AMNE_NAMES = {"svenska": "SV", "svenskasomandrasprak": "SVA", "engelska": "EN", "matematik": "MA",
               "biologi": "BI", "fysik": "FY", "kemi": "KE", "teknik": "TK", "geografi": "GE",
               "historia": "HI", "religionskunskap": "RE", "samhallskunskap": "SH", "bild": "BL",
               "hemochkonsumentkunskap": "HKK", "idrottochhalsa": "IDH", "musik": "MU", "slojd": "SLJ",
               "modernasprak": "M2", "modernaspraksprakval": "M2", "modernasprakspraksval": "M2",
               "modersmal": "ML", "teckensprak": "TN", "teckensprakforhorande": "TN"}  # fmt: skip
_AMNEN_LIST = ", ".join(AMNEN)


def _amne(value: str) -> str | None:
    f = fold(value)
    if f.upper() in AMNEN:
        return f.upper()
    if f in _AMNE_NAMES:
        return _AMNE_NAMES[f]
    if re.fullmatch(r"m2[a-z]{2,3}", f):  # Skolverket's M2FRA, M2SPA, ... -> M2
        return "M2"
    if re.fullmatch(r"ml[a-z]{2,3}", f):
        return "ML"
    return None


@lru_cache(maxsize=1)
def _gy_programmes() -> tuple[frozenset[str], dict[str, str]]:
    """The national programme codes and every name they have had (folded) → code, from
    ``params/gymnasieprogram.yml``: a renamed or new programme (HA → FS, HV) is known once it is
    in that table, never through a list in this module."""
    from pipeline.ingest.program import code_of_name, programmes

    return frozenset(programmes()), {fold(name): kod for name, kod in code_of_name().items()}


def _program(value: str) -> str | None:
    """A programme cell → its national code (an inriktning suffix, NANAT, is cut to NA; a full
    programme name, current or earlier, gives its code) or an IM* code; None if it is neither."""
    codes, by_name = _gy_programmes()
    if fold(value) in by_name:
        return by_name[fold(value)]
    s = re.sub(r"\s.*$", "", value.strip().upper())
    if s.startswith("IM") and re.fullmatch(r"IM[A-Z]{1,4}", s):
        return s
    if len(s) >= 2 and s[:2] in codes and re.fullmatch(r"[A-Z0-9]{2,8}", s):
        return s[:2]
    return None


def _grade_column(df, column, fails, *, allow_dash: bool) -> pd.Series:
    allowed = "A, B, C, D, E, F" + (", or '-' for no grade (streck)" if allow_dash else "")
    up = df[column].str.upper()
    ok = up.isin(["A", "B", "C", "D", "E", "F"] + (["-"] if allow_dash else []))
    old = up.isin(_OLD_GRADES)
    fails.add_mask(
        df,
        old,
        column,
        f"one of {allowed}",
        "is not a grade on the A-F scale; the old G/VG/MVG scale is not supported",
    )
    if not allow_dash:
        dash = up.eq("-")
        fails.add_mask(
            df,
            dash,
            column,
            f"one of {allowed}",
            "is not a grade on the A-F scale here (a pupil without a result has no row)",
        )
    else:
        dash = pd.Series(False, index=df.index)
    fails.add_mask(df, ~ok & ~old & ~dash, column, f"one of {allowed}", "is not a grade on the A-F scale")
    return up.where(ok)


def _duplicates(df: pd.DataFrame, keys: list[str], fails: _Failures, what: str, column: str) -> None:
    sub = df.dropna(subset=keys)
    dup = sub.duplicated(keys, keep=False)
    if not dup.any():
        return
    firsts = sub[dup].groupby(keys, sort=False, dropna=False)["_line"].transform("min")
    for idx in sub.index[dup]:
        first = int(firsts.loc[idx])
        line = int(sub.at[idx, "_line"])
        if line == first:
            continue
        fails.add(
            line, column, df.at[idx, column], f"one row per {what}", f"duplicates row {first} (same {what})"
        )


# ------------------------------------------------------------------------- pseudonymisation


def _luhn_ok(digits10: str) -> bool:
    total = 0
    for i, ch in enumerate(digits10):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def normalise_personnummer(value: str, reference_year: int | None = None) -> str | None:
    """Normalise a personnummer to 12 digits (``YYYYMMDDXXXX``), or None when it is not one.

    Accepts ``YYYYMMDD-XXXX``, ``YYYYMMDDXXXX``, ``YYMMDD-XXXX``, ``YYMMDDXXXX`` and
    ``YYMMDD+XXXX`` (100 years or older). A 10-digit number gets the latest century that puts
    the birth year at or before ``reference_year`` (the row's läsår). Checks the date (day 61-91
    for samordningsnummer) and the check digit.
    """
    m = _PNR.match(value.strip())
    if not m:
        return None
    century, date6, sep, tail = m.groups()
    yy, mm, dd = int(date6[:2]), int(date6[2:4]), int(date6[4:6])
    if century is None:
        ref = reference_year or 2100
        year = (ref // 100) * 100 + yy
        if year > ref:
            year -= 100
        if sep == "+":
            year -= 100
    else:
        if sep == "+":
            return None
        year = int(century) * 100 + yy
    day = dd - 60 if dd > 60 else dd
    if not _real_date(year, mm, day):
        return None  # 30 February, month 13, day 0 ...
    if not _luhn_ok(date6 + tail):
        return None
    return f"{year:04d}{date6[2:]}{tail}"


def _real_date(year: int, month: int, day: int) -> bool:
    import datetime

    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def looks_like_personnummer(value: str) -> bool:
    """True for a value that is a personnummer however it is written: with a space, a dot or a
    hyphen between date and number, 10 or 12 digits with a real date (day + 60 for a
    samordningsnummer). Used to refuse an ``elev_id`` column that holds personnummer."""
    digits = re.sub(r"[\s.\-+]", "", str(value))
    if not re.fullmatch(r"\d{10}|\d{12}", digits):
        return False
    date6 = digits[-10:-4]
    yy, mm, dd = int(date6[:2]), int(date6[2:4]), int(date6[4:6])
    year = int(digits[:4]) if len(digits) == 12 else 2000 + yy
    return _real_date(year, mm, dd - 60 if dd > 60 else dd)


def pseudonymise(personnummer12: str, key: bytes) -> str:
    """``HMAC-SHA256(key, personnummer)[:16]`` of a normalised (12-digit) personnummer."""
    from pipeline.ingest.pseudonym import pseudonymise as keyed

    return keyed(personnummer12, key)


def _birth_date_number(norm: str | None) -> int:
    """``YYYYMMDD`` of a normalised personnummer as a number (day - 60 for a samordningsnummer),
    0 for None."""
    if norm is None:
        return 0
    dd = int(norm[6:8])
    return int(norm[:6]) * 100 + (dd - 60 if dd > 60 else dd)


def _elev_id(df: pd.DataFrame, fails: _Failures, ctx: ReadContext, year: pd.Series | None) -> pd.Series:
    if "personnummer" in df.columns:
        pnr = df["personnummer"].astype(str)
        ref = pd.to_numeric(year, errors="coerce") if year is not None else pd.Series(np.nan, index=df.index)
        # Each distinct number is normalised and hashed once (a grade file repeats a pupil once
        # per subject). The row's läsår matters only for a 10-digit number (it picks the
        # century), so it is part of the key only there.
        dated = pnr.str.strip().str.fullmatch(r"\d{8}[-+]?\d{4}").fillna(False).astype(bool)
        ref_key = ref.astype("Int64").astype(str).where(ref.notna() & ~dated, "")
        codes, _ = pd.factorize(pnr + "|" + ref_key)  # injective: ref_key holds no "|"
        _, first = np.unique(codes, return_index=True)
        key = ctx.pseudonym_key()
        hashed: dict[str, str] = {}
        ids_u: list[str | None] = []
        born_u: list[int] = []
        for value, r in zip(pnr.to_numpy()[first], ref_key.to_numpy()[first], strict=True):
            norm = normalise_personnummer(value, int(r) if r else None)
            if norm is not None and norm not in hashed:
                hashed[norm] = pseudonymise(norm, key)
            ids_u.append(hashed[norm] if norm is not None else None)
            born_u.append(_birth_date_number(norm))
        ids = pd.Series(np.asarray(ids_u, dtype=object)[codes], index=df.index, dtype=object)
        born = pd.Series(np.asarray(born_u, dtype=np.int64)[codes], index=df.index)
        fails.add_mask(
            df,
            ids.isna(),
            "personnummer",
            "a personnummer as YYYYMMDD-XXXX, YYMMDD-XXXX or 12 digits, with a valid date and check digit",
            "is not a valid personnummer (shown masked)",
            mask_value=True,
        )
        # born after 30 June of the läsår's spring year (a wrong century or a typo in the date)
        late = ids.notna() & ref.notna() & (born > ref.fillna(0) * 10000 + 630)
        fails.add_mask(
            df,
            late,
            "personnummer",
            "a pupil born before the läsår ends (30 June of its spring year)",
            "is a birth date after the row's läsår (shown masked): a wrong century or a typo in the date",
            mask_value=True,
        )
        return ids.where(~late)
    ids = df["elev_id"]
    looks_pnr = _lookup(ids, lambda v: normalise_personnummer(v) is not None or looks_like_personnummer(v))
    fails.add_mask(
        df,
        looks_pnr.astype(bool),
        "elev_id",
        "a pseudonymous id (not a personnummer)",
        "looks like a personnummer (shown masked); name the column 'personnummer' so it is pseudonymised",
        mask_value=True,
    )
    fails.add_mask(df, ids.eq(""), "elev_id", "a non-empty pseudonymous id", "is empty")
    return ids.where(~looks_pnr.astype(bool) & ids.ne(""))


def _skolenhetskod(df, fails, column="skolenhetskod") -> pd.Series:
    ok = df[column].str.fullmatch(r"\d{8}")
    fails.add_mask(
        df,
        ~ok,
        column,
        "an 8-digit skolenhetskod, e.g. 12345678 (keep leading zeros: format the column as text)",
        "is not a skolenhetskod",
    )
    return df[column].where(ok)


# ----------------------------------------------------------------------------------- readers


def _pupil_frame(df: pd.DataFrame, fails: _Failures, ctx: ReadContext) -> pd.DataFrame:
    """The columns every pupil-level kind starts with: läsår, pseudonymous id, skolenhetskod."""
    out = pd.DataFrame(index=df.index)
    out["lasar"] = _year_column(df, "lasar", fails)
    out["elev_id"] = _elev_id(df, fails, ctx, out["lasar"])
    out["skolenhetskod"] = _skolenhetskod(df, fails)
    return out


def _read_skolenheter(df, fails, ctx):
    out = pd.DataFrame(index=df.index)
    out["skolenhetskod"] = _skolenhetskod(df, fails)
    empty = df["skolenhetsnamn"].eq("")
    fails.add_mask(df, empty, "skolenhetsnamn", "the unit's name", "is empty")
    out["enhet"] = df["skolenhetsnamn"]
    out["skolform"] = _code_column(
        df, "skolform", fails, _SKOLFORM, "FS, GR, GY or VUX (or Förskola, Grundskola, Gymnasieskola, Komvux)"
    )
    out["huvudman"] = df["huvudman"]
    kk = df["kommunkod"].str.zfill(4)
    ok = kk.str.fullmatch(r"\d{4}")
    fails.add_mask(
        df,
        ~ok,
        "kommunkod",
        "a 4-digit kommunkod such as 0114 (format the column as text)",
        "is not a kommunkod",
    )
    out["kommunkod"] = kk.where(ok)
    out["arskurser"] = df["arskurser"].replace("", None) if "arskurser" in df else None
    tmp = out.assign(_line=df["_line"], skolenhetskod_raw=df["skolenhetskod"])
    _duplicates(tmp, ["skolenhetskod", "skolform"], fails, "skolenhetskod and skolform", "skolenhetskod")
    _contradictions(df, out, fails)
    return {"skolenheter": out}


def _contradictions(df: pd.DataFrame, out: pd.DataFrame, fails: _Failures) -> None:
    """A skolenhet listed for several school forms (a combined unit, e.g. GR and GY) is one unit:
    its rows must agree on name, huvudman and kommunkod. A förskola (FS) is not a skolenhet of
    another school form, so a code listed as FS and as another form is a contradiction too."""
    first_of: dict[str, int] = {}
    for idx in df.index:
        code = out.at[idx, "skolenhetskod"]
        if not isinstance(code, str):
            continue
        if code not in first_of:
            first_of[code] = idx
            continue
        f = first_of[code]
        line, first_line = int(df.at[idx, "_line"]), int(df.at[f, "_line"])
        forms = {out.at[f, "skolform"], out.at[idx, "skolform"]}
        if len(forms) == 2 and None not in forms and any(get_school_form(x).own_unit_code for x in forms):
            fails.add(
                line,
                "skolform",
                f"{code} {'/'.join(sorted(forms))}",
                "a förskola with its own code (a förskola is not a skolenhet of another school form)",
                f"lists skolenhetskod {code!r} as {out.at[idx, 'skolform']}, but row {first_line} lists it as "
                f"{out.at[f, 'skolform']}",
            )
        for col in ("skolenhetsnamn", "huvudman", "kommunkod"):
            if df.at[idx, col] != df.at[f, col]:
                fails.add(
                    line,
                    col,
                    df.at[idx, col],
                    f"the same {col} as row {first_line} ({df.at[f, col]!r}): one skolenhet has one name, "
                    "huvudman and kommun in every school form it runs",
                    f"contradicts row {first_line} for skolenhetskod {code!r}",
                )


def _read_elever(df, fails, ctx):
    out = _pupil_frame(df, fails, ctx)
    out["skolform"] = _code_column(df, "skolform", fails, _SKOLFORM, "FS, GR, GY or VUX")
    ak_raw = df["arskurs"].str.upper().replace({"F": "0", "FK": "0"})
    ak = _lookup(ak_raw, lambda v: None if v == "" else _number(v))
    ok = ak.isna() & ak_raw.eq("") | (ak.notna() & ak.isin(list(range(10))))
    fails.add_mask(
        df, ~ok, "arskurs", "a årskurs 0-9 (F for förskoleklass), or empty for komvux", "is not a årskurs"
    )
    out["arskurs"] = ak.where(ok).astype("Float64").round().astype("Int64")
    out["kon"] = _code_column(df, "kon", fails, _KON, "flicka or pojke (F/P, K/M)")
    out["nyanland"] = _code_column(
        df, "nyanland", fails, _BOOL, "Ja or Nej (arrived in Sweden within the last 4 years)"
    )
    out["foraldrar_utbildning"] = _code_column(
        df,
        "foraldrars_utbildning",
        fails,
        _FORALDRAR,
        "förgymnasial, gymnasial, eftergymnasial or okänd (empty = okänd)",
    )
    if "program" in df.columns:
        prog = _lookup(df["program"], lambda v: "" if v == "" else (_program(v) or None))
        fails.add_mask(
            df,
            prog.isna(),
            "program",
            "a national programme code (NA, EK, BA, ...) or IM*",
            "is not a programme code",
        )
        out["program"] = prog.replace("", None)
    else:
        out["program"] = None
    tmp = out.assign(_line=df["_line"], personnummer=df.get("personnummer", df.get("elev_id")))
    _duplicates(tmp, ["lasar", "elev_id", "skolenhetskod"], fails, "pupil, läsår and unit", "lasar")
    return {"elever": out}


def _arskurs(df, fails, allowed: list[int]) -> pd.Series:
    ak = _lookup(df["arskurs"], lambda v: _number(v))
    ok = ak.isin(allowed)
    fails.add_mask(
        df, ~ok, "arskurs", " or ".join(str(a) for a in allowed), "is not a årskurs with grades here"
    )
    return ak.where(ok).astype("Float64").round().astype("Int64")


def _amne_column(df, fails):
    amne = _lookup(df["amne"], _amne)
    fails.add_mask(
        df,
        amne.isna(),
        "amne",
        f"a subject code ({_AMNEN_LIST}) or its Swedish name",
        "is not a grundskola subject",
    )
    return amne


def _read_betyg(df, fails, ctx):
    out = _pupil_frame(df, fails, ctx)
    out["arskurs"] = _arskurs(df, fails, [6, 9])
    out["amne"] = _amne_column(df, fails)
    out["betyg"] = _grade_column(df, "betyg", fails, allow_dash=True)
    termin = _termin_column(df, fails)
    _duplicates(
        out.assign(_line=df["_line"], _termin=termin.fillna("")),
        ["lasar", "_termin", "elev_id", "arskurs", "amne"],
        fails,
        "pupil, läsår, termin, årskurs and subject",
        "amne",
    )
    return _split_termin(out, termin, df, "betyg")


def _read_np(df, fails, ctx):
    out = _pupil_frame(df, fails, ctx)
    out["arskurs"] = _arskurs(df, fails, [3, 6, 9])
    out["amne"] = _amne_column(df, fails)
    out["provbetyg"] = _grade_column(df, "provbetyg", fails, allow_dash=False)
    _duplicates(
        out.assign(_line=df["_line"]),
        ["lasar", "elev_id", "arskurs", "amne"],
        fails,
        "pupil, läsår, årskurs and subject",
        "amne",
    )
    return {"nationella_prov": out}


def _program_column(df, fails):
    prog = _lookup(df["program"], _program)
    fails.add_mask(
        df,
        prog.isna(),
        "program",
        "a national programme code (NA, EK, BA, ...) or IM*",
        "is not a programme code",
    )
    return prog


def _read_kursbetyg(df, fails, ctx):
    out = _pupil_frame(df, fails, ctx)
    out["program"] = _program_column(df, fails)
    fails.add_mask(df, df["kurs"].eq(""), "kurs", "a course code", "is empty")
    out["kurs"] = df["kurs"]
    out["poang"] = _int_column(
        df, "gymnasiepoang", fails, lo=0, hi=1000, what="gymnasiepoäng as a whole number"
    )
    out["betyg"] = _grade_column(df, "betyg", fails, allow_dash=False)
    _duplicates(
        out.assign(_line=df["_line"]), ["lasar", "elev_id", "kurs"], fails, "pupil, läsår and course", "kurs"
    )
    return {"kursbetyg": out}


def _read_studievag(df, fails, ctx):
    out = pd.DataFrame(index=df.index)
    start = _year_column(df, "startlasar", fails)
    out["elev_id"] = _elev_id(df, fails, ctx, start)
    out["skolenhetskod"] = _skolenhetskod(df, fails)
    out["program"] = _program_column(df, fails)
    out["startlasar"] = start
    end = _year_column(df, "slutlasar", fails, nullable=True)
    out["slutlasar"] = end
    utfall = _code_column(
        df,
        "utfall",
        fails,
        _UTFALL,
        "högskoleförberedande examen, yrkesexamen, studiebevis, avbrott or pågående",
    )
    out["utfall"] = utfall
    pag = utfall.eq("pagaende")
    fails.add_mask(
        df, pag & end.notna(), "slutlasar", "empty for a path that is pågående", "is set for a pågående path"
    )
    fails.add_mask(
        df,
        ~pag & utfall.notna() & df["slutlasar"].eq(""),
        "slutlasar",
        "the läsår the path ended (only pågående paths have none)",
        "is empty",
    )
    before = end.notna() & start.notna() & (end < start)
    fails.add_mask(
        df,
        before.fillna(False).astype(bool),
        "slutlasar",
        "a läsår at or after startlasar",
        "is before startlasar",
    )
    if "meritvarde_ak9" in df.columns:
        out["meritvarde_ak9"] = _float_column(
            df, "meritvarde_ak9", fails, lo=0, hi=340, nullable=True, what="a meritvärde"
        ).astype(float)
    else:
        out["meritvarde_ak9"] = np.nan
    _duplicates(
        out.assign(_line=df["_line"]),
        ["elev_id", "skolenhetskod", "program", "startlasar"],
        fails,
        "pupil, unit, programme and startlasar",
        "program",
    )
    return {"gy_studievag": out}


def _read_vux(df, fails, ctx):
    out = _pupil_frame(df, fails, ctx)
    fails.add_mask(df, df["kurs"].eq(""), "kurs", "a course code", "is empty")
    out["kurs"] = df["kurs"]
    out["kursomrade"] = _code_column(df, "kursomrade", fails, _KURSOMRADE, "grundläggande, gymnasial or sfi")
    out["poang"] = _int_column(df, "poang", fails, lo=0, hi=1000, what="poäng as a whole number")
    up = df["resultat"].str.upper()
    res = up.where(up.isin(list("ABCDEF")))
    res = res.where(
        res.notna(),
        _lookup(
            df["resultat"], lambda v: "avbrott" if fold(v) in {"avbrott", "avbrutit", "avbruten"} else None
        ),
    )
    old = up.isin(_OLD_GRADES)
    fails.add_mask(
        df,
        old,
        "resultat",
        "one of A, B, C, D, E, F or avbrott",
        "is not a grade on the A-F scale; the old G/VG/MVG scale is not supported",
    )
    fails.add_mask(df, res.isna() & ~old, "resultat", "one of A, B, C, D, E, F or avbrott", "is not a result")
    out["resultat"] = res
    return {"vux_kurser": out}


def _read_franvaro(df, fails, ctx):
    out = _pupil_frame(df, fails, ctx)
    if "franvaro_andel" in df.columns:
        pct = df["franvaro_andel"].str.endswith("%")
        val = _float_column(
            df, "franvaro_andel", fails, lo=0, hi=100, what="a share of scheduled time (0-1, or 0-100 %)"
        )
        share = val.where(~pct, val / 100)
        over = share > 1
        fails.add_mask(
            df,
            over.fillna(False).astype(bool),
            "franvaro_andel",
            "a share 0-1 (write 7 % as 0,07 or '7 %')",
            "is above 1",
        )
        share = share.where(~over.fillna(False).astype(bool))
    elif "franvaro_procent" in df.columns:
        share = (
            _float_column(df, "franvaro_procent", fails, lo=0, hi=100, what="percent of scheduled time") / 100
        )
    else:
        if "schemalagd_tid_minuter" not in df.columns:
            fails.add(
                None,
                "schemalagd_tid_minuter",
                None,
                "a column with scheduled minutes beside franvaro_minuter",
                "is missing",
            )
            return {"franvaro": out.assign(franvaro_andel=np.nan)}
        absent = _float_column(df, "franvaro_minuter", fails, lo=0, what="minutes absent")
        sched = _float_column(df, "schemalagd_tid_minuter", fails, lo=0, what="scheduled minutes")
        zero = sched.eq(0).fillna(False).astype(bool)
        fails.add_mask(df, zero, "schemalagd_tid_minuter", "scheduled minutes above 0", "is zero")
        over = (absent > sched).fillna(False).astype(bool)
        fails.add_mask(
            df, over, "franvaro_minuter", "at most the scheduled minutes", "is more than the scheduled time"
        )
        share = (absent / sched.where(~zero)).where(~over)
    out["franvaro_andel"] = share.astype(float)
    termin = _termin_column(df, fails)
    _duplicates(
        out.assign(_line=df["_line"], _termin=termin.fillna("")),
        ["lasar", "_termin", "elev_id", "skolenhetskod"],
        fails,
        "pupil, läsår, termin and unit",
        "lasar",
    )
    return _split_termin(out, termin, df, "franvaro")


def _svar(value: str) -> float | None | str:
    f = fold(value)
    if f == "" or f in ENKAT_SVAR:
        return "skip" if (f == "" or ENKAT_SVAR[f] is None) else ENKAT_SVAR[f]
    x = _number(value)
    return x if x is not None and 0 <= x <= 10 else None


def _read_enkat(df, fails, ctx):
    out = pd.DataFrame(index=df.index)
    out["lasar"] = _year_column(df, "lasar", fails)
    out["skolenhetskod"] = _skolenhetskod(df, fails)
    from pipeline.ingest.pseudonym import respondent_pseudonym

    key = ctx.pseudonym_key()
    out["respondent_id"] = _lookup(df["respondent_id"], lambda v: respondent_pseudonym(v, key))
    fails.add_mask(df, df["respondent_id"].eq(""), "respondent_id", "a respondent id", "is empty")
    out["enkat"] = _code_column(df, "enkat", fails, _ENKAT, "elev or vårdnadshavare")
    if "arskurs" in df.columns:
        ak = _lookup(df["arskurs"], lambda v: None if v == "" else _number(v))
        bad = df["arskurs"].ne("") & ~ak.isin(list(range(10)))
        fails.add_mask(df, bad, "arskurs", "a årskurs 0-9 or empty", "is not a årskurs")
        out["arskurs"] = ak.where(~bad).astype("Float64").round().astype("Int64")
    else:
        out["arskurs"] = pd.array([pd.NA] * len(df), dtype="Int64")
    if "kon" in df.columns:
        table = {**_KON, "": "", "vetej": "", "annat": "", "villintesvara": ""}
        kon = _code_column(df, "kon", fails, table, "flicka or pojke, or empty")
        out["kon"] = kon.replace("", None)
    else:
        out["kon"] = None
    out["omrade"] = _code_column(
        df, "omrade", fails, _OMRADE, "trygghet, studiero, stimulans, inflytande, normer och värden or helhet"
    )
    fails.add_mask(df, df["fraga"].eq(""), "fraga", "the question (text or code)", "is empty")
    out["fraga"] = df["fraga"]
    svar = _lookup(df["svar"], _svar)
    fails.add_mask(
        df,
        svar.isna(),
        "svar",
        "a score 0-10 or a Skolenkäten answer (Stämmer helt och hållet / ganska bra / ganska dåligt / inte alls / Vet ej)",
        "is not an answer",
    )
    keep = svar.ne("skip")
    out["poang"] = pd.to_numeric(svar.where(keep), errors="coerce")
    _duplicates(
        out.assign(_line=df["_line"]),
        ["lasar", "skolenhetskod", "respondent_id", "enkat", "fraga"],
        fails,
        "respondent and question",
        "fraga",
    )
    return {"enkat": out[keep.fillna(True).astype(bool)]}


def _lasar_of_date(value: str) -> int | None:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value.strip()[:10])
    if not m:
        return None
    y, mo, d = (int(x) for x in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return y + 1 if mo >= 7 else y


def _read_avvikelser(df, fails, ctx):
    out = pd.DataFrame(index=df.index)
    if "lasar" in df.columns:
        out["lasar"] = _year_column(df, "lasar", fails)
    else:
        y = _lookup(df["datum"], _lasar_of_date)
        fails.add_mask(
            df, y.isna(), "datum", "a date YYYY-MM-DD (läsår runs 1 July to 30 June)", "is not a date"
        )
        out["lasar"] = y.astype("Float64").round().astype("Int64")
    out["skolenhetskod"] = _skolenhetskod(df, fails)
    fails.add_mask(df, df["arende_id"].eq(""), "arende_id", "a case number", "is empty")
    out["arende_id"] = df["arende_id"]
    typ = _lookup(df["typ"], _snake)
    fails.add_mask(df, typ.eq(""), "typ", "the kind of incident, e.g. Kränkande behandling", "is empty")
    out["typ"] = typ
    if "datum" in df.columns:
        ok = _lookup(df["datum"], _lasar_of_date).notna()
        out["datum"] = df["datum"].str.strip().str[:10].where(ok, None)
    else:
        out["datum"] = None
    _duplicates(out.assign(_line=df["_line"]), ["arende_id"], fails, "case number", "arende_id")
    return {"avvikelser": out}


def _read_fs_personal(df, fails, ctx):
    out = pd.DataFrame(index=df.index)
    out["lasar"] = _year_column(df, "lasar", fails)
    out["skolenhetskod"] = _skolenhetskod(df, fails)
    out["antal_barn"] = _int_column(df, "antal_barn", fails, what="a count of children")
    out["arsarbetare"] = _float_column(
        df, "arsarbetare", fails, what="årsarbetare (full-time equivalents)"
    ).astype(float)
    out["arsarbetare_forskollararexamen"] = _float_column(
        df, "arsarbetare_forskollararexamen", fails, what="årsarbetare with förskollärarexamen"
    ).astype(float)
    over = (out["arsarbetare_forskollararexamen"] > out["arsarbetare"] + 1e-9).fillna(False)
    fails.add_mask(
        df,
        over.astype(bool),
        "arsarbetare_forskollararexamen",
        "at most arsarbetare",
        "is more than all årsarbetare",
    )
    out["antal_barngrupper"] = _int_column(df, "antal_barngrupper", fails, what="a count of groups")
    if ctx.installningar is not None:
        inst = ctx.installningar
    else:
        from pipeline.config import Installningar

        inst = Installningar()
    max_barn, max_ratio = inst.fs_max_barn_per_enhet, inst.fs_max_arsarbetare_per_barn
    many = (out["antal_barn"] > max_barn).fillna(False).astype(bool)
    fails.add_mask(
        df,
        many,
        "antal_barn",
        f"at most {max_barn} children in one unit (fs_max_barn_per_enhet in params/installningar.yml)",
        "is more children than any förskola has: a total or a typo?",
    )
    ratio = out["arsarbetare"] / out["antal_barn"].astype("Float64").where(out["antal_barn"] > 0)
    staff = (ratio > max_ratio).fillna(False).astype(bool) | (
        (out["antal_barn"] == 0) & (out["arsarbetare"] > 0)
    ).fillna(False).astype(bool)
    fails.add_mask(
        df,
        staff,
        "arsarbetare",
        f"at most {max_ratio:g} årsarbetare per child (fs_max_arsarbetare_per_barn in params/installningar.yml)",
        "is more årsarbetare than children: columns swapped or a typo?",
    )
    _duplicates(
        out.assign(_line=df["_line"]), ["lasar", "skolenhetskod"], fails, "unit and läsår", "skolenhetskod"
    )
    return {"fs_personal": out}


_GRUPP = {"samtliga": "samtliga", "totalt": "samtliga", "alla": "samtliga", "flickor": "flickor",
          "kvinnor": "flickor", "pojkar": "pojkar", "man": "pojkar"}  # fmt: skip


def _grupp(value: str) -> str | None:
    f = fold(value)
    if f in _GRUPP:
        return _GRUPP[f]
    s = value.strip()
    if re.fullmatch(r"[a-z0-9_]+(:[A-Za-z0-9_]+)?", s):
        return s
    return None


@lru_cache(maxsize=1)
def _indicator_ids() -> frozenset[str]:
    """Ids of the indicator registry, read from its YAML files (without importing the heavy
    ``pipeline.indicators`` package, which loads scipy and statsmodels)."""
    from pipeline.config import read_yaml
    from pipeline.paths import REPO_ROOT

    ids: set[str] = set()
    for name in ("indikatorer.yml", "indikatorer_publicerade.yml"):
        p = REPO_ROOT / "params" / name
        if p.exists():
            raw = read_yaml(p) or {}
            ids.update(str(e.get("id")) for e in raw.get("indikatorer", []) if isinstance(e, dict))
    return frozenset(ids)


def _read_riket(df, fails, ctx):
    known = _indicator_ids()
    out = pd.DataFrame(index=df.index)
    out["lasar"] = _year_column(df, "lasar", fails)
    out["skolform"] = _code_column(df, "skolform", fails, _SKOLFORM, "FS, GR, GY or VUX")
    out["niva"] = "riket"
    out["kommunkod"] = None
    out["skolenhetskod"] = None
    out["enhet"] = "Riket"
    out["typ_av_huvudman"] = None
    bad = ~df["indikator"].isin(known)
    fails.add_mask(
        df,
        bad,
        "indikator",
        "an indicator id of params/indikatorer.yml (e.g. meritvarde_17)",
        "is not an indicator in the registry",
    )
    out["indikator"] = df["indikator"]
    grupp = _lookup(df["grupp"], _grupp) if "grupp" in df.columns else pd.Series("samtliga", index=df.index)
    fails.add_mask(df, grupp.isna(), "grupp", "samtliga, flickor, pojkar or amne:<code>", "is not a group")
    out["grupp"] = grupp
    raw = df["varde"].str.replace(" ", "", regex=False)
    marker = raw.map(
        lambda v: {"..": "undertryckt", ".": "saknas", "": "saknas"}.get(
            v, "avrundad" if v.startswith("~") else ""
        )
    )
    value = _lookup(raw.str.lstrip("~"), lambda v: None if v in {"", ".", ".."} else _number(v))
    bad = marker.isin(["", "avrundad"]) & value.isna()
    fails.add_mask(
        df,
        bad,
        "varde",
        "a number (decimal comma or point), '..' (suppressed) or '.' (missing)",
        "is not a value",
    )
    out["varde"] = value.astype(float)
    if "antal" in df.columns:
        out["antal"] = _int_column(
            df.assign(antal=df["antal"].replace("", "0")), "antal", fails, what="a count"
        )
        out.loc[df["antal"].eq(""), "antal"] = pd.NA
    else:
        out["antal"] = pd.array([pd.NA] * len(df), dtype="Int64")
    out["markering"] = marker
    fails.add_mask(df, df["kalla"].eq(""), "kalla", "the source of the value", "is empty")
    out["kalla"] = df["kalla"]
    _duplicates(
        out.assign(_line=df["_line"]),
        ["lasar", "skolform", "indikator", "grupp"],
        fails,
        "läsår, skolform, indicator and group",
        "indikator",
    )
    return {"publicerad": out}


_READERS: dict[str, Callable] = {
    "skolenheter": _read_skolenheter,
    "elever": _read_elever,
    "betyg_gr": _read_betyg,
    "nationella_prov": _read_np,
    "kursbetyg_gy": _read_kursbetyg,
    "studievag_gy": _read_studievag,
    "vux_kurser": _read_vux,
    "franvaro": _read_franvaro,
    "enkat": _read_enkat,
    "avvikelser": _read_avvikelser,
    "fs_personal": _read_fs_personal,
    "referens_riket": _read_riket,
}


def read_sis(path: Path, ctx: ReadContext, kind: str | None = None) -> dict[str, pd.DataFrame]:
    """Read one SIS export into canonical table(s).

    Parameters
    ----------
    path
        The CSV file.
    ctx
        Column mappings (``ctx.kolumnmappning[kind]``: canonical column -> header) and the pseudonym key.
    kind
        The file kind (a key of :data:`KINDS`); recognised from the header row when omitted.

    Returns
    -------
    dict
        Canonical table name -> frame with exactly that table's columns.

    Raises
    ------
    DataValidationError
        With every failure of the file in ``failures`` (file, row, column, value, expected).
    """
    path = Path(path)
    if kind is None:
        found = classify(_decode(path.read_bytes()) if path.exists() else "", ctx.kolumnmappning)
        if found is None:
            raise DataValidationError(f"{path}: not recognised as any SIS export (see data/raw/README.md).")
        kind = found.name
    fk = KINDS[kind]
    df, fails = read_csv_kind(path, fk, ctx)
    tables = _READERS[kind](df, fails, ctx)
    fails.raise_if_any()
    from pipeline.validate.schemas import CANONICAL_TABLES

    out = {}
    for name, frame in tables.items():
        if name in SIDE_KEYS:
            out[name] = frame
            continue
        cols = list(CANONICAL_TABLES[name].to_schema().columns)
        out[name] = frame[cols].reset_index(drop=True)
    return out


def _detector(kind: str) -> Callable[[Sniff], bool]:
    def detect(s: Sniff) -> bool:
        if s.path.suffix.lower() not in {".csv", ".tsv"} or not s.head:
            return False
        found = classify(s.head, getattr(s, "kolumnmappning", {}) or {})
        return found is not None and found.name == kind

    return detect


def _reader(kind: str) -> Callable[[Path, ReadContext], dict[str, pd.DataFrame]]:
    def read(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
        return read_sis(path, ctx, kind)

    return read


for _kind in KINDS.values():
    register(
        Source(
            name=f"sis_{_kind.name}",
            description=_kind.description,
            detect=_detector(_kind.name),
            read=_reader(_kind.name),
        )
    )


# ------------------------------------------------------------------- identities for the leak scan


def collect_identities(raw: Path, ctx: ReadContext | None = None) -> tuple[set[str], set[str]]:
    """Names and ids of the pupils in the SIS exports under ``raw``, for the leak scanner.

    Returns ``(names, ids)``: every first and last name, and every personnummer in the forms it
    may be written (as in the file, 12 digits, 10 digits, with and without hyphen), every
    pseudonymous ``elev_id`` of the file, and the ``elev_id`` the pipeline derives from each
    personnummer. Nothing here is written anywhere; it only tells the scanner what to look for.
    """
    from pipeline.ingest.sources import list_raw_files, sniff

    ctx = ctx or ReadContext()
    names: set[str] = set()
    ids: set[str] = set()
    files, _ = list_raw_files(Path(raw))
    for path in files:
        if path.suffix.lower() not in {".csv", ".tsv", ".txt"}:
            continue
        kind = classify(sniff(path, ctx.kolumnmappning).head, ctx.kolumnmappning)
        if kind is None or not kind.pupil:
            continue
        try:
            df, _ = read_csv_kind(path, kind, ctx)
        except DataValidationError:
            continue  # ingest reports the file; here it only adds nothing to look for
        for col in ("fornamn", "efternamn"):
            if col in df.columns:
                names.update(v for v in df[col].astype(str) if v.strip())
        if "elev_id" in df.columns:
            ids.update(v for v in df["elev_id"].astype(str) if v.strip())
        if "personnummer" in df.columns:
            for value in set(df["personnummer"].astype(str)):
                norm = normalise_personnummer(value)
                if not norm:
                    continue
                ids.update(
                    {value.strip(), norm, norm[2:], f"{norm[:8]}-{norm[8:]}", f"{norm[2:8]}-{norm[8:]}"}
                )
                ids.add(pseudonymise(norm, ctx.pseudonym_key()))
    return names, ids
