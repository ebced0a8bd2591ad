"""The store's write cost as the dataset grows: seconds per batch of 50 reports up to 20,000.

Run: ``python bench/bench_store.py [--reports 20000] [--batch 50] [--root DIR_OR_URI]``. Writes
``bench/results/store.json`` (``--out`` to write elsewhere).

Each batch is what a flow's write task does: open the dataset (``Dataset(root)``: repair on
open) and write 50 reports with their cells, findings and document rows as one transaction
(``Dataset.write``). Reports are cloned from parsed ones (new ids and URLs), spread over five
report years (five partitions per table); every batch is new reports, as in a backfill. The
figure at N reports is the mean (and median) of the 16 batches written just before the dataset
reached N — two merge cycles of the size-tiered compaction, so its bursts count fairly. Before
the key index, each batch read the key columns of every file of every table (and the reports
table, for re-read years), so the cost grew with the dataset.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reportgen import make_record, render_html  # noqa: E402

from collector.pipeline import Outcome, SourceContext, process_document  # noqa: E402
from collector.store.dataset import Dataset  # noqa: E402

CHECKPOINTS = (1000, 5000, 10000, 20000)
WINDOW = 16


def templates(n: int = 12) -> list[Outcome]:
    out = []
    for i in range(n):
        rec = make_record("gb2021" if i % 3 else "gb2019", 2021 if i % 3 else 2020, seed=i, big=i % 4 == 0,
                          agency=f"测试{i}局")
        o = process_document(render_html(rec), SourceContext(source_url=f"https://t.gov.cn/{i}.html", portal_id="t"))
        assert o.record is not None
        out.append(o)
    return out


def clone(t: Outcome, i: int) -> Outcome:
    """Report ``i``: a template with its own id, URL, year and document."""
    year = 2019 + i % 5
    url = f"https://p{i % 300}.gov.cn/{i}.html"
    rec = copy.deepcopy(t.record)
    assert rec is not None
    rec.update(report_id=f"{i:032x}", report_year=year, source_url=url, canonical_url=url,
               document_sha256=f"{i:064x}", portal_id=f"portal-{i % 300:03d}")
    doc = dict(t.document, source_url=url, document_sha256=f"{i:064x}", report_id=rec["report_id"],
               report_year=year, portal_id=rec["portal_id"])
    return Outcome(rec, doc, None, t.cells)


def run(root: str, reports: int, batch: int) -> dict[str, Any]:
    tpl = templates()
    seconds: list[float] = []
    files: dict[int, int] = {}
    t_all = time.perf_counter()
    for start in range(0, reports, batch):
        outcomes = [clone(tpl[i % len(tpl)], i) for i in range(start, min(start + batch, reports))]
        t0 = time.perf_counter()
        ds = Dataset(root)
        ds.write(outcomes)
        seconds.append(time.perf_counter() - t0)
        done = start + len(outcomes)
        if done in CHECKPOINTS or done == reports:
            files[done] = sum(len(ds.committed_files(t)) for t in ds.specs)
            print(f"{done:>6} reports: {statistics.fmean(seconds[-WINDOW:]):.3f} s/batch, {files[done]} files",
                  flush=True)
    points = {}
    for n in sorted(set(CHECKPOINTS) | {reports}):
        if n > reports:
            continue
        last = n // batch
        window = seconds[max(0, last - WINDOW):last]
        points[str(n)] = {"mean_s": round(statistics.fmean(window), 4), "median_s": round(statistics.median(window), 4),
                          "max_s": round(max(window), 4), "files": files.get(n)}
    first = points[str(min(int(k) for k in points))]["mean_s"]
    last_n = str(max(int(k) for k in points))
    return {"reports": reports, "batch": batch, "root": "local" if "://" not in root else root.split("://")[0],
            "seconds_per_batch": points, "ratio_last_to_first": round(points[last_n]["mean_s"] / first, 2),
            "total_seconds": round(time.perf_counter() - t_all, 1),
            "cells_rows": Dataset(root, repair=False).read("cells", columns=["report_id"]).num_rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--root", help="dataset root (default: a fresh temporary directory)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "store.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="xxgk-bench-store-") as tmp:
        res = run(args.root or os.path.join(tmp, "out"), args.reports, args.batch)
    res.update(machine={"python": platform.python_version(), "cpus": os.cpu_count(),
                        "load_avg_at_end": [round(x, 2) for x in os.getloadavg()]},
               note="shared 2-core machine, other engineers' jobs running: figures are noisy")
    Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res["seconds_per_batch"], indent=1))
    print(f"20k/1k ratio: {res['ratio_last_to_first']}")


if __name__ == "__main__":
    main()
