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
