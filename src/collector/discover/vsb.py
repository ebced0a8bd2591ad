"""VSB 博达: ``<column>.htm`` is the newest list page, older ones are ``<column>/N.htm``.

The numbered pages run *descending* (newest page highest, portals.md §2.C), so the page count is
read from the pager ("共5页", "1/5") or from the highest numbered link, and every page from
N-1 down to 1 is requested; ``2.htm`` is not assumed to be the second-newest.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urljoin, urlsplit, urlunsplit

from collector.discover.base import (
    Discoverer,
    ListingPage,
    Markers,
    PageRequest,
    clean_url,
    list_items,
    make_soup,
)

_ARTICLE = re.compile(r"/info/\d+/\d+\.htm", re.I)
_MARKERS = Markers(r"Visual\s*SiteBuilder|/system/resource/|wbtreeid|vsb_content|v_news_content|_sitegray")
_TOTAL_PAGES = re.compile(r"共\s*(\d+)\s*页|(?<![\d/])1\s*/\s*(\d+)(?![\d/])")


def vsb_column_base(url: str) -> tuple[str, bool]:
    """(directory of the numbered pages, whether ``url`` is the column's first page).

    ``…/nb.htm`` -> (``…/nb/``, True); ``…/nb/3.htm`` -> (``…/nb/``, False).
    """
    parts = urlsplit(url)
    path = parts.path
    m = re.search(r"/(\d+)\.htm$", path)
    if m:
        base_path = path[: m.start() + 1]
        return urlunsplit((parts.scheme, parts.netloc, base_path, "", "")), False
    if path.endswith(".htm"):
        base_path = path[: -len(".htm")] + "/"
    else:
        base_path = path if path.endswith("/") else path + "/"
    return urlunsplit((parts.scheme, parts.netloc, base_path, "", "")), True


def vsb_page_urls(url: str, html: str, linked: list[str]) -> list[str]:
    """The older list pages, N-1 … 1, from the first page's pager."""
    base, first = vsb_column_base(url)
    if not first:
        return []
    numbers = []
    for link in linked:
        if link.startswith(base):
            m = re.fullmatch(r"(\d+)\.htm", link[len(base):])
            if m:
                numbers.append(int(m.group(1)))
    total = None
    for m in _TOTAL_PAGES.finditer(html):
        total = int(m.group(1) or m.group(2))
        break
    top = max([total - 1 if total else 0, *numbers], default=0)
    return [urljoin(base, f"{n}.htm") for n in range(top, 0, -1)]


class VsbDiscoverer(Discoverer):
    family: ClassVar[str] = "vsb"

    @classmethod
    def detect(cls, html: str, url: str) -> bool:
        return bool(_MARKERS.search(html) or _ARTICLE.search(html))

    @classmethod
    def parse(cls, req: PageRequest, html: str) -> ListingPage:
        soup = make_soup(html)
        items = list_items(soup, req.url)
        links = [u for a in soup.find_all("a", href=True) if (u := clean_url(req.url, a.get("href")))]
        pages = vsb_page_urls(req.url, html, links)
        base, _ = vsb_column_base(req.url)
        items = [i for i in items if not (i.url.startswith(base) and re.fullmatch(r"\d+\.htm", i.url[len(base):]))]
        return ListingPage(items=items, more=[PageRequest(u, "list") for u in pages])
