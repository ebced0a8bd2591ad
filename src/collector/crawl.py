"""The crawl, as three separate stages and their composition.

``discover_portal`` (listing pages -> :class:`Candidate`), ``fetch_candidates`` (report pages and
attachments -> raw store + crawl state -> :class:`FetchedRef`) and ``process_refs`` (raw bytes ->
pipeline -> Parquet dataset) pass references — URLs, sha256s, paths — never page bytes, so a
Prefect flow can wrap each as a coarse task and retry only the I/O ones. ``collect`` runs all
three for many portals on one event loop with one shared, polite :class:`Fetcher`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from collector.config import Portal
from collector.discover import CMS_ADAPTERS, Candidate, attachment_ext, find_attachments, walk
from collector.errors import Blocked, ConfigError, FetchError, ResourceLimit, StoreError, TooLarge
from collector.fetch import Fetcher, FetchSettings, decode_page
from collector.store.raw import RawStore
from collector.store.state import CrawlState, StateRow, utcnow_iso

if TYPE_CHECKING:
    from collector.parallel import Group, ParsePool

Progress = Callable[..., None]
PORTAL_BUDGET = "portal_budget"  # error code of a page left for the next run (not fetched: not a failure)


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


@dataclass(slots=True)
class BatchStats:
    candidates: int = 0
    processed: int = 0
    skipped_unchanged: int = 0
    skipped_failed: int = 0
    documents: int = 0
    records: int = 0
    document_errors: int = 0
    fetch_failures: int = 0        # failed fetches written to ``documents`` this time
    quarantined: list[str] = field(default_factory=list)  # unreadable dataset files set aside on open
    rows_written: dict[str, int] = field(default_factory=dict)
    report_ids: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)  # documents that failed to parse: url, reason

    def add_outcome(self, o: Any) -> None:
        """Count one pipeline outcome: a record, or a failure with its URL and reason."""
        if o.record is not None:
            self.records += 1
            self.report_ids.append(o.record.get("report_id"))
        elif o.error is not None:
            self.document_errors += 1
            doc = o.document or {}
            if doc.get("status") == "failed":
                self.failures.append({"url": doc.get("source_url"), "kind": "document", "status": "failed",
                                      "reason": doc.get("error_code"), "message": doc.get("error")})


@dataclass(slots=True)
class PortalSummary:
    portal_id: str
    name: str = ""
    family: str | None = None
    pages: int = 0
    found: int = 0
    new: int = 0
    unchanged: int = 0
    failed: int = 0
    blocked: int = 0
    records: int = 0
    listing_errors: int = 0
    error: str | None = None
    error_code: str | None = None
    seconds: float = 0.0

    @property
    def collected(self) -> bool:
        """Something was fetched (or confirmed unchanged): the portal did not fail."""
        return self.error is None and (self.found == 0 or self.new + self.unchanged > 0)


@dataclass(slots=True)
class RunSummary:
    portals: list[PortalSummary]
    years: list[int]
    out_root: str
    requests: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """False only when every portal failed or was refused."""
        return any(p.collected for p in self.portals)

    def totals(self) -> dict[str, int]:
        keys = ("pages", "found", "new", "unchanged", "failed", "blocked", "records")
        return {k: sum(getattr(p, k) for p in self.portals) for k in keys}


# -- years ---------------------------------------------------------------------------------------


def default_years(today: date | None = None) -> list[int]:
    """A scheduled run looks at the last two report years (reports appear Jan–Mar, 条例 art. 49)."""
    y = (today or date.today()).year
    return [y - 2, y - 1]


def parse_years(spec: str | Iterable[int] | None) -> list[int]:
    """``"2021-2023"``, ``"2019,2021"``, ``[2022]`` or None (-> :func:`default_years`)."""
    if spec is None:
        return default_years()
    if isinstance(spec, str):
        out: set[int] = set()
        for part in spec.replace(" ", "").split(","):
            if not part:
                continue
            try:
                if "-" in part:
                    a, b = (int(x) for x in part.split("-", 1))
                    if b < a or b - a > 50:
                        raise ValueError
                    out.update(range(a, b + 1))
                else:
                    out.add(int(part))
            except ValueError:
                raise ConfigError(f"bad --years {spec!r}: write e.g. 2021-2023 or 2019,2021") from None
        years = sorted(out)
    else:
        years = sorted(set(int(y) for y in spec))
    if not years or any(not 1990 <= y <= 2100 for y in years):
        raise ConfigError(f"bad years {spec!r}")
    return years


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
    """Holds the fetcher, raw store and crawl state of a run; all fetches go through :meth:`get`."""

    def __init__(self, out_root: str | Path, fetcher: Fetcher, state: CrawlState, progress: Progress | None = None):
        self.out_root = Path(out_root)
        self.fetcher = fetcher
        self.state = state
        self.raw = RawStore(out_root)
        self.progress = progress
        self._runs: dict[str, asyncio.Future[StateRow]] = {}
        self.fatal: StoreError | None = None  # the disk filled up (or went read-only): the run must fail

    def _emit(self, event: str, **info: Any) -> None:
        if self.progress is not None:
            self.progress(event, **info)

    async def get(self, url: str, portal: Portal, kind: str, parent: str | None = None) -> StateRow:
        """Fetch ``url`` once per run (a Hanweb report seed is both a listing and a report page;
        an attachment can hang under several pages); later callers share the first result."""
        task = self._runs.get(url)
        if task is None:
            task = asyncio.ensure_future(self._get(url, portal, kind, parent))
            self._runs[url] = task
        return await task

    def body(self, row: StateRow) -> bytes | None:
        """The stored bytes of a successful fetch (from the raw store: bodies are not kept in memory)."""
        if row.status in ("new", "unchanged") and row.sha256:
            return self.raw.get(row.sha256)
        return None

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
                row.encoding = decode_page(r.body, r.content_type)[1]
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

    @staticmethod
    def _ref(cand: Candidate, row: StateRow, kind: str, portal: Portal) -> FetchedRef:
        return FetchedRef(
            url=row.url, candidate=cand, kind=kind, status=row.status or "failed", sha256=row.sha256,
            raw_path=RawStore.relpath(row.sha256) if row.sha256 and row.status in ("new", "unchanged") else None,
            http_status=row.http_status, encoding=row.encoding, content_type=row.content_type,
            final_url=row.final_url, parent_url=row.parent_url, fetched_at=row.fetched_at, error=row.error,
            error_code=row.error_code, region=portal.region.model_dump(),
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


def _context(ref: FetchedRef, page: FetchedRef, out_root: Path) -> Any:
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


def _reconcile(state: CrawlState, notes: list[dict[str, Any]]) -> bool:
    """After the store quarantined a damaged file, forget what was processed: its rows are gone,
    and the next pass re-parses every document from the raw store (no network). True if reset."""
    epoch = f"{notes[-1].get('at')} {notes[-1].get('path')}" if notes else ""
    if epoch and epoch != (state.get_meta("quarantine_epoch") or ""):
        state.forget_processed()
        state.set_meta("quarantine_epoch", epoch)
        return True
    return False


def prepare_output(out_root: str | Path) -> list[str]:
    """Open the output root at the start of a run: the dataset repairs itself (rolls pending
    commits forward, removes uncommitted files, quarantines unreadable ones) and, if a file was
    quarantined, the crawl state forgets what was processed so this run rebuilds the lost rows
    from the raw store. Returns the damaged files found now ("path: reason")."""
    from collector.store.dataset import Dataset

    dataset = Dataset(out_root)
    with CrawlState(out_root) as state:
        _reconcile(state, dataset.quarantine_notes())
    return [f"{n['path']}: {n['reason']}" for n in dataset.quarantined]


def process_refs(refs: Sequence[FetchedRef], out_root: str | Path, *, state: CrawlState | None = None,
                 force: bool = False, batch_size: int = 100, pool: ParsePool | None = None) -> BatchStats:
    """Parse, validate and store the fetched documents, grouped by candidate.

    Parsing runs on ``pool`` (default: the process-wide :func:`~collector.parallel.shared_pool`,
    sized to the machine), the writes here, in candidate order.

    A candidate whose documents are all unchanged and already processed is skipped, so a re-run
    writes nothing; ``force`` re-processes everything (after a parser upgrade). A document that
    could not be fetched (404, robots, time budget, anti-bot) is stored as a ``documents`` row
    with its error, once per distinct failure.
    """
    from collector.parallel import parse_groups
    from collector.parse import record as _record
    from collector.store.dataset import Dataset

    version = _record.PARSER_VERSION  # read at call time: a parser upgrade re-processes unchanged documents
    out = Path(out_root)
    own_state = state is None
    st = state or CrawlState(out)
    stats = BatchStats()
    groups: dict[str, list[FetchedRef]] = {}
    for r in refs:
        groups.setdefault(r.candidate.url, []).append(r)
    stats.candidates = len(groups)
    dataset: Dataset | None = None
    pending: list[Any] = []
    done: list[FetchedRef] = []
    failed: list[FetchedRef] = []

    def flush() -> None:
        nonlocal dataset
        if not pending:
            return
        if dataset is None:
            dataset = Dataset(out)  # opening repairs: may quarantine a damaged file
            stats.quarantined += [f"{n['path']}: {n['reason']}" for n in dataset.quarantined]
            _reconcile(st, dataset.quarantine_notes())
        ws = dataset.write(pending)
        for k, v in ws.rows.items():
            stats.rows_written[k] = stats.rows_written.get(k, 0) + v
        for r in done:
            if r.sha256:
                st.mark_processed(r.url, r.sha256, version)
        for r in failed:
            st.mark_failure_recorded(r.url, _failure_key(r))
        pending.clear()
        done.clear()
        failed.clear()

    def record_failures(bad: list[FetchedRef]) -> None:
        for r in bad:
            if r.error_code == PORTAL_BUDGET:
                continue  # not attempted this run: nothing happened to the document
            row = st.get(r.url)
            if force or row is None or row.failure_recorded != _failure_key(r):
                pending.append(_failure_outcome(r))
                failed.append(r)
                stats.fetch_failures += 1

    try:
        _reconcile(st, Dataset(out, repair=False).quarantine_notes())
        todo: list[list[FetchedRef]] = []
        jobs: list[Group] = []
        for group in groups.values():
            page = next((r for r in group if r.kind == "page"), group[0])
            record_failures([r for r in group if not r.ok])
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
            todo.append(good)
            jobs.append([(r.sha256, _context(r, page, out)) for r in good if r.sha256])
        # CPU-bound parsing in worker processes, fed by sha256s (collector.parallel); written in order
        for good, outcomes in zip(todo, parse_groups(out, jobs, pool), strict=True):
            stats.processed += 1
            stats.documents += len(outcomes)
            for o in outcomes:
                stats.add_outcome(o)
            pending.extend(outcomes)
            done.extend(good)
            if len(pending) >= batch_size:
                flush()
        flush()
    finally:
        if own_state:
            st.close()
    return stats


# -- the public stages ----------------------------------------------------------------------------


def _settings(settings: FetchSettings | dict[str, Any] | None, allow_loopback: bool) -> FetchSettings:
    s = FetchSettings.resolve(settings)
    return FetchSettings.resolve(s, allow_loopback=True) if allow_loopback else s


async def adiscover_portal(portal: Portal, years: Iterable[int] | str | None, out_root: str | Path, *,
                           allow_loopback: bool = False, settings: FetchSettings | dict[str, Any] | None = None,
                           ) -> list[Candidate]:
    ys = parse_years(years)
    with CrawlState(out_root) as state:
        async with Fetcher(_settings(settings, allow_loopback)) as fetcher:
            cands, _ = await CrawlSession(out_root, fetcher, state).discover(portal, ys)
    return cands


def discover_portal(portal: Portal, years: Iterable[int] | str | None, out_root: str | Path, *,
                    allow_loopback: bool = False, settings: FetchSettings | dict[str, Any] | None = None,
                    ) -> list[Candidate]:
    """Walk the portal's listing pages; return report candidates of ``years``.

    Raises the first seed's :class:`FetchError` when no seed page could be fetched at all.
    """
    return asyncio.run(adiscover_portal(portal, years, out_root, allow_loopback=allow_loopback, settings=settings))


async def afetch_candidates(portal: Portal, candidates: Sequence[Candidate], out_root: str | Path, *,
                            allow_loopback: bool = False, settings: FetchSettings | dict[str, Any] | None = None,
                            ) -> list[FetchedRef]:
    with CrawlState(out_root) as state:
        async with Fetcher(_settings(settings, allow_loopback)) as fetcher:
            return await CrawlSession(out_root, fetcher, state).fetch_all(portal, candidates)


def fetch_candidates(portal: Portal, candidates: Sequence[Candidate], out_root: str | Path, *,
                     allow_loopback: bool = False, settings: FetchSettings | dict[str, Any] | None = None,
                     ) -> list[FetchedRef]:
    """Fetch each candidate's page and attachments into the raw store; update the crawl state."""
    return asyncio.run(afetch_candidates(portal, candidates, out_root, allow_loopback=allow_loopback,
                                         settings=settings))


async def acollect(portals: Sequence[Portal], years: Iterable[int] | str | None, out_root: str | Path, *,
                   allow_loopback: bool = False, settings: FetchSettings | dict[str, Any] | None = None,
                   progress: Progress | None = None, process: bool = True, parallel_portals: int = 4,
                   force: bool = False) -> RunSummary:
    ys = parse_years(years)
    started = time.perf_counter()
    out = Path(out_root)
    out.mkdir(parents=True, exist_ok=True)
    summaries = [PortalSummary(p.id, p.name) for p in portals]
    if process:
        prepare_output(out)
    loop = asyncio.get_running_loop()
    with CrawlState(out) as state, ThreadPoolExecutor(max_workers=1, thread_name_prefix="xxgk-process") as pool:
        async with Fetcher(_settings(settings, allow_loopback)) as fetcher:
            session = CrawlSession(out, fetcher, state, progress)
            gate = asyncio.Semaphore(max(1, parallel_portals))

            async def one(portal: Portal, summary: PortalSummary) -> None:
                async with gate:
                    t0 = time.perf_counter()
                    session._emit("portal_start", portal_id=portal.id)
                    try:
                        cands, walked = await session.discover(portal, ys)
                    except FetchError as exc:
                        summary.error, summary.error_code = str(exc), exc.code
                        summary.blocked += isinstance(exc, Blocked)
                        summary.failed += not isinstance(exc, Blocked)
                        session._emit("portal_done", portal_id=portal.id, summary=summary)
                        return
                    summary.family, summary.pages = walked.family, walked.pages
                    summary.listing_errors = len(walked.errors)
                    summary.found = len(cands)
                    session._emit("discovered", portal_id=portal.id, count=len(cands))
                    refs = await session.fetch_all(portal, cands)
                    for r in refs:
                        setattr(summary, r.status, getattr(summary, r.status) + 1)
                    if process and refs:
                        bs = await loop.run_in_executor(pool, lambda: process_refs(refs, out, state=state,
                                                                                   force=force))
                        summary.records = bs.records
                    summary.seconds = time.perf_counter() - t0
                    session._emit("portal_done", portal_id=portal.id, summary=summary)

            await asyncio.gather(*(one(p, s) for p, s in zip(portals, summaries, strict=True)))
            requests = fetcher.stats.requests
    return RunSummary(summaries, ys, str(out), requests=requests, seconds=time.perf_counter() - started)


def collect(portals: Sequence[Portal], years: Iterable[int] | str | None = None, out_root: str | Path = "out",
            allow_loopback: bool = False, **kw: Any) -> RunSummary:
    """Discover, fetch, parse, validate and store the reports of ``portals`` (None years: scheduled run)."""
    return asyncio.run(acollect(portals, years, out_root, allow_loopback=allow_loopback, **kw))


__all__ = ["BatchStats", "Candidate", "CrawlSession", "FetchedRef", "PortalSummary", "RunSummary", "acollect",
           "adiscover_portal", "afetch_candidates", "collect", "default_years", "discover_portal",
           "fetch_candidates", "parse_years", "prepare_output", "process_refs"]
