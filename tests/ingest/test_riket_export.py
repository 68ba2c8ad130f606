"""A Skolverket export at level Riket is read as riket (the kommun-level files hold no riket row).

Hand-made fixtures in the published layout of "Grundskola - Betyg årskurs 6, andel som fått godkänt
betyg (A-E), samtliga elever" (tests/ingest/fixtures/riket/): ``rad/`` the kommun layout with a row
named Riket and no kommun code, ``rubrik/`` the Riket layout whose header starts with ``Riket;``.
Both hold a Samtliga and a Kommunal row; the riket value is the Samtliga one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.indicators.published import published_rows
from pipeline.ingest.sources import ReadContext, recognise

FIXTURES = Path(__file__).parent / "fixtures" / "riket"


@pytest.mark.parametrize("layout", ["rad", "rubrik"])
def test_a_riket_export_is_read_as_riket(layout):
    path = next((FIXTURES / layout).glob("*.csv"))
    ctx = ReadContext(kommunkod="0114")
    source = recognise(path, ctx)
    assert source.name == "skolverket_betyg_ak6"
    pub = source.read(path, ctx)["publicerad"]
    assert set(pub["niva"]) == {"riket"} and set(pub["enhet"]) == {"Riket"}
    # the file's cells: Samtliga 112345 elever, 76,1 % godkända i alla ämnen; Kommunal 90000, 75,0 %
    got = {(r.typ_av_huvudman, r.indikator): (r.varde, r.antal) for r in pub.itertuples()}
    assert got[("Samtliga", "ak6_godkand_alla_amnen")] == (76.1, 112345)
    assert got[("Kommunal", "ak6_godkand_alla_amnen")] == (75.0, 90000)
    assert got[("Samtliga", "ak6_ej_godkand_flera_amnen")] == (14.1, 112345)

    # in the indicator table riket is the value for all organisers, once per indicator
    rows = published_rows(pub, huvudman_namn="Upplands Väsby", kommunkod="0114")
    godkand = rows[rows["indikator"].eq("ak6_godkand_alla_amnen")]
    assert len(godkand) == 1
    rec = godkand.iloc[0]
    assert (rec["niva"], rec["enhet"], rec["varde"], rec["lasar"]) == ("riket", "Riket", 76.1, 2024)
