"""The leak scanner: pupil-level information must never reach a published file.

:func:`scan_published` reads every published file and reports each hit as a :class:`Leak`
(file, location, kind, what matched). The build fails on any hit
(:func:`assert_no_leaks` raises :class:`~pipeline.errors.PrivacyLeakError`).

What it reads
    HTML/Markdown/QMD/YAML/CSV/JSON/text files (entities decoded, ``data:`` URIs skipped);
    PDF text, page by page (pypdf); every XLSX cell and sheet name (openpyxl); notebooks: every
    cell's source and every output's text (``text/plain``, ``text/html``, ``text/markdown``,
    streams, error tracebacks; images skipped). Other files (PNG, CSS fonts ...) are listed as
    skipped, not silently passed.

What it looks for
    - personnummer and samordningsnummer: ``YYMMDD-XXXX``/``YYMMDD+XXXX`` and ``YYYYMMDD-XXXX``
      with a valid date (day + 60 for samordningsnummer); and 10 or 12 digits in a row with a
      valid date *and* a valid Luhn check digit. Runs of digits inside longer alphanumeric tokens
      (hashes, base64) and decimal parts of numbers written with a decimal point are not
      candidates, and skolenhetskoder
      (8 digits) never match;
    - pupil ids (``forbidden_ids``, e.g. the pseudonymous ``elev_id`` values): as whole tokens;
    - names present in raw data (``forbidden_names``): whole words or phrases, case-insensitive;
      tokens shorter than 4 characters, common Swedish words and words of ``allowed_names`` (unit
      names, the huvudman, indicator labels) are skipped, so a pupil called "Ek" does not flag
      "Ekskolan" or the word "ek".
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.errors import PrivacyLeakError

TEXT_SUFFIXES = {
    ".html",
    ".htm",
    ".md",
    ".qmd",
    ".txt",
    ".csv",
    ".tsv",
    ".json",
    ".yml",
    ".yaml",
    ".xml",
    ".svg",
    ".js",
    ".css",
}

_DATA_URI = re.compile(r"data:[a-zA-Z0-9.+/-]+;base64,[A-Za-z0-9+/=\s]+")
_PNR_DASH = re.compile(r"(?<![0-9A-Za-z])(?P<date>\d{8}|\d{6})(?P<sep>[-+])(?P<tail>\d{4})(?![0-9A-Za-z])")
_PNR_PLAIN = re.compile(r"(?<![0-9A-Za-z])(?<!\d\.)(?P<digits>\d{12}|\d{10})(?![0-9A-Za-z])")
_TOKEN = re.compile(r"[0-9A-Za-z_\-]+")

#: Words that are names but also ordinary words or report vocabulary; never treated as a leak.
COMMON_WORDS = frozenset(
    """
    alla andel och att av for för fran från med men som den det eller till vid efter under over över
    skola skolan skolor enhet enheter elev elever barn lärare rektor huvudman kommun riket läsår
    flicka flickor pojke pojkar samtliga grupp grupper
    berg björk ek ask lind sol solros strand dal vik by holm lund sjö ström ros rosa gran hav
    """.split()
)


@dataclass(frozen=True)
class Leak:
    """One hit of the scanner.

    Attributes
    ----------
    file
        The file.
    location
        Where in it: ``line 12``, ``page 3``, ``sheet 'indikatorer' cell B7``, ``cell 4 output 1``.
    kind
        ``personnummer``, ``elev_id`` or ``namn``.
    match
        The text that matched (personnummer are masked in :meth:`describe`).
    """

    file: Path
    location: str
    kind: str
    match: str

    def describe(self) -> str:
        """A message line that does not repeat a personnummer in full, whatever matched it (the
        personnummer pattern, or a forbidden id that is a personnummer written some other way)."""
        shown = mask_personnummer(self.match)
        if self.kind == "personnummer" and shown == self.match:
            shown = self.match[:-4] + "****"
        return f"{self.file}, {self.location}: {self.kind} {shown!r}"


#: Ten or more digits in a row, with an optional separator before the last four: what a
#: personnummer may look like in a match, masked in every message.
_DIGIT_RUN = re.compile(r"(?<!\d)(\d{6,8})([-+ ]?)(\d{4})(?!\d)")


def mask_personnummer(text: str) -> str:
    """``text`` with the last four digits of every personnummer-like run replaced by ``****``, as
    the readers show them (``20080115-****``, ``0801159807`` -> ``080115****``)."""
    return _DIGIT_RUN.sub(lambda m: m.group(1) + m.group(2) + "****", text)


# --------------------------------------------------------------------------- checks


def luhn_ok(digits10: str) -> bool:
    """Luhn check of a 10-digit personnummer (YYMMDDNNNC)."""
    total = 0
    for i, ch in enumerate(digits10):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _valid_date(datepart: str) -> bool:
    """YYMMDD or YYYYMMDD, with samordningsnummer days (+60) allowed."""
    if len(datepart) == 8:
        year = int(datepart[:4])
        if not 1880 <= year <= 2099:
            return False
        mmdd = datepart[4:]
    else:
        year = 2000  # leap year: 29 February is a valid YYMMDD
        mmdd = datepart[2:]
    month, day = int(mmdd[:2]), int(mmdd[2:])
    if day > 60:
        day -= 60
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def find_personnummer(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, match)`` for every personnummer-like string in ``text``."""
    for m in _PNR_DASH.finditer(text):
        if _valid_date(m.group("date")):
            yield m.start(), m.group(0)
    for m in _PNR_PLAIN.finditer(text):
        d = m.group("digits")
        if _valid_date(d[:-4]) and luhn_ok(d[-10:]):
            yield m.start(), d


class _Matcher:
    def __init__(
        self, forbidden_names: Iterable[str], forbidden_ids: Iterable[str], allowed_names: Iterable[str]
    ) -> None:
        allowed_words = {w.casefold() for a in allowed_names for w in re.findall(r"\w+", str(a))}
        self.ids = {str(i) for i in forbidden_ids if str(i).strip()}
        names = set()
        for n in forbidden_names:
            n = " ".join(str(n).split())
            words = re.findall(r"\w+", n)
            if not words:
                continue
            if len(words) == 1:
                w = words[0].casefold()
                if len(w) < 4 or w in COMMON_WORDS or w in allowed_words or w.isdigit():
                    continue
            names.add(n)
        self.name_re = None
        if names:
            alts = sorted(
                (r"\s+".join(re.escape(w) for w in n.split(" ")) for n in names), key=lambda s: (-len(s), s)
            )
            self.name_re = re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)

    def scan(self, text: str) -> Iterator[tuple[int, str, str]]:
        for off, pnr in find_personnummer(text):
            yield off, "personnummer", pnr
        if self.ids:
            for m in _TOKEN.finditer(text):
                if m.group(0) in self.ids:
                    yield m.start(), "elev_id", m.group(0)
        if self.name_re is not None:
            for m in self.name_re.finditer(text):
                yield m.start(), "namn", m.group(0)


# --------------------------------------------------------------------------- readers


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _clean(text: str) -> str:
    return html.unescape(_DATA_URI.sub(" ", text))


def _scan_text(path: Path, text: str, matcher: _Matcher, prefix: str = "") -> list[Leak]:
    text = _clean(text)
    return [Leak(path, f"{prefix}line {_line_of(text, off)}", kind, m) for off, kind, m in matcher.scan(text)]


def _pdf_pages_text(path: Path) -> list[str] | None:
    """Each page's text via poppler's ``pdftotext`` (fast on big reports), or None without it."""
    import shutil
    import subprocess

    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    res = subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=False)
    if res.returncode != 0:
        return None
    pages = res.stdout.decode("utf-8", errors="replace").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _scan_pdf(path: Path, matcher: _Matcher) -> list[Leak]:
    from pypdf import PdfReader

    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.ERROR)  # Chromium's PDFs make pypdf warn about the trailer size
    try:
        reader = PdfReader(io.BytesIO(path.read_bytes()))
        texts = _pdf_pages_text(path)
        if texts is None:
            texts = [page.extract_text() or "" for page in reader.pages]
        out = []
        for n, text in enumerate(texts, start=1):
            out += [Leak(path, f"page {n}", kind, m) for _, kind, m in matcher.scan(text)]
        meta: Mapping[str, Any] = reader.metadata or {}
    finally:
        log.setLevel(level)
    for key in sorted(meta):
        out += [Leak(path, f"metadata {key}", kind, m) for _, kind, m in matcher.scan(str(meta[key]))]
    return out


def _scan_xlsx(path: Path, matcher: _Matcher) -> list[Leak]:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    wb = load_workbook(path, read_only=True, data_only=False)
    out = []
    try:
        props = wb.properties
        for key in ("title", "creator", "lastModifiedBy", "subject", "description", "keywords"):
            v = getattr(props, key, None)
            if v:
                out += [Leak(path, f"properties {key}", kind, m) for _, kind, m in matcher.scan(str(v))]
        for ws in wb.worksheets:
            out += [Leak(path, f"sheet name {ws.title!r}", kind, m) for _, kind, m in matcher.scan(ws.title)]
            for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
                for c, v in enumerate(row, start=1):
                    if v is None or isinstance(v, bool):
                        continue
                    if isinstance(v, float) and not v.is_integer():
                        continue  # a measured value, never an identity
                    s = str(int(v)) if isinstance(v, (int, float)) else str(v)
                    if len(s) < 4:
                        continue
                    for _, kind, m in matcher.scan(s):
                        out.append(Leak(path, f"sheet {ws.title!r} cell {get_column_letter(c)}{r}", kind, m))
    finally:
        wb.close()
    return out


def _scan_ipynb(path: Path, matcher: _Matcher) -> list[Leak]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []

    def txt(v: object) -> str:
        return "".join(v) if isinstance(v, list) else str(v)

    for ci, cell in enumerate(nb.get("cells", [])):
        out += _scan_text(path, txt(cell.get("source", "")), matcher, prefix=f"cell {ci} source ")
        for oi, o in enumerate(cell.get("outputs", []) or []):
            parts = []
            if "text" in o:
                parts.append(txt(o["text"]))
            for mime, v in (o.get("data") or {}).items():
                if mime.startswith("text/") or mime in ("application/json",):
                    parts.append(txt(v) if not isinstance(v, dict) else json.dumps(v, ensure_ascii=False))
            if "traceback" in o:
                parts.append("\n".join(o["traceback"]))
            if "evalue" in o:
                parts.append(str(o["evalue"]))
            out += _scan_text(path, "\n".join(parts), matcher, prefix=f"cell {ci} output {oi} ")
    return out


def _files(paths: Path | str | Iterable[Path | str]) -> list[Path]:
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    out: set[Path] = set()
    for p in items:
        p = Path(p)
        if p.is_dir():
            out.update(f for f in p.rglob("*") if f.is_file())
        elif p.is_file():
            out.add(p)
        else:
            raise FileNotFoundError(f"{p}: nothing to scan (no such file or folder).")
    return sorted(out)


def scan_published(
    paths: Path | str | Iterable[Path | str],
    *,
    forbidden_names: Iterable[str] = (),
    forbidden_ids: Iterable[str] = (),
    allowed_names: Iterable[str] = (),
    skipped: list[Path] | None = None,
) -> list[Leak]:
    """Scan every published file for personnummer, pupil ids and names from the raw data.

    Parameters
    ----------
    paths
        Files or folders (folders are searched recursively).
    forbidden_names
        Names present in the raw data (pupils, guardians, staff): whole words, case-insensitive.
    forbidden_ids
        Pupil ids (``elev_id``, raw pupil numbers) that must not appear as a token.
    allowed_names
        Names that are meant to be published (units, the huvudman): their words are never flagged
        as a single-word name.
    skipped
        When given, the files that were not readable as text/PDF/XLSX/notebook are appended.

    Returns
    -------
    list of Leak
        Every hit, sorted by file, location and match.
    """
    matcher = _Matcher(forbidden_names, forbidden_ids, allowed_names)
    leaks: list[Leak] = []
    seen: dict[tuple[str, bytes], list[Leak]] = {}  # a copied file (the PDF in site/data) is read once
    for f in _files(paths):
        suffix = f.suffix.lower()
        if suffix not in (".pdf", ".xlsx", ".ipynb", "", *TEXT_SUFFIXES):
            if skipped is not None:
                skipped.append(f)
            continue
        data = f.read_bytes()
        key = (suffix, hashlib.sha256(data).digest())
        if key in seen:
            leaks += [Leak(f, lk.location, lk.kind, lk.match) for lk in seen[key]]
            continue
        if suffix == ".pdf":
            found = _scan_pdf(f, matcher)
        elif suffix == ".xlsx":
            found = _scan_xlsx(f, matcher)
        elif suffix == ".ipynb":
            found = _scan_ipynb(f, matcher)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
            found = _scan_text(f, text, matcher)
        seen[key] = found
        leaks += found
    return sorted(set(leaks), key=lambda lk: (str(lk.file), lk.location, lk.kind, lk.match))


def assert_no_leaks(leaks: list[Leak], *, limit: int = 20) -> None:
    """Raise :class:`PrivacyLeakError` when the scan found anything.

    Raises
    ------
    PrivacyLeakError
        With the first ``limit`` hits (personnummer masked) and how to fix it.
    """
    if not leaks:
        return
    lines = "\n".join("  " + lk.describe() for lk in leaks[:limit])
    more = f"\n  ... and {len(leaks) - limit} more" if len(leaks) > limit else ""
    raise PrivacyLeakError(
        f"The leak scanner found {len(leaks)} piece(s) of pupil-level information in files about to be "
        f"published:\n{lines}{more}\nNothing was published. Remove the personal data from the written "
        "analyses or the data source, or check the notebook that displays it, and build again."
    )
