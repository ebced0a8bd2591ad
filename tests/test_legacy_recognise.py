"""Legacy recognition: reports are recognised from the title or the body; look-alike pages are refused with a reason."""

from __future__ import annotations

import pytest

from collector.errors import NotAReport
from collector.extract import bytes_to_document
from collector.parse.record import document_to_record
from collector.sim.legacy import legacy_html, legacy_text, make_legacy

BODY = ("根据《中华人民共和国政府信息公开条例》要求，本年度报告由某县林业局编制。\n"
        "一、概述\n2012年，我局认真贯彻落实《条例》。\n二、主动公开政府信息情况\n2012年，我局主动公开政府信息共58条。\n"
        "三、依申请公开政府信息情况\n2012年，我局没有收到政府信息公开申请。\n四、政府信息公开收费及减免情况\n我局未收取任何费用。\n"
        "五、存在的主要问题及改进措施\n公开内容有待进一步规范。\n")


def _record(text: str, kind: str = "txt") -> dict:
    doc = bytes_to_document(text.encode("utf-8"), hint=kind)
    return document_to_record(doc, source_url="http://x.gov.cn/a").record


def _refusal(text: str, kind: str = "txt") -> str:
    with pytest.raises(NotAReport) as err:
        _record(text, kind)
    msg = str(err.value)
    assert msg.startswith("not a government information-disclosure annual report: ")
    return msg


@pytest.mark.parametrize("text", [
    "某县林业局2012年政府信息公开工作年度报告\n" + BODY,                      # a title
    BODY,                                                                    # mirror page: the title lost
    "某县林业局2012年信息公开年度报告\n" + BODY.replace("本年度报告由某县林业局编制", "特制定本报告"),  # no 政府
    "索 引 号 | 0012/2013-00012 | 发布机构 | 某县林业局 |\n发布日期 | 2013-02-01 |\n" + BODY,   # metadata-table heading
    "现将2013年工作情况报告如下：\n一、基本情况\n…\n二、主动公开政府信息情况\n我镇主动公开政府信息共455条。\n"
    "三、依申请公开政府信息情况和不予公开政府信息的情况\n无。\n四、政府信息公开的收费及减免情况\n无。\n",  # sections only
])
def test_legacy_reports_are_recognised(text: str) -> None:
    rec = _record(text)
    assert rec["format_version"] == "legacy" and rec["parse_status"] == "ok"
    assert rec["legacy"]["proactive_items_total"] in (58, 455)


def test_generated_pages_without_title_or_with_metadata_table() -> None:
    rep = make_legacy(3, "某县林业局", 2012)
    for html in (legacy_html(rep, title=False), legacy_html(rep, meta_table=True)):
        rec = _record(html, "html")
        assert rec["report_year"] == 2012 and rec["legacy"]["proactive_items_total"] == rep.values["proactive_items_total"]
    assert _record(legacy_html(rep, meta_table=True), "html")["agency_name"] == "某县林业局"  # from 发布机构


@pytest.mark.parametrize(("text", "reason"), [
    ("某县2013年政务公开工作要点\n一、深化重点领域信息公开\n（一）推进财政资金信息公开。\n二、加强依申请公开工作\n"
     "三、做好政府信息公开年度报告编制发布工作\n", "工作要点"),
    ("关于做好2012年度政府信息公开工作年度报告编制发布工作的通知\n各乡镇人民政府，县政府各部门：\n"
     "现就有关事项通知如下：一、主动公开政府信息情况……\n特此通知。\n", "通知"),
    ("关于《某县2012年政府信息公开工作年度报告》的解读\n一、主动公开政府信息情况\n2012年主动公开政府信息58条。\n"
     "二、依申请公开情况\n三、收费情况\n", "解读"),
    ("某县林业局关于政府信息公开申请的答复函\n张某：\n你于2012年3月1日提出的政府信息公开申请收悉。经查，"
     "该信息不属于本机关公开范围。\n特此函告。\n", "函"),
    ("营口市2015年依申请公开政府信息工作情况的报告\n2015年，全市共收到公开政府信息申请23件。\n"
     "一、依申请公开政府信息情况\n", "one topic"),
    ("某县2012年政府信息公开情况统计表\n统计指标 | 单位 | 统计数\n（一）主动公开政府信息数 | 条 | 58\n"
     "（一）收到申请数 | 件 | 3\n四、行政复议数量 | 件 | 0\n五、行政诉讼数量 | 件 | 0\n", "statistics form"),
    ("某县林业局2012年部门决算公开\n一、部门基本情况\n二、收入支出决算总体情况\n", "no report title"),
])
def test_look_alike_pages_are_refused_with_a_reason(text: str, reason: str) -> None:
    assert reason in _refusal(text)


def test_refused_page_is_recorded_not_raised() -> None:
    from collector.pipeline import process_document

    o = process_document("某县2013年政务公开工作要点\n一、深化公开\n".encode(), None)
    assert o.record is None and o.document["status"] == "not_a_report" and "工作要点" in o.document["error"]


def test_annual_report_with_annex_only_text_and_title_is_kept() -> None:
    rep = make_legacy(5, "某县林业局", 2015, form="national")
    text = legacy_text(rep, annex="pipes")
    rec = _record(text)
    assert rec["legacy"]["requests_received"] == rep.values["requests_received"]
