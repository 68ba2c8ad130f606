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
            },
            "riktning",
        ),
        (
            {
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
                "farg": "röd",
            },
            "unknown key",
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
