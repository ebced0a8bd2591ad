"""PDF text outside ruled tables: lines, paragraphs, page markers, and tables drawn without rules.

Pure functions over pdfplumber character dicts, kept apart from :mod:`collector.extract.pdf`
(the table geometry) so each stays small. Paragraphs are rebuilt from visual lines (a line
that starts indented, follows a short line or a gap opens a new one), also across a page
break, because the parser reads sentences ("收到申请X件") that PDFs wrap anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from collector.extract.grid import ENUMERATOR, NUMERIC, cluster_positions, join_lines
from collector.models import Paragraph

# "- 4 -", "— 5 —", "第 3 页 共 10 页", "3/10"
PAGE_MARKER = re.compile(
    r"^[\s\-—–－~_·]*(?:第\s*)?\d{1,4}\s*页?\s*(?:[/／]\s*(?:共\s*)?\d{1,4}\s*页?|共\s*\d{1,4}\s*页)?[\s\-—–－~_·]*$")
_DASHED = re.compile(r"[-—–－~_·页/／]")
HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])")


@dataclass(slots=True)
class Line:
    """One visual line of text; ``words`` are runs separated by wide gaps (possible columns)."""

    text: str
    x0: float
    x1: float
    top: float  # global (page offset applied)
    bottom: float
    size: float
    page: int
    words: list[tuple[float, float, str]] = field(default_factory=list)


def chars_to_lines(chars: list[dict[str, Any]], pno: int, offset: float, page_height: float) -> list[Line]:
    """Cluster characters into lines (by baseline), drop page markers ("- 4 -")."""
    rows: list[list[dict[str, Any]]] = []
    for ch in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        size = ch.get("size") or 10.0
        if rows and abs(ch["top"] - rows[-1][0]["top"]) <= size * 0.45:
            rows[-1].append(ch)
        else:
            rows.append([ch])
    out: list[Line] = []
    for row in rows:
        row.sort(key=lambda c: c["x0"])
        size = max((c.get("size") or 10.0) for c in row)
        words: list[list[Any]] = []
        text = ""
        prev = None
        for ch in row:
            gap = ch["x0"] - prev["x1"] if prev is not None else 0.0
            if prev is None or gap > size * 1.0:
                words.append([ch["x0"], ch["x1"], ch["text"]])
                if prev is not None and not text.endswith(" "):
                    text += " "
            else:
                if gap > size * 0.3 and not text.endswith(" ") and ch["text"] != " ":
                    text += " "
                    words[-1][2] += " "
                words[-1][1] = ch["x1"]
                words[-1][2] += ch["text"]
            text += ch["text"]
            prev = ch
        text = re.sub(r"\s+", " ", text).strip()
        if not text:
            continue
        top, bottom = min(c["top"] for c in row), max(c["bottom"] for c in row)
        if is_page_marker(text, top, page_height):
            continue
        out.append(Line(text, row[0]["x0"], row[-1]["x1"], top + offset, bottom + offset, size, pno,
                        [(w[0], w[1], w[2].strip()) for w in words if w[2].strip()]))
    return out


def is_page_marker(text: str, top: float, page_height: float) -> bool:
    if not PAGE_MARKER.match(text):
        return False
    in_margin = top < page_height * 0.08 or top > page_height * 0.88
    return bool(_DASHED.search(text)) or in_margin


def lines_to_items(lines: list[Line]) -> list[Paragraph]:
    """Rebuild paragraphs from visual lines (also across a page break)."""
    if not lines:
        return []
    bounds: dict[int, tuple[float, float]] = {}
    for ln in lines:
        lo, hi = bounds.get(ln.page, (ln.x0, ln.x1))
        bounds[ln.page] = (min(lo, ln.x0), max(hi, ln.x1))
    paras: list[list[Line]] = []
    for ln in lines:
        if not paras:
            paras.append([ln])
            continue
        prev = paras[-1][-1]
        left, _ = bounds[ln.page]
        _, right = bounds[prev.page]
        size = max(ln.size, 1.0)
        new = (
            ln.x0 > left + 1.5 * size                      # indented first line (or centred)
            or prev.x1 < right - 2.0 * size                # previous line stopped short
            or (ln.page == prev.page and ln.top - prev.bottom > 0.9 * size)  # vertical gap
            or bool(HEADING.match(ln.text))
            or bool(HEADING.match(prev.text) and len(prev.text) < 30)
        )
        if new:
            paras.append([ln])
        else:
            paras[-1].append(ln)
    out = []
    for group in paras:
        text = join_lines([ln.text for ln in group])
        first, last = group[0], group[-1]
        where = f"page {first.page + 1}" + (f"-{last.page + 1}" if last.page != first.page else "")
        out.append(Paragraph(text, where=where))
    return out


_BLANK_MARKS = {"—", "——", "-", "－", "–", "/", "／", "无", "0"}


def _is_num(word: str) -> bool:
    """A value token: a number or a blank marker ("—", "/", "无") standing alone."""
    w = word.replace(" ", "")
    return bool(NUMERIC.match(w)) or w in _BLANK_MARKS


def unruled_tables(lines: list[Line], pno: int, make_table: Callable[..., Any]) -> list[Any]:
    """Find tables drawn without ruling lines: runs of lines with several numbers in columns.

    Numbers are clustered by x-centre into columns; each line becomes a row of a label cell
    (its words left of the first number column) and one cell per column. A line inside a run
    without numbers (a group label such as "三、本年度办理结果") becomes a label-only row.
    """
    tab = [sum(_is_num(w[2]) for w in ln.words) >= 2 for ln in lines]
    out: list[Any] = []
    i = 0
    while i < len(lines):
        if not tab[i]:
            out.append(lines[i])
            i += 1
            continue
        j, end = i, i
        while j < len(lines):
            if tab[j]:
                end = j
            elif j - end > 2:
                break
            j += 1
        start = i
        while start > 0 and i - start < 3 and len(lines[start - 1].words) >= 2 and out and out[-1] is lines[start - 1]:
            start -= 1  # column headers just above the numbers belong to the table
            out.pop()
        run = lines[start:end + 1]
        widest = max(sum(_is_num(w[2]) for w in ln.words) for ln in run)
        if sum(tab[i:end + 1]) < 3 and widest < 5:  # a lone row needs many values (四's 15)
            out.extend(run)
            i = end + 1
            continue
        out.append(_run_to_table(run, pno, make_table))
        i = end + 1
    return out


def _run_to_table(run: list[Line], pno: int, make_table: Callable[..., Any]) -> Any:
    size = max(ln.size for ln in run)
    nums = [w for ln in run for w in ln.words if _is_num(w[2])]
    # values may be left-, centre- or right-aligned: use the anchor that gives the tightest columns
    anchors: list[Callable[[tuple[float, float, str]], float]] = [
        lambda w: w[0], lambda w: (w[0] + w[1]) / 2, lambda w: w[1]]
    anchor = min(anchors, key=lambda a: len(cluster_positions([a(w) for w in nums], size * 1.2)))
    cols = cluster_positions([anchor(w) for w in nums], size * 1.2)
    left = min(ln.x0 for ln in run)
    right = max(ln.x1 for ln in run)
    first_col = min(w[0] for ln in run for w in ln.words if _is_num(w[2]))
    edges = [min(left, first_col) - 2 * size - 4.0, first_col - 1.0]  # label column never collapses
    edges += [(a + b) / 2 for a, b in zip(cols, cols[1:], strict=False)]
    edges.append(max(right, cols[-1] + size) + 1.0)
    # make the column edges strictly increasing
    edges = [edges[0]] + [max(e, edges[k] + 0.5) for k, e in enumerate(edges[1:])]
    rows: list[tuple[float, float, float, float, list[tuple[float, float, str]]]] = []
    for ln in run:
        values = ["" for _ in cols]
        label_words = []
        for w in ln.words:
            if _is_num(w[2]) or w[0] >= first_col - size:  # values, and header words over them
                k = min(range(len(cols)), key=lambda n: abs(cols[n] - anchor(w)))
                glue = "" if _is_num(w[2]) else " "
                values[k] = (values[k] + glue + w[2]).strip() if values[k] else w[2].replace(" ", "")
            else:
                label_words.append(w[2])
        label = join_lines(label_words)
        if not any(values) and rows and any(rows[-1][4][k][2] for k in range(1, len(rows[-1][4]))) and (
                ln.top - rows[-1][1] < 0.6 * size):
            # a label wrapped onto the next line: append it to the row above
            top, bottom, lo, hi, cells = rows[-1]
            cells[0] = (cells[0][0], cells[0][1], join_lines([cells[0][2], label]))
            rows[-1] = (top, ln.bottom, lo, hi, cells)
            continue
        cells = [(edges[0], edges[1], label)]
        cells += [(edges[k + 1], edges[k + 2], v) for k, v in enumerate(values)]
        rows.append((ln.top, ln.bottom, left, right, cells))
    # rows touch each other so the grid has no gaps
    fixed = []
    for k, (top, bottom, lo, hi, cells) in enumerate(rows):
        nxt = rows[k + 1][0] if k + 1 < len(rows) else bottom
        fixed.append((top, nxt if nxt > top else bottom, lo, hi, cells))
    table = make_table(fixed, pno)
    return table


__all__ = ["ENUMERATOR", "Line", "chars_to_lines", "lines_to_items", "unruled_tables"]
