"""Extraction throughput and memory per format, on one core; writes ``bench/results/extract.json``.

Targets (issue #3): >= 20 PDF pages/s, >= 20 DOCX reports/s, DOC conversion well under 1 s/file
when batched. Inputs are the committed fixtures (``scripts/make_fixtures.py``), so figures are
comparable between runs. Run: ``.venv/bin/python bench/bench_extract.py [--ocr]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "attachments"
OUT = ROOT / "bench" / "results" / "extract.json"


def _measure(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Wall time of ``repeat`` runs (after a warm-up), then one traced run for peak memory
    (tracemalloc slows Python several-fold, so it never overlaps the timing)."""
    fn()  # warm-up: imports, caches
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": round(elapsed, 3), "runs": repeat, "per_run_s": round(elapsed / repeat, 4),
            "peak_traced_mb": round(peak / 2**20, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--batch", type=int, default=20, help="DOC files per soffice batch")
    ap.add_argument("--ocr", action="store_true", help="also time the OCR path (slow)")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core (inherited by soffice)
    from collector.extract.docx import docx_to_document
    from collector.extract.limits import DEFAULT_LIMITS
    from collector.extract.pdf import pdf_probe, pdf_to_document
    from collector.extract.xlsx import xls_to_document, xlsx_to_document

    results: dict[str, Any] = {"python": sys.version.split()[0], "machine": platform.machine(),
                               "cpus_used": 1, "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    for name in ("gb2021.pdf", "gb2019_noborder.pdf"):
        data = (FIX / name).read_bytes()
        pages = pdf_probe(data, DEFAULT_LIMITS).pages
        r = _measure(lambda d=data: pdf_to_document(d), args.repeat)
        r["pages"] = pages
        r["pages_per_s"] = round(pages * args.repeat / r["seconds"], 1)
        results[f"pdf:{name}"] = r
    for name, fn in (("gb2021.docx", docx_to_document), ("gb2019_sliver.docx", docx_to_document),
                     ("gb2021.xlsx", xlsx_to_document), ("gb2019.xls", xls_to_document)):
        data = (FIX / name).read_bytes()
        r = _measure(lambda d=data, f=fn: f(d), args.repeat)
        r["reports_per_s"] = round(args.repeat / r["seconds"], 1)
        results[f"{name.rsplit('.', 1)[1]}:{name}"] = r
    if shutil.which("soffice"):
        from collector.extract.office import convert_many, doc_to_document

        doc = (FIX / "gb2019.doc").read_bytes()
        doc_to_document(doc)  # warm the profile
        started = time.perf_counter()
        out = convert_many([doc] * args.batch, "docx")
        batch_s = time.perf_counter() - started
        assert all(isinstance(x, bytes) for x in out), out
        started = time.perf_counter()
        doc_to_document(doc)
        single_s = time.perf_counter() - started
        results["doc:batch_conversion"] = {"files": args.batch, "seconds": round(batch_s, 2),
                                           "s_per_file": round(batch_s / args.batch, 3),
                                           "single_file_s": round(single_s, 2)}
    else:
        results["doc:batch_conversion"] = "skipped: soffice not installed"
    if args.ocr:
        from collector.extract.ocr import image_to_document, scanned_pdf_to_document

        for name, fn in (("gb2021_scan.pdf", scanned_pdf_to_document), ("gb2021_scan.png", image_to_document)):
            data = (FIX / name).read_bytes()
            r = _measure(lambda d=data, f=fn: f(d), 1)
            r["pages"] = 3
            r["s_per_page"] = round(r["seconds"] / 3, 2)
            results[f"ocr:{name}"] = r
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["max_rss_children_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
