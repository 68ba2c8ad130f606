"""Periods: hand-made cases for the period machinery (issue 14)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipeline.errors import ConfigError
from pipeline.indicators.registry import load_indicator_registry
from pipeline.ingest.sis import parse_lasar, parse_termin, read_sis
from pipeline.ingest.sources import ReadContext
from pipeline.periods.arshjul import _fold, ics_text
from pipeline.periods.config import parse_perioder
from pipeline.periods.engine import exists_in, keep_period_rows, period_tables

BASE = {"start": "07-01", "slut": "01-15", "analys_senast": "02-01", "namnd": "03-01"}


def _per(**periods):
    return parse_perioder({"perioder": {k: {"namn": k, **BASE, **v} for k, v in periods.items()}})


def test_termin_kept_from_lasar_cell():
    # HT2023 is the autumn of läsår 2023/24 (spring year 2024); VT2024 its spring.
    assert (parse_lasar("HT2023"), parse_termin("HT2023")) == (2024, "HT")
    assert (parse_lasar("VT2024"), parse_termin("VT2024")) == (2024, "VT")
    assert parse_termin("2023/24") is None


def test_sis_termin_rows_go_to_the_termin_table(tmp_path):
    # Two rows of one pupil: HT2023 (autumn) and VT2024 (spring, no Termin column: also full year).
    text = "Läsår;Elev_id;Skolenhetskod;Frånvaro (procent)\nHT2023;E1;99992001;4,0\nVT2024;E1;99992001;6,0\n"
    p = tmp_path / "f.csv"
    p.write_text(text, encoding="utf-8")
    out = read_sis(p, ReadContext(kommunkod="9999"), "franvaro")
    t = out["franvaro_termin"].sort_values("termin")
    assert list(t["termin"]) == ["HT", "VT"] and list(t["lasar"]) == [2024, 2024]
    assert list(t["franvaro_andel"]) == [0.04, 0.06]
    # the full-year table keeps only the VT2024 row, never the autumn's (before periods existed
    # this file was refused: two rows of one pupil in läsår 2024), and the autumn row is said aloud
    assert list(out["franvaro"]["franvaro_andel"]) == [0.06]
    assert out["_ej_publicerat"][["orsak", "antal", "detalj"]].values.tolist() == [
        ["hosttermin", 1, "HT2023"]
    ]


def test_full_year_tables_unchanged_by_termin_files(tmp_path):
    # The demo's layout: a full-year grade file and, beside it, an autumn terminsbetyg file with a
    # Termin column. Slutbetyg are the spring grades of åk 9: the full-year table is exactly the
    # full-year file's rows (E1: BI=C; E2: BI=A), the autumn grades (E1: BI=F) only in betyg_termin.
    full = (
        "Läsår;Elev_id;Skolenhetskod;Årskurs;Ämne;Betyg\n2024;E1;99992002;9;BI;C\n2024;E2;99992002;9;BI;A\n"
    )
    autumn = "Läsår;Termin;Elev_id;Skolenhetskod;Årskurs;Ämne;Betyg\n2023/24;HT;E1;99992002;9;BI;F\n"
    (tmp_path / "full.csv").write_text(full, encoding="utf-8")
    (tmp_path / "ht.csv").write_text(autumn, encoding="utf-8")
    ctx = ReadContext(kommunkod="9999")
    a = read_sis(tmp_path / "full.csv", ctx, "betyg_gr")
    b = read_sis(tmp_path / "ht.csv", ctx, "betyg_gr")
    assert list(zip(a["betyg"]["elev_id"], a["betyg"]["betyg"], strict=True)) == [("E1", "C"), ("E2", "A")]
    assert b["betyg"].empty and "_ej_publicerat" not in b  # an explicit termin: nothing to say
    assert list(zip(b["betyg_termin"]["elev_id"], b["betyg_termin"]["termin"], strict=True)) == [("E1", "HT")]


def test_explicit_termin_column_contradiction_is_an_error(tmp_path):
    text = "Läsår;Termin;Elev_id;Skolenhetskod;Frånvaro (procent)\nHT2023;VT;E1;99992001;4,0\n"
    p = tmp_path / "f.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(Exception) as info:
        read_sis(p, ReadContext(kommunkod="9999"), "franvaro")
    assert "termin" in str(info.value).lower() and "contradicts lasar" in str(info.value)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"HT": {"namn": "HT", **BASE, "okand": 1}}, "key 'perioder.HT.okand': unknown key"),
        ({"HT": {"namn": "HT", **BASE, "slut": "13-01"}}, "key 'perioder.HT.slut'"),
        ({"HT": {"namn": "HT", **BASE, "terminer": ["HT", "VT"]}}, "at most one termin"),
        ({"HT": {"namn": "HT", **{**BASE, "start": "02-01", "slut": "01-15"}}}, "comes after slut"),
        ({"HT": {"namn": "HT", **{**BASE, "start": 701}}}, "quoted 'MM-DD'"),
    ],
)
def test_perioder_validation_names_file_and_key(body, says):
    with pytest.raises(ConfigError) as info:
        parse_perioder({"perioder": body}, source="params/perioder.yml")
    assert "params/perioder.yml" in str(info.value) and says in str(info.value)
    assert info.value.exit_code == 2


def test_unknown_period_says_which_exist():
    with pytest.raises(ConfigError, match=r"PERIOD='4' is not a period.*\['HT'\]"):
        _per(HT={}).get("4")


def test_which_indicators_exist_in_which_period():
    reg = load_indicator_registry()
    per = _per(A={"terminer": []}, B={"terminer": ["HT"]}, C={"terminer": ["VT"], "lasarsslut": True})
    a, b, c = per.get("A"), per.get("B"), per.get("C")
    merit, np_, franv, term = (
        reg.get(x) for x in ("meritvarde_17", "np_ak9_provbetyg_ae", "franvaro_medel", "termin_meritvarde_17")
    )
    assert [exists_in(merit, p) for p in (a, b, c)] == [False, False, True]  # slutbetyg only at year end
    assert [exists_in(np_, p) for p in (a, b, c)] == [False, False, True]  # national tests in spring
    assert [exists_in(franv, p) for p in (a, b, c)] == [False, True, True]  # absence per termin
    assert [exists_in(term, p) for p in (a, b, c)] == [False, True, False]  # terminsbetyg HT


def test_absent_indicator_is_no_row_not_zero():
    # Hand-made rows: a merit value (year end only) and an absence share (per termin) in period B
    # (closes HT, not the year). The merit row must vanish entirely, the absence row stay as is.
    reg = load_indicator_registry()
    per = _per(B={"terminer": ["HT"]})
    rows = pd.DataFrame(
        {"indikator": ["meritvarde_17", "franvaro_medel", "godkand_alla_amnen"], "varde": [230.0, 6.2, 71.0]}
    )
    out = keep_period_rows(rows, per.get("B"), reg)
    # meritvarde_17 / godkand_alla_amnen from the autumn grades become the terminsbetyg ids
    assert list(out["indikator"]) == ["termin_meritvarde_17", "franvaro_medel", "termin_godkand_alla_amnen"]
    per_a = _per(A={"terminer": []})
    out_a = keep_period_rows(rows, per_a.get("A"), reg)
    assert len(out_a) == 0  # nothing of these exists in a period that closes no termin: no rows, no zeros


def test_incidents_are_cut_by_date_and_compared_period_to_period():
    # Period 07-01..11-30. Läsår 2024: cases on 2023-09-01 (in) and 2024-02-01 (out);
    # läsår 2023: 2022-10-10 (in, the same period a year earlier) and 2023-05-05 (out).
    per = parse_perioder(
        {
            "perioder": {
                "1": {
                    "namn": "1",
                    "start": "07-01",
                    "slut": "11-30",
                    "analys_senast": "12-10",
                    "namnd": "12-15",
                }
            }
        }
    )
    av = pd.DataFrame(
        {
            "lasar": [2024, 2024, 2023, 2023],
            "skolenhetskod": ["99992001"] * 4,
            "arende_id": ["a", "b", "c", "d"],
            "typ": ["x"] * 4,
            "datum": ["2023-09-01", "2024-02-01", "2022-10-10", "2023-05-05"],
        }
    )
    cut = period_tables({"avvikelser": av}, per.get("1"), per, (2023, 2024))
    assert sorted(cut["avvikelser"]["arende_id"]) == ["a", "c"]
    # a full-year table never enters a period: no published yearly values, no betyg outside year end
    assert cut["publicerad"].empty and cut["betyg"].empty


def test_due_dates_fall_after_the_period():
    per = _per(HT={"slut": "01-15", "analys_senast": "02-01", "namnd": "12-01"})
    # HT 2023/24 ends 15 January 2024: analyses due 1 February 2024; the nämnd date 12-01 comes next
    # on 1 December 2024 (the first 1 December after the end).
    assert per.get("HT").due("analys_senast", 2024) == dt.date(2024, 2, 1)
    assert per.get("HT").due("namnd", 2024) == dt.date(2024, 12, 1)


def test_ics_is_rfc5545():
    aj = {
        "rows": [
            {
                "datum": dt.date(2024, 3, 10),
                "vad": "Analys, grundskola; period 2",
                "lage": "skriven",
                "uid": "analys-2-GR",
            }
        ]
    }
    text = ics_text(aj, 2024, "Exempelkommun")
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20240310\r\n" in text and "DTEND;VALUE=DATE:20240311\r\n" in text
    assert "DTSTAMP:20240101T000000Z\r\n" in text  # fixed: byte-identical rebuilds
    assert "SUMMARY:Analys\\, grundskola\\; period 2 (skriven)\r\n" in text  # comma, semicolon escaped
    assert ics_text(aj, 2024, "Exempelkommun") == text
    long = "SUMMARY:" + "å" * 80
    folded = _fold(long)
    assert all(len(x.encode()) <= 75 for x in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == long
