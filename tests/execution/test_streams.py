"""What a cell prints is one output however the kernel happened to flush it.

On a loaded machine the kernel's output thread can send one ``print`` as two messages (the
suite once saw ``"GR"`` and ``" 10000003 2024\\n"`` as two stdout outputs in the Dask run and
one in the local run). A flush in the middle of a line forces that split here, every time.
"""

from __future__ import annotations

import nbformat

from pipeline.execution import run_jobs

from .conftest import make_project, plan_project

PARAMETERS = 'skolform = "GR"\nskolenhetskod = ""\nlasar = 2024\nprocessed_dir = ""\nparams_dir = ""'

SPLIT_CELL = """\
import sys
print("GR", end="")
sys.stdout.flush()
print(" 10000001", end="")
sys.stdout.flush()
print(" 2024")
sys.stdout.flush()  # stdout and stderr are buffered apart: only a flush fixes their order
print("en varning", file=sys.stderr)
sys.stderr.flush()
print("efter varningen")
"""


def test_split_prints_become_one_output_per_stream_run(tmp_path, pool):
    project = make_project(tmp_path / "p")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(SPLIT_CELL)]
    nbformat.write(nb, project["notebooks_dir"] / "grundskola.ipynb")
    units = project["units"].iloc[:1]
    jobs = [j for j in plan_project(project, units=units, check=False) if "huvudman" not in j.name]
    summary = run_jobs(jobs, cache_dir=project["cache_dir"], pool=pool, progress=False)
    assert [r.status for r in summary.results] == ["executed"], summary.failures
    out = nbformat.read(jobs[0].output, as_version=4)
    cell = next(c for c in out.cells if "sys.stdout.flush()" in c.source)
    # Expected by hand: the three flushed pieces of the first line and nothing else on stdout
    # before the stderr line make one stdout output; stderr between them keeps the order.
    assert [(o["output_type"], o["name"], o["text"]) for o in cell.outputs] == [
        ("stream", "stdout", "GR 10000001 2024\n"),
        ("stream", "stderr", "en varning\n"),
        ("stream", "stdout", "efter varningen\n"),
    ]
