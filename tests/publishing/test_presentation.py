"""The slides for the nämnd meeting: the generic builder (escaping, assets, a clear error without
reveal.js, no theme that loads fonts from the network) and the demo report's presentation (10-15
slides from the start page's data, nothing loaded from outside, reveal.js beside it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import Markup

from pipeline.publishing.presentation import (
    ASSET_FILES,
    NODE_MODULES,
    PresentationError,
    Slide,
    SlideNumber,
    SlideTable,
    _check_offline_css,
    build_presentation,
)

needs_reveal = pytest.mark.skipif(
    not (NODE_MODULES / "reveal.js" / "dist" / "reveal.js").is_file(),
    reason="node_modules/reveal.js missing: run `npm ci` (make test does)",
)

_REF = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""")
_CSS_REF = re.compile(r"""url\(\s*['"]?([^'")]*)|@import\s+(?:url\()?\s*['"]?([^'");]*)""")


def outside_refs(html: str, css_files: list[Path]) -> list[str]:
    """Every src/href of the HTML and url()/@import of the CSS that points to http(s)."""
    refs = _REF.findall(html)
    for css in css_files:
        refs += [a or b for a, b in _CSS_REF.findall(css.read_text(encoding="utf-8"))]
    return [r for r in refs if re.match(r"\s*(https?:)?//", r)]


@needs_reveal
def test_build_presentation_escapes_and_copies_assets(tmp_path):
    slides = [
        Slide(kind="title", title="Rapport <2024>", lead="A & B"),
        Slide(
            title="Tal",
            numbers=(SlideNumber("Meritvärde", "230,5", "Ökning"),),
            table=SlideTable("Tabell", ("A", "B"), (("<x>", "1"),)),
            body=Markup("<p>redan <em>HTML</em></p>"),
        ),
    ]
    out = tmp_path / "ut" / "presentation.html"
    written = build_presentation(slides, "T <1>", out)
    html = out.read_text(encoding="utf-8")
    assert "<title>T &lt;1&gt;</title>" in html
    assert "<h1>Rapport &lt;2024&gt;</h1>" in html
    assert '<th scope="row">&lt;x&gt;</th>' in html
    assert "<p>redan <em>HTML</em></p>" in html  # Markup from the views is kept
    assert html.count("<section ") == 2
    assert 'href="presentation-filer/reveal.css"' in html
    assert '<script src="presentation-filer/reveal.js"></script>' in html
    assets = tmp_path / "ut" / "presentation-filer"
    assert {p.name for p in assets.iterdir()} == set(ASSET_FILES)
    assert (assets / "reveal.js").read_bytes() == (NODE_MODULES / "reveal.js/dist/reveal.js").read_bytes()
    assert set(written) == {out, *(assets / n for n in ASSET_FILES)}
    assert outside_refs(html, sorted(assets.glob("*.css"))) == []


def test_missing_reveal_is_a_clear_error(tmp_path):
    with pytest.raises(PresentationError, match=r"npm ci") as err:
        build_presentation([Slide(title="x")], "x", tmp_path / "p.html", node_modules=tmp_path / "nm")
    assert err.value.exit_code == 2
    assert not (tmp_path / "p.html").exists()  # nothing half-written


def test_a_theme_that_loads_fonts_is_refused():
    with pytest.raises(PresentationError, match="offline"):
        _check_offline_css("tema.css", '@import url("https://fonts.googleapis.com/css?family=Lato");')
    with pytest.raises(PresentationError):
        _check_offline_css("tema.css", "a{background:url(https://example.org/x.png)}")
    _check_offline_css("tema.css", "a{background:url(data:image/png;base64,AAAA)}")  # inline is fine


# --------------------------------------------------------------------------- the demo's slides


@pytest.fixture(scope="module")
def report(demo_build) -> Path:
    return demo_build / "reports" / "2024"


@pytest.mark.browser
def test_demo_presentation(report):
    html = (report / "presentation.html").read_text(encoding="utf-8")
    slides = re.findall(r"<section class=\"bild[^>]*>.*?</section>", html, re.S)
    # title, key figures, the three headings of the written assessment, one per school form (4),
    # the units furthest from target, this year's areas, last year's followed up, "Läs mer"
    assert 10 <= len(slides) <= 15, len(slides)
    assert len(slides) == 13
    assert "<h1>Kvalitetsrapport 2024</h1>" in slides[0]
    assert 'lang="sv"' in html
    # the assessment as written in params/analyser/2024/huvudman.md
    assert "Läsåret 2023/24 ligger resultaten hos Exempelkommun nära föregående år." in html
    # one slide per school form with a figure (alt text) and key numbers
    forms = [s for s in slides if "bild-skolform" in s]
    assert [re.search(r"<h2>(.*?)</h2>", s).group(1) for s in forms] == [
        "Förskola",
        "Grundskola",
        "Gymnasieskola",
        "Kommunal vuxenutbildning",
    ]
    for s in forms:
        assert re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="[^"]{20,}"', s), s[:300]
        assert 1 <= s.count('<span class="varde">') <= 3
    # development areas with their status, last year's followed up
    areas = next(s for s in slides if 'id="utvecklingsomraden"' in s)
    assert "Planerad" in areas or "Pågår" in areas
    follow = next(s for s in slides if 'id="uppfoljning"' in s)
    assert "Utvärderad" in follow
    # offline: nothing from outside, reveal.js beside it
    css = sorted((report / "presentation-filer").glob("*.css"))
    assert outside_refs(html, css) == []
    for name in ("reveal.js", "reveal.css", "tema.css", "presentation.css"):
        assert (report / "presentation-filer" / name).stat().st_size > 1000, name
    for ref in _REF.findall(html):
        if not ref.startswith(("data:", "#")):
            assert (report / ref).is_file(), ref
