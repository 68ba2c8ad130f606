"""Helpers of the real-data back-tests: read published files in the simplest possible way.

Deliberately independent of ``pipeline.ingest``: the csv module on the raw lines, openpyxl on the
cells, and hand-written column → (indikator, grupp) tables that restate docs/realdata.md.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd

NAN = float("nan")


def expected_value(text) -> tuple[float, str]:
    """A published cell as (varde, markering), with the markers spelled out by hand."""
    if isinstance(text, (int, float)):
        return float(text), ""
    t = str(text).strip()
    if t == "..":
        return NAN, "undertryckt"
    if t == ".":
        return NAN, "saknas"
    if t == "~100":
        return 100.0, "avrundad"
    return float(t.replace(" ", "").replace(",", ".")), ""


def same(a: float, b: float) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA
    return (
        b is not None
        and b is not pd.NA
        and not (isinstance(b, float) and math.isnan(b))
        and abs(float(a) - float(b)) < 1e-9
    )


def csv_table(path: Path):
    """(title, group row, header, [(lineno, cells)]) of a Skolverket CSV, by plain line reading."""
    lines = Path(path).read_text(encoding="utf-8-sig").split("\n")
    rows = list(csv.reader(lines, delimiter=";"))
    title = [r for r in rows if any(c.strip() for c in r)][1][0].strip()
    h = next(i for i, r in enumerate(rows) if r and r[0] in ("Kommun", "Skola"))
    header = [c.strip() for c in rows[h]]
    group = [c.strip() for c in rows[h - 1]] if rows[h - 1] and rows[h - 1][0] == "" else [""] * len(header)
    data = []
    for i in range(h + 1, len(rows)):
        r = rows[i]
        if not any(c.strip() for c in r) or r[0].startswith("Rapportbeskrivning"):
            break
        data.append((i + 1, r))
    return title, group, header, data


def index_output(df: pd.DataFrame, key_cols: list[str]) -> dict:
    """Output rows keyed by ``key_cols`` (asserting the key is unique)."""
    dup = df.duplicated(key_cols, keep=False)
    assert not dup.any(), df[dup].head(10).to_string()
    cols = list(df.columns)
    values = [df[c].tolist() for c in cols]
    keys = zip(*(df[c].tolist() for c in key_cols), strict=False)
    return {
        k: dict(zip(cols, row, strict=False))
        for k, row in zip(keys, zip(*values, strict=False), strict=False)
    }


class CellCounter:
    """Counts compared cells per family (printed by the tests, recorded in docs/realdata.md)."""

    counts: dict[str, int] = {}

    @classmethod
    def add(cls, family: str, n: int) -> None:
        cls.counts[family] = cls.counts.get(family, 0) + n
        print(f"[back-test] {family}: {n} cells compared (total {cls.counts[family]})")
