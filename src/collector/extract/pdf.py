"""PDF -> Document: ruled cell grids, stitched across pages, text in reading order.

Why not just ``page.extract_text()``: a report table's text layer scrambles columns (see the
伊宁 sample), so tables are rebuilt from their ruling lines: pdfplumber's table finder turns the
edges into cell rectangles, the rectangles give the merged-cell spans, and the characters
inside each rectangle give its text (a number wrapped in a narrow cell, ``196`` / ``5``, is
joined back). PDFium supplies the characters and edges (:mod:`.pdf_layer`, ~5x faster than
pdfminer), tells a scan from a text PDF and refuses encrypted or broken files cleanly.
LibreOffice and Word break long tables — and single rows — across pages, so the pieces are
stitched when the next page starts with a table of the same geometry (:mod:`.pdf_geometry`, shared
with the OCR extractor); tables drawn without rules fall back to word columns (:mod:`.pdf_text`).
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass
from typing import Any

from collector.errors import CorruptFile, ResourceLimit
from collector.extract.grid import cluster_positions, join_lines
from collector.extract.limits import Deadline, ExtractLimits, check_size, guarded
from collector.extract.pdf_geometry import PAGE_GAP, TOL, GCell, PageItem, RawTable, snap_index, stitch_pages
from collector.extract.pdf_layer import find_table_cells, page_chars, page_edges
from collector.extract.pdf_text import chars_to_lines
from collector.models import Document

log = logging.getLogger(__name__)


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
        c0, c1 = snap_index(xs, x0), snap_index(xs, x1)
        r0, r1 = snap_index(ys, top), snap_index(ys, bottom)
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
