"""Units and names that change: the unit register across years, code changes followed through
params/enhetsbyten.yml, and the breaks marked on the unit page.

The fixture folder ``fixtures/enhetsbyten/`` holds four hand-made, fictitious Skolverket exports in
the published layout (``Grundskolan - Antal elever per årskurs <år> Skolenhet.csv``: header rows,
``Valt läsår``, ``;``, decimal comma, ``.``/``..`` markers, the report-description footer) for
Upplands Väsby (0114), läsår 2021/22 to 2024/25:

* Ekbackens skola, 91000011, kommunal, 2021/22 and 2022/23; from 2023/24 the same school as
  Ekbacksskolan, 91000012 (new code and new name); in 2024/25 Ekbacksskolan has an enskild huvudman;
* Björkskolan, 91000021, kommunal, every year (no break);
* Lönnskolan, 91000031, kommunal, 2021/22 and 2022/23 only (closed).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from pipeline.config import load_params
from pipeline.errors import ConfigError
from pipeline.ingest import read_all
from pipeline.ingest.enhetsregister import (
    EnhetsByte,
    follow_code_changes,
    load_enhetsbyten,
    successor_map,
    trend_breaks,
    unit_register,
)
from pipeline.ingest.sources import ReadContext

FOLDER = Path(__file__).parent / "fixtures" / "enhetsbyten"
BYTE = EnhetsByte(fran="91000011", till="91000012", lasar=2024)


def _read(tmp_path: Path, byten: tuple[EnhetsByte, ...]) -> dict[str, pd.DataFrame]:
    ctx = ReadContext(kommunkod="0114", enhetsbyten=byten)
    out, _ = read_all(FOLDER, ctx, report_path=tmp_path / "valideringsrapport.csv")
    return out


def _records(df: pd.DataFrame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r) for r in df.itertuples(index=False)]


@pytest.fixture(scope="module")
def followed(tmp_path_factory) -> dict[str, pd.DataFrame]:
    return _read(tmp_path_factory.mktemp("enhetsbyten"), (BYTE,))


def test_the_register_holds_every_unit_year_with_name_huvudman_and_opened_closed(followed):
    reg = followed["enhetsregister"]
    # by hand from the four files: läsår = spring year (2021/22 -> 2022); after the code change
    # Ekbackens skola's two years are under 91000012 with tidigare_kod 91000011; Lönnskolan's last
    # läsår (2023) is before GR's latest (2025): closed 2023. The huvudman's name (from the register,
    # kommunal units only) is on the latest year of a unit that is kommunal then.
    assert _records(reg) == [
        ("91000012", "GR", 2022, "Ekbackens skola", "Kommunal", None, "91000011", 2022, None),
        ("91000012", "GR", 2023, "Ekbackens skola", "Kommunal", None, "91000011", 2022, None),
        ("91000012", "GR", 2024, "Ekbacksskolan", "Kommunal", None, None, 2022, None),
        ("91000012", "GR", 2025, "Ekbacksskolan", "Enskild", None, None, 2022, None),
        ("91000021", "GR", 2022, "Björkskolan", "Kommunal", None, None, 2022, None),
        ("91000021", "GR", 2023, "Björkskolan", "Kommunal", None, None, 2022, None),
        ("91000021", "GR", 2024, "Björkskolan", "Kommunal", None, None, 2022, None),
        ("91000021", "GR", 2025, "Björkskolan", "Kommunal", "Upplands Väsby kommun", None, 2022, None),
        ("91000031", "GR", 2022, "Lönnskolan", "Kommunal", None, None, 2022, 2023),
        ("91000031", "GR", 2023, "Lönnskolan", "Kommunal", "Upplands Väsby kommun", None, 2022, 2023),
    ]


def test_a_changed_code_is_followed_and_its_history_joined_under_the_new_code(followed):
    pub = followed["publicerad"]
    enhet = pub[pub["niva"].eq("enhet")]
    assert "91000011" not in set(enhet["skolenhetskod"])
    new = enhet[enhet["skolenhetskod"].eq("91000012") & enhet["grupp"].eq("samtliga")]
    flickor = new[new["indikator"].eq("andel_flickor")].set_index("lasar")
    # the cells of 'Andel (%) flickor, årskurs 1-9' and 'Elever, årskurs 1-9', file by file:
    # 2021/22 50,0 % of 120; 2022/23 49,6 % of 123 (Ekbackens skola, old code);
    # 2023/24 50,8 % of 126; 2024/25 51,2 % of 129 (Ekbacksskolan, new code)
    assert [(y, flickor.at[y, "varde"], flickor.at[y, "antal"]) for y in (2022, 2023, 2024, 2025)] == [
        (2022, 50.0, 120),
        (2023, 49.6, 123),
        (2024, 50.8, 126),
        (2025, 51.2, 129),
    ]


def test_breaks_code_name_and_huvudman_are_listed(followed):
    assert _records(followed["enhetsbrott"]) == [
        ("91000012", "GR", 2024, "kod", "91000011", "91000012"),
        ("91000012", "GR", 2024, "namn", "Ekbackens skola", "Ekbacksskolan"),
        ("91000012", "GR", 2025, "huvudman", "Kommunal", "Enskild"),
    ]


def test_without_a_code_change_the_two_codes_stay_two_units(tmp_path):
    out = _read(tmp_path, ())
    enhet = out["publicerad"][out["publicerad"]["niva"].eq("enhet")]
    assert {"91000011", "91000012"} <= set(enhet["skolenhetskod"])
    reg = out["enhetsregister"].set_index(["skolenhetskod", "lasar"])
    # 91000011: 2022-2023, closed 2023; 91000012: opened 2024
    assert reg.at[("91000011", 2023), "stangd"] == 2023 and reg.at[("91000012", 2024), "oppnad"] == 2024
    # only the huvudman change is a break in a series then
    assert _records(out["enhetsbrott"]) == [("91000012", "GR", 2025, "huvudman", "Kommunal", "Enskild")]


def _pub(rows: list[tuple]) -> pd.DataFrame:
    cols = [
        "lasar",
        "skolform",
        "niva",
        "skolenhetskod",
        "enhet",
        "typ_av_huvudman",
        "indikator",
        "grupp",
        "varde",
    ]
    return pd.DataFrame(rows, columns=cols)


def test_a_chain_of_changes_is_followed_to_the_last_code_and_the_new_code_wins_a_clash():
    byten = (
        EnhetsByte(fran="10000001", till="10000002", lasar=2020),
        EnhetsByte(fran="10000002", till="10000003", lasar=2023),
    )
    assert successor_map(byten) == {"10000001": "10000003", "10000002": "10000003"}
    pub = _pub(
        [
            (2019, "GR", "enhet", "10000001", "A-skolan", "Kommunal", "x", "samtliga", 1.0),
            (2021, "GR", "enhet", "10000002", "B-skolan", "Kommunal", "x", "samtliga", 2.0),
            (2023, "GR", "enhet", "10000002", "B-skolan", "Kommunal", "x", "samtliga", 9.0),  # late old code
            (2023, "GR", "enhet", "10000003", "C-skolan", "Kommunal", "x", "samtliga", 3.0),
            (2023, "GR", "kommun", None, "Kommunen", None, "x", "samtliga", 5.0),
        ]
    )
    out, moved = follow_code_changes(pub, byten)
    # 2019 and 2021 moved (2 rows); the old code's 2023 value clashes with the new code's: dropped
    assert moved == 2
    got = _records(out[["lasar", "niva", "skolenhetskod", "varde"]])
    assert got == [(2019, "enhet", "10000003", 1.0), (2021, "enhet", "10000003", 2.0),
                   (2023, "enhet", "10000003", 3.0), (2023, "kommun", None, 5.0)]  # fmt: skip
    reg = unit_register(out, pd.DataFrame(), byten)
    assert list(reg["tidigare_kod"]) == ["10000001", "10000002", None]
    breaks = trend_breaks(reg, byten)
    assert _records(breaks[breaks["slag"].eq("kod")]) == [
        ("10000003", "GR", 2021, "kod", "10000001", "10000002"),
        ("10000003", "GR", 2023, "kod", "10000002", "10000003"),
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("byten:\n  - {fran: '1234567', till: '12345678', lasar: 2024}\n", "entry 1, fran: found '1234567'"),
        ("byten:\n  - {fran: '12345678', till: '12345678', lasar: 2024}\n", "the same code"),
        (
            "byten:\n  - {fran: '11111111', till: '22222222', lasar: 2024}\n"
            "  - {fran: '11111111', till: '33333333', lasar: 2024}\n",
            "continues as both 22222222 and 33333333",
        ),
        (
            "byten:\n  - {fran: '11111111', till: '22222222', lasar: 2024}\n"
            "  - {fran: '22222222', till: '11111111', lasar: 2025}\n",
            "cycle",
        ),
        ("byten:\n  - {fran: '11111111', till: '22222222', lasar: 2024, farg: blå}\n", "entry 1, farg"),
    ],
)
def test_a_bad_enhetsbyten_file_is_refused_with_the_entry_and_the_fix(tmp_path, text, says):
    (tmp_path / "enhetsbyten.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_enhetsbyten(tmp_path)
    assert says in str(info.value) and "enhetsbyten.yml" in str(info.value)


def test_the_shipped_file_is_valid_and_an_absent_file_means_no_changes(tmp_path):
    assert load_enhetsbyten() == ()  # params/enhetsbyten.yml ships with an empty list and an example
    assert load_enhetsbyten(tmp_path) == ()


def test_the_unit_page_note_names_each_break_in_swedish(followed):
    from pipeline.publishing.pages import _breaks_note

    params = load_params()
    ctx = SimpleNamespace(
        enhetsbrott=followed["enhetsbrott"],
        label=lambda *k, **f: params.label(*k).format(**f) if f else params.label(*k),
        lasar_text=lambda y: f"{y - 1}/{str(y)[2:]}",
    )
    note = _breaks_note(ctx, skolform="GR", skolenhetskod="91000012", lasar=2025)
    assert note == (
        "Brott i tidsserien, jämför åren före och efter med försiktighet: "
        "från 2023/24 har enheten skolenhetskoden 91000012 (tidigare 91000011), åren före visas under "
        "den nya koden; från 2023/24 heter enheten Ekbacksskolan (tidigare Ekbackens skola); "
        "från 2024/25 är huvudmannen enskild (tidigare kommunal)."
    )
    # a page of 2023/24 does not yet name the 2024/25 change; a unit without breaks has no note
    assert "2024/25" not in str(_breaks_note(ctx, skolform="GR", skolenhetskod="91000012", lasar=2024))
    assert _breaks_note(ctx, skolform="GR", skolenhetskod="91000021", lasar=2025) is None


def test_the_unit_page_shows_the_break_under_its_trend_figure(tmp_path):
    from pipeline.publishing.context import clear_cache
    from pipeline.publishing.pages import unit_page
    from tests.publishing.fakedata import write_fake_project

    processed, params = write_fake_project(tmp_path)
    breaks = [("99992002", "GR", 2023, "namn", "Björkbackens skola", "Björkskolan")]
    pd.DataFrame(breaks, columns=["skolenhetskod", "skolform", "lasar", "slag", "fran", "till"]).to_parquet(
        processed / "enhetsbrott.parquet", index=False
    )
    clear_cache()
    page = unit_page(
        skolform="GR", skolenhetskod="99992002", lasar=2024, processed_dir=processed, params_dir=params
    )
    html = str(page.sektion("kunskapsresultat").html)
    said = "från 2022/23 heter enheten Björkskolan (tidigare Björkbackens skola)"
    # visible under the figure (its caption) and in the figure's data table
    assert html.count(said) == 2
    other = unit_page(
        skolform="GR", skolenhetskod="99992005", lasar=2024, processed_dir=processed, params_dir=params
    )
    assert "Brott i tidsserien" not in str(other.sektion("kunskapsresultat").html)
    clear_cache()


def test_a_kommun_of_a_country_run_gets_the_register_of_its_own_units(tmp_path, followed):
    from pipeline.ingest.subset import _carry_unit_register

    national, stage = tmp_path / "national", tmp_path / "stage"
    national.mkdir()
    stage.mkdir()
    followed["enhetsregister"].to_parquet(national / "enhetsregister.parquet", index=False)
    followed["enhetsbrott"].to_parquet(national / "enhetsbrott.parquet", index=False)
    # a kommun whose tables hold Björkskolan and Ekbacksskolan, not Lönnskolan
    sub = {"skolenheter": pd.DataFrame({"skolenhetskod": ["91000012", "91000021"]})}
    _carry_unit_register(national, stage, sub)
    reg = pd.read_parquet(stage / "enhetsregister.parquet")
    assert sorted(set(reg["skolenhetskod"])) == ["91000012", "91000021"] and len(reg) == 8
    assert len(pd.read_parquet(stage / "enhetsbrott.parquet")) == 3


def test_a_unit_is_closed_only_when_its_own_kommun_has_later_rows():
    """Hand-made: kommun 0114's rows (one source covering Stockholms län) go on to 2026, kommun
    1440's end in 2025. By hand: 0114's A-skolan (last 2025) is closed in 2025, 0114's B-skolan
    (2026) is open; 1440's C-skolan (last 2025 = 1440's latest) is open, and D-skolan (last 2024)
    closed in 2024. A national read and 1440's own read give C-skolan the same register."""
    rows = [
        (2025, "GR", "enhet", "10000001", "A-skolan", "Kommunal", "x", "samtliga", 1.0),
        (2025, "GR", "enhet", "10000002", "B-skolan", "Kommunal", "x", "samtliga", 1.0),
        (2026, "GR", "enhet", "10000002", "B-skolan", "Kommunal", "x", "samtliga", 1.0),
        (2025, "GR", "enhet", "20000001", "C-skolan", "Kommunal", "x", "samtliga", 1.0),
        (2024, "GR", "enhet", "20000002", "D-skolan", "Kommunal", "x", "samtliga", 1.0),
    ]
    pub = _pub(rows).assign(kommunkod=["0114", "0114", "0114", "1440", "1440"])
    reg = unit_register(pub, pd.DataFrame())
    stangd = {(r.skolenhetskod, r.lasar): r.stangd for r in reg.itertuples()}
    assert stangd[("10000001", 2025)] == 2025
    assert pd.isna(stangd[("10000002", 2026)])
    assert pd.isna(stangd[("20000001", 2025)])
    assert stangd[("20000002", 2024)] == 2024
    own = unit_register(pub[pub["kommunkod"].eq("1440")].reset_index(drop=True), pd.DataFrame())
    national = reg[reg["skolenhetskod"].str.startswith("2")].reset_index(drop=True)
    pd.testing.assert_frame_equal(national, own)


def test_a_changed_code_is_followed_the_same_way_in_a_national_read(tmp_path, followed):
    """KOMMUN=all reads the folder without a kommun and cuts 0114's tables from that
    (pipeline.ingest.subset): Ekbacksskolan's history is under 91000012 there too, and 0114's
    register and breaks are the ones its own read gives (the three breaks listed above)."""
    from pipeline.ingest import run_ingest
    from pipeline.ingest.subset import write_kommun_subset

    national, sliced = tmp_path / "alla", tmp_path / "0114"
    run_ingest(FOLDER, national, ReadContext(kommunkod=None, enhetsbyten=(BYTE,)))
    write_kommun_subset(national, sliced, "0114")
    for name in ("publicerad", "skolenheter", "enhetsregister", "enhetsbrott"):
        got = pd.read_parquet(sliced / f"{name}.parquet")
        assert _records(got) == _records(followed[name]), name
    assert "91000011" not in set(pd.read_parquet(sliced / "publicerad.parquet")["skolenhetskod"])
