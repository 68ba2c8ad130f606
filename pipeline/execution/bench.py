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
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from pipeline.execution.planner import Job, plan_jobs
from pipeline.execution.runner import LocalPool, run_jobs
from pipeline.paths import REPO_ROOT

SIZES: tuple[int, ...] = (20, 80, 320)
NAIVE_SAMPLE = 20


# -- data ------------------------------------------------------------------------------------------


def _data_cache(n_units: int, seed: int) -> Path:
    """``bench/work/data-<units>-<seed>-<key>/``: the prepared tables of one size, kept between
    runs. The key covers the code (every file of ``pipeline/``) and ``params/``, so any change
    that could change the tables prepares them again; older entries of the size are removed."""
    import hashlib

    from pipeline.stages import hash_tree

    key = hashlib.sha256(
        f"{n_units}:{seed}:{hash_tree(REPO_ROOT / 'pipeline')}:{hash_tree(REPO_ROOT / 'params')}".encode()
    ).hexdigest()[:16]
    return REPO_ROOT / "bench" / "work" / f"data-{n_units}-{seed}-{key}"


def prepare_demo(root: Path, n_units: int, seed: int = 2024) -> dict:
    """Write a demo huvudman of ``n_units`` units under ``root``, ingest it, compute indicators.

    The data preparation is not what the bench measures, and at 320 units it takes several
    minutes (the disclosure audit above all), so its result (``params/`` and the processed
    tables) is kept in :func:`_data_cache` and copied in when nothing it depends on changed.
    """
    import pandas as pd

    from pipeline.paths import ProjectPaths

    cache = _data_cache(n_units, seed)
    root = Path(root)
    paths = ProjectPaths(root)
    if (cache / "klar").is_file():
        shutil.copytree(cache / "params", root / "params")
        shutil.copytree(cache / "processed", paths.processed)
    else:
        _prepare_demo_data(root, n_units, seed)
        for old in cache.parent.glob(f"data-{n_units}-{seed}-*"):
            shutil.rmtree(old, ignore_errors=True)
        tmp = cache.with_name(f"tmp-{os.getpid()}-{cache.name}")
        shutil.copytree(root / "params", tmp / "params")
        shutil.copytree(paths.processed, tmp / "processed")
        (tmp / "klar").write_text("ok\n")
        tmp.rename(cache)
    ind = pd.read_parquet(paths.processed / "indikatorer.parquet")
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


def _prepare_demo_data(root: Path, n_units: int, seed: int) -> None:
    """The demo data of ``n_units`` units written, ingested and its indicators computed."""

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
        tail = tree.body[-1] if tree.body else None
        last = tail if isinstance(tail, ast.Expr) else None
        if last is not None:
            tree.body.pop()
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


def tree_cpu_seconds() -> float:
    """CPU time (user + sys) used so far by this process and every descendant, live or finished.

    This process (all its threads: the pool's workers run here), every live descendant (the
    kernels, the floor's worker processes, chromium) with what they reaped, and the children
    this process already reaped (``RUSAGE_CHILDREN``). A child counts once: live, then reaped.
    """
    import resource

    import psutil

    me = resource.getrusage(resource.RUSAGE_SELF)
    dead = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = me.ru_utime + me.ru_stime + dead.ru_utime + dead.ru_stime
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            t = child.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


class Clock:
    """Wall and whole-tree CPU seconds of a block: ``with Clock() as c: ...; c.wall, c.cpu``."""

    def __enter__(self) -> Clock:
        self.cpu0, self.t0 = tree_cpu_seconds(), time.perf_counter()
        self.wall = self.cpu = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = tree_cpu_seconds() - self.cpu0


def prepare_size(
    n_units: int,
    root: Path,
    *,
    prepare: Callable[[Path, int], dict] = prepare_demo,
    isolate_prepare: bool | None = None,
) -> dict:
    """Make the project of one size (see :func:`bench_size` for ``isolate_prepare``)."""
    if isolate_prepare is None:
        isolate_prepare = prepare is prepare_demo
    t = time.perf_counter()
    project = prepare_in_subprocess(prepare, root, n_units) if isolate_prepare else prepare(root, n_units)
    project["prepare_seconds"] = round(time.perf_counter() - t, 2)
    project["base_cache_dir"] = project["cache_dir"]
    return project


def measure_round(
    project: dict,
    round_no: int = 0,
    *,
    naive: bool = False,
    naive_sample: int = NAIVE_SAMPLE,
    memory: bool = False,
    workers: int | None = None,
    pool: LocalPool | None = None,
    floor_processes: int = 2,
    log: Callable[[str], None] = print,
) -> dict:
    """One round of (b)-(e) (and (a) if ``naive``) on a prepared project, wall and CPU time each.

    Each round starts from an empty cache of its own, so every round's cold run is cold. The order
    of naive, ours and the floor rotates with ``round_no`` so that none always runs first (or
    always under the same neighbour's load).
    """
    jobs = plan(project)
    cache_dir = Path(project["base_cache_dir"]) / f"round-{round_no}"
    out: dict = {"units": len(project["units"]), "jobs": len(jobs), "round": round_no}

    def ours() -> None:
        peak = PeakRSS() if memory else contextlib.nullcontext()
        with Clock() as cold, peak:
            with contextlib.nullcontext(pool) if pool is not None else LocalPool(workers) as cold_pool:
                with Clock() as startup:
                    cold_pool.start()  # the kernels' start-up, timed apart (part of cold all the same)
                summary = run_jobs(plan(project), cache_dir=cache_dir, pool=cold_pool, progress=False)
        out["startup_seconds"], out["startup_cpu_seconds"] = startup.wall, startup.cpu
        out["cold_seconds"], out["cold_cpu_seconds"] = cold.wall, cold.cpu
        if isinstance(peak, PeakRSS):  # measured (memory)
            out["peak_rss_mib"] = round(peak.peak / 2**20, 1)
        out["cold_failed"] = len(summary.failed)
        if summary.failed:
            log(f"    WARNING: {len(summary.failed)} job(s) failed, e.g. {summary.failures[0]}")
        out["cold_job_seconds_sum"] = sum(r.seconds for r in summary.results)
        out["workers"] = summary.workers

        with Clock() as nochange:
            res = run_jobs(plan(project), cache_dir=cache_dir, progress=False)
        out["nochange_seconds"], out["nochange_cpu_seconds"] = nochange.wall, nochange.cpu
        out["nochange_executed"] = len(res.executed)

        unit = project["units"].iloc[len(project["units"]) // 2]
        analysis = project["params_dir"] / "analyser" / str(project["lasar"]) / f"{unit['skolenhetskod']}.md"
        analysis.parent.mkdir(parents=True, exist_ok=True)
        analysis.write_text(
            f"## Resultat\n\nReviderad efter granskning {round_no + 1}.\n\n## Analys\n\nOrsakerna har "
            "analyserats.\n\n## Utvecklingsområden\n\n- Studiero\n",
            encoding="utf-8",
        )
        with Clock() as changed:
            res = run_jobs(plan(project), cache_dir=cache_dir, workers=workers, pool=pool, progress=False)
        out["one_changed_seconds"], out["one_changed_cpu_seconds"] = changed.wall, changed.cpu
        out["one_changed_executed"] = len(res.executed)

    def floor() -> None:
        with Clock() as c:
            out["floor"] = time_floor(jobs, floor_processes)
        out["floor_seconds"], out["floor_cpu_seconds"] = c.wall, c.cpu

    def naive_run() -> None:
        # a different spread sample each round (offset by the round number)
        with Clock() as c:
            out["naive"] = time_naive(jobs[round_no % max(1, len(jobs) // naive_sample) :], naive_sample)
        n = out["naive"]["sampled_jobs"]
        out["naive"]["cpu_per_job"] = c.cpu / n
        out["naive_seconds"] = out["naive"]["per_job"] * len(jobs)
        out["naive_cpu_seconds"] = c.cpu / n * len(jobs)

    parts = [ours, floor, *([naive_run] if naive else [])]
    k = round_no % len(parts)
    for part in parts[k:] + parts[:k]:
        part()
    log("    " + json.dumps({k: v for k, v in out.items() if k not in ("floor", "naive")}, default=str))
    return out


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
    """Prepare one size and measure one round of (b)-(e) (and (a) if ``naive``).

    ``prepare`` makes the project; ``isolate_prepare`` runs it in a spawned process (see
    :func:`prepare_in_subprocess`), so that ``memory`` (the peak RSS of this process and its
    descendants during the cold run) measures the executor, not the data preparation. By default
    (None) only :func:`prepare_demo` is isolated; a test's own ``prepare`` may be a local function,
    which cannot be sent to another process.

    ``pool``: reuse a warm pool for (b) and (d) (tests); by default each gets a fresh one, as a
    new ``make report`` would.
    """
    project = prepare_size(n_units, root, prepare=prepare, isolate_prepare=isolate_prepare)
    log(f"  {n_units} units: {len(plan(project))} jobs (data prepared in {project['prepare_seconds']:.1f} s)")
    out = measure_round(
        project,
        0,
        naive=naive,
        naive_sample=naive_sample,
        memory=memory,
        workers=workers,
        pool=pool,
        floor_processes=floor_processes,
        log=log,
    )
    out["prepare_seconds"] = project["prepare_seconds"]
    return out


def _median(values: Sequence[float]) -> float:
    import statistics

    return statistics.median(values)


def _ratios(key: dict, small: dict, large: dict, cpu: bool) -> dict:
    """The ratios of one round (``cpu``: on whole-tree CPU seconds, else on wall seconds)."""
    sfx = "_cpu_seconds" if cpu else "_seconds"

    def per_job(s: dict, startup: bool) -> float:
        return (s["cold" + sfx] - (0.0 if startup else s["startup" + sfx])) / s["jobs"]

    out = {
        "ratio_to_floor": key["cold" + sfx] / key["floor" + sfx],
        "nochange_fraction": key["nochange" + sfx] / key["cold" + sfx],
        "one_changed_fraction": key["one_changed" + sfx] / key["cold" + sfx],
        "per_unit_cost_ratio_320_to_20": per_job(large, False) / per_job(small, False),
        "per_unit_cost_ratio_320_to_20_including_startup": per_job(large, True) / per_job(small, True),
    }
    if "naive" + sfx in key:
        out["speedup_vs_naive"] = key["naive" + sfx] / key["cold" + sfx]
    return out


def summarise(sizes: Mapping[int, dict | list[dict]], key_size: int = 80) -> dict:
    """The ratios of ``bench/results.json`` from per-size measurements (one dict or a list of rounds).

    Each ratio is computed per round (its parts measured close together in time), on wall time
    and on the CPU time of the whole process tree; the result is the median over the rounds, with
    the spread (min, max) beside it. A ratio on CPU time does not depend on how many cores were
    free, which a wall-time ratio does.
    """
    rounds = {n: (v if isinstance(v, list) else [v]) for n, v in sizes.items()}
    n_rounds = min(len(v) for v in rounds.values())
    lo, hi = min(rounds), max(rounds)
    wall = [_ratios(rounds[key_size][r], rounds[lo][r], rounds[hi][r], cpu=False) for r in range(n_rounds)]
    cpu = [_ratios(rounds[key_size][r], rounds[lo][r], rounds[hi][r], cpu=True) for r in range(n_rounds)]

    def med(per_round: list[dict], name: str, digits: int = 3) -> float | None:
        vals = [r[name] for r in per_round if name in r]
        return round(_median(vals), digits) if vals else None

    def spread(per_round: list[dict]) -> dict:
        return {
            name: [round(min(r[name] for r in per_round), 3), round(max(r[name] for r in per_round), 3)]
            for name in per_round[0]
        }

    names = list(cpu[0]) + (["speedup_vs_naive"] if "speedup_vs_naive" not in cpu[0] else [])
    medians = {
        size: {
            k: round(_median([r[k] for r in rs]), 4)
            for k in rs[0]
            if isinstance(rs[0][k], (int, float)) and not isinstance(rs[0][k], bool)
        }
        for size, rs in rounds.items()
    }
    k = rounds[key_size][0]
    result = {
        "measured_at_units": key_size,
        "rounds": n_rounds,
        **{name: med(wall, name, 4 if "fraction" in name else 3) for name in names},
        "cpu": {name: med(cpu, name, 4 if "fraction" in name else 3) for name in names},
        "spread": {"wall": spread(wall), "cpu": spread(cpu)},
        "peak_rss_mib": max((r.get("peak_rss_mib") or 0.0) for r in rounds[hi]) or None,
        "naive_sampled": {
            "jobs_run": sum(r.get("naive", {}).get("sampled_jobs", 0) for r in rounds[key_size]) or None,
            "scaled_to_jobs": k["jobs"],
            "note": "naive serial papermill was run on a spread sample of jobs per round and scaled per job",
        },
        "per_size": {str(n): m for n, m in medians.items()},
        "cpu_count": os.cpu_count(),
        "smallest": lo,
        "largest": hi,
    }
    return result


def table(result: dict) -> str:
    """A short text table of the results (medians over the rounds; ratios on wall and CPU time)."""
    lines = [
        f"medians of {result.get('rounds', 1)} round(s); wall s / CPU s of the whole process tree",
        f"{'units':>6} {'jobs':>5} {'cold s':>14} {'no-change s':>12} {'1 changed s':>14} {'floor s':>14} "
        f"{'naive s':>16}",
    ]
    for n, s in result["per_size"].items():
        naive = f"{s['naive_seconds']:.1f}/{s['naive_cpu_seconds']:.1f}*" if "naive_seconds" in s else "-"
        lines.append(
            f"{n:>6} {s['jobs']:>5.0f} {s['cold_seconds']:>7.2f}/{s['cold_cpu_seconds']:<6.2f} "
            f"{s['nochange_seconds']:>12.3f} {s['one_changed_seconds']:>7.2f}/{s['one_changed_cpu_seconds']:<6.2f} "
            f"{s['floor_seconds']:>7.2f}/{s['floor_cpu_seconds']:<6.2f} {naive:>16}"
        )
    lines.append("* naive serial papermill: sampled and scaled per job (see naive_sampled)")
    goals = [
        ("speedup_vs_naive", ">= 10", lambda v: v >= 10),
        ("ratio_to_floor", "<= 3", lambda v: v <= 3),
        ("nochange_fraction", "<= 0.02", lambda v: v <= 0.02),
        ("per_unit_cost_ratio_320_to_20", "0.8-1.2", lambda v: 0.8 <= v <= 1.2),
    ]
    lines.append(f"{'ratio (median; min-max over rounds)':<44} {'wall':>22} {'cpu':>22}   goal")
    for key, goal, ok in goals:
        cells = []
        for kind, value in (("wall", result.get(key)), ("cpu", result.get("cpu", {}).get(key))):
            lo_hi = result.get("spread", {}).get(kind, {}).get(key)
            rng = f" ({lo_hi[0]}-{lo_hi[1]})" if lo_hi else ""
            mark = "" if value is None else (" ok" if ok(value) else " NOT met")
            cells.append(f"{value!s}{rng}{mark}")
        lines.append(f"{key:<44} {cells[0]:>22} {cells[1]:>22}   {goal}")
    peak = result.get("peak_rss_mib")
    lines.append(
        f"{'peak_rss_mib':<44} {peak!s:>22} {'':>22}   < 2048 {'ok' if peak and peak < 2048 else 'NOT met'}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.execution.bench", description=__doc__.split("\n")[0]
    )
    quick = bool(os.environ.get("BENCH_QUICK"))
    parser.add_argument(
        "--quick",
        action="store_true",
        default=quick,
        help="a small bench (10 and 20 units, 3 rounds, 4 naive jobs a round); also BENCH_QUICK=1",
    )
    parser.add_argument("--sizes", default=None, help="unit counts, e.g. 20,80,320")
    parser.add_argument("--key-size", type=int, default=None, help="size the ratios are measured at")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are reported)")
    parser.add_argument("--naive-sample", type=int, default=None, help="naive jobs per round")
    parser.add_argument("--out", default=None)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--country",
        action="store_true",
        default=bool(os.environ.get("BENCH_COUNTRY")),
        help="KOMMUN=all on real data instead (pipeline/execution/bench_country.py); also BENCH_COUNTRY=1",
    )
    parser.add_argument("--country-sizes", default=None, help="with --country: kommuner per run, e.g. 10,40")
    parser.add_argument(
        "--data", default=None, help="with --country: the data folder (default ../shared/realdata)"
    )
    parser.add_argument("--no-pdf", action="store_true", help="with --country: without the PDFs")
    parser.add_argument("--no-dask", action="store_true", help="with --country: without the Dask run")
    args = parser.parse_args(argv)
    if args.country:
        from pipeline.execution import bench_country

        return bench_country.main(args)
    default_sizes = "10,20" if args.quick else ",".join(map(str, SIZES))
    sizes = [int(s) for s in (args.sizes or default_sizes).split(",")]
    naive_sample = args.naive_sample or (4 if args.quick else 8)
    out_name = "results-quick.json" if args.quick else "results.json"
    out = Path(args.out or REPO_ROOT / "bench" / out_name)
    # "nothing changed" assumes the code does not change during the bench: compute the code
    # version once (the tree may be edited meanwhile, which would otherwise invalidate every job)
    from functools import lru_cache

    from pipeline.execution import planner

    planner.code_version = lru_cache(maxsize=1)(planner.code_version)
    wanted = args.key_size or (sizes[-1] if args.quick else 80)
    key = wanted if wanted in sizes else sizes[len(sizes) // 2]
    t0 = time.perf_counter()
    results: dict[int, list[dict]] = {n: [] for n in sizes}
    with tempfile.TemporaryDirectory(prefix="kvalitet-bench-") as tmp:
        projects = {}
        for n in sizes:
            projects[n] = prepare_size(n, Path(tmp) / f"hm{n}")
            print(
                f"  {n} units: {len(plan(projects[n]))} jobs (data prepared in {projects[n]['prepare_seconds']:.1f} s)"
            )
        for r in range(args.rounds):
            print(f"round {r + 1} of {args.rounds}")
            order = sizes[r % len(sizes) :] + sizes[: r % len(sizes)]
            for n in order:
                results[n].append(
                    measure_round(
                        projects[n],
                        r,
                        naive=(n == key),
                        naive_sample=naive_sample,
                        memory=(n == max(sizes)),
                        workers=args.workers,
                    )
                )
    result = summarise(results, key)
    result["total_seconds"] = round(time.perf_counter() - t0, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(table(result))
    print(f"wrote {out} (the whole bench took {result['total_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
