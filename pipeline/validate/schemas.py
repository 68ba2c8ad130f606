"""Pandera models of the canonical tables in ``data/processed/`` (the ingest contract).

Readers turn raw files into these tables; indicator functions read only these tables. Every
model is ``strict`` (no unknown columns) and is validated lazily, so one run reports every
failure at once. Codes (skolenhetskod, kommunkod) are text, never numbers.

Pupil-level tables carry a pseudonymous ``elev_id`` only (never a personnummer or a name):
ingest replaces identities at the boundary, so nothing downstream can leak them.
"""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from pipeline.errors import DataValidationError
from pipeline.school_forms import school_form_codes

SKOLFORM_CODES = list(school_form_codes())
GRADES = ["A", "B", "C", "D", "E", "F"]
#: '-' = no grade (streck: too much absence to assess); it is not F.
GRADES_OR_DASH = [*GRADES, "-"]
KON = ["flicka", "pojke"]
FORALDRAR_UTBILDNING = ["forgymnasial", "gymnasial", "eftergymnasial", "okand"]
NIVAER = ["enhet", "huvudman", "kommun", "riket", "jamforelse"]
#: Marker meaning of a published value (Skolverket's `.`, `..`, `~100`).
MARKERINGAR = ["", "undertryckt", "saknas", "avrundad"]
ENKAT_OMRADEN = ["trygghet", "studiero", "stimulans", "inflytande", "normer_varden", "helhet"]
GY_UTFALL = ["hogskoleforberedande_examen", "yrkesexamen", "studiebevis", "avbrott", "pagaende"]
VUX_KURSOMRADEN = ["grundlaggande", "gymnasial", "sfi"]
VUX_RESULTAT = [*GRADES, "avbrott"]

SKOLENHETSKOD = r"^\d{8}$"
KOMMUNKOD = r"^\d{4}$"


class _Base(pa.DataFrameModel):
    class Config:
        strict = True
        coerce = True


class Skolenheter(_Base):
    """One row per skolenhet and school form it runs (the unit register)."""

    skolenhetskod: Series[str] = pa.Field(str_matches=SKOLENHETSKOD)
    enhet: Series[str] = pa.Field(str_length={"min_value": 1})
    skolform: Series[str] = pa.Field(isin=SKOLFORM_CODES)
    huvudman: Series[str]
    kommunkod: Series[str] = pa.Field(str_matches=KOMMUNKOD)
    arskurser: Series[str] = pa.Field(nullable=True)

    @pa.dataframe_check(error="a skolenhetskod may appear only once per school form")
    def unique_unit(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(["skolenhetskod", "skolform"], keep=False)


class Elever(_Base):
    """One row per pupil, läsår and unit: background variables."""

    lasar: Series[int] = pa.Field(ge=2000, le=2100)
    elev_id: Series[str]
    skolenhetskod: Series[str] = pa.Field(str_matches=SKOLENHETSKOD)
    skolform: Series[str] = pa.Field(isin=SKOLFORM_CODES)
    arskurs: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, le=9)
    kon: Series[str] = pa.Field(isin=KON)
    nyanland: Series[bool]
    foraldrar_utbildning: Series[str] = pa.Field(isin=FORALDRAR_UTBILDNING)
    program: Series[str] = pa.Field(nullable=True)


class Betyg(_Base):
    """Grundskola subject grades, åk 6 and åk 9 (A-F or '-')."""

    lasar: Series[int] = pa.Field(ge=2000, le=2100)
    elev_id: Series[str]
    skolenhetskod: Series[str] = pa.Field(str_matches=SKOLENHETSKOD)
    arskurs: Series[int] = pa.Field(isin=[6, 9])
    amne: Series[str]
    betyg: Series[str] = pa.Field(isin=GRADES_OR_DASH)

    @pa.dataframe_check(error="one grade per pupil, läsår, årskurs and subject")
    def unique_grade(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(["lasar", "elev_id", "arskurs", "amne"], keep=False)


class NationellaProv(_Base):
    """National test results (provbetyg), åk 6 and åk 9."""

    lasar: Series[int] = pa.Field(ge=2000, le=2100)
    elev_id: Series[str]
    skolenhetskod: Series[str] = pa.Field(str_matches=SKOLENHETSKOD)
    arskurs: Series[int] = pa.Field(isin=[3, 6, 9])
    amne: Series[str]
    provbetyg: Series[str] = pa.Field(isin=GRADES)


class Kursbetyg(_Base):
    """Gymnasieskola course grades with gymnasiepoäng."""

    lasar: Series[int] = pa.Field(ge=2000, le=2100)
    elev_id: Series[str]
    skolenhetskod: Series[str] = pa.Field(str_matches=SKOLENHETSKOD)
    program: Series[str]
    kurs: Series[str]
    poang: Series[int] = pa.Field(ge=0, le=1000)
    betyg: Series[str] = pa.Field(isin=GRADES)


class GyStudievag(_Base):
    """One row per gymnasium pupil's study path: start, end and outcome."""

    elev_id: Series[str]
    skolenhetskod: Series[str] = pa.Field(str_matches=SKOLENHETSKOD)
    program: Series[str]
    startlasar: Series[int] = pa.Field(ge=2000, le=2100)
    slutlasar: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=2000, le=2100)
    utfall: Series[str] = pa.Field(isin=GY_UTFALL)
    meritvarde_ak9: Series[float] = pa.Field(nullable=True, ge=0, le=340)


class VuxKurser(_Base):
    """Komvux course participations and results."""

    lasar: Series[int] = pa.Field(ge=2000, le=2100)
    elev_id: Series[str]
    skolenhetskod: Series[str] = pa.Field(str_matches=SKOLENHETSKOD)
    kurs: Series[str]
    kursomrade: Series[str] = pa.Field(isin=VUX_KURSOMRADEN)
    poang: Series[int] = pa.Field(ge=0, le=1000)
    resultat: Series[str] = pa.Field(isin=VUX_RESULTAT)


class Franvaro(_Base):
    """Pupil absence as a share of scheduled time (0-1), per läsår."""

    lasar: Series[int] = pa.Field(ge=2000, le=2100)
    elev_id: Series[str]
    skolenhetskod: Series[str] = pa.Field(str_matches=SKOLENHETSKOD)
    franvaro_andel: Series[float] = pa.Field(ge=0, le=1)


class BetygTermin(Betyg):
    """Grundskola grades of one termin (terminsbetyg HT, or VT): the period reports' grades."""

    termin: Series[str] = pa.Field(isin=["HT", "VT"])

    @pa.dataframe_check(error="one grade per pupil, läsår, termin, årskurs and subject")
    def unique_grade(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df.duplicated(["lasar", "termin", "elev_id", "arskurs", "amne"], keep=False)


class FranvaroTermin(Franvaro):
    """Pupil absence of one termin (HT or VT) as a share of that termin's scheduled time."""

    termin: Series[str] = pa.Field(isin=["HT", "VT"])


class Enkat(_Base):
    """Survey answers, one row per respondent and question, scored 0-10 (Skolenkäten scale)."""

    lasar: Series[int] = pa.Field(ge=2000, le=2100)
    skolenhetskod: Series[str] = pa.Field(str_matches=SKOLENHETSKOD)
    respondent_id: Series[str]
    enkat: Series[str] = pa.Field(isin=["elev", "vardnadshavare"])
    arskurs: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, le=9)
    kon: Series[str] = pa.Field(nullable=True, isin=KON)
    omrade: Series[str] = pa.Field(isin=ENKAT_OMRADEN)
    fraga: Series[str]
    poang: Series[float] = pa.Field(ge=0, le=10)


class Avvikelser(_Base):
    """Reported incidents (e.g. kränkande behandling), one row per case."""

    lasar: Series[int] = pa.Field(ge=2000, le=2100)
    skolenhetskod: Series[str] = pa.Field(str_matches=SKOLENHETSKOD)
    arende_id: Series[str]
    typ: Series[str]
    #: The date of the incident (YYYY-MM-DD) when the export has one: period reports count by it.
    #: Optional: frames built without it (older processed tables, tests) still validate.
    datum: Optional[Series[str]] = pa.Field(nullable=True, str_matches=r"^\d{4}-\d{2}-\d{2}$")  # noqa: UP045


class FsPersonal(_Base):
    """Förskola staffing and groups per unit and läsår (as of 15 October)."""

    lasar: Series[int] = pa.Field(ge=2000, le=2100)
    skolenhetskod: Series[str] = pa.Field(str_matches=SKOLENHETSKOD)
    antal_barn: Series[int] = pa.Field(ge=0)
    arsarbetare: Series[float] = pa.Field(ge=0)
    arsarbetare_forskollararexamen: Series[float] = pa.Field(ge=0)
    antal_barngrupper: Series[int] = pa.Field(ge=0)


class Publicerad(_Base):
    """Already aggregated values from published sources (Skolverket, Kolada, Skolenkäten,
    national reference files): one row per läsår × skolform × nivå × unit × indicator × grupp.

    ``markering`` keeps Skolverket's markers as meaning: ``undertryckt`` (``..``), ``saknas``
    (``.``), ``avrundad`` (``~100``); ``varde`` is then empty except for ``avrundad`` (100).
    """

    lasar: Series[int] = pa.Field(ge=1990, le=2100)
    skolform: Series[str] = pa.Field(isin=SKOLFORM_CODES)
    niva: Series[str] = pa.Field(isin=NIVAER)
    kommunkod: Series[str] = pa.Field(nullable=True)
    skolenhetskod: Series[str] = pa.Field(nullable=True)
    enhet: Series[str] = pa.Field(nullable=True)
    typ_av_huvudman: Series[str] = pa.Field(nullable=True)
    indikator: Series[str]
    grupp: Series[str]
    varde: Series[float] = pa.Field(nullable=True)
    antal: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    markering: Series[str] = pa.Field(isin=MARKERINGAR)
    kalla: Series[str]


class Indikatorer(_Base):
    """The tidy indicator table (published as ``indikatorer.csv``); see DESIGN.md.

    ``markering`` is an addition to the design card's columns: the meaning of an empty or
    rounded value (``undertryckt``/``saknas``/``avrundad``), carried from the source.
    """

    lasar: Series[int] = pa.Field(ge=1990, le=2100)
    skolform: Series[str] = pa.Field(isin=SKOLFORM_CODES)
    niva: Series[str] = pa.Field(isin=NIVAER)
    skolenhetskod: Series[str]
    enhet: Series[str]
    indikator: Series[str]
    grupp: Series[str]
    varde: Series[float] = pa.Field(nullable=True)
    antal: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    ki_lag: Series[float] = pa.Field(nullable=True)
    ki_hog: Series[float] = pa.Field(nullable=True)
    undertryckt: Series[bool]
    kalla: Series[str]
    markering: Series[str] = pa.Field(isin=MARKERINGAR)

    @pa.dataframe_check(error="a suppressed value must have an empty varde")
    def suppressed_is_empty(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df["undertryckt"] | df["varde"].isna()


#: Column order of the published indicator table.
INDICATOR_COLUMNS: list[str] = list(Indikatorer.to_schema().columns)

#: Canonical table name -> model. The file is ``data/processed/<name>.parquet``.
CANONICAL_TABLES: dict[str, type[pa.DataFrameModel]] = {
    "skolenheter": Skolenheter,
    "elever": Elever,
    "betyg": Betyg,
    "nationella_prov": NationellaProv,
    "kursbetyg": Kursbetyg,
    "gy_studievag": GyStudievag,
    "vux_kurser": VuxKurser,
    "franvaro": Franvaro,
    "betyg_termin": BetygTermin,
    "franvaro_termin": FranvaroTermin,
    "enkat": Enkat,
    "avvikelser": Avvikelser,
    "fs_personal": FsPersonal,
    "publicerad": Publicerad,
}


def empty_table(name: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes of table ``name``."""
    schema = (CANONICAL_TABLES.get(name) or Indikatorer).to_schema()
    return pd.DataFrame({c: pd.Series(dtype=col.dtype.type) for c, col in schema.columns.items()})


def check_unit_forms(skolenheter: pd.DataFrame, *, source: str) -> None:
    """A förskola has its own unit code: a skolenhetskod registered as a förskola and as another
    school form (in one file or, once the files are merged, in two) is a contradiction."""
    from pipeline.school_forms import get_school_form

    if skolenheter.empty or not {"skolenhetskod", "skolform"} <= set(skolenheter.columns):
        return
    pairs = skolenheter[["skolenhetskod", "skolform"]].dropna().drop_duplicates()
    forms = pairs.groupby("skolenhetskod")["skolform"].agg(lambda s: tuple(sorted(set(s))))
    bad = []
    for code, fs in forms.items():
        if len(fs) > 1 and any(get_school_form(f).own_unit_code for f in fs):
            bad.append((code, fs))
    if not bad:
        return
    code, fs = bad[0]
    raise DataValidationError(
        f"{source}, column 'skolform': skolenhetskod {code!r} is registered as {' and as '.join(fs)} "
        f"(expected a förskola to have its own unit code, never shared with another school form); "
        f"{len(bad)} such code(s). Correct the skolform (or the code) in the file that is wrong and run again.",
        [
            {
                "file": source,
                "row": None,
                "column": "skolform",
                "value": f"{c} {'/'.join(f)}",
                "expected": "a förskola with its own code",
            }
            for c, f in bad
        ],
    )


def validate_table(
    name: str,
    df: pd.DataFrame,
    *,
    source: str = "",
    row_of: pd.Series | None = None,
) -> pd.DataFrame:
    """Validate ``df`` against canonical table ``name``, lazily, and return the coerced frame.

    Parameters
    ----------
    name
        A key of :data:`CANONICAL_TABLES`, or ``"indikatorer"``.
    df
        The frame to check.
    source
        The file it came from, for messages.
    row_of
        Optional series mapping the frame's index to the source file's line number, so that a
        message names the line a user sees in an editor.

    Raises
    ------
    DataValidationError
        With every failure (file, row, column, value, check) in ``failures``.
    """
    model = CANONICAL_TABLES.get(name) or (Indikatorer if name == "indikatorer" else None)
    if model is None:
        raise DataValidationError(f"No canonical table named {name!r}.")
    if name == "skolenheter":
        check_unit_forms(df, source=source or name)
    try:
        return model.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        failures = []
        for _, case in exc.failure_cases.iterrows():
            idx = case.get("index")
            row = None
            if idx is not None and not pd.isna(idx):
                row = int(row_of.loc[idx]) if row_of is not None and idx in row_of.index else int(idx)
            failures.append(
                {
                    "file": source or name,
                    "row": row,
                    "column": case.get("column"),
                    "value": None if pd.isna(case.get("failure_case")) else str(case.get("failure_case")),
                    "expected": str(case.get("check")),
                }
            )
        first = failures[0] if failures else {}
        where = f"{first.get('file')}"
        if first.get("row") is not None:
            where += f", row {first['row']}"
        if first.get("column"):
            where += f", column {first['column']!r}"
        msg = (
            f"{where}: {first.get('value')!r} does not satisfy {first.get('expected')} "
            f"(table {name!r}; {len(failures)} failure(s) in all, see the validation report). "
            "Correct the file in data/raw/ and run again."
        )
        raise DataValidationError(msg, failures) from None
