"""A stand-in for executed notebooks, and the site tests' shared builders.

The stand-in notebooks have the outputs :mod:`pipeline.publishing.views` displays: a page header
output, per section a text output and an SVG figure output with alt text, caption and data table
in its ``kvalitet`` metadata, numbers with ``data-*`` attributes. One unit is called ``<script>alert(1)</script>``.
"""

from __future__ import annotations

import functools
import html
from pathlib import Path

import nbformat
import pandas as pd

from pipeline.config import Huvudman, Params
from pipeline.publishing.book import NotebookJob, build_book
from tests.publishing.fakedata import HUVUDMAN, forandringar_frame, indikatorer_frame
from tests.publishing.fakedata import UNITS as FAKE_UNITS

LASAR = 2024
EVIL = "<script>alert(1)</script>"
_GR = list(FAKE_UNITS["GR"].items())
#: Units of the stand-in book: codes and names from the fake data set, plus one evil name.
BJORK, EK, LIND = (code for code, _ in _GR[:3])
SOL = next(iter(FAKE_UNITS["FS"]))
EVIL_CODE = "99990014"
UNITS = {
    "GR": [_GR[0], _GR[1], (EVIL_CODE, EVIL)],
    "FS": [(SOL, FAKE_UNITS["FS"][SOL])],
}
FAILED = ("GR", LIND, _GR[2][1])


def tiny_svg() -> str:
    """A 40x30 pt grey SVG, sized in points as matplotlib writes them."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="40pt" height="30pt" viewBox="0 0 40 30">'
        '<rect width="40" height="30" fill="#808080"/></svg>'
    )


def _value(form: str, code: str) -> float | None:
    """The 2024 meritvarde_17 (GR) or barn_per_arsarbetare (FS) of a unit or the huvudman."""
    ind = _indicators()
    indikator = "meritvarde_17" if form == "GR" else "barn_per_arsarbetare"
    niva = "enhet" if code else "huvudman"
    row = ind[
        (ind.lasar == LASAR)
        & (ind.skolform == form)
        & (ind.niva == niva)
        & (ind.skolenhetskod == code)
        & (ind.indikator == indikator)
        & (ind.grupp == "samtliga")
    ]
    return None if row.empty or pd.isna(row.varde.iloc[0]) else float(row.varde.iloc[0])


@functools.lru_cache(maxsize=1)
def _indicators() -> pd.DataFrame:
    return indikatorer_frame()


def _meta(part: str, section: str = "", **more) -> dict:
    return {"kvalitet": {"del": part, "sektion": section, **more}}


def _outputs(title: str, code: str, name: str, form: str = "GR") -> list[list]:
    """The outputs of the stand-in's cells, as ``pipeline.publishing.views`` displays them."""
    e = html.escape
    indikator = "meritvarde_17" if form == "GR" else "barn_per_arsarbetare"
    v = _value(form, code)
    if v is None:
        number = "inte redovisat"
    else:
        shown = f"{v:.1f}".replace(".", ",")
        number = (
            f'<span class="tal" data-indikator="{indikator}" data-grupp="samtliga" data-lasar="2024" '
            f'data-niva="{"enhet" if code else "huvudman"}" data-skolenhetskod="{code}" data-kolumn="varde" '
            f'data-varde="{v!r}">{shown}</span>'
        )
    out = nbformat.v4.new_output
    header = _meta(
        "sidhuvud", titel=title, skolform=form, skolenhetskod=code, lasar=2024, kicker="Läsår 2023/24"
    )
    table = (
        '<div class="tabellbehallare" role="region" aria-label="Meritvärde per år" tabindex="0"><table>'
        '<caption>Meritvärde per år</caption><thead><tr><th scope="col">Läsår</th>'
        '<th scope="col">Meritvärde</th></tr></thead><tbody><tr><td>2024</td><td>231,5</td></tr></tbody></table></div>'
    )
    figure = _meta(
        "figur",
        "s-kunskap",
        id="s-kunskap-trend",
        alt=f"Meritvärdet har ökat sedan 2020 för {name}.",
        caption="Meritvärde 2020–2024",
        summary="Visa data för diagrammet",
        tabell=table,
        rubrik="",
    )
    return [
        [out("display_data", data={"text/html": f"<header><h1>{e(title)}</h1></header>"}, metadata=header)],
        [
            out(
                "display_data",
                data={"text/html": "<h2>Kunskapsresultat</h2>"},
                metadata=_meta("rubrik", "s-kunskap", titel="Kunskapsresultat", omrade="kunskapsresultat"),
            ),
            out(
                "display_data",
                data={"text/html": f"<p>Värdet för {e(name)} var {number}.</p>" + table},
                metadata=_meta("text", "s-kunskap"),
            ),
            out("display_data", data={"image/svg+xml": tiny_svg(), "text/plain": "figur"}, metadata=figure),
            # a developer's own display (no kvalitet metadata) is never published
            out("display_data", data={"text/html": "<h1>x</h1><script>evil()</script>"}),
        ],
        [
            out(
                "display_data",
                data={"text/html": "<h2>Analys</h2>"},
                metadata=_meta("rubrik", "s-analys", titel="Analys", omrade=""),
            ),
            out(
                "display_data",
                data={
                    "text/html": "<h3>Resultat</h3><p>Resultaten är stabila.</p><h3>Utvecklingsområden</h3><p>Studiero.</p>"
                },
                metadata=_meta("text", "s-analys"),
            ),
        ],
    ]


def make_notebook(path: Path, title: str, code: str, name: str, form: str = "GR") -> Path:
    """Write an executed stand-in notebook with the views' outputs (header, sections, figure)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Template heading that must not be published"))
    params = nbformat.v4.new_code_cell(
        f"skolform = 'GR'\nskolenhetskod = '{code}'\nlasar = 2024", execution_count=1
    )
    params.metadata["tags"] = ["parameters"]
    params.outputs = [nbformat.v4.new_output("stream", name="stdout", text="debug output 1234\n")]
    nb.cells.append(params)
    for i, outputs in enumerate(_outputs(title, code, name, form), start=2):
        cell = nbformat.v4.new_code_cell("page.sektion('x').show()", execution_count=i)
        cell.outputs = outputs
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def make_jobs(nb_dir: Path) -> list[NotebookJob]:
    """Jobs for two school forms with an overview each, four ok units and one failed unit."""
    jobs = []
    slugs = {"GR": "grundskola", "FS": "forskola"}
    for form, units in UNITS.items():
        ov = make_notebook(
            nb_dir / slugs[form] / "huvudman.ipynb",
            f"{'Grundskola' if form == 'GR' else 'Förskola'} hos {HUVUDMAN}",
            "",
            HUVUDMAN,
            form,
        )
        jobs.append(NotebookJob(skolform=form, skolenhetskod="", enhet="", path=ov))
        for code, name in units:
            p = make_notebook(nb_dir / slugs[form] / f"{code}.ipynb", name, code, name, form)
            jobs.append(NotebookJob(skolform=form, skolenhetskod=code, enhet=name, path=p))
    form, code, name = FAILED
    jobs.append(
        NotebookJob(
            skolform=form,
            skolenhetskod=code,
            enhet=name,
            path=None,
            failed=True,
            error="NotebookRunError: cell 4: KeyError 'meritvarde_17'",
        )
    )
    return jobs


def make_params(labels: dict | None = None) -> Params:
    return Params(huvudman=Huvudman(namn=HUVUDMAN, kommunkod="9999", fiktiv=True), labels=labels or {})


def make_va() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "skolform": ["GR", "GR"],
            "term": ["intercept", "flicka"],
            "koefficient": [210.5, 12.25],
            "standardfel": [1.5, 0.75],
        }
    )


def make_book(tmp: Path):
    """(book, indikatorer) over stand-in notebooks in ``tmp/notebooks``."""
    ind = _indicators().copy()
    jobs = make_jobs(tmp / "notebooks")
    book = build_book(
        lasar=LASAR,
        params=make_params(),
        jobs=jobs,
        indikatorer=ind,
        forandringar=forandringar_frame(ind),
        va_modell=make_va(),
        provenance={
            "code_version": "abc123",
            "params_hash": "f" * 64,
            "input_hashes": {"data/raw/betyg.csv": "0" * 64},
        },
    )
    return book, ind
