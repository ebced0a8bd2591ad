"""Extraction throughput and memory per format, on one core; writes ``bench/results/extract.json``.

Targets (issue #3): >= 20 PDF pages/s, >= 20 DOCX reports/s, DOC conversion well under 1 s/file
when batched; (issue #9) OCR <= 10 s per scanned page on one core. Inputs are the committed
fixtures (``scripts/make_fixtures.py``) and seeded scans of them, so figures are comparable
between runs. Run: ``.venv/bin/python bench/bench_extract.py [--ocr | --ocr-only]`` (each OCR
case runs in its own process pinned to one core and reports that process's peak RSS).
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
from queue import Empty
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


OCR_CASES = {
    # name: (source fixture, render_scan style, or None for the committed file as it is)
    "gb2021_scan.pdf (150 dpi 1-bit, committed)": ("gb2021_scan.pdf", None),
    "gb2021_scan.png (150 dpi 1-bit long image, committed)": ("gb2021_scan.png", None),
    "200 dpi grey JPEG, skew 1.8°, noise, seal": ("gb2021.pdf", dict(dpi=200, skew=1.8, blur=0.8, noise=10.0, jpeg=50,
                                                                      seal=True, paper=215, container="jpeg", seed=11)),
    "300 dpi colour image PDF, skew -1.2°, seal": ("gb2021.pdf", dict(dpi=300, skew=-1.2, blur=0.6, noise=6.0, jpeg=70,
                                                                       seal=True, paper=225, color=True,
                                                                       container="pdf", seed=12)),
}


def _ocr_child(data: bytes, queue: Any) -> None:
    """One OCR case in a fresh process pinned to one core: model load, then the document, and
    the process's own peak RSS (the parent's would mix in every other format)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from collector.extract import bytes_to_document
    from collector.extract.ocr_engine import engine

    started = time.perf_counter()
    engine()
    load_s = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    doc = bytes_to_document(data)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    pages = int(doc.meta.get("pages") or 1)
    # CPU seconds per page alongside wall seconds: on a shared machine the wall figure waits for the core
    queue.put({"pages": pages, "seconds": round(seconds, 2), "s_per_page": round(seconds / pages, 2),
               "cpu_s_per_page": round(cpu / pages, 2),
               "model_load_s": round(load_s, 2), "cells": sum(len(t.confidence or {}) for t in doc.tables),
               "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})


def ocr_figures() -> dict[str, Any]:
    """Seconds per scanned page on one core and peak RSS, each case in its own process."""
    import multiprocessing as mp

    from collector.sim.render_scan import ScanStyle, pdf_to_scan

    ctx = mp.get_context("spawn")
    out: dict[str, Any] = {}
    for name, (source, style) in OCR_CASES.items():
        data = (FIX / source).read_bytes()
        if style is not None:
            data = pdf_to_scan(data, ScanStyle(**style), seal_text="江川市市场监督管理局")
        queue = ctx.Queue()
        proc = ctx.Process(target=_ocr_child, args=(data, queue))
        proc.start()
        while True:  # a child that died must not leave the bench waiting
            try:
                out[f"ocr:{name}"] = queue.get(timeout=5)
                break
            except Empty:
                if not proc.is_alive():
                    raise RuntimeError(f"OCR bench child for {name!r} died (exit code {proc.exitcode})") from None
        proc.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--batch", type=int, default=20, help="DOC files per soffice batch")
    ap.add_argument("--ocr", action="store_true", help="also time the OCR path (slow)")
    ap.add_argument("--ocr-only", action="store_true",
                    help="time only the OCR path; its figures replace the OCR ones in the results file")
    args = ap.parse_args()
    if args.ocr_only:
        old = json.loads(OUT.read_text("utf-8")) if OUT.is_file() else {}
        kept = {k: v for k, v in old.items() if not k.startswith("ocr:")}
        ocr = ocr_figures()
        OUT.write_text(json.dumps({**kept, "ocr_measured": time.strftime("%Y-%m-%dT%H:%M:%S"), **ocr},
                                  ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(ocr, ensure_ascii=False, indent=2))
        return
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
        results.update(ocr_figures())
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["max_rss_children_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
