"""Text renderings of a report as real tools make them: PDF text layers and PDF-to-markdown output.

Portals, mirrors and downstream tools hand the collector the same tables in many text forms:
``pdftotext -layout`` (columns as runs of spaces, wrapped label cells, narrow columns glued),
a PDF's plain text layer as pdfplumber or PDFium reads it (label fragments before or after the
values), and markdown written by PDF converters (pipe tables split by headings that repeat the
row label, generic headers such as 数据1…数据6, the 四 table as two 5-column tables). The
accuracy corpus and the tests draw them from documents whose numbers are known.
"""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from collector.errors import CollectorError
from collector.models import Document, Paragraph, Table
from collector.sim.layout import Layout, LayoutTable

TEXT_LAYERS = ("pdftotext-layout", "pdfplumber", "pypdfium2")


def pdftotext_layout(pdf: bytes) -> str:
    """``pdftotext -layout`` (poppler-utils), as many aggregators and scripts extract PDFs."""
    exe = shutil.which("pdftotext")
    if exe is None:
        raise CollectorError("pdftotext is not installed (apt package poppler-utils)")
    with tempfile.TemporaryDirectory(prefix="xxgk-pdftotext-") as tmp:
        src = Path(tmp, "in.pdf")
        src.write_bytes(pdf)
        out = subprocess.run([exe, "-layout", "-enc", "UTF-8", str(src), "-"], capture_output=True, timeout=60,
                             check=True)
    return out.stdout.decode("utf-8", "replace")


def pdfplumber_text(pdf: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "\n".join(page.extract_text() or "" for page in doc.pages)


def pypdfium2_text(pdf: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            pages.append(tp.get_text_range())
            tp.close()
            page.close()
        return "\n".join(pages).replace("\r\n", "\n")
    finally:
        doc.close()


def pdf_text_layer(pdf: bytes, tool: str) -> str:
    """The text of ``pdf`` as ``tool`` (one of :data:`TEXT_LAYERS`) extracts it."""
    fn = {"pdftotext-layout": pdftotext_layout, "pdfplumber": pdfplumber_text, "pypdfium2": pypdfium2_text}[tool]
    return fn(pdf)


# ---------------------------------------------------------------------------------------- markdown

_S3_ANCHOR = "本年新收"
_S4_ANCHOR = ("复议后起诉", "未经复议")
_NUMBERISH = re.compile(r"^[+\-]?\d[\d,.]*")


def _cells(table: Table, r: int) -> list[str]:
    return ["" if (r, c) in table.copies else t.replace("\n", " ").strip() for c, t in enumerate(table.rows[r])]


def _pipe(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"


def _sep(n: int) -> str:
    return "|" + "|".join(["---"] * n) + "|"


def _flat(table: Table, generic: bool) -> list[str]:
    rows = [_cells(table, r) for r in range(len(table.rows))]
    width = max(len(r) for r in rows)
    if generic:
        head = ["项目"] + [f"数据{i}" for i in range(1, width)]
        return [_pipe(head), _sep(width)] + [_pipe(r) for r in rows]
    return [_pipe(rows[0]), _sep(width)] + [_pipe(r) for r in rows[1:]]


def _s3_start(table: Table) -> int | None:
    for row in table.rows[:4]:
        for c, t in enumerate(row):
            if re.sub(r"\s", "", t) == "自然人":
                return c
    return None


def _s3_split(table: Table, rng: random.Random) -> list[str]:
    """三 as small tables under headings: a group's label, or the row's own label repeated."""
    start = _s3_start(table)
    if start is None:
        return _flat(table, generic=True)
    out: list[str] = []
    first = next((r for r, row in enumerate(table.rows) if any(_S3_ANCHOR in t for t in row)), None)
    if first is None:
        return _flat(table, generic=True)
    n = table.width - start
    head = ["项目"] + [f"数据{i}" for i in range(1, n)] + (["总计"] if rng.random() < 0.5 else [f"数据{n}"])
    group_prev = None
    open_table = False
    for r in range(first, len(table.rows)):
        full = table.rows[r]
        labels = [t.strip() for t in full[:start]]
        own = labels[-1] if labels else ""
        group = next((t for t in labels[:-1] if t and t != own and "本年度办理结果" not in t), None)
        heading = group if group else own
        if heading != group_prev or not group:
            out += ["", f"### {heading}", "", _pipe(head), _sep(len(head))]
            open_table = True
        group_prev = group
        values = _cells(table, r)[start:]
        label = own if group else "".join(dict.fromkeys(t for t in labels if t))
        out.append(_pipe([label, *values]))
    if open_table:
        out.append("")
    return out


def _s4_two_tables(table: Table) -> list[str]:
    """四 as two 5-column tables: 行政复议, then 行政诉讼 with one row per block."""
    values = None
    for r in range(len(table.rows) - 1, -1, -1):
        cells = _cells(table, r)
        if sum(1 for t in cells if _NUMBERISH.match(t) or t in ("", "—", "/")) == len(cells) and any(cells):
            values = [table.rows[r][c] for c in range(len(table.rows[r]))]
            break
    if values is None or len(values) != 15:
        return _flat(table, generic=False)
    head = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    return ["#### 行政复议", "", _pipe(head), _sep(5), _pipe(values[:5]), "",
            "#### 行政诉讼", "", _pipe(["项目", *head]), _sep(6),
            _pipe(["未经复议直接起诉", *values[5:10]]), _pipe(["复议后起诉", *values[10:15]]), ""]


def document_to_markdown(doc: Document, *, style: str = "split", seed: int = 0) -> str:
    """Markdown as a PDF converter writes it.

    ``flat``: one pipe table per table, its first row as the header. ``split``: 三 as small
    tables under headings that repeat the group or row label, with generic 数据N headers, and
    四 as two 5-column tables; other tables flat with generic headers.
    """
    rng = random.Random(seed)
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            text = block.text.strip()
            if re.match(r"^[一二三四五六]、", text) and len(text) < 40:
                out += ["", f"## {text}", ""]
            else:
                out.append(text)
            continue
        flat = "\n".join(t for row in block.rows for t in row)
        out.append("")
        if style == "split" and _S3_ANCHOR in flat:
            out += _s3_split(block, rng)
        elif style == "split" and any(a in flat for a in _S4_ANCHOR):
            out += _s4_two_tables(block)
        else:
            out += _flat(block, generic=style == "split")
        out.append("")
    return "\n".join(out).strip() + "\n"


# ------------------------------------------------------------------ text with page and line breaks

def document_to_text(doc: Document) -> str:
    """Tab-separated text, one table row per line (as a text layer that kept the cell order)."""
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            out.append(block.text)
        else:
            out += ["\t".join(_cells(block, r)) for r in range(len(block.rows))]
    return "\n".join(out) + "\n"


def _is_value(cell: str) -> bool:
    return bool(_NUMBERISH.match(cell.strip())) or cell.strip() in ("", "—", "/", "-", "无")


def text_with_breaks(text: str, seed: int, *, share: float = 0.35) -> str:
    """Break long labels across lines (and pages) with stray spaces; repeat rows and headers at breaks.

    What a text layer of a multi-page table does: a label cell wraps ("（二）部分公开（区分处理的，只计
    这一情" / "形，不计其他情形）"), a page marker lands between the two halves, spaces appear inside
    words, and after a page break the table header is printed again and the last row is repeated.
    Values stay on the first or the second half of the label, at random; numbers never change.
    """
    rng = random.Random(seed)
    lines = text.split("\n")
    out: list[str] = []
    header: list[str] = []
    in_s3 = False
    page = 2
    for ln in lines:
        cells = ln.split("\t")
        if ln.startswith("三、") and "申请" in ln:
            in_s3 = True
        elif ln.startswith("四、") and ("复议" in ln or "诉讼" in ln):
            in_s3 = False
        if in_s3 and len(cells) > 1 and not any(_NUMBERISH.match(c) for c in cells) and len(header) < 3:
            header.append(ln)
        label_idx = max((i for i, c in enumerate(cells) if c and not _is_value(c)), default=-1)
        values = cells[label_idx + 1:]
        has_values = label_idx >= 0 and any(_NUMBERISH.match(v) for v in values)
        if has_values and in_s3 and header and rng.random() < 0.08:
            # a page break: marker, the header again, and this row printed on both pages (the copy
            # at the foot of the page sometimes cut short)
            first = ln if rng.random() < 0.5 else "\t".join(cells[:-1])
            out += [first, f"- {page} -", *header, ln]
            page += 1
            continue
        lab = cells[label_idx] if label_idx >= 0 else ""
        if has_values and len(lab) > 7 and rng.random() < share:
            cut = rng.randint(3, len(lab) - 2)
            first, second = lab[:cut], lab[cut:]
            if rng.random() < 0.3:
                second = second[:1] + " " + second[1:]
            prefix = cells[:label_idx]
            if rng.random() < 0.5:  # values with the first half
                out.append("\t".join([*prefix, first, *values]))
                if rng.random() < 0.25:
                    out.append(f"- {page} -")
                    page += 1
                out.append(second)
            else:  # values after the second half
                out.append("\t".join([*prefix, first]))
                if rng.random() < 0.25:
                    out.append(f"- {page} -")
                    page += 1
                out.append("\t".join([second, *values]))
            continue
        out.append(ln)
    return "\n".join(out)


def layout_to_document(layout: Layout) -> Document:
    """The :class:`Document` an extractor would return for ``layout`` (title, paragraphs, grids)."""
    blocks: list[Paragraph | Table] = [Paragraph(t) for t in layout.title.split("\n")]
    for n, block in enumerate(layout.blocks):
        if isinstance(block, LayoutTable):
            blocks.append(block.to_table(where=f"table {n + 1}"))
        else:
            blocks.append(Paragraph(block))
    blocks += [Paragraph(t) for t in layout.signature]
    return Document(blocks=blocks, media_type="text", extractor="layout")


def glue_numbers(text: str, seed: int, *, share: float = 0.2) -> str:
    """Run two neighbouring numbers of a table row together, as ``pdftotext -layout`` does where
    a narrow column leaves no space ("50 2" -> "502"); and put a contact line with a long number
    after table 四, as reports print one (a number a parser must not take for a cell)."""
    rng = random.Random(seed)
    out: list[str] = []
    section = 0
    for ln in text.split("\n"):
        s = ln.strip()
        m = re.match(r"^([一二三四五六])、", s)
        if m and len(s) < 40 and any(k in s for k in ("主动公开", "申请情况", "复议", "问题", "其他需要")):
            section = "一二三四五六".index(m.group(1)) + 1
        tokens = list(re.finditer(r"\S+", ln))
        nums = [t for t in tokens if re.fullmatch(r"\d+", t.group())]
        if section == 3 and len(nums) >= 5 and rng.random() < share:
            k = rng.randrange(len(nums) - 1)
            a, b = nums[k], nums[k + 1]
            if ln[a.end():b.start()].strip() == "":
                ln = ln[: a.end()] + ln[b.start():]
        out.append(ln)
        if section == 4 and len(nums) >= 10:
            out.append("政府信息公开咨询电话   8036912")
    return "\n".join(out)
