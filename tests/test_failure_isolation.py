"""One unit whose notebook fails: the other jobs run, the build exits 1 without publishing, and
with ``--allow-failures`` the report is published with a page that says the unit's report could
not be produced. The failed notebook is saved with the failing cell marked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import pipeline.execution as execution
from pipeline.errors import NotebookRunError
from pipeline.paths import REPO_ROOT, ProjectPaths
from pipeline.report import build_report
from tests.e2e_support import tree_digest

pytestmark = pytest.mark.slow
YEAR = 2024
FAILING_UNIT = "99992003"


@pytest.fixture
def failing_project(demo_build: Path, tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(demo_build, root, symlinks=True)
    # A copy of the grundskola template (same parameters cell) whose last cell raises.
    nb = json.loads((REPO_ROOT / "notebooks" / "grundskola.ipynb").read_text())
    nb["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "boom",
            "metadata": {},
            "outputs": [],
            "source": ["raise RuntimeError('simulerat fel i enhetens data')"],
        }
    )
    bad = tmp_path / "grundskola_trasig.ipynb"
    bad.write_text(json.dumps(nb))
    real_plan = execution.plan_jobs

    def plan_with_one_broken(**kw):
        jobs = real_plan(**kw)
        out = []
        for j in jobs:
            if j.parameters.get("skolenhetskod") == FAILING_UNIT:
                j = type(j)(
                    name=j.name,
                    template=bad,
                    parameters=j.parameters,
                    output=j.output,
                    hash=j.hash + "-trasig",
                )
            out.append(j)
        return out

    monkeypatch.setattr(execution, "plan_jobs", plan_with_one_broken)
    return root


def test_failure_stops_publishing_then_allow_failures_publishes_it_plainly(failing_project: Path):
    root = failing_project
    paths = ProjectPaths(root)
    report = root / "reports" / str(YEAR)
    before = tree_digest(report)
    with pytest.raises(NotebookRunError) as exc:
        build_report(YEAR, paths=paths, force=False, pdf=False)
    assert exc.value.exit_code == 1
    msg = str(exc.value)
    assert FAILING_UNIT in msg and "simulerat fel" in msg and "cell" in msg
    assert tree_digest(report) == before, "a failed build must not publish"
    saved = root / "reports" / f".build-{YEAR}" / "notebooks" / "GR" / f"{FAILING_UNIT}.ipynb"
    nb = json.loads(saved.read_text())
    assert any(
        "papermill-error" in " ".join(c.get("metadata", {}).get("tags", []))
        or "papermill-error" in c.get("id", "")
        for c in nb["cells"]
    ), "failing cell not marked"

    result = build_report(YEAR, paths=paths, allow_failures=True, pdf=False)
    assert [(f.name, f.status) for f in result.failed] == [(f"GR/{FAILING_UNIT}/{YEAR}", "failed")]
    page = (report / "site" / "grundskola" / f"{FAILING_UNIT}.html").read_text(encoding="utf-8")
    assert "kunde inte tas fram" in page
    other = (report / "site" / "grundskola" / "99992002.html").read_text(encoding="utf-8")
    assert "kunde inte tas fram" not in other and "data-varde" in other
