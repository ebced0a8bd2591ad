"""Cell-grid helpers shared by the PDF, DOCX, XLSX and OCR extractors.

Every format ends in the same place: a list of merged cells, each covering a rectangle of grid
slots, to be turned into a :class:`~collector.models.Table` (origin text copied into every slot,
copies marked). Drawing tools leave phantom grid columns (a 0.3 mm sliver between two
misaligned borders, an empty spacer column) that would shift "the 7 numbers after the label";
:func:`collapse_grid` removes them before the parser sees the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from collector.models import Table

_NUM_FRAGMENT = re.compile(r"^[+\-−－]?[\d,，.．]+%?$")
NUMERIC = re.compile(r"^[+\-−－]?\d[\d,，]*(?:[.．]\d+)?%?(?:元|万元|件|项|个)?$")
# row labels of the template start with an ordinal: 一、 （一） 1. 2．
ENUMERATOR = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[)）]|\d+[.．、])")


@dataclass(slots=True)
class SpanCell:
    """A merged cell covering rows ``r0..r1-1`` and columns ``c0..c1-1``."""

    r0: int
    c0: int
    r1: int
    c1: int
    text: str
    confidence: float | None = None


def is_numeric(text: str) -> bool:
    return bool(NUMERIC.match(text.strip()))


def join_lines(lines: list[str]) -> str:
    """Join the visual lines of one cell/paragraph: a number wrapped in a narrow cell
    (``196`` / ``5``) becomes ``1965``; CJK lines join without a space, Latin words with one."""
    parts = [ln.strip() for ln in lines if ln and ln.strip()]
    if not parts:
        return ""
    if len(parts) > 1 and all(_NUM_FRAGMENT.match(p) for p in parts):
        return "".join(parts)
    out = parts[0]
    for p in parts[1:]:
        if out[-1].isascii() and out[-1].isalpha() and p[0].isascii() and p[0].isalnum():
            out += " " + p
        else:
            out += p
    return out


def cells_to_table(cells: list[SpanCell], where: str = "") -> Table:
    """Place merged cells on a rectangular grid; the first cell claiming a slot wins."""
    nrows = max((c.r1 for c in cells), default=0)
    ncols = max((c.c1 for c in cells), default=0)
    rows = [[""] * ncols for _ in range(nrows)]
    taken = [[False] * ncols for _ in range(nrows)]
    copies: set[tuple[int, int]] = set()
    conf: dict[tuple[int, int], float] = {}
    for cell in sorted(cells, key=lambda c: (c.r0, c.c0)):
        for r in range(cell.r0, cell.r1):
            for c in range(cell.c0, cell.c1):
                if taken[r][c]:
                    continue
                taken[r][c] = True
                rows[r][c] = cell.text
                if (r, c) != (cell.r0, cell.c0):
                    copies.add((r, c))
                if cell.confidence is not None:
                    conf[(r, c)] = cell.confidence
    return Table(rows=rows, copies=copies, where=where, confidence=conf or None)


def collapse_grid(cells: list[SpanCell]) -> list[SpanCell]:
    """Drop phantom columns and rows, shrinking the spans that covered them.

    A column is phantom when no single-column cell with text sits in it (empty in every row or
    only ever covered by spans); a text cell spanning only phantom columns keeps its first one,
    so no text is lost. A row is phantom when no cell with text starts in it.
    """
    texted = [c for c in cells if c.text.strip()]
    keep_cols = {c.c0 for c in texted if c.c1 - c.c0 == 1}
    for c in texted:
        if not any(k in keep_cols for k in range(c.c0, c.c1)):
            keep_cols.add(c.c0)
    keep_rows = {c.r0 for c in texted}
    col_map = _rank_map(keep_cols, max((c.c1 for c in cells), default=0))
    row_map = _rank_map(keep_rows, max((c.r1 for c in cells), default=0))
    out: list[SpanCell] = []
    for c in cells:
        r0, r1, c0, c1 = row_map[c.r0], row_map[c.r1], col_map[c.c0], col_map[c.c1]
        if r1 > r0 and c1 > c0:
            out.append(SpanCell(r0, c0, r1, c1, c.text, c.confidence))
    return out


def _rank_map(keep: set[int], size: int) -> list[int]:
    """``m[i]`` = number of kept lines before line i (so a range [a, b) maps to [m[a], m[b]))."""
    m = [0] * (size + 1)
    for i in range(size):
        m[i + 1] = m[i] + (i in keep)
    return m


def grid_table(cells: list[SpanCell], where: str = "", *, max_cells: int | None = None) -> Table | None:
    """Collapse and place; None when nothing with text is left."""
    if max_cells is not None:
        area = max((c.r1 for c in cells), default=0) * max((c.c1 for c in cells), default=0)
        if area > max_cells:
            from collector.errors import ResourceLimit

            raise ResourceLimit(f"table with {area} cells is over the {max_cells} cell cap")
    cells = collapse_grid(cells)
    if not any(c.text.strip() for c in cells):
        return None
    return cells_to_table(cells, where)


def cluster_positions(values: list[float], tol: float) -> list[float]:
    """Merge coordinates closer than ``tol`` (misaligned borders) into their mean."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def nearest_index(positions: list[float], v: float) -> int:
    """Index of the clustered coordinate nearest to ``v``."""
    import bisect

    i = bisect.bisect_left(positions, v)
    if i == 0:
        return 0
    if i == len(positions):
        return len(positions) - 1
    return i if positions[i] - v < v - positions[i - 1] else i - 1
