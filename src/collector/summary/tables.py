"""The summary as titled tables of display strings: one definition for the HTML report and the markdown artifact.

Each :class:`Section` is one question an analyst asks (coverage, missing years, timeliness,
findings, key figures, data quality); HTML adds a chart to it, markdown prints it as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from collector.summary.figures import METRICS, DatasetSummary


@dataclass(slots=True)
class Section:
    key: str
    title: str
    intro: str
    columns: list[str]
    rows: list[list[str]]
    more: int = 0                     # rows left out of ``rows`` (long tables are cut, the rest counted)
    notes: list[str] = field(default_factory=list)

    def numeric(self) -> list[bool]:
        """Per column: every cell is a number (or blank), so it is right-aligned."""
        return [all(_NUMBER.fullmatch(r[i]) for r in self.rows) if self.rows else False
                for i in range(len(self.columns))]


_NUMBER = re.compile(r"–|-?[\d,]+(\.\d+)?( %)?")


def fmt(v: Any, kind: str = "") -> str:
    """Display one value: blank for null, thousands separators, shares as percentages."""
    if v is None:
        return "–"
    if kind == "share":
        return f"{v * 100:.1f} %"
    if isinstance(v, float):
        if kind == "rate":
            return f"{v:.3f}"
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v) if v else "–"
    return str(v)


def _cut(rows: list[list[str]], limit: int | None) -> tuple[list[list[str]], int]:
    if limit is None or len(rows) <= limit:
        return rows, 0
    return rows[:limit], len(rows) - limit


def coverage(s: DatasetSummary) -> Section:
    provinces = sorted({r["province"] for r in s.coverage})
    counts = {(r["province"], r["report_year"]): r["reports"] for r in s.coverage}
    rows = []
    for p in provinces:
        per = [counts.get((p, y), 0) for y in s.years]
        rows.append([p, *(fmt(n) for n in per), fmt(sum(per))])
    totals = [sum(counts.get((p, y), 0) for p in provinces) for y in s.years]
    if rows:
        rows.append(["total", *(fmt(n) for n in totals), fmt(sum(totals))])
    return Section("coverage", "Reports by province and year", "Reports in the dataset, by the province of the "
                   "publishing body (from the portal configuration or the text) and report year.",
                   ["province", *(str(y) for y in s.years), "total"], rows)


def missing_years(s: DatasetSummary, limit: int | None = None) -> Section:
    gaps = [p for p in s.portals if p["missing_years"] or p["agencies_with_gap"]]
    rows = [[p["portal_id"], fmt(p["reports"]), fmt(p["years"]), fmt(p["missing_years"]), fmt(p["agencies_with_gap"])]
            for p in gaps]
    rows, more = _cut(rows, limit)
    intro = (f"{len(gaps)} of {len(s.portals)} portals miss a year of the dataset's range "
             f"({s.years[0]}–{s.years[-1]}) or have agencies with a gap." if s.years else "No reports yet.")
    return Section("missing", "Portals missing a year", intro,
                   ["portal", "reports", "years present", "missing years", "agencies with a gap"], rows, more)


def timeliness(s: DatasetSummary) -> Section:
    rows = [[str(t["report_year"]), fmt(t["deadline"]), fmt(t["reports"]), fmt(t["on_time"]), fmt(t["late"]),
             fmt(t["before_year_end"]), fmt(t["no_date"]), fmt(t["median_days_late"]), fmt(t["max_days_late"])]
            for t in s.timeliness]
    return Section("timeliness", "Timeliness against the legal deadline",
                   "Published date against the deadline that applies to the publisher (rule 13). 'Before year end' "
                   "dates precede the end of the year reported on: the date is suspect.",
                   ["year", "deadline", "reports", "on time", "late", "before year end", "no date",
                    "median days late", "max days late"], rows)


def findings(s: DatasetSummary) -> Section:
    rows = [[str(f["rule"]), f["name"], f["severity"], fmt(f["findings"]), fmt(f["reports"])] for f in s.findings]
    n = sum(f["findings"] for f in s.findings)
    return Section("findings", "Validation findings by rule", f"{n:,} findings; 'reports' counts the reports with "
                   "at least one. Error = a hard rule failed (the report or its reading is wrong); warning = a "
                   "deviation; info explains a derived value.", ["rule", "name", "severity", "findings", "reports"],
                   rows)


def key_figures(s: DatasetSummary) -> list[Section]:
    out = []
    for key, (label, _, unit, summable) in METRICS.items():
        kind = "rate" if unit.startswith("ratio") else ""
        rows = [[str(f["report_year"]), fmt(f["reports"]), *([fmt(f["total"])] if summable else []),
                 *(fmt(f[q], kind) for q in ("median", "p25", "p75", "p90", "max"))]
                for f in s.figures if f["metric"] == key]
        cols = ["year", "reports with a value", *(["total"] if summable else []), "median", "p25", "p75", "p90", "max"]
        out.append(Section(f"figure-{key}", label[0].upper() + label[1:], f"Per report, by report year (unit: {unit}).",
                           cols, rows))
    return out


def quality(s: DatasetSummary, limit: int | None = None) -> Section:
    rows = [[q["portal_id"], fmt(q["reports"]), fmt(q["clean"]), fmt(q["clean_share"], "share"), fmt(q["with_errors"]),
             fmt(q["warnings_only"]), fmt(q["parse_partial"]), fmt(q["text_only"]), fmt(q["documents_failed"])]
            for q in s.quality]
    rows, more = _cut(rows, limit)
    return Section("quality", "Data quality per portal", "Clean = all tables read (parse status ok) and no error or "
                   "warning finding. Documents not read: fetched or stored documents that could not be parsed "
                   "(see the documents table).", ["portal", "reports", "clean", "clean share", "with errors",
                                                  "warnings only", "partly read", "text only", "documents not read"],
                   rows, more)


def sections(s: DatasetSummary, limit: int | None = None) -> list[Section]:
    """Every section, in reading order; ``limit`` cuts the per-portal tables (the rest is counted)."""
    return [coverage(s), missing_years(s, limit), timeliness(s), findings(s), *key_figures(s), quality(s, limit)]


def overview_line(s: DatasetSummary) -> str:
    o = s.overview
    span = f"{o['first_year']}–{o['last_year']}" if o["first_year"] is not None else "no years"
    return (f"{o['reports']:,} reports ({span}) from {o['agencies']:,} agencies on {o['portals']:,} portals in "
            f"{o['provinces']:,} provinces; {o['parsed_ok']:,} fully read, {o['reports_with_errors']:,} with errors; "
            f"{o['documents']:,} documents, {o['documents_failed']:,} not read. Schema {s.schema_version}.")


__all__ = ["Section", "fmt", "overview_line", "sections"]
