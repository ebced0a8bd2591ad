"""Coarse Prefect tasks, each wrapping one library call (per portal or per batch of documents).

Tasks pass references — candidates (URLs and listing metadata), fetched-document references
(URL, sha256, raw path), report-page groups — never page bytes: the raw store holds the bytes.
Only the I/O tasks that can fail transiently (discovery, fetching) retry, and only on transient
errors; a refusal (anti-bot, off allow-list) or a bug is reported, not retried.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from prefect import task
from prefect.cache_policies import NO_CACHE

from collector.config import Portal, load_portals
from collector.crawl import (
    Candidate,
    FetchedRef,
    discover_portal,
    fetch_candidates,
    prepare_output,
    process_refs,
)
from collector.errors import ConfigError, FetchError
from collector.fetch import FetchSettings
from collector.reparse import ReparseGroup, plan_reparse, reparse_groups
from collector.store.dataset import Dataset
from collector.store.state import CrawlState
from flows.runtime import (
    RETRY_DELAYS,
    attempts_left,
    emit,
    is_transient,
    logger,
    retry_transient,
    writer_slot,
)

Span = tuple[float, float]  # perf_counter() around the library call: the bench sums these
_IO = {"retries": len(RETRY_DELAYS), "retry_delay_seconds": RETRY_DELAYS, "retry_condition_fn": retry_transient,
       "cache_policy": NO_CACHE, "persist_result": False}
_WORK = {"cache_policy": NO_CACHE, "persist_result": False}


@dataclass(slots=True)
class Discovered:
    portal_id: str
    candidates: list[Candidate] = field(default_factory=list)
    family: str | None = None
    error: str | None = None
    error_code: str | None = None
    span: Span = (0.0, 0.0)


@dataclass(slots=True)
class FetchedBatch:
    """References to one batch's fetched documents, and how each report page fared."""

    portal_id: str
    refs: list[FetchedRef]
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


@dataclass(slots=True)
class DatasetReport:
    """The dataset summary a run publishes: markdown tables, and the HTML report's path (None if it failed)."""

    markdown: str
    html: str | None = None
    error: str | None = None
    span: Span = (0.0, 0.0)


# -- helpers the flows call directly (cheap, no I/O worth a task) -------------------------------------


def select_portals(portals_file: str, portal_ids: list[str] | None = None) -> list[Portal]:
    """The configured portals, or the named subset (an unknown id is a configuration error)."""
    portals = load_portals(portals_file)
    if portal_ids:
        unknown = sorted(set(portal_ids) - {p.id for p in portals})
        if unknown:
            raise ConfigError(f"unknown portal id(s) {unknown} (not in {portals_file})")
        portals = [p for p in portals if p.id in set(portal_ids)]
    return portals


def fetch_settings(fetch: dict[str, Any] | None, *, allow_loopback: bool, polite: bool) -> FetchSettings:
    try:
        return FetchSettings.resolve(fetch, allow_loopback=allow_loopback, polite=polite)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad fetch settings {fetch!r}: {exc}") from None


def _findings(out: str, report_ids: list[str]) -> dict[str, int]:
    """Validation findings of the records just written, counted by rule and severity."""
    if not report_ids:
        return {}
    flt = pc.field("report_id").isin(pa.array(sorted(set(report_ids)), pa.string()))
    t = Dataset(out, repair=False).read("findings", columns=["rule", "severity"], filter=flt)
    return dict(Counter(f"rule {r} {s}" for r, s in zip(t.column("rule").to_pylist(),
                                                        t.column("severity").to_pylist(), strict=True)))


def _legacy_counts(out: str, report_ids: list[str]) -> dict[str, int]:
    """Legacy (2008–2018) records just written: how many state figures (parse_status ok) and how many only text."""
    if not report_ids:
        return {}
    flt = (pc.field("report_id").isin(pa.array(sorted(set(report_ids)), pa.string()))
           & (pc.field("format_version") == "legacy"))
    t = Dataset(out, repair=False).read("reports", columns=["parse_status"], filter=flt)
    status = Counter(t.column("parse_status").to_pylist())
    return {"with_figures": status.get("ok", 0), "without_figures": t.num_rows - status.get("ok", 0)}


def _classify(refs: list[FetchedRef], out: str) -> tuple[dict[str, int], int, int]:
    """Per report page: new (never stored), updated (a body changed since stored), unchanged, failed, blocked."""
    counts: Counter[str] = Counter()
    groups: dict[str, list[FetchedRef]] = {}
    for r in refs:
        groups.setdefault(r.candidate.url, []).append(r)
    with CrawlState(out) as st:
        for group in groups.values():
            page = next((r for r in group if r.kind == "page"), group[0])
            if not page.ok:
                counts["blocked" if page.status == "blocked" else "failed"] += 1
                continue
            prior = [(r, st.get(r.url)) for r in group if r.ok]
            stored = [row.processed_sha256 if row else None for _, row in prior]
            if all(s == r.sha256 for (r, _), s in zip(prior, stored, strict=True)):
                counts["unchanged"] += 1
            elif any(stored):
                counts["updated"] += 1
            else:
                counts["new"] += 1
    return dict(counts), len(refs), sum(1 for r in refs if not r.ok)


# -- tasks ---------------------------------------------------------------------------------------------


@task(name="open-output", **_WORK)
def open_output(out: str) -> list[str]:
    """Repair the dataset before the run (``prepare_output``); returns damaged files set aside."""
    with writer_slot():
        damaged = prepare_output(out)
    for d in damaged:
        logger().warning("quarantined %s", d)
    return damaged


@task(name="discover", task_run_name="discover-{portal.id}", **_IO)
def discover(portal: Portal, years: list[int], out: str, settings: FetchSettings) -> Discovered:
    """Walk one portal's listing pages (``discover_portal``); a refusal comes back as the portal's error."""
    t0 = time.perf_counter()
    try:
        cands = discover_portal(portal, years, out, allow_loopback=settings.allow_loopback, settings=settings)
    except FetchError as exc:
        if is_transient(exc) and attempts_left():
            raise
        logger().warning("portal %s: discovery failed: %s", portal.id, exc)
        emit("discovered", portal_id=portal.id, count=0, error=str(exc))
        return Discovered(portal.id, error=str(exc), error_code=exc.code, span=(t0, time.perf_counter()))
    family = next((c.cms_family for c in cands), None)
    logger().info("portal %s: %d report candidates for %s (%s)", portal.id, len(cands), years, family)
    emit("discovered", portal_id=portal.id, count=len(cands))
    return Discovered(portal.id, cands, family, span=(t0, time.perf_counter()))


@task(name="fetch-batch", task_run_name="fetch-{portal.id}", **_IO)
def fetch_batch(portal: Portal, candidates: list[Candidate], out: str, settings: FetchSettings) -> FetchedBatch:
    """Fetch report pages and attachments into the raw store (``fetch_candidates``); returns references."""
    t0 = time.perf_counter()
    refs = fetch_candidates(portal, candidates, out, allow_loopback=settings.allow_loopback, settings=settings)
    reports, docs, failed = _classify(refs, out)
    emit("fetched", portal_id=portal.id, count=len(candidates))
    return FetchedBatch(portal.id, refs, reports, docs, failed, span=(t0, time.perf_counter()))


@task(name="write-batch", task_run_name="write-{batch.portal_id}", **_WORK)
def write_batch(batch: FetchedBatch, out: str, force: bool = False) -> WrittenBatch:
    """Parse, validate and write one batch (``process_refs``) holding the dataset-writer slot."""
    with writer_slot():
        t0 = time.perf_counter()
        stats = process_refs(batch.refs, out, force=force)
        findings = _findings(out, stats.report_ids)
        legacy = _legacy_counts(out, stats.report_ids)
        t1 = time.perf_counter()
    emit("processed", portal_id=batch.portal_id, count=stats.candidates, records=stats.records)
    for q in stats.quarantined:
        logger().warning("quarantined %s", q)
    return WrittenBatch(batch.portal_id, stats.candidates, stats.processed, stats.records, stats.document_errors,
                        dict(stats.rows_written), findings, span=(t0, t1), legacy=legacy,
                        quarantined=stats.quarantined, failures=stats.failures)


@task(name="compact", **_WORK)
def compact_dataset(out: str) -> Span:
    """Merge each partition's small files (one per written batch) so readers scan few files."""
    with writer_slot():
        t0 = time.perf_counter()
        merged = Dataset(out).compact()
        t1 = time.perf_counter()
    logger().info("compacted %d files", merged)
    return (t0, t1)


@task(name="plan-reparse", **_WORK)
def plan(out: str, years: list[int] | None, portal_ids: list[str] | None) -> list[ReparseGroup]:
    """Which stored report pages to re-parse (``plan_reparse``): references only, no bytes."""
    if not Path(out).exists():
        raise ConfigError(f"{out}: no such dataset")
    groups = plan_reparse(out, years=years, portal_ids=portal_ids)
    emit("planned", count=len(groups))
    return groups


@task(name="reparse-batch", task_run_name="reparse-{groups[0].portal_id}", **_WORK)
def reparse_batch(groups: list[ReparseGroup], out: str) -> WrittenBatch:
    """Re-parse one batch from the raw store (``reparse_groups``) holding the dataset-writer slot."""
    with writer_slot():
        t0 = time.perf_counter()
        stats = reparse_groups(groups, out)
        findings = _findings(out, stats.report_ids)
        legacy = _legacy_counts(out, stats.report_ids)
        t1 = time.perf_counter()
    pid = groups[0].portal_id or "-"
    emit("processed", portal_id=pid, count=len(groups), records=stats.records)
    return WrittenBatch(pid, stats.candidates, stats.processed, stats.records, stats.document_errors,
                        dict(stats.rows_written), findings, span=(t0, t1), legacy=legacy, failures=stats.failures)


@task(name="migrate-dataset", **_WORK)
def migrate_dataset(out: str) -> int:
    """Rewrite files of an older schema layout in the current one (``Dataset.migrate``) before re-parsing."""
    if not Path(out).exists():
        raise ConfigError(f"{out}: no such dataset")
    with writer_slot():
        n = Dataset(out).migrate()
    if n:
        logger().info("rewrote %d files of an older schema layout", n)
    return n


@task(name="summarise-dataset", **_WORK)
def summarise_dataset(out: str) -> DatasetReport:
    """The dataset summary (``collector.summary``): markdown for the artifact, and ``OUT/summary.html``."""
    from collector.summary import summarise, summary_markdown, write_html

    t0 = time.perf_counter()
    s = summarise(out)
    html, error = None, None
    try:
        html = str(write_html(s, Path(out) / "summary.html"))
    except Exception as exc:  # noqa: BLE001 - the tables still go out without the HTML file
        error = f"the HTML report could not be written: {type(exc).__name__}: {exc}"
        logger().warning(error)
    link = Path(html).as_uri() if html else None
    return DatasetReport(summary_markdown(s, html_link=link), html, error, span=(t0, time.perf_counter()))


__all__ = ["DatasetReport", "Discovered", "FetchedBatch", "WrittenBatch", "compact_dataset", "discover", "fetch_batch",
           "fetch_settings", "migrate_dataset", "open_output", "plan", "reparse_batch", "select_portals", "summarise_dataset",
           "write_batch"]
