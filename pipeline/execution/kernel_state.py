"""Runs *inside* a warm kernel: remember the clean state after preloading, restore it between jobs.

:func:`snapshot` is called once, after the heavy imports; :func:`reset` before every notebook. What
is restored (each proven by a test in ``tests/execution/test_isolation.py``):

- the user namespace (variables, and module names bound by ``import``; the modules themselves
  stay cached in ``sys.modules``, which is the point of a warm kernel), IPython's output history
  and execution counter (so execution counts start at 1, as in a fresh kernel);
- pandas options, numpy print options and floating-point error settings, the ``warnings``
  filters (and every ``__warningregistry__``, so a warning shown once is shown again);
- matplotlib ``rcParams`` (this covers seaborn themes) and open figures;
- the working directory (set to the job's output folder), environment variables, ``sys.path``,
  ``sys.argv`` and the standard streams.

Memory: :func:`snapshot` freezes the objects alive after the preload (``gc.freeze``: they live as
long as the kernel, and the collection that ``ip.reset`` runs before every job need not scan
them again); :func:`reset` freezes again what survived that collection (what is still reachable
after the user namespace is cleared is module state, such as the page-input cache of
:mod:`pipeline.publishing.context`, whose hundreds of thousands of objects would otherwise be
scanned before every job: ~120 ms a job at 320 units), then returns the heap pages the previous
job freed to the system (``malloc_trim``, glibc only). Frozen objects are still freed by
reference counting when they are dropped; only cycles among them wait for the kernel to end.

Nothing here is bound in the user namespace: the module is imported by ``__import__`` from a
silent execution.
"""

from __future__ import annotations

import gc
import os
import sys
import warnings
from typing import Any, cast

_BASE: dict[str, Any] | None = None


def _pandas_options(pd: Any) -> dict[str, Any]:
    from pandas._config import config

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in config._registered_options:
            if key in config._deprecated_options:
                continue
            try:
                out[key] = config.get_option(key)
            except Exception:  # noqa: BLE001 - an option that cannot be read is not restored
                continue
    return out


def snapshot() -> None:
    """Remember the clean state (call once, after preloading)."""
    global _BASE
    base: dict[str, Any] = {
        "env": dict(os.environ),
        "sys_path": list(sys.path),
        "argv": list(sys.argv),
        "streams": (sys.stdout, sys.stderr, sys.displayhook),
        "warnings": list(warnings.filters),
    }
    if "pandas" in sys.modules:
        base["pandas"] = _pandas_options(sys.modules["pandas"])
    if "numpy" in sys.modules:
        np = sys.modules["numpy"]
        base["np_print"] = np.get_printoptions()
        base["np_err"] = np.geterr()
    if "matplotlib" in sys.modules:
        mpl = sys.modules["matplotlib"]
        base["rc"] = dict(mpl.rcParams)
    _BASE = base
    # Everything alive now (the preloaded modules) lives as long as the kernel: move it out of the
    # garbage collector's sight, so that the full collection ``ip.reset`` runs before every job
    # scans only what the jobs allocate (about 3 ms instead of about 180 ms).
    gc.collect()
    gc.freeze()


def reset(cwd: str) -> None:
    """Restore the snapshot and change to ``cwd`` (the job's output folder)."""
    if _BASE is None:
        raise RuntimeError("kernel_state.reset() called before snapshot()")
    base = _BASE
    from IPython import get_ipython

    ip = get_ipython()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    ip.reset(new_session=False)
    ip.execution_count = 1

    sys.stdout, sys.stderr, sys.displayhook = base["streams"]
    sys.argv[:] = base["argv"]
    sys.path[:] = base["sys_path"]
    if dict(os.environ) != base["env"]:
        os.environ.clear()
        os.environ.update(base["env"])

    cast(list, warnings.filters)[:] = base["warnings"]
    # invalidates every __warningregistry__ ("once" shows again); private, so not in the stubs
    getattr(warnings, "_filters_mutated")()  # noqa: B009

    if "pandas" in base:
        from pandas._config import config

        now = _pandas_options(sys.modules["pandas"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key, value in base["pandas"].items():
                if now.get(key) is not value and now.get(key) != value:
                    config.set_option(key, value)
    if "np_print" in base:
        np = sys.modules["numpy"]
        np.set_printoptions(**base["np_print"])
        np.seterr(**base["np_err"])
    if "rc" in base:
        mpl = sys.modules["matplotlib"]
        changed = {}
        for key, value in base["rc"].items():
            try:
                if mpl.rcParams[key] != value:
                    changed[key] = value
            except ValueError:  # array-valued entries compare element-wise
                changed[key] = value
        if changed:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mpl.rcParams.update(changed)
    os.makedirs(cwd, exist_ok=True)
    os.chdir(cwd)
    gc.freeze()  # after ip.reset's collection: only reachable module state is frozen
    _release_memory()


_MALLOC_TRIM: Any = None  # glibc's malloc_trim, resolved on first use; False where there is none


def _release_memory() -> None:
    """Hand the heap pages the job freed back to the system (glibc's ``malloc_trim``; never fails).

    Unreachable objects were already collected by ``ip.reset`` (IPython's display hook runs
    ``gc.collect()``), so what is left to do is to return free heap memory to the OS.
    """
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        _MALLOC_TRIM = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                trim = ctypes.CDLL("libc.so.6").malloc_trim  # glibc only (musl has no libc.so.6)
                trim.argtypes = [ctypes.c_size_t]
                trim.restype = ctypes.c_int
                _MALLOC_TRIM = trim
            except (OSError, AttributeError):
                pass
    if _MALLOC_TRIM:
        try:
            _MALLOC_TRIM(0)
        except Exception:  # noqa: BLE001 - releasing memory is an optimisation, never an error
            pass
