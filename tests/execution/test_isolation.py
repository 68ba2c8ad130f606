"""No state leaks between jobs on the same warm kernel: job 1 changes it, job 2 sees the default."""

from __future__ import annotations

import json

import nbformat
import pytest

from pipeline.execution import run_jobs

from .conftest import make_project, probe_job


def _state(job) -> dict:
    nb = nbformat.read(job.output, as_version=4)
    text = next(o["text"] for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout")
    return json.loads(text)


@pytest.fixture(scope="module")
def states(tmp_path_factory, pool):
    """Run the probe three times on the one warm kernel: clean, polluting, then clean again."""
    root = tmp_path_factory.mktemp("isolation")
    out = {}
    for step, action in (("first", ""), ("polluter", "pollute"), ("after", "")):
        project = make_project(root / step)
        job = probe_job(project, action)
        summary = run_jobs([job], cache_dir=project["cache_dir"], pool=pool, progress=False)
        assert summary.results[0].status == "executed", summary.failures
        out[step] = _state(job) | {"_cwd_expected": str(job.cwd.resolve())}
    return out


@pytest.mark.parametrize(
    ("key", "what"),
    [
        ("has_var", "a variable"),
        ("has_mod", "a module name bound by import"),
        ("pd_rows", "pd.set_option"),
        ("np_prec", "np.set_printoptions"),
        ("np_err", "np.seterr"),
        ("filters", "warnings filters"),
        ("rc_lw", "matplotlib rcParams"),
        ("figs", "open matplotlib figures"),
        ("env", "environment variables"),
    ],
)
def test_state_does_not_leak(states, key, what):
    assert states["after"][key] == states["first"][key], f"{what} leaked from the previous job"


def test_working_directory_is_the_jobs_output_folder(states):
    assert states["first"]["cwd"] == states["first"]["_cwd_expected"]
    assert states["after"]["cwd"] == states["after"]["_cwd_expected"]  # the polluter did os.chdir('/')


def test_execution_counts_restart_at_one(states, tmp_path, pool):
    project = make_project(tmp_path / "p")
    job = probe_job(project, "")
    run_jobs([job], cache_dir=project["cache_dir"], pool=pool, progress=False)
    nb = nbformat.read(job.output, as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3, 4, 5]
