"""Ingest: recognise every raw file, read it, validate the canonical tables, write them at once.

``run_ingest`` is all-or-nothing: every file is read and every table validated (lazily, all
failures collected) before anything is written; then ``data/processed/`` is replaced as a whole.
On any failure a validation report is written to ``data/valideringsrapport.csv`` (outside
``data/processed/`` and ``reports/``) and a :class:`DataValidationError` is raised (exit 2).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.atomic import staged_directory, write_bytes_atomic
from pipeline.errors import DataValidationError, PipelineError, UnknownSourceError
from pipeline.ingest.enhetsregister import (
    BREAKS_TABLE,
    REGISTER_TABLE,
    follow_code_changes,
    trend_breaks,
    unit_register,
)
from pipeline.ingest.ledger import (
    LEDGER_KEY,
    ORSAKER,
    UNIT_KOMMUN_KEY,
    UNPLACED_KEY,
    Ledger,
    ledger_frame,
)
from pipeline.ingest.nearest import describe_unknown
from pipeline.ingest.overlap import file_vintage, merge_publicerad
from pipeline.ingest.sources import ReadContext, list_raw_files, recognise
from pipeline.killpoints import checkpoint
from pipeline.progress import advance
from pipeline.stages import Stamp, hash_files, stage_key
from pipeline.validate.schemas import CANONICAL_TABLES, empty_table, validate_table

INGEST_STAMP = "_ingest.json"
#: Beside the canonical tables: what was read but not published (for the log and the method page).
LEDGER_FILE = "ej_publicerat.parquet"


@dataclass
class IngestResult:
    """What an ingest run read and wrote."""

    files: dict[str, str] = field(default_factory=dict)  # relative path -> source name
    skipped_docs: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    input_hashes: dict[str, str] = field(default_factory=dict)
    cached: bool = False
    #: What was read but not published, and what could not be placed (pipeline.ingest.ledger).
    ej_publicerat: pd.DataFrame = field(default_factory=ledger_frame)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _code_hash() -> str:
    base = Path(__file__).resolve().parent.parent
    return hash_files(p for sub in ("ingest", "validate") for p in sorted((base / sub).rglob("*.py")))


def sort_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Canonical row order: sorted by every column, index reset (determinism)."""
    cols = list(CANONICAL_TABLES[name].to_schema().columns)
    df = df[cols]
    if df.empty:
        return df.reset_index(drop=True)
    return df.sort_values(cols, kind="mergesort", na_position="first").reset_index(drop=True)


def read_all(
    raw: Path, ctx: ReadContext, *, report_path: Path | None = None, skip_unknown: bool = False
) -> tuple[dict[str, pd.DataFrame], IngestResult]:
    """Read and validate every file under ``raw``; raise with all failures, write nothing.

    On failure the validation report (every failure, one row each) goes to ``report_path``
    (default ``valideringsrapport.csv`` beside ``raw``); the raw folder itself is never written.

    A file no reader recognises is one short line (:func:`pipeline.ingest.nearest.describe_unknown`:
    its name, the nearest family and why it did not fit). Unrecognised files stop the run (exit 2)
    unless ``skip_unknown``; then they are left out and stated in the ledger (``okand_fil``).
    """
    result = IngestResult()
    data_files, docs = list_raw_files(raw)
    result.skipped_docs = [p.relative_to(raw).as_posix() for p in docs]
    if not data_files:
        raise DataValidationError(
            f"{raw}: no data files found. Put the year's exports there (see data/raw/README.md), "
            "or run `make data` for the demo data set."
        )
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in CANONICAL_TABLES}
    failures: list[dict] = []
    messages: list[str] = []
    origins: list[tuple[str, str, pd.DataFrame]] = []  # (file, table, frame) for cross-table checks
    ledgers: list[pd.DataFrame] = []
    unit_maps: list[pd.DataFrame] = []
    unplaced: list[tuple[str, str, pd.DataFrame]] = []
    unknown: list[tuple[str, str]] = []  # (file, one line: name, nearest family, why)
    pub_files: list[tuple[str, pd.DataFrame]] = []  # (file, publicerad rows) for the overlap merge
    vintages: dict[str, str | None] = {}
    for path in data_files:
        rel = path.relative_to(raw).as_posix()
        result.input_hashes[rel] = file_sha256(path)
        try:
            source = recognise(path, ctx)
            tables = source.read(path, ctx)
        except UnknownSourceError:
            hint, row = _unreadable_hint(path)
            # a precise reason (empty, UTF-16, not text) beats the nearest family
            line = (
                hint.replace(str(path), rel, 1) if hint else describe_unknown(path, rel, ctx.kolumnmappning)
            )
            unknown.append((rel, line))
            if not skip_unknown:
                failures.append(
                    {"file": rel, "row": row, "column": None, "value": line, "expected": "a known source"}
                )
            continue
        except DataValidationError as exc:
            messages.append(str(exc))
            failures.extend(
                exc.failures
                or [{"file": rel, "row": None, "column": None, "value": None, "expected": str(exc)}]
            )
            continue
        result.files[rel] = source.name
        for name, frame in tables.items():
            if name == LEDGER_KEY:
                ledgers.append(frame.assign(fil=rel, kalla=source.name))
                continue
            if name == UNIT_KOMMUN_KEY:
                unit_maps.append(frame)
                continue
            if name == UNPLACED_KEY:
                unplaced.append((rel, source.name, frame))
                continue
            if name not in parts:
                raise PipelineError(f"reader {source.name!r} returned unknown table {name!r}")
            parts[name].append(frame)
            origins.append((rel, name, frame))
            if name == "publicerad":
                pub_files.append((rel, frame))
                vintages[rel] = file_vintage(path, source.name)
        advance("ingest.file")
    if unknown and not skip_unknown:
        messages.insert(
            0,
            f"{len(unknown)} file(s) in {raw} not recognised:\n  "
            + "\n  ".join(line for _, line in unknown)
            + "\n"
            "Move them out of the folder, or build without them with --skip-unknown (make: SKIP_UNKNOWN=1).",
        )
    for rel, why in unknown if skip_unknown else []:
        ledgers.append(ledger_frame([{"fil": rel, "kalla": "okand", "slag": ORSAKER["okand_fil"],
                                      "orsak": "okand_fil", "antal": 1, "detalj": why.removeprefix(f"{rel}: ")}]))  # fmt: skip
    for rel, name, frame, ledger in place_units(unplaced, unit_maps, parts, ctx):
        parts["publicerad"].append(frame)
        pub_files.append((rel, frame))
        origins.append((rel, "publicerad", frame))
        ledgers.append(ledger.frame().assign(fil=rel, kalla=name))
    if pub_files:
        merged, dropped, conflicts = merge_publicerad(pub_files, vintages)
        parts["publicerad"] = [merged]
        messages.extend(conflicts)
        failures.extend(
            {"file": "; ".join(sorted({r for r, _ in pub_files})[:3]), "row": None, "column": "varde",
             "value": None, "expected": c}
            for c in conflicts
        )  # fmt: skip
        ledgers.extend(led.frame().assign(fil=rel, kalla=result.files.get(rel, "")) for rel, led in dropped)
        # a unit whose code changed: its history joined under the new code (params/enhetsbyten.yml)
        parts["publicerad"][0], _ = follow_code_changes(merged, ctx.enhetsbyten)
    ledgers = [f for f in ledgers if not f.empty]
    if ledgers:
        result.ej_publicerat = ledger_frame(pd.concat(ledgers, ignore_index=True).to_dict("records"))
    out: dict[str, pd.DataFrame] = {}
    for name, frames in parts.items():
        frames = [f for f in frames if not f.empty]
        if name == "skolenheter" and frames:
            # Several files may name the same unit (SIS register, Skolverket exports, the
            # skolenhetsregister): one row per unit and form, the newest file's row winning.
            from pipeline.ingest.skolverket_format import merge_skolenheter

            df = merge_skolenheter(frames)
        else:
            df = pd.concat(frames, ignore_index=True) if frames else empty_table(name)
        try:
            df = validate_table(
                name, df, source=f"table {name} (from {', '.join(sorted(result.files))[:200]})"
            )
        except DataValidationError as exc:
            messages.append(str(exc))
            failures.extend(exc.failures)
            continue
        out[name] = sort_table(name, df)
        result.rows[name] = len(df)
    if "publicerad" in out and not messages:
        # the unit register across years and the breaks in each unit's series (for the unit pages)
        out[REGISTER_TABLE] = unit_register(out["publicerad"], out.get("skolenheter"), ctx.enhetsbyten)
        out[BREAKS_TABLE] = trend_breaks(out[REGISTER_TABLE], ctx.enhetsbyten)
    if "skolenheter" in out and not messages:  # a file that failed would make every code look unknown
        strays = check_unit_codes(out["skolenheter"], origins, raw)
        messages.extend(m for m, _ in strays)
        failures.extend(f for _, f in strays)
    if messages:
        report = Path(report_path) if report_path else Path(raw).resolve().parent / "valideringsrapport.csv"
        try:
            write_bytes_atomic(report, pd.DataFrame(failures).to_csv(index=False).encode("utf-8"))
            where = f" Every failure is listed in {report}."
        except OSError:
            where = ""
        head = messages[0] if len(messages) == 1 else f"{len(messages)} problems; the first: {messages[0]}"
        raise DataValidationError(f"{head}{where} Nothing was written to data/processed/.", failures)
    return out, result


def place_units(
    unplaced: list[tuple[str, str, pd.DataFrame]],
    unit_maps: list[pd.DataFrame],
    parts: dict[str, list[pd.DataFrame]],
    ctx: ReadContext,
) -> list[tuple[str, str, pd.DataFrame, Ledger]]:
    """Place records whose file does not name their kommun (the statistics API) with every file's units.

    ``skolenhetskod → kommunkod`` comes from every file that names units (Skolverket's skolenhet
    exports, the skolenhetsregister, Skolenkäten, the API's details), before their kommun filter;
    names and huvudman types from the rows read. Records of the report's kommun are kept (with
    kommunkod, name and type filled in); those of another kommun, and those no file places, are
    counted in the ledger (``annan_kommun``, ``enhet_utan_kommun`` with the codes): never dropped
    silently. Returns ``(file, source, placed frame, ledger)`` per file.
    """
    if not unplaced:
        return []
    maps = [m for m in unit_maps if not m.empty]
    kommun_of: dict[str, str] = {}
    if maps:
        allmap = pd.concat(maps, ignore_index=True).drop_duplicates("skolenhetskod", keep="last")
        kommun_of = dict(zip(allmap["skolenhetskod"], allmap["kommunkod"], strict=True))
    name_of: dict[str, str] = {}
    typ_of: dict[str, str] = {}
    for f in parts.get("skolenheter", []):
        if not f.empty:
            name_of.update(zip(f["skolenhetskod"], f["enhet"], strict=True))
    for f in parts.get("publicerad", []):
        rows = f[(f["niva"] == "enhet") & f["enhet"].notna() & (f["skolenhetskod"] != "")]
        if not rows.empty:
            name_of.update(zip(rows["skolenhetskod"], rows["enhet"], strict=True))
            typed = rows[rows["typ_av_huvudman"].notna()]
            typ_of.update(zip(typed["skolenhetskod"], typed["typ_av_huvudman"], strict=True))
    out = []
    for rel, source, frame in unplaced:
        ledger = Ledger()
        if frame.empty:
            continue
        kommun = frame["skolenhetskod"].map(kommun_of)
        # a national read (no kommun: KOMMUN=all) keeps every placed unit in its own kommun
        mine = (kommun.notna() if ctx.kommunkod is None else kommun == ctx.kommunkod).to_numpy()
        placed = frame[mine].copy()
        placed["kommunkod"] = kommun[mine].to_numpy() if ctx.kommunkod is None else ctx.kommunkod
        placed["enhet"] = placed["enhet"].fillna(placed["skolenhetskod"].map(name_of))
        placed["typ_av_huvudman"] = placed["typ_av_huvudman"].fillna(placed["skolenhetskod"].map(typ_of))
        other = kommun.notna() & ~mine
        ledger.add("annan_kommun", int(frame.loc[other, "skolenhetskod"].nunique()))
        lost = frame.loc[kommun.isna(), "skolenhetskod"]
        ledger.add("enhet_utan_kommun", int(lost.nunique()), detalj=sorted(lost.unique()))
        out.append((rel, source, placed.reset_index(drop=True), ledger))
    return out


#: Tables whose rows are about one unit of the huvudman's own (from its SIS and other systems).
#: ``publicerad`` is not among them: published files cover units of other organisers too.
UNIT_TABLES = (
    "elever", "betyg", "nationella_prov", "kursbetyg", "gy_studievag", "vux_kurser",
    "franvaro", "enkat", "avvikelser", "fs_personal",
)  # fmt: skip


def check_unit_codes(
    skolenheter: pd.DataFrame, origins: list[tuple[str, str, pd.DataFrame]], raw: Path
) -> list[tuple[str, dict]]:
    """Every skolenhetskod in the unit-level tables must be in the unit register (``skolenheter``).

    A grade, pupil or staffing row for a unit the register does not know cannot be named, placed
    in a school form or published; it is usually a typo or a unit missing from the register export.
    Returns ``(message, failure)`` pairs, one per file and unknown code.
    """
    known = set(skolenheter["skolenhetskod"].dropna().astype(str))
    out: list[tuple[str, dict]] = []
    for rel, table, frame in origins:
        if table not in UNIT_TABLES or frame.empty or "skolenhetskod" not in frame.columns:
            continue
        codes = frame["skolenhetskod"].dropna().astype(str)
        missing = sorted(set(codes) - known)
        for code in missing:
            n = int((codes == code).sum())
            where = Path(raw) / rel
            have = ", ".join(sorted(known)[:10]) + (" ..." if len(known) > 10 else "") if known else "none"
            msg = (
                f"{where}, column 'skolenhetskod': {code!r} ({n} row(s), table {table}) is not a unit in the "
                f"unit register (table skolenheter; known: {have}). Add the unit to the skolenheter export "
                "(or drop the Skolverket register/report that lists it into data/raw/), or correct the code."
            )
            out.append(
                (
                    msg,
                    {
                        "file": rel,
                        "row": None,
                        "column": "skolenhetskod",
                        "value": code,
                        "expected": "a skolenhetskod of the unit register (skolenheter)",
                    },
                )
            )
    return out


def _unreadable_hint(path: Path) -> tuple[str, int | None]:
    """A precise message (and its row) for a file that is not recognised because it is empty or not
    UTF-8/cp1252 text; ``("", None)`` otherwise."""
    if path.suffix.lower() in {".xlsx", ".xlsm", ".parquet"}:
        return "", None
    head = path.read_bytes()[:4096]
    if not head.strip():
        return (
            f"{path}, row 1: the file is empty ({len(head)} bytes), so it cannot be recognised; export it "
            "again, or remove it from data/raw/."
        ), 1
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head:
        return (
            f"{path}, row 1: the file is UTF-16 text (Excel's 'Unicode text'), which is not read; save it as "
            "CSV UTF-8 (Excel: 'CSV UTF-8 (kommaavgränsad)') and run again."
        ), 1
    data = path.read_bytes()
    try:
        data.decode("utf-8-sig")
        return "", None
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    before = data[:bad_at]
    try:
        data.decode("cp1252")
        cp1252 = True
    except UnicodeDecodeError:
        cp1252 = False
    if cp1252 and not any(b >= 0x80 for b in before):
        return "", None  # plausibly cp1252 text that is simply not a known format
    row = before.count(b"\n") + 1
    byte = data[bad_at : bad_at + 1].hex().upper()
    return (
        f"{path}, row {row}: byte 0x{byte} is not valid UTF-8"
        + ("" if cp1252 else " nor cp1252 (Windows) text")
        + ", so the header could not be read and the file not recognised; save the export as CSV UTF-8 "
        "(Excel: 'CSV UTF-8 (kommaavgränsad)') and run again."
    ), row


def run_ingest(
    raw: Path, processed: Path, ctx: ReadContext, *, force: bool = False, skip_unknown: bool = False
) -> IngestResult:
    """Read ``raw`` into ``processed`` (all-or-nothing); skip when inputs and code are unchanged.

    ``skip_unknown``: leave unrecognised files out (stated in the ledger) instead of stopping.
    """
    raw, processed = Path(raw), Path(processed)
    data_files, _ = list_raw_files(raw)
    inputs = {p.relative_to(raw).as_posix(): file_sha256(p) for p in data_files}
    key = {
        "inputs": inputs,
        "code": _code_hash(),
        "context": {
            "kolumnmappning": ctx.kolumnmappning,
            "kommunkod": ctx.kommunkod,
            "salt": ctx.salt,
            "enhetsbyten": [b.model_dump() for b in ctx.enhetsbyten],
        },
        "raw": str(raw.resolve()),
        "skip_unknown": skip_unknown,
    }
    key_hash = stage_key(key)
    stamp = Stamp(processed / INGEST_STAMP)
    if not force and stamp.matches(key_hash, [processed / f"{n}.parquet" for n in CANONICAL_TABLES]):
        old = stamp.read()
        res = IngestResult(
            files=old.get("files", {}), rows=old.get("rows", {}), input_hashes=inputs, cached=True
        )
        if (processed / LEDGER_FILE).exists():
            res.ej_publicerat = pd.read_parquet(processed / LEDGER_FILE)
        return res
    tables, result = read_all(
        raw, ctx, report_path=processed.parent / "valideringsrapport.csv", skip_unknown=skip_unknown
    )
    with staged_directory(processed) as stage:
        for name, df in tables.items():
            df.to_parquet(stage / f"{name}.parquet", index=False)
        result.ej_publicerat.to_parquet(stage / LEDGER_FILE, index=False)
        (stage / ".gitkeep").touch()  # the folder is tracked empty in the repository
        Stamp(stage / INGEST_STAMP).write(key_hash, indent=1, files=result.files, rows=result.rows)
        # Other data sources keep their tables in sub-folders (ProjectPaths.for_source): carry them over.
        if processed.is_dir():
            for sub in sorted(processed.iterdir()):
                if sub.is_dir() and not sub.name.startswith("."):
                    os.replace(sub, stage / sub.name)
        checkpoint("ingest.written")
    return result


def load_tables(processed: Path) -> dict[str, pd.DataFrame]:
    """Read every canonical table from ``processed``."""
    out = {}
    for name in CANONICAL_TABLES:
        p = Path(processed) / f"{name}.parquet"
        if not p.exists():
            raise DataValidationError(f"{p}: missing; run `python -m pipeline ingest` first.")
        out[name] = pd.read_parquet(p)
    return out
