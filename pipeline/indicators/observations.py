"""Observations: short Swedish sentences about one unit (or the huvudman) in one läsår.

Each sentence comes from a template, states a change only when the test in ``forandringar`` says
it is statistically significant, and carries the numbers it states, so a test can check the text
against the table. Templates (the value with the indicator's decimals, ``%`` for shares):

- significant change: "{Subjekt} ökade med 8,3 poäng till 231,4 (statistiskt säkerställt)."
- tested, not significant: "{Subjekt} var 84,2 % (−1,3 procentenheter jämfört med läsåret 2022/23,
  ingen statistiskt säkerställd förändring)."
- not testable (totals, ratios): "{Subjekt} var 5,1 (+0,2 jämfört med läsåret 2022/23)."
- no earlier value: "{Subjekt} var 84,2 %."
- suppressed: "{Subjekt} redovisas inte eftersom uppgiften bygger på för få elever."

``{Subjekt}`` is the registry label, with "Andel …" written "Andelen …". Years are läsår given by
their spring year (2023 = 2022/23) in the indicator table and named as läsår in the text
(:func:`pipeline.publishing.format.lasar_text`), as everywhere in the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.indicators.format import format_number
from pipeline.publishing.format import lasar_text


@dataclass(frozen=True)
class Observation:
    """One sentence and the numbers it states."""

    indikator: str
    grupp: str
    lasar: int
    text: str
    varde: float | None = None
    forandring: float | None = None
    lasar_fran: int | None = None
    signifikant: bool | None = None
    p_varde: float | None = None
    undertryckt: bool = False


def _subject(label: str) -> str:
    if label.startswith("Andel "):
        return "Andelen " + label[len("Andel ") :]
    return label


def observations(
    indikatorer: pd.DataFrame,
    forandringar: pd.DataFrame,
    *,
    skolform: str,
    skolenhetskod: str,
    lasar: int,
    registry,
    grupp: str = "samtliga",
) -> list[Observation]:
    """Sentences for every indicator of ``skolform`` that has a row for this unit and läsår.

    Parameters
    ----------
    indikatorer, forandringar
        Outputs of :func:`pipeline.indicators.build_indicator_outputs`.
    skolform, skolenhetskod, lasar
        The unit (``""`` for the huvudman level) and läsår.
    registry
        The indicator registry (labels, units, decimals), in whose order the sentences come.
    grupp
        The group to describe (``samtliga`` by default).
    """
    niva = "enhet" if skolenhetskod else "huvudman"
    rows = indikatorer[
        indikatorer["skolform"].eq(skolform)
        & indikatorer["niva"].eq(niva)
        & indikatorer["skolenhetskod"].eq(skolenhetskod)
        & indikatorer["lasar"].eq(lasar)
        & indikatorer["grupp"].eq(grupp)
    ].set_index("indikator")
    ch = (
        forandringar[
            forandringar["skolform"].eq(skolform)
            & forandringar["niva"].eq(niva)
            & forandringar["skolenhetskod"].eq(skolenhetskod)
            & forandringar["lasar"].eq(lasar)
            & forandringar["grupp"].eq(grupp)
            & forandringar["typ"].eq("ett_ar")
        ].set_index("indikator")
        if len(forandringar)
        else pd.DataFrame()
    )
    out: list[Observation] = []
    for ind in registry.for_skolform(skolform):
        if ind.id not in rows.index:
            continue
        r = rows.loc[ind.id]
        subject = _subject(ind.label)
        if bool(r["undertryckt"]):
            out.append(
                Observation(
                    ind.id,
                    grupp,
                    lasar,
                    f"{subject} redovisas inte eftersom uppgiften bygger på för få elever.",
                    undertryckt=True,
                )
            )
            continue
        if pd.isna(r["varde"]):
            continue
        value_unit = "procent" if ind.enhet == "procent" else ""
        change_unit = {"procent": "procentenheter", "poang": "poäng"}.get(ind.enhet, "")
        v = float(r["varde"])
        vtext = format_number(v, ind.decimaler, value_unit)
        if ind.id in ch.index:
            c = ch.loc[ind.id]
            diff, fran = float(c["forandring"]), int(c["lasar_fran"])
            sig = bool(c["signifikant"])
            p = None if pd.isna(c["p_varde"]) else float(c["p_varde"])
            if sig:
                verb = "ökade" if diff > 0 else "minskade"
                text = f"{subject} {verb} med {format_number(abs(diff), ind.decimaler, change_unit)} till {vtext} (statistiskt säkerställt)."
            elif c["test"] == "ingen":
                text = f"{subject} var {vtext} ({format_number(diff, ind.decimaler, change_unit, sign=True)} jämfört med läsåret {lasar_text(fran)})."
            else:
                text = (
                    f"{subject} var {vtext} ({format_number(diff, ind.decimaler, change_unit, sign=True)} jämfört med "
                    f"läsåret {lasar_text(fran)}, ingen statistiskt säkerställd förändring)."
                )
            out.append(Observation(ind.id, grupp, lasar, text, v, diff, fran, sig, p))
        else:
            out.append(Observation(ind.id, grupp, lasar, f"{subject} var {vtext}.", v))
    return out
