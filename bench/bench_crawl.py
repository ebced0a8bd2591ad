"""Crawl benchmark against the simulator: pages/s with politeness off, and peak RSS vs portal count.

The simulator runs in its own process (one core), the crawler in a fresh child process per
measurement (so ``ru_maxrss`` is that run's peak). Portal counts grow by serving several
simulated worlds (4 portals each, distinct seeds and ports). Modes per portal count:
``crawl`` (discover + fetch into the raw store and crawl state: what the target is about),
``minimal`` (a plain ``httpx.AsyncClient`` GETting the very URLs that crawl recorded in its crawl
state, with the crawl's concurrency, bodies kept nowhere: the ceiling the crawl is compared with)
and ``collect`` (also parse, validate and write Parquet). The crawl and the minimal client run
alternately ``--repeat`` times; the best pages/s of each is kept (the machine is shared: the
best run is the one least disturbed), and ``ratio_to_minimal`` = crawl ÷ minimal. Each row also
gives ``cpu_ms_per_request`` (the child's CPU over its requests: steadier than pages/s on a shared
machine). ``--baseline SRC`` (another checkout's ``src``, e.g. main's) adds that code's crawl to
every pair, run back to back with this one against the same simulator (``baseline_*`` keys).

    .venv/bin/python bench/bench_crawl.py [--scale 4] [--worlds 1,2,4] [--repeat 2] [--no-collect] [--baseline SRC]

Writes ``bench/results/crawl.json``.
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

HERE = Path(__file__).resolve().parent
TARGET_PAGES_PER_S = 300


def serve(worlds: int, scale: int, out_dir: Path) -> None:
    """Child: run ``worlds`` simulators; write one portal YAML per prefix count; wait for stdin EOF."""
    from collector.config import portals_to_yaml
    from collector.sim import Simulator

    sims = [Simulator(seed=100 + i, scale=scale, faults=None, formats=set()).start() for i in range(worlds)]
    portals = []
    for i, sim in enumerate(sims):
        portals.append([p.model_copy(update={"id": f"w{i}-{p.id}", "max_pages": 10_000}) for p in sim.portals])
    for n in range(1, worlds + 1):
        (out_dir / f"portals-{n}.yaml").write_text(portals_to_yaml([p for w in portals[:n] for p in w]), "utf-8")
    truth = [len(s.truth) for s in sims]
    print("READY", json.dumps({"reports_per_world": truth}), flush=True)
    sys.stdin.read()
    for s in sims:
        s.stop()


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def crawl_child(portals_file: str, out: str, mode: str) -> None:
    """Child: one measured run; prints JSON. A crawl leaves the URLs it fetched in ``OUT.urls``."""
    if mode == "minimal":
        minimal_child(portals_file, out)
        return
    from collector import collect
    from collector.config import load_portals
    from collector.fetch import FetchSettings

    imported = {"modules_after_import": len(sys.modules),
                "rss_after_import_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    portals = load_portals(portals_file)
    settings = FetchSettings.for_tests(read_timeout=10.0, total_timeout=30.0)
    t0, c0 = time.perf_counter(), _cpu()
    s = collect(portals, "2019-2023", out, settings=settings, process=(mode == "collect"), parallel_portals=8)
    dt, cpu = time.perf_counter() - t0, _cpu() - c0
    tot = s.totals()
    result = {
        "mode": mode, "portals": len(portals), "requests": s.requests, "seconds": round(dt, 3),
        "pages_per_s": round(s.requests / dt, 1), "cpu_seconds": round(cpu, 2),
        "cpu_ms_per_request": round(1000 * cpu / max(1, s.requests), 2), "found": tot["found"],
        "documents": tot["documents"], "failed": tot["failed"], "records": tot["records"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **imported, "modules_at_end": len(sys.modules),
        "arrow_loaded": any(m in sys.modules for m in ("pyarrow", "numpy", "pandas")),
    }
    if mode == "crawl":  # the URL list for the minimal client (read after the measurement)
        from collector.store.state import CrawlState

        with CrawlState(out) as st:
            Path(out + ".urls").write_text("\n".join(r.url for r in st.rows()) + "\n", "utf-8")
    print(json.dumps(result))


def minimal_child(urls_file: str, concurrency: str) -> None:
    """Child: the URLs of a crawl through a bare ``httpx.AsyncClient``: the crawl's per-host
    concurrency (all simulated worlds are one host, 127.0.0.1), redirects followed, bodies read and
    dropped; each response (redirect hops included) is one request, as the crawl counts them."""
    import asyncio

    import httpx

    urls = [u for u in Path(urls_file).read_text("utf-8").splitlines() if u]

    async def run() -> int:
        sem = asyncio.Semaphore(int(concurrency))
        count = 0
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
        async with httpx.AsyncClient(limits=limits, follow_redirects=True, timeout=30.0) as client:
            async def one(url: str) -> None:
                nonlocal count
                async with sem:
                    r = await client.get(url)
                    count += 1 + len(r.history)

            await asyncio.gather(*(one(u) for u in urls))
        return count

    t0, c0 = time.perf_counter(), _cpu()
    n = asyncio.run(run())
    dt, cpu = time.perf_counter() - t0, _cpu() - c0
    print(json.dumps({"mode": "minimal", "urls": len(urls), "requests": n, "seconds": round(dt, 3),
                      "pages_per_s": round(n / dt, 1), "cpu_seconds": round(cpu, 2),
                      "cpu_ms_per_request": round(1000 * cpu / max(1, n), 2), "concurrency": int(concurrency),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=4, help="agencies per portal = 3 x scale")
    ap.add_argument("--worlds", default="1,2,4", help="simulated worlds (4 portals each) per measurement")
    ap.add_argument("--no-collect", action="store_true", help="skip the parse+store measurements")
    ap.add_argument("--repeat", type=int, default=2, help="crawl/minimal pairs per portal count (best kept)")
    ap.add_argument("--baseline", help="src directory of another checkout: its crawl runs back to back with this one")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child", nargs=3, metavar=("PORTALS", "OUT", "MODE"), help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        crawl_child(*a.child)
        return
    counts = sorted({int(x) for x in a.worlds.split(",")})
    if a.serve:
        serve(max(counts), a.scale, Path(a.dir))
        return
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="xxgk-bench-") as tmp:
        server = subprocess.Popen([py, __file__, "--serve", "--worlds", str(max(counts)), "--scale", str(a.scale),
                                   "--dir", tmp], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("READY"):
            raise SystemExit(f"simulator did not start: {line!r}")
        runs, minimal, ratios, base_runs, base_ratios = [], [], [], [], []
        load_before = [round(x, 2) for x in os.getloadavg()]

        def child(args: list[str], src: str | None = None) -> dict:
            env = {**os.environ, "PYTHONPATH": src} if src else None  # the baseline's code first on the path
            res = subprocess.run([py, __file__, "--child", *args], capture_output=True, text=True, check=True, env=env)
            return json.loads(res.stdout.strip().splitlines()[-1])

        def show(row: dict) -> None:
            if row["mode"] == "minimal":
                print(f"minimal  urls={row['urls']:5d} requests={row['requests']:5d} {row['seconds']:6.2f}s "
                      f"{row['pages_per_s']:7.1f} pages/s cpu {row['cpu_seconds']:.2f}s "
                      f"({row['cpu_ms_per_request']:.2f} ms/request)", flush=True)
                return
            print(f"{row['mode']:8s} portals={row['portals']:3d} requests={row['requests']:5d} "
                  f"{row['seconds']:6.2f}s {row['pages_per_s']:7.1f} pages/s cpu {row['cpu_seconds']:.2f}s "
                  f"({row['cpu_ms_per_request']:.2f} ms/request) "
                  f"peak RSS {row['peak_rss_mb']:.0f} MB (imports {row['rss_after_import_mb']:.0f} MB, "
                  f"{row['modules_after_import']} modules) records={row['records']}", flush=True)

        try:
            for n in counts:
                best: dict[str, dict] = {}
                for i in range(max(1, a.repeat)):
                    out = Path(tmp) / f"out-crawl-{n}-{i}"
                    steps = [("crawl", [f"{tmp}/portals-{n}.yaml", str(out), "crawl"], None)]
                    if a.baseline:
                        steps.append(("baseline", [f"{tmp}/portals-{n}.yaml", f"{out}-baseline", "crawl"], a.baseline))
                    steps.append(("minimal", [f"{out}.urls", "4", "minimal"], None))
                    for mode, args, src in steps:
                        row = child(args, src)
                        if mode == "baseline":
                            print("baseline ", end="")
                        show(row)
                        if mode not in best or row["pages_per_s"] > best[mode]["pages_per_s"]:
                            best[mode] = row
                runs.append(best["crawl"])
                minimal.append(best["minimal"])
                ratios.append(round(best["crawl"]["pages_per_s"] / best["minimal"]["pages_per_s"], 2))
                print(f"         portals={best['crawl']['portals']:3d} crawl/minimal = {ratios[-1]:.2f}", flush=True)
                if a.baseline:
                    base_runs.append(best["baseline"])
                    base_ratios.append(round(best["baseline"]["pages_per_s"] / best["minimal"]["pages_per_s"], 2))
                    print(f"         portals={best['crawl']['portals']:3d} baseline/minimal = {base_ratios[-1]:.2f}",
                          flush=True)
            for n in () if a.no_collect else counts:
                row = child([f"{tmp}/portals-{n}.yaml", str(Path(tmp) / f"out-collect-{n}"), "collect"])
                show(row)
                runs.append(row)
        finally:
            server.stdin.close()  # type: ignore[union-attr]
            server.wait(timeout=30)
    crawl_runs = [r for r in runs if r["mode"] == "crawl"]
    result = {
        "benchmark": "crawl", "scale": a.scale, "target_pages_per_s": TARGET_PAGES_PER_S, "repeat": a.repeat,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "runs": runs, "minimal_runs": minimal,
        "crawl_pages_per_s_min": min(r["pages_per_s"] for r in crawl_runs),
        "meets_target": all(r["pages_per_s"] >= TARGET_PAGES_PER_S for r in crawl_runs),
        "ratio_to_minimal": ratios, "ratio_to_minimal_min": min(ratios), "target_ratio_to_minimal": 0.5,
        "rss_growth_mb": round(crawl_runs[-1]["peak_rss_mb"] - crawl_runs[0]["peak_rss_mb"], 1),
        "crawl_peak_rss_mb_max": max(r["peak_rss_mb"] for r in crawl_runs), "target_crawl_peak_rss_mb": 80,
        "load_average_before": load_before, "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    if a.baseline:
        result.update(baseline_src=a.baseline, baseline_runs=base_runs, baseline_ratio_to_minimal=base_ratios)
    dest = HERE / "results" / "crawl.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
