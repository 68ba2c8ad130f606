"""Back-tests of the Kolada readers: every value of every read KPI, by plain pandas.read_parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.ingest.skolverket_format import KOMMUNER
from pipeline.ingest.sources import ReadContext, recognise
from tests.ingest.realdata_backtest import CellCounter, index_output, same

SCHOOL_KPIS = {
    "N11050",
    "N11051",
    "N11052",
    "N11821",
    "N15030",
    "N15428",
    "N15813",
    "N15816",
    "N17461",
    "N17538",
    "N17625",
    "N17813",
}
STATUS = {"": "", "Privacy": "undertryckt", "Missing": "saknas", "Not applicable": "saknas"}


def test_every_kolada_value_matches(realdata: Path) -> None:
    path = realdata / "kolada" / "2024-12-12_KOLADA_data_raw.parquet"
    source = recognise(path)
    assert source.name == "kolada_data"
    out = source.read(path, ReadContext())["publicerad"]
    got = index_output(out, ["kommunkod", "lasar", "indikator", "grupp"])
    raw = pd.read_parquet(path)
    raw = raw[raw["kpi"].isin(SCHOOL_KPIS)]
    n = 0
    for kpi, kod, year, gender, status, value in zip(
        raw.kpi, raw.municipality_id, raw.year, raw.gender, raw.status, raw.value, strict=False
    ):
        rec = got[
            (
                kod,
                int(year),
                f"kolada_{kpi.lower()}",
                {"T": "samtliga", "K": "flickor", "M": "pojkar"}[gender],
            )
        ]
        assert (
            same(value, rec["varde"])
            and rec["markering"] == STATUS[status]
            and rec["kalla"] == f"Kolada {kpi}"
        )
        assert rec["niva"] == "kommun"
        n += 1
    assert n == len(out) == 65250
    CellCounter.add("kolada_data", n)


def test_every_kolada_tabell_value_matches(realdata: Path) -> None:
    path = realdata / "kolada" / "2023-05-19_KOLADA_skolinsp_tryggNöjd.parquet"
    source = recognise(path)
    assert source.name == "kolada_tabell"
    out = source.read(path, ReadContext())["publicerad"]
    got = index_output(out, ["kommunkod", "lasar", "indikator", "grupp"])
    names = {v: k for k, v in KOMMUNER.items()}
    raw = pd.read_parquet(path)
    n = 0
    for kommun, kpi, ar, andel, kon in zip(
        raw.Kommun, raw.kpi, raw["År"], raw.Andel, raw["Kön"], strict=False
    ):
        rec = got[
            (
                names[kommun],
                int(ar),
                f"kolada_{kpi.lower()}",
                {"Alla": "samtliga", "Flicka": "flickor", "Pojke": "pojkar"}[kon],
            )
        ]
        assert same(andel, rec["varde"]) and rec["markering"] == ("undertryckt" if pd.isna(andel) else "")
        n += 1
    assert n == len(out) == 5220
    CellCounter.add("kolada_tabell", n)


def test_kolada_lists_are_recognised_and_filter_works(realdata: Path) -> None:
    folder = realdata / "kolada"
    assert recognise(folder / "2023-03-28_KOLADA_KPI_list.parquet").name == "kolada_kpi_lista"
    assert recognise(folder / "2023-03-28_KOLADA_Municipality_list.parquet").name == "kolada_kommunlista"
    path = folder / "2024-12-12_KOLADA_data_raw.parquet"
    pub = recognise(path).read(path, ReadContext(kommunkod="0180", jamforelsegrupp=("1480", "1280")))[
        "publicerad"
    ]
    assert set(pub["kommunkod"]) == {"0180", "1480", "1280"}
    assert set(pub.loc[pub["kommunkod"] == "0180", "niva"]) == {"kommun"}
    assert set(pub.loc[pub["kommunkod"] != "0180", "niva"]) == {"jamforelse"}
