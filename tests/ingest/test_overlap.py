"""Sources that overlap: the same figure from two files is kept once; different values are resolved
by the files' own vintage, or stop the run naming both files, the key and both values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import DataValidationError
from pipeline.ingest import read_all
from pipeline.ingest.overlap import merge_publicerad
from pipeline.ingest.skolverket_format import publicerad_frame
from pipeline.ingest.sources import ReadContext


def _kolada(path: Path, values: dict[int, float]) -> None:
    """A hand-made Kolada raw file: KPI N11050 (förskola) for riket, one row per year (fictitious values)."""
    n = len(values)
    pd.DataFrame(
        {
            "kpi": ["N11050"] * n, "municipality_id": ["0000"] * n,
            "year": pd.array(list(values), dtype="int32"), "count": pd.array([1] * n, dtype="int32"),
            "gender": ["T"] * n, "status": [""] * n, "value": list(values.values()),
            "municipality": ["Riket"] * n, "municipality_type": ["L"] * n,
        }
    ).to_parquet(path, index=False)  # fmt: skip


def _riket(tables) -> dict[int, float]:
    pub = tables["publicerad"]
    return dict(zip(pub["lasar"], pub["varde"], strict=True))


def test_two_vintages_that_agree_are_kept_once(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _kolada(raw / "2023-05-19_KOLADA_data_raw.parquet", {2022: 70.0, 2023: 71.0})
    _kolada(raw / "2024-12-12_KOLADA_data_raw.parquet", {2023: 71.0, 2024: 72.0})
    tables, result = read_all(raw, ReadContext(kommunkod="0114"), report_path=tmp_path / "v.csv")
    # by hand: 2022 from the old file, 2023 from both (same value, once), 2024 from the new file
    assert _riket(tables) == {2022: 70.0, 2023: 71.0, 2024: 72.0}
    dup = result.ej_publicerat[result.ej_publicerat["orsak"] == "dubblett"]
    assert dup[["fil", "antal", "detalj"]].values.tolist() == [
        ["2024-12-12_KOLADA_data_raw.parquet", 1, "kept from 2023-05-19_KOLADA_data_raw.parquet"]
    ]


def test_the_newer_vintage_wins_a_revised_value(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _kolada(raw / "2023-05-19_KOLADA_data_raw.parquet", {2023: 71.0})
    _kolada(raw / "2024-12-12_KOLADA_data_raw.parquet", {2023: 71.4})  # Kolada revised 2023
    tables, result = read_all(raw, ReadContext(kommunkod="0114"), report_path=tmp_path / "v.csv")
    assert _riket(tables) == {2023: 71.4}
    old = result.ej_publicerat[result.ej_publicerat["orsak"] == "ersatt_av_nyare"]
    assert old[["fil", "antal", "detalj"]].values.tolist() == [
        ["2023-05-19_KOLADA_data_raw.parquet", 1, "2024-12-12_KOLADA_data_raw.parquet (2024-12-12)"]
    ]


def test_different_values_without_a_vintage_stop_naming_both_files(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _kolada(raw / "kolada_a.parquet", {2023: 71.0})
    _kolada(raw / "kolada_b.parquet", {2023: 71.4})
    with pytest.raises(DataValidationError) as exc:
        read_all(raw, ReadContext(kommunkod="0114"), report_path=tmp_path / "v.csv")
    msg = str(exc.value)
    assert "two files publish different values for one figure" in msg
    assert (
        "lasar=2023, skolform=FS, niva=riket, kommunkod=0000, indikator=" in msg
    )  # N11050 is a förskola KPI
    assert "kolada_a.parquet: varde=71.0" in msg and "kolada_b.parquet: varde=71.4" in msg


def _row(antal, varde=231.5, kalla="A") -> dict:
    return {
        "lasar": 2025, "skolform": "GR", "niva": "enhet", "kommunkod": "0192", "skolenhetskod": "11111111",
        "enhet": "Norrskolan", "typ_av_huvudman": "Kommunal", "indikator": "meritvarde_17",
        "grupp": "samtliga", "varde": varde, "antal": antal, "markering": "", "kalla": kalla,
    }  # fmt: skip


def test_a_missing_count_is_no_conflict_and_the_count_is_kept():
    # the API gives no antal, Skolverket's export 122: one value, with antal 122, both sources named
    api = publicerad_frame([_row(None, kalla="Skolverket API")])
    export = publicerad_frame([_row(122, kalla="Skolverket: Slutbetyg")])
    out, dropped, errors = merge_publicerad(
        [("api.jsonl", api), ("slutbetyg.csv", export)], {"api.jsonl": "2026-04-21"}
    )
    assert errors == []
    assert out[["varde", "antal", "kalla"]].values.tolist() == [
        [231.5, 122, "Skolverket API; Skolverket: Slutbetyg"]
    ]  # files in order
    [(rel, ledger)] = dropped
    assert rel == "api.jsonl" and ledger.frame()["detalj"].tolist() == ["kept from slutbetyg.csv"]


def test_two_different_counts_are_a_conflict():
    a = publicerad_frame([_row(120)])
    b = publicerad_frame([_row(122)])
    _, _, errors = merge_publicerad([("a.csv", a), ("b.csv", b)], {})
    assert len(errors) == 1 and "a.csv: varde=231.5, markering=none, antal=120" in errors[0]
