"""The Quarto book project: valid, complete, Swedish, never re-executing notebooks."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from html.parser import HTMLParser
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
    assert gr[0] == "grundskola/huvudman.qmd"
    assert gr[1:] == [f"grundskola/{u.skolenhetskod}.qmd" for u in book.chapters[1].units]
    assert cfg["book"]["chapters"][0] == "index.qmd" and cfg["book"]["appendices"] == ["metod.qmd"]


def test_every_chapter_file_exists(project):
    _, qdir, _ = project
    for rel in chapter_files(config(qdir)):
        assert (qdir / rel).is_file(), rel


def _unit_chapters(book, qdir):
    return [qdir / f"grundskola/{u.skolenhetskod}.qmd" for u in book.chapters[1].units if not u.failed]


def test_chapters_hold_only_published_outputs(project):
    book, qdir, _ = project
    for path in [qdir / "grundskola/huvudman.qmd", *_unit_chapters(book, qdir)]:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("---\ntitle: ") and "html-table-processing: none" in text
        assert "## Kunskapsresultat {#s-kunskap-rubrik}" in text
        fig = re.search(
            r"!\[Meritvärde 2020–2024\]\(([^)]+\.svg)\)\{#fig-s-kunskap-trend fig-alt=\"([^\"]+)\"\}", text
        )
        assert fig and (path.parent / fig.group(1)).read_text(encoding="utf-8").startswith("<svg")
        assert fig.group(2).startswith("Meritvärdet har ökat sedan 2020")
        assert (
            "debug output 1234" not in text
            and "Template heading" not in text
            and "skolenhetskod = " not in text
        )
        assert "evil()" not in text  # a developer's own display is not published


def test_start_page_is_unnumbered_and_styled(project):
    _, qdir, _ = project
    index = (qdir / "index.qmd").read_text(encoding="utf-8")
    assert index.splitlines()[0].endswith("{.unnumbered}")
    # the key figures as Markdown (a list in the key-figure section), styled by the book's css
    assert '::: {.section aria-labelledby="nyckeltal-rubrik"}' in index
    assert "- Grundskola\n\n  Genomsnittligt meritvärde (17 ämnen)\n\n  234,7" in index
    cfg = config(qdir)
    assert (
        cfg["format"]["html"]["css"] == ["rapport-quarto.css"]
        and cfg["format"]["html"]["number-sections"] is True
    )
    css = (qdir / "rapport-quarto.css").read_text(encoding="utf-8")
    assert '[aria-labelledby="nyckeltal-rubrik"] > ul' in css and "overflow-x: auto" in css


def test_book_carries_no_raw_html_and_typst_keeps_text_tables_and_labels(project):
    """Pandoc's Typst writer drops raw HTML: every text, table and footnote id must be Markdown.
    Each chapter's sentences and tables reach Typst (``#table``), every ``#link(<id>)`` has its
    label, and every Quarto cross-reference ``@fig-...`` has its figure."""
    book, qdir, _ = project
    for path in sorted(qdir.rglob("*.qmd")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(qdir)
        assert "{=html}" not in text and "<table" not in text and "<p>" not in text, rel
        typst, _ = _pandoc(path, "typst")
        for ref in re.findall(r"(?<![\\\w])@((?:fig|tbl|sec)-[\w-]+)", text):
            assert f"{{#{ref}" in text, f"{rel}: @{ref} has no target"
        tables_md = len(re.findall(r"^\|[-|: ]+\|$", text, flags=re.MULTILINE))
        assert typst.count("#table(") == tables_md, rel
    unit = _unit_chapters(book, qdir)[0]
    typst, _ = _pandoc(unit, "typst")
    # the sentence and the table of the unit's knowledge section are in the PDF's source
    assert "var inte redovisat" in typst and "[Läsår], [Meritvärde]" in typst and "[231,5]" in typst
    metod, _ = _pandoc(qdir / "metod.qmd", "typst")
    assert "#table(" in metod and "Genomsnittligt meritvärde (17 ämnen)" in metod


def test_titles_and_names_are_escaped(project):
    _, qdir, _ = project
    text = (qdir / f"grundskola/{EVIL_CODE}.qmd").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["title"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert EVIL not in text
    index = (qdir / "index.qmd").read_text(encoding="utf-8")
    assert EVIL not in index
    assert md_escape("a_b <i>") == "a\\_b &lt;i&gt;"


def _pandoc(path: Path, to: str) -> tuple[str, str]:
    pypandoc = pytest.importorskip("pypandoc")
    proc = subprocess.run(
        [pypandoc.get_pandoc_path(), "--from=markdown", f"--to={to}", "--verbose", str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=path.parent,
    )
    return proc.stdout, proc.stderr


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in ("href", "src") and v]


def test_book_files_convert_with_pandoc_without_warnings_or_external_urls(project):
    """Pandoc (pypandoc_binary, a real pandoc 3) reads the book's Markdown as Quarto does: no
    warning, every link and image local, and in Typst every referenced label exists (the error
    'label <sammanfattning-fotnot-saknas> does not exist')."""
    _, qdir, _ = project
    files = sorted(qdir.rglob("*.qmd"))
    assert len(files) >= 8
    for path in files:
        html, log = _pandoc(path, "html")
        warnings = [line for line in log.splitlines() if "WARNING" in line.upper()]
        assert warnings == [], f"{path.relative_to(qdir)}: {warnings}"
        links = _Links()
        links.feed(html)
        for url in links.urls:
            assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", url), (
                f"{path.relative_to(qdir)}: external {url!r}"
            )
            if not url.startswith("#"):
                assert (path.parent / url.split("#")[0]).exists(), (
                    f"{path.relative_to(qdir)}: missing {url!r}"
                )
        typst, log = _pandoc(path, "typst")
        assert [line for line in log.splitlines() if "WARNING" in line.upper()] == []
        defined = set(re.findall(r"<([A-Za-z0-9_:.-]+)>\s*$", typst, flags=re.MULTILINE))
        defined |= set(re.findall(r"\]\s*<([A-Za-z0-9_:.-]+)>", typst))
        for name in re.findall(r"#link\(<([^>]+)>\)", typst):
            assert name in defined, f"{path.relative_to(qdir)}: label <{name}> does not exist"


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
    exe.write_text(
        f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\necho boom >&2\nexit {code}\n', encoding="utf-8"
    )
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


@pytest.mark.skipif(
    not os.environ.get("PATH") or not __import__("shutil").which("quarto"), reason="quarto is not installed"
)
def test_real_quarto_render(project):
    _, qdir, _ = project
    out = render_quarto(qdir)
    assert (out / "index.html").is_file()
