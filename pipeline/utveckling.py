"""Utvecklingsområden: the development areas of the systematic quality work, as structured data.

Where: ``params/utvecklingsomraden/<YEAR>.yml``, one file per report year (the spring year: 2024 is
läsåret 2023/24). A file has two lists, both optional::

    omraden:            # the areas decided in this year's report (worked on during the next läsår)
      - id: gr-studiero                 # unique within the file; lower case, digits, '-'
        niva: skolform                  # huvudman | skolform | enhet
        skolform: GR                    # required for skolform and enhet (FS, GR, GY, VUX)
        skolenhetskod: '99992002'       # required for enhet (quoted)
        omrade: trygghet_studiero       # a quality area id (labels.yml: kvalitetsomraden)
        aktivitet: Gemensamma rutiner för lektionsstart i åk 7-9.
        ansvarig: Rektor
        tidplan: Läsåret 2024/25
        indikator: studiero             # the registry id the area should move (optional)
        mal: 80                         # the target value of that indicator (optional)
        status: planerad                # planerad | pågår | genomförd | utvärderad
    uppfoljning:        # the status now of LAST year's areas, by their id
      - id: gr-studiero
        status: genomförd
        kommentar: Rutinerna används i alla klasser.   # optional

A report for ``YEAR`` shows this year's ``omraden`` and follows up the areas of ``YEAR - 1``: each
with its status (from this year's ``uppfoljning``; without an entry, the status recorded last year,
marked as not updated) and the movement of its indicator from ``YEAR - 1`` to ``YEAR``, taken from
the ``forandringar`` table (the indicator layer's one-year change with its test), so the wording is
the same as everywhere else in the report.

A malformed file (unknown key, unknown status, quality area, indicator, school form or unit code
format, a duplicate id, a follow-up of an id that did not exist last year) raises
:class:`~pipeline.errors.ConfigError` (exit code 2) naming the file, the entry and the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.errors import ConfigError

#: The statuses of a development area, in the order the work goes.
STATUSES: tuple[str, ...] = ("planerad", "pågår", "genomförd", "utvärderad")
#: The levels an area is set at.
LEVELS: tuple[str, ...] = ("huvudman", "skolform", "enhet")

FOLDER = "utvecklingsomraden"

Status = Literal["planerad", "pågår", "genomförd", "utvärderad"]


class Utvecklingsomrade(BaseModel):
    """One development area (see the module docstring for the file format)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    niva: Literal["huvudman", "skolform", "enhet"]
    skolform: str | None = None
    skolenhetskod: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    omrade: str
    aktivitet: str = Field(min_length=1)
    ansvarig: str = Field(min_length=1)
    tidplan: str = Field(min_length=1)
    indikator: str | None = None
    mal: float | None = None
    status: Status

    @field_validator("omrade")
    @classmethod
    def _known_area(cls, v: str) -> str:
        from pipeline.school_forms import QUALITY_AREAS

        if v not in QUALITY_AREAS:
            raise ValueError(f"unknown quality area {v!r}; expected one of {', '.join(QUALITY_AREAS)}")
        return v

    @field_validator("skolform")
    @classmethod
    def _known_form(cls, v: str | None) -> str | None:
        from pipeline.school_forms import school_form_codes

        if v is not None and v not in school_form_codes():
            raise ValueError(f"unknown school form {v!r}; expected one of {', '.join(school_form_codes())}")
        return v

    @field_validator("indikator")
    @classmethod
    def _known_indicator(cls, v: str | None) -> str | None:
        from pipeline.config import indicator_ids

        if v is not None and v not in indicator_ids():
            raise ValueError(f"unknown indicator {v!r}; use an id of params/indikatorer.yml")
        return v

    @model_validator(mode="after")
    def _level_fields(self) -> Utvecklingsomrade:
        if self.niva in ("skolform", "enhet") and self.skolform is None:
            raise ValueError(f"niva {self.niva!r} needs 'skolform' (FS, GR, GY or VUX)")
        if self.niva == "enhet" and self.skolenhetskod is None:
            raise ValueError("niva 'enhet' needs 'skolenhetskod' (8 digits, quoted)")
        if self.niva != "enhet" and self.skolenhetskod is not None:
            raise ValueError(f"'skolenhetskod' belongs to niva 'enhet', not {self.niva!r}")
        if self.mal is not None and self.indikator is None:
            raise ValueError("'mal' needs the 'indikator' it is a target for")
        if self.indikator is not None:
            from pipeline.indicators.registry import load_indicator_registry

            forms = load_indicator_registry().get(self.indikator).skolform
            if self.skolform is not None and self.skolform not in forms:
                raise ValueError(
                    f"indicator {self.indikator!r} is not reported for school form {self.skolform!r} "
                    f"(only {', '.join(forms)})"
                )
            if self.skolform is None and len(forms) != 1:
                raise ValueError(
                    f"indicator {self.indikator!r} exists in {', '.join(forms)}: add 'skolform' to say which"
                )
        return self

    @property
    def indicator_skolform(self) -> str | None:
        """The school form whose rows the indicator is read from (given, or the indicator's only one)."""
        if self.skolform is not None:
            return self.skolform
        if self.indikator is None:
            return None
        from pipeline.indicators.registry import load_indicator_registry

        return load_indicator_registry().get(self.indikator).skolform[0]

    def applies_to(self, *, skolform: str | None = None, skolenhetskod: str | None = None) -> bool:
        """True when the area belongs to this page: a unit's own areas, a school form's form-level
        areas, or (with neither) the huvudman's."""
        if skolenhetskod:
            return self.niva == "enhet" and self.skolenhetskod == skolenhetskod
        if skolform:
            return self.niva == "skolform" and self.skolform == skolform
        return self.niva == "huvudman"


class Uppfoljningspost(BaseModel):
    """The status now of one of last year's areas."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    status: Status
    kommentar: str = ""


class Utvecklingsfil(BaseModel):
    """One ``params/utvecklingsomraden/<YEAR>.yml`` file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    omraden: tuple[Utvecklingsomrade, ...] = ()
    uppfoljning: tuple[Uppfoljningspost, ...] = ()


def areas_path(params_dir: str | Path, year: int) -> Path:
    """``<params_dir>/utvecklingsomraden/<year>.yml``."""
    return Path(params_dir) / FOLDER / f"{int(year)}.yml"


def _params_dir(paths: Any) -> Path:
    """A params folder from a :class:`~pipeline.paths.ProjectPaths` or a path."""
    return Path(getattr(paths, "params", paths))


def _where(raw: Any, loc: tuple) -> str:
    """``omraden[1] (id 'gr-studiero'), key 'status'`` for a pydantic error location."""
    if not loc:
        return "the file"
    parts: list[str] = []
    node = raw
    for i, p in enumerate(loc):
        if isinstance(p, int):
            ident = (
                node[p].get("id")
                if isinstance(node, list) and p < len(node) and isinstance(node[p], dict)
                else None
            )
            parts[-1] = f"{parts[-1]}[{p}]" + (f" (id {ident!r})" if ident else "")
            node = node[p] if isinstance(node, list) and p < len(node) else None
        else:
            parts.append(f"key {p!r}" if i == len(loc) - 1 and i > 0 else str(p))
            node = node.get(p) if isinstance(node, dict) else None
    return ", ".join(parts)


def read_areas_file(path: str | Path) -> Utvecklingsfil:
    """Read and validate one file; a missing file is an empty one.

    Raises
    ------
    ConfigError
        Not YAML, an unknown key or a wrong value (the message names the file, the entry and the
        key, what was found and what is expected), or a duplicate id.
    """
    from pipeline.config import read_yaml

    path = Path(path)
    if not path.exists():
        return Utvecklingsfil()
    raw = read_yaml(path)
    if raw is None:
        return Utvecklingsfil()
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: expected a mapping with the lists 'omraden' and 'uppfoljning', got {type(raw).__name__}."
        )
    try:
        data = Utvecklingsfil(**raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            if err.get("type") == "extra_forbidden":
                msg = (
                    "unknown key (allowed: "
                    + ", ".join(
                        (
                            Uppfoljningspost if loc and loc[0] == "uppfoljning" else Utvecklingsomrade
                        ).model_fields
                        if len(loc) > 1
                        else Utvecklingsfil.model_fields
                    )
                    + ")"
                )
            else:
                msg = str(err.get("msg", "")).removeprefix("Value error, ")
                if "input" in err and not isinstance(err["input"], (dict, list)):
                    msg += f" (found {err['input']!r})"
            lines.append(f"{path}: {_where(raw, loc)}: {msg}")
        raise ConfigError(
            "\n".join(lines) + "\nFix the file (the format is described in README, 'Utvecklingsområden')."
        ) from None
    for name, items in (("omraden", data.omraden), ("uppfoljning", data.uppfoljning)):
        ids = [a.id for a in items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ConfigError(f"{path}: {name}: id {dupes[0]!r} appears twice; give every entry its own id.")
    return data


def load_development_areas(paths: Any, year: int) -> list[Utvecklingsomrade]:
    """The development areas decided in the report of ``year`` (``omraden`` of its file).

    ``paths`` is a :class:`~pipeline.paths.ProjectPaths` or the ``params/`` folder. A missing file
    gives an empty list. Raises :class:`ConfigError` (exit 2) on a malformed file.
    """
    return list(read_areas_file(areas_path(_params_dir(paths), year)).omraden)


def check_development_areas(paths: Any) -> None:
    """Validate every ``utvecklingsomraden/<YEAR>.yml`` and that each ``uppfoljning`` id names an
    area of the year before (checked with the params, before anything is built)."""
    folder = _params_dir(paths) / FOLDER
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.yml")):
        if not path.stem.isdigit():
            raise ConfigError(
                f"{path}: development areas are read from files named by the report year "
                f"('2024.yml'); rename it."
            )
        data = read_areas_file(path)
        if data.uppfoljning:
            before = {a.id for a in read_areas_file(areas_path(folder.parent, int(path.stem) - 1)).omraden}
            for post in data.uppfoljning:
                if post.id not in before:
                    raise ConfigError(
                        f"{path}: uppfoljning, id {post.id!r}: no area with that id in "
                        f"{areas_path(folder.parent, int(path.stem) - 1)} (found {sorted(before) or 'none'}); "
                        "follow up an area of last year's file by its id."
                    )


@dataclass(frozen=True)
class Uppfoljning:
    """Last year's area as this year's report follows it up: its status now and the movement of its
    indicator (values and change from the indicator layer; ``None`` where there is none)."""

    omrade: Utvecklingsomrade
    status: str
    status_uppdaterad: bool
    kommentar: str
    lasar_fran: int
    lasar_till: int
    varde_fran: float | None = None
    varde_till: float | None = None
    #: The ``forandringar`` row (``typ = ett_ar``) behind the movement, as a mapping; ``None`` when
    #: the table has no such row (a value missing or hidden in one of the years).
    forandring: Mapping[str, Any] | None = None
    #: ``True``/``False`` when the target is met this year, ``None`` without a target or value.
    mal_uppnatt: bool | None = None


def _level_keys(area: Utvecklingsomrade) -> tuple[str, str]:
    return ("enhet", area.skolenhetskod or "") if area.niva == "enhet" else ("huvudman", "")


def _shown_value(
    indikatorer: pd.DataFrame | None, *, lasar: int, skolform: str, niva: str, kod: str, indikator: str
) -> float | None:
    if indikatorer is None or indikatorer.empty:
        return None
    df = indikatorer
    sel = df[
        (df["lasar"] == lasar)
        & (df["skolform"] == skolform)
        & (df["niva"] == niva)
        & (df["skolenhetskod"].fillna("") == kod)
        & (df["indikator"] == indikator)
        & (df["grupp"] == "samtliga")
    ]
    if sel.empty:
        return None
    row = sel.iloc[0]
    if bool(row.get("undertryckt", False)) or pd.isna(row["varde"]):
        return None
    return float(row["varde"])


def follow_up(
    previous: Sequence[Utvecklingsomrade],
    uppfoljning: Sequence[Uppfoljningspost],
    *,
    lasar: int,
    indikatorer: pd.DataFrame | None,
    forandringar: pd.DataFrame | None,
    riktning: Mapping[str, str] | None = None,
) -> list[Uppfoljning]:
    """Follow up last year's areas in the report of ``lasar``: status and indicator movement.

    Pure: selects from the indicator table and the ``forandringar`` table (its one-year row from
    ``lasar - 1`` to ``lasar`` for the area's level: the unit for an ``enhet`` area, the huvudman
    for ``skolform`` and ``huvudman`` areas), never computes a change. ``riktning`` maps indicator
    ids to ``hogre_battre``/``lagre_battre`` for judging the target.
    """
    posts = {p.id: p for p in uppfoljning}
    out = []
    for area in previous:
        post = posts.get(area.id)
        item: dict[str, Any] = dict(
            omrade=area,
            status=post.status if post else area.status,
            status_uppdaterad=post is not None,
            kommentar=post.kommentar if post else "",
            lasar_fran=lasar - 1,
            lasar_till=lasar,
        )
        if area.indikator is not None:
            form = area.indicator_skolform or ""
            niva, kod = _level_keys(area)
            now = _shown_value(
                indikatorer, lasar=lasar, skolform=form, niva=niva, kod=kod, indikator=area.indikator
            )
            change = None
            if forandringar is not None and not forandringar.empty:
                f = forandringar
                sel = f[
                    (f["lasar"] == lasar)
                    & (f["typ"] == "ett_ar")
                    & (f["skolform"] == form)
                    & (f["niva"] == niva)
                    & (f["skolenhetskod"].fillna("") == kod)
                    & (f["indikator"] == area.indikator)
                    & (f["grupp"] == "samtliga")
                ]
                if not sel.empty:
                    change = sel.iloc[0].to_dict()
            before = _shown_value(
                indikatorer, lasar=lasar - 1, skolform=form, niva=niva, kod=kod, indikator=area.indikator
            )
            met = None
            direction = (riktning or {}).get(area.indikator)
            if area.mal is not None and now is not None and direction in ("hogre_battre", "lagre_battre"):
                met = now >= area.mal if direction == "hogre_battre" else now <= area.mal
            item.update(varde_fran=before, varde_till=now, forandring=change, mal_uppnatt=met)
        out.append(Uppfoljning(**item))
    return out


def follow_up_year(
    paths: Any,
    lasar: int,
    *,
    indikatorer: pd.DataFrame | None,
    forandringar: pd.DataFrame | None,
    riktning: Mapping[str, str] | None = None,
) -> list[Uppfoljning]:
    """:func:`follow_up` of the areas in ``<lasar - 1>.yml`` with the ``uppfoljning`` of ``<lasar>.yml``."""
    params_dir = _params_dir(paths)
    previous = read_areas_file(areas_path(params_dir, lasar - 1)).omraden
    now = read_areas_file(areas_path(params_dir, lasar)).uppfoljning
    return follow_up(
        previous, now, lasar=lasar, indikatorer=indikatorer, forandringar=forandringar, riktning=riktning
    )
