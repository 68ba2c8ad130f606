"""The job planner: names, outputs, parameters, and hashes that change only when inputs do."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.errors import UnknownSchoolFormError
from pipeline.execution import plan_jobs

from .conftest import indicator_table, make_project, plan_project


def plan(project, **kw):
    return plan_project(project, **kw)


def hashes(project, **kw):
    return {j.name: j.hash for j in plan(project, **kw)}


def test_grid_names_outputs_and_parameters(project):
    jobs = plan(project)
    assert [j.name for j in jobs] == [
        "GR/10000001/2024",
        "GR/10000002/2024",
        "GR/10000003/2024",
        "GR/huvudman/2024",
    ]
    assert jobs[0].output == project["out_dir"] / "notebooks" / "GR" / "10000001.ipynb"
    assert jobs[-1].output == project["out_dir"] / "notebooks" / "GR" / "huvudman.ipynb"
    assert jobs[-1].template.name == "huvudman.ipynb" and jobs[0].template.name == "grundskola.ipynb"
    # paths are relative to the output folder (the kernel's working directory)
    assert jobs[0].parameters == {
        "skolform": "GR",
        "skolenhetskod": "10000001",
        "lasar": 2024,
        "processed_dir": "../../../../data/processed",
        "params_dir": "../../../../params",
    }
    assert jobs[-1].parameters["skolenhetskod"] == ""


def test_one_overview_per_form_in_registry_order(project):
    units = pd.concat(
        [project["units"], pd.DataFrame({"skolform": ["FS"], "skolenhetskod": ["20000001"], "enhet": ["F"]})]
    )
    (project["notebooks_dir"] / "forskola.ipynb").write_bytes(
        (project["notebooks_dir"] / "grundskola.ipynb").read_bytes()
    )
    jobs = plan_jobs(
        lasar=2024,
        units=units,
        processed_dir=project["processed_dir"],
        params_dir=project["params_dir"],
        out_dir=project["out_dir"],
        notebooks_dir=project["notebooks_dir"],
    )
    assert [j.name for j in jobs][:2] == ["FS/20000001/2024", "FS/huvudman/2024"]
    assert sum(j.name.endswith("huvudman/2024") for j in jobs) == 2


def test_unknown_school_form_is_loud(project):
    units = pd.DataFrame({"skolform": ["XX"], "skolenhetskod": ["1"], "enhet": ["x"]})
    with pytest.raises(UnknownSchoolFormError):
        plan_jobs(
            lasar=2024,
            units=units,
            processed_dir=project["processed_dir"],
            params_dir=project["params_dir"],
            out_dir=project["out_dir"],
        )


def test_hashes_are_stable(project):
    assert hashes(project) == hashes(project)


def test_hashes_do_not_depend_on_the_clone_location(tmp_path):
    a = make_project(tmp_path / "a")
    b = make_project(tmp_path / "deeper" / "clone-b")
    assert hashes(a) == hashes(b)


def test_changed_unit_changes_its_job_and_its_overview_only(project):
    before = hashes(project)
    indicator_table({"10000002": 1.0}).to_parquet(
        project["processed_dir"] / "indikatorer.parquet", index=False
    )
    after = hashes(project)
    changed = sorted(n for n in before if before[n] != after[n])
    assert changed == ["GR/10000002/2024", "GR/huvudman/2024"]


def test_changed_reference_row_changes_every_job_of_the_form(project):
    before = hashes(project)
    df = indicator_table()
    df.loc[df["niva"] == "riket", "varde"] += 1
    after = hashes(project, indikatorer=df)
    assert all(before[n] != after[n] for n in before)


def test_other_page_outputs_are_sliced_too(project):
    before = hashes(project)
    fr = indicator_table().assign(forandring=0.0)
    fr.loc[fr["skolenhetskod"] == "10000003", "forandring"] = 2.0
    fr.to_parquet(project["processed_dir"] / "forandringar.parquet", index=False)
    first = hashes(project)
    assert all(before[n] != first[n] for n in before)  # a new input file: every job reads it
    fr.loc[fr["skolenhetskod"] == "10000003", "forandring"] = 3.0
    fr.to_parquet(project["processed_dir"] / "forandringar.parquet", index=False)
    second = hashes(project)
    assert sorted(n for n in first if first[n] != second[n]) == ["GR/10000003/2024", "GR/huvudman/2024"]


def test_written_analysis_changes_its_unit_and_overview(project):
    before = hashes(project)
    (project["params_dir"] / "analyser" / "2024" / "10000001.md").write_text("Ny analys.\n", encoding="utf-8")
    after = hashes(project)
    assert sorted(n for n in before if before[n] != after[n]) == ["GR/10000001/2024", "GR/huvudman/2024"]


def test_form_level_analysis_changes_the_overview_only(project):
    before = hashes(project)
    (project["params_dir"] / "analyser" / "2024" / "GR.md").write_text("Övergripande.\n", encoding="utf-8")
    (project["params_dir"] / "analyser" / "2024" / "FS.md").write_text("Förskolan.\n", encoding="utf-8")
    after = hashes(project)
    assert sorted(n for n in before if before[n] != after[n]) == ["GR/huvudman/2024"]


def test_labels_and_templates_change_what_uses_them(project):
    before = hashes(project)
    (project["params_dir"] / "labels.yml").write_text("rubrik: 'Ny'\n", encoding="utf-8")
    after_labels = hashes(project)
    assert all(before[n] != after_labels[n] for n in before)
    tpl = project["notebooks_dir"] / "huvudman.ipynb"
    nb = json.loads(tpl.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "markdown", "id": "new", "metadata": {}, "source": "Slut."})
    tpl.write_text(json.dumps(nb), encoding="utf-8")
    after_tpl = hashes(project)
    assert sorted(n for n in after_labels if after_labels[n] != after_tpl[n]) == ["GR/huvudman/2024"]


def test_code_version_is_part_of_the_hash(project, monkeypatch):
    import pipeline.execution.planner as planner

    before = hashes(project)
    monkeypatch.setattr(planner, "code_version", lambda: "another version")
    after = hashes(project)
    assert all(before[n] != after[n] for n in before)


def test_code_version_covers_the_package_sources(monkeypatch):
    monkeypatch.undo()  # the real one, not the pinned test value
    from pipeline.execution.planner import code_version

    assert len(code_version()) == 64


def test_a_declared_table_changes_the_job_key_and_an_undeclared_one_does_not(project, monkeypatch):
    import pipeline.execution.planner as planner
    from pipeline.school_forms import PAGE_INPUTS, PageInputs

    processed = project["processed_dir"]
    base = hashes(project)
    # va_enheter is declared by the unit page and the overview (per school form): every GR page re-runs
    va = pd.DataFrame({"skolform": ["GR"], "skolenhetskod": ["10000001"], "lasar": [2024], "va": [1.5]})
    va.to_parquet(processed / "va_enheter.parquet", index=False)
    declared = hashes(project)
    assert all(declared[name] != base[name] for name in base)
    # forandringar is declared per unit: a changed row of unit 2 re-runs unit 2's page and the overview
    fr = pd.DataFrame(
        {
            "skolform": "GR",
            "niva": "enhet",
            "skolenhetskod": ["10000001", "10000002"],
            "indikator": "trygghet",
            "forandring": [0.1, 0.2],
        }
    )
    fr.to_parquet(processed / "forandringar.parquet", index=False)
    declared = hashes(project)
    fr.assign(forandring=[0.1, 0.3]).to_parquet(processed / "forandringar.parquet", index=False)
    changed = {n for n, h in hashes(project).items() if h != declared[n]}
    assert changed == {"GR/10000002/2024", "GR/huvudman/2024"}
    declared = hashes(project)
    # va_modell is declared by the method page only: no notebook job's key moves
    pd.DataFrame({"skolform": ["GR"], "term": ["x"], "koef": [0.5]}).to_parquet(
        processed / "va_modell.parquet", index=False
    )
    assert hashes(project) == declared
    # the planner hashes by the declaration: declared for the overview, it moves the overview's key only
    overview = PAGE_INPUTS["overview"]
    monkeypatch.setitem(planner.PAGE_INPUTS, "overview", PageInputs(form=(*overview.form, "va_modell")))
    moved = {n for n, h in hashes(project).items() if h != declared[n]}
    assert moved == {"GR/huvudman/2024"}


def test_the_notebook_pages_load_what_their_kinds_declare():
    import dataclasses

    from pipeline.publishing import context
    from pipeline.school_forms import PAGE_INPUTS

    declared = set(PAGE_INPUTS["unit"].tables) | set(PAGE_INPUTS["overview"].tables)
    assert set(context.TABLES) == declared
    # every declared table reaches the page (a field of its context), and nothing else is read
    assert declared <= {f.name for f in dataclasses.fields(context.PageContext)}
