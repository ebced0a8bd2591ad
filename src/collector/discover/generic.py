"""Generic discovery for the many one-off CMSs: follow whatever pagination the page shows.

Recognised (portals.md §2.D): 下一页 / 下页 / 尾页 links, numbered page links, ``?page=N`` /
``pageNo`` / ``currPage`` / ``pageIndex`` parameters, ``index_N.html`` (深圳-style),
``column-index-N.shtml`` (成都-style) and the TRS ``countPage`` JS. The walker's visited set
and ``max_pages`` stop loops.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from collector.discover.base import Discoverer, ListingPage, PageRequest, clean_url, list_items, make_soup
from collector.discover.trs import trs_page_urls

_NEXT_TEXT = re.compile(r"^(下一页|下页|后一页|后页|下一頁|尾页|末页|最后一页|next|>|>>|»|›)$", re.I)
_PAGE_PARAM = re.compile(r"[?&](page|pageno|pageindex|pagenum|currpage|curpage|cur_page|currentpage|pn|p)=\d+", re.I)
_PAGE_PATH = re.compile(r"(index_\d+\.s?html?|column-index-\d+\.s?html?|list_\d+\.s?html?|/\d{1,4}\.s?html?)$", re.I)


def pager_links(soup: BeautifulSoup, base: str) -> list[str]:
    """Listing pages linked from a pager, same host only, in page order."""
    b = urlsplit(base)
    host = b.hostname
    out: dict[str, None] = {}
    same_path: list[str] = []  # links to this page with other query parameters, in order
    for a in soup.find_all("a", href=True):
        url = clean_url(base, a.get("href"))
        if not url:
            continue
        u = urlsplit(url)
        if u.hostname != host:
            continue
        text = a.get_text("", strip=True)
        path_q = u.path + ("?" + u.query if u.query else "")
        numeric = text.isdigit() and len(text) <= 4
        if _NEXT_TEXT.match(text) or _PAGE_PARAM.search(path_q) and (numeric or _NEXT_TEXT.match(text) or not text) \
                or (numeric and _PAGE_PATH.search(u.path)):
            out[url] = None
        if u.path == b.path:
            same_path.append(url)
    # onclick / js pagers sometimes keep ?page=N in a plain link without text: catch the params
    for url in same_path:
        if _PAGE_PARAM.search("?" + urlsplit(url).query):
            out.setdefault(url, None)
    out.pop(base, None)
    return list(out)


class GenericDiscoverer(Discoverer):
    family: ClassVar[str] = "generic"

    @classmethod
    def detect(cls, html: str, url: str) -> bool:
        return True  # the fallback: always applicable, tried last

    @classmethod
    def parse(cls, req: PageRequest, html: str) -> ListingPage:
        soup = make_soup(html)
        pages = pager_links(soup, req.url) + trs_page_urls(req.url, html)
        items = [i for i in list_items(soup, req.url) if i.url not in pages]
        return ListingPage(items=items, more=[PageRequest(u, "list") for u in dict.fromkeys(pages)])
