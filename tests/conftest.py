"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REALDATA = REPO.parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """``../shared/realdata``: required in CI, skipped with a message on a machine without it."""
    if not REALDATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{REALDATA} is missing: CI must have ../shared beside the checkout.")
        pytest.skip(f"{REALDATA} not found: real-data tests need ../shared/realdata beside the repo.")
    return REALDATA
