"""Every page of a small built site in Debian's headless Chromium: axe-core (WCAG 2.1 A/AA) finds
nothing, no request leaves the site, the skip link works from the keyboard.

The site is served by a local ``http.server`` on 127.0.0.1; every request to another origin is
aborted and recorded. Screenshots of the start page, a chapter and a unit page go to
``/tmp/screens/`` for people to look at (not into the repository).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from pipeline.publishing.pdf import CHROMIUM_ARGS
from pipeline.publishing.site import render_site
from tests.publishing.test_site_standin import make_book

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path("/tmp/screens")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The stand-in site, or an already built one named by ``KVALITET_SITE`` (e.g. the demo's
    ``reports/2024/site``) so the same checks run on a real build."""
    given = os.environ.get("KVALITET_SITE")
    if given:
        return Path(given).resolve()
    tmp = tmp_path_factory.mktemp("browser")
    book, ind = make_book(tmp)
    render_site(book, tmp / "site", indikatorer=ind)
    return tmp / "site"


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    ctx = browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}
    )  # axe is injected as a script
    outside: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(server) or url.startswith("data:"):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    ctx.route("**/*", route)
    p = ctx.new_page()
    p.outside = outside  # type: ignore[attr-defined]
    yield p
    ctx.close()


def all_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def test_every_page_passes_axe_and_stays_offline(site, server, page):
    results = {}
    for rel in all_pages(site):
        resp = page.goto(server + rel)
        assert resp is not None and resp.ok, rel
        page.add_script_tag(path=str(AXE))
        res = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        results[rel] = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in res["violations"]
        ]
    assert {k: v for k, v in results.items() if v} == {}
    assert page.outside == []  # type: ignore[attr-defined]
    assert len(results) == (len(all_pages(site)) if os.environ.get("KVALITET_SITE") else 9)


def test_no_request_leaves_the_site(site, server, page):
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    for rel in all_pages(site):
        page.goto(server + rel, wait_until="networkidle")
    assert page.outside == []  # type: ignore[attr-defined]
    assert all(u.startswith(server) or u.startswith("data:") for u in seen)
    assert any(u.endswith("static/rapport.css") for u in seen)


def test_outside_requests_are_caught(server, page, site, tmp_path):
    """The guard itself works: a page that asks for a CDN script is recorded."""
    (site / "probe.html").write_text(
        '<!DOCTYPE html><html lang="sv"><head><title>x</title>'
        '<link rel="stylesheet" href="https://cdn.example.org/x.css"></head><body></body></html>',
        encoding="utf-8",
    )
    try:
        page.goto(server + "probe.html")
        assert page.outside == ["https://cdn.example.org/x.css"]  # type: ignore[attr-defined]
    finally:
        (site / "probe.html").unlink()


def first_unit(site: Path) -> str:
    return sorted(p.relative_to(site).as_posix() for p in (site / "grundskola").glob("[0-9]*.html"))[0]


@pytest.mark.parametrize("which", ["start", "unit"])
def test_skip_link_is_first_and_moves_focus_to_main(server, page, site, which):
    rel = "index.html" if which == "start" else first_unit(site)
    page.goto(server + rel)
    page.keyboard.press("Tab")
    first = page.evaluate(
        "() => [document.activeElement.className, document.activeElement.getAttribute('href')]"
    )
    assert first == ["skiplank", "#innehall"]
    box = page.evaluate("() => document.activeElement.getBoundingClientRect().top")
    assert box >= 0  # visible when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "innehall"
    page.keyboard.press("Tab")
    inside = page.evaluate(
        "() => document.getElementById('innehall').contains(document.activeElement) || document.activeElement.closest('nav') !== null"
    )
    assert inside


def test_focus_is_visible(server, page):
    page.goto(server + "index.html")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert style[0] != "none" and style[1] != "0px"


def test_screenshots(server, page, site):
    SCREENS.mkdir(parents=True, exist_ok=True)
    prefix = "demo-" if os.environ.get("KVALITET_SITE") else "site-"
    for rel, name in (
        ("index.html", "start"),
        ("grundskola/index.html", "skolform"),
        (first_unit(site), "enhet"),
        ("metod.html", "metod"),
    ):
        page.goto(server + rel)
        out = SCREENS / f"{prefix}{name}.png"
        page.screenshot(path=str(out), full_page=True)
        assert out.stat().st_size > 1000
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server + first_unit(site))
    page.screenshot(path=str(SCREENS / f"{prefix}enhet-mobil.png"), full_page=True)


def test_axe_does_find_violations(server, page, site):
    """The axe check itself works: a page with an image without alt text fails."""
    (site / "probe2.html").write_text(
        '<!DOCTYPE html><html><head><title>x</title></head><body><img src="data:image/png;base64,iVBORw0KGgo="></body></html>',
        encoding="utf-8",
    )
    try:
        page.goto(server + "probe2.html")
        page.add_script_tag(path=str(AXE))
        res = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        ids = {v["id"] for v in res["violations"]}
        assert {"image-alt", "html-has-lang"} <= ids
    finally:
        (site / "probe2.html").unlink()
