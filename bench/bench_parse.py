"""Parse throughput on one core: reports/s for HTML and for text, and peak memory.

Run: ``python bench/bench_parse.py [--n 300]``. Writes ``bench/results/parse.json``.
Inputs are generated reports (both template eras, Word-style HTML with spans, text as tab
lines; legacy 2008–2018 reports as text, some with an annex in ``|`` cells or flattened) plus the
real samples from ../shared when present (the 14 legacy texts among them). Everything runs in this one process
(one core): extract -> parse -> validate, exactly what ``process_document`` does.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def _run(docs: list[bytes]) -> dict[str, float]:
    for d in docs[:5]:  # warm caches (regexes, schema)
        process_document(d, SourceContext(source_url="https://www.example.gov.cn/w.html"))
    t0 = time.process_time()
    w0 = time.perf_counter()
    ok = 0
    for i, d in enumerate(docs):
        o = process_document(d, SourceContext(source_url=f"https://www.example.gov.cn/{i}.html"))
        ok += o.record is not None
    cpu = time.process_time() - t0
    wall = time.perf_counter() - w0
    return {"documents": len(docs), "parsed": ok, "cpu_seconds": round(cpu, 3), "wall_seconds": round(wall, 3),
            "reports_per_cpu_second": round(len(docs) / cpu, 1),
            "mean_kib": round(sum(map(len, docs)) / len(docs) / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "parse.json")
    args = ap.parse_args()
    corpus = _corpus(args.n)
    results = {fmt: _run(docs) for fmt, docs in corpus.items()}
    results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["targets"] = {"html_reports_per_s": 50, "text_reports_per_s": 200, "legacy_text_reports_per_s": 200}
    results["machine"] = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
