"""Rule 16 (project rule, beyond the spec's 1–15): suspect OCR readings.

OCR misreads digits (8↔3, 1↔7, a dropped digit), so a scanned table's numbers are not trusted
on their own: every cell the recogniser was unsure of is named (its least certain character
below :data:`~collector.models.OCR_LOW_CONFIDENCE`, or two readings of it that disagreed), a
cell with ink that read as nothing is named too, and where a template sum does not add up
(rules 1, 2, 3, 5) the least confident cells of that sum are named as the likely misreads.
Nothing is corrected — the arithmetic only points: an analyst, or a better scan, decides.
"""

from __future__ import annotations

from collections.abc import Iterable

from collector.models import OCR_LOW_CONFIDENCE as LOW_CONFIDENCE
from collector.models import CellValue
from collector.validate.rules import Finding

SUM_RULES = {1, 2, 3, 5}


def ocr_findings(cells: dict[str, CellValue], findings: Iterable[Finding]) -> list[Finding]:
    """Rule 16 findings for the OCR'd ``cells`` of one record, given its other ``findings``."""
    scored = {p: c for p, c in cells.items() if c.confidence is not None}
    if not scored:
        return []
    out: dict[str, Finding] = {}
    for path, c in sorted(scored.items()):
        if c.confidence is None or c.confidence >= LOW_CONFIDENCE:
            continue
        if not c.raw:
            msg = f"OCR found ink but could not read it ({c.where}); the cell is left blank"
        else:
            msg = f"OCR read {c.raw!r} with low confidence {c.confidence:.2f} ({c.where})"
        out[path] = Finding(16, "warning", msg, [path])
    for f in findings:
        if f.rule not in SUM_RULES or f.severity != "error":
            continue
        involved = [(scored[p].confidence or 0.0, p) for p in f.fields if p in scored and scored[p].raw]
        if not involved:
            continue
        lowest = min(conf for conf, _ in involved)
        for conf, path in involved:
            if conf <= lowest + 0.005 and path not in out:
                c = scored[path]
                out[path] = Finding(16, "warning", f"OCR misread suspected: {c.raw!r} (confidence {conf:.2f}, {c.where}) "
                                                   f"is in a sum that does not add up (rule {f.rule})", [path])
    return list(out.values())
