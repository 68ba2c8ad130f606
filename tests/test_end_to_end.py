"""End to end: the demo data set through every stage into a published report, in a temp dir.

Checks what a reviewer and the department rely on: every unit has its page, every page opens
(links resolve, one h1, lang="sv", nothing loaded from outside), every number on a page equals the
published indicator table, the rebuild is byte-identical, and bad input changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.e2e_support import (
    check_numbers_trace,
    cli,
    make_project,
    parse_page,
    read_published_table,
    tree_digest,
)

pytestmark = pytest.mark.slow
YEAR = 2024


def _site(root: Path) -> Path:
    return root / "reports" / str(YEAR) / "site"


def _table(root: Path) -> pd.DataFrame:
    return read_published_table(_site(root))


def test_every_unit_has_a_page(demo_build: Path):
    from pipeline.school_forms import get_school_form

    ind = _table(demo_build)
    units = ind[(ind["lasar"] == YEAR) & (ind["niva"] == "enhet")][
        ["skolform", "skolenhetskod"]
    ].drop_duplicates()
    assert len(units) >= 12, "the demo has at least 3 FS, 6 GR, 2 GY and 1 VUX units"
    assert set(units["skolform"]) == {"FS", "GR", "GY", "VUX"}
    for form, code in units.itertuples(index=False):
        page = _site(demo_build) / get_school_form(form).slug / f"{code}.html"
        assert page.exists(), f"no page for {form} {code}"
    for form in ("FS", "GR", "GY", "VUX"):
        assert (_site(demo_build) / get_school_form(form).slug / "index.html").exists()
    assert (_site(demo_build) / "index.html").exists()
    assert (_site(demo_build) / "metod.html").exists()


def test_pages_open_and_links_resolve(demo_build: Path):
    site = _site(demo_build)
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 18
    broken = []
    for page in pages:
        parsed = parse_page(page)
        assert parsed.lang == "sv", page
        assert parsed.h1 == 1, f"{page}: {parsed.h1} h1 elements"
        for href in parsed.links + parsed.srcs:
            if href.startswith(("#", "data:", "mailto:")):
                continue
            assert not href.startswith(("http:", "https:", "//")), f"{page} links outside the site: {href}"
            target = (page.parent / href.split("#")[0]).resolve()
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
    assert not broken, broken[:10]


def test_numbers_on_pages_equal_the_indicator_table(demo_build: Path):
    ind = _table(demo_build)
    ind["skolenhetskod"] = ind["skolenhetskod"].fillna("")
    checked = check_numbers_trace(_site(demo_build), ind)
    assert checked >= 100, f"only {checked} numbers carried data attributes"


def test_indicator_table_contract(demo_build: Path):
    from pipeline.validate.schemas import INDICATOR_COLUMNS

    ind = _table(demo_build)
    assert list(ind.columns) == INDICATOR_COLUMNS
    # Only the report year and the years before it are published.
    assert sorted(ind["lasar"].unique()) == [2020, 2021, 2022, 2023, 2024]
    assert set(ind["niva"]) >= {"enhet", "huvudman", "riket"}
    hidden = ind[ind["undertryckt"]]
    assert len(hidden) > 0, "the demo's small groups must give suppression work"
    assert hidden["varde"].isna().all()
    assert (_site(demo_build) / "data" / "indikatorer.xlsx").exists()


def test_pdfs_and_manifest(demo_build: Path):
    import json

    rep = demo_build / "reports" / str(YEAR)
    assert (rep / f"kvalitetsrapport-{YEAR}.pdf").stat().st_size > 10_000
    assert len(list((rep / "enheter").glob("*.pdf"))) >= 12
    manifest = json.loads((rep / "manifest.json").read_text())
    assert manifest["inputs"] and manifest["params_hash"] and manifest["code_version"]
    assert manifest["jobs"]["jobs"] and all("seconds" in j for j in manifest["jobs"]["jobs"])


def test_rebuild_is_cached_and_verify_is_byte_identical(demo_build: Path):
    before = tree_digest(demo_build / "reports" / str(YEAR) / "site")
    res = cli(demo_build, "report", str(YEAR))
    assert res.returncode == 0, res.stderr[-3000:]
    assert "cached" in res.stdout
    assert tree_digest(demo_build / "reports" / str(YEAR) / "site") == before
    res = cli(demo_build, "verify", str(YEAR))
    assert res.returncode == 0, res.stdout + res.stderr[-3000:]


def test_bad_input_exits_2_and_changes_nothing(demo_build: Path, tmp_path: Path):
    import shutil

    root = make_project(tmp_path / "bad", raw_from=demo_build / "data" / "raw")
    shutil.copytree(demo_build / "reports", root / "reports")
    shutil.copytree(demo_build / "data" / "processed", root / "data" / "processed")
    before_reports = tree_digest(root / "reports")
    before_processed = tree_digest(root / "data" / "processed")
    grades = sorted((root / "data" / "raw").rglob("betyg_2024.csv"))[0]
    raw_bytes = grades.read_bytes()
    encoding = "utf-8-sig" if raw_bytes.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        lines = raw_bytes.decode(encoding).splitlines()
    except UnicodeDecodeError:
        encoding = "cp1252"
        lines = raw_bytes.decode(encoding).splitlines()
    header = lines[0].split(";")
    col = next(i for i, h in enumerate(header) if h.strip().lower() == "betyg")
    cells = lines[3].split(";")
    cells[col] = "MVG"
    lines[3] = ";".join(cells)
    grades.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    res = cli(root, "report", str(YEAR))
    assert res.returncode == 2, res.stdout + res.stderr
    assert grades.name in res.stderr
    assert tree_digest(root / "reports") == before_reports
    assert tree_digest(root / "data" / "processed") == before_processed


def test_malformed_analysis_stops_the_build_before_any_notebook(demo_build: Path, tmp_path: Path):
    import shutil

    root = make_project(tmp_path / "bad-analysis", raw_from=demo_build / "data" / "raw")
    shutil.copytree(demo_build / "reports", root / "reports")
    shutil.copytree(demo_build / "data" / "processed", root / "data" / "processed")
    before = tree_digest(root / "reports")
    target = next((root / "params" / "analyser" / str(YEAR)).glob("9999*.md"))
    target.write_text("## Resultat\n\nText.\n\n## Slutsatser\n\nText.\n", encoding="utf-8")
    res = cli(root, "report", str(YEAR))
    assert res.returncode == 2, res.stdout + res.stderr[-3000:]
    assert target.name in res.stderr and "Running notebooks" not in res.stderr
    assert tree_digest(root / "reports") == before
