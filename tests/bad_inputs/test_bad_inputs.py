"""The bad-input corpus: malformed inputs, each run through the real CLI entry point in-process.

Every case starts from a copy of a tiny valid project (``project.py``) that has been ingested
once, so ``data/processed/`` and ``reports/2024/`` exist; it breaks one input (a raw file, a params
file, a CLI argument) and runs ``pipeline.cli.main([...])``. Each case asserts:

- exit code 2 (bad input or configuration);
- the message on stderr names the file and the row/column (or the YAML key, or the CLI option)
  — the case lists the exact fragments — and says how to fix it (an imperative such as "add",
  "use", "map", "quote", "remove", "save", "write", "download");
- nothing was written to ``data/processed/`` or ``reports/`` (digests before and after).

National files (Skolverket, Kolada, Skolenkäten, the skolenhetsregister) are mutated at test
time from ``../shared/realdata``; no copy of them is kept in the repository.

Written analyses (``params/analyser/<YEAR>/*.md``) are checked by the functions the report build
calls (:func:`pipeline.publishing.analyses.check_analyses`, ``load_analysis``): a full report build
runs every notebook and is too slow for a corpus; see ``test_analysis``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import resource
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from pipeline import cli
from tests.bad_inputs.project import FILES, PUPILS, SMALL, digest, pnr, write_project
from tests.conftest import REALDATA

#: An instruction in the message: what the user should do.
FIX = re.compile(
    r"\b(add|use|map|quote|remove|save|write|give|put|move|rename|correct|download|fetch|export|create|merge)\b",
    re.IGNORECASE,
)

#: What was expected, in the message: "expected ...", or the rule that was broken.
EXPECTED = re.compile(
    r"\b(expect\w*|must|should|only|at most|at least|not allowed|never|one of)\b", re.IGNORECASE
)

#: Cases whose message (written outside the SIS readers and params loading: the raw-folder
#: recognition, the unit cross-check, the CLI, the national readers' table check) names the rule
#: without the word "expected"; the check applies to every other case.
NO_EXPECTED_WORD = frozenset(
    {
        "sis-bytes-invalid-in-utf8-and-cp1252",
        "sis-empty-file-0-bytes",
        "unit-not-in-register",
        "fs-unit-not-in-register",
        "cli-data-folder-missing",
        "cli-year-without-data",
        "skolverket-csv-utf16",
        "kolada-impossible-year",
    }
)

SIS = "data/raw/sis"


# ------------------------------------------------------------------------------------ helpers


def run_cli(argv: list[str]) -> tuple[int, str]:
    """Run ``pipeline.cli.main`` in-process; return (exit code, stderr). argparse exits via SystemExit."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse rejects an option before main's own handling
            code = exc.code if isinstance(exc.code, int) else 2
    return code, err.getvalue()


#: The address space a case may add to the test process: a reader that loads a 2 GB file or
#: unpacks a zip bomb hits it (MemoryError, a traceback, not exit 2), so each case proves that the
#: refusal came before the input was read. The CLI runs in-process (a subprocess per case costs an
#: import of pandas each, minutes on a loaded machine); the limit is a soft RLIMIT_AS, restored after.
MEMORY_HEADROOM = 1024**3


def _address_space() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def bounded_memory(headroom: int = MEMORY_HEADROOM):
    """Limit the address space of this process to its current size plus ``headroom``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + headroom
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run_cli_bounded(argv: list[str]) -> tuple[int, str]:
    """:func:`run_cli` with at most :data:`MEMORY_HEADROOM` more address space; a MemoryError (the
    input was read before it was refused) is returned as exit 1 with the traceback."""
    import traceback

    try:
        with bounded_memory():
            return run_cli(argv)
    except MemoryError:
        return 1, "MemoryError: the input was read before it was refused\n" + traceback.format_exc()


def edit(root: Path, rel: str, fn: Callable[[str], str]) -> None:
    p = root / rel
    if not p.exists():  # a valid file that is not in the base project: add it first
        p.write_text(FILES[rel.removeprefix("data/raw/")], encoding="utf-8")
    p.write_text(fn(p.read_text(encoding="utf-8")), encoding="utf-8")


def replace_line(root: Path, rel: str, lineno: int, new: str) -> None:
    """Replace line ``lineno`` (1-based, as in an editor) of a text file."""

    def fn(text: str) -> str:
        lines = text.split("\n")
        lines[lineno - 1] = new
        return "\n".join(lines)

    edit(root, rel, fn)


def line_of(name: str, lineno: int) -> str:
    """Line ``lineno`` (1-based) of the valid file ``sis/<name>``."""
    return FILES[f"sis/{name}"].split("\n")[lineno - 1]


def append_line(root: Path, rel: str, line: str) -> None:
    edit(root, rel, lambda t: t + line + "\n")


def need_realdata() -> None:
    if not REALDATA.is_dir():
        pytest.skip(f"{REALDATA} not found: the national-file cases mutate the real files")


@dataclass
class Case:
    """One malformed input: ``setup(root)`` breaks the copy and returns the CLI arguments."""

    id: str
    setup: Callable[[Path], list[str]]
    where: tuple[str, ...]  # fragments the message must contain (file, row, column, key, value)
    xfail: str | None = None
    not_in: tuple[str, ...] = ()  # fragments the message must not contain


def ingest(root: Path) -> list[str]:
    return ["--root", str(root), "ingest"]


CASES: list[Case] = []


def case(id: str, *where: str, xfail: str | None = None, not_in: tuple[str, ...] = ()):
    def deco(fn: Callable[[Path], list[str] | None]):
        def setup(root: Path) -> list[str]:
            return fn(root) or ingest(root)

        CASES.append(Case(id, setup, where, xfail, not_in))
        return fn

    return deco


# ------------------------------------------------------------------------ SIS exports: encoding


@case("sis-utf16", "elever_2024.csv", "UTF-8")
def _(root):
    # Excel's "Unicode text": UTF-16 with BOM (and NUL bytes everywhere)
    p = root / SIS / "elever_2024.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode("utf-16"))


@case("sis-bytes-invalid-in-utf8-and-cp1252", "elever_2024.csv", "row 3", "UTF-8")
def _(root):
    # 0x81 and 0x8D are undefined in cp1252 and invalid in UTF-8
    p = root / SIS / "elever_2024.csv"
    lines = p.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"Testa", b"Te\x81\x8dsta")
    p.write_bytes(b"\n".join(lines))


# --------------------------------------------------------------------- SIS exports: structure


@case("sis-missing-column", "betyg_2024.csv", "row 1", "'arskurs'", "kolumnmappning")
def _(root):
    edit(
        root,
        f"{SIS}/betyg_2024.csv",
        lambda t: "\n".join(
            ";".join(c for i, c in enumerate(line.split(";")) if i != 3) if line else line
            for line in t.split("\n")
        ),
    )


@case(
    "sis-renamed-column-without-mapping",
    "elever_2024.csv",
    "row 1",
    "'foraldrars_utbildning'",
    "kolumnmappning",
)
def _(root):
    edit(
        root,
        f"{SIS}/elever_2024.csv",
        lambda t: t.replace("Föräldrars utbildning", "Vårdnadshavares utb.nivå", 1),
    )


@case(
    "sis-mapping-to-absent-header",
    "betyg_2024.csv",
    "'arskurs' (mapped to 'Årskurs (6/9)')",
    "kolumnmappning",
)
def _(root):
    # the mapping names a header the export does not have
    (root / "params" / "kolumnmappning.yml").write_text(
        "betyg_gr:\n  arskurs: Årskurs (6/9)\n", encoding="utf-8"
    )


@case("sis-empty-file-0-bytes", "betyg_2024.csv", "empty")
def _(root):
    (root / SIS / "betyg_2024.csv").write_bytes(b"")


@case("sis-header-only", "betyg_2024.csv", "row 2", "no data rows")
def _(root):
    edit(root, f"{SIS}/betyg_2024.csv", lambda t: t.split("\n")[0] + "\n")


@case("sis-truncated-last-row", "betyg_2024.csv", "row 23", "fields")
def _(root):
    # the export was cut mid-row (22 lines + a half one)
    edit(root, f"{SIS}/betyg_2024.csv", lambda t: t + f"2024;{SMALL[0]};11140002")


@case("sis-truncated-file-mid-field", "elever_2024.csv", "row 10", "fields")
def _(root):
    edit(root, f"{SIS}/elever_2024.csv", lambda t: t.rstrip("\n")[:-25])


# ------------------------------------------------------------------------ SIS exports: values


@case("grade-H", "betyg_2024.csv", "row 2", "column 'Betyg'", "'H'")
def _(root):
    replace_line(root, f"{SIS}/betyg_2024.csv", 2, line_of("betyg_2024.csv", 2)[:-1] + "H")


@case("grade-5", "betyg_2024.csv", "row 4", "column 'Betyg'", "'5'")
def _(root):
    replace_line(root, f"{SIS}/betyg_2024.csv", 4, line_of("betyg_2024.csv", 4)[:-1] + "5")


@case("grade-old-VG", "betyg_2024.csv", "row 3", "column 'Betyg'", "G/VG/MVG")
def _(root):
    replace_line(root, f"{SIS}/betyg_2024.csv", 3, line_of("betyg_2024.csv", 3)[:-1] + "VG")


@case("provbetyg-old-MVG", "nationella_prov_2024.csv", "row 2", "column 'Provbetyg'", "G/VG/MVG")
def _(root):
    replace_line(
        root, f"{SIS}/nationella_prov_2024.csv", 2, line_of("nationella_prov_2024.csv", 2)[:-1] + "MVG"
    )


@case("provbetyg-dash", "nationella_prov_2024.csv", "row 3", "column 'Provbetyg'", "no row")
def _(root):
    replace_line(
        root, f"{SIS}/nationella_prov_2024.csv", 3, line_of("nationella_prov_2024.csv", 3)[:-1] + "-"
    )


@case("duplicate-pupil-subject", "betyg_2024.csv", "row 23", "duplicates row 2")
def _(root):
    append_line(root, f"{SIS}/betyg_2024.csv", line_of("betyg_2024.csv", 2)[:-1] + "C")


@case("duplicate-pupil-in-elever", "elever_2024.csv", "row 11", "duplicates row 2")
def _(root):
    append_line(root, f"{SIS}/elever_2024.csv", line_of("elever_2024.csv", 2))


@case("fs-negative-count", "forskola_personal.csv", "row 2", "column 'Antal barn'", "'-5'")
def _(root):
    edit(root, f"{SIS}/forskola_personal.csv", lambda t: t.replace(";62;", ";-5;"))


@case("fs-non-numeric-count", "forskola_personal.csv", "row 2", "column 'Antal barngrupper'", "'fyra'")
def _(root):
    edit(root, f"{SIS}/forskola_personal.csv", lambda t: t.replace(";4,9;4\n", ";4,9;fyra\n"))


@case("fs-fractional-count", "forskola_personal.csv", "row 2", "column 'Antal barn'", "whole number")
def _(root):
    edit(root, f"{SIS}/forskola_personal.csv", lambda t: t.replace(";62;", ";62,5;"))


@case(
    "fs-more-qualified-than-staff",
    "forskola_personal.csv",
    "row 2",
    "column 'Årsarbetare förskollärarexamen'",
)
def _(root):
    edit(root, f"{SIS}/forskola_personal.csv", lambda t: t.replace(";4,9;", ";14,9;"))


@case("fs-duplicate-unit-year", "forskola_personal.csv", "row 3", "duplicates row 2")
def _(root):
    append_line(root, f"{SIS}/forskola_personal.csv", "2024;11140001;60;12;4;4")


@case("lasar-1850", "betyg_2024.csv", "row 2", "column 'Läsår'", "'1850'")
def _(root):
    replace_line(root, f"{SIS}/betyg_2024.csv", 2, "1850" + line_of("betyg_2024.csv", 2)[4:])


@case("lasar-2300", "elever_2024.csv", "row 5", "column 'Läsår'", "'2299/00'")
def _(root):
    replace_line(root, f"{SIS}/elever_2024.csv", 5, "2299/00" + line_of("elever_2024.csv", 5)[7:])


@case("lasar-2300-fs", "forskola_personal.csv", "row 2", "column 'Läsår'", "'2300'")
def _(root):
    edit(root, f"{SIS}/forskola_personal.csv", lambda t: t.replace("\n2024;", "\n2300;"))


@case("lasar-not-consecutive", "elever_2024.csv", "row 2", "column 'Läsår'", "'2023/25'")
def _(root):
    replace_line(root, f"{SIS}/elever_2024.csv", 2, "2023/25" + line_of("elever_2024.csv", 2)[7:])


@case("personnummer-bad-check-digit", "betyg_2024.csv", "row 8", "column 'Personnummer'", "****")
def _(root):
    bad = PUPILS[2][:-1] + str((int(PUPILS[2][-1]) + 1) % 10)
    replace_line(root, f"{SIS}/betyg_2024.csv", 8, line_of("betyg_2024.csv", 8).replace(PUPILS[2], bad))


@case("personnummer-impossible-date", "elever_2024.csv", "row 3", "column 'Personnummer'", "****")
def _(root):
    bad = pnr("20081315", "902")  # month 13, valid check digit
    replace_line(root, f"{SIS}/elever_2024.csv", 3, line_of("elever_2024.csv", 3).replace(PUPILS[1], bad))


@case("elev-id-is-a-personnummer", "nationella_prov_2024.csv", "row 2", "column 'Elev-id'", "personnummer")
def _(root):
    edit(root, f"{SIS}/nationella_prov_2024.csv", lambda t: t.replace("Personnummer", "Elev-id", 1))


@case("skolenhetskod-lost-leading-digit", "betyg_2024.csv", "row 20", "column 'Skolenhetskod'", "'1114002'")
def _(root):
    replace_line(
        root, f"{SIS}/betyg_2024.csv", 20, line_of("betyg_2024.csv", 20).replace("11140002", "1114002")
    )


@case("franvaro-above-scheduled", "franvaro_2024.csv", "row 4", "column 'Frånvaro (minuter)'")
def _(root):
    replace_line(
        root, f"{SIS}/franvaro_2024.csv", 4, line_of("franvaro_2024.csv", 4).replace(";300;", ";30000;")
    )


@case("riket-unknown-indicator", "riket_referensvarden.csv", "row 2", "column 'Indikator'", "'meritvärde'")
def _(root):
    edit(root, f"{SIS}/riket_referensvarden.csv", lambda t: t.replace(";meritvarde_17;", ";meritvärde;"))


@case("skolform-unknown", "skolenheter.csv", "row 3", "column 'Skolform'", "'Grundsärskola'")
def _(root):
    edit(
        root,
        f"{SIS}/skolenheter.csv",
        lambda t: t.replace(";GR;Testkommun;0114;F-6", ";Grundsärskola;Testkommun;0114;F-6"),
    )


def write_sis(root: Path, name: str, text: str, encoding: str = "utf-8") -> None:
    (root / SIS / name).write_bytes(text.encode(encoding))


@case("kursbetyg-poang-not-a-number", "kursbetyg_gy.csv", "row 3", "column 'Gymnasiepoäng'", "'100p'")
def _(root):
    # cp1252, as Excel's plain "CSV" writes it: the reader must still name the column correctly
    write_sis(
        root,
        "kursbetyg_gy.csv",
        (
            "Läsår,Personnummer,Skolenhetskod,Program,Kurs,Gymnasiepoäng,Betyg\n"
            f"2024,{PUPILS[0]},11140003,NA,MATMAT01c,100,C\n"
            f"2024,{PUPILS[0]},11140003,NA,ENGENG05,100p,B\n"
        ),
        encoding="cp1252",
    )


@case("studievag-ends-before-start", "studievagar.csv", "row 2", "column 'Slutläsår'", "before startlasar")
def _(root):
    write_sis(
        root,
        "studievagar.csv",
        (
            "Personnummer;Skolenhetskod;Program;Startläsår;Slutläsår;Utfall;Meritvärde åk 9\n"
            f"{PUPILS[0]};11140003;NA;2022/23;2020/21;Högskoleförberedande examen;255\n"
        ),
    )


@case("vux-old-grade-IG", "vux_kurser.csv", "row 2", "column 'Resultat'", "'IG'")
def _(root):
    write_sis(
        root,
        "vux_kurser.csv",
        (
            "Läsår;Personnummer;Skolenhetskod;Kurs;Kursområde;Poäng;Resultat\n"
            f"2024;{PUPILS[0]};11140003;SVESVE01;Gymnasial;100;IG\n"
        ),
    )


@case("enkat-answer-not-on-scale", "elevenkat.csv", "row 3", "column 'Svar'", "'Ibland'")
def _(root):
    write_sis(
        root,
        "elevenkat.csv",
        (
            "Läsår;Skolenhetskod;Respondent-id;Enkät;Område;Fråga;Svar\n"
            "2024;11140003;r1;Elevenkät;Trygghet;Jag känner mig trygg i skolan;Stämmer helt och hållet\n"
            "2024;11140003;r2;Elevenkät;Trygghet;Jag känner mig trygg i skolan;Ibland\n"
        ),
    )


@case("avvikelse-impossible-date", "avvikelser.csv", "row 2", "column 'Datum'", "'2024-13-01'")
def _(root):
    write_sis(
        root,
        "avvikelser.csv",
        (
            "Ärende-id;Datum;Skolenhetskod;Typ;Beskrivning\n"
            "A-1;2024-13-01;11140003;Kränkande behandling;fritext som aldrig läses\n"
        ),
    )


# ------------------------------------------------------------- units: register and cross-checks


@case("unit-not-in-register", "betyg_2024.csv", "skolenhetskod", "'11149999'", "skolenheter")
def _(root):
    append_line(root, f"{SIS}/betyg_2024.csv", f"2024;{SMALL[0]};11149999;6;EN;C")


@case("fs-unit-not-in-register", "forskola_personal.csv", "skolenhetskod", "'11148888'")
def _(root):
    append_line(root, f"{SIS}/forskola_personal.csv", "2024;11148888;20;4;2;1")


@case("unit-twice-same-form", "skolenheter.csv", "row 5", "duplicates row 3")
def _(root):
    append_line(root, f"{SIS}/skolenheter.csv", "11140002;Almskolan (fiktiv);GR;Testkommun;0114;F-3")


@case(
    "unit-in-two-forms-forskola-and-grundskola", "skolenheter.csv", "row 5", "column 'Skolform'", "'11140002'"
)
def _(root):
    # a förskola is not a skolenhet: the same code cannot be both FS and GR
    append_line(root, f"{SIS}/skolenheter.csv", "11140002;Almskolans förskola (fiktiv);FS;Testkommun;0114;")


@case(
    "unit-in-two-forms-contradicting-huvudman",
    "skolenheter.csv",
    "row 5",
    "column 'Huvudman'",
    "contradicts row 4",
)
def _(root):
    append_line(root, f"{SIS}/skolenheter.csv", "11140003;Björkskolan 7-9 (fiktiv);GY;Friskolan AB;0114;1-3")


# ------------------------------------------------------------------ national files (real, mutated)

K6_CSV = "skolverket_kommun/Grundskola - Betyg årskurs 6, andel som fått godkänt betyg (A-E), samtliga elever 2024 Kommun.csv"
K6_XLSX = "skolverket_kommun/Grundskola - Betyg årskurs 6, andel som fått godkänt betyg (A-E), per kön 2025 Kommun.xlsx"
KOLADA = "kolada/2024-12-12_KOLADA_data_raw.parquet"
VASBY = "Upplands Väsby;0114;Stockholms län;01;Kommunal;265;15,0;58,1"


def _real_text(rel: str) -> str:
    need_realdata()
    return (REALDATA / rel).read_text(encoding="utf-8-sig")


def _put(root: Path, name: str, text: str, *, bom: bool = True) -> None:
    (root / "data" / "raw" / name).write_text(("\ufeff" if bom else "") + text, encoding="utf-8")


@case("skolverket-csv-header-column-removed", "sk6.csv", "line 7", "fields", "Download")
def _(root):
    text = _real_text(K6_CSV)
    _put(
        root,
        "sk6.csv",
        text.replace(
            "Kommun;Kommun-kod;Län;Läns-kod;Typ av huvudman;Antal elever;",
            "Kommun;Kommun-kod;Län;Läns-kod;Typ av huvudman;",
            1,
        ),
    )


@case(
    "skolverket-csv-non-numeric",
    "sk6.csv",
    "line 630",
    "column 'Andel (%) elever som fått godkänt betyg i alla ämnen'",
    "'femtio'",
)
def _(root):
    text = _real_text(K6_CSV)
    assert VASBY in text
    _put(root, "sk6.csv", text.replace(VASBY, VASBY.replace("58,1", "femtio")))


@case("skolverket-csv-truncated", "sk6.csv", "line 630", "truncated")
def _(root):
    text = _real_text(K6_CSV)
    _put(root, "sk6.csv", text[: text.index(VASBY) + 50])


@case("skolverket-csv-utf16", "sk6.csv", "UTF-8")
def _(root):
    (root / "data" / "raw" / "sk6.csv").write_bytes(_real_text(K6_CSV).encode("utf-16"))


def _k6_workbook():
    need_realdata()
    import openpyxl

    return openpyxl.load_workbook(REALDATA / K6_XLSX)


@case("skolverket-xlsx-extra-header-row-under-header", "sk6.xlsx", "sheet 'Statistik'", "F9", "'antal'")
def _(root):
    wb = _k6_workbook()
    ws = wb["Statistik"]
    ws.insert_rows(9)  # a second header row (units of measure) under the real header
    for j in range(6, 16):
        ws.cell(9, j, "antal" if j in (6, 11) else "%")
    wb.save(root / "data" / "raw" / "sk6.xlsx")


@case(
    "skolverket-xlsx-repeated-header-row",
    "sk6.xlsx",
    "sheet 'Statistik'",
    "row 9",
    "'Kommun-kod'",
)
def _(root):
    wb = _k6_workbook()
    ws = wb["Statistik"]
    header = [c.value for c in ws[8]]
    ws.insert_rows(9)
    for j, v in enumerate(header, start=1):
        ws.cell(9, j, v)
    wb.save(root / "data" / "raw" / "sk6.xlsx")


@case(
    "skolverket-xlsx-extra-rows-above-title",
    "sk6.xlsx",
    "sheet 'Statistik'",
    "row",
    not_in=("not recognised as any known source",),
)
def _(root):
    wb = _k6_workbook()
    ws = wb["Statistik"]
    ws.insert_rows(1, 3)
    ws.cell(1, 1, "Exporterad av: Kvalitetsenheten")
    wb.save(root / "data" / "raw" / "sk6.xlsx")


def _kolada(filter_kommun: str = "0114") -> pd.DataFrame:
    need_realdata()
    df = pd.read_parquet(REALDATA / KOLADA)
    return df[df["municipality_id"] == filter_kommun].reset_index(drop=True)


@case("kolada-value-wrong-dtype", "kolada.parquet", "column 'value'", "'hög'")
def _(root):
    df = _kolada()
    df["value"] = df["value"].map(lambda v: None if pd.isna(v) else str(v))  # text, not double
    i = df.index[(df["kpi"] == "N15428") & df["value"].notna()][0]
    df.loc[i, "value"] = "hög"
    df.to_parquet(root / "data" / "raw" / "kolada.parquet", index=False)


@case(
    "kolada-year-wrong-dtype",
    "kolada.parquet",
    "column 'year'",
    "'2024/25'",
)
def _(root):
    df = _kolada()
    df["year"] = df["year"].astype(str)
    i = df.index[df["kpi"] == "N15428"][0]
    df.loc[i, "year"] = "2024/25"
    df.to_parquet(root / "data" / "raw" / "kolada.parquet", index=False)


@case("kolada-impossible-year", "kolada.parquet", "'lasar'", "'1850'")
def _(root):
    df = _kolada()
    i = df.index[df["kpi"] == "N15428"][0]
    df.loc[i, "year"] = 1850
    df.to_parquet(root / "data" / "raw" / "kolada.parquet", index=False)


@case(
    "kolada-missing-column",
    "kolada.parquet",
    "'gender'",
    not_in=("not recognised as any known source",),
)
def _(root):
    _kolada().drop(columns=["gender"]).to_parquet(root / "data" / "raw" / "kolada.parquet", index=False)


def _zip_copy(src: Path, dst: Path, fn: Callable[[str, bytes], bytes]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, fn(item.filename, zin.read(item.filename)))


@case(
    "skolenkaten-missing-sheet",
    "enkat.xlsx",
    "'Resultat",
    not_in=("not recognised as any known source",),
)
def _(root):
    need_realdata()
    src = REALDATA / "skolenkaten" / "excelrapport-elever-grundskola-ak-8-2022.xlsx"
    _zip_copy(
        src,
        root / "data" / "raw" / "enkat.xlsx",
        lambda name, data: (
            data.replace("Resultat elever åk 8 2022".encode(), b"Blad1")
            if name == "xl/workbook.xml"
            else data
        ),
    )


def _first_rows(xml: bytes, n: int) -> bytes:
    """A worksheet's XML with only its first ``n`` rows (keeps the mutated copies small and fast)."""
    start = xml.find(b"<sheetData>")
    end = xml.find(b"</sheetData>")
    if start < 0 or end < 0:
        return xml
    cut = start
    for _ in range(n):
        nxt = xml.find(b"</row>", cut, end)
        if nxt < 0:
            return xml
        cut = nxt + len(b"</row>")
    return xml[:cut] + xml[end:]


_SI = re.compile(rb"<si>.*?</si>", re.DOTALL)
_SHARED_CELL = re.compile(rb'(<c [^>]*t="s"[^>]*>\s*<v>)(\d+)(</v>)')


def _small_workbook(src: Path, dst: Path, rows: int, fn: Callable[[str, bytes], bytes]) -> None:
    """Copy a real workbook keeping the first ``rows`` rows of every sheet and only the shared
    strings they use (the register has 100 000 strings; a mutated copy must stay fast to read)."""
    with zipfile.ZipFile(src) as zin:
        parts = {i.filename: zin.read(i.filename) for i in zin.infolist()}
        infos = zin.infolist()
    strings = _SI.findall(parts["xl/sharedStrings.xml"])
    new_index: dict[int, int] = {}
    for name in parts:
        if name.startswith("xl/worksheets/sheet"):
            parts[name] = _first_rows(parts[name], rows)
            for m in _SHARED_CELL.finditer(parts[name]):
                new_index.setdefault(int(m.group(2)), len(new_index))
    for name in parts:
        if name.startswith("xl/worksheets/sheet"):
            parts[name] = _SHARED_CELL.sub(
                lambda m: m.group(1) + str(new_index[int(m.group(2))]).encode() + m.group(3), parts[name]
            )
    kept = sorted(new_index, key=new_index.get)
    sst = parts["xl/sharedStrings.xml"]
    head = sst[: sst.find(b">", sst.find(b"<sst")) + 1]
    head = re.sub(rb'(count|uniqueCount)="\d+"', lambda m: m.group(1) + f'="{len(kept)}"'.encode(), head)
    parts["xl/sharedStrings.xml"] = head + b"".join(strings[i] for i in kept) + b"</sst>"
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in infos:
            zout.writestr(info, fn(info.filename, parts[info.filename]))


@case("skolenhetsregister-missing-column", "register.xlsx", "sheet 'Grundskola'", "row 1", "'SKOLENHETSKOD'")
def _(root):
    need_realdata()
    src = REALDATA / "skolenhetsregistret" / "Skolenhetsregistret.xlsx"
    _small_workbook(
        src,
        root / "data" / "raw" / "register.xlsx",
        40,
        lambda name, data: (
            data.replace(b">SKOLENHETSKOD<", b">SKOLENHETS-ID<") if name == "xl/sharedStrings.xml" else data
        ),
    )


@case("skolenhetsregister-bad-code", "register.xlsx", "sheet 'Grundskola'", "'SKOLENHETSKOD'", "'1234X678'")
def _(root):
    # the same small copy, valid but for one unit code of the huvudman's kommun (0114) that is not 8 digits
    need_realdata()
    src = REALDATA / "skolenhetsregistret" / "Skolenhetsregistret.xlsx"
    dst = root / "data" / "raw" / "register.xlsx"
    _small_workbook(src, dst, 40, lambda name, data: data)
    import openpyxl

    wb = openpyxl.load_workbook(dst)
    ws = wb["Grundskola"]
    header = [c.value for c in ws[1]]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "Kommunal")
    ws.cell(row, header.index("KOMMUN") + 1, "0114")
    ws.cell(row, header.index("SKOLENHETSKOD") + 1, "1234X678")
    wb.save(dst)


@case("skolverket-api-truncated-line", "api.jsonl", "line 3", "truncated")
def _(root):
    need_realdata()
    lines = (
        (REALDATA / "skolverket_api_v4" / "statistics_gr_lan01-09.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    keep = lines[:3]
    keep[-1] = keep[-1][: len(keep[-1]) // 2]
    _put(root, "api.jsonl", "\n".join(keep) + "\n", bom=False)


@case("skolverket-gy-row-with-fewer-fields", "gy.csv", "line 11", "truncated")
def _(root):
    lines = _real_text("skolverket_gymnasium_kungsbacka/slutbetyg-gymnasiet-2023-24.csv").split("\n")
    lines[10] = ";".join(lines[10].split(";")[:12])
    _put(root, "gy.csv", "\n".join(lines), bom=False)


# --------------------------------------------------------------------------------- params (YAML)


def _params(root: Path, name: str, text: str) -> None:
    (root / "params" / name).write_text(text, encoding="utf-8")


HUVUDMAN_OK = "namn: Testkommun (fiktiv)\nkommunkod: '0114'\ntyp: kommun\nfiktiv: true\n"


@case("yaml-kommunkod-unquoted", "huvudman.yml", "'kommunkod'", "quotes")
def _(root):
    _params(root, "huvudman.yml", HUVUDMAN_OK.replace("'0114'", "0114"))


@case("yaml-jamforelsegrupp-unquoted", "huvudman.yml", "'jamforelsegrupp", "quotes")
def _(root):
    _params(root, "huvudman.yml", HUVUDMAN_OK + "jamforelsegrupp: [0114, '0186']\n")  # 0114 -> 76


@case("yaml-unknown-key", "huvudman.yml", "'kommun_kod'", "remove it")
def _(root):
    _params(root, "huvudman.yml", HUVUDMAN_OK + "kommun_kod: '0114'\n")


@case("yaml-unknown-key-installningar", "installningar.yml", "'undertryck_min'", "remove it")
def _(root):
    _params(root, "installningar.yml", "undertryck_min: 10\n")


@case("yaml-wrong-type-installningar", "installningar.yml", "'undertryck_min_antal'", "'tio'")
def _(root):
    _params(root, "installningar.yml", "undertryck_min_antal: tio\n")


@case("yaml-out-of-range-installningar", "installningar.yml", "'signifikansniva'")
def _(root):
    _params(root, "installningar.yml", "signifikansniva: 5\n")


@case("yaml-wrong-literal-typ", "huvudman.yml", "'typ'", "'kommunal'")
def _(root):
    _params(root, "huvudman.yml", HUVUDMAN_OK.replace("typ: kommun", "typ: kommunal"))


@case("yaml-mal-wrong-type", "mal.yml", "'mal.0.varde'", "'hög'")
def _(root):
    _params(root, "mal.yml", "mal:\n  - indikator: meritvarde_17\n    skolform: GR\n    varde: hög\n")


@case("yaml-kolumnmappning-not-text", "kolumnmappning.yml", "'betyg_gr.betyg'")
def _(root):
    _params(root, "kolumnmappning.yml", "betyg_gr:\n  betyg: [Betyg, Slutbetyg]\n")


@case("yaml-syntax-error", "huvudman.yml", "line 3")
def _(root):
    _params(root, "huvudman.yml", "namn: Testkommun\nkommunkod: '0114'\n\ttyp: kommun\n")


@case("yaml-not-utf8", "huvudman.yml", "UTF-8")
def _(root):
    (root / "params" / "huvudman.yml").write_bytes(HUVUDMAN_OK.replace("Testkommun", "Täby").encode("cp1252"))


@case("yaml-huvudman-missing", "huvudman.yml", "not found")
def _(root):
    (root / "params" / "huvudman.yml").unlink()


# --------------------------------------------------------------------------------- CLI arguments


@case("cli-year-not-a-number", "YEAR", "'abc'")
def _(root):
    return ["--root", str(root), "report", "abc"]


@case("cli-year-impossible", "YEAR", "1850")
def _(root):
    return ["--root", str(root), "report", "1850"]


@case("cli-kommun-without-leading-zero", "KOMMUN", "'114'")
def _(root):
    return ["--root", str(root), "ingest", "--kommun", "114"]


@case("cli-data-folder-missing", "DATA=", "finns-inte")
def _(root):
    return ["--root", str(root), "ingest", "--data", str(root / "finns-inte")]


@case("cli-year-without-data", "YEAR=2030", "2024")
def _(root):
    # the data has läsår 2023/24 only; indicators are computed first (cached), then the year is checked
    code, err = run_cli(["--root", str(root), "indicators"])
    assert code == 0, err
    return ["--root", str(root), "report", "2030", "--no-pdf"]


# ---------------------------------------------------------- the same export, names, links, sizes


@case("same-export-twice-under-two-names", "betyg_kopia.csv", "betyg_2024.csv", "same content")
def _(root):
    shutil.copyfile(root / SIS / "betyg_2024.csv", root / SIS / "betyg_kopia.csv")


@case("same-export-twice-in-two-folders", "2024/elever.csv", "elever_2024.csv", "same content")
def _(root):
    (root / SIS / "2024").mkdir()
    shutil.copyfile(root / SIS / "elever_2024.csv", root / SIS / "2024" / "elever.csv")


@case("symlinked-folder-pointing-outside", "data/raw/sis/extern", "symbolic link", "outside")
def _(root):
    outside = root / "utanfor"
    outside.mkdir()
    (outside / "betyg_extra.csv").write_text(
        FILES["sis/betyg_2024.csv"].replace("2024;", "2023;"), encoding="utf-8"
    )
    (root / SIS / "extern").symlink_to(outside, target_is_directory=True)


@case("symlinked-file-pointing-outside", "data/raw/sis/lank.csv", "symbolic link", "outside")
def _(root):
    target = root / "utanfor.csv"
    target.write_text(FILES["sis/nationella_prov_2024.csv"], encoding="utf-8")
    (root / SIS / "lank.csv").symlink_to(target)


@case("file-name-with-control-characters", "control characters", "\\x1b[31m")
def _(root):
    (root / SIS / "prov\x1b[31m.csv").write_text(FILES["sis/nationella_prov_2024.csv"], encoding="utf-8")


@case("folder-name-with-control-characters", "control characters", "\\x07")
def _(root):
    (root / SIS / "ar\x07").mkdir()
    (root / SIS / "ar\x07" / "prov.csv").write_text(FILES["sis/nationella_prov_2024.csv"], encoding="utf-8")


@case("named-pipe-in-raw", "data/raw/sis/ror.csv", "not a regular file")
def _(root):
    os.mkfifo(root / SIS / "ror.csv")  # reading it would block forever


@case("sparse-file-2-GB", "stor.csv", "2,147,483,648 bytes", "at most")
def _(root):
    with open(root / SIS / "stor.csv", "wb") as fh:
        fh.write(FILES["sis/betyg_2024.csv"].encode())
        fh.truncate(2 * 1024**3)  # sparse: no disk used, 2 GB when read


@case("free-text-column-of-several-MB", "avvikelser.csv", "row 3", "free-text", "expected")
def _(root):
    write_sis(
        root,
        "avvikelser.csv",
        "Ärende-id;Datum;Skolenhetskod;Typ;Beskrivning\n"
        "A-1;2024-03-01;11140003;Kränkande behandling;kort text\n"
        f"A-2;2024-03-02;11140003;Kränkande behandling;{'lång fritext ' * 400_000}\n",
    )


@case("unterminated-quote-in-a-large-grade-file", "betyg_stor.csv", "row 101", "quote", "expected")
def _(root):
    pupils = [
        pnr(f"2008{m:02d}{d:02d}", f"{n:03d}") for m in (1, 2) for d in range(1, 29) for n in range(900, 960)
    ]
    lines = ["Läsår;Personnummer;Skolenhetskod;Årskurs;Ämne;Betyg"]
    for p in pupils:
        for amne in ("SV", "EN", "MA"):
            lines.append(f"2024;{p};11140003;9;{amne};C")
    lines[100] = lines[100].replace(";C", ';"C')  # row 101: a quote opened and never closed
    write_sis(root, "betyg_stor.csv", "\n".join(lines) + "\n")
    (root / SIS / "betyg_2024.csv").unlink()


@case("500000-rows-with-one-bad-row", "betyg_stor.csv", "row 412346", "column 'Betyg'", "'H'")
def _(root):
    subjects = (
        "SV",
        "EN",
        "MA",
        "BI",
        "FY",
        "KE",
        "TK",
        "GE",
        "HI",
        "RE",
        "SH",
        "BL",
        "HKK",
        "IDH",
        "MU",
        "SLJ",
    )
    out = ["Läsår;Personnummer;Skolenhetskod;Årskurs;Ämne;Betyg"]
    n = 0
    for month in range(1, 13):
        for day in range(1, 29):
            for nnn in range(900, 1000):
                p = pnr(f"2008{month:02d}{day:02d}", f"{nnn:03d}")
                for amne in subjects:
                    out.append(f"2024;{p};11140003;9;{amne};{'ABCDEF'[n % 6]}")
                    n += 1
                    if n == 500_000:
                        break
                if n == 500_000:
                    break
            if n == 500_000:
                break
        if n == 500_000:
            break
    out[412345] = out[412345][:-1] + "H"  # file row 412346 (row 1 is the header)
    write_sis(root, "betyg_stor.csv", "\n".join(out) + "\n")
    (root / SIS / "betyg_2024.csv").unlink()


@case("ascii-header-rows-in-two-encodings", "elever_blandad.csv", "row 3", "row 2", "encodings")
def _(root):
    head = "Lasar;Personnummer;Fornamn;Efternamn;Skolenhetskod;Skolform;Arskurs;Kon;Nyanland;Foraldrars utbildning\n"
    row2 = f"2023/24;{PUPILS[0]};Åsa;Öberg;11140003;GR;9;Flicka;Nej;Gymnasial\n".encode()
    row3 = f"2023/24;{PUPILS[1]};Örjan;Ståhl;11140003;GR;9;Pojke;Nej;Gymnasial\n".encode("cp1252")
    (root / SIS / "elever_2024.csv").unlink()
    (root / SIS / "elever_blandad.csv").write_bytes(head.encode() + row2 + row3)


# ------------------------------------------------------------------------- SIS values, more


@case("personnummer-30-february", "elever_2024.csv", "row 3", "column 'Personnummer'", "20080230-****")
def _(root):
    bad = pnr("20080230", "902")  # a valid check digit on a date that does not exist
    replace_line(root, f"{SIS}/elever_2024.csv", 3, line_of("elever_2024.csv", 3).replace(PUPILS[1], bad))


@case(
    "personnummer-born-after-the-lasar",
    "elever_2024.csv",
    "row 4",
    "column 'Personnummer'",
    "after the row's läsår",
)
def _(root):
    bad = pnr("20250101", "903")  # born in January 2025, in läsår 2023/24
    replace_line(root, f"{SIS}/elever_2024.csv", 4, line_of("elever_2024.csv", 4).replace(PUPILS[2], bad))


@case(
    "elev-id-is-a-personnummer-with-a-space", "nationella_prov_2024.csv", "row 2", "column 'Elev-id'", "****"
)
def _(root):
    edit(
        root,
        f"{SIS}/nationella_prov_2024.csv",
        lambda t: re.sub(r"(\d{8})-(\d{4})", r"\1 \2", t.replace("Personnummer", "Elev-id", 1)),
    )


@case(
    "elev-id-is-a-10-digit-personnummer-with-a-space",
    "nationella_prov_2024.csv",
    "row 3",
    "column 'Elev-id'",
    "****",
)
def _(root):
    edit(
        root,
        f"{SIS}/nationella_prov_2024.csv",
        lambda t: re.sub(r"20(\d{6})-(\d{4})", r"\1 \2", t.replace("Personnummer", "Elev-id", 1)),
    )


@case("fs-more-arsarbetare-than-children", "forskola_personal.csv", "row 2", "column 'Årsarbetare'", "'12,5'")
def _(root):
    edit(root, f"{SIS}/forskola_personal.csv", lambda t: t.replace(";62;12,5;", ";10;12,5;"))


@case("fs-10000-children-in-one-unit", "forskola_personal.csv", "row 2", "column 'Antal barn'", "'10000'")
def _(root):
    edit(root, f"{SIS}/forskola_personal.csv", lambda t: t.replace(";62;", ";10000;"))


@case("fs-staff-but-no-children", "forskola_personal.csv", "row 2", "column 'Årsarbetare'")
def _(root):
    edit(root, f"{SIS}/forskola_personal.csv", lambda t: t.replace(";62;12,5;4,9;4", ";0;12,5;4,9;0"))


@case("unit-fs-in-one-file-gr-in-another", "skolenheter_fs.csv", "'11140002'", "FS and as GR")
def _(root):
    write_sis(
        root,
        "skolenheter_fs.csv",
        "Skolenhetskod;Skolenhetsnamn;Skolform;Huvudman;Kommunkod;Årskurser\n"
        "11140001;Ekorrens förskola (fiktiv);FS;Testkommun;0114;\n"
        "11140002;Almskolan F-6 (fiktiv);FS;Testkommun;0114;\n",
    )


@case("csv-duplicated-header-column", "betyg_2024.csv", "row 1", "column 'Betyg'", "twice")
def _(root):
    edit(
        root,
        f"{SIS}/betyg_2024.csv",
        lambda t: "\n".join(
            line + (";Betyg" if i == 0 else ";A") if line else line for i, line in enumerate(t.split("\n"))
        ),
    )


@case("csv-duplicated-header-differing-in-case", "elever_2024.csv", "row 1", "'KÖN'", "twice")
def _(root):
    edit(
        root,
        f"{SIS}/elever_2024.csv",
        lambda t: "\n".join(
            line + (";KÖN" if i == 0 else ";Pojke") if line else line for i, line in enumerate(t.split("\n"))
        ),
    )


# -------------------------------------------------------------------------------- XLSX files


def _small_xlsx(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Statistik"
    for r in range(1, 200):
        ws.append([f"rad {r}", r, r * 1.5])
    wb.save(path)


@case("xlsx-zip-bomb", "bomb.xlsx", "zip bomb", "expected at most")
def _(root):
    path = root / "data" / "raw" / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            block = b"<row>" + b"0" * (1024**2 - 11) + b"</row>"
            for _ in range(100):  # 100 MB of XML that packs to ~100 KB (ratio ~1000:1)
                fh.write(block)


@case("xlsx-truncated", "halv.xlsx", "damaged", "again")
def _(root):
    full = root / "hel.xlsx"
    _small_xlsx(full)
    data = full.read_bytes()
    (root / "data" / "raw" / "halv.xlsx").write_bytes(data[: len(data) // 2])


@case("xlsx-not-a-workbook", "inte.xlsx", "not an Excel workbook")
def _(root):
    with zipfile.ZipFile(root / "data" / "raw" / "inte.xlsx", "w") as zf:
        zf.writestr("data.txt", "hej")


@case("xlsx-plain-text-renamed", "text.xlsx", "damaged")
def _(root):
    (root / "data" / "raw" / "text.xlsx").write_text(FILES["sis/franvaro_2024.csv"], encoding="utf-8")


# ------------------------------------------------------------------------ params: more files


@case("kolumnmappning-unknown-file-kind", "kolumnmappning.yml", "'betyg'", "unknown file kind", "betyg_gr")
def _(root):
    _params(root, "kolumnmappning.yml", "betyg:\n  betyg: Slutbetyg\n")


@case("kolumnmappning-unknown-column", "kolumnmappning.yml", "'betyg_gr.grade'", "unknown column")
def _(root):
    _params(root, "kolumnmappning.yml", "betyg_gr:\n  grade: Betyg\n")


@case("kolumnmappning-two-columns-one-header", "kolumnmappning.yml", "'betyg_gr.amne'", "'betyg'", "already")
def _(root):
    _params(root, "kolumnmappning.yml", "betyg_gr:\n  betyg: Betyg\n  amne: betyg\n")


@case("kolumnmappning-not-a-mapping", "kolumnmappning.yml", "'kolumnmappning'")
def _(root):
    _params(root, "kolumnmappning.yml", "- betyg_gr\n- elever\n")


@case("mal-nan-target", "mal.yml", "'mal.0.varde'", "finite")
def _(root):
    _params(root, "mal.yml", "mal:\n  - indikator: meritvarde_17\n    skolform: GR\n    varde: .nan\n")


@case("mal-infinite-target", "mal.yml", "'mal.0.varde'", "finite")
def _(root):
    _params(root, "mal.yml", "mal:\n  - indikator: meritvarde_17\n    skolform: GR\n    varde: .inf\n")


@case("mal-unknown-skolform", "mal.yml", "'mal.0.skolform'", "'GRS'", "expected one of")
def _(root):
    _params(root, "mal.yml", "mal:\n  - indikator: meritvarde_17\n    skolform: GRS\n    varde: 230\n")


@case("mal-unknown-indicator", "mal.yml", "'mal.1.indikator'", "'meritvarde_18'", "meritvarde_17")
def _(root):
    _params(
        root,
        "mal.yml",
        "mal:\n  - indikator: meritvarde_17\n    skolform: GR\n    varde: 230\n"
        "  - indikator: meritvarde_18\n    skolform: GR\n    varde: 230\n",
    )


@case("mal-unknown-top-level-key", "mal.yml", "'mål'", "unknown key")
def _(root):
    _params(root, "mal.yml", "mål:\n  - indikator: meritvarde_17\n    skolform: GR\n    varde: 230\n")


def _labels_text() -> str:
    from pipeline.paths import REPO_ROOT

    return (REPO_ROOT / "params" / "labels.yml").read_text(encoding="utf-8")


@case("labels-alias-bomb", "labels.yml", "alias bomb", "at most")
def _(root):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(
            f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        )
    _params(root, "labels.yml", _labels_text() + "\nbomb:\n" + "\n".join("  " + x for x in lines) + "\n")


@case("labels-recursive-anchor", "labels.yml", "recursive anchor", "line")
def _(root):
    _params(root, "labels.yml", _labels_text() + "\nsjalv: &sjalv\n  mer: *sjalv\n")


@case("labels-too-many-aliases", "labels.yml", "aliases", "at most")
def _(root):
    body = "\n".join(f"  k{i}: *t" for i in range(300))
    _params(root, "labels.yml", _labels_text() + "\nmall: &t text\nmanga:\n" + body + "\n")


@case("labels-missing-key", "labels.yml", "missing", "expected every key")
def _(root):
    import yaml

    data = yaml.safe_load(_labels_text())
    section = sorted(data)[0]
    key = sorted(data[section])[0] if isinstance(data[section], dict) else None
    if key is None:
        del data[section]
    else:
        del data[section][key]
    _params(root, "labels.yml", yaml.safe_dump(data, allow_unicode=True))


@case("labels-unknown-key", "labels.yml", "'extra_nyckel'", "unknown key")
def _(root):
    _params(root, "labels.yml", _labels_text() + "\nextra_nyckel: Något\n")


@case("labels-value-not-text", "labels.yml", "expected a text")
def _(root):
    import yaml

    data = yaml.safe_load(_labels_text())
    section = next(k for k in sorted(data) if isinstance(data[k], dict))
    data[section][sorted(data[section])[0]] = ["en", "lista"]
    _params(root, "labels.yml", yaml.safe_dump(data, allow_unicode=True))


@case("yaml-file-too-large", "huvudman.yml", "bytes", "at most")
def _(root):
    _params(root, "huvudman.yml", HUVUDMAN_OK + ("# " + "x" * 98 + "\n") * 12_000)


@case("yaml-nested-too-deeply", "installningar.yml", "nested too deeply")
def _(root):
    _params(root, "installningar.yml", "undertryck_min_antal: " + "[" * 5000 + "]" * 5000 + "\n")


@case("installningar-fs-bound-zero", "installningar.yml", "'fs_max_barn_per_enhet'", "0")
def _(root):
    _params(root, "installningar.yml", "fs_max_barn_per_enhet: 0\n")


@case("installningar-python-object-tag", "installningar.yml", "line 1")
def _(root):
    # the safe loader constructs no Python objects
    _params(root, "installningar.yml", "undertryck_min_antal: !!python/object/apply:os.system ['true']\n")


@case("analysis-malformed-is-refused-before-ingest", "11140003.md", "line 4", "'### Matematik'")
def _(root):
    p = root / "params" / "analyser" / "2024" / "11140003.md"
    p.parent.mkdir(parents=True)
    p.write_text(
        "## Resultat\nx\n\n### Matematik\ny\n\n## Analys\nz\n\n## Utvecklingsområden\n- a\n", encoding="utf-8"
    )


# ------------------------------------------------------------------------------------------ test


@pytest.fixture(scope="module")
def base_project(tmp_path_factory) -> Path:
    """The tiny valid project after one successful ingest (data/processed/ exists)."""
    root = write_project(tmp_path_factory.mktemp("bad_inputs") / "base")
    code, err = run_cli(["--root", str(root), "ingest"])
    assert code == 0, f"the valid base project must ingest cleanly:\n{err}"
    assert (root / "data" / "processed" / "betyg.parquet").exists()
    return root


def _param(c: Case):
    marks = [pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []
    return pytest.param(c, id=c.id, marks=marks)


@pytest.mark.parametrize("bad", [_param(c) for c in CASES])
def test_bad_input(bad: Case, base_project: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(base_project, root)
    argv = bad.setup(root)
    processed, reports = root / "data" / "processed", root / "reports"
    before = digest(processed), digest(reports)

    code, err = run_cli_bounded(argv)

    assert code == 2, f"exit {code}, expected 2 (bad input); stderr:\n{err}"
    assert "Traceback" not in err, err
    for fragment in bad.where:
        assert fragment in err, f"the message does not contain {fragment!r}:\n{err}"
    for fragment in bad.not_in:
        assert fragment not in err, f"the message should not say {fragment!r}:\n{err}"
    assert FIX.search(err), f"the message does not say how to fix it:\n{err}"
    if bad.id not in NO_EXPECTED_WORD:
        assert EXPECTED.search(err), f"the message does not say what was expected:\n{err}"
    assert (digest(processed), digest(reports)) == before, "a failed run wrote to data/processed/ or reports/"
    said = [line for line in err.splitlines() if line.startswith("error")] or err.strip().splitlines()[-1:]
    print(f"{bad.id}: exit {code}: {said[0][:300]}")  # the corpus table of the closing note


# ----------------------------------------------------------------------------- written analyses

ANALYSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "analysis-missing-heading": (
        "## Resultat\nMeritvärdet steg.\n\n## Analys\nFler lärare.\n",
        ("line 6", "'## Utvecklingsområden'", "add"),
    ),
    "analysis-unknown-heading": (
        "## Resultat\nx\n\n## Slutsatser\ny\n\n## Analys\nz\n\n## Utvecklingsområden\n- a\n",
        ("line 4", "'## Slutsatser'", "rename it"),
    ),
    "analysis-sub-heading": (
        "## Resultat\nx\n\n### Matematik\ny\n\n## Analys\nz\n\n## Utvecklingsområden\n- a\n",
        ("line 4", "'### Matematik'", "remove it"),
    ),
    "analysis-heading-level-1": (
        "# Resultat\nx\n\n## Analys\nz\n\n## Utvecklingsområden\n- a\n",
        ("line 1", "'## Resultat' (two #)", "write it"),
    ),
    "analysis-text-before-heading": (
        "Björkskolan 2024\n\n## Resultat\nx\n\n## Analys\nz\n\n## Utvecklingsområden\n- a\n",
        ("line 1", "move it"),
    ),
    "analysis-heading-twice": (
        "## Resultat\nx\n\n## Analys\nz\n\n## Analys\nmer\n\n## Utvecklingsområden\n- a\n",
        ("line 7", "merge"),
    ),
    "analysis-headings-out-of-order": (
        "## Analys\nz\n\n## Resultat\nx\n\n## Utvecklingsområden\n- a\n",
        ("line 1", "put"),
    ),
    "analysis-setext-heading": (
        "## Resultat\nx\n\n## Analys\nRubrik\n------\n\n## Utvecklingsområden\n- a\n",
        ("line 6", "remove the line"),
    ),
}


@pytest.mark.parametrize("name", sorted(ANALYSES) + ["analysis-not-utf8"])
def test_analysis(name: str, tmp_path: Path) -> None:
    """A malformed written analysis: exit code 2, file and line named, the fix given, nothing written.

    ``check_analyses`` is what ``report`` runs before the notebooks; ``load_analysis`` is what a
    page calls.
    """
    from pipeline.errors import AnalysisFileError
    from pipeline.publishing.analyses import analysis_path, check_analyses, load_analysis

    params = tmp_path / "params"
    path = analysis_path(params, 2024, "11140003")
    path.parent.mkdir(parents=True)
    if name == "analysis-not-utf8":
        path.write_bytes(
            "## Resultat\nMåluppfyllelsen ökade.\n\n## Analys\nx\n\n## Utvecklingsområden\n- a\n".encode(
                "cp1252"
            )
        )
        where: tuple[str, ...] = ("UTF-8", "save it")
    else:
        text, where = ANALYSES[name]
        path.write_text(text, encoding="utf-8")
    before = digest(params)

    with pytest.raises(AnalysisFileError) as info:
        load_analysis(params, 2024, "11140003")
    problems = check_analyses(params, 2024, ["11140003"])

    err = str(info.value)
    assert info.value.exit_code == 2
    assert str(path) in err
    for fragment in where:
        assert fragment in err, f"the message does not contain {fragment!r}:\n{err}"
    assert FIX.search(err)
    assert [(p.kind, p.message) for p in problems] == [("felaktig", err)]
    assert digest(params) == before


def test_corpus_size() -> None:
    """The issue asks for at least 80 malformed inputs across readers and params."""
    assert len(CASES) >= 80
    assert len({c.id for c in CASES}) == len(CASES)
