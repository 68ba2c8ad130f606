"""Each report step runs once: one ingest, one params resolution, the indicator stage cached by content."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.paths import ProjectPaths
from tests.e2e_support import make_project


class _Stop(Exception):
    pass


def test_build_report_ingests_once_and_resolves_params_once(tmp_path, monkeypatch):
    import pipeline.report as report

    calls = {"ingest": 0, "params": 0}
    real_ingest, real_params = report.run_ingest, report.load_params

    def counting_ingest(*a, **k):
        calls["ingest"] += 1
        return real_ingest(*a, **k)

    def counting_params(*a, **k):
        calls["params"] += 1
        return real_params(*a, **k)

    def stop(ind, year):  # after step 2: the indicators are computed
        raise _Stop

    monkeypatch.setattr(report, "run_ingest", counting_ingest)
    monkeypatch.setattr(report, "load_params", counting_params)
    monkeypatch.setattr(report, "_check_year", stop)
    paths = ProjectPaths(root=make_project(tmp_path / "proj"))
    with pytest.raises(_Stop):
        report.build_report(2024, paths=paths, pdf=False)
    # was: ingest twice (build_report, then indicators()), params resolved three times
    assert calls == {"ingest": 1, "params": 1}


def test_stage_records_and_skips_by_key(tmp_path):
    from pipeline.stages import Stage, hash_frames, stage_key

    a = {"t": pd.DataFrame({"x": [1, 2]})}
    b = {"t": pd.DataFrame({"x": [1, 3]})}
    assert hash_frames(a) != hash_frames(b) and hash_frames(a) == hash_frames({"t": a["t"].copy()})
    key = stage_key({"tables": hash_frames(a), "setting": 1})
    stage = Stage(tmp_path, "_s.json")
    assert stage.cached(key) is None
    stage.record(key, {"ut": pd.DataFrame({"y": [0.5]})})
    assert stage.cached(key)["ut"]["y"].tolist() == [0.5]
    assert stage.cached(stage_key({"tables": hash_frames(a), "setting": 2})) is None
    (tmp_path / "ut.parquet").unlink()  # an output gone: recompute
    assert stage.cached(key) is None
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_build_key_hashes_what_the_start_and_method_pages_declare():
    from pipeline import report
    from pipeline.execution import RunSummary

    outputs = {
        "indikatorer": pd.DataFrame({"x": [1]}),
        "va_modell": pd.DataFrame({"koef": [0.5]}),
        "va_enheter": pd.DataFrame({"va": [1.0]}),
    }
    # declared by the start or the method page (PAGE_INPUTS); va_enheter only by notebook pages
    assert set(report._generated_page_tables(outputs)) == {"indikatorer", "va_modell"}

    def key(**changed):
        return report._build_key([], RunSummary(), {**outputs, **changed}, {"code_version": "x"}, pdf=False)

    assert key() == key()
    assert key(va_modell=pd.DataFrame({"koef": [0.6]})) != key()
    assert key(va_enheter=pd.DataFrame({"va": [2.0]})) == key()  # in the job keys, not here


def test_the_configured_huvudmans_texts_are_shown_only_in_its_own_report(tmp_path):
    """The written assessment and development areas in params/ are the configured huvudman's: a
    KOMMUN= report for another kommun, or any KOMMUN= report built with the demo's fictitious
    params, shows none of them (was: the demo's 2023/24 areas followed up in Ale's report)."""
    from pipeline.report import texts_are_others

    demo = make_project(tmp_path / "demo") / "params"  # the repository's params: Exempelkommun, fiktiv
    assert texts_are_others(demo, None) is False
    assert texts_are_others(demo, "1440") is True
    assert texts_are_others(demo, "9999") is True  # fictitious: never about a real kommun
    real = tmp_path / "real"
    real.mkdir()
    (real / "huvudman.yml").write_text(
        "namn: Ale kommun\nkommunkod: '1440'\nfiktiv: false\n", encoding="utf-8"
    )
    assert texts_are_others(real, "1440") is False
    assert texts_are_others(real, "2584") is True
