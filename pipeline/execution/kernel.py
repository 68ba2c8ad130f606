"""Warm kernels: one long-lived Jupyter kernel per worker (thread), reset between notebooks.

A naive papermill run starts a kernel per notebook and re-imports pandas, matplotlib and
seaborn in each (about 2 s of a 3 s notebook). Here each worker thread (of the local pool, or of
a Dask worker) owns one :class:`WarmKernel`: started once, with the heavy modules preloaded, and
reset to a snapshot of its clean state before every job (:mod:`pipeline.execution.kernel_state`).

Notebooks run through papermill: parameters are injected by ``papermill.parameterize`` (the
``injected-parameters`` cell) and cells are executed by the papermill engine ``warm-kernel``
(registered in ``papermill.engines.papermill_engines``), which drives papermill's own
``PapermillNotebookClient`` against the existing kernel. Outputs therefore look exactly like
papermill's, minus what would make them differ between runs: timestamps and durations are
removed, a cell's consecutive stdout (stderr) messages are merged, cell ids are fixed, and paths in the metadata are relative to the output notebook.

A failed notebook is kept in papermill's *save, then raise* style: the error output in the
cell, the red error marker at the top and the anchor above the failing cell. A timeout or a
dead kernel (``os._exit`` in a cell) becomes an error output in the cell that was running, and
the kernel is replaced before the next job.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
import traceback as tb
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
from nbconvert.preprocessors import CoalesceStreamsPreprocessor
from papermill import __version__ as papermill_version
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.execute import (
    ERROR_ANCHOR_MSG,
    ERROR_MARKER_TAG,
    ERROR_MESSAGE_TEMPLATE,
    prepare_notebook_metadata,
    remove_error_markers,
)
from papermill.log import logger
from papermill.parameterize import parameterize_notebook

from pipeline.paths import REPO_ROOT

#: Modules imported once per kernel, before the snapshot (missing ones are skipped).
PRELOAD: tuple[str, ...] = (
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.parquet",
    "matplotlib",
    "matplotlib.pyplot",
    "seaborn",
    "yaml",
    "pipeline",
    "pipeline.config",
    "pipeline.school_forms",
    "pipeline.indicators",
    "pipeline.indicators.registry",
    "pipeline.publishing",
    "pipeline.publishing.pages",
)

#: Engine name in papermill's registry.
ENGINE_NAME = "warm-kernel"

_PRELOAD_CODE = """\
def _kvalitet_preload(names):
    import importlib, io
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    import sys
    if "matplotlib.pyplot" in sys.modules:
        plt = sys.modules["matplotlib.pyplot"]
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        ax.set_title("warm-up")
        fig.savefig(io.BytesIO(), format="png")
        fig.savefig(io.BytesIO(), format="svg")
        plt.close(fig)
    if "pandas" in sys.modules:
        pd = sys.modules["pandas"]
        df = pd.DataFrame({"a": ["x", "y", "x"], "b": [1.0, 2.0, 3.0]})
        df.groupby("a")["b"].agg(["mean", "count"]).to_html()
    __import__("pipeline.execution.kernel_state", fromlist=["snapshot"]).snapshot()
_kvalitet_preload(%r)
del _kvalitet_preload
"""


class KernelError(RuntimeError):
    """The kernel died or a job ran out of time: the kernel must be replaced."""


class WarmKernelEngine(Engine):
    """Papermill engine that runs a notebook on an already started kernel (``km`` and ``kc``)."""

    @classmethod
    def execute_managed_notebook(  # type: ignore[override]
        cls,
        nb_man,
        kernel_name,
        *,
        km=None,
        kc=None,
        timeout: float = 600,
        log_output: bool = False,
        **kwargs,
    ):
        if km is None or kc is None:
            raise ValueError("The 'warm-kernel' engine needs a running kernel: pass km= and kc=.")
        deadline = time.monotonic() + timeout
        client = PapermillNotebookClient(
            nb_man,
            km=km,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            record_timing=False,
            timeout_func=lambda cell: max(1, int(deadline - time.monotonic() + 0.999)),
            # how long to wait for a finished cell's last outputs: on a loaded machine they can
            # come seconds late, and a shorter wait would drop them (returns as soon as they arrive)
            iopub_timeout=60,
        )
        kc.allow_stdin = False
        client.kc = kc  # not a constructor argument (NotebookClient.__init__ clears kc): reuse ours
        return client.execute()


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


def _coalesce_streams(nb: nbformat.NotebookNode) -> None:
    """Merge a cell's consecutive stdout (or stderr) outputs into one.

    The kernel sends what a cell prints in as many messages as its output thread flushed: one
    ``print("GR", "10000003")`` is one message on an idle machine and can be two on a loaded one.
    Merged (nbconvert's own preprocessor), the executed notebook is the same bytes either way.
    """
    CoalesceStreamsPreprocessor().preprocess(nb, {})


def _strip_timing(nb: nbformat.NotebookNode) -> None:
    for key in ("start_time", "end_time", "duration"):
        nb.metadata.get("papermill", {}).pop(key, None)
    for cell in nb.cells:
        pm = cell.get("metadata", {}).get("papermill")
        if pm is not None:
            for key in ("start_time", "end_time", "duration"):
                pm.pop(key, None)
        cell.get("metadata", {}).pop("execution", None)


@dataclass(frozen=True)
class CellError:
    """Where and how a notebook failed (papermill's ``cell_index``/``execution_count`` rules)."""

    cell_index: int | None
    execution_count: int | None
    ename: str
    evalue: str
    traceback: str = ""

    @property
    def text(self) -> str:
        """``ename: evalue`` (either may be empty)."""
        return f"{self.ename}: {self.evalue}".strip(": ")


@dataclass(frozen=True)
class ExecutedJob:
    """What a worker hands back for one job (picklable: it travels back from a Dask worker).

    ``notebook`` is the executed notebook's bytes (None when none was produced); ``error`` is
    set when ``status`` is ``failed``.
    """

    name: str
    status: str
    seconds: float
    notebook: bytes | None
    error: CellError | None = None
    pid: int = 0
    kernel_starts: int = 0


def _first_error(nb: nbformat.NotebookNode) -> CellError | None:
    """Papermill's rule (``raise_for_execution_errors``): the first error output, else a flagged cell."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                if output.get("ename") == "SystemExit" and output.get("evalue") in ("", "0"):
                    continue
                return CellError(
                    cell_index=index,
                    execution_count=cell.get("execution_count"),
                    ename=output.get("ename", ""),
                    evalue=output.get("evalue", ""),
                    traceback="\n".join(output.get("traceback", [])),
                )
        if cell.get("metadata", {}).get("papermill", {}).get("exception") is True:
            return CellError(
                cell_index=index,
                execution_count=cell.get("execution_count"),
                ename="CellExecutionError",
                evalue="",
            )
    return None


def _mark_error(nb: nbformat.NotebookNode, error: CellError) -> None:
    """Insert papermill's error marker (top) and anchor (above the failing cell)."""
    msg = nbformat.v4.new_markdown_cell(ERROR_MESSAGE_TEMPLATE % str(error.execution_count))
    msg.metadata["tags"] = [ERROR_MARKER_TAG]
    msg["id"] = "papermill-error-message"
    anchor = nbformat.v4.new_markdown_cell(ERROR_ANCHOR_MSG)
    anchor.metadata["tags"] = [ERROR_MARKER_TAG]
    anchor["id"] = "papermill-error-anchor"
    nb.cells.insert(error.cell_index or 0, anchor)
    nb.cells.insert(0, msg)


def _fix_ids(nb: nbformat.NotebookNode, had_id: list[bool]) -> None:
    """Deterministic cell ids: the template's own, else ``cell-<n>``; the injected cell is named."""
    template_index = 0
    seen: set[str] = set()
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags:
            cell["id"] = "injected-parameters"
        elif ERROR_MARKER_TAG in tags:
            pass
        else:
            if template_index >= len(had_id) or not had_id[template_index]:
                cell["id"] = f"cell-{template_index}"
            template_index += 1
        while cell["id"] in seen:
            cell["id"] = f"{cell['id']}-x"
        seen.add(cell["id"])


def _running_cell(nb: nbformat.NotebookNode) -> int | None:
    """The cell that was running when the kernel died or timed out: the last one papermill started."""
    started = [
        index
        for index, cell in enumerate(nb.cells)
        if cell.get("cell_type") == "code" and cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    return started[-1] if started else None


class WarmKernel:
    """One long-lived kernel with the heavy modules preloaded.

    Parameters
    ----------
    kernel_name
        Kernelspec name (``python3``: the venv's Python, see the Makefile's ``setup``).
    preload
        Modules imported before the clean-state snapshot.
    startup_timeout
        Seconds to wait for the kernel to come up (generous: on a busy machine a kernel has been
        seen to take 90 s to start; a dead kernel is noticed at once, not at this bound).
    """

    def __init__(
        self, kernel_name: str = "python3", preload: tuple[str, ...] = PRELOAD, startup_timeout: float = 600
    ):
        self.kernel_name = kernel_name
        self.preload = tuple(preload)
        self.startup_timeout = startup_timeout
        self.km: Any = None
        self.kc: Any = None
        self.starts = 0
        #: the folder of the kernel's socket files while it runs
        self._ipc_dir: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the kernel, preload, snapshot the clean state."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        # pyarrow's own allocator (mimalloc) keeps what read_parquet freed: about 50 MiB more per
        # warm kernel after a few dozen jobs than the system allocator, whose free pages
        # kernel_state.reset() hands back (malloc_trim)
        env.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
        # the inline backend, as in Jupyter (figures become image/png outputs); set before the
        # preload imports pyplot, else matplotlib falls back to Agg and figures are lost
        env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
        self._ipc_dir = tempfile.mkdtemp(prefix="kvalitet-kernel-")
        self.km = AsyncKernelManager(
            kernel_name=self.kernel_name, transport="ipc", ip=os.path.join(self._ipc_dir, "k")
        )
        run_sync(self.km.start_kernel)(
            env=env,
            cwd=str(REPO_ROOT),
            extra_arguments=["--HistoryManager.enabled=False", "--HistoryManager.hist_file=:memory:"],
        )
        # A blocking client on the shell channel only, for the silent preload/reset requests; each
        # notebook gets its own async client (see run_job), as nbclient expects.
        from jupyter_client.blocking import BlockingKernelClient

        self.kc = BlockingKernelClient()
        self.kc.load_connection_info(self.km.get_connection_info())
        self.kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                self.kc.kernel_info()
                self.kc.get_shell_msg(timeout=1.0)
                break
            except Empty:
                if time.monotonic() > deadline or not self.alive():
                    raise KernelError(
                        f"the kernel did not start within {self.startup_timeout:.0f} s"
                    ) from None
        self.run_silent(_PRELOAD_CODE % (self.preload,), timeout=self.startup_timeout)
        self.starts += 1

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def shutdown(self) -> None:
        """Stop the kernel now (no graceful shutdown: it holds no state worth saving)."""
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            try:
                self.kc.stop_channels()
            finally:
                self.kc = None
        if self.km is not None:
            km, self.km = self.km, None
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - a kernel that is already gone is fine
                self._kill(km)
        if self._ipc_dir:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None

    @staticmethod
    def _kill(km: Any) -> None:
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        if proc is not None:
            try:
                proc.kill()
            except OSError:
                pass

    def kill(self) -> None:
        """Hard kill from any thread (used at interpreter exit)."""
        if self.km is not None:
            self._kill(self.km)

    def replace(self) -> None:
        """Throw the kernel away and start a fresh one."""
        try:
            self.shutdown()
        finally:
            self.start()

    # -- execution ---------------------------------------------------------------------------
    def run_silent(self, code: str, *, timeout: float = 300) -> None:
        """Run code silently (no history, no execution count); raise :class:`KernelError` on error."""
        msg_id = self.kc.execute(code, silent=True, store_history=False)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KernelError(f"the kernel did not answer within {timeout:.0f} s")
            try:
                reply = self.kc.get_shell_msg(timeout=min(remaining, 1.0))
            except Empty:
                if not self.alive():
                    raise KernelError("the kernel died") from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelError(
                f"{content.get('ename', 'Error')}: {content.get('evalue', '')}\n"
                + "\n".join(content.get("traceback", []))
            )

    def run_job(self, payload: dict) -> ExecutedJob:
        """Execute one job payload (see :func:`execute_payload`) and return its result dict."""
        started = time.perf_counter()
        if self.km is None:
            self.start()
        raw = nbformat.reads(payload["template_text"], as_version=4)
        had_id = ["id" in cell for cell in raw.cells]
        nb = nbformat.v4.upgrade(raw) or raw
        nb.metadata.setdefault(
            "papermill",
            {
                "default_parameters": {},
                "parameters": {},
                "environment_variables": {},
                "version": papermill_version,
            },
        )
        for cell in nb.cells:
            cell.metadata.setdefault("tags", [])
            cell.metadata.setdefault("papermill", {})
        nb = remove_error_markers(nb)
        nb = parameterize_notebook(
            nb, payload["parameters"], kernel_name=self.kernel_name, engine_name=ENGINE_NAME
        )
        nb = prepare_notebook_metadata(nb, payload["template_ref"], payload["output_ref"])
        broken = None
        client = None
        try:
            self.run_silent(
                f"__import__('pipeline.execution.kernel_state', fromlist=['reset']).reset({payload['cwd']!r})"
            )
            client = self.km.client()
            client.start_channels()
            nb = papermill_engines.execute_notebook_with_engine(
                ENGINE_NAME,
                nb,
                kernel_name=self.kernel_name,
                input_path=payload["template_ref"],
                output_path=None,
                progress_bar=False,
                log_output=False,
                km=self.km,
                kc=client,
                timeout=float(payload["timeout"]),
            )
        except Exception as exc:  # noqa: BLE001 - timeout or dead kernel: record it in the cell, replace the kernel
            broken = exc
            index = _running_cell(nb)
            if index is None:
                index = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), 0)
            cell = nb.cells[index]
            kind = type(exc).__name__
            if kind == "CellTimeoutError" or "Timeout" in kind:
                evalue = f"the job ran longer than its timeout of {payload['timeout']:g} s"
                kind = "TimeoutError"
            elif kind == "DeadKernelError":
                evalue = "the kernel died while running this cell (e.g. os._exit, a crash or out of memory)"
            else:
                evalue = str(exc)
            cell.setdefault("outputs", []).append(
                nbformat.v4.new_output("error", ename=kind, evalue=evalue, traceback=[f"{kind}: {evalue}"])
            )
            cell.setdefault("metadata", {}).setdefault("papermill", {})["exception"] = True
            cell.metadata.papermill["status"] = "failed"
            nb.metadata.setdefault("papermill", {})["exception"] = True
        finally:
            if client is not None:
                client.stop_channels()
        if broken is not None or not self.alive():
            self.shutdown()  # replaced by a fresh kernel when the next job arrives
        error = _first_error(nb)
        if error is not None:
            _mark_error(nb, error)
        _coalesce_streams(nb)
        _strip_timing(nb)
        _fix_ids(nb, had_id)
        text = nbformat.writes(nb)
        if not text.endswith("\n"):
            text += "\n"
        return ExecutedJob(
            name=payload["name"],
            status="failed" if error else "executed",
            seconds=time.perf_counter() - started,
            notebook=text.encode("utf-8"),
            error=error,
            pid=os.getpid(),
            kernel_starts=self.starts,
        )


_local = threading.local()
_ALL: list[WarmKernel] = []
_ALL_LOCK = threading.Lock()


def thread_kernel(kernel_name: str = "python3", *, start: bool = True) -> WarmKernel:
    """This thread's warm kernel (one per thread of a :class:`~pipeline.execution.runner.LocalPool`
    or of a Dask worker), started unless ``start`` is false."""
    kernel = getattr(_local, "kernel", None)
    if kernel is None:
        kernel = WarmKernel(kernel_name)
        _local.kernel = kernel
        with _ALL_LOCK:
            _ALL.append(kernel)
    if start and kernel.km is None:
        kernel.start()
    return kernel


def release_kernels(kernels: list[WarmKernel]) -> None:
    """Shut these kernels down and forget them (the at-exit :func:`kill_all` no longer sees them)."""
    for kernel in kernels:
        try:
            kernel.shutdown()
        except Exception:  # noqa: BLE001 - a kernel that cannot be shut down is killed
            kernel.kill()
    with _ALL_LOCK:
        _ALL[:] = [k for k in _ALL if not any(k is r for r in kernels)]


def release_thread_kernel() -> None:
    """Shut this thread's kernel down and close the thread's event loop (a pool thread ending)."""
    kernel = getattr(_local, "kernel", None)
    _local.kernel = None
    if kernel is not None:
        release_kernels([kernel])
    # jupyter_core's run_sync made an event loop for this thread; close it with the thread
    import asyncio
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            return
    if not loop.is_running() and not loop.is_closed():
        loop.close()
        asyncio.set_event_loop(None)


def kill_all() -> None:
    """Kill every kernel of this process (at exit, or a Dask worker's teardown)."""
    with _ALL_LOCK:
        kernels = list(_ALL)
        _ALL.clear()
    for kernel in kernels:
        kernel.kill()
        if kernel._ipc_dir:  # the kernel's socket files
            shutil.rmtree(kernel._ipc_dir, ignore_errors=True)


atexit.register(kill_all)


def execute_payload(payload: dict) -> ExecutedJob:
    """Run one job on this thread's warm kernel. This is what a worker (local or Dask) executes.

    ``payload`` is self-contained, so a remote worker needs only the code (the repository or the
    installed package) and the data folders, not the notebook templates: ``template_text``,
    ``template_ref`` and ``output_ref`` (paths recorded in the metadata, relative to the output
    folder), ``parameters``, ``cwd`` (the output folder: the kernel's working directory),
    ``timeout`` and ``name``.
    """
    try:
        kernel = thread_kernel(payload.get("kernel_name", "python3"))
        return kernel.run_job(payload)
    except Exception as exc:  # noqa: BLE001 - reported as this job's failure, never fatal to the run
        return failed_result(payload, exc, "the worker could not run the job", tb.format_exc())


def failed_result(payload: dict, exc: BaseException, what: str, traceback: str = "") -> ExecutedJob:
    """The result of a job that never produced a notebook (``what``: why, before the error)."""
    return ExecutedJob(
        name=payload["name"],
        status="failed",
        seconds=0.0,
        notebook=None,
        error=CellError(
            cell_index=None,
            execution_count=None,
            ename=type(exc).__name__,
            evalue=f"{what}: {exc}",
            traceback=traceback,
        ),
        pid=os.getpid(),
    )


def template_ref(template: Path, output: Path) -> str:
    """The template path as recorded in the output's metadata.

    A template of the repository is recorded relative to the repository (``notebooks/x.ipynb``),
    so the executed notebook is the same wherever the project folder lies relative to the code
    (``make verify`` rebuilds in a temp dir). Any other template is recorded relative to the
    output folder.
    """
    from pipeline.paths import REPO_ROOT

    resolved = Path(template).resolve()
    if resolved.is_relative_to(REPO_ROOT):
        return resolved.relative_to(REPO_ROOT).as_posix()
    return Path(os.path.relpath(resolved, Path(output).resolve().parent)).as_posix()
