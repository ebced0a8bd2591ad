"""Hanweb 大汉 JCMS: the list is not in the HTML but in a ``<datastore>`` and ``dataproxy.jsp``.

The column page ``/col/col<id>/index.html`` embeds ``<script type="text/xml"><datastore>`` with
the first records and a ``<nextgroup>`` link to ``/module/web/jpage/dataproxy.jsp``; the rest
comes from that endpoint paged with ``startrecord/endrecord/perpage`` (an XML reply with
``<totalrecord>`` and CDATA ``<record>`` items). Static ``index_1.html`` pages 404 on Hanweb
(portals.md §2.B). The 信息公开 module's ``xxgkAnnualReport.jsp?area=…&fbtime=YEAR`` pages are
report pages themselves.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from collector.discover.base import (
    Discoverer,
    ListingPage,
    ListItem,
    Markers,
    PageRequest,
    clean_url,
    list_items,
    make_soup,
    page_title,
)

DATAPROXY = "dataproxy"
_DATASTORE = re.compile(r"<datastore>(.*?)</datastore>", re.S | re.I)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S | re.I)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)
_TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
_JS_TOTAL = re.compile(r"totalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
_JS_PERPAGE = re.compile(r"perpage\s*[:=]\s*['\"]?(\d+)", re.I)
_COLUMN_ID = re.compile(r"/col/col(\d+)/", re.I)
_MARKERS = Markers(r"<datastore>|dataproxy\.jsp|/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+|/col/col\d+/|"
                   r"xxgkAnnualReport\.jsp")
PAGES_PER_GROUP = 3  # Hanweb's own pager asks for three pages of records per request


def dataproxy_request(proxy_url: str, start: int, end: int, perpage: int) -> str:
    """The GET form of a dataproxy call (GET keeps it cacheable with conditional requests)."""
    parts = urlsplit(proxy_url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
              if k not in ("startrecord", "endrecord", "perpage", "page")]
    params = [("startrecord", str(start)), ("endrecord", str(end)), ("perpage", str(perpage)), *params]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))


def records_to_items(xml: str, base: str) -> list[ListItem]:
    """Anchors of the CDATA ``<record>`` items of a datastore or dataproxy reply."""
    items: list[ListItem] = []
    for rec in _RECORD.findall(xml):
        items.extend(list_items(make_soup(rec), base))
    return items


def datastore_proxy(html: str, page_url: str) -> str | None:
    """The dataproxy URL of a column page: ``<nextgroup>``'s link, else built from the column id."""
    store = _DATASTORE.search(html)
    if store:
        ng = _NEXTGROUP.search(store.group(1))
        if ng:
            href = _HREF.search(ng.group(1))
            if href:
                return clean_url(page_url, href.group(1).replace("&amp;", "&"))
    col = _COLUMN_ID.search(page_url)
    if col and "dataproxy.jsp" in html:
        query = urlencode({"col": 1, "appid": 1, "webid": 1, "path": "/", "columnid": col.group(1),
                           "sourceContentType": 1, "permissiontype": 0})
        return urljoin(page_url, f"/module/web/jpage/dataproxy.jsp?{query}")
    return None


def parse_dataproxy(req_url: str, xml: str) -> ListingPage:
    """One dataproxy reply: its records and, for the first group, requests for the remaining groups."""
    items = records_to_items(xml, req_url)
    q = dict(parse_qsl(urlsplit(req_url).query))
    start = int(q.get("startrecord", "1") or 1)
    end = int(q.get("endrecord", "0") or 0)
    perpage = int(q.get("perpage", "20") or 20)
    more: list[PageRequest] = []
    m = _TOTAL.search(xml)
    if m and start == 1 and end > 0:
        total = int(m.group(1))
        group = end - start + 1
        for s in range(end + 1, total + 1, group):
            more.append(PageRequest(dataproxy_request(req_url, s, s + group - 1, perpage), DATAPROXY))
    return ListingPage(items=items, more=more)


class HanwebDiscoverer(Discoverer):
    family: ClassVar[str] = "hanweb"

    @classmethod
    def detect(cls, html: str, url: str) -> bool:
        return bool(_MARKERS.search(html) or "dataproxy.jsp" in url or "xxgkAnnualReport" in url)

    @classmethod
    def first_request(cls, url: str) -> PageRequest:
        return PageRequest(url, DATAPROXY if "dataproxy.jsp" in url else "list")

    @classmethod
    def parse(cls, req: PageRequest, html: str) -> ListingPage:
        if req.kind == DATAPROXY:
            return parse_dataproxy(req.url, html)
        if "xxgkAnnualReport.jsp" in req.url:
            # The 信息公开 module renders one unit's report for one year: the page is the report.
            return ListingPage(self_item=ListItem(req.url, page_title(html)))
        soup = make_soup(html)
        items = list_items(soup, req.url)
        store = _DATASTORE.search(html)
        if store:
            items += records_to_items(store.group(1), req.url)
        more: list[PageRequest] = []
        proxy = datastore_proxy(html, req.url)
        if proxy:
            pm = _JS_PERPAGE.search(html)
            perpage = int(pm.group(1)) if pm else 20
            group = perpage * PAGES_PER_GROUP
            tm = _JS_TOTAL.search(html)
            if tm:  # total known from the page's pager script: request every group at once
                total = int(tm.group(1))
                more = [PageRequest(dataproxy_request(proxy, s, s + group - 1, perpage), DATAPROXY)
                        for s in range(1, total + 1, group)]
            else:
                more = [PageRequest(dataproxy_request(proxy, 1, group, perpage), DATAPROXY)]
        return ListingPage(items=items, more=more)
