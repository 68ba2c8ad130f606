"""The demo generator: deterministic, the promised units, years and programmes, valid against the
canonical schemas after ingest, and roughly realistic (checked with simple hand calculations)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from pipeline.demo import DEMO_PNR_PATTERN, FORNAMN, LASAR, demo_units, write_demo
from pipeline.errors import ConfigError
from pipeline.ingest import load_tables, run_ingest
from pipeline.ingest.sources import ReadContext
from pipeline.validate.schemas import CANONICAL_TABLES

GRADE_VALUE = {"A": 20.0, "B": 17.5, "C": 15.0, "D": 12.5, "E": 10.0, "F": 0.0, "-": 0.0}


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("demo") / "raw"
    write_demo(raw)
    return raw


@pytest.fixture(scope="module")
def tables(demo, tmp_path_factory) -> dict[str, pd.DataFrame]:
    processed = tmp_path_factory.mktemp("processed") / "processed"
    res = run_ingest(demo, processed, ReadContext(kommunkod="9999"))
    assert all(name.startswith("sis_") for name in res.files.values())
    return load_tables(processed)


def test_two_runs_are_byte_identical_and_the_seed_matters(demo, tmp_path):
    files = write_demo(tmp_path / "again")
    assert digest(tmp_path / "again") == digest(demo)
    assert files == sorted(files) and all(p.is_file() for p in files)
    write_demo(tmp_path / "other", seed=7)
    assert digest(tmp_path / "other") != digest(demo)


def test_every_canonical_table_is_filled_and_valid(tables):
    for name in CANONICAL_TABLES:
        assert len(tables[name]) > 0, name


def test_units_years_and_programmes(tables):
    units = tables["skolenheter"]
    assert units.groupby("skolform").size().to_dict() == {"FS": 3, "GR": 6, "GY": 2, "VUX": 1}
    gr = units[units["skolform"] == "GR"]
    assert sorted(gr["arskurser"]) == ["7-9", "7-9", "F-6", "F-6", "F-9", "F-9"]
    assert set(units["kommunkod"]) == {"9999"} and set(units["huvudman"]) == {"Exempelkommun"}
    assert units["enhet"].str.endswith("(fiktiv)").all()
    assert sorted(tables["elever"]["lasar"].unique()) == list(LASAR)
    assert {"NA", "SA", "EK", "TE", "BA", "EE", "VO", "HA"} <= set(tables["gy_studievag"]["program"])
    assert set(tables["publicerad"]["niva"]) == {"riket"}
    riket = tables["publicerad"].set_index(["lasar", "indikator", "grupp"])["varde"]
    assert 220 < riket[(2024, "meritvarde_17", "samtliga")] < 240


def test_grades_come_from_the_right_unit_types(tables):
    kinds = tables["skolenheter"].set_index("skolenhetskod")["arskurser"]
    b = tables["betyg"]
    assert set(kinds[b.loc[b["arskurs"] == 6, "skolenhetskod"].unique()]) == {"F-6", "F-9"}
    assert set(kinds[b.loc[b["arskurs"] == 9, "skolenhetskod"].unique()]) == {"7-9", "F-9"}


def test_cohorts_link_ak6_to_ak9_and_to_gymnasium(tables):
    b = tables["betyg"]
    ak6_2021 = set(b.loc[(b["arskurs"] == 6) & (b["lasar"] == 2021), "elev_id"])
    ak9_2024 = set(b.loc[(b["arskurs"] == 9) & (b["lasar"] == 2024), "elev_id"])
    assert len(ak6_2021 & ak9_2024) > 0.8 * len(ak6_2021)
    sv = tables["gy_studievag"]
    ak9_2023 = set(b.loc[(b["arskurs"] == 9) & (b["lasar"] == 2023), "elev_id"])
    started_2024 = set(sv.loc[sv["startlasar"] == 2024, "elev_id"])
    assert len(started_2024 & ak9_2023) > 0.5 * len(started_2024)


def test_some_gymnasium_pupils_change_school(tables):
    # the demo carries the case behind examen inom 3/4 år: a pupil who leaves one unit after the
    # first läsår (avbrott there) and continues at the other unit from the next läsår
    sv = tables["gy_studievag"]
    two = sv[sv["elev_id"].duplicated(keep=False)].sort_values(["elev_id", "startlasar"])
    assert two["elev_id"].nunique() >= 10
    for _, g in list(two.groupby("elev_id"))[:20]:
        first, second = g.iloc[0], g.iloc[1]
        assert first["utfall"] == "avbrott" and first["slutlasar"] == first["startlasar"]
        assert second["startlasar"] == first["startlasar"] + 1
        assert second["skolenhetskod"] != first["skolenhetskod"]


def test_meritvarde_is_realistic_by_hand(tables):
    b = tables["betyg"]
    b9 = b[(b["arskurs"] == 9) & (b["lasar"] == 2024)].assign(v=lambda d: d["betyg"].map(GRADE_VALUE))
    merit = []
    for _, g in b9.groupby("elev_id"):
        best16 = sorted(g.loc[g["amne"] != "M2", "v"], reverse=True)[:16]
        merit.append(sum(best16) + g.loc[g["amne"] == "M2", "v"].sum())
    assert 200 < sum(merit) / len(merit) < 250
    per_unit = b9.groupby("skolenhetskod")["elev_id"].nunique()
    assert per_unit.min() >= 1


def test_small_groups_exist_for_suppression(tables):
    b = tables["betyg"]
    n = b[b["arskurs"] == 9].groupby(["lasar", "skolenhetskod"])["elev_id"].nunique()
    assert (n < 10).any()
    assert tables["gy_studievag"].groupby(["startlasar", "program"]).size().min() < 10  # a small programme


def test_other_levels_roughly_realistic(tables):
    kb, sv = tables["kursbetyg"], tables["gy_studievag"]
    done = sv[sv["startlasar"].between(2018, 2022)]
    exam = done["utfall"].isin(["hogskoleforberedande_examen", "yrkesexamen"]) & (
        done["slutlasar"] <= done["startlasar"] + 2
    )
    assert 0.6 < exam.mean() < 0.9
    examen = kb[
        kb["elev_id"].isin(
            sv.loc[sv["utfall"].isin(["hogskoleforberedande_examen", "yrkesexamen"]), "elev_id"]
        )
    ]
    gbp = (examen["betyg"].map(GRADE_VALUE) * examen["poang"]).sum() / examen["poang"].sum()
    assert 12.5 < gbp < 16
    vux = tables["vux_kurser"]
    assert 0.75 < vux["resultat"].isin(list("ABCDE")).mean() < 0.9
    fs = tables["fs_personal"]
    assert 4 < (fs["antal_barn"].sum() / fs["arsarbetare"].sum()) < 6.5
    assert 12 < (fs["antal_barn"].sum() / fs["antal_barngrupper"].sum()) < 18
    assert 0.3 < fs["arsarbetare_forskollararexamen"].sum() / fs["arsarbetare"].sum() < 0.5
    fr = tables["franvaro"]["franvaro_andel"]
    assert 0.05 < fr.mean() < 0.09 and fr.median() < fr.mean()
    e = tables["enkat"]
    assert 5.5 < e.loc[e["enkat"] == "elev", "poang"].mean() < 8.5
    assert set(e["omrade"]) >= {"trygghet", "studiero", "stimulans", "inflytande", "normer_varden"}


def test_identities_are_fictitious_and_recognisable(demo):
    folder = demo / "fiktiv_exempelkommun"
    assert "FIKTIVA DATA" in (folder / "README.md").read_text(encoding="utf-8")
    with open(folder / "2024" / "elever_2024.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert rows and all(DEMO_PNR_PATTERN.fullmatch(r["Personnummer"]) for r in rows)
    assert {r["Förnamn"] for r in rows} <= set(FORNAMN)


def test_n_units_scales_grundskolor(tmp_path):
    units = demo_units(15)
    assert len(units) == 15 and sum(u.skolform == "GR" for u in units) == 9
    assert len({u.kod for u in units}) == 15
    with pytest.raises(ConfigError, match="n_units must be at least 9"):
        demo_units(8)
