"""A stand-in for executed notebooks, and the site tests' shared builders.

The stand-in notebooks have what :mod:`pipeline.publishing.pages` emits: one ``text/html`` output
per section, a ``<header class="page-title" data-title=...>``, figures with alt text and a data
table, numbers with ``data-*`` attributes. One unit is called ``<script>alert(1)</script>``.
"""

from __future__ import annotations

import base64
import functools
import html
import struct
import zlib
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


def tiny_png() -> str:
    """A 4x4 grey PNG as base64."""
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * 4 for _ in range(4))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode()


def _value(form: str, code: str) -> float | None:
    """The 2024 meritvarde_17 (GR) or barn_per_arsarbetare (FS) of a unit or the huvudman."""
    ind = _indicators()
    indikator = "meritvarde_17" if form == "GR" else "barn_per_arsarbetare"
    niva = "enhet" if code else "huvudman"
    row = ind[(ind.lasar == LASAR) & (ind.skolform == form) & (ind.niva == niva) & (ind.skolenhetskod == code)
              & (ind.indikator == indikator) & (ind.grupp == "samtliga")]
    return None if row.empty or pd.isna(row.varde.iloc[0]) else float(row.varde.iloc[0])


@functools.lru_cache(maxsize=1)
def _indicators() -> pd.DataFrame:
    return indikatorer_frame()


def _sections(title: str, code: str, name: str, form: str = "GR") -> list[str]:
    e = html.escape
    png = tiny_png()
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
    return [
        f'<header class="page-title" data-title="{e(title, quote=True)}" data-skolform="{form}" '
        f'data-skolenhetskod="{code}" data-lasar="2024"><p class="page-kicker">Läsår 2023/24</p></header>',
        (
            '<section aria-labelledby="s-kunskap"><h2 id="s-kunskap">Kunskapsresultat</h2>'
            f"<p>Värdet för {e(name)} var {number}.</p>"
            f'<figure><img alt="Meritvärdet har ökat sedan 2020 för {e(name, quote=True)}." src="data:image/png;base64,{png}">'
            "<figcaption>Meritvärde 2020–2024</figcaption></figure>"
            '<table><caption>Meritvärde per år</caption><thead><tr><th scope="col">Läsår</th>'
            '<th scope="col">Meritvärde</th></tr></thead><tbody><tr><td>2024</td><td>231,5</td></tr></tbody></table>'
            "</section>"
        ),
        (
            '<section aria-labelledby="s-analys"><h2 id="s-analys">Analys</h2>'
            "<h3>Resultat</h3><p>Resultaten är stabila.</p><h3>Utvecklingsområden</h3><p>Studiero.</p></section>"
        ),
    ]


def make_notebook(path: Path, title: str, code: str, name: str, form: str = "GR") -> Path:
    """Write an executed stand-in notebook with one text/html output per section."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Template heading that must not be published"))
    params = nbformat.v4.new_code_cell(f"skolform = 'GR'\nskolenhetskod = '{code}'\nlasar = 2024", execution_count=1)
    params.metadata["tags"] = ["parameters"]
    params.outputs = [nbformat.v4.new_output("stream", name="stdout", text="debug output 1234\n")]
    nb.cells.append(params)
    for i, sec in enumerate(_sections(title, code, name, form), start=2):
        cell = nbformat.v4.new_code_cell("page.section()", execution_count=i)
        cell.outputs = [
            nbformat.v4.new_output("display_data", data={"text/html": sec, "text/plain": "<Section>"}),
        ]
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def make_jobs(nb_dir: Path) -> list[NotebookJob]:
    """Jobs for two school forms with an overview each, four ok units and one failed unit."""
    jobs = []
    slugs = {"GR": "grundskola", "FS": "forskola"}
    for form, units in UNITS.items():
        ov = make_notebook(nb_dir / slugs[form] / "huvudman.ipynb", f"{'Grundskola' if form == 'GR' else 'Förskola'} hos {HUVUDMAN}", "", HUVUDMAN, form)
        jobs.append(NotebookJob(skolform=form, skolenhetskod="", enhet="", path=ov))
        for code, name in units:
            p = make_notebook(nb_dir / slugs[form] / f"{code}.ipynb", name, code, name, form)
            jobs.append(NotebookJob(skolform=form, skolenhetskod=code, enhet=name, path=p))
    form, code, name = FAILED
    jobs.append(NotebookJob(skolform=form, skolenhetskod=code, enhet=name, path=None, failed=True,
                            error="NotebookRunError: cell 4: KeyError 'meritvarde_17'"))
    return jobs


def make_params(labels: dict | None = None) -> Params:
    return Params(huvudman=Huvudman(namn=HUVUDMAN, kommunkod="9999", fiktiv=True), labels=labels or {})


def make_va() -> pd.DataFrame:
    return pd.DataFrame(
        {"skolform": ["GR", "GR"], "term": ["intercept", "flicka"], "koefficient": [210.5, 12.25], "standardfel": [1.5, 0.75]}
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
        provenance={"code_version": "abc123", "params_hash": "f" * 64, "input_hashes": {"data/raw/betyg.csv": "0" * 64}},
    )
    return book, ind
