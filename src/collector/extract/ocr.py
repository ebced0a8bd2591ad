"""Scanned PDFs and images -> Document, with OCR (the optional ``[ocr]`` extra).

A page goes through :mod:`~collector.extract.scan_prep` (seal removal, flat background, deskew,
binarisation), then :mod:`~collector.extract.scan_grid` finds the ruled tables and their cells.
Each cell's text lines are cut from the cleaned grey page and recognised one by one
(:mod:`~collector.extract.ocr_engine`; no detector needed where the cell boxes are known), so a
lone "1" is never missed and a number never picks up a neighbour's digit. Text outside tables
(title, headings, narrative, signature) comes from the text detector run on a ~110 dpi copy. A
page where no ruled grid is found (rules too faint, a borderless table) still gets its tables:
the detected text boxes, split at wide gaps, are laid out in rows and columns like a PDF text
layer (:func:`~collector.extract.pdf_text.unruled_tables`), keeping each word's confidence.

Every table cell keeps the recogniser's confidence (its least certain character) in
``Table.confidence`` — 0.0 for a cell with ink but no readable text — and rule 16
(:mod:`collector.validate.ocr`) names the doubtful ones. Pages are then stitched like text PDFs
(:func:`collector.extract.pdf_geometry.stitch_pages`). Models ship inside the wheel; nothing is downloaded.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from collector.errors import CorruptFile, ExtractError, ResourceLimit
from collector.extract.grid import join_lines
from collector.extract.limits import Deadline, ExtractLimits, check_size, guarded
from collector.extract.ocr_engine import OCR_EXTRA, OcrEngine, Reading, engine, ocr_available
from collector.extract.pdf_geometry import PAGE_GAP, GCell, RawTable, stitch_pages
from collector.extract.pdf_text import Line, is_page_marker, unruled_tables
from collector.extract.scan_grid import cell_lines, find_grids, grid_cells, line_masks
from collector.extract.scan_prep import PreparedPage, binarise, lift_grey_seals, prepare_page
from collector.models import OCR_LOW_CONFIDENCE as LOW_CONFIDENCE
from collector.models import Document

__all__ = ["image_to_document", "low_confidence_cells", "ocr_available", "ocr_page", "scanned_pdf_to_document",
           "split_tall"]

DETECT_DPI = 110.0
A4_WIDTH_IN = 8.27

Box = tuple[float, float, float, float]


@guarded("image")
def image_to_document(
    data: bytes,
    *,
    source_url: str | None = None,
    encoding: str | None = None,
    limits: ExtractLimits | dict[str, Any] | None = None,
) -> Document:
    """PNG/JPEG/TIFF/BMP/GIF/WebP (multi-page TIFF: one page per frame; a long image is cut
    into pages at blank bands)."""
    lim = ExtractLimits.resolve(limits)
    check_size(data, lim)
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise ExtractError(f"an image document needs the [ocr] extra ({OCR_EXTRA})") from None

    try:
        im = Image.open(io.BytesIO(data))
        w, h = im.size
    except Image.DecompressionBombError as e:
        raise ResourceLimit(f"image is over the pixel cap ({e})") from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise CorruptFile(f"image could not be read ({e})") from None
    if w * h > lim.max_image_pixels:
        raise ResourceLimit(f"image of {w}x{h} pixels is over the {lim.max_image_pixels} pixel cap")
    n_frames = getattr(im, "n_frames", 1)
    if n_frames > lim.max_pages:
        raise ResourceLimit(f"image has {n_frames} frames (cap {lim.max_pages})")
    if not ocr_available():
        raise ExtractError(f"an image document needs the [ocr] extra ({OCR_EXTRA})")
    pages: list[tuple[Any, float]] = []
    try:
        for i in range(n_frames):
            im.seek(i)
            arr = _array(im)
            dpi = image_dpi(im.info.get("dpi"), arr.shape[1])
            pages.extend((piece, dpi) for piece in split_tall(arr))
    except (OSError, ValueError, EOFError) as e:
        raise CorruptFile(f"image could not be decoded ({e})") from None
    if len(pages) > lim.max_pages:
        raise ResourceLimit(f"image holds {len(pages)} pages (cap {lim.max_pages})")
    return _pages_to_document(iter(pages), lim, "image", source_url)


@guarded("scanned PDF")
def scanned_pdf_to_document(
    data: bytes,
    *,
    source_url: str | None = None,
    encoding: str | None = None,
    limits: ExtractLimits | dict[str, Any] | None = None,
) -> Document:
    """An image-only PDF: render every page at ``ocr_dpi`` (in colour: a red seal is told
    apart by its colour) and OCR it."""
    lim = ExtractLimits.resolve(limits)
    if not ocr_available():
        raise ExtractError(f"scanned PDF needs the [ocr] extra ({OCR_EXTRA})")
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise CorruptFile(f"PDF is damaged or encrypted ({e})") from None
    try:
        if len(pdf) > lim.max_pages:
            raise ResourceLimit(f"PDF has {len(pdf)} pages (cap {lim.max_pages})")

        def pages() -> Iterator[tuple[Any, float]]:  # one page in memory at a time
            for i in range(len(pdf)):
                page = pdf[i]
                w, h = page.get_size()
                scale = lim.ocr_dpi / 72
                if w * h * scale * scale > lim.max_image_pixels:
                    scale = (lim.max_image_pixels / (w * h)) ** 0.5
                img = _array(page.render(scale=scale).to_pil())
                page.close()
                yield img, scale * 72

        return _pages_to_document(pages(), lim, "pdf", source_url)
    finally:
        pdf.close()


def image_dpi(meta: Any, width_px: int) -> float:
    """The scan's resolution: the file's own dpi when it fits a page 5-12 inches wide (phone
    photos and screenshots often say 72 or nothing), else the width of an A4 page."""
    try:
        dpi = float(meta[0]) if meta else 0.0
    except (TypeError, ValueError, IndexError):
        dpi = 0.0
    if 90 <= dpi <= 600 and 5.0 <= width_px / dpi <= 12.0:
        return dpi
    return max(72.0, min(600.0, width_px / A4_WIDTH_IN))


def _array(im: Any) -> Any:
    """uint8 array: RGB when the image has colour (a red seal), else grey."""
    import numpy as np

    if im.mode in ("L", "1", "I", "I;16", "F", "LA"):
        return np.asarray(im.convert("L"), dtype=np.uint8)
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def split_tall(img: Any, max_ratio: float = 1.6) -> list[Any]:
    """Cut a long image (a "长图" screenshot, stacked pages) into page-sized pieces at blank
    bands, so OCR works at full resolution; tables cut here are stitched back like page breaks."""
    h, w = img.shape[:2]
    if h <= max_ratio * w:
        return [img]
    dark = img.min(axis=2) if img.ndim == 3 else img
    blank = (dark < 170).sum(axis=1) == 0
    pieces, start = [], 0
    while h - start > max_ratio * w:
        lo, hi, target = start + int(0.7 * w), start + int(max_ratio * w), start + int(1.414 * w)
        cands = [y for y in range(lo, min(hi, h)) if blank[y]]
        cut = min(cands, key=lambda y: abs(y - target)) if cands else target
        pieces.append(img[start:cut])
        start = cut
    pieces.append(img[start:])
    return pieces


def _pages_to_document(pages: Iterator[tuple[Any, float]], lim: ExtractLimits, media_type: str,
                       source_url: str | None) -> Document:
    """OCR ``(image, dpi)`` pages one by one (within ``ocr_max_seconds``) and stitch them."""
    deadline = Deadline(lim.ocr_max_seconds)
    eng = engine()
    items_per_page = []
    angles = []
    for pno, (img, dpi) in enumerate(pages):
        deadline.check(f"OCR of page {pno + 1}")
        items, prep = ocr_page(img, dpi, pno, pno * PAGE_GAP, eng)
        items_per_page.append(items)
        angles.append(prep.angle)
    blocks = stitch_pages(items_per_page, lim, unruled=False)
    meta: dict[str, Any] = {"pages": len(items_per_page), "ocr": True, "deskew_degrees": angles}
    if source_url:
        meta["source_url"] = source_url
    doc = Document(blocks=blocks, media_type=media_type, extractor="rapidocr", meta=meta)  # type: ignore[arg-type]
    low = low_confidence_cells(doc)
    if low:
        sample = ", ".join(f"{w} r{r + 1}c{c + 1} {t!r} {p:.2f}" for w, r, c, t, p in low[:5])
        doc.warnings.append(f"OCR: {len(low)} table cells below confidence {LOW_CONFIDENCE} ({sample})")
    return doc


def low_confidence_cells(doc: Document, threshold: float = LOW_CONFIDENCE) -> list[tuple[str, int, int, str, float]]:
    """(where, row, col, text, confidence) of OCR'd cells the recogniser was unsure of."""
    out = []
    for t in doc.tables:
        for (r, c), p in sorted((t.confidence or {}).items()):
            if p < threshold and (r, c) not in t.copies:
                out.append((t.where, r, c, t.rows[r][c], p))
    return out


# ---------------------------------------------------------------- one page


def ocr_page(img: Any, dpi: float, pno: int, offset: float, eng: OcrEngine | None = None) -> tuple[list[Any], PreparedPage]:
    """Tables (RawTable, in points) and text lines (Line) of one page image, top to bottom."""
    import cv2

    eng = eng or engine()
    prep = prepare_page(img, dpi)
    pt = 72.0 / dpi
    boxes = eng.detect(prep.gray, min(1.0, DETECT_DPI / dpi))
    heights = sorted(b[3] - b[1] for b in boxes)
    unit = heights[len(heights) // 2] if heights else dpi * 0.16
    masks = line_masks(prep.gray, unit, boxes)
    if not prep.seal_pixels:  # a grey scan: a seal is lifted by its shape, the rules kept
        lifted, n = lift_grey_seals(prep.gray, dpi, keep=cv2.bitwise_or(masks[0], masks[1]))
        if n:  # the seal's characters and ring misled the detector: look again without them
            prep = PreparedPage(lifted, binarise(lifted, dpi), prep.angle, n)
            boxes = eng.detect(prep.gray, min(1.0, DETECT_DPI / dpi))
    grids = find_grids(masks)
    items: list[Any] = []
    for k, g in enumerate(grids):
        table = _read_grid(prep, masks, g, unit, eng, pno, k, pt, offset)
        if table is not None:
            items.append(table)
    outside = [b for b in boxes if not any(g.x0 - 2 <= (b[0] + b[2]) / 2 <= g.x1 + 2 and
                                           g.y0 - 2 <= (b[1] + b[3]) / 2 <= g.y1 + 2 for g in grids)]
    ink = prep.ink
    if grids:  # words are looked for outside the tables only
        ink = ink.copy()
        for g in grids:
            ink[max(g.y0 - 2, 0):g.y1 + 3, max(g.x0 - 2, 0):g.x1 + 3] = 0
    lines, word_conf = _text_lines(PreparedPage(prep.gray, ink, prep.angle, prep.seal_pixels), masks, outside,
                                   unit, eng, pno, pt, offset)
    if grids:
        items.extend(lines)
    else:  # no ruled table on the page: rows and columns from the text boxes
        items.extend(unruled_tables(lines, pno, make_table=lambda rows, p: _unruled_table(rows, p, word_conf)))
    items.sort(key=lambda it: it.top)
    return items, prep


def _read_grid(prep: PreparedPage, masks: tuple[Any, Any], g: Any, unit: float, eng: OcrEngine, pno: int,
               k: int, pt: float, offset: float) -> Any:
    gcells = []
    for cell in grid_cells(masks, g):
        cx0, cy0, cx1, cy1 = cell
        lines = cell_lines(prep.ink, cell, unit, masks)
        inner = _inside(cell, unit)
        readings = eng.read([_crop(prep.gray, ln, inner) for ln in lines])
        text = join_lines([r.text for r in readings])
        conf = min((r.confidence for r in readings), default=None)
        if lines and not text:
            conf = 0.0  # ink that reads as nothing: say so
        full = bool(text) and lines[-1][2] >= cx1 - 6.0 / pt - 1.3 * unit
        gcells.append(GCell(cx0 * pt, cx1 * pt, cy0 * pt + offset, cy1 * pt + offset, text, full, conf))
    return RawTable(gcells, pno, k + 1, [pno]) if gcells else None


def _inside(cell: Box, unit: float) -> Box:
    """A cell without its border rules (their centre lines are the cell's edges)."""
    t = max(2.0, 0.08 * unit)
    return (cell[0] + t, cell[1] + t, cell[2] - t, cell[3] - t)


def _crop(gray: Any, box: Box, clip: Box | None = None) -> Any:
    """A grey line crop with a margin of a third of its height, kept inside ``clip`` (a cell
    without its borders: a rule inside the crop would read as "1" or "|")."""
    import numpy as np

    x0, y0, x1, y1 = box
    m = max(2.0, (y1 - y0) * 0.3)
    X0, Y0, X1, Y1 = x0 - m, y0 - m, x1 + m, y1 + m
    if clip is not None:
        X0, Y0, X1, Y1 = max(X0, clip[0]), max(Y0, clip[1]), min(X1, clip[2]), min(Y1, clip[3])
    h, w = gray.shape
    X0, Y0 = max(int(X0), 0), max(int(Y0), 0)
    X1, Y1 = min(int(np.ceil(X1)), w), min(int(np.ceil(Y1)), h)
    return gray[Y0:Y1, X0:X1].copy()


def _text_lines(prep: PreparedPage, masks: tuple[Any, Any], boxes: list[Box], unit: float, eng: OcrEngine,
                pno: int, pt: float, offset: float) -> tuple[list[Line], dict[tuple[int, int], list[tuple[float, float]]]]:
    """Visual lines outside the ruled tables: the detector says where the lines are, the ink
    on each line says where its words are (a lone "—" or "1" the detector skipped included),
    one crop per word. ``word_conf`` maps (line top, 0) to (word centre, confidence) in points
    for the borderless-table fallback."""
    page_h = prep.gray.shape[0]
    word_conf: dict[tuple[int, int], list[tuple[float, float]]] = {}
    lines: list[Line] = []
    rows = _rows(boxes, unit)
    bands = [_band(r) for r in rows]
    for row, band, found in zip(rows, bands, line_words(prep.ink, masks, bands, unit), strict=True):
        pieces = found or [(b, False) for b in row]
        crops = [_crop(prep.gray, box) for box, dash in pieces if not dash]
        readings = iter(eng.read(crops))
        words = []
        for box, dash in pieces:
            r = Reading("—", 1.0, [], True) if dash else next(readings)
            if r.text:
                words.append((box, r))
        if not words:
            continue
        text = " ".join(r.text for _, r in words)
        top, bottom = band
        if is_page_marker(text, top, page_h):
            continue
        size = (bottom - top) * pt / 1.4  # the detector's box is ~1.4 times the font size
        ln = Line(text, words[0][0][0] * pt, max(b[2] for b, _ in words) * pt, top * pt + offset,
                  bottom * pt + offset, size, pno, [(b[0] * pt, b[2] * pt, r.text) for b, r in words])
        word_conf[(int(ln.top), 0)] = [((b[0] + b[2]) / 2 * pt, r.confidence) for b, r in words]
        lines.append(ln)
    return lines, word_conf


def _rows(boxes: list[Box], unit: float) -> list[list[Box]]:
    """Boxes grouped into visual lines (centres within half a text line of the line's first
    box), left to right."""
    rows: list[list[Box]] = []
    for b in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        cy = (b[1] + b[3]) / 2
        if rows and abs(cy - (rows[-1][0][1] + rows[-1][0][3]) / 2) < 0.5 * unit:
            rows[-1].append(b)
        else:
            rows.append([b])
    return [sorted(r, key=lambda b: b[0]) for r in rows]


def _band(row: list[Box]) -> tuple[float, float]:
    """The vertical extent of one visual line: its median centre ± half its median height (a
    box the detector drew over two lines does not stretch it)."""
    cys = sorted((b[1] + b[3]) / 2 for b in row)
    hs = sorted(b[3] - b[1] for b in row)
    cy, h = cys[len(cys) // 2], hs[len(hs) // 2]
    return cy - h / 2, cy + h / 2


def line_words(ink: Any, masks: tuple[Any, Any], bands: list[tuple[float, float]], unit: float
               ) -> list[list[tuple[Box, bool]]]:
    """The words of each text line ``bands[i]`` = (y0, y1): ``(box, is_dash)`` left to right.

    Ink components (rules, specks and anything taller than two lines — a seal's ring, a
    picture — left out) go to the line whose centre is nearest to theirs, if it lies inside
    that line; they group into words split where the blank between them is wider than 0.8
    line heights (a table column, or a wide space). A word is cut at its line's full height,
    so a dot keeps its size and place; a word that is one thin horizontal bar is the blank
    dash "—" and needs no recognition (read alone, the model calls it "一", "-" or even "1").
    """
    import cv2
    import numpy as np

    out: list[list[tuple[Box, bool]]] = [[] for _ in bands]
    if not bands:
        return out
    clean = cv2.bitwise_and(ink, cv2.bitwise_not(cv2.bitwise_or(masks[0], masks[1])))
    n, _, stats, cents = cv2.connectedComponentsWithStats(clean, connectivity=8)
    centres = np.array([(a + b) / 2 for a, b in bands])
    min_area = max(4, int((unit * 0.12) ** 2))
    per_band: list[list[tuple[int, int, int, int]]] = [[] for _ in bands]
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        if h > 2 * unit or (area < min_area and max(w, h) < unit * 0.3):
            continue
        k = int(np.abs(centres - cents[i][1]).argmin())
        if bands[k][0] <= cents[i][1] <= bands[k][1]:
            per_band[k].append((x, y, x + w, y + h))
    for k, comps in enumerate(per_band):
        y0, y1 = bands[k]
        h = max(y1 - y0, 1.0)
        words: list[list[int]] = []
        for x0, cy0, x1, cy1 in sorted(comps):
            if words and x0 - words[-1][2] <= 0.8 * h:
                w = words[-1]
                w[1], w[2], w[3], w[4] = min(w[1], cy0), max(w[2], x1), max(w[3], cy1), w[4] + 1
            else:
                words.append([x0, cy0, x1, cy1, 1])
        for x0, cy0, x1, cy1, parts in words:
            dash = parts == 1 and (cy1 - cy0) <= 0.2 * h and (x1 - x0) >= 2 * (cy1 - cy0)
            out[k].append(((float(x0), float(y0), float(x1), float(y1)), dash))
    return out


def _unruled_table(rows: list[tuple[float, float, float, float, list[tuple[float, float, str]]]], pno: int,
                   word_conf: dict[tuple[int, int], list[tuple[float, float]]]) -> Any:
    """A borderless table's RawTable with each cell's confidence: the least certain word whose
    centre falls inside the cell, on a line that starts inside the cell's row."""
    cells = []
    for top, bottom, _, _, words in rows:
        line_words = [w for (t, _), ws in word_conf.items() if top - 0.5 <= t < bottom for w in ws]
        for x0, x1, text in words:
            confs = [c for x, c in line_words if x0 <= x < x1]
            cells.append(GCell(x0, x1, top, bottom, text, False, min(confs) if text and confs else None))
    pages = sorted({int(top // PAGE_GAP) for top, *_ in rows})
    return RawTable(cells, pages[0] if pages else pno, 0, pages or [pno])
