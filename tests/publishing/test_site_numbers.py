"""Every number on a page that names its cell (``data-indikator`` ... ``data-varde``) matches
``indikatorer.csv``. Runs on the stand-in site, and on a built site named by ``KVALITET_SITE``."""

from __future__ import annotations

import csv
import math
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.publishing.site import render_site
from tests.publishing.test_site_standin import make_book

COLUMNS = {"varde", "ki_lag", "ki_hog", "antal"}


class Numbers(HTMLParser):
    """Collects the page's skolform and every element with ``data-varde``."""

    def __init__(self) -> None:
        super().__init__()
        self.skolform = ""
        self.numbers: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if "page-title" in a.get("class", "").split() and a.get("data-skolform"):
            self.skolform = a["data-skolform"]
        if "data-varde" in a and "data-indikator" in a:
            self.numbers.append(a)


def check_site(site: Path) -> int:
    with open(site / "data" / "indikatorer.csv", encoding="utf-8-sig", newline="") as fh:
        rows = {
            (r["lasar"], r["skolform"], r["niva"], r["skolenhetskod"], r["indikator"], r["grupp"]): r
            for r in csv.DictReader(fh, delimiter=";")
        }
    checked = 0
    problems = []
    for page in sorted(site.rglob("*.html")):
        p = Numbers()
        p.feed(page.read_text(encoding="utf-8"))
        for a in p.numbers:
            col = a.get("data-kolumn", "varde")
            if col not in COLUMNS or a.get("data-kalla"):
                continue  # changes and model values come from other tables
            form = a.get("data-skolform") or p.skolform
            key = (
                a["data-lasar"],
                form,
                a["data-niva"],
                a.get("data-skolenhetskod", ""),
                a["data-indikator"],
                a["data-grupp"],
            )
            row = rows.get(key)
            if row is None:
                problems.append(f"{page.relative_to(site)}: {key} is not in indikatorer.csv")
                continue
            want = row[col]
            got = a["data-varde"]
            if want == "" or got == "":
                ok = want == got
            else:
                # the CSV writes a decimal comma (231,5), the page's attribute the exact float
                ok = math.isclose(float(want.replace(",", ".")), float(got), rel_tol=1e-9, abs_tol=1e-9)
            if not ok:
                problems.append(
                    f"{page.relative_to(site)}: {key} {col} is {got!r} on the page, {want!r} in the CSV"
                )
            checked += 1
    assert problems == []
    return checked


def test_standin_numbers_match_csv(tmp_path):
    book, ind = make_book(tmp_path)
    render_site(book, tmp_path / "site", indikatorer=ind)
    assert check_site(tmp_path / "site") == 2 + 3 + 2  # key figures + GR units/overview + FS unit/overview


@pytest.mark.skipif(
    not os.environ.get("KVALITET_SITE"), reason="set KVALITET_SITE to a built site to check it"
)
def test_built_site_numbers_match_csv():
    assert check_site(Path(os.environ["KVALITET_SITE"])) > 0
