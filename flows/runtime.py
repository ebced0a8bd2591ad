"""Prefect plumbing shared by the flows: task runner, the dataset-writer slot, scheduled years, retries.

Nothing here fetches or parses. It decides *how* the library's calls run — on threads or on Dask
(``XXGK_TASK_RUNNER``), one dataset writer at a time, and retries by the library's policy
(:class:`collector.RetryPolicy`). Progress bars and the embedded API of a terminal run live in
the CLI (``collector.cli_flows``).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from prefect import get_run_logger
from prefect.logging import get_logger
from prefect.settings import get_current_settings

from collector import ConfigError, RetryPolicy, default_years

WRITER_LIMIT = "xxgk-dataset-writer"
WRITER_LEASE_SECONDS = 120.0    # a killed writer's slot comes back after this (server repossessor)
WRITER_WAIT_SECONDS = 1800.0    # past this, fall back to the Dataset's file lock and say so
SHANGHAI = ZoneInfo("Asia/Shanghai")
THREAD_WORKERS = 32             # task threads (``XXGK_TASK_WORKERS``): they wait on the I/O loop and the parse pool

# Waits between task attempts (``XXGK_RETRY_DELAYS``; tests shorten them), read where the flow runs.
RETRY = RetryPolicy.from_env()
RETRY_DELAYS = list(RETRY.task_delays)


# -- execution ------------------------------------------------------------------------------------


def task_runner() -> Any:
    """Threads by default; ``XXGK_TASK_RUNNER=dask`` (``pip install '.[dask]'``) without code changes.

    ``XXGK_TASK_WORKERS`` sets the threads / Dask workers, ``XXGK_DASK_ADDRESS`` an existing
    scheduler. Read when the flow module is imported, i.e. in the worker that runs the flow.

    Threads only wait (fetches run on the workspace's event loop, parsing in the parse pool's
    processes), so there are many: with few, batch tasks waiting on the pool would hold every
    thread and the next batches' downloads could not start (issue #13).
    """
    kind = os.environ.get("XXGK_TASK_RUNNER", "threads").strip().lower()
    env = os.environ.get("XXGK_TASK_WORKERS", "").strip()
    if kind in ("", "thread", "threads"):
        workers = int(env or THREAD_WORKERS)
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=workers)
    if kind == "dask":
        try:
            from prefect_dask import DaskTaskRunner  # type: ignore[import-not-found]
        except ImportError:
            raise ConfigError("XXGK_TASK_RUNNER=dask needs prefect-dask: pip install 'xxgk-collector[dask]'") from None
        workers = int(env or (os.cpu_count() or 2))
        address = os.environ.get("XXGK_DASK_ADDRESS")
        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})
    raise ConfigError(f"XXGK_TASK_RUNNER={kind!r}: use 'threads' (default) or 'dask'")


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """``retry_condition_fn``: retry only what the library's policy calls transient, never a
    refusal, a bug, or a URL whose time budget is spent."""
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, BaseException) and RETRY.retry(exc)


def attempts_left() -> bool:
    """Inside a task: will a raised transient error be retried?"""
    from prefect.runtime import task_run

    return RETRY.attempts_left(int(task_run.run_count or 1))


def flow_run_id() -> str | None:
    """The id of the current Prefect flow run: the ``run_id`` every row it writes carries."""
    from prefect.runtime import flow_run

    rid = flow_run.id
    return str(rid) if rid else None


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


__all__ = ["RETRY", "RETRY_DELAYS", "SHANGHAI", "WRITER_LIMIT", "api_configured", "attempts_left",
           "ensure_writer_limit", "flow_run_id", "logger", "retry_transient", "scheduled_years", "task_runner",
           "writer_slot"]
