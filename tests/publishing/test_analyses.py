"""Written analyses: parsing, safe rendering, checks and templates (pipeline.publishing.analyses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import AnalysisFileError
from pipeline.paths import REPO_ROOT
from pipeline.publishing.analyses import (
    analysis_path,
    check_analyses,
    load_analysis,
    parse_analysis,
    render_markdown,
    template_text,
    write_templates,
)

GOOD = """## Resultat

Meritvärdet steg.

## Analys

Mer tid för läsning.

## Utvecklingsområden

- Studiero i årskurs 8
- Närvaro
"""


def test_parse_good_file():
    a = parse_analysis(GOOD, "x.md")
    assert a.resultat == "Meritvärdet steg."
    assert a.analys == "Mer tid för läsning."
    assert a.utvecklingsomraden.splitlines() == ["- Studiero i årskurs 8", "- Närvaro"]


def test_template_parses_as_empty():
    a = parse_analysis(template_text(), "t.md")
    assert (a.resultat, a.analys, a.utvecklingsomraden) == ("", "", "")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace("## Analys", "## Orsaker"), 5, "unknown heading"),
        (GOOD.replace("## Analys", "### Analys"), 5, "two #"),
        (GOOD + "\n### Mer\n", 14, "sub-heading"),
        ("Inledning\n\n" + GOOD, 1, "text before the first heading"),
        (GOOD + "\n## Resultat\nmer\n", 14, "appears twice"),
        (GOOD.replace("Meritvärdet steg.", "Meritvärdet steg.\n---"), 4, "turns that text into a heading"),
    ],
)
def test_malformed_files_name_file_line_and_fix(text, line, words):
    with pytest.raises(AnalysisFileError) as err:
        parse_analysis(text, "params/analyser/2024/99990011.md")
    msg = str(err.value)
    assert "params/analyser/2024/99990011.md" in msg
    assert f"line {line}" in msg
    assert words in msg


def test_missing_heading_is_named():
    text = GOOD.split("## Utvecklingsområden")[0]
    with pytest.raises(AnalysisFileError, match="missing: '## Utvecklingsområden'"):
        parse_analysis(text, "a.md")


def test_headings_in_code_fences_are_text():
    text = GOOD.replace("Mer tid för läsning.", "```\n# inte en rubrik\n```")
    assert "# inte en rubrik" in parse_analysis(text, "a.md").analys


def test_render_escapes_raw_html_and_unsafe_links():
    html = render_markdown(
        "Hej <script>alert(1)</script> **fet** [x](javascript:alert(1)) [y](https://skolverket.se) "
        '![bild](http://example.com/p.png)\n\n<div onclick="x">rå</div>'
    )
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<div" not in html
    assert "javascript:" not in html
    # a link to another site is its text and its address, never a live link
    assert '<span class="extern-lank">y (https://skolverket.se)</span>' in html
    assert "<img" not in html
    assert "<strong>fet</strong>" in html


def test_check_and_write_templates(tmp_path: Path):
    params = tmp_path / "params"
    units = ["99990011", "99990012", "99990013", "GR"]
    analysis_path(params, 2024, "99990011").parent.mkdir(parents=True)
    analysis_path(params, 2024, "99990011").write_text(GOOD, encoding="utf-8")
    analysis_path(params, 2024, "99990012").write_text("## Resultat\n", encoding="utf-8")
    problems = check_analyses(params, 2024, units)
    kinds = {p.kod: p.kind for p in problems}
    assert kinds == {"99990012": "felaktig", "99990013": "saknas", "GR": "saknas"}
    missing = next(p for p in problems if p.kod == "99990013")
    assert (
        str(analysis_path(params, 2024, "99990013")) in missing.message and "## Resultat" in missing.message
    )
    assert "Grundskola" in next(p for p in problems if p.kod == "GR").message

    written = write_templates(params, 2024, units)
    assert written == [analysis_path(params, 2024, "99990013"), analysis_path(params, 2024, "GR")]
    assert analysis_path(params, 2024, "99990011").read_text(encoding="utf-8") == GOOD  # not overwritten
    assert write_templates(params, 2024, units) == []
    after = {p.kod: p.kind for p in check_analyses(params, 2024, units)}
    assert after == {"99990012": "felaktig", "99990013": "tom", "GR": "tom"}


def test_load_missing_is_none(tmp_path: Path):
    assert load_analysis(tmp_path, 2024, "99990011") is None


def test_shipped_demo_analyses_are_well_formed():
    folder = REPO_ROOT / "params" / "analyser"
    files = sorted(folder.glob("*/*.md"))
    assert files, "the demo ships filled analyses in params/analyser/<YEAR>/"
    from pipeline.publishing.analyses import load_written

    for f in files:
        texts = load_written(folder.parent, int(f.parent.name), f.stem)
        assert texts and all(texts.values()), f


def test_units_as_a_frame(tmp_path: Path):
    import pandas as pd

    units = pd.DataFrame(
        {
            "skolform": ["GR", "GR", "FS"],
            "skolenhetskod": ["99992002", "99992005", "99991001"],
            "enhet": ["Björkskolan", "Ekskolan", "Ekorrens förskola"],
        }
    )
    problems = check_analyses(tmp_path, 2024, units)
    # every unit, every school form, and the huvudman's assessment (huvudman.md)
    assert [p.kod for p in problems] == ["99991001", "99992002", "99992005", "FS", "GR", "huvudman"]
    assert "(Björkskolan)" in problems[1].message
    assert len(write_templates(tmp_path, 2024, units)) == 6  # 3 units, 2 forms, huvudman.md
    with pytest.raises(TypeError):
        check_analyses(tmp_path, 2024, "GR")
