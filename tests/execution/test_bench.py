"""The bench's parts on a tiny stand-in project (2-3 units), fast; the real bench is `make bench`."""

from __future__ import annotations

import json

from pipeline.execution import bench

from .conftest import make_project


def _prepare(root, n_units):
    project = make_project(root)
    project["units"] = project["units"].iloc[:n_units]
    project["lasar"] = 2024
    return project


def test_bench_size_and_results(tmp_path, pool):
    measured = bench.bench_size(
        3,
        tmp_path / "hm3",
        prepare=_prepare,
        naive=False,
        memory=True,
        pool=pool,
        floor_processes=1,
        log=lambda s: None,
    )
    sizes = {2: {**measured, "units": 2}, 3: measured}  # one real size is enough to test the summary
    assert sizes[3]["jobs"] == 4
    assert sizes[3]["cold_failed"] == 0
    assert sizes[3]["nochange_executed"] == 0
    assert sizes[3]["one_changed_executed"] == 2  # the unit's page and its form's overview
    assert sizes[3]["peak_rss_mib"] > 0
    assert sizes[3]["floor"]["jobs"] == 4  # the floor ran the notebook code of every job, no kernel
    result = bench.summarise(sizes, key_size=3)
    assert result["speedup_vs_naive"] is None  # naive papermill is only run by `make bench`
    for key in ("ratio_to_floor", "nochange_fraction", "per_unit_cost_ratio_320_to_20", "peak_rss_mib"):
        assert isinstance(result[key], float), key
    json.dumps(result)
    text = bench.table(result)
    assert "sampled and scaled" in text and "speedup_vs_naive" in text


def test_prepare_runs_in_a_separate_process(tmp_path):
    # the default prepare (prepare_demo) runs this way, so that the cold run's peak memory is the
    # executor's and not the data preparation's; a module-level function can be sent there too
    project = bench.prepare_in_subprocess(_prepare, tmp_path / "hm2", 2)
    assert len(project["units"]) == 2
    assert (project["processed_dir"] / "indikatorer.parquet").is_file()
