"""Render a :class:`~collector.sim.layout.Layout` as real office files (DOCX, XLSX) with merged cells.

Fixtures and the portal simulator need attachments whose ground truth is known; drawing them
from the same layout as the HTML renderer means every format carries the same numbers and the
same template shape. Other formats (PDF, DOC, XLS) come from these via LibreOffice
(:func:`convert_with_soffice`), which is also how agencies produce them.
"""

from __future__ import annotations

import io
import re

from collector.models import span_positions
from collector.sim.layout import Layout, LayoutTable

_PLAIN_INT = re.compile(r"^\d+$")
_PLAIN_DEC = re.compile(r"^\d+\.\d+$")


def _add_sliver(cells: list[tuple[int, int, int, int, str]], after: int) -> list[tuple[int, int, int, int, str]]:
    """Insert a hair-thin grid column after column ``after`` that only ever sits inside spans,
    as Word produces when two rows' borders are a fraction of a millimetre apart."""
    out = []
    for r, c, rs, cs, text in cells:
        if c <= after < c + cs:
            cs += 1
        elif c > after:
            c += 1
        out.append((r, c, rs, cs, text))
    return out


def _column_widths_cm(width: int, total_cm: float = 16.0) -> list[float]:
    """Template-like widths: section 三 has three label columns, 二 one, 四 none."""
    if width == 10:
        return [2.0, 2.0, 3.6] + [(total_cm - 7.6) / 7] * 7
    if width == 4:
        return [4.6] + [(total_cm - 4.6) / 3] * 3
    return [total_cm / max(width, 1)] * width


def layout_to_docx(layout: Layout, *, sliver: bool = False, intro_paragraphs: int = 0,
                   borders: bool = True, tight_title: bool = False) -> bytes:
    """A Word document: title, paragraphs and bordered tables with real gridSpan/vMerge merges.

    ``sliver`` adds a phantom grid column to every table (as sloppy Word files have);
    ``intro_paragraphs`` pads section 一 so the later tables break across pages;
    ``borders=False`` draws the tables without rules (PDF fallback tests); ``tight_title`` sets
    the title's line pitch below its font size, so the lines of a two-line title overlap (as
    cover pages squeezed into one text box do).
    """
    from docx import Document as new_docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = new_docx()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(2.5)
    sec.top_margin = sec.bottom_margin = Cm(2.5)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(layout.title)
    run.bold = True
    run.font.size = Pt(16)
    if tight_title:
        from docx.enum.text import WD_LINE_SPACING

        title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        title.paragraph_format.line_spacing = Pt(6)
    filler = ("本机关坚持以公开为常态、不公开为例外，围绕中心工作，不断完善政府信息公开工作机制，"
              "加强政策解读和回应关切，持续提升政务公开标准化规范化水平。")
    for block in layout.blocks:
        if isinstance(block, LayoutTable):
            _docx_table(doc, block, sliver=sliver, borders=borders)
            continue
        p = doc.add_paragraph()
        is_heading = bool(re.match(r"^[一二三四五六七八九十]+、", block)) and len(block) < 40
        r = p.add_run(block)
        r.bold = is_heading
        if block.startswith("一、") and intro_paragraphs:
            for i in range(intro_paragraphs):
                doc.add_paragraph(f"（{'一二三四五六七八九十'[i % 10]}）{filler * 2}")
    for line in layout.signature:
        p = doc.add_paragraph(line)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _docx_table(doc, block: LayoutTable, *, sliver: bool, borders: bool) -> None:  # noqa: ANN001
    from docx.shared import Cm

    cells, width = span_positions(block.rows)
    widths = _column_widths_cm(width)
    if sliver and width > 2:
        cells = _add_sliver(cells, 0)
        width += 1
        widths = [widths[0] - 0.05, 0.05, *widths[1:]]
    nrows = len(block.rows)
    table = doc.add_table(rows=nrows, cols=width)
    if borders:
        table.style = "Table Grid"
    table.autofit = False
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            cell.width = Cm(widths[i])
    for i, col in enumerate(table.columns):
        col.width = Cm(widths[i])
    for r, c, rs, cs, _ in cells:
        if rs > 1 or cs > 1:
            table.cell(r, c).merge(table.cell(r + rs - 1, c + cs - 1))
    for r, c, _, _, text in cells:
        table.cell(r, c).text = text
    doc.add_paragraph()


def _xlsx_value(text: str) -> str | int | float | None:
    if text == "":
        return None
    if _PLAIN_INT.match(text):
        return int(text)
    if _PLAIN_DEC.match(text):
        return float(text)
    return text


def layout_to_xlsx(layout: Layout, *, sheet_title: str = "年度报告") -> bytes:
    """One worksheet: title and paragraphs in merged full-width rows, tables with merged ranges.

    Numbers are written as numbers (as agencies' spreadsheets hold them); signed changes
    ("+2") and amounts with units stay text.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    full = max((span_positions(b.rows)[1] for b in layout.blocks if isinstance(b, LayoutTable)), default=4)
    row = 1

    def text_row(text: str) -> None:
        nonlocal row
        ws.cell(row=row, column=1, value=text)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=full)
        ws.cell(row=row, column=1).alignment = Alignment(wrap_text=True)
        row += 1

    text_row(layout.title)
    for block in layout.blocks:
        if not isinstance(block, LayoutTable):
            text_row(block)
            continue
        cells, _ = span_positions(block.rows)
        for r, c, rs, cs, text in cells:
            cell = ws.cell(row=row + r, column=c + 1, value=_xlsx_value(text))
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            for dr in range(rs):
                for dc in range(cs):
                    ws.cell(row=row + r + dr, column=c + 1 + dc).border = border
            if rs > 1 or cs > 1:
                ws.merge_cells(start_row=row + r, start_column=c + 1, end_row=row + r + rs - 1,
                               end_column=c + cs)
        row += len(block.rows)
    for line in layout.signature:
        text_row(line)
    for i in range(1, full + 1):
        ws.column_dimensions[get_column_letter(i)].width = 16 if i <= 3 else 9
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def convert_with_soffice(data: bytes, from_ext: str, to_ext: str) -> bytes:
    """docx->pdf, docx->doc, xlsx->xls (and back) with LibreOffice; raises NeedsLibreOffice when absent."""
    from collector.extract.office import convert_one

    return convert_one(data, to_ext, source_ext=from_ext)
