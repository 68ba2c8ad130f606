"""Back-tests of the Skolverket API v4 readers: every series entry of every unit, by plain json."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipeline.ingest.ledger import UNPLACED_KEY
from pipeline.ingest.sources import ReadContext, recognise
from tests.ingest.realdata_backtest import CellCounter, expected_value, index_output, same

MEASURE = {
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
for s, code in {"SVE": "SV", "ENG": "EN", "MA": "MA", "SVA": "SVA"}.items():
    for ak in "69":
        MEASURE[f"averageResultNationalTestsSubject{s}{ak}thGrade"] = (
            f"np_ak{ak}_betygspoang",
            f"amne:{code}",
        )
VALUE_TYPE = {
    "MISSING": (None, "saknas"),
    "OMITTED_DUE_TO_BASED_ON_FEW_PUPILS": (None, "undertryckt"),
    "ROUNDED_OFF_DUE_TO_FEW_PUPILS_NOT_ELIGIBLE": (100.0, "avrundad"),
    "TEACHERS_EXCLUDED_DUE_TO_NO_REQUIRED_LEGITIMATION": (None, "saknas"),
}


def test_every_api_value_matches(realdata: Path) -> None:
    path = realdata / "skolverket_api_v4" / "statistics_gr_lan01-09.jsonl"
    source = recognise(path)
    assert source.name == "skolverket_api_statistik"
    # without a kommun, units with no details file wait under UNPLACED_KEY (read_all places them)
    res = source.read(path, ReadContext())
    out = pd.concat([res["publicerad"], res[UNPLACED_KEY]], ignore_index=True)
    got = index_output(out, ["skolenhetskod", "lasar", "indikator", "grupp"])
    n = skipped = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        body = json.loads(line)["json"]["body"]
        for key, series in body.items():
            if key not in MEASURE:
                continue
            ind, grupp = MEASURE[key]
            for e in series:
                if e["timePeriod"] is None:
                    assert e["value"] is None
                    skipped += 1
                    continue
                rec = got[(body["schoolUnit"], int(e["timePeriod"][:4]) + 1, ind, grupp)]
                if e["valueType"] == "EXISTS":
                    text = e["value"].removeprefix("cirka ")
                    varde, mark = expected_value(text)
                    mark = "avrundad" if e["value"].startswith("cirka ") else ""
                else:
                    varde, mark = VALUE_TYPE[e["valueType"]]
                assert same(varde, rec["varde"]) and rec["markering"] == mark, (
                    body["schoolUnit"],
                    key,
                    e,
                    rec,
                )
                n += 1
    assert n == len(out) == 47075 and skipped == 191
    CellCounter.add("skolverket_api_statistik", n)


def test_api_units_and_filter(realdata: Path) -> None:
    folder = realdata / "skolverket_api_v4"
    details = folder / "school_units_detail_stockholms_lan.jsonl"
    assert recognise(details).name == "skolverket_api_skolenheter"
    units = recognise(details).read(details, ReadContext(kommunkod="0136"))["skolenheter"]
    expected = set()
    for line in details.read_text(encoding="utf-8").splitlines():
        b = json.loads(line)["json"]["body"]
        if b["geographicalAreaCode"] == "0136" and b["principalOrganizerType"] == "Kommunal":
            expected |= {
                (b["code"], t["code"].upper()) for t in b["typeOfSchooling"] if t["code"] in ("gr", "gy")
            }
    assert set(zip(units["skolenhetskod"], units["skolform"], strict=False)) == expected and expected
    stats = folder / "statistics_gr_lan01-09.jsonl"
    pub = recognise(stats).read(stats, ReadContext(kommunkod="0136"))["publicerad"]
    assert set(pub["kommunkod"]) == {"0136"} and set(pub["niva"]) == {"enhet"}
    assert set(pub["skolenhetskod"]) <= {
        json.loads(x)["json"]["body"]["code"] for x in details.read_text(encoding="utf-8").splitlines()
    }
    pub = recognise(stats).read(stats, ReadContext(kommunkod="0180"))["publicerad"]
    assert set(pub["kommunkod"]) == {"0180"} and len(pub) > 1000
