"""The Quarto book project: valid, complete, Swedish, never re-executing notebooks."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from pipeline.publishing.quarto import QuartoError, md_escape, render_quarto, write_quarto_project
from tests.publishing.test_site_standin import EVIL, EVIL_CODE, LIND, make_book


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quarto")
    book, ind = make_book(tmp)
    from pipeline.publishing.downloads import write_downloads

    write_downloads(ind, tmp / "data", lasar=2024)
    files = write_quarto_project(book, tmp / "quarto", downloads_dir=tmp / "data")
    return book, tmp / "quarto", files


def config(qdir: Path) -> dict:
    return yaml.safe_load((qdir / "_quarto.yml").read_text(encoding="utf-8"))


def chapter_files(cfg: dict) -> list[str]:
    out = []
    for entry in cfg["book"]["chapters"]:
        out += entry["chapters"] if isinstance(entry, dict) else [entry]
    return out + cfg["book"]["appendices"]


def test_config_is_a_swedish_book_that_never_executes(project):
    _, qdir, _ = project
    cfg = config(qdir)
    assert cfg["project"]["type"] == "book"
    assert cfg["lang"] == "sv"
    assert cfg["execute"]["enabled"] is False and cfg["execute"]["freeze"] is True
    assert cfg["execute"]["echo"] is False
    assert cfg["format"]["html"]["html-math-method"] == "plain"
    assert "html" in cfg["format"]


def test_sidebar_is_grouped_by_school_form(project):
    book, qdir, _ = project
    cfg = config(qdir)
    parts = [e for e in cfg["book"]["chapters"] if isinstance(e, dict)]
    assert [p["part"] for p in parts] == [ch.name for ch in book.chapters]
    gr = parts[1]["chapters"]
    assert gr[0] == "grundskola/huvudman.ipynb"
    assert gr[1:] == [f"grundskola/{u.skolenhetskod}.{'qmd' if u.failed else 'ipynb'}" for u in book.chapters[1].units]
    assert cfg["book"]["chapters"][0] == "index.qmd" and cfg["book"]["appendices"] == ["metod.qmd"]


def test_every_chapter_file_exists(project):
    _, qdir, _ = project
    for rel in chapter_files(config(qdir)):
        assert (qdir / rel).is_file(), rel


def test_chapter_notebooks_hold_only_published_outputs(project):
    _, qdir, _ = project
    for nb_path in sorted(qdir.rglob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        raw, *cells = nb["cells"]
        assert raw["cell_type"] == "raw" and "".join(raw["source"]).startswith("---\ntitle: ")
        assert cells and all(c["cell_type"] == "code" and "".join(c["source"]) == "" for c in cells)
        for c in cells:
            for o in c["outputs"]:
                assert set(o["data"]) == {"text/html"}
        text = nb_path.read_text(encoding="utf-8")
        assert "debug output 1234" not in text and "Template heading" not in text and "skolenhetskod = " not in text


def test_titles_and_names_are_escaped(project):
    _, qdir, _ = project
    nb = json.loads((qdir / f"grundskola/{EVIL_CODE}.ipynb").read_text(encoding="utf-8"))
    front = yaml.safe_load("".join(nb["cells"][0]["source"]).strip("-\n"))
    assert front["title"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    index = (qdir / "index.qmd").read_text(encoding="utf-8")
    assert EVIL not in index
    assert md_escape("a_b <i>") == "a\\_b &lt;i&gt;"


def test_failed_unit_and_method(project):
    _, qdir, _ = project
    failed = (qdir / f"grundskola/{LIND}.qmd").read_text(encoding="utf-8")
    assert "title: Lindskolan" in failed and "kunde inte tas fram" in failed
    metod = (qdir / "metod.qmd").read_text(encoding="utf-8")
    assert "title: Metod och data" in metod and "Genomsnittligt meritvärde (17 ämnen)" in metod
    assert (qdir / "data/indikatorer.csv").is_file()


def test_project_is_byte_identical_when_rebuilt(tmp_path):
    outs = []
    for i in range(2):
        book, _ = make_book(tmp_path / f"b{i}")
        files = write_quarto_project(book, tmp_path / f"q{i}")
        outs.append({f.relative_to(tmp_path / f"q{i}").as_posix(): f.read_bytes() for f in files})
    assert outs[0] == outs[1]


def test_render_skipped_without_quarto(project, monkeypatch):
    _, qdir, _ = project
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert render_quarto(qdir) is None


def _fake_quarto(tmp_path: Path, code: int) -> Path:
    exe = tmp_path / "quarto"
    exe.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\necho boom >&2\nexit {code}\n', encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_render_runs_quarto_without_execution(project, tmp_path):
    _, qdir, _ = project
    out = render_quarto(qdir, quarto=str(_fake_quarto(tmp_path, 0)))
    assert out == qdir / "_book"
    assert (tmp_path / "args").read_text().split() == ["render", str(qdir), "--no-execute"]


def test_render_failure_is_reported(project, tmp_path):
    _, qdir, _ = project
    with pytest.raises(QuartoError, match="boom"):
        render_quarto(qdir, quarto=str(_fake_quarto(tmp_path, 1)))


@pytest.mark.skipif(not os.environ.get("PATH") or not __import__("shutil").which("quarto"), reason="quarto is not installed")
def test_real_quarto_render(project):
    _, qdir, _ = project
    out = render_quarto(qdir)
    assert (out / "index.html").is_file()
