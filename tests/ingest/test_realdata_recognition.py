"""Every file in ../shared/realdata is recognised as its family (by content), and the whole
folder ingests quickly when filtered to one kommun."""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.ingest.sources import ReadContext, list_raw_files, recognise
from pipeline.validate.schemas import validate_table

EXPECTED = {
    "kolada/2023-03-28_KOLADA_KPI_list.parquet": "kolada_kpi_lista",
    "kolada/2023-03-28_KOLADA_Municipality_list.parquet": "kolada_kommunlista",
    "kolada/2023-05-19_KOLADA_skolinsp_tryggNöjd.parquet": "kolada_tabell",
    "kolada/2024-12-12_KOLADA_data_raw.parquet": "kolada_data",
    "skolenhetsregistret/Skolenhetsregistret.xlsx": "skolenhetsregistret",
    "skolenkaten/excelrapport-elever-grundskola-ak-8-2022.xlsx": "skolenkaten",
    "skolverket_api_v4/school_units_detail_stockholms_lan.jsonl": "skolverket_api_skolenheter",
    "skolverket_api_v4/statistics_gr_lan01-09.jsonl": "skolverket_api_statistik",
    "skolverket_gymnasium_kungsbacka/slutbetyg-gymnasiet-2023-24.csv": "skolverket_gy_avgangselever",
    "skolverket_kommun/behorighet_grundskola_2024_25.csv": "skolverket_behorighet",
    "skolverket_kommun/Grundskola - Jämförelse av betygsresultat över tid 2025 Kommun_Åk9.xlsx": "skolverket_jamforelse_over_tid",
    "skolverket_kommun/Grundskola - Kostnader per kommun 2024 Kommun.csv": "skolverket_kostnader",
    "skolverket_skolenhet/Grundskola - Slutbetyg årskurs 9, samtliga elever 2025 Skolenhet.csv": "skolverket_slutbetyg_ak9",
}
PREFIX = {
    "skolverket_kommun/Grundskola - Antal elever per årskurs": "skolverket_elever_per_arskurs",
    "skolverket_skolenhet/Grundskolan - Antal elever per årskurs": "skolverket_elever_per_arskurs",
    "skolverket_kommun/Grundskola - Betyg årskurs 6": "skolverket_betyg_ak6",
    "skolverket_kommun/Grundskola - Personalstatistik": "skolverket_personal",
    "skolverket_kommun/Grundskola - Resultat nationella prov": "skolverket_nationella_prov",
    "skolverket_kommun/Gymnasieskola - Kostnader per kommun": "skolverket_kostnader_gy",
}


def test_every_realdata_file_is_recognised(realdata: Path) -> None:
    data, docs = list_raw_files(realdata)
    assert [d.name for d in docs] == ["PROVENANCE.md"]  # documentation, never read
    assert len(data) == 39
    for path in data:
        rel = path.relative_to(realdata).as_posix()
        want = EXPECTED.get(rel) or next(v for k, v in PREFIX.items() if rel.startswith(k))
        assert recognise(path).name == want, rel


def test_recognition_does_not_use_the_file_name(realdata: Path, tmp_path: Path) -> None:
    for rel, want in EXPECTED.items():
        src = realdata / rel
        copy = tmp_path / f"x{src.suffix}"
        copy.write_bytes(src.read_bytes())
        assert recognise(copy).name == want, rel
        copy.unlink()


def test_whole_folder_filtered_to_one_kommun_is_valid(realdata: Path) -> None:
    ctx = ReadContext(kommunkod="0180", jamforelsegrupp=("1480", "1280"))
    start = time.perf_counter()
    parts: dict[str, list] = {}
    for path in list_raw_files(realdata)[0]:
        for name, frame in recognise(path).read(path, ctx).items():
            parts.setdefault(name, []).append(frame)
    elapsed = time.perf_counter() - start
    import pandas as pd

    from pipeline.ingest.skolverket_format import merge_skolenheter

    pub = pd.concat(parts["publicerad"], ignore_index=True)
    validate_table("publicerad", pub)
    units = merge_skolenheter(parts["skolenheter"])
    validate_table("skolenheter", units)
    assert set(pub["kommunkod"].dropna()) <= {"0180", "1480", "1280"}
    assert set(units["kommunkod"]) == {"0180"}
    # where two files publish the same figure (CSV and XLSX of one report, the API and the
    # skolenhet export, the behörighet report and the Jämförelse workbook), they agree
    key = ["lasar", "skolform", "niva", "kommunkod", "skolenhetskod", "typ_av_huvudman", "indikator", "grupp"]
    dup = pub[pub.duplicated(key, keep=False)].fillna({"varde": -1.0})
    assert len(dup) > 0
    assert (dup.groupby(key, dropna=False)[["varde", "markering"]].nunique() == 1).all().all()
    # the time is printed, never asserted: a busy machine is not a wrong result (make bench measures speed)
    print(
        f"[timing] realdata filtered to 0180: {elapsed:.1f} s, {len(pub)} publicerad rows, {len(units)} skolenheter"
    )
