"""The ``xxgk-reparse`` flow: every stored raw document through the current parser, no network."""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.report import RunReport, publish
from flows.runtime import chunks, ensure_writer_limit, task_runner
from flows.tasks import compact_dataset, open_output, plan, reparse_batch


@flow(name="xxgk-reparse", task_runner=task_runner(), log_prints=False)
def reparse_flow(out: str = "data/xxgk", years: list[int] | None = None, portal_ids: list[str] | None = None,
                 batch_size: int = 50, compact: bool = True) -> dict[str, Any]:
    """Re-parse the stored reports of ``out`` (optionally only ``years`` / ``portal_ids``) in place."""
    groups = plan(out, years, portal_ids)
    run = RunReport.start("reparse", sorted(set(years or [])), out, [])
    ensure_writer_limit()
    run.opened(open_output.submit(out))
    by_portal: dict[str, list[Any]] = {}
    for g in groups:
        by_portal.setdefault(g.portal_id or "-", []).append(g)
    batches = [(pid, len(b), reparse_batch.submit(b, out))
               for pid, gs in by_portal.items() for b in chunks(gs, batch_size)]
    run.reparsed(batches)
    if compact and run.rows_written:
        run.compacted(compact_dataset.submit(out))
    return publish(run)
