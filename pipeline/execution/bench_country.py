"""The country bench: ``python -m pipeline.execution.bench --country`` (``make bench BENCH_COUNTRY=1``).

For each size N (default 10 and 40 kommuner, spread evenly over the kommun codes of the data
folder; ``--country-sizes``), in a fresh temp project on ``--data`` (default ``../shared/realdata``):

* **cold**: ``build_country(limit=N)`` from an empty project (the national ingest, every kommun's
  preparation, its notebooks, its publishing with PDF): wall and CPU seconds of the whole process
  tree, the peak RSS of the bench process and every descendant (kernels, Chromium), the seconds of
  each step;
* **nothing changed**: the same call again (it must build 0 kommuner);
* per-kommun and per-unit cost: (cold wall − the one-time national ingest) / kommuner (or units).

Then, with ``--dask`` (default on), the smallest size again on a ``distributed.LocalCluster`` of
2 worker processes. Writes ``bench/results-country.json``: with a size of every kommun in the files
(``--country-sizes 10,290`` for ``../shared/realdata``) that run is ``all``; with smaller sizes only,
an extrapolation to every kommun (ingest + per-kommun cost × kommuner), labelled as such.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import time
from pathlib import Path

from pipeline.paths import REPO_ROOT


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "params", root / "params")
    (root / "data" / "raw").mkdir(parents=True)
    return root


def _one(root: Path, data: Path, limit: int, *, pdf: bool, workers: int | None, scheduler=None) -> dict:
    from pipeline.country import build_country
    from pipeline.execution.bench import Clock, PeakRSS
    from pipeline.paths import ProjectPaths

    paths = ProjectPaths(root)
    with PeakRSS() as rss, Clock() as clock:
        res = build_country(
            2025, paths=paths, data_dir=data, limit=limit, pdf=pdf, workers=workers, scheduler=scheduler
        )
    units = sum(k.units for k in res.kommuner)
    with Clock() as again:
        res2 = build_country(
            2025, paths=paths, data_dir=data, limit=limit, pdf=pdf, workers=workers, scheduler=scheduler
        )
    rebuilt = sum(1 for k in res2.kommuner if k.status == "byggd")
    ingest = res.step_seconds.get("ingest", 0.0)
    n = len(res.kommuner)
    return {
        "kommuner": n,
        "units": units,
        "jobs": res.jobs,
        "wall_seconds": round(clock.wall, 1),
        "cpu_seconds": round(clock.cpu, 1),
        "peak_rss_mib": round(rss.peak / 2**20),
        "step_seconds": {k: round(v, 1) for k, v in res.step_seconds.items()},
        "per_kommun_seconds": round((clock.wall - ingest) / n, 2),
        "per_unit_seconds": round((clock.wall - ingest) / max(units, 1), 2),
        "nochange_wall_seconds": round(again.wall, 1),
        "nochange_rebuilt_kommuner": rebuilt,
    }


def run(sizes: list[int], data: Path, *, pdf: bool, workers: int | None, dask: bool, out: Path) -> dict:
    """Measure every size (and Dask at the smallest); write and return the result."""
    from pipeline.country import kommuner_in
    from pipeline.ingest import load_tables

    result: dict = {"data": str(data), "pdf": pdf, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="kvalitet-bench-country-") as tmp:
        for n in sizes:
            print(f"country bench: {n} kommuner (cold, then nothing changed) ...", flush=True)
            root = _project(Path(tmp) / f"local{n}")
            result["sizes"][str(n)] = _one(root, data, n, pdf=pdf, workers=workers)
            print(f"  {json.dumps(result['sizes'][str(n)], ensure_ascii=False)}", flush=True)
            nat = next((root / "data" / "processed").glob("*-alla"))
            total = len(kommuner_in(load_tables(nat)["publicerad"]))
        if dask:
            import distributed

            n = min(sizes)
            print(f"country bench: {n} kommuner on a LocalCluster of 2 worker processes ...", flush=True)
            root = _project(Path(tmp) / f"dask{n}")
            with distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
            ) as cluster:
                result["dask"] = _one(
                    root, data, n, pdf=pdf, workers=None, scheduler=cluster.scheduler_address
                )
            print(f"  {json.dumps(result['dask'], ensure_ascii=False)}", flush=True)
    small, large = result["sizes"][str(min(sizes))], result["sizes"][str(max(sizes))]
    result["per_kommun_ratio"] = round(large["per_kommun_seconds"] / small["per_kommun_seconds"], 3)
    result["per_unit_ratio"] = round(large["per_unit_seconds"] / small["per_unit_seconds"], 3)
    result["kommuner_in_files"] = total
    ingest = large["step_seconds"].get("ingest", 0.0)
    if max(sizes) >= total:  # the largest run was the whole country: nothing to extrapolate
        result["all"] = {"note": "measured: the largest size is every kommun in the files", **large}
    else:
        result["extrapolated_all"] = {
            "note": "not measured: the ingest + the largest size's per-kommun cost x every kommun in the files",
            "wall_seconds": round(ingest + large["per_kommun_seconds"] * total),
        }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return result


def main(args) -> int:
    sizes = [int(s) for s in (args.country_sizes or "10,40").split(",")]
    data = Path(args.data or REPO_ROOT.parent / "shared" / "realdata")
    out = Path(args.out or REPO_ROOT / "bench" / "results-country.json")
    with contextlib.suppress(KeyboardInterrupt):
        t0 = time.perf_counter()
        run(sizes, data, pdf=not args.no_pdf, workers=args.workers, dask=not args.no_dask, out=out)
        print(f"the country bench took {time.perf_counter() - t0:.0f} s")
        return 0
    return 130
