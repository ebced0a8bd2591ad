"""A run's context and its workspace: built once from the CLI / flow parameters, passed whole.

:class:`RunContext` is what a run is told — output root, portals, years, fetch settings (with
``allow_loopback`` folded in once), force, batch size, run id — validated once when it is built
(like Scrapy's ``from_crawler``), frozen, and small enough to travel to a Prefect task.

:class:`Workspace` is what a run works in: the output root with its raw store, crawl state and
dataset (constructed here and nowhere else), and one :class:`~collector.fetch.Fetcher` per portal
for the whole run. Every crawl stage (:mod:`collector.stages`) is a function over a workspace.

One fetcher per portal per run: a portal's discovery and all its fetch batches go through the
same fetcher (its HTTP client, connection pool and request counts), and the run's fetchers share
what they know per host (:class:`~collector.fetch.Hosts`: rate limiter, robots.txt, resolved
addresses, https/http preference, anti-bot streak), so that survives from one batch to the next
and two portals on one host are polite together. The fetchers live on one event loop
thread owned by the workspace; stage calls from any thread (Prefect's thread-pool task runner)
submit their coroutines to it. :meth:`Workspace.for_run` keeps one workspace per run id in the
process, so the tasks of a flow run share it. With a process-based runner (Dask), each worker
process builds its own workspace and fetchers on first use: politeness then holds per process,
not per run (say so in the deployment: use threads, or one worker per portal).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from collector.config import Portal, load_portals
from collector.errors import ConfigError
from collector.fetch import Fetcher, FetchSettings, Hosts
from collector.store.raw import RawStore
from collector.store.state import CrawlState
from collector.years import parse_years

if TYPE_CHECKING:
    from collector.store.dataset import Dataset, WriteStats

T = TypeVar("T")


def new_run_id() -> str:
    """The id of a run not started by Prefect (library call, ``xxgk parse --out``, ``xxgk check``)."""
    return str(uuid.uuid4())


def select_portals(portals_file: str | Path, portal_ids: Iterable[str] | None = None) -> list[Portal]:
    """The configured portals, or the named subset (an unknown id is a configuration error)."""
    portals = load_portals(portals_file)
    want = list(portal_ids or [])
    if want:
        unknown = sorted(set(want) - {p.id for p in portals})
        if unknown:
            raise ConfigError(f"unknown portal id(s) {unknown} (not in {portals_file})")
        portals = [p for p in portals if p.id in set(want)]
    return portals


@dataclass(frozen=True, slots=True)
class RunContext:
    """Everything a run is told, validated once. Build it with :meth:`build`."""

    out: str
    run_id: str
    years: tuple[int, ...] = ()
    portals: tuple[Portal, ...] = ()
    fetch: FetchSettings = field(default_factory=FetchSettings)
    force: bool = False
    batch_size: int = 25

    @classmethod
    def build(cls, out: str | Path, *, years: Iterable[int] | str | None = (), portals: Sequence[Portal] = (),
              portals_file: str | Path | None = None, portal_ids: Iterable[str] | None = None,
              fetch: FetchSettings | dict[str, Any] | None = None, allow_loopback: bool | None = None,
              polite: bool | None = None, force: bool = False, batch_size: int = 25,
              run_id: str | None = None) -> RunContext:
        """Validate the parameters of a run once.

        ``years``: a spec (``"2021-2023"``, ``[2022]``), None for a scheduled run's default years,
        or ``()`` for "all years" (reparse). ``allow_loopback`` / ``polite`` override ``fetch``.
        """
        out_s = str(out)
        if not out_s:
            raise ConfigError("the output root is empty")
        if out_s.startswith("~"):
            out_s = str(Path(out_s).expanduser())
        ys: tuple[int, ...] = () if years == () else tuple(parse_years(years))
        chosen = list(portals)
        if portals_file is not None:
            chosen = select_portals(Path(portals_file).expanduser(), portal_ids)
        elif portal_ids:
            chosen = [p for p in chosen if p.id in set(portal_ids)]
        overrides = {k: v for k, v in (("allow_loopback", allow_loopback), ("polite", polite)) if v is not None}
        try:
            settings = FetchSettings.resolve(fetch, **overrides)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad fetch settings {fetch!r}: {exc}") from None
        if batch_size < 1:
            raise ConfigError("batch size must be at least 1")
        return cls(out_s, run_id or new_run_id(), ys, tuple(chosen), settings, bool(force), int(batch_size))

    def with_portals(self, portals: Sequence[Portal]) -> RunContext:
        return replace(self, portals=tuple(portals))


class _IoLoop:
    """An event loop on its own thread: the fetchers of a run live here across stage calls."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="xxgk-io", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


@dataclass(eq=False)
class _CommitJob:
    """One caller's batch in a group commit, and what became of it."""

    outcomes: list[Any]
    done: bool = False  # written, or failed: read and set under the write lock
    stats: WriteStats | None = None
    quarantined: list[str] = field(default_factory=list)
    error: BaseException | None = None


class Workspace:
    """An output root and the resources of one run over it (see the module docstring)."""

    _open: dict[str, Workspace] = {}
    _registry_lock = threading.Lock()

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.root = _check_writable(ctx.out)
        self.run_id = ctx.run_id
        self.raw = RawStore(self.root)
        self._state: CrawlState | None = None
        self._dataset: Dataset | None = None
        self._io: _IoLoop | None = None
        self._fetchers: dict[str, Fetcher] = {}
        self._hosts: Hosts | None = None      # per-host knowledge the run's fetchers share
        self._sessions: dict[str, Any] = {}
        self._lock = threading.RLock()       # lazy construction of the shared parts
        self._write_lock = threading.Lock()  # one dataset writer per process (the Dataset's file lock is per fd)
        self._commit_lock = threading.Lock()  # guards the group-commit queue
        self._commit_queue: list[_CommitJob] = []
        # held around every dataset write besides the lock: the flows' Prefect writer slot (one writer
        # across processes and machines), taken per transaction so parsing never waits on it
        self.writer_guard: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
        self._quarantines_seen = 0
        self.closed = False

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def for_run(cls, ctx: RunContext, *,
                writer_guard: Callable[[], contextlib.AbstractContextManager[Any]] | None = None) -> Workspace:
        """The workspace of ``ctx.run_id`` in this process (built on first use): the tasks of a flow
        run share its crawl state, dataset handle and per-portal fetchers. ``writer_guard``: held
        around each dataset write (see :meth:`writing`)."""
        with cls._registry_lock:
            ws = cls._open.get(ctx.run_id)
            if ws is None or ws.closed:
                ws = cls._open[ctx.run_id] = cls(ctx)
            if writer_guard is not None:
                ws.writer_guard = writer_guard
            return ws

    @classmethod
    def close_run(cls, run_id: str) -> None:
        with cls._registry_lock:
            ws = cls._open.pop(run_id, None)
        if ws is not None:
            ws.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- stores ---------------------------------------------------------------------------------

    @property
    def state(self) -> CrawlState:
        with self._lock:
            if self._state is None:
                self._state = CrawlState(self.root)
            return self._state

    @property
    def dataset(self) -> Dataset:
        """The dataset handle of the run (opened, and so repaired, on first use)."""
        from collector.store.dataset import Dataset

        with self._lock:
            if self._dataset is None:
                self._dataset = Dataset(self.root)
            return self._dataset

    def reader(self) -> Dataset:
        """A read-only view (no repair, no lock): for planning and summaries."""
        from collector.store.dataset import Dataset

        return Dataset(self.root, repair=False)

    @contextlib.contextmanager
    def writing(self) -> Iterator[Dataset]:
        """The dataset for one write transaction: one writer of this process at a time, inside the
        writer guard (the flows' slot shared by every run), and the root repaired first (another
        worker may have died mid-publish since the last batch). Held only while writing: a batch's
        parsing happens before, outside it, so other batches and runs keep writing meanwhile."""
        with self._write_lock, self._repaired() as ds:
            yield ds

    @contextlib.contextmanager
    def _repaired(self) -> Iterator[Dataset]:
        """The dataset inside the writer guard, repaired first (the caller holds the write lock)."""
        with self.writer_guard():
            ds = self.dataset
            if not ds.read_only:
                ds.repair()
            yield ds

    def commit(self, outcomes: list[Any]) -> tuple[WriteStats, list[str]]:
        """Write ``outcomes`` as part of one transaction; returns this batch's row counts and the
        dataset files newly set aside as unreadable ("path: reason"), after which the crawl state
        has forgotten what was processed (:meth:`reconcile`).

        Group commit: batches that arrive while another thread is writing queue up, and the next
        writer to get the lock writes all of them in one transaction (fewer, larger files, one
        writer-slot round trip). Each caller returns once its own batch is durable, or raises the
        error that lost it.
        """
        job = _CommitJob(outcomes)
        with self._commit_lock:
            self._commit_queue.append(job)
        with self._write_lock:
            if not job.done:  # else a writer before us took it along
                with self._commit_lock:
                    jobs, self._commit_queue = self._commit_queue, []
                try:
                    with self._repaired() as ds:
                        new = self.new_quarantines()
                        if new:  # rows were lost: the crawl state forgets what was processed
                            self.reconcile()
                        for j, st in zip(jobs, ds.write_batches([j.outcomes for j in jobs]), strict=True):
                            j.stats = st
                        job.quarantined = new
                except BaseException as exc:
                    for j in jobs:
                        j.error = exc
                    raise
                finally:
                    for j in jobs:
                        j.done = True
        if job.error is not None:
            raise job.error
        assert job.stats is not None
        return job.stats, job.quarantined

    def new_quarantines(self) -> list[str]:
        """Dataset files set aside (unreadable) since the last call: "path: reason"."""
        if self._dataset is None:
            return []
        new = self._dataset.quarantined[self._quarantines_seen:]
        self._quarantines_seen += len(new)
        return [f"{n['path']}: {n['reason']}" for n in new]

    def reconcile(self) -> bool:
        """After the store quarantined a damaged file, forget what was processed: its rows are gone,
        and the next pass re-parses every document from the raw store (no network). True if reset."""
        notes = (self._dataset or self.reader()).quarantine_notes()
        epoch = f"{notes[-1].get('at')} {notes[-1].get('path')}" if notes else ""
        state = self.state
        if epoch and epoch != (state.get_meta("quarantine_epoch") or ""):
            state.forget_processed()
            state.set_meta("quarantine_epoch", epoch)
            return True
        return False

    def prepare(self) -> list[str]:
        """Open the output root at the start of a run: the dataset repairs itself (rolls pending
        commits forward, removes uncommitted files, quarantines unreadable ones) and, if a file was
        quarantined, the crawl state forgets what was processed so this run rebuilds the lost rows
        from the raw store. Returns the damaged files found now ("path: reason")."""
        if "://" not in self.root:
            Path(self.root).mkdir(parents=True, exist_ok=True)
        with self._write_lock, self.writer_guard():
            self.dataset  # noqa: B018 - opening repairs
            self.reconcile()
            return self.new_quarantines()

    # -- fetching: one fetcher per portal, on the run's I/O loop ----------------------------------

    def run_io(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the run's I/O loop (where the fetchers live) and wait for it."""
        with self._lock:
            if self.closed:
                raise RuntimeError("workspace is closed")
            if self._io is None:
                self._io = _IoLoop()
            io = self._io
        return io.run(coro)

    async def fetcher(self, portal: Portal) -> Fetcher:
        """The fetcher of ``portal`` for this run (call on the I/O loop)."""
        f = self._fetchers.get(portal.id)
        if f is None:
            self._hosts = self._hosts or Hosts(self.ctx.fetch)
            f = await Fetcher(self.ctx.fetch, hosts=self._hosts).__aenter__()
            self._fetchers[portal.id] = f
        return f

    async def session(self, portal: Portal) -> Any:
        """The crawl session of ``portal`` (its fetcher, the raw store, the crawl state)."""
        from collector.crawl import CrawlSession

        s = self._sessions.get(portal.id)
        if s is None:
            s = CrawlSession(self, await self.fetcher(portal))
            self._sessions[portal.id] = s
        return s

    def requests(self) -> int:
        """HTTP requests made by this run's fetchers so far."""
        return sum(f.stats.requests for f in self._fetchers.values())

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            io, self._io = self._io, None
        if io is not None:
            async def _close() -> None:
                for f in self._fetchers.values():
                    with contextlib.suppress(Exception):
                        await f.__aexit__(None, None, None)

            with contextlib.suppress(Exception):
                io.run(_close())
            io.stop()
        if self._state is not None:
            with contextlib.suppress(Exception):
                self._state.close()


def _check_writable(out: str) -> str:
    """Refuse an output root that cannot be written, up front, in one line; the root as the stores take it
    (:func:`collector.store.location.check_writable`: a local path made absolute, a URI as given)."""
    from collector.store.location import check_writable

    return check_writable(out)


@atexit.register
def _close_all() -> None:
    for run_id in list(Workspace._open):
        Workspace.close_run(run_id)


__all__ = ["RunContext", "Workspace", "new_run_id", "select_portals"]
