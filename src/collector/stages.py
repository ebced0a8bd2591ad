"""The crawl stages as functions over a workspace, and the library's composition of them.

Each stage is one coarse step a Prefect task wraps (one call each, ``flows/tasks.py``) and
:func:`collect` composes in-process: the flows, :func:`collect`, ``xxgk parse --out`` and the
benchmarks run the same functions, write through the same sink (:mod:`collector.sink`) and fill
the same :class:`~collector.runreport.RunReport`. Stages take and return references (candidates,
fetched-document refs, re-parse groups), never page bytes.

Retries: an I/O stage (discovery) raises a transient error (:func:`collector.errors.is_transient`)
only when its caller says another attempt will follow (``retry=True``); otherwise the failure
becomes the portal's error in the report.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from collector.config import Portal
from collector.crawl import FetchedRef, classify, process_refs
from collector.discover import Candidate
from collector.errors import ConfigError, FetchError, StoreError, is_transient
from collector.events import emit
from collector.fetch import FetchSettings
from collector.runreport import (
    DatasetReport,
    Discovered,
    FetchedBatch,
    RunReport,
    Span,
    WriteFailed,
    WrittenBatch,
)
from collector.sink import BatchStats
from collector.store.location import has_dataset, scheme
from collector.workspace import RunContext, Workspace

log = logging.getLogger(__name__)


def open_output(ws: Workspace, *, summary: bool = False) -> list[str]:
    """Repair the dataset before the run; returns the damaged files set aside ("path: reason").

    Meanwhile, in the background, the parse workers start and (``summary``: the run ends with
    :func:`summarise`) the summary's modules load — while discovery waits on the network, not
    on the critical path at the first parsed batch and at the end of the run (issue #13)."""
    from collector import parallel

    parallel.shared_pool().warm()
    if summary:
        threading.Thread(target=importlib.import_module, args=("collector.summary",), daemon=True,
                         name="xxgk-preload-summary").start()
    return ws.prepare()


def discover(ws: Workspace, portal: Portal, *, retry: bool = False) -> Discovered:
    """Walk one portal's listing pages with its run fetcher; a refusal comes back as the portal's error."""
    t0 = time.perf_counter()

    async def run() -> tuple[list[Candidate], Any]:
        return await (await ws.session(portal)).discover(portal, list(ws.ctx.years))

    try:
        cands, walked = ws.run_io(run())
    except FetchError as exc:
        if retry and is_transient(exc):
            raise
        emit("discovered", portal_id=portal.id, count=0, error=str(exc))
        return Discovered(portal.id, error=str(exc), error_code=exc.code, span=(t0, time.perf_counter()))
    emit("discovered", portal_id=portal.id, count=len(cands))
    return Discovered(portal.id, cands, walked.family, walked.pages, span=(t0, time.perf_counter()))


def fetch(ws: Workspace, portal: Portal, candidates: Sequence[Candidate], *,
          ready: Callable[[], object] | None = None) -> FetchedBatch:
    """Fetch report pages and attachments into the raw store with the portal's run fetcher.

    ``ready``: called between the downloads and their classification (new / updated / unchanged,
    read from the crawl state's processed marks, which opening the dataset may reset): the library
    path downloads while the dataset opens (issue #13)."""
    t0 = time.perf_counter()

    async def run() -> list[FetchedRef]:
        return await (await ws.session(portal)).fetch_all(portal, candidates)

    refs = ws.run_io(run())
    if ready is not None:
        ready()
    reports, docs, failed = classify(ws, refs)
    emit("fetched", portal_id=portal.id, count=len(candidates))
    return FetchedBatch(portal.id, refs, reports, docs, failed, span=(t0, time.perf_counter()))


def _written(portal_id: str, stats: BatchStats, span: Span) -> WrittenBatch:
    return WrittenBatch(portal_id, stats.candidates, stats.processed, stats.records, stats.document_errors,
                        dict(stats.rows_written), dict(stats.findings), span=span, legacy=dict(stats.legacy),
                        quarantined=stats.quarantined, failures=stats.failures)


def write(ws: Workspace, batch: FetchedBatch) -> WrittenBatch:
    """Parse, validate and write one fetched batch through the sink."""
    t0 = time.perf_counter()
    stats = process_refs(batch.refs, ws)
    emit("processed", portal_id=batch.portal_id, count=stats.candidates, records=stats.records)
    return _written(batch.portal_id, stats, (t0, time.perf_counter()))


def fetch_and_write(ws: Workspace, portal: Portal, candidates: Sequence[Candidate]) -> tuple[FetchedBatch, WrittenBatch]:
    """Fetch one batch, then parse, validate and write it: the flow's one task per portal batch.

    One task instead of a fetch task and a write task halves the task runs a collect records on the
    Prefect API (each costs the API and the engine CPU that the parse needs; issue #13). A write that
    fails raises :class:`WriteFailed`, which carries the fetch's tallies for the report."""
    f = fetch(ws, portal, candidates)
    try:
        return f, write(ws, f)
    except Exception as exc:
        raise WriteFailed(f, exc) from exc


def plan_reparse(ws: Workspace, portal_ids: Iterable[str] | None = None) -> list[Any]:
    """Which stored report pages to re-parse (the run's years; all when none): references only."""
    from collector.reparse import plan_reparse as plan

    if not has_dataset(ws.root):
        raise ConfigError(f"{ws.root}: no such dataset")
    groups = plan(ws, years=ws.ctx.years or None, portal_ids=portal_ids)
    emit("planned", count=len(groups))
    return groups


def reparse(ws: Workspace, groups: Sequence[Any]) -> WrittenBatch:
    """Re-parse one batch of stored report pages from the raw store through the sink."""
    from collector.reparse import reparse_groups

    t0 = time.perf_counter()
    stats = reparse_groups(groups, ws)
    pid = (groups[0].portal_id if groups else None) or "-"
    emit("processed", portal_id=pid, count=len(groups), records=stats.records)
    return _written(pid, stats, (t0, time.perf_counter()))


def migrate(ws: Workspace) -> int:
    """Rewrite files of an older schema layout in the current one (before a re-parse)."""
    if not has_dataset(ws.root):
        raise ConfigError(f"{ws.root}: no such dataset")
    with ws.writing() as ds:
        return ds.migrate()


def compact(ws: Workspace) -> Span:
    """Merge the partitions the run left with many small files (``FANOUT`` or more: the write
    tiers bound the rest), so readers scan few files."""
    from collector.store.keyindex import FANOUT

    t0 = time.perf_counter()
    with ws.writing() as ds:
        merged = ds.compact(min_files=FANOUT)
    log.info("compacted %d files", merged)
    return (t0, time.perf_counter())


def summarise(ws: Workspace) -> DatasetReport:
    """The dataset summary (``collector.summary``): markdown for the artifact, and ``OUT/summary.html``."""
    from collector.summary import summarise as summarise_dataset
    from collector.summary import summary_markdown, write_html

    t0 = time.perf_counter()
    s = summarise_dataset(ws.root)
    html, error = None, None
    try:
        html = str(write_html(s, f"{ws.root}/summary.html"))
    except Exception as exc:  # noqa: BLE001 - the tables still go out without the HTML file
        error = f"the HTML report could not be written: {type(exc).__name__}: {exc}"
        log.warning(error)
    link = (html if scheme(html) else Path(html).as_uri()) if html else None
    return DatasetReport(summary_markdown(s, html_link=link), html, error, span=(t0, time.perf_counter()))


def finish(ws: Workspace) -> int:
    """Close the run's fetchers and crawl state; returns the HTTP requests the run made."""
    n = ws.requests()
    Workspace.close_run(ws.run_id)
    ws.close()
    return n


def chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    size = max(1, int(size))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


# -- the library's composition ---------------------------------------------------------------------------


def run_collect(ctx: RunContext, *, process: bool = True, parallel_portals: int = 4,
                summary: bool = False) -> RunReport:
    """Discover, fetch, parse, validate and store ``ctx.portals`` in-process: portals in parallel
    threads, each portal's batches fetched in order, each batch written while the next one
    downloads (the same stages, overlap and report as the collect flow)."""
    report = RunReport.start("collect", ctx)
    ws = Workspace.for_run(ctx)
    opening = ThreadPoolExecutor(1, thread_name_prefix="xxgk-open")
    # writes wait on the parse pool and the store, not on the CPU: a thread per portal is plenty
    writing = ThreadPoolExecutor(max(1, parallel_portals), thread_name_prefix="xxgk-write")
    try:
        # the dataset opens (imports, repair) while discovery and the first downloads wait on the
        # network. Classifying a download and deciding what to parse wait for it: both read the crawl
        # state's processed marks, which the repair resets when it sets a damaged file aside
        opened = opening.submit(open_output, ws, summary=summary) if process else None
        wait_open = opened.exception if opened is not None else None  # blocks; raises nothing

        def one(portal: Portal) -> None:
            try:
                d = discover(ws, portal)
            except Exception as exc:  # noqa: BLE001 - one portal's failure is a row of the report
                if not report.failed_step(exc, ""):
                    report.discovery_failed(portal, f"{type(exc).__name__}: {exc}")
                return
            writes: list[Future[WrittenBatch]] = []
            for cands in chunks(report.discovered(portal, d), ctx.batch_size):
                if any(w.done() and isinstance(w.exception(), StoreError) for w in writes):
                    break  # the store failed: fetch no more for it
                try:
                    f = fetch(ws, portal, cands, ready=wait_open)
                except Exception as exc:  # noqa: BLE001
                    report.failed_step(exc, "")
                    report.fetch_failed(portal.id, len(cands), str(exc))
                    continue
                if opened is not None and opened.exception() is not None:
                    return  # the dataset could not be opened: the run fails below
                report.fetched(f)
                if process:
                    writes.append(writing.submit(write, ws, f))
            for w in writes:
                try:
                    report.written(w.result())
                except StoreError as exc:
                    report.failed_step(exc, "")
                    return

        with ThreadPoolExecutor(max(1, parallel_portals), thread_name_prefix="xxgk-portal") as pool:
            list(pool.map(one, ctx.portals))
        if opened is not None:
            report.opened(opened.result())
        if summary and report.rows_written:
            report.compacted(compact(ws))
            report.summarised(summarise(ws))
    finally:
        opening.shutdown()
        writing.shutdown()
        report.requests = finish(ws)
    return report


def collect(portals: Sequence[Portal], years: Iterable[int] | str | None = None, out_root: str | Path = "out",
            allow_loopback: bool = False, *, settings: FetchSettings | dict[str, Any] | None = None,
            force: bool = False, batch_size: int = 25, process: bool = True, parallel_portals: int = 4,
            run_id: str | None = None) -> RunReport:
    """Discover, fetch, parse, validate and store the reports of ``portals`` (None years: scheduled run)."""
    ctx = RunContext.build(out_root, years=years, portals=portals, fetch=settings,
                           allow_loopback=True if allow_loopback else None, force=force, batch_size=batch_size,
                           run_id=run_id)
    return run_collect(ctx, process=process, parallel_portals=parallel_portals)


__all__ = ["chunks", "collect", "compact", "discover", "fetch", "fetch_and_write", "finish", "migrate", "open_output",
           "plan_reparse", "reparse", "run_collect", "summarise", "write"]
