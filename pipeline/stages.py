"""One content-hash stage helper: inputs hashed into a key, outputs recorded with the key, the
stage skipped when the key is unchanged, every write atomic.

A stage's stamp is a small JSON file ``{"key": ..., "outputs": [...]}`` beside its outputs. The
stamp is removed before the outputs are rewritten and written (atomically) after them, so a kill
in between leaves no stamp over stale files: the next run recomputes.

Every build cache of the pipeline goes through this module, in three steps: the inputs are
hashed into a key (:func:`stage_key` over :func:`hash_frames`, :func:`hash_files`,
:func:`hash_named_files`, :func:`hash_tree` and plain settings), the key is recorded with the
output (a :class:`Stamp`: one JSON file, or one field of a manifest), and the step is skipped when
the recorded key equals the new one and the outputs are there:

- the ingest and a kommun's subset of the national ingest (``data/processed/_ingest.json``,
  :func:`pipeline.ingest.run_ingest`, :func:`pipeline.ingest.subset.write_kommun_subset`);
- the indicators (``data/processed/_indikatorer.json``, a :class:`Stage` of parquet frames);
- each notebook job (``reports/.build-<YEAR>/cache/<job>.json``; its key from
  :func:`pipeline.execution.plan_jobs`);
- the published report (``build_key`` in ``reports/<YEAR>/manifest.json``) and, for
  ``KOMMUN=all``, each kommun's report (``country_key`` in its manifest).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.atomic import write_bytes_atomic


def hash_frames(tables: Mapping[str, pd.DataFrame]) -> str:
    """A content hash of named frames (values and column names, not the index)."""
    h = hashlib.sha256()
    for name in sorted(tables):
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(tables[name], index=False).values.tobytes())
        h.update(",".join(tables[name].columns).encode())
    return h.hexdigest()


def hash_files(paths: Iterable[Path]) -> str:
    """A content hash of files, in the order given."""
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).read_bytes())
    return h.hexdigest()


def hash_named_files(paths: Iterable[Path], root: Path) -> str:
    """A content hash of files and their names relative to ``root`` (sorted): a renamed or moved
    file changes it."""
    h = hashlib.sha256()
    for p in sorted(Path(x) for x in paths):
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def tree_files(base: Path, *, skip_hidden: bool = True) -> list[Path]:
    """Every file below ``base`` (sorted), without ``__pycache__``, compiled files and, with
    ``skip_hidden``, dot-files and dot-folders; none when ``base`` is not a folder."""
    base = Path(base)
    if not base.is_dir():
        return []
    out = []
    for p in sorted(base.rglob("*")):
        rel = p.relative_to(base)
        if not p.is_file() or "__pycache__" in rel.parts or p.suffix in {".pyc", ".pyo"}:
            continue
        if skip_hidden and any(part.startswith(".") for part in rel.parts):
            continue
        out.append(p)
    return out


def hash_tree(base: Path, *, skip_hidden: bool = True) -> str:
    """A content hash of a folder: every file's relative name and bytes (see :func:`tree_files`)."""
    return hash_named_files(tree_files(base, skip_hidden=skip_hidden), Path(base))


def stage_key(inputs: Mapping[str, Any]) -> str:
    """The key of a stage: the SHA-256 of its inputs as canonical JSON (already-hashed frames and
    files, settings as plain values)."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Stamp:
    """Where a step records the key it was built from: the JSON file ``path``, its field ``field``.

    A stamp of its own (``{"key": ..., ...}``) or one field of a bigger record (``build_key`` in a
    report's ``manifest.json``). :meth:`read` never raises: a missing or unreadable file is no
    record, so the step runs again.
    """

    path: Path
    field: str = "key"

    def read(self) -> dict[str, Any]:
        """The recorded JSON object, or ``{}`` when there is none (missing, unreadable, not an object)."""
        try:
            data = json.loads(Path(self.path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def key(self) -> str | None:
        """The recorded key, or None."""
        value = self.read().get(self.field)
        return value if isinstance(value, str) else None

    def matches(self, key: str, outputs: Iterable[Path] = ()) -> bool:
        """True when the recorded key is ``key`` and every one of ``outputs`` exists."""
        return self.key() == key and all(Path(p).exists() for p in outputs)

    def write(self, key: str, *, indent: int | None = None, newline: bool = False, **fields: Any) -> None:
        """Record ``key`` (and ``fields``) atomically: after the outputs, never before them."""
        text = json.dumps({self.field: key, **fields}, indent=indent, sort_keys=True)
        write_bytes_atomic(Path(self.path), (text + ("\n" if newline else "")).encode())

    def clear(self) -> None:
        """Remove the record (before the outputs are rewritten: a kill in between re-runs the step)."""
        Path(self.path).unlink(missing_ok=True)


@dataclass(frozen=True)
class Stage:
    """A stage whose outputs are ``<folder>/<name>.parquet`` frames, recorded in ``<folder>/<stamp>``."""

    folder: Path
    stamp: str

    @property
    def stamp_path(self) -> Path:
        return Path(self.folder) / self.stamp

    def cached(self, key: str) -> dict[str, pd.DataFrame] | None:
        """The recorded outputs when the stamp holds ``key`` and every output exists; else None."""
        old = Stamp(self.stamp_path).read()
        names = old.get("outputs", [])
        if old.get("key") != key or not names:
            return None
        files = {n: Path(self.folder) / f"{n}.parquet" for n in names}
        if not all(f.exists() for f in files.values()):
            return None
        return {n: pd.read_parquet(f) for n, f in files.items()}

    def record(self, key: str, outputs: Mapping[str, pd.DataFrame], *, on_write=None) -> None:
        """Write every output atomically, then the stamp with ``key`` (the stamp goes first)."""
        stamp = Stamp(self.stamp_path)
        stamp.clear()
        for name, df in outputs.items():
            tmp = Path(self.folder) / f".{name}.parquet.tmp"
            df.to_parquet(tmp, index=False)
            os.replace(tmp, Path(self.folder) / f"{name}.parquet")
            if on_write is not None:
                on_write()
        stamp.write(key, outputs=sorted(outputs))
