"""The ``xxgk-collect`` flow: scheduled collection, and (with explicit years) the backfill body.

Discovery runs per portal; each portal's candidates go in batches, one task per batch that fetches
them and then parses, validates and writes them. A portal's batches run one after the other
(politeness: the portal's one fetcher of the run); the portals run side by side, so one portal
downloads while another's batch parses. The run ends with the dataset
summary (``OUT/summary.html``) and its artifacts. Every task is one library call
(``collector.stages``) over the run context built here, once.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.futures import as_completed
from prefect.utilities.annotations import allow_failure

from collector import RunContext, RunReport, chunks
from flows import report
from flows.runtime import ensure_writer_limit, flow_run_id, scheduled_years, task_runner
from flows.tasks import collect_batch, compact_dataset, discover, finish, open_output, summarise_dataset


@flow(name="xxgk-collect", task_runner=task_runner(), log_prints=False)
def collect_flow(portals_file: str, out: str, years: list[int] | None = None, portal_ids: list[str] | None = None,
                 force: bool = False, allow_loopback: bool = False, polite: bool = True,
                 fetch: dict[str, Any] | None = None, batch_size: int = 25, compact: bool = True) -> dict[str, Any]:
    """Collect the reports of ``years`` from the configured portals into the dataset at ``out``.

    Re-runs are cheap and resumable: unchanged documents already parsed by this parser version
    are skipped (``force`` re-parses them). A failed portal is reported; only a run in which
    every portal failed fails.

    Args:
        portals_file: Portal YAML file, or a directory of them (e.g. deployments/portals for the real portals,
            the portals.yaml `xxgk sim` writes for the simulator). Relative paths resolve from the worker's
            working directory; `~` is expanded.
        out: Dataset root: Parquet tables, raw documents, crawl state and summary.html. An absolute path outside
            the checkout (e.g. ~/xxgk/data; `~` is expanded) or a URI every worker can reach (s3://bucket/prefix,
            gs://…; credentials from the worker's environment). A root that cannot be written fails the run at once.
        years: Report years to collect, e.g. [2022, 2023]. Empty: the last two report years, from the run's
            scheduled time in Beijing.
        portal_ids: Only these portal ids from portals_file (empty: all of them).
        force: Re-parse documents already processed by this parser version (after a parser change).
        allow_loopback: Allow private and loopback addresses (the simulator, tests); never for real portals.
        polite: Honour each portal's rate limit and robots.txt; turn off only against the simulator.
        fetch: Fetcher settings overriding the defaults, e.g. {"read_timeout": 30, "retries": 2}
            (collector.fetch.FetchSettings).
        batch_size: Report pages per collect-batch task (fetched, then parsed and written).
        compact: At the end of the run, merge the partitions left with many small Parquet files (8 or more;
            writes already merge files tier by tier, so a partition never holds more than a few dozen).
    """
    ctx = RunContext.build(out, years=years or scheduled_years(), portals_file=portals_file, portal_ids=portal_ids,
                           fetch=fetch, allow_loopback=allow_loopback, polite=polite, force=force,
                           batch_size=batch_size, run_id=flow_run_id())
    run = RunReport.start("collect", ctx)
    ensure_writer_limit()
    # the dataset opens (imports, repair) while discovery waits on the network; a portal's first fetch
    # waits for it: fetching skips what the crawl state says was processed, which the repair may reset
    opened = open_output.submit(ctx)
    by_future = {discover.submit(ctx, p): p for p in ctx.portals}
    batches = []
    for fut in as_completed(list(by_future)):
        portal, prev = by_future[fut], opened
        for cands in chunks(report.discovered(run, portal, fut), ctx.batch_size):
            prev = collect_batch.submit(ctx, portal, cands, wait_for=[allow_failure(prev)])
            batches.append((portal.id, len(cands), prev))
    report.opened(run, opened)
    report.written(run, batches)
    if compact and run.rows_written:
        run.compacted(report.done(run, compact_dataset.submit(ctx),
                                  "compaction failed: {error} (the data is complete; run it again later)"))
    run.summarised(report.done(run, summarise_dataset.submit(ctx), "the dataset summary could not be computed: {error}"))
    run.requests = report.done(run, finish.submit(ctx), "") or 0
    return report.publish(run)
