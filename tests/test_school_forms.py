"""The one school-form registry and the indicator registry behind it."""

from __future__ import annotations

import ast

import pytest

from pipeline.errors import ConfigError, UnknownIndicatorError, UnknownSchoolFormError
from pipeline.indicators.registry import load_indicator_registry, parse_indicator_registry
from pipeline.paths import REPO_ROOT
from pipeline.school_forms import QUALITY_AREAS, SCHOOL_FORMS, get_school_form


def test_four_forms_by_official_code():
    assert list(SCHOOL_FORMS) == ["FS", "GR", "GY", "VUX"]
    for form in SCHOOL_FORMS.values():
        assert (REPO_ROOT / "notebooks" / form.notebook).name == form.notebook
        assert set(form.quality_areas) <= set(QUALITY_AREAS)
        assert form.indicators, f"{form.code} has no indicators in the registry"


def test_lookup_is_loud():
    assert get_school_form("gr").code == "GR"
    with pytest.raises(UnknownSchoolFormError, match="must be one of 'FS', 'GR', 'GY', 'VUX', got 'XX'"):
        get_school_form("XX")


def test_registry_invariants():
    reg = load_indicator_registry()
    assert len(reg.ids) == len(set(reg.ids))
    for ind in reg.indicators:
        assert ind.label and ind.definition and ind.kalla, ind.id
        assert ind.id.isascii() and ind.id == ind.id.lower(), ind.id
    with pytest.raises(UnknownIndicatorError):
        reg.get("finns_inte")


#: A valid registry entry; a bad case changes one key of it.
_VALID_ENTRY = {
    "id": "x",
    "label": "l",
    "definition": "d",
    "skolform": ["GR"],
    "kvalitetsomrade": "kunskapsresultat",
    "enhet": "procent",
    "riktning": "hogre_battre",
    "kalla": "k",
    "antal_avser": "elever",
    "berakning": "pipeline.indicators.published.published_rows",
    "statistik": "andel",
    "period": "lasarsslut",
}


@pytest.mark.parametrize(
    "entry, fragment",
    [
        ({"id": "x"}, "lacks"),
        (
            {
                "id": "x",
                "label": "l",
                "definition": "d",
                "skolform": ["XX"],
                "kvalitetsomrade": "kunskapsresultat",
                "enhet": "procent",
                "riktning": "hogre_battre",
                "kalla": "k",
                "antal_avser": "elever",
                "berakning": "pipeline.indicators.published.published_rows",
                "statistik": "andel",
                "period": "lasarsslut",
            },
            "skolform",
        ),
        (
            {
                "id": "x",
                "label": "l",
                "definition": "d",
                "skolform": ["GR"],
                "kvalitetsomrade": "annat",
                "enhet": "procent",
                "riktning": "hogre_battre",
                "kalla": "k",
                "antal_avser": "elever",
                "berakning": "pipeline.indicators.published.published_rows",
                "statistik": "andel",
                "period": "lasarsslut",
            },
            "kvalitetsomrade",
        ),
        (
            {
                "id": "x",
                "label": "l",
                "definition": "d",
                "skolform": ["GR"],
                "kvalitetsomrade": "kunskapsresultat",
                "enhet": "meter",
                "riktning": "hogre_battre",
                "kalla": "k",
                "antal_avser": "elever",
                "berakning": "pipeline.indicators.published.published_rows",
                "statistik": "andel",
                "period": "lasarsslut",
            },
            "enhet",
        ),
        (
            {
                "id": "x",
                "label": "l",
                "definition": "d",
                "skolform": ["GR"],
                "kvalitetsomrade": "kunskapsresultat",
                "enhet": "procent",
                "riktning": "upp",
                "kalla": "k",
                "antal_avser": "elever",
                "berakning": "pipeline.indicators.published.published_rows",
                "statistik": "andel",
                "period": "lasarsslut",
            },
            "riktning",
        ),
        (
            {**_VALID_ENTRY, "farg": "röd"},
            "unknown key",
        ),
        (
            {**_VALID_ENTRY, "enhet_ord": "elever"},
            "enhet_ord is the word after a number of an 'enhet: antal'",
        ),
    ],
)
def test_bad_registry_entries(entry, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse_indicator_registry({"indikatorer": [entry]})


def test_duplicate_ids_rejected():
    e = {
        "id": "x",
        "label": "l",
        "definition": "d",
        "skolform": ["GR"],
        "kvalitetsomrade": "kunskapsresultat",
        "enhet": "procent",
        "riktning": "hogre_battre",
        "kalla": "k",
        "antal_avser": "elever",
        "berakning": "pipeline.indicators.published.published_rows",
        "statistik": "andel",
        "period": "lasarsslut",
    }
    with pytest.raises(ConfigError, match="unique"):
        parse_indicator_registry({"indikatorer": [e, e]})


def _branches_on_form_code(tree: ast.AST) -> list[int]:
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                if isinstance(side, ast.Constant) and side.value in {"FS", "GR", "GY", "VUX"}:
                    hits.append(node.lineno)
    return hits


def test_no_branching_on_school_form_outside_the_registry():
    offenders = []
    for path in sorted((REPO_ROOT / "pipeline").rglob("*.py")):
        if path.name == "school_forms.py" or "demo" in path.parts:
            continue
        lines = _branches_on_form_code(ast.parse(path.read_text()))
        offenders += [f"{path.relative_to(REPO_ROOT)}:{n}" for n in lines]
    assert not offenders, f"compare with a school-form code outside the registry: {offenders}"


@pytest.mark.parametrize(
    "module",
    [
        "pipeline.school_forms",
        "pipeline.indicators.registry",
        "pipeline.validate.schemas",
        "pipeline.ingest.sis",
    ],
)
def test_each_module_imports_alone_in_a_fresh_interpreter(module):
    # No import cycle between the school-form registry and the indicator registry: each module
    # imports on its own, first, in a new interpreter.
    import subprocess
    import sys

    res = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import {module}; import pipeline.school_forms as s; s.get_school_form('GR').indicators",
        ],
        capture_output=True,
        text=True,
        cwd=str(REPO_ROOT),
    )
    assert res.returncode == 0, res.stderr


def test_aliases_come_from_the_school_form_registry():
    from pipeline.school_forms import alias_table, form_of_alias, register_sheets

    # the names SIS exports and the Skolverket API use, folded
    assert alias_table()["komvux"] == "VUX" and alias_table()["gr"] == "GR"
    assert form_of_alias("Gymnasieskola") == "GY" and form_of_alias("Kommunal vuxenutbildning") == "VUX"
    assert form_of_alias("fsk") is None  # förskoleklass is no form of the report
    # Skolverket's register workbook: both vux sheets, in read order (the first wins)
    assert list(register_sheets()) == [
        "Grundskola",
        "Gymnasieskola",
        "Komm. vuxenutb.",
        "Komm. vuxenutb. i sv. f. inv.",
    ]
    assert set(register_sheets().values()) == {"GR", "GY", "VUX"}


def test_no_other_module_holds_a_school_form_alias_table():
    # A literal mapping of a name to a form code ('"grundskola": "GR"') or a literal list of three
    # or more codes belongs in pipeline/school_forms.py only. A row value ("skolform": "GR") is
    # data, not a table of aliases.
    import re

    code = r"[\"'](?:FS|GR|GY|VUX)[\"']"
    mapping = re.compile(r"[\"']([^\"']+)[\"']\s*:\s*" + code)
    listing = re.compile(code + r"\s*,\s*" + code + r"\s*,\s*" + code)
    hits = []
    for path in sorted((REPO_ROOT / "pipeline").rglob("*.py")):
        if path.name == "school_forms.py" and path.parent.name == "pipeline":
            continue
        text = path.read_text(encoding="utf-8")
        for m in mapping.finditer(text):
            if m.group(1) != "skolform":
                hits.append(f"{path.relative_to(REPO_ROOT)}: {m.group(0)}")
        hits += [f"{path.relative_to(REPO_ROOT)}: {m.group(0)}" for m in listing.finditer(text)]
    assert hits == []
