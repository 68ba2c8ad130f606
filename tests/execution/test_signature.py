"""Parameter signatures: checked against the template's `parameters` cell before any kernel starts."""

from __future__ import annotations

import shutil

import pytest

from pipeline.errors import NotebookParameterError
from pipeline.execution import LocalPool, check_parameters, notebook_parameters, run_jobs
from pipeline.execution.signature import parse_parameters_cell

from .conftest import NOTEBOOKS, plan_project

GOOD = {"skolform": "GR", "skolenhetskod": "10000001", "lasar": 2024, "processed_dir": "x", "params_dir": "y"}


def test_parse_names_defaults_and_types():
    params = parse_parameters_cell('a = "x"\nb: int = 3\nc = 1.5\nd = None\n# comment\ne = f = True')
    assert {n: (p.default, p.type) for n, p in params.items()} == {
        "a": ("x", str),
        "b": (3, int),
        "c": (1.5, float),
        "d": (None, None),
        "e": (True, bool),
        "f": (True, bool),
    }


def test_template_signature_is_the_contract():
    assert list(notebook_parameters(NOTEBOOKS / "enhet.ipynb")) == [
        "skolform",
        "skolenhetskod",
        "lasar",
        "processed_dir",
        "params_dir",
    ]


def test_good_parameters_pass():
    check_parameters(NOTEBOOKS / "enhet.ipynb", GOOD)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"extra": 1}, ["unknown parameter", "'extra'", "enhet.ipynb", "Add a default"]),
        ({"lasar": None, "_drop": "lasar"}, ["missing parameter", "'lasar'", "Pass them"]),
        ({"lasar": "2024"}, ["'lasar' must be int", "'2024'", "enhet.ipynb"]),
        ({"lasar": True}, ["'lasar' must be int"]),
        ({"skolenhetskod": 10000001}, ["'skolenhetskod' must be str"]),
    ],
)
def test_bad_parameters_are_named_with_a_fix(change, words):
    params = {**GOOD, **change}
    if "_drop" in params:
        params.pop(params.pop("_drop"))
    with pytest.raises(NotebookParameterError) as err:
        check_parameters(NOTEBOOKS / "enhet.ipynb", params, job="GR/10000001/2024")
    for word in words:
        assert word in str(err.value)
    assert "GR/10000001/2024" in str(err.value)


def test_template_without_parameters_cell(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(nb, tmp_path / "t.ipynb")
    with pytest.raises(NotebookParameterError, match="no cell tagged 'parameters'"):
        notebook_parameters(tmp_path / "t.ipynb")


def test_missing_template_names_the_registry(tmp_path):
    with pytest.raises(NotebookParameterError, match="school_forms.py"):
        notebook_parameters(tmp_path / "nope.ipynb")


def test_run_jobs_checks_before_any_kernel_starts(project):
    # the probe template declares one more parameter ('action') than the planner passes
    shutil.copy(NOTEBOOKS / "probe.ipynb", project["notebooks_dir"] / "grundskola.ipynb")
    jobs = plan_project(project, check=False)
    pool = LocalPool(workers=1)
    with pytest.raises(NotebookParameterError, match="missing parameter.*'action'"):
        run_jobs(jobs, cache_dir=project["cache_dir"], pool=pool, progress=False)
    assert pool._executor is None  # nothing was started
    assert not project["out_dir"].joinpath("notebooks").exists()
