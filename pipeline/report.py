"""The whole path, step by step: raw → processed → indicators → notebooks → published report.

``build_report`` is what ``make report YEAR=2024`` runs. It is all-or-nothing: the report is
assembled in a staging folder beside ``reports/<YEAR>/`` and swapped in only when every step,
including the leak scan, has passed. A failed or killed build leaves the previous report as it was.

Executed notebooks are cached in ``reports/.build/<YEAR>/`` (never published directly; copied
into the staging folder), so a rebuild re-executes only the jobs whose inputs changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.atomic import recover, staged_directory, write_bytes_atomic
from pipeline.config import Params, load_params
from pipeline.errors import AnalysisFileError, ConfigError, NotebookRunError
from pipeline.ingest import IngestResult, file_sha256, load_tables, run_ingest
from pipeline.ingest.sources import ReadContext, list_raw_files
from pipeline.killpoints import checkpoint
from pipeline.paths import REPO_ROOT, ProjectPaths
from pipeline.progress import advance, bar, log, watch_folder
from pipeline.school_forms import PAGE_INPUTS, get_school_form
from pipeline.stages import Stage, Stamp, hash_files, hash_frames, stage_key

if TYPE_CHECKING:
    from pipeline.execution import Job, JobResult, RunSummary

_INDICATOR_STAMP = "_indikatorer.json"
#: The folder of ``reports/<YEAR>/`` that holds the country's reports (``KOMMUN=all``).
COUNTRY_FOLDER = "kommuner"


def _source_date_epoch() -> None:
    """Fix the time anything stamps into outputs (PDF dates, archives) for byte-identical rebuilds."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1704067200")  # 2024-01-01T00:00:00Z


def code_version() -> str:
    """The git commit of the code, with ``-dirty`` when the work tree differs; else a source hash."""
    try:
        sha = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        return sha
    except (OSError, subprocess.CalledProcessError):
        return "src-" + hash_files(sorted((REPO_ROOT / "pipeline").rglob("*.py")))[:16]


def resolve_params(paths: ProjectPaths, kommun: str | None) -> Params:
    """Load params; with ``kommun`` the municipality replaces the configured huvudman."""
    return load_params(paths, kommun=kommun)


def read_context(params: Params) -> ReadContext:
    """What readers need from the params."""
    return ReadContext(
        kolumnmappning=dict(params.kolumnmappning),
        kommunkod=params.huvudman.kommunkod,
        jamforelsegrupp=tuple(params.huvudman.jamforelsegrupp),
        installningar=params.installningar,
        enhetsbyten=tuple(params.enhetsbyten),
    )


def ensure_raw_data(paths: ProjectPaths, data_dir: Path | None) -> Path:
    """The raw folder to read; writes the demo data set when ``data/raw/`` holds no data."""
    if data_dir is not None:
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            raise ConfigError(f"DATA={data_dir}: no such folder. Give the folder that holds the raw files.")
        return data_dir
    files, _ = list_raw_files(paths.raw) if paths.raw.exists() else ([], [])
    if not files:
        from pipeline.demo import write_demo

        log(f"{paths.raw} holds no data: writing the demo data set (fictitious Exempelkommun) first.")
        write_demo(paths.raw)
    return paths.raw


def texts_are_others(params_dir: Path, kommun: str | None) -> bool:
    """Whether the written texts in ``params_dir`` (``huvudman.yml``'s organiser's assessment and
    development areas) are about another organiser than a ``KOMMUN=kommun`` report's: the demo's
    fictitious huvudman, or a real one of another kommun. ``kommun`` ``None``: the configured one."""
    if kommun is None:
        return False
    from pipeline.config import Huvudman, read_yaml

    try:
        hm = Huvudman(**(read_yaml(Path(params_dir) / "huvudman.yml") or {}))
    except (TypeError, ValueError):  # checked by load_params when the configured huvudman is built
        return True
    return hm.fiktiv or hm.kommunkod != kommun


def validation_report(paths: ProjectPaths) -> Path:
    """Where ingest lists every failure of a run (``data/valideringsrapport.csv``)."""
    return paths.processed.parent / "valideringsrapport.csv"


def _ingest(
    raw: Path, paths: ProjectPaths, ctx: ReadContext, *, force: bool, skip_unknown: bool = False
) -> IngestResult:
    # The validation report describes this run only: one from an earlier failed run would
    # otherwise survive a run that passed ingest and failed later.
    validation_report(paths).unlink(missing_ok=True)
    n_files = len(list_raw_files(raw)[0])
    with bar("ingest.file", n_files, "reading raw files", "file"):
        return run_ingest(raw, paths.processed, ctx, force=force, skip_unknown=skip_unknown)


def ingest(
    paths: ProjectPaths,
    *,
    data_dir: Path | None = None,
    kommun: str | None = None,
    force: bool = False,
    skip_unknown: bool = False,
) -> IngestResult:
    """Step 1: raw → ``data/processed/`` (all-or-nothing, skipped when nothing changed).

    Another data folder or a kommun writes to its own ``data/processed/<slug>/``
    (:meth:`ProjectPaths.for_source`).
    """
    paths = paths.for_source(data_dir, kommun)
    params = resolve_params(paths, kommun)
    raw = ensure_raw_data(paths, data_dir)
    result = _ingest(raw, paths, read_context(params), force=force, skip_unknown=skip_unknown)
    log_not_published(result)
    return result


def log_not_published(result: IngestResult) -> None:
    """One line per file for what was read but not published or could not be placed (never silent)."""
    from pipeline.ingest.ledger import summary_lines

    lines = summary_lines(result.ej_publicerat)
    if lines:
        log(f"  Read but not published or not placed ({len(lines)} source(s); per file in {LEDGER_NOTE}):")
        for line in lines:
            log(f"    {line}")


def _huvudman_name(params: Params, tables: dict[str, pd.DataFrame], kommun: str | None) -> str:
    if kommun is None:
        return params.huvudman.namn
    pub = tables.get("publicerad")
    if pub is not None and not pub.empty:
        rows = pub[
            (pub["kommunkod"] == kommun) & pub["niva"].isin(["kommun", "huvudman"]) & pub["enhet"].notna()
        ]
        if not rows.empty:
            return str(sorted(rows["enhet"].unique())[0])
    return f"Kommun {kommun}"


def indicators(
    paths: ProjectPaths,
    *,
    data_dir: Path | None = None,
    kommun: str | None = None,
    force: bool = False,
    quiet: bool = False,
    skip_unknown: bool = False,
    ingested: bool = False,
) -> dict[str, pd.DataFrame]:
    """Step 2: canonical tables → indicator outputs in ``data/processed/`` (cached by content).

    Ingests first (step 1, skipped when nothing changed); ``quiet`` does not log what was left
    out (the caller has just said so). ``ingested``: the processed tables are already there (a
    kommun of ``KOMMUN=all``): no raw file is looked at. :func:`prepare_report` calls
    :func:`indicator_stage` itself, after its own single ingest.
    """
    paths = paths.for_source(data_dir, kommun)
    params = resolve_params(paths, kommun)
    if not ingested:
        raw = ensure_raw_data(paths, data_dir)
        result = _ingest(raw, paths, read_context(params), force=force, skip_unknown=skip_unknown)
        if not quiet:
            log_not_published(result)
    return indicator_stage(paths, params, kommun=kommun, force=force)


def indicator_stage(
    paths: ProjectPaths, params: Params, *, kommun: str | None = None, force: bool = False
) -> dict[str, pd.DataFrame]:
    """The indicator outputs of the canonical tables in ``paths.processed`` (a :class:`Stage`:
    recomputed only when the tables, the indicator code and registry, or the settings changed)."""
    from pipeline.indicators import build_indicator_outputs

    tables = load_tables(paths.processed)
    namn = _huvudman_name(params, tables, kommun)
    key = stage_key(
        {
            "tables": hash_frames(tables),
            "code": hash_files(
                [
                    *sorted((REPO_ROOT / "pipeline" / "indicators").rglob("*.py")),
                    *sorted((REPO_ROOT / "params").glob("indikatorer*.yml")),
                    REPO_ROOT / "params" / "gymnasieprogram.yml",
                ]
            ),
            "namn": namn,
            "kommunkod": params.huvudman.kommunkod,
            "installningar": params.installningar.model_dump(),
            "mal": [m.model_dump() for m in params.mal],
            "jamforelsegrupp_namn": params.huvudman.jamforelsegrupp_namn,
        }
    )
    stage = Stage(paths.processed, _INDICATOR_STAMP)
    if not force:
        cached = stage.cached(key)
        if cached is not None:
            return cached
    outputs = build_indicator_outputs(
        tables,
        huvudman_namn=namn,
        kommunkod=params.huvudman.kommunkod,
        installningar=params.installningar,
        mal=params.mal,
        jamforelsegrupp_namn=params.huvudman.jamforelsegrupp_namn,
    )
    stage.record(key, outputs, on_write=lambda: checkpoint("indicators.write"))
    return outputs


def _va_calibration(paths: ProjectPaths) -> pd.DataFrame | None:
    """The value-added calibration table (``make calibrate``) for the method appendix, if written."""
    from pipeline.publishing.book import VA_CALIBRATION_FILE

    f = paths.params / VA_CALIBRATION_FILE
    return pd.read_csv(f) if f.exists() else None


def disclosure_audit(indikatorer: pd.DataFrame, params: Params, *, quiet: bool = False) -> dict:
    """The disclosure audit of the indicator table about to be published (one log line).

    Raises :class:`pipeline.indicators.disclosure.DisclosureAuditError` (exit 1) when a hidden
    cell can be narrowed down below the protection margin; returns the summary for the manifest.
    """
    from pipeline.indicators.build import COMPUTED
    from pipeline.indicators.disclosure import audit_table

    res = audit_table(
        indikatorer,
        kinds=COMPUTED,
        min_antal=params.installningar.undertryck_min_antal,
        skyddsintervall=params.installningar.skyddsintervall,
    )
    if not quiet:
        log(f"  {res.summary()}")
    return res.to_manifest()


@dataclass
class ReportResult:
    """What a report build produced."""

    year: int
    report_dir: Path
    pages: int = 0
    jobs: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: the failed jobs' results (:class:`pipeline.execution.JobResult`)
    failed: list[JobResult] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """A short human summary for the terminal."""
        counts = ", ".join(f"{v} {k}" for k, v in sorted(self.jobs.items()))
        lines = [
            f"Kvalitetsrapport {self.year} built in {self.seconds:.1f} s: {self.pages} pages ({counts}).",
            f"  Site:  {self.report_dir / 'site' / 'index.html'}",
        ]
        pdf = self.report_dir / f"kvalitetsrapport-{self.year}.pdf"
        if pdf.exists():
            lines.append(f"  PDF:   {pdf}")
        lines.append(f"  Data:  {self.report_dir / 'site' / 'data' / 'indikatorer.csv'}")
        if self.failed:
            lines.append(f"  {len(self.failed)} unit(s) failed and are marked as such on their pages:")
            lines += [f"    {f.name}: cell {f.cell_index}: {f.error}" for f in self.failed]
        return "\n".join(lines)


def units_of_year(
    indikatorer: pd.DataFrame, year: int, skolenheter: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The huvudman's units with data in ``year``: skolform, skolenhetskod, enhet (sorted).

    With ``skolenheter`` (the unit register), only units in it count: in a real-data report the
    published files also hold the kommun's schools run by other organisers (enskilda), which
    appear in the comparisons but get no page of their own.
    """
    rows = indikatorer[(indikatorer["lasar"] == year) & (indikatorer["niva"] == "enhet")]
    units = rows[["skolform", "skolenhetskod", "enhet"]].drop_duplicates(["skolform", "skolenhetskod"])
    if skolenheter is not None and not skolenheter.empty:
        own = skolenheter[["skolform", "skolenhetskod"]].drop_duplicates()
        units = units.merge(own, on=["skolform", "skolenhetskod"], how="inner")
    return units.sort_values(["skolform", "skolenhetskod"]).reset_index(drop=True)


def _register(paths: ProjectPaths) -> pd.DataFrame | None:
    p = paths.processed / "skolenheter.parquet"
    return pd.read_parquet(p) if p.exists() else None


#: Where the ledger of what was read but not published is written (inside the processed folder).
LEDGER_NOTE = "data/processed/.../ej_publicerat.parquet"


def _lasar_text(year: int) -> str:
    return f"{year - 1}/{str(year)[-2:]}"


def no_units_message(ind: pd.DataFrame, year: int, kommunkod: str, namn: str, kommun: str | None) -> str:
    """Why a report would have no unit pages: who and which year, and what the files do hold."""
    who = f"KOMMUN={kommun} ({namn})" if kommun else f"the huvudman {namn} ({kommunkod})"
    years = sorted(int(y) for y in ind["lasar"].unique())
    span = f"läsår {_lasar_text(years[0])}–{_lasar_text(years[-1])}" if years else "no läsår at all"
    this = ind[ind["lasar"] == year]
    by_niva = this.groupby("niva").size().to_dict()
    held = ", ".join(f"{n} {by_niva[n]} values" for n in sorted(by_niva)) or "no values"
    enhet = ind[ind["niva"] == "enhet"]
    per_year = enhet.groupby("lasar")["skolenhetskod"].nunique().sort_index(ascending=False)
    others = ", ".join(f"{_lasar_text(int(y))} ({n})" for y, n in per_year.items() if int(y) != year)
    unit_years = f"; units with values in other years: {others}" if others else "; no unit values in any year"
    return (
        f"{who}, läsår {_lasar_text(year)} (YEAR={year}): no unit of the huvudman has values for this "
        f"year, so the report would have no unit pages. The files hold {span}; in {_lasar_text(year)}: "
        f"{held}{unit_years}. Choose a YEAR with units, add the unit-level files for {_lasar_text(year)} "
        "(Skolverket's skolenhet exports, the statistics API, the unit register), or build the report "
        "without unit pages with --allow-empty (make: ALLOW_EMPTY=1)."
    )


def _check_year(indikatorer: pd.DataFrame, year: int) -> None:
    years = sorted(int(y) for y in indikatorer["lasar"].unique())
    if year not in years:
        have = ", ".join(str(y) for y in years) or "none"
        raise ConfigError(
            f"No data for läsår {year - 1}/{str(year)[-2:]} (YEAR={year}). Years in the data: {have}. "
            "Give YEAR as the spring year of a läsår in the data (2024 = 2023/24)."
        )


def identities(raw: Path, ctx: ReadContext) -> tuple[set[str], set[str]]:
    """Names and ids of pupils present in the raw data, for the leak scanner."""
    from pipeline.ingest.sis import collect_identities

    return collect_identities(raw, ctx)


def _unit_name(units: pd.DataFrame, skolform: str, skolenhetskod: str) -> str:
    if not skolenhetskod:
        return ""
    hit = units[(units["skolform"] == skolform) & (units["skolenhetskod"] == skolenhetskod)]
    return str(hit["enhet"].iloc[0]) if not hit.empty else skolenhetskod


def build_report(
    year: int,
    *,
    paths: ProjectPaths | None = None,
    data_dir: Path | None = None,
    kommun: str | None = None,
    force: bool = False,
    allow_failures: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
    pdf: bool = True,
    allow_empty: bool = False,
    skip_unknown: bool = False,
) -> ReportResult:
    """Build ``reports/<year>/`` from raw data; see the module docstring.

    A report with no unit of the huvudman in ``year`` stops with exit 2 (:func:`no_units_message`
    says what the files hold) unless ``allow_empty`` is given. ``KOMMUN=all`` is
    :func:`pipeline.country.build_country` (the same three steps for every kommun).
    """
    from pipeline.execution import run_jobs

    prep = prepare_report(
        year,
        paths=paths,
        data_dir=data_dir,
        kommun=kommun,
        allow_empty=allow_empty,
        skip_unknown=skip_unknown,
    )
    t = time.perf_counter()
    summary = run_jobs(
        prep.jobs,
        workers=workers,
        force=force,
        cache_dir=prep.build_dir / "cache",
        scheduler=scheduler,
        on_result=lambda _result: checkpoint("notebooks.job"),
    )
    prep.timings["notebooks"] = time.perf_counter() - t
    # a year's folder also holds the country's reports (KOMMUN=all): not this build's to replace
    return finish_report(
        prep, summary, force=force, allow_failures=allow_failures, pdf=pdf, keep=(COUNTRY_FOLDER,)
    )


@dataclass
class PreparedReport:
    """A report up to its notebooks: ingested, indicators computed and audited, jobs planned."""

    year: int
    paths: ProjectPaths
    data_dir: Path | None
    kommun: str | None
    raw: Path
    params: Params
    outputs: dict[str, pd.DataFrame]
    units: pd.DataFrame
    jobs: list[Job]
    build_dir: Path
    target: Path
    skydd: dict
    ej_publicerat: pd.DataFrame
    timings: dict[str, float]
    t0: float
    #: the configured huvudman's written assessment and development areas (``params/``) are about
    #: another organiser than this report's kommun (the demo's Exempelkommun, or another kommun):
    #: never shown in it
    others_texts: bool = False


def prepare_report(
    year: int,
    *,
    paths: ProjectPaths | None = None,
    data_dir: Path | None = None,
    kommun: str | None = None,
    allow_empty: bool = False,
    skip_unknown: bool = False,
    target: Path | None = None,
    build_dir: Path | None = None,
    ingested: IngestResult | None = None,
) -> PreparedReport:
    """Steps 1-2 and the job plan of :func:`build_report`.

    ``target`` (default ``reports/<year>``) and ``build_dir`` (default ``reports/.build-<year>``,
    at the same depth below ``reports/`` as ``target``) place one kommun of ``KOMMUN=all``;
    ``ingested``: its processed tables are already written (cut from the national ingest), so no
    raw file is read again.
    """
    from pipeline.execution import plan_jobs

    _source_date_epoch()
    paths = (paths or ProjectPaths()).for_source(data_dir, kommun)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    target = Path(target) if target is not None else paths.report_dir(year)
    recover(target)  # what a killed build left beside reports/<YEAR>/, even if nothing is rebuilt now

    raw = ensure_raw_data(paths, data_dir)
    params = resolve_params(paths, kommun)
    if ingested is None:
        log(f"[1/5] Reading raw data ({data_dir or paths.raw}) ...")
        result = _ingest(raw, paths, read_context(params), force=False, skip_unknown=skip_unknown)
        log_not_published(result)
        if result.cached:
            log("  unchanged since the last run: data/processed/ is reused")
    else:
        result = ingested
    timings["ingest"] = time.perf_counter() - t0

    if ingested is None:
        log("[2/5] Computing indicators ...")
    t = time.perf_counter()
    outputs = indicator_stage(paths, params, kommun=kommun)  # ingested once, above (or by the caller)
    ind = outputs["indikatorer"]
    _check_year(ind, year)
    timings["indicators"] = time.perf_counter() - t
    t = time.perf_counter()
    skydd = disclosure_audit(ind, params, quiet=ingested is not None)
    timings["disclosure_audit"] = time.perf_counter() - t
    others_texts = texts_are_others(paths.params, kommun)
    if kommun is not None:
        tables = load_tables(paths.processed)
        params = params.model_copy(
            update={
                "huvudman": params.huvudman.model_copy(
                    update={"namn": _huvudman_name(params, tables, kommun)}
                )
            }
        )

    units = units_of_year(ind, year, _register(paths))
    if units.empty and not allow_empty:
        raise ConfigError(
            no_units_message(ind, year, params.huvudman.kommunkod, params.huvudman.namn, kommun)
        )
    from pipeline.publishing.analyses import check_analyses

    problems = check_analyses(paths.params, year, units)
    broken = [p for p in problems if p.kind == "felaktig"]
    if broken:
        shown = "\n".join(f"  {p}" for p in broken)
        raise AnalysisFileError(
            f"{len(broken)} written analysis file(s) are malformed; nothing was built:\n{shown}"
        )
    missing = [p for p in problems if p.kind == "saknas"]
    if missing and ingested is None:
        log(
            f"  note: {len(missing)} unit(s) or school form(s) have no written analysis for {year} "
            f"(their pages say so); `make analyses YEAR={year}` writes empty templates, e.g. {missing[0].path}"
        )
    for p in problems:
        if p.kind not in {"felaktig", "saknas"}:
            log(f"  note: {p}")

    # Same depth below reports/ as reports/<YEAR>/, so the relative data paths injected into the
    # notebooks stay right when they are copied into the published report.
    build_dir = Path(build_dir) if build_dir is not None else paths.reports / f".build-{year}"
    jobs = plan_jobs(
        lasar=year,
        units=units,
        processed_dir=paths.processed,
        params_dir=paths.params,
        out_dir=build_dir,
        indikatorer=ind,
        overview_forms=_overview_only_forms(ind, year) if units.empty and allow_empty else (),
    )
    overviews = sum(1 for j in jobs if not j.parameters["skolenhetskod"])
    if ingested is None:
        log(f"[3/5] Running notebooks for {len(jobs) - overviews} units and {overviews} overviews ...")
    return PreparedReport(
        year=year, paths=paths, data_dir=data_dir, kommun=kommun, raw=raw, params=params, outputs=outputs,
        units=units, jobs=jobs, build_dir=build_dir, target=target, skydd=skydd,
        ej_publicerat=result.ej_publicerat, timings=timings, t0=t0, others_texts=others_texts,
    )  # fmt: skip


def finish_report(
    prep: PreparedReport,
    summary: RunSummary,
    *,
    force: bool = False,
    allow_failures: bool = False,
    pdf: bool = True,
    quiet: bool = False,
    keep: tuple[str, ...] = (),
    extra_manifest: dict | None = None,
) -> ReportResult:
    """Steps 4-5 of :func:`build_report`: publish the executed notebooks atomically into ``prep.target``.

    ``keep``: sub-folders of the old target carried into the new one (``kommuner`` of a year's
    folder, the country's reports, is not this report's to replace). ``extra_manifest``: more
    fields for ``manifest.json`` (the country run's input key).
    """
    from pipeline.publishing import publish
    from pipeline.publishing.book import NotebookJob

    year, paths, params, jobs, units, target = (
        prep.year, prep.paths, prep.params, prep.jobs, prep.units, prep.target,
    )  # fmt: skip
    build_dir, outputs, raw, timings = prep.build_dir, prep.outputs, prep.raw, prep.timings
    ind = outputs["indikatorer"]
    failed = summary.failed
    if failed and not allow_failures:
        lines = "\n".join(f"  {f.name}: cell {f.cell_index}: {f.error}" for f in failed)
        raise NotebookRunError(
            f"{len(failed)} of {len(jobs)} notebook(s) failed; nothing was published (the previous "
            f"report is unchanged):\n{lines}\nThe failed notebooks, with the failing cell marked, are in "
            f"{build_dir / 'notebooks'}. Fix the cause, or publish the rest with "
            "`make report YEAR=... ALLOW_FAILURES=1` (their pages then say the report could not be produced).",
            failed,
        )

    t = time.perf_counter()
    provenance = {
        "code_version": code_version(),
        "params_hash": params.params_hash,
        "inputs": _input_hashes(raw),
        "huvudman": params.huvudman.namn,
        "kommunkod": params.huvudman.kommunkod,
    }
    status = {r.name: r for r in summary.results}
    build_key = _build_key(jobs, summary, outputs, provenance, pdf=pdf, allow_failures=allow_failures)
    if not force and _up_to_date(target, build_key):
        if extra_manifest:
            _update_manifest(target / "manifest.json", extra_manifest)
        if not quiet:
            log("[4/5] Nothing changed since the published report: it is left as it is.")
        counts = {k: v for k, v in summary.to_manifest()["counts"].items() if v}
        return ReportResult(
            year=year,
            report_dir=target,
            pages=len(list((target / "site").rglob("*.html"))),
            jobs=counts,
            seconds=time.perf_counter() - prep.t0,
            failed=failed,
        )
    checkpoint("publish.start")
    if not quiet:
        log("[4/5] Publishing the site, PDF and downloads; scanning them for pupil-level information ...")
    names, ids = identities(raw, read_context(params))
    # the last report's file count is the best guess of how many files this one will have
    last = sum(1 for p in target.rglob("*") if p.is_file()) if target.is_dir() else None
    with (
        staged_directory(target) as stage,
        contextlib.nullcontext() if quiet else watch_folder("publish.files", stage, "publishing", total=last),
    ):
        published_jobs: list[NotebookJob] = []
        for job in jobs:
            res = status.get(job.name)
            dest = stage / job.output.relative_to(build_dir)
            if job.output.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(job.output, dest)
                advance("publish.copy")
            form, code = job.parameters["skolform"], job.parameters["skolenhetskod"]
            published_jobs.append(
                NotebookJob.from_result(
                    res, skolform=form, skolenhetskod=code, enhet=_unit_name(units, form, code), path=dest
                )
            )
        page_tables = _generated_page_tables(outputs)  # what the start and method pages declare they read
        written = publish(
            lasar=year,
            params=params,
            indikatorer=ind,
            jobs=published_jobs,
            out_dir=stage,
            provenance=provenance,
            forandringar=page_tables.get("forandringar"),
            va_modell=page_tables.get("va_modell"),
            va_metod=page_tables.get("va_metod"),
            va_kalibrering=_va_calibration(paths),
            jamforelser=page_tables.get("jamforelser"),
            # the configured huvudman's written assessment and development areas are about it: not
            # shown in a report for another kommun (nor the demo's, about Exempelkommun)
            params_dir=None if prep.others_texts else paths.params,
            pdf=pdf,
            forbidden_names=names,
            forbidden_ids=ids,
            **_ledger_kwargs(prep),
        )
        timings["publish"] = time.perf_counter() - t
        checkpoint("publish.manifest")
        if not quiet:
            log("[5/5] Writing the manifest and swapping the new report in ...")
        manifest = {
            "lasar": year,
            "build_key": build_key,
            **provenance,
            **(extra_manifest or {}),
            "jobs": summary.to_manifest(),
            "skydd": prep.skydd,
            "step_seconds": {k: round(v, 3) for k, v in timings.items()},
        }
        (stage / "manifest.json").write_text(
            json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        )
        # carried over, like the per-source folders of data/processed/: the country reports and the
        # period reports (make report PERIOD=...), which are built on their own
        for sub in (*keep, *period_folders(paths)):
            if (target / sub).is_dir():
                os.replace(target / sub, stage / sub)

    pages = len(list((target / "site").rglob("*.html")))
    counts = {k: v for k, v in summary.to_manifest()["counts"].items() if v}
    return ReportResult(
        year=year,
        report_dir=target,
        pages=pages,
        jobs=counts,
        seconds=time.perf_counter() - prep.t0,
        failed=failed,
        files=[str(w) for w in written] if written else [],
    )


def _update_manifest(manifest: Path, fields: dict) -> None:
    """Record ``fields`` in an up-to-date report's manifest (atomically; only when they differ)."""
    data = json.loads(manifest.read_text())
    if all(data.get(k) == v for k, v in fields.items()):
        return
    data.update(fields)
    write_bytes_atomic(
        manifest, (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    )


def _overview_only_forms(ind: pd.DataFrame, year: int) -> tuple[str, ...]:
    """School forms with values of the huvudman or the kommun in ``year``: the overview pages of a
    report without units (a kommun whose files hold no unit-level data for the year)."""
    rows = ind[(ind["lasar"] == year) & ind["niva"].isin(["huvudman", "kommun"]) & ind["varde"].notna()]
    return tuple(sorted(rows["skolform"].astype(str).unique()))


def _ledger_kwargs(prep: PreparedReport) -> dict:
    """The method page's list of what was read but not published or could not be placed."""
    return {"ej_publicerat": prep.ej_publicerat}


def period_folders(paths: ProjectPaths) -> list[str]:
    """The period ids of ``params/perioder.yml`` (the sub-folders of ``reports/<YEAR>/`` that hold
    period reports); none when the file is missing."""
    if not (paths.params / "perioder.yml").exists():
        return []
    from pipeline.periods.config import load_perioder

    return list(load_perioder(paths.params).perioder)


def _generated_page_tables(outputs: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables the start and method pages declare they read (``PAGE_INPUTS``), of ``outputs``."""
    names = dict.fromkeys((*PAGE_INPUTS["start"].tables, *PAGE_INPUTS["method"].tables))
    return {n: outputs[n] for n in names if n in outputs}


def _build_key(
    jobs: list[Job], summary: RunSummary, outputs: dict[str, pd.DataFrame], provenance: dict, **flags
) -> str:
    """Everything the published report depends on: job hashes and outcomes, the tables the start
    and method pages read, the provenance (code version, params, inputs) and the build flags."""
    # Whether a job failed matters (its page says so), not whether it ran now or came from the cache.
    failed = {r.name for r in summary.results if r.status == "failed"}
    return stage_key(
        {
            "jobs": [[j.name, j.hash, j.name in failed] for j in sorted(jobs, key=lambda j: j.name)],
            "pages": hash_frames(_generated_page_tables(outputs)),
            "provenance": provenance,
            "flags": flags,
        }
    )


def _up_to_date(target: Path, build_key: str) -> bool:
    """True when ``target`` is a complete report built from exactly this build key."""
    return Stamp(target / "manifest.json", field="build_key").matches(
        build_key, [target / "site" / "index.html"]
    )


def _input_hashes(raw: Path) -> dict[str, str]:
    files, _ = list_raw_files(raw)
    return {p.relative_to(raw).as_posix(): file_sha256(p) for p in files}


#: Fields of manifest.json that record how a build went, not what it produced.
VOLATILE_MANIFEST_KEYS = ("jobs", "step_seconds")


def _comparable(path: Path) -> bytes:
    if path.name == "manifest.json":
        data = json.loads(path.read_text())
        for key in VOLATILE_MANIFEST_KEYS:
            data.pop(key, None)
        return json.dumps(data, sort_keys=True).encode()
    return path.read_bytes()


def compare_trees(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two report folders (missing on either side included)."""
    skip = set(period_folders(ProjectPaths()))  # period reports are built and verified on their own

    def files(root: Path) -> set[str]:
        rels = (p.relative_to(root) for p in root.rglob("*") if p.is_file())
        return {r.as_posix() for r in rels if r.parts[0] not in skip}

    fa, fb = files(a), files(b)
    diffs = [f"only in {a}: {x}" for x in sorted(fa - fb)] + [
        f"only in rebuild: {x}" for x in sorted(fb - fa)
    ]
    for rel in sorted(fa & fb):
        if _comparable(a / rel) != _comparable(b / rel):
            diffs.append(f"differs: {rel}")
    return diffs


def verify(
    year: int, *, paths: ProjectPaths | None = None, data_dir: Path | None = None, kommun: str | None = None
) -> list[str]:
    """Rebuild ``year`` from raw data in a temp dir (no cache) and compare with ``reports/<year>``."""
    paths = paths or ProjectPaths()
    current = paths.report_dir(year)
    if not current.exists():
        raise ConfigError(f"{current} does not exist: build it first with `make report YEAR={year}`.")
    ensure_raw_data(paths, data_dir)
    with tempfile.TemporaryDirectory(prefix="kvalitet-verify-") as tmp:
        # The same layout as the project (params/, data/processed/, reports/), so that the
        # relative data paths inside the executed notebooks come out the same.
        root = Path(tmp)

        def moved(folder: Path, default: str) -> Path:
            inside = folder.is_relative_to(paths.root)
            return root / (folder.relative_to(paths.root) if inside else default)

        tmp_paths = ProjectPaths(
            root,
            raw=paths.raw,  # with data_dir passed on, the rebuild reads the same per-source folder
            params=moved(paths.params, "params"),
            processed=moved(paths.processed, "data/processed"),
            reports=moved(paths.reports, "reports"),
        )
        shutil.copytree(paths.params, tmp_paths.params)
        build_report(year, paths=tmp_paths, data_dir=data_dir, kommun=kommun, force=True)
        return compare_trees(current, tmp_paths.report_dir(year))


def write_analysis_templates(year: int, *, paths: ProjectPaths | None = None) -> list[Path]:
    """Write empty written-analysis templates for every unit (and school form) of ``year``."""
    from pipeline.publishing.analyses import write_templates

    paths = paths or ProjectPaths()
    out = indicators(paths)
    ind = out["indikatorer"]
    _check_year(ind, year)
    units = units_of_year(ind, year, _register(paths))
    for code in units["skolform"].unique():
        get_school_form(code)  # loud on an unknown code
    return write_templates(paths.params, year, units)
