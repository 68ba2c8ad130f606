"""Readers of Skolverket's Planned Educations API v4 responses, stored as JSON Lines.

Two file families, recognised by the JSON keys of their first record (not the file name):

* ``skolverket_api_statistik``: ``GET /school-units/{code}/statistics/gr`` — per skolenhet, a
  time series per measure: ``[{"value": "250,1", "valueType": "EXISTS", "timePeriod":
  "2024/25"}, ...]``. → ``publicerad`` rows at ``niva='enhet'``.
* ``skolverket_api_skolenheter``: ``GET /school-units/{code}`` — name, kommun
  (``geographicalAreaCode``), huvudman type and school forms. → ``skolenheter`` rows for the
  kommunal units of the report's kommun.

A record is either the cached HTTP response (``{"url", "json": {"status", "body"}}``) or the bare
``body``. ``valueType`` ↔ marker: ``EXISTS`` number; ``MISSING`` (``.``) → ``saknas``;
``OMITTED_DUE_TO_BASED_ON_FEW_PUPILS`` (``..``) → ``undertryckt``;
``ROUNDED_OFF_DUE_TO_FEW_PUPILS_NOT_ELIGIBLE`` (``~100``) → ``avrundad`` (varde 100);
``TEACHERS_EXCLUDED_DUE_TO_NO_REQUIRED_LEGITIMATION`` (``*``) → ``saknas``. An entry with
``timePeriod: null`` and ``value: null`` (seen for åk 6 results) carries nothing and is skipped.

The statistics responses do not name the kommun. When a details file (the second family) lies in
the same folder, it gives each unit's kommunkod, name and huvudman type; with ``ctx.kommunkod``
set, units known to lie in another kommun are left out (counted in the ledger). A unit without
details is not dropped: its records are returned under ``_oplacerad`` and ``read_all`` places them
with every other file's units (Skolverket's skolenhet exports, the skolenhetsregister, Skolenkäten),
so a county without a details file is read too; what no file places is stated in the ledger.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.ingest.ledger import LEDGER_KEY, UNIT_KOMMUN_KEY, UNPLACED_KEY, Ledger, unit_kommun_frame
from pipeline.ingest.skolverket_format import (
    FailureCollector,
    ValueFormatError,
    lasar_from_period,
    parse_value,
    publicerad_frame,
    skolenheter_frame,
)
from pipeline.ingest.sources import ReadContext, Sniff, Source, register
from pipeline.school_forms import alias_table

KALLA = "Skolverket, Planned Educations API v4 (statistics/gr)"

#: API measure → (indikator, grupp).
MEASURES: dict[str, tuple[str, str]] = {
    "averageGradesMeritRating9thGrade": ("meritvarde_17", "samtliga"),
    "ratioOfPupilsIn9thGradeWithAllSubjectsPassed": ("godkand_alla_amnen", "samtliga"),
    "ratioOfPupils9thGradeEligibleForNationalProgramYR": ("behorighet_yrkes", "samtliga"),
    "ratioOfPupils9thGradeEligibleForNationalProgramES": ("behorighet_estet", "samtliga"),
    "ratioOfPupils9thGradeEligibleForNationalProgramSAEKHU": ("behorighet_ekonomi", "samtliga"),
    "ratioOfPupils9thGradeEligibleForNationalProgramNATE": ("behorighet_natur", "samtliga"),
    "ratioOfPupilsIn6thGradeWithAllSubjectsPassed": ("ak6_godkand_alla_amnen", "samtliga"),
    "certifiedTeachersQuota": ("andel_larare_legitimation", "samtliga"),
    "studentsPerTeacherQuota": ("elever_per_larare", "samtliga"),
    "specialEducatorsQuota": ("specialpedagoger_kvot", "samtliga"),
    "specialTeacherPositions": ("speciallarare_tjanster", "samtliga"),
    "totalNumberOfPupils": ("elevantal", "samtliga"),
}
_NP_SUBJECTS = {"SVE": "SV", "ENG": "EN", "MA": "MA", "SVA": "SVA"}
for _s, _code in _NP_SUBJECTS.items():
    for _ak in ("6", "9"):
        MEASURES[f"averageResultNationalTestsSubject{_s}{_ak}thGrade"] = (
            f"np_ak{_ak}_betygspoang",
            f"amne:{_code}",
        )

#: Keys of a statistics body that are not measures.
NON_MEASURES = {"schoolUnit", "docLinks", "_links"}

VALUE_TYPES = {
    "EXISTS": "",
    "MISSING": "saknas",
    "OMITTED_DUE_TO_BASED_ON_FEW_PUPILS": "undertryckt",
    "ROUNDED_OFF_DUE_TO_FEW_PUPILS_NOT_ELIGIBLE": "avrundad",
    "TEACHERS_EXCLUDED_DUE_TO_NO_REQUIRED_LEGITIMATION": "saknas",
}

HUVUDMANNATYP = {
    "Kommunal": "Kommunal",
    "Fristående": "Enskild",
    "Enskild": "Enskild",
    "Statlig": "Statlig",
    "Region": "Region",
}
#: The API's typeOfSchooling codes (``gr``, ``gy``, ``vux``) are the school-form registry's codes,
#: lower-cased; other codes (fsk, gran, sfi, ...) are no form of the report and are skipped.
SKOLFORM_API = alias_table()


def _body(record: dict) -> dict | None:
    if isinstance(record.get("json"), dict):
        return record["json"].get("body")
    return record


def _first_record(s: Sniff) -> dict | None:
    if s.path.suffix.lower() not in (".jsonl", ".json", ".ndjson") or not s.head:
        return None
    line = s.head.lstrip("\ufeff").split("\n", 1)[0]
    try:
        rec = json.loads(line)
    except json.JSONDecodeError:
        # the first line may be longer than the sniffed head: look at the keys textually
        return {"_partial": line}
    return rec if isinstance(rec, dict) else None


def _detect_statistics(s: Sniff) -> bool:
    rec = _first_record(s)
    if rec is None:
        return False
    if "_partial" in rec:
        return '"schoolUnit"' in rec["_partial"] and '"valueType"' in rec["_partial"]
    body = _body(rec)
    return isinstance(body, dict) and "schoolUnit" in body and any(k in body for k in MEASURES)


def _detect_units(s: Sniff) -> bool:
    rec = _first_record(s)
    if rec is None:
        return False
    if "_partial" in rec:
        return '"geographicalAreaCode"' in rec["_partial"] and '"typeOfSchooling"' in rec["_partial"]
    body = _body(rec)
    return isinstance(body, dict) and "geographicalAreaCode" in body and "typeOfSchooling" in body


def _iter_records(path: Path, fc: FailureCollector):
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                fc.add(
                    f"line {lineno}",
                    None,
                    line[:60],
                    f"one JSON object per line ({exc.msg} at column {exc.colno}); the file looks truncated",
                    row=lineno,
                )
                continue
            body = _body(rec) if isinstance(rec, dict) else None
            if not isinstance(body, dict):
                status = (
                    rec.get("json", {}).get("status")
                    if isinstance(rec, dict) and isinstance(rec.get("json"), dict)
                    else None
                )
                fc.add(
                    f"line {lineno}", "json.body", status, "a response body object (status OK)", row=lineno
                )
                continue
            yield lineno, body


@lru_cache(maxsize=16)
def _unit_details(folder: str, stamp: tuple) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for p in sorted(Path(folder).iterdir()):
        if p.suffix.lower() not in (".jsonl", ".json", ".ndjson") or not p.is_file():
            continue
        from pipeline.ingest.sources import sniff

        if not _detect_units(sniff(p)):
            continue
        fc = FailureCollector(p)
        for _, body in _iter_records(p, fc):
            code = str(body.get("code") or "")
            if code:
                out[code] = body
    return out


def unit_details_near(path: Path) -> dict[str, dict]:
    """School-unit details (code → body) from the details files in ``path``'s folder."""
    folder = Path(path).parent
    stamp = tuple((p.name, p.stat().st_mtime) for p in sorted(folder.iterdir()) if p.is_file())
    return _unit_details(str(folder), stamp)


def read_statistics(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
    """Read API statistics JSONL into ``publicerad`` rows (one per unit × measure × läsår).

    Raises
    ------
    DataValidationError
        Malformed lines, unknown measures or valueTypes, non-numeric values; all listed.
    """
    path = Path(path)
    fc = FailureCollector(path)
    details = unit_details_near(path)
    placed: list[dict] = []
    pending: list[dict] = []  # units without details: placed by read_all from the other files
    ledger = Ledger()
    for lineno, body in _iter_records(path, fc):
        code = str(body.get("schoolUnit") or "")
        if not re.fullmatch(r"\d{8}", code):
            fc.add(f"line {lineno}", "schoolUnit", code, "an 8-digit skolenhetskod", row=lineno)
            continue
        det = details.get(code, {})
        kommunkod = det.get("geographicalAreaCode")
        if ctx.kommunkod is not None and kommunkod is not None and kommunkod != ctx.kommunkod:
            ledger.add("annan_kommun")
            continue
        records = pending if kommunkod is None else placed
        typ = HUVUDMANNATYP.get(det.get("principalOrganizerType") or "", det.get("principalOrganizerType"))
        for key, series in body.items():
            if key in NON_MEASURES:
                continue
            if key not in MEASURES:
                fc.add(
                    f"line {lineno}",
                    key,
                    type(series).__name__,
                    f"a known measure among {sorted(MEASURES)} (a newer API version? add it to MEASURES in pipeline/ingest/skolverket_api.py)",
                    row=lineno,
                )
                continue
            if not isinstance(series, list):
                fc.add(f"line {lineno}", key, series, "a list of {value, valueType, timePeriod}", row=lineno)
                continue
            indikator, grupp = MEASURES[key]
            for n, entry in enumerate(series):
                where = f"line {lineno}"
                col = f"{key}[{n}]"
                vt = entry.get("valueType") if isinstance(entry, dict) else None
                if vt not in VALUE_TYPES:
                    fc.add(where, col, vt, f"a valueType among {sorted(VALUE_TYPES)}", row=lineno)
                    continue
                value, period = entry.get("value"), entry.get("timePeriod")
                if period is None and value is None:
                    continue  # carries nothing (seen for åk 6 results): no year, no value
                lasar = lasar_from_period(period)
                if lasar is None:
                    fc.add(where, f"{col}.timePeriod", period, "a läsår such as '2024/25'", row=lineno)
                    continue
                markering = VALUE_TYPES[vt]
                varde = None
                if vt == "EXISTS":
                    text = str(value)
                    approx = text.lower().startswith("cirka ")
                    try:
                        varde, _ = parse_value(text[6:] if approx else text)
                    except ValueFormatError as exc:
                        fc.add(where, f"{col}.value", value, str(exc), row=lineno)
                        continue
                    if approx:
                        markering = "avrundad"
                elif vt == "ROUNDED_OFF_DUE_TO_FEW_PUPILS_NOT_ELIGIBLE":
                    try:
                        varde, _ = parse_value(value)
                    except ValueFormatError as exc:
                        fc.add(where, f"{col}.value", value, str(exc), row=lineno)
                        continue
                records.append(
                    {
                        "lasar": lasar,
                        "skolform": "GR",
                        "niva": "enhet",
                        "kommunkod": kommunkod,
                        "skolenhetskod": code,
                        "enhet": det.get("name"),
                        "typ_av_huvudman": typ,
                        "indikator": indikator,
                        "grupp": grupp,
                        "varde": varde,
                        "antal": int(varde) if indikator == "elevantal" and varde is not None else None,
                        "markering": markering,
                        "kalla": KALLA,
                    }
                )
    fc.raise_if_any(
        "Fetch the responses again from api.skolverket.se (planned-educations v4) or remove the file."
    )
    return {
        "publicerad": publicerad_frame(placed),
        UNPLACED_KEY: publicerad_frame(pending),
        LEDGER_KEY: ledger.frame(),
    }


def read_units(path: Path, ctx: ReadContext) -> dict[str, pd.DataFrame]:
    """Read API school-unit details into ``skolenheter`` (kommunal units of the kommun)."""
    path = Path(path)
    fc = FailureCollector(path)
    units: list[dict] = []
    ledger = Ledger()
    unit_kommun: dict[str, str] = {}
    for lineno, body in _iter_records(path, fc):
        code = str(body.get("code") or "")
        kommunkod = str(body.get("geographicalAreaCode") or "")
        if not re.fullmatch(r"\d{8}", code) or not re.fullmatch(r"\d{4}", kommunkod):
            fc.add(
                f"line {lineno}",
                "code/geographicalAreaCode",
                f"{code}/{kommunkod}",
                "an 8-digit code and a 4-digit kommunkod",
                row=lineno,
            )
            continue
        unit_kommun[code] = kommunkod
        if ctx.kommunkod is not None and kommunkod != ctx.kommunkod:
            ledger.add("annan_kommun")
            continue
        if body.get("principalOrganizerType") != "Kommunal":
            ledger.add("annan_huvudman")  # its values are read from the statistics; no page of its own
            continue
        for ts in body.get("typeOfSchooling") or []:
            form = SKOLFORM_API.get(str(ts.get("code")))
            if form is None:
                continue
            units.append(
                {
                    "skolenhetskod": code,
                    "enhet": body.get("name") or code,
                    "skolform": form,
                    "huvudman": body.get("corporationName") or "",
                    "kommunkod": kommunkod,
                    "arskurser": ",".join(str(x) for x in ts.get("schoolYears") or []) or None,
                }
            )
    fc.raise_if_any(
        "Fetch the responses again from api.skolverket.se (planned-educations v4) or remove the file."
    )
    # the details describe the units at fetch time: 'generatedAt' is not in the body, so the
    # file's year is unknown here; 0 ranks it below dated sources when merging.
    return {
        "skolenheter": skolenheter_frame(units, lasar=0),
        UNIT_KOMMUN_KEY: unit_kommun_frame(unit_kommun),
        LEDGER_KEY: ledger.frame(),
    }


register(
    Source(
        "skolverket_api_statistik",
        "Skolverket Planned Educations API v4: per-skolenhet statistics (JSON Lines, 'schoolUnit' + measures with valueType)",
        _detect_statistics,
        read_statistics,
    )
)
register(
    Source(
        "skolverket_api_skolenheter",
        "Skolverket Planned Educations API v4: school-unit details (JSON Lines with 'geographicalAreaCode', 'typeOfSchooling')",
        _detect_units,
        read_units,
    )
)
