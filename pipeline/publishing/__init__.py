"""Publishing: pages rendered in the notebooks, and the report built from them.

The orchestrator's entry point is :func:`publish` (see :mod:`pipeline.publishing.build`); it is
imported lazily so that notebooks importing :mod:`pipeline.publishing.pages` stay light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["publish"]


def __getattr__(name: str) -> Any:
    if name == "publish":
        from pipeline.publishing.build import publish

        return publish
    raise AttributeError(f"module 'pipeline.publishing' has no attribute {name!r}")
