"""The notebook templates: thin (parsed) and runnable (executed with papermill on fake data)."""

from __future__ import annotations

import ast
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from pipeline.paths import REPO_ROOT
from pipeline.school_forms import EXPLORATION_NOTEBOOK, OVERVIEW_NOTEBOOK, SCHOOL_FORMS, get_school_form
from tests.publishing.fakedata import UNITS, write_fake_project

NOTEBOOKS = REPO_ROOT / "notebooks"
PARAMETERS = ["skolform", "skolenhetskod", "lasar", "processed_dir", "params_dir"]
TEMPLATES = [f.notebook for f in SCHOOL_FORMS.values()] + [OVERVIEW_NOTEBOOK]
ALL = [*TEMPLATES, EXPLORATION_NOTEBOOK]
FORBIDDEN_CALLS = {"open", "exec", "eval", "compile", "__import__", "input"}
FORBIDDEN_MODULES = {
    "os",
    "pathlib",
    "shutil",
    "io",
    "subprocess",
    "sys",
    "glob",
    "pickle",
    "pandas",
    "pyarrow",
}
IO_METHOD = re.compile(
    r"^(read_\w+|to_(csv|parquet|excel|json|pickle|feather|html|sql)|write\w*|savefig|unlink|mkdir)$"
)


def _read(name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    return nb


def _parameters_cell(nb) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, "exactly one cell is tagged 'parameters'"
    return cells[0]


def _assigned(source: str) -> list[str]:
    return [
        t.id
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    ]


@pytest.mark.parametrize("name", ALL)
def test_notebook_is_clean(name):
    nb = _read(name)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{name}: commit notebooks without outputs"
            )
    assigned = _assigned(_parameters_cell(nb).source)
    if name in TEMPLATES:
        assert assigned == PARAMETERS, f"{name}: the parameters cell must declare exactly {PARAMETERS}"
    else:
        assert assigned[: len(PARAMETERS)] == PARAMETERS


@pytest.mark.parametrize("name", ALL)
def test_notebook_is_thin(name):
    """No def/class/lambda, no file I/O, no magics, no numbers outside the parameters cell."""
    nb = _read(name)
    params = _parameters_cell(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            assert not line.lstrip().startswith(("%", "!")), (
                f"{name} cell {i}: magic or shell command {line!r}"
            )
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            where = f"{name} cell {i}, line {getattr(node, 'lineno', '?')}"
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)), (
                f"{where}: define logic in pipeline/"
            )
            assert not isinstance(node, (ast.With, ast.AsyncWith)), f"{where}: no file handling in notebooks"
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name):
                    assert func.id not in FORBIDDEN_CALLS, (
                        f"{where}: {func.id}() is not allowed in a notebook"
                    )
                if isinstance(func, ast.Attribute):
                    assert not IO_METHOD.match(func.attr), (
                        f"{where}: .{func.attr}() is file I/O; do it in pipeline/"
                    )
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for mod in mods:
                    assert mod.split(".")[0] not in FORBIDDEN_MODULES, (
                        f"{where}: import {mod} belongs in pipeline/"
                    )
                    assert mod.split(".")[0] in {"pipeline", "IPython"}, (
                        f"{where}: notebooks import pipeline.* and IPython.display only"
                    )
            if (
                cell is not params
                and isinstance(node, ast.Constant)
                and isinstance(node.value, (int, float, complex))
                and not isinstance(node.value, bool)
            ):
                raise AssertionError(
                    f"{where}: magic number {node.value!r}; make it a parameter or put it in params/"
                )


def test_every_school_form_has_its_template():
    for form in SCHOOL_FORMS.values():
        nb = _read(form.notebook)
        src = _parameters_cell(nb).source
        assert f'skolform = "{form.code}"' in src
        assert (
            "lasar = 2024" in src
            and 'processed_dir = "../data/processed"' in src
            and 'params_dir = "../params"' in src
        )


RUN = [*TEMPLATES, EXPLORATION_NOTEBOOK]


def _run(name: str, processed: Path, params: Path, out_dir: Path) -> Path:
    import papermill

    form_code = _parameters_cell(_read(name)).source.split('"')[1]
    code = next(iter(UNITS[form_code])) if name not in (OVERVIEW_NOTEBOOK, EXPLORATION_NOTEBOOK) else ""
    out = out_dir / name
    papermill.execute_notebook(
        str(NOTEBOOKS / name),
        str(out),
        parameters={
            "skolform": form_code,
            "skolenhetskod": code,
            "lasar": 2024,
            "processed_dir": str(processed),
            "params_dir": str(params),
        },
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
        progress_bar=False,
    )
    return out


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, object]:
    """Every template executed once on the fake data set, in parallel (kernels are processes)."""
    from concurrent.futures import ThreadPoolExecutor

    pytest.importorskip("papermill")
    root = tmp_path_factory.mktemp("nbrun")
    processed, params = write_fake_project(root)
    # The kernel must import `pipeline` from the checkout (make setup installs it; tests may not).
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])))
    mp.setenv("MPLBACKEND", "Agg")
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = {name: pool.submit(_run, name, processed, params, root) for name in RUN}
            results: dict[str, object] = {}
            for name, fut in futures.items():
                try:
                    results[name] = fut.result()
                except Exception as exc:  # noqa: BLE001 - reported by the test of that notebook
                    results[name] = exc
    finally:
        mp.undo()
    results["_processed"] = processed
    return results


def _outputs(nb) -> list:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                raise AssertionError("".join(o.get("traceback", [])))
            if o.get("output_type") in ("display_data", "execute_result"):
                out.append(o)
    return out


def _executed(name, executed):
    result = executed[name]
    if isinstance(result, Exception):
        raise result
    return nbformat.read(result, as_version=4)


@pytest.mark.parametrize("name", RUN)
def test_template_runs_on_fake_data(name, executed):
    from pipeline.publishing.views import META, page_from_outputs

    nb = _executed(name, executed)
    form_code = _parameters_cell(_read(name)).source.split('"')[1]
    outputs = _outputs(nb)
    fragment = str(page_from_outputs(outputs).html)
    ids = re.findall(r'<section id="([^"]+)"', fragment)
    if name == EXPLORATION_NOTEBOOK:
        assert ids == ["utforska-tabell", "utforska-diagram"]
    else:
        form = get_school_form(form_code)
        # förskola's own evidence (barnintervjuer, observationer: issue 14) follows its areas
        evidence = ["forskola-underlag"] if form.own_evidence else []
        assert ids == ["sammanfattning", "analys", *[f"omrade-{a}" for a in form.quality_areas], *evidence]
        assert outputs[0]["metadata"][META]["del"] == "sidhuvud"
    # not one HTML blob: figures are figure outputs, tables are in their own outputs
    figures = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert figures, f"{name}: no figure output"
    for o in figures:
        meta = o["metadata"]
        assert meta["fig-alt"] and meta["fig-cap"] and meta[META]["del"] == "figur"
        assert "<svg" in "".join(o["data"]["image/svg+xml"])
    html_outputs = ["".join(o["data"]["text/html"]) for o in outputs if "text/html" in o.get("data", {})]
    assert any("<table" in h for h in html_outputs), f"{name}: no table output"
    assert all("<svg" not in h and "data:image/svg" not in h for h in html_outputs), "figures stay separate"
    assert all(h.count("<section") == 0 for h in html_outputs), "the site wraps sections, not the outputs"


class _Numbers(HTMLParser):
    """Every number element: (identity, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple | None] = []
        self.found: list[tuple[tuple, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag != "span":
            return
        a = dict(attrs)
        if "tal" in (a.get("class") or "").split() and a.get("data-varde"):
            key = tuple(
                a.get(k, "")
                for k in (
                    "data-kalla",
                    "data-indikator",
                    "data-grupp",
                    "data-lasar",
                    "data-lasar-fran",
                    "data-niva",
                    "data-skolenhetskod",
                    "data-kolumn",
                    "data-jamfor-med",
                    "data-varde",
                )
            )
            self.stack.append(key)
            self.found.append((key, ""))
        else:
            self.stack.append(None)

    def handle_endtag(self, tag):
        if tag == "span" and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] is not None:
            key, text = self.found[-1]
            self.found[-1] = (key, text + data)


def test_every_number_shown_twice_is_written_the_same_way(executed):
    """A number that appears in two places (the section table, a figure's data table, a sentence,
    the key figures, every page of the run) is written identically; a change may be written with
    or without its sign (a sentence says "Ökning med 1,3")."""
    from pipeline.publishing.views import page_from_outputs

    seen: dict[tuple, set[str]] = {}
    count: dict[tuple, int] = {}
    for name in RUN:
        p = _Numbers()
        p.feed(str(page_from_outputs(_outputs(_executed(name, executed))).html))
        for key, text in p.found:
            if key[0] in ("forandringar", "jamforelser"):
                text = text.lstrip("+\u2212")
            seen.setdefault(key, set()).add(text)
            count[key] = count.get(key, 0) + 1
    twice = [k for k, n in count.items() if n >= 2]
    assert len(twice) > 50, "too few numbers shown twice for this test to mean anything"
    different = {k: v for k, v in seen.items() if len(v) > 1}
    assert different == {}

    # the start page's key figures (site, PDF and book) write the huvudman's value as its table does
    import pandas as pd

    from pipeline.indicators.registry import load_indicator_registry
    from pipeline.publishing.book import compute_key_figures
    from pipeline.publishing.site import format_value

    processed = Path(executed["_processed"])
    key_figures = compute_key_figures(
        pd.read_parquet(processed / "indikatorer.parquet"),
        lasar=2024,
        skolformer=["GR"],
        registry=load_indicator_registry(),
        forandringar=pd.read_parquet(processed / "forandringar.parquet"),
    )
    assert key_figures
    for k in key_figures:
        key = ("", k.indikator, "samtliga", "2024", "", "huvudman", "", "varde", "", repr(k.varde))
        assert seen.get(key) == {format_value(k.varde, k.enhet, k.decimaler)}, k
