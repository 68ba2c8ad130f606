"""No raw code on any page: every text a reader sees is worded (``params/labels.yml``).

The forbidden codes are derived, not listed by hand: every indicator id of the registry, every
group code of the published table that is not itself a Swedish word (``amne:EN``, ``arskurs:9``,
``ej_nyanland``, ``konsidentitet:annan``), the value-added model's term codes and the column codes
(``p_varde``, ``r2``) whose reader text differs from the code, the level code ``jamforelse`` and
the quality-area ids. A code may appear only inside ``<code>`` or ``class="kod"`` (the method
page documents the ids of the download files there) and in attributes (``data-indikator``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.config import read_yaml
from pipeline.indicators.registry import load_indicator_registry
from pipeline.paths import REPO_ROOT
from pipeline.school_forms import QUALITY_AREAS


class _Text(HTMLParser):
    """The text a reader sees (and a screen reader reads), outside <code>, .kod, script, style."""

    SKIP = {"script", "style", "code"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag, attrs):
        cls = (dict(attrs).get("class") or "").split()
        if tag in self.SKIP or "kod" in cls:
            self._skip.append(tag)
        if tag == "img":
            self.parts.append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag):
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(p.parts)


def forbidden_codes(groups: set[str]) -> set[str]:
    """The raw codes no reader may see (see the module docstring)."""
    labels = read_yaml(REPO_ROOT / "params" / "labels.yml")
    # an id that is a plain Swedish word ("trygghet", "stimulans") may be read in a sentence
    codes = {i.id for i in load_indicator_registry().indicators if re.search(r"[_\d]", i.id)}
    for g in groups:
        worded = str(labels.get("grupper", {}).get(g, "")).lower()
        if g != worded:
            codes.add(g)
            codes.update(
                part for part in re.split(r"[|]", g) if part.lower() != part or "_" in part or ":" in part
            )
    for section in ("va_termer", "kolumner"):
        for key, text in (labels.get(section) or {}).items():
            if str(text).lower() != key and (re.search(r"[_\d]", key) or key in ("const", "prior")):
                codes.add(key)
    codes.add("jamforelse")
    codes.update(a for a in QUALITY_AREAS if "_" in a)
    return {c for c in codes if c}


def raw_codes_on_pages(site: Path, groups: set[str]) -> list[str]:
    codes = sorted(forbidden_codes(groups), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w:|])(" + "|".join(re.escape(c) for c in codes) + r")(?![\w:|])")
    problems = []
    for page in sorted(site.rglob("*.html")):
        text = visible_text(page.read_text(encoding="utf-8"))
        found = sorted(set(pattern.findall(text)))
        if found:
            problems.append(f"{page.relative_to(site)}: {found}")
    return problems


def published_groups(site: Path) -> set[str]:
    import csv

    with open(site / "data" / "indikatorer.csv", encoding="utf-8-sig", newline="") as fh:
        return {r["grupp"] for r in csv.DictReader(fh, delimiter=";")}


def test_the_forbidden_list_is_derived_and_catches_the_codes_seen_on_pages():
    codes = forbidden_codes({"samtliga", "flickor", "amne:EN", "arskurs:9", "ej_nyanland", "nyanland"})
    # the codes the issue saw on pages, each found from the registry, the groups or labels.yml
    for code in ("amne:EN", "arskurs:9", "ej_nyanland", "nyanland", "p_varde", "r2", "meritvarde_17"):
        assert code in codes, code
    assert "flickor" not in codes and "samtliga" not in codes  # Swedish words, not codes


def test_a_page_with_a_raw_code_is_caught(tmp_path):
    (tmp_path / "sida.html").write_text(
        "<p>Engelska</p><th>amne:EN</th><p>Id: <code>meritvarde_17</code></p>"
        '<span data-indikator="meritvarde_17">231,4</span><p>nyanlända</p>',
        encoding="utf-8",
    )
    problems = raw_codes_on_pages(tmp_path, {"amne:EN", "nyanland"})
    assert problems == ["sida.html: ['amne:EN']"]


@pytest.mark.slow
def test_no_raw_codes_on_the_demo_site(demo_build: Path):
    site = demo_build / "reports" / "2024" / "site"
    assert raw_codes_on_pages(site, published_groups(site)) == []


class _Captions(HTMLParser):
    """Figure captions, table captions, table headers and image alt texts of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._open = 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.parts.append(dict(attrs).get("alt") or "")
        if tag in ("figcaption", "caption", "th", "h2", "h3"):
            self._open += 1
            self.parts.append("")

    def handle_endtag(self, tag):
        if tag in ("figcaption", "caption", "th", "h2", "h3") and self._open:
            self._open -= 1

    def handle_data(self, data):
        if self._open:
            self.parts[-1] += data


def captions(path: Path) -> list[str]:
    p = _Captions()
    p.feed(path.read_text(encoding="utf-8"))
    return [t for t in p.parts if t.strip()]


def test_the_unit_noun_comes_from_the_school_form():
    # Skolverket: a förskola is a förskoleenhet, a grundskola a skolenhet; texts over several
    # forms say "enhet"; people are barn in the förskola and kursdeltagare in komvux.
    from pipeline.config import load_params
    from pipeline.school_forms import form_words

    label = load_params().label
    assert form_words(label, "FS")["enheter"] == "förskoleenheter"
    assert form_words(label, "FS")["Enheterna"] == "Förskoleenheterna"
    assert form_words(label, "FS")["personer"] == "barn"
    assert form_words(label, "GR")["enhetstyp"] == "skolenhet"
    assert form_words(label, "VUX")["personer"] == "kursdeltagare"
    assert form_words(label, None)["enheter"] == "enheter"


@pytest.mark.slow
def test_forskola_pages_say_forskoleenheter_and_grundskola_pages_skolenheter(demo_build: Path):
    site = demo_build / "reports" / "2024" / "site"
    fs_pages = sorted((site / "forskola").glob("*.html"))
    assert len(fs_pages) >= 2, "the demo has a förskola overview and unit pages"
    fs_texts = [(p.name, t) for p in fs_pages for t in captions(p)]
    assert [x for x in fs_texts if "skolenhet" in x[1].lower()] == []
    assert any("förskoleenhet" in t.lower() for _n, t in fs_texts)
    gr_texts = [t for p in sorted((site / "grundskola").glob("*.html")) for t in captions(p)]
    assert any("skolenheter" in t.lower() for t in gr_texts)
    assert not any("förskoleenhet" in t.lower() for t in gr_texts)
