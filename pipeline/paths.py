"""Where things live. One place, so tests can point the whole pipeline at a temp dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ProjectPaths:
    """The folders of one project (the repository, or a temp dir in tests)."""

    root: Path = REPO_ROOT
    raw: Path | None = None
    params: Path | None = None
    processed: Path | None = None
    reports: Path | None = None

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
