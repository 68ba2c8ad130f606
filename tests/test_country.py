"""``KOMMUN=all``: one report per kommun from one shared ingest, an index page, incremental,
resumable, and the same on a Dask cluster of separate worker processes.

Data: ``tests/fixtures/country/`` (hand-made, fictitious values in Skolverket's layouts): three
kommuner, 0114 with two kommunal units (and one enskild, which gets no page), 1384 with one,
2584 with kommun-level values only. One local build is shared by the tests (session fixture).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.ingest.ledger import ledger_frame
from pipeline.ingest.subset import kommun_subset
from tests.e2e_support import REPO, cli, make_project

FIXTURE = REPO / "tests" / "fixtures" / "country"
FOLDERS = ["0114-upplands-vasby", "1384-kungsbacka", "2584-kiruna"]


def _pub(rows: list[tuple]) -> pd.DataFrame:
    cols = ["niva", "kommunkod", "enhet", "kalla"]
    df = pd.DataFrame(rows, columns=cols)
    return df.assign(skolenhetskod="", indikator="x", varde=1.0)


def test_kommun_subset_keeps_riket_and_the_kommun_and_counts_the_rest():
    pub = _pub(
        [
            ("riket", "0000", "Riket", "A"),
            ("kommun", "0114", "Upplands Väsby", "A"),
            ("huvudman", "0114", "Upplands Väsby", "A"),
            ("enhet", "0114", "Skola 1", "B"),
            ("kommun", "1384", "Kungsbacka", "A"),
            ("enhet", "1384", "Skola 2", "B"),
            ("enhet", "1384", "Skola 3", "B"),
            ("huvudman", "3140", "Kunskapsförbundet Väst", "C"),
        ]
    )
    units = pd.DataFrame(
        {"skolenhetskod": ["91000001", "91000004"], "enhet": ["Skola 1", "Skola 2"], "skolform": ["GR", "GR"],
         "huvudman": ["a", "b"], "kommunkod": ["0114", "1384"], "arskurser": [None, None]}
    )  # fmt: skip
    betyg = pd.DataFrame({"skolenhetskod": ["91000001", "91000004", "91000004"], "elev": [1, 2, 3]})
    national_ledger = ledger_frame(
        [
            {
                "fil": "f",
                "kalla": "kolada",
                "slag": "ej_publicerat",
                "orsak": "metadata",
                "antal": 5,
                "detalj": "",
            }
        ]
    )
    sub, led = kommun_subset(
        {"publicerad": pub, "skolenheter": units, "betyg": betyg}, national_ledger, "0114"
    )
    # riket + the kommun's 3 rows; not 1384's 3 rows nor the kommunalförbund's 1
    assert list(sub["publicerad"]["enhet"]) == ["Riket", "Upplands Väsby", "Upplands Väsby", "Skola 1"]
    assert list(sub["skolenheter"]["skolenhetskod"]) == ["91000001"]
    assert list(sub["betyg"]["elev"]) == [1]
    by = {(r.orsak, r.kalla): r for r in led.itertuples()}
    assert by[("metadata", "kolada")].antal == 5  # the national ledger is kept
    assert by[("annan_kommun", "A")].antal == 1  # Kungsbacka's kommun row
    assert by[("annan_kommun", "B")].antal == 2  # Kungsbacka's two units
    assert by[("kommunalforbund", "C")].antal == 1
    assert by[("kommunalforbund", "C")].detalj == "Kunskapsförbundet Väst"


@pytest.fixture(scope="session")
def country(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("country") / "proj", raw_from=FIXTURE)
    res = cli(root, "report", "2025", "--kommun", "all", "--no-pdf", "--workers", "2")
    assert res.returncode == 0, f"KOMMUN=all failed:\n{res.stdout}\n{res.stderr[-4000:]}"
    return root


def _folder(root: Path) -> Path:
    return root / "reports" / "2025" / "kommuner"


def test_every_kommun_has_its_report_and_the_index_lists_them_by_lan(country):
    folder = _folder(country)
    assert sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name != "static") == FOLDERS
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert '<html lang="sv">' in html
    # län in code order (01 Stockholm, 13 Halland, 25 Norrbotten), each kommun linked to its start page
    assert html.index("Stockholms län") < html.index("Hallands län") < html.index("Norrbottens län")
    for f in FOLDERS:
        assert f'href="{f}/site/index.html"' in html
        assert (folder / f / "site" / "index.html").exists()
        assert (folder / f / "manifest.json").exists()
    # 0114: a page per kommunal unit, none for the enskild school 91000003
    gr = folder / "0114-upplands-vasby" / "site" / "grundskola"
    assert sorted(p.name for p in gr.glob("9*.html")) == ["91000001.html", "91000002.html"]
    # 2584 has no unit-level rows: overview pages only, and the index says so
    kiruna = folder / "2584-kiruna" / "site"
    assert (kiruna / "grundskola" / "index.html").exists()
    assert not list((kiruna / "grundskola").glob("9*.html"))
    row = html[html.index('href="2584-kiruna/site/index.html"') :].split("</tr>")[0]
    assert "Endast översiktssidor" in row
    # the kommun's own numbers: Kiruna's åk 6 share (50,0 % in the fixture) on its overview
    assert "50,0" in (kiruna / "grundskola" / "index.html").read_text(encoding="utf-8")


def test_method_page_lists_what_was_read_but_not_published(country):
    # 0114's share of the fixture: Kungsbacka's and Kiruna's rows (and the enskild school's
    # kommun rows are the kommun's own, kept) are left out as other kommuner, said on the page
    html = (_folder(country) / "0114-upplands-vasby" / "site" / "metod.html").read_text(encoding="utf-8")
    assert 'id="m-ej-publicerat"' in html
    assert "Uppgifter om andra kommuner än rapportens" in html
    assert "annan_kommun" not in html  # the reason in words, never the code


def test_second_run_changes_nothing_and_a_killed_kommun_is_rebuilt(country):
    folder = _folder(country)
    before = {f: (folder / f / "manifest.json").stat().st_mtime_ns for f in FOLDERS}
    index = (folder / "index.html").stat().st_mtime_ns
    res = cli(country, "report", "2025", "--kommun", "all", "--no-pdf", "--workers", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "0 built, 3 unchanged" in res.stdout
    assert {f: (folder / f / "manifest.json").stat().st_mtime_ns for f in FOLDERS} == before
    assert (folder / "index.html").stat().st_mtime_ns == index  # the index is not rewritten either
    # a kill in the middle of publishing 1384: its folder gone (swapped out), a staging folder left
    shutil.rmtree(folder / "1384-kungsbacka")
    (folder / ".1384-kungsbacka.staging-killed").mkdir()
    res = cli(country, "report", "2025", "--kommun", "all", "--no-pdf", "--workers", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "1 built, 2 unchanged" in res.stdout
    assert (folder / "1384-kungsbacka" / "site" / "index.html").exists()
    assert not (folder / ".1384-kungsbacka.staging-killed").exists()
    assert (folder / "0114-upplands-vasby" / "manifest.json").stat().st_mtime_ns == before[
        "0114-upplands-vasby"
    ]


def test_dask_cluster_of_worker_processes_builds_the_same_pages(country, tmp_path):
    distributed = pytest.importorskip("distributed")
    from pipeline.country import build_country
    from pipeline.paths import ProjectPaths

    root = make_project(tmp_path / "proj", raw_from=FIXTURE)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as cluster:
        res = build_country(
            2025, paths=ProjectPaths(root), kommun="0114,2584", pdf=False, scheduler=cluster.scheduler_address
        )
    assert [k.status for k in res.kommuner] == ["byggd", "byggd"]
    assert res.jobs == {"executed": 4}  # 0114: two units and an overview; 2584: an overview
    for page in (
        "0114-upplands-vasby/site/grundskola/91000001.html",
        "2584-kiruna/site/grundskola/index.html",
    ):
        assert (_folder(root) / page).read_bytes() == (_folder(country) / page).read_bytes(), page
