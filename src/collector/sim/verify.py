"""Compare a crawl's Parquet output with the simulator's ground truth.

Used by the crawl tests and by ``xxgk sim --check OUT``: every truth report must be in
``OUT/reports`` (matched by its page URL), with its year, format and every number of 二/三/四
(legacy reports: every ``legacy`` field, null where the report is silent) as generated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collector.sim.truth import flat_numbers


@dataclass(slots=True)
class Verification:
    expected: int = 0
    found: int = 0
    missing: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)   # stored reports that are not in the truth

    @property
    def ok(self) -> bool:
        return not self.missing and not self.mismatches and not self.extra


def read_reports(out_root: str | Path) -> list[dict[str, Any]]:
    """Every reports row, read with the current schema (files written by an older schema lack columns)."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    from collector.schema import reports_schema
    from collector.store.location import scheme

    if scheme(out_root) is not None:  # an object store: read what the library commits
        from collector.store.dataset import Dataset

        return Dataset(out_root, repair=False).read("reports").to_pylist()
    path = Path(out_root) / "reports"
    if not path.exists():
        return []
    part = ds.partitioning(pa.schema([("report_year", pa.int64())]), flavor="hive")
    return ds.dataset(str(path), format="parquet", partitioning=part, schema=reports_schema()).to_table().to_pylist()


def _same(a: Any, b: Any) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None
    if b is None:
        return False
    if isinstance(a, str) or isinstance(b, str):  # legacy.fees_unit
        return a == b
    return abs(float(a) - float(b)) < 1e-6


def verify(out_root: str | Path, truth: list[dict[str, Any]]) -> Verification:
    rows = read_reports(out_root)
    by_url: dict[str, dict[str, Any]] = {}
    for r in rows:
        for k in ("canonical_url", "source_url"):
            if r.get(k):
                by_url.setdefault(str(r[k]), r)
    v = Verification(expected=len(truth))
    seen: set[int] = set()
    for item in truth:
        row = by_url.get(item["url"])
        if row is None:
            v.missing.append(f"{item['key']} {item['url']}")
            continue
        v.found += 1
        seen.add(id(row))
        rec = item["record"]
        for k in ("report_year", "format_version"):
            if row.get(k) != rec.get(k):
                v.mismatches.append(f"{item['key']}: {k} {row.get(k)!r} != {rec.get(k)!r}")
        for path, value in flat_numbers(rec).items():
            col = path.replace(".", "__")
            if col not in row:
                v.mismatches.append(f"{item['key']}: no column {col}")
            elif not _same(row[col], value):
                v.mismatches.append(f"{item['key']} ({item['media']}): {path} = {row[col]!r}, truth {value!r}")
    v.extra = [str(r.get("source_url")) for r in rows if id(r) not in seen]
    return v
