"""Where things live. One place, so tests can point the whole pipeline at a temp dir."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ProjectPaths:
    """The folders of one project (the repository, or a temp dir in tests)."""

    root: Path = REPO_ROOT
    # None given: the default below ``root``, set in __post_init__ (so always a Path after it)
    raw: Path = None  # type: ignore[assignment]
    params: Path = None  # type: ignore[assignment]
    processed: Path = None  # type: ignore[assignment]
    reports: Path = None  # type: ignore[assignment]
    #: The per-source folder name below the base ``processed`` (None: the default data set).
    source: str | None = None

    def __post_init__(self) -> None:
        root = Path(self.root)
        object.__setattr__(self, "root", root)
        for name, default in (
            ("raw", root / "data" / "raw"),
            ("params", root / "params"),
            ("processed", root / "data" / "processed"),
            ("reports", root / "reports"),
        ):
            value = getattr(self, name)
            object.__setattr__(self, name, Path(value) if value is not None else default)

    def for_source(self, data_dir: Path | None, kommun: str | None) -> ProjectPaths:
        """These paths with ``processed`` set to the processed folder of one data source.

        The default data set (``data/raw/``, or ``DATA`` pointing at it, without ``KOMMUN``) keeps
        ``data/processed/``, which the notebooks' defaults read. Any other data folder or kommun
        gets its own folder ``data/processed/<slug>/`` (see :func:`source_slug`), so a ``DATA=``
        run never overwrites the tables the demo and the notebooks use. Idempotent.
        """
        slug = source_slug(data_dir, kommun, default_raw=self.raw)
        if self.source is not None:
            if slug is not None and slug != self.source:
                raise ValueError(f"paths already point at source {self.source!r}, not {slug!r}")
            return self
        if slug is None:
            return self
        return replace(self, processed=self.processed / slug, source=slug)

    @property
    def notebooks(self) -> Path:
        """Notebook templates always come from the code, not from the data project."""
        return REPO_ROOT / "notebooks"

    def report_dir(self, lasar: int) -> Path:
        """``reports/<YEAR>``."""
        return self.reports / str(lasar)

    @property
    def indicator_table(self) -> Path:
        """The tidy indicator table, all years (parquet)."""
        return self.processed / "indikatorer.parquet"


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "data"


def source_slug(data_dir: Path | None, kommun: str | None, *, default_raw: Path) -> str | None:
    """The folder name of a data source's processed tables, or None for the default data set.

    ``<data folder name>-<kommunkod>`` (``-alla`` without a kommun), ASCII, lower case: e.g.
    ``realdata-0192`` for ``DATA=../shared/realdata KOMMUN=0192``. The processed tables' stamp
    records the full path of the raw folder, so two folders of the same name never mix: the second
    simply reads its raw data again.
    """
    same_raw = data_dir is None or Path(data_dir).resolve() == Path(default_raw).resolve()
    if same_raw and kommun is None:
        return None
    name = Path(default_raw if data_dir is None else data_dir).resolve().name
    return f"{_slug(name)}-{kommun or 'alla'}"
