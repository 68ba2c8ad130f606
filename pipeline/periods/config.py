"""``params/perioder.yml``: the periods within a läsår (names, cut-off dates, what they close).

Validated with pydantic (unknown keys forbidden); every failure is a
:class:`~pipeline.errors.ConfigError` (exit 2) naming the file and the key.

A läsår ``Y`` (the spring year) runs from ``(Y-1)-07-01`` to ``Y-06-30``. Dates in the file are
``'MM-DD'``: months 7-12 fall in the autumn (year ``Y-1``), months 1-6 in the spring (year ``Y``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from pipeline.errors import ConfigError

FILE = "perioder.yml"
TERMINER = ("HT", "VT")


def _mmdd(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(
            f"a date must be a quoted 'MM-DD' text, got {value!r} ({type(value).__name__}); write e.g. '01-15'"
        )
    m = re.fullmatch(r"(\d{2})-(\d{2})", value)
    if not m:
        raise ValueError(f"a date must be 'MM-DD', e.g. '01-15', got {value!r}")
    try:
        dt.date(2024, int(m.group(1)), int(m.group(2)))  # 2024: 02-29 is a day
    except ValueError:
        raise ValueError(f"{value!r} is not a day of the year") from None
    return value


def day_in_lasar(mmdd: str, year: int) -> dt.date:
    """The date of ``'MM-DD'`` inside läsår ``year`` (autumn months in ``year - 1``)."""
    return _date(year - 1 if int(mmdd[:2]) >= 7 else year, mmdd)


def _date(y: int, mmdd: str) -> dt.date:
    month, day = int(mmdd[:2]), int(mmdd[3:])
    if month == 2 and day == 29 and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        day = 28
    return dt.date(y, month, day)


def _order(mmdd: str) -> tuple[int, int]:
    """Position in the läsår: July first."""
    month, day = int(mmdd[:2]), int(mmdd[3:])
    return ((month - 7) % 12, day)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Model):
    """One period of the läsår."""

    id: str = ""
    namn: str
    start: str
    slut: str
    terminer: tuple[str, ...] = ()
    lasarsslut: bool = False
    analys_senast: str
    namnd: str
    kvalitetsdialog: str | None = None

    _dates = field_validator("start", "slut", "analys_senast", "namnd", "kvalitetsdialog", mode="before")(
        classmethod(lambda cls, v: v if v is None else _mmdd(v))
    )

    @field_validator("terminer", mode="before")
    @classmethod
    def _terminer(cls, v: Any) -> tuple[str, ...]:
        v = v or []
        if not isinstance(v, list | tuple) or any(x not in TERMINER for x in v):
            raise ValueError(f"terminer must be a list of HT and/or VT, got {v!r}")
        if len(v) > 1:
            raise ValueError(f"a period reports at most one termin, got {v!r}")
        return tuple(v)

    @field_validator("namn")
    @classmethod
    def _namn(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("namn must not be empty")
        return v

    @model_validator(mode="after")
    def _span(self) -> Period:
        if _order(self.start) > _order(self.slut):
            raise ValueError(
                f"start {self.start!r} comes after slut {self.slut!r} in the läsår (which runs 07-01 to 06-30)"
            )
        return self

    def window(self, year: int) -> tuple[dt.date, dt.date]:
        """First and last day of the period in läsår ``year``."""
        return day_in_lasar(self.start, year), day_in_lasar(self.slut, year)

    def contains(self, day: dt.date, year: int) -> bool:
        lo, hi = self.window(year)
        return lo <= day <= hi

    def due(self, what: str, year: int) -> dt.date | None:
        """The first ``analys_senast`` / ``namnd`` / ``kvalitetsdialog`` day after the period's end."""
        mmdd = getattr(self, what)
        if mmdd is None:
            return None
        end = self.window(year)[1]
        for y in (end.year, end.year + 1):
            d = _date(y, mmdd)
            if d > end:
                return d
        return None  # pragma: no cover - one of the two years is always after the end


class Datum(_Model):
    """The day a source without dates of its own counts as collected."""

    elevenkat: str = "02-15"
    vardnadshavarenkat: str = "03-15"
    fs_personal: str = "10-15"
    barnintervjuer: str = "05-31"

    _dates = field_validator("*", mode="before")(classmethod(lambda cls, v: _mmdd(v)))


class Perioder(_Model):
    """The whole file."""

    perioder: dict[str, Period]
    datum: Datum = Datum()

    @field_validator("perioder", mode="before")
    @classmethod
    def _ids(cls, v: Any) -> Any:
        if not isinstance(v, dict) or not v:
            raise ValueError("perioder must be a mapping of period ids (e.g. HT, VT, '1') to periods")
        out = {}
        for key, body in v.items():
            if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9]{1,8}", key):
                raise ValueError(
                    f"a period id must be 1-8 letters or digits, quoted ('1'), got {key!r} ({type(key).__name__})"
                )
            out[key] = {**body, "id": key} if isinstance(body, dict) else body
        return out

    def get(self, pid: str) -> Period:
        if pid not in self.perioder:
            raise ConfigError(
                f"PERIOD={pid!r} is not a period of params/{FILE}; the periods are {list(self.perioder)}."
            )
        return self.perioder[pid]


def parse_perioder(raw: object, source: str = f"params/{FILE}") -> Perioder:
    """Validate the parsed YAML; a :class:`ConfigError` names the file and the key."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping with the key 'perioder', got {type(raw).__name__}.")
    try:
        return Perioder.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"] if x not in ("function-after[_span(), Period]",))
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = f"unknown key (allowed: {', '.join(_allowed(err['loc']))})"
            lines.append(f"{source}, key {loc!r}: {msg}")
        raise ConfigError("\n".join(lines)) from None


def _allowed(loc: tuple) -> list[str]:
    if loc and loc[0] == "perioder" and len(loc) >= 3:
        return [f for f in Period.model_fields if f != "id"]
    if loc and loc[0] == "datum":
        return list(Datum.model_fields)
    return list(Perioder.model_fields)


def load_perioder(params_dir: Path) -> Perioder:
    """Read and validate ``params/perioder.yml``."""
    from pipeline.config import read_yaml

    path = Path(params_dir) / FILE
    return parse_perioder(read_yaml(path), source=str(path))
