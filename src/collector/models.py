"""The document model every extractor produces and the one parser consumes.

An extractor (HTML, text, PDF, DOCX, XLSX, OCR...) turns raw bytes into a :class:`Document`:
an ordered list of blocks, each either a paragraph of text or a :class:`Table` whose cell grid
has rowspan/colspan already resolved (a merged cell's text is copied into every slot it covers
and the copies are marked, so labels can be read in any slot while numbers are counted once).
Keeping this the only interface between extraction and parsing is what lets one parser serve
every format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# An OCR'd cell less sure than this is doubtful: rule 16 names it (collector.validate.ocr).
OCR_LOW_CONFIDENCE = 0.85

MediaType = Literal["html", "pdf", "docx", "doc", "wps", "xls", "xlsx", "et", "image", "text"]


@dataclass(slots=True)
class Table:
    """A cell grid; ``rows[r][c]`` is the cell text ('' for an empty cell).

    ``copies`` holds the (r, c) slots that repeat the text of a merged cell's origin.
    ``where`` says where the table came from (``"table 3"``, ``"page 4 table 1"``) and is
    stored with every value read from it, for traceability.
    """

    rows: list[list[str]]
    copies: set[tuple[int, int]] = field(default_factory=set)
    where: str = ""
    # Optional per-cell OCR confidence (its least certain character, 0.0 for ink that reads as
    # nothing); None means "read from a text layer".
    confidence: dict[tuple[int, int], float] | None = None

    def copies_by_row(self) -> dict[int, list[int]]:
        """``copies`` as row -> its copy columns (a row's cells are then checked by column only)."""
        out: dict[int, list[int]] = {}
        for r, c in self.copies:
            out.setdefault(r, []).append(c)
        return out

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


@dataclass(slots=True)
class Paragraph:
    text: str
    where: str = ""


Block = Paragraph | Table


@dataclass(slots=True)
class Document:
    """What an extractor returns.

    ``meta`` carries page metadata the extractor found (``title``, ``pubdate``,
    ``ArticleTitle``, ``ContentSource``, ``source_url``...); the parser decides what to trust.
    """

    blocks: list[Block]
    media_type: MediaType
    extractor: str
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        """All text in reading order; table rows joined with tabs (used for metadata/text search)."""
        out: list[str] = []
        for b in self.blocks:
            if isinstance(b, Paragraph):
                out.append(b.text)
            elif not b.copies:
                out.extend("\t".join(row) for row in b.rows)
            else:
                by_row = b.copies_by_row()
                for r, row in enumerate(b.rows):
                    cols = by_row.get(r)
                    if cols:
                        row = list(row)
                        for c in cols:
                            if c < len(row):
                                row[c] = ""
                    out.append("\t".join(row))
        return "\n".join(out)

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


@dataclass(slots=True)
class CellValue:
    """One number field as read: the value, the cell's text as printed and where it was read.

    What the parser hands to validation and the store (``cells`` rows); kept with the document
    model so validation and the store need not import the parser.
    """

    value: float | int | None
    raw: str
    where: str
    unit: str | None = None
    confidence: float | None = None  # OCR confidence of the cell, None for a text layer


def span_positions(rows: list[list[tuple[str, int, int]]]) -> tuple[list[tuple[int, int, int, int, str]], int]:
    """Place rows of ``(text, rowspan, colspan)`` on a grid: ``(row, col, rowspan, colspan, text)`` and the width.

    The HTML/DOCX table algorithm: each cell goes to the first free slot of its row and fills
    ``rowspan x colspan`` slots. Spans are clamped (hostile documents use ``rowspan=65535``) so
    the grid stays bounded by the real row count.
    """
    taken: dict[int, set[int]] = {}  # row -> its columns covered by a rowspan from above
    out: list[tuple[int, int, int, int, str]] = []
    nrows = len(rows)
    width = 0
    for r, row in enumerate(rows):
        c = 0
        row_taken = taken.pop(r, None)
        for text, rowspan, colspan in row:
            if row_taken:
                while c in row_taken:
                    c += 1
            if colspan != 1:  # (1 is the common case and needs no clamping)
                colspan = max(1, min(colspan, 64))
            if rowspan != 1:
                rowspan = max(1, min(rowspan, nrows - r))
                # only later rows look slots up: this row's own cells move c past theirs
                for dr in range(1, rowspan):
                    taken.setdefault(r + dr, set()).update(range(c, c + colspan))
            out.append((r, c, rowspan, colspan, text))
            c += colspan
        if c > width:
            width = c
    return out, width


def grid_from_spans(cells: list[list[tuple[str, int, int]]], where: str = "") -> Table:
    """Resolve rows of ``(text, rowspan, colspan)`` into a rectangular :class:`Table` (copies marked)."""
    placed, width = span_positions(cells)
    rows = [[""] * width for _ in cells]
    copies: set[tuple[int, int]] = set()
    for r, c, rowspan, colspan, text in placed:
        if rowspan == 1 and colspan == 1:
            rows[r][c] = text
            continue
        for dr in range(rowspan):
            for dc in range(colspan):
                rows[r + dr][c + dc] = text
                if dr or dc:
                    copies.add((r + dr, c + dc))
    return Table(rows=rows, copies=copies, where=where)
