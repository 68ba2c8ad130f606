"""Named points of the build where a test can kill it (test-only; a no-op unless asked).

With ``KVALITET_KILL_AT=<step>:<n>`` in the environment, the process sends itself SIGKILL the
``n``-th time it reaches :func:`checkpoint` for ``step`` (``n`` defaults to 1). That makes a
"killed at any moment" test deterministic: it names where the build dies instead of guessing
from the clock. Children (kernels, chromium) are not killed here; the test kills the process
group afterwards, as an operating system would clean up after a lost terminal.

Steps are listed in :data:`STEPS` (``tests/test_kill.py`` kills at each of them; the period
report's in ``tests/periods/test_period_e2e.py``).
"""

from __future__ import annotations

import os
import signal

ENV = "KVALITET_KILL_AT"

#: Every named point, where it is, in build order.
STEPS: dict[str, str] = {
    "ingest.file": "ingest: after each raw file is read and validated",
    "ingest.written": "ingest: the canonical tables are written to the staging folder, before the swap",
    "indicators.write": "indicators: after each indicator output file is written, before the stamp",
    "notebooks.job": "notebooks: after each job's result (executed, cached or failed) is recorded",
    "publish.start": "between the notebook jobs and publishing (nothing staged yet)",
    "publish.copy": "publishing: after each executed notebook is copied into the staging folder",
    "publish.files": "publishing: each time the staging folder is seen to hold one more file",
    "publish.manifest": "publishing: everything written and scanned, before the manifest",
    "swap.old_moved": "final swap: the old folder moved aside, the new one not yet in place",
    "swap.done": "final swap: the new folder in place, the old copy not yet removed",
    "period.swap": "period report (PERIOD=...): staged and scanned, before its folder is swapped in",
}

_seen: dict[str, int] = {}


def _target() -> tuple[str, int] | None:
    spec = os.environ.get(ENV, "").strip()
    if not spec:
        return None
    step, _, n = spec.partition(":")
    return step, int(n) if n else 1


def checkpoint(step: str) -> None:
    """Count one pass through ``step``; SIGKILL this process when ``KVALITET_KILL_AT`` says so."""
    target = _target()
    if target is None or target[0] != step:
        return
    _seen[step] = _seen.get(step, 0) + 1
    if _seen[step] >= target[1]:
        os.kill(os.getpid(), signal.SIGKILL)
