"""DOCX -> Document: python-docx opens the package, a walk of the WordprocessingML does the rest.

python-docx's table API hides what the report tables are made of: ``w:gridSpan`` (colspan),
``w:vMerge`` restart/continue (rowspan), ``w:gridBefore``/``w:gridAfter`` (rows that start late),
legacy ``w:hMerge`` and grids full of sliver columns. Walking the XML resolves those into
:class:`~collector.grid.SpanCell` rectangles, the same form every other extractor produces.
Automatic list numbering is rendered ("一、" headings are often numbering, not text), because
the parser anchors on those ordinals.
"""

from __future__ import annotations

import io
from typing import Any

from lxml import etree

from collector.errors import CorruptFile, ExtractError
from collector.extract.grid import SpanCell, grid_table
from collector.extract.limits import Deadline, ExtractLimits, guarded, open_safe_zip
from collector.models import Block, Document, Paragraph

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


W_P, W_TBL, W_TR, W_TC, W_SDT, W_SDTCONTENT, W_CUSTOMXML = (
    _w(t) for t in ("p", "tbl", "tr", "tc", "sdt", "sdtContent", "customXml"))
W_T, W_TAB, W_BR, W_CR, W_NBH, W_SYM = (_w(t) for t in ("t", "tab", "br", "cr", "noBreakHyphen", "sym"))
W_VAL = _w("val")
MC_FALLBACK = f"{{{MC}}}Fallback"
_TEXT_TAGS = (W_T, W_TAB, W_BR, W_CR, W_NBH, W_SYM)


@guarded("DOCX")
def docx_to_document(
    data: bytes,
    *,
    source_url: str | None = None,
    encoding: str | None = None,
    limits: ExtractLimits | dict[str, Any] | None = None,
) -> Document:
    """Read a DOCX (or a DOCM/DOTX: the content type is not checked, macros are never run)."""
    lim = ExtractLimits.resolve(limits)
    deadline = Deadline(lim.max_seconds)
    open_safe_zip(data, lim, "DOCX").close()
    try:
        from docx.opc.package import OpcPackage

        part = OpcPackage.open(io.BytesIO(data)).main_document_part
        body = part.element.body
    except ExtractError:
        raise
    except Exception as e:  # python-docx / lxml raise many types on damaged packages
        raise CorruptFile(f"DOCX could not be opened ({type(e).__name__}: {e})") from None
    if body is None:
        raise CorruptFile("DOCX has no document body")
    walker = _Walker(_Numbering.from_part(part), lim, deadline)
    blocks = walker.blocks(body)
    meta: dict[str, Any] = {}
    if source_url:
        meta["source_url"] = source_url
    try:
        core = part.package.core_properties
        if core.title:
            meta["title"] = core.title
        if core.created:
            meta["created"] = core.created.isoformat()
    except Exception:  # noqa: BLE001 - core properties are optional and often malformed
        pass
    return Document(blocks=blocks, media_type="docx", extractor="python-docx", meta=meta,
                    warnings=walker.warnings)


class _Walker:
    """Body-order walk: paragraphs and tables, recursing through content controls."""

    def __init__(self, numbering: _Numbering, limits: ExtractLimits, deadline: Deadline) -> None:
        self.numbering = numbering
        self.limits = limits
        self.deadline = deadline
        self.n_tables = 0
        self.warnings: list[str] = []

    def blocks(self, container: etree._Element) -> list[Block]:
        out: list[Block] = []
        for el in _children(container):
            if el.tag == W_P:
                text = self.paragraph_text(el)
                if text.strip():
                    out.append(Paragraph(text.strip()))
            elif el.tag == W_TBL:
                self.deadline.check("tables")
                out.extend(self.table_blocks(el))
            elif el.tag == _w("altChunk"):
                self.warnings.append("DOCX embeds an altChunk (imported document) that was not read")
        return out

    def paragraph_text(self, p: etree._Element) -> str:
        parts: list[str] = [self.numbering.label(p)]
        has_fallback = p.find(f".//{MC_FALLBACK}") is not None
        for el in p.iter(*_TEXT_TAGS):
            if has_fallback and any(a.tag == MC_FALLBACK for a in el.iterancestors()):
                continue
            tag = el.tag
            if tag == W_T:
                parts.append(el.text or "")
            elif tag == W_TAB:
                parts.append("\t")
            elif tag in (W_BR, W_CR):
                parts.append("\n")
            elif tag == W_NBH:
                parts.append("-")
        return "".join(parts)

    def cell_content(self, tc: etree._Element) -> tuple[str, list[etree._Element]]:
        """Cell text (paragraphs joined by newlines) and the nested tables it holds."""
        lines: list[str] = []
        nested: list[etree._Element] = []
        for el in _children(tc):
            if el.tag == W_P:
                t = self.paragraph_text(el).strip()
                if t:
                    lines.append(t)
            elif el.tag == W_TBL:
                nested.append(el)
                lines.extend(_flat_text(self, el))
        return "\n".join(lines), nested

    def table_blocks(self, tbl: etree._Element) -> list[Block]:
        rows = [tr for tr in _children(tbl) if tr.tag == W_TR]
        tcs = [tc for tr in rows for tc in _children(tr) if tc.tag == W_TC]
        has_nested = any(tc.find(W_TBL) is not None for tc in tcs)
        if has_nested and (len(tcs) <= 4 or all(
                sum(1 for tc in _children(tr) if tc.tag == W_TC) == 1 for tr in rows)):
            # a layout wrapper (the whole report in a 1x1 or 2x2 frame): unwrap it
            out: list[Block] = []
            for tc in tcs:
                out.extend(self.blocks(tc))
            return out
        cells = self.table_cells(rows)
        self.n_tables += 1
        table = grid_table(cells, where=f"table {self.n_tables}", max_cells=self.limits.max_cells)
        return [table] if table is not None else []

    def table_cells(self, rows: list[etree._Element]) -> list[SpanCell]:
        cells: list[SpanCell] = []
        open_v: dict[int, SpanCell] = {}  # grid column -> cell a vMerge continue extends
        for r, tr in enumerate(rows):
            c = _int(tr.find(f"{_w('trPr')}/{_w('gridBefore')}"), 0)
            seen: set[int] = set()
            last: SpanCell | None = None
            for tc in _children(tr):
                if tc.tag != W_TC:
                    continue
                tcpr = tc.find(_w("tcPr"))
                span = max(1, min(_int(tcpr.find(_w("gridSpan")) if tcpr is not None else None, 1), 64))
                vm = tcpr.find(_w("vMerge")) if tcpr is not None else None
                hm = tcpr.find(_w("hMerge")) if tcpr is not None else None
                if hm is not None and hm.get(W_VAL) != "restart" and last is not None and last.r1 == r + 1:
                    last.c1 = c + span  # legacy horizontal merge: widen the cell to the left
                    c += span
                    continue
                if vm is not None and vm.get(W_VAL, "continue") == "continue" and c in open_v:
                    origin = open_v[c]
                    origin.r1 = r + 1
                    seen.add(c)
                    last = origin
                    c += span
                    continue
                text, _ = self.cell_content(tc)
                cell = SpanCell(r, c, r + 1, c + span, text)
                cells.append(cell)
                last = cell
                if vm is not None:
                    open_v[c] = cell
                    seen.add(c)
                c += span
            open_v = {k: v for k, v in open_v.items() if k in seen}
        return cells


def _children(el: etree._Element) -> list[etree._Element]:
    """Child elements, looking through content controls and custom XML wrappers."""
    out: list[etree._Element] = []
    for ch in el:
        if ch.tag == W_SDT:
            content = ch.find(W_SDTCONTENT)
            if content is not None:
                out.extend(_children(content))
        elif ch.tag == W_CUSTOMXML:
            out.extend(_children(ch))
        elif isinstance(ch.tag, str):
            out.append(ch)
    return out


def _flat_text(walker: _Walker, tbl: etree._Element) -> list[str]:
    """A table nested in a data cell becomes text lines: one per row, cells joined by spaces."""
    lines = []
    for tr in _children(tbl):
        if tr.tag != W_TR:
            continue
        texts = [walker.cell_content(tc)[0].replace("\n", "") for tc in _children(tr) if tc.tag == W_TC]
        line = " ".join(t for t in texts if t)
        if line:
            lines.append(line)
    return lines


def _int(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    try:
        return int(el.get(W_VAL, default))
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------- automatic numbering

_CN_DIGITS = "零一二三四五六七八九"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"


def _chinese(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def _roman(n: int) -> str:
    vals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
            (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for v, s in vals:
        while n >= v:
            out += s
            n -= v
    return out


def format_number(n: int, fmt: str) -> str:
    """Render a list counter in a Word number format (the ones Chinese reports use)."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "taiwaneseCounting"):
        return _chinese(n)
    if fmt == "ideographTraditional":
        return _TIANGAN[(n - 1) % 10]
    if fmt == "decimalFullWidth":
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt in ("upperLetter", "lowerLetter"):
        s = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return s if fmt == "upperLetter" else s.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        return _roman(n) if fmt == "upperRoman" else _roman(n).lower()
    if fmt in ("bullet", "none"):
        return ""
    return str(n)


class _Numbering:
    """Just enough of numbering.xml to print "一、" / "（二）" / "3." labels in order."""

    def __init__(self, levels: dict[str, dict[int, tuple[int, str, str]]], nums: dict[str, tuple[str, dict[int, int]]],
                 style_num: dict[str, tuple[str, int]]) -> None:
        self.levels = levels          # abstractNumId -> ilvl -> (start, numFmt, lvlText)
        self.nums = nums              # numId -> (abstractNumId, start overrides)
        self.style_num = style_num    # paragraph style id -> (numId, ilvl)
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()

    @classmethod
    def from_part(cls, part: Any) -> _Numbering:
        levels: dict[str, dict[int, tuple[int, str, str]]] = {}
        nums: dict[str, tuple[str, dict[int, int]]] = {}
        style_num: dict[str, tuple[str, int]] = {}
        try:
            root = part.numbering_part.element
        except Exception:  # noqa: BLE001 - no numbering part
            root = None
        if root is not None:
            for an in root.findall(_w("abstractNum")):
                lv: dict[int, tuple[int, str, str]] = {}
                for lvl in an.findall(_w("lvl")):
                    fmt = lvl.find(_w("numFmt"))
                    txt = lvl.find(_w("lvlText"))
                    lv[int(lvl.get(_w("ilvl"), 0))] = (
                        _int(lvl.find(_w("start")), 1),
                        fmt.get(W_VAL, "decimal") if fmt is not None else "decimal",
                        txt.get(W_VAL, "") if txt is not None else "")
                levels[an.get(_w("abstractNumId"), "")] = lv
            for num in root.findall(_w("num")):
                ref = num.find(_w("abstractNumId"))
                overrides = {int(o.get(_w("ilvl"), 0)): _int(o.find(_w("startOverride")), 1)
                             for o in num.findall(_w("lvlOverride")) if o.find(_w("startOverride")) is not None}
                nums[num.get(_w("numId"), "")] = (ref.get(W_VAL, "") if ref is not None else "", overrides)
        try:
            styles = part._styles_part.element
            for st in styles.findall(_w("style")):
                numpr = st.find(f"{_w('pPr')}/{_w('numPr')}")
                if numpr is not None:
                    num_id = numpr.find(_w("numId"))
                    if num_id is not None:
                        style_num[st.get(_w("styleId"), "")] = (num_id.get(W_VAL, ""), _int(numpr.find(_w("ilvl")), 0))
        except Exception:  # noqa: BLE001 - styles are optional
            pass
        return cls(levels, nums, style_num)

    def label(self, p: etree._Element) -> str:
        if not self.nums:
            return ""
        ppr = p.find(_w("pPr"))
        if ppr is None:
            return ""
        numpr = ppr.find(_w("numPr"))
        num_id, ilvl = None, 0
        if numpr is not None:
            el = numpr.find(_w("numId"))
            num_id = el.get(W_VAL) if el is not None else None
            ilvl = _int(numpr.find(_w("ilvl")), 0)
        else:
            ps = ppr.find(_w("pStyle"))
            if ps is not None and ps.get(W_VAL) in self.style_num:
                num_id, ilvl = self.style_num[ps.get(W_VAL, "")]
        if not num_id or num_id == "0" or num_id not in self.nums:
            return ""
        abstract, overrides = self.nums[num_id]
        levels = self.levels.get(abstract, {})
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(abstract, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for lvl, start in overrides.items():
                counters[lvl] = start - 1
        counters[ilvl] = counters.get(ilvl, levels[ilvl][0] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        text = levels[ilvl][2]
        for k in range(ilvl, -1, -1):
            if f"%{k + 1}" in text:
                n = counters.get(k, levels.get(k, (1, "decimal", ""))[0])
                text = text.replace(f"%{k + 1}", format_number(n, levels.get(k, (1, "decimal", ""))[1]))
        return text if levels[ilvl][1] != "bullet" else ""
