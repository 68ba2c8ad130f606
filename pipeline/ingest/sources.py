"""Source recognition: every raw file is recognised by its content and routed to its reader.

A :class:`Source` is one file family (a Skolverket report type, the Skolverket API, Kolada,
Skolenkäten, the skolenhetsregister, or one kind of SIS export). Reader modules register their
sources with :func:`register`; :func:`recognise` asks each, in registration order, whether it
claims a file, from a :class:`Sniff` of its first bytes (decoded), its name and, for xlsx, its
sheet names.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import DataValidationError, UnknownSourceError

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

#: The largest raw file read, in bytes. Real exports are far smaller (the largest public file is
#: ~10 MB; a SIS grade export of a large municipality, ~300 000 rows, is ~20 MB); a bigger file is
#: refused from its size before any byte is read, so a stray disk image or a sparse file cannot
#: exhaust memory.
MAX_FILE_BYTES = 512 * 1024**2
#: Bytes read to recognise a text file.
SNIFF_BYTES = 8192
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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
    #: ``params.installningar`` (plausibility bounds of the SIS readers); ``None``: the defaults.
    installningar: Any = field(default=None, compare=False)
    #: Unit code changes to follow (``params/enhetsbyten.yml``; :mod:`pipeline.ingest.enhetsregister`).
    enhetsbyten: tuple = ()
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

        from pipeline.ingest.skolverket_format import check_xlsx_archive

        check_xlsx_archive(path)  # damaged or a zip bomb: refused before openpyxl reads it

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
    with open(path, "rb") as fh:
        raw = fh.read(SNIFF_BYTES)
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
    """Data files and documentation files under ``raw``, sorted, hidden files skipped.

    Raises
    ------
    DataValidationError
        Before any file is read: a symbolic link (to a file or a folder) that points outside
        ``raw``, a name with control characters, something that is not a regular file (a pipe, a
        device), a file larger than :data:`MAX_FILE_BYTES`, or the same content under two names
        (the same export dropped twice would count every pupil twice). Every problem is named.
    """
    raw = Path(raw)
    root = raw.resolve()
    data: list[Path] = []
    docs: list[Path] = []
    problems: list[tuple[str, dict]] = []

    def problem(path: Path, found: str, fix: str, expected: str) -> None:
        rel = path.relative_to(raw).as_posix()
        problems.append(
            (
                f"{raw / ascii(rel)[1:-1] if _CONTROL.search(rel) else path}: {found} (expected {expected}); {fix}.",
                {"file": rel, "row": None, "column": None, "value": None, "expected": expected},
            )
        )

    def outside(path: Path) -> bool:
        target = path.resolve()
        return target != root and root not in target.parents

    for dirpath, dirnames, filenames in os.walk(raw, followlinks=False):
        here = Path(dirpath)
        keep = []
        for name in sorted(dirnames):
            p = here / name
            if name.startswith("."):
                continue
            if _CONTROL.search(name):
                problem(
                    p,
                    f"a folder name with control characters ({name!r})",
                    "rename the folder without them",
                    "a name without control characters",
                )
                continue
            if p.is_symlink():
                if outside(p):
                    problem(
                        p,
                        f"a symbolic link to a folder outside the raw data folder (-> {os.readlink(p)})",
                        "copy the files into the raw data folder instead of linking to them, or remove the link",
                        "files inside the raw data folder",
                    )
                continue  # a link inside the raw folder would read its files twice: never followed
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            p = here / name
            if name.startswith("."):
                continue
            if _CONTROL.search(name):
                problem(
                    p,
                    f"a file name with control characters ({name!r})",
                    "rename the file without them (letters, digits, space, - and _ are safe)",
                    "a name without control characters",
                )
                continue
            if p.is_symlink() and outside(p):
                problem(
                    p,
                    f"a symbolic link to a file outside the raw data folder (-> {os.readlink(p)})",
                    "copy the file into the raw data folder instead of linking to it, or remove the link",
                    "files inside the raw data folder",
                )
                continue
            try:
                st = p.stat()
            except OSError as exc:
                problem(
                    p,
                    f"cannot be read ({exc.strerror})",
                    "check the file and its permissions",
                    "a readable file",
                )
                continue
            if not stat.S_ISREG(st.st_mode):
                problem(
                    p,
                    "not a regular file (a pipe, socket or device)",
                    "remove it from the raw data folder",
                    "a regular file",
                )
                continue
            if st.st_size > MAX_FILE_BYTES:
                problem(
                    p,
                    f"{st.st_size:,} bytes, more than any export (at most {MAX_FILE_BYTES:,} bytes are read)",
                    "remove it from the raw data folder, or split the export into smaller files",
                    f"at most {MAX_FILE_BYTES} bytes",
                )
                continue
            (docs if p.suffix.lower() in DOC_SUFFIXES else data).append(p)
    data.sort()
    docs.sort()
    if not problems:
        problems.extend(_duplicates(raw, data))
    if problems:
        head = (
            problems[0][0]
            if len(problems) == 1
            else (f"{len(problems)} problems in {raw}: " + " ".join(m for m, _ in problems[:5]))
        )
        raise DataValidationError(f"{head} Nothing was read.", [f for _, f in problems])
    return data, docs


def _duplicates(raw: Path, files: list[Path]) -> list[tuple[str, dict]]:
    """Files with identical content (compared by size, then sha256): the same export twice."""
    by_size: dict[int, list[Path]] = {}
    for p in files:
        by_size.setdefault(p.stat().st_size, []).append(p)
    out = []
    for group in by_size.values():
        if len(group) < 2:
            continue
        seen: dict[str, Path] = {}
        for p in group:
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                for chunk in iter(functools.partial(fh.read, 1 << 20), b""):
                    h.update(chunk)
            digest = h.hexdigest()
            if digest in seen:
                first = seen[digest]
                out.append(
                    (
                        f"{p}: the same content as {first} (sha256 {digest[:12]}...): the same export dropped "
                        "twice under two names would count every row twice; remove one of the two files.",
                        {
                            "file": p.relative_to(raw).as_posix(),
                            "row": None,
                            "column": None,
                            "value": first.relative_to(raw).as_posix(),
                            "expected": "each export once",
                        },
                    )
                )
            else:
                seen[digest] = p
    return out
