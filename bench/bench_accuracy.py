"""Accuracy on the corpus, per variant: cell accuracy, wrong values and silent errors.

Run: ``python bench/bench_accuracy.py [--suite S ...] [--variant V ...] [--show-errors]``.
Writes ``bench/results/accuracy.json``. Suites and scoring live in ``bench/accuracy/``; each case is
parsed exactly as the collector parses a document (:func:`collector.pipeline.process_document`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.accuracy import SUITES, Case, Score, load_cases, score_record  # noqa: E402
from collector.pipeline import SourceContext, process_document  # noqa: E402


def run(suites: list[str], variants: set[str] | None = None) -> tuple[dict[str, Score], dict[str, int], list[str]]:
    scores: dict[str, Score] = defaultdict(Score)
    counts: dict[str, int] = defaultdict(int)
    notes: list[str] = []
    for case in load_cases(suites):
        if isinstance(case, str):
            notes.append(case)
            continue
        assert isinstance(case, Case)
        key = f"{case.suite}/{case.variant}"
        if variants and case.variant not in variants and key not in variants:
            continue
        t0 = time.perf_counter()
        out = process_document(case.data, SourceContext(source_url=case.source_url, hint=case.hint,
                                                         assume_report=getattr(case, "assume_report", False)))
        sc = score_record(case, out.record)
        sc.seconds = time.perf_counter() - t0
        scores[key].add(sc)
        counts[key] += 1
    return scores, counts, notes


def summarise(scores: dict[str, Score], counts: dict[str, int]) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for key in sorted(scores):
        s = scores[key]
        filled = s.right + s.wrong
        out[key] = {
            "cases": counts[key], "cells": s.expected, "right": s.right, "missing": s.missing, "wrong": s.wrong,
            "silent": s.silent,
            "cell_accuracy": round(s.right / s.expected, 4) if s.expected else None,
            "filled_cells": s.filled,
            "filled_accuracy": round(s.filled_right / s.filled, 4) if s.filled else None,
            "wrong_rate": round(s.wrong / filled, 4) if filled else 0.0,
            "meta_accuracy": round(s.meta_right / s.meta_total, 4) if s.meta_total else None,
            "seconds_per_case": round(s.seconds / counts[key], 3) if counts[key] else None,
        }
    return out


def markdown_table(table: dict[str, dict[str, object]]) -> str:
    """The README's accuracy table: one line per suite/variant."""
    lines = ["| suite / variant | cases | cells | right | numbers | numbers right | wrong | silent | metadata |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, r in table.items():
        acc = f"{r['cell_accuracy']:.2%}" if r["cell_accuracy"] is not None else "-"
        facc = f"{r['filled_accuracy']:.2%}" if r.get("filled_accuracy") is not None else "-"
        meta = f"{r['meta_accuracy']:.0%}" if r["meta_accuracy"] is not None else "-"
        lines.append(f"| {key} | {r['cases']} | {r['cells']} | {acc} | {r.get('filled_cells', '-')} | {facc} | "
                     f"{r['wrong']} | {r['silent']} | {meta} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", action="append", help="suite(s) to run (default: all)")
    ap.add_argument("--variant", action="append", help="variant(s) to run, e.g. markdown or gb/markdown")
    ap.add_argument("--show-errors", action="store_true", help="print every wrong value and metadata miss")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "accuracy.json")
    ap.add_argument("--markdown", action="store_true", help="print the committed results as the README's table")
    args = ap.parse_args()
    if args.markdown:
        print(markdown_table(json.loads(args.out.read_text())["variants"]))
        return 0
    scores, counts, notes = run(args.suite or list(SUITES), set(args.variant) if args.variant else None)
    table = summarise(scores, counts)
    print(f"{'variant':34} {'cases':>5} {'cells':>6} {'acc':>7} {'numbers':>7} {'acc':>7} {'wrong':>6} {'silent':>6} "
          f"{'meta':>6}")
    for key, r in table.items():
        acc = f"{r['cell_accuracy']:.2%}" if r["cell_accuracy"] is not None else "-"
        facc = f"{r['filled_accuracy']:.2%}" if r["filled_accuracy"] is not None else "-"
        meta = f"{r['meta_accuracy']:.0%}" if r["meta_accuracy"] is not None else "-"
        print(f"{key:34} {r['cases']:>5} {r['cells']:>6} {acc:>7} {r['filled_cells']:>7} {facc:>7} {r['wrong']:>6} "
              f"{r['silent']:>6} {meta:>6}")
    for n in notes:
        print(n, file=sys.stderr)
    if args.show_errors:
        for key in sorted(scores):
            for e in scores[key].errors:
                print(f"  {key}: {e}")
    if not args.suite and not args.variant:  # only a full run rewrites the committed figures
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"variants": table, "notes": notes}, indent=1, ensure_ascii=False) + "\n")
    total_silent = sum(s.silent for s in scores.values())
    return 1 if total_silent else 0


if __name__ == "__main__":
    raise SystemExit(main())
