"""The whole country: ``make report YEAR=2025 DATA=<folder> KOMMUN=all``.

A report for every kommun the files hold, each in its own folder
``reports/<YEAR>/kommuner/<kommunkod>-<namn>/`` (the same report a ``KOMMUN=<kod>`` run builds:
site, PDF, downloads, manifest), and an index page ``reports/<YEAR>/kommuner/index.html`` (by län,
then name). Four steps:

1. **Read once.** The raw folder is ingested once with no kommun filter into
   ``data/processed/<data>-alla/`` (:func:`pipeline.ingest.run_ingest`, its own stamp).
2. **Prepare per kommun.** Each kommun's processed tables are cut from the national ones
   (:mod:`pipeline.ingest.subset`, no raw file read again), then its indicators, disclosure audit
   and notebook jobs (:func:`pipeline.report.prepare_report`): only that kommun's rows.
3. **Run every notebook at once**: one :func:`pipeline.execution.run_jobs` over all kommuner's jobs
   (one warm local pool, or one submission to a Dask cluster with ``SCHEDULER=``), so small
   kommuner do not each pay for starting kernels and a cluster sees the whole grid.
4. **Publish per kommun** (:func:`pipeline.report.finish_report`): the client writes each kommun's
   folder atomically (staged beside it, swapped in whole), then the index page.

**Incremental.** Each kommun's ``manifest.json`` records ``country_key``: the national ingest's key
(every raw file's hash and the reading code), the kommun, the code of ``pipeline/`` and the
notebooks, every file of ``params/`` (analyses included), the year and the flags. When it matches,
the kommun is not touched at all (one small file read); otherwise the usual caches apply (the
subset's and the indicators' stamps, the notebook cache, the build key). **Resumable.** A kill
leaves every kommun folder either complete or as it was (``pipeline.atomic``); the next run skips
the complete ones.

**A kommun without unit-level data for YEAR** (the files hold only kommun-level values for it)
gets a report of overview pages only: start page, one overview per school form with the kommun's,
the kommunal huvudman's and riket's values, the method page and the downloads; the index says so.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd

from pipeline.atomic import recover, write_bytes_atomic
from pipeline.errors import ConfigError, NotebookRunError
from pipeline.ingest import LEDGER_FILE, load_tables, run_ingest
from pipeline.ingest.sources import ReadContext, list_raw_files
from pipeline.killpoints import checkpoint
from pipeline.paths import REPO_ROOT, ProjectPaths, _slug
from pipeline.progress import advance, bar, log
from pipeline.stages import Stamp, hash_tree, stage_key

#: ``--kommun`` value for every kommun in the files.
ALL = "all"
TEMPLATES = Path(__file__).resolve().parent / "publishing" / "templates" / "site"
STATIC = Path(__file__).resolve().parent / "publishing" / "static"


@dataclass
class KommunEntry:
    """One kommun of the index page."""

    kommunkod: str
    namn: str
    lan: str
    folder: str
    units: int = 0
    status: str = "byggd"  # byggd | oforandrad | fel
    error: str = ""

    @property
    def href(self) -> str:
        return f"{self.folder}/site/index.html"


@dataclass
class CountryResult:
    """What a ``KOMMUN=all`` run produced."""

    year: int
    folder: Path
    kommuner: list[KommunEntry] = field(default_factory=list)
    seconds: float = 0.0
    jobs: dict[str, int] = field(default_factory=dict)
    step_seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        built = sum(1 for k in self.kommuner if k.status == "byggd")
        same = sum(1 for k in self.kommuner if k.status == "oforandrad")
        counts = ", ".join(f"{v} {k}" for k, v in sorted(self.jobs.items())) or "no notebooks run"
        return "\n".join(
            [
                f"Kvalitetsrapporter {self.year} for {len(self.kommuner)} kommuner in {self.seconds:.1f} s: "
                f"{built} built, {same} unchanged ({counts}).",
                f"  Index: {self.folder / 'index.html'}",
            ]
        )


def national_paths(paths: ProjectPaths, data_dir: Path | None) -> ProjectPaths:
    """The paths of the national ingest: ``data/processed/<data>-alla/`` (never the demo's folder)."""
    nat = paths.for_source(data_dir, None)
    assert paths.raw is not None and paths.processed is not None  # set by ProjectPaths.__post_init__
    if nat.source is None:  # the default raw folder: its national read still gets a folder of its own
        name = f"{_slug(Path(paths.raw).resolve().name)}-alla"
        nat = dataclasses.replace(paths, processed=paths.processed / name, source=name)
    return nat


def kommuner_in(publicerad: pd.DataFrame) -> pd.DataFrame:
    """Every kommun the national tables hold (kommunkod, namn, lan), sorted by län and name.

    A kommun is a 4-digit code of a län (01-25; kommunalförbund 30xx-32xx and riket 0000 are
    not) with rows at kommun, huvudman or unit level; its name is the one the kommun-level rows
    give (as :func:`pipeline.report._huvudman_name` picks it), else ``Kommun <kod>``.
    """
    pub = publicerad[publicerad["kommunkod"].notna()]
    codes = pub["kommunkod"].astype(str)
    head = pd.to_numeric(codes.str[:2], errors="coerce")
    ok = codes.str.fullmatch(r"\d{4}") & head.between(1, 25).fillna(False).astype(bool)
    pub = pub[ok.to_numpy()]
    named = pub[pub["niva"].isin(["kommun", "huvudman"]) & pub["enhet"].notna()]
    names = named.groupby("kommunkod")["enhet"].agg(lambda s: sorted(s.astype(str).unique())[0]).to_dict()
    rows = [
        {"kommunkod": k, "namn": names.get(k, f"Kommun {k}"), "lan": k[:2]}
        for k in sorted(pub["kommunkod"].astype(str).unique())
    ]
    df = pd.DataFrame(rows, columns=["kommunkod", "namn", "lan"])
    return df.sort_values(["lan", "namn", "kommunkod"], kind="mergesort").reset_index(drop=True)


def pick(kommuner: pd.DataFrame, wanted: str | None, limit: int | None) -> pd.DataFrame:
    """The kommuner to build: all, a comma-separated list of codes, or ``limit`` spread evenly."""
    if wanted and wanted != ALL:
        codes = [c.strip() for c in wanted.split(",") if c.strip()]
        unknown = sorted(set(codes) - set(kommuner["kommunkod"]))
        if unknown:
            raise ConfigError(
                f"KOMMUN={wanted}: {', '.join(unknown)} not in the files (they hold {len(kommuner)} "
                "kommuner); give codes of kommuner the files hold, or KOMMUN=all."
            )
        kommuner = kommuner[kommuner["kommunkod"].isin(codes)]
    if limit is not None and limit < len(kommuner):
        by_code = kommuner.sort_values("kommunkod").reset_index(drop=True)
        step = len(by_code) / limit
        kommuner = by_code.iloc[[int(i * step) for i in range(limit)]]
        kommuner = kommuner.sort_values(["lan", "namn", "kommunkod"], kind="mergesort")
    return kommuner.reset_index(drop=True)


def country_key(national_key: str, params_dir: Path, year: int, flags: dict) -> str:
    """What every kommun's report depends on besides its kommunkod (see the module docstring)."""
    return stage_key(
        {
            "national": national_key,
            "year": year,
            "flags": flags,
            "pipeline": hash_tree(REPO_ROOT / "pipeline"),
            "notebooks": hash_tree(REPO_ROOT / "notebooks"),
            "params": hash_tree(Path(params_dir)),
        }
    )


def _kommun_key(key: str, kommunkod: str) -> str:
    return stage_key({"country": key, "kommun": kommunkod})


def _recorded_key(target: Path) -> str | None:
    """The ``country_key`` of the complete report in ``target``, or None."""
    if not (target / "site" / "index.html").exists():
        return None
    return Stamp(target / "manifest.json", field="country_key").key()


def _units_recorded(target: Path) -> int:
    try:
        return int(json.loads((target / "manifest.json").read_text()).get("enheter", 0))
    except (OSError, json.JSONDecodeError, TypeError, ValueError):
        return 0


def build_country(
    year: int,
    *,
    paths: ProjectPaths | None = None,
    data_dir: Path | None = None,
    kommun: str = ALL,
    limit: int | None = None,
    force: bool = False,
    allow_failures: bool = False,
    scheduler=None,
    workers: int | None = None,
    pdf: bool = True,
    skip_unknown: bool = False,
) -> CountryResult:
    """Build every kommun's report (see the module docstring); ``kommun``: ``all`` or ``0114,0180``."""
    from pipeline.execution import run_jobs
    from pipeline.execution.runner import RunSummary
    from pipeline.ingest.subset import national_key, write_kommun_subset
    from pipeline.report import (
        COUNTRY_FOLDER,
        _source_date_epoch,
        ensure_raw_data,
        finish_report,
        log_not_published,
        prepare_report,
        resolve_params,
    )

    _source_date_epoch()
    t0 = time.perf_counter()
    steps: dict[str, float] = {}
    paths = paths or ProjectPaths()
    raw = ensure_raw_data(paths, data_dir)
    nat = national_paths(paths, data_dir)
    assert nat.processed is not None and paths.params is not None and paths.reports is not None
    params = resolve_params(paths, None)
    ctx = ReadContext(
        kolumnmappning=dict(params.kolumnmappning), kommunkod=None, jamforelsegrupp=(),
        installningar=params.installningar, enhetsbyten=tuple(params.enhetsbyten),
    )  # fmt: skip
    log(f"[1/4] Reading raw data once for every kommun ({data_dir or paths.raw}) ...")
    with bar("ingest.file", len(list_raw_files(raw)[0]), "reading raw files", "file"):
        ingest = run_ingest(raw, nat.processed, ctx, skip_unknown=skip_unknown)
    if ingest.cached:
        log(f"  unchanged since the last run: {nat.processed} is reused")
    else:
        log_not_published(ingest)
    steps["ingest"] = time.perf_counter() - t0

    t = time.perf_counter()
    nat_key = national_key(nat.processed)
    tables = load_tables(nat.processed)
    ledger = pd.read_parquet(nat.processed / LEDGER_FILE)
    chosen = pick(kommuner_in(tables["publicerad"]), kommun, limit)
    flags = {"pdf": pdf, "allow_failures": allow_failures, "skip_unknown": skip_unknown}
    key = country_key(nat_key, paths.params, year, flags)
    folder = paths.report_dir(year) / COUNTRY_FOLDER
    build_root = paths.reports / f".build-{year}" / COUNTRY_FOLDER
    entries: list[KommunEntry] = []
    preps = []
    log(f"[2/4] Preparing {len(chosen)} kommuner (tables, indicators, disclosure audit, notebook plan) ...")
    with bar("country.prepare", len(chosen), "preparing", "kommun"):
        for row in chosen.itertuples(index=False):
            entry = KommunEntry(row.kommunkod, row.namn, row.lan, f"{row.kommunkod}-{_slug(row.namn)}")
            entries.append(entry)
            target = folder / entry.folder
            recover(target)
            if not force and _recorded_key(target) == _kommun_key(key, entry.kommunkod):
                entry.status, entry.units = "oforandrad", _units_recorded(target)
                advance("country.prepare")
                continue
            kpaths = paths.for_source(data_dir, entry.kommunkod)
            assert kpaths.processed is not None
            sub = write_kommun_subset(
                nat.processed,
                kpaths.processed,
                entry.kommunkod,
                tables=tables,
                ledger=ledger,
                files=ingest.files,
            )
            prep = prepare_report(
                year, paths=paths, data_dir=data_dir, kommun=entry.kommunkod, allow_empty=True,
                skip_unknown=skip_unknown, target=target, build_dir=build_root / entry.folder, ingested=sub,
            )  # fmt: skip
            entry.units = len(prep.units)
            preps.append((entry, prep))
            advance("country.prepare")
    steps["prepare"] = time.perf_counter() - t

    t = time.perf_counter()
    all_jobs = [
        dataclasses.replace(job, name=f"{entry.folder}/{job.name}")
        for entry, prep in preps
        for job in prep.jobs
    ]
    n_units = sum(entry.units for entry, _ in preps)
    log(
        f"[3/4] Running notebooks for {n_units} units and {len(all_jobs) - n_units} overviews "
        f"in {len(preps)} kommuner ({len(entries) - len(preps)} unchanged) ..."
    )
    summary = run_jobs(
        all_jobs,
        workers=workers,
        force=force,
        cache_dir=build_root / "cache",
        scheduler=scheduler,
        on_result=lambda _result: checkpoint("notebooks.job"),
    )
    steps["notebooks"] = time.perf_counter() - t

    t = time.perf_counter()
    log(f"[4/4] Publishing {len(preps)} kommuner; then the index page ...")
    failed: list[str] = []
    with bar("country.publish", len(preps), "publishing", "kommun"):
        for entry, prep in preps:
            prefix = f"{entry.folder}/"
            mine = [
                dataclasses.replace(r, name=r.name.removeprefix(prefix))
                for r in summary.results
                if r.name.startswith(prefix)
            ]
            part = RunSummary(
                results=mine, seconds=summary.seconds, backend=summary.backend, workers=summary.workers
            )
            try:
                finish_report(
                    prep, part, force=force, allow_failures=allow_failures, pdf=pdf, quiet=True,
                    extra_manifest={"country_key": _kommun_key(key, entry.kommunkod), "enheter": entry.units},
                )  # fmt: skip
            except NotebookRunError as exc:
                entry.status, entry.error = "fel", str(exc).splitlines()[0]
                failed.append(f"{entry.kommunkod} {entry.namn}: {entry.error}")
            advance("country.publish")
            checkpoint("country.kommun")
    write_index(folder, year, entries, params.labels)
    steps["publish"] = time.perf_counter() - t
    result = CountryResult(
        year=year,
        folder=folder,
        kommuner=entries,
        seconds=time.perf_counter() - t0,
        jobs={k: v for k, v in summary.to_manifest()["counts"].items() if v},
        step_seconds=steps,
    )
    if failed:
        raise NotebookRunError(
            f"{len(failed)} of {len(entries)} kommuner have failed notebooks and were not published (their "
            "previous reports, if any, are unchanged; every other kommun was):\n  "
            + "\n  ".join(failed)
            + "\nFix the cause, or publish them with ALLOW_FAILURES=1.",
            [],
        )
    return result


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def index_groups(entries: list[KommunEntry], labels: dict) -> list[dict]:
    """The index page's groups: one per län (in code order), its kommuner by name."""
    lan_names = (labels.get("landet") or {}).get("lan") or {}
    groups: dict[str, list[KommunEntry]] = {}
    for e in sorted(entries, key=lambda e: (e.lan, e.namn, e.kommunkod)):
        groups.setdefault(e.lan, []).append(e)
    return [
        {
            "lan": lan,
            "namn": lan_names.get(lan, lan_names.get("okant", "Län {lan}")).format(lan=lan),
            "kommuner": ks,
        }
        for lan, ks in groups.items()
    ]


def write_index(folder: Path, year: int, entries: list[KommunEntry], labels: dict) -> Path:
    """``reports/<YEAR>/kommuner/index.html`` (Swedish, accessible) and its stylesheet, atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = labels.get("landet") or {}

    def L(key: str) -> str:  # noqa: N802 - a label lookup in the template
        if key not in texts:
            raise ConfigError(f"params/labels.yml: landet.{key} is missing (the country index page's text).")
        return str(texts[key])

    html = (
        _environment()
        .get_template("country_index.html.j2")
        .render(
            L=L,
            lasar_text=f"{year - 1}/{str(year)[-2:]}",
            groups=index_groups(entries, labels),
            n_kommuner=len(entries),
            n_units=sum(e.units for e in entries),
        )
    )
    css = folder / "static" / "rapport.css"
    css.parent.mkdir(exist_ok=True)
    data = (STATIC / "rapport.css").read_bytes()
    if not css.exists() or css.read_bytes() != data:
        write_bytes_atomic(css, data)
    out = folder / "index.html"
    page = html.encode("utf-8")
    if not out.exists() or out.read_bytes() != page:  # a run with nothing changed touches nothing
        write_bytes_atomic(out, page)
    return out
