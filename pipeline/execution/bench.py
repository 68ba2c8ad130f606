"""``make bench``: how fast the notebook stage is, against naive papermill and the in-process floor.

For synthetic huvudmän of 20, 80 and 320 units (the demo generator), in one run:

(a) naive: ``papermill.execute_notebook`` serially, one kernel per notebook; *sampled* (20 jobs
    spread over the grid) and scaled to all jobs, as running it whole would take long;
(b) ours, cold: empty cache, a fresh pool of warm kernels (its start-up included); at the
    largest size also the peak memory of this process and all its descendants (the kernels),
    sampled every 0.1 s. The data are prepared (demo data written, ingested, indicators
    computed) in a separate process beforehand, so the peak is the executor's alone;
(c) ours, nothing changed: plan + cache check (a new run, as ``make report`` would do);
(d) ours after one unit changed: one unit's written analysis edited (its page and its form's
    overview re-run), fresh pool as in a new ``make report``;
(e) the floor: the same notebook code (``unit_page``/``overview_page`` and the HTML of every
    section) executed as plain Python in 2 processes, without a kernel.

Writes ``bench/results.json`` (ratios at 80 units unless named otherwise) and prints a table.
The parts are functions, so a test can run them on 2-3 units with stand-in notebooks.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from pipeline.execution.planner import Job, plan_jobs
from pipeline.execution.runner import LocalPool, run_jobs
from pipeline.paths import REPO_ROOT

SIZES: tuple[int, ...] = (20, 80, 320)
NAIVE_SAMPLE = 20


# -- data ------------------------------------------------------------------------------------------


def prepare_demo(root: Path, n_units: int, seed: int = 2024) -> dict:
    """Write a demo huvudman of ``n_units`` units under ``root``, ingest it, compute indicators."""
    import pandas as pd

    from pipeline.config import load_params
    from pipeline.demo import write_demo
    from pipeline.indicators import build_indicator_outputs
    from pipeline.ingest import load_tables, run_ingest
    from pipeline.ingest.sources import ReadContext
    from pipeline.paths import ProjectPaths

    root = Path(root)
    shutil.copytree(REPO_ROOT / "params", root / "params", ignore=shutil.ignore_patterns("analyser"))
    (root / "params" / "analyser").mkdir(exist_ok=True)
    paths = ProjectPaths(root)
    write_demo(paths.raw, seed=seed, n_units=n_units)
    params = load_params(paths)
    ctx = ReadContext(
        kolumnmappning=dict(params.kolumnmappning),
        kommunkod=params.huvudman.kommunkod,
        jamforelsegrupp=params.huvudman.jamforelsegrupp,
    )
    run_ingest(paths.raw, paths.processed, ctx)
    outputs = build_indicator_outputs(
        load_tables(paths.processed),
        huvudman_namn=params.huvudman.namn,
        kommunkod=params.huvudman.kommunkod,
        installningar=params.installningar,
    )
    for name, df in outputs.items():
        df.to_parquet(paths.processed / f"{name}.parquet", index=False)
    ind = outputs["indikatorer"]
    lasar = int(ind["lasar"].max())
    units = (
        ind.loc[(ind["niva"] == "enhet") & (ind["lasar"] == lasar), ["skolform", "skolenhetskod", "enhet"]]
        .drop_duplicates(["skolform", "skolenhetskod"])
        .reset_index(drop=True)
    )
    return {
        "root": root,
        "lasar": lasar,
        "units": pd.DataFrame(units),
        "processed_dir": paths.processed,
        "params_dir": paths.params,
        "out_dir": paths.reports / str(lasar),
        "cache_dir": paths.reports / str(lasar) / ".cache",
        "notebooks_dir": None,
    }


def plan(project: dict) -> list[Job]:
    """The job grid of a prepared project."""
    return plan_jobs(
        lasar=project["lasar"],
        units=project["units"],
        processed_dir=project["processed_dir"],
        params_dir=project["params_dir"],
        out_dir=project["out_dir"],
        notebooks_dir=project.get("notebooks_dir"),
    )


# -- measurements ----------------------------------------------------------------------------------


def _tree_rss() -> int:
    import psutil

    me = psutil.Process()
    total = 0
    for p in [me, *me.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


class PeakRSS:
    """Sample the RSS of this process and all its descendants (workers, kernels) while running."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss())


def time_naive(jobs: Sequence[Job], sample: int = NAIVE_SAMPLE) -> dict:
    """(a) papermill.execute_notebook serially, a new kernel per notebook, on a spread sample."""
    import papermill

    step = max(1, len(jobs) // sample)
    chosen = list(jobs)[::step][:sample]
    env_before = os.environ.get("PYTHONPATH")
    # the kernels must import `pipeline` from any working directory (as an installed package would)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env_before or "") if p)
    with tempfile.TemporaryDirectory(prefix="naive-") as tmp:
        t = time.perf_counter()
        for i, job in enumerate(chosen):
            job.cwd.mkdir(parents=True, exist_ok=True)
            papermill.execute_notebook(
                str(job.template),
                str(Path(tmp) / f"{i}.ipynb"),
                parameters=dict(job.parameters),
                kernel_name="python3",
                progress_bar=False,
                cwd=str(job.cwd),
                # each kernel (TCP, papermill's default) would log "Kernel is running over TCP
                # without encryption" to our stderr: only errors from these kernels
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        seconds = time.perf_counter() - t
    if env_before is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = env_before
    per_job = seconds / len(chosen)
    return {
        "sampled_jobs": len(chosen),
        "sample_seconds": seconds,
        "per_job": per_job,
        "seconds": per_job * len(jobs),
    }


def _exec_notebook_plain(payload: dict) -> None:
    """Run a notebook's code as plain Python: parameters, then each cell; display = _repr_html_()."""
    nb = json.loads(payload["template_text"])
    ns: dict = {"__name__": "__main__"}
    shown: list = []

    def display(*objs, **_kw):
        for obj in objs:
            shown.append(obj._repr_html_() if hasattr(obj, "_repr_html_") else repr(obj))

    os.chdir(payload["cwd"])
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            src += "\n" + "\n".join(f"{k} = {v!r}" for k, v in payload["parameters"].items())
        tree = ast.parse(src)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<cell>", "exec"), ns)
        ns["display"] = display
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)
            if value is not None:
                display(value)


def _floor_worker(payloads: list[dict]) -> tuple[int, int]:
    import matplotlib

    matplotlib.use("Agg")
    failed = 0
    with contextlib.redirect_stdout(io.StringIO()):
        for p in payloads:
            try:
                _exec_notebook_plain(p)
            except Exception:  # noqa: BLE001 - counted and reported: the floor times, it does not judge
                failed += 1
    return len(payloads), failed


def time_floor(jobs: Sequence[Job], processes: int = 2) -> dict:
    """(e) the same notebook code as plain Python in ``processes`` processes, no kernel."""
    from pipeline.execution.runner import _payload

    payloads = [_payload(j, 600, "python3") for j in jobs]
    for j in jobs:
        j.cwd.mkdir(parents=True, exist_ok=True)
    chunks = [payloads[i::processes] for i in range(processes)]
    t = time.perf_counter()
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as ex:
        counts = list(ex.map(_floor_worker, chunks))
    return {
        "seconds": time.perf_counter() - t,
        "jobs": sum(c[0] for c in counts),
        "failed": sum(c[1] for c in counts),
        "processes": processes,
    }


def prepare_in_subprocess(prepare: Callable[[Path, int], dict], root: Path, n_units: int) -> dict:
    """Run ``prepare(root, n_units)`` in a spawned process and return its (small) project dict.

    Generating, ingesting and computing indicators for hundreds of units grows a process by
    hundreds of MiB that it keeps (the allocator does not hand it all back); done here, that
    would count towards the peak memory measured in the cold run that follows. ``prepare`` must
    be picklable (a module-level function).
    """
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as ex:
        return ex.submit(prepare, root, n_units).result()


def bench_size(
    n_units: int,
    root: Path,
    *,
    prepare: Callable[[Path, int], dict] = prepare_demo,
    isolate_prepare: bool | None = None,
    naive: bool = False,
    naive_sample: int = NAIVE_SAMPLE,
    memory: bool = False,
    workers: int | None = None,
    pool: LocalPool | None = None,
    floor_processes: int = 2,
    log: Callable[[str], None] = print,
) -> dict:
    """Measure (b)-(e) (and (a) if ``naive``) for one size.

    ``prepare`` makes the project; ``isolate_prepare`` runs it in a spawned process (see
    :func:`prepare_in_subprocess`), so that ``memory`` (the peak RSS of this process and its
    descendants during the cold run) measures the executor, not the data preparation. By default
    (None) only :func:`prepare_demo` is isolated; a test's own ``prepare`` may be a local function,
    which cannot be sent to another process.

    ``pool``: reuse a warm pool for (b) and (d) (tests); by default each gets a fresh one, as a
    new ``make report`` would.
    """
    if isolate_prepare is None:
        isolate_prepare = prepare is prepare_demo
    t = time.perf_counter()
    project = prepare_in_subprocess(prepare, root, n_units) if isolate_prepare else prepare(root, n_units)
    prep = time.perf_counter() - t
    jobs = plan(project)
    log(f"  {n_units} units: {len(jobs)} jobs (data prepared in {prep:.1f} s)")
    out: dict = {"units": n_units, "jobs": len(jobs), "prepare_seconds": round(prep, 2)}

    peak = PeakRSS() if memory else contextlib.nullcontext()
    with peak, contextlib.nullcontext(pool) if pool is not None else LocalPool(workers) as cold_pool:
        t = time.perf_counter()
        cold_pool.start()  # the kernels' start-up, timed apart (part of cold all the same)
        out["startup_seconds"] = time.perf_counter() - t
        cold = run_jobs(plan(project), cache_dir=project["cache_dir"], pool=cold_pool, progress=False)
        out["cold_seconds"] = time.perf_counter() - t
    if memory:
        out["peak_rss_mib"] = round(peak.peak / 2**20, 1)
    out["cold_failed"] = len(cold.failed)
    if cold.failed:
        log(f"    WARNING: {len(cold.failed)} job(s) failed, e.g. {cold.failures[0]}")
    out["cold_job_seconds_sum"] = sum(r.seconds for r in cold.results)
    out["workers"] = cold.workers

    t = time.perf_counter()
    nochange = run_jobs(plan(project), cache_dir=project["cache_dir"], progress=False)
    out["nochange_seconds"] = time.perf_counter() - t
    out["nochange_executed"] = len(nochange.executed)

    unit = project["units"].iloc[len(project["units"]) // 2]
    analysis = project["params_dir"] / "analyser" / str(project["lasar"]) / f"{unit['skolenhetskod']}.md"
    analysis.parent.mkdir(parents=True, exist_ok=True)
    analysis.write_text(
        "## Resultat\n\nReviderad efter granskning.\n\n## Analys\n\nOrsakerna har analyserats.\n\n"
        "## Utvecklingsområden\n\n- Studiero\n",
        encoding="utf-8",
    )
    t = time.perf_counter()
    changed = run_jobs(
        plan(project), cache_dir=project["cache_dir"], workers=workers, pool=pool, progress=False
    )
    out["one_changed_seconds"] = time.perf_counter() - t
    out["one_changed_executed"] = len(changed.executed)

    out["floor"] = time_floor(jobs, floor_processes)
    out["floor_seconds"] = out["floor"]["seconds"]
    if naive:
        out["naive"] = time_naive(jobs, naive_sample)
        out["naive_seconds"] = out["naive"]["seconds"]
    log("    " + json.dumps({k: v for k, v in out.items() if k not in ("floor", "naive")}, default=str))
    return out


def summarise(sizes: dict[int, dict], key_size: int = 80) -> dict:
    """The ratios of ``bench/results.json`` from per-size measurements."""
    k = sizes[key_size]
    small, large = sizes[min(sizes)], sizes[max(sizes)]
    # per-unit cost: cold wall time per job once the pool is warm (the fixed start-up of the
    # kernels is paid once per run whatever the size; it is reported as well, included)
    per_unit = {n: (s["cold_seconds"] - s.get("startup_seconds", 0.0)) / s["jobs"] for n, s in sizes.items()}
    per_unit_with_startup = {n: s["cold_seconds"] / s["jobs"] for n, s in sizes.items()}
    result = {
        "measured_at_units": key_size,
        "speedup_vs_naive": round(k["naive_seconds"] / k["cold_seconds"], 2)
        if "naive_seconds" in k
        else None,
        "ratio_to_floor": round(k["cold_seconds"] / k["floor_seconds"], 2),
        "nochange_fraction": round(k["nochange_seconds"] / k["cold_seconds"], 4),
        "one_changed_fraction": round(k["one_changed_seconds"] / k["cold_seconds"], 4),
        "per_unit_cost_ratio_320_to_20": round(per_unit[max(sizes)] / per_unit[min(sizes)], 3),
        "per_unit_cost_ratio_320_to_20_including_startup": round(
            per_unit_with_startup[max(sizes)] / per_unit_with_startup[min(sizes)], 3
        ),
        "peak_rss_mib": large.get("peak_rss_mib"),
        "naive_sampled": {
            "jobs_run": k.get("naive", {}).get("sampled_jobs"),
            "scaled_to_jobs": k["jobs"],
            "note": "naive serial papermill was run on a spread sample of jobs and scaled per job",
        },
        "per_size": {
            str(n): {kk: v for kk, v in s.items() if kk not in ("floor", "naive")} for n, s in sizes.items()
        },
        "cpu_count": os.cpu_count(),
        "smallest": small["units"],
    }
    return result


def table(result: dict) -> str:
    """A short text table of the results."""
    lines = [
        f"{'units':>6} {'jobs':>5} {'cold s':>8} {'no-change s':>12} {'1 changed s':>12} {'floor s':>8} {'naive s':>9}",
    ]
    for n, s in result["per_size"].items():
        naive = f"{s['naive_seconds']:.1f}*" if "naive_seconds" in s else "-"
        lines.append(
            f"{n:>6} {s['jobs']:>5} {s['cold_seconds']:>8.2f} {s['nochange_seconds']:>12.3f} "
            f"{s['one_changed_seconds']:>12.2f} {s['floor_seconds']:>8.2f} {naive:>9}"
        )
    lines.append("* naive serial papermill: sampled and scaled per job (see naive_sampled)")
    goals = [
        ("speedup_vs_naive", ">= 10", lambda v: v is not None and v >= 10),
        ("ratio_to_floor", "<= 3", lambda v: v <= 3),
        ("nochange_fraction", "<= 0.02", lambda v: v <= 0.02),
        ("per_unit_cost_ratio_320_to_20", "0.8-1.2", lambda v: 0.8 <= v <= 1.2),
        ("peak_rss_mib", "< 2048", lambda v: v is not None and v < 2048),
    ]
    for key, goal, ok in goals:
        value = result.get(key)
        lines.append(
            f"{key:<50} {value!s:>10}   goal {goal:<8} {'met' if value is not None and ok(value) else 'NOT met'}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.execution.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="unit counts, e.g. 20,80,320")
    parser.add_argument("--key-size", type=int, default=80, help="size the ratios are measured at")
    parser.add_argument("--out", default=str(REPO_ROOT / "bench" / "results.json"))
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    # "nothing changed" assumes the code does not change during the bench: compute the code
    # version once (the tree may be edited meanwhile, which would otherwise invalidate every job)
    from functools import lru_cache

    from pipeline.execution import planner

    planner.code_version = lru_cache(maxsize=1)(planner.code_version)
    key = args.key_size if args.key_size in sizes else sizes[len(sizes) // 2]
    results: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="kvalitet-bench-") as tmp:
        for n in sizes:
            results[n] = bench_size(
                n, Path(tmp) / f"hm{n}", naive=(n == key), memory=(n == max(sizes)), workers=args.workers
            )
    result = summarise(results, key)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(table(result))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
