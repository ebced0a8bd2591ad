"""Validation: record rules (1–8, 11–14 of the spec) and dataset rules (9, 10, 15)."""

from collector.validate.dataset import validate_dataset
from collector.validate.rules import Finding, validate_record

__all__ = ["Finding", "validate_dataset", "validate_record"]
