"""Every figure of a built site read back from its SVG: no axis repeats a tick label, and no caption
names a series (riket, the huvudman's line, an interval, the local target, flickor/pojkar, the
comparison group, the box of a distribution) that the figure does not draw.

The figures mark what they draw with series ids (matplotlib ``gid`` -> ``<g id="serie-...">``,
see :mod:`pipeline.publishing.figures`); the captions are read from the pages' ``<figcaption>``.
A figure without a legend has no empty band above its plot, where a legend would have gone.
Runs on the demo build (the shared session fixture) and, fast, on the tick rules themselves with
hand-chosen tick positions.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.publishing.figures import AxisFormatter, tick_decimals

SVG = "{http://www.w3.org/2000/svg}"

#: Words of a caption (lower case) -> the series ids the figure must then carry. Flickor and
#: pojkar count as series only as the caption's own "för flickor och pojkar" (an indicator may be
#: named "Skillnad i meritvärde mellan flickor och pojkar").
CAPTION_SERIES = {
    "riket": ("serie-riket",),
    "huvudmannen (": ("serie-huvudman",),
    "huvudmannens värde": ("serie-huvudman",),
    "skuggade fältet": ("serie-intervall",),
    "95 %-intervall": ("serie-intervall",),
    "lokala målet": ("serie-mal",),
    "för flickor och pojkar": ("serie-flickor", "serie-pojkar"),
    "jämförelsegruppen": ("serie-jamforelse",),
    "lådan": ("serie-fordelning",),
}


class _Figures(HTMLParser):
    """``(figure id, svg bytes, caption)`` of every ``<figure class="diagram">`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, bytes, str]] = []
        self._fig: dict | None = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and "diagram" in (a.get("class") or "").split():
            self._fig = {"id": a.get("id", ""), "svg": b"", "caption": ""}
        elif self._fig is not None and tag == "img" and (a.get("src") or "").startswith("data:image/svg+xml"):
            self._fig["svg"] = base64.b64decode(a["src"].split(",", 1)[1])
        elif self._fig is not None and tag == "figcaption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._in_caption = False
        elif tag == "figure" and self._fig is not None:
            self.found.append((self._fig["id"], self._fig["svg"], self._fig["caption"]))
            self._fig = None

    def handle_data(self, data):
        if self._in_caption and self._fig is not None:
            self._fig["caption"] += data


def page_figures(page: Path) -> list[tuple[str, bytes, str]]:
    parser = _Figures()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


def tick_labels(svg: bytes) -> dict[str, list[str]]:
    """The tick labels of each axis (``matplotlib.axis_N`` group -> labels in drawing order)."""
    root = ET.fromstring(svg)
    out: dict[str, list[str]] = {}
    for g in root.iter(f"{SVG}g"):
        gid = g.get("id", "")
        if not re.fullmatch(r"matplotlib\.axis_\d+", gid):
            continue
        labels = []
        for tick in g:
            if tick.tag == f"{SVG}g" and re.fullmatch(r"[xy]tick_\d+", tick.get("id", "")):
                text = "".join("".join(t.itertext()) for t in tick.iter(f"{SVG}text")).strip()
                if text:
                    labels.append(text)
        out[gid] = labels
    return out


def series_ids(svg: bytes) -> set[str]:
    """The series a figure draws (``<g id="serie-riket">`` ...)."""
    return {m.decode() for m in re.findall(rb'id="(serie-[a-z_-]+)"', svg)}


#: Above a plot without a legend: at most this share of the figure's height (a trend's top margin
#: is 0.05, a one-row-per-unit plot's 0.15 in / its height; an unused legend row was 0.10-0.17).
EMPTY_TOP_BAND = 0.08


def top_band(svg: bytes) -> float | None:
    """The share of the figure's height above the first axes' plot area when the figure has no
    legend (``None`` when it has one, or no plot area)."""
    if b'id="legend_1"' in svg:
        return None
    root = ET.fromstring(svg)
    height = float(str(root.get("height", "0")).removesuffix("pt") or 0)
    patch = root.find(f".//{SVG}g[@id='axes_1']/{SVG}g[@id='patch_2']/{SVG}path")
    if patch is None or not height:
        return None
    ys = [float(y) for y in re.findall(r"[ML] [-\d.]+ ([-\d.]+)", patch.get("d", ""))]
    return min(ys) / height if ys else None


def figure_problems(site: Path) -> tuple[int, list[str]]:
    """Problems of every figure of the site, and how many figures were read."""
    problems: list[str] = []
    n = 0
    for page in sorted(site.rglob("*.html")):
        for fig_id, svg, caption in page_figures(page):
            n += 1
            where = f"{page.relative_to(site)}#{fig_id}"
            for axis, labels in tick_labels(svg).items():
                dupes = sorted({t for t in labels if labels.count(t) > 1})
                if dupes:
                    problems.append(f"{where}: {axis} repeats tick label(s) {dupes} in {labels}")
            band = top_band(svg)
            if band is not None and band > EMPTY_TOP_BAND:
                problems.append(
                    f"{where}: an empty band of {band:.0%} of the height above a plot without a legend"
                )
            have = series_ids(svg)
            text = caption.lower()
            for words, needed in CAPTION_SERIES.items():
                lacking = [s for s in needed if s not in have]
                if words in text and lacking:
                    problems.append(
                        f"{where}: the caption names {words!r} but the figure has no {lacking} ({sorted(have)})"
                    )
    return n, problems


# ------------------------------------------------------------------------------ the tick rules
@pytest.mark.parametrize(
    "locs,decimals",
    [
        ([0, 5, 10, 15], 0),  # step 5: whole numbers
        ([5.0, 5.05, 5.1, 5.15], 2),  # step 0,05: "5,0 5,0 5,1 5,1" before; two decimals are needed
        ([0.9, 0.95, 1.0, 1.05], 2),
        ([0, 2.5, 5, 7.5], 1),  # step 2,5
        ([0.75, 1.0, 1.25], 2),
        ([1610, 1620, 1630], 0),
        ([7], 0),  # one tick: nothing to tell apart
    ],
)
def test_tick_decimals_follow_the_step(locs, decimals):
    assert tick_decimals(locs) == decimals


def test_one_format_for_every_tick_of_an_axis():
    # the old rule wrote 0 decimals at 20 and above and 1 below: "0,0 / 15,0 / 30 / 45"
    f = AxisFormatter()
    assert f.format_ticks([0, 15, 30, 45]) == ["0", "15", "30", "45"]
    assert f.format_ticks([5.0, 5.05, 5.1]) == ["5,00", "5,05", "5,10"]
    g = AxisFormatter("\u00a0%")
    assert g.format_ticks([0, 25, 50]) == ["0\u00a0%", "25\u00a0%", "50\u00a0%"]


def test_the_checks_catch_a_duplicate_tick_and_a_promised_series(tmp_path):
    # a hand-made page: an axis with "1,0" twice and a caption promising riket that is not drawn
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><g id="matplotlib.axis_1">'
        b'<g id="xtick_1"><g id="text_1"><text>1,0</text></g></g>'
        b'<g id="xtick_2"><g id="text_2"><text>1,0</text></g></g></g>'
        b'<g id="serie-enhet"></g></svg>'
    )
    src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    (tmp_path / "sida.html").write_text(
        f'<figure class="diagram" id="f"><img src="{src}" alt="x"><figcaption>Värde, med riket som '
        "jämförelse.</figcaption></figure>",
        encoding="utf-8",
    )
    n, problems = figure_problems(tmp_path)
    assert n == 1
    assert any("repeats tick label" in p for p in problems)
    assert any("'riket'" in p for p in problems)


def test_the_checks_catch_an_empty_band_above_a_plot_without_a_legend(tmp_path):
    # a 200 pt high figure whose plot area starts at y = 40 (20 % of the height) and no legend
    def page(legend: bytes) -> None:
        svg = (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="300pt" height="200pt"><g id="axes_1">'
            b'<g id="patch_2"><path d="M 50 170 L 290 170 L 290 40 L 50 40 z"/></g></g>' + legend + b"</svg>"
        )
        src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
        (tmp_path / "sida.html").write_text(
            f'<figure class="diagram" id="f"><img src="{src}" alt="x"><figcaption>Värde.</figcaption></figure>',
            encoding="utf-8",
        )

    page(b"")
    n, problems = figure_problems(tmp_path)
    assert n == 1 and len(problems) == 1 and "empty band of 20%" in problems[0], problems
    page(b'<g id="legend_1"></g>')  # the band holds a legend
    assert figure_problems(tmp_path) == (1, [])


# ------------------------------------------------------------------------------ the demo build
@pytest.mark.slow
def test_every_figure_of_the_demo_site(demo_build: Path):
    site = demo_build / "reports" / "2024" / "site"
    n, problems = figure_problems(site)
    assert n > 20, f"only {n} figures found in {site}"
    assert problems == []


@pytest.mark.slow
def test_no_page_shows_the_flickor_pojkar_figure_twice(demo_build: Path):
    site = demo_build / "reports" / "2024" / "site"
    for page in sorted(site.rglob("*.html")):
        gap = [f for f, _svg, _c in page_figures(page) if f.endswith("-kon")]
        assert len(gap) <= 1, f"{page.relative_to(site)}: {gap}"
