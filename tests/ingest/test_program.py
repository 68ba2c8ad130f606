"""Programme names and codes with their history: one table (params/gymnasieprogram.yml)."""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest.program import code_of_name, programmes, series_of
from pipeline.ingest.sources import ReadContext, recognise

FIXTURES = Path(__file__).parent / "fixtures"


def test_table_holds_every_national_programme_once_with_its_history():
    table = programmes()
    # 18 Gy11 programmes, HA replaced by FS: 19 codes
    assert len(table) == 19
    assert table["FS"].namn == "Försäljnings- och serviceprogrammet" and table["FS"].ersatter == "HA"
    assert table["HA"].ersatt_av == "FS" and table["HA"].till_lasar == 2022 and table["FS"].fran_lasar == 2023
    assert series_of("FS") == series_of("HA") == ("HA", "FS")
    assert series_of("NA") == ("NA",)
    assert code_of_name()["Handels- och administrationsprogrammet"] == "HA"


def test_a_leaver_file_with_the_old_and_the_new_programme_reads_both():
    """Hand-made Avgångselever export (fictitious values): HA's last leavers beside FS's first."""
    path = FIXTURES / "avgangselever_fs_2024.csv"
    source = recognise(path)
    assert source.name == "skolverket_gy_avgangselever"
    pub = source.read(path, ReadContext(kommunkod="9999"))["publicerad"]
    examen = pub[pub["indikator"] == "andel_examen"].set_index("grupp")
    # the file's cells, by hand: HA 11 leavers, 81,8 % with examen; FS 14 leavers, 85,7 %;
    # Yrkesprogram (both) 25 leavers, 84,0 %
    assert (examen.at["program:HA", "varde"], examen.at["program:HA", "antal"]) == (81.8, 11)
    assert (examen.at["program:FS", "varde"], examen.at["program:FS", "antal"]) == (85.7, 14)
    assert (examen.at["programtyp:yrkes", "varde"], examen.at["programtyp:yrkes", "antal"]) == (84.0, 25)
    assert set(pub["lasar"]) == {2025}  # Valt läsår 2024/25
