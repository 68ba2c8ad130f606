"""End to end: the pipeline call of `make report YEAR=2024 PERIOD=2` on the demo (one shared build)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.paths import REPO_ROOT, ProjectPaths


@pytest.fixture(scope="session")
def period_build(tmp_path_factory):
    from pipeline.demo import write_demo
    from pipeline.periods.report import build_period_report

    root = tmp_path_factory.mktemp("period")
    shutil.copytree(REPO_ROOT / "params", root / "params")
    write_demo(root / "data" / "raw")
    paths = ProjectPaths(root)
    res = build_period_report(2024, "2", paths=paths)
    return res.report_dir


def test_three_school_forms_and_presentations(period_build: Path):
    for slug in ("forskola", "grundskola", "vuxenutbildning"):
        assert (period_build / f"{slug}.html").is_file()
        slides = (period_build / f"{slug}-presentation.html").read_text(encoding="utf-8")
        # the report's one presentation module: reveal.js from the folder beside it, offline
        assert '<script src="presentation-filer/reveal.js">' in slides and "http" not in slides
        assert slides.count('<section class="bild') == 5
    assert (period_build / "presentation-filer" / "reveal.js").is_file()


def test_period_report_compares_period_to_period(period_build: Path):
    html = (period_build / "grundskola.html").read_text(encoding="utf-8")
    # period 2 closes the autumn termin: terminsbetyg and absence are there, slutbetyg and NP are not
    assert "Meritvärde terminsbetyg åk 9 (HT)" in html and "Frånvaro ≥ 10 %" in html
    assert "Meritvärde (17)" not in html and "nationella prov" not in html.lower()
    assert "Perioden 2023/24" in html and "Samma period 2022/23" in html
    assert "Den skriftliga analysen" not in html  # the demo's params/analyser/2024/2/GR.md is shown


def test_missing_data_said_aloud_for_forskola(period_build: Path):
    html = (period_build / "forskola.html").read_text(encoding="utf-8")
    # neither the staffing count (15 October) nor the vårdnadshavarenkät (15 March) falls in
    # December-February: the report says there are no figures, and shows the barnintervjuer
    assert "Underlaget har inga uppgifter för Förskola under perioden." in html
    assert "Barnintervjuer och observationer" in html and "Normer och värden" in html


def test_every_unit_has_a_one_page_dialog_sheet(period_build: Path):
    from pipeline.publishing.pdf import page_count

    sheets = sorted((period_build / "kvalitetsdialog").glob("*.pdf"))
    assert len(sheets) == 12  # 3 förskolor, 6 grundskolor, 2 gymnasieskolor, 1 komvux
    assert all(page_count(p.read_bytes()) == 1 for p in sheets)
    html = (period_build / "kvalitetsdialog" / "99992002.html").read_text(encoding="utf-8")
    for field in ("(omrade)", "(aktivitet)", "(ansvarig)", "(tidplan)", "(indikator)", "(mal)", "(status)"):
        assert field in html  # the action table mirrors params/utvecklingsomraden/<YEAR>.yml


def test_arshjul_and_calendar(period_build: Path):
    ics = (period_build / "arshjul-2024.ics").read_bytes().decode()
    assert ics.count("BEGIN:VEVENT") == ics.count("END:VEVENT") > 10
    assert re.search(r"DTSTART;VALUE=DATE:20240310\r\n", ics)  # period 2's analyses due 10 March 2024
    html = (period_build / "arshjul.html").read_text(encoding="utf-8")
    assert "skriven" in html and "Utvecklingsområden som bytt status" in html


def test_killed_period_build_leaves_no_staging_after_the_next_run(period_build: Path, tmp_path: Path):
    import os
    import signal
    import subprocess
    import sys

    from pipeline.killpoints import ENV
    from tests.e2e_support import cli, tree_digest

    # a copy of the shared build's project (raw, processed tables cached, the period folder)
    root = tmp_path / "proj"
    shutil.copytree(period_build.parents[2], root, symlinks=True)
    folder = root / "reports" / "2024" / "2"
    before = tree_digest(folder)
    args = [
        sys.executable,
        "-m",
        "pipeline",
        "--root",
        str(root),
        "report",
        "2024",
        "--period",
        "2",
        "--no-pdf",
    ]
    killed = subprocess.run(
        args, cwd=REPO_ROOT, capture_output=True, env={**os.environ, ENV: "period.swap:1"}
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    # killed with everything staged: the staging folder is left, the published folder untouched
    assert sorted(p.name for p in folder.parent.glob(".2.staging-*")), "the kill left no staging folder"
    assert tree_digest(folder) == before
    res = cli(root, "report", "2024", "--period", "2", "--no-pdf")
    assert res.returncode == 0, res.stderr[-3000:]
    assert not list(folder.parent.glob(".2.*")), "a staging or old folder is left after the next run"
    assert (folder / "grundskola.html").is_file()
