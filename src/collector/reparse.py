"""Re-parse stored raw documents with the current parser: no network, same report ids.

A parser fix has to reach every stored report, including those whose portal has since changed,
vanished or started blocking us. The raw store keeps every body; the ``documents`` table says
which bodies make up which report page (``parent_url``), and the ``reports`` row plus the crawl
state keep what the crawl knew about the page (listing, CMS, title, agency, region). That is
enough to rebuild each :class:`SourceContext` and run :func:`process_candidate` again; the
Dataset's keyed writes then replace the old rows in place.

``plan_reparse`` returns references (URLs and sha256s) so an orchestrator can hand batches of
them to workers; ``reparse_groups`` turns one batch into parse groups for the one sink
(:mod:`collector.sink`), which parses, writes and marks the crawl state as for a crawl.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from collector.discover import attachment_ext
from collector.pipeline import SourceContext
from collector.sink import BatchStats, ParseGroup, store_groups
from collector.store.arrow import pa, pc
from collector.store.dataset import Dataset
from collector.store.location import holds
from collector.store.raw import RawStore

if TYPE_CHECKING:
    from collector.workspace import Workspace

_DOC_COLS = ["source_url", "document_sha256", "parent_url", "portal_id", "report_id", "report_year",
             "http_status", "encoding", "processed_at"]
_REPORT_COLS = ["report_id", "report_year", "portal_id", "listing_url", "cms_family", "title", "agency_name",
                "region__province", "region__city", "region__county", "region__code", "attachment_urls",
                "fetched_at"]


@dataclass(slots=True)
class ReparseGroup:
    """One report page and its attachments, as references into the raw store (page first)."""

    page_url: str
    docs: list[tuple[str, str]] = field(default_factory=list)  # (url, sha256)
    report_id: str | None = None
    portal_id: str | None = None
    year: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ts(value: datetime | None) -> float:
    return value.timestamp() if value is not None else 0.0


def _latest_documents(ds: Dataset) -> list[dict[str, Any]]:
    """The newest stored version of each document URL (a re-published page has several)."""
    t = ds.read("documents", columns=_DOC_COLS)
    newest: dict[str, dict[str, Any]] = {}
    for row in t.to_pylist():
        url, sha = row["source_url"], row["document_sha256"]
        if not url or not sha:
            continue  # a read failure of `xxgk parse` stored no bytes
        old = newest.get(url)
        if old is None or _ts(row["processed_at"]) >= _ts(old["processed_at"]):
            newest[url] = row
    return list(newest.values())


def plan_reparse(ws: Workspace, *, years: Iterable[int] | None = None,
                 portal_ids: Iterable[str] | None = None) -> list[ReparseGroup]:
    """Group the stored documents by report page; keep those of ``years`` / ``portal_ids`` whose bytes exist."""
    if not holds(ws.root, "documents"):
        return []
    ds = ws.reader()
    raw = ws.raw
    want_years = set(years) if years else None
    want_portals = set(portal_ids) if portal_ids else None
    groups: dict[str, ReparseGroup] = {}
    for row in sorted(_latest_documents(ds), key=lambda r: r["source_url"]):
        if not raw.exists(row["document_sha256"]):
            continue
        page = row["parent_url"] or row["source_url"]
        g = groups.setdefault(page, ReparseGroup(page))
        entry = (row["source_url"], row["document_sha256"])
        if row["source_url"] == page:
            g.docs.insert(0, entry)
            g.portal_id = row["portal_id"] or g.portal_id
        else:
            g.docs.append(entry)
            g.portal_id = g.portal_id or row["portal_id"]
        g.report_id = g.report_id or row["report_id"]
        g.year = g.year if g.year is not None else row["report_year"]
    out_groups = []
    for g in groups.values():
        if not g.docs or g.docs[0][0] != g.page_url:
            continue  # an attachment whose page is not stored: nothing to anchor the report on
        if want_years is not None and g.year not in want_years:
            continue
        if want_portals is not None and g.portal_id not in want_portals:
            continue
        out_groups.append(g)
    return out_groups


def _rows_by(ds: Dataset, table: str, columns: list[str], key: str, values: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not values:
        return {}
    flt = pc.field(key).isin(pa.array(sorted(set(values)), pa.string()))
    return {r[key]: r for r in ds.read(table, columns=columns, filter=flt).to_pylist()}


def _context(url: str, sha: str, group: ReparseGroup, doc: dict[str, Any], rep: dict[str, Any] | None,
             st: Any) -> SourceContext:
    """What the crawl knew about the document, rebuilt from stored rows (reports row first)."""
    rep = rep or {}
    region = {k: rep.get(f"region__{k}") for k in ("province", "city", "county", "code")}
    fetched = st.fetched_at if st is not None and st.fetched_at else None
    fetched_at = datetime.fromisoformat(fetched) if fetched else rep.get("fetched_at")
    attachments = list(rep.get("attachment_urls") or [u for u, _ in group.docs[1:]])
    return SourceContext(
        source_url=url, portal_id=doc.get("portal_id") or rep.get("portal_id") or (st.portal_id if st else None),
        listing_url=rep.get("listing_url"), cms_family=rep.get("cms_family"), agency_name=rep.get("agency_name"),
        region=region if any(region.values()) else None, title=rep.get("title"),
        report_year=rep.get("report_year") or doc.get("report_year") or group.year,
        http_status=doc.get("http_status") or (st.http_status if st else None),
        encoding=doc.get("encoding") or (st.encoding if st else None), fetched_at=fetched_at,
        attachment_urls=attachments, parent_url=doc.get("parent_url"), raw_path=RawStore.relpath(sha),
        hint=attachment_ext(url) if url != group.page_url else None,
    )


def reparse_groups(groups: Sequence[ReparseGroup], ws: Workspace, *, batch_size: int = 100) -> BatchStats:
    """Re-parse each group from the raw store and write it (replacing rows by key) through the sink."""
    ds = ws.reader()
    urls = [u for g in groups for u, _ in g.docs]
    docs = _rows_by(ds, "documents", _DOC_COLS, "source_url", urls)
    reports = _rows_by(ds, "reports", _REPORT_COLS, "report_id", [g.report_id for g in groups if g.report_id])
    state = ws.state
    todo = []
    for g in groups:
        rep = reports.get(g.report_id) if g.report_id else None
        ctxs = [(sha, _context(url, sha, g, docs.get(url, {}), rep, state.get(url))) for url, sha in g.docs]
        todo.append(ParseGroup(ctxs, marks=list(g.docs), portal_id=g.portal_id))
    return store_groups(ws, todo, stats=BatchStats(candidates=len(groups)), batch_size=batch_size)


__all__ = ["ReparseGroup", "plan_reparse", "reparse_groups"]
