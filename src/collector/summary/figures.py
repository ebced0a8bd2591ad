"""The dataset summary's figures, computed with DuckDB over the dataset's tables.

What an analyst looks at first: coverage by province and year, which portals miss a year,
timeliness against the legal deadline, findings by rule, the spread of key figures by year and
data quality per portal. The tables are read through :class:`Dataset` (so a dataset of an older
layout reads too) and queried in DuckDB; the deadline comes from the same function as rule 13.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from collector.schema import schema_version
from collector.store.dataset import Dataset
from collector.validate.catalog import rule_name
from collector.validate.rules import deadline

UNKNOWN_PROVINCE = "(unknown)"
FAILED = "('failed', 'blocked')"  # documents.status of a document that could not be read
NO_PORTAL = "(no portal)"
_REPORT_COLS = [
    "report_id", "report_year", "portal_id", "region__province", "agency_name", "agency_name_normalized", "org_code",
    "agency_type", "format_version", "published_date", "parse_status", "validation__errors", "validation__warnings",
    "s3__new_received__total", "derived__s3__new_received__total", "derived__grant_rate",
    *(f"s4__{b}__{c}" for b in ("review", "litigation_direct", "litigation_after_review")
      for c in ("upheld", "corrected", "other", "pending", "total")),
]


def _s4_total(block: str) -> str:
    """四 block total as printed; a blank 总计 counts as the sum of its parts (as for 三), if any is filled."""
    parts = [f"s4__{block}__{c}" for c in ("upheld", "corrected", "other", "pending")]
    any_part = " or ".join(f"{p} is not null" for p in parts)
    summed = " + ".join(f"coalesce({p}, 0)" for p in parts)
    return f"coalesce(s4__{block}__total, case when {any_part} then {summed} end)"


# metric -> (label, SQL expression over reports, unit, has a meaningful sum)
METRICS: dict[str, tuple[str, str, str, bool]] = {
    "applications": ("applications received (三 本年新收, 总计)",
                     "coalesce(s3__new_received__total, derived__s3__new_received__total)", "件", True),
    "grant_rate": ("grant rate ((予以公开 + 部分公开) / 办理结果总计)", "derived__grant_rate", "ratio 0–1", False),
    "reviews": ("administrative reviews (四 行政复议 总计)", _s4_total("review"), "件", True),
    "lawsuits": ("lawsuits (四 行政诉讼 总计, direct + after review)",
                 f"case when {_s4_total('litigation_direct')} is null and {_s4_total('litigation_after_review')} is null "
                 f"then null else coalesce({_s4_total('litigation_direct')}, 0) + "
                 f"coalesce({_s4_total('litigation_after_review')}, 0) end", "件", True),
}
AGENCY_KEY = "coalesce(org_code, agency_name_normalized, agency_name)"


@dataclass(slots=True)
class DatasetSummary:
    """The figures of one dataset; every list is rows of one table (dicts keyed by column)."""

    root: str
    generated_at: str
    schema_version: str
    overview: dict[str, Any]
    years: list[int]
    coverage: list[dict[str, Any]]      # province, report_year, reports
    portals: list[dict[str, Any]]       # portal_id, reports, first_year, last_year, years, missing_years, agencies_with_gap
    timeliness: list[dict[str, Any]]    # report_year, deadline, reports, on_time, late, before_year_end, no_date, ...
    findings: list[dict[str, Any]]      # rule, name, severity, findings, reports
    figures: list[dict[str, Any]]       # metric, report_year, reports, total, mean, min, p10, p25, median, p75, p90, max
    quality: list[dict[str, Any]]       # portal_id, reports, parse_ok, ..., clean, clean_share, documents_failed
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _deadline(year: int | None, agency_type: str | None) -> date | None:
    return deadline({"report_year": year, "agency_type": agency_type}) if year else None


def connect(root: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the dataset's tables (current layout) as ``reports``, ``findings``, ``documents``.

    ``xxgk_deadline(report_year, agency_type)`` is rule 13's deadline (collector.validate.rules).
    """
    ds = Dataset(root, repair=False)
    con = duckdb.connect()
    tables: dict[str, pa.Table] = {
        "reports": ds.read("reports", columns=_REPORT_COLS),
        "findings": ds.read("findings", columns=["report_id", "report_year", "rule", "severity", "scope"]),
        "documents": ds.read("documents", columns=["source_url", "document_sha256", "status", "portal_id",
                                                   "report_id", "processed_at"]),
    }
    for name, t in tables.items():
        con.register(f"{name}_arrow", t)
        con.execute(f"create table {name} as select * from {name}_arrow")
        con.unregister(f"{name}_arrow")
    con.create_function("xxgk_deadline", _deadline, ["BIGINT", "VARCHAR"], "DATE", null_handling="special")
    return con


def _overview(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    o = _rows(con, f"""
        select count(*) as reports, count(distinct {AGENCY_KEY}) as agencies,
               count(distinct portal_id) as portals, count(distinct region__province) as provinces,
               min(report_year) as first_year, max(report_year) as last_year,
               count(*) filter (where validation__errors > 0) as reports_with_errors,
               count(*) filter (where parse_status = 'ok') as parsed_ok
        from reports""")[0]
    # the newest row of each document URL: a republished page's older versions are history
    o.update(_rows(con, f"""
        with latest as (select * from documents qualify row_number() over
                        (partition by source_url order by processed_at desc nulls last) = 1)
        select count(*) as documents,
               count(*) filter (where status in {FAILED}) as documents_failed
        from latest""")[0])
    return o


def _coverage(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _rows(con, f"""
        select coalesce(region__province, '{UNKNOWN_PROVINCE}') as province, report_year, count(*) as reports
        from reports where report_year is not null group by all order by province, report_year""")


def _portals(con: duckdb.DuckDBPyConnection, years: list[int]) -> list[dict[str, Any]]:
    """Per portal: years present, years of the dataset's range it has no report for, agencies with a gap."""
    rows = _rows(con, f"""
        with r as (select coalesce(portal_id, '{NO_PORTAL}') as portal_id, report_year, {AGENCY_KEY} as agency
                   from reports where report_year is not null),
        spans as (select portal_id, agency, min(report_year) as a, max(report_year) as b,
                         count(distinct report_year) as n from r group by all),
        gaps as (select portal_id, count(*) filter (where b - a + 1 > n) as agencies_with_gap from spans group by all)
        select portal_id, count(*) as reports, min(report_year) as first_year, max(report_year) as last_year,
               list(distinct report_year order by report_year) as years, any_value(g.agencies_with_gap) as agencies_with_gap
        from r join gaps g using (portal_id) group by portal_id order by portal_id""")
    for row in rows:
        row["missing_years"] = [y for y in years if y not in set(row["years"])]
    return rows


def _timeliness(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _rows(con, """
        with t as (select report_year, published_date, xxgk_deadline(report_year, agency_type) as due
                   from reports where report_year is not null)
        select report_year, due as deadline, count(*) as reports,
               count(*) filter (where published_date is not null and published_date <= due
                                and published_date >= make_date(report_year::int, 12, 1)) as on_time,
               count(*) filter (where published_date > due) as late,
               count(*) filter (where published_date < make_date(report_year::int, 12, 1)) as before_year_end,
               count(*) filter (where published_date is null) as no_date,
               median(published_date - due) filter (where published_date > due) as median_days_late,
               max(published_date - due) filter (where published_date > due) as max_days_late
        from t group by all order by report_year, deadline""")


def _findings(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = _rows(con, """
        select rule, severity, count(*) as findings, count(distinct report_id) as reports
        from findings group by rule, severity
        order by case severity when 'error' then 0 when 'warning' then 1 else 2 end, findings desc, rule""")
    for r in rows:
        r["name"] = rule_name(r["rule"])
    return rows


def _figures(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    out = []
    for key, (_, expr, _, summable) in METRICS.items():
        total = "sum(v)" if summable else "null"
        out += _rows(con, f"""
            with v as (select report_year, ({expr})::double as v from reports where report_year is not null)
            select '{key}' as metric, report_year, count(v) as reports, {total} as total, avg(v) as mean,
                   min(v) as min, quantile_cont(v, 0.10) as p10, quantile_cont(v, 0.25) as p25,
                   median(v) as median, quantile_cont(v, 0.75) as p75, quantile_cont(v, 0.90) as p90, max(v) as max
            from v group by report_year order by report_year""")
    return out


def _quality(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Per portal: how the reports parsed, how many drew errors or warnings, share clean, documents not read."""
    return _rows(con, f"""
        with q as (
            select coalesce(portal_id, '{NO_PORTAL}') as portal_id, count(*) as reports,
                   count(*) filter (where parse_status = 'ok') as parse_ok,
                   count(*) filter (where parse_status = 'partial') as parse_partial,
                   count(*) filter (where parse_status = 'text_only') as text_only,
                   count(*) filter (where validation__errors > 0) as with_errors,
                   count(*) filter (where coalesce(validation__errors, 0) = 0
                                    and validation__warnings > 0) as warnings_only,
                   count(*) filter (where parse_status = 'ok' and coalesce(validation__errors, 0) = 0
                                    and coalesce(validation__warnings, 0) = 0) as clean
            from reports group by all),
        d as (select coalesce(portal_id, '{NO_PORTAL}') as portal_id,
                     count(*) filter (where status in {FAILED}) as documents_failed
              from (select * from documents qualify row_number() over
                    (partition by source_url order by processed_at desc nulls last) = 1)
              group by all)
        select q.*, round(q.clean / q.reports, 4) as clean_share, coalesce(d.documents_failed, 0) as documents_failed
        from q left join d using (portal_id) order by q.portal_id""")


def summarise(root: str | Path) -> DatasetSummary:
    """All the summary's figures for the dataset at ``root`` (an empty dataset gives empty tables)."""
    con = connect(root)
    try:
        overview = _overview(con)
        first, last = overview["first_year"], overview["last_year"]
        years = list(range(first, last + 1)) if first is not None else []
        notes = ["Missing years are the years of the dataset's range (first to last report year) for which a "
                 "portal has no report; an agency with a gap has reports before and after a year it lacks.",
                 "Deadlines (条例 art. 49): departments 31 January, governments (and townships, which follow "
                 "local rules) 31 March of the next year; every report before 2019 31 March (rule 13).",
                 "四 totals: a blank 总计 counts as the sum of its filled parts."]
        return DatasetSummary(
            root=str(root), generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
            schema_version=schema_version(), overview=overview, years=years, coverage=_coverage(con),
            portals=_portals(con, years), timeliness=_timeliness(con), findings=_findings(con),
            figures=_figures(con), quality=_quality(con), notes=notes)
    finally:
        con.close()


__all__ = ["AGENCY_KEY", "METRICS", "DatasetSummary", "connect", "summarise"]
