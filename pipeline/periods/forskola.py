"""Förskola's own evidence: barnintervjuer and observations per läroplan area.

One file per förskola and läsår, ``params/analyser/<YEAR>/forskola/<kod>.yml``, with the five
areas of Lpfö 18 (``normer_och_varden``, ``omsorg_utveckling_larande``, ``barns_inflytande``,
``forskola_och_hem``, ``overgang_och_samverkan``), each with ``barnintervjuer`` and
``observationer`` (free text, Markdown). Validated: every area present, no unknown key, texts as
text; an error is a :class:`~pipeline.errors.ConfigError` (exit 2) naming file and key.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.errors import ConfigError

#: The läroplan's areas, in Lpfö 18's order (reader texts: labels ``perioder.forskola_omraden``).
AREAS = (
    "normer_och_varden",
    "omsorg_utveckling_larande",
    "barns_inflytande",
    "forskola_och_hem",
    "overgang_och_samverkan",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Underlag(_Model):
    """What the children said and what the staff saw, for one area."""

    barnintervjuer: str
    observationer: str


class ForskolaUnderlag(_Model):
    normer_och_varden: Underlag
    omsorg_utveckling_larande: Underlag
    barns_inflytande: Underlag
    forskola_och_hem: Underlag
    overgang_och_samverkan: Underlag


def evidence_path(params_dir: Path, year: int, kod: str) -> Path:
    return Path(params_dir) / "analyser" / str(year) / "forskola" / f"{kod}.yml"


def template_text() -> str:
    """The empty template (every area, both kinds of evidence)."""
    lines = [
        "# Barnintervjuer och observationer per område i läroplanen (Lpfö 18).",
        "# Skriv vad barnen sa och vad ni såg; inga namn på barn. Text i citattecken eller som block (>-).",
    ]
    for a in AREAS:
        lines += [f"{a}:", "  barnintervjuer: ''", "  observationer: ''"]
    return "\n".join(lines) + "\n"


def parse_evidence(raw: object, source: str) -> ForskolaUnderlag:
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{source}: expected the five areas {list(AREAS)} as keys, got {type(raw).__name__}."
        )
    try:
        return ForskolaUnderlag.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            if err["type"] == "extra_forbidden":
                msg = f"unknown key; the areas are {list(AREAS)}, each with barnintervjuer and observationer"
            elif err["type"] == "missing":
                msg = "missing; write '' when there is nothing yet"
            else:
                msg = f"{err['msg']} (expected text)"
            lines.append(f"{source}, key {loc!r}: {msg}")
        raise ConfigError("\n".join(lines)) from None


def load_evidence(params_dir: Path, year: int, kod: str) -> ForskolaUnderlag | None:
    """The förskola's evidence for ``year``, or None when there is no file."""
    from pipeline.config import read_yaml

    path = evidence_path(params_dir, year, kod)
    if not path.exists():
        return None
    return parse_evidence(read_yaml(path), str(path))


def evidence_rows(params_dir: Path, year: int, kod: str, area_label) -> list[dict[str, str]] | None:
    """The förskola's evidence as rows in Lpfö 18's order (``omrade`` from ``area_label(key)``,
    ``barnintervjuer``, ``observationer``), or None when there is no file: what the period's
    verksamhetsanalys and the full-year unit page show."""
    ev = load_evidence(params_dir, year, kod)
    if ev is None:
        return None
    return [
        {
            "omrade": area_label(a),
            "barnintervjuer": getattr(ev, a).barnintervjuer,
            "observationer": getattr(ev, a).observationer,
        }
        for a in AREAS
    ]


def write_templates(params_dir: Path, year: int, codes: list[str]) -> list[Path]:
    """Write the template for each förskola that has no file yet."""
    out = []
    for kod in codes:
        p = evidence_path(params_dir, year, kod)
        if p.exists():
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(template_text(), encoding="utf-8")
        out.append(p)
    return out
