"""TRS WCM (拓尔思): static ``index.html``, ``index_1.html``… with the page count in inline JS.

The count comes from ``createPageHTML(countPage, currentPage, "index", "html")`` or
``var countPage = N`` (portals.md §2.A); articles live at ``…/YYYYMM/tYYYYMMDD_ID.html``.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

from collector.discover.base import Discoverer, ListingPage, Markers, PageRequest, list_items, make_soup

_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
_COUNT_PAGE = re.compile(r"countPage\s*[=:]\s*['\"]?(\d+)")
_CURRENT_PAGE = re.compile(r"currentPage\s*[=:]\s*['\"]?(\d+)")
_ARTICLE = re.compile(r"/\d{6}/t\d{8}_\d+(?:_wap)?\.s?html?", re.I)
_MARKERS = Markers(r"createPageHTML|countPage|trs_editor|TRS_Editor|TRS_UEDITOR")


def trs_page_urls(url: str, html: str, max_pages: int = 10_000) -> list[str]:
    """URLs of the other listing pages (``index_1.html``…), read from the page-count JS.

    Only the first page (``index.*`` or the column directory) enumerates; later pages return
    nothing so that the walk does not re-queue.
    """
    count = current = None
    prefix, ext = "index", None
    m = _CREATE_PAGE.search(html)
    if m:
        count, current, prefix, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    else:
        mc = _COUNT_PAGE.search(html)
        if mc:
            count = int(mc.group(1))
            mcur = _CURRENT_PAGE.search(html)
            current = int(mcur.group(1)) if mcur else None
    if not count or count <= 1:
        return []
    path = urlsplit(url).path
    name = path.rsplit("/", 1)[-1]
    if current not in (None, 0) or re.match(rf"{re.escape(prefix)}_\d+\.", name):
        return []
    if ext is None:
        ext = name.rsplit(".", 1)[-1] if "." in name else "html"
    return [urljoin(url, f"{prefix}_{n}.{ext}") for n in range(1, min(count, max_pages))]


class TrsDiscoverer(Discoverer):
    family: ClassVar[str] = "trs"

    @classmethod
    def detect(cls, html: str, url: str) -> bool:
        return bool(_MARKERS.search(html) or _ARTICLE.search(html) or _ARTICLE.search(url))

    @classmethod
    def parse(cls, req: PageRequest, html: str) -> ListingPage:
        soup = make_soup(html)
        pages = trs_page_urls(req.url, html)
        if not pages and not _COUNT_PAGE.search(html):
            # TRS-style article URLs but no page-count script: a re-skinned site, follow its pager
            from collector.discover.generic import pager_links

            pages = pager_links(soup, req.url)
        items = [i for i in list_items(soup, req.url) if i.url not in pages]
        return ListingPage(items=items, more=[PageRequest(u, "list") for u in pages])
