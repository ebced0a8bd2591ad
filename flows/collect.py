"""The ``xxgk-collect`` flow: scheduled collection, and (with explicit years) the backfill body.

Discovery runs per portal; each portal's candidates are fetched in batches, one after the other
(politeness: one fetcher per portal at a time), and each fetched batch is parsed, validated and
written as soon as it arrives, while the next one downloads.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.futures import as_completed
from prefect.utilities.annotations import allow_failure

from flows.report import RunReport, publish
from flows.runtime import chunks, ensure_writer_limit, scheduled_years, task_runner
from flows.tasks import (
    compact_dataset,
    discover,
    fetch_batch,
    fetch_settings,
    open_output,
    select_portals,
    write_batch,
)


@flow(name="xxgk-collect", task_runner=task_runner(), log_prints=False)
def collect_flow(portals_file: str = "deployments/portals", out: str = "data/xxgk", years: list[int] | None = None,
                 portal_ids: list[str] | None = None, force: bool = False, allow_loopback: bool = False,
                 polite: bool = True, fetch: dict[str, Any] | None = None, batch_size: int = 25,
                 compact: bool = True) -> dict[str, Any]:
    """Collect the reports of ``years`` (None: the years a scheduled run looks at) into ``out``.

    Re-runs are cheap and resumable: unchanged documents already parsed by this parser version
    are skipped (``force`` re-parses them). A failed portal is reported; only a run in which
    every portal failed fails.
    """
    ys = sorted(set(years)) if years else scheduled_years()
    portals = select_portals(portals_file, portal_ids)
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
    return publish(run)
