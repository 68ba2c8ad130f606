"""The real demo report in Debian's headless Chromium: axe-core (WCAG 2.1 A/AA) on every page
finds nothing, and no page requests anything outside the site."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.publishing.test_browser import (  # noqa: F401 - fixtures used by name
    AXE,
    WCAG_TAGS,
    all_pages,
    browser,
    page,
    server,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def site(demo_build: Path) -> Path:
    return demo_build / "reports" / "2024" / "site"


def test_every_demo_page_passes_axe_and_stays_offline(site, server, page):  # noqa: F811
    pages = all_pages(site)
    assert len(pages) >= 18
    violations = {}
    for rel in pages:
        resp = page.goto(server + rel)
        assert resp is not None and resp.ok, rel
        page.add_script_tag(path=str(AXE))
        res = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        found = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in res["violations"]]
        if found:
            violations[rel] = found
    assert violations == {}
    assert page.outside == []


def test_demo_presentation_passes_axe_on_every_slide_and_stays_offline(demo_build, browser):  # noqa: F811
    """The slides (reports/2024/presentation.html) served with their folder: axe on each slide
    as reveal.js shows it, and no request outside the report folder."""
    import functools
    import http.server
    import threading

    from tests.publishing.test_browser import _Quiet

    report = demo_build / "reports" / "2024"
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(report))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 720})
    outside: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(base) or url.startswith("data:"):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    try:
        ctx.route("**/*", route)
        p = ctx.new_page()
        resp = p.goto(base + "presentation.html", wait_until="networkidle")
        assert resp is not None and resp.ok
        assert p.evaluate("typeof Reveal !== 'undefined' && Reveal.isReady()")
        total = p.evaluate("Reveal.getTotalSlides()")
        assert 10 <= total <= 15
        p.add_script_tag(path=str(AXE))
        violations = {}
        for i in range(total):
            p.evaluate("(i) => Reveal.slide(i)", i)
            res = p.evaluate(
                "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                WCAG_TAGS,
            )
            found = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in res["violations"]]
            if found:
                violations[i + 1] = found
        assert violations == {}
        assert outside == []
    finally:
        ctx.close()
        httpd.shutdown()
        httpd.server_close()
