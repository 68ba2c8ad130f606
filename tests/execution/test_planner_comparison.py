"""A unit page compares the unit with every unit of its form (kunskapsresultat this läsår): those
rows are part of every unit job's hash, so a page never shows a stale value of another unit."""

from __future__ import annotations

import pandas as pd

from .conftest import indicator_table, plan_project


def _table(**bump: float):
    """The conftest table with ``grupp`` and one row per unit and indicator; ``bump`` adds to
    ``<indikator>__<skolenhetskod>``."""
    df = indicator_table().assign(grupp="samtliga")
    for key, delta in bump.items():
        ind, code = key.split("__")
        df.loc[(df["indikator"] == ind) & (df["skolenhetskod"] == code), "varde"] += delta
    return df


def _hashes(project, df):
    jobs = plan_project(project, indikatorer=df)
    return {j.name: j.hash for j in jobs}


def test_a_compared_value_changes_every_unit_page_of_the_form(project):
    before = _hashes(project, _table())
    after = _hashes(project, _table(meritvarde_17__10000002=1.0))
    assert all(before[n] != after[n] for n in before)  # every unit page shows unit 2's meritvärde


def test_a_value_only_its_own_page_shows_changes_its_page_and_overview(project):
    before = _hashes(project, _table())
    after = _hashes(project, _table(trygghet__10000002=0.5))
    changed = sorted(n for n in before if before[n] != after[n])
    assert changed == ["GR/10000002/2024", "GR/huvudman/2024"]


def test_an_earlier_years_value_is_not_compared(project):
    df = _table()
    old = df.assign(lasar=2023)
    before = _hashes(project, pd.concat([df, old], ignore_index=True))
    bumped = old.copy()
    bumped.loc[
        (bumped["indikator"] == "meritvarde_17") & (bumped["skolenhetskod"] == "10000002"), "varde"
    ] += 1
    after = _hashes(project, pd.concat([df, bumped], ignore_index=True))
    changed = sorted(n for n in before if before[n] != after[n])
    assert changed == ["GR/10000002/2024", "GR/huvudman/2024"]
