"""What a run tells its operator: per-portal tallies, Prefect artifacts, the run's final state.

A portal that fails is a row in the report, not a failed run; a run where every portal failed
raises :class:`RunFailed` (after publishing), so Prefect marks it Failed and alerts can fire.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.futures import PrefectFuture

from collector.config import Portal
from collector.crawl import Candidate
from collector.errors import CollectorError, StoreError
from flows.runtime import logger
from flows.tasks import Discovered, FetchedBatch, WrittenBatch

COUNTS = ("found", "new", "updated", "unchanged", "failed", "blocked")


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
    fatal: str | None = None                    # a store failure (full disk, read-only root): the run fails

    @classmethod
    def start(cls, kind: str, years: list[int], out: str, portals: list[Portal]) -> RunReport:
        return cls(kind, list(years), str(out), {p.id: PortalRow(p.id, p.name) for p in portals})

    def _row(self, portal_id: str | None) -> PortalRow:
        pid = portal_id or "-"
        return self.portals.setdefault(pid, PortalRow(pid))

    # -- feeding the report from task futures --------------------------------------------------------

    def discovered(self, portal: Portal, fut: PrefectFuture[Discovered]) -> list[Candidate]:
        """Record a discovery; return its candidates (none if the portal failed)."""
        row = self._row(portal.id)
        fut.wait()
        if not fut.state.is_completed():
            self._check_fatal(fut)
            row.error, row.error_code = _state_error(fut), "task_failed"
            row.failed += 1
            return []
        d = fut.result()
        self.spans.append(d.span)
        row.family = d.family
        if d.error is not None:
            row.error, row.error_code = d.error, d.error_code
            row.blocked += d.error_code == "blocked"
            row.failed += d.error_code != "blocked"
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


def _markdown(r: RunReport) -> str:
    t = r.totals()
    done = sum(p.collected for p in r.portals.values())
    yrs = f"{r.years[0]}–{r.years[-1]}" if r.years else "all years"
    lines = [f"# xxgk {r.kind}: {yrs}", "",
             f"**{done} of {len(r.portals)} portals collected.** {t['found']} reports found: {t['new']} new, "
             f"{t['updated']} updated, {t['unchanged']} unchanged, {t['failed']} failed, {t['blocked']} blocked; "
             f"{t['records']} records written ({t['documents']} documents, {t['documents_failed']} not fetched).",
             "", f"Dataset: `{r.out}`", ""]
    if t["legacy_with_figures"] or t["legacy_without_figures"]:
        lines[-3:-3] = ["", f"Legacy reports (2008–2018): {t['legacy_with_figures']} with figures, "
                            f"{t['legacy_without_figures']} text only."]
    if r.fatal:
        lines += [f"**The run failed:** {r.fatal}", ""]
    bad = [p for p in r.portals.values() if not p.collected or p.failed or p.blocked]
    if bad:
        lines += ["## Portals with problems", ""]
        lines += [f"- `{p.portal_id}` ({p.name}): " + (p.error or f"{p.failed} failed, {p.blocked} blocked")
                  for p in bad]
        lines.append("")
    findings: Counter[str] = Counter()
    for p in r.portals.values():
        findings.update(p.findings)
    if findings:
        lines += ["## Validation findings by rule", "", "| rule | severity | count |", "|---|---|---|"]
        for key, n in sorted(findings.items(), key=lambda kv: (int(kv[0].split()[1]), kv[0])):
            _, rule, sev = key.split()
            lines.append(f"| {rule} | {sev} | {n} |")
        lines.append("")
    if r.notes:
        lines += ["## Notes", "", *(f"- {n}" for n in r.notes), ""]
    return "\n".join(lines)


def _table(r: RunReport) -> list[dict[str, Any]]:
    rows = []
    for p in r.portals.values():
        rows.append({"portal": p.portal_id, "cms": p.family or "", **{k: getattr(p, k) for k in COUNTS},
                     "records": p.records, "legacy_with_figures": p.legacy_with_figures,
                     "legacy_without_figures": p.legacy_without_figures, "findings": ", ".join(f"{k}: {v}" for k, v in sorted(p.findings.items())),
                     "status": "ok" if p.collected else f"FAILED: {p.error or 'nothing fetched'}"})
    return rows


def publish(r: RunReport) -> dict[str, Any]:
    """Log the outcome, attach the markdown summary and per-portal table to the run; fail if nothing worked."""
    summary = r.to_dict()
    log = logger()
    for p in r.portals.values():
        (log.info if p.collected else log.error)(
            "%s: found %d, new %d, updated %d, unchanged %d, failed %d, blocked %d, records %d%s",
            p.portal_id, p.found, p.new, p.updated, p.unchanged, p.failed, p.blocked, p.records,
            f" — {p.error}" if p.error else "")
    try:
        create_markdown_artifact(_markdown(r), key=f"xxgk-{r.kind}-summary", description=f"xxgk {r.kind} run")
        create_table_artifact(_table(r), key=f"xxgk-{r.kind}-portals", description="per-portal counts")
    except Exception as exc:  # noqa: BLE001 - an artifact is a report, not the work: never fail the run for it
        log.warning("could not publish artifacts: %s", exc)
    if r.fatal is not None:
        raise RunFailed(r.fatal, summary)
    if not r.ok:
        raise RunFailed("nothing could be collected: every portal failed or was refused", summary)
    return summary


__all__ = ["COUNTS", "PortalRow", "RunFailed", "RunReport", "publish"]
