"""Generated legacy reports in every rendering: annex forms (national 2014, Fujian, Dingxi) as HTML, text
(``|`` cells, spaces, flattened), DOCX, XLSX and PDF; prose with traditional characters, no title, a
metadata-table heading; look-alike sentences mixed in. Expected values come from the generator.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from collector.pipeline import SourceContext, process_document
from collector.sim.attachments import available_formats, render_attachment
from collector.sim.legacy import TRAPS, legacy_html, legacy_layout, legacy_text, make_legacy, trap_sentences
from collector.sim.truth import flat_numbers

FORMS = (None, "national", "fujian", "dingxi")


def _legacy(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in flat_numbers({"legacy": rec["legacy"]}).items() if v is not None}


def _parse(data: bytes, hint: str) -> dict[str, Any]:
    o = process_document(data, SourceContext(source_url=f"http://www.x.gov.cn/a.{hint}", hint=hint))
    assert o.record is not None, o.error
    return o.record


RENDERINGS = {
    "html": (lambda r: legacy_html(r).encode(), "html", "grid"),
    "html-traditional": (lambda r: legacy_html(r, traditional=True).encode(), "html", "grid"),
    "html-no-title": (lambda r: legacy_html(r, title=False).encode(), "html", "grid"),
    "html-metadata-table": (lambda r: legacy_html(r, meta_table=True).encode(), "html", "grid"),
    "text-pipes": (lambda r: legacy_text(r, annex="pipes").encode(), "txt", "grid"),
    "text-spaced": (lambda r: legacy_text(r, annex="spaced").encode(), "txt", "grid"),
    "text-flattened": (lambda r: legacy_text(r, annex="flattened").encode(), "txt", "flattened"),
}


@pytest.mark.parametrize(("form", "rendering", "seed"),
                         list(itertools.product(FORMS, RENDERINGS, (1, 2))))
def test_rendering_reads_exactly_the_truth(form: str | None, rendering: str, seed: int) -> None:
    rep = make_legacy(seed, "某县水务局", 2008 + seed * 3, form=form, blanks=seed - 1)
    render, hint, kind = RENDERINGS[rendering]
    rec = _parse(render(rep), hint)
    assert _legacy(rec) == rep.expected(kind)
    assert rec["report_year"] == rep.year and rec["parse_status"] == "ok"
    assert not [f for f in rec["validation"] if f["severity"] == "error"]


@pytest.mark.parametrize(("form", "fmt"), list(itertools.product(FORMS, ("docx", "xlsx"))))
def test_office_annex(form: str | None, fmt: str) -> None:
    if fmt not in available_formats():
        pytest.skip(f"{fmt} rendering needs python-docx/openpyxl")
    rep = make_legacy(4, "某县水务局", 2014, form=form, blanks=1)
    rec = _parse(render_attachment(legacy_layout(rep), fmt), fmt)
    assert _legacy(rec) == rep.expected("grid")


@pytest.mark.slow
@pytest.mark.parametrize("form", ["national", "fujian"])
def test_pdf_annex(form: str) -> None:
    if "pdf" not in available_formats():
        pytest.skip("PDF rendering needs LibreOffice")
    rep = make_legacy(6, "某县水务局", 2015, form=form)
    rec = _parse(render_attachment(legacy_layout(rep), "pdf"), "pdf")
    assert _legacy(rec) == rep.expected("grid")


@pytest.mark.parametrize("sentence", trap_sentences(2014, seed=3))
def test_look_alike_sentence_gives_nothing(sentence: str) -> None:
    page = (f"某县水务局2014年政府信息公开工作年度报告\n根据《条例》要求，现公布某县水务局2014年政府信息公开工作年度报告。\n"
            f"一、概述\n{sentence}\n二、主动公开政府信息情况\n{sentence}\n三、依申请公开政府信息情况\n{sentence}\n"
            f"四、政府信息公开收费及减免情况\n{sentence}\n五、因政府信息公开申请行政复议、提起行政诉讼的情况\n{sentence}\n")
    assert _legacy(_parse(page.encode(), "txt")) == {}, sentence
    assert len(TRAPS) >= 15


def test_annex_wins_over_prose_and_the_disagreement_is_a_finding() -> None:
    rep = make_legacy(2, "某县水务局", 2015, form="national")
    truth = rep.values["proactive_items_total"]
    text = legacy_text(rep, annex="pipes").replace("附表：", f"2015年，我局主动公开政府信息共{truth + 7}条。\n附表：", 1)
    rec = _parse(text.encode(), "txt")
    assert rec["legacy"]["proactive_items_total"] == truth
    hits = [f for f in rec["validation"] if f["fields"] == ["legacy.proactive_items_total"]]
    assert hits and hits[0]["severity"] == "warning" and f"{truth + 7:g}" in hits[0]["message"] \
        and f"{truth:g}" in hits[0]["message"]


def test_flattened_row_split_only_when_determined() -> None:
    head = "某县2010年政府信息公开工作年度报告\n根据《条例》要求，现公布某县2010年政府信息公开工作年度报告。\n"
    annex = "指标名称计量单位本年度历年累计\n主动公开信息数条4251516\n行政复议数件00\n行政诉讼数件13\n"
    rec = _parse((head + annex).encode(), "txt")
    got = _legacy(rec)
    assert got == {"legacy.review_total": 0, "legacy.litigation_total": 1}
    finding = [f for f in rec["validation"] if f["fields"] == ["legacy.proactive_items_total"]]
    assert finding and "cannot be split" in finding[0]["message"]
    # the prose states this year's number: the split is determined
    prose = head + "2010年，本县主动公开政府信息共425条。\n" + annex
    assert _legacy(_parse(prose.encode(), "txt"))["legacy.proactive_items_total"] == 425


def test_cumulative_column_is_never_read() -> None:
    text = ("某县2010年政府信息公开工作年度报告\n现公布某县2010年政府信息公开工作年度报告。\n"
            "指标名称 | 计量单位 | 本年度 | 历年累计\n主动公开信息数 | 条 | | 1516\n受理依申请公开信息总数 | 件 | 3 | 12\n")
    assert _legacy(_parse(text.encode(), "txt")) == {"legacy.requests_received": 3}


def test_reasons_under_denied_are_not_replies() -> None:
    rep = make_legacy(7, "某县水务局", 2011, form="dingxi")
    rec = _parse(legacy_html(rep).encode(), "html")
    assert rec["legacy"]["replies"]["not_exist"] is None and rec["legacy"]["replies"]["denied"] == rep.values["replies.denied"]
    assert any("under 否决公开" in w for w in rec["parse_warnings"])


def test_attached_statistics_form_joins_the_page_record() -> None:
    """A legacy page with its 统计表 attached: the form alone is no report, its figures join the page's."""
    if "xlsx" not in available_formats():
        pytest.skip("xlsx rendering needs openpyxl")
    from collector.pipeline import process_candidate
    from collector.sim.layout import Layout
    from collector.sim.legacy import annex_table

    rep = make_legacy(8, "某县水务局", 2016, form="national")
    page = legacy_html(rep, annex=False).encode()
    sheet = render_attachment(Layout("某县水务局2016年政府信息公开情况统计表", [annex_table(rep)]), "xlsx")
    ctx = SourceContext(source_url="http://www.x.gov.cn/2016.html", title=rep.title,
                        attachment_urls=["http://www.x.gov.cn/tjb.xlsx"])
    att = SourceContext(source_url="http://www.x.gov.cn/tjb.xlsx", hint="xlsx", title=rep.title,
                        parent_url="http://www.x.gov.cn/2016.html")
    page_out, sheet_out = process_candidate([(page, ctx), (sheet, att)])
    assert page_out.record is not None and sheet_out.record is None
    assert _legacy(page_out.record) == rep.expected("grid")
    assert sheet_out.document["status"] == "superseded" and sheet_out.document["report_id"] == page_out.record["report_id"]
    assert page_out.cells["legacy.requests_received"].where.startswith("attachment tjb.xlsx: ")


@pytest.mark.parametrize(("sentence", "want"), [
    ("全年公开政府信息500条，其中主动公开政府信息450条、依申请公开政府信息50条。", {"legacy.proactive_items_total": 450}),
    ("共收到政府信息公开申请5件，其中已办结5件，已答复5件。",
     {"legacy.requests_received": 5, "legacy.requests_closed": 5, "legacy.replies_total": 5}),
    ("我局通过门户网站主动公开政府信息300条。", {}),                   # one channel: a sub-count
    ("我局主动公开政府信息约300条。", {}),                              # approximate
    ("截至2012年底，我局累计主动公开政府信息3000条。", {}),            # cumulative
    ("2012年，我局累计主动公开政府信息300条。", {"legacy.proactive_items_total": 300}),  # 累计 within the year
    ("2011年我局主动公开政府信息280条，2012年主动公开政府信息300条。", {"legacy.proactive_items_total": 300}),
    ("因政府信息公开被申请行政复议、提起行政诉讼的案件共3件。", {}),   # a shared count above 0 is a sum
    ("未发生行政复议和行政诉讼败诉案件。", {}),                        # 败诉 are lost cases, not the totals
    ("未收取任何费用，也未产生任何费用支出。", {"legacy.fees_collected": 0}),
    ("共收取检索、复制费用35元。", {"legacy.fees_collected": 35, "legacy.fees_unit": "元"}),
    ("政府信息公开专项经费1.5万元。", {"legacy.special_budget_wan_yuan": 1.5}),
    ("全年接受群众咨询120人次，其中电话咨询80人次。", {"legacy.consultations": 120}),
    ("全年接受电话咨询80人次。", {}),                                  # one channel of consultations
    ("本局现有专职人员2名，兼职人员3名。", {"legacy.staff_fulltime": 2, "legacy.staff_parttime": 3}),
    ("配备了4名专兼职工作人员。", {}),                                  # full- and part-time together
])
def test_phrasing(sentence: str, want: dict[str, Any]) -> None:
    page = ("某局2012年政府信息公开工作年度报告\n现公布某局2012年政府信息公开工作年度报告。\n二、主动公开政府信息情况\n"
            f"2012年，{sentence}\n")
    assert _legacy(_parse(page.encode(), "txt")) == want


def test_negation_after_the_list() -> None:
    page = ("某局2012年政府信息公开工作年度报告\n现公布某局2012年政府信息公开工作年度报告。\n"
            "四、因政府信息公开申请行政复议、提起行政诉讼的情况\n2012年，因政府信息公开申请的行政复议和行政诉讼均未发生。\n")
    assert _legacy(_parse(page.encode(), "txt")) == {"legacy.review_total": 0, "legacy.litigation_total": 0}


def test_fast_nfkc_is_nfkc() -> None:
    """normalize.nfkc translates full-width ASCII first (speed); the result must equal unicodedata's NFKC."""
    import random
    import unicodedata

    from collector.parse.normalize import nfkc

    rng = random.Random(7)
    alphabet = [chr(c) for c in [*range(0x20, 0x7F), *range(0xFF01, 0xFF5F), 0x3000, 0x301, 0x2460, 0x3251, 0x4E00,
                                 0xFF61, 0xFFE5, 0x2F00, 0x3232, 0x2153, 0xFB01]]
    for _ in range(5000):
        t = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert nfkc(t) == unicodedata.normalize("NFKC", t), repr(t)


def test_prose_object_of_a_legacy_record_uses_the_guarded_reading() -> None:
    """``record["prose"]`` of a legacy report never shows the cumulative figure the legacy reader refuses."""
    page = ("某乡2014年政府信息公开工作年度报告\n现公布某乡2014年政府信息公开工作年度报告。\n一、概述\n"
            "本单位到目前累计主动公开政府信息100条。2014年主动公开政府信息20条。\n")
    rec = _parse(page.encode(), "txt")
    assert rec["prose"]["proactive_items"] == 20 == rec["legacy"]["proactive_items_total"]
