"""A comparison group's value is a mean of its kommuner's values: formed for shares, means and
indices, never for counts and totals (registry ``statistik`` ``antal``/``summa``), whose mean
describes no kommun ("Antal elever i årskurs 9" of a group is not 854 pupils)."""

import pandas as pd
import pytest

from pipeline.indicators import build_indicator_outputs
from pipeline.indicators.registry import COUNT_STATISTICS, load_indicator_registry
from tests.indicators.helpers import cell, installningar


def test_registry_marks_counts_and_totals_not_means():
    reg = load_indicator_registry()
    counts = {i.id for i in reg.indicators if i.is_count}
    # head counts and totals (persons, full-time posts, kronor in total)
    for i in (
        "elevantal",
        "antal_elever_ak9",
        "larare_antal",
        "forstelarare_antal",
        "larare_heltidstjanster",
        "kostnad_totalt_tkr",
        "kostnad_undervisning_tkr",
        "elevantal_genomsnitt",
    ):
        assert i in counts, i
    # shares, means, ratios, indices and amounts per pupil stay averageable
    for i in (
        "godkand_alla_amnen",
        "meritvarde_17",
        "np_ak9_betygspoang",
        "ak6_antal_amnesbetyg",  # the *mean* number of subject grades
        "kostnad_per_elev",
        "elever_per_larare",
        "enkat_nojdhet",
    ):
        assert i not in counts, i
    assert all(reg.get(i).statistik in COUNT_STATISTICS for i in counts)


def _pub(rows):
    return pd.DataFrame(
        rows,
        columns=["niva", "kommunkod", "enhet", "indikator", "varde", "antal"],
    ).assign(
        lasar=2025,
        skolform="GR",
        skolenhetskod="",
        typ_av_huvudman="Samtliga",
        grupp="samtliga",
        markering="",
        kalla="Skolverket",
    )


def test_group_value_only_for_shares_not_for_counts():
    pub = _pub(
        [
            # the report's own kommun
            ("kommun", "0114", "Upplands Väsby", "antal_elever_ak9", 480.0, None),
            ("kommun", "0114", "Upplands Väsby", "godkand_alla_amnen", 72.0, 480),
            # two kommuner of the comparison group
            ("jamforelse", "0115", "Vallentuna", "antal_elever_ak9", 454.0, None),
            ("jamforelse", "0163", "Sollentuna", "antal_elever_ak9", 1254.0, None),
            ("jamforelse", "0115", "Vallentuna", "godkand_alla_amnen", 80.0, 454),
            ("jamforelse", "0163", "Sollentuna", "godkand_alla_amnen", 85.0, 1254),
        ]
    )
    pub["antal"] = pd.array(pub["antal"], dtype="Int64")
    out = build_indicator_outputs(
        {"publicerad": pub},
        huvudman_namn="Upplands Väsby",
        kommunkod="0114",
        installningar=installningar(),
        jamforelsegrupp_namn="Grannkommuner",
    )["indikatorer"]
    group = out[out["niva"].eq("jamforelse")]
    # the share: pupil-weighted mean (80 * 454 + 85 * 1254) / (454 + 1254) = 142 910 / 1 708 = 83,67...
    share = cell(group, indikator="godkand_alla_amnen")
    assert share["varde"] == pytest.approx((80 * 454 + 85 * 1254) / (454 + 1254))
    assert share["varde"] == pytest.approx(83.670960, abs=1e-6)
    assert share["enhet"] == "Grannkommuner"
    # the count: no group value at all (the mean (454 + 1254) / 2 = 854 pupils describes no kommun)
    assert "antal_elever_ak9" not in set(group["indikator"])
    # the kommun's own count is kept as published
    own = out[out["niva"].eq("kommun") & out["indikator"].eq("antal_elever_ak9")]
    assert own["varde"].tolist() == [480.0]
