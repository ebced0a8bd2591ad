"""``xxgk check``: dataset-level validation, a findings summary, and the state of the store.

Cross-year (9, 10) and near-duplicate (15) findings are written back into ``findings`` with
``scope = "dataset"``, replacing the previous check's, so analysts query every finding in one
table. On a read-only dataset they are computed and reported, not stored.

The store's own findings come with it: files set aside as unreadable (``OUT/_quarantine/``, or
named but left in place when the root is read-only) mean rows are missing from the dataset,
and documents that could not be fetched are counted by error code.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from collector.errors import ReadOnlyStore
from collector.store.dataset import Dataset
from collector.validate import rule_name, validate_dataset


def check_dataset(root: str | Path, run_id: str | None = None) -> dict[str, Any]:
    """Validate the dataset at ``root``; its findings rows carry ``run_id`` (default: a new id for this check)."""
    from collector.workspace import new_run_id

    run_id = run_id or new_run_id()
    ds = Dataset(root)  # a writable root is repaired first; a read-only one is only read
    reports = ds.read("reports").to_pylist()
    found = validate_dataset(reports)
    by_id = {r["report_id"]: r for r in reports}
    rows = [
        {"report_id": rid, "report_year": by_id[rid].get("report_year"), "rule": f.rule, "severity": f.severity,
         "message": f.message, "fields": f.fields, "scope": "dataset", "agency_name": by_id[rid].get("agency_name"),
         "run_id": run_id}
        for rid, f in found
    ]
    stored = not ds.read_only
    if stored:
        try:
            ds.write_rows("findings", rows, drop_keys={f"{rid}\x1fdataset" for rid in by_id})
        except ReadOnlyStore:
            stored = False
    findings = ds.read("findings").to_pylist()
    if not stored:  # what the check found, in place of the last stored check's findings
        findings = [f for f in findings if f.get("scope") != "dataset"] + rows
    counts: Counter[tuple[int, str]] = Counter()
    example: dict[tuple[int, str], str] = {}
    for f in findings:
        k = (f["rule"], f["severity"])
        counts[k] += 1
        example.setdefault(k, f"{f.get('agency_name')} {f.get('report_year')}: {f['message']}")
    docs = ds.read("documents", columns=["status", "error_code"]).to_pylist()
    not_fetched = Counter(d["error_code"] or "unknown" for d in docs if d["status"] == "fetch_failed")
    return {
        "reports": len(reports),
        "documents": len(docs),
        "failed_documents": sum(1 for d in docs if d["status"] == "failed"),
        "fetch_failures": sum(not_fetched.values()),
        "fetch_failures_by_code": dict(sorted(not_fetched.items())),
        "blocked_documents": sum(1 for d in docs if d["status"] == "blocked"),
        "dataset_findings": len(rows),
        "by_rule": [{"rule": r, "name": rule_name(r), "severity": s, "count": n, "example": example[(r, s)]}
                    for (r, s), n in sorted(counts.items())],
        "reports_with_errors": len({f["report_id"] for f in findings if f["severity"] == "error"}),
        "store": {
            "read_only": ds.read_only,
            "dataset_findings_stored": stored,
            "quarantined": ds.quarantine_notes(),
            "unreadable": [{"path": p, "reason": why} for p, why in sorted(ds.unreadable.items())],
            "pending_commits": ds.pending_commits(),
        },
    }


def damaged(summary: dict[str, Any]) -> bool:
    """Rows are missing: a file was quarantined (now or earlier) or could not be read."""
    return bool(summary["store"]["quarantined"] or summary["store"]["unreadable"])
