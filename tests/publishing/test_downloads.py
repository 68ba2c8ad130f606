"""indikatorer.csv and indikatorer.xlsx: exact columns, sorted rows, suppression, byte-identical."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.errors import PrivacyLeakError
from pipeline.publishing.downloads import csv_bytes, prepare_indicator_table, write_downloads, xlsx_bytes
from pipeline.validate.schemas import INDICATOR_COLUMNS


def frame() -> pd.DataFrame:
    """Five hand-made rows, deliberately unsorted; one suppressed, one with a formula-like name."""
    rows = [
        dict(
            lasar=2024,
            skolform="GR",
            niva="huvudman",
            skolenhetskod="",
            enhet="Exempelkommun",
            indikator="meritvarde_17",
            grupp="samtliga",
            varde=231.25,
            antal=180,
            ki_lag=229.0,
            ki_hog=233.5,
            undertryckt=False,
            kalla="demo",
            markering="",
        ),
        dict(
            lasar=2024,
            skolform="GR",
            niva="enhet",
            skolenhetskod="99990013",
            enhet="Lindskolan",
            indikator="meritvarde_17",
            grupp="flickor",
            varde=None,
            antal=None,
            ki_lag=None,
            ki_hog=None,
            undertryckt=True,
            kalla="demo",
            markering="undertryckt",
        ),
        dict(
            lasar=2023,
            skolform="GR",
            niva="enhet",
            skolenhetskod="99990011",
            enhet='=HYPERLINK("x")',
            indikator="meritvarde_17",
            grupp="samtliga",
            varde=0.1 + 0.2,
            antal=61,
            ki_lag=None,
            ki_hog=None,
            undertryckt=False,
            kalla="demo",
            markering="",
        ),
        dict(
            lasar=2025,
            skolform="GR",
            niva="enhet",
            skolenhetskod="99990011",
            enhet="Björkskolan, norra",
            indikator="meritvarde_17",
            grupp="samtliga",
            varde=1.0,
            antal=61,
            ki_lag=None,
            ki_hog=None,
            undertryckt=False,
            kalla="demo",
            markering="",
        ),
        dict(
            lasar=2024,
            skolform="FS",
            niva="riket",
            skolenhetskod="",
            enhet="Riket",
            indikator="barn_per_arsarbetare",
            grupp="samtliga",
            varde=5.1,
            antal=None,
            ki_lag=None,
            ki_hog=None,
            undertryckt=False,
            kalla="Skolverket",
            markering="",
        ),
    ]
    df = pd.DataFrame(rows)[INDICATOR_COLUMNS]
    df["antal"] = df["antal"].astype("Int64")
    return df


def test_prepare_sorts_filters_and_keeps_columns():
    df = prepare_indicator_table(frame(), lasar=2024)
    assert list(df.columns) == INDICATOR_COLUMNS
    assert list(df["lasar"]) == [2023, 2024, 2024, 2024]  # 2025 dropped
    assert list(df["skolform"]) == ["GR", "FS", "GR", "GR"]
    assert list(df["niva"][2:]) == ["enhet", "huvudman"]  # enhet before huvudman


def test_csv_format():
    # Skolverket's own CSVs (e.g. "Grundskola - Slutbetyg årskurs 9 ... Skolenhet.csv" in
    # ../shared/realdata) start with the UTF-8 BOM EF BB BF, separate with ';' and write 231,5:
    # what Swedish Excel opens as columns with numbers on a double-click.
    data = csv_bytes(prepare_indicator_table(frame(), lasar=2024))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\r" not in text
    lines = text.split("\n")
    assert lines[0] == ";".join(INDICATOR_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows[0]["varde"] == "0,3"  # 0.1 + 0.2 = 0.30000000000000004: float noise rounded away
    assert rows[0]["enhet"] == '\'=HYPERLINK("x")'  # OWASP: a leading ' so no spreadsheet evaluates it
    supp = rows[2]
    assert supp["skolenhetskod"] == "99990013" and supp["undertryckt"] == "true"
    assert supp["varde"] == supp["antal"] == supp["ki_lag"] == supp["ki_hog"] == ""
    hm = rows[3]
    assert (
        hm["varde"] == "231,25"
        and hm["antal"] == "180"
        and hm["undertryckt"] == "false"
        and hm["skolenhetskod"] == ""
    )


@pytest.mark.parametrize(
    "value,written",
    [
        (1e-05, "0,00001"),
        (12345.0, "12345"),
        (-1.5, "-1,5"),
        (-0.0, "0"),
        (2 / 3, "0,666666667"),
        (7.8604021604123, "7,86040216"),
    ],
)
def test_csv_numbers_have_a_decimal_comma_and_no_exponent(value, written):
    # hand-written: repr(1e-05) is '1e-05', which Excel with Swedish settings reads as text; at
    # most 9 decimals, so no ten-digit run (860402-1604 would look like a personnummer)
    df = frame()
    df.loc[df["varde"].notna(), "varde"] = value
    text = csv_bytes(prepare_indicator_table(df, lasar=2024)).decode("utf-8-sig")
    assert next(csv.DictReader(io.StringIO(text), delimiter=";"))["varde"] == written


def test_csv_reads_back_with_pandas():
    back = pd.read_csv(
        io.BytesIO(csv_bytes(prepare_indicator_table(frame()))),
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
        dtype={"skolenhetskod": str},
        keep_default_na=False,
    )
    assert list(back.columns) == INDICATOR_COLUMNS
    assert set(back["skolenhetskod"]) == {"", "99990011", "99990013"}


def test_suppressed_row_with_value_is_refused():
    df = frame()
    df.loc[1, "varde"] = 240.0
    with pytest.raises(PrivacyLeakError, match="undertryckt still carry a value"):
        prepare_indicator_table(df)


def test_missing_column_is_refused():
    with pytest.raises(KeyError, match="markering"):
        prepare_indicator_table(frame().drop(columns="markering"))


def test_xlsx_content_and_types():
    df = prepare_indicator_table(frame(), lasar=2024)
    wb = load_workbook(io.BytesIO(xlsx_bytes(df)))
    assert wb.sheetnames == ["indikatorer", "kolumner"]
    ws = wb["indikatorer"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == INDICATOR_COLUMNS
    assert rows[1][INDICATOR_COLUMNS.index("enhet")] == '\'=HYPERLINK("x")'  # text, not a formula
    supp = rows[3]
    assert (
        supp[INDICATOR_COLUMNS.index("undertryckt")] is True
        and supp[INDICATOR_COLUMNS.index("varde")] is None
    )
    assert rows[4][INDICATOR_COLUMNS.index("varde")] == 231.25
    assert rows[4][INDICATOR_COLUMNS.index("lasar")] == 2024
    assert len(rows) == 5


def test_xlsx_is_byte_identical_and_honours_source_date_epoch(monkeypatch, tmp_path):
    df = prepare_indicator_table(frame())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a = xlsx_bytes(df)
    b = xlsx_bytes(df)
    assert a == b
    wb = load_workbook(io.BytesIO(a))
    assert wb.properties.created.year == 2023
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert load_workbook(io.BytesIO(xlsx_bytes(df))).properties.created.year == 2000


def test_write_downloads_twice_is_identical(tmp_path):
    a = write_downloads(frame(), tmp_path / "a", lasar=2024)
    b = write_downloads(frame(), tmp_path / "b", lasar=2024)
    assert [p.name for p in a] == ["indikatorer.csv", "indikatorer.xlsx"]
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes()


def test_fake_indicator_table_round_trips():
    from tests.publishing.fakedata import indikatorer_frame

    ind = indikatorer_frame()
    df = prepare_indicator_table(ind, lasar=2024)
    assert len(df) == len(ind)
    back = pd.read_csv(
        io.BytesIO(csv_bytes(df)),
        sep=";",
        encoding="utf-8-sig",
        dtype={"skolenhetskod": str, "varde": str},
        keep_default_na=False,
    )
    assert (back["undertryckt"] == df["undertryckt"]).all()
    num = pd.to_numeric(back["varde"].str.replace(",", ".").replace("", None))
    assert ((num - df["varde"]).abs().fillna(0) < 1e-9).all()


@pytest.mark.parametrize("antal,written", [(1, ""), (9, ""), (10, "10"), (0, "0")])
def test_antal_under_the_threshold_is_never_written_exactly(antal, written):
    # threshold 10: a hidden value about 1-9 pupils publishes neither the value nor its count;
    # 10 is at the threshold and is written; 0 pupils is no one (nothing to protect)
    df = frame()
    df.loc[1, "antal"] = antal
    data = csv_bytes(prepare_indicator_table(df, lasar=2024, min_antal=10)).decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(data), delimiter=";") if r["grupp"] == "flickor")
    assert row["antal"] == written
    ws = load_workbook(io.BytesIO(xlsx_bytes(prepare_indicator_table(df, lasar=2024))))["indikatorer"]
    col = INDICATOR_COLUMNS.index("antal") + 1
    cells = [
        ws.cell(r, col).value
        for r in range(2, ws.max_row + 1)
        if ws.cell(r, INDICATOR_COLUMNS.index("grupp") + 1).value == "flickor"
    ]
    assert cells == [None if written == "" else int(written)]
