"""Processed data per data source: a ``DATA=`` run never overwrites the default ``data/processed/``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.paths import ProjectPaths, source_slug
from tests.e2e_support import make_project, tree_digest


def test_default_data_keeps_data_processed(tmp_path: Path):
    paths = ProjectPaths(tmp_path)
    assert paths.for_source(None, None).processed == tmp_path / "data" / "processed"
    # DATA pointing at data/raw itself is the default data set too.
    assert paths.for_source(tmp_path / "data" / "raw", None).processed == tmp_path / "data" / "processed"


@pytest.mark.parametrize(
    ("data", "kommun", "slug"),
    [
        ("shared/realdata", "0192", "realdata-0192"),
        ("shared/realdata", None, "realdata-alla"),
        ("Nedladdningar Västerås 2025", "1980", "nedladdningar-vasteras-2025-1980"),
        (None, "0114", "raw-0114"),  # the demo folder read as one kommun is another source
    ],
)
def test_other_sources_get_their_own_folder(tmp_path: Path, data, kommun, slug):
    paths = ProjectPaths(tmp_path)
    data_dir = tmp_path / data if data else None
    assert source_slug(data_dir, kommun, default_raw=paths.raw) == slug
    sourced = paths.for_source(data_dir, kommun)
    assert sourced.processed == tmp_path / "data" / "processed" / slug
    assert sourced.indicator_table.parent == sourced.processed
    assert sourced.for_source(data_dir, kommun) is sourced  # idempotent
    assert sourced.raw == paths.raw and sourced.reports == paths.reports


def _kolada(folder: Path, value: float) -> None:
    """One hand-made Kolada raw file: KPI N11050 (a school KPI of the registry) for 0114 and riket.

    The demo huvudman is 9999, so the default run keeps only the riket row (50.0 or 51.0)."""
    folder.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(
        {
            "kpi": ["N11050", "N11050"],
            "municipality_id": ["0114", "0000"],
            "year": pd.array([2024, 2024], dtype="int32"),
            "count": pd.array([1, 1], dtype="int32"),
            "gender": ["T", "T"],
            "status": ["", ""],
            "value": [value, 40.0 + value / 11],
            "municipality": ["Upplands Väsby", "Riket"],
            "municipality_type": ["K", "L"],
        }
    )
    df.to_parquet(folder / "2024-12-12_KOLADA_data_raw.parquet", index=False)


def _values(processed: Path) -> list[float]:
    pub = pd.read_parquet(processed / "publicerad.parquet")
    return sorted(pub["varde"].dropna().astype(float))


def test_a_data_run_leaves_the_default_tables_alone(tmp_path: Path):
    from pipeline import report

    root = make_project(tmp_path / "proj")
    _kolada(root / "data" / "raw", 11.0)
    other = tmp_path / "nedladdningar"
    _kolada(other, 22.0)
    paths = ProjectPaths(root)

    report.ingest(paths, kommun=None)
    default = root / "data" / "processed"
    before = tree_digest(default)
    assert _values(default) == [41.0]  # riket only: 40 + 11/11

    report.ingest(paths, data_dir=other, kommun="0114")
    own = default / "nedladdningar-0114"
    assert _values(own) == [22.0, 42.0]  # 0114 and riket (40 + 22/11)
    # The default tables are byte for byte what they were (the new folder aside).
    after = {k: v for k, v in tree_digest(default).items() if not k.startswith("nedladdningar-0114/")}
    assert after == before

    # Re-reading the default data set (forced: it replaces data/processed as a whole) keeps the
    # other source's folder.
    report.ingest(paths, force=True)
    assert _values(default) == [41.0]
    assert _values(own) == [22.0, 42.0]
