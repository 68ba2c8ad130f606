"""The publishing step's one entry point for the orchestrator: :func:`publish`.

Given the year, the params, the indicator table and the executed notebooks, it writes into a
report folder (the orchestrator's staging copy of ``reports/<YEAR>``)::

    site/...                            the website (pipeline.publishing.site)
    site/data/indikatorer.csv|.xlsx     the downloads (pipeline.publishing.downloads)
    site/data/kvalitetsrapport-<YEAR>.pdf   a copy of the report PDF, linked from every page
    kvalitetsrapport-<YEAR>.pdf         the huvudman report (pipeline.publishing.pdf)
    enheter/<skolenhetskod>.pdf         one page per unit
    presentation.html, presentation-filer/  the slides (pipeline.publishing.presentation)
    quarto/...                          the Quarto book project (pipeline.publishing.quarto)

and finally runs the leak scanner over every file it wrote plus the executed notebooks under
``notebooks/`` (they are published in ``reports/`` too), raising
:class:`~pipeline.errors.PrivacyLeakError` on any hit.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.publishing.book import Book, NotebookJob, build_book


def publish(
    *,
    lasar: int,
    params: Any,
    indikatorer: pd.DataFrame,
    jobs: Sequence[NotebookJob],
    out_dir: Path,
    provenance: Mapping[str, Any] | None = None,
    forandringar: pd.DataFrame | None = None,
    va_modell: pd.DataFrame | None = None,
    va_metod: pd.DataFrame | None = None,
    va_kalibrering: pd.DataFrame | None = None,
    jamforelser: pd.DataFrame | None = None,
    params_dir: Path | None = None,
    pdf: bool = True,
    unit_pdfs: bool = True,
    quarto: bool = True,
    scan: bool = True,
    forbidden_names: Iterable[str] = (),
    forbidden_ids: Iterable[str] = (),
    ej_publicerat: pd.DataFrame | None = None,
    presentation: bool = True,
) -> list[Path]:
    """Publish the report of ``lasar`` into ``out_dir``.

    Parameters
    ----------
    lasar
        The report year.
    params
        :class:`pipeline.config.Params`.
    indikatorer
        The indicator table (all years; rows after ``lasar`` are not published).
    jobs
        Every notebook job of the year (:class:`~pipeline.publishing.book.NotebookJob`, made of a
        run's result by :meth:`~pipeline.publishing.book.NotebookJob.from_result`).
    out_dir
        The report folder to write into (a staging folder the orchestrator swaps in).
    provenance
        Input file hashes, params hash, code version ... (shown in the method appendix).
    forandringar, va_modell, jamforelser
        Optional change table, value-added model coefficients and comparison table.
    params_dir
        The ``params/`` folder of the written assessment and the development areas (``None``:
        the report says none were written).
    pdf, unit_pdfs, quarto, presentation
        Turn the PDF report, the unit sheets, the Quarto project and the slides on or off.
    scan
        Run the leak scanner (with ``forbidden_names``/``forbidden_ids`` from the raw data).
    ej_publicerat
        The ingest's ledger (what was read but not published, what could not be placed), listed on
        the method page.

    Returns
    -------
    list of Path
        Every file written, sorted.

    Raises
    ------
    PrivacyLeakError
        The leak scanner found pupil-level information.
    PdfError
        Chromium is missing or failed.
    """
    out_dir = Path(out_dir)
    book = build_book(
        lasar=lasar,
        params=params,
        jobs=jobs,
        indikatorer=indikatorer,
        forandringar=forandringar,
        va_modell=va_modell,
        provenance=provenance,
        va_metod=va_metod,
        va_kalibrering=va_kalibrering,
        ej_publicerat=ej_publicerat,
        jamforelser=jamforelser,
        params_dir=params_dir,
    )
    return publish_book(
        book,
        out_dir=out_dir,
        indikatorer=indikatorer,
        pdf=pdf,
        unit_pdfs=unit_pdfs,
        quarto=quarto,
        scan=scan,
        forbidden_names=forbidden_names,
        forbidden_ids=forbidden_ids,
        presentation=presentation,
    )


def publish_book(
    book: Book,
    *,
    out_dir: Path,
    indikatorer: pd.DataFrame,
    pdf: bool = True,
    unit_pdfs: bool = True,
    quarto: bool = True,
    scan: bool = True,
    forbidden_names: Iterable[str] = (),
    forbidden_ids: Iterable[str] = (),
    presentation: bool = True,
) -> list[Path]:
    """:func:`publish` for an already built :class:`Book`."""
    from pipeline.publishing.leak import assert_no_leaks, scan_published
    from pipeline.publishing.pdf import render_pdfs, report_pdf_name
    from pipeline.publishing.quarto import render_quarto, write_quarto_project
    from pipeline.publishing.site import render_site

    out_dir = Path(out_dir)
    site_dir = out_dir / "site"
    fragments: dict = {}
    pdf_name = report_pdf_name(book.lasar)
    written = render_site(
        book,
        site_dir,
        indikatorer=indikatorer,
        pdf_href=f"data/{pdf_name}" if pdf else None,
        fragments=fragments,
    )
    if pdf:
        written += render_pdfs(book, out_dir, units=unit_pdfs, cache=fragments)
        copy = site_dir / "data" / pdf_name
        shutil.copyfile(out_dir / pdf_name, copy)
        written.append(copy)
    if presentation:
        from pipeline.publishing.presentation import render_presentation

        written += render_presentation(book, out_dir, pdf_name=pdf_name if pdf else None)
    if quarto:
        qdir = out_dir / "quarto"
        written += write_quarto_project(book, qdir, downloads_dir=site_dir / "data")
        rendered = render_quarto(qdir)
        if rendered is not None:
            written += sorted(p for p in rendered.rglob("*") if p.is_file())
    if scan:
        allowed = {
            book.huvudman,
            *(u.enhet for ch in book.chapters for u in ch.units),
            *(ch.name for ch in book.chapters),
        }
        targets: list[Path] = list(written)
        nb_dir = out_dir / "notebooks"
        if nb_dir.is_dir():
            targets.append(nb_dir)
        leaks = scan_published(
            targets, forbidden_names=forbidden_names, forbidden_ids=forbidden_ids, allowed_names=allowed
        )
        assert_no_leaks(leaks)
    return sorted(set(written))
