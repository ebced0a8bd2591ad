"""DOCX extractor: fixtures against their ground truth, and hand-built WordprocessingML quirks."""

from __future__ import annotations

import io
import zipfile

import pytest

from collector.errors import CorruptFile
from collector.extract import bytes_to_document
from collector.extract.docx import docx_to_document, format_number
from collector.models import Paragraph, Table
from collector.sim.layout import record_to_layout
from collector.sim.render_office import layout_to_docx
from tests.extract_truth import all_mismatches, load

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
CT = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/numbering.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>
</Types>"""
RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="word/document.xml"/></Relationships>"""
DOC_RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"
 Target="numbering.xml"/></Relationships>"""
NUMBERING = f"""<?xml version="1.0" encoding="UTF-8"?>
<w:numbering {W}><w:abstractNum w:abstractNumId="0">
<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
</w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>"""


def make_docx(body: str, *, doctype: str = "") -> bytes:
    doc = f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<w:document {W}><w:body>{body}</w:body></w:document>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CT)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("word/_rels/document.xml.rels", DOC_RELS)
        zf.writestr("word/document.xml", doc)
        zf.writestr("word/numbering.xml", NUMBERING)
    return buf.getvalue()


def p(text: str, num: tuple[int, int] | None = None) -> str:
    ppr = f'<w:pPr><w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr></w:pPr>' if num else ""
    return f"<w:p>{ppr}<w:r><w:t>{text}</w:t></w:r></w:p>"


def tc(text: str = "", span: int = 1, vmerge: str | None = None) -> str:
    pr = ""
    if span > 1:
        pr += f'<w:gridSpan w:val="{span}"/>'
    if vmerge == "restart":
        pr += '<w:vMerge w:val="restart"/>'
    elif vmerge == "continue":
        pr += "<w:vMerge/>"
    return f"<w:tc><w:tcPr>{pr}</w:tcPr>{p(text) if text else '<w:p/>'}</w:tc>"


def tr(*cells: str, before: int = 0, after: int = 0) -> str:
    pr = ""
    if before or after:
        pr = "<w:trPr>" + (f'<w:gridBefore w:val="{before}"/>' if before else "") + (
            f'<w:gridAfter w:val="{after}"/>' if after else "") + "</w:trPr>"
    return f"<w:tr>{pr}{''.join(cells)}</w:tr>"


def tbl(*rows: str) -> str:
    return f"<w:tbl>{''.join(rows)}</w:tbl>"


@pytest.mark.parametrize("name", ["gb2021.docx", "gb2019_sliver.docx"])
def test_fixture_tables_hold_the_truth(name: str) -> None:
    data, truth = load(name)
    doc = bytes_to_document(data, source_url=f"https://example.gov.cn/{name}")
    assert (doc.media_type, doc.extractor) == ("docx", "python-docx")
    assert all_mismatches(doc, truth) == []


def test_sliver_column_is_collapsed_to_the_layout_grid() -> None:
    data, _ = load("gb2019_sliver.docx")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read("word/document.xml").decode()
    assert xml.count("<w:gridCol") == 5 + 11 + 16  # the file really has the extra grid column
    assert [t.width for t in docx_to_document(data).tables] == [4, 10, 15]


def test_docx_blocks_equal_the_layout() -> None:
    """Same grid, same copies as the layout (which the HTML renderer also draws)."""
    _, truth = load("gb2021.docx")
    lay = record_to_layout(truth)
    doc = docx_to_document(layout_to_docx(lay))
    expected = [b.to_table() for b in lay.blocks if not isinstance(b, str)]
    assert [t.rows for t in doc.tables] == [t.rows for t in expected]
    assert [t.copies for t in doc.tables] == [t.copies for t in expected]
    kinds = ["T" if isinstance(b, Table) else "P" for b in doc.blocks]
    assert kinds.count("T") == 3 and kinds[0] == "P"


def test_vmerge_gridspan_gridbefore_after() -> None:
    body = tbl(
        tr(tc("组", vmerge="restart"), tc("标题", span=2)),
        tr(tc(vmerge="continue"), tc("a"), tc("1")),
        tr(tc("b"), tc("2"), before=1),   # starts one grid column late
        tr(tc("c"), tc("3"), after=1),    # ends one grid column early
    )
    doc = docx_to_document(make_docx(body))
    t = doc.tables[0]
    assert t.rows == [["组", "标题", "标题"], ["组", "a", "1"], ["", "b", "2"], ["c", "3", ""]]
    assert (1, 0) in t.copies and (0, 2) in t.copies and (0, 1) not in t.copies


def test_phantom_columns_empty_or_only_spanned_are_removed() -> None:
    body = tbl(
        tr(tc("label", span=2), tc(""), tc("x")),
        tr(tc("r1", span=2), tc(""), tc("5")),
    )
    t = docx_to_document(make_docx(body)).tables[0]
    assert t.rows == [["label", "x"], ["r1", "5"]]


def test_nested_layout_table_is_unwrapped_and_data_nested_table_flattened() -> None:
    inner = tbl(tr(tc("自然人"), tc("12")), tr(tc("法人"), tc("3")))
    wrapper = f"<w:tbl><w:tr><w:tc>{p('前言')}{inner}</w:tc></w:tr></w:tbl>"
    doc = docx_to_document(make_docx(wrapper))
    assert isinstance(doc.blocks[0], Paragraph) and doc.blocks[0].text == "前言"
    assert doc.tables[0].rows == [["自然人", "12"], ["法人", "3"]]
    data_table = tbl(tr(tc("a"), tc("b"), tc("c")),
                     f"<w:tr>{tc('x')}{tc('y')}<w:tc>{inner}</w:tc></w:tr>")
    t = docx_to_document(make_docx(data_table)).tables[0]
    assert t.rows[1][2] == "自然人 12\n法人 3"


def test_automatic_numbering_is_rendered() -> None:
    body = p("总体情况", (1, 0)) + p("主动公开", (1, 1)) + p("依申请公开", (1, 1)) + p("存在问题", (1, 0))
    texts = [b.text for b in docx_to_document(make_docx(body)).blocks]
    assert texts == ["一、总体情况", "（一）主动公开", "（二）依申请公开", "二、存在问题"]


def test_content_controls_and_mc_fallback_are_read_once() -> None:
    sdt = f"<w:sdt><w:sdtContent>{p('控件内文字')}</w:sdtContent></w:sdt>"
    mc = ('<w:p><w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
          "<mc:Choice><w:t>框</w:t></mc:Choice><mc:Fallback><w:t>框</w:t></mc:Fallback>"
          "</mc:AlternateContent></w:r></w:p>")
    texts = [b.text for b in docx_to_document(make_docx(sdt + mc)).blocks]
    assert texts == ["控件内文字", "框"]


@pytest.mark.parametrize(("n", "fmt", "out"), [(12, "chineseCounting", "十二"), (3, "decimal", "3"),
                                               (2, "ideographTraditional", "乙"), (4, "upperRoman", "IV")])
def test_number_formats(n: int, fmt: str, out: str) -> None:
    assert format_number(n, fmt) == out


def test_damaged_docx_is_corrupt() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", CT)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("word/document.xml", "<w:document><unclosed>")
    with pytest.raises(CorruptFile):
        docx_to_document(buf.getvalue())
