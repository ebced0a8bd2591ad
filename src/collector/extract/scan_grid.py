"""Ruled tables on an upright, binarised scan: rules -> grid lines -> cells (with merges).

Pure functions on numpy masks (255 = ink). A rule is ink that forms a straight run much longer
than any stroke of a character; on a real scan it is also broken (faint ink, JPEG, a seal
removed over it), so runs are first found with a kernel only a little longer than a character
and then bridged along their own direction. A run counts only where both its ends meet a rule
of the other direction (table borders meet at corners and crossings; the strokes of "一" or a
"——" dash end in blank paper). The grid lines of a table are the peaks of those masks'
projections; a slot border that is missing means a merged cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Grid:
    x0: int
    y0: int
    x1: int
    y1: int
    xs: list[float]  # column rules, left to right
    ys: list[float]  # row rules, top to bottom


def line_masks(gray: Any, unit: float, text_boxes: list[tuple[float, float, float, float]] | None = None,
               contrast: int = 28, dark: int = 190) -> tuple[Any, Any]:
    """(horizontal, vertical) rule masks of an upright grey page with a white background.
    ``unit`` is the text-line height in pixels.

    Rules are found on the grey page, not on a binarised one: a hairline that was blurred,
    JPEG-compressed and rotated back is a faint, wavy, grey run that no text threshold keeps
    whole. A rule pixel is darker by ``contrast`` than the paper just across the rule (a
    black top-hat across its direction, after a 3-pixel blur along it against noise), and a
    rule is a run of such pixels at least ``1.6 * unit`` long (a grey opening along it):
    the gaps between characters break text into short runs. The run may wander by a pixel.

    In a one-line row a blurred glyph's stroke can run from rule to rule; a short run that lies
    inside a detected text line (``text_boxes``), away from its ends, is such a stroke.
    """
    import cv2
    import numpy as np

    hlen, vlen = max(20, int(1.6 * unit)), max(12, int(0.9 * unit))
    across = max(7, int(0.25 * unit)) | 1
    gap = max(3, int(0.8 * unit))
    dip = max(3, int(0.12 * unit))
    masks = []
    for length, vertical in ((hlen, False), (vlen, True)):
        along = (1, 3) if vertical else (3, 1)            # (width, height) of an OpenCV kernel
        across_k = (across, 1) if vertical else (1, across)
        wobble = np.ones((1, 3) if vertical else (3, 1), np.uint8)
        run = cv2.getStructuringElement(cv2.MORPH_RECT, (1, length) if vertical else (length, 1))
        smooth = cv2.blur(gray, along)
        tophat = cv2.subtract(cv2.morphologyEx(smooth, cv2.MORPH_CLOSE,
                                               cv2.getStructuringElement(cv2.MORPH_RECT, across_k)), smooth)
        # a rule pixel: clearly darker than the paper across it, or — for a row rule, which may
        # run a pixel under a line of text with no paper beside it to compare with — dark outright
        cand = (tophat >= contrast) if vertical else (tophat >= contrast) | (smooth <= dark)
        cand = cand.astype(np.uint8) * 255
        cand = cv2.dilate(cand, wobble)
        # a rule that runs a pixel under a line of text is barely lighter than it in places:
        # forgive dips shorter than an eighth of a line before asking for the whole run
        cand = cv2.morphologyEx(cand, cv2.MORPH_CLOSE, cv2.getStructuringElement(
            cv2.MORPH_RECT, (1, dip) if vertical else (dip, 1)))
        mask = cv2.morphologyEx(cand, cv2.MORPH_OPEN, run)
        if text_boxes:  # before bridging, while a stroke is not yet joined to a rule
            mask = _drop_strokes(mask, text_boxes, unit, vertical=vertical)
        if vertical:
            mask = _drop_crossed(mask, gray, unit)
        # bridge breaks along the rule (only rule pieces survived, so text is not joined)
        bridge = cv2.getStructuringElement(cv2.MORPH_RECT, (1, gap) if vertical else (gap, 1))
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, bridge)
        masks.append(cv2.dilate(mask, np.ones((3, 3), np.uint8)))
    horiz, vert = masks
    vert = _touching(vert, horiz, vertical=True, reach=max(4, int(0.3 * unit)))
    horiz = _touching(horiz, vert, vertical=False, reach=max(4, int(0.3 * unit)))
    return horiz, vert


def _drop_strokes(mask: Any, boxes: list[tuple[float, float, float, float]], unit: float, *,
                  vertical: bool) -> Any:
    """Remove runs that lie within a detected text line: through the middle of the line and no
    longer than it (a row rule passes between lines and runs on past the text of one cell;
    a column rule is never inside a line)."""
    import cv2
    import numpy as np

    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    drop = np.zeros(n, dtype=bool)
    slack, inset = 0.3 * unit, 0.25 * unit
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        cx, cy = x + w / 2, y + h / 2
        for bx0, by0, bx1, by1 in boxes:
            bh = by1 - by0
            if vertical:
                inside = bx0 + inset < cx < bx1 - inset and y >= by0 - slack and y + h <= by1 + slack
            else:
                inside = x >= bx0 - slack and x + w <= bx1 + slack and by0 + 0.15 * bh < cy < by1 - 0.15 * bh
            if inside:
                drop[i] = True
                break
    return np.where(drop[labels], 0, mask).astype(np.uint8)


def _drop_crossed(mask: Any, gray: Any, unit: float) -> Any:
    """Remove short vertical runs with ink right beside them along much of their length: the
    stroke of a glyph is crossed and flanked by its other strokes, a column rule has the
    cell's blank padding on both sides."""
    import cv2
    import numpy as np

    dark = gray < 160
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    drop = np.zeros(n, dtype=bool)
    side = max(3, int(0.12 * unit))
    H, W = gray.shape
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        if h > 2 * unit:
            continue
        y0, y1 = y + h // 5, y + h - h // 5
        if y1 <= y0:
            continue
        left = dark[y0:y1, max(x - side - 1, 0):max(x - 1, 0)]
        right = dark[y0:y1, min(x + w + 1, W):min(x + w + side + 1, W)]
        flanked = (left.any(axis=1) if left.size else np.zeros(y1 - y0, bool)) | (
            right.any(axis=1) if right.size else np.zeros(y1 - y0, bool))
        drop[i] = float(flanked.mean()) > 0.3
    return np.where(drop[labels], 0, mask).astype(np.uint8)


def _touching(mask: Any, other: Any, *, vertical: bool, reach: int) -> Any:
    """Keep the runs of ``mask`` that meet rules of ``other`` at two places or more (within
    ``reach``): a table rule ends on, or crosses, the rules of the other direction; a glyph's
    stroke stays inside its cell. Crossings count, not only ends, so a rule whose end was lost
    to a break near the frame still stands on the rules it crosses."""
    import cv2
    import numpy as np

    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    H, W = mask.shape
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        if vertical:
            band = other[max(y - reach, 0):min(y + h + reach, H), x:x + w].any(axis=1)
        else:
            band = other[y:y + h, max(x - reach, 0):min(x + w + reach, W)].any(axis=0)
        hits = int(np.count_nonzero(np.diff(np.concatenate([[0], band.astype(np.int8), [0]])) == 1))
        keep[i] = hits >= 2
    return np.where(keep[labels], mask, 0).astype(np.uint8)


def _peaks(profile: Any, min_count: float) -> list[float]:
    """Centres of runs of profile values >= min_count (a ruling line is a few pixels thick)."""
    import numpy as np

    on = np.concatenate([[False], np.asarray(profile) >= min_count, [False]])
    edges = np.flatnonzero(on[1:] != on[:-1])
    return [(a + b - 1) / 2 for a, b in zip(edges[::2], edges[1::2], strict=True)]


def find_grids(masks: tuple[Any, Any], min_size: tuple[int, int] = (60, 30)) -> list[Grid]:
    """Ruled tables: connected rule networks with a frame (two rules across most of the width,
    two down most of the height), top to bottom."""
    import cv2

    horiz, vert = masks
    n, _, stats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_or(horiz, vert), connectivity=8)
    grids = []
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        if w < min_size[0] or h < min_size[1]:
            continue
        hv = (horiz[y:y + h, x:x + w] > 0).sum(axis=1)
        vv = (vert[y:y + h, x:x + w] > 0).sum(axis=0)
        ys = [y + p for p in _peaks(hv, max(20, w * 0.08))]
        xs = [x + p for p in _peaks(vv, max(10, min(h * 0.05, 40)))]
        frame = len(_peaks(hv, w * 0.6)) >= 2 and len(_peaks(vv, h * 0.6)) >= 2
        if frame and len(xs) >= 2 and len(ys) >= 2:
            grids.append(Grid(int(x), int(y), int(x + w), int(y + h), xs, ys))
    grids.sort(key=lambda g: g.y0)
    return grids


def grid_cells(masks: tuple[Any, Any], grid: Grid, min_cover: float = 0.4) -> list[tuple[float, float, float, float]]:
    """Cells (x0, y0, x1, y1) between the grid lines, united where the border between two slots
    is missing (covered by a rule over less than ``min_cover`` of its middle part)."""
    horiz, vert = masks
    xs, ys = grid.xs, grid.ys
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def border(mask: Any, x0: float, y0: float, x1: float, y1: float) -> bool:
        seg = mask[int(y0):int(y1) + 1, int(x0):int(x1) + 1]
        if seg.size == 0:
            return False
        along = (seg > 0).any(axis=1 if x1 - x0 < y1 - y0 else 0)  # collapse the rule's thickness
        return float(along.mean()) >= min_cover

    for r in range(nr):
        for c in range(nc):
            pad_y = (ys[r + 1] - ys[r]) * 0.2
            pad_x = (xs[c + 1] - xs[c]) * 0.2
            if c + 1 < nc and not border(vert, xs[c + 1] - 2, ys[r] + pad_y, xs[c + 1] + 2, ys[r + 1] - pad_y):
                parent[find(r * nc + c + 1)] = find(r * nc + c)
            if r + 1 < nr and not border(horiz, xs[c] + pad_x, ys[r + 1] - 2, xs[c + 1] - pad_x, ys[r + 1] + 2):
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


def cell_lines(ink: Any, cell: tuple[float, float, float, float], unit: float,
               rules: tuple[Any, Any] | None = None) -> list[tuple[int, int, int, int]]:
    """Text lines inside one cell as boxes (x0, y0, x1, y1) in page pixels, top to bottom.

    Rule pixels and specks (noise, the last dots of a removed seal) are ignored; lines are the
    runs of the remaining ink's row profile, split where a blank band is at least a tenth of
    a text line high. A cell with no ink gives ``[]``.
    """
    import cv2
    import numpy as np

    x0, y0, x1, y1 = (int(round(v)) for v in cell)
    pad = max(2, int(unit * 0.08))
    sub = ink[y0 + pad:y1 - pad + 1, x0 + pad:x1 - pad + 1]
    if sub.size == 0 or min(sub.shape) < 4:
        return []
    if rules is not None:
        horiz, vert = rules
        ruled = cv2.bitwise_or(horiz[y0 + pad:y1 - pad + 1, x0 + pad:x1 - pad + 1],
                               vert[y0 + pad:y1 - pad + 1, x0 + pad:x1 - pad + 1])
        sub = cv2.bitwise_and(sub, cv2.bitwise_not(ruled))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    min_area = max(4, int((unit * 0.12) ** 2))
    keep = np.zeros(n, dtype=bool)
    for i in range(1, n):
        _x, _y, w, h, area = stats[i]
        keep[i] = area >= min_area or (max(w, h) >= unit * 0.3 and area >= 3)
    if not keep[1:].any():
        return []
    clean = keep[labels]
    rows = clean.any(axis=1)
    out = []
    min_gap = max(1, int(unit * 0.1))
    runs = _runs(rows)
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < min_gap:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    for a, b in merged:
        if b - a < max(3, unit * 0.2):  # a sliver: a rule's remnant or dust
            continue
        band = clean[a:b]
        cols = np.flatnonzero(band.any(axis=0))
        out.append((x0 + pad + int(cols[0]), y0 + pad + a, x0 + pad + int(cols[-1]) + 1, y0 + pad + b))
    return out


def _runs(mask: Any) -> list[tuple[int, int]]:
    import numpy as np

    on = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(on[1:] != on[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
