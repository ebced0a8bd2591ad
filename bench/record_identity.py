"""Byte-identity of parser output before/after a change: every record of the accuracy corpus and
the bench_parse corpus, keyed by input hash.

A speed change to the parser must not change one output byte. Take a snapshot on the old code,
change, then check against it::

    python bench/record_identity.py --save /tmp/before.jsonl.gz [--suite samples ...]
    python bench/record_identity.py --check /tmp/before.jsonl.gz

Each line is one input: its key (sha256 of the bytes + the context they were parsed with), the
record as canonical JSON, and the document row (status, error) without its wall-clock fields.
``--check`` lists every key whose output differs (first differing fields shown) and exits 1.
The ``scans`` suite is OCR and slow: pass ``--suite`` to leave it out while iterating.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.accuracy import SUITES, Case, load_cases  # noqa: E402
from bench.bench_parse import _corpus, _sim_html  # noqa: E402
from collector.pipeline import SourceContext, process_document  # noqa: E402

VOLATILE = ("processed_at",)  # wall-clock fields of the document row
INPUT_DERIVED = ("document_sha256", "report_id", "size")  # differ when a generated input differs


def _inputs(suites: list[str], n: int, sim_scale: int) -> Iterator[tuple[str, bytes, SourceContext]]:
    for case in load_cases(suites):
        if isinstance(case, Case):
            yield (f"{case.suite}/{case.variant}/{case.name}", case.data,
                   SourceContext(source_url=case.source_url, hint=case.hint, assume_report=case.assume_report))
    corpus = _corpus(n)
    corpus["html_sim"] = _sim_html(sim_scale)
    for fmt, docs in corpus.items():
        for i, d in enumerate(docs):
            yield f"bench_parse/{fmt}/{i}", d, SourceContext(source_url=f"https://www.example.gov.cn/{i}.html")


def _key(data: bytes, ctx: SourceContext) -> str:
    h = hashlib.sha256(data)
    h.update(json.dumps([ctx.source_url, ctx.hint, ctx.assume_report]).encode())
    return h.hexdigest()


def _output(data: bytes, ctx: SourceContext) -> dict[str, Any]:
    o = process_document(data, ctx)
    doc = {k: v for k, v in o.document.items() if k not in VOLATILE}
    cells = {k: [c.value, c.raw, c.where, c.unit, c.confidence] for k, c in sorted(o.cells.items())}
    return json.loads(json.dumps({"record": o.record, "document": doc, "cells": cells}, sort_keys=True,
                                 ensure_ascii=False, default=str))


def snapshot(suites: list[str], n: int, sim_scale: int) -> dict[str, dict[str, Any]]:
    """``{input key: output}``, keyed by the input's hash and context (``--check`` falls back to the
    case name for an input whose bytes differ on every run: a generated XLSX/DOCX carries its
    creation time). Take both snapshots from the same checkout: the samples' ``source_url`` is
    their file path."""
    out: dict[str, dict[str, Any]] = {}
    for name, data, ctx in _inputs(suites, n, sim_scale):
        out[_key(data, ctx)] = {"name": name, **_output(data, ctx)}
    return out


def _mask(v: dict[str, Any]) -> dict[str, Any]:
    """An output without what follows from the input's own bytes (for inputs regenerated per run)."""
    v = json.loads(json.dumps(v))
    for part in (v.get("record") or {}, v.get("document") or {}):
        for k in INPUT_DERIVED:
            part.pop(k, None)
    return v


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            out += _diff(a.get(k), b.get(k), f"{path}.{k}" if path else k)
        return out
    return [] if a == b else [f"{path}: {a!r:.120} -> {b!r:.120}"]


def main() -> int:
    ap = argparse.ArgumentParser()
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--save", type=Path)
    g.add_argument("--check", type=Path)
    ap.add_argument("--suite", action="append", help="accuracy suites (default: all)")
    ap.add_argument("--n", type=int, default=300, help="bench_parse corpus size (as bench_parse's default)")
    ap.add_argument("--sim-scale", type=int, default=4)
    args = ap.parse_args()
    now = snapshot(args.suite or list(SUITES), args.n, args.sim_scale)
    if args.save:
        with gzip.open(args.save, "wt", encoding="utf-8") as f:
            for k, v in now.items():
                f.write(json.dumps({"key": k, **v}, ensure_ascii=False, sort_keys=True) + "\n")
        print(f"saved {len(now)} outputs to {args.save}")
        return 0
    with gzip.open(args.check, "rt", encoding="utf-8") as f:
        before = {(d := json.loads(line)).pop("key"): d for line in f}
    by_name = {v["name"]: v for v in before.values()}
    bad = regenerated = 0
    for k, v in now.items():
        old = before.get(k)
        if old is None and v["name"] in by_name:  # same case, bytes regenerated: compare what does not hash them
            old, v = _mask(by_name[v["name"]]), _mask(v)
            regenerated += 1
        if old is None:
            print(f"NEW INPUT {v['name']} (not in the snapshot)")
            continue
        if old != v:
            bad += 1
            diffs = _diff(old, v)
            print(f"DIFFERS {v['name']}: {len(diffs)} fields")
            for d in diffs[:8]:
                print(f"    {d}")
    names = {v["name"] for v in now.values()}
    print(f"{len(now)} inputs compared ({regenerated} regenerated, compared without their hash), {bad} differ, "
          f"{sum(1 for n in by_name if n not in names)} of the snapshot not produced")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
