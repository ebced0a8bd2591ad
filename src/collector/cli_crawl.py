"""The body of ``xxgk sim`` (registered in :mod:`collector.cli`; ``xxgk collect`` runs the Prefect
flow in :mod:`collector.cli_flows`, which calls :mod:`collector.crawl`)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from rich.console import Console

STDOUT = Console()
STDERR = Console(stderr=True)


def run_sim(port: int, seed: int, scale: int, faults: str, truth_dir: Path | None, formats: str | None) -> int:
    """Serve the simulator until interrupted; print its portal YAML (stdout) and where the truth is."""
    from collector.sim import Simulator

    fmts = None if formats is None else {f.strip() for f in formats.split(",") if f.strip()}
    try:
        sim = Simulator(seed=seed, scale=scale, faults=faults, port=port, formats=fmts, truth_dir=truth_dir)
    except ValueError as exc:
        STDERR.print(f"[bold red]error:[/] {exc}", highlight=False)
        return 2
    sim._own_dir = False  # the user asked for the files: keep them after the server stops
    sim.start()
    STDOUT.print(sim.portals_yaml, end="", highlight=False, markup=False, soft_wrap=True)
    STDOUT.print(f"# portals file: {sim.portals_path}\n# ground truth: {sim.truth_dir / 'truth.json'} "
                 f"(+ {len(sim.truth)} reports in {sim.truth_dir / 'reports'})\n# serving on {sim.base_url} "
                 "— Ctrl-C to stop", highlight=False, markup=False, soft_wrap=True)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sim.stop()
    return 0
