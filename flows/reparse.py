"""The ``xxgk-reparse`` flow: every stored raw document through the current parser, no network.

It first rewrites files of an older schema layout in the current one, so after a re-parse the
whole dataset is in the current schema.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.report import RunReport, publish
from flows.runtime import chunks, ensure_writer_limit, local_path, task_runner
from flows.tasks import compact_dataset, migrate_dataset, open_output, plan, reparse_batch, summarise_dataset


@flow(name="xxgk-reparse", task_runner=task_runner(), log_prints=False)
def reparse_flow(out: str, years: list[int] | None = None, portal_ids: list[str] | None = None,
                 batch_size: int = 50, compact: bool = True) -> dict[str, Any]:
    """Re-parse the stored reports of ``out`` (optionally only ``years`` / ``portal_ids``) in place.

    Args:
        out: Dataset root written by a collect or backfill run (absolute path; `~` is expanded).
        years: Only the reports of these report years, e.g. [2023] (empty: all years).
        portal_ids: Only the reports of these portals (empty: all portals).
        batch_size: Report pages per re-parse task.
        compact: Merge each partition's small Parquet files at the end of the run.
    """
    out = local_path(out)
    migrated = migrate_dataset(out)
    groups = plan(out, years, portal_ids)
    run = RunReport.start("reparse", sorted(set(years or [])), out, [])
    if migrated:
        run.notes.append(f"{migrated} files of an older schema layout were rewritten in the current one")
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
    run.summarised(summarise_dataset.submit(out))
    return publish(run)
