"""Skolenkäten's respondent groups on the pages: Swedish names from labels.yml (respondentgrupper:),
never the code (``respondent:elever_ak5``)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipeline.ingest.skolenkaten import IDENTITET, RESPONDENTER
from pipeline.publishing.context import clear_cache, load_context
from pipeline.publishing.pages import unit_page
from tests.publishing.fakedata import write_fake_project

UNIT = "99992002"  # Björkskolan in the fake data set
#: The respondent groups a unit's trygghet index gets from three more surveys (fictitious values)
EXTRA = {
    "respondent:elever_ak5": 8.2,
    "respondent:elever_ak5|flickor": 8.4,
    "respondent:vardnadshavare": 7.9,
    "respondent:larare|konsidentitet:annan": 6.5,
    "konsidentitet:ej_angivet": 5.0,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    processed, params = write_fake_project(tmp_path_factory.mktemp("respondenter"))
    ind = pd.read_parquet(processed / "indikatorer.parquet")
    base = ind[
        (ind["skolenhetskod"] == UNIT) & (ind["indikator"] == "trygghet") & (ind["grupp"] == "samtliga")
    ]
    extra = [base.assign(grupp=g, varde=v, ki_lag=v - 0.5, ki_hog=v + 0.5) for g, v in EXTRA.items()]
    pd.concat([ind, *extra], ignore_index=True).to_parquet(processed / "indikatorer.parquet", index=False)
    clear_cache()
    return processed, params


def test_every_respondent_group_of_the_reader_has_a_swedish_name(project):
    ctx = load_context(*project)
    for _, key, _, _ in RESPONDENTER:
        assert not ctx.group_label(f"respondent:{key}").startswith("respondent:"), key
    for code in IDENTITET.values():
        assert ":" not in ctx.group_label(code), code
    # by hand, from labels.yml
    assert ctx.group_label("respondent:elever_ak5") == "Elever i årskurs 5"
    assert ctx.group_label("respondent:elever_ak5|flickor") == "Elever i årskurs 5, flickor"
    assert ctx.group_label("respondent:larare|konsidentitet:annan") == "Lärare, annan könsidentitet"
    assert ctx.group_label("konsidentitet:ej_angivet") == "Vill inte ange kön"
    assert ctx.group_label("flickor") == "Flickor"


def test_no_page_shows_a_respondent_code(project):
    processed, params = project
    html = str(
        unit_page(
            skolform="GR", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params
        )._repr_html_()
    )
    text = re.sub(r"<[^>]+>", " ", html)  # what a reader sees (attributes may carry codes)
    # (the data-grupp attributes keep the key, as data-indikator does: machine keys, not text)
    assert "respondent:" not in text and "konsidentitet:" not in text
    assert 'data-grupp="respondent:elever_ak5"' in html  # the group is on the page
    # the groups table names them: 8,2 for Elever i årskurs 5 (fictitious value above)
    assert "Elever i årskurs 5" in text and "Vårdnadshavare" in text and "8,2" in text


def test_a_survey_s_groups_are_columns_of_its_own_area_only(project):
    processed, params = project
    page = unit_page(
        skolform="GR", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params
    )
    kunskap = re.sub(r"<[^>]+>", " ", str(page.sektion("kunskapsresultat").html))
    trygghet = re.sub(r"<[^>]+>", " ", str(page.sektion("trygghet_studiero").html))
    assert "Elever i årskurs 5" not in kunskap and "Vårdnadshavare" not in kunskap
    assert "Elever i årskurs 5" in trygghet
