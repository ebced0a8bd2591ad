"""The ``xxgk-backfill`` flow: the collect flow with an explicit year range (not a second code path)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from collector.errors import ConfigError
from flows.collect import collect_flow


@flow(name="xxgk-backfill", log_prints=False)
def backfill_flow(start: int, end: int, portals_file: str = "deployments/portals", out: str = "data/xxgk",
                  portal_ids: list[str] | None = None, force: bool = False, allow_loopback: bool = False,
                  polite: bool = True, fetch: dict[str, Any] | None = None, batch_size: int = 25) -> dict[str, Any]:
    """Collect report years ``start``..``end`` for all or some portals; resumable (see ``collect_flow``)."""
    if not 1990 <= start <= end <= 2100:
        raise ConfigError(f"bad year range {start}-{end}")
    return collect_flow(portals_file=portals_file, out=out, years=list(range(start, end + 1)),
                        portal_ids=portal_ids, force=force, allow_loopback=allow_loopback, polite=polite,
                        fetch=fetch, batch_size=batch_size)
