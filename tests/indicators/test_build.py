import re

import pandas as pd
import pytest

from pipeline.errors import ConfigError, DataValidationError
from pipeline.indicators import COMPUTED, build_indicator_outputs
from pipeline.indicators.registry import load_indicator_registry
from pipeline.paths import REPO_ROOT
from pipeline.validate.schemas import INDICATOR_COLUMNS, validate_table
from tests.indicators.helpers import UNIT_A, UNIT_B, cell, grades, installningar, pupils, register
from tests.indicators.synth import make_tables

KEYS = ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"]


def build(tables, **kw):
    return build_indicator_outputs(
        tables, huvudman_namn="Testkommun", kommunkod="9999", installningar=installningar(**kw)
    )


def small_gr():
    b = pd.concat(
        [
            grades({"a1": "SV:A EN:A", "a2": "SV:C EN:E", "a3": "SV:F EN:F"}, unit=UNIT_A),
            grades({"b1": "SV:E EN:E", "b2": "SV:B EN:D"}, unit=UNIT_B),
        ]
    )
    e = pd.concat(
        [
            pupils(
                {
                    "a1": ("flicka", "eftergymnasial", False),
                    "a2": ("pojke", "gymnasial", False),
                    "a3": ("pojke", "okand", True),
                },
                unit=UNIT_A,
            ),
            pupils(
                {"b1": ("flicka", "gymnasial", False), "b2": ("flicka", "eftergymnasial", False)}, unit=UNIT_B
            ),
        ]
    )
    return {"skolenheter": register(UNIT_A, UNIT_B), "betyg": b, "elever": e}


def test_hand_made_grundskola_end_to_end():
    out = build(small_gr(), undertryck_min_antal=1)
    ind = out["indikatorer"]
    a = cell(ind, niva="enhet", skolenhetskod=UNIT_A, indikator="meritvarde_17", grupp="samtliga")
    assert a["varde"] == pytest.approx((40 + 25) / 2)  # a3 has no pass
    assert a["antal"] == 2 and a["enhet"] == "Enhet 1" and a["skolform"] == "GR"
    assert a["kalla"] == "Egen beräkning från elevregistret"
    h = cell(ind, niva="huvudman", indikator="meritvarde_17", grupp="samtliga")
    assert h["varde"] == pytest.approx((40 + 25 + 20 + 30) / 4)
    assert h["enhet"] == "Testkommun" and h["skolenhetskod"] == ""
    g = cell(ind, niva="huvudman", indikator="godkand_alla_amnen", grupp="samtliga")
    assert g["varde"] == pytest.approx(100 * (1 + 1 + 0 + 1 + 1) / 5)  # a3 fails
    assert list(ind.columns) == INDICATOR_COLUMNS


def test_default_threshold_hides_small_units():
    ind = build(small_gr())["indikatorer"]
    computed = ind[ind["kalla"].str.startswith("Egen")]
    shown = computed[~computed["undertryckt"]]
    assert set(shown["indikator"]) <= {"elevantal"}
    assert computed.loc[computed["undertryckt"], "varde"].isna().all()
    assert (computed.loc[computed["undertryckt"], "markering"] == "undertryckt").all()


def test_empty_input():
    out = build({})
    assert list(out["indikatorer"].columns) == INDICATOR_COLUMNS
    assert all(len(v) == 0 for v in out.values())


def test_register_and_published_only():
    reg = register(UNIT_A)
    pub = pd.DataFrame(
        [
            (
                y,
                "GR",
                "riket",
                None,
                None,
                None,
                None,
                "behorighet_yrkes",
                "samtliga",
                v,
                100000,
                "",
                "Skolverket",
            )
            for y, v in ((2023, 84.0), (2024, 85.0))
        ]
        + [
            (
                2024,
                "GR",
                "enhet",
                "9999",
                UNIT_A,
                "Enhet 1",
                "Kommunal",
                "meritvarde_17",
                "samtliga",
                None,
                None,
                "undertryckt",
                "Skolverket",
            )
        ],
        columns=[
            "lasar",
            "skolform",
            "niva",
            "kommunkod",
            "skolenhetskod",
            "enhet",
            "typ_av_huvudman",
            "indikator",
            "grupp",
            "varde",
            "antal",
            "markering",
            "kalla",
        ],
    )
    out = build({"skolenheter": reg, "publicerad": pub})
    ind = out["indikatorer"]
    assert len(ind) == 3 and set(ind["kalla"]) == {"Skolverket"}
    assert cell(ind, niva="enhet")["undertryckt"]
    f = cell(out["forandringar"], niva="riket", typ="ett_ar")
    assert f["forandring"] == pytest.approx(85 - 84) and f["test"] == "z-test, två andelar"


def test_unit_missing_from_register_is_an_error():
    t = small_gr()
    t["skolenheter"] = register(UNIT_A)
    with pytest.raises(DataValidationError, match="22222222"):
        build(t)


def test_input_is_not_mutated():
    t = small_gr()
    before = {k: v.copy() for k, v in t.items()}
    build(t)
    for k in t:
        pd.testing.assert_frame_equal(t[k], before[k])


@pytest.fixture(scope="module")
def synth_out():
    t = {k: validate_table(k, v) for k, v in make_tables().items()}
    return t, build_indicator_outputs(
        t, huvudman_namn="Exempelkommun", kommunkod="9999", installningar=installningar()
    )


def test_synthetic_run_covers_every_computed_indicator(synth_out):
    _, out = synth_out
    own = load_indicator_registry(str(REPO_ROOT / "params" / "indikatorer.yml"))
    ind = out["indikatorer"]
    computed = set(ind.loc[ind["kalla"].str.startswith("Egen"), "indikator"])
    from pipeline.periods.engine import TERMIN_GRADE_IDS

    # the terminsbetyg ids are the period engine's names for meritvarde_17/godkand_alla_amnen
    # computed (by the same berakning) on the autumn grades: computed, but never in the full year
    period_only = set(TERMIN_GRADE_IDS.values())
    assert {own.get(i).period for i in period_only} == {"ht"}
    assert {own.get(i).berakning for i in period_only} == {own.get(i).berakning for i in TERMIN_GRADE_IDS}
    assert set(own.ids) == set(COMPUTED)
    assert set(own.ids) - period_only == computed


def test_every_registry_entry_names_a_callable_statistic_and_groups():
    # One hop from a number to its code: every entry's berakning resolves to a function.
    from pipeline.indicators.registry import GROUPS, PUBLISHED_FUNCTION, STATISTICS

    reg = load_indicator_registry()
    for ind in reg.indicators:
        fn = ind.compute_function()
        assert callable(fn), ind.id
        assert f"{fn.__module__}.{fn.__name__}" == ind.berakning, ind.id
        assert ind.statistik in STATISTICS and set(ind.grupper) <= set(GROUPS), ind.id
        if not ind.is_computed:
            assert ind.berakning == PUBLISHED_FUNCTION and ind.statistik in (
                "andel",
                "antal",
                "summa",
                "publicerad",
            )
    # shares are andel, whoever computes them; computed förskola ratios are kvot whatever the unit
    for ind in reg.indicators:
        if ind.statistik == "andel":
            assert ind.enhet == "procent", ind.id


def test_every_computed_indicator_id_is_in_the_registry_with_its_function(synth_out):
    _, out = synth_out
    reg = load_indicator_registry()
    ind = out["indikatorer"]
    produced = set(ind.loc[ind["kalla"].str.startswith("Egen"), "indikator"])
    assert produced <= set(reg.computed_kinds())
    # every computed row's stat is the registry's statistik for its id
    from pipeline.indicators import COMPUTED

    assert COMPUTED == reg.computed_kinds()


def test_build_dispatches_through_the_registry(synth_out):
    # Change the registry, not the code: meritvarde_17 without groups gives only samtliga rows,
    # and franvaro_medel (grupper [kon, foraldrar, nyanland]) split by kön only has no nyanland rows.
    import dataclasses

    from pipeline.indicators.registry import IndicatorRegistry

    t, before = synth_out
    reg = load_indicator_registry()
    changed = IndicatorRegistry(
        tuple(
            dataclasses.replace(i, grupper=())
            if i.id == "meritvarde_17"
            else dataclasses.replace(i, grupper=("kon",))
            if i.id == "franvaro_medel"
            else i
            for i in reg.indicators
        )
    )
    after = build_indicator_outputs(
        t, huvudman_namn="Exempelkommun", kommunkod="9999", installningar=installningar(), registry=changed
    )["indikatorer"]
    own = after["kalla"].str.startswith("Egen")
    assert set(after.loc[own & after["indikator"].eq("meritvarde_17"), "grupp"]) == {"samtliga"}
    old = before["indikatorer"]
    assert len(set(old.loc[old["indikator"].eq("meritvarde_17"), "grupp"])) > 1
    assert set(after.loc[after["indikator"].eq("franvaro_medel"), "grupp"]) == {
        "samtliga",
        "flickor",
        "pojkar",
    }
    assert "nyanland" in set(old.loc[old["indikator"].eq("franvaro_medel"), "grupp"])


def test_a_berakning_that_names_no_function_is_a_config_error():
    from pipeline.indicators.registry import resolve_function

    with pytest.raises(ConfigError, match="names no function"):
        resolve_function("pipeline.indicators.grundskola.compute_nothing", source="x")


def test_synthetic_run_is_valid_sorted_unique_and_deterministic(synth_out):
    t, out = synth_out
    ind = out["indikatorer"]
    validate_table("indikatorer", ind)
    assert not ind.duplicated(KEYS).any()
    srt = ind.sort_values(KEYS, kind="mergesort").reset_index(drop=True)
    pd.testing.assert_frame_equal(ind, srt)
    again = build_indicator_outputs(
        t, huvudman_namn="Exempelkommun", kommunkod="9999", installningar=installningar()
    )
    for k in out:
        pd.testing.assert_frame_equal(out[k], again[k])


def test_forandringar_never_touch_hidden_values(synth_out):
    _, out = synth_out
    ind, f = out["indikatorer"], out["forandringar"]
    hidden = ind[ind["undertryckt"]][["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"]]
    for col in ("lasar_fran", "lasar_till"):
        m = f.rename(columns={"lasar": "x"}).rename(columns={col: "lasar"}).merge(hidden, on=KEYS)
        assert len(m) == 0
    assert set(f["typ"]) == {"ett_ar", "period"}
    assert set(f["riktning_bedomning"]) <= {
        "forbattring",
        "forsamring",
        "oforandrad",
        "okning",
        "minskning",
        "ej_testad",
    }


def test_va_outputs(synth_out):
    _, out = synth_out
    va = out["va_enheter"]
    assert set(va["bedomning"]) <= {"över förväntan", "under förväntan", "som förväntat", "för få elever"}
    assert {"skolform", "lasar", "modell", "term", "koefficient"} <= set(out["va_modell"].columns)
    ok = va.dropna(subset=["residual"])
    assert ((ok["ki_lag"] <= ok["residual"]) & (ok["residual"] <= ok["ki_hog"])).all()


def test_no_school_form_branching_in_indicator_code():
    pattern = re.compile(r"""(==|!=|\bin\b)\s*\(?\s*["'](FS|GR|GY|VUX)["']""")
    for p in (REPO_ROOT / "pipeline" / "indicators").glob("*.py"):
        assert not pattern.search(p.read_text(encoding="utf-8")), p.name


def test_intervals_contain_the_value(synth_out):
    _, out = synth_out
    ind = out["indikatorer"]
    has = ind.dropna(subset=["varde", "ki_lag", "ki_hog"])
    assert len(has) > 100
    assert ((has["ki_lag"] <= has["varde"] + 1e-9) & (has["varde"] <= has["ki_hog"] + 1e-9)).all()
    assert set(has["niva"]) <= {"enhet", "huvudman"}


def test_huvudman_mean_is_pupil_weighted_unit_mean(synth_out):
    _, out = synth_out
    ind = out["indikatorer"]
    for indikator in ("meritvarde_17", "behorighet_yrkes", "franvaro_medel"):
        sel = ind[(ind["indikator"] == indikator) & (ind["grupp"] == "samtliga") & (ind["lasar"] == 2024)]
        units = sel[(sel["niva"] == "enhet") & ~sel["undertryckt"]]
        if sel["undertryckt"].any():
            continue
        hm = sel[sel["niva"] == "huvudman"].iloc[0]
        n = units["antal"].astype(float)
        assert hm["varde"] == pytest.approx((n * units["varde"]).sum() / n.sum())
