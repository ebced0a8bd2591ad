"""The ``xxgk-reparse`` flow: every stored raw document through the current parser, no network.

It first rewrites files of an older schema layout in the current one, so after a re-parse the
whole dataset is in the current schema. Every task is one library call (``collector.stages``).
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from collector import RunContext, RunReport, chunks
from flows import report
from flows.runtime import ensure_writer_limit, flow_run_id, task_runner
from flows.tasks import (
    compact_dataset,
    finish,
    migrate_dataset,
    open_output,
    plan,
    reparse_batch,
    summarise_dataset,
)


@flow(name="xxgk-reparse", task_runner=task_runner(), log_prints=False)
def reparse_flow(out: str, years: list[int] | None = None, portal_ids: list[str] | None = None,
                 batch_size: int = 50, compact: bool = True) -> dict[str, Any]:
    """Re-parse the stored reports of ``out`` (optionally only ``years`` / ``portal_ids``) in place.

    Args:
        out: Dataset root written by a collect or backfill run: an absolute path (`~` is expanded) or a URI
            (s3://bucket/prefix, gs://…; credentials from the worker's environment).
        years: Only the reports of these report years, e.g. [2023] (empty: all years).
        portal_ids: Only the reports of these portals (empty: all portals).
        batch_size: Report pages per re-parse task.
        compact: At the end of the run, merge the partitions left with many small Parquet files (8 or more;
            writes already merge files tier by tier, so a partition never holds more than a few dozen).
    """
    ctx = RunContext.build(out, years=years or (), batch_size=batch_size, run_id=flow_run_id())
    migrated = migrate_dataset(ctx)
    groups = plan(ctx, portal_ids)
    run = RunReport.start("reparse", ctx)
    if migrated:
        run.notes.append(f"{migrated} files of an older schema layout were rewritten in the current one")
    ensure_writer_limit()
    report.opened(run, open_output.submit(ctx))
    by_portal: dict[str, list[Any]] = {}
    for g in groups:
        by_portal.setdefault(g.portal_id or "-", []).append(g)
    batches = [(pid, len(b), reparse_batch.submit(ctx, b)) for pid, gs in by_portal.items()
               for b in chunks(gs, ctx.batch_size)]
    report.reparsed(run, batches)
    if compact and run.rows_written:
        run.compacted(report.done(run, compact_dataset.submit(ctx),
                                  "compaction failed: {error} (the data is complete; run it again later)"))
    run.summarised(report.done(run, summarise_dataset.submit(ctx), "the dataset summary could not be computed: {error}"))
    report.done(run, finish.submit(ctx), "")
    return report.publish(run)
