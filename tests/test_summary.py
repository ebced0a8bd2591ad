"""The summary report: its figures against independent DuckDB queries, its HTML and markdown, `xxgk report`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from collector.pipeline import SourceContext, process_document
from collector.store.dataset import Dataset
from collector.summary import DatasetSummary, render_html, summarise, summary_markdown, write_html
from collector.summary.markdown import cell
from tests.reportgen import make_record
from tests.reportgen import render_html as report_html

BJ, GD = {"province": "北京市"}, {"province": "广东省"}
# (portal, region, agency, year, published, tweak): built so every section has something to show
PLAN: list[tuple[str | None, dict | None, str, int, str | None, str]] = [
    ("p-a", BJ, "北京市统计局", 2021, "2022-01-20", ""),            # department, on time (31 Jan)
    ("p-a", BJ, "北京市统计局", 2022, "2023-02-15", "unbalanced"),  # department, late by 15 days; rule 1-3 errors
    ("p-a", BJ, "北京市统计局", 2023, "2024-01-30", "blank_totals"),
    ("p-a", BJ, "北京市人民政府", 2021, "2022-03-20", ""),          # government, on time (31 Mar)
    ("p-a", BJ, "北京市人民政府", 2023, "2024-04-10", "s4_blank"),  # government, late; no 2022: a gap year
    ("p-b", GD, "广东省财政厅", 2022, "2022-06-01", ""),            # before the year ended: suspect date
    ("p-b", GD, "广东省财政厅", 2023, None, ""),                    # no date; p-b has no 2021 at all
    (None, None, "某县交通运输局", 2023, "2024-01-05", ""),         # parsed from a file: no portal, no region
]


def _record(agency: str, year: int, published: str | None, tweak: str, seed: int) -> dict[str, Any]:
    rec = make_record("gb2021" if year >= 2021 else "gb2019", year, seed=seed, agency=agency)
    rec["published_date"] = published
    if tweak == "unbalanced":
        rec["s3"]["granted"]["natural_person"] += 3
    if tweak == "blank_totals":
        for row in ("new_received", "granted", "partially_granted", "results_total"):
            rec["s3"][row]["total"] = None
    if tweak == "s4_blank":
        rec["s4"]["review"]["total"] = None
        rec["s4"]["review"]["upheld"] = 2
    return rec


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("summary")
    outs = []
    for i, (portal, region, agency, year, published, tweak) in enumerate(PLAN):
        ctx = SourceContext(source_url=f"https://s.gov.cn/{i}.html", portal_id=portal, region=region,
                            report_year=year)
        o = process_document(report_html(_record(agency, year, published, tweak, seed=40 + i)), ctx)
        assert o.record is not None and o.record["report_year"] == year, (agency, year)
        assert str(o.record["published_date"])[:10] == str(published)[:10] if published else True
        outs.append(o)
    outs.append(process_document(b"\x00junk" * 100, SourceContext(source_url="https://s.gov.cn/x.bin", portal_id="p-b")))
    Dataset(out).write(outs)
    return out


@pytest.fixture(scope="module")
def summary(root: Path) -> DatasetSummary:
    return summarise(root)


def _q(root: Path, sql: str) -> list[tuple]:
    sql = sql.replace("REPORTS", f"read_parquet('{root}/reports/**/*.parquet', hive_partitioning = true)")
    sql = sql.replace("FINDINGS", f"read_parquet('{root}/findings/**/*.parquet', hive_partitioning = true)")
    sql = sql.replace("DOCUMENTS", f"read_parquet('{root}/documents/*.parquet')")
    return duckdb.sql(sql).fetchall()


def test_coverage_and_missing_years(root: Path, summary: DatasetSummary) -> None:
    expected = _q(root, "select coalesce(region__province, '(unknown)'), report_year, count(*) from REPORTS "
                        "group by all order by 1, 2")
    assert [(r["province"], r["report_year"], r["reports"]) for r in summary.coverage] == expected
    assert summary.years == [2021, 2022, 2023]
    by = {p["portal_id"]: p for p in summary.portals}
    assert by["p-b"]["missing_years"] == [2021] and by["p-a"]["missing_years"] == []
    assert by["p-a"]["agencies_with_gap"] == 1 and by["p-b"]["agencies_with_gap"] == 0  # 人民政府: 2021, 2023
    assert by["(no portal)"]["missing_years"] == [2021, 2022]
    present = _q(root, "select coalesce(portal_id, '(no portal)'), list(distinct report_year order by report_year) "
                       "from REPORTS group by all")
    for portal, years in present:
        assert by[portal]["years"] == years
        assert by[portal]["missing_years"] == [y for y in range(2021, 2024) if y not in years]


def test_timeliness_against_the_legal_deadline(root: Path, summary: DatasetSummary) -> None:
    expected = _q(root, """
        with t as (select report_year, published_date,
                          case when report_year < 2019 or agency_type is null
                                    or agency_type in ('人民政府', '办公厅(室)', '乡镇街道')
                               then make_date(report_year + 1, 3, 31) else make_date(report_year + 1, 1, 31) end as due
                   from REPORTS)
        select report_year, due, count(*),
               sum(case when published_date between make_date(report_year, 12, 1) and due then 1 else 0 end),
               sum(case when published_date > due then 1 else 0 end),
               sum(case when published_date < make_date(report_year, 12, 1) then 1 else 0 end),
               sum(case when published_date is null then 1 else 0 end)
        from t group by all order by 1, 2""")
    got = [(t["report_year"], t["deadline"], t["reports"], t["on_time"], t["late"], t["before_year_end"], t["no_date"])
           for t in summary.timeliness]
    assert got == [tuple(int(x) if isinstance(x, float) else x for x in r) for r in expected]
    late = {(t["report_year"], str(t["deadline"])): t for t in summary.timeliness if t["late"]}
    assert late[(2022, "2023-01-31")]["max_days_late"] == 15                 # the department, 15 Feb
    assert late[(2023, "2024-03-31")]["max_days_late"] == 10                 # the government, 10 Apr
    assert sum(t["before_year_end"] for t in summary.timeliness) == 1
    assert sum(t["no_date"] for t in summary.timeliness) == 1


def test_findings_by_rule_with_names(root: Path, summary: DatasetSummary) -> None:
    expected = _q(root, "select rule, severity, count(*), count(distinct report_id) from FINDINGS group by all")
    got = {(f["rule"], f["severity"]): (f["findings"], f["reports"]) for f in summary.findings}
    assert got == {(r, s): (n, k) for r, s, n, k in expected}
    named = {f["rule"]: f["name"] for f in summary.findings}
    assert named[2] == "三 （七）总计 = sum of the result rows" and named[13] == "published within the legal deadline"


def test_key_figures_match_duckdb(root: Path, summary: DatasetSummary) -> None:
    def s4(block: str) -> str:
        parts = ", ".join(f"s4__{block}__{c}" for c in ("upheld", "corrected", "other", "pending"))
        filled = f"list_filter([{parts}], lambda x: x is not null)"
        return f"coalesce(s4__{block}__total, case when len({filled}) > 0 then list_sum({filled}) end)"

    both = f"list_filter([{s4('litigation_direct')}, {s4('litigation_after_review')}], lambda x: x is not null)"
    exprs = {"applications": "coalesce(s3__new_received__total, derived__s3__new_received__total)",
             "grant_rate": "derived__grant_rate", "reviews": s4("review"),
             "lawsuits": f"case when len({both}) > 0 then list_sum({both}) end"}
    for metric, expr in exprs.items():
        expected = _q(root, f"""select report_year, count(v), sum(v), median(v), quantile_cont(v, 0.25),
                                       quantile_cont(v, 0.75), quantile_cont(v, 0.9), max(v)
                                from (select report_year, ({expr})::double as v from REPORTS) group by all order by 1""")
        got = [f for f in summary.figures if f["metric"] == metric]
        assert len(got) == len(expected) == 3, metric
        for f, (year, n, total, med, p25, p75, p90, mx) in zip(got, expected, strict=True):
            assert (f["report_year"], f["reports"]) == (year, n), metric
            for a, b in ((f["median"], med), (f["p25"], p25), (f["p75"], p75), (f["p90"], p90), (f["max"], mx)):
                assert a == pytest.approx(b), metric
            if metric != "grant_rate":
                assert f["total"] == pytest.approx(total), metric
    # the blank 总计 of 2023's first report is counted through its derived sum, not lost
    apps_2023 = next(f for f in summary.figures if f["metric"] == "applications" and f["report_year"] == 2023)
    assert apps_2023["reports"] == 4
    reviews_2023 = _q(root, "select count(*) from REPORTS where report_year = 2023 and s4__review__total is null")
    assert reviews_2023 == [(1,)]  # …and the blank 四 total counts as the sum of its parts
    assert next(f for f in summary.figures if f["metric"] == "reviews" and f["report_year"] == 2023)["reports"] == 4


def test_data_quality_per_portal(root: Path, summary: DatasetSummary) -> None:
    expected = _q(root, """select coalesce(portal_id, '(no portal)'), count(*),
                                  count(*) filter (where validation__errors > 0),
                                  count(*) filter (where parse_status = 'ok' and validation__errors = 0
                                                   and validation__warnings = 0)
                           from REPORTS group by all order by 1""")
    got = [(q["portal_id"], q["reports"], q["with_errors"], q["clean"]) for q in summary.quality]
    assert got == expected
    by = {q["portal_id"]: q for q in summary.quality}
    assert by["p-a"]["with_errors"] >= 1 and by["p-b"]["documents_failed"] == 1
    assert by["p-a"]["clean_share"] == pytest.approx(by["p-a"]["clean"] / by["p-a"]["reports"], abs=1e-4)
    assert summary.overview["documents_failed"] == _q(root, "select count(*) from DOCUMENTS where status = 'failed'")[0][0]


def test_markdown_and_html_carry_the_same_tables(root: Path, summary: DatasetSummary, tmp_path: Path) -> None:
    md = summary_markdown(summary, html_link="file:///x/summary.html")
    for title in ("Reports by province and year", "Portals missing a year", "Timeliness against the legal deadline",
                  "Validation findings by rule", "Applications received", "Grant rate", "Administrative reviews",
                  "Lawsuits", "Data quality per portal"):
        assert title in md
    assert "| p-b | 2 | 2022, 2023 | 2021 | 0 |" in md
    assert "[summary.html](file:///x/summary.html)" in md
    path = write_html(summary, tmp_path / "r" / "summary.html")
    html = path.read_text("utf-8")
    assert '<td>p-b</td><td class="num">2</td><td>2022, 2023</td><td>2021</td><td class="num">0</td>' in html
    assert html.count('class="chart"') == 9
    assert "vegaEmbed" in html and 'src="http' not in html and "<link" not in html  # no CDN: offline


def test_chart_specs_are_valid_vega_lite(summary: DatasetSummary) -> None:
    import jsonschema
    from altair.vegalite.v6.schema.core import load_schema

    from collector.summary.charts import charts

    specs = charts(summary)
    assert set(specs) == {"coverage", "missing", "timeliness", "findings", "quality", "figure-applications",
                          "figure-grant_rate", "figure-reviews", "figure-lawsuits"}
    validator = jsonschema.Draft7Validator(load_schema())
    for key, spec in specs.items():
        errors = [e.message for e in validator.iter_errors(spec)]
        assert not errors, (key, errors[:3])
    # the charts draw the tables' numbers: the coverage chart's data is the coverage table
    assert specs["coverage"]["data"]["values"] == summary.coverage


def test_text_from_reports_is_escaped() -> None:
    s = DatasetSummary(root="/x", generated_at="now", schema_version="2.0.0", overview={
        "reports": 1, "agencies": 1, "portals": 1, "provinces": 1, "first_year": 2023, "last_year": 2023,
        "reports_with_errors": 0, "parsed_ok": 1, "documents": 1, "documents_failed": 0}, years=[2023],
        coverage=[{"province": "<img src=x onerror=alert(1)>|省", "report_year": 2023, "reports": 1}],
        portals=[{"portal_id": "</script><script>alert(2)</script>", "reports": 1, "first_year": 2023,
                  "last_year": 2023, "years": [2023], "missing_years": [], "agencies_with_gap": 1}],
        timeliness=[], findings=[], figures=[], quality=[])
    html = render_html(s)
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "<script>alert(2)" not in html
    assert cell("a|b\nc") == "a\\|b c"
    assert "\\|省" in summary_markdown(s)


def test_xxgk_report_command(root: Path, tmp_path: Path) -> None:
    from tests.test_cli import xxgk

    target = tmp_path / "out.html"
    r = xxgk("report", str(root), "--html", str(target))
    assert r.returncode == 0, r.stderr
    assert "Reports by province and year" in r.stdout and str(target) in r.stderr
    assert target.stat().st_size > 100_000  # the inlined chart library
    bad = xxgk("report", str(tmp_path / "nope"))
    assert bad.returncode != 0 and "no such dataset" in bad.stderr and "Traceback" not in bad.stderr


# -- the HTML report in a real browser --------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=20000"]


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: scripts/install-system-deps.sh installs it")
        pytest.skip("chromium is not installed (scripts/install-system-deps.sh installs it)")
    return exe


@pytest.mark.slow
def test_html_report_renders_its_charts_in_headless_chromium(summary: DatasetSummary, tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    exe = _chromium()
    page = write_html(summary, tmp_path / "summary.html").as_uri()
    n_charts = page and (tmp_path / "summary.html").read_text("utf-8").count('class="chart"')
    base = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*base, "--dump-dom", page], capture_output=True, text=True, timeout=180).stdout
    assert f'data-charts-rendered="{n_charts}"' in dom and 'data-charts-failed="0"' in dom, dom[-2000:]
    charts = re.findall(r'<div class="chart[^"]*" data-spec="[^"]+"[^>]*>(.*?)<script type="application/json"', dom, re.S)
    assert len(charts) == n_charts and all("<svg" in c and "mark-" in c for c in charts)  # Vega drew marks

    shot = tmp_path / "shot.png"
    subprocess.run([*base, "--window-size=1280,6000", f"--screenshot={shot}", page], capture_output=True,
                   timeout=180, check=True)
    px = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3).astype(int)
    assert (px != 255).any(axis=1).mean() > 0.03  # not blank
    box = np.array([0x6B, 0xAE, 0xD6])  # the key figures' box colour: drawn only by the charts
    assert (np.abs(px - box) <= 6).all(axis=1).sum() > 500


def test_an_empty_dataset_summarises_to_empty_tables(tmp_path: Path) -> None:
    s = summarise(tmp_path)
    assert s.overview["reports"] == 0 and s.years == [] and not s.coverage and not s.findings
    assert "Nothing to show." in summary_markdown(s)
    assert 'class="chart"' not in render_html(s)  # no data, no chart; the page still renders


def test_run_markdown_lists_failures_first_n_and_counts_the_rest() -> None:
    from collector.summary import run_report_markdown, run_table

    failures = [{"portal_id": "p", "url": f"https://p.gov.cn/{i}.html", "kind": "page", "status": "failed",
                 "reason": "http_status (HTTP 404)", "message": f"HTTP 404 | at {i}"} for i in range(25)]
    run = {"kind": "collect", "years": [2022, 2023], "out": "/d", "seconds": 3.0, "notes": ["a note"],
           "totals": {"found": 30, "new": 5, "updated": 0, "unchanged": 0, "failed": 25, "blocked": 0, "records": 5,
                      "documents": 30, "documents_failed": 25},
           "portals": [{"portal_id": "p", "name": "P", "family": "trs", "found": 30, "new": 5, "updated": 0,
                        "unchanged": 0, "failed": 25, "blocked": 0, "records": 5, "collected": True, "error": None,
                        "error_code": None, "findings": {"rule 3 error": 2, "rule 13 warning": 1}}],
           "failures": failures[:22], "failures_total": 40, "dataset": {"markdown": "## Dataset `/d`\n", "html": None}}
    md = run_report_markdown(run)
    assert md.startswith("# xxgk collect: 2022–2023")
    assert "## Failed and blocked URLs (20 of 40 shown)" in md and "… and 20 more" in md
    assert "https://p.gov.cn/19.html" in md and "https://p.gov.cn/20.html" not in md
    assert "HTTP 404 \\| at 3" in md  # a pipe in a message does not break the table
    assert "| 3 | 三 row 总计 = sum of the applicant columns | error | 2 |" in md
    assert md.rstrip().endswith("## Dataset `/d`") and "- a note" in md
    row = run_table(run)[0]
    assert row["findings"].startswith("2 × rule 3 error (三 row 总计")
