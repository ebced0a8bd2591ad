"""PDF page geometry shared by the text-layer and OCR extractors: cells on pages -> stitched tables.

Both :mod:`.pdf` (cells from ruling lines and the text layer) and :mod:`.ocr` (cells from a page
image) describe a page as :class:`RawTable` cells and text :class:`~.pdf_text.Line` s in points,
with y global across pages (``page * PAGE_GAP + top``). :func:`stitch_pages` then joins the
tables a page break cut in two (LibreOffice and Word break long tables — and single rows — across
pages) and turns everything into :class:`~collector.models.Document` blocks. Kept apart so
neither extractor imports the other for it (no import cycle).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from collector.extract.grid import ENUMERATOR, SpanCell, cluster_positions, grid_table, is_numeric, join_lines
from collector.extract.limits import ExtractLimits
from collector.extract.pdf_text import Line, lines_to_items, unruled_tables
from collector.models import Block, Paragraph, Table

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


def snap_index(positions: list[float], v: float) -> int:
    i = bisect.bisect_left(positions, v - TOL)
    return min(i, len(positions) - 1)


def unruled_raw(rows: list[tuple[float, float, float, float, list[tuple[float, float, str]]]],
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
        segment = unruled_tables(para, para[0].page, make_table=unruled_raw) if unruled and not (
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
        c0, c1 = snap_index(xs, c.x0), snap_index(xs, c.x1)
        r0, r1 = snap_index(ys, c.y0), snap_index(ys, c.y1)
        spans.append(SpanCell(r0, c0, max(r1, r0 + 1), max(c1, c0 + 1), c.text, c.confidence))
    return grid_table(spans, where, max_cells=lim.max_cells)
