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
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import ConfigError
from pipeline.paths import ProjectPaths


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

    undertryck_min_antal: int = Field(10, ge=1)
    skyddsintervall: float = Field(0.25, gt=0, le=1)
    va_min_antal: int = Field(15, ge=1)
    signifikansniva: float = Field(0.05, gt=0, lt=0.5)
    konfidensniva: float = Field(0.95, gt=0.5, lt=1)
    trend_ar: int = Field(5, ge=2, le=15)
    jamforelse_max_enheter: int = Field(25, ge=2)
    oversikt_max_enheter: int = Field(60, ge=2)


class Mal(_Model):
    """A local target for one indicator."""

    indikator: str
    skolform: str
    varde: float
    grupp: str = "samtliga"
    beskrivning: str = ""


class Params(_Model):
    """Everything in ``params/``, loaded once."""

    huvudman: Huvudman
    installningar: Installningar = Installningar()
    mal: tuple[Mal, ...] = ()
    labels: dict[str, Any] = {}
    kolumnmappning: dict[str, dict[str, str]] = {}
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


def read_yaml(path: Path) -> Any:
    """Read one YAML file with an error that names the file and line."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found. Create it (see README, 'Configure a huvudman')."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}). Correct the syntax there: "
            "indent with spaces (never tabs), put a space after ':', and quote text that contains ':' or '#'."
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8.") from None


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


def _fix_of(err: dict) -> str:
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
            msg = "unknown key; remove it or check its spelling"
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
        later from the data; the comparison group is cleared.

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
        hm = {"namn": f"Kommun {kommun}", "kommunkod": kommun, "typ": "kommun"}
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
        data["mal"] = raw.get("mal", []) if isinstance(raw, dict) else raw
    data["params_hash"] = _hash_dir(folder)
    try:
        return Params(**data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(folder, exc)) from None


@lru_cache(maxsize=8)
def _cached(root: str) -> Params:
    return load_params(ProjectPaths(Path(root)))


def default_params() -> Params:
    """The repository's params, cached (for notebooks and the registry)."""
    return _cached(str(ProjectPaths().root))
