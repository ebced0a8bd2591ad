"""Scanned PDFs and images -> Document with RapidOCR (the optional ``[ocr]`` extra).

A scan has no text layer, but its tables still have ruling lines. The grid is found first by
image morphology (long horizontal / vertical ink runs, on numpy arrays via OpenCV, which the
extra already brings); missing border segments between neighbouring slots give the merged
cells. The page is OCR'd once and each text box lands in the cell holding its centre; a box
that straddles a border is re-read cell by cell. Each cell keeps the recogniser's confidence
in ``Table.confidence`` (0.0 for a cell with ink but no text), so low-confidence numbers can be
checked against the template sums downstream. The pages then go through the same stitching as
text PDFs (:func:`collector.extract.pdf_geometry.stitch_pages`). Models ship inside the wheel; nothing
is downloaded at run time.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

from collector.errors import CorruptFile, ExtractError, ResourceLimit
from collector.extract.grid import join_lines
from collector.extract.limits import Deadline, ExtractLimits, check_size, guarded
from collector.extract.pdf_geometry import PAGE_GAP, GCell, RawTable, stitch_pages
from collector.extract.pdf_text import Line, is_page_marker
from collector.models import Document, Table

OCR_EXTRA = "pip install 'xxgk-collector[ocr]'"
LOW_CONFIDENCE = 0.85


@cache
def _engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        raise ExtractError(f"scanned PDF / image needs the [ocr] extra ({OCR_EXTRA})") from None
    return RapidOCR(print_verbose=False, use_cls=False)


def ocr_available() -> bool:
    try:
        import cv2  # noqa: F401
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


@guarded("image")
def image_to_document(
    data: bytes,
    *,
    source_url: str | None = None,
    encoding: str | None = None,
    limits: ExtractLimits | dict[str, Any] | None = None,
) -> Document:
    """PNG/JPEG/TIFF/BMP/GIF/WebP (multi-page TIFF: one page per frame)."""
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
    dpi = im.info.get("dpi", (150, 150))[0] or 150
    pages = []
    try:
        for i in range(n_frames):
            im.seek(i)
            pages.extend(split_tall(_gray(im.convert("L"))))
    except (OSError, ValueError, EOFError) as e:
        raise CorruptFile(f"image could not be decoded ({e})") from None
    return _pages_to_document(pages, [float(dpi)] * len(pages), lim, "image", source_url)


@guarded("scanned PDF")
def scanned_pdf_to_document(
    data: bytes,
    *,
    source_url: str | None = None,
    encoding: str | None = None,
    limits: ExtractLimits | dict[str, Any] | None = None,
) -> Document:
    """An image-only PDF: render every page at ``ocr_dpi`` and OCR it."""
    lim = ExtractLimits.resolve(limits)
    if not ocr_available():
        raise ExtractError(f"scanned PDF needs the [ocr] extra ({OCR_EXTRA})")
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise CorruptFile(f"PDF is damaged or encrypted ({e})") from None
    pages = []
    deadline = Deadline(lim.ocr_max_seconds)
    try:
        if len(pdf) > lim.max_pages:
            raise ResourceLimit(f"PDF has {len(pdf)} pages (cap {lim.max_pages})")
        for i in range(len(pdf)):
            deadline.check(f"page {i + 1}")
            page = pdf[i]
            w, h = page.get_size()
            scale = lim.ocr_dpi / 72
            if w * h * scale * scale > lim.max_image_pixels:
                scale = (lim.max_image_pixels / (w * h)) ** 0.5
            pages.append(_gray(page.render(scale=scale, grayscale=True).to_pil().convert("L")))
            page.close()
    finally:
        pdf.close()
    return _pages_to_document(pages, [float(lim.ocr_dpi)] * len(pages), lim, "pdf", source_url)


def _gray(im: Any) -> Any:
    import numpy as np

    return np.asarray(im, dtype=np.uint8)


def split_tall(gray: Any, max_ratio: float = 1.6) -> list[Any]:
    """Cut a long image (a "长图" screenshot, stacked pages) into page-sized pieces at blank
    bands, so OCR works at full resolution; tables cut here are stitched back like page breaks."""
    h, w = gray.shape[:2]
    if h <= max_ratio * w:
        return [gray]
    blank = (gray < 170).sum(axis=1) == 0
    pieces, start = [], 0
    while h - start > max_ratio * w:
        lo, hi, target = start + int(0.7 * w), start + int(max_ratio * w), start + int(1.414 * w)
        cands = [y for y in range(lo, min(hi, h)) if blank[y]]
        cut = min(cands, key=lambda y: abs(y - target)) if cands else target
        pieces.append(gray[start:cut])
        start = cut
    pieces.append(gray[start:])
    return pieces


def _pages_to_document(pages: list[Any], dpis: list[float], lim: ExtractLimits, media_type: str,
                       source_url: str | None) -> Document:
    deadline = Deadline(lim.ocr_max_seconds)
    items_per_page = []
    for pno, (gray, dpi) in enumerate(zip(pages, dpis, strict=True)):
        deadline.check(f"OCR of page {pno + 1}")
        if dpi < 190:  # small glyphs: the recogniser does better on an upscaled page
            import cv2

            f = min(200.0 / dpi, 2.0)
            gray = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
            dpi *= f
        items_per_page.append(ocr_page(gray, pno, 72.0 / dpi, pno * PAGE_GAP))
    blocks = stitch_pages(items_per_page, lim)
    doc = Document(blocks=blocks, media_type=media_type, extractor="rapidocr",  # type: ignore[arg-type]
                   meta={"pages": len(pages), "ocr": True, **({"source_url": source_url} if source_url else {})})
    low = low_confidence_cells(doc)
    if low:
        sample = ", ".join(f"{w} r{r + 1}c{c + 1} {t!r} {p:.2f}" for w, r, c, t, p in low[:5])
        doc.warnings.append(f"OCR: {len(low)} table cells below confidence {LOW_CONFIDENCE} ({sample})")
    return doc


def low_confidence_cells(doc: Document, threshold: float = LOW_CONFIDENCE) -> list[tuple[str, int, int, str, float]]:
    """(where, row, col, text, confidence) of OCR'd cells the recogniser was unsure of — the
    parser/validator turns these into findings when the template sums do not close."""
    out = []
    for t in doc.tables:
        for (r, c), p in sorted((t.confidence or {}).items()):
            if p < threshold and (r, c) not in t.copies:
                out.append((t.where, r, c, t.rows[r][c], p))
    return out


# ---------------------------------------------------------------- one page


def ocr_page(gray: Any, pno: int, pt_per_px: float, offset: float) -> list[Any]:
    """Tables (RawTable, in points) and text lines (Line) of one page image, top to bottom."""
    engine = _engine()
    boxes = _ocr_boxes(engine, gray)
    items: list[Any] = []
    used: set[int] = set()
    heights = sorted(b[3] - b[1] for b in boxes)
    unit = heights[len(heights) // 2] if heights else gray.shape[0] / 70
    masks = _line_masks(gray, unit)
    for k, (x0, y0, x1, y1, xs, ys) in enumerate(find_grids(gray, masks)):
        cells = _grid_cells(masks, xs, ys)
        texts: dict[int, list[tuple[float, float, float, float, str, float]]] = {}
        redo: set[int] = set()
        for n, b in enumerate(boxes):
            cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            if not (x0 <= cx <= x1 and y0 <= cy <= y1):
                continue
            used.add(n)
            hits = [i for i, c in enumerate(cells) if _overlap(b, c[:4]) > 0.15 * (b[2] - b[0]) * (b[3] - b[1])]
            if len(hits) == 1:
                texts.setdefault(hits[0], []).append(b)
            else:
                redo.update(hits)
        gcells = []
        for i, (cx0, cy0, cx1, cy1) in enumerate(c[:4] for c in cells):
            found = texts.get(i, [])
            if i in redo:
                found = _ocr_boxes(engine, gray[int(cy0) + 2:int(cy1) - 1, int(cx0) + 2:int(cx1) - 1],
                                   dx=cx0 + 2, dy=cy0 + 2)
            text, conf, last_x1, size = _cell_text(found)
            if not text and _has_ink(gray, cx0, cy0, cx1, cy1):
                # the detector misses lone thin glyphs ("1"): recognise the cell as one line
                text, conf = _recognise(engine, gray[int(cy0) + 3:int(cy1) - 2, int(cx0) + 3:int(cx1) - 2])
                last_x1, size = cx1, unit
            full = bool(text) and last_x1 >= cx1 - (6.0 / pt_per_px) - 1.3 * size
            gcells.append(GCell(cx0 * pt_per_px, cx1 * pt_per_px, cy0 * pt_per_px + offset,
                                cy1 * pt_per_px + offset, text, full, conf))
        if gcells:
            items.append(RawTable(gcells, pno, k + 1, [pno]))
    h = gray.shape[0]
    rest = [b for n, b in enumerate(boxes) if n not in used]
    for line in _lines(rest):
        text = join_lines([b[4] for b in line]) if len(line) == 1 else " ".join(b[4] for b in line)
        top, bottom = min(b[1] for b in line), max(b[3] for b in line)
        if is_page_marker(text, top, h):
            continue
        size = (bottom - top) * pt_per_px
        items.append(Line(text, min(b[0] for b in line) * pt_per_px, max(b[2] for b in line) * pt_per_px,
                          top * pt_per_px + offset, bottom * pt_per_px + offset, size, pno))
    items.sort(key=lambda it: it.top)
    return items


def _ocr_boxes(engine: Any, img: Any, dx: float = 0.0, dy: float = 0.0) -> list[tuple[float, float, float, float, str, float]]:
    """(x0, y0, x1, y1, text, score) of every text line RapidOCR finds."""
    if img.size == 0 or min(img.shape[:2]) < 8:
        return []
    result, _ = engine(img)
    out = []
    for pts, text, score in result or []:
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        text = str(text).strip()
        if text:
            out.append((min(xs) + dx, min(ys) + dy, max(xs) + dx, max(ys) + dy, text, float(score)))
    return out


def _recognise(engine: Any, crop: Any) -> tuple[str, float]:
    """Recognition only (no detection) on a cell crop; ("", 0.0) when nothing readable."""
    if crop.size == 0 or min(crop.shape[:2]) < 8:
        return "", 0.0
    result, _ = engine(crop, use_det=False, use_cls=False)
    if not result:
        return "", 0.0
    text, score = str(result[0][0]).strip(), float(result[0][1])
    return (text, score) if text else ("", 0.0)


def _cell_text(boxes: list[tuple[float, float, float, float, str, float]]) -> tuple[str, float | None, float, float]:
    if not boxes:
        return "", None, 0.0, 0.0
    lines = _lines(boxes)
    text = join_lines([" ".join(b[4] for b in ln) for ln in lines])
    conf = min(b[5] for b in boxes)
    last = lines[-1]
    return text, conf, max(b[2] for b in last), max(b[3] - b[1] for b in last)


def _lines(boxes: list[tuple[float, float, float, float, str, float]]) -> list[list[tuple[float, float, float, float, str, float]]]:
    rows: list[list[tuple[float, float, float, float, str, float]]] = []
    for b in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        cy, hgt = (b[1] + b[3]) / 2, b[3] - b[1]
        if rows:
            r = rows[-1]
            rcy = sum((x[1] + x[3]) / 2 for x in r) / len(r)
            if abs(cy - rcy) < 0.5 * max(hgt, 1.0):
                r.append(b)
                continue
        rows.append([b])
    return [sorted(r, key=lambda b: b[0]) for r in rows]


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


def _has_ink(gray: Any, x0: float, y0: float, x1: float, y1: float) -> bool:
    inner = gray[int(y0) + 4:int(y1) - 3, int(x0) + 4:int(x1) - 3]
    return inner.size > 0 and float((inner < 128).mean()) > 0.01


# ---------------------------------------------------------------- grid finding


def _line_masks(gray: Any, unit: float) -> tuple[Any, Any]:
    """Ink that forms long straight runs. ``unit`` is the median OCR text-line height: a kernel
    a bit shorter than it (vertical) / over two of it (horizontal) is longer than any stroke of
    a character or a "——" dash, yet shorter than a one-line table row."""
    import cv2
    import numpy as np

    ink = (gray < 170).astype(np.uint8) * 255
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, int(2.2 * unit)), 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(12, int(0.9 * unit))))
    horiz = cv2.dilate(cv2.morphologyEx(ink, cv2.MORPH_OPEN, hk), np.ones((3, 3), np.uint8))
    vert = cv2.dilate(cv2.morphologyEx(ink, cv2.MORPH_OPEN, vk), np.ones((3, 3), np.uint8))
    vert = _touching(vert, horiz, vertical=True)
    horiz = _touching(horiz, vert, vertical=False)
    return horiz, vert


def _touching(mask: Any, other: Any, *, vertical: bool) -> Any:
    """Keep the runs of ``mask`` whose two ends meet a rule of ``other``: table borders meet at
    corners and crossings, strokes of characters end in the blank inside a cell."""
    import cv2
    import numpy as np

    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        if vertical:
            a, b = other[y:y + 4, x:x + w], other[max(y + h - 4, 0):y + h, x:x + w]
        else:
            a, b = other[y:y + h, x:x + 4], other[y:y + h, max(x + w - 4, 0):x + w]
        keep[i] = bool(a.any()) and bool(b.any())
    return np.where(keep[labels], mask, 0).astype(np.uint8)


def _peaks(profile: Any, min_count: float) -> list[float]:
    """Centres of runs of profile values >= min_count (a ruling line is a few pixels thick)."""
    out, start = [], None
    for i, v in enumerate(list(profile) + [0]):
        if v >= min_count and start is None:
            start = i
        elif v < min_count and start is not None:
            out.append((start + i - 1) / 2)
            start = None
    return out


def find_grids(gray: Any, masks: tuple[Any, Any] | None = None) -> list[tuple[int, int, int, int, list[float], list[float]]]:
    """Ruled tables on a page: (x0, y0, x1, y1, column lines, row lines) in pixels."""
    import cv2

    horiz, vert = masks if masks is not None else _line_masks(gray, gray.shape[0] / 70)
    n, _, stats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_or(horiz, vert), connectivity=8)
    grids = []
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        if w < 60 or h < 30:
            continue
        hv = (horiz[y:y + h, x:x + w] > 0).sum(axis=1)
        vv = (vert[y:y + h, x:x + w] > 0).sum(axis=0)
        ys = [y + p for p in _peaks(hv, max(20, w * 0.08))]
        xs = [x + p for p in _peaks(vv, max(10, min(h * 0.05, 40)))]
        # a table has a frame: two rules across most of its width and two down most of its height
        frame = len(_peaks(hv, w * 0.6)) >= 2 and len(_peaks(vv, h * 0.6)) >= 2
        if frame and len(xs) >= 2 and len(ys) >= 2:
            grids.append((int(x), int(y), int(x + w), int(y + h), xs, ys))
    grids.sort(key=lambda g: g[1])
    return grids


def _grid_cells(masks: tuple[Any, Any], xs: list[float], ys: list[float]) -> list[tuple[float, float, float, float]]:
    """Slots between ruling lines, united where the border between them is missing (a merge)."""
    horiz, vert = masks
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def border(mask: Any, x0: float, y0: float, x1: float, y1: float) -> bool:
        seg = mask[int(y0):int(y1) + 1, int(x0):int(x1) + 1]
        return seg.size > 0 and float((seg > 0).mean()) > 0.5

    for r in range(nr):
        for c in range(nc):
            pad_y = (ys[r + 1] - ys[r]) * 0.2
            pad_x = (xs[c + 1] - xs[c]) * 0.2
            if c + 1 < nc and not border(vert, xs[c + 1] - 1, ys[r] + pad_y, xs[c + 1] + 1, ys[r + 1] - pad_y):
                parent[find(r * nc + c + 1)] = find(r * nc + c)
            if r + 1 < nr and not border(horiz, xs[c] + pad_x, ys[r + 1] - 1, xs[c + 1] - pad_x, ys[r + 1] + 1):
                parent[find((r + 1) * nc + c)] = find(r * nc + c)
    groups: dict[int, list[int]] = {}
    for s in range(nr * nc):
        groups.setdefault(find(s), []).append(s)
    cells = []
    for slots in groups.values():
        rs = [s // nc for s in slots]
        cs = [s % nc for s in slots]
        cells.append((xs[min(cs)], ys[min(rs)], xs[max(cs) + 1], ys[max(rs) + 1]))
    cells.sort(key=lambda c: (c[1], c[0]))
    return cells


def ocr_suspect_cells(table: Table, threshold: float = LOW_CONFIDENCE) -> list[tuple[int, int]]:
    """Slots of one table whose OCR confidence is below ``threshold``."""
    return [rc for rc, p in (table.confidence or {}).items() if p < threshold]
