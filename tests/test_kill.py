"""A build killed with SIGKILL at any moment leaves the previous report exactly as it was, and the
next build completes with the same result as an uninterrupted one (the cache never serves a
half-written artefact)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e_support import REPO, cli, tree_digest

pytestmark = pytest.mark.slow
YEAR = 2024
#: Where in a forced rebuild the kills land, as fractions of its duration (from the manifest's
#: step timings): while reading, in the notebooks, and twice while publishing/swapping.
KILL_FRACTIONS = (0.05, 0.35, 0.7, 0.9, 0.98)


def _start(root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "--root", str(root), "report", str(YEAR), "--force"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_kill_at_several_points(demo_build: Path, tmp_path: Path):
    root = tmp_path / "proj"
    shutil.copytree(demo_build, root, symlinks=True)
    report = root / "reports" / str(YEAR)
    manifest = json.loads((report / "manifest.json").read_text())
    full = sum(manifest["step_seconds"].values()) + 3.0  # + interpreter start-up
    baseline = tree_digest(report)
    killed = 0
    for frac in KILL_FRACTIONS:
        proc = _start(root)
        time.sleep(full * frac)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the build and its kernels
            killed += 1
        proc.wait()
        # The previous report is still there, whole (or, had the build finished, identical).
        now = tree_digest(report)
        now.pop("manifest.json", None)
        expected = {k: v for k, v in baseline.items() if k != "manifest.json"}
        assert now == expected, f"report changed after a kill at {frac:.0%} of a build"
    assert killed >= 3, "the build finished before most kill points; the test measured nothing"
    res = cli(root, "report", str(YEAR))
    assert res.returncode == 0, res.stderr[-3000:]
    after = tree_digest(report)
    after.pop("manifest.json", None)
    baseline.pop("manifest.json", None)
    assert after == baseline
    leftovers = [p.name for p in (root / "reports").iterdir() if p.name.startswith(f".{YEAR}")]
    assert not leftovers, leftovers
