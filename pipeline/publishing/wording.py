"""The one wording of a change over time, shared by the pages, the development areas' follow-up,
the board PDF and the presentation.

A change is called an increase or a decrease only when the ``forandringar`` table's test says it
is significant; otherwise the sentence says the difference is not statistically certain, or that
it cannot be tested. The texts are ``forandring`` in ``labels.yml``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from markupsafe import Markup

from pipeline.indicators.registry import Indicator
from pipeline.publishing.format import format_number, lasar_text
from pipeline.publishing.render import fill

Label = Callable[..., str]


def unit_word(label: Label, ind: Indicator, *, change: bool = False) -> str:
    """The unit after a number: ``poäng``, ``procent``/``procentenheter`` (for changes), a
    count's own word (``elever``)."""
    if ind.enhet_ord:
        return ind.enhet_ord
    if change and ind.enhet == "procent":
        return label("procentenheter")
    return label("enheter", ind.enhet, default="")


def untested(change: Mapping) -> bool:
    """True when no test was possible for this change."""
    return change.get("riktning_bedomning") == "ej_testad" or change.get("test") in ("ingen", "", None)


def change_sentence(label: Label, change: Mapping, ind: Indicator) -> tuple[Markup, str]:
    """The full change statement of a ``forandringar`` row, as HTML (the number as a number
    element) and as plain text; a change is worded as one only when the test says so."""
    from pipeline.publishing.tables import change_number_html

    period = change.get("typ") == "period"
    sig = bool(change.get("signifikant"))
    value = float(change["forandring"])
    signed = True
    if untested(change):
        key = "ej_testad"
    elif sig:
        key = "okning" if value > 0 else "minskning"
        signed = False
    else:
        key = "ingen"
    if period:
        key = f"period_{key}"
    template = label("forandring", key)
    unit = unit_word(label, ind, change=True)
    if not unit:  # a unit-less value: no word, and no space before it
        template = template.replace(" {enhet}", "{enhet}")
    if not change.get("test"):
        template = template.replace(", {test})", ")").replace(" ({test})", "")
    words = dict(
        enhet=unit,
        fran=lasar_text(int(change["lasar_fran"])),
        till=lasar_text(int(change["lasar_till"])),
        test=change.get("test") or "",
    )
    number = change_number_html(change, ind, signed=signed)
    text = format_number(value if signed else abs(value), ind.decimaler, sign=signed)
    return fill(template, delta=number, **words), template.format(delta=text, **words)
