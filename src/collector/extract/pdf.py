"""PDF -> Document: ruled cell grids, stitched across pages, text in reading order.

Why not just ``page.extract_text()``: a report table's text layer scrambles columns (see the
伊宁 sample), so tables are rebuilt from their ruling lines: pdfplumber's table finder turns the
edges into cell rectangles, the rectangles give the merged-cell spans, and the characters
inside each rectangle give its text (a number wrapped in a narrow cell, ``196`` / ``5``, is
joined back). PDFium supplies the characters and edges (:mod:`.pdf_layer`, ~5x faster than
pdfminer), tells a scan from a text PDF and refuses encrypted or broken files cleanly.
LibreOffice and Word break long tables — and single rows — across pages, so the pieces are
stitched when the next page starts with a table of the same geometry; tables drawn without
rules fall back to word columns (:mod:`.pdf_text`).
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field
from typing import Any

from collector.errors import CorruptFile, ResourceLimit
from collector.extract.grid import (
    ENUMERATOR,
    SpanCell,
    cluster_positions,
    grid_table,
    is_numeric,
    join_lines,
)
from collector.extract.limits import Deadline, ExtractLimits, check_size, guarded
from collector.extract.pdf_layer import find_table_cells, page_chars, page_edges
from collector.extract.pdf_text import Line, chars_to_lines, lines_to_items, unruled_tables
from collector.models import Block, Document, Paragraph, Table

log = logging.getLogger(__name__)

TOL = 3.0  # pt: borders closer than this are the same line (pdfplumber's snap tolerance)
PAGE_GAP = 100_000.0  # global y = page * PAGE_GAP + top, so cells of stitched pages sort


@dataclass(slots=True)
class GCell:
    """A table cell in page geometry (y is global across pages)."""

    x0: float
    x1: float
    y0: float
    y1: float
    text: str
    full_end: bool = False  # the text's last line reaches the right edge (it may go on)
    confidence: float | None = None  # OCR only


@dataclass(slots=True)
class RawTable:
    cells: list[GCell]
    page: int
    index: int  # table number on its first page
    pages: list[int] = field(default_factory=list)

    @property
    def top(self) -> float:
        return min(c.y0 for c in self.cells)

    @property
    def bottom(self) -> float:
        return max(c.y1 for c in self.cells)

    @property
    def left(self) -> float:
        return min(c.x0 for c in self.cells)

    @property
    def right(self) -> float:
        return max(c.x1 for c in self.cells)

    def xs(self) -> list[float]:
        return cluster_positions([v for c in self.cells for v in (c.x0, c.x1)], TOL)

    def first_row(self) -> list[GCell]:
        top = self.top
        return sorted((c for c in self.cells if abs(c.y0 - top) <= TOL), key=lambda c: c.x0)

    def last_row(self) -> list[GCell]:
        bottom = self.bottom
        return sorted((c for c in self.cells if abs(c.y1 - bottom) <= TOL), key=lambda c: c.x0)


PageItem = RawTable | Paragraph | Line


@guarded("PDF")
def pdf_to_document(
    data: bytes,
    *,
    source_url: str | None = None,
    encoding: str | None = None,
    limits: ExtractLimits | dict[str, Any] | None = None,
) -> Document:
    """Read a PDF with a text layer; image-only PDFs go to the OCR extractor (``[ocr]`` extra)."""
    lim = ExtractLimits.resolve(limits)
    check_size(data, lim)
    deadline = Deadline(lim.max_seconds)
    pages, info = _read_pages(data, lim, deadline)
    meta: dict[str, Any] = {"pages": info.pages, **info.meta}
    if source_url:
        meta["source_url"] = source_url
    if info.scanned_pages and len(info.scanned_pages) >= max(1, info.pages - info.blank_pages) * 0.8:
        from collector.extract.ocr import scanned_pdf_to_document

        return scanned_pdf_to_document(data, source_url=source_url, limits=lim)
    warnings: list[str] = []
    if info.scanned_pages:
        warnings.append(f"pages {sorted(p + 1 for p in info.scanned_pages)} are images without a text "
                        "layer and were not read")
    blocks = stitch_pages(pages, lim)
    return Document(blocks=blocks, media_type="pdf", extractor="pypdfium2+pdfplumber", meta=meta,
                    warnings=warnings)


@dataclass(slots=True)
class PdfInfo:
    pages: int
    scanned_pages: list[int]
    blank_pages: int
    meta: dict[str, Any]


def _open(data: bytes) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e)
        if "password" in msg.lower():
            raise CorruptFile("PDF is encrypted with a password; it cannot be read") from None
        raise CorruptFile(f"PDF is damaged or not a PDF ({msg})") from None


def pdf_probe(data: bytes, limits: ExtractLimits) -> PdfInfo:
    """Page count (cap), encryption/corruption and image-only pages, without reading tables."""
    return _read_pages(data, limits, Deadline(limits.max_seconds), tables=False)[1]


def _read_pages(data: bytes, lim: ExtractLimits, deadline: Deadline,
                tables: bool = True) -> tuple[list[list[PageItem]], PdfInfo]:
    """One pass over the pages with PDFium: characters, ruling edges, tables, text lines."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = _open(data)
    pages: list[list[PageItem]] = []
    try:
        n = len(pdf)
        if n == 0:
            raise CorruptFile("PDF has no pages")
        if n > lim.max_pages:
            raise ResourceLimit(f"PDF has {n} pages (cap {lim.max_pages})")
        scanned, blank = [], 0
        for i in range(n):
            deadline.check(f"PDF page {i + 1}")
            page = pdf[i]
            try:
                height = float(page.get_height())
                tp = page.get_textpage()
                chars = page_chars(page, tp, height)
                tp.close()
                visible = sum(1 for c in chars if not c["text"].isspace())
                items: list[PageItem] = []
                if visible < lim.min_chars_per_page:
                    if any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3)):
                        scanned.append(i)
                    elif visible == 0:
                        blank += 1
                if tables and i not in scanned[-1:]:
                    items = _page_items(chars, find_table_cells(page_edges(page, height)), i, height)
                pages.append(items)
            finally:
                page.close()
        meta: dict[str, Any] = {}
        try:
            for k, v in pdf.get_metadata_dict(skip_empty=True).items():
                meta[f"pdf_{k.lower()}"] = v
        except Exception:  # noqa: BLE001 - metadata is optional
            pass
        return pages, PdfInfo(n, scanned, blank, meta)
    except pdfium.PdfiumError as e:
        raise CorruptFile(f"PDF is damaged ({e})") from None
    finally:
        pdf.close()


def _page_items(chars: list[dict[str, Any]], tables: list[list[tuple[float, float, float, float]]],
                pno: int, height: float) -> list[PageItem]:
    """One page: ruled tables as RawTables, the rest as text lines, sorted top to bottom."""
    offset = pno * PAGE_GAP
    raw: list[RawTable] = []
    claimed: set[int] = set()
    for k, cells in enumerate(tables):
        if len(cells) < 2:
            continue
        rt, used = _table_from_cells(cells, chars, offset, pno, k + 1)
        if rt is not None:
            raw.append(rt)
            claimed |= used
    rest = [c for i, c in enumerate(chars) if i not in claimed]
    lines = chars_to_lines(rest, pno, offset, height)
    items: list[PageItem] = [*raw, *lines]
    items.sort(key=lambda it: it.top)
    return items


def _table_from_cells(boxes: list[tuple[float, ...]], chars: list[dict[str, Any]], offset: float,
                      pno: int, index: int) -> tuple[RawTable | None, set[int]]:
    xs = cluster_positions([v for b in boxes for v in (b[0], b[2])], TOL)
    ys = cluster_positions([v for b in boxes for v in (b[1], b[3])], TOL)
    owner: dict[tuple[int, int], int] = {}
    for n, (x0, top, x1, bottom) in enumerate(boxes):
        c0, c1 = _idx(xs, x0), _idx(xs, x1)
        r0, r1 = _idx(ys, top), _idx(ys, bottom)
        for r in range(r0, max(r1, r0 + 1)):
            for c in range(c0, max(c1, c0 + 1)):
                owner.setdefault((r, c), n)
    per_cell: dict[int, list[dict[str, Any]]] = {}
    used: set[int] = set()
    left, right, top_, bot = xs[0], xs[-1], ys[0], ys[-1]
    for i, ch in enumerate(chars):
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        if not (left <= cx <= right and top_ <= cy <= bot):
            continue
        used.add(i)
        n = owner.get((bisect.bisect_right(ys, cy) - 1, bisect.bisect_right(xs, cx) - 1))
        if n is not None:
            per_cell.setdefault(n, []).append(ch)
    cells = []
    for n, (x0, top, x1, bottom) in enumerate(boxes):
        text, last_x1, size = _cell_text(per_cell.get(n, []))
        full = bool(text) and last_x1 >= x1 - 6.0 - 1.3 * size
        cells.append(GCell(x0, x1, top + offset, bottom + offset, text, full))
    if not cells:
        return None, used
    return RawTable(cells, pno, index, [pno]), used


def _idx(positions: list[float], v: float) -> int:
    i = bisect.bisect_left(positions, v - TOL)
    return min(i, len(positions) - 1)


def _cell_text(chars: list[dict[str, Any]]) -> tuple[str, float, float]:
    """Characters of one cell -> visual lines -> text (wrapped numbers rejoined); also the right
    end and font size of the last line, to tell a row cut by a page break."""
    if not chars:
        return "", 0.0, 0.0
    chars = sorted(chars, key=lambda c: (round(c["top"], 1), c["x0"]))
    lines: list[list[dict[str, Any]]] = []
    for ch in chars:
        size = ch.get("size") or (ch["bottom"] - ch["top"]) or 10.0
        if lines and abs(ch["top"] - lines[-1][0]["top"]) <= size * 0.5:
            lines[-1].append(ch)
        else:
            lines.append([ch])
    texts = []
    for ln in lines:
        ln.sort(key=lambda c: c["x0"])
        out, prev = "", None
        for ch in ln:
            size = ch.get("size") or 10.0
            if prev is not None and ch["x0"] - prev["x1"] > size * 0.3 and not out.endswith(" "):
                out += " "
            out += ch["text"]
            prev = ch
        texts.append(out)
    last = lines[-1]
    return join_lines(texts), max(c["x1"] for c in last), max(c.get("size") or 10.0 for c in last)


def _unruled_raw(rows: list[tuple[float, float, float, float, list[tuple[float, float, str]]]],
                 pno: int) -> RawTable:
    """Build a RawTable from word-clustered rows: (top, bottom, left, right, [(x0, x1, text)])."""
    cells = [GCell(x0, x1, top, bottom, text) for top, bottom, _, _, words in rows for x0, x1, text in words]
    pages = sorted({int(top // PAGE_GAP) for top, *_ in rows})
    return RawTable(cells, pages[0], 0, pages)


# ---------------------------------------------------------------- stitching across pages

def stitch_pages(pages: list[list[PageItem]], lim: ExtractLimits, *, unruled: bool = True) -> list[Block]:
    """Join tables (and paragraphs) that a page break cut in two; then build the blocks.

    Text lines of pages without any ruled table are searched for tables drawn without rules
    (:func:`~collector.extract.pdf_text.unruled_tables`), across page breaks too.
    """
    ruled_pages = {it.page for items in pages for it in items if isinstance(it, RawTable)}
    merged: list[PageItem] = []
    for items in pages:
        for n, item in enumerate(items):
            prev = merged[-1] if merged else None
            if n == 0 and isinstance(item, RawTable) and isinstance(prev, RawTable) and _continues(prev, item):
                _append_table(prev, item)
                continue
            merged.append(item)
    blocks: list[Block] = []
    para: list[Line] = []
    counters: dict[int, int] = {}

    def add_table(item: RawTable) -> None:
        counters[item.page] = counters.get(item.page, 0) + 1
        where = f"page {item.page + 1} table {counters[item.page]}"
        if len(item.pages) > 1:
            where += f" (continues to page {item.pages[-1] + 1})"
        table = _raw_to_table(item, where, lim)
        if table is not None:
            blocks.append(table)

    def flush() -> None:
        if not para:
            return
        plain: list[Line] = []
        segment = unruled_tables(para, para[0].page, make_table=_unruled_raw) if unruled and not (
            {ln.page for ln in para} & ruled_pages) else list(para)
        for it in segment:
            if isinstance(it, Line):
                plain.append(it)
                continue
            blocks.extend(lines_to_items(plain))
            plain.clear()
            add_table(it)
        blocks.extend(lines_to_items(plain))
        para.clear()

    for item in merged:
        if isinstance(item, Line):
            para.append(item)
            continue
        flush()
        if isinstance(item, RawTable):
            add_table(item)
        else:
            blocks.append(item)
    flush()
    return blocks


def _continues(prev: RawTable, cont: RawTable) -> bool:
    """Does ``cont`` (first item of a page) continue ``prev`` (last item of the previous page)?

    Same outer edges, column borders of one a subset of the other's, and no header of its own
    (a repeated header — the same first row — is allowed and dropped).
    """
    if cont.page != prev.pages[-1] + 1:
        return False
    if abs(prev.left - cont.left) > TOL or abs(prev.right - cont.right) > TOL:
        return False
    a, b = prev.xs(), cont.xs()
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    if not all(any(abs(x - y) <= TOL for y in big) for x in small):
        return False
    if _repeated_header_rows(prev, cont):
        return True
    return not _looks_like_header([c.text for c in cont.first_row() if c.text])


def _header_cells(rt: RawTable, k: int) -> list[GCell] | None:
    """Cells of the first ``k`` rows, or None when a cell there reaches below row ``k``."""
    starts = cluster_positions([c.y0 for c in rt.cells], TOL)
    if len(starts) <= k:
        return None
    limit = starts[k]
    cells = sorted((c for c in rt.cells if c.y0 < limit - TOL), key=lambda c: (round(c.y0), c.x0))
    if any(c.y1 > limit + TOL for c in cells):
        return None
    return cells


def _repeated_header_rows(prev: RawTable, cont: RawTable) -> int:
    """How many leading rows of ``cont`` repeat ``prev``'s header (Word's "repeat header rows")."""
    for k in (4, 3, 2, 1):
        a, b = _header_cells(prev, k), _header_cells(cont, k)
        if a and b and [c.text for c in a] == [c.text for c in b] and any(c.text for c in a):
            return k
    return 0


def _looks_like_header(texts: list[str]) -> bool:
    return len(texts) >= 2 and not any(is_numeric(t) for t in texts) and not any(
        ENUMERATOR.match(t) for t in texts)


def _append_table(prev: RawTable, cont: RawTable) -> None:
    """Move ``cont``'s cells under ``prev``; merge a row or a vertical span cut by the break."""
    k = _repeated_header_rows(prev, cont)
    if k:
        header = {id(c) for c in _header_cells(cont, k) or []}
        cont.cells = [c for c in cont.cells if id(c) not in header]
        if not cont.cells:
            prev.pages.append(cont.page)
            return
    shift = prev.bottom - cont.top
    for c in cont.cells:
        c.y0 += shift
        c.y1 += shift
    last, first = prev.last_row(), cont.first_row()
    split_row = _is_split_row(last, first)
    absorbed: set[int] = set()
    for q in first:
        p = next((p for p in last if abs(p.x0 - q.x0) <= TOL and abs(p.x1 - q.x1) <= TOL), None)
        if p is None:
            continue
        p_multirow = (p.y1 - p.y0) > _row_height(last) * 1.5
        q_multirow = (q.y1 - q.y0) > _row_height(first) * 1.5
        span_goes_on = not q.text and p.text and not is_numeric(p.text) and (p_multirow or q_multirow)
        if split_row or span_goes_on:
            p.text = join_lines([p.text, q.text])
            p.y1 = q.y1
            if q.confidence is not None:
                p.confidence = min(q.confidence, p.confidence if p.confidence is not None else 1.0)
            absorbed.add(id(q))
    prev.cells.extend(c for c in cont.cells if id(c) not in absorbed)
    prev.pages.append(cont.page)


def _row_height(row: list[GCell]) -> float:
    return min((c.y1 - c.y0 for c in row), default=1.0)


def _is_split_row(last: list[GCell], first: list[GCell]) -> bool:
    """A row broken by the page: in every column where both parts have text, the upper part's
    last line runs to the cell's right edge (the text wrapped, it did not end), and the lower
    part does not start a new template row ("（三）", "2.")."""
    shared = 0
    for q in first:
        if not q.text:
            continue
        if ENUMERATOR.match(q.text):
            return False
        p = next((p for p in last if abs(p.x0 - q.x0) <= TOL and abs(p.x1 - q.x1) <= TOL), None)
        if p is None or not p.text:
            continue
        if not p.full_end:
            return False
        shared += 1
    return shared > 0


def _raw_to_table(rt: RawTable, where: str, lim: ExtractLimits) -> Table | None:
    xs = cluster_positions([v for c in rt.cells for v in (c.x0, c.x1)], TOL)
    ys = cluster_positions([v for c in rt.cells for v in (c.y0, c.y1)], TOL)
    spans = []
    for c in rt.cells:
        c0, c1 = _idx(xs, c.x0), _idx(xs, c.x1)
        r0, r1 = _idx(ys, c.y0), _idx(ys, c.y1)
        spans.append(SpanCell(r0, c0, max(r1, r0 + 1), max(c1, c0 + 1), c.text, c.confidence))
    return grid_table(spans, where, max_cells=lim.max_cells)

