"""One document in, one validated record (or a recorded failure) out: extract -> parse -> validate.

``process_document`` never raises for bad input: a file that cannot be read or is not a report
comes back as an :class:`Outcome` whose ``document`` row carries the error, so a batch goes on
and the failure is stored (with the raw bytes kept by the caller's raw store) for re-parsing.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collector.errors import CollectorError, NotAReport
from collector.extract import bytes_to_document
from collector.models import CellValue
from collector.parse.record import PARSER_VERSION, canonical_url, document_to_record, report_id_for
from collector.validate import validate_record
from collector.validate.ocr import ocr_findings


@dataclass
class SourceContext:
    """What the caller knows about a document besides its bytes (all optional)."""

    source_url: str | None = None
    portal_id: str | None = None
    listing_url: str | None = None
    cms_family: str | None = None
    agency_name: str | None = None
    region: dict[str, Any] | None = None
    title: str | None = None
    report_year: int | None = None
    http_status: int | None = None
    encoding: str | None = None
    fetched_at: datetime | None = None
    attachment_urls: list[str] = field(default_factory=list)
    parent_url: str | None = None
    raw_path: str | None = None
    hint: str | None = None  # file extension, only to break ties inside OLE containers
    assume_report: bool = False  # parse a legacy document the recogniser refuses (the reason goes to parse_warnings)


@dataclass
class Outcome:
    record: dict[str, Any] | None
    document: dict[str, Any]
    error: CollectorError | None = None
    cells: dict[str, CellValue] = field(default_factory=dict)
    seconds: float = 0.0
    run_id: str | None = None  # the run that stores it (the sink sets it): every row written carries it


def _doc_row(data: bytes, sha: str, ctx: SourceContext, **kw: Any) -> dict[str, Any]:
    row = {
        "source_url": ctx.source_url, "document_sha256": sha, "media_type": None, "size": len(data),
        "status": "parsed", "error_code": None, "error": None, "extractor": None, "report_id": None,
        "report_year": None, "portal_id": ctx.portal_id, "parent_url": ctx.parent_url, "raw_path": ctx.raw_path,
        "http_status": ctx.http_status, "encoding": ctx.encoding, "parser_version": PARSER_VERSION,
        "processed_at": datetime.now(UTC),
    }
    row.update(kw)
    return row


def process_document(data: bytes, ctx: SourceContext | None = None) -> Outcome:
    """Extract, parse and validate one document; failures come back recorded, not raised."""
    ctx = ctx or SourceContext()
    started = time.perf_counter()
    sha = hashlib.sha256(data).hexdigest()
    media = None
    try:
        doc = bytes_to_document(data, source_url=ctx.source_url, hint=ctx.hint, encoding=ctx.encoding)
        media = doc.media_type
        if ctx.title and "ArticleTitle" not in doc.meta:
            doc.meta["ArticleTitle"] = ctx.title
        result = document_to_record(doc, source_url=ctx.source_url, sha256=sha, year_hint=ctx.report_year,
                                    agency_hint=ctx.agency_name, region_hint=ctx.region,
                                    assume_report=ctx.assume_report)
    except CollectorError as exc:
        status = "not_a_report" if isinstance(exc, NotAReport) else "failed"
        row = _doc_row(data, sha, ctx, media_type=media, status=status, error_code=exc.code, error=str(exc))
        return Outcome(None, row, exc, seconds=time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not stop a batch; keep it for re-parsing
        row = _doc_row(data, sha, ctx, media_type=media, status="failed", error_code="internal",
                       error=f"{type(exc).__name__}: {exc}")
        return Outcome(None, row, CollectorError(str(exc)), seconds=time.perf_counter() - started)
    rec = result.record
    rec.update({
        "portal_id": ctx.portal_id, "listing_url": ctx.listing_url, "cms_family": ctx.cms_family,
        "canonical_url": canonical_url(ctx.source_url) if ctx.source_url and "://" in ctx.source_url else None,
        "attachment_urls": list(ctx.attachment_urls), "http_status": ctx.http_status,
        "fetched_at": ctx.fetched_at.isoformat() if ctx.fetched_at else None,
    })
    if ctx.encoding and not rec.get("encoding_detected"):
        rec["encoding_detected"] = ctx.encoding
    try:
        findings = validate_record(rec)
        findings += ocr_findings(result.cells, findings)
    except Exception as exc:  # noqa: BLE001 - e.g. a 400-digit count no float holds: recorded, not raised
        row = _doc_row(data, sha, ctx, media_type=media, status="failed", error_code="internal",
                       error=f"validation: {type(exc).__name__}: {exc}")
        return Outcome(None, row, CollectorError(str(exc)), seconds=time.perf_counter() - started)
    rec["validation"] = [f.as_dict() for f in findings]
    row = _doc_row(data, sha, ctx, media_type=rec["media_type"], extractor=rec["extractor"],
                   report_id=rec["report_id"], report_year=rec["report_year"],
                   status="parsed" if rec["parse_status"] != "text_only" else "parsed_text_only")
    return Outcome(rec, row, None, result.cells, seconds=time.perf_counter() - started)


def _score(o: Outcome) -> tuple[int, int]:
    if o.record is None:
        return (-1, 0)
    filled = sum(1 for c in o.cells.values() if c.value is not None)
    return ({"ok": 3, "partial": 2, "text_only": 1}.get(o.record.get("parse_status", ""), 0), filled)


def process_candidate(docs: list[tuple[bytes, SourceContext]]) -> list[Outcome]:
    """A report page and its attachments: the most complete parse becomes the report.

    Reports are often an HTML page that only links the PDF, or an HTML summary with the tables
    in an attached 统计表. Every document is still recorded in ``documents``; only the best one
    carries the record (the others keep their status, with the chosen report's id).
    """
    outcomes = [process_document(data, ctx) for data, ctx in docs]
    parsed = [o for o in outcomes if o.record is not None]
    if not parsed:
        return outcomes
    best = max(parsed, key=_score)
    page = outcomes[0]
    if page.record is not None and page.record.get("format_version") == "legacy" and page.record["parse_status"] == "ok":
        best = page  # a legacy page that states figures carries the report; attached 统计表 join it below
    if best is not page and best.record is not None:
        # The report is identified by its page (URL, title, page metadata) even when the
        # numbers come from an attachment.
        rec = best.record
        if page.record is not None:
            for key in ("title", "agency_name", "agency_name_normalized", "agency_level", "agency_type",
                        "published_date", "published_date_source", "index_number", "org_code"):
                if page.record.get(key) and (key.startswith("published") or not rec.get(key)):
                    rec[key] = page.record[key]
            if rec.get("report_year") is None:
                rec["report_year"] = page.record.get("report_year")
        page_url = docs[0][1].source_url
        rec["attachment_urls"] = rec.get("attachment_urls") or list(docs[0][1].attachment_urls)
        rec["report_id"] = report_id_for(page_url, rec["document_sha256"], rec.get("report_year"))
        rec["canonical_url"] = canonical_url(page_url) if page_url and "://" in page_url else rec.get("canonical_url")
        rec["validation"] = [f.as_dict() for f in validate_record(rec)]
        best.document["report_id"], best.document["report_year"] = rec["report_id"], rec.get("report_year")
    if best.record is not None and best.record.get("format_version") == "legacy":
        _merge_attached_annexes(best, docs, outcomes)
    for o in outcomes:
        if o is not best and o.record is not None:
            o.document["status"] = "superseded"
            o.document["report_id"] = best.record["report_id"]  # type: ignore[index]
            o.record = None
            o.cells = {}
    return outcomes


def _merge_attached_annexes(best: Outcome, docs: list[tuple[bytes, SourceContext]], outcomes: list[Outcome]) -> None:
    """A legacy page whose 统计表 is attached (and refused on its own as a bare form): its figures join the record."""
    from collector.parse.legacy import attached_annex, merge_annex

    rec = best.record
    assert rec is not None
    merged = False
    for (data, ctx), o in zip(docs, outcomes, strict=True):
        legacy_attachment = o.record is not None and o.record.get("format_version") == "legacy"
        if o is best or not (isinstance(o.error, NotAReport) or legacy_attachment):
            continue
        try:
            doc = bytes_to_document(data, source_url=ctx.source_url, hint=ctx.hint, encoding=ctx.encoding)
        except CollectorError:
            continue
        annex = attached_annex(doc)
        if not annex.values:
            continue
        name = (ctx.source_url or "attachment").rstrip("/").rsplit("/", 1)[-1]
        merge_annex(rec, best.cells, annex, f"attachment {name}:")
        o.document.update(status="superseded", report_id=rec["report_id"], report_year=rec.get("report_year"),
                          error_code=None, error=None)
        o.record, o.cells = None, {}
        merged = True
    if merged:
        rec["validation"] = [f.as_dict() for f in validate_record(rec)]
