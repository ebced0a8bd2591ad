"""Lay a record out as the official template: paragraphs and span tables, format-neutral.

Renderers (HTML, DOCX, XLSX, PDF, text) draw this layout; the simulator and the test fixtures
use it so that every generated document carries a known ground truth. The table shapes follow
国办公开办函〔2021〕30号 (gb2021) and 〔2019〕60号 (gb2019), including their rowspans/colspans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from collector.models import Table, grid_from_spans

SpanRow = list[tuple[str, int, int]]  # (text, rowspan, colspan)

S3_HEAD_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
S3_COLS = ["natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
           "legal_service_org", "other_org", "total"]
S4_BLOCKS = ["review", "litigation_direct", "litigation_after_review"]
S4_COLS = ["upheld", "corrected", "other", "pending", "total"]

SECTION_TITLES = {
    1: "一、总体情况",
    2: "二、主动公开政府信息情况",
    3: "三、收到和处理政府信息公开申请情况",
    4: "四、政府信息公开行政复议、行政诉讼情况",
    5: "五、存在的主要问题及改进情况",
    6: "六、其他需要报告的事项",
}


@dataclass
class LayoutTable:
    rows: list[SpanRow]
    caption: str = ""

    def to_table(self, where: str = "") -> Table:
        return grid_from_spans(self.rows, where=where)


@dataclass
class Layout:
    title: str
    blocks: list[str | LayoutTable] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)


def fmt_value(v: Any, blank: str = "") -> str:
    """A cell's text: blanks as given (``""``, ``"—"``, ``"/"``, ``"无"``), signed changes keep '+'."""
    if v is None:
        return blank
    if isinstance(v, float) and v.is_integer() is False:
        return f"{v:g}"
    if isinstance(v, float):
        return str(int(v))
    return str(v)


def _g(rec: dict, path: str) -> Any:
    node: Any = rec
    for p in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(p)
    return node


def _c(text: str, rowspan: int = 1, colspan: int = 1) -> tuple[str, int, int]:
    return (text, rowspan, colspan)


def s2_table(rec: dict, blank: str = "") -> LayoutTable:
    v = lambda p: _c(fmt_value(_g(rec, p), blank))  # noqa: E731
    rows: list[SpanRow] = []
    if rec.get("format_version") == "gb2019":
        a1 = "s2.art20_1"
        rows += [[_c("第二十条第（一）项", 1, 4)],
                 [_c("信息内容"), _c("本年新制作数量"), _c("本年新公开数量"), _c("对外公开总数量")]]
        for key, label in (("regulations", "规章"), ("normative_docs", "规范性文件")):
            rows.append([_c(label)] + [v(f"{a1}.{key}.{k}") for k in ("new_made", "new_published", "total_published")])
        head = [_c("信息内容"), _c("上一年项目数量"), _c("本年增/减"), _c("处理决定数量")]
        for art, items in (("art20_5", (("admin_licensing", "行政许可"), ("other_external_services", "其他对外管理服务事项"))),
                           ("art20_6", (("admin_penalty", "行政处罚"), ("admin_coercion", "行政强制")))):
            rows += [[_c(f"第二十条第（{'五' if art == 'art20_5' else '六'}）项", 1, 4)], list(head)]
            for key, label in items:
                rows.append([_c(label)] + [v(f"s2.{art}.{key}.{k}") for k in ("prev_year_items", "change", "decisions")])
        rows += [[_c("第二十条第（八）项", 1, 4)], [_c("信息内容"), _c("上一年项目数量"), _c("本年增/减", 1, 2)],
                 [_c("行政事业性收费"), v("s2.art20_8.admin_fees.prev_year_items"),
                  (fmt_value(_g(rec, "s2.art20_8.admin_fees.change"), blank), 1, 2)]]
        amount = _g(rec, "s2.art20_9.centralized_procurement.total_amount_yuan")
        rows += [[_c("第二十条第（九）项", 1, 4)], [_c("信息内容"), _c("采购项目数量"), _c("采购总金额", 1, 2)],
                 [_c("政府集中采购"), v("s2.art20_9.centralized_procurement.project_count"),
                  _c(blank if amount is None else f"{fmt_value(amount)}元", 1, 2)]]
        return LayoutTable(rows)
    a1 = "s2.art20_1"
    rows += [[_c("第二十条第（一）项", 1, 4)],
             [_c("信息内容"), _c("本年制发件数"), _c("本年废止件数"), _c("现行有效件数")]]
    for key, label in (("regulations", "规章"), ("normative_docs", "行政规范性文件")):
        rows.append([_c(label)] + [v(f"{a1}.{key}.{k}") for k in ("issued", "repealed", "in_force")])
    rows += [[_c("第二十条第（五）项", 1, 4)], [_c("信息内容"), _c("本年处理决定数量", 1, 3)],
             [_c("行政许可"), (fmt_value(_g(rec, "s2.art20_5.admin_licensing.decisions"), blank), 1, 3)],
             [_c("第二十条第（六）项", 1, 4)], [_c("信息内容"), _c("本年处理决定数量", 1, 3)],
             [_c("行政处罚"), (fmt_value(_g(rec, "s2.art20_6.admin_penalty.decisions"), blank), 1, 3)],
             [_c("行政强制"), (fmt_value(_g(rec, "s2.art20_6.admin_coercion.decisions"), blank), 1, 3)],
             [_c("第二十条第（八）项", 1, 4)], [_c("信息内容"), _c("本年收费金额（单位：万元）", 1, 3)],
             [_c("行政事业性收费"), (fmt_value(_g(rec, "s2.art20_8.admin_fees.amount_wan_yuan"), blank), 1, 3)]]
    return LayoutTable(rows)


S3_RESULT_GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("", [("granted", "（一）予以公开"),
          ("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")]),
    ("（三）不予公开", [("withheld_state_secret", "1.属于国家秘密"), ("withheld_law_prohibits", "2.其他法律行政法规禁止公开"),
                  ("withheld_three_security_one_stability", "3.危及“三安全一稳定”"),
                  ("withheld_third_party_rights", "4.保护第三方合法权益"), ("withheld_internal_affairs", "5.属于三类内部事务信息"),
                  ("withheld_process_info", "6.属于四类过程性信息"), ("withheld_enforcement_file", "7.属于行政执法案卷"),
                  ("withheld_admin_inquiry", "8.属于行政查询事项")]),
    ("（四）无法提供", [("unable_not_held", "1.本机关不掌握相关政府信息"), ("unable_needs_creation", "2.没有现成信息需要另行制作"),
                  ("unable_unclear_after_correction", "3.补正后申请内容仍不明确")]),
    ("（五）不予处理", [("not_processed_petition", "1.信访举报投诉类申请"), ("not_processed_duplicate", "2.重复申请"),
                  ("not_processed_publication", "3.要求提供公开出版物"), ("not_processed_excessive", "4.无正当理由大量反复申请"),
                  ("not_processed_confirm_reissue", "5.要求行政机关确认或重新出具已获取信息")]),
]
S3_OTHER_2021 = [("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
                 ("other_fee_unpaid", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
                 ("other_other", "3.其他")]


def s3_table(rec: dict, blank: str = "") -> LayoutTable:
    def vals(row: str) -> SpanRow:
        return [_c(fmt_value(_g(rec, f"s3.{row}.{c}"), blank)) for c in S3_COLS]

    gb21 = rec.get("format_version") != "gb2019"
    rows: list[SpanRow] = [
        [_c(S3_HEAD_NOTE, 3, 3), _c("申请人情况", 1, 7)],
        [_c("自然人", 2, 1), _c("法人或其他组织", 1, 5), _c("总计", 2, 1)],
        [_c("商业企业"), _c("科研机构"), _c("社会公益组织"), _c("法律服务机构"), _c("其他")],
        [_c("一、本年新收政府信息公开申请数量", 1, 3)] + vals("new_received"),
        [_c("二、上年结转政府信息公开申请数量", 1, 3)] + vals("carried_over_in"),
    ]
    body: list[SpanRow] = []
    for group, items in S3_RESULT_GROUPS:
        for i, (key, label) in enumerate(items):
            if not group:
                body.append([_c(label, 1, 2)] + vals(key))
            else:
                body.append(([_c(group, len(items), 1)] if i == 0 else []) + [_c(label)] + vals(key))
    if gb21:
        for i, (key, label) in enumerate(S3_OTHER_2021):
            body.append(([_c("（六）其他处理", 3, 1)] if i == 0 else []) + [_c(label)] + vals(key))
    else:
        body.append([_c("（六）其他处理", 1, 2)] + vals("other_handling"))
    body.append([_c("（七）总计", 1, 2)] + vals("results_total"))
    body[0] = [_c("三、本年度办理结果", len(body), 1)] + body[0]
    rows += body
    rows.append([_c("四、结转下年度继续办理", 1, 3)] + vals("carried_over_out"))
    return LayoutTable(rows)


def s4_table(rec: dict, blank: str = "") -> LayoutTable:
    heads = [_c(t) for t in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")]
    return LayoutTable([
        [_c("行政复议", 1, 5), _c("行政诉讼", 1, 10)],
        [(t, 2, 1) for t, _, _ in heads] + [_c("未经复议直接起诉", 1, 5), _c("复议后起诉", 1, 5)],
        heads + heads,
        [_c(fmt_value(_g(rec, f"s4.{b}.{c}"), blank)) for b in S4_BLOCKS for c in S4_COLS],
    ])


def record_to_layout(rec: dict, blank: str = "", paragraphs: dict[int, list[str]] | None = None) -> Layout:
    """The whole report: title, six sections (text or tables) and the signature."""
    year = rec.get("report_year")
    agency = rec.get("agency_name") or "某某局"
    paragraphs = paragraphs or {}
    text = rec.get("text") or {}
    lay = Layout(title=f"{agency}{year}年政府信息公开工作年度报告")
    for n in range(1, 7):
        lay.blocks.append(SECTION_TITLES[n])
        if n == 2:
            lay.blocks.append(s2_table(rec, blank))
        elif n == 3:
            lay.blocks.append(s3_table(rec, blank))
        elif n == 4:
            lay.blocks.append(s4_table(rec, blank))
        else:
            key = {1: "s1_overview", 5: "s5_problems", 6: "s6_other"}[n]
            lay.blocks.extend(paragraphs.get(n) or [text.get(key) or "无。"])
    date = rec.get("published_date")
    if date:
        y, m, d = (int(x) for x in str(date).split("-"))
        lay.signature = [agency, f"{y}年{m}月{d}日"]
    return lay
