"""A build killed with SIGKILL at any moment leaves the previous report exactly as it was, and the
next build completes with the same result as an uninterrupted one (the cache never serves a
half-written artefact)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e_support import REPO, cli, make_project, tree_digest

pytestmark = pytest.mark.slow
YEAR = 2024
#: Seconds after start at which the build is killed: during ingest/indicators, during the
#: notebooks, and (late) during publishing; the last point is measured from a full build's time.
KILL_FRACTIONS = (0.1, 0.45, 0.8, 0.95)


def _start(root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "--root", str(root), "report", str(YEAR), "--force"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_kill_at_several_points(tmp_path: Path):
    root = make_project(tmp_path / "proj")
    t0 = time.monotonic()
    res = cli(root, "report", str(YEAR))
    assert res.returncode == 0, res.stderr[-3000:]
    # A forced rebuild takes about as long as the notebooks and publishing of the first build.
    t1 = time.monotonic()
    res = cli(root, "report", str(YEAR), "--force")
    assert res.returncode == 0, res.stderr[-3000:]
    full = time.monotonic() - t1
    assert full < (time.monotonic() - t0)
    report = root / "reports" / str(YEAR)
    baseline = tree_digest(report)
    killed = 0
    for frac in KILL_FRACTIONS:
        proc = _start(root)
        time.sleep(max(0.3, full * frac))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the build and its kernels
            killed += 1
        proc.wait()
        # The previous report is still there, whole.
        assert tree_digest(report) == baseline, f"report changed after a kill at {frac:.0%}"
    assert killed >= 3, "the build finished before most kill points; the test measured nothing"
    res = cli(root, "report", str(YEAR))
    assert res.returncode == 0, res.stderr[-3000:]
    after = tree_digest(report)
    after.pop("manifest.json", None)
    baseline.pop("manifest.json", None)
    assert after == baseline
    leftovers = [p.name for p in (root / "reports").iterdir() if p.name.startswith(f".{YEAR}")]
    assert not leftovers, leftovers
