"""Walk a portal's listing pages with its adapter and return the report candidates.

The walk is breadth-first over seed pages, their pagination and their year sub-columns
(``…/zfxxgknb/2022/``, portals.md §1.2), bounded by ``max_pages`` and a visited set. Fetching is
injected (``get_page``) so the walk is the same against the simulator, a live portal or saved
pages; several pages of one portal are fetched at once up to ``workers``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from collector.discover.base import Candidate, Discoverer, ListItem, PageRequest, page_title, wap_twin
from collector.discover.titles import classify_title, normalize_title, year_column_year
from collector.errors import FetchError

GetPage = Callable[[str], Awaitable[str]]
_COLUMN_PAGE = re.compile(r"^(index|list|default|col\d*)(_\d+)?\.\w+$|^\d{1,3}\.s?html?$", re.I)
_UNIT_COLUMN = re.compile(r"(部门|乡镇|街道|镇街|区县|县区|县市区|单位|直属).{0,6}(年报|年度报告)$")


@dataclass(slots=True)
class WalkResult:
    candidates: list[Candidate] = field(default_factory=list)
    pages: int = 0
    family: str | None = None
    errors: list[tuple[str, FetchError]] = field(default_factory=list)
    seeds_ok: int = 0
    seeds_total: int = 0
    out_of_time: bool = False  # the time budget ended the walk before the queue was empty


def _scope(url: str) -> str:
    """The directory a seed covers: sub-columns must lie under it."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    if path.endswith(".htm/"):
        path = path[:-5] + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def subcolumn_urls(items: Iterable[ListItem], page_url: str, scope: str, years: set[int] | None) -> list[str]:
    """Links to year or unit sub-columns ("2022年", "部门年报") under the seed's directory."""
    out = []
    for it in items:
        if it.url == page_url or not it.url.startswith(_scope(scope)):
            continue
        title = normalize_title(it.title)
        y = year_column_year(title)
        if y is not None:
            # a year column may be named after the report year or the publication year
            if years and not any(yy in years for yy in (y, y - 1)):
                continue
            out.append(it.url)
        elif _UNIT_COLUMN.search(title) and not classify_title(title).is_report:
            out.append(it.url)
    return out


def select_adapter(html: str, url: str, adapters: dict[str, type[Discoverer]]) -> type[Discoverer]:
    """Auto-detection: the first adapter, in declared order, that recognises the page."""
    for cls in adapters.values():
        if cls.detect(html, url):
            return cls
    return list(adapters.values())[-1]


def looks_like_column(url: str) -> bool:
    """A listing/column URL rather than an article (``…/zfxxgknb/``, ``index.html``, ``list.shtml``)."""
    path = urlsplit(url).path
    return path.endswith("/") or bool(_COLUMN_PAGE.search(path.rsplit("/", 1)[-1]))


def items_to_candidates(items: Iterable[tuple[ListItem, str, str]], portal_id: str, portal_name: str,
                        years: set[int] | None, listing_urls: set[str] | None = None) -> list[Candidate]:
    """Keep report titles (of the wanted years; year-less titles are kept for the body to decide).

    A year-less "政府信息公开年报" link to a column page is the column itself (nav bars, breadcrumbs),
    not a report; so is any page the walk already read as a listing.
    """
    by_url: dict[str, Candidate] = {}
    listing_urls = listing_urls or set()
    for item, listing, family in items:
        info = classify_title(item.title)
        if not info.is_report:
            continue
        if years and info.year is not None and info.year not in years:
            continue
        if info.year is None and (looks_like_column(item.url) or item.url in listing_urls):
            continue
        url = wap_twin(item.url)
        cand = Candidate(url=url, title=normalize_title(item.title), year=info.year, listing_url=listing,
                         cms_family=family, portal_id=portal_id, agency_name=info.agency or portal_name,
                         published=item.date)
        prev = by_url.get(url)
        if prev is None or (prev.year is None and cand.year is not None):
            by_url[url] = cand
    return sorted(by_url.values(), key=lambda c: (-(c.year or 0), c.url))


async def walk(seeds: list[str], get_page: GetPage, adapters: dict[str, type[Discoverer]], *,
               cms: str = "auto", max_pages: int = 50, workers: int = 2, portal_id: str = "",
               portal_name: str = "", years: set[int] | None = None, deadline: float | None = None) -> WalkResult:
    """Fetch and parse listing pages until the queue is empty, ``max_pages`` were fetched or the
    ``deadline`` (``time.monotonic()``) passed."""
    res = WalkResult(seeds_total=len(seeds))
    fixed = adapters.get(cms) if cms != "auto" else None
    queue: asyncio.Queue[tuple[type[Discoverer] | None, PageRequest, str, str]] = asyncio.Queue()
    visited: set[str] = set()
    found: list[tuple[ListItem, str, str]] = []
    seed_set = set(seeds)
    self_urls: set[str] = set()

    def put(adapter: type[Discoverer] | None, req: PageRequest, root: str, scope: str) -> None:
        if req.url not in visited:
            visited.add(req.url)
            queue.put_nowait((adapter, req, root, scope))

    for s in seeds:
        put(fixed, fixed.first_request(s) if fixed else PageRequest(s, "list"), s, s)

    async def worker() -> None:
        while True:
            adapter, req, root, scope = await queue.get()
            try:
                if res.pages >= max_pages:
                    continue
                if deadline is not None and time.monotonic() > deadline:
                    res.out_of_time = True
                    continue
                res.pages += 1
                try:
                    html = await get_page(req.url)
                except FetchError as exc:
                    res.errors.append((req.url, exc))
                    continue
                if req.url in seed_set:
                    res.seeds_ok += 1
                if adapter is None:
                    adapter = select_adapter(html, req.url, adapters)
                    if adapter.first_request(req.url).kind != req.kind:
                        req = adapter.first_request(req.url)
                res.family = res.family or adapter.family
                page = adapter.parse(req, html)
                if req.url in seed_set and page.self_item is None and not page.more:
                    # a seed that is itself a report page (an article URL given as the entry point)
                    title = page_title(html)
                    if classify_title(title).is_report:
                        page.self_item = ListItem(req.url, title)
                listing = root if req.kind != "list" else req.url
                found.extend((it, listing, adapter.family) for it in page.items)
                if page.self_item is not None:
                    found.append((page.self_item, root, adapter.family))
                    self_urls.add(page.self_item.url)
                for more in page.more:
                    put(adapter, more, root, scope)
                for sub in subcolumn_urls(page.items, req.url, scope, years):
                    put(adapter, adapter.first_request(sub), sub, scope)
            finally:
                queue.task_done()

    tasks = [asyncio.create_task(worker()) for _ in range(max(1, workers))]
    try:
        await queue.join()
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    res.candidates = items_to_candidates(found, portal_id, portal_name, years, visited - self_urls)
    return res


__all__ = ["WalkResult", "items_to_candidates", "select_adapter", "subcolumn_urls", "walk"]
