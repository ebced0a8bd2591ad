"""Legacy soft checks: rules 21–25 per record and the 100× jump (26) over the dataset — warnings only."""

from __future__ import annotations

from typing import Any

import pytest

from collector.pipeline import SourceContext, process_document
from collector.validate import validate_dataset, validate_record

HEAD = "某县2013年政府信息公开工作年度报告\n现公布某县2013年政府信息公开工作年度报告。\n"


def _rec(text: str) -> dict[str, Any]:
    o = process_document((HEAD + text).encode(), SourceContext(source_url="http://x.gov.cn/a.txt", hint="txt"))
    assert o.record is not None, o.error
    return o.record


def _rules(rec: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for f in rec["validation"]:
        assert f["severity"] != "error", f  # legacy checks never raise errors
        out.setdefault(f["rule"], []).append(f)
    return out


@pytest.mark.parametrize(("text", "rule", "fields"), [
    # 21: channels 14 + 1 + 8 + 2 = 25 ≠ 23 received (all four national channels given)
    ("共收到政府信息公开申请23件，当面申请14件，传真申请1件，网上申请8件，信函申请2件。", 21,
     {"legacy.requests_received", "legacy.requests_by_channel.in_person"}),
    # 22: replies by kind exceed the replies stated
    ("共收到政府信息公开申请5件，已答复5件，其中“同意公开答复”的4件，“不同意公开答复”的3件。", 22,
     {"legacy.replies_total", "legacy.replies.granted"}),
    # 22: far more replies than requests
    ("共收到政府信息公开申请2件，已答复30件。", 22, {"legacy.replies_total", "legacy.requests_received"}),
    # 23: outcomes exceed the review total
    ("因政府信息公开被申请行政复议1件，其中维持2件。", 23, {"legacy.review_total", "legacy.review.upheld"}),
    # 25: the text says both: fees charged, and none charged (left out, reported)
    ("共收取检索、复制费用20元。我局政府信息公开未收取任何费用，无减免情况。", 25, {"legacy.fees_collected"}),
])
def test_rule_fires_and_names_its_fields(text: str, rule: int, fields: set[str]) -> None:
    found = _rules(_rec(text))
    assert rule in found, found
    assert fields <= set(found[rule][0]["fields"])


def test_fees_zero_in_words_against_annex_amount_is_rule_24() -> None:
    text = ("我局未收取任何费用。\n统计指标 | 单位 | 统计数\n（一）主动公开政府信息数 | 条 | 20\n"
            "七、依申请公开信息收取的费用 | 万元 | 0.02\n")
    rec = _rec(text)
    assert rec["legacy"]["fees_collected"] == 0.02 and rec["legacy"]["fees_unit"] == "万元"
    found = _rules(rec)
    assert 24 in found and found[24][0]["fields"] == ["legacy.fees_collected"]
    assert 25 in found  # the annex disagrees with the prose: kept the annex, said so


def test_consistent_report_has_no_legacy_findings() -> None:
    rec = _rec("三、依申请公开政府信息情况\n共收到政府信息公开申请3件，当面申请1件，传真申请0件，网上申请2件，信函申请0件。"
               "已答复3件。\n四、因政府信息公开申请行政复议、提起行政诉讼的情况\n被申请行政复议1件，其中维持1件。\n"
               "五、收费情况\n我局未收取任何费用。")
    assert rec["legacy"]["review"]["upheld"] == 1 and rec["legacy"]["replies_total"] == 3
    assert not {r for r in _rules(rec) if r >= 21}


def _row(rid: str, year: int, n: int | None, agency: str = "某县林业局") -> dict[str, Any]:
    return {"report_id": rid, "report_year": year, "agency_name": agency, "agency_name_normalized": agency,
            "org_code": None, "format_version": "legacy", "legacy__proactive_items_total": n}


def test_dataset_jump_of_100x_is_a_warning_on_the_later_report() -> None:
    rows = [_row("a", 2010, 120), _row("b", 2011, 15000), _row("c", 2012, 140), _row("d", 2014, 150),
            _row("e", 2010, 10, "某乡"), _row("f", 2011, 900, "某乡")]
    found = [(rid, f) for rid, f in validate_dataset(rows) if f.rule == 26]
    assert sorted(rid for rid, _ in found) == ["b", "c"]
    assert all(f.severity == "warning" and f.fields == ["legacy.proactive_items_total"] for _, f in found)


def test_record_rules_skip_tables_rules_for_legacy() -> None:
    rec = _rec("2013年，我镇主动公开政府信息共455条。")
    assert validate_record(rec) == [] or all(f.rule in (13, 14) or f.rule >= 21 for f in validate_record(rec))
