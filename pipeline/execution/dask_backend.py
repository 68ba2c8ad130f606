"""Dask support: a worker plugin that stops the warm kernels when a Dask worker closes.

Each thread of a Dask worker that runs a notebook job keeps its own warm kernel
(:func:`pipeline.execution.kernel.thread_kernel`), started on its first job and reused for every
later one. Workers need the repository (or the installed package) and the venv with a ``python3``
kernelspec, and see ``processed_dir``/``params_dir`` at the same paths as the client (shared
storage); outputs travel back to the client, which writes them. See ``bench/README.md``.
"""

from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin


class KernelTeardown(WorkerPlugin):
    """Kill the worker's warm kernels when it shuts down."""

    name = "kvalitet-kernels"

    def teardown(self, worker) -> None:  # noqa: ANN001 - distributed's signature
        from pipeline.execution.kernel import kill_all

        kill_all()
