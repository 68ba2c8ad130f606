"""Everything a page reads, loaded once: indicator table, changes, value added, units, params.

A page reads from ``processed_dir``:

- ``indikatorer.parquet`` (required; schema ``Indikatorer``),
- ``forandringar.parquet`` (optional; without it a page makes no change statements),
- ``va_enheter.parquet`` (optional; value added per unit for the förädlingsvärde figure),
- ``jamforelser.parquet`` (optional; tested differences against riket and the huvudman),
- ``skolenheter.parquet`` (optional; unit names),

and from ``params_dir`` the labels, targets (``mal.yml``) and the huvudman's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.config import Mal, Params, load_params
from pipeline.errors import ConfigError, DataValidationError
from pipeline.indicators.registry import Indicator, IndicatorRegistry, load_indicator_registry
from pipeline.paths import ProjectPaths
from pipeline.publishing.format import format_number, lasar_text


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
    _names: dict = field(default_factory=dict, compare=False, repr=False)

    # ------------------------------------------------------------------ labels
    def label(self, *keys: str, **fill: object) -> str:
        """A reader-facing text from ``labels.yml``, with ``{placeholders}`` filled in."""
        text = self.params.label(*keys)
        return text.format(**fill) if fill else text

    def area_label(self, area: str) -> str:
        """Swedish name of a quality area."""
        return self.label("kvalitetsomraden", area)

    def group_label(self, grupp: str) -> str:
        """Swedish name of a group (falls back to the code)."""
        return self.params.label("grupper", grupp, default=grupp)

    def unit_word(self, ind: Indicator, *, change: bool = False) -> str:
        """The unit after a number: ``poäng``, ``procent``/``procentenheter`` (for changes)."""
        if change and ind.enhet == "procent":
            return self.label("procentenheter")
        return self.params.label("enheter", ind.enhet, default="")

    def fmt(self, ind: Indicator, value: float | None, *, words: bool = True) -> str:
        """A value with its unit in words, for sentences: ``231,4 poäng``, ``87,5 %``."""
        text = format_number(value, ind.decimaler)
        if ind.enhet == "procent":
            return text + "\u00a0%"
        word = self.unit_word(ind) if words else ""
        return f"{text} {word}".strip()

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
        if key in self._names:
            return self._names[key]
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
        self._names[key] = name or skolenhetskod
        return self._names[key]

    def lasar_text(self, lasar: int) -> str:
        """``2023/24``."""
        return lasar_text(lasar)


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
    params = load_params(ProjectPaths(root=params_path.parent, params=params_path))
    indikatorer = _read(processed / "indikatorer.parquet", required=True)
    assert indikatorer is not None
    indikatorer = indikatorer.assign(
        skolenhetskod=indikatorer["skolenhetskod"].fillna("").astype(str),
        markering=indikatorer["markering"].fillna("").astype(str),
        lasar=indikatorer["lasar"].astype(int),
    )
    own = params_for_data(params, indikatorer)
    demo_params_for_other_data = own is not params and params.huvudman.fiktiv
    params = own
    return PageContext(
        indikatorer=indikatorer,
        forandringar=_read(processed / "forandringar.parquet", required=False),
        va_enheter=_read(processed / "va_enheter.parquet", required=False),
        jamforelser=_read(processed / "jamforelser.parquet", required=False),
        skolenheter=_read(processed / "skolenheter.parquet", required=False),
        params=params,
        registry=load_indicator_registry(),
        params_dir=params_path,
        processed_dir=processed,
        analyses=not demo_params_for_other_data,
    )


def params_for_data(params: Params, indikatorer: pd.DataFrame) -> Params:
    """The params with the huvudman the indicator table was built for.

    A real-data report for a municipality (``report --kommun 0180``) builds the indicator table for
    that kommun, while ``params/huvudman.yml`` still names the configured (or demo) huvudman: the
    huvudman-level rows then carry another name. The pages take the name from the data (the most
    frequent huvudman-level name, ties alphabetically, as the orchestrator names the book) and are
    not marked fictitious: the table is built from published files. When the configured huvudman is
    the demo's (``fiktiv: true``), its local targets are dropped too (and :func:`load_context` skips
    its written analyses): they are about the fictitious Exempelkommun. When the configured name is
    in the data (the usual case, and the demo), the params are used as they are.
    """
    names = indikatorer.loc[indikatorer["niva"] == "huvudman", "enhet"].dropna().astype(str)
    names = names[names.str.strip() != ""]
    if names.empty or params.huvudman.namn in set(names):
        return params
    counts = names.value_counts()
    namn = sorted(counts[counts == counts.max()].index)[0]
    hm = params.huvudman.model_copy(update={"namn": namn, "fiktiv": False, "jamforelsegrupp": ()})
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
