"""The summary report's cost: DuckDB figures and HTML rendering, for a small and a large dataset.

Run: ``python bench/bench_report.py [--reports 20000]``. Writes ``bench/results/report.json``.

Every collect / backfill / reparse run ends with this summary, so its cost is measured at the
demo's size (65 reports: what a small run pays) and at a national-scale size (``--reports``
rows cloned from parsed reports, spread over 5 years, 300 portals and 31 provinces, with their
findings and documents). Also measured: the one-off build of the inlined chart library (cached
on disk afterwards) and what the column documentation adds to a Parquet file's footer.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from tests.reportgen import make_record  # noqa: E402
from tests.reportgen import render_html as report_html  # noqa: E402

from collector.pipeline import SourceContext, process_document  # noqa: E402
from collector.schema import table_specs  # noqa: E402
from collector.store.dataset import Dataset  # noqa: E402
from collector.store.rows import record_to_finding_rows, record_to_report_row  # noqa: E402
from collector.summary import render_html, summarise, summary_markdown  # noqa: E402

PROVINCES = ["北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
             "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省",
             "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省",
             "青海省", "宁夏回族自治区", "新疆维吾尔自治区"]


def _templates(n: int = 40) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        rec = make_record("gb2021" if i % 3 else "gb2019", 2021 if i % 3 else 2020, seed=i, big=i % 4 == 0,
                          blanks=0.3 if i % 5 == 0 else 0.0)
        if i % 7 == 0:
            rec["s3"]["granted"]["natural_person"] = (rec["s3"]["granted"]["natural_person"] or 0) + 1
        o = process_document(report_html(rec), SourceContext(source_url=f"https://t.gov.cn/{i}.html"))
        assert o.record is not None
        out.append(o.record)
    return out


def build(root: Path, n: int, seed: int = 7) -> None:
    """``n`` reports cloned from parsed ones: new ids, years, portals, provinces, dates; their findings."""
    rnd = random.Random(seed)
    templates = _templates()
    ds = Dataset(root)
    reports, findings, documents = [], [], []
    for i in range(n):
        rec = dict(rnd.choice(templates))
        year = 2019 + i % 5
        portal = f"portal-{i % 300:03d}"
        rec.update(report_id=f"{i:032x}", report_year=year, portal_id=portal, agency_name=f"机关{i % 4000}",
                   agency_name_normalized=f"机关{i % 4000}", source_url=f"https://p{i % 300}.gov.cn/{i}.html",
                   canonical_url=f"https://p{i % 300}.gov.cn/{i}.html",
                   region={"province": PROVINCES[(i % 300) % len(PROVINCES)], "city": None, "county": None,
                           "code": None},
                   published_date=(date(year + 1, 1, 1) + timedelta(days=rnd.randint(-40, 120))).isoformat())
        reports.append(record_to_report_row(rec))
        findings += record_to_finding_rows(rec)
        documents.append({"source_url": rec["source_url"], "document_sha256": f"{i:064x}", "media_type": "html",
                          "status": "parsed" if i % 50 else "failed", "portal_id": portal, "report_id": rec["report_id"],
                          "report_year": year})
    with ds.lock():
        for name, rows in (("reports", reports), ("findings", findings), ("documents", documents)):
            for k in range(0, len(rows), 5000):
                ds.write_rows(name, rows[k:k + 5000])
    ds.compact()


def measure(root: Path) -> dict[str, Any]:
    """In a fresh process (what a flow's summary task pays, imports aside): figures, HTML, markdown, peak RSS."""
    r = subprocess.run([sys.executable, __file__, "--measure", str(root)], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def _measure_here(root: Path) -> dict[str, Any]:
    summarise(root)  # warm: imports, DuckDB, the cached chart library
    t0 = time.perf_counter()
    s = summarise(root)
    t1 = time.perf_counter()
    html = render_html(s)
    t2 = time.perf_counter()
    md = summary_markdown(s)
    return {"reports": s.overview["reports"], "summarise_seconds": round(t1 - t0, 3),
            "render_html_seconds": round(t2 - t1, 3), "html_kib": round(len(html.encode()) / 1024),
            "markdown_kib": round(len(md.encode()) / 1024, 1),
            "peak_rss_mib": _peak_rss_mib()}


def _peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it does not carry the parent's peak over exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def footer_overhead() -> dict[str, Any]:
    """Bytes the column docs add to one reports file (Arrow field metadata + the xxgk:columns entry)."""
    spec = table_specs()["reports"]
    rec = _templates(1)[0]
    row = {k: v for k, v in record_to_report_row(rec).items() if k != "report_year"}
    t = pa.Table.from_pylist([row], schema=spec.file_schema)
    plain = pa.Table.from_arrays(t.columns, schema=pa.schema([pa.field(f.name, f.type) for f in t.schema]))
    sizes = {}
    with tempfile.TemporaryDirectory() as d:
        ds = Dataset(d)
        ds.write_rows("reports", [record_to_report_row(rec)])
        sizes["documented"] = next(Path(d, "reports").rglob("part-*.parquet")).stat().st_size
    buf = io.BytesIO()
    pq.write_table(plain, buf, compression="zstd")
    sizes["plain"] = len(buf.getvalue())
    return {"reports_file_one_row_kib": round(sizes["documented"] / 1024, 1),
            "same_without_docs_kib": round(sizes["plain"] / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=20000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "report.json")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(_measure_here(args.measure)))
        return
    import vl_convert as vlc

    t0 = time.perf_counter()
    vlc.javascript_bundle(vl_version="6.4")
    bundle_build = time.perf_counter() - t0
    results: dict[str, Any] = {"chart_library_build_seconds_once": round(bundle_build, 2)}
    with tempfile.TemporaryDirectory() as d:
        small = Path(d) / "small"
        build(small, 65)
        results["demo_size"] = measure(small)
        big = Path(d) / "big"
        t0 = time.perf_counter()
        build(big, args.reports)
        results["build_seconds"] = round(time.perf_counter() - t0, 1)
        results["large"] = measure(big)
    results["footer"] = footer_overhead()
    results["machine"] = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                          "load_avg_1m": round(os.getloadavg()[0], 2), "note": "2 shared cores; figures are noisy"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
