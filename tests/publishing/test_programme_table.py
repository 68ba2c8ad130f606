"""Values per national programme on a gymnasieskola page: one series per programme, the programme's
name (never its code), and a footnote where a replaced programme's values (HA) continue the
current programme's series (FS); params/labels.yml, program_historik."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipeline.indicators.programmes import follow_programme_history
from pipeline.ingest.program import programmes
from pipeline.publishing.context import clear_cache
from pipeline.publishing.pages import unit_page
from tests.publishing.fakedata import write_fake_project

UNIT = "99993001"  # Exempelgymnasiet in the fake data set
#: (läsår, grupp, värde) of andel_examen as a leaver file publishes them (fictitious values)
PUBLISHED = [
    (2022, "program:HA", 81.0),
    (2023, "program:HA", 72.0),
    (2024, "program:FS", 93.0),
    (2022, "program:NA", 90.0),
    (2023, "program:NA", 91.0),
    (2024, "program:NA", 92.0),
    (2024, "programtyp:yrkes", 88.0),
]


@pytest.fixture(scope="module")
def section(tmp_path_factory):
    processed, params = write_fake_project(tmp_path_factory.mktemp("program"))
    ind = pd.read_parquet(processed / "indikatorer.parquet")
    base = ind[
        ind["skolenhetskod"].eq(UNIT)
        & ind["indikator"].eq("andel_examen")
        & ind["grupp"].eq("samtliga")
        & ind["lasar"].eq(2024)
    ]
    assert len(base) == 1
    extra = pd.concat(
        [base.assign(lasar=y, grupp=g, varde=v, ki_lag=None, ki_hog=None) for y, g, v in PUBLISHED],
        ignore_index=True,
    )
    extra, byten = follow_programme_history(extra, programmes())
    pd.concat([ind, extra], ignore_index=True).to_parquet(processed / "indikatorer.parquet", index=False)
    byten.to_parquet(processed / "programbyten.parquet", index=False)
    clear_cache()
    page = unit_page(
        skolform="GY", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params
    )
    yield str(page.sektion("kunskapsresultat").html)
    clear_cache()


def _table(html: str) -> str:
    m = re.search(r"<table[^>]*programtabell.*?</table>", html, re.S)
    assert m, "no programme table"
    return m.group(0)


def test_one_series_per_programme_under_its_current_name(section):
    table = _table(section)
    assert "Resultat per program" in section
    assert "Andel avgångselever med examen per program, Exempelgymnasiet, läsåren 2021/22–2023/24" in table
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    # header + FS + NA; HA is not a row of its own (its values are FS's series); no aggregate row
    assert len(rows) == 3
    fs = next(r for r in rows if "Försäljnings- och serviceprogrammet" in r)
    assert re.findall(r'data-varde="([^"]+)"', fs) == ["81.0", "72.0", "93.0"]
    na = next(r for r in rows if "Naturvetenskapsprogrammet" in r)
    assert re.findall(r'data-varde="([^"]+)"', na) == ["90.0", "91.0", "92.0"]
    assert "Handels- och administrationsprogrammet<" not in table.split("</th>", 4)[-1].split("<td")[0]


def test_the_replaced_programme_is_named_in_a_footnote(section):
    note = (
        "Försäljnings- och serviceprogrammet ersatte Handels- och administrationsprogrammet, som tog emot "
        "sina sista elever läsåret 2021/22. Värdena till och med läsåret 2022/23 gäller elever på "
        "Handels- och administrationsprogrammet."
    )
    assert section.count(note) == 1
    fs = next(r for r in re.findall(r"<tr>(.*?)</tr>", _table(section), re.S) if "Försäljnings" in r)
    na = next(r for r in re.findall(r"<tr>(.*?)</tr>", _table(section), re.S) if "Naturvetenskaps" in r)
    assert "fotnot-programbyte-HA-FS-2023" in fs and "programbyte" not in na


def test_no_programme_code_on_the_page_and_no_programme_column_in_the_groups_table(section):
    visible = re.sub(r"<[^>]+>", " ", section)  # the text a reader sees (data attributes hold codes)
    assert not re.search(r"program(typ)?:[A-Za-z]", visible)  # e.g. "Utökat program: Minskning" is text
    assert 'data-grupp="program:FS"' in section  # the machine-readable key of each value
    groups = re.search(r"<table[^>]*grupptabell.*?</table>", section, re.S)
    assert groups  # the fake unit has values per sex: the groups table is there
    head = re.search(r"<thead>.*?</thead>", groups.group(0), re.S)
    assert head and "Flickor" in head.group(0) and "program" not in head.group(0).lower()
