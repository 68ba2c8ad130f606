"""Escaping helpers for the HTML fragments that are still written in Python.

The section views render through autoescaped Jinja templates (``templates/``); these two
helpers remain for the fragments not yet moved there.
"""

from __future__ import annotations

import html
from collections.abc import Mapping


def attrs(mapping: Mapping[str, object]) -> str:
    """Render HTML attributes, escaped, in the given order (deterministic)."""
    return "".join(f' {k}="{html.escape(str(v), quote=True)}"' for k, v in mapping.items())


def esc(text: object) -> str:
    """Escape text for HTML."""
    return html.escape(str(text), quote=True)
