"""The indicator registry: one place that says what every indicator is.

Loaded from ``params/indikatorer.yml`` (a variable catalogue in config, tested for invariants).
Each entry: ``id``, Swedish ``label`` and ``definition``, ``skolform``, ``kvalitetsomrade``,
``enhet`` (poäng, procent, kvot, index, antal, dagar), ``riktning`` (``hogre_battre``,
``lagre_battre`` or ``neutral``), ``kalla`` (the source of the definition), ``decimaler`` and
``antal_avser``: whom the ``antal`` beside a value counts (:data:`ANTAL_AVSER`); for
``enhet: antal`` an optional ``enhet_ord``, the word after a number of it (``elever``,
``lärare``, ``kronor``: "−2 elever", not a bare "−2"). It always counts
persons, never rows (test results, course participations, answers): the suppression threshold
is a number of persons. The report's method appendix is generated from it.

Each entry also names how its number is computed, so that one hop leads from a number on a page
to the code: ``berakning`` (the dotted path of the compute function, e.g.
``pipeline.indicators.grundskola.compute_grundskola_values``; :meth:`Indicator.compute_function`
resolves it), ``statistik`` (:data:`STATISTICS`: how cells are aggregated, which interval and
which disclosure check apply) and ``grupper`` (:data:`GROUPS`: the pupil groups a cell is split
into besides ``samtliga``). :func:`pipeline.indicators.build.build_indicator_outputs` dispatches
through these keys; no other table in the code says them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from pipeline.errors import ConfigError, UnknownIndicatorError
from pipeline.paths import REPO_ROOT

Unit = Literal["poang", "procent", "kvot", "index", "antal", "per_100"]
Direction = Literal["hogre_battre", "lagre_battre", "neutral"]

#: What an indicator's ``antal`` counts: ``elever`` (distinct pupils, also komvux students and
#: gymnasieelever; for förskola rows of a multi-form indicator the children), ``barn`` (children
#: in förskolan), ``respondenter`` (distinct persons who answered a survey), ``ingen`` (the source
#: publishes no ``antal`` for this indicator: staff, costs, Kolada KPIs). Reader texts:
#: ``params/labels.yml``, key ``antal_avser``.
ANTAL_AVSER: tuple[str, ...] = ("elever", "barn", "respondenter", "ingen")

#: How an indicator's cells are computed (``statistik``): ``medel`` / ``andel`` (a mean / a share
#: of pupil-level values from a value function), ``kvot`` (förskola ratios), ``rate`` (events per
#: 100 pupils), ``antal`` (a head count, computed or published), ``summa`` (a published total:
#: full-time posts, kronor in total), ``va`` (value added), ``skillnad`` (a gap between two
#: groups), ``icc`` (between-school variance share), ``publicerad`` (a published mean, ratio or
#: index, taken as it is; published shares are ``andel``, published counts ``antal``/``summa``).
STATISTICS: tuple[str, ...] = (
    "medel",
    "andel",
    "kvot",
    "rate",
    "antal",
    "summa",
    "va",
    "skillnad",
    "icc",
    "publicerad",
)

#: Statistics of counts and totals: they add up over units, and a mean of them over several
#: units or kommuner (a comparison group's value) says nothing, so none is formed
#: (:attr:`Indicator.is_count`, :func:`pipeline.indicators.published.published_rows`).
COUNT_STATISTICS: tuple[str, ...] = ("antal", "summa")

#: Statistics whose cells come from a pupil-level value frame (one value per person and row).
VALUE_STATISTICS: tuple[str, ...] = ("medel", "andel")

#: Pupil groups (``grupper``) a value-frame indicator is split into besides ``samtliga``.
GROUPS: tuple[str, ...] = ("kon", "foraldrar", "nyanland", "kursomrade")

#: The compute function of indicators that only come from published sources.
PUBLISHED_FUNCTION = "pipeline.indicators.published.published_rows"
#: In which periods of a läsår an indicator exists (``period`` in the registry; the periods are
#: defined in ``params/perioder.yml``, see :mod:`pipeline.periods`):
#: ``lasarsslut`` only at the end of the läsår (slutbetyg, examen, komvux, published yearly
#: values); ``termin`` in a period that closes a termin (absence per termin); ``ht`` / ``vt`` in a
#: period that closes the autumn / spring termin (terminsbetyg in the autumn, national tests in
#: the spring); ``datum`` by the date of each event (incidents, surveys, the 15 October staffing
#: count); ``alltid`` in every period (the pupil count).
PERIODICITET: tuple[str, ...] = ("lasarsslut", "termin", "ht", "vt", "datum", "alltid")

#: The registry files in params/, read in this order: computed indicators, then indicators that
#: only come from published sources (Skolverket, Kolada, Skolenkäten).
REGISTRY_FILES = ("indikatorer.yml", "indikatorer_publicerade.yml")

_KEYS = {
    "id", "label", "definition", "skolform", "kvalitetsomrade", "enhet", "riktning", "kalla", "decimaler", "kort",
    "antal_avser", "berakning", "statistik", "grupper", "period", "arskurs", "enhet_ord",
}  # fmt: skip
_REQUIRED = {
    "period",
    "id",
    "label",
    "definition",
    "skolform",
    "kvalitetsomrade",
    "enhet",
    "riktning",
    "kalla",
    "antal_avser",
    "berakning",
    "statistik",
}


@dataclass(frozen=True)
class Indicator:
    """One indicator of the registry."""

    id: str
    label: str
    definition: str
    skolform: tuple[str, ...]
    kvalitetsomrade: str
    enhet: Unit
    riktning: Direction
    kalla: str
    decimaler: int = 1
    kort: str = ""
    antal_avser: str = "elever"
    #: The word after a number of an ``antal`` indicator (``elever``, ``heltidstjänster``,
    #: ``kronor``); empty for other units, whose word comes from ``enheter`` in labels.yml.
    enhet_ord: str = ""
    berakning: str = PUBLISHED_FUNCTION
    statistik: str = "publicerad"
    grupper: tuple[str, ...] = ()

    @property
    def is_computed(self) -> bool:
        """True when the report computes the indicator itself (not only read from a publication)."""
        return self.berakning != PUBLISHED_FUNCTION

    def compute_function(self) -> Callable:
        """The function named by ``berakning`` (imported on first use)."""
        return resolve_function(self.berakning, source=self.id)

    period: str = "lasarsslut"
    #: The grundskola årskurs whose pupils the indicator describes (9: slutbetyg, 6: betyg i
    #: årskurs 6), ``None`` when it is not one årskurs's: a unit without pupils in it lacks nothing.
    arskurs: int | None = None

    @property
    def is_count(self) -> bool:
        """True for counts and totals (``statistik`` in :data:`COUNT_STATISTICS`): no mean of them
        over kommuner (a comparison group's value) is formed or shown."""
        return self.statistik in COUNT_STATISTICS

    @property
    def enhet_text(self) -> str:
        """The unit to format this indicator's numbers with: the unit code, or for a count its
        word (``elever``), so a change reads "−2 elever"."""
        return self.enhet_ord or self.enhet

    @property
    def is_share(self) -> bool:
        """True for proportions (procent), which get Wilson intervals and z-tests."""
        return self.enhet == "procent"


@dataclass(frozen=True)
class IndicatorRegistry:
    """All indicators, in registry order."""

    indicators: tuple[Indicator, ...]

    def __post_init__(self) -> None:
        ids = [i.id for i in self.indicators]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ConfigError(
                f"params/indikatorer.yml: indicator ids must be unique, got duplicates {dupes}."
            )

    def get(self, indicator_id: str) -> Indicator:
        """Look up one indicator, loudly."""
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise UnknownIndicatorError(
            f"No indicator named {indicator_id!r} in params/indikatorer.yml; "
            f"known ids start with {[i.id for i in self.indicators[:6]]} ..."
        )

    def for_skolform(self, code: str) -> tuple[Indicator, ...]:
        """The indicators of one school form, in registry order."""
        return tuple(i for i in self.indicators if code in i.skolform)

    def for_area(self, code: str, area: str) -> tuple[Indicator, ...]:
        """The indicators of one school form in one quality area."""
        return tuple(i for i in self.for_skolform(code) if i.kvalitetsomrade == area)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def computed_kinds(self) -> dict[str, str]:
        """Every computed indicator id -> its ``statistik`` (intervals, suppression, audit)."""
        return {i.id: i.statistik for i in self.indicators if i.is_computed}


def resolve_function(path: str, *, source: str = "") -> Callable:
    """Import the function named by a dotted path (``package.module.function``), loudly."""
    module, _, name = path.rpartition(".")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"params/indikatorer*.yml: entry {source!r}: berakning {path!r} names no function ({exc})."
        ) from exc
    if not callable(fn):
        raise ConfigError(f"params/indikatorer*.yml: entry {source!r}: berakning {path!r} is not callable.")
    return fn


def parse_indicator_registry(raw: object, source: str = "params/indikatorer.yml") -> IndicatorRegistry:
    """Build the registry from the parsed YAML, checking every entry."""
    from pipeline.school_forms import QUALITY_AREAS, SCHOOL_FORMS

    if not isinstance(raw, dict) or not isinstance(raw.get("indikatorer"), list):
        raise ConfigError(f"{source}: expected a top-level key 'indikatorer' with a list of entries.")
    out = []
    for n, entry in enumerate(raw["indikatorer"], start=1):
        if not isinstance(entry, dict):
            raise ConfigError(f"{source}: entry {n} must be a mapping.")
        unknown = set(entry) - _KEYS
        if unknown:
            raise ConfigError(
                f"{source}: entry {n} ({entry.get('id')!r}) has unknown key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}."
            )
        missing = _REQUIRED - set(entry)
        if missing:
            raise ConfigError(f"{source}: entry {n} ({entry.get('id')!r}) lacks {sorted(missing)}.")
        forms = entry["skolform"]
        forms = (forms,) if isinstance(forms, str) else tuple(forms)
        bad = [f for f in forms if f not in SCHOOL_FORMS]
        if bad:
            raise ConfigError(
                f"{source}: entry {entry['id']!r}: skolform must be among {list(SCHOOL_FORMS)}, got {bad}."
            )
        if entry["kvalitetsomrade"] not in QUALITY_AREAS:
            raise ConfigError(
                f"{source}: entry {entry['id']!r}: kvalitetsomrade must be one of {list(QUALITY_AREAS)}, got {entry['kvalitetsomrade']!r}."
            )
        if entry["enhet"] not in get_args(Unit):
            raise ConfigError(
                f"{source}: entry {entry['id']!r}: enhet must be one of {list(get_args(Unit))}, got {entry['enhet']!r}."
            )
        if entry["riktning"] not in get_args(Direction):
            raise ConfigError(
                f"{source}: entry {entry['id']!r}: riktning must be one of {list(get_args(Direction))}, got {entry['riktning']!r}."
            )
        if entry["antal_avser"] not in ANTAL_AVSER:
            raise ConfigError(
                f"{source}: entry {entry['id']!r}: antal_avser must be one of {list(ANTAL_AVSER)} (the "
                f"persons that `antal` counts), got {entry['antal_avser']!r}. `antal` counts persons, "
                "never rows such as test results or course participations."
            )
        if not re.fullmatch(r"pipeline(\.[a-z_][a-z0-9_]*)+", str(entry["berakning"])):
            raise ConfigError(
                f"{source}: entry {entry['id']!r}: berakning must be the dotted path of a function in "
                f"pipeline/ (e.g. pipeline.indicators.grundskola.compute_grundskola_values), got {entry['berakning']!r}."
            )
        if entry["statistik"] not in STATISTICS:
            raise ConfigError(
                f"{source}: entry {entry['id']!r}: statistik must be one of {list(STATISTICS)}, got {entry['statistik']!r}."
            )
        groups = entry.get("grupper") or []
        groups = (groups,) if isinstance(groups, str) else tuple(groups)
        if set(groups) - set(GROUPS):
            raise ConfigError(
                f"{source}: entry {entry['id']!r}: grupper must be among {list(GROUPS)}, got {list(groups)}."
            )
        if entry["period"] not in PERIODICITET:
            raise ConfigError(
                f"{source}: entry {entry['id']!r}: period must be one of {list(PERIODICITET)} (in which "
                f"periods of a läsår the indicator exists), got {entry['period']!r}."
            )
        arskurs = entry.get("arskurs")
        if arskurs is not None and (
            isinstance(arskurs, bool) or not isinstance(arskurs, int) or not 1 <= arskurs <= 9
        ):
            raise ConfigError(
                f"{source}: entry {entry['id']!r}: arskurs must be a whole number 1–9 (the årskurs whose "
                f"pupils the indicator describes), got {arskurs!r}; correct it or remove the key."
            )
        enhet_ord = entry.get("enhet_ord", "")
        if enhet_ord and (not isinstance(enhet_ord, str) or entry["enhet"] != "antal"):
            raise ConfigError(
                f"{source}: entry {entry['id']!r}: enhet_ord is the word after a number of an "
                f"'enhet: antal' indicator (e.g. elever), got {enhet_ord!r} with enhet "
                f"{entry['enhet']!r}; remove it or correct the enhet."
            )
        out.append(
            Indicator(
                id=str(entry["id"]),
                label=str(entry["label"]),
                definition=str(entry["definition"]).strip(),
                skolform=forms,
                kvalitetsomrade=entry["kvalitetsomrade"],
                enhet=entry["enhet"],
                riktning=entry["riktning"],
                kalla=str(entry["kalla"]),
                decimaler=int(entry.get("decimaler", 1)),
                kort=str(entry.get("kort", "")),
                antal_avser=str(entry["antal_avser"]),
                enhet_ord=str(enhet_ord or ""),
                berakning=str(entry["berakning"]),
                statistik=str(entry["statistik"]),
                grupper=groups,
                period=str(entry["period"]),
                arskurs=arskurs,
            )
        )
    return IndicatorRegistry(tuple(out))


@lru_cache(maxsize=4)
def load_indicator_registry(path: str | None = None) -> IndicatorRegistry:
    """Load ``params/indikatorer.yml`` (cached)."""
    from pipeline.config import read_yaml

    if path:
        return parse_indicator_registry(read_yaml(Path(path)), source=str(path))
    entries: list = []
    for name in REGISTRY_FILES:
        p = REPO_ROOT / "params" / name
        if p.exists():
            raw = read_yaml(p)
            parse_indicator_registry(raw, source=str(p))  # checks each file on its own
            entries.extend(raw["indikatorer"])
    return parse_indicator_registry({"indikatorer": entries}, source="params/indikatorer*.yml")
