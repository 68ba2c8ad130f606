"""Fixtures for the execution tests: a tiny project (3 GR units) and one warm pool for all tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.execution import LocalPool

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE / "notebooks"
UNITS = ("10000001", "10000002", "10000003")


def indicator_table(bump: dict[str, float] | None = None) -> pd.DataFrame:
    """A hand-made indicator table: 3 GR units, huvudman and riket rows, 2 indicators."""
    bump = bump or {}
    rows = []
    for code in UNITS:
        for ind, base in (("meritvarde_17", 220.0), ("trygghet", 7.5)):
            rows.append(("enhet", code, f"Skola {code[-1]}", ind, base + int(code[-1]) + bump.get(code, 0.0)))
    for niva, name in (("huvudman", "Exempelkommun"), ("riket", "Riket")):
        rows.append((niva, "", name, "meritvarde_17", 225.0))
        rows.append((niva, "", name, "trygghet", 7.7))
    df = pd.DataFrame(rows, columns=["niva", "skolenhetskod", "enhet", "indikator", "varde"])
    df.insert(0, "skolform", "GR")
    df.insert(0, "lasar", 2024)
    return df


def make_project(root: Path) -> dict:
    """A project folder: notebooks (stand-ins), data/processed, params, reports."""
    nb = root / "notebooks"
    nb.mkdir(parents=True)
    shutil.copy(NOTEBOOKS / "enhet.ipynb", nb / "grundskola.ipynb")
    shutil.copy(NOTEBOOKS / "enhet.ipynb", nb / "huvudman.ipynb")
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)
    indicator_table().to_parquet(processed / "indikatorer.parquet", index=False)
    params = root / "params"
    (params / "analyser" / "2024").mkdir(parents=True)
    (params / "labels.yml").write_text("rubrik: 'Kvalitetsrapport'\n", encoding="utf-8")
    (params / "analyser" / "2024" / "10000001.md").write_text("Analys av skola 1.\n", encoding="utf-8")
    units = pd.DataFrame(
        {"skolform": "GR", "skolenhetskod": list(UNITS), "enhet": [f"Skola {c[-1]}" for c in UNITS]}
    )
    return {
        "root": root,
        "notebooks_dir": nb,
        "processed_dir": processed,
        "params_dir": params,
        "out_dir": root / "reports" / "2024",
        "cache_dir": root / "reports" / "2024" / ".cache",
        "units": units,
    }


@pytest.fixture
def project(tmp_path: Path) -> dict:
    return make_project(tmp_path / "clone")


@pytest.fixture(scope="session")
def pool():
    """One warm kernel (one worker) shared by every execution test; jobs run in submission order."""
    with LocalPool(workers=1) as p:
        yield p


@pytest.fixture(autouse=True)
def fixed_code_version(monkeypatch):
    """Other work may edit pipeline/ while the tests run: pin the code version (tested on its own)."""
    import pipeline.execution.planner as planner

    monkeypatch.setattr(planner, "code_version", lambda: "pinned-for-tests")


def plan_project(project: dict, **kw):
    """The job grid of a test project for 2024 (``kw``: e.g. ``check=False``, ``indikatorer=``,
    ``units=``)."""
    from pipeline.execution import plan_jobs

    return plan_jobs(
        lasar=2024,
        units=kw.pop("units", project["units"]),
        processed_dir=project["processed_dir"],
        params_dir=project["params_dir"],
        out_dir=project["out_dir"],
        notebooks_dir=project["notebooks_dir"],
        **kw,
    )


def probe_job(project: dict, action: str):
    """The first unit's job with the probe notebook as template and its ``action`` parameter."""
    from dataclasses import replace

    shutil.copy(NOTEBOOKS / "probe.ipynb", project["notebooks_dir"] / "grundskola.ipynb")
    (job,) = [
        j
        for j in plan_project(project, units=project["units"].iloc[:1], check=False)
        if "huvudman" not in j.name
    ]
    return replace(job, parameters={**job.parameters, "action": action})
