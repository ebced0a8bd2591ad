"""The ``xxgk-backfill`` flow: the collect flow with an explicit year range (not a second code path).

The collect flow runs as a subflow with its own artifacts; this parent run publishes its own
summary too (same tables, titled as the backfill), also when every portal failed.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from collector import ConfigError, RunFailed
from flows.collect import collect_flow
from flows.report import publish_summary


@flow(name="xxgk-backfill", log_prints=False)
def backfill_flow(start: int, end: int, portals_file: str, out: str, portal_ids: list[str] | None = None,
                  force: bool = False, allow_loopback: bool = False, polite: bool = True,
                  fetch: dict[str, Any] | None = None, batch_size: int = 25) -> dict[str, Any]:
    """Collect report years ``start``..``end`` for all or some portals; resumable (see ``collect_flow``).

    Args:
        start: First report year to collect, e.g. 2019.
        end: Last report year to collect (inclusive), e.g. 2023.
        portals_file: Portal YAML file, or a directory of them (e.g. deployments/portals for the real portals,
            the portals.yaml `xxgk sim` writes for the simulator). Relative paths resolve from the worker's
            working directory; `~` is expanded.
        out: Dataset root: Parquet tables, raw documents, crawl state and summary.html. An absolute path outside
            the checkout (e.g. ~/xxgk/data; `~` is expanded) or a URI every worker can reach (s3://bucket/prefix,
            gs://…; credentials from the worker's environment). A root that cannot be written fails the run at once.
        portal_ids: Only these portal ids from portals_file (empty: all of them).
        force: Re-parse documents already processed by this parser version (after a parser change).
        allow_loopback: Allow private and loopback addresses (the simulator, tests); never for real portals.
        polite: Honour each portal's rate limit and robots.txt; turn off only against the simulator.
        fetch: Fetcher settings overriding the defaults, e.g. {"read_timeout": 30, "retries": 2}
            (collector.fetch.FetchSettings).
        batch_size: Report pages per collect-batch task (fetched, then parsed and written).
    """
    if not 1990 <= start <= end <= 2100:
        raise ConfigError(f"bad year range {start}-{end}")
    title = f"xxgk backfill: {start}–{end}"
    try:
        summary = collect_flow(portals_file=portals_file, out=out, years=list(range(start, end + 1)),
                               portal_ids=portal_ids, force=force, allow_loopback=allow_loopback, polite=polite,
                               fetch=fetch, batch_size=batch_size)
    except RunFailed as exc:
        publish_summary("backfill", {**exc.summary, "kind": "backfill"}, title)
        raise
    summary = {**summary, "kind": "backfill"}
    publish_summary("backfill", summary, title)
    return summary
