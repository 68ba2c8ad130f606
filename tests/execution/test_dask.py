"""The Dask backend: the same jobs on a LocalCluster give byte-identical outputs."""

from __future__ import annotations

import pytest

from pipeline.execution import run_jobs

from .conftest import make_project, plan_project

distributed = pytest.importorskip("distributed")


def _plan(project):
    return plan_project(project)


def test_dask_outputs_equal_local_outputs(tmp_path, pool):
    local = make_project(tmp_path / "local")
    remote = make_project(tmp_path / "dask")
    local_summary = run_jobs(_plan(local), cache_dir=local["cache_dir"], pool=pool, progress=False)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as cluster:
        summary = run_jobs(
            _plan(remote), cache_dir=remote["cache_dir"], scheduler=cluster.scheduler_address, progress=False
        )
        assert summary.backend == "dask"
        assert [r.status for r in summary.results] == ["executed"] * 4, summary.failures
        again = run_jobs(
            _plan(remote), cache_dir=remote["cache_dir"], scheduler=cluster.scheduler_address, progress=False
        )
        assert {r.status for r in again.results} == {"cached"}
    assert [r.hash for r in summary.results] == [r.hash for r in local_summary.results]
    for lr, rr in zip(local_summary.results, summary.results, strict=True):
        assert lr.output.read_bytes() == rr.output.read_bytes(), lr.name
