"""The job planner: the grid skolform × skolenhet × läsår (+ one overview per form) as named jobs.

Each :class:`Job` carries a content hash of everything its output depends on:

- the template's bytes;
- its parameters as injected (paths are injected *relative to the output notebook's folder*, the
  kernel's working directory, so a clone at another location gives the same hash and the same
  bytes; absolute paths never enter a hash);
- the slice of the processed tables the page reads, as its kind declares them in
  :data:`~pipeline.school_forms.PAGE_INPUTS` (the declaration the page loads by,
  :mod:`pipeline.publishing.context`): a ``unit`` table by the unit's own rows plus the reference
  rows (``niva`` other than ``enhet``) of its school form, a ``form`` table by every row of the
  school form, a ``whole`` table whole; a unit page also by the rows its comparison with the
  other units shows (every unit's value this läsår of the indicators of
  :data:`~pipeline.school_forms.UNIT_COMPARISON_AREAS`, and the units' names). A table no page
  kind declares never enters a job's key;
- the written analyses (every year's, as a page follows up last year's): for a unit
  ``params_dir/analyser/*/<skolenhetskod>.md`` (a förskola's also its barnintervjuer,
  ``params_dir/analyser/*/forskola/<skolenhetskod>.yml``); for an overview the form's own
  ``params_dir/analyser/*/<skolform>.md`` and those of the form's units;
- every other file directly in ``params_dir`` (labels.yml, huvudman.yml, ...) and the development
  areas ``params_dir/utvecklingsomraden/*.yml``;
- the code version: every file of the ``pipeline`` package (sources, publishing templates).

A unit whose data changed therefore re-runs its own job and its form's overview only, unless
the change moves a row other pages show: a reference row (e.g. the huvudman total, on every unit
page) or the unit's value in the comparison (kunskapsresultat this läsår, on every unit page of
its form). A changed written analysis re-runs the unit's page and its form's overview.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import ConfigError
from pipeline.execution.signature import check_parameters
from pipeline.indicators.registry import load_indicator_registry
from pipeline.paths import REPO_ROOT
from pipeline.school_forms import (
    OVERVIEW_NOTEBOOK,
    PAGE_INPUTS,
    UNIT_COMPARISON_AREAS,
    PageInputs,
    get_school_form,
    notebook_tables,
    school_form_codes,
)
from pipeline.stages import hash_files, hash_named_files, hash_tree, stage_key

#: Parameters that are paths: injected relative to the output notebook's folder.
PATH_PARAMETERS: tuple[str, ...] = ("processed_dir", "params_dir")
#: The stem of an overview's output notebook and its job name.
OVERVIEW_STEM = "huvudman"


@dataclass(frozen=True)
class Job:
    """One notebook run.

    Attributes
    ----------
    name
        ``<skolform>/<skolenhetskod>/<lasar>``, or ``<skolform>/huvudman/<lasar>`` for an overview.
    template
        The notebook template (absolute path).
    parameters
        What is injected after the ``parameters`` cell (paths relative to ``output.parent``).
    output
        Where the executed notebook is written.
    hash
        Content hash of everything the output depends on (see the module docstring).
    """

    name: str
    template: Path
    parameters: dict[str, Any] = field(hash=False)
    output: Path
    hash: str

    @property
    def cwd(self) -> Path:
        """The kernel's working directory while the job runs: the output notebook's folder."""
        return self.output.parent


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_version() -> str:
    """Hash of every file of the ``pipeline`` package (Python sources, publishing templates)."""
    return hash_tree(REPO_ROOT / "pipeline")


def _params_digest(params_dir: Path) -> str:
    """Every file directly in ``params_dir`` and the development areas (every page shows its own
    and follows up last year's)."""
    if not params_dir.is_dir():
        return hash_named_files([], params_dir)
    files = [p for p in params_dir.iterdir() if p.is_file() and not p.name.startswith(".")]
    files += list((params_dir / "utvecklingsomraden").glob("*.yml"))
    return hash_named_files(files, params_dir)


def _analyses(params_dir: Path) -> dict[str, list[Path]]:
    """``analyser/*/*.md`` grouped by stem (skolenhetskod, or a form-level name)."""
    out: dict[str, list[Path]] = {}
    folder = params_dir / "analyser"
    if folder.is_dir():
        for p in sorted(folder.glob("*/*.md")):
            out.setdefault(p.stem, []).append(p)
        # a förskola's barnintervjuer and observationer (shown on its unit page)
        for p in sorted(folder.glob("*/forskola/*.yml")):
            out.setdefault(p.stem, []).append(p)
    return out


class _Slices:
    """Row hashes of one table, grouped so that a unit's or a form's slice hashes quickly."""

    def __init__(self, name: str, df: pd.DataFrame) -> None:
        self.name = name
        self.columns = list(map(str, df.columns))
        if df.empty:
            self.rows = np.zeros(0, dtype=np.uint64)
        else:
            self.rows = pd.util.hash_pandas_object(df, index=False).to_numpy()
        self.has_form = "skolform" in df.columns
        self.has_unit = self.has_form and "skolenhetskod" in df.columns
        self.by_form: dict[str, np.ndarray] = {}
        self.by_unit: dict[tuple[str, str], np.ndarray] = {}
        self.ref_by_form: dict[str, np.ndarray] = {}
        if self.has_form and not df.empty:
            forms = df["skolform"].astype(str).to_numpy()
            self.by_form = {k: np.flatnonzero(forms == k) for k in np.unique(forms)}
            if self.has_unit:
                codes = df["skolenhetskod"].fillna("").astype(str).to_numpy()
                keys = pd.DataFrame({"f": forms, "c": codes})
                self.by_unit = dict(keys.groupby(["f", "c"], sort=False).indices)
                if "niva" in df.columns:
                    ref = df["niva"].astype(str).to_numpy() != "enhet"
                    self.ref_by_form = {k: idx[ref[idx]] for k, idx in self.by_form.items()}
        self._units_of_year: pd.DataFrame | None = None
        if self.has_unit and {"niva", "grupp", "indikator", "lasar"} <= set(df.columns) and not df.empty:
            self._units_of_year = pd.DataFrame(
                {
                    "skolform": df["skolform"].astype(str).to_numpy(),
                    "niva": df["niva"].astype(str).to_numpy(),
                    "grupp": df["grupp"].astype(str).to_numpy(),
                    "indikator": df["indikator"].astype(str).to_numpy(),
                    "lasar": pd.to_numeric(df["lasar"], errors="coerce").to_numpy(),
                }
            )

    def compared(self, skolform: str, lasar: int, indikatorer: Iterable[str]) -> str:
        """Every unit's row (all pupils) of ``indikatorer`` in ``lasar``: what a unit page's
        comparison with the other units shows."""
        k = self._units_of_year
        if k is None:
            return self._digest(np.zeros(0, dtype=np.int64))
        mask = (
            (k["skolform"] == skolform)
            & (k["niva"] == "enhet")
            & (k["grupp"] == "samtliga")
            & (k["lasar"] == lasar)
            & k["indikator"].isin(list(indikatorer))
        ).to_numpy()
        return self._digest(np.flatnonzero(mask))

    def _digest(self, idx: np.ndarray | None) -> str:
        rows = self.rows if idx is None else self.rows[np.sort(idx)]
        return _sha(json.dumps(self.columns).encode() + b"\0" + rows.tobytes())

    def unit(self, skolform: str, code: str) -> str:
        if not self.has_unit:
            return self.form(skolform)
        empty = np.zeros(0, dtype=np.int64)
        idx = np.concatenate(
            [self.by_unit.get((skolform, code), empty), self.ref_by_form.get(skolform, empty)]
        )
        return self._digest(idx)

    def form(self, skolform: str) -> str:
        if not self.has_form:
            return self._digest(None)
        return self._digest(self.by_form.get(skolform, np.zeros(0, dtype=np.int64)))

    def whole(self) -> str:
        return self._digest(None)


def _page_data(inputs: PageInputs, tables: dict[str, _Slices], skolform: str, code: str) -> dict[str, str]:
    """The hashes of the slices of ``tables`` a page declares it reads (``inputs``)."""
    data = {name: tables[name].unit(skolform, code) for name in inputs.unit if name in tables}
    data.update({name: tables[name].form(skolform) for name in inputs.form if name in tables})
    data.update({name: tables[name].whole() for name in inputs.whole if name in tables})
    return data


def _load_tables(
    processed_dir: Path, names: Iterable[str], given: dict[str, pd.DataFrame]
) -> dict[str, _Slices]:
    out = {}
    for name in names:
        if name in given:
            out[name] = _Slices(name, given[name])
            continue
        path = processed_dir / f"{name}.parquet"
        if path.exists():
            out[name] = _Slices(name, pd.read_parquet(path))
    return out


def _relative(target: Path, start: Path) -> str:
    return Path(os.path.relpath(Path(target).resolve(), Path(start).resolve())).as_posix()


def plan_jobs(
    *,
    lasar: int,
    units: pd.DataFrame,
    processed_dir: Path,
    params_dir: Path,
    out_dir: Path,
    indikatorer: pd.DataFrame | None = None,
    notebooks_dir: Path | None = None,
    check: bool = True,
    overview_forms: tuple[str, ...] = (),
) -> list[Job]:
    """Expand the job grid for one report year.

    Parameters
    ----------
    lasar
        The report year (spring year).
    units
        Units active that year: columns ``skolform``, ``skolenhetskod``, ``enhet``.
    processed_dir, params_dir
        Where the processed tables and the params live (injected relative to each output folder).
    out_dir
        ``reports/<YEAR>``; outputs go to ``out_dir/notebooks/<skolform>/<skolenhetskod>.ipynb``
        and ``.../<skolform>/huvudman.ipynb`` for the overview.
    indikatorer
        The indicator table, if already in memory (else ``processed_dir/indikatorer.parquet``).
    notebooks_dir
        Where the templates are (default: the repository's ``notebooks/``).
    check
        Check every job's parameters against its template (see :func:`check_parameters`).
    overview_forms
        School forms that get an overview even without units (a kommun whose files hold only
        kommun-level values: ``KOMMUN=all`` builds its overview pages).

    Returns
    -------
    list[Job]
        Per school form in registry order: its units sorted by skolenhetskod, then the overview.

    Raises
    ------
    ConfigError
        ``units`` lacks a required column.
    UnknownSchoolFormError
        A unit has a school form that is not in the registry.
    NotebookParameterError
        A template's ``parameters`` cell does not match the contract.
    """
    missing = {"skolform", "skolenhetskod"} - set(units.columns)
    if missing:
        raise ConfigError(
            f"plan_jobs: `units` lacks column(s) {sorted(missing)}; pass one row per active unit with "
            "columns skolform, skolenhetskod and enhet."
        )
    notebooks_dir = Path(notebooks_dir) if notebooks_dir is not None else REPO_ROOT / "notebooks"
    processed_dir, params_dir, out_dir = Path(processed_dir), Path(params_dir), Path(out_dir)
    lasar = int(lasar)

    units = units.assign(
        skolform=units["skolform"].astype(str).str.upper(), skolenhetskod=units["skolenhetskod"].astype(str)
    )
    present = set(units["skolform"]) | {str(f).upper() for f in overview_forms}
    for code in sorted(present):
        get_school_form(code)  # loud on an unknown code
    forms = [c for c in school_form_codes() if c in present]

    given = {"indikatorer": indikatorer} if indikatorer is not None else {}
    tables = _load_tables(processed_dir, notebook_tables(), given)
    analyses = _analyses(params_dir)
    shared = {
        "code": code_version(),
        "params": _params_digest(params_dir),
    }
    template_sha: dict[Path, str] = {}

    def make(skolform: str, code: str, template: Path, data: dict[str, str], texts: list[Path]) -> Job:
        stem = code or OVERVIEW_STEM
        output = out_dir / "notebooks" / skolform / f"{stem}.ipynb"
        parameters = {
            "skolform": skolform,
            "skolenhetskod": code,
            "lasar": lasar,
            "processed_dir": _relative(processed_dir, output.parent),
            "params_dir": _relative(params_dir, output.parent),
        }
        name = f"{skolform}/{stem}/{lasar}"
        if check:
            check_parameters(template, parameters, job=name)
        if template not in template_sha:
            template_sha[template] = hash_files([template])
        payload = {
            "name": name,
            "template": template_sha[template],
            "parameters": parameters,
            "data": data,
            "analyses": hash_named_files(texts, params_dir),
            **shared,
        }
        digest = stage_key(payload)
        return Job(name=name, template=template, parameters=parameters, output=output, hash=digest)

    jobs: list[Job] = []
    registry = load_indicator_registry()
    for skolform in forms:
        form = get_school_form(skolform)
        template = notebooks_dir / form.notebook
        codes = sorted(set(units.loc[units["skolform"] == skolform, "skolenhetskod"]))
        compared = [i.id for area in UNIT_COMPARISON_AREAS for i in registry.for_area(skolform, area)]
        comparison = {}
        if compared and "indikatorer" in tables:
            comparison["jamforelse_enheter"] = tables["indikatorer"].compared(skolform, lasar, compared)
            if "skolenheter" in tables:
                comparison["jamforelse_namn"] = tables["skolenheter"].form(skolform)
        for code in codes:
            data = _page_data(PAGE_INPUTS["unit"], tables, skolform, code)
            data.update(comparison)
            jobs.append(make(skolform, code, template, data, analyses.get(code, [])))
        texts = [p for stem in (skolform, *codes) for p in analyses.get(stem, [])]
        data = _page_data(PAGE_INPUTS["overview"], tables, skolform, "")
        jobs.append(make(skolform, "", notebooks_dir / OVERVIEW_NOTEBOOK, data, texts))
    return jobs
