"""Validation at the boundary: pandera models for every canonical table."""

from pipeline.validate.schemas import CANONICAL_TABLES, INDICATOR_COLUMNS, validate_table

__all__ = ["CANONICAL_TABLES", "INDICATOR_COLUMNS", "validate_table"]
