"""``xxgk check``: dataset-level validation and a findings summary.

Cross-year (9, 10) and near-duplicate (15) findings are written back into ``findings`` with
``scope = "dataset"``, replacing the previous check's, so analysts query every finding in one
table.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from collector.store.dataset import Dataset
from collector.validate import rule_name, validate_dataset


def check_dataset(root: str | Path) -> dict[str, Any]:
    ds = Dataset(root)
    reports = ds.read("reports").to_pylist()
    found = validate_dataset(reports)
    by_id = {r["report_id"]: r for r in reports}
    rows = [
        {"report_id": rid, "report_year": by_id[rid].get("report_year"), "rule": f.rule, "severity": f.severity,
         "message": f.message, "fields": f.fields, "scope": "dataset", "agency_name": by_id[rid].get("agency_name")}
        for rid, f in found
    ]
    with ds.lock():
        stale = {f"{rid}\x1fdataset" for rid in by_id}
        ds.write_rows("findings", rows, drop_keys=stale)
    findings = ds.read("findings").to_pylist()
    counts: Counter[tuple[int, str]] = Counter()
    example: dict[tuple[int, str], str] = {}
    for f in findings:
        k = (f["rule"], f["severity"])
        counts[k] += 1
        example.setdefault(k, f"{f.get('agency_name')} {f.get('report_year')}: {f['message']}")
    docs = ds.read("documents", columns=["status"]).column("status").to_pylist()
    return {
        "reports": len(reports),
        "documents": len(docs),
        "failed_documents": sum(1 for s in docs if s == "failed"),
        "dataset_findings": len(rows),
        "by_rule": [{"rule": r, "name": rule_name(r), "severity": s, "count": n, "example": example[(r, s)]}
                    for (r, s), n in sorted(counts.items())],
        "reports_with_errors": len({f["report_id"] for f in findings if f["severity"] == "error"}),
    }
