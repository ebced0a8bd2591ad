"""The bodies of ``xxgk collect``, ``backfill``, ``reparse`` and ``demo``: Prefect flow runs from a terminal.

Each command runs the same flow a deployment runs, in-process: against the configured Prefect
server if ``PREFECT_API_URL`` is set, else against a private temporary API started quietly for
the command (:func:`embedded_api`). Prefect's own console output is turned down
before Prefect is imported; the user sees rich progress bars, a summary table and one-line errors.

Exit codes: 0 when the run completed, even with some portals failed; 1 when nothing could be
collected (or the run itself failed); 2 when the configuration is invalid.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from collector.errors import BadLocation, CollectorError, ConfigError

STDOUT = Console()
STDERR = Console(stderr=True)
DEMO_MARKER = ".xxgk-demo"


def writable_root(out: str | Path) -> str:
    """The output root normalised; raises a one-line error when it cannot be written."""
    from collector.store.location import check_writable

    return check_writable(out)


def _error(msg: str) -> None:
    STDERR.print(f"[bold red]error:[/] {msg}", highlight=False, soft_wrap=True)


# Imported while the embedded API's server starts (seconds in which this process only waits): the
# flows, and what a run needs later — the store (pyarrow, without pandas: collector.store.arrow) and
# the summary every run ends with (Altair, DuckDB).
# Imported in the run instead, they held the GIL while discovery parsed the listing pages (issue #13).
PRELOAD = ("flows.backfill", "flows.collect", "flows.reparse", "collector.store.dataset",
           "collector.summary")


@contextmanager
def _prefect() -> Iterator[Any]:
    """Quiet Prefect, import the flows, and hold an API (configured server or embedded) for the block."""
    from flows.env import quiet_env

    quiet_env()
    with embedded_api(preload=PRELOAD):
        from flows.backfill import backfill_flow
        from flows.collect import collect_flow
        from flows.reparse import reparse_flow

        yield SimpleNamespace(collect_flow=collect_flow, backfill_flow=backfill_flow, reparse_flow=reparse_flow)


# -- an embedded, silent API for scripts ----------------------------------------------------------------


@contextlib.contextmanager
def _fds_to(path: Path) -> Iterator[None]:
    """Point fd 1 and 2 at ``path`` for the block; a child started inside keeps writing there."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(path, "ab") as fh:
        try:
            os.dup2(fh.fileno(), 1)
            os.dup2(fh.fileno(), 2)
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _drain() -> None:
    """Flush buffered run logs and events before the API goes away (else: connection errors at exit)."""
    import inspect

    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def drain() -> None:
        with contextlib.suppress(Exception):
            res = APILogWorker.instance().drain()
            if inspect.isawaitable(res):
                await res
        with contextlib.suppress(Exception):
            res = EventsWorker.drain_all()
            if inspect.isawaitable(res):
                await res

    with contextlib.suppress(Exception):
        run_coro_as_sync(drain())


# Services the embedded API does not need: nobody subscribes to its event stream, and automations
# (triggers and their actions) belong to a real server. Run states and events are still recorded,
# so a later `prefect server start` on the same home shows the runs. Issue #13: less CPU taken
# from the parse workers on a small machine. The task-run recorder writes its records in batches
# (Prefect's default is one database write per event; it flushes every 5 s, and at stop): nobody
# reads this API's records while the run lasts, and ~1/3 of its CPU in a run goes (measured).
EMBEDDED_API_ENV = {
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_EVENTS_STREAM_OUT_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
}


def embedded_client_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Client settings for flow runs on the embedded API: no flow-run heartbeats.

    Heartbeats let a server's automations mark a crashed run; the embedded API lives only as long
    as this process and runs no automations, so they are useless here — and costly: the engine's
    heartbeat thread sleeps in 1 s steps and every flow run joins it at exit, 0.5-1 s added to
    each run (issue #13: a tenth of a collect at scale 4). A heartbeat frequency the user set is kept.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY

    env = os.environ if environ is None else environ
    if any(k in env for k in ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY")):
        return {}
    return {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}


def _build_prefect_models() -> None:
    """Complete Prefect's client models now: pydantic builds a deferred model's validator on first
    use, inside the first flow run (~0.2-0.4 s of its start on this machine)."""
    import pydantic

    for name, module in list(sys.modules.items()):
        if not name.startswith("prefect.client"):
            continue
        for obj in list(vars(module).values()):
            if (isinstance(obj, type) and issubclass(obj, pydantic.BaseModel) and obj.__module__ == name
                    and not obj.__pydantic_complete__):
                with contextlib.suppress(Exception):  # a model that cannot be built yet is built on use, as before
                    obj.model_rebuild()


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables (unless already set) for the block: the server subprocess copies them."""
    added = {k: v for k, v in values.items() if k not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


def _first_request(api_url: str) -> None:
    """Send the API its first routed request now. FastAPI builds every route's dependencies on the
    first request through the API router: ~1 s of the server's CPU that the flow run's first call
    (Prefect's version check) waited for (issue #13). Made as soon as the server is up, it overlaps
    with the client's own preparations; a call that comes sooner just waits for it, as before."""
    import httpx

    with contextlib.suppress(Exception):  # a warm-up: the flow run's own call reports any problem
        httpx.get(f"{api_url}/admin/version", timeout=60)


@contextlib.contextmanager
def embedded_api(log_dir: str | Path | None = None, preload: Sequence[str] = ()) -> Iterator[str]:
    """Use the configured Prefect server, or start Prefect's temporary local API quietly for the block.

    Prefect starts that API on first use and stops it at exit, printing its start/stop banners and
    whatever the server subprocess writes during shutdown; here it is started explicitly with its
    output sent to ``prefect-api.log`` and stopped after the run's logs and events are drained.
    ``preload``: modules (the flows) imported while the server process starts, in a thread — the
    main thread only waits on the subprocess meanwhile, so the two overlap. Yields the API URL.
    """
    from prefect.settings import get_current_settings

    if get_current_settings().api.url:
        yield str(get_current_settings().api.url)
        return
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import temporary_settings

    base = Path(log_dir) if log_dir else Path(get_current_settings().home)
    base.mkdir(parents=True, exist_ok=True)
    log = base / "prefect-api.log"
    server = SubprocessASGIServer()  # the instance Prefect's own clients will find and reuse

    def warm_up() -> None:
        for name in preload:
            with contextlib.suppress(ImportError):  # an optional one (pandas): its user imports it, or not
                importlib.import_module(name)
        _build_prefect_models()

    warm = threading.Thread(target=warm_up, name="xxgk-prefect-warm-up", daemon=True)
    warm.start()  # while the server starts (seconds), not at the first flow run
    with _fds_to(log), _environ(EMBEDDED_API_ENV):
        server.start()
    threading.Thread(target=_first_request, args=(server.api_url,), daemon=True, name="xxgk-api-first-request").start()
    warm.join()
    try:
        with temporary_settings(updates=embedded_client_settings()):
            yield server.api_url
    finally:
        _drain()
        with _fds_to(log):
            server.stop()


def summary_table(summary: dict[str, Any], title: str) -> Table:
    """found = report pages; new / updated / unchanged / failed / blocked split them; records written."""
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
              padding=(0, 1, 0, 0))
    cols = ("portal", "cms", "found", "new", "updated", "unchanged", "failed", "blocked", "records")
    for col in cols:
        t.add_column(col, justify="left" if col in ("portal", "cms") else "right", no_wrap=True)
    for p in summary["portals"]:
        style = "red" if not p["collected"] else ("yellow" if p["failed"] or p["blocked"] else None)
        t.add_row(p["portal_id"], p["family"] or "-", *(str(p[k]) for k in cols[2:]), style=style)
    tot = summary["totals"]
    t.add_row("total", "", *(str(tot[k]) for k in cols[2:]), style="bold")
    return t


def _print_summary(summary: dict[str, Any], title: str) -> None:
    """The table, then one line per portal that failed or whose records drew validation findings."""
    from collector.validate import rule_name

    STDOUT.print(summary_table(summary, title))
    for p in summary["portals"]:
        if p["error"]:
            STDOUT.print(f"  [red]{p['portal_id']}[/]: {p['error']}", highlight=False, soft_wrap=True)
        elif p["findings"]:
            found = ", ".join(f"{k} ({rule_name(int(k.split()[1]))}): {v}" for k, v in sorted(p["findings"].items()))
            STDOUT.print(f"  {p['portal_id']}: validation findings {found}", highlight=False, soft_wrap=True)
    failures, total = summary.get("failures") or [], summary.get("failures_total", 0)
    for f in failures[:5]:
        STDOUT.print(f"  {f['status']}: {f['url']} — {f['reason'] or 'no reason'}: {(f['message'] or '')[:120]}",
                     highlight=False, soft_wrap=True)
    if total > 5:
        STDOUT.print(f"  … and {total - 5} more failed or blocked URLs (see the run's artifact)", highlight=False)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description:<20}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[note]}"), TimeElapsedColumn(), console=STDERR, transient=False)


def _portal_events(progress: Progress, portal_ids: list[str]) -> Callable[..., None]:
    """Progress bars per portal, fed by the flow's task events (discovered / fetched / processed)."""
    bars = {pid: progress.add_task(pid, total=None, note="discovering") for pid in portal_ids}

    def on_event(event: str, portal_id: str = "", count: int = 0, **info: Any) -> None:
        bar = bars.get(portal_id)
        if bar is None:
            return
        if event == "discovered":
            if info.get("error"):
                progress.update(bar, total=1, completed=1, note=f"[red]failed: {str(info['error'])[:50]}")
            else:
                progress.update(bar, total=max(count, 1), completed=0 if count else 1,
                                note="fetching" if count else "no reports")
        elif event == "fetched":
            progress.update(bar, note="parsing")
        elif event == "processed":
            progress.advance(bar, count)
            done = progress.tasks[bar].finished
            progress.update(bar, note="done" if done else "fetching")

    return on_event


def _execute(progress: Progress, call: Callable[[], dict[str, Any]], title: Callable[[dict[str, Any]], str]) -> int:
    """Run the flow while the bars are live; after they stop, print the summary and pick the exit code."""
    from collector.runreport import RunFailed

    try:
        summary, error = call(), None
    except Exception as exc:  # noqa: BLE001 - reported below as one line, once the bars are gone
        summary, error = None, exc
    progress.stop()
    if isinstance(error, RunFailed):
        _print_summary(error.summary, title(error.summary))
        _error(str(error))
        return 1
    if isinstance(error, ConfigError):
        _error(str(error))
        return 2
    if error is not None:
        if os.environ.get("XXGK_DEBUG"):
            raise error
        _error(str(error) if isinstance(error, CollectorError) else f"the run failed: {type(error).__name__}: {error}")
        return 1
    assert summary is not None
    _print_summary(summary, title(summary))
    for note in summary.get("notes") or []:
        STDERR.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    html = (summary.get("dataset") or {}).get("html")
    if html:
        STDERR.print(f"dataset report: {html}", highlight=False, soft_wrap=True)
    return 0


def _years_title(kind: str) -> Callable[[dict[str, Any]], str]:
    def title(s: dict[str, Any]) -> str:
        ys = s["years"]
        span = f"years {ys[0]}–{ys[-1]}" if ys else "all years"
        return f"{kind}: {span}, {s['seconds']:.1f}s, dataset {s['out']}"

    return title


def _check_portals(portals_file: Path, only: list[str] | None) -> list[str]:
    """Validate the configuration before starting anything; return the portal ids to run."""
    from collector.workspace import select_portals

    return [p.id for p in select_portals(portals_file, only)]


def run_collect_flow(portals_file: Path, out: str | Path, years: str | list[int] | None, allow_loopback: bool,
                     only: list[str] | None = None, force: bool = False, polite: bool = True,
                     batch_size: int = 25, kind: str = "collect") -> int:
    """``xxgk collect`` / ``xxgk backfill``: the collect flow (backfill = explicit years)."""
    from collector.crawl import parse_years

    try:
        out = writable_root(out)
    except CollectorError as exc:
        _error(str(exc))
        return 2 if isinstance(exc, BadLocation | ConfigError) else 1
    try:
        ids = _check_portals(portals_file, only)
        ys = parse_years(years) if years is not None else None
        if batch_size < 1:
            raise ConfigError("--batch-size must be at least 1")
    except ConfigError as exc:
        _error(str(exc))
        return 2
    with _prefect() as flows, _progress() as progress:
        from collector.events import progress_hook

        params: dict[str, Any] = {"portals_file": str(portals_file), "out": str(out), "portal_ids": only or None,
                                  "force": force, "allow_loopback": allow_loopback, "polite": polite,
                                  "batch_size": batch_size}
        if kind == "backfill" and ys:  # the backfill flow: the collect flow as a subflow, explicit years
            call = partial(flows.backfill_flow, start=ys[0], end=ys[-1], **params)
        else:
            call = partial(flows.collect_flow, years=ys, **params)
        with progress_hook(_portal_events(progress, ids)):
            return _execute(progress, call, _years_title(kind))


def run_backfill(start: int, end: int, portals_file: Path, out: str | Path, only: list[str] | None, force: bool,
                 allow_loopback: bool, polite: bool = True, batch_size: int = 25) -> int:
    if not 1990 <= start <= end <= 2100:
        _error(f"bad year range --from {start} --to {end}")
        return 2
    return run_collect_flow(portals_file, out, list(range(start, end + 1)), allow_loopback, only=only, force=force,
                            polite=polite, batch_size=batch_size, kind="backfill")


def run_reparse(out: str | Path, years: list[int] | None, portal_ids: list[str] | None, batch_size: int = 50) -> int:
    """``xxgk reparse``: every stored raw document through the current parser; no network."""
    from collector.store.location import holds

    try:
        out = writable_root(out)
        if not holds(out, "documents"):
            raise ConfigError(f"{out}: no dataset with stored documents here (run xxgk collect first)")
    except CollectorError as exc:
        _error(str(exc))
        return 2 if isinstance(exc, BadLocation | ConfigError) else 1
    with _prefect() as flows, _progress() as progress:
        from collector.events import progress_hook

        bar = progress.add_task("reparse", total=None, note="planning")

        def on_event(event: str, count: int = 0, **info: Any) -> None:
            if event == "planned":
                progress.update(bar, total=max(count, 1), completed=0 if count else 1, note="parsing")
            elif event == "processed":
                progress.advance(bar, count)

        call = partial(flows.reparse_flow, out=str(out), years=years or None, portal_ids=portal_ids or None,
                       batch_size=batch_size)
        with progress_hook(on_event):
            return _execute(progress, call, _years_title("reparse"))


# -- demo ------------------------------------------------------------------------------------------


def demo_query(out: Path) -> str:
    glob = (out / "reports" / "**" / "*.parquet").as_posix()
    return ("select agency_name, report_year, s3__new_received__total "
            f"from read_parquet('{glob}', hive_partitioning=true) order by report_year desc, agency_name")


def _prepare_demo_dir(out: Path) -> None:
    """A fresh directory per demo (the simulator's URLs change port between runs)."""
    if out.exists():
        if (out / DEMO_MARKER).exists():
            shutil.rmtree(out)
        elif out.is_dir() and any(out.iterdir()):
            raise ConfigError(f"{out} exists and is not an earlier demo's output; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    (out / DEMO_MARKER).write_text("written by `xxgk demo`; the next demo replaces this directory\n")


def _prepare_demo_root(out: str) -> None:
    """A URI root: check it can be written and holds no earlier dataset (its URLs would be stale)."""
    from collector.store.location import holds

    writable_root(out)
    if holds(out, "reports") or holds(out, "documents"):
        raise ConfigError(f"{out} already holds a dataset; choose another --out")


def _show_query(out: str) -> None:
    """The first rows through DuckDB: a glob over a local root; an Arrow table read by the library elsewhere."""
    from collector.store.location import scheme

    local = scheme(out) is None
    q = demo_query(Path(out)) if local else (
        "select agency_name, report_year, s3__new_received__total from reports order by report_year desc, agency_name")
    STDOUT.print(f"\n[bold]Dataset:[/] {Path(out).resolve() if local else out}  (reports, cells, findings, documents; "
                 "raw bytes in raw/)")
    if local:
        STDOUT.print("[bold]Read it with DuckDB:[/]")
        STDOUT.print(f'  duckdb -c "{q} limit 10"', highlight=False, soft_wrap=True)
    else:
        STDOUT.print(f'[bold]Read it with the library:[/] Dataset("{out}").read("reports")', highlight=False,
                     soft_wrap=True)
    try:
        import duckdb
    except ImportError:
        return
    con = duckdb.connect()
    if not local:
        from collector.store.dataset import Dataset

        con.register("reports", Dataset(out, repair=False).read("reports"))
    rows = con.execute(f"{q} limit 10").fetchall()
    total = con.execute(f"select count(*) from ({q})").fetchone()
    t = Table(title=f"first rows of {total[0] if total else 0} reports (DuckDB, in-process)", title_justify="left")
    for col in ("agency_name", "report_year", "s3__new_received__total"):
        t.add_column(col)
    for r in rows:
        t.add_row(*(str(v) for v in r))
    STDOUT.print(t)


def run_demo(out: str | Path | None = None, seed: int = 0) -> int:
    """Start the portal simulator, collect every simulated year from it, show the dataset."""
    from collector.sim import run_simulator
    from collector.store.location import scheme

    root = str(out or "demo-out")
    try:
        if scheme(root) is None:
            _prepare_demo_dir(Path(root))
        else:
            _prepare_demo_root(root)
    except CollectorError as exc:
        _error(str(exc))
        return 2
    with run_simulator(seed=seed, scale=1, faults="default") as sim:
        years = sorted({int(t["record"]["report_year"]) for t in sim.truth})
        STDERR.print(f"simulator: {len(sim.portals)} portals, {len(sim.truth)} reports ({years[0]}–{years[-1]}) "
                     f"on {sim.base_url}; some pages fail or are blocked on purpose", highlight=False)
        code = run_collect_flow(sim.portals_path, root, f"{years[0]}-{years[-1]}", allow_loopback=True)
    if code == 0:
        _show_query(root)
    return code


__all__ = ["demo_query", "embedded_api", "run_backfill", "run_collect_flow", "run_demo", "run_reparse", "summary_table"]
