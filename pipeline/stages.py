"""One content-hash stage helper: inputs hashed into a key, outputs recorded with the key, the
stage skipped when the key is unchanged, every write atomic.

A stage's stamp is a small JSON file ``{"key": ..., "outputs": [...]}`` beside its outputs. The
stamp is removed before the outputs are rewritten and written (atomically) after them, so a kill
in between leaves no stamp over stale files: the next run recomputes.

Used by the indicator stage (:func:`pipeline.report.indicators`); the ingest ledger, the job
cache and the published report's ``build_key`` still keep their own records (see the README's
"what remains").
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


def stage_key(inputs: Mapping[str, Any]) -> str:
    """The key of a stage: the SHA-256 of its inputs as canonical JSON (already-hashed frames and
    files, settings as plain values)."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


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
        p = self.stamp_path
        try:
            old = json.loads(p.read_text()) if p.exists() else {}
        except (OSError, json.JSONDecodeError):
            return None
        names = old.get("outputs", [])
        if old.get("key") != key or not names:
            return None
        files = {n: Path(self.folder) / f"{n}.parquet" for n in names}
        if not all(f.exists() for f in files.values()):
            return None
        return {n: pd.read_parquet(f) for n, f in files.items()}

    def record(self, key: str, outputs: Mapping[str, pd.DataFrame], *, on_write=None) -> None:
        """Write every output atomically, then the stamp with ``key`` (the stamp goes first)."""
        self.stamp_path.unlink(missing_ok=True)
        for name, df in outputs.items():
            tmp = Path(self.folder) / f".{name}.parquet.tmp"
            df.to_parquet(tmp, index=False)
            os.replace(tmp, Path(self.folder) / f"{name}.parquet")
            if on_write is not None:
                on_write()
        write_bytes_atomic(self.stamp_path, json.dumps({"key": key, "outputs": sorted(outputs)}).encode())
