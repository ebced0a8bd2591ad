"""Real-world renderings of gb2019/gb2021 reports (issue #9): every class of failure seen on real
portals and tools, each read right or left blank with a warning — never a wrong number.

PDF text layers come from a committed LibreOffice PDF (``gb2021_textlayer.pdf``: zeros printed,
4-digit numbers that wrap in their narrow cells, a title broken over two lines, tables cut by
page breaks), read by the tools that produce them; the other renderings are drawn from records
whose numbers are known.
"""

from __future__ import annotations

import copy
import io
import random
import shutil

import pytest

from collector.parse.normalize import parse_value
from collector.pipeline import SourceContext, process_document
from collector.sim.layout import record_to_layout
from collector.sim.render_office import layout_to_xlsx
from collector.sim.render_text import (
    document_to_markdown,
    document_to_text,
    layout_to_document,
    pdf_text_layer,
)
from collector.sim.truth import flat_numbers
from collector.sim.variants import broken_title, hybrid_layout, hybrid_single_other_row, with_cell_notes
from tests.extract_truth import load
from tests.reportgen import layout_to_html, make_record

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
C7 = ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org", "legal_service_org",
      "other_org", "total")


def _parse(data: bytes, url: str = "https://www.example.gov.cn/r.txt", hint: str | None = None) -> dict:
    out = process_document(data, SourceContext(source_url=url, hint=hint))
    assert out.record is not None, out.document
    return out.record


def _wrong(rec: dict, truth: dict) -> dict:
    """Cells read differently from the truth (a blank where a number is expected counts too);
    derived figures (gb2021 其他处理 = the sum of its three rows) are not read cells."""
    got, exp = flat_numbers(rec), flat_numbers(truth)
    derived = set(rec["derived_fields"])
    return {k: (got.get(k), v) for k, v in exp.items() if got.get(k) != v and k not in derived}


def _named(rec: dict) -> set[str]:
    return {f for finding in rec["validation"] for f in finding.get("fields") or []}


# ----------------------------------------------------------------------- 5. PDF text layers

@pytest.fixture(scope="module")
def textlayer_pdf() -> tuple[bytes, dict]:
    return load("gb2021_textlayer.pdf")


@pytest.mark.parametrize("tool", [
    pytest.param("pdftotext-layout", marks=needs_pdftotext), "pdfplumber", "pypdfium2"])
def test_pdf_text_layers_read_every_cell(textlayer_pdf: tuple[bytes, dict], tool: str) -> None:
    """Columns as runs of spaces (pdftotext), single spaces (pdfplumber), label fragments before
    the values (PDFium); 4-digit numbers wrapped in narrow cells ("184" over "4")."""
    pdf, truth = textlayer_pdf
    rec = _parse(pdf_text_layer(pdf, tool).encode())
    assert _wrong(rec, truth) == {}
    assert rec["format_version"] == "gb2021" and rec["report_year"] == 2023
    # the wrapped numbers were put back by the table's sums, and the record says so
    assert rec["s3"]["new_received"]["natural_person"] == 1844
    assert rec["s4"]["litigation_direct"]["total"] == 1965
    assert any("only one under which" in w for w in rec["parse_warnings"])
    assert not [f for f in rec["validation"] if f["severity"] == "error"]


def test_text_layer_of_a_table_with_blank_cells_is_never_guessed() -> None:
    """The committed gb2021.pdf leaves cells blank: its text layer cannot place most numbers.
    Whatever is read must be right; the rest is blank and reported."""
    pdf, truth = load("gb2021.pdf")
    rec = _parse(pdf_text_layer(pdf, "pdfplumber").encode())
    got, exp = flat_numbers(rec), flat_numbers(truth)
    wrong = {k: (got[k], exp[k]) for k in exp if got.get(k) is not None and got[k] != exp[k]}
    assert wrong == {}
    assert any("could not be placed" in w for w in rec["parse_warnings"])
    assert rec["parse_status"] == "partial"


# ----------------------------------------------------------------------- 1. titles

@pytest.mark.parametrize("tool", ["pdf", "pdfplumber", "pypdfium2"])
def test_title_broken_across_lines(textlayer_pdf: tuple[bytes, dict], tool: str) -> None:
    """"江川市东湖区人民政府2023年政府信息公开" over "工作年度报告": not the agency "工作"."""
    pdf, truth = textlayer_pdf
    data = pdf if tool == "pdf" else pdf_text_layer(pdf, tool).encode()
    rec = _parse(data, "https://www.example.gov.cn/r." + ("pdf" if tool == "pdf" else "txt"))
    assert rec["agency_name"] == truth["agency_name"]
    assert rec["report_year"] == 2023
    assert rec["published_date"] == truth["published_date"]


@pytest.mark.parametrize("style", ["agency", "cut", "year-first"])
def test_title_lines_joined_in_reading_order(style: str) -> None:
    rec = make_record("gb2021", 2023, seed=3, agency="东湖区人民政府")
    lay = broken_title(record_to_layout(rec), "东湖区人民政府", 2023, style)
    out = _parse(document_to_text(layout_to_document(lay)).encode())
    assert out["agency_name"] == "东湖区人民政府"
    assert out["report_year"] == 2023


def test_interleaved_title_falls_back_to_the_signature() -> None:
    """Two title lines whose characters a text layer interleaved: the agency comes from the
    signature over the closing date (then "本报告由X编制", then the opening sentence)."""
    rec = make_record("gb2019", 2020, seed=4, agency="清河县西城街道人民政府")
    text = document_to_text(layout_to_document(record_to_layout(rec))).split("\n")
    text[0] = "2020清河县西城街道人民政府 年政府信息公开工作年度报告"
    out = _parse("\n".join(text).encode())
    assert out["agency_name"] == "清河县西城街道人民政府"
    body = ["2020年政府信息公开工作年度报告", "本报告由临河区统计局编制。", "一、总体情况", "本年度无申请。"]
    assert _parse("\n".join(body).encode())["agency_name"] == "临河区统计局"


# ----------------------------------------------------------------------- 2. notes in number cells

def _docx_with_notes(data: bytes, share: float, seed: int) -> tuple[bytes, int]:
    """The committed DOCX with notes typed after a share of its numbers (as agencies annotate)."""
    import re
    import zipfile

    rnd = random.Random(seed)
    notes = ("（其中修订{k}件）", "（含转办{k}件）", "*", "①", "(含{k}件)", "※")
    count = 0

    def note(m: re.Match[str]) -> str:
        nonlocal count
        n = m.group(2)
        if int(n) == 0 or rnd.random() >= share:
            return m.group(0)
        count += 1
        return m.group(1) + n + rnd.choice(notes).format(k=max(1, int(n) // 2)) + m.group(3)

    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "word/document.xml":
                body = re.sub(r"(<w:t(?: [^>]*)?>)(\d+)(</w:t>)", note, body.decode("utf-8")).encode("utf-8")
            out.writestr(item, body)
    return buf.getvalue(), count


def test_numbers_with_notes_in_their_cells() -> None:
    data, truth = load("gb2021.docx")
    noted_docx, n = _docx_with_notes(data, share=0.5, seed=5)
    assert n > 15
    out = process_document(noted_docx, SourceContext(source_url="https://www.example.gov.cn/n.docx"))
    assert out.record is not None
    assert _wrong(out.record, truth) == {}
    noted = [cv for cv in out.cells.values() if parse_value(cv.raw).note]
    assert len(noted) == n  # the whole cell is kept as value_raw
    assert all(cv.value == parse_value(cv.raw).value for cv in noted)


def test_numbers_with_notes_drawn_from_a_layout() -> None:
    truth = make_record("gb2021", 2023, seed=31)
    lay, n = with_cell_notes(record_to_layout(truth), random.Random(5), share=0.3)
    assert n > 5
    rec = _parse(layout_to_html(lay), "https://www.example.gov.cn/n.html")
    assert _wrong(rec, truth) == {}


@pytest.mark.parametrize(("raw", "value"), [
    ("12（其中修订5件）", 12), ("3（含转办1件）", 3), ("5*", 5), ("12①", 12), ("7¹", 7), ("12 ①", 12),
    ("251000元", 251000), ("(七)", None), ("1.属于国家秘密", None)])
def test_note_after_a_number_is_not_part_of_it(raw: str, value: int | None) -> None:
    """NFKC turns "①" into "1": "12①" must not read 121."""
    assert parse_value(raw).value == value


# ----------------------------------------------------------------------- 3. labels broken across lines

def test_long_labels_broken_across_lines_and_pages_with_stray_spaces() -> None:
    """A label cut inside its key words, the values printed with the first half, a page marker
    and a stray space in the second half ("（二）部分公" 164 9 … / "- 7 -" / "开（区分处理的，只计这一情 形，…）")."""
    truth = make_record("gb2021", 2023, seed=33, big=True)
    lines = document_to_text(layout_to_document(record_to_layout(truth))).split("\n")
    cuts = {"部分公开": ("（二）部分公", "开（区分处理的，只计这一情 形，不计其他情形）"),
            "内部事务": ("5.属于三类内部", "事 务信息"), "执法案卷": ("7.属于行政执法", "案卷"),
            "另行制作": ("2.没有现成信息需要另", "行制作")}
    out = []
    for ln in lines:
        hit = next((c for k, c in cuts.items() if k in ln), None)
        if hit is None:
            out.append(ln)
            continue
        cells = ln.split("\t")
        i = max(j for j, c in enumerate(cells) if c and not c.isdigit())
        out += ["\t".join([*cells[:i], hit[0], *cells[i + 1:]]), "- 7 -", hit[1]]
    rec = _parse("\n".join(out).encode())
    assert _wrong(rec, truth) == {}
    assert rec["parse_status"] == "ok"


# ----------------------------------------------------------------------- 4. rows read twice, cells lost

def _pdftotext_like(rec: dict) -> list[str]:
    """Text lines with columns as runs of spaces (as pdftotext -layout prints a filled table)."""
    lines = document_to_text(layout_to_document(record_to_layout(rec))).split("\n")
    return ["   ".join(c for c in ln.split("\t") if c) for ln in lines]


def test_glued_numbers_are_split_where_the_sums_allow_one_reading() -> None:
    truth = make_record("gb2021", 2023, seed=35)
    lines = _pdftotext_like(truth)
    i = next(i for i, ln in enumerate(lines) if ln.startswith("（七）总计"))
    tokens = lines[i].split("   ")
    glued = tokens[:1] + [tokens[1] + tokens[2]] + tokens[3:]  # "50 2" printed as "502"
    lines[i] = "   ".join(glued)
    rec = _parse("\n".join(lines).encode())
    assert _wrong(rec, truth) == {}
    assert any("results_total" in w and "split" in w for w in rec["parse_warnings"])


def test_a_lost_blank_is_left_blank_when_the_sums_cannot_place_it() -> None:
    truth = make_record("gb2021", 2023, seed=36)
    truth["s3"]["granted"]["other_org"] = None  # a blank cell in the source
    lines = _pdftotext_like(truth)  # ... which a text layer loses: six numbers for seven cells
    rec = _parse("\n".join(lines).encode())
    assert all(rec["s3"]["granted"][c] is None for c in C7)
    assert any("granted" in w and "left blank" in w for w in rec["parse_warnings"])
    wrong = {k: v for k, v in _wrong(rec, truth).items() if not k.startswith("s3.granted.")}
    assert wrong == {}


def test_a_row_printed_twice_at_a_page_break() -> None:
    truth = make_record("gb2019", 2020, seed=37, big=True)
    lines = document_to_text(layout_to_document(record_to_layout(truth))).split("\n")
    i = next(i for i, ln in enumerate(lines) if "重复申请" in ln)
    cut = "\t".join(lines[i].split("\t")[:-1])  # the copy at the foot of the page lost its 总计
    header = [ln for ln in lines if "自然人" in ln or "商业企业" in ln]
    lines[i:i + 1] = [cut, "- 3 -", *header, lines[i]]
    j = next(i for i, ln in enumerate(lines) if "国家秘密" in ln)
    lines[j:j + 1] = [lines[j], lines[j]]  # and another row read twice, identically
    rec = _parse("\n".join(lines).encode())
    assert _wrong(rec, truth) == {}


def test_a_source_inconsistent_total_is_never_fixed() -> None:
    """The solver only chooses among readings of the printed digits; a source whose own 总计 is
    wrong keeps it (rule 3 names it), and a glued row that cannot satisfy the sums stays blank."""
    truth = make_record("gb2021", 2023, seed=38)
    truth["s3"]["granted"]["total"] += 1  # the agency's own arithmetic error
    lines = _pdftotext_like(truth)
    rec = _parse("\n".join(lines).encode())
    assert rec["s3"]["granted"]["total"] == truth["s3"]["granted"]["total"]
    assert any(f["rule"] == 3 and "s3.granted.total" in f["fields"] for f in rec["validation"])
    i = next(i for i, ln in enumerate(lines) if "予以公开" in ln and "不予" not in ln)
    tokens = lines[i].split("   ")
    lines[i] = "   ".join(tokens[:2] + [tokens[2] + tokens[3]] + tokens[4:])  # and glued
    rec = _parse("\n".join(lines).encode())
    assert all(rec["s3"]["granted"][c] is None for c in C7)
    assert any("granted" in w and "left blank" in w for w in rec["parse_warnings"])


# ----------------------------------------------------------------------- 5. markdown

@pytest.mark.parametrize("fmt", ["gb2021", "gb2019"])
def test_markdown_split_by_headings_repeating_the_row_label(fmt: str) -> None:
    """### 一、本年新收… over the table row holding the values; generic 数据N headers; 四 as two
    5-column tables; the 二 table flattened with empty cells where cells were merged."""
    truth = make_record(fmt, 2023 if fmt == "gb2021" else 2020, seed=39, blanks=0.4)
    md = document_to_markdown(layout_to_document(record_to_layout(truth)), style="split", seed=1)
    assert "### 一、本年新收政府信息公开申请数量" in md and "数据1" in md and "#### 行政诉讼" in md
    rec = _parse(md.encode(), "https://www.example.gov.cn/r.md")
    assert _wrong(rec, truth) == {}


# ----------------------------------------------------------------------- 6. hybrid layouts

def test_gb2021_report_with_the_gb2019_single_other_row() -> None:
    rec21 = make_record("gb2021", 2023, seed=40)
    truth = hybrid_single_other_row(rec21)
    lay = hybrid_layout(record_to_layout(rec21), rec21, single_other_row=True)
    rec = _parse(layout_to_html(lay), "https://www.example.gov.cn/h.html")
    assert rec["format_version"] == "gb2021"
    assert rec["format_deviations"] == ["s3.single_other_handling_row"]
    assert _wrong(rec, truth) == {}
    assert "s3.other_handling.total" not in rec["derived_fields"]  # read, not derived
    rules = {(f["rule"], f["severity"]) for f in rec["validation"]}
    assert (6, "warning") in rules and (6, "error") not in rules and (2, "error") not in rules


def test_gb2021_table_with_the_2019_label_guifanxing_wenjian() -> None:
    truth = make_record("gb2021", 2023, seed=41)
    lay = hybrid_layout(record_to_layout(truth), truth, normative_2019_label=True)
    rec = _parse(layout_to_html(lay), "https://www.example.gov.cn/h.html")
    assert _wrong(rec, truth) == {}
    assert rec["format_deviations"] == ["s2.normative_docs_gb2019_label"]
    assert any(f["rule"] == 14 for f in rec["validation"])


# ----------------------------------------------------------------------- 7. implausible values

def test_a_six_digit_number_in_a_litigation_cell_is_named() -> None:
    truth = make_record("gb2021", 2023, seed=42)
    truth["s4"]["litigation_direct"]["pending"] = 835000  # a post code picked up from the page
    truth["s4"]["litigation_direct"]["total"] = None  # a blank 总计: rule 5 says nothing
    rec = _parse(layout_to_html(record_to_layout(truth)), "https://www.example.gov.cn/p.html")
    assert rec["s4"]["litigation_direct"]["pending"] == 835000  # read as printed, never changed
    hits = [f for f in rec["validation"] if f["rule"] == 17]
    assert hits and hits[0]["severity"] == "warning" and hits[0]["fields"] == ["s4.litigation_direct.pending"]


def test_a_count_far_above_the_reports_own_totals_is_named() -> None:
    truth = make_record("gb2021", 2023, seed=43)
    total = truth["s3"]["new_received"]["total"] + truth["s3"]["carried_over_in"]["total"]
    truth["s4"]["review"]["other"] = 3 * total + 50
    truth["s4"]["review"]["total"] = None
    truth["s3"]["withheld_state_secret"]["natural_person"] = total + 5
    truth["s3"]["withheld_state_secret"]["total"] = None
    rec = _parse(layout_to_html(record_to_layout(truth)), "https://www.example.gov.cn/p.html")
    assert {"s4.review.other", "s3.withheld_state_secret.natural_person"} <= {
        p for f in rec["validation"] if f["rule"] == 17 for p in f["fields"]}


def test_plausible_reports_raise_no_rule_17() -> None:
    for seed in range(5):
        truth = make_record("gb2021" if seed % 2 else "gb2019", 2023 if seed % 2 else 2020, seed=seed, big=True)
        rec = _parse(layout_to_html(record_to_layout(truth)), "https://www.example.gov.cn/p.html")
        assert not [f for f in rec["validation"] if f["rule"] == 17]


# ----------------------------------------------------------------------- metadata from names

@pytest.mark.parametrize(("sheet", "fname"), [("2022年度", "nb.xlsx"), ("年度报告", "2022年政府信息公开年报.xlsx"),
                                              ("年度报告", "xxgk_2022.xlsx")])
def test_xlsx_year_from_the_sheet_or_file_name(sheet: str, fname: str) -> None:
    truth = make_record("gb2021", 2022, seed=44)
    lay = record_to_layout(truth)
    lay.title = "测试市统计局政府信息公开工作年度报告"
    lay.signature = ["测试市统计局"]
    lay.blocks = [b for b in lay.blocks if not (isinstance(b, str) and "2022" in b)]
    rec = _parse(layout_to_xlsx(lay, sheet_title=sheet), f"https://www.example.gov.cn/files/{fname}")
    assert rec["report_year"] == 2022
    assert _wrong(rec, truth) == {}


def test_a_date_in_a_file_name_is_not_a_report_year() -> None:
    truth = make_record("gb2021", 2022, seed=45)
    lay = record_to_layout(truth)
    lay.title = "测试市统计局政府信息公开工作年度报告"
    lay.signature = ["测试市统计局"]
    lay.blocks = [b for b in lay.blocks if not (isinstance(b, str) and "2022" in b)]
    rec = _parse(layout_to_xlsx(lay), "https://www.example.gov.cn/files/t20230115_2021-172732.xlsx")
    assert rec["report_year"] is None


# ----------------------------------------------------------------------- text plumbing

def test_utf8_text_cut_inside_a_character_at_the_sniff_boundary() -> None:
    """A Chinese text file over 8 KiB was "unknown format" when the sniffed sample ended inside
    a character (two of every three such files)."""
    truth = make_record("gb2021", 2023, seed=46)
    text = document_to_text(layout_to_document(record_to_layout(truth)))
    for shift in range(3):  # the 8192nd byte falls 0, 1 or 2 bytes into a character
        data = ("a" * shift + "本年度报告根据条例要求编制。" * 200 + "\n" + text).encode("utf-8")
        assert len(data) > 8192
        rec = _parse(data)
        assert _wrong(rec, truth) == {}


def test_trailing_empty_cells_of_a_tab_row_are_cells() -> None:
    truth = make_record("gb2019", 2020, seed=47)
    truth["s4"]["litigation_after_review"]["total"] = None  # the last cell of the row is blank
    truth["s4"]["litigation_after_review"]["pending"] = None
    text = document_to_text(layout_to_document(record_to_layout(truth)))
    assert "\t\n" in text
    assert _wrong(_parse(text.encode()), truth) == {}


def test_renderings_are_deterministic() -> None:
    truth = make_record("gb2021", 2023, seed=48)
    doc = layout_to_document(record_to_layout(truth))
    assert document_to_markdown(doc, seed=3) == document_to_markdown(copy.deepcopy(doc), seed=3)
    assert io.BytesIO(document_to_text(doc).encode()).getvalue() == document_to_text(doc).encode()


def test_agency_from_the_title_in_the_documents_properties() -> None:
    """A cover whose title lines are lost or cut: the PDF's / DOCX's own title property, when it
    names a body; a fragment ("工作") is never kept as the agency."""
    from collector.parse.metadata import extract_metadata

    lines = ["工作年度报告", "一、总体情况", "本年度无申请。"]
    md = extract_metadata(lines, {"pdf_title": "东湖区人民政府2023年政府信息公开工作年度报告"}, "\n".join(lines))
    assert (md.agency_name, md.report_year) == ("东湖区人民政府", 2023)
    md = extract_metadata(lines, {"pdf_title": "Microsoft Word - 2023年报.docx"}, "\n".join(lines))
    assert md.agency_name is None
