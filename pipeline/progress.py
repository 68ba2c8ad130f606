"""What the user sees while a report builds: one line per step, and a bar where there is work to count.

Everything goes to stderr (stdout carries results). :func:`advance` is also a named kill point
(:mod:`pipeline.killpoints`), so the places a user sees progress are the places a test can kill.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.killpoints import checkpoint

_bars: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def log(msg: str) -> None:
    """One progress line on stderr."""
    print(msg, file=sys.stderr, flush=True)


def _tqdm(total: int | None, desc: str, unit: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, mininterval=0.5)


@contextmanager
def bar(step: str, total: int, desc: str, unit: str = "") -> Iterator[None]:
    """Show a bar of ``total`` for ``step`` while the block runs; :func:`advance` moves it.

    The bar appears on the first :func:`advance` (a step that turns out to have nothing to do,
    e.g. a cached ingest, shows no empty bar).
    """
    with _lock:
        _bars[step] = {"total": total, "desc": desc, "unit": unit, "bar": None}
    try:
        yield
    finally:
        with _lock:
            entry = _bars.pop(step, None)
        if entry and entry["bar"] is not None:
            entry["bar"].close()


def advance(step: str, n: int = 1) -> None:
    """Count ``n`` units of work of ``step`` (moves its bar, if one is shown) and pass its kill point."""
    with _lock:
        entry = _bars.get(step)
        if entry is not None:
            if entry["bar"] is None:
                entry["bar"] = _tqdm(entry["total"], entry["desc"], entry["unit"])
            entry["bar"].update(n)
    for _ in range(n):
        checkpoint(step)


def _count_files(folder: Path) -> int:
    try:
        return sum(1 for p in folder.rglob("*") if p.is_file())
    except OSError:  # a file renamed away while walking: count again next time
        return -1


@contextmanager
def watch_folder(
    step: str, folder: Path, desc: str, total: int | None = None, interval: float = 0.5
) -> Iterator[None]:
    """A bar of the files written under ``folder`` while the block runs (for steps that write many
    files without telling us, such as publishing); ``total`` is a guess (e.g. the last report's
    file count) or None."""
    stop = threading.Event()
    shown = _tqdm(total, desc, "files")
    seen = 0

    def poll() -> None:
        nonlocal seen
        while True:
            stopping = stop.wait(interval)
            count = _count_files(Path(folder))
            if count > seen:
                if shown.total is not None and count > shown.total:
                    shown.total = count
                shown.update(count - seen)
                new, seen = count - seen, count
                for _ in range(new):
                    checkpoint(step)
            if stopping:
                return

    thread = threading.Thread(target=poll, name="kvalitet-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        shown.close()
