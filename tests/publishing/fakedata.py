"""A small, deterministic fake processed data set for the page and notebook tests.

``write_fake_processed(folder)`` writes ``indikatorer``, ``forandringar``, ``va_enheter`` and
``skolenheter`` parquet files that follow the schemas, for läsår 2020-2024:

- GR: Björkskolan (``99992002``), Ekskolan (``99992005``), Lindskolan (``99992006``, small: its
  flickor/pojkar values are suppressed),
- FS: Solrosens förskola (``99991001``), GY: Exempelgymnasiet (``99993001``, no absence data),
  VUX: Exempel komvux (``99994001``).

Markers: riket's ``np_ak9_provbetyg_ae`` 2024 is ``saknas``; Ekskolan's ``behorighet_yrkes`` 2022
is ``avrundad`` (~100). Values are a fixed function of the keys (no randomness).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pandas as pd

from pipeline.indicators.registry import load_indicator_registry
from pipeline.validate.schemas import INDICATOR_COLUMNS, validate_table

YEARS = (2020, 2021, 2022, 2023, 2024)
HUVUDMAN = "Exempelkommun"
UNITS = {
    "FS": {"99991001": "Solrosens förskola"},
    "GR": {"99992002": "Björkskolan", "99992005": "Ekskolan", "99992006": "Lindskolan"},
    "GY": {"99993001": "Exempelgymnasiet"},
    "VUX": {"99994001": "Exempel komvux"},
}
SMALL_UNIT = "99992006"
#: Areas left without data for a form, so pages must say so in words.
NO_DATA = {"GY": {"elevhalsa_narvaro"}}
GROUPED_AREAS = {"kunskapsresultat"}

_BASE = {"procent": 80.0, "index": 7.2, "per_100": 2.0, "antal": 300.0}
_BASE_BY_ID = {
    "meritvarde_17": 225.0,
    "meritvarde_16": 215.0,
    "gbp_examen": 14.4,
    "gbp_examen_studiebevis": 13.9,
    "foradlingsvarde_kvot": 1.0,
    "foradlingsvarde_residual": 0.0,
    "barn_per_arsarbetare": 5.1,
    "barngruppsstorlek": 15.2,
    "konsskillnad_meritvarde": 20.0,
    "bakgrundsskillnad_meritvarde": 35.0,
    "konsskillnad_gbp": 1.1,
    "mellanskolvarians": 8.0,
}


def _wiggle(*keys: object) -> float:
    """A fixed number in [-1, 1) from the keys."""
    return (zlib.crc32("|".join(map(str, keys)).encode()) % 2000) / 1000.0 - 1.0


def _value(ind, niva: str, code: str, grupp: str, lasar: int) -> float:
    base = _BASE_BY_ID.get(ind.id, _BASE.get(ind.enhet, 1.0))
    scale = {"procent": 8.0, "poang": base * 0.05 + 1.0, "index": 0.6, "kvot": 0.08}.get(
        ind.enhet, base * 0.1
    )
    trend = (lasar - 2020) * scale * 0.15 if code == "99992002" else 0.0
    gap = {"flickor": 0.5, "pojkar": -0.5}.get(grupp, 0.0) * scale
    v = (
        base
        + trend
        + gap
        + scale * _wiggle(ind.id, niva, code, grupp, lasar) * (0.3 if niva == "riket" else 1)
    )
    if ind.enhet == "procent":
        v = min(v, 99.0)
    if ind.enhet == "antal":
        v = float(round(v))
    return round(v, 6)


def indikatorer_frame() -> pd.DataFrame:
    """The fake indicator table (validated against the schema)."""
    registry = load_indicator_registry()
    rows = []
    for skolform, units in UNITS.items():
        for ind in registry.for_skolform(skolform):
            if ind.kvalitetsomrade in NO_DATA.get(skolform, set()):
                continue
            groups = (
                ("samtliga", "flickor", "pojkar") if ind.kvalitetsomrade in GROUPED_AREAS else ("samtliga",)
            )
            levels = [("enhet", code, name) for code, name in units.items()]
            levels += [("huvudman", "", HUVUDMAN), ("riket", "", "Riket")]
            for niva, code, name in levels:
                for grupp in groups:
                    for lasar in YEARS:
                        antal = (
                            9
                            if (code == SMALL_UNIT and grupp != "samtliga")
                            else 60 + int(20 * _wiggle(code, lasar))
                        )
                        if niva == "huvudman":
                            antal *= 3
                        if niva == "riket":
                            antal = 100000
                        v = _value(ind, niva, code, grupp, lasar)
                        half = (2.0 if ind.enhet != "kvot" else 0.05) * (3 if antal < 40 else 1)
                        row = dict(
                            lasar=lasar,
                            skolform=skolform,
                            niva=niva,
                            skolenhetskod=code,
                            enhet=name,
                            indikator=ind.id,
                            grupp=grupp,
                            varde=v,
                            antal=antal,
                            ki_lag=round(v - half, 6),
                            ki_hog=round(v + half, 6),
                            undertryckt=False,
                            kalla="demo" if niva != "riket" else "Skolverket",
                            markering="",
                        )
                        if niva == "riket":
                            row.update(ki_lag=None, ki_hog=None)
                        if antal < 10:
                            row.update(
                                varde=None,
                                ki_lag=None,
                                ki_hog=None,
                                undertryckt=True,
                                markering="undertryckt",
                            )
                        if niva == "riket" and ind.id == "np_ak9_provbetyg_ae" and lasar == 2024:
                            row.update(varde=None, markering="saknas")
                        if (
                            code == "99992005"
                            and ind.id == "behorighet_yrkes"
                            and lasar == 2022
                            and grupp == "samtliga"
                        ):
                            row.update(varde=100.0, ki_lag=None, ki_hog=None, markering="avrundad")
                        rows.append(row)
    df = pd.DataFrame(rows)[INDICATOR_COLUMNS]
    df["antal"] = df["antal"].astype("Int64")
    df = df.sort_values(["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"]).reset_index(
        drop=True
    )
    return validate_table("indikatorer", df)


def forandringar_frame(ind: pd.DataFrame) -> pd.DataFrame:
    """Changes from last year and over 2020-2024 (significant when |change| > 3 % of the value)."""
    key = ["skolform", "niva", "skolenhetskod", "indikator", "grupp"]
    rows = []
    for k, g in ind.groupby(key, sort=True):
        series = g.set_index("lasar")["varde"]
        for lasar in YEARS[1:]:
            for typ, fran in (("ett_ar", lasar - 1), ("period", YEARS[0])):
                if typ == "period" and lasar != YEARS[-1]:
                    continue
                a, b = series.get(fran), series.get(lasar)
                if a is None or b is None or pd.isna(a) or pd.isna(b):
                    continue
                delta = round(float(b - a), 6)
                sig = abs(delta) > 0.03 * max(abs(float(a)), 1.0)
                rows.append(
                    dict(
                        zip(key, k, strict=True),
                        lasar=lasar,
                        lasar_fran=fran,
                        lasar_till=lasar,
                        typ=typ,
                        varde_fran=float(a),
                        varde_till=float(b),
                        forandring=delta,
                        test="z-test för andelar"
                        if k[3].startswith(("behorighet", "godkand", "andel"))
                        else "t-test",
                        p_varde=0.01 if sig else 0.4,
                        signifikant=sig,
                        riktning_bedomning=("forbattring" if delta > 0 else "forsamring")
                        if sig
                        else "oforandrad",
                    )
                )
    return pd.DataFrame(rows).sort_values(["lasar", *key, "typ"]).reset_index(drop=True)


def jamforelser_frame(ind: pd.DataFrame) -> pd.DataFrame:
    """Unit and huvudman values against riket (and units against the huvudman), 'significant'
    when the difference exceeds 5 % of the reference."""
    sam = ind[(ind["grupp"] == "samtliga") & ind["varde"].notna()]
    key = ["lasar", "skolform", "indikator", "grupp"]
    rows = []
    for ref in ("riket", "huvudman"):
        refs = sam[sam["niva"] == ref][[*key, "varde"]].rename(columns={"varde": "referens_varde"})
        levels = ["enhet", "huvudman"] if ref == "riket" else ["enhet"]
        m = sam[sam["niva"].isin(levels)].merge(refs, on=key)
        for r in m.to_dict("records"):
            diff = r["varde"] - r["referens_varde"]
            sig = abs(diff) > 0.05 * max(abs(r["referens_varde"]), 1.0)
            rows.append(
                dict(
                    lasar=r["lasar"],
                    skolform=r["skolform"],
                    niva=r["niva"],
                    skolenhetskod=r["skolenhetskod"],
                    enhet=r["enhet"],
                    indikator=r["indikator"],
                    grupp="samtliga",
                    jamfor_med=ref,
                    varde=r["varde"],
                    referens_varde=r["referens_varde"],
                    skillnad=round(diff, 6),
                    test="t-test mot referens",
                    p_varde=0.01 if sig else 0.5,
                    signifikant=sig,
                    bedomning="hogre" if sig and diff > 0 else "lagre" if sig else "ingen_skillnad",
                )
            )
    return (
        pd.DataFrame(rows).sort_values([*key, "niva", "skolenhetskod", "jamfor_med"]).reset_index(drop=True)
    )


def va_frame() -> pd.DataFrame:
    """Value added (regression residuals) for the GR and GY units."""
    rows = []
    for skolform in ("GR", "GY"):
        for code in UNITS[skolform]:
            for lasar in YEARS:
                r = round(6 * _wiggle("va", code, lasar), 6)
                lo, hi = round(r - 4, 6), round(r + 4, 6)
                bed = "över förväntan" if lo > 0 else "under förväntan" if hi < 0 else "som förväntat"
                rows.append(
                    dict(
                        skolform=skolform,
                        skolenhetskod=code,
                        lasar=lasar,
                        residual=r,
                        ki_lag=lo,
                        ki_hog=hi,
                        bedomning=bed,
                    )
                )
    return pd.DataFrame(rows)


def skolenheter_frame() -> pd.DataFrame:
    """The unit register."""
    rows = [
        dict(
            skolenhetskod=code, enhet=name, skolform=form, huvudman=HUVUDMAN, kommunkod="9999", arskurser=None
        )
        for form, units in UNITS.items()
        for code, name in units.items()
    ]
    return validate_table("skolenheter", pd.DataFrame(rows))


def write_fake_processed(folder: Path, *, with_changes: bool = True, with_va: bool = True) -> Path:
    """Write the fake processed tables into ``folder`` and return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ind = indikatorer_frame()
    ind.to_parquet(folder / "indikatorer.parquet", index=False)
    if with_changes:
        forandringar_frame(ind).to_parquet(folder / "forandringar.parquet", index=False)
        jamforelser_frame(ind).to_parquet(folder / "jamforelser.parquet", index=False)
    if with_va:
        va_frame().to_parquet(folder / "va_enheter.parquet", index=False)
    skolenheter_frame().to_parquet(folder / "skolenheter.parquet", index=False)
    return folder


def write_fake_project(root: Path) -> tuple[Path, Path]:
    """A processed folder with the fake tables and a copy of the repository's params (without
    its written analyses, so tests control them). Returns ``(processed_dir, params_dir)``."""
    import shutil

    from pipeline.paths import REPO_ROOT

    root = Path(root)
    processed = write_fake_processed(root / "processed")
    params = root / "params"
    shutil.copytree(REPO_ROOT / "params", params, ignore=shutil.ignore_patterns("analyser"))
    (params / "analyser").mkdir()
    return processed, params
