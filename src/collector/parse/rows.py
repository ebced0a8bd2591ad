"""Document -> a flat sequence of rows, each tagged with the report section it sits in.

Every format ends up as rows of cells: a grid row of a table, or a line of text split on tabs
or ``|`` (how text layers and page scrapes carry tables), or a single-cell line (one cell per
line). Section headings (一、总体情况 … 六、其他需要报告的事项) are recognised by ordinal *and*
keyword, so the table's own row labels ("二、上年结转…", "四、结转下年度…") never pass for headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from collector.models import Document, Paragraph
from collector.parse.normalize import is_blank, is_value_cell, nfkc, norm_label

_ORD = "一二三四五六"
_HEADING = re.compile(r"^\s*(?:第)?([一二三四五六])\s*[、.,，:：]\s*(.*)$")
SECTION_KEYWORDS: dict[int, tuple[str, ...]] = {
    1: ("总体情况", "概述", "基本情况", "总体", "概况"),
    2: ("主动公开",),
    3: ("收到和处理", "依申请", "申请情况", "收到和办理"),
    4: ("复议", "诉讼"),
    5: ("问题", "改进"),
    6: ("其他需要报告", "其他事项", "其他需报告", "需要报告的事项"),
}


SHORT = 200  # texts up to this long are memoised (template lines recur in every report)


class CellText(str):
    """A cell's text that remembers its grid column and OCR confidence, for traceability."""

    col: int | None = None
    conf: float | None = None
    made: bool = False  # not printed as such: a blank put back, digits split or joined (parse.solve)


def _cell_text(text: str, col: int, conf: float | None) -> CellText:
    """Cached for short texts: the same label or number in the same column recurs in every report
    (nothing changes a CellText after it is made, so one object can serve them all)."""
    return _cell_text_cached(text, col, conf) if len(text) <= SHORT else _new_cell_text(text, col, conf)


def _new_cell_text(text: str, col: int, conf: float | None) -> CellText:
    t = CellText(text)
    t.col, t.conf = col, conf
    return t


_cell_text_cached = lru_cache(maxsize=16384, typed=True)(_new_cell_text)


@dataclass(slots=True)
class Cell:
    """One cell of a row. The row memos share Cells between rows and reports (issue #13): nothing may
    change one in place (a merged-cell copy gets a fresh Cell). Not frozen: a frozen dataclass's
    construction cost text reports 6 % more instructions."""

    text: str
    copy: bool = False


@dataclass(slots=True)
class Row:
    cells: list[Cell]
    section: int
    where: str
    from_table: bool
    index: int = 0
    heading: int | None = None  # set when the row is a section heading
    positional: bool = False  # text split on tabs or "|": empty cells kept, so columns line up


def heading_number(text: str) -> int | None:
    """Section number of a heading line, or None.

    A line whose first character after whitespace is printable ASCII ("| 行政许可 | 5 |", "12 3 0",
    "\t| 5 |") is none: NFKC keeps that character first (at most composed with accents) and spaces
    as spaces, and a heading starts with an ordinal or 第 — so table lines skip the normalisation
    and the cache (each is new).
    """
    if "!" <= text.lstrip()[:1] <= "~":
        return None
    return _heading_number(text) if len(text) <= SHORT else _heading_number.__wrapped__(text)


@lru_cache(maxsize=8192)
def _heading_number(text: str) -> int | None:
    t = nfkc(text).strip()
    if len(t) > 60:
        t = t[:60]
    m = _HEADING.match(t)
    if not m:
        return None
    n = _ORD.index(m.group(1)) + 1
    rest = norm_label(m.group(2))
    return n if any(k in rest for k in SECTION_KEYWORDS[n]) else None


_MD_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+|^\s*>\s*")
_MD_EMPHASIS = re.compile(r"\*\*|__")
_TOKEN = re.compile(r"\S+")
_UNITS = {"元", "万元", "件", "项", "个", "条", "次", "%"}


def strip_markup(text: str) -> str:
    """Markdown heading marks and bold markers around a line ("### 一、…", "**三、…**")."""
    if "#" not in text and "*" not in text and "_" not in text and ">" not in text:
        return text
    return _MD_EMPHASIS.sub("", _MD_HEADING.sub("", text))


def _is_value_token(token: str) -> bool:
    return is_value_cell(token) and not is_blank(token)


def split_text_line(text: str) -> list[str]:
    """:func:`_split_text_line`, memoised for short lines."""
    return list(_split_cached(text) if len(text) <= SHORT else _split_text_line(text))


def _split_text_line(text: str) -> tuple[str, ...]:
    """A line of text as cells: ``|`` (markdown, page scrapes) or tabs; else runs of words and numbers.

    ``pdftotext -layout`` and PDF text layers separate columns only by spaces, so a line with
    numbers becomes its label (the words, joined) and one cell per number; blank markers ("—",
    "/") between numbers are cells too. A line without numbers stays one cell. A markdown
    separator row (``|---|---|``) has no cells.
    """
    if "|" in text:
        if _MD_SEPARATOR.match(text):
            return ()
        parts = text.split("|")
        # "| a | b |" has empty edges that are not cells
        if parts and not parts[0].strip():
            parts = parts[1:]
        if len(parts) > 1 and not parts[-1].strip() and text.rstrip().endswith("|"):
            parts = parts[:-1]
        return tuple(p.strip() for p in parts)
    if "\t" in text:
        return tuple(p.strip() for p in text.split("\t"))
    tokens = _TOKEN.findall(text)
    if len(tokens) < 2 or not any(_is_value_token(t) for t in tokens):
        return (text.strip(),)
    cells: list[str] = []
    words: list[str] = []
    for t in tokens:
        if t in _UNITS and cells and not words and _is_value_token(cells[-1]):
            cells[-1] += t  # "6424500 元": the unit printed apart from its number
            continue
        if is_value_cell(t):
            if words:
                cells.append(" ".join(words))
                words = []
            cells.append(t)
        else:
            words.append(t)
    if words:
        cells.append(" ".join(words))
    return tuple(cells)


_split_cached = lru_cache(maxsize=8192)(_split_text_line)


def _row_heading(grid_row: list[str] | tuple[str, ...]) -> int | None:
    """The section a table row heads: a heading typed into a full-width row (all three tables in one
    grid) has one distinct text."""
    texts = set(map(str.strip, grid_row))  # the row's distinct texts, in C
    texts.discard("")
    return heading_number(next(iter(texts))) if len(texts) == 1 else None


ROW_MEMO_CHARS = 600  # grid rows up to this many characters are memoised whole


@lru_cache(maxsize=8192)
def _grid_row(grid_row: tuple[str, ...]) -> tuple[tuple[Cell, ...], int | None]:
    """A grid row's cells (none a copy; their texts without OCR confidence) and the section it heads,
    memoised per row: the template's label rows and many value rows recur in every report, and one
    lookup replaces one per cell. The Cells and CellTexts are shared between reports: nothing
    changes one after :func:`document_rows` made it (a copy is marked on a fresh Cell)."""
    return tuple([Cell(_cell_text(t, c, None)) for c, t in enumerate(grid_row)]), _row_heading(grid_row)


@lru_cache(maxsize=8192)
def _line_cells(text: str) -> tuple[Cell, ...]:
    """A short text line's cells (see :func:`_split_text_line`), shared between reports like
    :func:`_grid_row`'s."""
    return tuple(map(Cell, _split_cached(text)))


def document_rows(doc: Document) -> tuple[list[Row], list[int]]:
    """All rows of ``doc`` in order, and the section numbers in the order their headings appear."""
    rows: list[Row] = []
    sections: list[int] = []
    current = 0
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            text = strip_markup(block.text)
            n = heading_number(text)
            if n is not None and (not sections or n > sections[-1]):
                current = n
                sections.append(n)
                rows.append(Row([Cell(text)], current, block.where, False, len(rows), heading=n))
                continue
            if len(text) <= SHORT:
                line_cells = list(_line_cells(text))
            else:
                line_cells = [Cell(t) for t in _split_text_line(text)]
            if not line_cells:
                continue
            rows.append(Row(line_cells, current, block.where, False, len(rows),
                            positional="\t" in text or "|" in text))
        else:
            conf = block.confidence or {}
            copies = block.copies_by_row() if block.copies else {}
            for r, grid_row in enumerate(block.rows):
                if conf:
                    cells = [Cell(_cell_text(t, c, conf.get((r, c)))) for c, t in enumerate(grid_row)]
                    n = _row_heading(grid_row)
                else:
                    key = tuple(grid_row)
                    shared, n = _grid_row(key) if sum(map(len, key)) <= ROW_MEMO_CHARS else _grid_row.__wrapped__(key)
                    cells = list(shared)
                copied = copies.get(r)
                if copied:
                    for c in copied:
                        if c < len(cells):
                            cells[c] = Cell(cells[c].text, True)  # a fresh Cell: the shared one stays as it is
                where = f"{block.where} row {r + 1}".strip()
                if n is not None and (not sections or n > sections[-1]):
                    current = n
                    sections.append(n)
                    rows.append(Row(cells, current, where, True, len(rows), heading=n))
                    continue
                rows.append(Row(cells, current, where, True, len(rows)))
    return rows, sections
