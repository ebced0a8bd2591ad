"""End to end: the demo-sized corpus through the Prefect collect flow; reports/s and orchestration share.

Run: ``python bench/bench_e2e.py [--repeat 2] [--skip-demo]``. Writes ``bench/results/e2e.json``.

Three measurements, each against a fresh simulator (same seed, so the same 65 reports, five
years, with the default faults: 5xx, resets, slow and truncated answers, 429s, a blocked portal):

* ``library`` — ``collector.collect`` called directly: the same stages, no orchestration.
* ``flow`` — ``collect_flow`` as a Prefect flow run on the embedded API (what ``xxgk collect`` runs).
  Orchestration share = (flow wall - time covered by at least one library call) / flow wall,
  where the library calls are the spans the stages (``collector.stages``: discover, fetch, write,
  compact, summarise) time around their work: the time in which no library code ran at all.
  The flow-vs-library wall difference is reported too.
* ``demo`` — ``xxgk demo`` as a user runs it (subprocess, new Prefect home: includes the API's
  start and its database migrations), the quick-start figure; target under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.env import quiet_env  # noqa: E402

quiet_env()

from flows.collect import collect_flow  # noqa: E402

from collector import collect  # noqa: E402
from collector.cli_flows import embedded_api  # noqa: E402
from collector.sim import run_simulator  # noqa: E402
from collector.sim.verify import verify  # noqa: E402

SEED, YEARS = 0, [2019, 2020, 2021, 2022, 2023]


def union_seconds(spans: list[tuple[float, float]]) -> float:
    """Length of the union of [start, end] intervals (library calls overlap across threads)."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(spans):
        if a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


def run_library() -> dict[str, Any]:
    with run_simulator(seed=SEED, scale=1, faults="default") as sim, tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        s = collect(sim.portals, YEARS, out, allow_loopback=True)
        wall = time.perf_counter() - t0
        records = sum(p.records for p in s.portals)
        assert verify(out, [t for t in sim.truth if t["record"]["report_year"] in YEARS]).ok
    return {"wall_seconds": round(wall, 2), "records": records, "reports_per_s": round(records / wall, 2)}


def run_flow() -> dict[str, Any]:
    with run_simulator(seed=SEED, scale=1, faults="default") as sim, tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        s = collect_flow(portals_file=str(sim.portals_path), out=out, years=YEARS, allow_loopback=True)
        wall = time.perf_counter() - t0
        assert verify(out, [t for t in sim.truth if t["record"]["report_year"] in YEARS]).ok
    spans = [tuple(x) for x in s["spans"]]
    busy = union_seconds(spans)
    records = s["totals"]["records"]
    head = min(a for a, _ in spans) - t0   # flow run created and started, portals loaded
    tail = t0 + wall - max(b for _, b in spans)  # report, artifacts, flow run finished
    return {"wall_seconds": round(wall, 2), "records": records, "reports_per_s": round(records / wall, 2),
            "library_busy_seconds": round(busy, 2), "library_summed_seconds": round(sum(b - a for a, b in s["spans"]), 2),
            "orchestration_seconds": round(wall - busy, 2), "orchestration_share": round((wall - busy) / wall, 3),
            "orchestration_breakdown_seconds": {"before_first_task": round(head, 2), "after_last_task": round(tail, 2),
                                                "between_tasks": round(wall - busy - head - tail, 2)},
            "task_calls": len(s["spans"])}


def run_demo() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "XXGK_"))}
        env["PREFECT_HOME"] = str(Path(tmp) / "prefect-home")
        xxgk = str(Path(sys.executable).with_name("xxgk"))
        out: dict[str, Any] = {}
        for label in ("cold", "warm"):  # cold: a new Prefect database is created and migrated
            t0 = time.perf_counter()
            res = subprocess.run([xxgk, "demo", "--out", str(Path(tmp) / "demo-out")], env=env, cwd=tmp,
                                 capture_output=True, text=True, timeout=600)
            out[f"{label}_seconds"] = round(time.perf_counter() - t0, 2)
            out[f"{label}_exit_code"] = res.returncode
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2, help="flow/library runs each; the best is kept")
    ap.add_argument("--skip-demo", action="store_true")
    args = ap.parse_args()

    t0 = time.perf_counter()
    with embedded_api() as api:
        api_start = time.perf_counter() - t0
        flows = [run_flow() for _ in range(args.repeat)]
    libs = [run_library() for _ in range(args.repeat)]
    flow = min(flows, key=lambda r: r["wall_seconds"])
    lib = min(libs, key=lambda r: r["wall_seconds"])
    result: dict[str, Any] = {
        "corpus": {"simulator_seed": SEED, "reports": flow["records"], "years": YEARS, "faults": "default"},
        "flow": flow,
        "library": lib,
        "flow_vs_library_extra_seconds": round(flow["wall_seconds"] - lib["wall_seconds"], 2),
        "embedded_api_start_seconds": round(api_start, 2),
        "api": "embedded" if "127.0.0.1" in api else "configured server",
        "runs": {"flow_wall_seconds": [r["wall_seconds"] for r in flows],
                 "library_wall_seconds": [r["wall_seconds"] for r in libs]},
        "targets": {"demo_seconds": 60, "orchestration_share": 0.15},
        "machine": {"python": platform.python_version(), "cpu": platform.machine(), "cpus": os.cpu_count(),
                    "load_avg_1m": round(os.getloadavg()[0], 2),
                    "task_runner": os.environ.get("XXGK_TASK_RUNNER", "threads")},
    }
    if not args.skip_demo:
        result["demo"] = run_demo()
    out = ROOT / "bench" / "results" / "e2e.json"
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
