"""``make dialog YEAR=2024 PERIOD=2``: templates for what comes back from the kvalitetsdialog.

Per unit ``params/kvalitetsdialog/<YEAR>/<PERIOD>/<kod>.yml``: an ``omraden`` list whose entries
have exactly the fields of :class:`pipeline.utveckling.Utvecklingsomrade` (the sheet's action table
has the same columns). Once filled in, the entries are moved into
``params/utvecklingsomraden/<YEAR>.yml``, where they are validated and followed up as the unit's
development areas. Also the förskolor's barnintervju templates (:mod:`pipeline.periods.forskola`).
Existing files are never overwritten.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.paths import ProjectPaths
from pipeline.school_forms import evidence_forms


def dialog_template(year: int, period_id: str, skolform: str, kod: str, enhet: str) -> str:
    """One unit's template (YAML; the comments say where the entries go)."""
    return (
        f"# Kvalitetsdialog {period_id} läsåret {year - 1}/{str(year)[-2:]}: {enhet} ({kod}).\n"
        "# Överenskomna åtgärder, en post per åtgärd. Flytta posterna till\n"
        f"# params/utvecklingsomraden/{year}.yml (under omraden:) när de är beslutade; där valideras de\n"
        "# och följs upp. Fält som i dialogbladets tabell. status: planerad, pågår, genomförd eller utvärderad.\n"
        "omraden:\n"
        f"  - id: {kod}-{period_id.lower()}-1\n"
        "    niva: enhet\n"
        f"    skolform: {skolform}\n"
        f"    skolenhetskod: '{kod}'\n"
        "    omrade: ''        # ett kvalitetsområde, t.ex. kunskapsresultat, trygghet_studiero\n"
        "    aktivitet: ''\n"
        "    ansvarig: ''\n"
        "    tidplan: ''\n"
        "    indikator:        # valfritt: uppgiften som följs, t.ex. franvaro_over_10\n"
        "    mal:              # valfritt: målvärdet för den uppgiften\n"
        "    status: planerad\n"
    )


def write_dialog_templates(year: int, period_id: str, *, paths: ProjectPaths | None = None) -> list[Path]:
    """Write the missing templates; return the files written."""
    from pipeline import report as full
    from pipeline.periods.config import load_perioder
    from pipeline.periods.forskola import write_templates

    paths = paths or ProjectPaths()
    assert paths.params is not None  # set by ProjectPaths.__post_init__
    load_perioder(paths.params).get(period_id)  # a loud error on an unknown period
    ind = full.indicators(paths)["indikatorer"]
    units = full.units_of_year(ind, year, full._register(paths))
    written = []
    folder = paths.params / "kvalitetsdialog" / str(year) / period_id
    for u in units.itertuples(index=False):
        p = folder / f"{u.skolenhetskod}.yml"
        if p.exists():
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(dialog_template(year, period_id, u.skolform, u.skolenhetskod, u.enhet), encoding="utf-8")
        written.append(p)
    fs = sorted(units[units["skolform"].isin(evidence_forms())]["skolenhetskod"])
    return written + write_templates(paths.params, year, fs)
