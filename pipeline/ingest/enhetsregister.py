"""Units and names that change: a unit register across years and the code changes it follows.

Skolverket's skolenhet exports, the statistics API and the skolenhetsregister name a unit by its
``skolenhetskod`` in every year they cover, with the name and the huvudman type of that year. From
the ``publicerad`` rows at ``niva='enhet'`` (every läsår the files hold) and the current register
(``skolenheter``), :func:`unit_register` builds one row per skolenhetskod, school form and läsår:
name, huvudman type, huvudman (the register's name, for the unit's latest year) and the unit's
first and last läsår in the files (``oppnad``/``stangd``; ``stangd`` is empty while the unit is in
the latest läsår of its school form).

A unit that got a new code (a merger, a new huvudman, a re-registration) is not followed by
Skolverket's files, which carry no predecessor column. The municipality says so in
``params/enhetsbyten.yml`` (validated with pydantic, :func:`load_enhetsbyten`): ``fran`` (old
code), ``till`` (new code), ``lasar`` (the first läsår under the new code). :func:`follow_code_changes`
joins the old code's history under the new code (a value both codes have for the same läsår
and key is kept from the new code), and :func:`trend_breaks` lists each break of a unit's
series: a code change, a name change, a huvudman change (type), for the unit page's note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ConfigError

FILE = "enhetsbyten.yml"
REGISTER_TABLE = "enhetsregister"
BREAKS_TABLE = "enhetsbrott"

REGISTER_COLUMNS = [
    "skolenhetskod", "skolform", "lasar", "enhet", "typ_av_huvudman", "huvudman", "tidigare_kod",
    "oppnad", "stangd",
]  # fmt: skip
BREAK_COLUMNS = ["skolenhetskod", "skolform", "lasar", "slag", "fran", "till"]
#: The kinds of break, in the order a page lists them for the same läsår.
SLAG = ("kod", "namn", "huvudman")

Kod = Annotated[str, Field(pattern=r"^\d{8}$")]


class EnhetsByte(BaseModel):
    """One code change: the unit ``fran`` continues as ``till`` from läsår ``lasar`` (spring year)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fran: Kod
    till: Kod
    lasar: int = Field(ge=2000, le=2100)
    anledning: str | None = None

    @model_validator(mode="after")
    def _differs(self) -> EnhetsByte:
        if self.fran == self.till:
            raise ValueError(f"fran and till are the same code ({self.fran}); remove the row")
        return self


class EnhetsByten(BaseModel):
    model_config = ConfigDict(extra="forbid")

    byten: list[EnhetsByte] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_successor(self) -> EnhetsByten:
        seen: dict[str, str] = {}
        for b in self.byten:
            if b.fran in seen and seen[b.fran] != b.till:
                raise ValueError(
                    f"the code {b.fran} continues as both {seen[b.fran]} and {b.till}; "
                    "a unit has one successor (a split is two new units, not a code change)"
                )
            seen[b.fran] = b.till
        for start in seen:  # no cycle: following fran -> till must end
            path, cur = [start], seen[start]
            while cur in seen:
                if cur in path:
                    raise ValueError(f"the code changes form a cycle: {' -> '.join([*path, cur])}")
                path.append(cur)
                cur = seen[cur]
        return self


def load_enhetsbyten(params_dir: Path | None = None) -> tuple[EnhetsByte, ...]:
    """The code changes of ``params/enhetsbyten.yml`` (none when the file is absent).

    Raises
    ------
    ConfigError
        The file names the entry, the field, what it found and what it expects.
    """
    from pipeline.config import read_yaml
    from pipeline.paths import REPO_ROOT

    path = Path(params_dir or REPO_ROOT / "params") / FILE
    if not path.exists():
        return ()
    raw = read_yaml(path) or {}
    try:
        return tuple(EnhetsByten.model_validate(raw).byten)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e["loc"]) or "(the file)"
            if len(e["loc"]) >= 2 and e["loc"][0] == "byten" and isinstance(e["loc"][1], int):
                where = f"entry {e['loc'][1] + 1}" + "".join(f", {x}" for x in e["loc"][2:])
            lines.append(f"{where}: found {e.get('input')!r}; {e['msg']}")
        raise ConfigError(
            f"{path}: " + "; ".join(lines) + ". Each entry is {fran: '<8 digits>', till: '<8 digits>', "
            "lasar: <spring year of the first läsår under the new code>}; quote the codes."
        ) from None


def successor_map(byten: tuple[EnhetsByte, ...]) -> dict[str, str]:
    """Old code → the code it is published under now (chains followed: A→B, B→C gives A→C)."""
    step = {b.fran: b.till for b in byten}
    out = {}
    for kod in step:
        cur = kod
        while cur in step:
            cur = step[cur]
        out[kod] = cur
    return out


def follow_code_changes(pub: pd.DataFrame, byten: tuple[EnhetsByte, ...]) -> tuple[pd.DataFrame, int]:
    """Publicerad rows of an old code moved to the code it continues as; returns the frame and the
    number of rows moved. A row the new code also has (same läsår, school form, indicator, group)
    is dropped from the old code's side (the new code's own value is kept)."""
    succ = successor_map(byten)
    if not succ or pub.empty:
        return pub, 0
    enhet = pub["niva"].eq("enhet") & pub["skolenhetskod"].isin(list(succ))
    if not enhet.any():
        return pub, 0
    out = pub.copy()
    out["_fore"] = None
    out.loc[enhet, "_fore"] = out.loc[enhet, "skolenhetskod"]
    out.loc[enhet, "skolenhetskod"] = out.loc[enhet, "skolenhetskod"].map(succ)
    key = ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"]
    clash = out.duplicated(key, keep=False) & out["_fore"].notna()
    out = out[~clash]
    moved = int(out["_fore"].notna().sum())
    return out.drop(columns="_fore").reset_index(drop=True), moved


def unit_register(
    pub: pd.DataFrame, skolenheter: pd.DataFrame, byten: tuple[EnhetsByte, ...] = ()
) -> pd.DataFrame:
    """One row per skolenhetskod × school form × läsår from ``pub`` (after
    :func:`follow_code_changes`: the old code's years under the new code, ``tidigare_kod`` naming
    the code they were published under) and the current ``skolenheter`` register.

    A unit-year's name and huvudman type are the values most rows of that year carry (ties: the
    first in sorted order), so one stray spelling does not make a break. A unit is closed
    (``stangd``: its last läsår) when its kommun's rows of the school form go on after it.
    """
    cols = REGISTER_COLUMNS
    if pub.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    rows = pub[pub["niva"].eq("enhet") & pub["skolenhetskod"].notna()]
    back: dict[str, list] = {}
    for b in byten:  # the year ranges an old code covers, for tidigare_kod
        back.setdefault(successor_map(byten)[b.fran], []).append(b)
    # "closed": no row in the latest läsår the files hold for the unit's kommun and school form.
    # Per kommun, so that a national read (KOMMUN=all) gives a kommun the register its own read
    # gives: a source that covers some counties a year further (the statistics API) does not
    # close every unit elsewhere.
    kommun = (
        rows["kommunkod"].astype("string").fillna("")
        if "kommunkod" in rows.columns
        else pd.Series("", index=rows.index, dtype="string")
    )
    by_kommun = rows.groupby([kommun, rows["skolform"]])["lasar"].transform("max")
    latest = by_kommun.groupby([rows["skolenhetskod"], rows["skolform"]]).max().to_dict()
    keys = ["skolenhetskod", "skolform", "lasar"]
    reg = rows[keys].drop_duplicates().sort_values(keys, kind="mergesort").reset_index(drop=True)
    reg["lasar"] = reg["lasar"].astype(int)
    for col in ("enhet", "typ_av_huvudman"):
        reg = reg.merge(_modes(rows, keys, col), on=keys, how="left")
    reg["huvudman"] = None
    succ = set(successor_map(byten).values())
    reg["tidigare_kod"] = [
        _earlier_code(k, int(y), byten) if k in succ else None
        for k, y in zip(reg["skolenhetskod"], reg["lasar"], strict=True)
    ]
    reg = reg[cols[:7]]
    first = reg.groupby(["skolenhetskod", "skolform"])["lasar"].transform("min")
    last = reg.groupby(["skolenhetskod", "skolform"])["lasar"].transform("max")
    reg["oppnad"] = pd.array(first, dtype="Int64")
    reg["stangd"] = pd.array(
        [
            None if lt >= latest[(k, f)] else int(lt)
            for lt, k, f in zip(last, reg["skolenhetskod"], reg["skolform"], strict=True)
        ],
        dtype="Int64",
    )
    huvudman: list[str | None] = [None] * len(reg)
    if skolenheter is not None and not skolenheter.empty:
        # the register (skolenheter) holds the kommunal units with their huvudman's name: the name
        # belongs to the unit's latest year when the unit is kommunal in that year
        names = {
            (r.skolenhetskod, r.skolform): _v(r.huvudman)
            for r in skolenheter.drop_duplicates(["skolenhetskod", "skolform"]).itertuples()
        }
        is_last = (reg["lasar"].eq(last) & reg["typ_av_huvudman"].eq("Kommunal")).tolist()
        for i, (kod, form) in enumerate(zip(reg["skolenhetskod"], reg["skolform"], strict=True)):
            if is_last[i]:
                huvudman[i] = names.get((kod, form))
    reg["huvudman"] = huvudman
    for c in ("skolenhetskod", "skolform", "enhet", "typ_av_huvudman", "huvudman", "tidigare_kod"):
        reg[c] = pd.Series([_v(x) for x in reg[c]], index=reg.index, dtype="object")
    return reg[cols].reset_index(drop=True)


def _v(x: object) -> str | None:
    """A cell as text, or None when empty (None, NaN, NA)."""
    return None if x is None or x is pd.NA or (isinstance(x, float) and pd.isna(x)) else str(x)


def _modes(rows: pd.DataFrame, keys: list[str], col: str) -> pd.DataFrame:
    """Per ``keys``: the value of ``col`` most rows carry (ties: the first in sorted order)."""
    s = rows[[*keys, col]].dropna(subset=[col])
    s = s[s[col].astype(str).str.strip() != ""]
    cnt = s.groupby([*keys, col], sort=True).size().reset_index(name="_n")
    cnt = cnt.sort_values([*keys, "_n", col], ascending=[True] * len(keys) + [False, True], kind="mergesort")
    out = cnt.drop_duplicates(keys)[[*keys, col]]
    out["lasar"] = out["lasar"].astype(int)
    return out


def _earlier_code(kod: str, lasar: int, byten: tuple[EnhetsByte, ...]) -> str | None:
    """The code a row of ``kod`` in ``lasar`` was published under, when it was an older one."""
    succ = successor_map(byten)
    # the old codes that end in kod, each with the first läsår of its successor
    for b in sorted(byten, key=lambda b: -b.lasar):
        if succ.get(b.fran) == kod and lasar < b.lasar:
            earlier = b.fran
            # an older link of the chain covers the years before its own change
            for c in sorted(byten, key=lambda c: -c.lasar):
                if c.till == earlier and lasar < c.lasar:
                    earlier = c.fran
            return earlier
    return None


def trend_breaks(register: pd.DataFrame, byten: tuple[EnhetsByte, ...] = ()) -> pd.DataFrame:
    """The breaks in each unit's series, one row each: ``slag`` ``kod`` (from ``params/enhetsbyten.yml``,
    when the unit has rows on both sides), ``namn`` or ``huvudman`` (the type changed between two
    consecutive läsår of the register), with the läsår of the first year after the break and the
    values before (``fran``) and after (``till``)."""
    reg = register.sort_values(["skolenhetskod", "skolform", "lasar"], kind="mergesort").reset_index(
        drop=True
    )
    same = reg["skolenhetskod"].eq(reg["skolenhetskod"].shift()) & reg["skolform"].eq(reg["skolform"].shift())
    out = []
    for slag, col in (("kod", "tidigare_kod"), ("namn", "enhet"), ("huvudman", "typ_av_huvudman")):
        now = pd.Series([_v(x) for x in reg[col]], index=reg.index, dtype="object")
        before = now.shift()
        if slag == "kod":  # the code a year was published under: its own when tidigare_kod is empty
            now, before = now.fillna(reg["skolenhetskod"]), before.fillna(reg["skolenhetskod"])
            changed = same & now.ne(before)
        else:
            changed = same & now.notna() & before.notna() & now.ne(before)
        for k in reg.index[changed]:
            out.append((reg.at[k, "skolenhetskod"], reg.at[k, "skolform"], int(reg.at[k, "lasar"]), slag,
                        before[k], now[k]))  # fmt: skip
    df = pd.DataFrame(out, columns=BREAK_COLUMNS)
    df["_o"] = df["slag"].map(SLAG.index)
    df = df.sort_values(["skolenhetskod", "skolform", "lasar", "_o"], kind="mergesort")
    return df.drop(columns="_o").reset_index(drop=True)
