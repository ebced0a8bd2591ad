"""Report (detail) pages: title, publication date and every attachment link. Pure functions.

Attachments hide in many places (portals.md §3): ``<a href$=".pdf">``, ``<iframe>`` / ``<embed>``
/ ``<object>`` sources (often a pdf.js viewer with ``?file=…``), ``onclick="window.open('…pdf')"``
and plain text in scripts, so a regex over the raw HTML runs last. Only the URL is returned —
attachment names never become file paths (the raw store is content-addressed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

import lxml.html
from bs4 import BeautifulSoup, Tag
from lxml import etree

from collector.discover.base import clean_url, page_title

ATTACHMENT_EXTS = ("pdf", "doc", "docx", "wps", "xls", "xlsx", "et")
_EXT_RE = "|".join(ATTACHMENT_EXTS)
_ATTACH_PATH = re.compile(rf"\.({_EXT_RE})$", re.I)
_RAW_LINK = re.compile(rf"""["'(=]\s*((?:https?://|/|\./|\.\./)?[^\s"'()<>]+?\.(?:{_EXT_RE}))(?:[?#][^\s"'()<>]*)?["')\s]""",
                       re.I)
_ANY_EXT = re.compile(rf"\.(?:{_EXT_RE})\b", re.I)
_ANY_EXT_BYTES = re.compile(rf"\.(?:{_EXT_RE})".encode(), re.I)
# encodings in which every ASCII character is one byte, itself
_ASCII_SAFE = frozenset({"utf-8", "gb18030", "gbk", "gb2312", "big5", "big5hkscs", "cp1252", "ascii", "iso8859-1"})
_PUBDATE = re.compile(r"((?:19|20)\d{2})[-/年.](\d{1,2})[-/月.](\d{1,2})")
MAX_ATTACHMENTS = 12


@dataclass(slots=True)
class DetailPage:
    title: str
    published: str | None
    attachments: list[str] = field(default_factory=list)
    has_tables: bool = False


def attachment_ext(url: str) -> str | None:
    """The attachment extension of a URL path (``.../P0202401.pdf`` -> ``pdf``), else None."""
    path = unquote(urlsplit(url).path)
    m = _ATTACH_PATH.search(path)
    if m:
        return m.group(1).lower()
    # download servlets: /download.jsp?filename=report.pdf
    for _, v in parse_qsl(urlsplit(url).query):
        m = _ATTACH_PATH.search(unquote(v))
        if m:
            return m.group(1).lower()
    return None


def _viewer_target(base: str, src: str) -> str | None:
    """pdf.js viewers: ``viewer.html?file=/upload/x.pdf`` -> the PDF's URL."""
    url = clean_url(base, src)
    if not url:
        return None
    for k, v in parse_qsl(urlsplit(url).query):
        if k.lower() in ("file", "url", "src", "path") and attachment_ext(v):
            return clean_url(url, unquote(v))
    return url if attachment_ext(url) else None


def may_have_attachments(body: bytes, encoding: str | None) -> bool:
    """False when :func:`find_attachments` of the decoded page is certainly empty: no attachment
    extension in its bytes (the crawl then need not decode the page: most report pages).

    Exact for the encodings in which ASCII characters are single bytes: every ``.pdf`` of the
    text is a ``.pdf`` of the bytes. ``re.I`` also folds ``ſ`` to ``s`` (``.xlſ``): a page with
    one is decoded."""
    if encoding not in _ASCII_SAFE:
        return True
    if _ANY_EXT_BYTES.search(body):
        return True
    try:
        return "ſ".encode(encoding) in body
    except UnicodeEncodeError:  # the encoding has no ſ
        return False


def find_attachments(html: str, base: str, limit: int = MAX_ATTACHMENTS) -> list[str]:
    """Every attachment URL of a report page, in page order, deduplicated.

    Uses lxml's tree directly, not bs4: Word-pasted report pages hold thousands of ``<span>``s
    and a BeautifulSoup tree of one costs ~50 ms against ~2 ms here, on every page of a crawl.
    """
    found: dict[str, None] = {}
    if not _ANY_EXT.search(html):
        return []  # no attachment extension anywhere in the page: skip the parse (most report pages)

    def add(url: str | None) -> None:
        if url and attachment_ext(url) and len(found) < limit:
            found.setdefault(url, None)

    try:
        root = lxml.html.fromstring(html) if html.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    if root is not None:
        for el in root.iter("a", "iframe", "embed", "object", "frame"):
            if el.tag == "a":
                href = el.get("href")
                add(_viewer_target(base, href) if href else None)
            else:
                for attr in ("src", "data"):
                    val = el.get(attr)
                    if val:
                        add(_viewer_target(base, val))
        for el in root.xpath("//*[@onclick]"):
            for m in _RAW_LINK.finditer(f"'{el.get('onclick')}'"):
                add(_viewer_target(base, m.group(1)))
    for m in _RAW_LINK.finditer(html):
        add(_viewer_target(base, m.group(1).replace("&amp;", "&")))
    return list(found)


def _published(soup: Tag) -> str | None:
    for name in ("PubDate", "firstpublishedtime", "publishdate"):
        meta = soup.find("meta", attrs={"name": re.compile(f"^{name}$", re.I)})
        if isinstance(meta, Tag) and meta.get("content"):
            m = _PUBDATE.search(str(meta["content"]))
            if m:
                y, mo, d = (int(x) for x in m.groups())
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def parse_detail(html: str, base: str) -> DetailPage:
    """Title, date and attachments of a report page."""
    soup = BeautifulSoup(html, "lxml")  # all attributes: meta name/content (not a listing soup)
    return DetailPage(
        title=page_title(html),
        published=_published(soup),
        attachments=find_attachments(html, base),
        has_tables=soup.find("table") is not None,
    )


__all__ = ["ATTACHMENT_EXTS", "DetailPage", "attachment_ext", "find_attachments", "may_have_attachments", "parse_detail"]
