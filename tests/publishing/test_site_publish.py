"""The orchestrator's entry point ``pipeline.publishing.publish``: everything in one report folder."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from pipeline.errors import PrivacyLeakError
from pipeline.publishing import publish
from tests.publishing.fakedata import forandringar_frame, indikatorer_frame
from tests.publishing.test_site_standin import BJORK, LASAR, LIND, make_jobs, make_params, make_va


def run(tmp: Path, **kw):
    ind = indikatorer_frame()
    jobs = make_jobs(tmp / "report" / "notebooks")
    return publish(
        lasar=LASAR,
        params=make_params(),
        indikatorer=ind,
        jobs=jobs,
        out_dir=tmp / "report",
        provenance={"code_version": "abc123"},
        forandringar=forandringar_frame(ind),
        va_modell=make_va(),
        **kw,
    )


def test_publish_without_pdf(tmp_path):
    files = run(tmp_path, pdf=False)
    rels = {f.relative_to(tmp_path / "report").as_posix() for f in files}
    assert {
        "site/index.html",
        "site/metod.html",
        f"site/grundskola/{BJORK}.html",
        "site/data/indikatorer.csv",
        "site/data/indikatorer.xlsx",
        "quarto/_quarto.yml",
        "quarto/data/indikatorer.csv",
    } <= rels
    assert not any(r.endswith(".pdf") for r in rels)
    assert files == sorted(files)
    assert all(f.stat().st_mode & 0o044 == 0o044 for f in files)  # readable by a web server


@pytest.mark.browser
def test_publish_everything(tmp_path):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    files = run(tmp_path)
    rels = {f.relative_to(tmp_path / "report").as_posix() for f in files}
    assert {
        "kvalitetsrapport-2024.pdf",
        f"enheter/{BJORK}.pdf",
        f"enheter/{LIND}.pdf",
        "site/data/kvalitetsrapport-2024.pdf",
    } <= rels
    assert all(f.stat().st_mode & 0o044 == 0o044 for f in files)
    assert "../data/kvalitetsrapport-2024.pdf" in (
        tmp_path / f"report/site/grundskola/{BJORK}.html"
    ).read_text(encoding="utf-8")


def test_publish_fails_on_a_leak(tmp_path):
    ind = indikatorer_frame()
    jobs = make_jobs(tmp_path / "report" / "notebooks")
    nb_path = jobs[2].path
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[-1].outputs[0]["data"]["text/html"] += "<p>Elev: Anna Svensson</p>"
    nbformat.write(nb, nb_path)
    with pytest.raises(PrivacyLeakError, match="namn 'Anna Svensson'"):
        publish(
            lasar=LASAR,
            params=make_params(),
            indikatorer=ind,
            jobs=jobs,
            out_dir=tmp_path / "report",
            pdf=False,
            forbidden_names={"Anna Svensson"},
        )
