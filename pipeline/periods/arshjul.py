"""The årshjul: what is due when in the läsår, what is written, which development areas changed
status; generated from ``params/`` (perioder.yml, analyser/, utvecklingsomraden/), and the same
dates as an iCalendar file (RFC 5545, written by hand: CRLF line ends, lines folded at 75 octets,
text escaped, a fixed DTSTAMP so that a rebuild gives the same bytes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.periods.config import Perioder, day_in_lasar
from pipeline.publishing.format import format_date
from pipeline.school_forms import SCHOOL_FORMS, evidence_forms, get_school_form

#: The DTSTAMP of every event: fixed, so the file is byte-identical when rebuilt.
DTSTAMP = "20240101T000000Z"


def arshjul_context(paths: Any, year: int, perioder: Perioder, units: pd.DataFrame, L: Any) -> dict:
    """Rows of the årshjul (sorted by date) and the status changes of the development areas."""
    params_dir = Path(paths.params)
    forms = [c for c in SCHOOL_FORMS if (units["skolform"] == c).any()]
    rows: list[dict] = []
    for p in perioder.perioder.values():
        d = p.due("analys_senast", year)
        for code in forms:
            done = (params_dir / "analyser" / str(year) / p.id / f"{code}.md").exists()
            rows.append(
                {
                    "datum": d,
                    "vad": L("arshjul_analys", period=p.namn, skolform=get_school_form(code).name),
                    "lage": L("arshjul_skriven") if done else L("arshjul_ej_skriven"),
                    "klar": done,
                    "uid": f"analys-{p.id}-{code}",
                }
            )
        if p.kvalitetsdialog:
            rows.append(
                {
                    "datum": p.due("kvalitetsdialog", year),
                    "vad": L("arshjul_dialog", period=p.namn),
                    "lage": "",
                    "klar": None,
                    "uid": f"dialog-{p.id}",
                }
            )
        rows.append(
            {
                "datum": p.due("namnd", year),
                "vad": L("arshjul_namnd", period=p.namn),
                "lage": "",
                "klar": None,
                "uid": f"namnd-{p.id}",
            }
        )
    for u in units[units["skolform"].isin(evidence_forms())].itertuples(index=False):
        done = (params_dir / "analyser" / str(year) / "forskola" / f"{u.skolenhetskod}.yml").exists()
        rows.append(
            {
                "datum": day_in_lasar(perioder.datum.barnintervjuer, year),
                "vad": L("arshjul_barnintervjuer", enhet=u.enhet),
                "lage": L("arshjul_skriven") if done else L("arshjul_ej_skriven"),
                "klar": done,
                "uid": f"barnintervjuer-{u.skolenhetskod}",
            }
        )
    rows.sort(key=lambda r: (r["datum"], r["uid"]))
    for r in rows:
        r["datum_text"] = format_date(r["datum"])
    return {"rows": rows, "byten": status_changes(params_dir, year, L)}


def status_changes(params_dir: Path, year: int, L: Any) -> list[str]:
    """Areas decided in ``year - 1`` whose status in ``year``'s follow-up differs from the decided one."""
    from pipeline.utveckling import areas_path, read_areas_file

    prev, now = areas_path(params_dir, year - 1), areas_path(params_dir, year)
    if not prev.exists() or not now.exists():
        return []
    decided = {a.id: a for a in read_areas_file(prev).omraden}
    out = []
    for f in read_areas_file(now).uppfoljning:
        a = decided.get(f.id)
        if a is not None and f.status != a.status:
            out.append(
                L(
                    "arshjul_statusbyte",
                    omrade=f"{a.aktivitet.rstrip('.')} ({a.id})",
                    fran=a.status,
                    till=f.status,
                )
            )
    return out


def _escape(text: str) -> str:
    """RFC 5545 3.3.11 TEXT: backslash, semicolon, comma and newline escaped."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets folded (CRLF + space), never inside a character."""
    out: list[bytes] = []
    cur = b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(cur) + len(b) > (75 if not out else 74):
            out.append(cur)
            cur = b""
        cur += b
    out.append(cur)
    return "\r\n ".join(x.decode("utf-8") for x in out)


def ics_text(aj: dict, year: int, huvudman: str) -> str:
    """The årshjul's dates as a VCALENDAR with one all-day VEVENT per row."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//kvalitetsrapport//arshjul//SV",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(f'Årshjul {huvudman} {year - 1}/{str(year)[-2:]}')}",
    ]
    for r in aj["rows"]:
        d: dt.date = r["datum"]
        uid = hashlib.sha256(f"{huvudman}|{year}|{r['uid']}".encode()).hexdigest()[:24]
        summary = r["vad"] + (f" ({r['lage']})" if r["lage"] else "")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}@kvalitetsrapport",
            f"DTSTAMP:{DTSTAMP}",
            f"DTSTART;VALUE=DATE:{d:%Y%m%d}",
            f"DTEND;VALUE=DATE:{d + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(summary)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(x) + "\r\n" for x in lines)
