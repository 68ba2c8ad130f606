"""One short line for a file no reader recognises: its name, the nearest known family and why it did not fit.

Recognition stays by content (``pipeline.ingest.sources.recognise``); this module only explains a
miss, so the message is short (no list of every known source) and says what to change:

    Grundskola - Betyg 7.csv: title 'Grundskola - Betyg årskurs 7, ...' is like 'Grundskola - Betyg
    årskurs 6' (skolverket_betyg_ak6) but does not match it; the header lacks 'Antal elever'

The nearest family is chosen by the file's kind: a Skolverket export by its title (difflib ratio)
and header, a parquet file by its columns (Kolada), a JSON Lines file by its keys (the statistics
API), a workbook by its sheets (Skolenkäten, the skolenhetsregister), a text file by its header row
(the SIS export kinds).
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from pathlib import Path
from types import ModuleType

from pipeline.ingest.sources import Sniff, sniff

_MAX = 300  # characters of the reason


def _loaded(name: str) -> ModuleType | None:
    """A reader module if recognition has imported it (never imported here: importing registers
    sources, and this module only explains what recognition already tried)."""
    return sys.modules.get(f"pipeline.ingest.{name}")


def _short(text: str, n: int = 70) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


def _family_title(pattern: re.Pattern) -> str:
    """A readable title from a family's title pattern ('^Grundskolan? - Betyg årskurs 6\\b' → ...)."""
    t = pattern.pattern.lstrip("^").replace(r"\b", "").replace("n?", "")
    t = re.sub(r"\(\?P<\w+>\[(\d)(\d)\]\)", r"\1/\2", t)
    return t.replace("\\", "")


def _quoted(cols) -> str:
    cols = list(cols)
    shown = ", ".join(f"'{c}'" for c in cols[:3])
    return shown + (f" (+{len(cols) - 3})" if len(cols) > 3 else "")


def _skolverket(s: Sniff) -> str | None:
    from pipeline.ingest.skolverket_format import read_sok_csv, read_sok_sheet

    sv = _loaded("skolverket")
    title = sv.title_of(s) if sv else ""
    if not title or sv is None:
        return None
    families = [(spec.name, _family_title(spec.title), spec.required + spec.dims) for spec in sv.REPORTS]
    families.append(("skolverket_jamforelse_over_tid", _family_title(sv.JAMFORELSE_TITLE), ()))
    lowered = title.lower()

    def score(f: tuple[str, str, tuple]) -> float:
        return difflib.SequenceMatcher(None, lowered[: len(f[1]) + 10], f[1].lower()).ratio()

    name, fam_title, needed = max(families, key=score)
    header: list[str] = []
    try:
        if s.path.suffix.lower() in (".xlsx", ".xlsm"):
            sheets = [x for x in s.sheets if not x.startswith("Rapportbeskrivning")]
            header = list(read_sok_sheet(s.path, sheets[0]).columns) if sheets else []
        else:
            header = list(read_sok_csv(s.path).columns)
    except Exception:  # noqa: BLE001 - the header only sharpens the message
        header = []
    lacks = [c for c in needed if header and c not in header]
    why = f"title '{_short(title, 50)}' is like '{fam_title}' ({name}) but does not match it"
    if lacks:
        why += f"; the header lacks {_quoted(lacks)}"
    elif header:
        why += "; the header has the columns that family needs (a new report type? see docs/realdata.md)"
    return why


def _parquet(s: Sniff) -> str | None:
    kolada = _loaded("kolada")
    if s.path.suffix.lower() != ".parquet" or kolada is None:
        return None
    cols = set(s.columns)
    families = {
        "kolada_data": kolada.DATA_COLUMNS,
        "kolada_tabell": kolada.TABELL_COLUMNS,
        "kolada_kpi_lista": kolada.KPI_LIST_COLUMNS,
        "kolada_kommunlista": kolada.KOMMUN_LIST_COLUMNS,
    }
    name, need = max(families.items(), key=lambda kv: (len(kv[1] & cols), -len(kv[1])))
    return f"columns {_quoted(sorted(cols)) or 'none'} are nearest {name} but lack {_quoted(sorted(need - cols))}"


def _json(s: Sniff) -> str | None:
    if s.path.suffix.lower() not in (".jsonl", ".json", ".ndjson"):
        return None
    keys: list[str] = []
    for line in s.head.splitlines():
        if line.strip():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                return "the first line is not a complete JSON record (expected one API response per line)"
            body = rec.get("json", {}).get("body", rec) if isinstance(rec, dict) else None
            keys = sorted(body) if isinstance(body, dict) else []
            break
    if "schoolUnit" in keys:
        return "keys are like skolverket_api_statistik ('schoolUnit') but hold none of its measures"
    if "geographicalAreaCode" in keys or "code" in keys:
        return (
            "keys are like skolverket_api_skolenheter but lack 'geographicalAreaCode' and 'typeOfSchooling'"
        )
    return f"keys {_quoted(keys) or 'none'} are nearest skolverket_api_statistik but lack 'schoolUnit'"


def _workbook(s: Sniff) -> str | None:
    register = _loaded("skolenhetsregister")
    SHEETS = register.SHEETS if register else {}  # noqa: N806
    if s.path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    sheets = list(s.sheets)
    if not sheets:
        return "the workbook could not be opened (is it an Excel file? save it again as .xlsx)"
    if any(x in SHEETS for x in sheets):
        return f"sheets {_quoted(sheets)} are like skolenhetsregistret but lack its columns"
    if any(x.startswith("Resultat") for x in sheets) or "Förklaring" in sheets:
        return (
            f"sheets {_quoted(sheets)} are like skolenkaten, which needs both 'Resultat ...' and 'Förklaring'"
        )
    return (
        f"sheets {_quoted(sheets)} are nearest a Skolverket export, which has a sheet 'Rapportbeskrivning' "
        "and the report title in its first rows"
    )


def _text(s: Sniff) -> str | None:
    sis = _loaded("sis")
    line = next((x for x in s.head.splitlines() if x.strip()), "")
    if not line or sis is None:
        return None
    KINDS, fold = sis.KINDS, sis.fold  # noqa: N806
    delim = max((";", ",", "\t"), key=line.count)
    headers = {fold(h) for h in line.split(delim)}

    def have(kind) -> int:
        return sum(fold(c) in headers for c in kind.signature)

    kind = max(KINDS.values(), key=lambda k: (have(k), -len(k.signature)))
    lacks = [c for c in kind.signature if fold(c) not in headers]
    if not have(kind):
        return (
            f"header '{_short(line, 60)}' is like no known family (Skolverket exports start with "
            "'Skolverket'; school system exports need their columns, see data/raw/README.md)"
        )
    return (
        f"header is nearest the school system export '{kind.name}' but lacks {_quoted(lacks)} "
        "(map other column names in params/kolumnmappning.yml)"
    )


def describe_unknown(path: Path, rel: str, kolumnmappning: dict | None = None) -> str:
    """``<rel>: <why>``: one short line for a file that is not recognised."""
    try:
        s = sniff(Path(path), kolumnmappning)
    except OSError as exc:
        return f"{rel}: could not be read ({exc.strerror})"
    for explain in (_skolverket, _parquet, _json, _workbook, _text):
        try:
            why = explain(s)
        except Exception as exc:  # noqa: BLE001 - an explanation must never hide the miss itself
            why = f"not recognised ({type(exc).__name__} while comparing with the known families)"
        if why:
            return f"{rel}: {why[:_MAX]}"
    return f"{rel}: not a known kind of file (suffix '{Path(path).suffix}')"
