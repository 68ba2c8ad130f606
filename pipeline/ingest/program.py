"""The national programmes of gymnasieskolan with their history (``params/gymnasieprogram.yml``).

One table, one row per programme code: its name and earlier names, its type, the first and last
läsår with an intake, and the code that replaced it (``ersatt_av``/``ersatter``). A renamed
programme keeps its code (every name maps to it); a *replaced* one (HA → FS) is a new code, and
:func:`series_of` follows the chain so that a page can show the trend across the break and mark it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pipeline.errors import ConfigError

_FILE = "gymnasieprogram.yml"


@dataclass(frozen=True)
class Program:
    """One national programme (code and history)."""

    kod: str
    namn: str
    typ: str
    tidigare_namn: tuple[str, ...] = ()
    fran_lasar: int | None = None
    till_lasar: int | None = None
    ersatt_av: str | None = None
    ersatter: str | None = None


@lru_cache(maxsize=1)
def programmes() -> dict[str, Program]:
    """Code → programme, from ``params/gymnasieprogram.yml`` (checked: unique codes and names, a
    replacement chain that points at known codes both ways)."""
    from pipeline.config import read_yaml
    from pipeline.paths import REPO_ROOT

    path = REPO_ROOT / "params" / _FILE
    raw = read_yaml(path) or {}
    out: dict[str, Program] = {}
    for i, entry in enumerate(raw.get("program") or [], start=1):
        try:
            p = Program(
                kod=str(entry["kod"]),
                namn=str(entry["namn"]),
                typ=str(entry["typ"]),
                tidigare_namn=tuple(str(n) for n in entry.get("tidigare_namn") or ()),
                fran_lasar=int(entry["fran_lasar"]) if entry.get("fran_lasar") else None,
                till_lasar=int(entry["till_lasar"]) if entry.get("till_lasar") else None,
                ersatt_av=str(entry["ersatt_av"]) if entry.get("ersatt_av") else None,
                ersatter=str(entry["ersatter"]) if entry.get("ersatter") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"params/{_FILE}, programme {i}: {exc!r}; each entry needs kod, namn and typ "
                "(quote the code: kod: 'FS')."
            ) from None
        if p.kod in out:
            raise ConfigError(
                f"params/{_FILE}: programme code {p.kod!r} appears twice; give each code one row."
            )
        out[p.kod] = p
    for p in out.values():
        for other, back in ((p.ersatt_av, "ersatter"), (p.ersatter, "ersatt_av")):
            if other is not None and (other not in out or getattr(out[other], back) != p.kod):
                raise ConfigError(
                    f"params/{_FILE}: {p.kod} names {other!r} as its successor/predecessor, but "
                    f"{other!r} does not name {p.kod!r} back ({back}); fix both rows."
                )
    return out


@lru_cache(maxsize=1)
def code_of_name() -> dict[str, str]:
    """Every name a programme has had → its code."""
    out: dict[str, str] = {}
    for p in programmes().values():
        for name in (p.namn, *p.tidigare_namn):
            if name in out and out[name] != p.kod:
                raise ConfigError(f"params/{_FILE}: the name {name!r} is given to {out[name]} and {p.kod}.")
            out[name] = p.kod
    return out


def series_of(kod: str) -> tuple[str, ...]:
    """The codes of one programme's series, oldest first (``series_of('FS') == ('HA', 'FS')``)."""
    table = programmes()
    if kod not in table:
        raise ConfigError(f"programme code must be one of {sorted(table)}, got {kod!r}.")
    first = kod
    while (earlier := table[first].ersatter) is not None:
        first = earlier
    chain = [first]
    while (later := table[chain[-1]].ersatt_av) is not None:
        chain.append(later)
    return tuple(chain)
