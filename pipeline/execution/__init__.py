"""Execution: plan notebook jobs, check their signatures, run them on warm kernels or Dask.

Public API::

    jobs = plan_jobs(lasar=2024, units=units, processed_dir=..., params_dir=..., out_dir=...)
    summary = run_jobs(jobs, cache_dir=..., workers=None, force=False, scheduler=None)
    summary.to_manifest(); summary.raise_for_failures()

Paths inside executed notebooks: ``processed_dir`` and ``params_dir`` are injected relative to
the output notebook's folder, which is the kernel's working directory while the job runs (as
when the executed notebook is opened in Jupyter), and papermill's ``input_path``/``output_path``
metadata are relative too. So a rebuild in another clone location is byte-identical.
"""

from pipeline.execution.planner import Job, code_version, plan_jobs
from pipeline.execution.runner import JobResult, LocalPool, RunSummary, is_cached, run_jobs
from pipeline.execution.signature import Parameter, check_parameters, notebook_parameters

__all__ = [
    "Job",
    "JobResult",
    "LocalPool",
    "Parameter",
    "RunSummary",
    "check_parameters",
    "code_version",
    "is_cached",
    "notebook_parameters",
    "plan_jobs",
    "run_jobs",
]
