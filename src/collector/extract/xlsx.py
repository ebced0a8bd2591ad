"""Spreadsheets -> Document: openpyxl (XLSX) and xlrd (XLS/ET), LibreOffice when xlrd cannot.

Merged ranges are the table structure, so openpyxl runs with ``read_only=False`` (read-only
mode drops them) and xlrd with ``formatting_info=True``. Each sheet's used area becomes cells;
rows holding a single text (the title, a section heading, a paragraph typed into A1) become
Paragraphs that split the sheet into tables, so a one-sheet report yields the same block
sequence as its DOCX twin.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from collector.errors import CorruptFile, ExtractError, ResourceLimit
from collector.extract.grid import SpanCell, grid_table
from collector.extract.limits import Deadline, ExtractLimits, check_size, guarded, open_safe_zip
from collector.models import Block, Document, Paragraph

_SECTION = re.compile(r"^\s*[一二三四五六七八九十]+、")


@guarded("XLSX")
def xlsx_to_document(
    data: bytes,
    *,
    source_url: str | None = None,
    encoding: str | None = None,
    limits: ExtractLimits | dict[str, Any] | None = None,
) -> Document:
    """Read an XLSX workbook, one or more tables per sheet (``where`` = sheet name)."""
    lim = ExtractLimits.resolve(limits)
    deadline = Deadline(lim.max_seconds)
    open_safe_zip(data, lim, "XLSX").close()
    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True, keep_links=False)
    except ExtractError:
        raise
    except Exception as e:  # openpyxl raises KeyError, InvalidFileException, XML errors...
        raise CorruptFile(f"XLSX could not be opened ({type(e).__name__}: {e})") from None
    blocks: list[Block] = []
    sheet_names = [ws.title for ws in wb.worksheets]
    try:
        for ws in wb.worksheets:
            deadline.check(f"sheet {ws.title}")
            max_row, max_col = ws.max_row or 0, ws.max_column or 0
            if max_row * max_col > lim.max_cells:
                raise ResourceLimit(f"sheet {ws.title!r} has {max_row}x{max_col} cells (cap {lim.max_cells})")
            merged = [(m.min_row - 1, m.min_col - 1, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
            values: dict[tuple[int, int], str] = {}
            for row in ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col):
                for cell in row:
                    if cell.value is not None:
                        text = cell_text(cell.value, getattr(cell, "number_format", ""))
                        if text:
                            values[(cell.row - 1, cell.column - 1)] = text
            blocks.extend(sheet_blocks(values, merged, ws.title, lim))
    finally:
        wb.close()
    meta: dict[str, Any] = {"sheet_names": sheet_names}  # a year may be all a sheet name says
    if source_url:
        meta["source_url"] = source_url
    return Document(blocks=blocks, media_type="xlsx", extractor="openpyxl", meta=meta)


@guarded("XLS")
def xls_to_document(
    data: bytes,
    *,
    source_url: str | None = None,
    encoding: str | None = None,
    limits: ExtractLimits | dict[str, Any] | None = None,
    media_type: str = "xls",
) -> Document:
    """Read a BIFF workbook (XLS, or WPS ET saved BIFF-compatible) with xlrd; else LibreOffice."""
    lim = ExtractLimits.resolve(limits)
    check_size(data, lim)
    deadline = Deadline(lim.max_seconds)
    try:
        import xlrd

        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True,
                                  logfile=io.StringIO())
    except Exception:  # noqa: BLE001 - anything xlrd cannot read goes to LibreOffice
        return _via_libreoffice(data, source_url, lim, media_type)
    blocks: list[Block] = []
    sheet_names = list(book.sheet_names())
    try:
        for idx in range(book.nsheets):
            sh = book.sheet_by_index(idx)
            deadline.check(f"sheet {sh.name}")
            if sh.nrows * sh.ncols > lim.max_cells:
                raise ResourceLimit(f"sheet {sh.name!r} has {sh.nrows}x{sh.ncols} cells (cap {lim.max_cells})")
            values: dict[tuple[int, int], str] = {}
            for r in range(sh.nrows):
                for c, cell in enumerate(sh.row(r)):
                    text = _xlrd_text(cell, book.datemode)
                    if text:
                        values[(r, c)] = text
            merged = [(rlo, clo, rhi, chi) for rlo, rhi, clo, chi in sh.merged_cells]
            blocks.extend(sheet_blocks(values, merged, sh.name, lim))
            book.unload_sheet(idx)
    except ExtractError:
        raise
    except Exception as e:  # noqa: BLE001 - xlrd fails lazily on damaged sheets
        raise CorruptFile(f"{media_type.upper()} sheet could not be read ({type(e).__name__}: {e})") from None
    finally:
        book.release_resources()
    meta: dict[str, Any] = {"sheet_names": sheet_names}
    if source_url:
        meta["source_url"] = source_url
    return Document(blocks=blocks, media_type=media_type, extractor="xlrd",  # type: ignore[arg-type]
                    meta=meta)


def et_to_document(data: bytes, *, source_url: str | None = None, encoding: str | None = None,
                   limits: ExtractLimits | dict[str, Any] | None = None) -> Document:
    """WPS Spreadsheets (.et): usually BIFF-compatible, else LibreOffice."""
    return xls_to_document(data, source_url=source_url, limits=limits, media_type="et")


def _via_libreoffice(data: bytes, source_url: str | None, lim: ExtractLimits, media_type: str) -> Document:
    from collector.extract.office import convert_one

    converted = convert_one(data, "xlsx", source_ext="et" if media_type == "et" else "xls", limits=lim)
    doc = xlsx_to_document(converted, source_url=source_url, limits=lim)
    doc.media_type = media_type  # type: ignore[assignment]
    doc.extractor = "libreoffice+openpyxl"
    return doc


def cell_text(value: Any, number_format: str = "") -> str:
    """A cell value as the report shows it: 12.0 -> "12", a "+0" format keeps the sign."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        text = _num(float(value))
        if number_format.startswith("+") and value > 0:
            text = "+" + text
        return text
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _num(v: float) -> str:
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.10f}".rstrip("0").rstrip(".")


def _xlrd_text(cell: Any, datemode: int) -> str:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return _num(float(cell.value))
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return cell_text(xlrd.xldate.xldate_as_datetime(cell.value, datemode))
        except Exception:  # noqa: BLE001 - out-of-range serials
            return _num(float(cell.value))
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return str(bool(cell.value))
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return ""
    return str(cell.value).strip()


def sheet_blocks(values: dict[tuple[int, int], str], merged: list[tuple[int, int, int, int]],
                 sheet: str, lim: ExtractLimits) -> list[Block]:
    """Cells of one sheet -> Paragraphs (single-text rows) and Tables (the rest), in row order.

    ``merged`` ranges are (r0, c0, r1, c1) with exclusive ends. A row whose only text is one
    cell (merged across the width or not) is a paragraph when it precedes/follows the tables or
    looks like a section heading; inside a table it stays a row (a caption like 第二十条第（一）项).
    """
    if not values:
        return []
    origin: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for r0, c0, r1, c1 in merged:
        if (r1 - r0) * (c1 - c0) > lim.max_cells:
            raise ResourceLimit(f"sheet {sheet!r} has a merged range over the cell cap")
        origin[(r0, c0)] = (r0, c0, r1, c1)
        for r in range(r0, r1):
            for c in range(c0, c1):
                if (r, c) != (r0, c0):
                    covered.add((r, c))
    nrows = max(max(r for r, _ in values), max((m[2] - 1 for m in merged), default=0)) + 1
    ncols = max(max(c for _, c in values), max((m[3] - 1 for m in merged), default=0)) + 1
    row_texts: dict[int, list[tuple[int, str]]] = {}
    for (r, c), t in values.items():
        if (r, c) not in covered:
            row_texts.setdefault(r, []).append((c, t))
    multi = [r for r in range(nrows) if _row_is_tabular(r, row_texts, origin, ncols)]
    first_tab, last_tab = (min(multi), max(multi)) if multi else (nrows, -1)
    blocks: list[Block] = []
    segment: list[int] = []
    n_tables = 0

    def flush() -> None:
        nonlocal n_tables
        if not segment:
            return
        cells = _segment_cells(segment, values, origin, covered, ncols)
        segment.clear()
        n_tables += 1
        table = grid_table(cells, f"sheet {sheet}" + (f" table {n_tables}" if n_tables > 1 else ""),
                           max_cells=lim.max_cells)
        if table is not None:
            blocks.append(table)

    for r in range(nrows):
        texts = row_texts.get(r, [])
        single = len(texts) == 1 and not _row_is_tabular(r, row_texts, origin, ncols)
        m = origin.get((r, texts[0][0])) if single else None
        free = m is None or _width(m) >= max(ncols - 1, 1)  # unmerged (overflowing) or full width
        if single and free and (r < first_tab or r > last_tab or _SECTION.match(texts[0][1])
                                or len(texts[0][1]) > 60):
            flush()
            blocks.append(Paragraph(texts[0][1], where=f"sheet {sheet} row {r + 1}"))
        elif texts or any((r, c) in covered for c in range(ncols)):
            segment.append(r)
    flush()
    return blocks


def _width(m: tuple[int, int, int, int] | None) -> int:
    return 1 if m is None else m[3] - m[1]


def _row_is_tabular(r: int, row_texts: dict[int, list[tuple[int, str]]],
                    origin: dict[tuple[int, int], tuple[int, int, int, int]], ncols: int) -> bool:
    """More than one text in the row, or one text in a cell that does not span the width."""
    texts = row_texts.get(r, [])
    if len(texts) > 1:
        return True
    if not texts:
        return False
    c, _ = texts[0]
    m = origin.get((r, c))
    return m is not None and (m[3] - m[1]) < ncols - 1 and m[2] - m[0] > 1


def _segment_cells(rows: list[int], values: dict[tuple[int, int], str],
                   origin: dict[tuple[int, int], tuple[int, int, int, int]], covered: set[tuple[int, int]],
                   ncols: int) -> list[SpanCell]:
    """Rows ``rows[0]..rows[-1]`` as span cells; merges are clipped to the segment."""
    first, last = rows[0], rows[-1]
    cells = []
    for r in range(first, last + 1):
        for c in range(ncols):
            if (r, c) in covered:
                continue
            m = origin.get((r, c))
            r1, c1 = (min(m[2], last + 1), m[3]) if m else (r + 1, c + 1)
            cells.append(SpanCell(r - first, c, r1 - first, c1, values.get((r, c), "")))
    return cells
