"""Configuration is data: ``params/*.yml`` loaded once into typed models that forbid unknown keys.

Files (all optional except ``huvudman.yml``):

- ``huvudman.yml``: who the report is about (name, kommunkod, comparison group).
- ``installningar.yml``: thresholds (suppression, value-added minimum, significance level).
- ``mal.yml``: local targets per indicator.
- ``labels.yml``: every text a reader sees that is not an indicator label.
- ``indikatorer.yml``: the indicator registry (see :mod:`pipeline.indicators.registry`).
- ``kolumnmappning.yml``: column mappings for a site whose SIS export names columns differently.

Codes must be quoted in YAML: PyYAML reads ``0114`` as the number 76 (octal) or 114, ``no`` as
False and ``2024-08-01`` as a date. A code that arrives as a number is an error that says so.

Every file is checked when it is loaded, before ingest reads or writes anything: YAML is read
with the safe loader, at most :data:`MAX_YAML_BYTES` bytes, at most :data:`MAX_YAML_ALIASES`
aliases and :data:`MAX_YAML_NODES` nodes once aliases are expanded (an alias bomb is refused),
and no recursive anchor; the typed models forbid unknown keys; ``kolumnmappning.yml`` may name
only known file kinds and their columns, each header once; ``mal.yml`` only known indicators
and school forms with finite targets; ``labels.yml`` must hold exactly the keys of the
repository's ``params/labels.yml``; every written analysis in ``params/analyser/`` must be well
formed. Each failure is a :class:`~pipeline.errors.ConfigError` (exit 2) naming the file and key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import ConfigError
from pipeline.paths import REPO_ROOT, ProjectPaths


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _code(value: Any, *, digits: int, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(
            f"{what} must be a quoted text of {digits} digits, got {value!r} "
            f"({type(value).__name__}); write it in quotes, e.g. '0114' (YAML reads 0114 as a number)"
        )
    if not re.fullmatch(rf"\d{{{digits}}}", value):
        raise ValueError(f"{what} must be {digits} digits, got {value!r}")
    return value


class Huvudman(_Model):
    """The organiser the report is about."""

    namn: str
    kommunkod: str
    typ: Literal["kommun", "enskild", "region", "statlig"] = "kommun"
    fiktiv: bool = False
    jamforelsegrupp: tuple[str, ...] = ()
    jamforelsegrupp_namn: str = "Jämförelsegrupp"
    #: The members' names (kommunkod -> name), shown beside the group's name where known.
    jamforelsegrupp_medlemmar: dict[str, str] = {}

    @field_validator("kommunkod", mode="before")
    @classmethod
    def _kommunkod(cls, v: Any) -> str:
        return _code(v, digits=4, what="kommunkod")

    @field_validator("jamforelsegrupp", mode="before")
    @classmethod
    def _group(cls, v: Any) -> tuple[str, ...]:
        return tuple(_code(x, digits=4, what="jamforelsegrupp entry") for x in (v or ()))


class Installningar(_Model):
    """Thresholds used by the statistics."""

    undertryck_min_antal: int = Field(default=10, ge=1)
    skyddsintervall: float = Field(default=0.25, gt=0, le=1)
    va_min_antal: int = Field(default=15, ge=1)
    va_kohorter: int = Field(default=3, ge=1, le=10)
    va_kohortvarians_andel: float = Field(default=0.15, ge=0, le=10)
    signifikansniva: float = Field(default=0.05, gt=0, lt=0.5)
    konfidensniva: float = Field(default=0.95, gt=0.5, lt=1)
    trend_ar: int = Field(default=5, ge=2, le=15)
    jamforelse_max_enheter: int = Field(default=25, ge=2)
    oversikt_max_enheter: int = Field(default=60, ge=2)
    #: Plausibility bounds of förskola staffing, checked when the SIS export is read.
    fs_max_barn_per_enhet: int = Field(default=600, ge=1, le=100_000)
    fs_max_arsarbetare_per_barn: float = Field(default=1.0, gt=0, le=10, allow_inf_nan=False)


class Mal(_Model):
    """A local target for one indicator."""

    indikator: str
    skolform: str
    varde: float = Field(allow_inf_nan=False)
    grupp: str = "samtliga"
    beskrivning: str = ""

    @field_validator("skolform")
    @classmethod
    def _skolform(cls, v: str) -> str:
        from pipeline.school_forms import SCHOOL_FORMS

        if v not in SCHOOL_FORMS:
            raise ValueError(
                f"unknown skolform {v!r}; expected one of {', '.join(repr(k) for k in SCHOOL_FORMS)}; correct it"
            )
        return v

    @field_validator("indikator")
    @classmethod
    def _indikator(cls, v: str) -> str:
        ids = indicator_ids()
        if ids and v not in ids:
            near = [i for i in sorted(ids) if i.split("_")[0] == v.split("_")[0]][:5]
            raise ValueError(
                f"unknown indicator {v!r}; expected an id of params/indikatorer.yml"
                + (f" such as {', '.join(near)}" if near else "")
                + "; correct the id or remove the target"
            )
        return v


class Params(_Model):
    """Everything in ``params/``, loaded once."""

    huvudman: Huvudman
    installningar: Installningar = Installningar()
    mal: tuple[Mal, ...] = ()
    labels: dict[str, Any] = {}
    kolumnmappning: dict[str, dict[str, str]] = {}
    #: Unit code changes (``params/enhetsbyten.yml``, :mod:`pipeline.ingest.enhetsregister`).
    enhetsbyten: tuple[Any, ...] = ()
    params_hash: str = ""

    def label(self, *keys: str, default: str | None = None) -> str:
        """Look up a reader-facing text in ``labels.yml`` by its key path."""
        node: Any = self.labels
        for k in keys:
            if not isinstance(node, dict) or k not in node:
                if default is not None:
                    return default
                raise ConfigError(f"params/labels.yml: no text at {'.'.join(keys)!r}; add it under that key.")
            node = node[k]
        return str(node)


#: The largest params file read (the largest shipped one is ~30 KB).
MAX_YAML_BYTES = 1024**2
#: At most this many aliases (``*name``) in one file.
MAX_YAML_ALIASES = 200
#: At most this many nodes once every alias is expanded (an alias bomb expands exponentially).
MAX_YAML_NODES = 200_000


class _YamlLimit(Exception):
    """A params file breaks a limit of :class:`_LimitedLoader`."""


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses recursive anchors and counts aliases while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._open_anchors: set[str] = set()
        self._aliases = 0

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 - PyYAML's signature
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            where = f"line {event.start_mark.line + 1}"
            if event.anchor in self._open_anchors:
                raise _YamlLimit(
                    f"{where}: the alias *{event.anchor} refers to the anchor &{event.anchor} it is inside "
                    "(a recursive anchor; expected an alias to a value that is complete before it); write the "
                    "value out instead"
                )
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _YamlLimit(
                    f"{where}: more than {MAX_YAML_ALIASES} aliases (*name) in one file (at most "
                    f"{MAX_YAML_ALIASES} are read); write the values out"
                )
            return super().compose_node(parent, index)
        anchor = getattr(event, "anchor", None)
        if anchor:
            self._open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            if anchor:
                self._open_anchors.discard(anchor)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Number of nodes of ``node`` with every alias expanded (shared nodes counted each time)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # guards against a cycle the composer let through
    if isinstance(node, yaml.SequenceNode):
        n = 1 + sum(_expanded_size(c, memo) for c in node.value)
    elif isinstance(node, yaml.MappingNode):
        n = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        n = 1
    memo[key] = n
    return n


def _load_limited(text: str) -> Any:
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_YAML_NODES:
            raise _YamlLimit(
                f"aliases expand to {size:,} values (at most {MAX_YAML_NODES:,}): an alias bomb; write the "
                "values out without nested aliases"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: Path) -> Any:
    """Read one YAML file safely (size, alias and nesting limits) with an error that names the file
    and line."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ConfigError(
                f"{path}: {size:,} bytes, more than a params file holds (at most {MAX_YAML_BYTES:,}); "
                "check that it is the right file and remove what does not belong there."
            )
        with open(path, encoding="utf-8") as fh:
            return _load_limited(fh.read())
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found (expected in every project). Create it (see README, 'Configure a huvudman')."
        ) from None
    except _YamlLimit as exc:
        raise ConfigError(f"{path}, {exc}.") from None
    except RecursionError:
        raise ConfigError(
            f"{path}: nested too deeply to be a params file (expected a few levels of keys and lists); "
            "correct the indentation or brackets."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}). Correct the syntax there: "
            "indent with spaces (never tabs), put a space after ':', and quote text that contains ':' or '#'."
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text (expected UTF-8); save it as UTF-8.") from None


def _hash_dir(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            h.update(p.relative_to(folder).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


#: The file in ``params/`` behind each top-level field of :class:`Params`.
_FILES = {
    "huvudman": "huvudman.yml",
    "installningar": "installningar.yml",
    "mal": "mal.yml",
    "labels": "labels.yml",
    "kolumnmappning": "kolumnmappning.yml",
}


def _fix_of(err: Mapping[str, Any]) -> str:
    """How to fix one pydantic error, in words (an empty string when the message says it)."""
    kind = err["type"]
    if kind == "extra_forbidden":
        return ""
    if kind.startswith("int_"):
        return "; write a whole number such as 10, without quotes"
    if kind.startswith("float_"):
        return "; write a number with a decimal point, such as 0.05"
    if kind.startswith("bool_"):
        return "; write true or false"
    if kind in ("literal_error", "enum"):
        return "; use one of these values"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return "; use a value in that range"
    if kind in ("string_type", "dict_type", "list_type", "tuple_type", "model_type"):
        return "; write the value as that type (quote text)"
    if kind == "missing":
        return "; add the key"
    if kind == "value_error":
        return ""
    return "; correct the value"


def _format_validation(path: Path, exc: ValidationError) -> str:
    """Name the file and key of every failure: ``params/installningar.yml, key 'x': ...; fix``."""
    parts = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"]]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (expected only the keys in README, 'Configure a real huvudman'); remove it or check its spelling"
        if loc and loc[0] in _FILES:
            where = f"{path / _FILES[loc[0]]}, key {'.'.join(loc[1:]) or loc[0]!r}"
            if loc[0] == "mal":
                where = f"{path / 'mal.yml'}, key {'.'.join(['mal', *loc[1:]])!r}"
        else:
            where = f"{path}, key {'.'.join(loc)!r}"
        quiet = err["type"] in ("extra_forbidden", "missing", "value_error") or isinstance(
            err.get("input"), dict | list
        )
        found = "" if quiet else f" (found {err['input']!r})"
        parts.append(f"{where}: {msg}{found}{_fix_of(err)}")
    return "; ".join(parts) + "."


def load_params(paths: ProjectPaths | None = None, *, kommun: str | None = None) -> Params:
    """Load and check every file in ``params/``.

    Parameters
    ----------
    paths
        Project paths; the repository's by default.
    kommun
        Override the huvudman with a real municipality (``KOMMUN=0180``): its name is looked up
        later from the data; the comparison group is the kommun's in ``params/jamforelsegrupper.yml``
        (none when it has no entry there).

    Raises
    ------
    ConfigError
        A file is missing, not YAML, has unknown keys or wrong types; the message names the file,
        the key and the fix.
    """
    paths = paths or ProjectPaths()
    folder = paths.params
    data: dict[str, Any] = {}
    hm = read_yaml(folder / "huvudman.yml")
    if not isinstance(hm, dict):
        raise ConfigError(
            f"{folder / 'huvudman.yml'}: expected a mapping with at least 'namn' and 'kommunkod'."
        )
    if kommun is not None:
        hm = {
            "namn": f"Kommun {kommun}",
            "kommunkod": kommun,
            "typ": "kommun",
            **comparison_group(folder, kommun),
        }
    data["huvudman"] = hm
    for key, fname in (
        ("installningar", "installningar.yml"),
        ("labels", "labels.yml"),
        ("kolumnmappning", "kolumnmappning.yml"),
    ):
        p = folder / fname
        if p.exists():
            data[key] = read_yaml(p) or {}
    p = folder / "mal.yml"
    if p.exists() and kommun is None:  # the targets are the configured huvudman's, not KOMMUN's
        raw = read_yaml(p) or {}
        extra = sorted(set(raw) - {"mal"}) if isinstance(raw, dict) else []
        if extra:
            raise ConfigError(
                f"{p}, key {extra[0]!r}: unknown key; remove it or check its spelling (expected only 'mal')."
            )
        data["mal"] = raw.get("mal", []) if isinstance(raw, dict) else raw
    from pipeline.ingest.enhetsregister import load_enhetsbyten

    data["enhetsbyten"] = load_enhetsbyten(folder)
    data["params_hash"] = _hash_dir(folder)
    try:
        params = Params(**data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(folder, exc)) from None
    check_kolumnmappning(folder / "kolumnmappning.yml", params.kolumnmappning)
    if (folder / "labels.yml").exists():
        check_labels(folder / "labels.yml", params.labels)
    check_written_analyses(folder)
    from pipeline.utveckling import check_development_areas

    check_development_areas(folder)
    return params


def comparison_group(folder: Path, kommun: str) -> dict[str, Any]:
    """The comparison group of a real-data kommun report (``KOMMUN=0114``) from
    ``params/jamforelsegrupper.yml``: ``jamforelsegrupp`` (the members' kommunkoder),
    ``jamforelsegrupp_namn`` and ``jamforelsegrupp_medlemmar`` (code -> name); empty when the file
    or the kommun's entry is missing.

    Raises
    ------
    ConfigError
        The file is not a mapping ``jamforelsegrupper: {'<kommunkod>': {namn, kommuner}}`` with
        quoted 4-digit codes.
    """
    p = folder / "jamforelsegrupper.yml"
    if not p.exists():
        return {}
    raw = read_yaml(p) or {}
    groups = raw.get("jamforelsegrupper") if isinstance(raw, dict) else None
    if not isinstance(groups, dict) or set(raw) - {"jamforelsegrupper"}:
        raise ConfigError(
            f"{p}: expected one top-level key 'jamforelsegrupper' mapping a quoted kommunkod to "
            "{namn, kommuner}; correct the file (see README, 'Comparison group of a kommun report')."
        )
    for key in groups:
        if not (isinstance(key, str) and re.fullmatch(r"\d{4}", key)):
            raise ConfigError(
                f"{p}, key {key!r}: a kommunkod must be a quoted text of 4 digits, e.g. '0114' (found "
                f"{type(key).__name__}); write it in quotes."
            )
    entry = groups.get(kommun)
    if entry is None:
        return {}
    members = entry.get("kommuner") if isinstance(entry, dict) else None
    if not isinstance(members, dict) or not members or set(entry) - {"namn", "kommuner"}:
        raise ConfigError(
            f"{p}, key 'jamforelsegrupper.{kommun}': expected 'namn' and 'kommuner' (a mapping of quoted "
            "kommunkod to name, e.g. '0115': Vallentuna); correct the entry."
        )
    bad = [k for k in members if not (isinstance(k, str) and re.fullmatch(r"\d{4}", k))] + (
        [kommun] if kommun in members else []
    )
    if bad:
        raise ConfigError(
            f"{p}, key 'jamforelsegrupper.{kommun}.kommuner': {bad[0]!r} is not another kommun's quoted "
            "4-digit kommunkod; write each member as '0115': Vallentuna, without the report's own kommun."
        )
    out: dict[str, Any] = {
        "jamforelsegrupp": list(members),
        "jamforelsegrupp_medlemmar": {k: str(v) for k, v in members.items()},
    }
    if entry.get("namn"):
        out["jamforelsegrupp_namn"] = str(entry["namn"])
    return out


def comparison_group_named(folder: Path, namn: str) -> dict[str, Any]:
    """The comparison group of ``params/jamforelsegrupper.yml`` called ``namn`` (as the indicator
    table names it), when exactly one entry has that name; else empty (the pages then show the
    group's name without its members)."""
    p = folder / "jamforelsegrupper.yml"
    raw = read_yaml(p) if p.exists() else None
    groups = raw.get("jamforelsegrupper") if isinstance(raw, dict) else None
    if not isinstance(groups, dict):
        return {}
    hits = [k for k, v in groups.items() if isinstance(v, dict) and str(v.get("namn", "")) == namn]
    return comparison_group(folder, hits[0]) if len(hits) == 1 else {}


@lru_cache(maxsize=1)
def indicator_ids() -> frozenset[str]:
    """Ids of the indicator registry (``params/indikatorer*.yml`` of the code), read as YAML only."""
    ids: set[str] = set()
    for name in ("indikatorer.yml", "indikatorer_publicerade.yml"):
        p = REPO_ROOT / "params" / name
        if p.exists():
            raw = read_yaml(p) or {}
            ids.update(str(e.get("id")) for e in raw.get("indikatorer", []) if isinstance(e, dict))
    return frozenset(ids)


def check_kolumnmappning(path: Path, mapping: dict[str, dict[str, str]]) -> None:
    """Every file kind and column in ``kolumnmappning.yml`` must exist, and no two columns of a kind
    may be mapped to the same header (which of them the header means would be a guess)."""
    if not mapping:
        return
    from pipeline.ingest.sis import KINDS, fold

    for kind, columns in mapping.items():
        if kind not in KINDS:
            raise ConfigError(
                f"{path}, key {kind!r}: unknown file kind; expected one of {', '.join(sorted(KINDS))} "
                "(see data/raw/README.md). Correct or remove the key."
            )
        known = KINDS[kind].columns
        seen: dict[str, str] = {}
        for column, header in columns.items():
            if column not in known:
                raise ConfigError(
                    f"{path}, key '{kind}.{column}': unknown column of a {kind} file; expected one of "
                    f"{', '.join(known)}. Correct or remove the key."
                )
            f = fold(header)
            if not f:
                raise ConfigError(
                    f"{path}, key '{kind}.{column}': the header {header!r} is empty; write the header as it "
                    "appears in the export."
                )
            if f in seen:
                raise ConfigError(
                    f"{path}, key '{kind}.{column}': maps to the header {header!r}, which '{kind}.{seen[f]}' "
                    "maps to already; expected one header per column. Map each column to its own header."
                )
            seen[f] = column


def _label_paths(node: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    if isinstance(node, dict):
        out: dict[tuple[str, ...], str] = {}
        for k, v in node.items():
            out.update(_label_paths(v, (*prefix, str(k))))
        return out
    return {prefix: type(node).__name__}


def check_labels(path: Path, labels: dict[str, Any]) -> None:
    """``labels.yml`` must hold exactly the keys of the repository's ``params/labels.yml``, each a text:
    a missing key would fail a page while the report is built, an unknown one is a typo."""
    reference = REPO_ROOT / "params" / "labels.yml"
    if not reference.exists() or path.resolve() == reference.resolve():
        want = None
    else:
        want = _label_paths(read_yaml(reference) or {})
    have = _label_paths(labels)
    for key, kind in have.items():
        if kind != "str":
            raise ConfigError(
                f"{path}, key {'.'.join(key)!r}: a {kind}, expected a text; quote it, e.g. 'Resultat'."
            )
    if want is None:
        return
    missing = sorted(k for k in want if k not in have)
    if missing:
        shown = ", ".join(repr(".".join(k)) for k in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ConfigError(
            f"{path}, key {'.'.join(missing[0])!r}: missing ({len(missing)} key(s) missing: {shown}); expected "
            f"every key of {reference}. Add the text under that key (copy it from there)."
        )
    unknown = sorted(k for k in have if k not in want)
    if unknown:
        raise ConfigError(
            f"{path}, key {'.'.join(unknown[0])!r}: unknown key (expected only the keys of {reference}); remove "
            "it or check its spelling."
        )


def check_written_analyses(folder: Path) -> None:
    """Every written analysis under ``params/analyser/`` must be well formed (checked before ingest,
    so a malformed analysis never fails a build after the data was rewritten)."""
    root = folder / "analyser"
    if not root.is_dir():
        return
    from pipeline.errors import AnalysisFileError
    from pipeline.publishing.analyses import load_written

    problems = []
    for md in sorted(root.glob("*/*.md")):
        if not md.parent.name.isdigit():
            continue
        try:
            load_written(folder, int(md.parent.name), md.stem)
        except AnalysisFileError as exc:
            problems.append(str(exc))
    if problems:
        head = (
            problems[0]
            if len(problems) == 1
            else f"{len(problems)} written analyses are malformed; the first: {problems[0]}"
        )
        raise AnalysisFileError(head + " Nothing was read or written.")


@lru_cache(maxsize=8)
def _cached(root: str) -> Params:
    return load_params(ProjectPaths(Path(root)))


def default_params() -> Params:
    """The repository's params, cached (for notebooks and the registry)."""
    return _cached(str(ProjectPaths().root))
