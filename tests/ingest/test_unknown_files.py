"""A file no reader recognises: one short line (name, nearest family, why), exit 2 unless --skip-unknown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import DataValidationError
from pipeline.ingest import read_all
from pipeline.ingest.nearest import describe_unknown
from pipeline.ingest.sources import ReadContext, all_sources

#: A fictitious Skolverket export of a report type we do not read (åk 7 does not exist in Sök
#: statistik; the header lacks the column 'Antal elever' of the åk 6 family).
BETYG_AK7 = """\ufeffStatistik från Skolverket, https://www.skolverket.se

Grundskola - Betyg årskurs 7, andel som fått godkänt betyg (A-E), samtliga elever
Valt läsår: 2023/24

Kommun;Kommun-kod;Län;Läns-kod;Typ av huvudman;Andel (%) elever som fått godkänt betyg i alla ämnen;
Exempelby;9999;Exempels län;99;Samtliga;71,0;

Rapportbeskrivning och definitioner etc.;
"""


@pytest.fixture(autouse=True)
def _readers_loaded():
    """describe_unknown explains what recognition tried: the reader modules are loaded by then."""
    all_sources()


def _kolada(path: Path) -> None:
    pd.DataFrame(
        {
            "kpi": ["N11050"], "municipality_id": ["0000"], "year": pd.array([2024], dtype="int32"),
            "count": pd.array([1], dtype="int32"), "gender": ["T"], "status": [""], "value": [70.0],
            "municipality": ["Riket"], "municipality_type": ["L"],
        }
    ).to_parquet(path, index=False)  # fmt: skip


def test_skolverket_export_of_another_report_names_the_nearest_family(tmp_path: Path):
    p = tmp_path / "betyg7.csv"
    p.write_text(BETYG_AK7, encoding="utf-8")
    line = describe_unknown(p, "betyg7.csv")
    assert line == (
        "betyg7.csv: title 'Grundskola - Betyg årskurs 7, andel som fått go...' is like "
        "'Grundskola - Betyg årskurs 6' (skolverket_betyg_ak6) but does not match it; the header lacks "
        "'Antal elever'"
    )


@pytest.mark.parametrize(
    ("name", "write", "expected"),
    [
        (
            "kpi.parquet",
            lambda p: pd.DataFrame({"kpi": ["N1"], "year": [2024], "varde": [1.0]}).to_parquet(p),
            "kpi.parquet: columns 'kpi', 'varde', 'year' are nearest kolada_data but lack "
            "'gender', 'municipality_id', 'status' (+1)",
        ),
        (
            "api.jsonl",
            lambda p: p.write_text('{"schoolUnit": "12345678", "links": []}\n'),
            "api.jsonl: keys are like skolverket_api_statistik ('schoolUnit') but hold none of its measures",
        ),
        (
            "elever.csv",
            lambda p: p.write_text("personnummer;kön;skolenhetskod\n"),
            "elever.csv: header is nearest the school system export 'elever' but lacks 'nyanland' "
            "(map other column names in params/kolumnmappning.yml)",
        ),
    ],
)
def test_other_kinds_name_the_nearest_family(tmp_path: Path, name, write, expected):
    p = tmp_path / name
    write(p)
    assert describe_unknown(p, name) == expected


def test_unknown_file_stops_the_run_in_one_short_line(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _kolada(raw / "kolada.parquet")
    (raw / "betyg7.csv").write_text(BETYG_AK7, encoding="utf-8")
    (raw / "anteckningar.csv").write_text("vad;när\nringa rektor;måndag\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as exc:
        read_all(raw, ReadContext(), report_path=tmp_path / "v.csv")
    msg = str(exc.value)
    lines = msg.splitlines()
    assert lines[0] == f"2 file(s) in {raw} not recognised:"
    assert lines[1].startswith("  anteckningar.csv: header 'vad;när' is like no known family")
    assert lines[2].startswith("  betyg7.csv: title 'Grundskola - Betyg årskurs 7")
    assert "--skip-unknown (make: SKIP_UNKNOWN=1)" in msg
    assert "Known sources" not in msg and len(msg) < 1000


def test_skip_unknown_reads_the_rest_and_states_the_skipped(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _kolada(raw / "kolada.parquet")
    (raw / "betyg7.csv").write_text(BETYG_AK7, encoding="utf-8")
    tables, result = read_all(raw, ReadContext(), report_path=tmp_path / "v.csv", skip_unknown=True)
    assert tables["publicerad"]["varde"].tolist() == [70.0]
    skipped = result.ej_publicerat[result.ej_publicerat["orsak"] == "okand_fil"]
    assert skipped[["fil", "slag", "antal"]].values.tolist() == [["betyg7.csv", "ej_placerat", 1]]
    assert "skolverket_betyg_ak6" in skipped["detalj"].iloc[0]
    assert "betyg7.csv" not in result.files


def test_cli_stops_without_and_continues_with_skip_unknown(tmp_path: Path):
    from tests.e2e_support import cli, make_project

    root = make_project(tmp_path / "proj")
    data = tmp_path / "nedladdningar"
    data.mkdir()
    _kolada(data / "kolada.parquet")
    (data / "betyg7.csv").write_text(BETYG_AK7, encoding="utf-8")
    stop = cli(root, "ingest", "--data", str(data), "--kommun", "0114", timeout=300)
    assert stop.returncode == 2 and "betyg7.csv: title 'Grundskola - Betyg årskurs 7" in stop.stderr
    go = cli(root, "ingest", "--data", str(data), "--kommun", "0114", "--skip-unknown", timeout=300)
    assert go.returncode == 0, go.stderr
    assert "okand (1 file): 1 okand fil" in go.stderr  # said aloud in the log
    assert (root / "data" / "processed" / "nedladdningar-0114" / "ej_publicerat.parquet").exists()
