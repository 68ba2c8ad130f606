"""The book manifest: one description of the published report, rendered by every output.

The site (:mod:`pipeline.publishing.site`), the PDFs (:mod:`pipeline.publishing.pdf`) and the
Quarto project (:mod:`pipeline.publishing.quarto`) are all rendered from one :class:`Book`, so they
never disagree about what the report contains or in which order.

A book is: a start page; one chapter per school form (its overview notebook
``reports/<YEAR>/notebooks/<skolform>/huvudman.ipynb``) with one page per unit
(``.../<skolform>/<skolenhetskod>.ipynb``) under it; and a generated method-and-data appendix
(definitions from the indicator registry, sources, the suppression rule, the value-added model,
provenance). A job that failed gets a page that says plainly that its report could not be
produced.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import pandas as pd

from pipeline.errors import ConfigError
from pipeline.publishing import format as fmt
from pipeline.school_forms import SCHOOL_FORMS, get_school_form

PageKind = Literal["start", "chapter", "unit", "method"]

#: File names of pages that are not notebooks, relative to the site root.
START_FILE = "index.html"
METHOD_FILE = "metod.html"
CSV_FILE = "data/indikatorer.csv"
XLSX_FILE = "data/indikatorer.xlsx"


class JobOutcome(Protocol):
    """What publishing reads of a run's job result (:class:`pipeline.execution.JobResult`)."""

    @property
    def status(self) -> str: ...
    @property
    def error(self) -> str: ...
    @property
    def seconds(self) -> float: ...


@dataclass(frozen=True)
class NotebookJob:
    """One executed (or failed) notebook job, as the orchestrator hands it over.

    Attributes
    ----------
    skolform
        School form code (``GR``).
    skolenhetskod
        The unit's code, or ``""`` for the huvudman overview of the school form.
    enhet
        The unit's name (ignored for an overview).
    path
        The executed notebook (``reports/<YEAR>/notebooks/<slug>/<kod>.ipynb``); may be ``None`` or
        missing for a failed job.
    failed
        True when the job failed; the page then says that the report could not be produced.
    error
        The failure text (for the log; the reader sees a plain sentence, not the traceback).
    status
        How the job's run went (``executed``, ``cached`` or ``failed``; ``""``: not said).
    seconds
        How long the notebook ran (0 when it came from the cache).
    """

    skolform: str
    skolenhetskod: str
    enhet: str = ""
    path: Path | None = None
    failed: bool = False
    error: str = ""
    status: str = ""
    seconds: float = 0.0

    @classmethod
    def from_result(
        cls, result: JobOutcome | None, *, skolform: str, skolenhetskod: str, enhet: str, path: Path | None
    ) -> NotebookJob:
        """The published job of a run's result (:class:`pipeline.execution.JobResult`; ``None``:
        the job was not run)."""
        if result is None:
            return cls(skolform=skolform, skolenhetskod=skolenhetskod, enhet=enhet, path=path)
        return cls(
            skolform=skolform,
            skolenhetskod=skolenhetskod,
            enhet=enhet,
            path=path,
            failed=result.status == "failed",
            error=result.error,
            status=result.status,
            seconds=result.seconds,
        )

    @property
    def is_overview(self) -> bool:
        """True for the huvudman overview of a school form."""
        return self.skolenhetskod == ""


@dataclass(frozen=True)
class Page:
    """One page of the book.

    Attributes
    ----------
    kind
        ``start``, ``chapter`` (a school form's overview), ``unit`` or ``method``.
    title
        The page's heading (its single ``h1``) when the notebook does not name one.
    href
        The page's file, relative to the site root (``grundskola/12345678.html``).
    notebook
        The executed notebook, or ``None`` for generated pages and failed jobs.
    skolform, skolenhetskod, enhet
        What the page is about (empty where it does not apply).
    failed
        True when the job behind the page failed.
    error
        The job's failure text (never shown to readers).
    """

    kind: PageKind
    title: str
    href: str
    notebook: Path | None = None
    skolform: str = ""
    skolenhetskod: str = ""
    enhet: str = ""
    failed: bool = False
    error: str = ""

    @property
    def key(self) -> str:
        """A stable identifier (used for anchors in the print version)."""
        return self.href.removesuffix(".html").replace("/", "-")


@dataclass(frozen=True)
class Chapter:
    """One school form: its overview page and its units' pages (sorted by name, then code)."""

    skolform: str
    name: str
    slug: str
    overview: Page
    units: tuple[Page, ...] = ()

    @property
    def pages(self) -> tuple[Page, ...]:
        """The overview followed by the units."""
        return (self.overview, *self.units)


@dataclass(frozen=True)
class Definition:
    """One indicator in the method appendix."""

    id: str
    label: str
    definition: str
    skolformer: tuple[str, ...]
    kvalitetsomrade: str
    enhet: str
    riktning: str
    kalla: str


@dataclass(frozen=True)
class Table:
    """A small table of text cells (already formatted for readers)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class MethodAppendix:
    """Everything the generated method-and-data appendix shows."""

    definitions: tuple[Definition, ...]
    sources: tuple[str, ...]
    undertryck_min_antal: int
    va_min_antal: int
    signifikansniva: float
    konfidensniva: float
    trend_ar: int
    va_model: Table | None
    provenance: tuple[tuple[str, str], ...]
    #: The value-added unit level in words (``va_metod`` labels filled from the ``va_metod`` table).
    va_texts: tuple[str, ...] = ()
    #: The calibration by simulation (``params/va_kalibrering.csv``, written by ``make calibrate``).
    va_calibration: Table | None = None
    va_calibration_caption: str = ""
    #: How to read the coefficients table (``va_tabell.forklaring``).
    va_model_text: str = ""
    #: What was read but not published and what could not be placed (the ingest's ledger,
    #: ``ej_publicerat.parquet``), one row per file or source and reason; None: no ledger given.
    ej_publicerat: Table | None = None
    #: Its texts (``labels.yml: ej_publicerat``: rubrik, inledning, tabell_caption, inga).
    ej_publicerat_text: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class KeyFigure:
    """A key figure of the start page: one school form's main indicator at huvudman level."""

    skolform: str
    skolform_namn: str
    indikator: str
    label: str
    enhet: str
    decimaler: int
    varde: float | None
    forra: float | None
    forandring: float | None
    signifikant: bool | None
    undertryckt: bool = False
    #: a count's word (``elever``; the registry's ``enhet_ord``), for its change
    enhet_ord: str = ""


@dataclass(frozen=True)
class Book:
    """The report: start page, chapters (one per school form) and the method appendix.

    Use :func:`build_book` to make one.
    """

    lasar: int
    huvudman: str
    title: str
    start: Page
    chapters: tuple[Chapter, ...]
    method_page: Page
    method: MethodAppendix
    key_figures: tuple[KeyFigure, ...] = ()
    #: Up to three key figures per school form (the presentation's slide per school form).
    form_key_figures: tuple[KeyFigure, ...] = ()
    fiktiv: bool = False
    labels: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: The huvudman-level part: written assessment, its numbers, development areas
    #: (:class:`pipeline.publishing.board.Board`).
    board: Any = field(default=None, compare=False, hash=False)

    def pages(self) -> Iterator[Page]:
        """Every page in reading order: start, each chapter and its units, the appendix."""
        yield self.start
        for ch in self.chapters:
            yield from ch.pages
        yield self.method_page

    def chapter_of(self, page: Page) -> Chapter | None:
        """The chapter a page belongs to (``None`` for the start page and the appendix)."""
        for ch in self.chapters:
            if page in ch.pages:
                return ch
        return None

    def neighbours(self, page: Page) -> tuple[Page | None, Page | None]:
        """The previous and next page in reading order."""
        order = list(self.pages())
        i = order.index(page)
        return (order[i - 1] if i > 0 else None, order[i + 1] if i + 1 < len(order) else None)

    @property
    def skolformer_text(self) -> str:
        """The school forms the report covers, in words (``grundskola``, ``förskola, grundskola och
        kommunal vuxenutbildning``): the intro names these and no other."""
        names = [fmt.lower_first(ch.name) for ch in self.chapters]
        och = f" {self.label('diagram', 'och')} "
        return och.join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)

    @property
    def failed_pages(self) -> tuple[Page, ...]:
        """Pages whose job failed."""
        return tuple(p for p in self.pages() if p.failed)

    def label(self, *keys: str, default: str | None = None) -> str:
        """A reader-facing text from ``labels.yml`` (see :func:`book_label`)."""
        return book_label(self.labels, *keys, default=default)


def book_label(labels: Mapping[str, Any], *keys: str, default: str | None = None) -> str:
    """A reader-facing text from ``labels.yml``: the book's own ``labels``, else the repository's
    ``params/labels.yml``, else ``default``; a key found nowhere is a :class:`ConfigError`."""
    for source in (labels, fmt.default_labels()):
        node: Any = source
        for k in keys:
            if not isinstance(node, Mapping) or k not in node:
                break
            node = node[k]
        else:
            return str(node)
    if default is not None:
        return default
    raise ConfigError(f"params/labels.yml: no text at {'.'.join(keys)!r}; add it under that key.")


def _sort_key(job: NotebookJob) -> tuple[str, str]:
    return (job.enhet.casefold(), job.skolenhetskod)


def _label(labels: Mapping[str, Any], *keys: str, default: str) -> str:
    node: Any = labels
    for k in keys:
        if not isinstance(node, Mapping) or k not in node:
            return default
        node = node[k]
    return str(node)


def va_model_table(
    va_modell: pd.DataFrame | None,
    labels: Mapping[str, Any] | None = None,
    *,
    lasar: int | None = None,
    alfa: float = 0.05,
) -> Table | None:
    """The value-added model's coefficients as a table a reader can follow.

    One row per school form and explanatory variable of the published model (``residual``:
    actual minus expected result) in the report's läsår (``lasar``; the latest läsår with a
    model when ``None`` or when that läsår has none): the variable in words (``va_termer``), the
    coefficient and its standard error with two decimals (poäng; one formatter), whether it is
    statistically significant (p below ``alfa``, worded yes/no instead of a p-value) and the
    number of pupils. The model's R² is worded in the text above the table (``va_metod.r2``).
    Rows keep the model's order of terms within a school form.
    """
    if va_modell is None or va_modell.empty:
        return None
    df = va_modell.copy()
    if "modell" in df.columns and (df["modell"] == "residual").any():
        df = df[df["modell"] == "residual"]
    if "lasar" in df.columns:
        years = sorted(int(y) for y in df["lasar"].dropna().unique())
        year = int(lasar) if lasar is not None and int(lasar) in years else years[-1]
        df = df[df["lasar"].astype(int) == year]
    if "skolform" in df.columns:
        df = df.sort_values("skolform", kind="stable")

    def word(section: str, key: str, default: str | None = None) -> str:
        for source in (labels or {}, fmt.default_labels()):
            node: Any = source
            for k in (section, key) if "." not in section else (*section.split("."), key):
                node = node.get(k) if isinstance(node, Mapping) else None
            if node is not None:
                return str(node)
        return key if default is None else default

    from pipeline.school_forms import get_school_form

    columns = (
        word("kolumner", "skolform"),
        word("kolumner", "term"),
        word("va_tabell", "koefficient"),
        word("va_tabell", "standardfel"),
        word("va_tabell", "sakerstalld"),
        word("va_tabell", "antal"),
    )
    rows = []
    for rec in df.to_dict("records"):
        p = rec.get("p_varde")
        sig = "–" if fmt.is_missing(p) else word("ja_nej", "ja" if float(p) < alfa else "nej")
        rows.append(
            (
                get_school_form(str(rec["skolform"])).name if rec.get("skolform") else fmt.DASH,
                word("va_termer", str(rec["term"])),
                fmt.format_number(rec.get("koefficient"), 2),
                fmt.format_number(rec.get("standardfel"), 2),
                sig,
                fmt.format_number(rec.get("antal"), 0),
            )
        )
    return Table(columns=columns, rows=tuple(rows))


def _va_model_text(
    va_modell: pd.DataFrame | None, labels: Mapping[str, Any] | None, lasar: int | None, alfa: float
) -> str:
    """``va_tabell.forklaring`` for the läsår the coefficients table shows."""
    if va_modell is None or va_modell.empty or "lasar" not in va_modell.columns:
        return ""
    years = sorted(int(y) for y in va_modell["lasar"].dropna().unique())
    year = int(lasar) if lasar is not None and int(lasar) in years else years[-1]
    text = None
    for source in (labels or {}, fmt.default_labels()):
        node = source.get("va_tabell") if isinstance(source, Mapping) else None
        if isinstance(node, Mapping) and "forklaring" in node:
            text = str(node["forklaring"])
            break
    if text is None:
        return ""
    return text.format(lasar_text=fmt.lasar_text(year), alfa=fmt.format_number(alfa, 2))


def _one_year_change(
    forandringar: pd.DataFrame | None, *, skolform: str, indikator: str, lasar: int
) -> Mapping[str, Any] | None:
    """The huvudman's one-year change of an indicator (``samtliga``) from the ``forandringar`` table."""
    if forandringar is None or forandringar.empty:
        return None
    f = forandringar[
        (forandringar["lasar"] == lasar)
        & (forandringar["skolform"] == skolform)
        & (forandringar["niva"] == "huvudman")
        & (forandringar["indikator"] == indikator)
        & (forandringar["grupp"] == "samtliga")
    ]
    if "typ" in f.columns:  # one-year change, not the trend period
        f = f[f["typ"] == "ett_ar"]
    return None if f.empty else f.iloc[0].to_dict()


def compute_key_figures(
    indikatorer: pd.DataFrame | None,
    *,
    lasar: int,
    skolformer: Sequence[str],
    registry: Any,
    forandringar: pd.DataFrame | None = None,
    per_form: int = 1,
) -> tuple[KeyFigure, ...]:
    """The start page's key figures: per school form, its main indicator at huvudman level.

    The main indicator is the first indicator of the school form (registry order) that has a
    huvudman-level ``samtliga`` row in ``lasar``; ``per_form`` > 1 gives that many (the
    presentation's slide per school form). The previous value, the change and
    ``signifikant`` are read from the ``forandringar`` table (its one-year row), never recomputed
    here; without such a row the key figure has no change, and where no test was possible
    ``signifikant`` is ``None`` (the page then does not call the difference a change).
    """
    if indikatorer is None or indikatorer.empty:
        return ()
    df = indikatorer[(indikatorer["niva"] == "huvudman") & (indikatorer["grupp"] == "samtliga")]
    out = []
    for code in skolformer:
        form = get_school_form(code)
        sub = df[df["skolform"] == code]
        found = 0
        for ind in registry.for_skolform(code):
            rows = sub[sub["indikator"] == ind.id]
            now = rows[rows["lasar"] == lasar]
            if now.empty:
                continue
            row = now.iloc[0]
            varde = None if pd.isna(row["varde"]) else float(row["varde"])
            change = _one_year_change(forandringar, skolform=code, indikator=ind.id, lasar=lasar)
            forra = forandring = sig = None
            if change is not None and varde is not None:
                forra = None if pd.isna(change["varde_fran"]) else float(change["varde_fran"])
                forandring = None if pd.isna(change["forandring"]) else float(change["forandring"])
                tested = str(change.get("test") or "") not in {"ingen", ""}
                if tested and not pd.isna(change.get("signifikant")):
                    sig = bool(change["signifikant"])
            out.append(
                KeyFigure(
                    skolform=code,
                    skolform_namn=form.name,
                    indikator=ind.id,
                    label=ind.label,
                    enhet=ind.enhet,
                    decimaler=ind.decimaler,
                    varde=varde,
                    forra=forra,
                    forandring=forandring,
                    signifikant=sig,
                    undertryckt=bool(row.get("undertryckt", False)),
                    enhet_ord=ind.enhet_ord,
                )
            )
            found += 1
            if found >= per_form:
                break
    return tuple(out)


#: The calibration table of the value-added intervals: written by ``make calibrate`` (seeded), read
#: by the method appendix. A method property, not a property of the data: kept in params/.
VA_CALIBRATION_FILE = "va_kalibrering.csv"


def _va_word(labels: Mapping[str, Any] | None, *keys: str) -> str:
    for source in (labels or {}, fmt.default_labels()):
        node: Any = source
        for k in ("va_metod", *keys):
            node = node.get(k) if isinstance(node, Mapping) else None
        if isinstance(node, str):
            return node
    raise ConfigError(
        f"params/labels.yml: no text at {'.'.join(('va_metod', *keys))!r}; add it under that key."
    )


def va_method_texts(
    va_metod: pd.DataFrame | None,
    kalibrering: pd.DataFrame | None,
    *,
    lasar: int,
    labels: Mapping[str, Any] | None = None,
) -> tuple[tuple[str, ...], Table | None]:
    """The method appendix's words on the value-added unit level and its calibration.

    From ``va_metod`` (one row per school form and läsår, :mod:`pipeline.indicators.foradlingsvarde`)
    the report year's rows give R², the cohort window and the between-cohort spread (estimated or
    assumed); from ``kalibrering`` (:mod:`pipeline.indicators.va_calibration`) the coverage of the
    published interval in the target scenarios a-d and the old interval's in scenario b. Every
    number goes through the one formatter.
    """
    texts: list[str] = []
    w = lambda *k: _va_word(labels, *k)  # noqa: E731 - a short local lookup
    texts.append(w("modell"))
    rows = va_metod[va_metod["lasar"] == lasar] if va_metod is not None and len(va_metod) else None
    if rows is not None and len(rows):
        first = rows.sort_values("skolform").iloc[0]
        texts.append(
            w("enhetsniva").format(
                kohorter=int(first["kohorter"]),
                forsta_lasar_text=fmt.lasar_text(int(first["forsta_lasar"])),
                lasar_text=fmt.lasar_text(lasar),
            )
        )
    texts.append(w("intervall"))
    for r in [] if rows is None else rows.sort_values("skolform").itertuples(index=False):
        texts.append(
            w("r2").format(
                r2=fmt.format_value(100 * float(r.r2), enhet="procent", decimals=0),
                lasar_text=fmt.lasar_text(int(r.lasar)),
                skolform=get_school_form(str(r.skolform)).name.lower(),
            )
        )
        sd = fmt.format_number(float(r.sd_kohort), 1)
        if str(r.kohortvarians_kalla) == "skattad":
            texts.append(
                w("kohortvarians_skattad").format(
                    kohorter=int(r.kohorter), sd_kohort=sd, sd_elev=fmt.format_number(float(r.sd_elev), 1)
                )
            )
        else:
            texts.append(
                w("kohortvarians_antagen").format(lasar_text=fmt.lasar_text(int(r.lasar)), sd_kohort=sd)
            )
    table = None
    if kalibrering is None or kalibrering.empty:
        texts.append(w("kalibrering_saknas"))
    else:
        k = kalibrering
        target = k[(k["modell"] == "ny") & k["scenario"].isin(["a", "b", "c", "d"])]
        texts.append(
            w("kalibrering").format(
                replikat=int(target["replikat"].max()),
                tackning_min=fmt.format_number(float(target["tackning"].min()), 1),
                tackning_max=fmt.format_number(float(target["tackning"].max()), 1),
                markerade_max=fmt.format_number(float(target["markerade_noll"].max()), 1),
            )
        )
        old = k[(k["modell"] == "fore") & (k["scenario"] == "b")]
        if len(old):
            texts.append(
                w("kalibrering_fore").format(
                    tackning_fore=fmt.format_number(float(old["tackning"].iloc[0]), 1),
                    markerade_fore=fmt.format_number(float(old["markerade_noll"].iloc[0]), 1),
                )
            )
        cols = ("scenario", "modell", "tackning", "markerade_noll", "medelbredd")
        table = Table(
            columns=tuple(w("kolumner", c) for c in cols),
            rows=tuple(
                (
                    w("scenarier", str(r.scenario)),
                    w("modeller", str(r.modell)),
                    fmt.format_number(float(r.tackning), 1),
                    fmt.format_number(float(r.markerade_noll), 1),
                    fmt.format_number(float(r.medelbredd), 1),
                )
                for r in k.sort_values(["scenario", "modell"]).itertuples(index=False)
            ),
        )
    texts.append(w("krympning"))
    return tuple(texts), table


def build_method(
    *,
    registry: Any,
    skolformer: Sequence[str],
    installningar: Any,
    va_modell: pd.DataFrame | None = None,
    provenance: Mapping[str, Any] | None = None,
    labels: Mapping[str, Any] | None = None,
    va_metod: pd.DataFrame | None = None,
    va_kalibrering: pd.DataFrame | None = None,
    lasar: int | None = None,
    ej_publicerat: pd.DataFrame | None = None,
) -> MethodAppendix:
    """Collect the method appendix: definitions, sources, thresholds, model, provenance.

    ``provenance`` is a flat or nested mapping (``input_hashes``, ``params_hash``, ``code_version``,
    ...); nested mappings are flattened to ``key / subkey`` rows, sorted.
    """
    defs = tuple(
        Definition(
            id=i.id,
            label=i.label,
            definition=i.definition,
            skolformer=tuple(f for f in i.skolform),
            kvalitetsomrade=i.kvalitetsomrade,
            enhet=i.enhet,
            riktning=i.riktning,
            kalla=i.kalla,
        )
        for i in registry.indicators
        if any(f in skolformer for f in i.skolform)
    )
    sources = tuple(sorted({d.kalla for d in defs}))
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k in sorted(value, key=str):
                walk(f"{prefix} / {k}" if prefix else str(k), value[k])
        elif isinstance(value, (list, tuple)):
            rows.append((prefix, ", ".join(str(v) for v in value)))
        else:
            rows.append((prefix, str(value)))

    walk("", dict(provenance or {}))
    va_texts: tuple[str, ...] = ()
    va_table: Table | None = None
    if lasar is not None:
        va_texts, va_table = va_method_texts(va_metod, va_kalibrering, lasar=lasar, labels=labels)
    return MethodAppendix(
        definitions=defs,
        sources=sources,
        undertryck_min_antal=int(installningar.undertryck_min_antal),
        va_min_antal=int(installningar.va_min_antal),
        signifikansniva=float(installningar.signifikansniva),
        konfidensniva=float(installningar.konfidensniva),
        trend_ar=int(installningar.trend_ar),
        va_model=va_model_table(va_modell, labels, lasar=lasar, alfa=float(installningar.signifikansniva)),
        provenance=tuple(rows),
        va_texts=va_texts,
        va_calibration=va_table,
        va_calibration_caption=_va_word(labels, "tabell_caption") if va_table else "",
        va_model_text=_va_model_text(va_modell, labels, lasar, float(installningar.signifikansniva)),
        ej_publicerat=ledger_table(ej_publicerat, labels),
        ej_publicerat_text={
            k: str(((labels or {}).get("ej_publicerat") or {}).get(k, ""))
            for k in ("rubrik", "inledning", "tabell_caption", "inga")
        },
    )


def ledger_table(ledger: pd.DataFrame | None, labels: Mapping[str, Any] | None) -> Table | None:
    """The method page's table of what was read but not published or could not be placed.

    One row per file (or source) and reason, in the ledger's order: the reason and its kind in
    words (``labels.yml: ej_publicerat``), the count formatted as every number is, and up to a few
    example codes. An empty ledger gives a table without rows (the page then says all was used).
    """
    if ledger is None:
        return None
    from pipeline.publishing.format import format_number

    texts = (labels or {}).get("ej_publicerat") or {}
    cols = texts.get("kolumner") or {}
    order = ["fil", "kalla", "slag", "orsak", "antal", "detalj"]
    rows = []
    for r in ledger.sort_values(["slag", "orsak", "fil", "kalla"], kind="mergesort").itertuples(index=False):
        rows.append(
            (
                str(r.fil) or "–",
                str(r.kalla),
                str((texts.get("slag") or {}).get(r.slag, r.slag)),
                str((texts.get("orsak") or {}).get(r.orsak, r.orsak)),
                format_number(int(r.antal), 0),
                str(r.detalj or ""),
            )
        )
    return Table(columns=tuple(str(cols.get(c, c)) for c in order), rows=tuple(rows))


def build_book(
    *,
    lasar: int,
    params: Any,
    jobs: Sequence[NotebookJob],
    indikatorer: pd.DataFrame | None = None,
    forandringar: pd.DataFrame | None = None,
    va_modell: pd.DataFrame | None = None,
    provenance: Mapping[str, Any] | None = None,
    registry: Any = None,
    va_metod: pd.DataFrame | None = None,
    va_kalibrering: pd.DataFrame | None = None,
    ej_publicerat: pd.DataFrame | None = None,
    jamforelser: pd.DataFrame | None = None,
    params_dir: str | Path | None = None,
) -> Book:
    """Build the book manifest from the report year, the params and the notebook jobs.

    Parameters
    ----------
    lasar
        The report year (spring year: 2024 = 2023/24).
    params
        :class:`pipeline.config.Params` (huvudman name, thresholds, labels).
    jobs
        Every job of the year (:meth:`NotebookJob.from_result` makes one of a run's result).
    indikatorer
        The indicator table (for the start page's key figures).
    forandringar
        Optional change table (whether a change is significant).
    va_modell
        Optional value-added model coefficients (``data/processed/va_modell.parquet``).
    provenance
        Input file hashes, params hash, code version, ... for the appendix.
    registry
        The indicator registry (``load_indicator_registry()`` by default).
    jamforelser
        Optional comparison table (the units furthest from the board's targets).
    params_dir
        The ``params/`` folder whose huvudman assessment (``analyser/<YEAR>/huvudman.md``) and
        development areas (``utvecklingsomraden/``) the book shows; ``None``: none (the pages say so).

    Raises
    ------
    ConfigError
        Two jobs claim the same page, or a job names an unknown school form.
    TypeError
        A job is not a :class:`NotebookJob` (e.g. a dict).
    """
    bad = [j for j in jobs if not isinstance(j, NotebookJob)]
    if bad:
        raise TypeError(
            f"build_book: every job must be a NotebookJob (NotebookJob.from_result), got {type(bad[0]).__name__}"
        )
    if registry is None:
        from pipeline.indicators.registry import load_indicator_registry

        registry = load_indicator_registry()
    labels = dict(getattr(params, "labels", {}) or {})
    huvudman = params.huvudman.namn
    norm = list(jobs)
    by_form: dict[str, list[NotebookJob]] = {}
    seen: set[tuple[str, str]] = set()
    for j in norm:
        form = get_school_form(j.skolform)
        key = (form.code, j.skolenhetskod)
        if key in seen:
            where = j.skolenhetskod or "huvudman overview"
            raise ConfigError(
                f"Two notebook jobs for school form {form.code!r}, {where}: each page must come from one job."
            )
        seen.add(key)
        by_form.setdefault(form.code, []).append(j)

    chapter_tpl = _label(labels, "publicering", "kapitel_titel", default="{skolform}")
    unit_title_tpl = _label(labels, "publicering", "enhet_titel", default="{enhet}")
    chapters = []
    for code in SCHOOL_FORMS:  # report order
        if code not in by_form:
            continue
        form = SCHOOL_FORMS[code]
        form_jobs = by_form[code]
        ov = next((j for j in form_jobs if j.is_overview), None)
        overview = Page(
            kind="chapter",
            title=chapter_tpl.format(skolform=form.name, huvudman=huvudman, lasar=lasar),
            href=f"{form.slug}/index.html",
            notebook=None if ov is None or ov.failed else ov.path,
            skolform=code,
            failed=bool(ov and ov.failed),
            error=ov.error if ov else "",
        )
        units = tuple(
            Page(
                kind="unit",
                title=unit_title_tpl.format(enhet=j.enhet or j.skolenhetskod, skolenhetskod=j.skolenhetskod),
                href=f"{form.slug}/{j.skolenhetskod}.html",
                notebook=None if j.failed else j.path,
                skolform=code,
                skolenhetskod=j.skolenhetskod,
                enhet=j.enhet or j.skolenhetskod,
                failed=j.failed,
                error=j.error,
            )
            for j in sorted((j for j in form_jobs if not j.is_overview), key=_sort_key)
        )
        chapters.append(
            Chapter(skolform=code, name=form.name, slug=form.slug, overview=overview, units=units)
        )

    title = _label(labels, "publicering", "rapport_titel", default="Kvalitetsrapport {lasar}").format(
        lasar=lasar, huvudman=huvudman
    )
    start = Page(kind="start", title=title, href=START_FILE)
    method_page = Page(
        kind="method",
        title=_label(labels, "publicering", "metod_titel", default="Metod och data"),
        href=METHOD_FILE,
    )
    forms = tuple(ch.skolform for ch in chapters)
    from pipeline.publishing.board import build_board

    def label(*keys: str, default: str | None = None) -> str:
        return book_label(labels, *keys, default=default)

    board = build_board(
        params_dir=params_dir,
        lasar=int(lasar),
        huvudman=huvudman,
        skolformer=forms,
        label=label,
        registry=registry,
        indikatorer=indikatorer,
        forandringar=forandringar,
        jamforelser=jamforelser,
        unit_names={u.skolenhetskod: u.enhet for ch in chapters for u in ch.units},
        has_targets=bool(getattr(params, "mal", ())),
    )
    return Book(
        lasar=int(lasar),
        huvudman=huvudman,
        title=title,
        start=start,
        chapters=tuple(chapters),
        method_page=method_page,
        method=build_method(
            registry=registry,
            skolformer=forms,
            installningar=params.installningar,
            va_modell=va_modell,
            provenance=provenance,
            labels=labels,
            va_metod=va_metod,
            va_kalibrering=va_kalibrering,
            lasar=lasar,
            ej_publicerat=ej_publicerat,
        ),
        key_figures=compute_key_figures(
            indikatorer, lasar=lasar, skolformer=forms, registry=registry, forandringar=forandringar
        ),
        form_key_figures=compute_key_figures(
            indikatorer,
            lasar=lasar,
            skolformer=forms,
            registry=registry,
            forandringar=forandringar,
            per_form=3,
        ),
        fiktiv=bool(getattr(params.huvudman, "fiktiv", False)),
        labels=labels,
        board=board,
    )
