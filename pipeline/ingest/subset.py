"""One national ingest shared by every kommun (``KOMMUN=all``): a kommun's tables as a subset of it.

``make report KOMMUN=all`` reads the raw folder once, with no kommun filter
(``data/processed/<data>-alla/``: every kommun's rows, units placed in their own kommun, the
kommunalförbund as huvudmän of their own). Each kommun's processed folder
(``data/processed/<data>-<kommunkod>/``, the same one a ``KOMMUN=<kod>`` run uses) is then cut
from it without reading a raw file again:

* ``publicerad``: the riket rows and every row of the kommun (its huvudman, kommun and unit
  rows), nothing else: a kommun of a ``KOMMUN=all`` report has no comparison group (the groups of
  ``params/jamforelsegrupper.yml`` apply to a single ``KOMMUN=`` run, whose ingest keeps the
  members' rows). What is left out is counted in
  the kommun's ledger as the readers count it: rows of other kommuner (``annan_kommun``, per
  source) and of kommunalförbund (``kommunalforbund``, with their names).
* ``skolenheter``: the kommun's units; the pupil-level tables (a huvudman's own exports): rows of
  those units.
* The ledger: the national one (what no kommun publishes) plus the rows above.

The subset is cached with the ingest's own stamp (``_ingest.json``): its key is the national
ingest's key, the kommun and this module's code, so an unchanged raw folder costs one stamp read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.atomic import staged_directory
from pipeline.ingest import INGEST_STAMP, LEDGER_FILE, IngestResult, load_tables
from pipeline.ingest.ledger import ORSAKER, ledger_frame
from pipeline.stages import Stamp, hash_files, stage_key
from pipeline.validate.schemas import CANONICAL_TABLES

_CODE = hash_files([Path(__file__)])


def national_key(national: Path) -> str:
    """The key of the national ingest in ``national`` (its stamp), or '' when there is none."""
    return Stamp(Path(national) / INGEST_STAMP).key() or ""


def subset_key(national: Path, kommun: str) -> str:
    """The stamp key of ``kommun``'s subset of the national ingest in ``national``."""
    return stage_key({"national": national_key(national), "kommun": kommun, "code": _CODE})


def _is_lan_kommun(codes: pd.Series) -> pd.Series:
    """A kommunkod whose first two digits are a län (01-25); kommunalförbund have 30xx-32xx."""
    head = pd.to_numeric(codes.astype("string").str[:2], errors="coerce")
    return head.between(1, 25).fillna(False).astype(bool)


class _NationalIndex:
    """What every kommun's cut of one national ``publicerad`` table needs, computed once: the row
    positions per kommunkod, the riket rows, and the left-out rows counted per source (a
    ``KOMMUN=all`` run cuts 290 kommuner from the same table; scanning it whole for each took
    most of the preparation)."""

    def __init__(self, pub: pd.DataFrame) -> None:
        self.pub = pub
        riket = (pub["niva"] == "riket").to_numpy()
        forbund = (pub["kommunkod"].notna() & ~_is_lan_kommun(pub["kommunkod"])).to_numpy()
        self.forbund = forbund
        self.riket = np.flatnonzero(riket)
        self.rows_of = pub.groupby("kommunkod", sort=False).indices
        self.other = pub.loc[~riket & ~forbund, "kalla"].value_counts()
        self.forbund_rows = [
            (kalla, len(part), sorted(part["enhet"].dropna().astype(str).unique()))
            for kalla, part in pub.loc[~riket & forbund].groupby("kalla", sort=True)
        ]


_INDEX: list[_NationalIndex] = []


def _national_index(pub: pd.DataFrame) -> _NationalIndex:
    """The index of ``pub``, kept for the one national table in use (compared by identity)."""
    if not _INDEX or _INDEX[0].pub is not pub:
        _INDEX[:] = [_NationalIndex(pub)]
    return _INDEX[0]


def kommun_subset(
    tables: dict[str, pd.DataFrame], ledger: pd.DataFrame, kommun: str
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """``kommun``'s canonical tables and ledger, cut from the national ones (see the module docstring)."""
    pub = tables["publicerad"]
    ix = _national_index(pub)
    own_pos = ix.rows_of.get(kommun, np.array([], dtype=np.intp))
    keep_pos = np.union1d(ix.riket, own_pos)
    out: dict[str, pd.DataFrame] = {"publicerad": pub.iloc[keep_pos].reset_index(drop=True)}
    units = tables["skolenheter"]
    out["skolenheter"] = units[units["kommunkod"] == kommun].reset_index(drop=True)
    codes = set(out["skolenheter"]["skolenhetskod"])
    for name, df in tables.items():
        if name in out:
            continue
        if "skolenhetskod" in df.columns and not df.empty:
            df = df[df["skolenhetskod"].isin(codes)]
        out[name] = df.reset_index(drop=True)
    # What is left out, counted per source as the readers count it: every other kommun's rows
    # (the national count less the kommun's own) and every kommunalförbund's.
    own_only = np.setdiff1d(own_pos, ix.riket)
    own_forbund = ix.forbund[own_only]
    if own_forbund.any():  # a kommunalförbund's own code: count its rows apart (not a kommun)
        raise ValueError(f"{kommun} is a kommunalförbund's code, not a kommunkod")
    other = ix.other.sub(pub["kalla"].iloc[own_only].value_counts(), fill_value=0).astype(int)
    rows = [
        {"fil": "", "kalla": kalla, "slag": ORSAKER["annan_kommun"], "orsak": "annan_kommun",
         "antal": int(n), "detalj": ""}
        for kalla, n in sorted(other[other > 0].items())
    ]  # fmt: skip
    for kalla, n, names in ix.forbund_rows:
        more = f" (+{len(names) - 8})" if len(names) > 8 else ""
        rows.append({"fil": "", "kalla": kalla, "slag": ORSAKER["kommunalforbund"], "orsak": "kommunalforbund",
                     "antal": n, "detalj": "; ".join(names[:8]) + more})  # fmt: skip
    led = ledger_frame(ledger.to_dict("records") + rows)
    return out, led


def write_kommun_subset(
    national: Path,
    out_dir: Path,
    kommun: str,
    *,
    tables: dict[str, pd.DataFrame] | None = None,
    ledger: pd.DataFrame | None = None,
    files: dict[str, str] | None = None,
) -> IngestResult:
    """Write ``kommun``'s subset of the national ingest in ``national`` into ``out_dir`` (atomic).

    Skipped when ``out_dir``'s stamp already has the key (:func:`subset_key`). ``tables`` and
    ``ledger`` may be passed in (the national ones, loaded once for every kommun).
    """
    national, out_dir = Path(national), Path(out_dir)
    key = subset_key(national, kommun)
    stamp = Stamp(out_dir / INGEST_STAMP)
    if stamp.matches(key, [out_dir / f"{n}.parquet" for n in CANONICAL_TABLES]):
        old = stamp.read()
        res = IngestResult(files=old.get("files", {}), rows=old.get("rows", {}), cached=True)
        if (out_dir / LEDGER_FILE).exists():
            res.ej_publicerat = pd.read_parquet(out_dir / LEDGER_FILE)
        return res
    if tables is None:
        tables = load_tables(national)
    if ledger is None:
        p = national / LEDGER_FILE
        ledger = pd.read_parquet(p) if p.exists() else ledger_frame()
    if files is None:
        files = Stamp(national / INGEST_STAMP).read().get("files", {})
    sub, led = kommun_subset(tables, ledger, kommun)
    result = IngestResult(files=dict(files), rows={n: len(df) for n, df in sub.items()}, ej_publicerat=led)
    with staged_directory(out_dir) as stage:
        for name, df in sub.items():
            df.to_parquet(stage / f"{name}.parquet", index=False)
        led.to_parquet(stage / LEDGER_FILE, index=False)
        _carry_unit_register(national, stage, sub)
        Stamp(stage / INGEST_STAMP).write(key, indent=1, files=result.files, rows=result.rows)
    return result


def _carry_unit_register(national: Path, stage: Path, sub: dict[str, pd.DataFrame]) -> None:
    """The national unit register and its breaks (:mod:`pipeline.ingest.enhetsregister`), cut to
    the units of the kommun's tables (for the unit pages' notes)."""
    from pipeline.ingest.enhetsregister import BREAKS_TABLE, REGISTER_TABLE

    codes: set[str] = set()
    for name in ("publicerad", "skolenheter"):
        df = sub.get(name)
        if df is not None and "skolenhetskod" in df.columns:
            codes |= set(df["skolenhetskod"].dropna().astype(str))
    for name in (REGISTER_TABLE, BREAKS_TABLE):
        p = national / f"{name}.parquet"
        if p.exists():
            df = pd.read_parquet(p)
            df[df["skolenhetskod"].isin(codes)].reset_index(drop=True).to_parquet(
                stage / f"{name}.parquet", index=False
            )
