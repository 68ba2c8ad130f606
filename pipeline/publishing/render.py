"""One Jinja environment for the section views (autoescape on).

Every piece of HTML a page is made of comes from ``templates/views/``: the macros in
``macros.html.j2`` (number element, table, figure, footnotes, section, header) and the view
templates. Python passes plain strings (escaped by Jinja) or :class:`markupsafe.Markup` made by
these macros; no HTML is built by string concatenation.

``M`` is the macro module: ``M.tal({"data-varde": "1.5"}, "1,5")`` returns ``Markup``.
Sentences with a number element inside a label (``"Ökning med {delta} ..."``) are filled with
:func:`fill`, which escapes the label and every plain argument.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates" / "views"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The views' template environment (one per process)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


@lru_cache(maxsize=1)
def _macros() -> Any:
    return environment().get_template("macros.html.j2").module


class _Macros:
    """Attribute access to the macros of ``macros.html.j2`` (loaded on first use)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_macros(), name)


M = _Macros()


def render(template: str, **context: Any) -> Markup:
    """Render one template of ``templates/views/`` to Markup."""
    return Markup(environment().get_template(template).render(**context))


def fill(label: str, **values: object) -> Markup:
    """A reader text with ``{placeholders}`` filled: the label and plain values are escaped,
    Markup values (number elements) are kept."""
    return Markup.escape(label).format(**values)


def join(parts: list[Any] | tuple[Any, ...], sep: str = "") -> Markup:
    """Join Markup pieces (plain strings among them are escaped)."""
    return Markup.escape(sep).join(parts)
