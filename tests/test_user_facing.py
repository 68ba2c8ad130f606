"""What a user of `make report` sees: the first line at once, the pipeline's exit code through
scripts/report (make itself can only exit 2), `make lab` as root, the report folder's mode, and no
validation report left from an earlier run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e_support import REPO, cli

YEAR = 2024


def _fake_python(tmp_path: Path) -> Path:
    """Stands in for the venv's python in the report recipe: records its arguments, exits $FAKE_CODE."""
    fake = tmp_path / "fake-python"
    fake.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\nexit "$FAKE_CODE"\n')
    fake.chmod(0o755)
    return fake


def _run(cmd: list[str], code: int, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*cmd, f"PY={_fake_python(tmp_path)}", f"YEAR={YEAR}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "FAKE_CODE": str(code), "MAKEFLAGS": ""},
        timeout=600,
    )


@pytest.mark.parametrize("code", [0, 1, 2])
def test_scripts_report_exits_with_the_pipelines_code(tmp_path, code):
    res = _run(["scripts/report"], code, tmp_path)
    assert res.returncode == code, res.stdout + res.stderr
    assert (tmp_path / "args").read_text().split()[-2:] == ["report", str(YEAR)]
    # the first line comes before the environment checks
    assert res.stdout.splitlines()[0].startswith(f"make report YEAR={YEAR}: checking the environment")
    if code:
        assert f"the pipeline exited with code {code}" in res.stderr


@pytest.mark.parametrize("code", [0, 2])
def test_period_report_and_dialog_carry_the_pipelines_code(tmp_path, code):
    # make report PERIOD=2 and make dialog PERIOD=2 (issue 14) through the same scripts
    res = _run(["scripts/report", "PERIOD=2"], code, tmp_path)
    assert res.returncode == code, res.stdout + res.stderr
    assert (tmp_path / "args").read_text().split()[-4:] == ["report", str(YEAR), "--period", "2"]
    res = _run(["scripts/dialog", "PERIOD=2"], code, tmp_path)
    assert res.returncode == code, res.stdout + res.stderr
    assert (tmp_path / "args").read_text().split() == ["-m", "pipeline", "dialog", str(YEAR), "--period", "2"]
    if code:
        assert f"make dialog: the pipeline exited with code {code}" in res.stderr


def test_make_dialog_without_period_exits_2_naming_the_variable(tmp_path):
    res = _run(["scripts/dialog"], 0, tmp_path)
    assert res.returncode == 2 and "PERIOD=2" in res.stderr, res.stderr
    assert not (tmp_path / "args").exists()  # the pipeline never ran


def test_make_report_says_the_code_make_cannot_carry(tmp_path):
    res = _run(["make", "--no-print-directory", "report"], 1, tmp_path)
    assert res.returncode == 2  # GNU make's code for any failed recipe
    assert "the pipeline exited with code 1" in res.stderr


def test_make_lab_allows_root_only_as_root():
    res = subprocess.run(["make", "-n", "lab"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert ("--allow-root" in res.stdout) == (os.getuid() == 0), res.stdout


@pytest.mark.slow
def test_report_folder_follows_the_umask(demo_build: Path):
    mask = os.umask(0o022)
    os.umask(mask)
    # the report was built by a subprocess of this one, with the same umask
    mode = (demo_build / "reports" / str(YEAR)).stat().st_mode & 0o777
    assert mode == 0o777 & ~mask, oct(mode)


@pytest.mark.slow
def test_a_run_removes_the_validation_report_of_an_earlier_run(demo_build: Path, tmp_path: Path):
    root = tmp_path / "proj"
    shutil.copytree(demo_build, root, symlinks=True)
    stale = root / "data" / "valideringsrapport.csv"
    stale.write_text("file,row,column,value,expected\nold.csv,3,betyg,G,A-F\n")
    res = cli(root, "ingest")  # nothing changed: a cached ingest, which still forgets the old failures
    assert res.returncode == 0, res.stderr[-3000:]
    assert not stale.exists()
