"""The crawl of one portal over a workspace: discovery, fetching, and the refs handed to the sink.

:class:`CrawlSession` (one per portal per run, holding that portal's :class:`Fetcher`) walks the
listing pages (-> :class:`Candidate`) and fetches report pages and attachments into the raw store
and crawl state (-> :class:`FetchedRef`); :func:`process_refs` turns fetched references into
parse groups for the one sink (:mod:`collector.sink`). Everything passes references — URLs,
sha256s, paths — never page bytes, so a Prefect task can wrap each stage
(:mod:`collector.stages`) and retry only the I/O ones. ``discover_portal`` / ``fetch_candidates``
are one-call conveniences that run a stage in a workspace of their own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from collector.config import Portal
from collector.discover import CMS_ADAPTERS, Candidate, attachment_ext, find_attachments, walk
from collector.discover.detail import may_have_attachments
from collector.errors import Blocked, FetchError, ResourceLimit, StoreError, TooLarge
from collector.events import emit
from collector.extract.charset import decode_page, page_encoding
from collector.fetch import Fetcher, FetchSettings
from collector.sink import BatchStats, ParseGroup, store_groups
from collector.store.raw import RawStore
from collector.store.state import StateRow, utcnow_iso
from collector.years import default_years, parse_years

if TYPE_CHECKING:
    from collector.workspace import Workspace

PORTAL_BUDGET = "portal_budget"  # error code of a page left for the next run (not fetched: not a failure)
FRESH_BODIES, FRESH_BYTES = 32, 16 * 2**20  # just-fetched page bodies a session holds for their reader


@dataclass(slots=True)
class FetchedRef:
    """One fetched document of a candidate: where its bytes are and how the fetch went."""

    url: str
    candidate: Candidate
    kind: str                      # page | attachment
    status: str                    # new | unchanged | failed | blocked
    sha256: str | None = None
    raw_path: str | None = None    # relative to the output root
    http_status: int | None = None
    encoding: str | None = None
    content_type: str | None = None
    final_url: str | None = None
    parent_url: str | None = None
    attachment_urls: list[str] = field(default_factory=list)
    fetched_at: str | None = None
    error: str | None = None
    error_code: str | None = None
    region: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("new", "unchanged") and self.sha256 is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FetchedRef:
        d = dict(d)
        d["candidate"] = Candidate.from_dict(d["candidate"])
        return cls(**d)


# -- the session: shared resources of one run ---------------------------------------------------


def _is_texty(content_type: str | None, body: bytes) -> bool:
    ct = (content_type or "").lower()
    if any(t in ct for t in ("html", "xml", "text/")):
        return True
    return body[:256].lstrip().startswith(b"<")


def _decode(body: bytes, row: StateRow) -> str:
    """Text of a stored page with the encoding found when it was fetched (detection runs once)."""
    if row.encoding:
        try:
            return body.decode(row.encoding, "replace")
        except LookupError:
            pass
    return decode_page(body, row.content_type)[0]


class CrawlSession:
    """One portal's fetcher over the workspace's raw store and crawl state; all fetches go through :meth:`get`."""

    def __init__(self, ws: Workspace, fetcher: Fetcher):
        self.ws = ws
        self.fetcher = fetcher
        self.state = ws.state
        self.raw = ws.raw
        self._runs: dict[str, asyncio.Future[StateRow]] = {}
        # bodies of listing and report pages just fetched, by sha256, for the one reader that comes
        # next (discovery, the attachment scan): it need not read back from the raw store what was
        # just written there. Taken on first use; bounded, so an unread entry cannot pile up.
        self._fresh: dict[str, bytes] = {}
        self.fatal: StoreError | None = None  # the disk filled up (or went read-only): the run must fail
        self._regions: dict[str, dict[str, Any]] = {}  # portal id -> its region as a dict (FetchedRef.region)

    def _emit(self, event: str, **info: Any) -> None:
        emit(event, **info)

    async def get(self, url: str, portal: Portal, kind: str, parent: str | None = None) -> StateRow:
        """Fetch ``url`` once per run (a Hanweb report seed is both a listing and a report page;
        an attachment can hang under several pages); later callers share the first result.
        A failure is not kept: a retried task or a later batch asks again."""
        task = self._runs.get(url)
        if task is None:
            task = asyncio.ensure_future(self._get(url, portal, kind, parent))
            self._runs[url] = task
        try:
            row = await task
        except BaseException:
            self._runs.pop(url, None)
            raise
        if row.status not in ("new", "unchanged"):
            self._runs.pop(url, None)
        return row

    def body(self, row: StateRow) -> bytes | None:
        """The stored bytes of a successful fetch (from the raw store: bodies are not kept in memory)."""
        if row.status in ("new", "unchanged") and row.sha256:
            fresh = self._fresh.pop(row.sha256, None)
            return fresh if fresh is not None else self.raw.get(row.sha256)
        return None

    def _keep_fresh(self, sha256: str, body: bytes) -> None:
        self._fresh[sha256] = body
        while len(self._fresh) > FRESH_BODIES or sum(map(len, self._fresh.values())) > FRESH_BYTES:
            self._fresh.pop(next(iter(self._fresh)))  # the oldest: its reader will use the raw store

    def _spent(self, prev: StateRow | None) -> tuple[float, str | None]:
        """Seconds a failing URL already cost in this budget window (earlier task attempts)."""
        if prev is None or prev.status not in ("failed", "blocked") or not prev.spent or not prev.spent_since:
            return 0.0, None
        try:
            age = (datetime.now(UTC) - datetime.fromisoformat(prev.spent_since)).total_seconds()
        except ValueError:
            return 0.0, None
        return (prev.spent, prev.spent_since) if age < self.fetcher.settings.url_budget_window else (0.0, None)

    async def _get(self, url: str, portal: Portal, kind: str, parent: str | None) -> StateRow:
        """Fetch conditionally, store the body, record the state."""
        try:
            return await self._fetch_store(url, portal, kind, parent)
        except StoreError as exc:  # raw store or state: a full disk ends the run, whoever awaited it
            self.fatal = self.fatal or exc
            raise

    async def _fetch_store(self, url: str, portal: Portal, kind: str, parent: str | None) -> StateRow:
        prev = self.state.get(url)
        # validators are sent only for a body we still hold intact: a 304 must have something to reuse
        have = prev is not None and prev.status in ("new", "unchanged") and self.raw.valid(prev.sha256)
        st = self.fetcher.settings
        cap = {"attachment": st.max_attachment_bytes, "listing": st.max_listing_bytes}.get(kind)
        row = StateRow(url=url, portal_id=portal.id, kind=kind, parent_url=parent, fetched_at=utcnow_iso())
        spent, since = self._spent(prev)
        try:
            r = await self.fetcher.fetch(url, allowed_domains=portal.allowed_domains,
                                         etag=prev.etag if have and prev else None,
                                         last_modified=prev.last_modified if have and prev else None,
                                         max_bytes=cap, budget=st.url_budget - spent)
        except FetchError as exc:
            row.status = "blocked" if isinstance(exc, Blocked) else "failed"
            row.http_status = getattr(exc, "status", None)
            row.error_code, row.error = exc.code, str(exc)
            row.spent, row.spent_since = spent + getattr(exc, "spent", 0.0), since or row.fetched_at
            self.state.record(row)
            return row
        row.http_status, row.final_url = r.status, r.final_url
        if r.not_modified and prev is not None and prev.sha256:
            row.status, row.sha256 = "unchanged", prev.sha256
            row.etag, row.last_modified = r.etag or prev.etag, r.last_modified or prev.last_modified
            row.content_type, row.encoding = prev.content_type, prev.encoding
        else:
            sha, _ = self.raw.store(r.body)
            row.status = "unchanged" if prev is not None and prev.sha256 == sha else "new"
            row.sha256, row.etag, row.last_modified, row.content_type = sha, r.etag, r.last_modified, r.content_type
            if _is_texty(r.content_type, r.body):
                row.encoding = page_encoding(r.body, r.content_type)
            if kind in ("listing", "page"):
                self._keep_fresh(sha, r.body)
        self.state.record(row)
        return row

    async def get_text(self, url: str, portal: Portal) -> str:
        """A listing page's text (for the discovery walk); raises the fetch error.

        Tag soup is refused before discovery builds a tree of it (as the HTML extractor does)."""
        from collector.extract.limits import DEFAULT_LIMITS, check_markup

        try:
            row = await self.get(url, portal, "listing")
        except StoreError as exc:  # the walk goes on (and fails fast); discover() raises it after
            raise FetchError(f"{url}: {exc}") from exc
        body = self.body(row)
        if body is None:
            raise _error_from_row(row)
        text = _decode(body, row)
        try:  # discovery's bs4 tree keeps the Word runs: counted, with a matching allowance
            check_markup(text, DEFAULT_LIMITS, len(body), bytes_per_tag=10)
        except ResourceLimit as exc:
            raise TooLarge(f"{url}: {exc}") from None
        return text

    # -- stages -----------------------------------------------------------------------------------

    async def discover(self, portal: Portal, years: Sequence[int] | None) -> tuple[list[Candidate], Any]:
        self.fatal = None
        for u in portal.start_urls:
            self.fetcher.set_rate(urlsplit(u).hostname or "", portal.rate)
        st = self.fetcher.settings
        workers = portal.rate.concurrency if st.polite else 2 * st.unpolite_concurrency
        res = await walk(portal.seeds(years), lambda u: self.get_text(u, portal), CMS_ADAPTERS, cms=portal.cms,
                         max_pages=portal.max_pages, workers=workers, portal_id=portal.id, portal_name=portal.name,
                         years=set(years) if years else None, deadline=time.monotonic() + st.portal_budget)
        if self.fatal is not None:
            raise self.fatal
        if res.seeds_ok == 0 and res.errors:
            raise res.errors[0][1]
        return res.candidates, res

    async def fetch_candidate(self, portal: Portal, cand: Candidate) -> list[FetchedRef]:
        row = await self.get(cand.url, portal, "page")
        body = self.body(row)
        page = self._ref(cand, row, "page", portal)
        self._emit("document", portal_id=portal.id, status=page.status, kind="page")
        if body is None:
            return [page]
        base = row.final_url or cand.url
        if row.encoding is not None and not may_have_attachments(body, row.encoding):
            text = ""  # its bytes name no attachment extension: not decoded (most report pages)
        else:
            text = _decode(body, row) if _is_texty(row.content_type, body) else ""
        page.attachment_urls = find_attachments(text, base) if text else []
        results = await asyncio.gather(*(self.get(a, portal, "attachment", parent=cand.url)
                                         for a in page.attachment_urls))
        refs = [page]
        for arow in results:
            ref = self._ref(cand, arow, "attachment", portal)
            self._emit("document", portal_id=portal.id, status=ref.status, kind="attachment")
            refs.append(ref)
        return refs

    async def fetch_all(self, portal: Portal, cands: Sequence[Candidate]) -> list[FetchedRef]:
        for u in portal.start_urls:  # a fetch-only session (fetch_candidates) needs the portal's rate too
            self.fetcher.set_rate(urlsplit(u).hostname or "", portal.rate)
        st = self.fetcher.settings
        # twice the host's slots: a candidate's parsing overlaps the next one's request
        sem = asyncio.Semaphore(2 * (portal.rate.concurrency if st.polite else st.unpolite_concurrency))

        deadline = time.monotonic() + st.portal_budget

        async def one(c: Candidate) -> list[FetchedRef]:
            async with sem:
                if time.monotonic() > deadline:  # the time cap: left for the next run, recorded as such
                    row = StateRow(url=c.url, portal_id=portal.id, kind="page", status="failed",
                                   error_code=PORTAL_BUDGET,
                                   error=f"portal time budget ({st.portal_budget:.0f}s) used up before this page",
                                   fetched_at=utcnow_iso())
                    self.state.record(row)
                    return [self._ref(c, row, "page", portal)]
                return await self.fetch_candidate(portal, c)

        groups = await asyncio.gather(*(one(c) for c in cands))
        return [r for g in groups for r in g]

    def _ref(self, cand: Candidate, row: StateRow, kind: str, portal: Portal) -> FetchedRef:
        region = self._regions.get(portal.id)
        if region is None:  # (pydantic's model_dump per document was ~1 % of the crawl's CPU)
            region = self._regions[portal.id] = portal.region.model_dump()
        return FetchedRef(
            url=row.url, candidate=cand, kind=kind, status=row.status or "failed", sha256=row.sha256,
            raw_path=RawStore.relpath(row.sha256) if row.sha256 and row.status in ("new", "unchanged") else None,
            http_status=row.http_status, encoding=row.encoding, content_type=row.content_type,
            final_url=row.final_url, parent_url=row.parent_url, fetched_at=row.fetched_at, error=row.error,
            error_code=row.error_code, region=dict(region),
        )


def _error_from_row(row: StateRow) -> FetchError:
    from collector import errors

    for cls in (errors.Blocked, errors.OffAllowList, errors.PrivateAddress, errors.RobotsDisallowed,
                errors.TooLarge, errors.FetchTimeout, errors.UrlBudgetSpent, errors.HttpStatusError,
                errors.TransportError, errors.TooManyRedirects):
        if cls.code == row.error_code:
            exc = cls(row.error or cls.code)
            exc.status = row.http_status  # type: ignore[attr-defined]
            return exc
    return FetchError(row.error or "fetch failed")


# -- processing ----------------------------------------------------------------------------------


def source_context(ref: FetchedRef, page: FetchedRef) -> Any:
    """What the crawl knew about a fetched document, for the pipeline."""
    from collector.pipeline import SourceContext

    c = ref.candidate
    fetched = datetime.fromisoformat(ref.fetched_at) if ref.fetched_at else None
    return SourceContext(
        source_url=ref.url, portal_id=c.portal_id, listing_url=c.listing_url, cms_family=c.cms_family,
        agency_name=c.agency_name, region=ref.region, title=c.title, report_year=c.year,
        http_status=ref.http_status, encoding=ref.encoding, fetched_at=fetched,
        attachment_urls=list(page.attachment_urls), parent_url=ref.parent_url, raw_path=ref.raw_path,
        hint=attachment_ext(ref.url) if ref.kind == "attachment" else None,
    )


def _failure_key(ref: FetchedRef) -> str:
    return f"{ref.error_code}:{ref.http_status or ''}"


def _failure_outcome(ref: FetchedRef) -> Any:
    """A fetch failure as a ``documents`` row: no bytes, no sha256, the error and its code."""
    from collector.pipeline import Outcome

    c = ref.candidate
    doc = {"source_url": ref.url, "document_sha256": None, "media_type": None, "size": None,
           "status": "blocked" if ref.status == "blocked" else "fetch_failed", "error_code": ref.error_code,
           "error": ref.error, "extractor": None, "report_id": None, "report_year": c.year,
           "portal_id": c.portal_id, "parent_url": ref.parent_url, "raw_path": None, "http_status": ref.http_status,
           "encoding": None, "parser_version": None,  # nothing was parsed
           "processed_at": datetime.fromisoformat(ref.fetched_at) if ref.fetched_at else datetime.now(UTC)}
    return Outcome(None, doc, None)


def classify(ws: Workspace, refs: Sequence[FetchedRef]) -> tuple[dict[str, int], int, int]:
    """Per report page: new (never stored), updated (a body changed since stored), unchanged, failed,
    blocked; and the documents fetched / failed. Call before the refs are written."""
    from collections import Counter

    counts: Counter[str] = Counter()
    st = ws.state
    for group in _groups(refs).values():
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


def _groups(refs: Iterable[FetchedRef]) -> dict[str, list[FetchedRef]]:
    groups: dict[str, list[FetchedRef]] = {}
    for r in refs:
        groups.setdefault(r.candidate.url, []).append(r)
    return groups


def process_refs(refs: Sequence[FetchedRef], ws: Workspace | str | Path, *, force: bool | None = None,
                 batch_size: int = 100) -> BatchStats:
    """Parse, validate and store the fetched documents, grouped by candidate (through the sink).

    A candidate whose documents are all unchanged and already processed is skipped, so a re-run
    writes nothing; ``force`` (default: the run's) re-processes everything (after a parser
    upgrade). A document that could not be fetched (404, robots, time budget, anti-bot) is stored
    as a ``documents`` row with its error, once per distinct failure. ``ws`` may be an output
    root: the call is then a run of its own.
    """
    from collector.parse import record as _record
    from collector.workspace import RunContext, Workspace

    if not isinstance(ws, Workspace):
        with Workspace(RunContext.build(ws, force=bool(force))) as own:
            return process_refs(refs, own, batch_size=batch_size)

    force = ws.ctx.force if force is None else force
    version = _record.PARSER_VERSION  # read at call time: a parser upgrade re-processes unchanged documents
    st = ws.state
    stats = BatchStats()
    groups = _groups(refs)
    stats.candidates = len(groups)
    ws.reconcile()  # a file quarantined since: forget what was processed before deciding what to skip
    failures, failure_keys, todo = [], [], []
    for group in groups.values():
        page = next((r for r in group if r.kind == "page"), group[0])
        for r in group:
            if r.ok or r.error_code == PORTAL_BUDGET:  # not attempted this run: nothing happened to it
                continue
            row = st.get(r.url)
            if force or row is None or row.failure_recorded != _failure_key(r):
                failures.append(_failure_outcome(r))
                failure_keys.append((r.url, _failure_key(r)))
                stats.fetch_failures += 1
        if not page.ok:
            stats.skipped_failed += 1
            continue
        good = [page] + [r for r in group if r is not page and r.ok]
        if not force and all(r.status == "unchanged" and (row := st.get(r.url)) is not None
                             and row.processed_sha256 == r.sha256 and row.processed_version == version
                             and row.failure_recorded is None  # its failure row must be replaced
                             for r in good):
            stats.skipped_unchanged += 1
            continue
        todo.append(ParseGroup([(r.sha256, source_context(r, page)) for r in good if r.sha256],
                               marks=[(r.url, r.sha256) for r in good if r.sha256], portal_id=page.candidate.portal_id))
    return store_groups(ws, todo, extra=failures, failures_recorded=failure_keys, stats=stats, batch_size=batch_size)


# -- one-call conveniences (a workspace of their own) -------------------------------------------------


def _ctx(out_root: str | Path, years: Iterable[int] | str | None, settings: FetchSettings | dict[str, Any] | None,
         allow_loopback: bool, portals: Sequence[Portal] = ()) -> Any:
    from collector.workspace import RunContext

    return RunContext.build(out_root, years=years, portals=portals, fetch=settings,
                            allow_loopback=True if allow_loopback else None)


def discover_portal(portal: Portal, years: Iterable[int] | str | None, out_root: str | Path, *,
                    allow_loopback: bool = False, settings: FetchSettings | dict[str, Any] | None = None,
                    ) -> list[Candidate]:
    """Walk the portal's listing pages; return report candidates of ``years``.

    Raises the first seed's :class:`FetchError` when no seed page could be fetched at all.
    """
    from collector.workspace import Workspace

    with Workspace(_ctx(out_root, years, settings, allow_loopback)) as ws:
        async def run() -> list[Candidate]:
            cands, _ = await (await ws.session(portal)).discover(portal, list(ws.ctx.years))
            return cands

        return ws.run_io(run())


def fetch_candidates(portal: Portal, candidates: Sequence[Candidate], out_root: str | Path, *,
                     allow_loopback: bool = False, settings: FetchSettings | dict[str, Any] | None = None,
                     ) -> list[FetchedRef]:
    """Fetch each candidate's page and attachments into the raw store; update the crawl state."""
    from collector.workspace import Workspace

    with Workspace(_ctx(out_root, (), settings, allow_loopback)) as ws:
        async def run() -> list[FetchedRef]:
            return await (await ws.session(portal)).fetch_all(portal, candidates)

        return ws.run_io(run())


__all__ = ["Candidate", "CrawlSession", "FetchedRef", "classify", "default_years", "discover_portal",
           "fetch_candidates", "parse_years", "process_refs", "source_context"]
