"""nbval over every notebook template: each runs top to bottom with its default parameters.

The templates default to ``../data/processed`` and ``../params`` (relative to ``notebooks/``), as
a development officer opens them in JupyterLab. The test builds the demo's processed data in a
temp project laid out the same way, copies the templates beside it and runs
``pytest --nbval-lax`` there, so the repository's own ``data/`` is never touched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e_support import REPO, cli, make_project

pytestmark = pytest.mark.slow


def test_templates_run_with_defaults_under_nbval(tmp_path: Path):
    root = make_project(tmp_path / "proj")
    res = cli(root, "indicators")
    assert res.returncode == 0, res.stderr[-3000:]
    nb_dir = root / "notebooks"
    shutil.copytree(REPO / "notebooks", nb_dir)
    templates = sorted(p.name for p in nb_dir.glob("*.ipynb"))
    assert {
        "forskola.ipynb",
        "grundskola.ipynb",
        "gymnasieskola.ipynb",
        "vuxenutbildning.ipynb",
        "huvudman.ipynb",
        "utforska.ipynb",
    } <= set(templates)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--rootdir",
            str(root),
            str(nb_dir),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=3600,
        env={**__import__("os").environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
