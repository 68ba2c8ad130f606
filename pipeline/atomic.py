"""All-or-nothing writes: a file or a whole directory appears complete, or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.killpoints import checkpoint


@contextmanager
def atomic_file(path: Path, mode: str = "wb") -> Iterator:
    """Write ``path`` through a temp file in the same folder, renamed into place on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` atomically."""
    with atomic_file(path, "wb") as fh:
        fh.write(data)


@contextmanager
def staged_directory(target: Path) -> Iterator[Path]:
    """Yield a fresh staging folder beside ``target``; on success it replaces ``target``.

    On any exception (or a kill) the staging folder is abandoned and ``target`` stays exactly as
    it was. Left-over staging folders from killed runs are removed on the next call.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes it 0700; the swapped-in folder follows the umask
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    swap_in(stage, target)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def recover(target: Path) -> None:
    """Undo what a kill between the two renames of :func:`swap_in` left behind.

    If ``target`` is missing but its previous copy (``.<name>.old-*``) is there, that copy is put
    back; then every left-over staging and old folder is removed.
    """
    target = Path(target)
    olds = sorted(target.parent.glob(f".{target.name}.old-*"))
    if not target.exists() and olds:
        os.replace(olds[-1], target)
        olds = olds[:-1]
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)
    for stage in target.parent.glob(f".{target.name}.staging-*"):
        shutil.rmtree(stage, ignore_errors=True)


def swap_in(stage: Path, target: Path) -> None:
    """Replace ``target`` by ``stage`` with two renames (the old copy is removed afterwards)."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()
        os.replace(target, old)
        checkpoint("swap.old_moved")
    os.replace(stage, target)
    checkpoint("swap.done")
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
