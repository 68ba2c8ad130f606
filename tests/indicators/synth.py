"""A small seeded synthetic data set of canonical tables (for smoke and speed tests only:
expectations are never taken from it)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.amnen import AMNEN_16, SPRAKVAL

SUBJECTS = [*AMNEN_16, SPRAKVAL]
GRADES = np.array(["A", "B", "C", "D", "E", "F", "-"])


def make_tables(
    n_units: int = 4, years=(2021, 2022, 2023, 2024), pupils_per_unit: int = 40, seed: int = 1
) -> dict:
    rng = np.random.default_rng(seed)
    gr = [f"{10000000 + i:08d}" for i in range(n_units)]
    gy = [f"{20000000 + i:08d}" for i in range(2)]
    fs = [f"{30000000 + i:08d}" for i in range(2)]
    vx = [f"{40000000}"]
    reg = pd.DataFrame(
        [(k, f"Skola {k[-2:]}", "GR", "Exempelkommun", "9999", "7-9") for k in gr]
        + [(k, f"Gymnasium {k[-2:]}", "GY", "Exempelkommun", "9999", None) for k in gy]
        + [(k, f"Förskola {k[-2:]}", "FS", "Exempelkommun", "9999", None) for k in fs]
        + [(k, "Komvux", "VUX", "Exempelkommun", "9999", None) for k in vx],
        columns=["skolenhetskod", "enhet", "skolform", "huvudman", "kommunkod", "arskurser"],
    )
    elever, betyg, prov, franvaro, enkat, avv = [], [], [], [], [], []
    pid = 0
    for y in years:
        for u_i, u in enumerate(gr):
            n = pupils_per_unit + int(rng.integers(-5, 5))
            for _ in range(n):
                pid += 1
                e = f"e{pid:06d}"
                ability = rng.normal(u_i * 0.2, 1)
                kon = "flicka" if rng.random() < 0.5 else "pojke"
                fu = rng.choice(
                    ["forgymnasial", "gymnasial", "eftergymnasial", "okand"], p=[0.1, 0.4, 0.45, 0.05]
                )
                ny = bool(rng.random() < 0.08)
                elever.append((y, e, u, "GR", 9, kon, ny, fu, None))
                elever.append((y - 3, e, u, "GR", 6, kon, ny, fu, None))
                for ak, yy in ((9, y), (6, y - 3)):
                    for s in SUBJECTS:
                        idx = int(
                            np.clip(
                                np.round(2.5 - ability - (0.3 if ak == 9 else 0) + rng.normal(0, 1)), 0, 6
                            )
                        )
                        betyg.append((yy, e, u, ak, s, GRADES[idx]))
                for s in ("SV", "EN", "MA"):
                    prov.append(
                        (
                            y,
                            e,
                            u,
                            9,
                            s,
                            str(GRADES[int(np.clip(np.round(2.5 - ability + rng.normal()), 0, 5))]),
                        )
                    )
                franvaro.append((y, e, u, float(np.clip(rng.gamma(2, 0.04), 0, 1))))
                for q in range(3):
                    for om in ("trygghet", "studiero", "stimulans", "inflytande", "normer_varden"):
                        enkat.append(
                            (y, u, f"r{e}", "elev", 9, kon, om, f"{om}{q}", float(rng.integers(0, 11)))
                        )
            for a in range(int(rng.integers(0, 6))):
                avv.append((y, u, f"a{y}{u}{a}", "krankning"))
    for y in years:
        for u in fs:
            for r in range(12):
                for q in range(2):
                    enkat.append(
                        (
                            y,
                            u,
                            f"vh{y}{u}{r}",
                            "vardnadshavare",
                            None,
                            None,
                            "helhet",
                            f"vh{q}",
                            float(rng.integers(3, 11)),
                        )
                    )
    elever_df = pd.DataFrame(
        elever,
        columns=[
            "lasar",
            "elev_id",
            "skolenhetskod",
            "skolform",
            "arskurs",
            "kon",
            "nyanland",
            "foraldrar_utbildning",
            "program",
        ],
    ).drop_duplicates(["lasar", "elev_id"])
    stv, kb = [], []
    for u in gy:
        for s in years:
            for _ in range(30):
                pid += 1
                e = f"g{pid:06d}"
                r = rng.random()
                utfall = (
                    "hogskoleforberedande_examen"
                    if r < 0.5
                    else "yrkesexamen"
                    if r < 0.75
                    else "studiebevis"
                    if r < 0.9
                    else "avbrott"
                )
                slut = s + 2 if utfall != "avbrott" else s + int(rng.integers(0, 3))
                if slut > max(years):
                    utfall, slut = "pagaende", None
                stv.append((e, u, "NA", s, slut, utfall, float(rng.uniform(150, 320))))
                elever_df.loc[len(elever_df)] = (
                    s,
                    e,
                    u,
                    "GY",
                    pd.NA,
                    "flicka" if rng.random() < 0.5 else "pojke",
                    False,
                    "gymnasial",
                    "NA",
                )
                for c in range(5):
                    kb.append((s, e, u, "NA", f"K{c}", 100, str(rng.choice(GRADES[:6]))))
    vux = []
    for y in years:
        for i in range(60):
            vux.append(
                (
                    y,
                    f"v{y}{i}",
                    vx[0],
                    f"K{i % 4}",
                    ["grundlaggande", "gymnasial", "sfi"][i % 3],
                    100,
                    str(rng.choice(["A", "C", "E", "F", "avbrott"])),
                )
            )
    fsp = [
        (
            y,
            u,
            int(rng.integers(20, 80)),
            float(rng.uniform(4, 12)),
            float(rng.uniform(1, 4)),
            int(rng.integers(2, 5)),
        )
        for y in years
        for u in fs
    ]
    pub = pd.DataFrame(
        [
            (
                y,
                "GR",
                "riket",
                None,
                None,
                "Riket",
                None,
                "meritvarde_17",
                "samtliga",
                230.0 + y - 2020,
                100000,
                "",
                "Skolverket",
            )
            for y in years
        ],
        columns=[
            "lasar",
            "skolform",
            "niva",
            "kommunkod",
            "skolenhetskod",
            "enhet",
            "typ_av_huvudman",
            "indikator",
            "grupp",
            "varde",
            "antal",
            "markering",
            "kalla",
        ],
    )
    return {
        "skolenheter": reg,
        "elever": elever_df,
        "betyg": pd.DataFrame(
            betyg, columns=["lasar", "elev_id", "skolenhetskod", "arskurs", "amne", "betyg"]
        ),
        "nationella_prov": pd.DataFrame(
            prov, columns=["lasar", "elev_id", "skolenhetskod", "arskurs", "amne", "provbetyg"]
        ),
        "franvaro": pd.DataFrame(franvaro, columns=["lasar", "elev_id", "skolenhetskod", "franvaro_andel"]),
        "enkat": pd.DataFrame(
            enkat,
            columns=[
                "lasar",
                "skolenhetskod",
                "respondent_id",
                "enkat",
                "arskurs",
                "kon",
                "omrade",
                "fraga",
                "poang",
            ],
        ),
        "avvikelser": pd.DataFrame(avv, columns=["lasar", "skolenhetskod", "arende_id", "typ"]),
        "gy_studievag": pd.DataFrame(
            stv,
            columns=[
                "elev_id",
                "skolenhetskod",
                "program",
                "startlasar",
                "slutlasar",
                "utfall",
                "meritvarde_ak9",
            ],
        ),
        "kursbetyg": pd.DataFrame(
            kb, columns=["lasar", "elev_id", "skolenhetskod", "program", "kurs", "poang", "betyg"]
        ),
        "vux_kurser": pd.DataFrame(
            vux, columns=["lasar", "elev_id", "skolenhetskod", "kurs", "kursomrade", "poang", "resultat"]
        ),
        "fs_personal": pd.DataFrame(
            fsp,
            columns=[
                "lasar",
                "skolenhetskod",
                "antal_barn",
                "arsarbetare",
                "arsarbetare_forskollararexamen",
                "antal_barngrupper",
            ],
        ),
        "publicerad": pub,
    }
