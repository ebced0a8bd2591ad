"""Validation: record rules (1–8, 11–14 of the spec; 21–25 for legacy records) and dataset rules (9, 10, 15, 26)."""

from collector.validate.dataset import validate_dataset
from collector.validate.rules import Finding, validate_record

__all__ = ["Finding", "validate_dataset", "validate_record"]
