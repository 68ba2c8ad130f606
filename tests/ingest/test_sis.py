"""SIS readers: hand-written fixtures with hand-computed canonical rows, format variants, and
invalid variants rejected with file, row and column.

Personnummer below are fictitious (födelsenummer 9xx) with check digits computed by hand with
the Luhn rule, e.g. 080115-980?: 0+8+0+1+2+5+(1+8)+8+0 = 33 -> 7.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import DataValidationError
from pipeline.ingest.sis import normalise_personnummer, read_sis
from pipeline.ingest.sources import ReadContext, recognise
from pipeline.validate.schemas import validate_table

KEY = bytes(range(32))  # a fixed test key (a real one is 32 random bytes in the huvudman's key file)
CTX = ReadContext(nyckel=KEY)


def eid(pnr12: str, key: bytes = KEY) -> str:
    """The pseudonym by its definition: HMAC-SHA256(key, 12-digit personnummer), first 16 hex digits."""
    return hmac.new(key, pnr12.encode(), hashlib.sha256).hexdigest()[:16]


A, B, C, D = "200801159807", "200801159815", "200705209823", "200705209930"


def write(
    tmp_path: Path, text: str, *, name: str = "export.csv", encoding: str = "utf-8", bom: bool = False
) -> Path:
    p = tmp_path / name
    data = text.encode(encoding)
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return p


def read(tmp_path: Path, text: str, ctx: ReadContext = CTX, **kw) -> dict[str, pd.DataFrame]:
    return read_sis(write(tmp_path, text, **kw), ctx)


def rows(df: pd.DataFrame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r) for r in df.itertuples(index=False)]


def rejects(tmp_path: Path, text: str, ctx: ReadContext = CTX) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        read(tmp_path, text, ctx)
    return info.value


# ------------------------------------------------------------------------------- personnummer


@pytest.mark.parametrize(
    ("raw", "year", "expected"),
    [
        ("20080115-9807", 2024, A),
        ("200801159807", 2024, A),
        ("080115-9807", 2024, A),
        ("0801159807", 2024, A),
        ("750101-9900", 2024, "197501019900"),
        ("750101+9900", 2024, "187501019900"),
        ("20080115-9808", 2024, None),  # wrong check digit
        ("20081315-9807", 2024, None),  # month 13
        ("2008011-9807", 2024, None),
    ],
)
def test_normalise_personnummer(raw, year, expected):
    assert normalise_personnummer(raw, year) == expected


# ------------------------------------------------------------------------------------ elever

ELEVER = """Läsår;Personnummer;Förnamn;Efternamn;Skolenhetskod;Skolform;Årskurs;Kön;Nyanländ;Föräldrars utbildning;Program
2023/24;20080115-9807;Testa;Exempelsson;99992002;GR;9;Flicka;Nej;Eftergymnasial;
2023/24;20080115-9815;Testo;Testberg;99992002;GR;9;Pojke;Ja;Förgymnasial;
2023/24;20070520-9823;Demona;Fiktivdal;99993001;GY;1;F;Nej;;NANAT
2023/24;20070520-9930;Demor;Provqvist;99994001;Komvux;;M;nej;Okänd;
"""
ELEVER_ROWS = [
    (2024, eid(A), "99992002", "GR", 9, "flicka", False, "eftergymnasial", None),
    (2024, eid(B), "99992002", "GR", 9, "pojke", True, "forgymnasial", None),
    (2024, eid(C), "99993001", "GY", 1, "flicka", False, "okand", "NA"),
    (2024, eid(D), "99994001", "VUX", None, "pojke", False, "okand", None),
]


def test_elever_reads_the_expected_rows(tmp_path):
    out = read(tmp_path, ELEVER)
    assert list(out) == ["elever"]
    assert rows(out["elever"]) == ELEVER_ROWS
    validate_table("elever", out["elever"])


def test_names_and_personnummer_never_leave_the_reader(tmp_path):
    df = read(tmp_path, ELEVER)["elever"]
    text = df.astype(str).to_csv()
    for secret in ("Testa", "Exempelsson", "Testberg", "9807", "080115", "20070520"):
        assert secret not in text


def _swap_delimiter(text: str) -> str:
    return text.replace(";", ",")


def _ten_digits(text: str) -> str:
    return text.replace("20080115-", "080115-").replace("20070520-", "070520")


def _pseudonymous(text: str) -> str:
    text = text.replace("Personnummer", "elev_id")
    for p in (A, B, C, D):
        text = text.replace(f"{p[:8]}-{p[8:]}", eid(p))
    return text


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(dict(), id="semicolon-utf8"),
        pytest.param(dict(bom=True), id="bom"),
        pytest.param(dict(encoding="cp1252"), id="cp1252"),
        pytest.param(dict(transform=_swap_delimiter), id="comma"),
        pytest.param(dict(transform=_ten_digits), id="10-digit-personnummer"),
        pytest.param(dict(transform=_pseudonymous), id="pseudonymous-id"),
        pytest.param(dict(transform=lambda t: t.replace("\n", "\r\n")), id="crlf"),
    ],
)
def test_elever_variants_read_identically(tmp_path, variant):
    text = variant.pop("transform", lambda t: t)(ELEVER)
    path = write(tmp_path, text, **variant)
    assert recognise(path).name == "sis_elever"
    assert rows(read_sis(path, CTX)["elever"]) == ELEVER_ROWS


def test_column_mapping_reads_identically_and_is_recognised(tmp_path):
    text = (
        ELEVER.replace("Personnummer", "Personnr")
        .replace("Kön", "Kön (F/P)")
        .replace("Nyanländ", "Ny i Sverige")
    )
    ctx = ReadContext(
        nyckel=KEY,
        kolumnmappning={
            "elever": {"personnummer": "Personnr", "kon": "Kön (F/P)", "nyanland": "Ny i Sverige"}
        },
    )
    path = write(tmp_path, text)
    assert recognise(path, ctx).name == "sis_elever"
    assert rows(read_sis(path, ctx)["elever"]) == ELEVER_ROWS


def test_key_changes_the_pseudonym(tmp_path):
    other = b"\x01" * 32
    df = read(tmp_path, ELEVER, ReadContext(nyckel=other))["elever"]
    assert df["elev_id"].iloc[0] == eid(A, other) != eid(A)


def test_elev_id_holding_a_personnummer_is_rejected(tmp_path):
    err = rejects(tmp_path, ELEVER.replace("Personnummer", "elev_id"))
    assert "row 2, column 'elev_id'" in str(err) and "looks like a personnummer" in str(err)
    assert "9807" not in str(err)  # masked


def test_elever_invalid_values_are_all_collected(tmp_path):
    bad = ELEVER.replace("Flicka;Nej;Eftergymnasial", "Annan;Kanske;Eftergymnasial").replace(
        "2023/24;20070520-9823", "2023/25;20070520-9824"
    )
    err = rejects(tmp_path, bad)
    got = {(f["row"], f["column"]) for f in err.failures}
    assert got == {(2, "Kön"), (2, "Nyanländ"), (4, "Läsår"), (4, "Personnummer")}
    assert all(set(f) == {"file", "row", "column", "value", "expected"} for f in err.failures)
    assert "export.csv, row 2, column 'Kön': 'Annan'" in str(err)


# ------------------------------------------------------------------------------------- betyg

BETYG = """Läsår;Personnummer;Skolenhetskod;Årskurs;Ämne;Betyg
2024;200801159807;99992002;9;MA;C
2024;200801159807;99992002;9;SVA;-
2024;200801159807;99992002;9;M2SPA;a
2024;200801159815;99992002;9;Engelska;F
2021;201101049850;99992001;6;SV;E
"""


def _betyg_rows():
    e = eid("201101049850")
    return [
        (2024, eid(A), "99992002", 9, "MA", "C"),
        (2024, eid(A), "99992002", 9, "SVA", "-"),
        (2024, eid(A), "99992002", 9, "M2", "A"),
        (2024, eid(B), "99992002", 9, "EN", "F"),
        (2021, e, "99992001", 6, "SV", "E"),
    ]


def test_betyg_reads_the_expected_rows(tmp_path):
    # 110104-985?: 2+1+0+1+0+4+(1+8)+8+(1+0) = 26 -> check digit 4; digit 0 is rejected below
    text = BETYG.replace("201101049850", "201101049854")
    out = read(tmp_path, text)["betyg"]
    expected = [r[:1] + ((eid("201101049854"),) if r[0] == 2021 else r[1:2]) + r[2:] for r in _betyg_rows()]
    assert rows(out) == expected
    validate_table("betyg", out)


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        ("9;MA;C", "9;MA;G", "row 2, column 'Betyg'", "old G/VG/MVG scale is not supported"),
        ("9;MA;C", "9;MA;MVG", "row 2, column 'Betyg'", "old G/VG/MVG scale is not supported"),
        ("9;MA;C", "9;MA;X", "row 2, column 'Betyg'", "not a grade on the A-F scale"),
        ("9;SVA;-", "9;MA;B", "row 3, column 'Ämne'", "duplicates row 2"),
        ("2024;200801159815", "1899;200801159815", "row 5, column 'Läsår'", "not a possible läsår"),
        ("99992002;9;MA", "9992002;9;MA", "row 2, column 'Skolenhetskod'", "not a skolenhetskod"),
        ("9;MA;C", "8;MA;C", "row 2, column 'Årskurs'", "not a årskurs"),
        ("9;MA;C", "9;Latin;C", "row 2, column 'Ämne'", "not a grundskola subject"),
    ],
)
def test_betyg_invalid_variants(tmp_path, old, new, where, says):
    text = BETYG.replace("201101049850", "201101049854").replace(old, new, 1)
    err = rejects(tmp_path, text)
    assert f"export.csv, {where}" in str(err)
    assert says in str(err)


def test_betyg_bad_check_digit_is_rejected_masked(tmp_path):
    err = rejects(tmp_path, BETYG)
    assert "row 6, column 'Personnummer'" in str(err) and "'20110104****'" in str(err)


def test_missing_column_names_the_column_and_the_mapping(tmp_path):
    text = "\n".join(";".join(line.split(";")[:3] + line.split(";")[4:]) for line in BETYG.splitlines())
    text = text.replace("201101049850", "201101049854")
    with pytest.raises(DataValidationError) as info:
        read_sis(write(tmp_path, text), CTX, "betyg_gr")
    assert (
        "row 1" in str(info.value)
        and "'arskurs'" in str(info.value)
        and "kolumnmappning.yml" in str(info.value)
    )


def test_row_with_wrong_field_count(tmp_path):
    text = BETYG.replace("201101049850", "201101049854").replace("9;MA;C", "9;MA;C;extra")
    err = rejects(tmp_path, text)
    assert "row 2" in str(err) and "fields" in str(err)


# ---------------------------------------------------------------------------- nationella prov

NP = """lasar,personnummer,skolenhetskod,arskurs,amne,provbetyg
2024,080115-9807,99992002,9,SVA,D
2024,080115-9807,99992002,9,MA,F
2024,080115-9815,99992002,9,EN,B
"""


def test_nationella_prov(tmp_path):
    out = read(tmp_path, NP)["nationella_prov"]
    assert rows(out) == [
        (2024, eid(A), "99992002", 9, "SVA", "D"),
        (2024, eid(A), "99992002", 9, "MA", "F"),
        (2024, eid(B), "99992002", 9, "EN", "B"),
    ]
    err = rejects(tmp_path, NP.replace("MA,F", "MA,-"))
    assert "row 3, column 'provbetyg'" in str(err)


# ------------------------------------------------------------------------------- gymnasieskola

KURS = """Läsår,Personnummer,Skolenhetskod,Program,Kurs,Gymnasiepoäng,Betyg
2024,20070520-9823,99993001,NA,MATMAT01c,100,B
2024,20070520-9823,99993001,NA,FÖRFÖR01,50,E
2023/24,20070520-9930,99993002,BA,BYGBYG01,200,F
"""


def test_kursbetyg_cp1252_comma(tmp_path):
    out = read(tmp_path, KURS, encoding="cp1252")["kursbetyg"]
    assert rows(out) == [
        (2024, eid(C), "99993001", "NA", "MATMAT01c", 100, "B"),
        (2024, eid(C), "99993001", "NA", "FÖRFÖR01", 50, "E"),
        (2024, eid(D), "99993002", "BA", "BYGBYG01", 200, "F"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "col"),
    [
        (",100,B", ",-100,B", "Gymnasiepoäng"),
        (",50,E", ',"50,5",E', "Gymnasiepoäng"),
        (",100,B", ",100,VG", "Betyg"),
    ],
)
def test_kursbetyg_invalid(tmp_path, old, new, col):
    err = rejects(tmp_path, KURS.replace(old, new))
    assert f"column '{col}'" in str(err)


STUDIEVAG = """Personnummer;Skolenhetskod;Program;Startläsår;Slutläsår;Utfall;Meritvärde åk 9
20070520-9823;99993001;NA;2021;2023;Högskoleförberedande examen;287,5
20070520-9930;99993002;BA;2021;2022;Avbrott;
20080115-9807;99993002;VO;2024;;Pågående;190.0
"""


def test_studievag(tmp_path):
    out = read(tmp_path, STUDIEVAG)["gy_studievag"]
    assert rows(out) == [
        (eid(C), "99993001", "NA", 2021, 2023, "hogskoleforberedande_examen", 287.5),
        (eid(D), "99993002", "BA", 2021, 2022, "avbrott", None),
        (eid(A), "99993002", "VO", 2024, None, "pagaende", 190.0),
    ]
    validate_table("gy_studievag", out)
    err = rejects(tmp_path, STUDIEVAG.replace("2024;;Pågående", "2024;2024;Pågående"))
    assert "row 4, column 'Slutläsår'" in str(err)
    err = rejects(tmp_path, STUDIEVAG.replace("2021;2022;Avbrott", "2021;2020;Avbrott"))
    assert "row 3, column 'Slutläsår'" in str(err) and "before startlasar" in str(err)


# --------------------------------------------------------------------------------------- komvux

VUX = """Läsår;Personnummer;Skolenhetskod;Kurs;Kursområde;Poäng;Resultat
2024;750101-9900;99994001;SVESVE01;Gymnasial;100;C
2024;750101-9900;99994001;SFIKURSC;SFI;0;Avbrott
2024;070520-9930;99994001;GRNMAT2;Grundläggande;50;f
"""


def test_vux_kurser(tmp_path):
    out = read(tmp_path, VUX, encoding="cp1252")["vux_kurser"]
    assert rows(out) == [
        (2024, eid("197501019900"), "99994001", "SVESVE01", "gymnasial", 100, "C"),
        (2024, eid("197501019900"), "99994001", "SFIKURSC", "sfi", 0, "avbrott"),
        (2024, eid(D), "99994001", "GRNMAT2", "grundlaggande", 50, "F"),
    ]
    err = rejects(tmp_path, VUX.replace(";100;C", ";100;VG"))
    assert "row 2, column 'Resultat'" in str(err) and "old G/VG/MVG" in str(err)


# -------------------------------------------------------------------------------------- absence


def test_franvaro_minutes_percent_and_share_convert(tmp_path):
    minutes = "Läsår;Personnummer;Skolenhetskod;Frånvaro (minuter);Schemalagd tid (minuter)\n2024;20080115-9807;99992002;3000;60000\n2024;20080115-9815;99992002;0;50000\n"
    percent = "Läsår;Personnummer;Skolenhetskod;Frånvaro (procent)\n2024;20080115-9807;99992002;7,5\n"
    share = "lasar,personnummer,skolenhetskod,franvaro_andel\n2024,20080115-9807,99992002,0.25\n2024,20080115-9815,99992002,12 %\n"
    got = [
        rows(read_sis(write(tmp_path, t, name=f"f{i}.csv"), CTX)["franvaro"])
        for i, t in enumerate((minutes, percent, share))
    ]
    assert got[0] == [(2024, eid(A), "99992002", 0.05), (2024, eid(B), "99992002", 0.0)]
    assert got[1] == [(2024, eid(A), "99992002", 0.075)]
    assert got[2] == [(2024, eid(A), "99992002", 0.25), (2024, eid(B), "99992002", 0.12)]
    err = rejects(tmp_path, minutes.replace("3000;60000", "70000;60000").replace("0;50000", "0;0"))
    assert {(f["row"], f["column"]) for f in err.failures} == {
        (2, "Frånvaro (minuter)"),
        (3, "Schemalagd tid (minuter)"),
    }


# -------------------------------------------------------------------------------------- surveys

ENKAT = """Läsår;Skolenhetskod;Respondent-id;Enkät;Årskurs;Område;Fråga;Svar
2024;99992002;R1;Elevenkät;8;Trygghet;Jag känner mig trygg i skolan;Stämmer helt och hållet
2024;99992002;R1;Elevenkät;8;Studiero;Jag har arbetsro på lektionerna;Stämmer ganska dåligt
2024;99992002;R1;Elevenkät;8;Elevernas inflytande;Lärarna tar hänsyn till elevernas åsikter;Vet ej
2024;99991001;V1;Vårdnadshavarenkät;;Normer och värden;Alla barn behandlas lika;7,5
"""


def test_enkat_scores_answers_and_skips_vet_ej(tmp_path):
    out = read(tmp_path, ENKAT)["enkat"]
    # respondent ids are keyed like pupil ids, in their own domain: HMAC(key, "enkat:" + id)
    r1 = hmac.new(KEY, b"enkat:R1", hashlib.sha256).hexdigest()[:16]
    v1 = hmac.new(KEY, b"enkat:V1", hashlib.sha256).hexdigest()[:16]
    got = rows(out)
    assert [g[:8] for g in got] == [
        (2024, "99992002", r1, "elev", 8, None, "trygghet", "Jag känner mig trygg i skolan"),
        (2024, "99992002", r1, "elev", 8, None, "studiero", "Jag har arbetsro på lektionerna"),
        (2024, "99991001", v1, "vardnadshavare", None, None, "normer_varden", "Alla barn behandlas lika"),
    ]
    assert [g[8] for g in got] == pytest.approx([10.0, 10 / 3, 7.5])
    err = rejects(tmp_path, ENKAT.replace(";7,5", ";11"))
    assert "row 5, column 'Svar'" in str(err)


# ------------------------------------------------------------------------ incidents and staff

AVV = """Ärende-id;Datum;Skolenhetskod;Typ;Beskrivning
AV-1;2023-08-20;99992002;Kränkande behandling;fri text som aldrig läses
AV-2;2024-06-30;99992002;Diskriminering;
AV-3;2024-07-01;99991001;Kränkande behandling;
"""


def test_avvikelser_date_to_lasar_and_free_text_dropped(tmp_path):
    out = read(tmp_path, AVV)["avvikelser"]
    assert rows(out) == [
        (2024, "99992002", "AV-1", "krankande_behandling", "2023-08-20"),
        (2024, "99992002", "AV-2", "diskriminering", "2024-06-30"),
        (2025, "99991001", "AV-3", "krankande_behandling", "2024-07-01"),
    ]  # the date is kept: period reports count incidents by it
    err = rejects(tmp_path, AVV.replace("AV-3", "AV-1"))
    assert "row 4, column 'Ärende-id'" in str(err) and "duplicates row 2" in str(err)


FSP = """Läsår;Skolenhetskod;Antal barn;Årsarbetare;Årsarbetare förskollärarexamen;Antal barngrupper
2024;99991001;90;17,5;7,0;6
2024;99991002;60;12.0;4,5;4
"""


def test_fs_personal(tmp_path):
    out = read(tmp_path, FSP)["fs_personal"]
    assert rows(out) == [(2024, "99991001", 90, 17.5, 7.0, 6), (2024, "99991002", 60, 12.0, 4.5, 4)]
    err = rejects(tmp_path, FSP.replace(";90;", ";-90;").replace("12.0;4,5", "4,0;4,5"))
    assert {(f["row"], f["column"]) for f in err.failures} == {
        (2, "Antal barn"),
        (3, "Årsarbetare förskollärarexamen"),
    }


# --------------------------------------------------------------------------------- riket, units

RIKET = """Läsår;Skolform;Indikator;Grupp;Värde;Antal;Källa
2024;GR;meritvarde_17;Samtliga;228,8;;Skolverket
2024;GR;behorighet_yrkes;Flickor;..;;Skolverket
2023/24;Gymnasieskola;gbp_examen;samtliga;14.2;5000;Skolverket
"""


def test_referens_riket_gives_publicerad_rows(tmp_path):
    out = read(tmp_path, RIKET)["publicerad"]
    assert rows(out) == [
        (
            2024,
            "GR",
            "riket",
            None,
            None,
            "Riket",
            None,
            "meritvarde_17",
            "samtliga",
            228.8,
            None,
            "",
            "Skolverket",
        ),
        (
            2024,
            "GR",
            "riket",
            None,
            None,
            "Riket",
            None,
            "behorighet_yrkes",
            "flickor",
            None,
            None,
            "undertryckt",
            "Skolverket",
        ),
        (
            2024,
            "GY",
            "riket",
            None,
            None,
            "Riket",
            None,
            "gbp_examen",
            "samtliga",
            14.2,
            5000,
            "",
            "Skolverket",
        ),
    ]
    validate_table("publicerad", out)
    err = rejects(tmp_path, RIKET.replace("gbp_examen", "gbp_okand"))
    assert "row 4, column 'Indikator'" in str(err)


UNITS = """Skolenhetskod,Skolenhetsnamn,Skolform,Huvudman,Kommunkod,Årskurser
99992001,Almskolan (fiktiv),Grundskola,Exempelkommun,9999,F-6
99991001,Ekorrens förskola (fiktiv),FS,Exempelkommun,9999,
"""


def test_skolenheter(tmp_path):
    out = read(tmp_path, UNITS)["skolenheter"]
    assert rows(out) == [
        ("99992001", "Almskolan (fiktiv)", "GR", "Exempelkommun", "9999", "F-6"),
        ("99991001", "Ekorrens förskola (fiktiv)", "FS", "Exempelkommun", "9999", None),
    ]
    err = rejects(tmp_path, UNITS + "99992001,Almskolan igen,GR,Exempelkommun,9999,F-6\n")
    assert "row 4" in str(err) and "duplicates row 2" in str(err)


@pytest.mark.parametrize(
    ("text", "source"),
    [
        (ELEVER, "sis_elever"),
        (BETYG, "sis_betyg_gr"),
        (NP, "sis_nationella_prov"),
        (KURS, "sis_kursbetyg_gy"),
        (STUDIEVAG, "sis_studievag_gy"),
        (VUX, "sis_vux_kurser"),
        (ENKAT, "sis_enkat"),
        (AVV, "sis_avvikelser"),
        (FSP, "sis_fs_personal"),
        (RIKET, "sis_referens_riket"),
        (UNITS, "sis_skolenheter"),
    ],
)
def test_recognised_by_content_not_name(tmp_path, text, source):
    assert recognise(write(tmp_path, text, name="what-ever.csv")).name == source


def test_no_sis_reader_claims_a_published_real_file(realdata):
    from pipeline.ingest.sources import list_raw_files

    data, _ = list_raw_files(realdata)
    claimed = [p.name for p in data if recognise(p).name.startswith("sis_")]
    assert claimed == []


def _luhn(nine: str) -> str:
    total = sum(
        (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 == 0 else d for i, d in enumerate(map(int, nine))
    )
    return str((10 - total % 10) % 10)


@settings(max_examples=60, deadline=None)
@given(
    birth=st.dates(min_value=date(1930, 1, 1), max_value=date(2019, 12, 31)),
    serial=st.integers(min_value=0, max_value=999),
)
def test_every_shape_of_a_personnummer_gives_the_same_pseudonym(birth, serial):
    nine = birth.strftime("%y%m%d") + f"{serial:03d}"
    tail = f"{serial:03d}" + _luhn(nine)
    full = birth.strftime("%Y%m%d") + tail
    shapes = [full, f"{full[:8]}-{tail}", f"{full[2:8]}-{tail}", full[2:]]
    assert {normalise_personnummer(s, 2024) for s in shapes} == {full}


# ------------------------------------------------------- programmes from params/gymnasieprogram.yml

STUDIEVAG_NYA = """Personnummer;Skolenhetskod;Program;Startläsår;Slutläsår;Utfall;Meritvärde åk 9
20070520-9823;99993001;HA;2021;2024;Yrkesexamen;
20070520-9930;99993001;FS;2023;;Pågående;
20080115-9807;99993002;HVFRI;2023;;Pågående;201,0
20080115-9815;99993002;Försäljnings- och serviceprogrammet;2024;;Pågående;
"""


def test_renamed_and_new_programmes_are_known_from_the_params_table(tmp_path):
    """Hand-made: HA's last pupil beside FS (its successor from 2022/23), Hantverksprogrammet with
    an inriktning suffix (HVFRI -> HV) and FS written out by name. Every code comes from
    params/gymnasieprogram.yml; the expected codes are the table's rows for these names."""
    out = read(tmp_path, STUDIEVAG_NYA)["gy_studievag"]
    assert list(out["program"]) == ["HA", "FS", "HV", "FS"]
    err = rejects(tmp_path, STUDIEVAG_NYA.replace(";HVFRI;", ";XQ;"))
    assert "row 4, column 'Program'" in str(err) and "is not a programme code" in str(err)


def test_the_reader_knows_exactly_the_codes_of_the_params_table():
    from pipeline.ingest import sis
    from pipeline.ingest.program import programmes

    codes, by_name = sis._gy_programmes()
    assert codes == set(programmes())
    # 19 codes in the table (18 Gy11 programmes + FS), none of them hard-coded in the reader
    assert len(codes) == 19 and {"FS", "HV", "HA"} <= codes
    assert "GY_PROGRAM" not in vars(sis)
    assert by_name["handelsochadministrationsprogrammet"] == "HA"
    assert sis._program("Hantverksprogrammet") == "HV"
    assert sis._program("IMYRK") == "IMYRK"
    assert sis._program("Okänt programmet") is None
