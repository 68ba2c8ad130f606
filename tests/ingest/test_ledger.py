"""Said aloud: what is read but not published, and what cannot be placed, is counted, never dropped silently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.ingest import place_units, read_all
from pipeline.ingest.ledger import Ledger, summary_lines, unit_kommun_frame
from pipeline.ingest.skolverket_format import publicerad_frame, skolenheter_frame
from pipeline.ingest.sources import ReadContext


def test_ledger_counts_by_reason_with_example_codes():
    led = Ledger()
    led.add("annan_kommun", 3)
    led.add("annan_kommun", 2)
    led.add("ej_skolindikator", 4, detalj=["N00943", "N00945"])
    led.add("enhet_utan_kommun", 0, detalj="x")  # nothing left out: no row
    df = led.frame()
    # by hand: 3 + 2 rows of other kommuner, 4 rows of two non-school KPIs
    assert df[["slag", "orsak", "antal", "detalj"]].to_dict("records") == [
        {"slag": "ej_publicerat", "orsak": "annan_kommun", "antal": 5, "detalj": ""},
        {"slag": "ej_publicerat", "orsak": "ej_skolindikator", "antal": 4, "detalj": "N00943; N00945"},
    ]
    with pytest.raises(ValueError, match="must be one of"):
        led.add("borta")


def _api_record(code: str, varde: float) -> dict:
    return {
        "lasar": 2024, "skolform": "GR", "niva": "enhet", "kommunkod": None, "skolenhetskod": code,
        "enhet": None, "typ_av_huvudman": None, "indikator": "meritvarde_17", "grupp": "samtliga",
        "varde": varde, "antal": None, "markering": "", "kalla": "API",
    }  # fmt: skip


def test_place_units_with_the_other_files_units():
    # Three API units without details: 11111111 lies in 0114 (the skolenhet export says so),
    # 22222222 in 0115 (another kommun), 33333333 in no file.
    unplaced = [("api.jsonl", "skolverket_api_statistik",
                 publicerad_frame([_api_record("11111111", 231.5), _api_record("11111111", 240.0),
                                   _api_record("22222222", 200.0), _api_record("33333333", 210.0)]))]  # fmt: skip
    maps = [unit_kommun_frame({"11111111": "0114", "22222222": "0115"})]
    parts = {
        "skolenheter": [skolenheter_frame([{"skolenhetskod": "11111111", "enhet": "Norrskolan", "skolform": "GR",
                                            "huvudman": "Kommun", "kommunkod": "0114", "arskurser": None}], lasar=2024)],
        "publicerad": [],
    }  # fmt: skip
    [(rel, source, placed, ledger)] = place_units(unplaced, maps, parts, ReadContext(kommunkod="0114"))
    assert (rel, source) == ("api.jsonl", "skolverket_api_statistik")
    # by hand: the two records of 11111111 are the kommun's, named from the register
    assert placed[["skolenhetskod", "kommunkod", "enhet", "varde"]].values.tolist() == [
        ["11111111", "0114", "Norrskolan", 231.5],
        ["11111111", "0114", "Norrskolan", 240.0],
    ]
    rows = ledger.frame().set_index("orsak")
    assert rows.loc["annan_kommun", "antal"] == 1  # one unit (22222222)
    assert rows.loc["enhet_utan_kommun", "antal"] == 1
    assert rows.loc["enhet_utan_kommun", "detalj"] == "33333333"
    assert rows.loc["enhet_utan_kommun", "slag"] == "ej_placerat"


def _kolada(path: Path) -> None:
    pd.DataFrame(
        {
            "kpi": ["N11050", "N11050", "N11050", "N00943"],
            "municipality_id": ["0114", "0115", "0000", "0114"],
            "year": pd.array([2024] * 4, dtype="int32"),
            "count": pd.array([1] * 4, dtype="int32"),
            "gender": ["T"] * 4,
            "status": [""] * 4,
            "value": [61.0, 62.0, 70.0, 5.0],
            "municipality": ["Upplands Väsby", "Vallentuna", "Riket", "Upplands Väsby"],
            "municipality_type": ["K", "K", "L", "K"],
        }
    ).to_parquet(path, index=False)


def test_read_all_states_what_it_left_out(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _kolada(raw / "2024-12-12_KOLADA_data_raw.parquet")
    tables, result = read_all(raw, ReadContext(kommunkod="0114"), report_path=tmp_path / "v.csv")
    # by hand: kept 0114 (61.0) and riket (70.0); left out 0115 (another kommun) and N00943
    # (a background KPI, not a school indicator of the registry)
    assert sorted(tables["publicerad"]["varde"]) == [61.0, 70.0]
    led = result.ej_publicerat.set_index("orsak")
    assert led.loc["annan_kommun", "antal"] == 1
    assert led.loc["ej_skolindikator", "antal"] == 1 and led.loc["ej_skolindikator", "detalj"] == "N00943"
    assert set(led["fil"]) == {"2024-12-12_KOLADA_data_raw.parquet"} and set(led["kalla"]) == {"kolada_data"}
    assert summary_lines(result.ej_publicerat) == [
        "kolada_data (1 file): 1 annan kommun; 1 ej skolindikator (N00943)"
    ]


@pytest.mark.realdata
def test_api_units_outside_the_details_file_are_placed(realdata: Path, tmp_path: Path):
    """Uppsala (0380) is in the statistics file (län 01-09) but not in the details file (Stockholms
    län only): its units are placed through Skolverket's skolenhet export, and every placed value is
    the API's (read here with json)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    api = realdata / "skolverket_api_v4" / "statistics_gr_lan01-09.jsonl"
    export = (
        realdata
        / "skolverket_skolenhet"
        / "Grundskola - Slutbetyg årskurs 9, samtliga elever 2025 Skolenhet.csv"
    )
    # copies in a temp folder (a symlink out of the raw folder is refused, as it should be)
    shutil.copyfile(api, raw / api.name)
    shutil.copyfile(export, raw / export.name)
    tables, result = read_all(raw, ReadContext(kommunkod="0380"), report_path=tmp_path / "v.csv")
    pub = tables["publicerad"]
    from_api = pub[pub["kalla"].str.contains("API")]
    # the export's Uppsala units, read with the csv module
    import csv

    with open(export, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f, delimiter=";"))
    at = next(i for i, r in enumerate(lines) if r and r[0] == "Skola")
    hdr = lines[at]
    uppsala = {
        r[hdr.index("Skol-enhetskod")]
        for r in lines[at + 1 :]
        if len(r) > 3 and r[hdr.index("Kommun-kod")] == "0380"
    }
    assert uppsala and set(from_api["skolenhetskod"]) <= uppsala
    assert (from_api["kommunkod"] == "0380").all() and from_api["enhet"].notna().all()
    merit = from_api[(from_api["indikator"] == "meritvarde_17") & (from_api["markering"] == "")]
    n = 0
    for line in api.read_text(encoding="utf-8").splitlines():
        body = json.loads(line)["json"]["body"]
        for e in body.get("averageGradesMeritRating9thGrade") or []:
            if body["schoolUnit"] in uppsala and e["valueType"] == "EXISTS" and e["timePeriod"]:
                lasar = int(e["timePeriod"][:4]) + 1
                hit = merit[(merit["skolenhetskod"] == body["schoolUnit"]) & (merit["lasar"] == lasar)]
                assert hit["varde"].tolist() == [float(e["value"].replace(",", "."))]
                n += 1
    assert n > 20, n
    # what no file places is said, with its codes
    led = result.ej_publicerat
    lost = led[(led["kalla"] == "skolverket_api_statistik") & (led["orsak"] == "enhet_utan_kommun")]
    assert len(lost) <= 1 and all(len(c) == 8 for r in lost["detalj"] for c in r.split(", ") if "+" not in c)
