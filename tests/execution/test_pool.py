"""The local pool: threads of this process drive the kernels; closing it shuts its kernels down
(and only its own); an interrupted run does not wait for a running job to time out."""

from __future__ import annotations

import json
import threading
import time

import nbformat
import psutil

from pipeline.execution import LocalPool, run_jobs
from pipeline.execution.runner import _payload

from .conftest import NOTEBOOKS, make_project, plan_project, probe_job


def _plan(project, **kw):
    return plan_project(project, **kw)


def _kernels() -> set[int]:
    """Pids of this process's kernels (children running ipykernel)."""
    out = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if "ipykernel" in " ".join(child.cmdline()):
                out.add(child.pid)
        except psutil.Error:
            continue
    return out


def _gone(pids: set[int], within: float = 120.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = [
            p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
        ]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def test_threads_drive_the_kernels_and_close_shuts_only_this_pools_kernels(tmp_path, pool):
    project = make_project(tmp_path / "p")
    before = _kernels()  # e.g. the session pool's kernel: it must survive
    children_before = {c.pid for c in psutil.Process().children()}
    threads_before = set(threading.enumerate())
    with LocalPool(workers=2) as two:
        summary = run_jobs(_plan(project), cache_dir=project["cache_dir"], pool=two, progress=False)
        assert [r.status for r in summary.results] == ["executed"] * 4, summary.failures
        ours = _kernels() - before
        assert len(ours) == 2  # one kernel per thread, started together
        # no worker processes: every new child of this process is one of the two kernels
        children = {c.pid for c in psutil.Process().children()} - children_before
        assert children == ours
        # the pool's own threads (other libraries may start threads of their own meanwhile)
        threads = {
            t for t in set(threading.enumerate()) - threads_before if t.name.startswith("kvalitet-kernel")
        }
        assert len(threads) == 2
    assert _gone(ours), "the pool's kernels are still running after close()"
    assert not any(t.is_alive() for t in threads)
    assert before <= _kernels()  # the other pool's kernel was not touched
    # a pool is reusable after close(): it starts again on first use
    again = make_project(tmp_path / "again")
    two = LocalPool(workers=2)
    try:
        assert {
            r.status
            for r in run_jobs(_plan(again), cache_dir=again["cache_dir"], pool=two, progress=False).results
        } == {"executed"}
    finally:
        two.close()


def test_close_during_a_run_ends_the_running_job_now(tmp_path):
    project = make_project(tmp_path / "p")
    job = probe_job(project, "sleep")
    before = _kernels()  # e.g. the session pool's kernel
    one = LocalPool(workers=1)
    results = one.map([_payload(job, 600, "python3")])
    got: list = []
    started = threading.Thread(target=lambda: got.append(next(results, None)), daemon=True)
    started.start()  # the job sleeps 60 s in its cell, with a timeout of 600 s
    deadline = time.monotonic() + 60
    while not _kernels() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    ours = _kernels() - before
    assert len(ours) == 1
    time.sleep(8)  # the kernel is up and (on an idle machine) running the cell
    one.close()
    assert _gone(ours)
    started.join(120)
    # had close() waited for the job, the job would have finished its 60 s sleep: "executed"
    assert not got or got[0] is None or got[0].status != "executed", "close() waited for the running job"


def test_kernels_are_set_up_to_hold_little_memory(tmp_path, pool):
    project = make_project(tmp_path / "p")
    nb = nbformat.read(NOTEBOOKS / "probe.ipynb", as_version=4)
    nb.cells[-1].source = (
        "import gc, os\n"
        "print(json.dumps({'frozen': gc.get_freeze_count(), "
        "'arrow': os.environ.get('ARROW_DEFAULT_MEMORY_POOL')}))"
    )
    job = probe_job(project, "")  # copies the probe; then replace it with the variant
    nbformat.write(nb, project["notebooks_dir"] / "grundskola.ipynb")
    summary = run_jobs([job], cache_dir=project["cache_dir"], pool=pool, progress=False)
    assert summary.results[0].status == "executed", summary.failures
    out = nbformat.read(job.output, as_version=4)
    printed = [o["text"] for o in out.cells[-1].outputs if o.get("name") == "stdout"]
    state = json.loads(printed[0])
    # the preloaded modules are frozen (the collection before each job skips them) and pyarrow
    # uses the system allocator (whose free pages reset() hands back)
    assert state["frozen"] > 10_000
    assert state["arrow"] == "system"


def test_a_fully_cached_run_starts_nothing(tmp_path, pool):
    project = make_project(tmp_path / "p")
    run_jobs(_plan(project), cache_dir=project["cache_dir"], pool=pool, progress=False)
    before = _kernels()
    fresh = LocalPool(workers=3)
    summary = run_jobs(_plan(project), cache_dir=project["cache_dir"], pool=fresh, progress=False)
    assert {r.status for r in summary.results} == {"cached"}
    assert fresh._executor is None and _kernels() == before
    fresh.close()


def test_start_warms_every_kernel_before_any_job():
    pool = LocalPool(workers=2)
    try:
        pool.start()
        assert len(pool._kernels) == 2 and all(k.alive() and k.starts == 1 for k in pool._kernels)
    finally:
        pool.close()
