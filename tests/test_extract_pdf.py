"""PDF extractor: ruled tables stitched across pages, wrapped numbers, page markers, unruled tables."""

from __future__ import annotations

import pytest

from collector.extract import bytes_to_document
from collector.extract.grid import join_lines
from collector.extract.limits import DEFAULT_LIMITS
from collector.extract.pdf import pdf_probe, pdf_to_document
from collector.extract.pdf_text import PAGE_MARKER
from collector.models import Paragraph
from tests.extract_truth import all_mismatches, find_row, find_table, load


@pytest.fixture(scope="module")
def gb2021_pdf():
    data, truth = load("gb2021.pdf")
    return data, truth, pdf_to_document(data)


def test_pdf_tables_hold_the_truth(gb2021_pdf) -> None:
    _, truth, doc = gb2021_pdf
    assert (doc.media_type, doc.extractor) == ("pdf", "pypdfium2+pdfplumber")
    assert all_mismatches(doc, truth) == []


def test_tables_broken_across_pages_are_stitched(gb2021_pdf) -> None:
    data, truth, doc = gb2021_pdf
    assert pdf_probe(data, DEFAULT_LIMITS).pages >= 3
    s3 = find_table(doc, "本年新收", min_width=8)
    assert "continues to page" in s3.where  # the fixture really breaks inside 三
    assert len(s3.rows) == 28 and s3.width == 10  # one table, the layout's shape
    s2 = find_table(doc, "第二十条")
    assert "continues to page" in s2.where and s2.width == 4
    # a row cut by the page break is joined back, its neighbours are not merged into it
    labels = [r[2] for r in s3.rows]
    assert "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请" in labels
    assert [r[0] for r in s2.rows].count("行政强制") == 1 and "行政处罚" in [r[0] for r in s2.rows]
    # the 三、本年度办理结果 span continues over the page break
    assert sum(r[0] == "三、本年度办理结果" for r in s3.rows) == 22


def test_number_wrapped_in_a_narrow_cell_is_joined(gb2021_pdf) -> None:
    _, truth, doc = gb2021_pdf
    s4 = find_table(doc, "行政复议", min_width=15)
    assert s4.rows[-1][5] == "1203" and s4.rows[-1][9] == str(truth["s4"]["litigation_direct"]["total"])
    assert join_lines(["196", "5"]) == "1965" and join_lines(["法人或其他", "组织"]) == "法人或其他组织"


def test_text_in_reading_order_without_page_markers(gb2021_pdf) -> None:
    _, _, doc = gb2021_pdf
    paras = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert paras[0].startswith("江川市市场监督管理局2023年")
    headings = [t for t in paras if t[:2] in ("一、", "二、", "三、", "四、", "五、", "六、")]
    assert headings == ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                        "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
    kinds = ["T" if not isinstance(b, Paragraph) else b.text[:2] for b in doc.blocks]
    assert kinds.index("T") > kinds.index("二、") and kinds.index("三、") < len(kinds) - kinds[::-1].index("T")
    assert not any(PAGE_MARKER.match(t) for t in paras)


@pytest.mark.parametrize("text", ["- 4 -", "— 5 —", "第 3 页 共 10 页", "－12－", "3/10"])
def test_page_marker_pattern(text: str) -> None:
    assert PAGE_MARKER.match(text)


@pytest.mark.parametrize("text", ["2023年", "一、总体情况", "1965件"])
def test_page_marker_pattern_spares_text(text: str) -> None:
    assert not PAGE_MARKER.match(text)


def test_owner_password_pdf_still_reads() -> None:
    data, truth = load("gb2021_owner_password.pdf")
    assert b"/Encrypt" in data
    assert all_mismatches(pdf_to_document(data), truth) == []


def test_unruled_tables_fall_back_to_word_columns() -> None:
    data, truth = load("gb2019_noborder.pdf")
    doc = bytes_to_document(data)
    s3 = find_table(doc, "本年新收", min_width=8)
    row = find_row(s3, "一、本年新收政府信息公开申请数量", 7)
    nr = truth["s3"]["new_received"]
    assert row[-7:] == [str(nr[c]) if nr[c] is not None else "—" for c in
                        ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
                         "legal_service_org", "other_org", "total")]
    s2 = find_table(doc, "行政许可")
    assert find_row(s2, "行政许可", 3)[1:] == ["128", "+2", "3504"]
    s4 = next(t for t in doc.tables if t.width == 15)
    assert s4.rows[-1] == ["3", "1", "—", "—", "4", "2", "—", "1", "1", "4", "—", "—", "—", "—", "0"]
