"""The one sink: parse a batch of report groups from the raw store and store them -> stats.

Every path that writes records goes through here: the crawl (:func:`collector.crawl.process_refs`,
the flows' batch task), ``reparse`` and ``xxgk parse --out``, and the benchmarks through them.
So the counts a run reports — records, parse failures, validation findings by rule, legacy
reports with and without figures, rows written — are counted the same way on every path,
on the way (from the outcomes written), never by re-reading what was just written.

:func:`parse_group` is a pure function over references (the raw store root and sha256s), so a
process pool maps it over a batch (:mod:`collector.parallel`, #13: parsing holds the GIL, so it
runs in processes sized to the machine); :func:`store_groups` writes, in order, and marks the
crawl state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from collector import parallel
from collector.pipeline import Outcome, SourceContext
from collector.store.raw import RawStore

if TYPE_CHECKING:
    from collector.workspace import Workspace


@dataclass(slots=True)
class ParseGroup:
    """One report page and its attachments, by reference: (sha256, context), page first.

    ``marks``: (url, sha256) pairs the crawl state records as processed once the batch is written
    (only while the crawl still holds that body)."""

    docs: list[tuple[str, SourceContext]]
    marks: list[tuple[str, str]] = field(default_factory=list)
    portal_id: str | None = None


@dataclass(slots=True)
class BatchStats:
    """What one sink call did; every path reports these same counts."""

    candidates: int = 0
    processed: int = 0
    skipped_unchanged: int = 0
    skipped_failed: int = 0
    documents: int = 0
    records: int = 0
    document_errors: int = 0
    fetch_failures: int = 0        # failed fetches written to ``documents`` this time
    quarantined: list[str] = field(default_factory=list)  # unreadable dataset files set aside
    rows_written: dict[str, int] = field(default_factory=dict)
    report_ids: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)  # documents that failed to parse: url, reason
    findings: Counter[str] = field(default_factory=Counter)       # "rule 3 error" -> count, of the records written
    legacy: Counter[str] = field(default_factory=Counter)         # with_figures / without_figures
    outcomes: list[Outcome] = field(default_factory=list)         # kept only when asked (xxgk parse)

    def add_outcome(self, o: Outcome) -> None:
        """Count one pipeline outcome: a record, or a failure with its URL and reason."""
        if o.record is not None:
            self.records += 1
            self.report_ids.append(o.record.get("report_id"))  # type: ignore[arg-type]
        elif o.error is not None:
            self.document_errors += 1
            doc = o.document or {}
            if doc.get("status") == "failed":
                self.failures.append({"url": doc.get("source_url"), "kind": "document", "status": "failed",
                                      "reason": doc.get("error_code"), "message": doc.get("error")})

    def count_written(self, outcomes: Sequence[Outcome]) -> None:
        """Findings and legacy figures of the records a write stored (the last of a report id wins)."""
        latest = {o.record["report_id"]: o.record for o in outcomes if o.record is not None}
        for rec in latest.values():
            self.findings.update(f"rule {f['rule']} {f['severity']}" for f in rec.get("validation") or [])
            if rec.get("format_version") == "legacy":
                self.legacy["with_figures" if rec.get("parse_status") == "ok" else "without_figures"] += 1


def parse_group(raw: RawStore | str, group: ParseGroup) -> list[Outcome]:
    """Parse one group from the raw store (pure but for reading the bytes; a document whose
    bytes are gone is a recorded failure)."""
    return parallel.parse_group(str(raw.uri if isinstance(raw, RawStore) else raw), group.docs)


def store_groups(ws: Workspace, groups: Iterable[ParseGroup], *, extra: Sequence[Outcome] = (),
                 failures_recorded: Sequence[tuple[str, str]] = (), stats: BatchStats | None = None,
                 batch_size: int = 100, keep: bool = False) -> BatchStats:
    """Parse ``groups`` and write them with ``extra`` outcomes (fetch / read failures), every
    ``batch_size`` outcomes one transaction; stamp the run id; mark the crawl state after each write.

    ``failures_recorded``: (url, failure key) pairs whose ``documents`` row is among ``extra``.
    """
    from collector.parse import record as _record

    version = _record.PARSER_VERSION  # read at call time: a parser upgrade re-processes unchanged documents
    st = stats or BatchStats()
    pending: list[Outcome] = list(extra)
    marks: list[tuple[str, str]] = []
    failed = list(failures_recorded)

    def flush() -> None:
        if not pending:
            return
        for o in pending:
            o.run_id = ws.run_id
        # one transaction, shared with other threads' batches waiting at the same moment (group commit);
        # if rows were lost to a damaged file, the crawl state has forgotten what was processed
        written, new = ws.commit(pending)
        st.quarantined += new
        for k, v in written.rows.items():
            st.rows_written[k] = st.rows_written.get(k, 0) + v
        st.count_written(pending)
        if marks or failed:
            state = ws.state
            for url, sha in marks:
                row = state.get(url)
                if row is not None and row.sha256 == sha:  # only the body the crawl currently holds
                    state.mark_processed(url, sha, version)
            for url, key in failed:
                state.mark_failure_recorded(url, key)
        if keep:
            st.outcomes.extend(pending)
        pending.clear()
        marks.clear()
        failed.clear()

    todo = list(groups)
    # CPU-bound parsing in worker processes fed by sha256s; outcomes come back in order
    for g, outcomes in zip(todo, parallel.parse_groups(ws.raw.uri, [g.docs for g in todo]), strict=True):
        st.processed += 1
        st.documents += len(outcomes)
        for o in outcomes:
            st.add_outcome(o)
        pending.extend(outcomes)
        marks.extend(g.marks)
        if len(pending) >= batch_size:
            flush()
    flush()
    return st


__all__ = ["BatchStats", "ParseGroup", "parse_group", "store_groups"]
