"""Everything a page reads, loaded once: indicator table, changes, value added, units, params.

A page reads from ``processed_dir`` the tables its kind declares in
:data:`pipeline.school_forms.PAGE_INPUTS` (the job planner hashes the same ones):

- ``indikatorer.parquet`` (required; schema ``Indikatorer``),
- ``forandringar.parquet`` (optional; without it a page makes no change statements),
- ``va_enheter.parquet`` (optional; value added per unit for the förädlingsvärde figure),
- ``jamforelser.parquet`` (optional; tested differences against riket and the huvudman),
- ``skolenheter.parquet`` (optional; unit names),
- ``fordelning.parquet`` and ``placeringar.parquet`` (the units' quartiles and ranks,
  :mod:`pipeline.indicators.fordelning`; computed by that module from the tables above when a
  folder has none),
- ``programbyten.parquet`` (optional; a replaced programme's rows shown under its current code),

and from ``params_dir`` the labels, targets (``mal.yml``) and the huvudman's name.

A warm kernel builds many pages in a row from the same files, so what :func:`load_context` reads is
kept in this process, keyed by the files' fingerprints (path, size, modification time, inode of
every table and params file): a changed or replaced file is read again, an unchanged one is not.
Each call returns new ``DataFrame`` objects over the shared data (pandas copy-on-write: a page or
a notebook that changes a frame changes its own copy, never the next page's). The lookups the
pages make (a series of one unit, one indicator across units, the rows of one school form and
läsår) are indexed once per loaded set, in :attr:`PageContext.memo`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import Mal, Params, comparison_group_named, load_params
from pipeline.errors import ConfigError, DataValidationError
from pipeline.indicators.registry import REGISTRY_FILES, Indicator, IndicatorRegistry, load_indicator_registry
from pipeline.paths import REPO_ROOT, ProjectPaths
from pipeline.publishing.format import format_number, is_missing, lasar_text
from pipeline.school_forms import form_words, notebook_tables

#: The processed tables a page reads (``indikatorer`` is required).
#: What a notebook page reads: the declaration :data:`pipeline.school_forms.PAGE_INPUTS` (the job
#: planner hashes the same tables).
TABLES = notebook_tables()


def parse_grades(text: str) -> frozenset[int]:
    """The årskurser of a register's ``arskurser`` text: ``F-6`` -> {0..6}, ``F,1,2,3`` ->
    {0..3}, ``7-9`` -> {7, 8, 9}; ``F``/``FK`` (förskoleklass) is 0. Empty when unknown or when a
    part is not an årskurs. Only grundskola indicators name an årskurs (registry ``arskurs``), so a
    gymnasieskola's ``1-3`` is never compared with one."""
    out: set[int] = set()
    for part in str(text or "").replace(" ", "").split(","):
        if not part:
            continue
        ends = part.split("-")
        try:
            nums = [0 if e.upper() in ("F", "FK") else int(e) for e in ends]
        except ValueError:
            return frozenset()
        if len(nums) == 1:
            out.add(nums[0])
        elif len(nums) == 2 and nums[0] <= nums[1]:
            out.update(range(nums[0], nums[1] + 1))
        else:
            return frozenset()
    return frozenset(out) if out and max(out) <= 9 else frozenset()


@dataclass(frozen=True)
class Slice:
    """The rows of one school form and läsår, indexed for quick lookup (shared: never mutate)."""

    rows: dict[tuple[str, str, str, str], dict]  # (niva, skolenhetskod, indikator, grupp) -> row
    changes: dict[tuple[str, str, str, str, str], dict]  # (typ, niva, kod, indikator, grupp) -> row
    comparisons: dict[tuple[str, str, str, str], dict]  # (niva, kod, indikator, jamfor_med) -> row
    #: (niva, skolenhetskod) -> {(indikator, grupp): row}: one subject's rows
    subjects: dict[tuple[str, str], dict[tuple[str, str], dict]] = field(default_factory=dict)


@dataclass(frozen=True)
class PageContext:
    """The inputs of one page (frames are shared; never mutate them)."""

    indikatorer: pd.DataFrame
    forandringar: pd.DataFrame | None
    va_enheter: pd.DataFrame | None
    jamforelser: pd.DataFrame | None
    skolenheter: pd.DataFrame | None
    params: Params
    registry: IndicatorRegistry
    params_dir: Path
    processed_dir: Path
    #: Read the written analyses of ``params_dir/analyser`` (off when they are the demo's and the
    #: data is a real municipality's; see :func:`params_for_data`).
    analyses: bool = True
    #: Indexes and derived lookups, shared by every context over the same loaded files.
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    #: Breaks in a unit's series (code, name, huvudman; :mod:`pipeline.ingest.enhetsregister`).
    enhetsbrott: pd.DataFrame | None = None
    #: The units' distribution and ranks (:mod:`pipeline.indicators.fordelning`).
    fordelning: pd.DataFrame | None = None
    placeringar: pd.DataFrame | None = None
    #: rows of a replaced programme shown under its current code (pipeline.indicators.programmes)
    programbyten: pd.DataFrame | None = None

    # ------------------------------------------------------------------ labels
    def label(self, *keys: str, **fill: object) -> str:
        """A reader-facing text from ``labels.yml``, with ``{placeholders}`` filled in."""
        text = self.params.label(*keys)
        return text.format(**fill) if fill else text

    def words(self, skolform: str | None) -> dict[str, str]:
        """The school form's words for its units and people (``{enheter}``: ``förskoleenheter`` or
        ``skolenheter``, ``{personer}``, ...; :func:`pipeline.school_forms.form_words`), to fill a
        text's placeholders."""
        key = ("words", skolform or "")
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = form_words(self.params.label, skolform)
        return dict(hit)

    def area_label(self, area: str) -> str:
        """Swedish name of a quality area."""
        return self.label("kvalitetsomraden", area)

    def group_label(self, grupp: str) -> str:
        """Swedish name of a group: ``grupper`` in ``labels.yml``; ``amne:EN`` -> ``Engelska``,
        ``arskurs:9`` -> ``Årskurs 9``, ``amne:EN|flickor`` -> ``Engelska, flickor`` (from
        ``diagram.grupp_prefix``, ``diagram.amnen``, ``diagram.grupp_koder``); a Skolenkäten
        respondent group (``respondent:elever_ak5``, ``konsidentitet:annan``) from
        ``respondentgrupper``. A code no label names is an error: a reader never sees a raw code."""
        return group_label(self.params, grupp)

    def unit_word(self, ind: Indicator, *, change: bool = False) -> str:
        """The unit after a number (:func:`pipeline.publishing.wording.unit_word`)."""
        from pipeline.publishing.wording import unit_word

        return unit_word(self.params.label, ind, change=change)

    def fmt(self, ind: Indicator, value: float | None, *, words: bool = True) -> str:
        """A value with its unit in words, for sentences: ``231,4 poäng``, ``87,5 %``."""
        unit = "procent" if ind.enhet == "procent" else (self.unit_word(ind) if words else "")
        return format_number(value, ind.decimaler, unit)

    # ------------------------------------------------------------------ lookups
    @property
    def huvudman_namn(self) -> str:
        """The huvudman the report is about."""
        return self.params.huvudman.namn

    def target(self, indikator: str, skolform: str, grupp: str = "samtliga") -> Mal | None:
        """The local target for this indicator, if the board set one."""
        for mal in self.params.mal:
            if mal.indikator == indikator and mal.skolform == skolform and mal.grupp == grupp:
                return mal
        return None

    def unit_name(self, skolform: str, skolenhetskod: str) -> str:
        """The unit's name, from the unit register, else the indicator table, else the code."""
        key = (skolform, skolenhetskod)
        names = self.memo.setdefault("names", {})
        if key in names:
            return names[key]
        name = ""
        reg = self.skolenheter
        if reg is not None and len(reg):
            hit = reg[(reg["skolenhetskod"] == skolenhetskod) & (reg["skolform"] == skolform)]
            if hit.empty:
                hit = reg[reg["skolenhetskod"] == skolenhetskod]
            if not hit.empty:
                name = str(hit["enhet"].iloc[0])
        if not name:
            ind = self.indikatorer
            hit = ind[(ind["niva"] == "enhet") & (ind["skolenhetskod"] == skolenhetskod)]
            if not hit.empty:
                name = str(hit["enhet"].sort_values().iloc[0])
        names[key] = name or skolenhetskod
        return names[key]

    # ------------------------------------------------------------------ indexed rows
    def own_unit_codes(self, skolform: str) -> frozenset[str]:
        """The huvudman's own units of a school form: those in the unit register
        (``skolenheter``, which lists the huvudman's units); without a register, every unit.

        A real-data report for a kommun reads Skolverket's rows for every school in the kommun,
        including other organisers' (fristående) schools: they are shown apart, never counted
        among the huvudman's units."""

        def build() -> frozenset[str]:
            codes = self.unit_codes(skolform)
            reg = self.skolenheter
            if reg is None or reg.empty:
                return codes
            own = frozenset(reg.loc[reg["skolform"] == skolform, "skolenhetskod"].astype(str))
            return (codes & own) if codes & own else codes

        return self._memoised(("own_unit_codes", skolform), build)

    def unit_grades(self, skolform: str, skolenhetskod: str) -> str:
        """The unit's årskurser from the register (``F-6``), ``""`` when unknown."""
        reg = self.skolenheter
        if reg is None or reg.empty or "arskurser" not in reg.columns:
            return ""
        hit = reg[(reg["skolenhetskod"] == skolenhetskod) & (reg["skolform"] == skolform)]
        if hit.empty or is_missing(hit["arskurser"].iloc[0]):
            return ""
        return str(hit["arskurser"].iloc[0])

    def unit_grade_set(self, skolform: str, skolenhetskod: str, lasar: int) -> frozenset[int]:
        """The årskurser (0 for förskoleklass) the unit has, empty when unknown: the grades with
        pupils in the data (``elevantal`` per ``arskurs:N``, Skolverket's "Antal elever per
        årskurs") of this läsår or else the latest läsår before it, else the register's
        ``arskurser`` (``F-6``, ``F,1,2,3``, ``7-9``)."""

        def build() -> frozenset[int]:
            parts = []
            for grade, grupp in [(0, "arskurs:FK"), *((n, f"arskurs:{n}") for n in range(10))]:
                rows = self.indicator_rows(
                    skolform=skolform, niva="enhet", indikator="elevantal", grupp=grupp
                )
                rows = rows[(rows["skolenhetskod"] == skolenhetskod) & (rows["lasar"] <= lasar)]
                if not rows.empty:
                    parts.append(rows.assign(_grade=grade))
            if parts:
                rows = pd.concat(parts)
                rows = rows[rows["lasar"] == rows["lasar"].max()]  # this läsår, else the latest before
                pupils = pd.to_numeric(rows["varde"], errors="coerce").fillna(0).gt(0)
                pupils |= rows["markering"].astype(str).eq("undertryckt")
                return frozenset(int(g) for g in rows.loc[pupils, "_grade"])
            return parse_grades(self.unit_grades(skolform, skolenhetskod))

        return self._memoised(("unit_grade_set", skolform, skolenhetskod, int(lasar)), build)

    def unit_codes(self, skolform: str) -> frozenset[str]:
        """The codes of the units with rows in a school form (any läsår)."""
        ind = self.indikatorer
        return self._memoised(
            ("unit_codes", skolform),
            lambda: frozenset(
                ind.loc[(ind["skolform"] == skolform) & (ind["niva"] == "enhet"), "skolenhetskod"]
            ),
        )

    def _index(self) -> dict[tuple[str, str, str, str], np.ndarray]:
        index = self.memo.get("by_indicator")
        if index is None:
            df = self.indikatorer
            keys = ["skolform", "niva", "indikator", "grupp"]
            index = {
                tuple(str(v) for v in key): pos
                for key, pos in df.groupby(keys, sort=False, observed=True).indices.items()
            }
            self.memo["by_indicator"] = index
        return index

    def indicator_rows(
        self, *, skolform: str, niva: str, indikator: str, grupp: str = "samtliga"
    ) -> pd.DataFrame:
        """Every row (all units and years) of one indicator and group at one level."""
        pos = self._index().get((skolform, niva, indikator, grupp))
        return self.indikatorer.iloc[pos if pos is not None else []]

    def distribution(
        self,
        *,
        skolform: str,
        lasar: int,
        indikator: str,
        grupp: str = "samtliga",
        kalla: str = "indikatorer",
    ) -> tuple[dict[str, float], int]:
        """The own units' lowest, quartiles and highest value (``lagst``, ``p25``, ``median``,
        ``p75``, ``hogst``) and their number, from ``fordelning`` (computed in the indicator layer).

        Raises
        ------
        DataValidationError
            ``fordelning`` has no row for the key (the table is not of this indicator table).
        """
        index = self._memoised(("fordelning",), lambda: _by_key(self.fordelning, _DIST_KEYS))
        row = index.get((int(lasar), skolform, indikator, grupp, kalla))
        if row is None:
            raise DataValidationError(
                f"{self.processed_dir / 'fordelning.parquet'}: no distribution for {indikator!r} "
                f"({skolform}, {grupp}, läsår {lasar}, {kalla}); expected one row per indicator with "
                "unit values. Rebuild the indicator step (make report) so that the table matches "
                "indikatorer.parquet."
            )
        q = {k: float(row[k]) for k in ("lagst", "p25", "median", "p75", "hogst")}
        return q, int(row["antal_enheter"])

    def place(
        self,
        *,
        skolform: str,
        lasar: int,
        indikator: str,
        skolenhetskod: str,
        grupp: str = "samtliga",
        kalla: str = "indikatorer",
    ) -> int | None:
        """The unit's place among the own units (1 = highest value), from ``placeringar``; None
        when the unit has no value."""
        index = self._memoised(("placeringar",), lambda: _by_key(self.placeringar, _PLACE_KEYS))
        row = index.get((int(lasar), skolform, indikator, grupp, kalla, skolenhetskod))
        return None if row is None else int(row["plats"])

    def series(
        self,
        *,
        skolform: str,
        niva: str,
        skolenhetskod: str,
        indikator: str,
        grupp: str,
        years: Iterable[int],
    ) -> pd.DataFrame:
        """One subject's values of one indicator and group in ``years``, sorted by läsår."""
        rows = self.indicator_rows(skolform=skolform, niva=niva, indikator=indikator, grupp=grupp)
        sel = rows[(rows["skolenhetskod"] == skolenhetskod) & rows["lasar"].isin(list(years))]
        return sel.sort_values("lasar")

    def _memoised(self, key: tuple, build):
        """``memo[key]``, built by ``build()`` the first time."""
        cached = self.memo.get(key)
        if cached is None:
            cached = self.memo[key] = build()
        return cached

    def slice(self, skolform: str, lasar: int) -> Slice:
        """The rows, changes and comparisons of one school form and läsår (built once)."""
        return self._memoised(
            ("slice", skolform, int(lasar)), lambda: _build_slice(self, skolform, int(lasar))
        )

    def year_frames(self, skolform: str, lasar: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The indicator rows and the changes (ending in ``lasar``) of one school form and läsår."""

        def build() -> tuple[pd.DataFrame, pd.DataFrame | None]:
            ind = self.indikatorer
            fr = self.forandringar
            if fr is not None and len(fr):
                till = "lasar_till" if "lasar_till" in fr.columns else "lasar"
                fr = fr[(fr["skolform"] == skolform) & (fr[till] == int(lasar))]
            return ind[(ind["skolform"] == skolform) & (ind["lasar"] == int(lasar))], fr

        return self._memoised(("year_frames", skolform, int(lasar)), build)

    def change(
        self,
        *,
        typ: str,
        skolform: str,
        niva: str,
        skolenhetskod: str,
        indikator: str,
        grupp: str,
        lasar: int,
    ) -> dict | None:
        """The change (``ett_ar``/``period``) ending in ``lasar``, if there is one."""
        return self.changes(skolform, lasar).get((typ, niva, skolenhetskod, indikator, grupp))

    def changes(self, skolform: str, lasar: int) -> dict[tuple[str, str, str, str, str], dict]:
        """The changes ending in ``lasar``: (typ, niva, kod, indikator, grupp) -> row (built once)."""
        return self._memoised(
            ("changes", skolform, int(lasar)), lambda: _build_changes(self, skolform, int(lasar))
        )

    def lasar_text(self, lasar: int) -> str:
        """``2023/24``."""
        return lasar_text(lasar)


_DIST_KEYS = ("lasar", "skolform", "indikator", "grupp", "kalla")
_PLACE_KEYS = (*_DIST_KEYS, "skolenhetskod")


def _by_key(df: pd.DataFrame | None, keys: tuple[str, ...]) -> dict[tuple, dict]:
    """The rows of ``df`` by their key (``lasar`` as int, the rest as str)."""
    if df is None or df.empty:
        return {}
    out = {}
    for r in df.to_dict("records"):
        out[tuple(int(r[k]) if k == "lasar" else str(r[k]) for k in keys)] = r
    return out


def group_label(params: Params, grupp: str) -> str:
    """See :meth:`PageContext.group_label`."""
    direct = params.label("grupper", grupp, default="")
    if direct:
        return direct
    if "|" in grupp:
        first, *rest = grupp.split("|")
        parts = [group_label(params, first)] + [group_label(params, r).lower() for r in rest]
        return ", ".join(parts)
    if ":" in grupp:
        prefix, kod = grupp.split(":", 1)
        if prefix == "program":  # a national programme: its name from params/gymnasieprogram.yml
            from pipeline.ingest.program import programmes

            if kod in programmes():
                return programmes()[kod].namn
        if prefix == "programtyp":
            typ = params.label("program_historik", "programtyp", kod, default="")
            if typ:
                return typ
        if prefix in ("respondent", "konsidentitet"):
            respondent = params.label("respondentgrupper", prefix, kod, default="")
            if respondent:
                return respondent
        template = params.label("diagram", "grupp_prefix", prefix, default="")
        namn = params.label("diagram", "amnen", kod, default="") if prefix == "amne" else ""
        namn = namn or params.label("diagram", "grupp_koder", kod, default="")
        if prefix == "arskurs" and not namn and kod.isdigit():
            namn = kod
        if template and namn:
            return template.format(namn=namn)
    raise ConfigError(
        f"params/labels.yml: no reader text for the group {grupp!r}; add it under 'grupper' (or, for "
        "'prefix:kod', under diagram.grupp_prefix and diagram.amnen/grupp_koder)."
    )


def _build_slice(ctx: PageContext, skolform: str, lasar: int) -> Slice:
    df = ctx.indikatorer
    sel = df[(df["skolform"] == skolform) & (df["lasar"] == lasar)]
    rows: dict = {}
    subjects: dict = {}
    for r in sel.to_dict("records"):
        rows[(r["niva"], r["skolenhetskod"], r["indikator"], r["grupp"])] = r
        subjects.setdefault((r["niva"], r["skolenhetskod"]), {})[(r["indikator"], r["grupp"])] = r
    changes = ctx.changes(skolform, lasar)
    comparisons: dict = {}
    jf = ctx.jamforelser
    if jf is not None and not jf.empty:
        jsel = jf[(jf["skolform"] == skolform) & (jf["lasar"] == lasar) & (jf["grupp"] == "samtliga")]
        for r in jsel.to_dict("records"):
            kod = "" if is_missing(r.get("skolenhetskod")) else str(r["skolenhetskod"])
            comparisons[(r["niva"], kod, r["indikator"], r["jamfor_med"])] = r
    return Slice(rows, changes, comparisons, subjects)


def _build_changes(ctx: PageContext, skolform: str, lasar: int) -> dict:
    changes: dict = {}
    fr = ctx.forandringar
    if fr is not None and not fr.empty:
        till = "lasar_till" if "lasar_till" in fr.columns else "lasar"
        fsel = fr[(fr["skolform"] == skolform) & (fr[till] == lasar)]
        for r in fsel.to_dict("records"):
            r["skolenhetskod"] = "" if is_missing(r.get("skolenhetskod")) else str(r["skolenhetskod"])
            r.setdefault("lasar_till", r.get("lasar"))
            changes[(r["typ"], r["niva"], r["skolenhetskod"], r["indikator"], r["grupp"])] = r
    return changes


@dataclass(frozen=True)
class _Loaded:
    """What :func:`load_context` read for one fingerprint."""

    frames: dict[str, pd.DataFrame | None]
    params: Params
    registry: IndicatorRegistry
    analyses: bool
    memo: dict


#: Loaded inputs by fingerprint (the newest few; a kernel usually serves one project).
_LOADED: dict[tuple, _Loaded] = {}
_MAX_LOADED = 2


def _fingerprint(processed: Path, params_path: Path) -> tuple:
    files = [processed / f"{name}.parquet" for name in TABLES]
    files += sorted(params_path.glob("*.yml"))
    files += [REPO_ROOT / "params" / name for name in REGISTRY_FILES]
    out: list[tuple] = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            out.append((str(f), None))
            continue
        out.append((str(f), st.st_size, st.st_mtime_ns, st.st_ino))
    return (str(processed), str(params_path), *out)


def clear_cache() -> None:
    """Forget every loaded set (the next :func:`load_context` reads the files again)."""
    _LOADED.clear()


def _read(path: Path, *, required: bool) -> pd.DataFrame | None:
    if not path.exists():
        if required:
            raise DataValidationError(
                f"{path}: file not found. The pages read the indicator table from the processed "
                "folder; run the pipeline's ingest and indicator steps first (make report, or "
                "python -m pipeline report), or point processed_dir at the right folder."
            )
        return None
    return pd.read_parquet(path)


def load_context(processed_dir: str | Path, params_dir: str | Path) -> PageContext:
    """Load a page's inputs.

    Parameters
    ----------
    processed_dir
        Folder with ``indikatorer.parquet`` (and optionally ``forandringar``, ``va_enheter``,
        ``skolenheter``).
    params_dir
        The ``params/`` folder (labels, targets, huvudman, written analyses).

    Raises
    ------
    DataValidationError
        ``indikatorer.parquet`` is missing.
    ConfigError
        ``params_dir`` is not a params folder.
    """
    processed = Path(processed_dir).resolve()
    params_path = Path(params_dir).resolve()
    if not (params_path / "huvudman.yml").exists():
        raise ConfigError(
            f"{params_path}: not a params folder (no huvudman.yml). Pass params_dir pointing at "
            "the project's params/ (from notebooks/: '../params')."
        )
    key = _fingerprint(processed, params_path)
    loaded = _LOADED.get(key)
    if loaded is None:
        loaded = _load(processed, params_path)
        while len(_LOADED) >= _MAX_LOADED:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = loaded
    frames = {name: None if df is None else df.copy(deep=False) for name, df in loaded.frames.items()}
    return PageContext(
        indikatorer=frames["indikatorer"],
        forandringar=frames["forandringar"],
        va_enheter=frames["va_enheter"],
        jamforelser=frames["jamforelser"],
        skolenheter=frames["skolenheter"],
        params=loaded.params,
        registry=loaded.registry,
        params_dir=params_path,
        processed_dir=processed,
        analyses=loaded.analyses,
        memo=loaded.memo,
        enhetsbrott=frames["enhetsbrott"],
        fordelning=frames["fordelning"],
        placeringar=frames["placeringar"],
        programbyten=frames["programbyten"],
    )


def _load(processed: Path, params_path: Path) -> _Loaded:
    params = load_params(ProjectPaths(root=params_path.parent, params=params_path))
    indikatorer = _read(processed / "indikatorer.parquet", required=True)
    assert indikatorer is not None
    indikatorer = indikatorer.assign(
        skolenhetskod=indikatorer["skolenhetskod"].fillna("").astype(str),
        markering=indikatorer["markering"].fillna("").astype(str),
        lasar=indikatorer["lasar"].astype(int),
    )
    own = params_for_data(params, indikatorer, params_dir=params_path)
    demo_params_for_other_data = own is not params and params.huvudman.fiktiv
    frames: dict[str, pd.DataFrame | None] = {"indikatorer": indikatorer}
    for name in TABLES:
        if name != "indikatorer":
            frames[name] = _read(processed / f"{name}.parquet", required=False)
    if frames["fordelning"] is None or frames["placeringar"] is None:
        # a folder written before the indicator step wrote them (or by hand, in a test)
        from pipeline.indicators.fordelning import compute_fordelning

        frames["fordelning"], frames["placeringar"] = compute_fordelning(
            indikatorer, frames["skolenheter"], frames["va_enheter"]
        )
    return _Loaded(
        frames=frames,
        params=own,
        registry=load_indicator_registry(),
        analyses=not demo_params_for_other_data,
        memo={},
    )


def params_for_data(params: Params, indikatorer: pd.DataFrame, *, params_dir: Path | None = None) -> Params:
    """The params with the huvudman the indicator table was built for.

    A real-data report for a municipality (``report --kommun 0180``) builds the indicator table for
    that kommun, while ``params/huvudman.yml`` still names the configured (or demo) huvudman: the
    huvudman-level rows then carry another name. The pages take the name from the data (the most
    frequent huvudman-level name, ties alphabetically, as the orchestrator names the book) and are
    not marked fictitious: the table is built from published files. When the configured huvudman is
    the demo's (``fiktiv: true``), its comparison group and local targets are dropped too (and :func:`load_context` skips
    its written analyses): they are about the fictitious Exempelkommun. When the configured name is
    in the data (the usual case, and the demo), the params are used as they are. The comparison
    group of a kommun report is the one the data name (``jamforelse`` rows), with its members from
    ``params_dir/jamforelsegrupper.yml`` (:func:`pipeline.config.comparison_group_named`).
    """

    def named(niva: str) -> pd.Series:
        found = indikatorer.loc[indikatorer["niva"] == niva, "enhet"].dropna().astype(str)
        return found[found.str.strip() != ""]

    names = named("huvudman")
    if names.empty:  # e.g. a real-data report from one unit-level file: the kommun names it
        names = named("kommun")
    # the demo's units are all named "... (fiktiv)" (pipeline.demo): data without them are real,
    # so the demo's huvudman.yml (fiktiv: true) must not mark their pages as made up
    demo_data = bool(indikatorer["enhet"].dropna().astype(str).str.endswith("(fiktiv)").any())
    if params.huvudman.namn in set(names) or (names.empty and (demo_data or not params.huvudman.fiktiv)):
        return params
    if names.empty:
        namn = params.huvudman.namn
    else:
        counts = names.value_counts()
        namn = sorted(counts[counts == counts.max()].index)[0]
    hm_update: dict = {"namn": namn, "fiktiv": False}
    if params.huvudman.fiktiv:  # the demo's group is about the fictitious Exempelkommun
        hm_update.update(jamforelsegrupp=(), jamforelsegrupp_medlemmar={})
    group = indikatorer.loc[indikatorer["niva"] == "jamforelse", "enhet"].dropna().astype(str).unique()
    if len(group) == 1:
        # the kommun report's group (params/jamforelsegrupper.yml), named in the data as the
        # indicator stage wrote it: its members are listed when exactly one entry has that name
        hm_update["jamforelsegrupp_namn"] = str(group[0])
        if params_dir is not None:
            hm_update.update(comparison_group_named(Path(params_dir), str(group[0])))
    hm = params.huvudman.model_copy(update=hm_update)
    update: dict = {"huvudman": hm}
    if params.huvudman.fiktiv:
        update["mal"] = ()
    return params.model_copy(update=update)


def load_indikatorer(processed_dir: str | Path) -> pd.DataFrame:
    """The tidy indicator table (``indikatorer.parquet``), all years and levels, for exploration.

    Raises
    ------
    DataValidationError
        The file is missing (with how to produce it).
    """
    df = _read(Path(processed_dir).resolve() / "indikatorer.parquet", required=True)
    assert df is not None
    return df
