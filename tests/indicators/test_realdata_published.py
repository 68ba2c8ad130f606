"""Published real values (../shared/realdata) pass through build_indicator_outputs: a real-data
run has only published rows. Reads the Skolverket kommun files with the ingest readers."""

from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import Installningar
from pipeline.indicators import build_indicator_outputs
from pipeline.indicators.registry import load_indicator_registry
from pipeline.validate.schemas import validate_table

pytestmark = pytest.mark.realdata


def read_publicerad(folder: Path, kommunkod: str, grupp: tuple[str, ...]) -> pd.DataFrame:
    from pipeline.ingest.sources import ReadContext, recognise

    ctx = ReadContext(kommunkod=kommunkod, jamforelsegrupp=grupp)
    frames = []
    for p in sorted(folder.glob("*.csv")):
        read = recognise(p, ctx).read(p, ctx)
        if "publicerad" in read and len(read["publicerad"]):
            frames.append(read["publicerad"])
    return validate_table("publicerad", pd.concat(frames, ignore_index=True))


def test_real_published_rows_pass_through(realdata):
    pub = read_publicerad(realdata / "skolverket_kommun", "1384", ("1380", "1383"))
    out = build_indicator_outputs(
        {"publicerad": pub}, huvudman_namn="Kungsbacka", kommunkod="1384", installningar=Installningar()
    )
    ind = out["indikatorer"]
    keys = ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"]
    assert not ind.duplicated(keys).any()
    jf = ind[ind["niva"] == "jamforelse"]
    assert len(jf) and (jf["enhet"] == "Jämförelsegrupp").all()
    # one comparison row per key, from more than one kommun; none for counts and totals (a mean
    # of the kommuners' pupil counts describes no kommun: the group's cell stays "–")
    counts = {i.id for i in load_indicator_registry().indicators if i.is_count}
    raw_jf = pub[pub["niva"] == "jamforelse"]
    assert raw_jf["indikator"].isin(counts).any(), "the files publish counts for the group's kommuner"
    assert not jf["indikator"].isin(counts).any()
    raw_jf = raw_jf[~raw_jf["indikator"].isin(counts)]
    assert raw_jf.groupby(["lasar", "skolform", "indikator", "grupp"]).ngroups == len(jf)
    own = ind[ind["niva"].isin(["huvudman", "kommun"])]
    assert (own["enhet"] == "Kungsbacka").all() or set(own["enhet"]) - {"Kungsbacka"}
    assert (ind.loc[ind["undertryckt"], "varde"].isna()).all()
    assert len(out["forandringar"]) > 0
