"""HTML report pages -> Document (bs4 + lxml).

Finds the article body the way the CMS families mark it (TRS ``.trs_editor_view`` /
``.TRS_Editor`` / ``#zoom``, UCAP ``<ucapcontent>``, common ``.article`` containers), keeps page
metadata (``ArticleTitle``, ``PubDate``, the 信息公开 metadata block) for the parser, and turns
every data ``<table>`` into a span-resolved grid. Word-pasted markup (runs of ``<span>``/``<font>``
around every digit, ``<br>`` inside labels) collapses into plain cell text.
"""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag

from collector.errors import UnsupportedFormat
from collector.extract.decode import decode_bytes
from collector.models import Document, Paragraph, Table, grid_from_spans

warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)

BODY_SELECTORS = (
    ".trs_editor_view", ".TRS_Editor", "#zoom", "ucapcontent", "#UCAP-CONTENT", ".TRS_UEDITOR",
    ".article-content", ".article_content", ".art_con", "#art_content", ".content_main", ".pages_content",
    "#content", ".content", "article", ".article", ".main-content", ".detail", "#Zoom", ".wzy_nr",
)
_SKIP = {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "embed", "svg", "button",
         "select", "option", "textarea", "nav", "input"}
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "center",
          "blockquote", "pre", "dd", "dt", "dl", "header", "footer", "form", "ucapcontent", "ucaptitle", "tr", "hr"}
_META_NAMES = ("ArticleTitle", "PubDate", "ContentSource", "Keywords", "Description", "SiteName", "ColumnName",
               "firstpublishedtime", "publishdate", "author")
_WS = re.compile(r"[ \t\r\f\v\u3000\xa0]+")
MAX_TABLE_CELLS = 20_000


def html_to_document(data: bytes, *, source_url: str | None = None, encoding: str | None = None) -> Document:
    text, enc = decode_bytes(data, encoding)
    return str_to_document(text, encoding=enc, source_url=source_url)


# Inline run wrappers of Word-pasted HTML (a <span><font> around every digit) carry no structure;
# dropping the tags (not their text) before parsing shrinks the tree several-fold.
_INLINE_TAGS = re.compile(r"</?(?:span|font|o:p|b|strong|i|em|u|sup|sub|st1:[a-z]+)(?:\s[^>]*)?>", re.I)


def str_to_document(html: str, *, encoding: str | None = None, source_url: str | None = None) -> Document:
    soup = BeautifulSoup(_INLINE_TAGS.sub("", html), "lxml", multi_valued_attributes=None)
    meta: dict[str, object] = {"encoding": encoding, "source_url": source_url}
    wanted = {n.lower(): n for n in _META_NAMES}
    for tag in soup.find_all("meta"):
        name = str(tag.get("name") or "").lower()
        if name in wanted and tag.get("content") and wanted[name] not in meta:
            meta[wanted[name]] = str(tag["content"]).strip()
    if soup.title and soup.title.string:
        meta["html_title"] = soup.title.string.strip()
    for tag in soup.find_all(["ucaptitle", "publishtime"]):
        meta[tag.name] = tag.get_text(" ", strip=True)

    body = _find_body(soup)
    if body is None:
        raise UnsupportedFormat("HTML page has no body text")
    # Text outside the article body (metadata blocks: 索引号, 发布日期) is kept for the parser.
    if body is not soup.body and soup.body is not None:
        outside = soup.body.get_text("\n", strip=True)
        meta["page_text"] = outside[:6000]
    walker = _Walker()
    walker.walk(body)
    walker.flush()
    blocks = walker.blocks
    if not blocks:
        raise UnsupportedFormat("HTML page has no text")
    return Document(blocks=blocks, media_type="html", extractor="bs4-lxml", meta=meta)


def _find_body(soup: BeautifulSoup) -> Tag | None:
    """The CMS article container, by priority of BODY_SELECTORS, in one pass over the tree."""
    ranks: dict[str, int] = {sel: i for i, sel in enumerate(BODY_SELECTORS)}
    found: dict[int, list[Tag]] = {}
    for tag in soup.find_all(True):
        keys = [tag.name]
        if tag.get("id"):
            keys.append("#" + str(tag["id"]))
        keys.extend("." + c for c in str(tag.get("class") or "").split())
        for k in keys:
            rank = ranks.get(k)
            if rank is not None:
                found.setdefault(rank, []).append(tag)
    for rank in sorted(found):
        # the body must hold the report: prefer the candidate with the most text
        size, best = max(((len(t.get_text()), t) for t in found[rank]), key=lambda x: x[0])
        if size > 200:
            return best
    return soup.body or soup


def _clean(s: str) -> str:
    return _WS.sub(" ", s).strip()


def cell_text(td: Tag) -> str:
    """A cell's text with wrapped labels joined ("商业<br>企业" -> "商业企业")."""
    text = td.get_text()
    text = re.sub(r"\s*\n\s*", "", text)
    return _clean(text)


def _span(td: Tag, attr: str) -> int:
    raw = str(td.get(attr, "1") or "1")
    m = re.match(r"\s*(\d+)", raw)
    return int(m.group(1)) if m else 1


def table_to_grid(table: Tag, where: str) -> Table:
    rows: list[list[tuple[str, int, int]]] = []
    ncells = 0
    for tr in _own_rows(table):
        row = []
        for td in tr.find_all(["td", "th"], recursive=False):
            row.append((cell_text(td), _span(td, "rowspan"), _span(td, "colspan")))
            ncells += 1
        if ncells > MAX_TABLE_CELLS:
            break
        rows.append(row)
    return grid_from_spans(rows, where=where)


def _own_rows(table: Tag) -> list[Tag]:
    out: list[Tag] = []
    for child in table.children:
        if isinstance(child, Tag):
            if child.name == "tr":
                out.append(child)
            elif child.name in ("thead", "tbody", "tfoot"):
                out.extend(c for c in child.children if isinstance(c, Tag) and c.name == "tr")
    return out


class _Walker:
    """Depth-first walk producing paragraphs and tables in reading order."""

    def __init__(self) -> None:
        self.blocks: list[Paragraph | Table] = []
        self.buf: list[str] = []
        self.ntables = 0

    def flush(self) -> None:
        text = "".join(self.buf)
        self.buf = []
        for line in text.split("\n"):
            line = _clean(line)
            if line:
                self.blocks.append(Paragraph(line, where=f"paragraph {len(self.blocks) + 1}"))

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child).__name__ in ("Comment", "Doctype", "ProcessingInstruction", "Declaration", "CData"):
                    continue
                self.buf.append(str(child).replace("\n", " "))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in _SKIP:
                continue
            if name == "br":
                self.buf.append("\n")
            elif name == "table":
                self._table(child)
            elif name in _BLOCK or name == "td":
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)

    def _table(self, table: Tag) -> None:
        # A layout table (one that holds other tables, or a single cell) is walked as content.
        rows = _own_rows(table)
        ncells = sum(1 for tr in rows for c in tr.children if isinstance(c, Tag) and c.name in ("td", "th"))
        if ncells <= 1 or table.find("table") is not None:
            self.flush()
            self.walk(table)
            self.flush()
            return
        self.flush()
        self.ntables += 1
        grid = table_to_grid(table, where=f"table {self.ntables}")
        if grid.rows:
            self.blocks.append(grid)
