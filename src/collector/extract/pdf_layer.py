"""Page geometry from pypdfium2: characters with boxes and the ruling edges of tables.

pdfminer (under pdfplumber) parses a content stream in pure Python at ~15 pages/s; PDFium does
it in C. This module reads the same two things pdfplumber's table finder needs — characters
(``text, x0, x1, top, bottom, size``) and straight path segments as edges — through PDFium's C
API, then runs pdfplumber's own lines-strategy chain (snap/join edges, intersections, cells,
tables), so the table logic stays pdfplumber's and a page costs a few milliseconds.
Coordinates follow pdfplumber: points, origin top-left.
"""

from __future__ import annotations

import ctypes
from typing import Any

SNAP = 3.0  # pdfplumber's default snap/join/intersection tolerance
MIN_EDGE = 3.0
MAX_EDGES = 6000


def page_chars(page: Any, textpage: Any, height: float) -> list[dict[str, Any]]:
    """Every non-generated character with its loose box (font ascent..descent) and size."""
    import pypdfium2.raw as c

    tp = textpage.raw
    n = c.FPDFText_CountChars(tp)
    rect = c.FS_RECTF()
    out: list[dict[str, Any]] = []
    for i in range(n):
        if c.FPDFText_IsGenerated(tp, i) == 1:
            continue
        u = c.FPDFText_GetUnicode(tp, i)
        if u in (0, 0xFFFE, 0xFFFF, 0x0D, 0x0A, 0x02):
            continue
        if not c.FPDFText_GetLooseCharBox(tp, i, ctypes.byref(rect)):
            continue
        x0, x1 = min(rect.left, rect.right), max(rect.left, rect.right)
        top, bottom = height - max(rect.top, rect.bottom), height - min(rect.top, rect.bottom)
        if x1 - x0 <= 0 and u != 0x20:
            continue
        size = c.FPDFText_GetFontSize(tp, i) or (bottom - top)
        out.append({"text": chr(u) if u < 0x110000 else "\ufffd", "x0": x0, "x1": x1, "top": top,
                    "bottom": bottom, "size": float(size)})
    return out


def page_edges(page: Any, height: float) -> list[dict[str, Any]]:
    """Horizontal and vertical segments of every path (also inside Form XObjects), as
    pdfplumber edge dicts. Curves and slanted segments are ignored, as in its lines strategy."""
    import pypdfium2.raw as c

    edges: list[dict[str, Any]] = []
    identity = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    stack = [(c.FPDFPage_GetObject(page.raw, i), identity) for i in range(c.FPDFPage_CountObjects(page.raw))]
    seen = 0
    while stack and seen < 200_000:  # hostile pages can hold millions of objects
        obj, outer = stack.pop()
        seen += 1
        kind = c.FPDFPageObj_GetType(obj)
        if kind == c.FPDF_PAGEOBJ_FORM:
            m = _matrix(obj)
            inner = _compose(m, outer)
            stack.extend((c.FPDFFormObj_GetObject(obj, k), inner) for k in range(c.FPDFFormObj_CountObjects(obj)))
        elif kind == c.FPDF_PAGEOBJ_PATH:
            edges.extend(_path_edges(obj, _compose(_matrix(obj), outer), height))
    return edges


def find_table_cells(edges: list[dict[str, Any]]) -> list[list[tuple[float, float, float, float]]]:
    """pdfplumber's lines strategy on pre-extracted edges: one list of cell bboxes per table."""
    from pdfplumber import table as T
    from pdfplumber.utils import filter_edges

    edges = filter_edges(edges, min_length=1)
    edges = T.merge_edges(edges, SNAP, SNAP, SNAP, SNAP)
    edges = filter_edges(edges, min_length=MIN_EDGE)
    if not edges or len(edges) > MAX_EDGES:  # intersections are O(h*v): no table on a hatched page
        return []
    cells = T.intersections_to_cells(T.edges_to_intersections(edges, SNAP, SNAP))
    return [list(group) for group in T.cells_to_tables(cells)]


def _matrix(obj: Any) -> tuple[float, float, float, float, float, float]:
    import pypdfium2.raw as c

    m = c.FS_MATRIX()
    if not c.FPDFPageObj_GetMatrix(obj, ctypes.byref(m)):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: tuple[float, ...], outer: tuple[float, ...]) -> tuple[float, float, float, float, float, float]:
    """``inner`` then ``outer`` (PDF row-vector convention: p' = p * inner * outer)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer  # noqa: N806
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _path_edges(obj: Any, m: tuple[float, ...], height: float) -> list[dict[str, Any]]:
    import pypdfium2.raw as c

    n = c.FPDFPath_CountSegments(obj)
    if n <= 0 or n > 5000:
        return []
    x, y = ctypes.c_float(), ctypes.c_float()
    pts: list[tuple[float, float]] = []
    start: tuple[float, float] | None = None
    segs: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for k in range(n):
        seg = c.FPDFPath_GetPathSegment(obj, k)
        if not c.FPDFPathSegment_GetPoint(seg, ctypes.byref(x), ctypes.byref(y)):
            continue
        px, py = x.value, y.value
        p = (m[0] * px + m[2] * py + m[4], m[1] * px + m[3] * py + m[5])
        kind = c.FPDFPathSegment_GetType(seg)
        if kind == c.FPDF_SEGMENT_MOVETO or not pts:
            start = p
        elif kind == c.FPDF_SEGMENT_LINETO:
            segs.append((pts[-1], p))
        pts.append(p)
        if c.FPDFPathSegment_GetClose(seg) and start is not None and start != p:
            segs.append((p, start))
    out = []
    for (x0, y0), (x1, y1) in segs:
        if abs(y0 - y1) < 0.5 and abs(x1 - x0) >= 1:
            lo, hi = min(x0, x1), max(x0, x1)
            top = height - y0
            out.append({"x0": lo, "x1": hi, "top": top, "bottom": top, "width": hi - lo, "height": 0.0,
                        "orientation": "h", "object_type": "line"})
        elif abs(x0 - x1) < 0.5 and abs(y1 - y0) >= 1:
            top, bottom = height - max(y0, y1), height - min(y0, y1)
            out.append({"x0": x0, "x1": x0, "top": top, "bottom": bottom, "width": 0.0, "height": bottom - top,
                        "orientation": "v", "object_type": "line"})
    return out
