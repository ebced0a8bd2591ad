"""What a run tells its operator: per-portal tallies, failed URLs, Prefect artifacts, the run's final state.

A portal that fails is a row in the report, not a failed run; a run where every portal failed
raises :class:`RunFailed` (after publishing), so Prefect marks it Failed and alerts can fire.
The report collects the futures' results here; the markdown and tables are rendered by the
library (``collector.summary``), so another orchestrator can publish the same summary.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.futures import PrefectFuture

from collector.config import Portal
from collector.crawl import Candidate, FetchedRef
from collector.errors import CollectorError, StoreError
from collector.summary import run_report_markdown, run_table
from flows.runtime import logger
from flows.tasks import DatasetReport, Discovered, FetchedBatch, WrittenBatch

COUNTS = ("found", "new", "updated", "unchanged", "failed", "blocked")
KEPT_FAILURES = 200  # failed/blocked URLs kept in the run's summary; the rest are counted


class RunFailed(CollectorError):
    """Every portal failed or was refused; ``summary`` holds the report anyway."""

    code = "run_failed"

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass(slots=True)
class PortalRow:
    portal_id: str
    name: str = ""
    family: str | None = None
    found: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    blocked: int = 0
    records: int = 0
    documents: int = 0
    documents_failed: int = 0
    error: str | None = None
    error_code: str | None = None
    findings: Counter[str] = field(default_factory=Counter)
    legacy_with_figures: int = 0       # legacy (2008–2018) records that state figures
    legacy_without_figures: int = 0    # legacy records with text only

    @property
    def collected(self) -> bool:
        """Not failed: discovery worked and, if reports were found, at least one could be fetched."""
        return self.error is None and (self.found == 0 or self.new + self.updated + self.unchanged > 0)


@dataclass(slots=True)
class RunReport:
    kind: str                                   # collect | reparse
    years: list[int]
    out: str
    portals: dict[str, PortalRow]
    started: float = field(default_factory=time.perf_counter)
    spans: list[tuple[float, float]] = field(default_factory=list)
    rows_written: int = 0
    notes: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)  # url, portal_id, kind, status, reason, message
    failures_total: int = 0
    dataset: DatasetReport | None = None
    fatal: str | None = None                    # a store failure (full disk, read-only root): the run fails

    @classmethod
    def start(cls, kind: str, years: list[int], out: str, portals: list[Portal]) -> RunReport:
        return cls(kind, list(years), str(out), {p.id: PortalRow(p.id, p.name) for p in portals})

    def _row(self, portal_id: str | None) -> PortalRow:
        pid = portal_id or "-"
        return self.portals.setdefault(pid, PortalRow(pid))

    def failed(self, portal_id: str | None, url: str | None, kind: str, status: str, reason: str | None,
               message: str | None, http_status: int | None = None) -> None:
        """Remember a URL that could not be fetched or read, and why (the first KEPT_FAILURES; all counted)."""
        self.failures_total += 1
        if len(self.failures) < KEPT_FAILURES:
            self.failures.append({"portal_id": portal_id, "url": url, "kind": kind, "status": status,
                                  "reason": reason, "message": message, "http_status": http_status})

    def _fetch_failures(self, portal_id: str, refs: list[FetchedRef]) -> None:
        for r in refs:
            if not r.ok:
                reason = r.error_code or r.status
                if r.http_status:
                    reason = f"{reason} (HTTP {r.http_status})"
                self.failed(portal_id, r.url, r.kind, r.status, reason, r.error, r.http_status)

    # -- feeding the report from task futures --------------------------------------------------------

    def discovered(self, portal: Portal, fut: PrefectFuture[Discovered]) -> list[Candidate]:
        """Record a discovery; return its candidates (none if the portal failed)."""
        row = self._row(portal.id)
        fut.wait()
        seed = portal.start_urls[0] if portal.start_urls else None
        if not fut.state.is_completed():
            self._check_fatal(fut)
            row.error, row.error_code = _state_error(fut), "task_failed"
            row.failed += 1
            self.failed(portal.id, seed, "listing", "failed", row.error_code, row.error)
            return []
        d = fut.result()
        self.spans.append(d.span)
        row.family = d.family
        if d.error is not None:
            row.error, row.error_code = d.error, d.error_code
            row.blocked += d.error_code == "blocked"
            row.failed += d.error_code != "blocked"
            self.failed(portal.id, seed, "listing", "blocked" if d.error_code == "blocked" else "failed",
                        d.error_code, d.error)
            return []
        row.found = len(d.candidates)
        return d.candidates

    def written(self, batches: list[tuple[str, int, PrefectFuture[FetchedBatch], PrefectFuture[WrittenBatch]]]) -> None:
        """Wait for every (portal, size, fetch, write) batch and add it up; a failed batch counts as failed."""
        for pid, size, fetch, write in batches:
            row = self._row(pid)
            write.wait()
            if fetch.state.is_completed():
                f = fetch.result()
                self.spans.append(f.span)
                for k, v in f.reports.items():
                    setattr(row, k, getattr(row, k) + v)
                row.documents += f.documents
                row.documents_failed += f.documents_failed
                self._fetch_failures(pid, f.refs)
            else:
                row.failed += size
                self._check_fatal(fetch)
                self.notes.append(f"{pid}: a fetch batch of {size} failed: {_state_error(fetch)}")
                continue
            self.add_write(write)

    def reparsed(self, batches: list[tuple[str, int, PrefectFuture[WrittenBatch]]]) -> None:
        """Add up re-parse batches: every stored report page is found; re-parsed ones count as updated."""
        for pid, size, write in batches:
            row = self._row(pid)
            row.found += size
            write.wait()
            if write.state.is_completed():
                row.updated += write.result().processed
            else:
                row.failed += size
                row.error = _state_error(write)
                self._check_fatal(write)
            self.add_write(write)

    def opened(self, fut: PrefectFuture[list[str]]) -> None:
        """The dataset was repaired before the run: note the damaged files it set aside."""
        fut.wait()
        if fut.state.is_completed():
            self.notes += [f"damaged dataset file set aside in _quarantine/ ({q}); this run re-processes the raw "
                           "documents to restore its rows" for q in fut.result()]
        elif not self._check_fatal(fut):
            self.notes.append(f"the dataset could not be repaired before the run: {_state_error(fut)}")

    def compacted(self, fut: PrefectFuture[tuple[float, float]]) -> None:
        fut.wait()
        if fut.state.is_completed():
            self.spans.append(fut.result())
        elif not self._check_fatal(fut):
            self.notes.append(f"compaction failed: {_state_error(fut)} (the data is complete; run it again later)")

    def add_write(self, write: PrefectFuture[WrittenBatch]) -> None:
        write.wait()
        if not write.state.is_completed():
            if not self._check_fatal(write):
                self.notes.append(f"a write batch failed: {_state_error(write)} (the next run retries it)")
            return
        w = write.result()
        self.spans.append(w.span)
        self.notes += [f"damaged dataset file set aside in _quarantine/ ({q}); its rows come back when the next "
                       "run re-processes the raw documents" for q in w.quarantined]
        row = self._row(w.portal_id)
        row.records += w.records
        row.findings.update(w.findings)
        row.legacy_with_figures += w.legacy.get("with_figures", 0)
        row.legacy_without_figures += w.legacy.get("without_figures", 0)
        self.rows_written += sum(w.rows.values())
        for f in w.failures:
            self.failed(w.portal_id, f.get("url"), f.get("kind", "document"), f.get("status", "failed"),
                        f.get("reason"), f.get("message"))

    def summarised(self, fut: PrefectFuture[DatasetReport]) -> None:
        """The dataset summary for the artifact; a failure is a note, never a failed run."""
        fut.wait()
        if fut.state.is_completed():
            self.dataset = fut.result()
            self.spans.append(self.dataset.span)
            if self.dataset.error:
                self.notes.append(self.dataset.error)
        else:
            self.notes.append(f"the dataset summary could not be computed: {_state_error(fut)}")

    def _check_fatal(self, fut: PrefectFuture[Any]) -> bool:
        """A store error (no space left, read-only root) is not one portal's problem: it fails the run."""
        exc = _state_exception(fut)
        if isinstance(exc, StoreError):
            self.fatal = self.fatal or str(exc)
            return True
        return False

    # -- output ---------------------------------------------------------------------------------------

    @property
    def ok(self) -> bool:
        return self.fatal is None and (any(p.collected for p in self.portals.values()) or not self.portals)

    def totals(self) -> dict[str, int]:
        keys = (*COUNTS, "records", "documents", "documents_failed", "legacy_with_figures", "legacy_without_figures")
        return {k: sum(getattr(p, k) for p in self.portals.values()) for k in keys}

    def to_dict(self) -> dict[str, Any]:
        portals = []
        for p in self.portals.values():
            d = asdict(p)
            d["findings"], d["collected"] = dict(p.findings), p.collected
            portals.append(d)
        return {"kind": self.kind, "years": self.years, "out": self.out, "ok": self.ok, "portals": portals,
                "totals": self.totals(), "rows_written": self.rows_written, "notes": self.notes, "fatal": self.fatal,
                "failures": self.failures, "failures_total": self.failures_total,
                "dataset": asdict(self.dataset) if self.dataset else None,
                "seconds": time.perf_counter() - self.started, "spans": self.spans}


def _state_exception(fut: PrefectFuture[Any]) -> BaseException | None:
    try:
        res = fut.state.result(raise_on_failure=False) if fut.state.is_failed() else None
    except Exception:  # noqa: BLE001 - the result could not be retrieved
        return None
    return res if isinstance(res, BaseException) else None


def _state_error(fut: PrefectFuture[Any]) -> str:
    res = _state_exception(fut)
    return str(res) if res is not None else (fut.state.message or fut.state.name or "failed")


def publish_summary(kind: str, summary: dict[str, Any], title: str | None = None) -> None:
    """Attach the markdown summary, the per-portal table and a link to the HTML report to the current run."""
    log = logger()
    try:
        create_markdown_artifact(run_report_markdown(summary, title), key=f"xxgk-{kind}-summary",
                                 description=f"xxgk {kind} run: what happened, what went wrong, the dataset")
        create_table_artifact(run_table(summary), key=f"xxgk-{kind}-portals", description="per-portal counts")
        html = (summary.get("dataset") or {}).get("html")
        if html:
            create_link_artifact(Path(html).as_uri(), link_text=f"dataset report ({Path(html).name})",
                                 key=f"xxgk-{kind}-report", description="self-contained HTML report with charts")
    except Exception as exc:  # noqa: BLE001 - an artifact is a report, not the work: never fail the run for it
        log.warning("could not publish artifacts: %s", exc)


def publish(r: RunReport) -> dict[str, Any]:
    """Log the outcome, attach the summary artifacts to the run; fail if nothing worked."""
    summary = r.to_dict()
    log = logger()
    for p in r.portals.values():
        (log.info if p.collected else log.error)(
            "%s: found %d, new %d, updated %d, unchanged %d, failed %d, blocked %d, records %d%s",
            p.portal_id, p.found, p.new, p.updated, p.unchanged, p.failed, p.blocked, p.records,
            f" — {p.error}" if p.error else "")
    if r.failures_total:
        log.warning("%d URLs failed or were blocked, e.g. %s", r.failures_total,
                    "; ".join(f"{f['url']} ({f['reason']})" for f in r.failures[:3]))
    publish_summary(r.kind, summary)
    if r.fatal is not None:
        raise RunFailed(r.fatal, summary)
    if not r.ok:
        raise RunFailed("nothing could be collected: every portal failed or was refused", summary)
    return summary


__all__ = ["COUNTS", "PortalRow", "RunFailed", "RunReport", "publish", "publish_summary"]
