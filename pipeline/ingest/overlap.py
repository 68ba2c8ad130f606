"""Sources that overlap: the same published figure from two files.

* Same value (``varde`` and ``markering``; ``antal`` where both give it): kept once, with the
  ``antal`` of the file that gives one (the API gives none); the sources' ``kalla`` texts are
  joined when they differ, and the ledger names the file whose copy was dropped and the file kept
  (``dubblett``).
* Different values: the newer *vintage* wins when both files say which is newer
  (:func:`file_vintage`: Kolada's file-name date prefix, the API's ``generatedAt``, an XLSX
  export's creation date); the older file's rows are stated in the ledger (``ersatt_av_nyare``).
  Otherwise the run stops (exit 2) naming both files, the key and both values.

Only rows from *different* files are compared; duplicates inside one file are its reader's concern.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd

from pipeline.ingest.ledger import Ledger

#: The identity of one published figure across files (``enhet``, a name, may be spelt differently).
KEY = ["lasar", "skolform", "niva", "kommunkod", "skolenhetskod", "typ_av_huvudman", "indikator", "grupp"]
_KOLADA_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})_")


def file_vintage(path: Path, source: str) -> str | None:
    """When the file says it was produced (ISO text, comparable), or None when it does not say."""
    path = Path(path)
    if source.startswith("kolada"):
        m = _KOLADA_DATE.match(path.name)
        return m.group(1) if m else None
    if source.startswith("skolverket_api"):
        try:
            with open(path, encoding="utf-8") as fh:
                first = json.loads(fh.readline())
        except (OSError, ValueError):
            return None
        got = first.get("generatedAt") if isinstance(first, dict) else None
        return str(got)[:10] if got else None
    if source.startswith("skolverket") and path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            with zipfile.ZipFile(path) as zf:
                core = zf.read("docProps/core.xml").decode("utf-8", "replace")
        except (OSError, KeyError, zipfile.BadZipFile):
            return None
        m = re.search(r"<dcterms:created[^>]*>(\d{4}-\d{2}-\d{2})", core)
        return m.group(1) if m else None
    return None


def _signature(df: pd.DataFrame) -> pd.Series:
    varde = df["varde"].map(lambda v: "" if pd.isna(v) else repr(round(float(v), 9)))
    return varde + "|" + df["markering"].astype("string").fillna("")


def merge_publicerad(
    frames: list[tuple[str, pd.DataFrame]], vintages: dict[str, str | None]
) -> tuple[pd.DataFrame, list[tuple[str, Ledger]], list[str]]:
    """Merge the ``publicerad`` frames of several files.

    Returns the merged frame, ``(file, ledger)`` pairs for what was dropped, and error messages
    (one per conflicting key, at most 10, plus a count) for conflicts no vintage resolves.
    """
    frames = [(rel, f) for rel, f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(), [], []
    df = pd.concat([f.assign(_fil=rel) for rel, f in frames], ignore_index=True)
    if len(frames) == 1:
        return df.drop(columns="_fil"), [], []
    keys = df[KEY].astype("string").fillna("\0")
    gid = keys.groupby(KEY, sort=False, dropna=False).ngroup()
    files_per_key = df["_fil"].groupby(gid).transform("nunique")
    shared = files_per_key > 1
    if not shared.any():
        return df.drop(columns="_fil"), [], []
    rest = df[~shared]
    sub = df[shared].assign(_g=gid[shared], _sig=_signature(df[shared]))
    sigs = sub.groupby("_g")["_sig"].transform("nunique")
    # two different counts for one figure are a conflict too (a missing count is not)
    sigs = sigs.where(sub.groupby("_g")["antal"].transform("nunique") <= 1, 2)
    ledgers: dict[str, Ledger] = {}
    kept: list[pd.DataFrame] = []

    def ledger(rel: str) -> Ledger:
        return ledgers.setdefault(rel, Ledger())

    # same value everywhere: the first file's row, every source named
    agree = sub[sigs == 1]
    if len(agree):
        # the row that gives a count first (stable: otherwise the first file's row)
        ordered = agree.assign(_no_antal=agree["antal"].isna()).sort_values(
            ["_g", "_no_antal"], kind="mergesort"
        )
        first = ordered.drop_duplicates("_g", keep="first").drop(columns="_no_antal")
        kallor = agree.groupby("_g")["kalla"].agg(lambda s: "; ".join(dict.fromkeys(s)))
        first = first.assign(kalla=first["_g"].map(kallor).to_numpy())
        kept.append(first)
        dropped = agree[~agree.index.isin(first.index)]
        keeper = first.set_index("_g")["_fil"]
        for (rel, other), n in (
            dropped.assign(_keep=dropped["_g"].map(keeper)).groupby(["_fil", "_keep"]).size().items()
        ):
            ledger(rel).add("dubblett", int(n), detalj=f"kept from {other}")
    errors: list[str] = []
    conflict = sub[sigs > 1]
    n_conflicts = 0
    for _, g in conflict.groupby("_g", sort=True):
        vint = {rel: vintages.get(rel) for rel in g["_fil"].unique()}
        if all(vint.values()) and len(set(vint.values())) == len(vint):
            newest = max(vint, key=lambda r: str(vint[r]))
            win = g[g["_fil"] == newest]
            kept.append(win)
            for rel, n in g[g["_fil"] != newest].groupby("_fil").size().items():
                ledger(rel).add("ersatt_av_nyare", int(n), detalj=f"{newest} ({vint[newest]})")
            continue
        n_conflicts += 1
        kept.append(g.drop_duplicates("_fil"))
        if len(errors) < 10:
            row = g.iloc[0]
            key = ", ".join(f"{c}={row[c]}" for c in KEY if pd.notna(row[c]) and row[c] != "")
            vals = "; ".join(
                f"{r['_fil']}: varde={r['varde']}, markering={r['markering'] or 'none'}, antal={r['antal']}"
                + (f" (vintage {vint[r['_fil']]})" if vint[r["_fil"]] else " (no date)")
                for _, r in g.iterrows()
            )
            errors.append(
                f"two files publish different values for one figure ({key}): {vals}. Neither file says which "
                "is newer (a Kolada file-name date prefix such as 2024-12-12_, the API's generatedAt, an XLSX "
                "export date); remove the outdated file from the data folder."
            )
    if n_conflicts > len(errors):
        errors.append(
            f"... and {n_conflicts - len(errors)} more figure(s) with different values in two files."
        )
    out = pd.concat([rest, *[k.drop(columns=["_g", "_sig"]) for k in kept]], ignore_index=True)
    return out.drop(columns="_fil"), sorted(ledgers.items()), errors
