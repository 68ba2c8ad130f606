"""The local executor: cache, failures (saved, marked, listed), dead kernels, timeouts, determinism."""

from __future__ import annotations

import json

import nbformat
import pytest

from pipeline.errors import NotebookRunError
from pipeline.execution import run_jobs

from .conftest import indicator_table, make_project, plan_project, probe_job


def plan(project):
    return plan_project(project)


def run(project, pool, **kw):
    return run_jobs(plan(project), cache_dir=project["cache_dir"], pool=pool, progress=False, **kw)


def statuses(summary):
    return {r.name: r.status for r in summary.results}


def test_cold_then_cached_then_incremental_then_forced(project, pool):
    cold = run(project, pool)
    assert set(statuses(cold).values()) == {"executed"}, cold.failures
    out = project["out_dir"] / "notebooks" / "GR" / "10000002.ipynb"
    nb = nbformat.read(out, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'skolenhetskod = "10000002"' in injected[0].source
    assert "GR 10000002 2024" in nb.cells[-1].outputs[0]["text"]
    assert any("text/html" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))

    again = run(project, pool)
    assert set(statuses(again).values()) == {"cached"}

    indicator_table({"10000002": 5.0}).to_parquet(
        project["processed_dir"] / "indikatorer.parquet", index=False
    )
    inc = run(project, pool)
    assert {n for n, s in statuses(inc).items() if s == "executed"} == {
        "GR/10000002/2024",
        "GR/huvudman/2024",
    }

    forced = run(project, pool, force=True)
    assert set(statuses(forced).values()) == {"executed"}
    manifest = forced.to_manifest()
    assert manifest["counts"] == {"executed": 4, "cached": 0, "failed": 0}
    assert [j["name"] for j in manifest["jobs"]] == [r.name for r in forced.results]
    assert set(manifest["jobs"][0]) == {"name", "status", "seconds", "hash"}
    json.dumps(manifest)


def test_outputs_are_deterministic_and_carry_no_timestamps_or_machine_paths(tmp_path, pool):
    a = make_project(tmp_path / "a")
    b = make_project(tmp_path / "elsewhere" / "b")
    run(a, pool)
    run(b, pool)
    for name in ("10000001", "10000003", "huvudman"):
        raw_a = (a["out_dir"] / "notebooks" / "GR" / f"{name}.ipynb").read_bytes()
        raw_b = (b["out_dir"] / "notebooks" / "GR" / f"{name}.ipynb").read_bytes()
        assert raw_a == raw_b, name
        text = raw_a.decode()
        for word in ("start_time", "end_time", "duration", str(tmp_path), "iopub.execute_input"):
            assert word not in text, word
    nb = nbformat.read(a["out_dir"] / "notebooks" / "GR" / "10000001.ipynb", as_version=4)
    assert nb.metadata.papermill["input_path"] == "../../../../notebooks/grundskola.ipynb"
    assert nb.metadata.papermill["output_path"] == "10000001.ipynb"
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3, 4, 5, 6]


def test_cache_never_serves_a_changed_or_missing_output(project, pool):
    jobs = plan(project)
    run_jobs(jobs[:1], cache_dir=project["cache_dir"], pool=pool, progress=False)
    jobs[0].output.write_text("half-written", encoding="utf-8")
    assert (
        run_jobs(jobs[:1], cache_dir=project["cache_dir"], pool=pool, progress=False).results[0].status
        == "executed"
    )
    jobs[0].output.unlink()
    assert (
        run_jobs(jobs[:1], cache_dir=project["cache_dir"], pool=pool, progress=False).results[0].status
        == "executed"
    )
    assert (project["cache_dir"] / "GR" / "10000001" / "2024.json").is_file()


def test_failed_notebook_is_saved_marked_and_listed(project, pool):
    jobs = [probe_job(project, "fail")]
    summary = run_jobs(jobs, cache_dir=project["cache_dir"], pool=pool, progress=False)
    (res,) = summary.results
    assert res.status == "failed"
    assert res.error.startswith("ZeroDivisionError")
    assert res.cell_index == 3 and res.execution_count == 4
    nb = nbformat.read(jobs[0].output, as_version=4)
    assert "papermill-error-cell-tag" in nb.cells[0].metadata.tags  # the red marker at the top
    assert "In [4]" in nb.cells[0].source
    assert 'id="papermill-error-cell"' in nb.cells[res.cell_index + 1].source  # anchor above the failing cell
    failing = nb.cells[res.cell_index + 2]
    assert (
        failing.outputs[-1]["output_type"] == "error" and failing.outputs[-1]["ename"] == "ZeroDivisionError"
    )
    assert not (project["cache_dir"] / "GR" / "10000001" / "2024.json").exists()
    assert summary.failures == [res] and res.name == "GR/10000001/2024" and res.output == jobs[0].output
    with pytest.raises(
        NotebookRunError, match=r"GR/10000001/2024: cell 3 \(In \[4\]\): ZeroDivisionError"
    ) as err:
        summary.raise_for_failures()
    assert err.value.exit_code == 1
    assert err.value.failures == [res]


@pytest.mark.parametrize(
    ("action", "ename", "timeout"), [("die", "DeadKernelError", 60), ("sleep", "TimeoutError", 2)]
)
def test_dead_or_hung_kernel_fails_the_job_not_the_run(project, pool, action, ename, timeout):
    jobs = [probe_job(project, action)]
    summary = run_jobs(jobs, cache_dir=project["cache_dir"], pool=pool, progress=False, timeout=timeout)
    (res,) = summary.results
    assert res.status == "failed" and res.error.startswith(ename)
    assert res.cell_index == 3
    nb = nbformat.read(jobs[0].output, as_version=4)
    assert nb.cells[res.cell_index + 2].outputs[-1]["ename"] == ename
    # the kernel was replaced: the next job on the same pool runs
    ok = [probe_job(make_project(project["root"].parent / f"next-{action}"), "")]
    assert (
        run_jobs(ok, cache_dir=project["cache_dir"], pool=pool, progress=False).results[0].status
        == "executed"
    )
