"""HTML report pages -> Document (lxml).

Finds the article body the way the CMS families mark it (TRS ``.trs_editor_view`` /
``.TRS_Editor`` / ``#zoom``, UCAP ``<ucapcontent>``, common ``.article`` containers), keeps page
metadata (``ArticleTitle``, ``PubDate``, the 信息公开 metadata block) for the parser, and turns
every data ``<table>`` into a span-resolved grid. Word-pasted markup (runs of ``<span>``/``<font>``
around every digit, ``<br>`` inside labels) collapses into plain cell text.

lxml's own tree, not BeautifulSoup's: the same libxml2 parse at a quarter of the memory (a bs4
tree costs ~25x the page, 250x for tag soup, 90x for a page of NULs); with the guards of
:func:`~collector.extract.limits.check_markup` the whole path stays within ~20x its input
(``bench/bench_memory.py``). Plain ``etree`` elements, not ``lxml.html``'s: its element classes
are chosen by a Python callback for every node touched (a third of the extraction time on
Word-pasted pages).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from lxml import etree

from collector.errors import CorruptFile, UnsupportedFormat
from collector.extract.charset import decode_bytes
from collector.extract.limits import ExtractLimits, check_markup, check_size, guarded
from collector.models import Document, Paragraph, Table, grid_from_spans

BODY_SELECTORS = (
    ".trs_editor_view", ".TRS_Editor", "#zoom", "ucapcontent", "#UCAP-CONTENT", ".TRS_UEDITOR",
    ".article-content", ".article_content", ".art_con", "#art_content", ".content_main", ".pages_content",
    "#content", ".content", "article", ".article", ".main-content", ".detail", "#Zoom", ".wzy_nr",
)
_SKIP = {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "embed", "svg", "button",
         "select", "option", "textarea", "nav", "input"}
_NO_TEXT = {"script", "style", "template"}  # never text, wherever they sit (bs4's get_text skips them too)
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "center",
          "blockquote", "pre", "dd", "dt", "dl", "header", "footer", "form", "ucapcontent", "ucaptitle", "tr", "hr"}
_META_NAMES = ("ArticleTitle", "PubDate", "ContentSource", "Keywords", "Description", "SiteName", "ColumnName",
               "firstpublishedtime", "publishdate", "author")
_WS = re.compile(r"[ \t\r\f\v\u3000\xa0]+")
MAX_TABLE_CELLS = 20_000
_RANKS: dict[str, int] = {sel: i for i, sel in enumerate(BODY_SELECTORS)}
_ID_RANKS = {sel[1:]: i for sel, i in _RANKS.items() if sel[0] == "#"}
_CLASS_RANKS = {sel[1:]: i for sel, i in _RANKS.items() if sel[0] == "."}
_TAG_RANKS = {sel: i for sel, i in _RANKS.items() if sel[0] not in "#."}
PAGE_TEXT_CHARS = 6000  # text around the article body kept for the metadata readers


# no_network: never fetch a DTD; comments and PIs are dropped by the parser, not walked.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


@guarded("HTML")
def html_to_document(data: bytes, *, source_url: str | None = None, encoding: str | None = None,
                     limits: ExtractLimits | dict[str, object] | None = None) -> Document:
    lim = ExtractLimits.resolve(limits)
    controls = check_size(data, lim, markup=True)
    text, enc = decode_bytes(data, encoding, c0_free=controls == 0)
    size = len(data)
    del data
    return str_to_document(text, encoding=enc, source_url=source_url, limits=lim, size=size)


# Inline run wrappers of Word-pasted HTML (a <span><font> around every digit) carry no structure;
# dropping the tags (not their text) before parsing shrinks the tree several-fold.
# The lookahead rejects the page's other tags (div, td, p …) at their first letter: a third faster.
_INLINE_TAGS = re.compile(r"<(?=/?[sfobieu])/?(?:span|font|o:p|b|strong|i|em|u|sup|sub|st1:[a-z]+)(?:\s[^>]*)?>",
                          re.I)


def str_to_document(html: str, *, encoding: str | None = None, source_url: str | None = None,
                    limits: ExtractLimits | None = None, size: int | None = None) -> Document:
    """``html`` (decoded, control characters stripped) -> Document; ``size``: its bytes on the wire."""
    lim = limits or ExtractLimits.resolve(None)
    html = _XML_DECL.sub("", _INLINE_TAGS.sub("", html), count=1)
    check_markup(html, lim, size)
    try:
        root = etree.fromstring(html, _PARSER)
    except (etree.ParserError, ValueError) as exc:  # control characters
        raise UnsupportedFormat(f"HTML page has no body text ({exc})") from None
    if root is None:
        raise UnsupportedFormat("HTML page has no body text (Document is empty)")
    del html
    # script/style text is never content (nor counted when choosing the body); their tails are
    etree.strip_elements(root, *_NO_TEXT, with_tail=False)
    meta: dict[str, object] = {"encoding": encoding, "source_url": source_url}
    wanted = {n.lower(): n for n in _META_NAMES}
    for tag in root.iter("meta"):
        name = str(tag.get("name") or "").lower()
        content = tag.get("content")
        if name in wanted and content and wanted[name] not in meta:
            meta[wanted[name]] = content.strip()
    title = root.find(".//title")
    if title is not None and len(title) == 0 and title.text and title.text.strip():
        meta["html_title"] = title.text.strip()
    for tag in root.iter("ucaptitle", "publishtime"):
        meta[tag.tag] = " ".join(_strings(tag))

    body = _find_body(root)
    page_body = root.find("body")
    # Text outside the article body (metadata blocks: 索引号, 发布日期) is kept for the parser.
    if page_body is not None and body is not page_body:
        meta["page_text"] = _text_prefix(page_body, PAGE_TEXT_CHARS)
    walker = _Walker(lim)
    walker.walk(body)
    walker.flush()
    if not walker.blocks:
        raise UnsupportedFormat("HTML page has no text")
    return Document(blocks=walker.blocks, media_type="html", extractor="lxml", meta=meta)


def _strings(el: etree._Element) -> Iterator[str]:
    """Stripped, non-empty text nodes (bs4's ``get_text(sep, strip=True)``)."""
    return (s for s in (t.strip() for t in el.itertext()) if s)


def _joined_prefix(strings: Iterator[str], limit: int) -> str:
    """``"\n".join(strings)[:limit]`` without reading the strings past the limit."""
    taken: list[str] = []
    total = -1
    for s in strings:
        taken.append(s)
        total += len(s) + 1
        if total >= limit:
            break
    return "\n".join(taken)[:limit]


# Text nodes in document order, as XPath sees them (two nodes side by side where a stripped script
# stood stay two; itertext() would join them). Plain strings: lxml's "smart" results would each
# carry a parent reference. No [normalize-space()] filter: libxml2 allocates a normalised copy of
# every node to test it, which cost more than the layout-whitespace nodes it spared the loop below
# (those strip to nothing there).
_TEXT_NODES = etree.XPath(".//text()", smart_strings=False)


def _text_prefix(el: etree._Element, limit: int) -> str:
    """``_joined_prefix(_strings(el), limit)`` over ``el``'s text nodes, in one loop (no generator
    layers: it runs over a whole page's navigation text)."""
    taken: list[str] = []
    total = -1
    for t in _TEXT_NODES(el):
        s = t.strip()
        if s:
            taken.append(s)
            total += len(s) + 1
            if total >= limit:
                break
    return "\n".join(taken)[:limit]


def _all_text(el: etree._Element) -> str:
    """Every text node inside ``el`` joined (``"".join(el.itertext())``, serialised in C)."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def _text_len(el: etree._Element) -> int:
    return len(_all_text(el))


# The elements whose id a body selector names, from the document's id table (libxml2 records every
# id attribute of an HTML page while parsing, and drops it with its element): when there is none,
# the body search reads no element's id.
_RANKED_IDS = etree.XPath(f"id('{' '.join(_ID_RANKS)}')")


def _find_body(root: etree._Element) -> etree._Element:
    """The CMS article container, by priority of BODY_SELECTORS."""
    found: dict[int, list[etree._Element]] = {}
    # each rank has one selector, so its list is in document order however the tree is walked
    for tag in root.iter(*_TAG_RANKS):
        found.setdefault(_TAG_RANKS[tag.tag], []).append(tag)
    ids = bool(_RANKED_IDS(root))
    for tag in root.iter(etree.Element):
        if ids and (ident := tag.get("id")) and (rank := _ID_RANKS.get(ident)) is not None:
            found.setdefault(rank, []).append(tag)
        classes = tag.get("class")
        if classes:
            for rank in _class_ranks(classes) if len(classes) <= 200 else _class_ranks.__wrapped__(classes):
                found.setdefault(rank, []).append(tag)
    for rank in sorted(found):
        # the body must hold the report: prefer the candidate with the most text
        size, best = max(((_text_len(t), t) for t in found[rank]), key=lambda x: x[0])
        if size > 200:
            return best
    body = root.find("body")
    return body if body is not None else root


@lru_cache(maxsize=1024)
def _class_ranks(classes: str) -> tuple[int, ...]:
    """The body-selector ranks of a class attribute's names, in order (memoised: a page repeats a
    few class strings, ``MsoNormal`` on every cell)."""
    return tuple(rank for c in classes.split() if (rank := _CLASS_RANKS.get(c)) is not None)


def _clean(s: str) -> str:
    return _WS.sub(" ", s).strip()


_NEWLINE = re.compile(r"\s*\n\s*")
_SPAN = re.compile(r"\s*(\d+)")


def cell_text(td: etree._Element) -> str:
    """A cell's text with wrapped labels joined ("商业<br>企业" -> "商业企业")."""
    n = len(td)
    if n == 0:
        text = td.text
    elif n == 1 and len(child := td[0]) == 0:
        # one leaf child (Word's <p> around the text): its text nodes directly, not a serialisation
        text = (td.text or "") + (child.text or "") + (child.tail or "")
    else:
        text = _all_text(td)
    if not text:
        return ""
    return _clean_cell(text) if len(text) <= 200 else _clean_cell.__wrapped__(text)


@lru_cache(maxsize=16384)
def _clean_cell(text: str) -> str:
    """Memoised: the template's labels and small numbers recur in every report."""
    if "\n" in text:
        text = _NEWLINE.sub("", text)
    return _clean(text)


def _span(raw: str | None) -> int:
    """A rowspan/colspan attribute's value (1 when absent or unreadable)."""
    if not raw:
        return 1
    if raw.isascii() and raw.isdigit():  # the common case, without a regex
        return int(raw)
    m = _SPAN.match(raw)
    return int(m.group(1)) if m else 1


_CELL_TAGS = ("td", "th")


def _cells(tr: etree._Element) -> list[etree._Element]:
    """A row's td/th cells (lxml filters the children by tag in C)."""
    return list(tr.iterchildren(*_CELL_TAGS))


def table_to_grid(table: etree._Element, where: str, max_cells: int = MAX_TABLE_CELLS,
                  own_rows: list[etree._Element] | None = None,
                  cell_rows: list[list[etree._Element]] | None = None) -> Table:
    """A table's grid, spans resolved; ``cell_rows``: its rows' cells when the caller has them."""
    if cell_rows is None:
        cell_rows = [_cells(tr) for tr in (own_rows if own_rows is not None else _own_rows(table))]
    rows: list[list[tuple[str, int, int]]] = []
    ncells = 0
    spanned = False
    for tds in cell_rows:
        row = []
        for td in tds:
            rowspan, colspan = td.get("rowspan"), td.get("colspan")
            if rowspan or colspan:
                cell = (cell_text(td), _span(rowspan) if rowspan else 1, _span(colspan) if colspan else 1)
                spanned = spanned or cell[1] > 1 or cell[2] > 1
                row.append(cell)
            else:
                row.append((cell_text(td), 1, 1))
        ncells += len(tds)
        if ncells > max_cells:
            break
        rows.append(row)
    if spanned:
        return grid_from_spans(rows, where=where)
    # no merged cell (spans of 0 or 1 count as 1): the grid is the rows padded to the widest
    width = max((len(r) for r in rows), default=0)
    return Table(rows=[[c[0] for c in r] + [""] * (width - len(r)) for r in rows], copies=set(), where=where)


def _own_rows(table: etree._Element) -> list[etree._Element]:
    out: list[etree._Element] = []
    for child in table:
        tag = child.tag
        if tag == "tr":
            out.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            out.extend(child.iterchildren("tr"))
    return out


class _Walker:
    """Depth-first walk producing paragraphs and tables in reading order, within the block cap."""

    def __init__(self, limits: ExtractLimits) -> None:
        self.blocks: list[Paragraph | Table] = []
        self.buf: list[str] = []
        self.ntables = 0
        self.cells = 0
        self.limits = limits

    def _add(self, block: Paragraph | Table) -> None:
        if len(self.blocks) >= self.limits.max_blocks:
            raise CorruptFile(f"HTML page has more than {self.limits.max_blocks} text blocks (cap)")
        self.blocks.append(block)

    def flush(self) -> None:
        text = "".join(self.buf)
        self.buf = []
        for line in text.split("\n"):
            line = _clean(line)
            if line:
                self._add(Paragraph(line, where=f"paragraph {len(self.blocks) + 1}"))

    def _text(self, s: str | None) -> None:
        if s:
            self.buf.append(s.replace("\n", " "))

    def walk(self, node: etree._Element) -> None:
        self._text(node.text)
        for child in node:
            name = child.tag
            if not isinstance(name, str) or name in _SKIP:
                pass  # a comment/PI the parser kept, or a non-content element: its tail still counts
            elif name == "br":
                self.buf.append("\n")
            elif name == "table":
                self._table(child)
            elif name in _BLOCK or name == "td":
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)
            self._text(child.tail)

    def _table(self, table: etree._Element) -> None:
        # A layout table (one that holds other tables, or a single cell) is walked as content.
        cell_rows = [_cells(tr) for tr in _own_rows(table)]
        ncells = sum(map(len, cell_rows))
        if ncells <= 1 or table.find(".//table") is not None:
            self.flush()
            self.walk(table)
            self.flush()
            return
        self.flush()
        self.ntables += 1
        self.cells += ncells
        if self.cells > self.limits.max_cells:
            raise CorruptFile(f"HTML page has more than {self.limits.max_cells} table cells (cap)")
        grid = table_to_grid(table, where=f"table {self.ntables}", cell_rows=cell_rows)
        if grid.rows:
            self._add(grid)
