"""The demo huvudman: the fictitious *Exempelkommun* (kommunkod 9999), written as SIS exports.

Everything here is invented. Pupils follow their cohorts across years (åk 6 at an F-6 or F-9
unit, åk 9 at a 7-9 or F-9 unit, then gymnasium with their meritvärde as entry merit), and their
grades come from one latent ability per pupil that depends on parental education, nyanländ status
and kön, plus a unit effect (value added) and a small drift per year. The files are written in
the raw formats of :mod:`pipeline.ingest.sis` (see ``data/raw/README.md``), in several of the
accepted variants (``;`` and ``,``, UTF-8 with and without BOM, cp1252, decimal comma,
personnummer in three shapes, absence as minutes and as percent), so that ``make data`` followed
by ``make report`` exercises the readers as a real huvudman's exports would.

Fictitious identities: personnummer with a real birth date and a födelsenummer in the 900-999
range (``YYYYMMDD-9NGC``, ``G`` odd for boys, ``C`` a valid check digit; see :data:`DEMO_PNR_PATTERN`),
names from two short lists of obviously invented names (:data:`FORNAMN`, :data:`EFTERNAMN`),
unit names ending in "(fiktiv)". The leak scanner can search for all of them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.amnen import AMNEN_16
from pipeline.errors import ConfigError

#: Läsår of the demo (spring years).
LASAR: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024)
KOMMUNKOD = "9999"
HUVUDMAN = "Exempelkommun"
FOLDER = "fiktiv_exempelkommun"

#: Every demo personnummer matches this (födelsenummer 900-999, in any of the written shapes).
DEMO_PNR_PATTERN = re.compile(r"\b(?:19|20)?\d{6}[-+]?9\d{3}\b")
# Invented first names that are no Swedish word, so the leak scanner's name check never hits the
# report's own text (e.g. 'Fiktiva riksvärden').
FORNAMN: tuple[str, ...] = (
    "Testina", "Demona", "Fiktivina", "Exempla", "Låtsina", "Påhitta", "Provina", "Mockelina",
    "Testolf", "Demor", "Fiktivus", "Exemplo", "Låtsus", "Påhittus", "Provarius", "Mockelin",
)  # fmt: skip
EFTERNAMN: tuple[str, ...] = (
    "Exempelsson", "Testberg", "Påhittadsson", "Fiktivdal", "Demolund", "Låtsasström",
    "Provqvist", "Exempelgren", "Testlöf", "Mockelblad",
)  # fmt: skip

SUBJECTS_16 = AMNEN_16
_SUBJECT_OFFSET = {"MA": -0.25, "FY": -0.15, "KE": -0.15, "EN": 0.1, "IDH": 0.35, "BL": 0.25, "MU": 0.25,
                   "HKK": 0.2, "SLJ": 0.2, "M2": 0.1, "ML": 0.3}  # fmt: skip
#: Thresholds on the latent grade score: F | E | D | C | B | A.
_CUTS = np.array([-1.9, -0.8, -0.05, 0.6, 1.25])
_GRADE_LETTERS = np.array(["F", "E", "D", "C", "B", "A"])
_GRADE_VALUES = np.array([0.0, 10.0, 12.5, 15.0, 17.5, 20.0])
_EDU = np.array(["forgymnasial", "gymnasial", "eftergymnasial", "okand"])
_EDU_TEXT = {
    "forgymnasial": "Förgymnasial",
    "gymnasial": "Gymnasial",
    "eftergymnasial": "Eftergymnasial",
    "okand": "Okänd",
}
_EDU_EFFECT = np.array([-0.55, -0.2, 0.25, -0.35])

HF_PROGRAM = ("NA", "TE", "EK", "SA", "ES")
YRKES_PROGRAM = ("BA", "EE", "VO", "HA")


@dataclass(frozen=True)
class DemoUnit:
    """One fictitious skolenhet."""

    kod: str
    namn: str
    skolform: str
    typ: str  # F-6, 7-9, F-9, FS, GY-HF, GY-YR, VUX
    size: int = 0  # pupils per grade (GR), children (FS)
    ses: float = 0.0  # socio-economic profile of the catchment
    va: float = 0.0  # value added (unit effect on grade scores)
    feeds: str = ""  # F-6: the 7-9 unit most pupils go on to

    @property
    def arskurser(self) -> str:
        return {"F-6": "F-6", "7-9": "7-9", "F-9": "F-9", "GY-HF": "1-3", "GY-YR": "1-3"}.get(self.typ, "")


_TREES = ("Alm", "Björk", "Ceder", "Ek", "Fur", "Gran", "Hassel", "Idegran", "Jolster", "Kastanj",
          "Lind", "Lönn", "Rönn", "Sälg", "Tall", "Vide", "Asp", "Bok", "Hägg", "Oxel")  # fmt: skip


def demo_units(n_units: int | None = None, rng: np.random.Generator | None = None) -> list[DemoUnit]:
    """The units of Exempelkommun: 3 förskolor, grundskolor, 2 gymnasieskolor, 1 komvux.

    By default 6 grundskolor (two F-6, two 7-9, two F-9; one F-9 is a small village school).
    ``n_units`` sets the total number of units; the extra ones are grundskolor in groups of an F-6,
    the 7-9 it feeds, and an F-9.
    """
    fs = [
        DemoUnit("99991001", "Ekorrens förskola (fiktiv)", "FS", "FS", size=92, va=0.03),
        DemoUnit("99991002", "Humlans förskola (fiktiv)", "FS", "FS", size=64, va=-0.04),
        DemoUnit("99991003", "Trollsländans förskola (fiktiv)", "FS", "FS", size=118, va=0.0),
    ]
    gy = [
        DemoUnit("99993001", "Exempelgymnasiet Norra (fiktiv)", "GY", "GY-HF", va=0.05),
        DemoUnit("99993002", "Exempelgymnasiet Södra (fiktiv)", "GY", "GY-YR", va=-0.05),
    ]
    vux = [DemoUnit("99994001", "Exempel Komvux (fiktiv)", "VUX", "VUX")]
    gr = [
        DemoUnit(
            "99992001", "Almskolan F-6 (fiktiv)", "GR", "F-6", size=56, ses=0.55, va=0.1, feeds="99992002"
        ),
        DemoUnit("99992002", "Björkskolan 7-9 (fiktiv)", "GR", "7-9", va=0.15),
        DemoUnit("99992003", "Cederskolan F-9 (fiktiv)", "GR", "F-9", size=62, ses=0.05, va=0.0),
        DemoUnit(
            "99992004", "Ekskolan F-6 (fiktiv)", "GR", "F-6", size=44, ses=-0.7, va=-0.05, feeds="99992005"
        ),
        DemoUnit("99992005", "Furuskolan 7-9 (fiktiv)", "GR", "7-9", va=-0.2),
        DemoUnit("99992006", "Granbyskolan F-9 (fiktiv)", "GR", "F-9", size=12, ses=0.1, va=0.05),
    ]
    if n_units is None:
        return fs + gr + gy + vux
    n_gr = n_units - len(fs) - len(gy) - len(vux)
    if n_gr < 3:
        raise ConfigError(
            f"n_units must be at least {len(fs) + len(gy) + len(vux) + 3} (3 förskolor, "
            f"2 gymnasieskolor, 1 komvux and at least 3 grundskolor), got {n_units}."
        )
    rng = rng or np.random.default_rng(0)
    gr = gr[:n_gr] if n_gr < len(gr) else list(gr)
    if n_gr < 6:
        gr = [
            u
            if u.typ != "F-6" or any(v.kod == u.feeds for v in gr)
            else DemoUnit(
                u.kod,
                u.namn,
                u.skolform,
                u.typ,
                u.size,
                u.ses,
                u.va,
                feeds=next(v.kod for v in gr if v.typ == "7-9"),
            )
            for u in gr
        ]
    i = len(gr)
    while i < n_gr:
        for typ in ("F-6", "7-9", "F-9"):
            if i >= n_gr:
                break
            kod = f"9999{2001 + i:04d}" if 2001 + i <= 9999 else f"99{2001 + i:06d}"
            name = f"{_TREES[i % len(_TREES)]}skolan {i + 1} {typ} (fiktiv)"
            size = int(rng.integers(20, 81))
            ses, va = float(rng.normal(0, 0.4)), float(rng.normal(0, 0.1))
            if typ == "F-6" and i + 1 < n_gr:
                gr.append(
                    DemoUnit(
                        kod,
                        name,
                        "GR",
                        "F-6",
                        size,
                        ses,
                        va,
                        feeds=f"9999{2002 + i:04d}" if 2002 + i <= 9999 else f"99{2002 + i:06d}",
                    )
                )
            elif typ == "F-6":
                gr.append(DemoUnit(kod, name.replace("F-6", "F-9"), "GR", "F-9", size, ses, va))
            else:
                gr.append(DemoUnit(kod, name, "GR", typ, size, ses, va))
            i += 1
    return fs + gr + gy + vux


# ------------------------------------------------------------------------------- simulation


def _luhn_digit(nine: str) -> int:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class _People:
    """Column store of every fictitious person (pupils, external gymnasium pupils, komvux adults)."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {k: [] for k in ("birth", "flicka", "edu", "ability", "arrival")}

    def add(self, birth, flicka, edu, ability, arrival) -> np.ndarray:
        start = len(self.cols["birth"])
        n = len(birth)
        for key, val in zip(self.cols, (birth, flicka, edu, ability, arrival), strict=True):
            self.cols[key].extend(np.asarray(val).tolist())
        return np.arange(start, start + n)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: np.asarray(v) for k, v in self.cols.items()})


def _new_pupils(rng, n, birth, ses, people, *, newcomer_arrival=None):
    flicka = rng.random(n) < 0.49
    if newcomer_arrival is None:
        p_eft = np.clip(0.55 + 0.28 * ses, 0.12, 0.9)
        p_for = np.clip(0.08 - 0.09 * ses, 0.02, 0.3)
        p_ok = 0.04
    else:
        p_eft, p_for, p_ok = 0.3, 0.3, 0.2
    u = rng.random(n)
    edu = np.where(u < p_for, 0, np.where(u < p_for + p_ok, 3, np.where(u < p_for + p_ok + p_eft, 2, 1)))
    ability = 0.85 * rng.standard_normal(n) + _EDU_EFFECT[edu] + np.where(flicka, 0.18, -0.18) + 0.15 * ses
    if newcomer_arrival is not None:
        ability = ability - 0.2
    arrival = np.full(n, 0) if newcomer_arrival is None else np.asarray(newcomer_arrival)
    return people.add(np.full(n, birth), flicka, edu, ability, arrival)


def _grades(rng, ability, va, lasar, arrival, *, with_m2_prob):
    """Latent grade scores -> letters for the 16 subjects + M2 + ML (columns in that order)."""
    n = len(ability)
    subjects = (*SUBJECTS_16, "M2", "ML")
    offs = np.array([_SUBJECT_OFFSET.get(s, 0.0) for s in subjects])
    drift = 0.04 * (lasar - 2022)
    yrs = np.where(arrival > 0, lasar - arrival, 99)
    pen = np.where(arrival > 0, 1.2 * np.clip(1 - yrs / 4, 0, 1), 0.0)
    z = (ability + va + drift - pen)[:, None] + offs[None, :] + 0.6 * rng.standard_normal((n, len(subjects)))
    idx = np.digitize(z, _CUTS)
    letters = _GRADE_LETTERS[idx].astype(object)
    newcomer_now = (arrival > 0) & (yrs == 0)
    streck = rng.random((n, len(subjects))) < np.where(newcomer_now, 0.5, 0.003)[:, None]
    letters[streck] = "-"
    has_m2 = rng.random(n) < _sigmoid(with_m2_prob + 0.8 * ability) * np.where(arrival > 0, 0.3, 1.0)
    has_ml = (~has_m2) & (arrival > 0) & (rng.random(n) < 0.5)
    letters[~has_m2, 16] = None
    letters[~has_ml, 17] = None
    values = np.where(idx == 0, 0.0, _GRADE_VALUES[idx])
    values[streck] = 0.0
    best = np.where(has_ml[:, None], values[:, [*range(16), 17]], np.c_[values[:, :16], np.zeros(n)])
    merit = np.sort(best, axis=1)[:, ::-1][:, :16].sum(axis=1) + np.where(has_m2, values[:, 16], 0.0)
    return letters, merit, z


@dataclass
class _World:
    units: list[DemoUnit]
    people: pd.DataFrame
    elever: pd.DataFrame
    betyg: pd.DataFrame
    np_: pd.DataFrame
    studievag: pd.DataFrame
    kursbetyg: pd.DataFrame
    vux: pd.DataFrame
    franvaro: pd.DataFrame
    enkat: pd.DataFrame
    avvikelser: pd.DataFrame
    fs_personal: pd.DataFrame


def _simulate(units: list[DemoUnit], rng: np.random.Generator) -> _World:
    people = _People()
    gr = [u for u in units if u.skolform == "GR"]
    by_kod = {u.kod: u for u in units}
    low_units = [u for u in gr if u.typ in ("F-6", "F-9")]
    high_units = [u for u in gr if u.typ in ("7-9", "F-9")]
    small = {u.kod for u in gr if 0 < u.size < 15}
    recs = []  # pupil trajectories: pid, birth, low, high, entry, last
    for birth in range(2001, 2017):
        cohort = []
        for u in low_units:
            n = int(rng.poisson(u.size))
            if u.kod in small and birth == 2006:
                n = 8  # a year with fewer than 10 pupils in åk 9 (2022): suppression has work to do
            n = max(n, 3)
            pids = _new_pupils(rng, n, birth, u.ses, people)
            for pid in pids:
                cohort.append([pid, u.kod, "", 1, 9])
        n_new = int(rng.poisson(0.12 * len(cohort)))
        for _ in range(n_new):
            g0 = int(rng.integers(1, 10))
            pool = low_units if g0 <= 6 else high_units
            w = np.array(
                [
                    np.exp(
                        -1.5
                        * (
                            u.ses
                            if u.typ != "7-9"
                            else by_kod[_feeder_of(u, gr)].ses
                            if _feeder_of(u, gr)
                            else 0
                        )
                    )
                    * max(u.size, 40)
                    for u in pool
                ]
            )
            u = pool[int(rng.choice(len(pool), p=w / w.sum()))]
            pid = _new_pupils(rng, 1, birth, -0.8, people, newcomer_arrival=[birth + 7 + g0])[0]
            cohort.append([pid, u.kod if g0 <= 6 else "", u.kod if g0 > 6 else "", g0, 9])
        for rec in cohort:
            low = by_kod[rec[1]] if rec[1] else None
            if not rec[2]:
                assert low is not None  # a pupil without a high-stage unit went to a low-stage one
                r = rng.random()
                if low.typ == "F-9":
                    rec[2] = low.kod if r < 0.97 else high_units[int(rng.integers(len(high_units)))].kod
                elif r < 0.85:
                    rec[2] = low.feeds
                elif r < 0.95:
                    rec[2] = high_units[int(rng.integers(len(high_units)))].kod
                else:
                    rec[4] = 6
            if rng.random() < 0.05 and rec[4] > rec[3]:
                rec[4] = int(rng.integers(rec[3], rec[4]))
            if rec[4] < 7:
                rec[2] = ""
            recs.append(rec)
    traj = pd.DataFrame(recs, columns=["pid", "low", "high", "entry", "last"])
    pf = people.frame()
    traj = traj.join(pf, on="pid")

    # ---- elever (GR) and franvaro
    el_rows = []
    for lasar in LASAR:
        g = lasar - traj["birth"] - 7
        m = (g >= traj["entry"]) & (g <= traj["last"]) & g.between(1, 9)
        sub = traj[m]
        gg = g[m]
        el_rows.append(
            pd.DataFrame(
                {
                    "lasar": lasar,
                    "pid": sub["pid"].to_numpy(),
                    "skolenhetskod": np.where(gg <= 6, sub["low"], sub["high"]),
                    "skolform": "GR",
                    "arskurs": gg.to_numpy(),
                    "program": "",
                    "nyanland": (sub["arrival"] > 0) & (lasar - sub["arrival"] < 4),
                }
            )
        )
    elever_gr = pd.concat(el_rows, ignore_index=True)

    # ---- grades åk 6 and åk 9
    va = {u.kod: u.va for u in units}
    betyg_parts, np_parts, merit_parts = [], [], []
    for ak, unit_col in ((6, "low"), (9, "high")):
        sub = traj[(traj["entry"] <= ak) & (traj["last"] >= ak)].reset_index(drop=True)
        lasar = (sub["birth"] + 7 + ak).to_numpy()
        letters, merit, z = _grades(
            rng,
            sub["ability"].to_numpy(),
            sub[unit_col].map(va).to_numpy(),
            lasar,
            sub["arrival"].to_numpy(),
            with_m2_prob=1.3 if ak == 9 else 0.3,
        )
        sva = (sub["arrival"].to_numpy() > 0) | (rng.random(len(sub)) < 0.03)
        subjects = np.array([*SUBJECTS_16, "M2", "ML"], dtype=object)
        for j, s in enumerate(subjects):
            col = letters[:, j]
            keep = pd.notna(col)
            amne = np.where(sva, "SVA", "SV") if s == "SV" else np.full(len(sub), s, dtype=object)
            betyg_parts.append(
                pd.DataFrame(
                    {
                        "lasar": lasar[keep],
                        "pid": sub["pid"].to_numpy()[keep],
                        "skolenhetskod": sub[unit_col].to_numpy()[keep],
                        "arskurs": ak,
                        "amne": amne[keep],
                        "betyg": col[keep],
                    }
                )
            )
        if ak == 9:
            merit_parts.append(
                pd.DataFrame(
                    {
                        "pid": sub["pid"],
                        "lasar": lasar,
                        "merit": merit,
                        "skolenhetskod": sub["high"],
                        "z_sv": z[:, 0],
                        "z_en": z[:, 1],
                        "z_ma": z[:, 2],
                        "ok": _behorig_yrkes(letters),
                    }
                )
            )
        # national tests (SV/SVA, EN, MA) from 2022 on (cancelled 2020 and 2021)
        for j, s in enumerate(("SV", "EN", "MA")):
            zt = z[:, j] + 0.5 * rng.standard_normal(len(sub))
            took = (rng.random(len(sub)) > 0.04) & (letters[:, j] != "-") & np.isin(lasar, [2022, 2023, 2024])
            amne = np.where(sva, "SVA", "SV") if s == "SV" else np.full(len(sub), s, dtype=object)
            np_parts.append(
                pd.DataFrame(
                    {
                        "lasar": lasar[took],
                        "pid": sub["pid"].to_numpy()[took],
                        "skolenhetskod": sub[unit_col].to_numpy()[took],
                        "arskurs": ak,
                        "amne": amne[took],
                        "provbetyg": _GRADE_LETTERS[np.digitize(zt, _CUTS)][took],
                    }
                )
            )
    betyg = pd.concat(betyg_parts, ignore_index=True)
    betyg = betyg[betyg["lasar"].isin(LASAR)]
    np_ = pd.concat(np_parts, ignore_index=True)
    merit = pd.concat(merit_parts, ignore_index=True)

    # ---- gymnasium
    gy_units = [u for u in units if u.skolform == "GY"]
    hf_unit = next(u for u in gy_units if u.typ == "GY-HF")
    yr_unit = next(u for u in gy_units if u.typ == "GY-YR")
    paths, courses = [], []
    for start in range(2018, 2025):
        leavers = merit[(merit["lasar"] == start - 1) & merit["ok"]]
        p_own = min(0.78, 300.0 / max(len(leavers), 1))
        own = leavers[rng.random(len(leavers)) < p_own]
        n_ext = int(rng.poisson(0.2 * len(own)))
        ext_pids = _new_pupils(rng, n_ext, start - 17, 0.0, people)
        ext_ab = np.asarray(people.cols["ability"])[ext_pids]
        _, ext_merit, _ = _grades(
            rng,
            ext_ab,
            np.zeros(n_ext),
            np.full(n_ext, start - 1),
            np.zeros(n_ext, dtype=int),
            with_m2_prob=1.3,
        )
        pid = np.r_[own["pid"].to_numpy(), ext_pids]
        mv = np.r_[own["merit"].to_numpy(), ext_merit]
        keep = mv >= 80  # behörig: an external pupil with too low merit goes elsewhere
        pid, mv = pid[keep], mv[keep]
        hf = rng.random(len(pid)) < _sigmoid((mv - 215) / 18)
        prog = np.where(
            hf,
            np.where(
                mv > 250,
                rng.choice(HF_PROGRAM, len(pid), p=[0.45, 0.2, 0.15, 0.15, 0.05]),
                rng.choice(HF_PROGRAM, len(pid), p=[0.1, 0.2, 0.27, 0.35, 0.08]),
            ),
            rng.choice(YRKES_PROGRAM, len(pid), p=[0.3, 0.3, 0.3, 0.1]),
        )
        ab = np.asarray(people.cols["ability"])[pid] + 0.4 * rng.standard_normal(len(pid))
        exam3 = rng.random(len(pid)) < _sigmoid(1.1 + 1.3 * ab)
        draw = rng.random(len(pid))
        other = np.where(draw < 0.25, "exam4", np.where(draw < 0.65, "studiebevis", "avbrott"))
        stop_year = start + rng.integers(0, 3, len(pid))
        for k in range(len(pid)):
            unit = hf_unit if prog[k] in HF_PROGRAM else yr_unit
            if exam3[k]:
                end, utfall, years = (
                    start + 2,
                    ("hogskoleforberedande_examen" if prog[k] in HF_PROGRAM else "yrkesexamen"),
                    3,
                )
            elif other[k] == "exam4":
                end, utfall, years = (
                    start + 3,
                    ("hogskoleforberedande_examen" if prog[k] in HF_PROGRAM else "yrkesexamen"),
                    4,
                )
            elif other[k] == "studiebevis":
                end, utfall, years = start + 2, "studiebevis", 3
            else:
                end, utfall, years = int(stop_year[k]), "avbrott", int(stop_year[k] - start)
            if end > 2024:
                if utfall == "avbrott":
                    end, utfall, years = 0, "pagaende", 3
                else:
                    end, utfall = 0, "pagaende"
            paths.append((int(pid[k]), unit.kod, str(prog[k]), start, end, utfall, float(mv[k]), years))
        # course grades are drawn below, per path
    studievag = pd.DataFrame(
        paths,
        columns=[
            "pid",
            "skolenhetskod",
            "program",
            "startlasar",
            "slutlasar",
            "utfall",
            "meritvarde_ak9",
            "years",
        ],
    )
    ab_all = np.asarray(people.cols["ability"])
    for row in studievag.itertuples(index=False):
        plan = _course_plan(row.program)
        passed = row.utfall in ("hogskoleforberedande_examen", "yrkesexamen")
        shift = 0.0 if passed or row.utfall == "pagaende" else -0.9
        base = ab_all[row.pid] + shift + 0.35 * rng.standard_normal() + va[row.skolenhetskod]
        for kurs, poang, year in plan:
            if year > row.years and row.utfall != "pagaende":
                continue
            lasar = row.startlasar + year - 1
            if lasar > 2024:
                continue
            zc = base + 0.55 * rng.standard_normal() - 0.2
            letter = _GRADE_LETTERS[np.digitize(zc, _CUTS)]
            if kurs.startswith("GYAR"):
                letter = "E" if (passed or zc > -1.0) else "F"
            courses.append((lasar, row.pid, row.skolenhetskod, row.program, kurs, poang, letter))
    kursbetyg = pd.DataFrame(
        courses, columns=["lasar", "pid", "skolenhetskod", "program", "kurs", "poang", "betyg"]
    )
    gy_el = []
    for row in studievag.itertuples(index=False):
        last = row.slutlasar if row.slutlasar else 2024
        for lasar in range(max(row.startlasar, 2020), min(last, 2024) + 1):
            gy_el.append(
                (lasar, row.pid, row.skolenhetskod, "GY", min(lasar - row.startlasar + 1, 3), row.program)
            )
    elever_gy = pd.DataFrame(
        gy_el, columns=["lasar", "pid", "skolenhetskod", "skolform", "arskurs", "program"]
    )
    arr = np.asarray(people.cols["arrival"])
    elever_gy["nyanland"] = (arr[elever_gy["pid"]] > 0) & (elever_gy["lasar"] - arr[elever_gy["pid"]] < 4)

    # ---- komvux
    vux_unit = next(u for u in units if u.skolform == "VUX")
    vux_rows, vux_el = [], []
    current = np.array([], dtype=int)
    sfi_set: set[int] = set()
    for lasar in LASAR:
        cont = current[rng.random(len(current)) < 0.45]
        n_new = int(rng.poisson(110))
        sfi = rng.random(n_new) < 0.3
        births = rng.integers(1962, 2004, n_new)
        arrivals = np.where(sfi, lasar - rng.integers(0, 3, n_new), 0)
        new = np.array(
            [
                _new_pupils(rng, 1, int(b), -0.2, people, newcomer_arrival=[int(a)] if a else None)[0]
                for b, a in zip(births, arrivals, strict=True)
            ],
            dtype=int,
        )
        sfi_set.update(new[sfi].tolist())
        current = np.r_[cont, new]
        for pid in current:
            n_courses = int(rng.integers(1, 5))
            is_sfi = int(pid) in sfi_set
            for _ in range(n_courses):
                if is_sfi and rng.random() < 0.8:
                    omr, kurs, poang = "sfi", str(rng.choice(["SFIKURSB", "SFIKURSC", "SFIKURSD"])), 0
                elif rng.random() < 0.35:
                    omr, kurs = (
                        "grundlaggande",
                        str(rng.choice(["GRNSVA2", "GRNMAT2", "GRNENG2", "GRNSVE2", "GRNSAM1"])),
                    )
                    poang = int(rng.choice([50, 100]))
                else:
                    omr, kurs = (
                        "gymnasial",
                        str(
                            rng.choice(
                                [
                                    "SVESVE01",
                                    "MATMAT01a",
                                    "ENGENG05",
                                    "MATMAT02a",
                                    "SVASVA01",
                                    "SAMSAM01b",
                                    "NAKNAK01b",
                                    "VÅRVÅR0",
                                    "OMVOMV01",
                                    "PSKPSY01",
                                ]
                            )
                        ),
                    )
                    poang = int(rng.choice([50, 100, 100, 100]))
                r = rng.random()
                if r < 0.10:
                    res = "avbrott"
                elif r < 0.17:
                    res = "F"
                else:
                    res = str(rng.choice(list("ABCDE"), p=[0.08, 0.12, 0.3, 0.22, 0.28]))
                vux_rows.append((lasar, int(pid), vux_unit.kod, kurs, omr, poang, res))
            vux_el.append(
                (
                    lasar,
                    int(pid),
                    vux_unit.kod,
                    "VUX",
                    pd.NA,
                    "",
                    bool(arr_of(people, pid) and lasar - arr_of(people, pid) < 4),
                )
            )
    vux = pd.DataFrame(
        vux_rows, columns=["lasar", "pid", "skolenhetskod", "kurs", "kursomrade", "poang", "resultat"]
    )
    vux = vux.drop_duplicates(["lasar", "pid", "kurs"]).reset_index(drop=True)
    elever_vux = pd.DataFrame(
        vux_el, columns=["lasar", "pid", "skolenhetskod", "skolform", "arskurs", "program", "nyanland"]
    )

    elever = pd.concat([elever_gr, elever_gy, elever_vux], ignore_index=True)

    # ---- absence (GR and GY)
    sch = elever[elever["skolform"].isin(["GR", "GY"])].reset_index(drop=True)
    ab_s = np.asarray(people.cols["ability"])[sch["pid"]]
    share = rng.beta(1.3, 18.5, len(sch)) * np.exp(-0.25 * ab_s) + 0.004
    share = np.clip(share, 0, 0.95)
    fr = sch[["lasar", "pid", "skolenhetskod", "skolform", "arskurs"]].copy()
    fr["share"] = share
    ak = fr["arskurs"].astype(int).to_numpy()
    fr["schemalagd"] = 178 * np.where(ak <= 3, 230, np.where(ak <= 6, 270, 320)) + rng.integers(
        -400, 400, len(fr)
    )

    # ---- surveys, incidents, förskola staff
    enk, avv, fsp = [], [], []
    enk_frames: list[pd.DataFrame] = []
    climate = {u.kod: 0.35 * u.ses + u.va + float(rng.normal(0, 0.25)) for u in units}
    questions = _QUESTIONS
    counts = elever.groupby(["lasar", "skolenhetskod"]).size()
    for lasar in LASAR:
        grp = sch[
            (sch["lasar"] == lasar)
            & (
                ((sch["skolform"] == "GR") & sch["arskurs"].isin([5, 8]))
                | ((sch["skolform"] == "GY") & (sch["arskurs"] == 2))
            )
        ]
        grp = grp[rng.random(len(grp)) < 0.8].sort_values(
            ["skolenhetskod", "arskurs", "pid"], kind="mergesort"
        )
        n = len(grp)
        rid = np.array([f"R{lasar}-{i + 1:05d}" for i in range(n)], dtype=object)
        base = (
            0.8
            + grp["skolenhetskod"].map(climate).to_numpy()
            + 0.8 * rng.standard_normal(n)
            + 0.03 * (lasar - 2022)
        )
        answers = np.array(
            ["Stämmer inte alls", "Stämmer ganska dåligt", "Stämmer ganska bra", "Stämmer helt och hållet"],
            dtype=object,
        )
        parts = []
        for q, (omrade, fraga, off) in enumerate(questions):
            y = base + off + 0.9 * rng.standard_normal(n)
            svar = np.where(rng.random(n) < 0.03, "Vet ej", answers[np.digitize(y, [-1.2, -0.3, 1.0])])
            parts.append(
                pd.DataFrame(
                    {
                        "lasar": lasar,
                        "skolenhetskod": grp["skolenhetskod"].to_numpy(),
                        "respondent": rid,
                        "enkat": "Elevenkät",
                        "arskurs": grp["arskurs"].astype(int).to_numpy(),
                        "kon": "",
                        "omrade": omrade,
                        "fraga": fraga,
                        "svar": svar,
                        "_r": np.arange(n),
                        "_q": q,
                    }
                )
            )
        if parts:
            enk_frames.append(
                pd.concat(parts, ignore_index=True)
                .sort_values(["_r", "_q"], kind="mergesort")
                .drop(columns=["_r", "_q"])
            )
        for u in units:
            if u.skolform == "FS":
                n_barn = int(round(u.size * (1 + 0.02 * (lasar - 2022)) + rng.normal(0, 3)))
                aa = round(n_barn / rng.normal(5.1, 0.25), 1)
                fsp.append(
                    (
                        lasar,
                        u.kod,
                        n_barn,
                        aa,
                        round(aa * float(np.clip(rng.normal(0.40 + u.va, 0.03), 0.1, 0.9)), 1),
                        max(1, int(round(n_barn / rng.normal(15, 1.0)))),
                    )
                )
                for r in range(int(n_barn * 0.5)):
                    vh_id = f"V{lasar}-{u.kod[-4:]}-{r + 1:04d}"
                    for omrade, fraga in _VH_QUESTIONS:
                        score = int(np.clip(round(rng.normal(7.6 + 3 * u.va, 1.8)), 0, 10))
                        enk.append(
                            (lasar, u.kod, vh_id, "Vårdnadshavarenkät", None, "", omrade, fraga, str(score))
                        )
            n_children = int(counts.get((lasar, u.kod), 0)) if u.skolform != "FS" else u.size
            rate = {"FS": 1.2, "GR": 3.5, "GY": 2.0}.get(u.skolform)
            if rate is None:
                continue
            for _ in range(int(rng.poisson(rate * n_children / 100))):
                day = int(rng.integers(0, 300))
                datum = (pd.Timestamp(f"{lasar - 1}-08-15") + pd.Timedelta(days=day)).strftime("%Y-%m-%d")
                typ = str(rng.choice(["Kränkande behandling", "Diskriminering"], p=[0.9, 0.1]))
                avv.append((lasar, datum, u.kod, typ))
    enkat = pd.concat(
        [
            *enk_frames,
            pd.DataFrame(
                enk,
                columns=[
                    "lasar",
                    "skolenhetskod",
                    "respondent",
                    "enkat",
                    "arskurs",
                    "kon",
                    "omrade",
                    "fraga",
                    "svar",
                ],
            ),
        ],
        ignore_index=True,
    )
    avvikelser = pd.DataFrame(avv, columns=["lasar", "datum", "skolenhetskod", "typ"])
    fs_personal = pd.DataFrame(
        fsp,
        columns=[
            "lasar",
            "skolenhetskod",
            "antal_barn",
            "arsarbetare",
            "arsarbetare_forskollararexamen",
            "antal_barngrupper",
        ],
    )
    # Some gymnasium pupils change school: applied last, with a child generator, so every other
    # draw of the demo is the same as without them (surveys and incidents keep the moved pupils at
    # their first unit; they carry no pupil id).
    studievag, kursbetyg, elever, fr = _school_changes(
        studievag, kursbetyg, elever, fr, hf_unit.kod, yr_unit.kod, rng.spawn(1)[0]
    )
    return _World(
        units,
        people.frame(),
        elever,
        betyg,
        np_,
        studievag,
        kursbetyg,
        vux,
        fr,
        enkat,
        avvikelser,
        fs_personal,
    )


def arr_of(people: _People, pid: int) -> int:
    return int(people.cols["arrival"][int(pid)])


def _feeder_of(unit: DemoUnit, gr: list[DemoUnit]) -> str:
    return next((u.kod for u in gr if u.feeds == unit.kod), "")


def _behorig_yrkes(letters: np.ndarray) -> np.ndarray:
    passed = np.isin(letters, ["A", "B", "C", "D", "E"])
    core = passed[:, 0] & passed[:, 1] & passed[:, 2]
    others = passed[:, 3:].sum(axis=1)
    return core & (others >= 5)


_QUESTIONS = (
    ("Trygghet", "Jag känner mig trygg i skolan", 0.35),
    ("Trygghet", "Det finns vuxna på skolan som jag kan vända mig till", 0.25),
    ("Studiero", "Jag har arbetsro på lektionerna", -0.35),
    ("Studiero", "Det är lugnt i klassrummet när vi ska arbeta", -0.45),
    ("Stimulans", "Skolarbetet gör mig nyfiken på att lära mig mer", -0.2),
    ("Stimulans", "Lärarna gör lektionerna intressanta", -0.1),
    ("Elevernas inflytande", "Lärarna tar hänsyn till elevernas åsikter", -0.05),
    ("Elevernas inflytande", "Jag kan påverka vad vi arbetar med på lektionerna", -0.5),
    ("Normer och värden", "Lärarna behandlar alla elever lika", 0.1),
    ("Normer och värden", "På min skola respekterar vi varandra", -0.1),
)
_VH_QUESTIONS = (
    ("Trygghet", "Mitt barn känner sig tryggt i förskolan"),
    ("Normer och värden", "Förskolan arbetar för att alla barn ska behandlas lika"),
    ("Stimulans", "Mitt barn stimuleras i sin utveckling och sitt lärande"),
    ("Inflytande", "Jag har möjlighet att påverka förskolans verksamhet"),
    ("Helhet", "Jag är som helhet nöjd med mitt barns förskola"),
)

_PROGRAM_COURSES = {
    "NA": (
        "BIOBIO01",
        "BIOBIO02",
        "FYSFYS01a",
        "FYSFYS02",
        "KEMKEM01",
        "KEMKEM02",
        "MATMAT02c",
        "MATMAT03c",
        "MATMAT04",
        "MODSPR03",
        "NAKNAK02",
        "FILFIL01",
        "PSKPSY01",
        "MODSPR04",
    ),
    "TE": (
        "TEKTEK01",
        "TEKTEK02",
        "FYSFYS01a",
        "FYSFYS02",
        "KEMKEM01",
        "MATMAT02c",
        "MATMAT03c",
        "MATMAT04",
        "PRRPRR01",
        "PRRPRR02",
        "CADCAD01",
        "KONKON01",
        "DAODAC0",
        "WEUWEB01",
    ),
    "EK": (
        "FÖRFÖR01",
        "FÖRFÖR02",
        "PRIPRR01",
        "ENTENT0",
        "JURPRI00",
        "MATMAT02b",
        "MATMAT03b",
        "MODSPR03",
        "PSKPSY01",
        "FILFIL01",
        "MARMAR0",
        "INTINT0",
        "SAMSAM02",
        "MODSPR04",
    ),
    "SA": (
        "SAMSAM02",
        "SAMSAM03",
        "PSKPSY01",
        "PSKPSY02",
        "FILFIL01",
        "GEOGEO01",
        "HISHIS02a",
        "MATMAT02b",
        "MODSPR03",
        "MODSPR04",
        "RELREL02",
        "SOCSOC0",
        "MEDMED01",
        "SAMSAM01b",
    ),
    "ES": (
        "ESTEST01",
        "ESTEST02",
        "ENSENS01",
        "ENSENS02",
        "INRINR01",
        "INRINR02",
        "SCESCE01",
        "KOMKOU01",
        "FILFIL01",
        "MATMAT02b",
        "MODSPR03",
        "PSKPSY01",
        "MUSMUS01",
        "HISKUL01",
    ),
    "BA": (
        "BYGBYG0",
        "BYGBYG01",
        "BYGBYG02",
        "ANLANL01",
        "HUSHUS0",
        "HUSHUS01",
        "HUSHUS02",
        "TRÄTRÄ01",
        "MURMUR01",
        "PLAPLA0",
        "BYGBYG03",
        "BYGSTO01",
        "SÄKSÄK0",
        "MASMAS01",
    ),
    "EE": (
        "ELLELE0",
        "ELEELE01",
        "ELEELE02",
        "DAODAC0",
        "MEKMEK01",
        "ELIELI0",
        "ELIELI01",
        "ELIELI02",
        "ELSELS0",
        "ELSELS01",
        "KOMKOM01",
        "AUTAUT0",
        "ELEELE03",
        "DATDAT01",
    ),
    "VO": (
        "VÅRVÅR0",
        "MEDMED01",
        "VÅRVÅR01",
        "VÅRVÅR02",
        "PSYPSY01",
        "SOCSOC0",
        "HÄLHÄL0",
        "FUNFUN0",
        "PSKPSK0",
        "GERGER0",
        "VÅRVÅD0",
        "AKUAKU0",
        "VÅRVÅR03",
        "SPESPE0",
    ),
    "HA": (
        "ENTENT0",
        "HANHAN0",
        "PRIPRR01",
        "PERPER0",
        "MARMAR0",
        "INFINF01",
        "SÄLSÄL0",
        "SERSER0",
        "KOMKOM01",
        "BESBES0",
        "DETDET0",
        "EKOEKO0",
        "PRISPR0",
        "HANHAN02",
    ),
}
_COMMON = (("SVESVE01", 100, 1), ("ENGENG05", 100, 1), ("IDRIDR01", 100, 1), ("HISHIS01a1", 50, 1),
           ("SAMSAM01a1", 50, 1), ("NAKNAK01a1", 50, 2), ("RELREL01", 50, 2), ("SVESVE02", 100, 2))  # fmt: skip


#: Share of gymnasium study paths (of at least two years) where the pupil changes school after
#: the first year; the demo then has pupils whose examen comes from another unit than their start.
_SCHOOL_CHANGE = 0.06


def _school_changes(
    studievag: pd.DataFrame,
    kursbetyg: pd.DataFrame,
    elever: pd.DataFrame,
    franvaro: pd.DataFrame,
    hf_kod: str,
    yr_kod: str,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Split some study paths in two: the first läsår at the start unit, ending with ``avbrott``,
    then a new path at the other gymnasium (another programme) from the next läsår with the
    original outcome (examen of the new programme's kind). Courses, register rows and absence
    from the second läsår on move with the pupil."""
    s = studievag.reset_index(drop=True)
    long_enough = (s["years"] >= 2) & ((s["slutlasar"] == 0) | (s["slutlasar"] >= s["startlasar"] + 1))
    long_enough &= s["startlasar"] + 1 <= 2024
    change = long_enough.to_numpy() & (rng.random(len(s)) < _SCHOOL_CHANGE)
    rows, moved = [], []
    for i, row in enumerate(s.itertuples(index=False)):
        if not change[i]:
            rows.append(row._asdict())
            continue
        to_hf = row.program not in HF_PROGRAM
        new_prog = str(rng.choice(HF_PROGRAM if to_hf else YRKES_PROGRAM))
        utfall = row.utfall
        if utfall in ("hogskoleforberedande_examen", "yrkesexamen"):
            utfall = "hogskoleforberedande_examen" if to_hf else "yrkesexamen"
        first = row._asdict() | {"slutlasar": row.startlasar, "utfall": "avbrott", "years": 1}
        second = row._asdict() | {
            "skolenhetskod": hf_kod if to_hf else yr_kod,
            "program": new_prog,
            "startlasar": row.startlasar + 1,
            "utfall": utfall,
            "years": row.years - 1,
        }
        rows += [first, second]
        moved.append((row.pid, row.startlasar + 1, second["skolenhetskod"], new_prog))
    out = pd.DataFrame(rows, columns=studievag.columns)
    k, e, f = kursbetyg.copy(), elever.copy(), franvaro.copy()
    for pid, from_lasar, kod, prog in moved:
        sel = (k["pid"] == pid) & (k["lasar"] >= from_lasar)
        k.loc[sel, "skolenhetskod"] = kod
        k.loc[sel, "program"] = prog
        gyar = sel & k["kurs"].str.startswith("GYAR")
        k.loc[gyar, "kurs"] = f"GYAR{prog}"
        sel = (e["pid"] == pid) & e["skolform"].eq("GY") & (e["lasar"] >= from_lasar)
        e.loc[sel, "skolenhetskod"] = kod
        e.loc[sel, "program"] = prog
        sel = (f["pid"] == pid) & f["skolform"].eq("GY") & (f["lasar"] >= from_lasar)
        f.loc[sel, "skolenhetskod"] = kod
    return out, k, e, f


def _course_plan(program: str) -> list[tuple[str, int, int]]:
    """(kurs, gymnasiepoäng, year 1-3) of one programme: common courses, programme courses, gymnasiearbete."""
    mat1 = "MATMAT01c" if program in ("NA", "TE") else "MATMAT01b" if program in HF_PROGRAM else "MATMAT01a"
    plan = [*_COMMON, (mat1, 100, 1)]
    if program in HF_PROGRAM:
        plan += [("ENGENG06", 100, 2), ("SVESVE03", 100, 3)]
    own = _PROGRAM_COURSES[program]
    for i, kurs in enumerate(own):
        plan.append((kurs, 100, 1 + (i * 3) // len(own)))
    plan.append((f"GYAR{program}", 100, 3))
    out = []
    seen: set[str] = set()
    for c in plan:  # each course once, its first entry
        if c[0] not in seen:
            seen.add(c[0])
            out.append(c)
    return out


# ----------------------------------------------------------------------------------- writing


def _assign_identities(world: _World, rng: np.random.Generator) -> pd.DataFrame:
    """Fictitious personnummer (födelsenummer 9xx) and invented names for every person."""
    pf = world.people.copy()
    pf["pnr"] = ""
    for (birth, flicka), idx in pf.groupby(["birth", "flicka"]).groups.items():
        n = len(idx)
        slots = 365 * 50  # day of year x second digit of the födelsenummer x gender digit
        if n > slots:
            raise ConfigError(f"too many demo pupils born {birth} ({n} > {slots}); lower n_units.")
        pick = np.sort(rng.choice(slots, size=n, replace=False))
        day, rest = pick // 50, pick % 50
        gdigit = 2 * (rest % 5) + (0 if flicka else 1)
        dates = pd.Timestamp(f"{int(birth)}-01-01") + pd.to_timedelta(day, unit="D")
        out = []
        for d, d8, gd in zip(dates, rest // 5, gdigit, strict=True):
            nine = f"{d.strftime('%y%m%d')}9{d8}{gd}"
            out.append(f"{d.strftime('%Y%m%d')}-{nine[6:]}{_luhn_digit(nine)}")
        pf.loc[idx, "pnr"] = out
    if pf["pnr"].duplicated().any():  # pragma: no cover - impossible by construction
        raise RuntimeError("duplicate demo personnummer")
    pf["fornamn"] = [
        FORNAMN[(i * 7) % 8 + (0 if f else 8)] for i, f in zip(pf.index, pf["flicka"], strict=True)
    ]
    pf["efternamn"] = [EFTERNAMN[(i * 3) % len(EFTERNAMN)] for i in pf.index]
    return pf


def _csv_bytes(header: list[str], rows, *, delimiter=";", encoding="utf-8", bom=False, crlf=False) -> bytes:
    buf = io.StringIO()
    w = csv.writer(
        buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n", quoting=csv.QUOTE_MINIMAL
    )
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def _dec(x: float, nd: int = 1) -> str:
    return f"{x:.{nd}f}".replace(".", ",")


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns (fast row iteration; pandas' arrow strings are slow to iterate)."""
    return df.astype(object)


def _write(raw_dir: Path, world: _World, rng: np.random.Generator) -> list[Path]:
    root = Path(raw_dir) / FOLDER
    root.mkdir(parents=True, exist_ok=True)
    ids = _assign_identities(world, rng)
    pnr = ids["pnr"].to_numpy(dtype=object)
    fn = ids["fornamn"].to_numpy(dtype=object)
    en = ids["efternamn"].to_numpy(dtype=object)
    written: list[Path] = []

    def put(rel: str, data: bytes) -> None:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        written.append(p)

    put("README.md", _README.encode("utf-8"))
    put(
        "skolenheter.csv",
        _csv_bytes(
            ["Skolenhetskod", "Skolenhetsnamn", "Skolform", "Huvudman", "Kommunkod", "Årskurser"],
            [
                [u.kod, u.namn, u.skolform, HUVUDMAN, KOMMUNKOD, u.arskurser]
                for u in sorted(world.units, key=lambda u: u.kod)
            ],
            bom=True,
        ),
    )

    el = world.elever.sort_values(["lasar", "skolform", "skolenhetskod", "arskurs", "pid"], kind="mergesort")
    fl = world.people["flicka"].to_numpy()
    edu = world.people["edu"].to_numpy()
    for lasar in LASAR:
        sub = _plain(el[el["lasar"] == lasar])
        rows = []
        for r in sub.itertuples(index=False):
            p = int(r.pid)
            rows.append(
                [
                    f"{lasar - 1}/{str(lasar)[2:]}",
                    pnr[p],
                    fn[p],
                    en[p],
                    r.skolenhetskod,
                    r.skolform,
                    "" if pd.isna(r.arskurs) else str(int(r.arskurs)),
                    "Flicka" if fl[p] else "Pojke",
                    "Ja" if r.nyanland else "Nej",
                    _EDU_TEXT["okand"] if r.skolform == "VUX" else _EDU_TEXT[_EDU[edu[p]]],
                    r.program,
                ]
            )
        put(
            f"{lasar}/elever_{lasar}.csv",
            _csv_bytes(
                [
                    "Läsår",
                    "Personnummer",
                    "Förnamn",
                    "Efternamn",
                    "Skolenhetskod",
                    "Skolform",
                    "Årskurs",
                    "Kön",
                    "Nyanländ",
                    "Föräldrars utbildning",
                    "Program",
                ],
                rows,
                bom=True,
            ),
        )

        b = _plain(
            world.betyg[world.betyg["lasar"] == lasar].sort_values(
                ["skolenhetskod", "arskurs", "pid", "amne"], kind="mergesort"
            )
        )
        put(
            f"{lasar}/betyg_{lasar}.csv",
            _csv_bytes(
                ["Läsår", "Personnummer", "Skolenhetskod", "Årskurs", "Ämne", "Betyg"],
                [
                    [lasar, pnr[p].replace("-", ""), k, a, s, g]
                    for p, k, a, s, g in zip(
                        b["pid"], b["skolenhetskod"], b["arskurs"], b["amne"], b["betyg"], strict=True
                    )
                ],
            ),
        )

        n = _plain(
            world.np_[world.np_["lasar"] == lasar].sort_values(
                ["skolenhetskod", "arskurs", "pid", "amne"], kind="mergesort"
            )
        )
        if len(n):
            put(
                f"{lasar}/nationella_prov_{lasar}.csv",
                _csv_bytes(
                    ["lasar", "personnummer", "skolenhetskod", "arskurs", "amne", "provbetyg"],
                    [
                        [lasar, pnr[p][2:], k, a, s, g]
                        for p, k, a, s, g in zip(
                            n["pid"], n["skolenhetskod"], n["arskurs"], n["amne"], n["provbetyg"], strict=True
                        )
                    ],
                    delimiter=",",
                ),
            )

        f = _plain(
            world.franvaro[world.franvaro["lasar"] == lasar].sort_values(
                ["skolenhetskod", "arskurs", "pid"], kind="mergesort"
            )
        )
        fg = f[f["skolform"] == "GR"]
        put(
            f"{lasar}/franvaro_gr_{lasar}.csv",
            _csv_bytes(
                ["Läsår", "Personnummer", "Skolenhetskod", "Frånvaro (minuter)", "Schemalagd tid (minuter)"],
                [
                    [lasar, pnr[p], k, int(round(s * t)), int(t)]
                    for p, k, s, t in zip(
                        fg["pid"], fg["skolenhetskod"], fg["share"], fg["schemalagd"], strict=True
                    )
                ],
                bom=True,
            ),
        )
        fy = f[f["skolform"] == "GY"]
        put(
            f"{lasar}/franvaro_gy_{lasar}.csv",
            _csv_bytes(
                ["Läsår", "Personnummer", "Skolenhetskod", "Frånvaro (procent)"],
                [
                    [lasar, pnr[p], k, _dec(100 * s, 1)]
                    for p, k, s in zip(fy["pid"], fy["skolenhetskod"], fy["share"], strict=True)
                ],
            ),
        )

        v = _plain(world.vux[world.vux["lasar"] == lasar].sort_values(["pid", "kurs"], kind="mergesort"))
        put(
            f"{lasar}/vux_kurser_{lasar}.csv",
            _csv_bytes(
                ["Läsår", "Personnummer", "Skolenhetskod", "Kurs", "Kursområde", "Poäng", "Resultat"],
                [
                    [
                        lasar,
                        pnr[p][2:],
                        k,
                        c,
                        {"sfi": "Sfi", "grundlaggande": "Grundläggande", "gymnasial": "Gymnasial"}[o],
                        pt,
                        "Avbrott" if r == "avbrott" else r,
                    ]
                    for p, k, c, o, pt, r in zip(
                        v["pid"],
                        v["skolenhetskod"],
                        v["kurs"],
                        v["kursomrade"],
                        v["poang"],
                        v["resultat"],
                        strict=True,
                    )
                ],
                encoding="cp1252",
                crlf=True,
            ),
        )

        e = _plain(world.enkat[world.enkat["lasar"] == lasar])
        ee = e[e["enkat"] == "Elevenkät"]
        put(
            f"{lasar}/elevenkat_{lasar}.csv",
            _csv_bytes(
                ["Läsår", "Skolenhetskod", "Respondent-id", "Enkät", "Årskurs", "Område", "Fråga", "Svar"],
                [
                    [
                        lasar,
                        r.skolenhetskod,
                        r.respondent,
                        r.enkat,
                        "" if pd.isna(r.arskurs) else int(r.arskurs),
                        r.omrade,
                        r.fraga,
                        r.svar,
                    ]
                    for r in ee.itertuples(index=False)
                ],
                bom=True,
            ),
        )
        ev = e[e["enkat"] != "Elevenkät"]
        put(
            f"{lasar}/vardnadshavarenkat_{lasar}.csv",
            _csv_bytes(
                ["Läsår", "Skolenhetskod", "Respondent-id", "Enkät", "Område", "Fråga", "Svar"],
                [
                    [lasar, r.skolenhetskod, r.respondent, r.enkat, r.omrade, r.fraga, r.svar]
                    for r in ev.itertuples(index=False)
                ],
                bom=True,
            ),
        )

        a = _plain(
            world.avvikelser[world.avvikelser["lasar"] == lasar].sort_values(
                ["datum", "skolenhetskod", "typ"], kind="mergesort"
            )
        )
        put(
            f"{lasar}/avvikelser_{lasar}.csv",
            _csv_bytes(
                ["Ärende-id", "Datum", "Skolenhetskod", "Typ", "Beskrivning"],
                [
                    [f"AV-{lasar}-{i + 1:05d}", d, k, t, "Fiktivt ärende (demodata)"]
                    for i, (d, k, t) in enumerate(zip(a["datum"], a["skolenhetskod"], a["typ"], strict=True))
                ],
                bom=True,
            ),
        )

    kb = world.kursbetyg.sort_values(["lasar", "skolenhetskod", "program", "pid", "kurs"], kind="mergesort")
    for lasar in sorted(kb["lasar"].unique()):
        s = _plain(kb[kb["lasar"] == lasar])
        put(
            f"{lasar}/kursbetyg_gy_{lasar}.csv",
            _csv_bytes(
                ["Läsår", "Personnummer", "Skolenhetskod", "Program", "Kurs", "Gymnasiepoäng", "Betyg"],
                [
                    [int(lasar), pnr[p], k, pr, c, pt, g]
                    for p, k, pr, c, pt, g in zip(
                        s["pid"],
                        s["skolenhetskod"],
                        s["program"],
                        s["kurs"],
                        s["poang"],
                        s["betyg"],
                        strict=True,
                    )
                ],
                delimiter=",",
                encoding="cp1252",
                crlf=True,
            ),
        )

    sv = _plain(
        world.studievag.sort_values(["startlasar", "skolenhetskod", "program", "pid"], kind="mergesort")
    )
    put(
        "gy_studievagar.csv",
        _csv_bytes(
            [
                "Personnummer",
                "Skolenhetskod",
                "Program",
                "Startläsår",
                "Slutläsår",
                "Utfall",
                "Meritvärde åk 9",
            ],
            [
                [
                    pnr[r.pid],
                    r.skolenhetskod,
                    r.program,
                    r.startlasar,
                    r.slutlasar or "",
                    _UTFALL_TEXT[r.utfall],
                    _dec(r.meritvarde_ak9, 1),
                ]
                for r in sv.itertuples(index=False)
            ],
            bom=True,
        ),
    )

    fs = _plain(world.fs_personal.sort_values(["lasar", "skolenhetskod"], kind="mergesort"))
    put(
        "forskola_personal.csv",
        _csv_bytes(
            [
                "Läsår",
                "Skolenhetskod",
                "Antal barn",
                "Årsarbetare",
                "Årsarbetare förskollärarexamen",
                "Antal barngrupper",
            ],
            [
                [
                    r.lasar,
                    r.skolenhetskod,
                    r.antal_barn,
                    _dec(r.arsarbetare),
                    _dec(r.arsarbetare_forskollararexamen),
                    r.antal_barngrupper,
                ]
                for r in fs.itertuples(index=False)
            ],
            bom=True,
        ),
    )

    put(
        "riket_referensvarden.csv",
        _csv_bytes(
            ["Läsår", "Skolform", "Indikator", "Grupp", "Värde", "Antal", "Källa"], _riket_rows(), bom=True
        ),
    )
    _write_terminer(put, world, pnr)
    return sorted(written)


#: Läsår with per-termin data (terminsbetyg in the autumn, absence per termin) for period reports.
TERMIN_LASAR: tuple[int, ...] = (2023, 2024)
_GRADE_STEP = {"A": "B", "B": "C", "C": "D", "D": "E", "E": "F", "F": "F", "-": "-"}


def _write_terminer(put, world: _World, pnr: np.ndarray) -> None:
    """Per-termin exports for :data:`TERMIN_LASAR` (``<läsår>/terminer/``): terminsbetyg åk 9 at
    the end of the autumn termin, and absence per termin (HT, VT) for grundskola and gymnasium.

    A generator of its own (seeded), so the full-year files above keep their bytes. The autumn
    grades are the spring's slutbetyg one step lower for about one pupil-subject in eight (grades
    rise through the year); the termin's absence spreads the year's share over the two termins.
    The files carry a ``Termin`` column and go to the per-termin tables only: the full-year numbers
    do not change.
    """
    rng = np.random.default_rng([2024, 14])
    for lasar in TERMIN_LASAR:
        b = _plain(
            world.betyg[(world.betyg["lasar"] == lasar) & (world.betyg["arskurs"] == 9)].sort_values(
                ["skolenhetskod", "pid", "amne"], kind="mergesort"
            )
        )
        lower = rng.random(len(b)) < 0.125
        ht = [(_GRADE_STEP[g] if lo else g) for g, lo in zip(b["betyg"], lower, strict=True)]
        put(
            f"{lasar}/terminer/terminsbetyg_ht_{lasar}.csv",
            _csv_bytes(
                ["Läsår", "Termin", "Personnummer", "Skolenhetskod", "Årskurs", "Ämne", "Betyg"],
                [
                    [f"{lasar - 1}/{str(lasar)[2:]}", "HT", pnr[p].replace("-", ""), k, 9, a, g]
                    for p, k, a, g in zip(b["pid"], b["skolenhetskod"], b["amne"], ht, strict=True)
                ],
                bom=True,
            ),
        )
        f = _plain(
            world.franvaro[world.franvaro["lasar"] == lasar].sort_values(
                ["skolenhetskod", "arskurs", "pid"], kind="mergesort"
            )
        )
        # the autumn's share is the year's times a factor around 0.85 (the spring's about 1.15)
        factor = np.clip(rng.normal(0.85, 0.12, len(f)), 0.4, 1.3)
        for termin, shares in (
            ("HT", np.clip(f["share"].to_numpy() * factor, 0, 1)),
            ("VT", np.clip(f["share"].to_numpy() * (2 - factor), 0, 1)),
        ):
            put(
                f"{lasar}/terminer/franvaro_{termin.lower()}_{lasar}.csv",
                _csv_bytes(
                    ["Läsår", "Termin", "Personnummer", "Skolenhetskod", "Frånvaro (procent)"],
                    [
                        [
                            f"{termin}{lasar - 1 if termin == 'HT' else lasar}",
                            termin,
                            pnr[p],
                            k,
                            _dec(100 * sh, 1),
                        ]
                        for p, k, sh in zip(f["pid"], f["skolenhetskod"], shares, strict=True)
                    ],
                ),
            )


_UTFALL_TEXT = {"hogskoleforberedande_examen": "Högskoleförberedande examen", "yrkesexamen": "Yrkesexamen",
                "studiebevis": "Studiebevis", "avbrott": "Avbrott", "pagaende": "Pågående"}  # fmt: skip

#: Fictitious national reference values (riket), of the order of Skolverket's published levels.
_RIKET: dict[tuple[str, str], tuple[float, ...]] = {
    ("GR", "meritvarde_17"): (231.1, 233.7, 229.8, 229.2, 228.8),
    ("GR", "meritvarde_16"): (223.9, 226.3, 222.4, 221.8, 221.3),
    ("GR", "godkand_alla_amnen"): (74.5, 75.6, 73.5, 72.8, 72.9),
    ("GR", "behorighet_yrkes"): (85.6, 86.2, 85.4, 84.9, 85.5),
    ("GR", "behorighet_ekonomi"): (83.1, 83.9, 82.8, 82.3, 82.7),
    ("GR", "behorighet_natur"): (81.7, 82.3, 81.2, 80.7, 81.2),
    ("GR", "behorighet_estet"): (84.2, 84.9, 83.8, 83.3, 83.7),
    ("GR", "ak6_godkand_alla_amnen"): (76.0, 76.8, 75.4, 75.2, 75.0),
    ("GY", "gbp_examen"): (14.4, 14.5, 14.3, 14.3, 14.2),
    ("GY", "andel_examen"): (89.0, 89.6, 89.2, 88.9, 88.7),
    ("GY", "examen_3ar"): (71.2, 72.0, 72.3, 71.6, 71.9),
    ("GY", "examen_4ar"): (77.5, 78.0, 78.4, 78.1, 77.9),
    ("VUX", "vux_godkand"): (84.0, 84.5, 83.6, 83.2, 83.5),
    ("VUX", "vux_avbrott"): (10.8, 10.4, 11.0, 11.5, 11.2),
    ("VUX", "sfi_progression"): (72.0, 73.1, 71.8, 70.9, 71.5),
    ("FS", "barn_per_arsarbetare"): (5.1, 5.1, 5.2, 5.2, 5.1),
    ("FS", "barngruppsstorlek"): (15.3, 15.1, 15.0, 15.0, 14.9),
    ("FS", "andel_forskollararexamen"): (41.0, 40.5, 40.2, 39.6, 39.9),
}
_RIKET_KON = {
    "meritvarde_17": (21.0, -21.0),
    "behorighet_yrkes": (1.6, -1.6),
    "godkand_alla_amnen": (3.5, -3.5),
}
_RIKET_KALLA = "Fiktiva riksvärden (demodata), i nivå med Skolverkets publicerade statistik"


def _riket_rows() -> list[list]:
    rows = []
    for (form, ind), values in _RIKET.items():
        for lasar, v in zip(LASAR, values, strict=True):
            rows.append([lasar, form, ind, "Samtliga", _dec(v, 1), "", _RIKET_KALLA])
            if ind in _RIKET_KON:
                df, dp = _RIKET_KON[ind]
                rows.append([lasar, form, ind, "Flickor", _dec(v + df / 2, 1), "", _RIKET_KALLA])
                rows.append([lasar, form, ind, "Pojkar", _dec(v + dp / 2, 1), "", _RIKET_KALLA])
    for lasar, cell in zip(LASAR, ("..", "..", "89,2", "88,4", "88,9"), strict=True):
        rows.append(
            [lasar, "GR", "np_ak9_provbetyg_ae", "Samtliga", cell if cell != ".." else ".", "", _RIKET_KALLA]
        )
    return rows


_README = """# FIKTIVA DATA – Exempelkommun (kommunkod 9999)

Allt i den här mappen är påhittat och skrivet av demogeneratorn (`make data`,
`pipeline.demo.write_demo`). Inga verkliga elever, skolor eller personnummer förekommer:

- skolenheterna heter "... (fiktiv)" och har skolenhetskoder som börjar med 9999;
- eleverna har påhittade namn (t.ex. Testa Exempelsson) och personnummer med födelsenummer 900–999;
- riksvärdena i `riket_referensvarden.csv` är fiktiva, i nivå med Skolverkets statistik.

Filerna har samma format som en riktig huvudmans exporter ur sitt elevregister (se
`data/raw/README.md` i projektet) och varierar avsiktligt avgränsare, teckenkodning och
personnummerformat, så att inläsningen prövas som på riktiga filer.
"""


def write_demo(raw_dir: Path, *, seed: int = 2024, n_units: int | None = None) -> list[Path]:
    """Write the fictitious Exempelkommun's SIS exports into ``raw_dir``.

    Parameters
    ----------
    raw_dir
        The raw data folder (``data/raw``); the files go to ``raw_dir/fiktiv_exempelkommun/``.
    seed
        Seed of the random generator: the same seed writes the same bytes.
    n_units
        Total number of units (default 12: 3 förskolor, 6 grundskolor, 2 gymnasieskolor and
        1 komvux). A larger number adds grundskolor with the same size per unit, for benchmarks.

    Returns
    -------
    list of Path
        Every file written, sorted.
    """
    rng = np.random.default_rng(seed)
    units = demo_units(n_units, np.random.default_rng(seed + 1))
    world = _simulate(units, rng)
    return _write(Path(raw_dir), world, rng)
