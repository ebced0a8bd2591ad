"""Parse in processes: CPU-bound extract + parse + validate, fed by references to raw bytes.

Parsing is pure Python and holds the GIL, so threads cannot parse two documents at once (issue
#13: 6 flow threads summed 145 s of parse time inside a 39 s run). :func:`parse_groups` maps
candidate groups — the raw store's sha256s plus each document's :class:`SourceContext` — over a
:class:`~concurrent.futures.ProcessPoolExecutor` sized to the machine; each worker reads the
bytes from the raw store itself (no page bytes cross the process boundary) and returns the
:class:`~collector.pipeline.Outcome` list the sink stores, its cells packed as columns (see
:func:`pack`). Fetching stays async in the caller.

Workers start by ``forkserver`` (``spawn`` where there is none), never ``fork``: the caller
runs an event loop, threads and open sockets that a forked child must not inherit. A worker
imports this module, the pipeline and the raw store — no HTTP client, no Arrow, no Prefect.
``XXGK_PARSE_WORKERS`` sets the pool size (default: the CPUs this process may use; ``0`` or
``1`` parses in the calling process).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collector.pipeline import Outcome, SourceContext

# One candidate: its documents (report page first, then attachments) as (sha256, context).
DocRef = tuple[str, "SourceContext"]
Group = list[DocRef]

MIN_GROUPS_FOR_POOL = 4  # below this, starting work in another process costs more than it saves
MAX_BREAKS = 2  # pool breaks after which this process parses in-process only
WATCH_SECONDS = 1.0  # how often an idle worker checks that its caller still exists
log = logging.getLogger(__name__)


class StaleWorker(Exception):  # noqa: N818 - a signal between pool and caller, not an error
    """The worker's parser version is not the caller's (code changed on disk since the worker
    started, or a test bumped the version): the caller parses the group itself, so every record
    carries the version the crawl state marks."""


def parse_group(out_root: str, group: Sequence[DocRef], version: str | None = None) -> list[Outcome]:
    """Parse one candidate from the raw store (runs in a worker, or in the caller).

    A document whose raw bytes are missing or unreadable comes back as a recorded failure, like
    any other document that cannot be read — never an exception that would lose the batch.
    ``version``: the caller's parser version; a worker running another raises :class:`StaleWorker`.
    """
    from collector import pipeline
    from collector.errors import CollectorError
    from collector.parse.record import PARSER_VERSION
    from collector.store.raw import RawStore

    if version is not None and version != PARSER_VERSION:
        raise StaleWorker(f"worker parser {PARSER_VERSION}, caller {version}")

    raw = RawStore(out_root)
    docs: list[tuple[bytes, SourceContext]] = []
    failures: list[Outcome] = []
    for sha, ctx in group:
        try:
            docs.append((raw.get(sha), ctx))
        except (CollectorError, OSError, ValueError) as exc:
            out = pipeline.process_document(b"", ctx)  # the failure row, with this document's context
            out.document.update(document_sha256=sha, size=None, status="failed", error_code="raw_missing",
                                error=f"raw bytes {sha[:12]}… not readable: {exc}")
            failures.append(out)
    return (pipeline.process_candidate(docs) if docs else []) + failures


# One outcome on the wire: its attributes but the cells, and the cells as columns (paths, values, raws,
# wheres, units, confidences).
Packed = tuple[dict[str, Any], tuple[list[Any], ...]]


def pack(outcomes: Sequence[Outcome]) -> list[Packed]:
    """Outcomes as the pool sends them back: each report's ~200 cells as six lists.

    Pickling 200 ``CellValue`` objects per report made the caller spend ~1.2 ms per report just
    unpickling (a slotted dataclass pickles through ``dataclasses.fields`` per object) — in the
    process that also fetches and writes, which bounds the run (issue #13); six lists of strings and
    numbers unpickle ~8x faster, and :func:`unpack` rebuilds the same objects.
    """
    out: list[Packed] = []
    for o in outcomes:
        state = dict(vars(o))
        cells = state.pop("cells")
        vals = list(cells.values())
        out.append((state, (list(cells), [c.value for c in vals], [c.raw for c in vals], [c.where for c in vals],
                            [c.unit for c in vals], [c.confidence for c in vals])))
    return out


def unpack(packed: Sequence[Packed]) -> list[Outcome]:
    """The outcomes :func:`pack` sent: equal to the originals, attributes and cells alike."""
    from collector.models import CellValue
    from collector.pipeline import Outcome

    out: list[Outcome] = []
    for state, (paths, values, raws, wheres, units, confidences) in packed:
        o = Outcome.__new__(Outcome)
        o.__dict__.update(state)
        o.cells = dict(zip(paths, map(CellValue, values, raws, wheres, units, confidences), strict=True))
        out.append(o)
    return out


def parse_group_packed(out_root: str, group: Sequence[DocRef], version: str | None = None) -> list[Packed]:
    """:func:`parse_group` in a worker, its outcomes packed for the trip back (:func:`pack`)."""
    return pack(parse_group(out_root, group, version))


def worker_count() -> int:
    """Pool size: ``XXGK_PARSE_WORKERS``, else the CPUs this process may run on."""
    env = os.environ.get("XXGK_PARSE_WORKERS", "").strip()
    if env:
        return max(0, int(env))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _init_worker(caller: int, environ: dict[str, str]) -> None:
    """Worker initializer: take the caller's environment, and exit when the caller is gone.

    A pool's workers are forked from the fork server, which keeps the environment of the moment it
    started: storage credentials and endpoints set later (``AWS_*``: a worker reads raw bytes from
    ``s3://`` itself) would be missing. And when the caller is SIGKILLed (OOM killer, a killed run)
    nothing tells the workers, which would idle forever.
    """
    os.environ.clear()
    os.environ.update(environ)

    def watch() -> None:
        while True:
            time.sleep(WATCH_SECONDS)
            try:
                os.kill(caller, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # the pid was reused by another user's process: the caller is gone
                os._exit(0)

    threading.Thread(target=watch, name="xxgk-caller-watch", daemon=True).start()


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # the fork server imports the parser once; each worker forks from it with the parser loaded
    ctx.set_forkserver_preload(["collector.parallel", "collector.pipeline"])
    return ctx


class ParsePool:
    """A process pool for :func:`parse_group`; one per process is enough (:func:`shared_pool`)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = worker_count() if workers is None else workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._environ: dict[str, str] = {}
        self.breaks = 0

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            environ = dict(os.environ)
            if self._executor is not None and environ != self._environ:
                self._executor.shutdown(wait=True)  # the workers hold an older environment: start afresh
                self._executor = None
            if self._executor is None:
                self._environ = environ
                self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(),
                                                     initializer=_init_worker, initargs=(os.getpid(), environ))
            return self._executor

    def warm(self) -> None:
        """Start the workers in the background (a run calls this before discovery): the fork
        server's imports and the workers' start then overlap the crawl instead of delaying the
        first parsed batch. Nothing happens for an in-process pool or one that broke."""
        if self.workers <= 1 or self.breaks >= MAX_BREAKS:
            return

        def start() -> None:
            try:
                pool = self._pool()
                for f in [pool.submit(os.getpid) for _ in range(self.workers)]:
                    f.result()
            except Exception as exc:  # noqa: BLE001 - the first real batch retries, or parses in-process
                log.debug("parse pool warm-up failed: %s", exc)

        threading.Thread(target=start, name="xxgk-parse-pool-warm", daemon=True).start()

    def map(self, out_root: str | Path, groups: Sequence[Group]) -> Iterator[list[Outcome]]:
        """Outcomes of each group, in the order of ``groups`` (workers run them in any order).

        A pool that breaks (a worker killed — out of memory on a hostile document — or unable to
        start) never loses the batch: the groups not yet returned are parsed in this process.
        After :data:`MAX_BREAKS` breaks the pool is not used again in this process.
        """
        from collector.parse.record import PARSER_VERSION

        root = str(out_root)
        futures: list[Future[list[Packed]]] | None = None
        if self.workers > 1 and len(groups) >= MIN_GROUPS_FOR_POOL and self.breaks < MAX_BREAKS:
            try:
                pool = self._pool()
                futures = [pool.submit(parse_group_packed, root, g, PARSER_VERSION) for g in groups]
            except (BrokenProcessPool, RuntimeError, OSError) as exc:
                futures = self._broken(exc)
        for i, group in enumerate(groups):
            if futures is not None:
                try:
                    yield unpack(futures[i].result())
                    continue
                except BrokenProcessPool as exc:
                    futures = self._broken(exc)
                except StaleWorker:
                    pass  # parsed here, with this process's parser
            yield parse_group(root, group)

    def _broken(self, exc: BaseException) -> None:
        self.breaks += 1
        log.warning("parse pool broke (%s); parsing the rest of the batch in this process", exc)
        self.shutdown()
        return None

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None


_SHARED: ParsePool | None = None
_SHARED_LOCK = threading.Lock()


def shared_pool() -> ParsePool:
    """The process-wide pool (created on first use, workers started on the first big batch)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = ParsePool()
            atexit.register(_SHARED.shutdown)
        return _SHARED


def parse_groups(out_root: str | Path, groups: Sequence[Group], pool: ParsePool | None = None) -> Iterator[list[Outcome]]:
    """Outcomes of every candidate group, in order, parsed on ``pool`` (default: :func:`shared_pool`)."""
    return (pool or shared_pool()).map(out_root, groups)


__all__ = ["DocRef", "Group", "Packed", "ParsePool", "StaleWorker", "pack", "parse_group", "parse_group_packed", "parse_groups",
           "shared_pool", "unpack", "worker_count"]
