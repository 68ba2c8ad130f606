"""The one registry of school forms (skolformer).

Keyed by the official codes ``FS`` (förskola), ``GR`` (grundskola), ``GY`` (gymnasieskola) and
``VUX`` (kommunal vuxenutbildning). Every other module asks this registry; nothing else branches
on a school-form code.

Each entry names its notebook template, the quality areas its data can support (in report
order), the canonical tables it reads, its indicators (looked up in the indicator registry,
``params/indikatorer.yml``, by school form, so the two never disagree), and the other names by
which sources call it: :func:`alias_table` (SIS exports, the Skolverket API) and
:func:`register_sheets` (Skolverket's skolenhetsregister workbook). No other module holds a table
of form codes or aliases (``tests/test_school_forms.py`` greps for one).

This module imports nothing of the indicator layer at import time (the registry is imported
inside :attr:`SchoolForm.indicators`), so the two never form an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import UnknownSchoolFormError

#: Quality areas of systematiskt kvalitetsarbete, in report order. Swedish labels live in
#: ``params/labels.yml`` under ``kvalitetsomraden``.
QUALITY_AREAS: tuple[str, ...] = (
    "kunskapsresultat",
    "foradlingsvarde",
    "likvardighet",
    "trygghet_studiero",
    "elevhalsa_narvaro",
    "fullfoljda_studier",
    "ansvar_inflytande",
    "maluppfyllelse",
)

#: Quality areas whose indicator a *unit* page compares across every unit of its school form (this
#: läsår, all pupils): the unit's place among the others. The planner hashes those rows into every
#: unit job of the form, so a change in another unit's value re-runs the pages that show it.
UNIT_COMPARISON_AREAS: tuple[str, ...] = ("kunskapsresultat",)


@dataclass(frozen=True)
class SchoolForm:
    """One school form.

    Attributes
    ----------
    code
        Official code (``FS``, ``GR``, ``GY``, ``VUX``).
    name
        Swedish name, as readers see it.
    slug
        ASCII folded name, used for file names (``grundskola``).
    notebook
        File name of the template in ``notebooks/``.
    quality_areas
        The quality areas this form reports on, in report order.
    tables
        Canonical tables (``data/processed/<name>.parquet``) the form's indicators read.
    own_unit_code
        True when a unit of this form never shares its code with a unit of another form (a
        förskola is a förskoleenhet, not a skolenhet; a skolenhet may run GR and GY together).
    aliases
        Other names of the form in source files, folded (lower-case ASCII without spaces or
        punctuation: ``kommunalvuxenutbildning``); the code itself, folded, is always one.
    register_sheets
        The sheets of Skolverket's skolenhetsregister workbook that list units of this form, in
        the order they are read (the first sheet wins for a unit listed in two).
    unit_noun
        Key of the unit noun in ``params/labels.yml`` (``enhetsord``): a förskola is a
        *förskoleenhet*, the other forms' units are *skolenheter* (Skolverket's terms). Pages fill
        the ``{enhetstyp}``/``{enheter}``/``{enheterna}`` placeholders of their texts with it
        (:func:`form_words`).
    persons
        Key of the people a value counts in ``params/labels.yml`` (``personord``): *barn* in the
        förskola, *kursdeltagare* in komvux, *elever* otherwise.
    own_evidence
        True when each unit documents its quality work with barnintervjuer and observations per
        läroplan area (förskola, Lpfö 18: :mod:`pipeline.periods.forskola`), shown on its
        kvalitetsdialog sheet and in the årshjul.
    """

    code: str
    name: str
    slug: str
    notebook: str
    quality_areas: tuple[str, ...]
    tables: tuple[str, ...]
    own_unit_code: bool = False
    aliases: tuple[str, ...] = ()
    register_sheets: tuple[str, ...] = ()
    own_evidence: bool = False
    unit_noun: str = "skolenhet"
    persons: str = "elever"

    @property
    def indicators(self) -> tuple[str, ...]:
        """Ids of this form's indicators, in registry order."""
        from pipeline.indicators.registry import load_indicator_registry

        return tuple(i.id for i in load_indicator_registry().for_skolform(self.code))


_FORMS: tuple[SchoolForm, ...] = (
    SchoolForm(
        code="FS",
        name="Förskola",
        slug="forskola",
        notebook="forskola.ipynb",
        quality_areas=("kunskapsresultat", "trygghet_studiero", "ansvar_inflytande", "maluppfyllelse"),
        tables=("skolenheter", "fs_personal", "enkat", "avvikelser"),
        own_unit_code=True,
        aliases=("forskola",),
        own_evidence=True,
        unit_noun="forskoleenhet",
        persons="barn",
    ),
    SchoolForm(
        code="GR",
        name="Grundskola",
        slug="grundskola",
        notebook="grundskola.ipynb",
        quality_areas=QUALITY_AREAS,
        tables=("skolenheter", "elever", "betyg", "nationella_prov", "franvaro", "enkat", "avvikelser"),
        aliases=("grundskola",),
        register_sheets=("Grundskola",),
    ),
    SchoolForm(
        code="GY",
        name="Gymnasieskola",
        slug="gymnasieskola",
        notebook="gymnasieskola.ipynb",
        quality_areas=QUALITY_AREAS,
        tables=("skolenheter", "elever", "kursbetyg", "gy_studievag", "franvaro", "enkat", "avvikelser"),
        aliases=("gymnasieskola",),
        register_sheets=("Gymnasieskola",),
    ),
    SchoolForm(
        code="VUX",
        name="Kommunal vuxenutbildning",
        slug="vuxenutbildning",
        notebook="vuxenutbildning.ipynb",
        quality_areas=("kunskapsresultat", "likvardighet", "fullfoljda_studier", "maluppfyllelse"),
        tables=("skolenheter", "elever", "vux_kurser"),
        aliases=("komvux", "kommunalvuxenutbildning", "vuxenutbildning"),
        register_sheets=("Komm. vuxenutb.", "Komm. vuxenutb. i sv. f. inv."),
        persons="kursdeltagare",
    ),
)

SCHOOL_FORMS: dict[str, SchoolForm] = {f.code: f for f in _FORMS}

#: The huvudman overview notebook (one per school form and year).
OVERVIEW_NOTEBOOK = "huvudman.ipynb"
#: The free exploration notebook (not part of the report).
EXPLORATION_NOTEBOOK = "utforska.ipynb"


@dataclass(frozen=True)
class PageInputs:
    """The processed tables (``data/processed/<name>.parquet``) one kind of page reads.

    Attributes
    ----------
    unit
        Read for the page's unit: its own rows and its school form's reference rows (``niva``
        other than ``enhet``).
    form
        Read for the page's school form (every row of the form).
    whole
        Read whole.
    """

    unit: tuple[str, ...] = ()
    form: tuple[str, ...] = ()
    whole: tuple[str, ...] = ()

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table the page reads, in declaration order."""
        return (*self.unit, *self.form, *self.whole)


#: What each kind of page reads: the one declaration the pages load by
#: (:mod:`pipeline.publishing.context` for the notebook pages, the report's publishing step for
#: the start and method pages) and the build caches hash by (the job keys of
#: :func:`pipeline.execution.plan_jobs`, the report's build key). A unit page also shows every
#: unit's value in its comparison (:data:`UNIT_COMPARISON_AREAS`), hashed by the planner.
PAGE_INPUTS: dict[str, PageInputs] = {
    "unit": PageInputs(
        # placeringar: the unit's own ranks among the form's units; programbyten: a replaced
        # programme's rows shown under its current code
        unit=(
            "indikatorer",
            "forandringar",
            "jamforelser",
            "skolenheter",
            "enhetsbrott",
            "placeringar",
            "programbyten",
        ),
        # the value-added figure and the comparison's quartiles describe the form's units
        form=("va_enheter", "fordelning"),
    ),
    "overview": PageInputs(
        form=(
            "indikatorer",
            "forandringar",
            "jamforelser",
            "skolenheter",
            "va_enheter",
            "fordelning",
            "programbyten",
        )
    ),
    # key figures, changes and the board's targets
    "start": PageInputs(whole=("indikatorer", "forandringar", "jamforelser")),
    # the indicator list, the value-added model and its method
    "method": PageInputs(whole=("indikatorer", "va_modell", "va_metod")),
}


def notebook_tables() -> tuple[str, ...]:
    """The tables the notebook pages (unit page and overview) read, each once, in declaration order."""
    out: dict[str, None] = {}
    for kind in ("unit", "overview"):
        out.update(dict.fromkeys(PAGE_INPUTS[kind].tables))
    return tuple(out)


def get_school_form(code: str) -> SchoolForm:
    """Return the school form with this official code, loudly.

    Raises
    ------
    UnknownSchoolFormError
        ``code`` is not a known school form.
    """
    try:
        return SCHOOL_FORMS[str(code).upper()]
    except KeyError:
        known = ", ".join(f"'{c}'" for c in SCHOOL_FORMS)
        raise UnknownSchoolFormError(
            f"No school form with code {code!r}: `skolform` must be one of {known}, got {code!r}."
        ) from None


def school_form_codes() -> tuple[str, ...]:
    """All codes, in report order (FS, GR, GY, VUX)."""
    return tuple(SCHOOL_FORMS)


#: The placeholders :func:`form_words` fills, each a key of a noun in ``labels.yml`` ``enhetsord``.
UNIT_WORD_FORMS: tuple[str, ...] = ("enhetstyp", "enheter", "enheterna")


def form_words(label, code: str | None) -> dict[str, str]:
    """The words a page of this school form uses for its units and the people its values count:
    ``{enhetstyp}`` (``skolenhet``/``förskoleenhet``), ``{enheter}``, ``{enheterna}``, the same
    capitalised (``{Enhetstyp}``, ``{Enheter}``) and ``{personer}`` (``elever``/``barn``/
    ``kursdeltagare``). ``label`` looks a text up in ``labels.yml`` by its key path; without a
    school form (a page over several forms) the neutral noun ``enhet`` is used.
    """
    form = get_school_form(code) if code else None
    noun = form.unit_noun if form else "enhet"
    words = {k: str(label("enhetsord", noun, k)) for k in UNIT_WORD_FORMS}
    words.update({k[:1].upper() + k[1:]: v[:1].upper() + v[1:] for k, v in words.items()})
    words["personer"] = str(label("personord", form.persons if form else "elever"))
    return words


def evidence_forms() -> tuple[str, ...]:
    """Codes of the forms whose units write their own evidence file (:attr:`SchoolForm.own_evidence`)."""
    return tuple(f.code for f in _FORMS if f.own_evidence)


def alias_table() -> dict[str, str]:
    """Folded name -> code for every name a source may use: the code (``gr``) and its aliases
    (``grundskola``, ``komvux``, ...). Sources fold a cell before looking it up."""
    out: dict[str, str] = {}
    for f in _FORMS:
        for name in (f.code.lower(), *f.aliases):
            out[name] = f.code
    return out


def form_of_alias(name: str) -> str | None:
    """The code of the school form a source calls ``name`` (case and spaces ignored), or None."""
    return alias_table().get("".join(str(name).split()).lower())


def register_sheets() -> dict[str, str]:
    """Sheet name -> code of the skolenhetsregister workbook's school-form sheets, in read order."""
    return {sheet: f.code for f in _FORMS for sheet in f.register_sheets}
