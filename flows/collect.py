"""The ``xxgk-collect`` flow: scheduled collection, and (with explicit years) the backfill body.

Discovery runs per portal; each portal's candidates are fetched in batches, one after the other
(politeness: one fetcher per portal at a time), and each fetched batch is parsed, validated and
written as soon as it arrives, while the next one downloads. The run ends with the dataset
summary (``OUT/summary.html``) and its artifacts.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.futures import as_completed
from prefect.utilities.annotations import allow_failure

from flows.report import RunReport, publish
from flows.runtime import chunks, ensure_writer_limit, local_path, scheduled_years, task_runner
from flows.tasks import (
    compact_dataset,
    discover,
    fetch_batch,
    fetch_settings,
    open_output,
    select_portals,
    summarise_dataset,
    write_batch,
)


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
        out: Dataset root: Parquet tables, raw documents, crawl state and summary.html. Use an absolute path
            outside the checkout (e.g. ~/xxgk/data); `~` is expanded.
        years: Report years to collect, e.g. [2022, 2023]. Empty: the last two report years, from the run's
            scheduled time in Beijing.
        portal_ids: Only these portal ids from portals_file (empty: all of them).
        force: Re-parse documents already processed by this parser version (after a parser change).
        allow_loopback: Allow private and loopback addresses (the simulator, tests); never for real portals.
        polite: Honour each portal's rate limit and robots.txt; turn off only against the simulator.
        fetch: Fetcher settings overriding the defaults, e.g. {"read_timeout": 30, "retries": 2}
            (collector.fetch.FetchSettings).
        batch_size: Report pages per fetch task and per parse-and-write task.
        compact: Merge each partition's small Parquet files at the end of the run.
    """
    out = local_path(out)
    ys = sorted(set(years)) if years else scheduled_years()
    portals = select_portals(local_path(portals_file), portal_ids)
    settings = fetch_settings(fetch, allow_loopback=allow_loopback, polite=polite)
    run = RunReport.start("collect", ys, out, portals)
    ensure_writer_limit()
    run.opened(open_output.submit(out))
    by_future = {discover.submit(p, ys, out, settings): p for p in portals}
    batches = []
    for fut in as_completed(list(by_future)):
        portal, prev = by_future[fut], None
        for cands in chunks(run.discovered(portal, fut), batch_size):
            prev = fetch_batch.submit(portal, cands, out, settings, wait_for=[allow_failure(prev)] if prev else None)
            batches.append((portal.id, len(cands), prev, write_batch.submit(prev, out, force)))
    run.written(batches)
    if compact and run.rows_written:
        run.compacted(compact_dataset.submit(out))
    run.summarised(summarise_dataset.submit(out))
    return publish(run)
