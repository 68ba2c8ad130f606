"""A tiny valid project (hand-written SIS exports + params) for the bad-input corpus.

Everything here is invented: units end in "(fiktiv)", personnummer have födelsenummer 9xx.
The valid set is small enough that an ingest takes a fraction of a second; each case copies it
and breaks one thing.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from pipeline.paths import REPO_ROOT

KOMMUNKOD = "0114"  # a real kommun, so the mutated national files have rows to keep


def luhn_digit(nine: str) -> str:
    """The check digit of a personnummer's last 9 digits (YYMMDDNNN)."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def pnr(date8: str, nnn: str) -> str:
    """A fictitious personnummer ``YYYYMMDD-NNNC`` with a valid check digit."""
    return f"{date8}-{nnn}{luhn_digit(date8[2:] + nnn)}"


PUPILS = [pnr("20080115", f"9{i:02d}") for i in range(1, 7)]  # åk 9 in 2023/24
SMALL = [pnr("20110304", f"9{i:02d}") for i in range(1, 4)]  # åk 6 in 2023/24

SKOLENHETER = (
    "Skolenhetskod;Skolenhetsnamn;Skolform;Huvudman;Kommunkod;Årskurser\n"
    "11140001;Ekorrens förskola (fiktiv);FS;Testkommun;0114;\n"
    "11140002;Almskolan F-6 (fiktiv);GR;Testkommun;0114;F-6\n"
    "11140003;Björkskolan 7-9 (fiktiv);GR;Testkommun;0114;7-9\n"
)


def _elever() -> str:
    lines = [
        "Läsår;Personnummer;Förnamn;Efternamn;Skolenhetskod;Skolform;Årskurs;Kön;Nyanländ;Föräldrars utbildning"
    ]
    for i, p in enumerate(PUPILS):
        kon = "Flicka" if i % 2 else "Pojke"
        lines.append(f"2023/24;{p};Testa;Exempelsson;11140003;GR;9;{kon};Nej;Gymnasial")
    for i, p in enumerate(SMALL):
        kon = "Flicka" if i % 2 else "Pojke"
        lines.append(f"2023/24;{p};Demona;Testberg;11140002;GR;6;{kon};Nej;Eftergymnasial")
    return "\n".join(lines) + "\n"


def _betyg() -> str:
    lines = ["Läsår;Personnummer;Skolenhetskod;Årskurs;Ämne;Betyg"]
    grades = "ABCDEF"
    for i, p in enumerate(PUPILS):
        for j, amne in enumerate(("SV", "EN", "MA")):
            lines.append(f"2024;{p};11140003;9;{amne};{grades[(i + j) % 6]}")
    for i, p in enumerate(SMALL):
        lines.append(f"2024;{p};11140002;6;MA;{grades[i]}")
    return "\n".join(lines) + "\n"


FS_PERSONAL = (
    "Läsår;Skolenhetskod;Antal barn;Årsarbetare;Årsarbetare förskollärarexamen;Antal barngrupper\n"
    "2024;11140001;62;12,5;4,9;4\n"
)

NATIONELLA_PROV = "Läsår;Personnummer;Skolenhetskod;Årskurs;Ämne;Provbetyg\n" + "".join(
    f"2024;{p};11140003;9;MA;{'ABCDEF'[i]}\n" for i, p in enumerate(PUPILS)
)

FRANVARO = "Läsår;Personnummer;Skolenhetskod;Frånvaro (minuter);Schemalagd tid (minuter)\n" + "".join(
    f"2024;{p};11140003;{100 * (i + 1)};20000\n" for i, p in enumerate(PUPILS)
)

RIKET = (
    "Läsår;Skolform;Indikator;Grupp;Värde;Antal;Källa\n"
    "2024;GR;meritvarde_17;Samtliga;231,1;;Fiktiva riksvärden (test)\n"
)

FILES: dict[str, str] = {
    "sis/skolenheter.csv": SKOLENHETER,
    "sis/elever_2024.csv": _elever(),
    "sis/betyg_2024.csv": _betyg(),
    "sis/nationella_prov_2024.csv": NATIONELLA_PROV,
    "sis/franvaro_2024.csv": FRANVARO,
    "sis/forskola_personal.csv": FS_PERSONAL,
    "sis/riket_referensvarden.csv": RIKET,
}

#: The files of the valid base project; the others are added by the cases that break them.
BASE_FILES = ("sis/skolenheter.csv", "sis/elever_2024.csv", "sis/betyg_2024.csv", "sis/forskola_personal.csv")

HUVUDMAN = (
    f"namn: Testkommun (fiktiv)\nkommunkod: '{KOMMUNKOD}'\ntyp: kommun\nfiktiv: true\njamforelsegrupp: []\n"
)


def write_project(root: Path) -> Path:
    """Write the valid tiny project into ``root``: params/ and data/raw/sis/*.csv."""
    params = root / "params"
    params.mkdir(parents=True)
    for name in ("installningar.yml", "labels.yml", "mal.yml"):
        shutil.copyfile(REPO_ROOT / "params" / name, params / name)
    (params / "huvudman.yml").write_text(HUVUDMAN, encoding="utf-8")
    (params / "kolumnmappning.yml").write_text("{}\n", encoding="utf-8")
    raw = root / "data" / "raw"
    for rel in BASE_FILES:
        text = FILES[rel]
        p = raw / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    # a previous report, which a failed run must leave exactly as it was
    (root / "reports" / "2024").mkdir(parents=True)
    (root / "reports" / "2024" / "index.html").write_text("<p>förra rapporten</p>\n", encoding="utf-8")
    return root


def digest(folder: Path) -> str:
    """sha256 over every file (relative path and bytes) under ``folder``; '' when it is missing."""
    if not folder.exists():
        return ""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(p.relative_to(folder).as_posix().encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()
