"""Shared types and pure helpers of the discovery adapters.

An adapter is a class of pure class methods (no I/O): it says whether a page looks like its
CMS (:meth:`Discoverer.detect`), how to request a seed (:meth:`Discoverer.first_request`) and
what a fetched listing page contains (:meth:`Discoverer.parse`: items, further pages,
sub-columns). The walker in :mod:`collector.discover.walk` does the fetching, so every adapter
can be tested on saved HTML alone.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from bs4 import BeautifulSoup, Tag
from bs4.builder._lxml import LXMLTreeBuilder
from lxml import etree

from collector.discover.titles import normalize_title

# the characters re.I matches to an ASCII letter that str.lower() does not turn into it (İ ı ſ)
_OTHER_FOLDS = ("\u0130", "\u0131", "\u017f")
_DATE = re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:")


@dataclass(frozen=True, slots=True)
class ListItem:
    """A link found on a listing page."""

    url: str
    title: str
    date: str | None = None


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A listing page to fetch; ``kind`` lets an adapter tell its page types apart (Hanweb)."""

    url: str
    kind: str = "list"


@dataclass(slots=True)
class ListingPage:
    """What one listing page yields (the result of :meth:`Discoverer.parse`)."""

    items: list[ListItem] = field(default_factory=list)
    more: list[PageRequest] = field(default_factory=list)
    subcolumns: list[str] = field(default_factory=list)
    self_item: ListItem | None = None  # the page is itself a report (Hanweb xxgkAnnualReport.jsp)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A report page found on a portal; what :func:`collector.crawl.fetch_candidates` takes."""

    url: str
    title: str
    year: int | None
    listing_url: str
    cms_family: str
    portal_id: str = ""
    agency_name: str | None = None
    published: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Candidate:
        return cls(**d)


class Markers:
    """``re.search(pattern, html, re.I)`` for an adapter's ``detect``, ~5x faster on a CJK page.

    ``re.I`` gets no literal-prefix search from ``re``, so a marker search walked a 75 KB report
    page (a Hanweb seed is one) in ~5 ms per adapter. The page is lower-cased once (shared by the
    adapters that try it) and searched with the lower-cased pattern, case-sensitively: the same
    answer, because each character then matches a pattern letter exactly when ``re.I`` matches
    it — except İ, ı and ſ, so a page holding one of them gets the ``re.I`` search itself."""

    __slots__ = ("_exact", "_lowered")

    def __init__(self, pattern: str) -> None:
        if re.search(r"\\[A-Z]", pattern):  # \S, \W, \D, \B... would change meaning when lower-cased
            raise ValueError(f"upper-case escape in marker pattern {pattern!r}")
        self._exact = re.compile(pattern, re.I)
        self._lowered = re.compile(pattern.lower())

    def search(self, html: str) -> bool:
        if any(c in html for c in _OTHER_FOLDS):
            return self._exact.search(html) is not None
        return self._lowered.search(_lower(html)) is not None


@functools.lru_cache(maxsize=2)
def _lower(html: str) -> str:
    """(Cached: ``select_adapter`` asks each adapter about the same page in turn.)"""
    return html.lower()


class Discoverer:
    """Base adapter. Subclasses override ``detect`` and ``parse``; the defaults suit static lists."""

    family: ClassVar[str] = "generic"

    @classmethod
    def detect(cls, html: str, url: str) -> bool:
        return False

    @classmethod
    def first_request(cls, url: str) -> PageRequest:
        return PageRequest(url, "list")

    @classmethod
    def parse(cls, req: PageRequest, html: str) -> ListingPage:
        soup = make_soup(html)
        return ListingPage(items=list_items(soup, req.url))


LISTING_ATTRIBUTES = ("href", "title")  # every attribute the adapters read from a listing soup


class _ListingTreeBuilder(LXMLTreeBuilder):
    """bs4's lxml HTML builder, passing on only the attributes the adapters read."""

    def start(self, tag: Any, attrib: Any, nsmap: Any = None) -> None:
        kept = {k: v for k in LISTING_ATTRIBUTES if (v := attrib.get(k)) is not None}
        super().start(tag, kept, nsmap or {})


class _ListingSoup(BeautifulSoup):
    """A soup without whitespace-only strings: every text the adapters read is
    ``get_text(sep, strip=True)``, which skips them anyway."""

    def endData(self, containerClass: Any = None) -> None:  # noqa: N802 - bs4's name
        if self.current_data and not "".join(self.current_data).strip():
            self.current_data = []
            return
        super().endData(containerClass)


def make_soup(html: str) -> BeautifulSoup:
    """A listing page's BeautifulSoup (lxml's parser; bs4 for its tolerance of broken listings)
    holding what the adapters read: every element and every text, with only the attributes in
    :data:`LISTING_ATTRIBUTES` and no whitespace-only strings. The same tree and the same texts
    as a full soup for ``find_all``, ``get``, ``parent``, ``name`` and ``get_text(sep,
    strip=True)`` — the only calls the adapters make — at ~60 % of its cost: copying the other
    attributes (class, style, target, ...) and the whitespace between tags was the rest, and
    discovery was a fifth of the crawl's CPU (issue #13)."""
    return _ListingSoup(html, builder=_ListingTreeBuilder(multi_valued_attributes=None))


def clean_url(base: str, href: str | None) -> str | None:
    """Absolute http(s) URL without fragment, or None for javascript:/mailto:/anchors."""
    if not href:
        return None
    return _clean_url(base, href)


@functools.lru_cache(maxsize=8192)
def _clean_url(base: str, href: str) -> str | None:
    """(Cached: a listing's pager and navigation links recur on every page of a portal, and the
    pager scan resolves each link twice.)"""
    href = href.strip().replace("\\", "/")
    if not href or href.lower().startswith(_SKIP_SCHEMES):
        return None
    url = urldefrag(urljoin(base, href))[0]
    return url if urlsplit(url).scheme in ("http", "https") else None


def anchor_title(a: Tag) -> str:
    """The anchor's full title: listings truncate the text ("…"), the ``title`` attribute does not."""
    text = a.get_text(" ", strip=True)
    attr = a.get("title")
    attr_s = attr.strip() if isinstance(attr, str) else ""
    if attr_s and (len(normalize_title(attr_s)) >= len(normalize_title(text)) or text.endswith(("…", "...", ".."))):
        return attr_s
    return text or attr_s


def item_date(a: Tag) -> str | None:
    """A YYYY-MM-DD date printed next to the link (in its ``li``/``tr`` row), if any."""
    node: Any = a
    for _ in range(3):
        node = node.parent
        if node is None or not isinstance(node, Tag):
            return None
        if node.name in ("li", "tr", "dd", "dl", "p", "div"):
            m = _DATE.search(node.get_text(" ", strip=True))
            if m:
                y, mo, d = (int(x) for x in m.groups())
                if 1 <= mo <= 12 and 1 <= d <= 31:
                    return f"{y:04d}-{mo:02d}-{d:02d}"
            if node.name in ("li", "tr"):
                return None
    return None


def list_items(soup: BeautifulSoup | Tag, base: str) -> list[ListItem]:
    """Every titled link of a page (the title classifier later keeps the reports)."""
    out: dict[str, ListItem] = {}
    for a in soup.find_all("a", href=True):
        url = clean_url(base, a.get("href"))
        if not url:
            continue
        title = anchor_title(a)
        if len(title) < 4:
            continue
        prev = out.get(url)
        if prev is None or len(title) > len(prev.title):
            out[url] = ListItem(url, title, item_date(a))
    return list(out.values())


def page_title(html: str) -> str:
    """The document's own title: ArticleTitle meta, else <h1>/<h2>, else <title> (site suffix cut).

    lxml, not bs4: this runs on full report pages (Hanweb ``xxgkAnnualReport.jsp`` seeds), which
    are large Word-pasted documents.
    """
    try:
        root = lxml.html.fromstring(html) if html.strip() else None
    except (etree.ParserError, ValueError):
        return ""
    if root is None:
        return ""
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() == "articletitle" and (meta.get("content") or "").strip():
            return str(meta.get("content")).strip()
    for tag in ("h1", "h2"):
        for h in root.iter(tag):
            text = " ".join(h.text_content().split())
            if text:
                return text
    for t in root.iter("title"):
        text = (t.text_content() or "").strip()
        if text:
            return re.split(r"[_|－-]{1,2}", text)[0].strip()
    return ""


def same_site(url: str, other: str) -> bool:
    return (urlsplit(url).hostname or "") == (urlsplit(other).hostname or "")


def wap_twin(url: str) -> str:
    """Chongqing TRS sites serve ``…_wap.html`` twins of articles: map them to the main page."""
    return re.sub(r"_wap(\.s?html?)$", r"\1", url)


__all__ = ["LISTING_ATTRIBUTES", "Candidate", "Discoverer", "ListItem", "ListingPage", "Markers", "PageRequest",
           "anchor_title", "clean_url", "item_date", "list_items", "make_soup", "page_title", "same_site", "wap_twin"]
