"""The store's write cost as the dataset grows: seconds per batch of 50 reports up to 20,000.

Run: ``python bench/bench_store.py [--reports 20000] [--batch 50] [--root DIR_OR_URI]``. Writes
``bench/results/store.json`` (``--out`` to write elsewhere).

``--transactions``: the write transaction's CPU instead (issue #13: the process that fetches and
writes is a collect run's serial step). A library collect against the simulator (seed 0, scale 4,
HTML pages, politeness off) records the batches it hands to ``Dataset.write_batches``; they are
then written again into fresh datasets, ``--repeat`` times, timing the writing process's CPU
(``time.process_time``) and recording files and bytes per table. ``--baseline SRC`` replays the
same batches with another checkout's ``SRC/src`` in every round, back to back (the machine is
shared: compare the two within a run). Writes ``bench/results/store_transactions.json``.

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
import pickle
import platform
import statistics
import subprocess
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


# -- the write transaction's CPU on a collect run's own batches ----------------------------------------

def capture(scale: int, out: str) -> list[bytes]:
    """The batches a library collect at ``scale`` writes, each transaction's pickled as it was handed over."""
    from collector import collect
    from collector.fetch import FetchSettings
    from collector.sim import Simulator

    calls: list[bytes] = []
    original = Dataset.write_batches

    def recording(self: Dataset, batches: Any) -> Any:
        batches = [list(b) for b in batches]
        calls.append(pickle.dumps(batches))
        return original(self, batches)

    sim = Simulator(seed=0, scale=scale, faults=None, formats=set()).start()
    try:
        Dataset.write_batches = recording  # type: ignore[method-assign]
        portals = [p.model_copy(update={"max_pages": 10_000}) for p in sim.portals]
        collect(portals, [2019, 2020, 2021, 2022, 2023], out, allow_loopback=True,
                settings=FetchSettings(polite=False, allow_loopback=True))
    finally:
        Dataset.write_batches = original  # type: ignore[method-assign]
        sim.stop()
    return calls


def replay(calls: list[bytes], repeat: int) -> dict[str, Any]:
    """Write the recorded transactions into fresh datasets ``repeat`` times: CPU seconds, files, bytes."""
    cpu: list[float] = []
    files: dict[str, int] = {}
    size: dict[str, int] = {}
    for _ in range(repeat):
        txns = [pickle.loads(c) for c in calls]  # unpickling is not the write's
        with tempfile.TemporaryDirectory(prefix="xxgk-bench-txn-") as tmp:
            ds = Dataset(tmp)
            t0 = time.process_time()
            for batches in txns:
                ds.write_batches(batches)
            cpu.append(time.process_time() - t0)
            for table in ds.specs:
                parts = list(Path(tmp, table).rglob("part-*.parquet"))
                files[table], size[table] = len(parts), sum(p.stat().st_size for p in parts)
    reports = sum(1 for c in calls for b in pickle.loads(c) for o in b if o.record is not None)
    return {"transactions": len(calls), "reports": reports, "cpu_seconds_median": round(statistics.median(cpu), 3),
            "cpu_seconds_min": round(min(cpu), 3), "cpu_seconds": [round(x, 3) for x in cpu],
            "cpu_ms_per_report_median": round(1000 * statistics.median(cpu) / max(reports, 1), 2),
            "files": files, "bytes": size}


def run_transactions(scale: int, repeat: int, rounds: int, baseline: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="xxgk-bench-txn-") as tmp:
        dump = Path(tmp, "batches.pickle")
        dump.write_bytes(pickle.dumps(capture(scale, str(Path(tmp, "out")))))
        rows: dict[str, list[dict[str, Any]]] = {"this": [], "baseline": []}
        for _ in range(rounds):
            for who, src in (("baseline", baseline), ("this", None)):
                if who == "baseline" and src is None:
                    continue
                env = dict(os.environ, PYTHONPATH=str(Path(src, "src"))) if src else dict(os.environ)
                done = subprocess.run([sys.executable, __file__, "--replay", str(dump), "--repeat", str(repeat)],
                                      env=env, check=True, capture_output=True, text=True)
                rows[who].append(json.loads(done.stdout.strip().splitlines()[-1]))
    out: dict[str, Any] = {"scale": scale, "rounds": rounds, "repeat": repeat}
    for who, runs in rows.items():
        if runs:
            median = statistics.median(r["cpu_seconds_median"] for r in runs)
            out[who] = {**runs[-1], "cpu_seconds_median": round(median, 3),
                        "cpu_ms_per_report_median": round(1000 * median / max(runs[-1]["reports"], 1), 2),
                        "cpu_seconds_by_round": [r["cpu_seconds_median"] for r in runs]}
    if baseline:
        out["baseline_src"] = baseline
        out["cpu_ratio_this_to_baseline"] = round(out["this"]["cpu_seconds_median"] / out["baseline"]["cpu_seconds_median"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--root", help="dataset root (default: a fresh temporary directory)")
    ap.add_argument("--out", help="result file (default: bench/results/store.json, or store_transactions.json)")
    ap.add_argument("--transactions", action="store_true", help="the write transaction's CPU on a scale-4 collect's batches")
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=5, help="replays per round (--transactions)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, baseline and this checkout back to back")
    ap.add_argument("--baseline", help="another checkout whose src/ is replayed in every round (--transactions)")
    ap.add_argument("--replay", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.replay:
        print(json.dumps(replay(pickle.loads(Path(args.replay).read_bytes()), args.repeat)))
        return
    machine = {"python": platform.python_version(), "cpus": os.cpu_count()}
    if args.transactions:
        res = run_transactions(args.scale, args.repeat, args.rounds, args.baseline)
        res.update(machine={**machine, "load_avg_at_end": [round(x, 2) for x in os.getloadavg()]},
                   note="shared 2-core machine, other engineers' jobs running: compare this and baseline within the run")
        out = Path(args.out or ROOT / "bench" / "results" / "store_transactions.json")
        out.write_text(json.dumps(res, indent=1) + "\n")
        print(json.dumps({k: v for k, v in res.items() if k != "machine"}, indent=1))
        return
    with tempfile.TemporaryDirectory(prefix="xxgk-bench-store-") as tmp:
        res = run(args.root or os.path.join(tmp, "out"), args.reports, args.batch)
    res.update(machine={**machine, "load_avg_at_end": [round(x, 2) for x in os.getloadavg()]},
               note="shared 2-core machine, other engineers' jobs running: figures are noisy")
    Path(args.out or ROOT / "bench" / "results" / "store.json").write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res["seconds_per_batch"], indent=1))
    print(f"20k/1k ratio: {res['ratio_last_to_first']}")


if __name__ == "__main__":
    main()
