"""The pages the notebooks show (pipeline.publishing.pages), on the fake data set."""

from __future__ import annotations

import base64
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import AnalysisFileError, DataValidationError, UnknownSchoolFormError
from pipeline.indicators.registry import load_indicator_registry
from pipeline.paths import REPO_ROOT
from pipeline.publishing.analyses import analysis_path
from pipeline.publishing.context import clear_cache
from pipeline.publishing.pages import exploration, overview_page, unit_page
from pipeline.school_forms import get_school_form
from tests.publishing.fakedata import SMALL_UNIT, write_fake_project

UNIT = "99992002"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, Path]:
    processed, params = write_fake_project(tmp_path_factory.mktemp("fake"))
    for year in (2023, 2024):
        for kod in (UNIT, "GR"):
            src = analysis_path(REPO_ROOT / "params", year, kod)
            dst = analysis_path(params, year, kod)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
    return processed, params


@pytest.fixture(scope="module")
def gr_page(project):
    processed, params = project
    return unit_page(
        skolform="GR", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params
    )


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    p = _Collect()
    p.feed(html)
    return p.tags


def _numbers(html: str) -> list[tuple[dict, str]]:
    """Every number element with its attributes and its visible text."""
    out = []
    for m in re.finditer(r'<span class="tal"([^>]*)>([^<]*)</span>', html):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
        out.append((attrs, m.group(2)))
    return out


def test_sections_follow_the_registry(gr_page):
    form = get_school_form("GR")
    ids = [s.id for s in gr_page.sections]
    assert ids == ["sammanfattning", "analys", *[f"omrade-{a}" for a in form.quality_areas]]
    assert [i for i, _ in gr_page.sections_html()] == ids
    assert gr_page.title == "Björkskolan – grundskola 2023/24"


def test_headings_and_landmarks(gr_page):
    html = gr_page._repr_html_()
    tags = _tags(html)
    assert not any(t == "h1" for t, _ in tags)
    assert {t for t, _ in tags if re.fullmatch(r"h\d", t)} == {"h2", "h3"}
    ids = [a["id"] for _, a in tags if "id" in a]
    assert len(ids) == len(set(ids)), "ids are unique on the page"
    for tag, a in tags:
        if tag == "section":
            assert a["aria-labelledby"] in ids
    header = [a for t, a in tags if t == "header"]
    assert header[0]["class"] == "page-title" and header[0]["data-title"] == gr_page.title
    assert gr_page.sections_html()[0][1].startswith("<header")
    for tag, a in tags:
        if tag == "table":
            pass
        if tag == "th":
            assert a.get("scope") in ("col", "row")


def test_every_number_matches_the_indicator_table(gr_page, project):
    processed, _ = project
    ind = pd.read_parquet(processed / "indikatorer.parquet")
    key = ["indikator", "grupp", "lasar", "niva", "skolenhetskod"]
    table = {
        tuple(str(v) for v in r[:5]): r[5:]
        for r in ind[[*key, "varde", "ki_lag", "ki_hog", "antal"]].itertuples(index=False)
    }
    numbers = [
        (a, t) for a, t in _numbers(gr_page._repr_html_()) if "data-kalla" not in a and "data-kolumn" in a
    ]
    assert len(numbers) > 100
    cols = {"varde": 0, "ki_lag": 1, "ki_hog": 2, "antal": 3}
    for a, text in numbers:
        row = table[
            (a["data-indikator"], a["data-grupp"], a["data-lasar"], a["data-niva"], a["data-skolenhetskod"])
        ]
        value = row[cols[a["data-kolumn"]]]
        if a["data-varde"] == "":
            assert pd.isna(value) and text == "–"
        else:
            assert float(a["data-varde"]) == float(value)


def test_swedish_format_and_markers(gr_page, project):
    html = gr_page._repr_html_()
    assert (
        "Uppgiften visas inte eftersom den bygger på färre än 10 elever." not in html
    )  # Björkskolan is large
    processed, params = project
    small = unit_page(
        skolform="GR", skolenhetskod=SMALL_UNIT, lasar=2024, processed_dir=processed, params_dir=params
    )
    shtml = small._repr_html_()
    hidden = [(a, t) for a, t in _numbers(shtml) if a.get("data-markering") == "undertryckt"]
    assert hidden and all(t == "–" and a["data-varde"] == "" for a, t in hidden)
    assert "Uppgiften visas inte eftersom den bygger på färre än 10 elever." in shtml
    assert 'href="#omrade-kunskapsresultat-fotnot-undertryckt"' in shtml
    # riket's national test 2024 is 'saknas' in the fake data: a plain dash, no footnote on the
    # comparison cell (test_missing_reference_is_explained)
    values = [t for a, t in _numbers(html) if a.get("data-kolumn") == "varde"]
    assert any(re.fullmatch(r"\d{1,3},\d", v) for v in values)
    assert any(v.endswith("\u00a0%") for v in values)
    assert not any("." in v for v in values)


def test_rounded_value_shows_tilde_100(project):
    processed, params = project
    page = unit_page(
        skolform="GR", skolenhetskod="99992005", lasar=2022, processed_dir=processed, params_dir=params
    )
    rounded = [(a, t) for a, t in _numbers(page._repr_html_()) if a.get("data-markering") == "avrundad"]
    assert rounded and rounded[0][1] == "~100\u00a0%"


def test_change_is_called_a_change_only_when_significant(gr_page, project):
    processed, _ = project
    fr = pd.read_parquet(processed / "forandringar.parquet")
    fr = fr[
        (fr["skolenhetskod"] == UNIT)
        & (fr["lasar_till"] == 2024)
        & (fr["typ"] == "ett_ar")
        & (fr["grupp"] == "samtliga")
    ]
    html = gr_page._repr_html_()
    for rec in fr.to_dict("records"):
        m = re.search(
            rf'data-kalla="forandringar" data-indikator="{rec["indikator"]}" data-grupp="samtliga" data-lasar="2024" '
            rf'data-lasar-fran="2023" data-niva="enhet"[^>]*>[^<]*</span>([^<]*)<',
            html,
        )
        if m is None:
            continue
        words = m.group(1)
        if rec["signifikant"]:
            assert "statistiskt säkerställd" in words
        else:
            assert "ingen säkerställd förändring" in words


def test_no_changes_without_forandringar(tmp_path):
    from tests.publishing.fakedata import write_fake_processed

    processed = write_fake_processed(tmp_path / "p", with_changes=False, with_va=False)
    page = unit_page(
        skolform="GR",
        skolenhetskod=UNIT,
        lasar=2024,
        processed_dir=processed,
        params_dir=REPO_ROOT / "params",
    )
    html = page._repr_html_()
    assert 'data-kalla="forandringar"' not in html
    assert "Ingen jämförelse med förra året." in html
    assert "säkerställd ökning" not in html


def test_section_without_data_says_so(project):
    processed, params = project
    fs = unit_page(
        skolform="FS", skolenhetskod="99991001", lasar=2024, processed_dir=processed, params_dir=params
    )
    sec = {s.id: s for s in fs.sections}["omrade-kunskapsresultat"]
    assert not sec.has_data
    assert "Det finns inga uppgifter om kunskapsresultat för Solrosens förskola läsåret 2023/24." in sec.html
    gy = unit_page(
        skolform="GY", skolenhetskod="99993001", lasar=2024, processed_dir=processed, params_dir=params
    )
    assert (
        "Det finns inga uppgifter om elevhälsa och närvaro"
        in {s.id: s for s in gy.sections}["omrade-elevhalsa_narvaro"].html
    )


def test_figures_are_accessible_and_deterministic(gr_page, project):
    html = gr_page._repr_html_()
    figs = re.findall(r"<figure.*?</figure>", html, re.DOTALL)
    assert len(figs) >= 6
    for fig in figs:
        alt = re.search(
            r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)" width="(\d+)" height="(\d+)"', fig
        )
        assert alt and len(alt.group(2)) > 30
        assert (
            "<figcaption>" in fig
            and '<summary>Visa data för diagrammet</summary><div class="tabellbehallare"' in fig
        )
        svg = base64.b64decode(alt.group(1))
        assert svg.startswith(b"<?xml") and b"<svg" in svg[:1000]
        # no date, no software version, no script, no external reference; text as text, in a
        # font every reader has a fallback for
        assert b"<dc:date>" not in svg and b"Matplotlib v" not in svg and b"<script" not in svg
        assert b'href="http' not in svg and b"<text" in svg and b"sans-serif" in svg
        assert int(alt.group(3)) == 600  # 6 inches at 100 px per inch (text sized for phones)
    trend = next(f for f in figs if 'id="omrade-kunskapsresultat-trend"' in f)
    assert "Genomsnittligt meritvärde (17 ämnen) för Björkskolan var" in trend and "Riket låg på" in trend
    assert "Det lokala målet är 235,0\u00a0poäng." in trend
    processed, params = project
    clear_cache()  # read and draw everything again: the same bytes
    again = unit_page(
        skolform="GR", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params
    )
    assert again._repr_html_() == html


def test_nothing_loads_from_outside(gr_page, project):
    processed, params = project
    pages = [gr_page, overview_page(skolform="GR", lasar=2024, processed_dir=processed, params_dir=params)]
    for page in pages:
        for tag, a in _tags(page._repr_html_()):
            for attr in ("src", "href"):
                value = a.get(attr, "")
                assert not value.startswith(("http:", "https:", "//")), (tag, value)


def test_written_analysis_and_follow_up(gr_page, project):
    sec = {s.id: s for s in gr_page.sections}["analys"]
    assert sec.has_data
    for heading in (
        "Resultat",
        "Analys",
        "Utvecklingsområden",
        "Uppföljning av förra årets utvecklingsområden",
    ):
        assert f">{heading}</h3>" in sec.html
    assert "Studiero i årskurs 8: gemensamma rutiner" in sec.html  # last year's development area
    processed, params = project
    other = unit_page(
        skolform="GR", skolenhetskod="99992005", lasar=2024, processed_dir=processed, params_dir=params
    )
    assert (
        "Ingen skriftlig analys har lämnats för Ekskolan läsåret 2023/24."
        in {s.id: s for s in other.sections}["analys"].html
    )


def test_malformed_analysis_fails_the_page(tmp_path):
    processed, params = write_fake_project(tmp_path)
    path = analysis_path(params, 2024, UNIT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("## Resultat\n\n## Slutsatser\n", encoding="utf-8")
    with pytest.raises(AnalysisFileError, match=r"99992002\.md, line 3"):
        unit_page(skolform="GR", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params)


def test_targets_and_references(gr_page):
    mal = {s.id: s for s in gr_page.sections}["omrade-maluppfyllelse"].html
    assert "Lokala mål" in mal and 'data-kalla="mal"' in mal
    assert "Målet nås" in mal
    kr = {s.id: s for s in gr_page.sections}["omrade-kunskapsresultat"].html
    assert 'data-niva="riket"' in kr and 'data-niva="huvudman"' in kr


def test_overview_page(project):
    processed, params = project
    page = overview_page(skolform="GR", lasar=2024, processed_dir=processed, params_dir=params)
    assert page.skolenhetskod == "" and page.title == "Grundskola – Exempelkommun 2023/24"
    html = page._repr_html_()
    for name in ("Björkskolan", "Ekskolan", "Lindskolan"):
        assert name in html
    assert 'id="omrade-foradlingsvarde-va"' in html
    assert 'id="omrade-kunskapsresultat-enheter"' in html
    assert "Ingen skriftlig analys" not in html  # GR.md is in place


@pytest.mark.parametrize(("form", "code"), [("FS", "99991001"), ("GY", "99993001"), ("VUX", "99994001")])
def test_every_form_builds(project, form, code):
    processed, params = project
    page = unit_page(
        skolform=form, skolenhetskod=code, lasar=2024, processed_dir=processed, params_dir=params
    )
    # a förskola unit page ends with its own evidence (barnintervjuer, observationer); the
    # overview has no such section
    evidence = ["forskola-underlag"] if get_school_form(form).own_evidence else []
    ids = [s.id for s in page.sections[2:]]
    assert ids == [f"omrade-{a}" for a in get_school_form(form).quality_areas] + evidence
    ov = overview_page(skolform=form, lasar=2024, processed_dir=processed, params_dir=params)
    assert len(ov.sections) == len(page.sections) - len(evidence)


def test_loud_errors(project):
    processed, params = project
    with pytest.raises(UnknownSchoolFormError):
        unit_page(skolform="XX", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params)
    with pytest.raises(DataValidationError, match="no rows for skolenhet '12345678'"):
        unit_page(
            skolform="GR", skolenhetskod="12345678", lasar=2024, processed_dir=processed, params_dir=params
        )
    with pytest.raises(DataValidationError, match="file not found"):
        unit_page(
            skolform="GR", skolenhetskod=UNIT, lasar=2024, processed_dir=processed / "nope", params_dir=params
        )


def test_exploration(project):
    processed, params = project
    view = exploration(
        skolform="GR",
        skolenhetskod="",
        lasar=2024,
        indikator="meritvarde_17",
        grupp="samtliga",
        processed_dir=processed,
        params_dir=params,
    )
    assert [i for i, _ in view.sections_html()] == ["utforska-tabell", "utforska-diagram"]
    assert view._repr_html_().count("<figure") == 3


def test_labels_cover_every_quality_area():
    import yaml

    from pipeline.school_forms import QUALITY_AREAS

    labels = yaml.safe_load((REPO_ROOT / "params" / "labels.yml").read_text(encoding="utf-8"))
    assert set(labels["kvalitetsomraden"]) == set(QUALITY_AREAS)
    assert load_indicator_registry()  # the registry the pages read


def test_differences_against_references_only_when_significant(gr_page, project):
    processed, _ = project
    jf = pd.read_parquet(processed / "jamforelser.parquet")
    jf = jf[(jf["skolenhetskod"] == UNIT) & (jf["lasar"] == 2024) & (jf["skolform"] == "GR")]
    html = gr_page._repr_html_()
    stated = re.findall(
        r'data-kalla="jamforelser" data-indikator="([^"]+)"[^>]*data-jamfor-med="([^"]+)"', html
    )
    assert stated, "significant differences are stated"
    significant = {(r["indikator"], r["jamfor_med"]) for r in jf.to_dict("records") if r["signifikant"]}
    assert set(stated) <= significant
    assert "inte statistiskt säkerställd eller kan inte prövas" in html


def test_missing_reference_is_explained(tmp_path):
    from tests.publishing.fakedata import write_fake_processed

    processed = write_fake_processed(tmp_path / "p")
    ind = pd.read_parquet(processed / "indikatorer.parquet")
    ind = ind[~((ind["niva"] == "riket") & (ind["indikator"] == "trygghet"))]
    ind.to_parquet(processed / "indikatorer.parquet", index=False)
    page = unit_page(
        skolform="GR",
        skolenhetskod=UNIT,
        lasar=2024,
        processed_dir=processed,
        params_dir=REPO_ROOT / "params",
    )
    sec = str({s.id: s for s in page.sections}["omrade-trygghet_studiero"].html)
    # the other indicators of the area have a riket value, so the column stays; trygghet's riket
    # cell is a plain dash without a footnote link (a link on every empty comparison cell was noise)
    table = sec[: sec.index("</table>")]
    header = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', table)
    assert "Riket" in header
    row = next(r for r in table.split("<tr>") if 'data-indikator="trygghet"' in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    riket = cells[header.index("Riket") - 1]
    assert re.sub(r"<[^>]+>", "", riket) == "–" and "fotnot" not in riket


def test_forskola_unit_page_shows_barnintervjuer_after_staffing_and_survey(project):
    processed, params = project
    kod = "99991001"
    evidence = params / "analyser" / "2024" / "forskola" / f"{kod}.yml"
    evidence.parent.mkdir(parents=True, exist_ok=True)
    areas = ("normer_och_varden", "omsorg_utveckling_larande", "barns_inflytande", "forskola_och_hem")
    text = "".join(f"{a}:\n  barnintervjuer: 'Barnen sa <{a}>'\n  observationer: ''\n" for a in areas)
    evidence.write_text(
        text + "overgang_och_samverkan:\n  barnintervjuer: ''\n  observationer: Sett vid besöket\n"
    )
    try:
        clear_cache()
        page = unit_page(
            skolform="FS", skolenhetskod=kod, lasar=2024, processed_dir=processed, params_dir=params
        )
        ids = [s.id for s in page.sections]
        # after the area sections that hold the staffing figures (maluppfyllelse) and the
        # vårdnadshavarenkät (ansvar_inflytande)
        assert ids[-1] == "forskola-underlag" and ids.index("omrade-maluppfyllelse") == len(ids) - 2
        s = page.sections[-1]
        assert s.title == "Barnintervjuer och observationer" and s.has_data
        assert list(s.data["Område"]) == [
            "Normer och värden", "Omsorg, utveckling och lärande", "Barns inflytande",
            "Förskola och hem", "Övergång och samverkan",
        ]  # fmt: skip
        assert s.data.iloc[0].tolist() == [
            "Normer och värden",
            "Barnen sa <normer_och_varden>",
            "Inget skrivet ännu",
        ]
        assert s.data.iloc[4].tolist() == ["Övergång och samverkan", "Inget skrivet ännu", "Sett vid besöket"]
        assert "&lt;normer_och_varden&gt;" in str(s.before)  # autoescaped, through the table macro
        # without a file (last year): said aloud, naming the file to write
        before = unit_page(
            skolform="FS", skolenhetskod=kod, lasar=2023, processed_dir=processed, params_dir=params
        )
        s0 = before.sections[-1]
        assert s0.id == "forskola-underlag" and not s0.has_data
        assert "params/analyser/2023/forskola/99991001.yml" in str(s0.before)
        # a grundskola page has no such section
        gr = unit_page(
            skolform="GR", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params
        )
        assert "forskola-underlag" not in [x.id for x in gr.sections]
    finally:
        evidence.unlink()
        clear_cache()


def _missing_sentence(processed: Path, kod: str) -> str:
    clear_cache()
    page = unit_page(
        skolform="GR", skolenhetskod=kod, lasar=2024, processed_dir=processed, params_dir=REPO_ROOT / "params"
    )
    html = str({s.id: s for s in page.sections}["omrade-kunskapsresultat"].html)
    hit = re.search(r"Uppgifter saknas för [^<]*", html)
    return hit.group(0) if hit else ""


def test_missing_list_names_only_indicators_of_the_units_grades(tmp_path):
    # Ekskolan without its åk 9 results in 2023/24 but with them the years before: as an F-9
    # school (årskurser unknown) it lacks them; as an F-6 school (the register says F-6, or the
    # data has pupils in årskurs 1-6 only) it lacks nothing of åk 9.
    from tests.publishing.fakedata import write_fake_processed

    eks = "99992005"
    reg = load_indicator_registry()
    ak9 = [i for i in reg.for_skolform("GR") if i.arskurs == 9 and i.kvalitetsomrade == "kunskapsresultat"]
    assert {"meritvarde_17", "godkand_alla_amnen"} <= {i.id for i in ak9}
    names = [(i.kort or i.label)[:1].lower() + (i.kort or i.label)[1:] for i in ak9]

    processed = write_fake_processed(tmp_path / "p")
    ind = pd.read_parquet(processed / "indikatorer.parquet")
    drop = ind["skolenhetskod"].eq(eks) & ind["lasar"].eq(2024) & ind["indikator"].isin([i.id for i in ak9])
    assert drop.any()
    ind = ind[~drop].reset_index(drop=True)
    ind.to_parquet(processed / "indikatorer.parquet", index=False)

    unknown = _missing_sentence(processed, eks)
    assert unknown.startswith("Uppgifter saknas för Ekskolan läsåret 2023/24")
    assert any(n in unknown for n in names), unknown

    # the register says F-6
    reg_path = processed / "skolenheter.parquet"
    units = pd.read_parquet(reg_path)
    units.loc[units["skolenhetskod"] == eks, "arskurser"] = "F-6"
    units.to_parquet(reg_path, index=False)
    assert not any(n in _missing_sentence(processed, eks) for n in names)

    # no register grades, but the data has pupils in årskurs 1-6 only (Skolverket's "Antal elever
    # per årskurs"; årskurs 9 with 0 pupils)
    units.loc[units["skolenhetskod"] == eks, "arskurser"] = None
    units.to_parquet(reg_path, index=False)
    base = ind[ind["skolenhetskod"].eq(eks) & ind["indikator"].eq("elevantal") & ind["lasar"].eq(2024)]
    assert len(base) >= 1
    extra = [base.iloc[[0]].assign(grupp=f"arskurs:{k}", varde=20.0 if k <= 6 else 0.0) for k in range(1, 10)]
    pd.concat([ind, *extra], ignore_index=True).to_parquet(processed / "indikatorer.parquet", index=False)
    assert not any(n in _missing_sentence(processed, eks) for n in names)


def test_comparison_notes_once_per_page_and_group_name_lower_first_in_sentences(tmp_path):
    # No riket value anywhere (a kommun-level real-data build): every table lacks the riket
    # column, but the page says why once (under its first table), not once per table. The
    # comparison group (riket's values renamed, for the test) is named with a capital where a
    # name stands alone (column header, legend) and lower-first inside sentences.
    import yaml

    from tests.publishing.fakedata import write_fake_processed

    processed = write_fake_processed(tmp_path / "p")
    ind = pd.read_parquet(processed / "indikatorer.parquet")
    riket = ind["niva"] == "riket"
    ind.loc[riket, "niva"] = "jamforelse"
    ind.loc[riket, "enhet"] = "Grannkommuner i länet"
    ind.to_parquet(processed / "indikatorer.parquet", index=False)
    jf = pd.read_parquet(processed / "jamforelser.parquet")
    jf["jamfor_med"] = jf["jamfor_med"].replace({"riket": "jamforelse"})
    jf.to_parquet(processed / "jamforelser.parquet", index=False)
    params = tmp_path / "params"
    shutil.copytree(REPO_ROOT / "params", params, ignore=shutil.ignore_patterns("analyser"))
    hm = yaml.safe_load((params / "huvudman.yml").read_text(encoding="utf-8"))
    hm.update(
        jamforelsegrupp=["0115", "0163"],
        jamforelsegrupp_namn="Grannkommuner i länet",
        jamforelsegrupp_medlemmar={"0115": "Vallentuna", "0163": "Sollentuna"},
    )
    (params / "huvudman.yml").write_text(yaml.safe_dump(hm, allow_unicode=True), encoding="utf-8")
    clear_cache()
    for page in (
        overview_page(skolform="GR", lasar=2024, processed_dir=processed, params_dir=params),
        unit_page(skolform="GR", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params),
    ):
        html = page._repr_html_()
        text = re.sub(r"<[^>]+>", "", html)
        assert html.count("<table") >= 3
        assert "Riket</th>" not in html
        # the riket sentence and the group's members, each once on the page
        assert text.count("Filerna innehåller inga riksvärden") == 1
        assert text.count("Värden för riket finns inte i underlaget") == 1
        assert html.count('class="jamforelsegrupp"') == 1
        assert "Jämförelsegrupp: grannkommuner i länet (Sollentuna och Vallentuna)." in text
        # the group's name: capital as a column header, lower-first in sentences
        assert re.search(r'<th scope="col"[^>]*>Grannkommuner i länet</th>', html)
        sentences = re.findall(r"(?:högre|lägre) än (\w+) i länet", text)
        assert sentences and set(sentences) == {"grannkommuner"}
        assert re.search(r"skillnaden mot (huvudmannen och )?grannkommuner i länet inte", text)
        assert "jämförelsegruppen grannkommuner i länet" in text  # figure captions
        assert not re.search(r"(?:än|mot|med|visas|jämförelsegruppen) Grannkommuner", text)
    clear_cache()
