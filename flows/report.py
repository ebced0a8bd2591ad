"""The run report from task futures, and its Prefect artifacts and final state.

The report itself is the library's (:class:`collector.RunReport`: one type for the library run,
the flows and the CLI); this module only waits for futures and hands their results — or their
failures — to it, then publishes. A run where every portal failed raises
:class:`collector.RunFailed` (after publishing), so Prefect marks it Failed and alerts can fire.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.futures import PrefectFuture

from collector import Candidate, Portal, RunFailed, RunReport, WriteFailed, run_report_markdown, run_table
from flows.runtime import logger

__all__ = ["RunFailed", "discovered", "done", "opened", "publish", "publish_summary", "reparsed", "written"]


def _exception(fut: PrefectFuture[Any]) -> BaseException | None:
    try:
        res = fut.state.result(raise_on_failure=False) if fut.state.is_failed() else None
    except Exception:  # noqa: BLE001 - the result could not be retrieved
        return None
    return res if isinstance(res, BaseException) else None


def _error(fut: PrefectFuture[Any]) -> str:
    res = _exception(fut)
    return str(res) if res is not None else (fut.state.message or fut.state.name or "failed")


def done(run: RunReport, fut: PrefectFuture[Any], note: str) -> Any:
    """The future's result, or None after telling the report what failed: a store error fails the run,
    anything else becomes ``note`` (``{error}`` filled in; empty: no note)."""
    fut.wait()
    if fut.state.is_completed():
        return fut.result()
    run.failed_step(_exception(fut), note.format(error=_error(fut)))
    return None


def opened(run: RunReport, fut: PrefectFuture[list[str]]) -> None:
    damaged = done(run, fut, "the dataset could not be repaired before the run: {error}")
    if damaged is not None:
        run.opened(damaged)


def discovered(run: RunReport, portal: Portal, fut: PrefectFuture[Any]) -> list[Candidate]:
    """Record a discovery; return its candidates (none if the portal failed)."""
    d = done(run, fut, "")
    if d is None:
        run.discovery_failed(portal, _error(fut))
        return []
    return run.discovered(portal, d)


def written(run: RunReport, batches: list[tuple[str, int, PrefectFuture[Any]]]) -> None:
    """Wait for every (portal, size, collect-batch) and add it up: a failed fetch counts its pages as failed,
    a failed write (:class:`collector.WriteFailed`) counts the fetch and notes the write."""
    for pid, size, fut in batches:
        fut.wait()
        if fut.state.is_completed():
            f, w = fut.result()
            run.fetched(f)
            run.written(w)
            continue
        exc = _exception(fut)
        if isinstance(exc, WriteFailed):
            run.fetched(exc.fetched)
            run.failed_step(exc.cause, f"a write batch failed: {exc} (the next run retries it)")
        else:
            run.failed_step(exc, "")
            run.fetch_failed(pid, size, _error(fut))


def reparsed(run: RunReport, batches: list[tuple[str, int, PrefectFuture[Any]]]) -> None:
    for pid, size, write in batches:
        w = done(run, write, "a write batch failed: {error} (the next run retries it)")
        run.reparsed(pid, size, w, None if w is not None else _error(write))


def publish_summary(kind: str, summary: dict[str, Any], title: str | None = None) -> None:
    """Attach the markdown summary, the per-portal table and a link to the HTML report to the current run."""
    try:
        create_markdown_artifact(run_report_markdown(summary, title), key=f"xxgk-{kind}-summary",
                                 description=f"xxgk {kind} run: what happened, what went wrong, the dataset")
        create_table_artifact(run_table(summary), key=f"xxgk-{kind}-portals", description="per-portal counts")
        html = (summary.get("dataset") or {}).get("html")
        if html:
            link = html if "://" in html else Path(html).as_uri()  # a report in a bucket: its URI
            create_link_artifact(link, link_text=f"dataset report ({html.rsplit('/', 1)[-1]})",
                                 key=f"xxgk-{kind}-report", description="self-contained HTML report with charts")
    except Exception as exc:  # noqa: BLE001 - an artifact is a report, not the work: never fail the run for it
        logger().warning("could not publish artifacts: %s", exc)


def publish(r: RunReport) -> dict[str, Any]:
    """Log the outcome, attach the summary artifacts to the run; fail if nothing worked."""
    summary = r.to_dict()
    log = logger()
    for p in r.portals:
        (log.info if p.collected else log.error)(
            "%s: found %d, new %d, updated %d, unchanged %d, failed %d, blocked %d, records %d%s",
            p.portal_id, p.found, p.new, p.updated, p.unchanged, p.failed, p.blocked, p.records,
            f" — {p.error}" if p.error else "")
    if r.failures_total:
        log.warning("%d URLs failed or were blocked, e.g. %s", r.failures_total,
                    "; ".join(f"{f['url']} ({f['reason']})" for f in r.failures[:3]))
    publish_summary(r.kind, summary)
    r.verdict()
    return summary
