"""Notebook signatures: the ``parameters`` cell read as a function signature (ploomber style).

A template's cell tagged ``parameters`` declares every parameter with a default value::

    skolform = "GR"
    skolenhetskod = ""
    lasar = 2024
    processed_dir = "../data/processed"
    params_dir = "../params"

:func:`check_parameters` compares the parameters of a job with it *before any kernel starts*:
a missing, unknown or wrongly typed parameter raises :class:`NotebookParameterError` naming the
template, the parameter and the fix.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.errors import NotebookParameterError

_TYPE_NAMES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


@dataclass(frozen=True)
class Parameter:
    """One parameter of a template.

    Attributes
    ----------
    name
        Variable name.
    default
        Default value (``None`` if it is not a literal).
    type
        Expected Python type, from the annotation or the default's type; ``None`` accepts anything.
    """

    name: str
    default: Any
    type: type | None


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def parse_parameters_cell(source: str, *, template: str = "<notebook>") -> dict[str, Parameter]:
    """Parse the source of a ``parameters`` cell into ``{name: Parameter}``.

    Raises
    ------
    NotebookParameterError
        The cell is not valid Python.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NotebookParameterError(
            f"{template}: the 'parameters' cell is not valid Python (line {exc.lineno}: {exc.msg}). "
            "Fix the cell so that it only assigns literal defaults, e.g. `lasar = 2024`."
        ) from None
    out: dict[str, Parameter] = {}
    value: ast.expr | None
    annotation: ast.expr | None
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            value, annotation = node.value, None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets, value, annotation = [node.target.id], node.value, node.annotation
        else:
            continue
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError:
            default = None
        typ: type | None = None
        if isinstance(annotation, ast.Name) and annotation.id in _TYPE_NAMES:
            typ = _TYPE_NAMES[annotation.id]
        elif default is not None:
            typ = type(default)
        for name in targets:
            out[name] = Parameter(name=name, default=default, type=typ)
    return out


def notebook_parameters(template: Path) -> dict[str, Parameter]:
    """The parameters declared in a template's cell tagged ``parameters``.

    Raises
    ------
    NotebookParameterError
        The template is missing, not a notebook, or has no cell tagged ``parameters``.
    """
    template = Path(template)
    try:
        stat = template.stat()
    except FileNotFoundError:
        raise NotebookParameterError(
            f"Notebook template {template} not found. Every school form names its template in "
            "pipeline/school_forms.py; create the notebook in notebooks/ or correct the registry."
        ) from None
    return _cached_parameters(str(template), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _cached_parameters(path: str, _mtime: int, _size: int) -> dict[str, Parameter]:
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotebookParameterError(f"{path}: not a readable notebook (JSON): {exc}.") from None
    for cell in nb.get("cells", []):
        if "parameters" in (cell.get("metadata", {}).get("tags") or []):
            return parse_parameters_cell(_source(cell), template=path)
    raise NotebookParameterError(
        f"{path}: no cell tagged 'parameters'. Tag the cell that assigns the defaults of "
        "skolform, skolenhetskod, lasar, processed_dir and params_dir with 'parameters' "
        "(JupyterLab: Property Inspector > Cell Tags)."
    )


def _type_ok(value: Any, expected: type | None) -> bool:
    if expected is None or value is None:
        return True
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def check_parameters(template: Path, parameters: dict[str, Any], *, job: str = "") -> None:
    """Check ``parameters`` against the template's ``parameters`` cell, before any kernel starts.

    Parameters
    ----------
    template
        The notebook template.
    parameters
        What the job will inject.
    job
        The job's name, for the message.

    Raises
    ------
    NotebookParameterError
        A declared parameter is not passed, an unknown one is passed, or one has the wrong type.
    """
    declared = notebook_parameters(template)
    where = f"{template}" + (f" (job {job})" if job else "")
    missing = sorted(set(declared) - set(parameters))
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise NotebookParameterError(
            f"{where}: unknown parameter(s) {', '.join(repr(u) for u in unknown)}; the template's "
            f"'parameters' cell declares {', '.join(repr(d) for d in declared) or 'nothing'}. "
            "Add a default for it to the 'parameters' cell, or stop passing it."
        )
    if missing:
        raise NotebookParameterError(
            f"{where}: missing parameter(s) {', '.join(repr(m) for m in missing)}: the template "
            "declares them in its 'parameters' cell but the job does not pass them. Pass them "
            "(see docs/contracts.md, 'Notebook parameters') or remove them from the template."
        )
    for name, value in parameters.items():
        expected = declared[name].type
        if expected is not None and not _type_ok(value, expected):
            raise NotebookParameterError(
                f"{where}: parameter {name!r} must be {expected.__name__} (its default in the "
                f"'parameters' cell is {declared[name].default!r}), got {value!r} "
                f"({type(value).__name__}). Pass a {expected.__name__}, or change the default."
            )
