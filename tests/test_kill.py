"""A build killed with SIGKILL at a named point leaves the previous report exactly as it was, and
the next build succeeds with the same report and leaves no staging or temp folder behind.

The kills are deterministic: ``KVALITET_KILL_AT=<step>:<n>`` (``pipeline/killpoints.py``) makes
the build SIGKILL itself the n-th time it reaches ``step``; no timing is involved, so a slow or
busy machine changes nothing. Each case first makes the build do the work the point lies in
(re-read the raw data, recompute indicators, re-run three notebooks, or re-publish).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.killpoints import ENV, STEPS
from tests.e2e_support import REPO, cli, tree_digest

pytestmark = pytest.mark.slow
YEAR = 2024

#: (kill point, what the killed run is made to redo). "publish.files" is filled in from the
#: report's file count (half of it), so that the kill lands in the middle of publishing.
POINTS = [
    ("ingest.file:2", "ingest"),
    ("ingest.written:1", "ingest"),
    ("indicators.write:1", "indicators"),
    ("notebooks.job:14", "notebooks"),  # 13 cached results, then the first of three re-run jobs
    ("notebooks.job:15", "notebooks"),
    ("publish.start:1", "publish"),
    ("publish.copy:5", "publish"),
    ("publish.files:HALF", "publish"),
    ("publish.manifest:1", "publish"),
    ("swap.done:1", "publish"),
    ("swap.old_moved:1", "publish"),
]


def _leftovers(root: Path) -> list[str]:
    """Staging, old-copy and temp files or folders anywhere in the project."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if ".staging-" in p.name or ".old-" in p.name or p.name.endswith(".tmp")
    )


def _killed_run(root: Path, point: str, log: Path) -> int:
    """Run ``report YEAR`` with the kill point set; return its exit status (-9 when it killed itself)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "--root", str(root), "report", str(YEAR)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, ENV: point},
            start_new_session=True,
        )
        code = proc.wait()
    try:  # its kernels and chromium, orphaned by the kill (as a lost terminal's would be)
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return code


def _prepare(root: Path, redo: str) -> None:
    """Make the next build redo the work ``redo`` (everything else comes from the caches)."""
    if redo == "ingest":
        (root / "data" / "processed" / "_ingest.json").unlink()
    elif redo == "indicators":
        (root / "data" / "processed" / "_indikatorer.json").unlink()
    elif redo == "notebooks":
        records = sorted((root / "reports" / f".build-{YEAR}" / "cache").rglob("*.json"))
        assert len(records) == 16, records
        for rec in records[:3]:
            rec.unlink()
    elif redo == "publish":
        manifest = root / "reports" / str(YEAR) / "manifest.json"
        data = json.loads(manifest.read_text())
        data["build_key"] = "stale"  # the published report no longer matches: the build re-publishes
        manifest.write_text(json.dumps(data))


def _without_manifest(digest: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in digest.items() if k != "manifest.json"}


def test_points_cover_every_named_step():
    # the period report's point is killed in tests/periods/test_period_e2e.py
    assert {p.split(":")[0] for p, _ in POINTS} | {"period.swap"} == set(STEPS)


def test_killpoint_is_a_no_op_unless_named(monkeypatch):
    from pipeline.killpoints import checkpoint

    monkeypatch.delenv(ENV, raising=False)
    checkpoint("swap.done")  # would kill the test process if it did anything
    monkeypatch.setenv(ENV, "publish.start:2")
    checkpoint("swap.done")  # another step
    checkpoint("publish.start")  # the first of two passes


def test_kill_at_named_points(demo_build: Path, tmp_path: Path):
    root = tmp_path / "proj"
    shutil.copytree(demo_build, root, symlinks=True)
    report = root / "reports" / str(YEAR)
    baseline = _without_manifest(tree_digest(report))
    original_manifest = (report / "manifest.json").read_bytes()
    assert not _leftovers(root), _leftovers(root)
    covered = []
    for point, redo in POINTS:
        point = point.replace("HALF", str(len(baseline) // 2))
        _prepare(root, redo)
        manifest_before = (report / "manifest.json").read_bytes()
        code = _killed_run(root, point, tmp_path / f"{point}.log")
        log = (tmp_path / f"{point}.log").read_text(errors="replace")
        assert code == -signal.SIGKILL, (
            f"{point}: the build was not killed there (exit {code}):\n{log[-3000:]}"
        )
        # The previous report is untouched (after the final swap: the same report, newly built);
        # between the two renames of the swap it is the old copy beside the missing folder.
        if report.exists():
            assert _without_manifest(tree_digest(report)) == baseline, (
                f"report changed after a kill at {point}"
            )
            if not point.startswith("swap.done"):
                assert (report / "manifest.json").read_bytes() == manifest_before, point
        else:
            assert point.startswith("swap.old_moved"), f"{point}: the report folder is gone"
            (old,) = sorted(report.parent.glob(f".{YEAR}.old-*"))
            assert _without_manifest(tree_digest(old)) == baseline
        if redo == "publish" and report.exists():
            # the test's own stale key undone: only what the kill left behind is left to recover
            (report / "manifest.json").write_bytes(original_manifest)
        res = cli(root, "report", str(YEAR))
        assert res.returncode == 0, f"the build after a kill at {point} failed:\n{res.stderr[-3000:]}"
        assert _without_manifest(tree_digest(report)) == baseline, (
            f"the build after a kill at {point} differs"
        )
        assert not _leftovers(root), (
            f"left behind after a kill at {point} and the next build: {_leftovers(root)}"
        )
        covered.append(point)
    print(f"[kill] {len(covered)} points: {', '.join(covered)}")
