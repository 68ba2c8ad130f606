"""What was read but not published, and what could not be placed: said aloud, never silent.

A reader adds to a :class:`Ledger` whatever it reads and leaves out of the canonical tables
(rows of other kommuner, kommunalförbund, Kolada KPIs that are not school indicators, metadata,
school forms outside the pipeline, records that cannot be placed in a kommun) and returns
``ledger.frame()`` under the key :data:`LEDGER_KEY` beside its tables. ``read_all`` fills in the
file and source, logs one summary line per file and writes the rows to
``data/processed/ej_publicerat.parquet`` for the method page (texts: ``params/labels.yml``,
``ej_publicerat``).

Columns: ``fil`` (relative path), ``kalla`` (source name), ``slag`` (one of :data:`SLAG`),
``orsak`` (a key of :data:`ORSAKER`), ``antal`` (rows or records), ``detalj`` (codes, at most a
few, ``; ``-separated, for the reader to check).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import pandas as pd

#: The key a reader returns its ledger under (beside its canonical tables).
LEDGER_KEY = "_ej_publicerat"
#: The key a reader returns ``skolenhetskod → kommunkod`` of every unit it saw (filtered or not).
UNIT_KOMMUN_KEY = "_enhet_kommun"
#: Records kept until a unit register places them in a kommun (skolverket_api statistics).
UNPLACED_KEY = "_oplacerad"
#: Reader-only keys: never canonical tables.
SIDE_KEYS = (LEDGER_KEY, UNIT_KOMMUN_KEY, UNPLACED_KEY)

#: ``slag``: read and left out by design, or could not be placed.
SLAG = ("ej_publicerat", "ej_placerat")

#: ``orsak`` → its ``slag``; the reader-facing text is ``labels.yml: ej_publicerat.orsak.<key>``.
ORSAKER: dict[str, str] = {
    "annan_kommun": "ej_publicerat",  # about another kommun than the report's
    "kommunalforbund": "ej_publicerat",  # a kommunalförbund, not one kommun
    "ej_skolindikator": "ej_publicerat",  # a Kolada KPI that is not a school indicator of the registry
    "metadata": "ej_publicerat",  # names and descriptions, no values
    "annan_skolform": "ej_publicerat",  # a school form outside the pipeline
    "annan_huvudman": "ej_publicerat",  # a unit run by another organiser (the register lists kommunala)
    "ersatt_av_nyare": "ej_publicerat",  # an older vintage of a value a newer file gives
    "dubblett": "ej_publicerat",  # the same value in two files: kept once
    "hosttermin": "ej_publicerat",  # autumn rows (HT2023) of a file without a termin column: period reports only
    "enhet_utan_kommun": "ej_placerat",  # a unit no file or register places in a kommun
    "okand_fil": "ej_placerat",  # a file no reader recognises, left out with --skip-unknown
}

LEDGER_COLUMNS = ["fil", "kalla", "slag", "orsak", "antal", "detalj"]
_MAX_DETAIL = 8


class Ledger:
    """Counts (and a few example codes) of what a reader left out, by reason."""

    def __init__(self) -> None:
        self._n: Counter[str] = Counter()
        self._detail: dict[str, set[str]] = defaultdict(set)

    def add(self, orsak: str, n: int = 1, detalj: str | Iterable[str] | None = None) -> None:
        """Count ``n`` rows left out for ``orsak`` (a key of :data:`ORSAKER`), with example codes."""
        if orsak not in ORSAKER:
            raise ValueError(f"ledger reason must be one of {sorted(ORSAKER)}, got {orsak!r}")
        if n <= 0:
            return
        self._n[orsak] += int(n)
        for d in [detalj] if isinstance(detalj, str) else (detalj or ()):
            if d:
                self._detail[orsak].add(str(d))

    def frame(self) -> pd.DataFrame:
        """The ledger as rows (``fil`` and ``kalla`` empty: ``read_all`` fills them)."""
        rows = []
        for orsak in sorted(self._n):
            codes = sorted(self._detail.get(orsak, ()))
            more = f" (+{len(codes) - _MAX_DETAIL})" if len(codes) > _MAX_DETAIL else ""  # e.g. 'N1; N2 (+3)'
            rows.append(
                {
                    "fil": "",
                    "kalla": "",
                    "slag": ORSAKER[orsak],
                    "orsak": orsak,
                    "antal": self._n[orsak],
                    "detalj": "; ".join(codes[:_MAX_DETAIL]) + more,
                }
            )
        return ledger_frame(rows)


def ledger_frame(rows: list[dict] | None = None) -> pd.DataFrame:
    """A ledger frame with its columns and dtypes (empty when ``rows`` is None)."""
    df = pd.DataFrame(rows or [], columns=LEDGER_COLUMNS)
    df["antal"] = df["antal"].astype("int64")
    for c in ("fil", "kalla", "slag", "orsak", "detalj"):
        df[c] = df[c].astype("object")
    return df


def summary_lines(ledger: pd.DataFrame) -> list[str]:
    """One line per source (file family): what was left out, why, from how many files (English, for the log)."""
    out = []
    for kalla, rows in ledger.groupby("kalla", sort=True):
        parts = []
        for orsak, part in rows.groupby("orsak", sort=True):
            codes = sorted({c.strip() for d in part["detalj"] for c in str(d).split("; ") if c.strip()})
            shown = f" ({'; '.join(codes[:3])}{'; ...' if len(codes) > 3 else ''})" if codes else ""
            parts.append(f"{int(part['antal'].sum())} {orsak.replace('_', ' ')}{shown}")
        files = rows["fil"].nunique()
        out.append(f"{kalla} ({files} file{'s' if files != 1 else ''}): " + "; ".join(parts))
    return out


def unit_kommun_frame(unit_kommun: dict[str, str]) -> pd.DataFrame:
    """``skolenhetskod → kommunkod`` of every unit a file names (before any kommun filter)."""
    return pd.DataFrame(
        {"skolenhetskod": list(unit_kommun), "kommunkod": list(unit_kommun.values())}, dtype="object"
    )
