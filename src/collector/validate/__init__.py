"""Validation: record rules (1–8, 11–14 of the spec, 16, 17; 21–25 for legacy records) and dataset rules
(9, 10, 15, 26); their names (catalog).
"""

from collector.validate.catalog import RULES, rule_label, rule_name
from collector.validate.dataset import validate_dataset
from collector.validate.rules import Finding, validate_record

__all__ = ["RULES", "Finding", "rule_label", "rule_name", "validate_dataset", "validate_record"]
