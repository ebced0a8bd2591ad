"""Parse throughput on one core: reports/s for HTML and for text, and peak memory.

Run: ``python bench/bench_parse.py [--n 300] [--sim-scale 4]``. Writes ``bench/results/parse.json``.
Inputs are generated reports (both template eras, Word-style HTML with spans, text as tab
lines; legacy 2008–2018 reports as text, some with an annex in ``|`` cells or flattened) plus the
real samples from ../shared when present (the 14 legacy texts among them), and ``html_sim``: every
HTML report page the portal simulator serves at ``--sim-scale`` (what a crawl parses). Everything
runs in this one process (one core): extract -> parse -> validate, exactly what
``process_document`` does.

For each HTML corpus the *lxml ceiling* is measured in the same run: ``lxml.html.fromstring``
plus reading every table cell's text — the least any HTML reader must do — and
``ceiling_ratio`` = our time / the ceiling's (issue #13: at most 4). The load average is recorded
before and after: on a shared machine compare ratios, not absolute figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402
from tests.conftest import SAMPLES  # noqa: E402
from tests.reportgen import make_record, render_html, render_text  # noqa: E402

from collector.pipeline import SourceContext, process_document  # noqa: E402
from collector.sim.legacy import legacy_text, make_legacy  # noqa: E402


def _corpus(n: int) -> dict[str, list[bytes]]:
    html, text = [], []
    for i in range(n):
        fmt, year = ("gb2021", 2021 + i % 3) if i % 3 else ("gb2019", 2020)
        rec = make_record(fmt, year, seed=i, big=i % 2 == 0, blanks=0.3 if i % 4 == 0 else 0.0)
        html.append(render_html(rec, blank="—" if i % 5 == 0 else "", word_noise=i % 2 == 1,
                                charset="gbk" if i % 7 == 0 else "utf-8"))
        text.append(render_text(rec, mode="pipes" if i % 2 else "tabs"))
    legacy = []
    for i in range(n):  # 2008–2018 reports as text: prose with look-alikes, a third with an annex (|, flattened)
        form = (None, None, None, "national", "fujian", "dingxi")[i % 6]
        rep = make_legacy(i, "某县水务局", 2008 + i % 11, form=form)
        legacy.append(legacy_text(rep, annex="flattened" if i % 2 else "pipes").encode())
    shared = SAMPLES
    if shared.is_dir():
        html.append((shared / "shanghai-gov-office-2019.html").read_bytes())
        text.append((shared / "yining-amr-2023.pdf.txt").read_bytes())
        legacy += [p.read_bytes() for p in sorted((shared / "legacy").glob("*.txt"))]
    return {"html": html, "text": text, "legacy_text": legacy}


def _sim_html(scale: int) -> list[bytes]:
    """Every HTML report page of the simulator's world (seed 0), as served."""
    from collector.sim.sites import build_world

    world = build_world(seed=0, scale=scale, formats=set())
    return [world.routes[r.url].body for r in world.reports if r.media == "html" and r.url in world.routes]


def _ceiling_pass(data: bytes) -> None:
    root = lxml.html.fromstring(data)
    for cell in root.iter("td", "th"):
        cell.text_content()


def _run(docs: list[bytes], ceiling: bool = False) -> dict[str, float]:
    """CPU time of ``process_document`` over ``docs``; with ``ceiling``, the lxml ceiling is run on
    each document right before it, so both see the same machine load."""
    for d in docs[:5]:  # warm caches (regexes, schema)
        process_document(d, SourceContext(source_url="https://www.example.gov.cn/w.html"))
        if ceiling:
            _ceiling_pass(d)
    cpu = ceil_cpu = 0.0
    w0 = time.perf_counter()
    ok = 0
    for i, d in enumerate(docs):
        t0 = time.process_time()
        if ceiling:
            _ceiling_pass(d)
        t1 = time.process_time()
        o = process_document(d, SourceContext(source_url=f"https://www.example.gov.cn/{i}.html"))
        cpu += time.process_time() - t1
        ceil_cpu += t1 - t0
        ok += o.record is not None
    wall = time.perf_counter() - w0
    out = {"documents": len(docs), "parsed": ok, "cpu_seconds": round(cpu, 3), "wall_seconds": round(wall, 3),
           "reports_per_cpu_second": round(len(docs) / cpu, 1),
           "mean_kib": round(sum(map(len, docs)) / len(docs) / 1024, 1)}
    if ceiling:
        out["lxml_ceiling_reports_per_cpu_second"] = round(len(docs) / ceil_cpu, 1)
        out["ceiling_ratio"] = round(cpu / ceil_cpu, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--sim-scale", type=int, default=4, help="simulator scale of the html_sim corpus")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "parse.json")
    args = ap.parse_args()
    load_before = os.getloadavg()
    corpus = _corpus(args.n)
    corpus["html_sim"] = _sim_html(args.sim_scale)
    results: dict[str, object] = {}
    for fmt, docs in corpus.items():
        res = _run(docs, ceiling=fmt.startswith("html"))
        results[fmt] = res
        line = f"{fmt:12s} {res['reports_per_cpu_second']:7.1f} reports/s"
        if "ceiling_ratio" in res:
            line += (f"   lxml ceiling {res['lxml_ceiling_reports_per_cpu_second']:7.1f} reports/s"
                     f"   ours / ceiling = {res['ceiling_ratio']:.2f}x")
        print(line, file=sys.stderr)
    results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["load_average"] = {"before": [round(x, 2) for x in load_before],
                               "after": [round(x, 2) for x in os.getloadavg()]}
    results["targets"] = {"html_reports_per_s": 200, "html_ceiling_ratio": 4, "text_reports_per_s": 350,
                          "legacy_text_reports_per_s": 200}
    results["machine"] = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
