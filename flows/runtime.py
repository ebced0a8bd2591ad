"""Prefect plumbing shared by the flows: task runner, the dataset-writer slot, years, progress, retries.

Nothing here fetches or parses. It decides *how* the library's calls run — on threads or on Dask
(``XXGK_TASK_RUNNER``), one dataset writer at a time, which failures are worth a retry — and
lets an in-process caller (the ``xxgk`` CLI) watch progress. :func:`embedded_api` gives a
script a private, silent Prefect API when no server is configured.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from prefect import get_run_logger
from prefect.logging import get_logger
from prefect.settings import get_current_settings

from collector.crawl import default_years
from collector.errors import ConfigError, is_transient

WRITER_LIMIT = "xxgk-dataset-writer"
WRITER_LEASE_SECONDS = 120.0    # a killed writer's slot comes back after this (server repossessor)
WRITER_WAIT_SECONDS = 1800.0    # past this, fall back to the Dataset's file lock and say so
SHANGHAI = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")


def _env_floats(name: str, default: str) -> list[float]:
    try:
        return [float(x) for x in os.environ.get(name, default).split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated seconds, e.g. 10,60") from None


# Waits between task attempts; tests shorten them (the fetcher already retried each URL itself).
RETRY_DELAYS = _env_floats("XXGK_RETRY_DELAYS", "10,60")


# -- execution ------------------------------------------------------------------------------------


def task_runner() -> Any:
    """Threads by default; ``XXGK_TASK_RUNNER=dask`` (``pip install '.[dask]'``) without code changes.

    ``XXGK_TASK_WORKERS`` sets the threads / Dask workers, ``XXGK_DASK_ADDRESS`` an existing
    scheduler. Read when the flow module is imported, i.e. in the worker that runs the flow.
    """
    kind = os.environ.get("XXGK_TASK_RUNNER", "threads").strip().lower()
    workers = int(os.environ.get("XXGK_TASK_WORKERS", "6"))
    if kind in ("", "thread", "threads"):
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=workers)
    if kind == "dask":
        try:
            from prefect_dask import DaskTaskRunner  # type: ignore[import-not-found]
        except ImportError:
            raise ConfigError("XXGK_TASK_RUNNER=dask needs prefect-dask: pip install 'xxgk-collector[dask]'") from None
        address = os.environ.get("XXGK_DASK_ADDRESS")
        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})
    raise ConfigError(f"XXGK_TASK_RUNNER={kind!r}: use 'threads' (default) or 'dask'")


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """``retry_condition_fn``: retry only transient failures (the library's policy,
    :func:`collector.errors.is_transient`), never a refusal, a bug, or a URL whose time budget
    is spent."""
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, BaseException) and is_transient(exc)


def attempts_left() -> bool:
    """Inside a task: will a raised transient error be retried?"""
    from prefect.runtime import task_run

    return int(task_run.run_count or 1) <= len(RETRY_DELAYS)


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    size = max(1, int(size))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def logger() -> Any:
    """The run logger inside a flow/task run, Prefect's module logger elsewhere."""
    try:
        return get_run_logger()
    except Exception:  # noqa: BLE001 - MissingContextError outside a run
        return get_logger("xxgk")


# -- the dataset-writer slot -----------------------------------------------------------------------


def api_configured() -> bool:
    """A Prefect server is configured (``PREFECT_API_URL``): global limits and their repossessor exist."""
    return bool(get_current_settings().api.url)


def ensure_writer_limit(limit: int = 1) -> None:
    """Create the ``xxgk-dataset-writer`` global concurrency limit if the server lacks it."""
    if not api_configured():
        return
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            try:
                client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
            except ObjectNotFound:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=WRITER_LIMIT, limit=limit))
    except Exception as exc:  # noqa: BLE001 - a concurrent creator, or an old server: the lock still holds
        logger().debug("writer limit not ensured: %s", exc)


_LOCAL_WRITER = threading.Lock()


@contextlib.contextmanager
def writer_slot() -> Iterator[None]:
    """Hold the global ``xxgk-dataset-writer`` slot while writing, so two runs never write one partition.

    Without a configured server (the embedded API of the CLI) there is no other run to exclude
    and no repossessor to free a killed run's lease, so only the Dataset's file lock is used;
    if the server cannot grant the slot, the file lock still serialises writers on a local root.
    """
    if not api_configured():
        yield
        return
    from prefect.concurrency.sync import concurrency

    # Writers of this process queue on a local lock first: only one of them at a time asks the
    # server, which answers a crowd of waiters with ever longer Retry-After backoffs.
    with _LOCAL_WRITER, contextlib.ExitStack() as stack:
        try:
            stack.enter_context(concurrency(WRITER_LIMIT, occupy=1, lease_duration=WRITER_LEASE_SECONDS,
                                            timeout_seconds=WRITER_WAIT_SECONDS, strict=False,
                                            raise_on_lease_renewal_failure=False))
        except Exception as exc:  # noqa: BLE001 - API down or slot not granted in time
            logger().warning("writing without the %s slot (%s); the dataset file lock still applies",
                             WRITER_LIMIT, exc)
        yield


def local_path(path: str) -> str:
    """A path parameter as given, ``~`` expanded (deployment parameters name the worker user's home)."""
    return os.path.expanduser(path) if path.startswith("~") else path


# -- years ----------------------------------------------------------------------------------------


def scheduled_years() -> list[int]:
    """The report years a scheduled run looks at, from its scheduled time in Beijing.

    Reports for year Y appear January–March of Y+1 (条例 art. 49), so a run scheduled in year S
    covers the reports published last year and this year: report years S-2 and S-1.
    """
    from prefect.runtime import flow_run

    when = flow_run.scheduled_start_time
    try:
        day: date = when.astimezone(SHANGHAI).date()
    except (AttributeError, ValueError, TypeError):
        day = date.today()
    return default_years(day)


# -- progress for an in-process caller ---------------------------------------------------------------

_HOOKS: list[Callable[..., None]] = []


@contextlib.contextmanager
def progress_hook(callback: Callable[..., None]) -> Iterator[None]:
    """Receive ``callback(event, **info)`` from tasks run in this process (threads runner only)."""
    _HOOKS.append(callback)
    try:
        yield
    finally:
        _HOOKS.remove(callback)


def emit(event: str, **info: Any) -> None:
    for cb in list(_HOOKS):
        with contextlib.suppress(Exception):
            cb(event, **info)


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


@contextlib.contextmanager
def embedded_api(log_dir: str | Path | None = None) -> Iterator[str]:
    """Use the configured Prefect server, or start Prefect's temporary local API quietly for the block.

    Prefect starts that API on first use and stops it at exit, printing its start/stop banners and
    whatever the server subprocess writes during shutdown; here it is started explicitly with its
    output sent to ``prefect-api.log`` and stopped after the run's logs and events are drained.
    Yields the API URL.
    """
    if api_configured():
        yield str(get_current_settings().api.url)
        return
    from prefect.server.api.server import SubprocessASGIServer

    base = Path(log_dir) if log_dir else Path(get_current_settings().home)
    base.mkdir(parents=True, exist_ok=True)
    log = base / "prefect-api.log"
    server = SubprocessASGIServer()  # the instance Prefect's own clients will find and reuse
    with _fds_to(log):
        server.start()
    try:
        yield server.api_url
    finally:
        _drain()
        with _fds_to(log):
            server.stop()


__all__ = ["RETRY_DELAYS", "SHANGHAI", "WRITER_LIMIT", "api_configured", "attempts_left", "chunks",
           "embedded_api", "emit", "ensure_writer_limit", "is_transient", "local_path", "logger", "progress_hook",
           "retry_transient", "scheduled_years", "task_runner", "writer_slot"]
