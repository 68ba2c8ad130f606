"""The ingest framework: recognition by content, unknown files, all-or-nothing writes, caching."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import pipeline.ingest.sources as sources
from pipeline.errors import DataValidationError
from pipeline.ingest import run_ingest
from pipeline.ingest.sources import ReadContext, Source, list_raw_files


def _read_units(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
    df = pd.read_csv(path, sep=";", dtype=str, skiprows=1)
    df["arskurser"] = None
    return {"skolenheter": df}


UNITS = Source(
    name="test_units",
    description="a unit list whose first line is '# enheter'",
    detect=lambda s: s.head.startswith("# enheter"),
    read=_read_units,
)


@pytest.fixture
def only_test_source(monkeypatch):
    monkeypatch.setattr(sources, "READER_MODULES", ())
    monkeypatch.setattr(sources, "_SOURCES", [UNITS])


def _write(p: Path, rows: list[str]) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(
        "# enheter\nskolenhetskod;enhet;skolform;huvudman;kommunkod\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    return p


def test_reads_recognised_files_anywhere(tmp_path, only_test_source):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    _write(raw / "a" / "x.csv", ["12345678;Björkskolan;GR;Exempelkommun;9999"])
    _write(raw / "unit-list-with-odd-name.txt.csv", ["23456789;Ekskolan;GY;Exempelkommun;9999"])
    (raw / "README.md").write_text("docs")
    res = run_ingest(raw, out, ReadContext())
    assert res.rows["skolenheter"] == 2
    assert res.skipped_docs == ["README.md"]
    df = pd.read_parquet(out / "skolenheter.parquet")
    assert list(df["skolenhetskod"]) == ["12345678", "23456789"]  # sorted, codes kept as text
    assert (out / "betyg.parquet").exists()  # every canonical table is written, empty if no source


def test_unknown_file_is_an_error_naming_it(tmp_path, only_test_source):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    _write(raw / "x.csv", ["12345678;Björkskolan;GR;Exempelkommun;9999"])
    (raw / "mystery.csv").write_text("a;b\n1;2\n")
    with pytest.raises(DataValidationError) as exc:
        run_ingest(raw, out, ReadContext())
    assert "mystery.csv" in str(exc.value) and "not recognised" in str(exc.value)
    assert not out.exists()
    assert (tmp_path / "valideringsrapport.csv").exists()


def test_invalid_rows_write_nothing_and_keep_previous(tmp_path, only_test_source):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    _write(raw / "x.csv", ["12345678;Björkskolan;GR;Exempelkommun;9999"])
    run_ingest(raw, out, ReadContext())
    before = (out / "skolenheter.parquet").read_bytes()
    _write(raw / "x.csv", ["1234;Björkskolan;GR;Exempelkommun;9999", "12345678;Ek;XX;Exempelkommun;114"])
    with pytest.raises(DataValidationError) as exc:
        run_ingest(raw, out, ReadContext())
    msg = str(exc.value)
    assert "skolenhetskod" in msg and "'1234'" in msg
    assert len(exc.value.failures) >= 3  # lazy: every failure, not just the first
    assert (out / "skolenheter.parquet").read_bytes() == before


def test_unchanged_inputs_are_not_read_again(tmp_path, only_test_source):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    _write(raw / "x.csv", ["12345678;Björkskolan;GR;Exempelkommun;9999"])
    assert not run_ingest(raw, out, ReadContext()).cached
    assert run_ingest(raw, out, ReadContext()).cached
    _write(raw / "x.csv", ["12345678;Björkskolan 2;GR;Exempelkommun;9999"])
    assert not run_ingest(raw, out, ReadContext()).cached


def test_empty_raw_folder(tmp_path, only_test_source):
    (tmp_path / "raw").mkdir()
    with pytest.raises(DataValidationError, match="no data files"):
        run_ingest(tmp_path / "raw", tmp_path / "p", ReadContext())


def test_hidden_files_and_docs_are_not_data(tmp_path):
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.csv").write_text("a")
    (tmp_path / "PROVENANCE.md").write_text("a")
    (tmp_path / "d.csv").write_text("a")
    data, docs = list_raw_files(tmp_path)
    assert [p.name for p in data] == ["d.csv"] and [p.name for p in docs] == ["PROVENANCE.md"]
