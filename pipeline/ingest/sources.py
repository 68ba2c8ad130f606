"""Source recognition: every raw file is recognised by its content and routed to its reader.

A :class:`Source` is one file family (a Skolverket report type, the Skolverket API, Kolada,
Skolenkäten, the skolenhetsregister, or one kind of SIS export). Reader modules register their
sources with :func:`register`; :func:`recognise` asks each, in registration order, whether it
claims a file, from a :class:`Sniff` of its first bytes (decoded), its name and, for xlsx, its
sheet names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.errors import UnknownSourceError

#: Reader modules, imported in this order; each calls :func:`register` at import.
READER_MODULES = (
    "pipeline.ingest.sis",
    "pipeline.ingest.skolverket",
    "pipeline.ingest.skolverket_api",
    "pipeline.ingest.kolada",
    "pipeline.ingest.skolenkaten",
    "pipeline.ingest.skolenhetsregister",
)

#: Files that are documentation, not data: listed as skipped, never read.
DOC_SUFFIXES = {".md", ".txt", ".pdf", ".html", ".rst"}


@dataclass(frozen=True)
class Sniff:
    """What recognition may look at: the path, the first lines (text files) or sheet names (xlsx)."""

    path: Path
    head: str = ""
    sheets: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()  # parquet column names
    #: ``ReadContext.kolumnmappning``, so SIS exports with renamed headers are still recognised.
    kolumnmappning: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ReadContext:
    """What a reader gets besides the path: column mappings and the huvudman's kommunkod."""

    kolumnmappning: dict = field(default_factory=dict)
    kommunkod: str | None = None
    jamforelsegrupp: tuple[str, ...] = ()
    #: The pseudonym key (HMAC); ``None``: the huvudman's key file (see :mod:`pipeline.ingest.pseudonym`).
    nyckel: bytes | None = field(default=None, repr=False, compare=False)

    def pseudonym_key(self) -> bytes:
        """The key pupil ids are derived with (read or created on first use; never logged)."""
        if self.nyckel is not None:
            return self.nyckel
        from pipeline.ingest.pseudonym import load_or_create_key

        return load_or_create_key(self.kommunkod)

    @property
    def salt(self) -> str:
        """A fingerprint of the pseudonym key (not the key), for the ingest cache key: the processed
        tables are rebuilt when the key changes."""
        from pipeline.ingest.pseudonym import fingerprint

        return fingerprint(self.pseudonym_key())


#: A reader returns partial canonical tables: name -> frame (columns as in pipeline.validate).
Reader = Callable[[Path, ReadContext], dict[str, pd.DataFrame]]


@dataclass(frozen=True)
class Source:
    """One file family: a name, a recogniser and a reader."""

    name: str
    description: str
    detect: Callable[[Sniff], bool]
    read: Reader


_SOURCES: list[Source] = []


def register(source: Source) -> Source:
    """Add a source to the registry (called by reader modules at import)."""
    if any(s.name == source.name for s in _SOURCES):
        raise ValueError(f"source {source.name!r} registered twice")
    _SOURCES.append(source)
    return source


def all_sources() -> tuple[Source, ...]:
    """Every registered source (imports the reader modules on first use)."""
    for mod in READER_MODULES:
        importlib.import_module(mod)
    return tuple(_SOURCES)


def sniff(path: Path, kolumnmappning: dict | None = None) -> Sniff:
    """Read just enough of ``path`` to recognise it."""
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True)
            sheets = tuple(wb.sheetnames)
            wb.close()
        except Exception:  # noqa: BLE001 - an unreadable workbook is simply not recognised
            sheets = ()
        return Sniff(path=path, sheets=sheets)
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            cols = tuple(pq.read_schema(path).names)
        except Exception:  # noqa: BLE001
            cols = ()
        return Sniff(path=path, columns=cols)
    raw = path.read_bytes()[:8192]
    head = ""
    # The 8 KB cut may split a multi-byte UTF-8 character: try dropping up to 3 trailing bytes
    # before falling back to cp1252 (else a UTF-8 file would be sniffed as mojibake).
    for cut in (0, 1, 2, 3):
        try:
            head = raw[: len(raw) - cut].decode("utf-8-sig")
            break
        except UnicodeDecodeError:
            continue
    else:
        head = raw.decode("cp1252", errors="replace")
    return Sniff(path=path, head=head, kolumnmappning=dict(kolumnmappning or {}))


def recognise(path: Path, ctx: ReadContext | None = None) -> Source:
    """Return the source that claims ``path`` (``ctx`` gives the column mappings, optional).

    Raises
    ------
    UnknownSourceError
        No source claims it; the message lists what is recognised and how.
    """
    s = sniff(path, ctx.kolumnmappning if ctx is not None else None)
    for source in all_sources():
        if source.detect(s):
            return source
    known = "; ".join(f"{x.name}: {x.description}" for x in all_sources())
    raise UnknownSourceError(
        f"{path}: not recognised as any known source. Known sources: {known}. "
        "Move the file out of the raw data folder, or, for a school information system export with "
        "other column names, add a mapping in params/kolumnmappning.yml (see data/raw/README.md)."
    )


def list_raw_files(raw: Path) -> tuple[list[Path], list[Path]]:
    """Data files and documentation files under ``raw``, sorted, hidden files skipped."""
    data, docs = [], []
    for p in sorted(Path(raw).rglob("*")):
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(raw).parts):
            continue
        (docs if p.suffix.lower() in DOC_SUFFIXES else data).append(p)
    return data, docs
