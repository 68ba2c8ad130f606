"""Utvecklingsområden: the model, its validation errors and the follow-up of last year's areas."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import load_params
from pipeline.errors import ConfigError
from pipeline.indicators.changes import compute_forandringar
from pipeline.indicators.registry import load_indicator_registry
from pipeline.publishing.format import default_labels
from pipeline.publishing.wording import change_sentence
from pipeline.utveckling import (
    check_development_areas,
    follow_up,
    follow_up_year,
    load_development_areas,
    read_areas_file,
)

REPO = Path(__file__).resolve().parents[1]

AREA = """\
  - id: bjork-studiero
    niva: enhet
    skolform: GR
    skolenhetskod: '99992002'
    omrade: trygghet_studiero
    aktivitet: Gemensamma rutiner för lektionsstart.
    ansvarig: Rektor
    tidplan: Läsåret 2023/24
    indikator: studiero
    mal: 75
    status: planerad
"""


def _write(folder: Path, year: int, text: str) -> Path:
    path = folder / "utvecklingsomraden" / f"{year}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_valid_file_loads(tmp_path):
    _write(tmp_path, 2023, "omraden:\n" + AREA)
    (area,) = load_development_areas(tmp_path, 2023)
    assert (area.niva, area.skolform, area.skolenhetskod, area.indikator, area.mal, area.status) == (
        "enhet",
        "GR",
        "99992002",
        "studiero",
        75.0,
        "planerad",
    )
    assert area.applies_to(skolenhetskod="99992002")
    assert not area.applies_to(skolform="GR")
    assert load_development_areas(tmp_path, 2022) == []  # no file: no areas


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    status: planerad\n", "    status: klar\n"),
            ["omraden[0] (id 'bjork-studiero'), key 'status'", "klar"],
        ),
        (
            ("    ansvarig: Rektor\n", "    ansvarig: Rektor\n    budget: 100\n"),
            ["key 'budget'", "unknown key"],
        ),
        (
            ("    omrade: trygghet_studiero\n", "    omrade: trivsel\n"),
            ["key 'omrade'", "trivsel", "unknown quality area"],
        ),
        (("    indikator: studiero\n", "    indikator: lycka\n"), ["key 'indikator'", "lycka"]),
        (("    skolenhetskod: '99992002'\n", ""), ["needs 'skolenhetskod'"]),
        (("    skolenhetskod: '99992002'\n", "    skolenhetskod: 99992002\n"), ["key 'skolenhetskod'"]),
        (("    niva: enhet\n", "    niva: land\n"), ["key 'niva'", "land"]),
        (("    indikator: studiero\n", "    indikator: examen_3ar\n"), ["not reported for school form 'GR'"]),
    ],
)
def test_bad_file_names_file_and_key(tmp_path, change, expected):
    path = _write(tmp_path, 2023, "omraden:\n" + AREA.replace(*change))
    with pytest.raises(ConfigError) as err:
        read_areas_file(path)
    assert err.value.exit_code == 2
    assert str(path) in str(err.value)
    for part in expected:
        assert part in str(err.value)


def test_unknown_top_level_key_and_duplicate_id(tmp_path):
    path = _write(tmp_path, 2023, "omraden:\n" + AREA + "mal:\n  - 1\n")
    with pytest.raises(ConfigError, match="mal: unknown key"):
        read_areas_file(path)
    path = _write(tmp_path, 2023, "omraden:\n" + AREA + AREA)
    with pytest.raises(ConfigError, match="'bjork-studiero' appears twice"):
        read_areas_file(path)


def test_follow_up_of_an_unknown_id_is_an_error(tmp_path):
    _write(tmp_path, 2023, "omraden:\n" + AREA)
    bad = _write(tmp_path, 2024, "uppfoljning:\n  - id: gr-okand\n    status: pågår\n")
    with pytest.raises(ConfigError) as err:
        check_development_areas(tmp_path)
    assert (
        str(bad) in str(err.value) and "'gr-okand'" in str(err.value) and "bjork-studiero" in str(err.value)
    )


def test_load_params_checks_the_areas(tmp_path):
    import shutil

    params = tmp_path / "params"
    shutil.copytree(REPO / "params", params)
    _write(params, 2023, "omraden:\n" + AREA.replace("planerad", "okänd"))
    from pipeline.paths import ProjectPaths

    with pytest.raises(ConfigError, match="2023.yml"):
        load_params(ProjectPaths(tmp_path))


def _table(rows):
    """Indicator rows with the columns compute_forandringar reads."""
    base = dict(skolform="GR", niva="enhet", skolenhetskod="99992002", enhet="Björkskolan", grupp="samtliga")
    return pd.DataFrame([{**base, **r} for r in rows])


def test_follow_up_movement_by_hand(tmp_path):
    # Behörighet yrkesprogram (a share) at Björkskolan: 2023 70,0 % of 200, 2024 78,0 % of 200.
    # By hand (two-proportion z-test, pooled): p = (140 + 156) / 400 = 0,74;
    # se = sqrt(0,74 * 0,26 * (1/200 + 1/200)) = sqrt(0,001924) = 0,04386;
    # z = 0,08 / 0,04386 = 1,824; two-sided p = 0,068 > 0,05: not significant.
    # The change is +8,0 procentenheter, worded "Ingen statistiskt säkerställd förändring".
    # Frånvaro över 10 %: 20,0 % of 400 -> 12,0 % of 400: p = 0,16, se = sqrt(0,16 * 0,84 * 2/400)
    # = 0,02592, z = 0,08 / 0,02592 = 3,09, p = 0,002: a significant decrease of 8,0 procentenheter.
    rows = [
        dict(lasar=2023, indikator="behorighet_yrkes", varde=70.0, antal=200),
        dict(lasar=2024, indikator="behorighet_yrkes", varde=78.0, antal=200),
        dict(lasar=2023, indikator="franvaro_over_10", varde=20.0, antal=400),
        dict(lasar=2024, indikator="franvaro_over_10", varde=12.0, antal=400),
    ]
    reg = load_indicator_registry()
    riktning = {i.id: i.riktning for i in reg.indicators}
    ind_table = _table(rows).assign(undertryckt=False)
    forandringar = compute_forandringar(
        ind_table.assign(se=float("nan"), stat="andel"),
        trend_ar=5,
        signifikansniva=0.05,
        riktning=riktning,
        enhet_of={i.id: i.enhet for i in reg.indicators},
    )
    first = AREA.replace("indikator: studiero\n", "indikator: behorighet_yrkes\n")
    second = (
        AREA.replace("bjork-studiero", "bjork-narvaro")
        .replace("indikator: studiero\n", "indikator: franvaro_over_10\n")
        .replace("mal: 75", "mal: 10")
    )
    _write(tmp_path, 2023, "omraden:\n" + first + second)
    _write(
        tmp_path, 2024, "uppfoljning:\n  - id: bjork-studiero\n    status: genomförd\n    kommentar: Klart.\n"
    )
    check_development_areas(tmp_path)
    behorighet, franvaro = follow_up_year(
        tmp_path, 2024, indikatorer=ind_table, forandringar=forandringar, riktning=riktning
    )
    assert (behorighet.status, behorighet.status_uppdaterad, behorighet.kommentar) == (
        "genomförd",
        True,
        "Klart.",
    )
    assert (franvaro.status, franvaro.status_uppdaterad) == (
        "planerad",
        False,
    )  # not followed up: last year's
    assert (behorighet.varde_fran, behorighet.varde_till) == (70.0, 78.0)
    assert behorighet.forandring["forandring"] == pytest.approx(8.0)
    assert behorighet.forandring["p_varde"] == pytest.approx(0.068, abs=0.001)
    assert not behorighet.forandring["signifikant"]
    assert behorighet.mal_uppnatt is True  # 78 >= 75, higher is better
    assert franvaro.forandring["p_varde"] == pytest.approx(0.002, abs=0.0005)
    assert franvaro.mal_uppnatt is False  # 12 > 10, lower is better

    def label(*keys, default=None):
        node = default_labels()
        for k in keys:
            if k not in node:
                return default
            node = node[k]
        return node

    _, text = change_sentence(label, behorighet.forandring, reg.get("behorighet_yrkes"))
    assert text.startswith("Ingen statistiskt säkerställd förändring sedan 2022/23 (+8,0 procentenheter)")
    _, text = change_sentence(label, franvaro.forandring, reg.get("franvaro_over_10"))
    assert (
        text
        == "Minskning med 8,0 procentenheter sedan 2022/23 (statistiskt säkerställd, z-test, två andelar)."
    )


def test_follow_up_without_values_has_no_movement():
    # A hidden value this year: no forandringar row, no value; the area is still listed.
    area = read_areas_file.__globals__["Utvecklingsomrade"](
        id="a",
        niva="skolform",
        skolform="GR",
        omrade="kunskapsresultat",
        aktivitet="x",
        ansvarig="y",
        tidplan="z",
        indikator="meritvarde_17",
        status="pågår",
    )
    table = pd.DataFrame(
        [
            dict(
                lasar=2024,
                skolform="GR",
                niva="huvudman",
                skolenhetskod="",
                indikator="meritvarde_17",
                grupp="samtliga",
                varde=None,
                undertryckt=True,
            )
        ]
    )
    (item,) = follow_up([area], [], lasar=2024, indikatorer=table, forandringar=None)
    assert (item.varde_till, item.forandring, item.status, item.status_uppdaterad) == (
        None,
        None,
        "pågår",
        False,
    )


def test_demo_seed_is_valid_and_follows_up():
    check_development_areas(REPO / "params")
    for year in (2023, 2024):
        areas = load_development_areas(REPO / "params", year)
        assert {a.niva for a in areas} == {"huvudman", "skolform", "enhet"}
    ids_2023 = {a.id for a in load_development_areas(REPO / "params", 2023)}
    follow = read_areas_file(REPO / "params" / "utvecklingsomraden" / "2024.yml").uppfoljning
    assert {p.id for p in follow} < ids_2023  # one area left without a follow-up, shown as such
