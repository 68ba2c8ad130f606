"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REALDATA = REPO.parent / "shared" / "realdata"

# The pseudonym key of every test run (and of the CLI runs it starts): a temp file, never the
# user's ~/.config/kvalitetsrapport/ (see pipeline/ingest/pseudonym.py).
if not os.environ.get("KVALITET_NYCKEL_FIL"):
    import tempfile

    os.environ["KVALITET_NYCKEL_FIL"] = str(
        Path(tempfile.mkdtemp(prefix="kvalitet-test-nyckel-")) / "test.key"
    )


@pytest.fixture(scope="session")
def realdata() -> Path:
    """``../shared/realdata``: required in CI, skipped with a message on a machine without it."""
    if not REALDATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{REALDATA} is missing: CI must have ../shared beside the checkout.")
        pytest.skip(f"{REALDATA} not found: real-data tests need ../shared/realdata beside the repo.")
    return REALDATA


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> Path:
    """A project in a temp dir with the demo data and its 2024 report built through the CLI."""
    from tests.e2e_support import cli, make_project

    root = make_project(tmp_path_factory.mktemp("e2e") / "proj")
    res = cli(root, "report", "2024")
    assert res.returncode == 0, f"make report failed:\n{res.stdout}\n{res.stderr[-4000:]}"
    return root
