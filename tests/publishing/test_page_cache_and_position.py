"""The per-process cache of page inputs, and the compact comparison on pages of big huvudmän.

A warm kernel builds many pages from the same files, so ``load_context`` keeps what it read; it
must read again when a file changes and never let one page's changes reach the next. A unit page
of a school form with more units than ``jamforelse_max_enheter`` shows the unit's place among all
units in one row (with the quartiles, computed here by hand from the same values) instead of one
row per unit; the overview page still lists every unit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline.publishing import context as context_module
from pipeline.publishing.context import clear_cache, load_context
from pipeline.publishing.pages import overview_page, unit_page
from tests.publishing.fakedata import write_fake_project

UNIT = "99992002"


@pytest.fixture
def project(tmp_path) -> tuple[Path, Path]:
    clear_cache()
    return write_fake_project(tmp_path / "p")


def test_unchanged_files_are_read_once(project, monkeypatch):
    processed, params = project
    reads: list[str] = []
    real = context_module._read
    monkeypatch.setattr(
        context_module, "_read", lambda path, **kw: reads.append(path.name) or real(path, **kw)
    )
    first = load_context(processed, params)
    n = len(reads)
    second = load_context(processed, params)
    assert n >= 1 and len(reads) == n  # nothing read the second time
    assert first.memo is second.memo
    pd.testing.assert_frame_equal(first.indikatorer, second.indikatorer)


def test_a_changed_file_is_read_again(project):
    processed, params = project
    before = load_context(processed, params)
    path = processed / "indikatorer.parquet"
    df = pd.read_parquet(path)
    df.loc[df["varde"].notna(), "varde"] = df.loc[df["varde"].notna(), "varde"] + 1.0
    df.to_parquet(path, index=False)
    after = load_context(processed, params)
    assert after.memo is not before.memo
    b = before.indikatorer["varde"].dropna().to_numpy()
    a = after.indikatorer["varde"].dropna().to_numpy()
    assert (a == b + 1.0).all()
    # a changed params file, too (labels)
    (params / "labels.yml").write_text(
        (params / "labels.yml")
        .read_text(encoding="utf-8")
        .replace("Visa data för diagrammet", "Visa siffrorna"),
        encoding="utf-8",
    )
    assert load_context(processed, params).label("figur", "visa_data") == "Visa siffrorna"


def test_a_page_that_changes_its_frames_does_not_change_the_next(project):
    processed, params = project
    ctx = load_context(processed, params)
    original = ctx.indikatorer["varde"].copy()
    ctx.indikatorer.loc[:, "varde"] = -1.0
    ctx.indikatorer["ny"] = 1
    again = load_context(processed, params)
    pd.testing.assert_series_equal(again.indikatorer["varde"], original)
    assert "ny" not in again.indikatorer.columns


def _figure(html: str, fig_id: str) -> str:
    m = re.search(rf'<figure class="diagram" id="{fig_id}">.*?</figure>', html, re.DOTALL)
    assert m, fig_id
    return m.group(0)


def _meritvarde_units(processed: Path) -> pd.DataFrame:
    """The GR units' meritvärde 2024 (all pupils) with a value."""
    ind = pd.read_parquet(processed / "indikatorer.parquet")
    return ind[
        (ind["skolform"] == "GR")
        & (ind["lasar"] == 2024)
        & (ind["niva"] == "enhet")
        & (ind["grupp"] == "samtliga")
        & (ind["indikator"] == "meritvarde_17")
    ].dropna(subset=["varde"])


def _with_max_units(params: Path, n: int) -> None:
    path = params / "installningar.yml"
    text = re.sub(
        r"jamforelse_max_enheter: \d+", f"jamforelse_max_enheter: {n}", path.read_text(encoding="utf-8")
    )
    path.write_text(text, encoding="utf-8")


def test_many_units_give_the_units_place_in_one_row(project):
    processed, params = project
    units = _meritvarde_units(processed)
    assert len(units) >= 3 and UNIT in set(units["skolenhetskod"])
    full = unit_page(
        skolform="GR", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params
    )
    many = _figure(full._repr_html_(), "omrade-kunskapsresultat-enheter")
    assert many.count("<tr>") >= len(units) + 1  # one row per unit (and the huvudman)

    _with_max_units(params, 2)
    page = unit_page(
        skolform="GR", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params
    )
    fig = _figure(page._repr_html_(), "omrade-kunskapsresultat-enheter")
    values = sorted(units["varde"].astype(float))
    mine = float(units.loc[units["skolenhetskod"] == UNIT, "varde"].iloc[0])
    place = 1 + sum(v > mine for v in values)
    assert f"är nummer {place} av {len(values)} skolenheter räknat från högst" in fig
    derived = dict(
        re.findall(r'data-kalla="fordelning"[^>]*data-kolumn="([^"]+)"[^>]*data-varde="([^"]*)"', fig)
    )
    s = pd.Series(values)
    assert float(derived["lagst"]) == pytest.approx(min(values))
    assert float(derived["hogst"]) == pytest.approx(max(values))
    assert float(derived["median"]) == pytest.approx(s.quantile(0.5))
    assert float(derived["p25"]) == pytest.approx(s.quantile(0.25))
    assert float(derived["p75"]) == pytest.approx(s.quantile(0.75))
    assert int(float(derived["antal_enheter"])) == len(values)
    # the unit's own value is still the traceable indicator row
    assert re.search(
        rf'data-indikator="meritvarde_17"[^>]*data-niva="enhet" data-skolenhetskod="{UNIT}"', fig
    )
    # no row per unit: the unit, the huvudman and the distribution (5 values and the count)
    others = set(units["skolenhetskod"]) - {UNIT}
    assert not any(f'data-skolenhetskod="{kod}"' in fig for kod in others)
    assert fig.count("<tr>") == 1 + 2 + 6

    overview = overview_page(skolform="GR", lasar=2024, processed_dir=processed, params_dir=params)
    html = overview._repr_html_()
    assert 'data-kalla="fordelning"' not in html  # the overview compares every unit
    assert _figure(html, "omrade-kunskapsresultat-enheter").count("<tr>") >= len(values) + 1


def test_many_units_value_added_in_one_row(project):
    processed, params = project
    va = pd.read_parquet(processed / "va_enheter.parquet")
    va = va[(va["lasar"] == 2024)].dropna(subset=["residual", "ki_lag", "ki_hog"])
    if "skolform" in va.columns:
        va = va[va["skolform"] == "GR"]
    if len(va) < 3 or UNIT not in set(va["skolenhetskod"].astype(str)):
        pytest.skip("the fake project has too few units with value added")
    _with_max_units(params, 2)
    page = unit_page(
        skolform="GR", skolenhetskod=UNIT, lasar=2024, processed_dir=processed, params_dir=params
    )
    fig = _figure(page._repr_html_(), "omrade-foradlingsvarde-va")
    assert f"Av huvudmannens {len(va)} skolenheter ligger" in fig
    assert fig.count('data-kalla="va_enheter"') == 3  # the unit's residual and interval only


def test_an_overview_of_very_many_units_shows_their_distribution(project):
    processed, params = project
    path = params / "installningar.yml"
    path.write_text(
        re.sub(r"oversikt_max_enheter: \d+", "oversikt_max_enheter: 2", path.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    units = _meritvarde_units(processed)
    html = overview_page(skolform="GR", lasar=2024, processed_dir=processed, params_dir=params)._repr_html_()
    fig = _figure(html, "omrade-kunskapsresultat-enheter")
    values = sorted(units["varde"].astype(float))
    assert f"huvudmannens {len(values)} skolenheter ligger mellan" in fig
    derived = dict(
        re.findall(r'data-kalla="fordelning"[^>]*data-kolumn="([^"]+)"[^>]*data-varde="([^"]*)"', fig)
    )
    assert float(derived["median"]) == pytest.approx(pd.Series(values).quantile(0.5))
    # every unit is still on the page, in the area's units table
    section = re.search(r'<section id="omrade-kunskapsresultat".*?</section>', html, re.DOTALL).group(0)
    for kod in units["skolenhetskod"]:
        assert f'data-niva="enhet" data-skolenhetskod="{kod}"' in section


def test_a_count_has_no_huvudman_line_among_the_units(project):
    processed, params = project
    html = overview_page(skolform="GR", lasar=2024, processed_dir=processed, params_dir=params)._repr_html_()
    figs = re.findall(r'<figure class="diagram" id="[^"]*-enheter">.*?</figure>', html, re.DOTALL)
    counts = [f for f in figs if "Antal elever" in f.split("alt=", 1)[1][:80]]
    assert counts, "the overview compares the units' elevantal"
    for f in counts:
        assert "huvudmannen ligger på" not in f.lower()
