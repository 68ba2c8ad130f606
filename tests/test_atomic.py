"""All-or-nothing writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.atomic import recover, staged_directory, write_bytes_atomic


def test_staged_directory_replaces_on_success(tmp_path: Path):
    target = tmp_path / "2024"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with staged_directory(target) as stage:
        (stage / "new.txt").write_text("new")
        assert (target / "old.txt").exists()  # still the old one while building
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["2024"]


def test_staged_directory_keeps_old_on_failure(tmp_path: Path):
    target = tmp_path / "2024"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_directory(target) as stage:
            (stage / "half.txt").write_text("half")
            raise RuntimeError("boom")
    assert sorted(p.name for p in target.iterdir()) == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["2024"]


def test_recover_after_kill_between_renames(tmp_path: Path):
    # A kill after `target -> .old-x` and before `stage -> target` leaves no target.
    old = tmp_path / ".2024.old-abc"
    old.mkdir()
    (old / "index.html").write_text("previous")
    (tmp_path / ".2024.staging-def").mkdir()
    recover(tmp_path / "2024")
    assert (tmp_path / "2024" / "index.html").read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["2024"]


def test_write_bytes_atomic_leaves_no_temp(tmp_path: Path):
    p = tmp_path / "a" / "b.bin"
    write_bytes_atomic(p, b"x")
    write_bytes_atomic(p, b"y")
    assert p.read_bytes() == b"y"
    assert os.listdir(p.parent) == ["b.bin"]
