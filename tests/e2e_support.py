"""Helpers for the end-to-end tests: a throw-away project folder and the CLI run in it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_project(root: Path, *, raw_from: Path | None = None) -> Path:
    """A project folder with the repository's params and empty data folders."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "params", root / "params", dirs_exist_ok=True)
    (root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    if raw_from is not None:
        shutil.copytree(raw_from, root / "data" / "raw", dirs_exist_ok=True)
    return root


def cli(
    root: Path, *args: str, env: dict | None = None, timeout: float = 3600
) -> subprocess.CompletedProcess:
    """Run ``python -m pipeline --root ROOT ARGS`` and return the finished process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "--root", str(root), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class PageParser(HTMLParser):
    """Collects links, numbers (elements with data-indikator and data-varde), h1 count and lang."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.numbers: list[dict[str, str]] = []
        self.h1 = 0
        self.lang: str | None = None
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "h1":
            self.h1 += 1
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in {"img", "script", "link"}:
            for key in ("src", "href"):
                if a.get(key):
                    self.srcs.append(a[key])
        if "data-indikator" in a and "data-varde" in a:
            self.numbers.append({k: v for k, v in a.items() if k.startswith("data-")})


def parse_page(path: Path) -> PageParser:
    p = PageParser()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def check_numbers_trace(site: Path, ind, *, derived_columns: bool = False) -> int:
    """Every number on the site's pages equals its cell of the indicator table ``ind``.

    A number with ``data-kalla`` (a change, a tested comparison, a local target, a distribution
    of the units' values) is not a cell and is skipped. ``derived_columns``: also skip a
    ``data-kolumn`` that is not a column of ``ind`` (else that is an error). Returns how many
    numbers were checked.
    """
    import math

    import pandas as pd

    by_key: dict[tuple, list] = {}
    for row in ind.itertuples(index=False):
        by_key.setdefault((int(row.lasar), row.niva, row.skolenhetskod, row.indikator, row.grupp), []).append(
            row
        )
    checked = 0
    for page in sorted(site.rglob("*.html")):
        for num in parse_page(page).numbers:
            if "data-kalla" in num:
                continue
            column = num.get("data-kolumn", "varde")  # the value, its n ('antal') or an interval bound
            if derived_columns and column not in ind.columns:
                continue
            k = (
                int(num["data-lasar"]),
                num["data-niva"],
                num.get("data-skolenhetskod", ""),
                num["data-indikator"],
                num.get("data-grupp", "samtliga"),
            )
            rows = by_key.get(k)
            assert rows, f"{page.name}: a number with {k} is not in indikatorer.csv"
            if "data-skolform" in num:
                rows = [r for r in rows if r.skolform == num["data-skolform"]]
            cells = [getattr(r, column) for r in rows]
            shown = num.get("data-varde", "")
            if shown == "":
                assert any(pd.isna(c) for c in cells), f"{page.name}: {k} {column} shown empty but published"
            else:
                assert any(
                    not pd.isna(c) and math.isclose(float(shown), float(c), rel_tol=1e-9, abs_tol=1e-9)
                    for c in cells
                ), f"{page.name}: {k} {column} shows {shown}, table has {cells}"
            checked += 1
    return checked


def read_published_table(site: Path):
    """``site/data/indikatorer.csv`` as published: codes as text, empty cells as missing values."""
    import pandas as pd

    return pd.read_csv(
        site / "data" / "indikatorer.csv",
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
        dtype={"skolenhetskod": str, "enhet": str, "grupp": str, "markering": str, "kalla": str},
        keep_default_na=False,
        na_values={"varde": [""], "antal": [""], "ki_lag": [""], "ki_hog": [""]},
    )
