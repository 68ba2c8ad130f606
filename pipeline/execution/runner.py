"""Run jobs: the content-hash cache, a local pool of warm kernels, or a Dask cluster.

``run_jobs`` checks every job's parameters against its template (before any kernel starts),
serves unchanged jobs from the cache, runs the rest in parallel on warm kernels, writes every
output atomically and returns a :class:`RunSummary`. A failed notebook is saved with the
failing cell marked and listed in the summary; it never stops the run
(:meth:`RunSummary.raise_for_failures` turns failures into :class:`NotebookRunError`).

The cache: ``cache_dir/<job name>.json`` holds the job's hash and the sha256 of the output it
wrote. A job is served from the cache ("cached") only when both match and the output exists;
outputs are written atomically before their record, so a killed run never leaves a record
that points to a half-written notebook.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.atomic import write_bytes_atomic
from pipeline.errors import ConfigError, NotebookRunError
from pipeline.execution.kernel import (
    CellError,
    ExecutedJob,
    WarmKernel,
    execute_payload,
    failed_result,
    release_kernels,
    release_thread_kernel,
    template_ref,
    thread_kernel,
)
from pipeline.execution.planner import Job
from pipeline.execution.signature import check_parameters
from pipeline.stages import Stamp

STATUSES = ("executed", "cached", "failed")


@dataclass(frozen=True)
class JobResult:
    """What happened to one job.

    ``cell_index`` is papermill's: the index of the failing cell in the executed notebook (the
    injected-parameters cell counted, the error-marker cells not); ``execution_count`` is the
    ``In [n]`` shown next to it.
    """

    name: str
    status: str
    seconds: float
    hash: str
    output: Path
    cell_index: int | None = None
    execution_count: int | None = None
    error: str = ""
    traceback: str = ""


@dataclass
class RunSummary:
    """Per-job status and timings of one run."""

    results: list[JobResult] = field(default_factory=list)
    seconds: float = 0.0
    backend: str = "local"
    workers: int = 0

    def _with(self, status: str) -> list[JobResult]:
        return [r for r in self.results if r.status == status]

    @property
    def executed(self) -> list[JobResult]:
        return self._with("executed")

    @property
    def cached(self) -> list[JobResult]:
        return self._with("cached")

    @property
    def failed(self) -> list[JobResult]:
        return self._with("failed")

    @property
    def failures(self) -> list[JobResult]:
        """The failed jobs' results (name, output, cell_index, execution_count, error, traceback)."""
        return self.failed

    def to_manifest(self) -> dict:
        """The ``jobs`` part of ``reports/<YEAR>/manifest.json``: per job name, status, seconds, hash."""
        return {
            "backend": self.backend,
            "workers": self.workers,
            "seconds": round(self.seconds, 3),
            "counts": {s: len(self._with(s)) for s in STATUSES},
            "jobs": [
                {"name": r.name, "status": r.status, "seconds": round(r.seconds, 3), "hash": r.hash}
                for r in self.results
            ],
        }

    def raise_for_failures(self) -> None:
        """Raise :class:`NotebookRunError` listing every failed job (job, cell, error)."""
        if not self.failed:
            return
        lines = [
            f"- {r.name}: cell {r.cell_index} (In [{r.execution_count}]): {r.error} -> see {r.output}"
            for r in self.failed
        ]
        raise NotebookRunError(
            f"{len(self.failed)} of {len(self.results)} notebook job(s) failed:\n" + "\n".join(lines) + "\n"
            "Each failed notebook is saved with the failing cell marked; open it, fix the data or the "
            "template, and run again (unchanged jobs are served from the cache).",
            self.failures,
        )


# -- cache ---------------------------------------------------------------------------------------


def _record_path(cache_dir: Path, job: Job) -> Path:
    return Path(cache_dir) / f"{job.name}.json"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _stamp(cache_dir: Path, job: Job) -> Stamp:
    """The job's record: its key (``hash``, from the planner) and the sha256 of the output it wrote."""
    return Stamp(_record_path(cache_dir, job), field="hash")


def is_cached(job: Job, cache_dir: Path) -> bool:
    """True when the stored record has this job's hash and the output file is the one recorded."""
    stamp = _stamp(cache_dir, job)
    if not stamp.matches(job.hash, [job.output]):
        return False
    return stamp.read().get("output_sha256") == _sha256(job.output)


def _write_record(job: Job, cache_dir: Path, output_sha: str) -> None:
    _stamp(cache_dir, job).write(job.hash, indent=1, newline=True, job=job.name, output_sha256=output_sha)


# -- backends ------------------------------------------------------------------------------------


class LocalPool:
    """Threads of this process, each owning one warm kernel; reusable across :func:`run_jobs` calls.

    The notebooks run in the kernels (processes of their own); a pool thread only drives its
    kernel through papermill's client and returns the executed notebook, so a thread costs next
    to nothing where a worker process would cost an interpreter with papermill imported.

    Threads (and their kernels) start on first use, all at once, so that a fully cached run
    starts nothing. A failed job or a dead kernel fails that job only: the kernel is replaced
    before the thread's next job. :meth:`close` shuts the pool's kernels down (and only those).

    Parameters
    ----------
    workers
        Number of threads (one kernel each); every core by default.
    kernel_name
        Kernelspec to start.
    """

    #: Seconds a start-up or teardown task waits for the pool's other threads to take theirs.
    GATHER_TIMEOUT = 300.0

    def __init__(self, workers: int | None = None, *, kernel_name: str = "python3") -> None:
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self.kernel_name = kernel_name
        self._executor: ThreadPoolExecutor | None = None
        self._kernels: list[WarmKernel] = []
        self._futures: set[Future] = set()
        self._lock = threading.Lock()

    def _on_each_thread(self, executor: ThreadPoolExecutor, fn: Callable[[], None]) -> list[Future]:
        """Run ``fn`` once on each of the pool's threads.

        Each task waits at a barrier until all ``workers`` tasks are running, so no thread takes
        two of them (and the executor starts a new thread for a task while none is idle).
        """
        barrier = threading.Barrier(self.workers)

        def task() -> None:
            try:
                fn()
            finally:
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait(self.GATHER_TIMEOUT)

        return [executor.submit(task) for _ in range(self.workers)]

    def _start_thread_kernel(self) -> None:
        kernel = thread_kernel(self.kernel_name, start=False)
        with self._lock:
            self._kernels.append(kernel)
        with contextlib.suppress(Exception):  # a kernel that cannot start fails its jobs instead
            kernel.start()

    def _ensure(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="kvalitet-kernel")
            self._starting = self._on_each_thread(self._executor, self._start_thread_kernel)
        return self._executor

    def start(self) -> None:
        """Start the threads and their kernels now and wait until every kernel is warm (else they
        start with the first jobs)."""
        self._ensure()
        wait(getattr(self, "_starting", []))

    def _submit(self, executor: ThreadPoolExecutor, payload: dict) -> Future:
        fut = executor.submit(execute_payload, payload)
        with self._lock:
            self._futures.add(fut)
        fut.add_done_callback(self._done)
        return fut

    def _done(self, fut: Future) -> None:
        with self._lock:
            self._futures.discard(fut)

    def map(self, payloads: Sequence[dict]) -> Iterator[ExecutedJob]:
        """Run payloads, yielding results as they complete."""
        executor = self._ensure()
        futures: dict[Future, dict] = {self._submit(executor, p): p for p in payloads}
        try:
            for fut in as_completed(futures):
                # forget the future once its result is handed over: it holds the executed notebook
                # (figures included), and keeping all of them would hold every output in memory
                payload = futures.pop(fut)
                try:
                    result = fut.result()
                except Exception as exc:  # noqa: BLE001 - execute_payload reports failures itself; never fatal
                    result = _worker_failure(payload, exc)
                del fut
                yield result
                del result
        finally:
            for fut in futures:  # the caller stopped early: do not run what it will not collect
                fut.cancel()

    def close(self) -> None:
        """Shut the pool's kernels down and stop its threads.

        Jobs not yet started are cancelled and the kernels killed first, so that a job still
        running (the caller was interrupted) ends now rather than at its timeout; then each
        thread shuts its own kernel down (its client and event loop belong to that thread).
        """
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        with self._lock:
            kernels, self._kernels = self._kernels, []
            pending, self._futures = self._futures, set()
        for fut in pending:
            fut.cancel()
        for kernel in kernels:
            kernel.kill()
        self._on_each_thread(executor, release_thread_kernel)
        executor.shutdown(wait=True)
        release_kernels(kernels)  # any that a thread could not shut down itself

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _worker_failure(payload: dict, exc: BaseException) -> ExecutedJob:
    return failed_result(payload, exc, "the worker running the job was lost")


def _dask_map(payloads: Sequence[dict], scheduler: Any) -> Iterator[ExecutedJob]:
    """Run payloads on a ``dask.distributed`` cluster; each worker thread keeps its own warm kernel."""
    from distributed import Client
    from distributed import as_completed as dask_completed

    from pipeline.execution.dask_backend import KernelTeardown

    own = not hasattr(scheduler, "submit")
    client = Client(scheduler) if own else scheduler
    try:
        client.register_plugin(KernelTeardown(), name="kvalitet-kernels")
        futures = [
            client.submit(execute_payload, p, key=f"notebook-{p['name']}-{p['hash'][:12]}", pure=False)
            for p in payloads
        ]
        for fut in dask_completed(futures):
            try:
                yield fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails the job, not the run
                yield _worker_failure(payloads[futures.index(fut)], exc)
    finally:
        if own:
            client.close()


# -- the run -------------------------------------------------------------------------------------


def _payload(job: Job, timeout: float, kernel_name: str) -> dict:
    return {
        "name": job.name,
        "hash": job.hash,
        "template_text": Path(job.template).read_text(encoding="utf-8"),
        "template_ref": template_ref(job.template, job.output),
        "output_ref": job.output.name,
        "parameters": dict(job.parameters),
        "cwd": str(Path(job.cwd).resolve()),
        "timeout": float(timeout),
        "kernel_name": kernel_name,
    }


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        file=sys.stderr,
        disable=not enabled or total == 0,
        unit="nb",
        desc="notebooks",
        dynamic_ncols=True,
        mininterval=0.5,
    )


def run_jobs(
    jobs: Sequence[Job],
    *,
    workers: int | None = None,
    force: bool = False,
    cache_dir: Path,
    timeout: float = 600,
    progress: bool = True,
    scheduler: Any = None,
    pool: LocalPool | None = None,
    kernel_name: str = "python3",
    on_result: Callable[[JobResult], None] | None = None,
) -> RunSummary:
    """Run notebook jobs: cached ones are skipped, the rest run in parallel on warm kernels.

    Parameters
    ----------
    jobs
        From :func:`pipeline.execution.plan_jobs`.
    workers
        Local workers (threads, one warm kernel each); every core by default. Ignored with a
        scheduler (the cluster decides).
    force
        Run every job even if its hash is in the cache.
    cache_dir
        Where the per-job records live (``cache_dir/<job name>.json``).
    timeout
        Seconds one notebook may run; then it fails and its kernel is replaced.
    progress
        Show a progress bar (done, failed, cached, ETA) on stderr.
    scheduler
        A Dask scheduler address (``tcp://host:8786``), a ``distributed.Client``, or None for the
        environment variable ``SCHEDULER`` (unset: run locally).
    pool
        A :class:`LocalPool` to reuse (warm) across runs; by default one is made for this run.
    kernel_name
        Kernelspec to start.
    on_result
        Called with each :class:`JobResult` as it arrives.

    Returns
    -------
    RunSummary
        Results in job order.

    Raises
    ------
    NotebookParameterError
        A job's parameters do not match its template (checked before any kernel starts).
    ConfigError
        Two jobs write the same output, or a job name repeats.
    """
    started = time.perf_counter()
    jobs = list(jobs)
    names = [j.name for j in jobs]
    if len(set(names)) != len(names) or len({j.output for j in jobs}) != len(jobs):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ConfigError(
            f"run_jobs: job names and outputs must be unique; repeated: {dup or 'an output path'}."
        )
    for job in jobs:
        check_parameters(job.template, job.parameters, job=job.name)

    if scheduler is None:
        scheduler = os.environ.get("SCHEDULER") or None
    backend = "dask" if scheduler else "local"
    results: dict[str, JobResult] = {}
    bar = _progress(len(jobs), progress)
    counts = {s: 0 for s in STATUSES}

    def record(result: JobResult) -> None:
        results[result.name] = result
        counts[result.status] += 1
        bar.update(1)
        bar.set_postfix(counts, refresh=False)
        if on_result is not None:
            on_result(result)

    todo: list[Job] = []
    for job in jobs:
        if not force and is_cached(job, cache_dir):
            record(JobResult(job.name, "cached", 0.0, job.hash, job.output))
        else:
            todo.append(job)

    by_name = {j.name: j for j in todo}
    own_pool = None
    n_workers = 0
    try:
        if todo:
            payloads = [_payload(j, timeout, kernel_name) for j in todo]
            if backend == "dask":
                stream = _dask_map(payloads, scheduler)
            else:
                if pool is None:
                    own_pool = pool = LocalPool(
                        min(workers or os.cpu_count() or 1, len(todo)), kernel_name=kernel_name
                    )
                n_workers = pool.workers
                stream = pool.map(payloads)
            for raw in stream:
                job = by_name[raw.name]
                record(_finish(job, raw, cache_dir))
    finally:
        bar.close()
        if own_pool is not None:
            own_pool.close()
    return RunSummary(
        results=[results[n] for n in names],
        seconds=time.perf_counter() - started,
        backend=backend,
        workers=n_workers,
    )


def _finish(job: Job, raw: ExecutedJob, cache_dir: Path) -> JobResult:
    """Write the output atomically, then (on success) the cache record."""
    _stamp(cache_dir, job).clear()
    if raw.notebook is not None:
        write_bytes_atomic(job.output, raw.notebook)
    if raw.status == "executed" and raw.notebook is not None:
        _write_record(job, cache_dir, hashlib.sha256(raw.notebook).hexdigest())
        return JobResult(job.name, "executed", raw.seconds, job.hash, job.output)
    err = raw.error or CellError(None, None, "", "")
    return JobResult(
        job.name,
        "failed",
        raw.seconds,
        job.hash,
        job.output,
        cell_index=err.cell_index,
        execution_count=err.execution_count,
        error=err.text,
        traceback=err.traceback,
    )
