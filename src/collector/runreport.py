"""The one run report: per-portal tallies, failed URLs, notes, the dataset summary, the verdict.

The library's :func:`collector.stages.collect`, the Prefect flows and the CLI all fill and print
this one type, so "collected", "found" and "new" mean the same everywhere: counts are per
report page (``found`` = report pages discovered; ``new`` / ``updated`` / ``unchanged`` /
``failed`` / ``blocked`` split them; ``documents`` counts pages and attachments fetched).
A portal that fails is a row in the report, not a failed run; ``ok`` is False only when every
portal failed or a store failure (full disk, read-only root) stopped the run.

The stage results it is fed (:class:`Discovered`, :class:`FetchedBatch`, :class:`WrittenBatch`,
:class:`DatasetReport`) are what the stages of :mod:`collector.stages` return: references and
counts, never page bytes.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from collector.config import Portal
from collector.discover import Candidate
from collector.errors import CollectorError, StoreError, is_transient

COUNTS = ("found", "new", "updated", "unchanged", "failed", "blocked")
KEPT_FAILURES = 200  # failed/blocked URLs kept in the run's summary; the rest are counted
Span = tuple[float, float]  # perf_counter() around a library call: the bench sums these


class RunFailed(CollectorError):
    """Every portal failed or was refused (or the store failed); ``summary`` holds the report anyway."""

    code = "run_failed"

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


# -- what the stages return -----------------------------------------------------------------------


@dataclass(slots=True)
class Discovered:
    portal_id: str
    candidates: list[Candidate] = field(default_factory=list)
    family: str | None = None
    pages: int = 0
    error: str | None = None
    error_code: str | None = None
    span: Span = (0.0, 0.0)


@dataclass(slots=True)
class FetchedBatch:
    """References to one batch's fetched documents, and how each report page fared."""

    portal_id: str
    refs: list[Any]                    # FetchedRef
    reports: dict[str, int]            # new | updated | unchanged | failed | blocked -> report pages
    documents: int = 0
    documents_failed: int = 0
    span: Span = (0.0, 0.0)


@dataclass(slots=True)
class WrittenBatch:
    portal_id: str
    groups: int = 0
    processed: int = 0
    records: int = 0
    document_errors: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    findings: dict[str, int] = field(default_factory=dict)  # "rule 3 error" -> count
    span: Span = (0.0, 0.0)
    legacy: dict[str, int] = field(default_factory=dict)    # legacy reports: "with_figures" / "without_figures"
    quarantined: list[str] = field(default_factory=list)  # damaged dataset files set aside while writing
    failures: list[dict[str, Any]] = field(default_factory=list)  # documents that failed to parse: url, reason


class WriteFailed(CollectorError):
    """A batch was fetched but could not be parsed and written: carries what the fetch recorded, so the
    report still counts the pages (``__cause__``/``cause`` is the error that lost the write)."""

    code = "write_failed"

    def __init__(self, fetched: FetchedBatch, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.fetched, self.cause = fetched, cause
        self.transient = is_transient(cause)  # a busy crawl state: another attempt (fetching again is cheap)

    def __reduce__(self) -> tuple[Any, ...]:  # task results cross processes on Dask
        return (WriteFailed, (self.fetched, self.cause))


@dataclass(slots=True)
class DatasetReport:
    """The dataset summary a run publishes: markdown tables, and the HTML report's path (None if it failed)."""

    markdown: str
    html: str | None = None
    error: str | None = None
    span: Span = (0.0, 0.0)


# -- the report -------------------------------------------------------------------------------------


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
    pages: int = 0                     # listing pages walked
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
    kind: str                                   # collect | backfill | reparse
    years: list[int]
    out: str
    rows: dict[str, PortalRow]
    run_id: str | None = None
    started: float = field(default_factory=time.perf_counter)
    spans: list[Span] = field(default_factory=list)
    rows_written: int = 0
    requests: int = 0
    notes: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)  # url, portal_id, kind, status, reason, message
    failures_total: int = 0
    dataset: DatasetReport | None = None
    fatal: str | None = None                    # a store failure (full disk, read-only root): the run fails

    @classmethod
    def start(cls, kind: str, ctx: Any) -> RunReport:
        """A report for the run of ``ctx`` (:class:`collector.workspace.RunContext`)."""
        return cls(kind, list(ctx.years), str(ctx.out), {p.id: PortalRow(p.id, p.name) for p in ctx.portals},
                   run_id=ctx.run_id)

    @property
    def portals(self) -> list[PortalRow]:
        return list(self.rows.values())

    def row(self, portal_id: str | None) -> PortalRow:
        pid = portal_id or "-"
        return self.rows.setdefault(pid, PortalRow(pid))

    def failed(self, portal_id: str | None, url: str | None, kind: str, status: str, reason: str | None,
               message: str | None, http_status: int | None = None) -> None:
        """Remember a URL that could not be fetched or read, and why (the first KEPT_FAILURES; all counted)."""
        self.failures_total += 1
        if len(self.failures) < KEPT_FAILURES:
            self.failures.append({"portal_id": portal_id, "url": url, "kind": kind, "status": status,
                                  "reason": reason, "message": message, "http_status": http_status})

    # -- feeding the report with stage results ---------------------------------------------------------

    def failed_step(self, exc: BaseException | None, note: str) -> bool:
        """A stage that raised: a store error fails the run (True); anything else becomes ``note``."""
        if isinstance(exc, StoreError):
            self.fatal = self.fatal or str(exc)
            return True
        if note:
            self.notes.append(note)
        return False

    def opened(self, damaged: list[str]) -> None:
        """The dataset was repaired before the run: note the damaged files it set aside."""
        self.notes += [f"damaged dataset file set aside in _quarantine/ ({q}); this run re-processes the raw "
                       "documents to restore its rows" for q in damaged]

    def discovery_failed(self, portal: Portal, message: str, code: str = "task_failed") -> None:
        row = self.row(portal.id)
        row.error, row.error_code = message, code
        row.failed += 1
        self.failed(portal.id, portal.start_urls[0] if portal.start_urls else None, "listing", "failed", code, message)

    def discovered(self, portal: Portal, d: Discovered) -> list[Candidate]:
        """Record a discovery; return its candidates (none if the portal failed)."""
        row = self.row(portal.id)
        self.spans.append(d.span)
        row.family, row.pages = d.family, d.pages
        if d.error is not None:
            row.error, row.error_code = d.error, d.error_code
            blocked = d.error_code == "blocked"
            row.blocked += blocked
            row.failed += not blocked
            self.failed(portal.id, portal.start_urls[0] if portal.start_urls else None, "listing",
                        "blocked" if blocked else "failed", d.error_code, d.error)
            return []
        row.found = len(d.candidates)
        return d.candidates

    def fetch_failed(self, portal_id: str, size: int, message: str) -> None:
        self.row(portal_id).failed += size
        self.notes.append(f"{portal_id}: a fetch batch of {size} failed: {message}")

    def fetched(self, f: FetchedBatch) -> None:
        row = self.row(f.portal_id)
        self.spans.append(f.span)
        for k, v in f.reports.items():
            setattr(row, k, getattr(row, k) + v)
        row.documents += f.documents
        row.documents_failed += f.documents_failed
        for r in f.refs:
            if not r.ok:
                reason = r.error_code or r.status
                if r.http_status:
                    reason = f"{reason} (HTTP {r.http_status})"
                self.failed(f.portal_id, r.url, r.kind, r.status, reason, r.error, r.http_status)

    def written(self, w: WrittenBatch) -> None:
        self.spans.append(w.span)
        self.notes += [f"damaged dataset file set aside in _quarantine/ ({q}); its rows come back when the next "
                       "run re-processes the raw documents" for q in w.quarantined]
        row = self.row(w.portal_id)
        row.records += w.records
        row.findings.update(w.findings)
        row.legacy_with_figures += w.legacy.get("with_figures", 0)
        row.legacy_without_figures += w.legacy.get("without_figures", 0)
        self.rows_written += sum(w.rows.values())
        for f in w.failures:
            self.failed(w.portal_id, f.get("url"), f.get("kind", "document"), f.get("status", "failed"),
                        f.get("reason"), f.get("message"))

    def reparsed(self, portal_id: str, size: int, w: WrittenBatch | None, error: str | None = None) -> None:
        """A re-parse batch: every stored report page is found; re-parsed ones count as updated."""
        row = self.row(portal_id)
        row.found += size
        if w is None:
            row.failed += size
            row.error = error
            return
        row.updated += w.processed
        self.written(w)

    def compacted(self, span: Span | None) -> None:
        """Compaction's time (None: it failed, and a note says so)."""
        if span is not None:
            self.spans.append(span)

    def summarised(self, d: DatasetReport | None) -> None:
        """The dataset summary for the artifact; its failure is a note, never a failed run."""
        if d is None:
            return
        self.dataset = d
        self.spans.append(d.span)
        if d.error:
            self.notes.append(d.error)

    # -- output ---------------------------------------------------------------------------------------

    @property
    def ok(self) -> bool:
        return self.fatal is None and (any(p.collected for p in self.rows.values()) or not self.rows)

    def totals(self) -> dict[str, int]:
        keys = (*COUNTS, "records", "documents", "documents_failed", "legacy_with_figures", "legacy_without_figures")
        return {k: sum(getattr(p, k) for p in self.rows.values()) for k in keys}

    def to_dict(self) -> dict[str, Any]:
        portals = []
        for p in self.rows.values():
            d = asdict(p)
            d["findings"], d["collected"] = dict(p.findings), p.collected
            portals.append(d)
        return {"kind": self.kind, "years": self.years, "out": self.out, "run_id": self.run_id, "ok": self.ok,
                "portals": portals, "totals": self.totals(), "rows_written": self.rows_written,
                "requests": self.requests, "notes": self.notes, "fatal": self.fatal, "failures": self.failures,
                "failures_total": self.failures_total, "dataset": asdict(self.dataset) if self.dataset else None,
                "seconds": time.perf_counter() - self.started, "spans": self.spans}

    def verdict(self) -> None:
        """Raise :class:`RunFailed` (with the summary) when the run failed; else return."""
        if self.fatal is not None:
            raise RunFailed(self.fatal, self.to_dict())
        if not self.ok:
            raise RunFailed("nothing could be collected: every portal failed or was refused", self.to_dict())


__all__ = ["COUNTS", "DatasetReport", "Discovered", "FetchedBatch", "PortalRow", "RunFailed", "RunReport",
           "WriteFailed", "WrittenBatch"]
