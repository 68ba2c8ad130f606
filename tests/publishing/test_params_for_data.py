"""Which huvudman a page describes: the data's, and made-up only when the data are the demo's."""

from __future__ import annotations

import pandas as pd

from pipeline.config import load_params
from pipeline.paths import REPO_ROOT, ProjectPaths
from pipeline.publishing.context import params_for_data


def _table(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"niva": niva, "enhet": enhet} for niva, enhet in rows])


def test_real_unit_level_data_with_the_demo_params_are_not_marked_made_up() -> None:
    # A KOMMUN report from one unit-level file (Kungsbacka's gymnasium grades): no huvudman or
    # kommun rows, no unit named "(fiktiv)". The shipped huvudman.yml is the demo's (fiktiv: true).
    demo = load_params(ProjectPaths(REPO_ROOT))
    assert demo.huvudman.fiktiv
    own = params_for_data(demo, _table([("enhet", "Elof Lindälvs gymnasium"), ("riket", "Riket")]))
    assert not own.huvudman.fiktiv
    assert own.mal == () and own.huvudman.jamforelsegrupp == ()


def test_the_kommun_names_the_huvudman_when_no_huvudman_rows_exist() -> None:
    demo = load_params(ProjectPaths(REPO_ROOT))
    own = params_for_data(demo, _table([("kommun", "Kungsbacka"), ("enhet", "Aranäsgymnasiet")]))
    assert own.huvudman.namn == "Kungsbacka" and not own.huvudman.fiktiv


def test_the_demo_stays_the_demo() -> None:
    demo = load_params(ProjectPaths(REPO_ROOT))
    # the demo's own table without huvudman rows (a unit-only slice): still made up
    assert params_for_data(demo, _table([("enhet", "Ekorrens förskola (fiktiv)")])) is demo
    # and with them, named as configured
    assert params_for_data(demo, _table([("huvudman", demo.huvudman.namn)])) is demo
