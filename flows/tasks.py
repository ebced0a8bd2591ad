"""Coarse Prefect tasks, each one library call over the run's workspace (``collector.stages``).

Tasks receive the run context (built once by the flow) and references — candidates,
fetched-document references, re-parse groups — never page bytes. The context names the run, so
every task of a flow run in this process works in the same :class:`collector.Workspace`: one
crawl state, one dataset handle, one fetcher per portal. Only the I/O tasks that can fail
transiently retry, by the library's policy (``collector.RetryPolicy``).
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from collector import (
    Candidate,
    DatasetReport,
    Discovered,
    FetchedBatch,
    Portal,
    RunContext,
    Span,
    Workspace,
    WrittenBatch,
    stages,
)
from flows.runtime import RETRY, attempts_left, logger, retry_transient, writer_slot

_IO = {"retries": len(RETRY.task_delays), "retry_delay_seconds": list(RETRY.task_delays),
       "retry_condition_fn": retry_transient, "cache_policy": NO_CACHE, "persist_result": False}
_WORK = {"cache_policy": NO_CACHE, "persist_result": False}


def _ws(ctx: RunContext) -> Workspace:
    # every dataset write of the run holds the global writer slot, per transaction (not per task:
    # parsing a batch must not keep the other batches and runs from writing)
    return Workspace.for_run(ctx, writer_guard=writer_slot)


@task(name="open-output", **_WORK)
def open_output(ctx: RunContext) -> list[str]:
    """Repair the dataset before the run (the parse workers and the summary's modules load
    meanwhile: every flow ends with the summary); returns damaged files set aside."""
    damaged = stages.open_output(_ws(ctx), summary=True)
    for d in damaged:
        logger().warning("quarantined %s", d)
    return damaged


@task(name="discover", task_run_name="discover-{portal.id}", **_IO)
def discover(ctx: RunContext, portal: Portal) -> Discovered:
    """Walk one portal's listing pages; a refusal comes back as the portal's error."""
    d = stages.discover(_ws(ctx), portal, retry=attempts_left())
    if d.error:
        logger().warning("portal %s: discovery failed: %s", portal.id, d.error)
    else:
        logger().info("portal %s: %d report candidates for %s (%s)", portal.id, len(d.candidates), list(ctx.years),
                      d.family)
    return d


@task(name="collect-batch", task_run_name="batch-{portal.id}", **_IO)
def collect_batch(ctx: RunContext, portal: Portal, candidates: list[Candidate]) -> tuple[FetchedBatch, WrittenBatch]:
    """Fetch one batch of report pages and attachments into the raw store, then parse, validate and write
    it through the sink (the writer slot held per write, not while parsing). A failed write raises
    :class:`collector.WriteFailed`, retried only when its cause is transient."""
    f, w = stages.fetch_and_write(_ws(ctx), portal, candidates)
    for q in w.quarantined:
        logger().warning("quarantined %s", q)
    return f, w


@task(name="compact", **_WORK)
def compact_dataset(ctx: RunContext) -> Span:
    """Merge the partitions the run left with many small files, so readers scan few files."""
    return stages.compact(_ws(ctx))


@task(name="plan-reparse", **_WORK)
def plan(ctx: RunContext, portal_ids: list[str] | None) -> list[Any]:
    """Which stored report pages to re-parse: references only, no bytes."""
    return stages.plan_reparse(_ws(ctx), portal_ids)


@task(name="reparse-batch", task_run_name="reparse-{groups[0].portal_id}", **_WORK)
def reparse_batch(ctx: RunContext, groups: list[Any]) -> WrittenBatch:
    """Re-parse one batch from the raw store through the sink (the writer slot held per write)."""
    return stages.reparse(_ws(ctx), groups)


@task(name="migrate-dataset", **_WORK)
def migrate_dataset(ctx: RunContext) -> int:
    """Rewrite files of an older schema layout in the current one before re-parsing."""
    n = stages.migrate(_ws(ctx))
    if n:
        logger().info("rewrote %d files of an older schema layout", n)
    return n


@task(name="summarise-dataset", **_WORK)
def summarise_dataset(ctx: RunContext) -> DatasetReport:
    """The dataset summary: markdown for the artifact, and ``OUT/summary.html``."""
    return stages.summarise(_ws(ctx))


@task(name="finish-run", **_WORK)
def finish(ctx: RunContext) -> int:
    """Close the run's fetchers and crawl state in this process; returns the requests made."""
    return stages.finish(_ws(ctx))


__all__ = ["collect_batch", "compact_dataset", "discover", "finish", "migrate_dataset", "open_output", "plan",
           "reparse_batch", "summarise_dataset"]
