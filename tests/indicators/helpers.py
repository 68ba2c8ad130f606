"""Small builders for hand-made test frames (the numbers are always written in the tests)."""

from __future__ import annotations

import pandas as pd

from pipeline.config import Installningar

UNIT_A, UNIT_B, UNIT_C = "11111111", "22222222", "33333333"


def installningar(**kw) -> Installningar:
    return Installningar(**kw)


def register(*units, skolform="GR"):
    return pd.DataFrame(
        {
            "skolenhetskod": list(units),
            "enhet": [f"Enhet {u[:1]}" for u in units],
            "skolform": skolform,
            "huvudman": "Testkommun",
            "kommunkod": "9999",
            "arskurser": None,
        }
    )


def grades(spec: dict, *, lasar=2024, arskurs=9, unit=UNIT_A) -> pd.DataFrame:
    """``{elev_id: "SV:A EN:B ..."}`` -> betyg rows."""
    rows = []
    for elev, text in spec.items():
        for item in text.split():
            amne, betyg = item.split(":")
            rows.append((lasar, elev, unit, arskurs, amne, betyg))
    return pd.DataFrame(rows, columns=["lasar", "elev_id", "skolenhetskod", "arskurs", "amne", "betyg"])


def pupils(spec: dict, *, lasar=2024, unit=UNIT_A, skolform="GR") -> pd.DataFrame:
    """``{elev_id: (kon, foraldrar_utbildning, nyanland)}`` -> elever rows."""
    rows = [(lasar, e, unit, skolform, 9, k, ny, fu, None) for e, (k, fu, ny) in spec.items()]
    return pd.DataFrame(
        rows,
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
    )


def cell(df, **where):
    """The single row of ``df`` matching ``where``."""
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"{len(sel)} rows match {where}"
    return sel.iloc[0]
