"""End to end, honestly: the collect flow, the same work without Prefect, and a bare parse of the same documents.

Run: ``python bench/bench_e2e.py [--scales 2,8,16] [--repeat 3] [--demo]``. Writes ``bench/results/e2e.json``.
With ``--repeat N`` each variant runs N times per scale, the variants in turn, and the run of median
wall time stands for each (``walls`` lists them all): this VM's speed drifts by a third within
minutes, which a single run per variant turns into a ratio off by as much.

For each simulator scale (seed 0, report years 2019–2023, no faults, HTML report pages only —
a DOC attachment costs a LibreOffice start, which would swamp what is compared here), in one run:

* ``flow`` — ``collect_flow`` as a Prefect flow run on the embedded API (what ``xxgk collect``
  runs), politeness off. The client (the flow-run process) and the embedded API (its server
  subprocess) are measured separately; the API's start is not counted in the flow's wall time.
  Orchestration share = (flow wall - time covered by at least one library call) / flow wall.
  ``prefect_floor_seconds``: the same task graph (a discover task per portal, a collect-batch
  task per batch, the open / compact / summarise / finish tasks) with empty tasks, run right after
  on the same API once it has finished recording the flow — what Prefect alone costs for a run of this shape (``prefect_floor_cpu_seconds``:
  its CPU in the client and in the API). ``summary_seconds``: the
  dataset summary (``OUT/summary.html``) every flow run ends with; the other two make none.
* ``library`` — ``collector.collect`` called directly (the same fetch, parse and store,
  on one event loop, no Prefect), politeness off.
* ``library_one_process`` — the library path again with ``XXGK_PARSE_WORKERS=1`` (parsing in the
  calling process, as before issue #13): ``pool_speedup`` = its wall time / the library's.
* ``bare_parse`` — every document of the library run's ``documents`` table, read back from its raw store and
  parsed one after the other with ``process_document`` in one process (what ``xxgk parse`` does):
  the CPU-bound floor the other two are compared with.

Each runs in a fresh child process (so its peak RSS is its own), against a simulator serving
from another process (its CPU is not counted in the client's; ``simulator_cpu_seconds`` gives it).
``cpu_floor_seconds`` = the CPU every process used during the run (client, embedded API, parse
workers, simulator) / the machine's cores: the least wall time any schedule could reach on these
cores. ``*_cpu_floor_vs_bare`` compares it with the bare parse: above 1.3, the target is out of
reach by overlap alone, and only less work per document closes the gap. ``flow_cpu_budget_seconds``:
``beside_the_parse`` = 1.3 x the bare parse's wall x cores - the bare parse's CPU, the CPU every other
part of a flow run (Prefect, fetching, discovery, writing, the summary, the pool, imports) may use
together for the target even with perfect overlap; ``prefect_floor`` = what Prefect alone used of it
(the empty-task flow's CPU in the client and the API). Figures: wall seconds, reports/s,
CPU seconds (user + system), peak RSS; the client (the calling process) and ``parse_workers`` (the
parse pool's fork server and workers, issue #13: ``XXGK_PARSE_WORKERS``) apart. ``flow_vs_bare`` and ``library_vs_bare`` are wall-time
ratios (issue #13: collect at most 1.3x a bare parse). The load average is recorded: the machine
is shared, so compare ratios from one run, not absolute figures across runs.

``--demo`` also times ``xxgk demo`` as a user runs it (new Prefect home: API start and migrations).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED, YEARS = 0, [2019, 2020, 2021, 2022, 2023]
TARGET_FLOW_VS_BARE = 1.3


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


def _self_usage() -> dict[str, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_seconds": round(ru.ru_utime + ru.ru_stime, 2), "peak_rss_mb": round(ru.ru_maxrss / 1024, 1)}


def _process_usage(pid: int) -> dict[str, float]:
    """CPU seconds and peak RSS (VmHWM) of another live process (Linux /proc)."""
    import psutil

    proc = psutil.Process(pid)
    cpu = proc.cpu_times()
    cpu_s = cpu.user + cpu.system + cpu.children_user + cpu.children_system
    hwm = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    return {"cpu_seconds": round(cpu_s, 2), "peak_rss_mb": round(hwm, 1)}


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a live process and its waited-for children so far."""
    import psutil

    c = psutil.Process(pid).cpu_times()
    return c.user + c.system + c.children_user + c.children_system


def _workers_usage(exclude: set[int] = frozenset()) -> dict[str, float]:  # type: ignore[assignment]
    """The parse pool's processes (fork server and workers, alive until exit): summed CPU and peak RSS."""
    import psutil

    usage = [_process_usage(c.pid) for c in psutil.Process().children(recursive=True)
             if c.pid not in exclude and c.is_running()]
    return {"cpu_seconds": round(sum(u["cpu_seconds"] for u in usage), 2),
            "peak_rss_mb": round(sum(u["peak_rss_mb"] for u in usage), 1), "processes": len(usage)}


# -- children ------------------------------------------------------------------------------------------

def serve(scale: int, portals_file: str) -> None:
    """Child: the simulator, until stdin closes."""
    from collector.config import portals_to_yaml
    from collector.sim import Simulator

    sim = Simulator(seed=SEED, scale=scale, faults=None, formats=set()).start()
    portals = [p.model_copy(update={"max_pages": 10_000}) for p in sim.portals]
    Path(portals_file).write_text(portals_to_yaml(portals), "utf-8")
    print("READY", json.dumps({"reports": len(sim.truth)}), flush=True)
    sys.stdin.read()
    sim.stop()


def child_flow(portals_file: str, out: str) -> dict[str, Any]:
    from flows.env import quiet_env

    quiet_env()
    import psutil
    from flows.collect import collect_flow

    from collector import cli_flows

    # started as `xxgk collect` starts it (an older checkout, compared with --baseline runs, has no PRELOAD)
    preload = getattr(cli_flows, "PRELOAD", None)
    t_api = time.perf_counter()
    with cli_flows.embedded_api(**({"preload": preload} if preload else {})) as api:
        api_start = time.perf_counter() - t_api
        api_pids = [c.pid for c in psutil.Process().children(recursive=True)]
        cpu0 = {pid: _cpu(pid) for pid in [os.getpid(), *api_pids]}
        t0 = time.perf_counter()
        s = collect_flow(portals_file=portals_file, out=out, years=YEARS, allow_loopback=True, polite=False)
        wall = time.perf_counter() - t0
        in_run = {pid: round(_cpu(pid) - c, 2) for pid, c in cpu0.items() if psutil.pid_exists(pid)}
        api_usage = [_process_usage(pid) for pid in api_pids if psutil.pid_exists(pid)]
        workers = _workers_usage(set(api_pids))
        # Prefect alone: the same task graph (portals x batches) with empty tasks, on the same API, after
        # the flow (so without a process's one-time costs, which the flow paid)
        batches = [-(-p["found"] // 25) for p in s["portals"]]
        _settle(api_pids)  # the API may still be recording the flow's events: not the floor's CPU
        floor_cpu0 = {pid: _cpu(pid) for pid in [os.getpid(), *api_pids] if psutil.pid_exists(pid)}
        t1 = time.perf_counter()
        _floor_flow()(batches)
        floor = round(time.perf_counter() - t1, 2)
        _settle(api_pids)  # the API records a run's task runs behind it: ~1 s more after the empty flow
        floor_cpu = {pid: _cpu(pid) - c for pid, c in floor_cpu0.items() if psutil.pid_exists(pid)}
    spans = [tuple(x) for x in s["spans"]]
    busy = union_seconds(spans)
    records = s["totals"]["records"]
    return {"wall_seconds": round(wall, 2), "records": records, "reports_per_s": round(records / wall, 2),
            "client": {**_self_usage(), "cpu_seconds_in_run": in_run.get(os.getpid())},
            "parse_workers": workers,
            "api": {"cpu_seconds": round(sum(u["cpu_seconds"] for u in api_usage), 2),
                    "peak_rss_mb": round(sum(u["peak_rss_mb"] for u in api_usage), 1),
                    "processes": len(api_usage), "start_seconds": round(api_start, 2),
                    "cpu_seconds_in_run": round(sum(v for k, v in in_run.items() if k != os.getpid()), 2),
                    "where": "embedded" if "127.0.0.1" in api else "configured server"},
            "prefect_floor_seconds": floor,
            # Prefect's own CPU for this task graph: the client's engine, and the API recording the run
            # (until it is idle again: it records task runs behind the run)
            "prefect_floor_cpu_seconds": {"client": round(floor_cpu.get(os.getpid(), 0.0), 2),
                                          "api": round(sum(v for k, v in floor_cpu.items() if k != os.getpid()), 2)},
            # the dataset summary the flow ends with (the library path and the bare parse make none)
            "summary_seconds": round(span[1] - span[0], 2) if (span := (s.get("dataset") or {}).get("span")) else None,
            "task_graph": {"portals": len(batches), "batches": sum(batches)},
            "orchestration_share": round((wall - busy) / wall, 3),
            "library_summed_seconds": round(sum(b - a for a, b in spans), 2), "task_calls": len(spans)}


def _settle(pids: list[int], hold: float = 6.0, quiet: float = 0.02, step: float = 0.3, limit: float = 30.0) -> None:
    """Wait until ``pids`` have used (almost) no CPU for ``hold`` seconds: a backlog they still work through
    would be counted as the next measurement's. ``hold`` outlasts the embedded API's task-run recorder,
    which writes its batch every 5 s."""
    import psutil

    end = time.monotonic() + limit
    before = sum(_cpu(p) for p in pids if psutil.pid_exists(p))
    idle_since = time.monotonic()
    while time.monotonic() < end:
        time.sleep(step)
        now = sum(_cpu(p) for p in pids if psutil.pid_exists(p))
        if now - before >= quiet:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= hold:
            return
        before = now


def _floor_flow() -> Any:
    """The collect flow's task graph with empty tasks: what Prefect alone costs for this run's shape."""
    from flows.runtime import task_runner
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.futures import as_completed
    from prefect.utilities.annotations import allow_failure

    opts: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}

    @task(name="open-output", **opts)
    def open_output() -> None: ...

    @task(name="discover", **opts)
    def discover(batches: int) -> int:
        return batches

    @task(name="collect-batch", **opts)
    def collect_batch(i: int) -> int:
        return i

    @task(name="end", **opts)
    def end() -> None: ...

    @flow(name="xxgk-floor", task_runner=task_runner())
    def floor(batches: list[int]) -> int:
        opened = open_output.submit()
        writes = []
        for fut in as_completed([discover.submit(n) for n in batches]):
            prev = None
            for i in range(fut.result()):
                prev = collect_batch.submit(i, wait_for=[allow_failure(prev)] if prev else None)
                writes.append(prev)
        [w.result() for w in writes]
        opened.result()
        for _ in range(3):  # compact, summarise, finish
            end.submit().result()
        return len(writes)

    return floor


def child_library(portals_file: str, out: str) -> dict[str, Any]:
    from collector import collect
    from collector.config import load_portals
    from collector.fetch import FetchSettings

    portals = load_portals(portals_file)
    cpu0 = _cpu(os.getpid())
    t0 = time.perf_counter()
    s = collect(portals, YEARS, out, allow_loopback=True, settings=FetchSettings(polite=False, allow_loopback=True))
    wall = time.perf_counter() - t0
    records = s.totals()["records"]
    return {"wall_seconds": round(wall, 2), "records": records, "reports_per_s": round(records / wall, 2),
            "requests": s.requests, "client": {**_self_usage(), "cpu_seconds_in_run": round(_cpu(os.getpid()) - cpu0, 2)},
            "parse_workers": _workers_usage()}


def child_bare(out: str) -> dict[str, Any]:
    """Every raw document of ``out`` through ``process_document``, one after the other."""
    from collector.pipeline import SourceContext, process_document
    from collector.store.dataset import Dataset
    from collector.store.raw import RawStore

    # the documents the crawl stored a row for (its raw store can hold more: pages it fetched but did not keep)
    docs = Dataset(out).read("documents").to_pylist()
    raw = RawStore(out)
    paths = sorted({raw.path(d["document_sha256"]) for d in docs if d["document_sha256"]})
    t0, cpu0 = time.perf_counter(), time.process_time()
    records = 0
    for p in paths:
        o = process_document(p.read_bytes(), SourceContext(source_url=f"https://bench.example.gov.cn/{p.name}.html"))
        records += o.record is not None
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"wall_seconds": round(wall, 2), "documents": len(paths), "records": records,
            "reports_per_s": round(records / wall, 2), "client": {**_self_usage(), "cpu_seconds_in_parse": round(cpu, 2)}}


# -- parent --------------------------------------------------------------------------------------------

def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    res = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env,
                         timeout=1800)
    if res.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _median_run(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(rows, key=lambda r: r["wall_seconds"])
    return {**ordered[(len(ordered) - 1) // 2], "walls": [r["wall_seconds"] for r in rows]}


def run_scale(scale: int, tmp: Path, env: dict[str, str], repeat: int = 1) -> dict[str, Any]:
    portals_file = tmp / f"portals-{scale}.yaml"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(scale), str(portals_file)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdin is not None
    line = server.stdout.readline()
    if not line.startswith("READY"):
        raise SystemExit(f"simulator did not start: {line!r}")
    load_before = os.getloadavg()

    def served(args: list[str], child_env: dict[str, str]) -> dict[str, Any]:
        """A child's figures, with the simulator's CPU meanwhile (it shares the machine's cores)."""
        cpu0 = _cpu(server.pid)
        row = _child(args, child_env)
        row["simulator_cpu_seconds"] = round(_cpu(server.pid) - cpu0, 2)
        return row

    runs: dict[str, list[dict[str, Any]]] = {"flow": [], "library": [], "library_one_process": [], "bare_parse": []}
    try:
        for i in range(repeat):  # in turn, so a slow minute of the VM touches every variant alike
            runs["flow"].append(served(["flow", str(portals_file), str(tmp / f"flow-{scale}-{i}")], env))
            runs["library"].append(served(["library", str(portals_file), str(tmp / f"lib-{scale}-{i}")], env))
            runs["library_one_process"].append(served(["library", str(portals_file), str(tmp / f"lib1-{scale}-{i}")],
                                                      {**env, "XXGK_PARSE_WORKERS": "1"}))
            runs["bare_parse"].append(_child(["bare", str(tmp / f"lib-{scale}-{i}")], env))
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    # each variant's run of median wall time stands for it; every run's wall time is kept
    flow, library, one_process, bare = (_median_run(runs[k]) for k in runs)
    cpus = os.cpu_count() or 1
    for r in (flow, library):
        # every process's CPU during the run over the machine's cores: no schedule on these cores can
        # finish sooner. Above the bare parse's wall, the gap to it is work, not waiting.
        in_run = (r["client"]["cpu_seconds_in_run"] + r["parse_workers"]["cpu_seconds"] + r["simulator_cpu_seconds"]
                  + (r["api"]["cpu_seconds_in_run"] if "api" in r else 0.0))
        r["cpu_floor_seconds"] = round(in_run / cpus, 2)
    # the CPU a flow may use beside the parse itself to stay within 1.3x the bare parse on these cores, and
    # how much of it Prefect alone takes for this run's task graph (the empty-task flow, client and API)
    pf = flow["prefect_floor_cpu_seconds"]
    budget = round(TARGET_FLOW_VS_BARE * bare["wall_seconds"] * cpus - bare["client"]["cpu_seconds_in_parse"], 2)
    row = {"scale": scale, "flow": flow, "library": library, "library_one_process": one_process, "bare_parse": bare,
           "flow_cpu_budget_seconds": {"beside_the_parse": budget, "prefect_floor": round(pf["client"] + pf["api"], 2)},
           "flow_vs_bare": round(flow["wall_seconds"] / bare["wall_seconds"], 2),
           "library_vs_bare": round(library["wall_seconds"] / bare["wall_seconds"], 2),
           "flow_vs_library": round(flow["wall_seconds"] / library["wall_seconds"], 2),
           "pool_speedup": round(one_process["wall_seconds"] / library["wall_seconds"], 2),
           "flow_cpu_floor_vs_bare": round(flow["cpu_floor_seconds"] / bare["wall_seconds"], 2),
           "library_cpu_floor_vs_bare": round(library["cpu_floor_seconds"] / bare["wall_seconds"], 2),
           "load_average": {"before": [round(x, 2) for x in load_before],
                            "after": [round(x, 2) for x in os.getloadavg()]}}
    print(f"scale {scale:2d}: flow {flow['wall_seconds']:6.1f}s ({flow['reports_per_s']:5.1f}/s, "
          f"summary {flow['summary_seconds']}s, "
          f"client {flow['client']['cpu_seconds']:.1f} CPU s / {flow['client']['peak_rss_mb']:.0f} MB, "
          f"API {flow['api']['cpu_seconds']:.1f} CPU s / {flow['api']['peak_rss_mb']:.0f} MB)  "
          f"library {library['wall_seconds']:6.1f}s ({library['reports_per_s']:5.1f}/s, "
          f"{library['client']['cpu_seconds']:.1f} CPU s / {library['client']['peak_rss_mb']:.0f} MB)  "
          f"bare parse {bare['wall_seconds']:6.1f}s ({bare['reports_per_s']:5.1f}/s, "
          f"{bare['client']['peak_rss_mb']:.0f} MB)  flow/bare {row['flow_vs_bare']:.2f}x  "
          f"library/bare {row['library_vs_bare']:.2f}x  "
          f"library with 1 parse process {one_process['wall_seconds']:.1f}s (pool speedup {row['pool_speedup']:.2f}x)  cpu floor flow {flow['cpu_floor_seconds']}s library {library['cpu_floor_seconds']}s  load {load_before[0]:.1f}", file=sys.stderr, flush=True)
    return row


def run_demo(tmp: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "XXGK_"))}
    env["PREFECT_HOME"] = str(tmp / "demo-prefect-home")
    xxgk = str(Path(sys.executable).with_name("xxgk"))
    out: dict[str, Any] = {}
    for label in ("cold", "warm"):  # cold: a new Prefect database is created and migrated
        t0 = time.perf_counter()
        res = subprocess.run([xxgk, "demo", "--out", str(tmp / "demo-out")], env=env, cwd=tmp,
                             capture_output=True, text=True, timeout=600)
        out[f"{label}_seconds"] = round(time.perf_counter() - t0, 2)
        out[f"{label}_exit_code"] = res.returncode
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="2,8,16", help="simulator scales (agencies per portal = 3 x scale)")
    ap.add_argument("--demo", action="store_true", help="also time `xxgk demo` from a new Prefect home")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each variant per scale, in turn; each variant's median run is reported")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "e2e.json")
    ap.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve:
        serve(int(a.serve[0]), a.serve[1])
        return
    if a.child:
        kind, *rest = a.child
        fn = {"flow": child_flow, "library": child_library, "bare": child_bare}[kind]
        print(json.dumps(fn(*rest)))
        return
    scales = [int(x) for x in a.scales.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="xxgk-e2e-") as tmp_s:
        tmp = Path(tmp_s)
        env = dict(os.environ, PREFECT_HOME=str(tmp / "prefect-home"))
        env.pop("PREFECT_API_URL", None)  # the embedded API, measured as its own process
        rows = [run_scale(s, tmp, env, a.repeat) for s in scales]
        demo = run_demo(tmp) if a.demo else None
    result: dict[str, Any] = {
        "benchmark": "e2e", "repeat": a.repeat, "corpus": {"simulator_seed": SEED, "years": YEARS, "faults": None,
                                       "attachments": "none (HTML report pages)", "politeness": "off"},
        "scales": rows,
        "targets": {"flow_vs_bare": TARGET_FLOW_VS_BARE, "demo_seconds": 60},
        "machine": {"python": platform.python_version(), "cpu": platform.machine(), "cpus": os.cpu_count(),
                    "task_runner": os.environ.get("XXGK_TASK_RUNNER", "threads"),
                    "task_workers": os.environ.get("XXGK_TASK_WORKERS", "default")},
    }
    if demo is not None:
        result["demo"] = demo
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
