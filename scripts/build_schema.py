"""Generate ``schemas/report-record.v1.schema.json`` from the template catalogue below.

The catalogue transcribes the national template (国办公开办函〔2021〕30号 and the 2019 trial
format, 国办公开办函〔2019〕60号). The generated JSON Schema is the contract: the library reads
it at run time (``collector.schema``) and derives the Arrow schemas of every Parquet table from
it. Run ``python scripts/build_schema.py`` after editing; ``tests/test_schema.py`` fails when the
committed file and this catalogue disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCHEMA_VERSION = "1.1.0"  # history: schemas/CHANGELOG.md
OUT = Path(__file__).resolve().parents[1] / "schemas" / "report-record.v1.schema.json"

INT = "integer"
NUM = "number"

# (path, type, zh label, en description, unit, formats it belongs to)
S2: list[tuple[str, str, str, str, str, tuple[str, ...]]] = []


def _s2(item: str, zh_item: str, cols: list[tuple[str, str, str, str]], fmt: str, art: str) -> None:
    for key, zh, en, unit in cols:
        typ = NUM if unit in ("万元", "元") else INT
        S2.append((f"s2.{art}.{item}.{key}", typ, f"{zh_item} {zh}", en, unit, (fmt,)))


_GB21_A1 = [("issued", "本年制发件数", "documents issued this year", "件"),
            ("repealed", "本年废止件数", "documents repealed this year", "件"),
            ("in_force", "现行有效件数", "documents currently in force", "件")]
_s2("regulations", "规章", _GB21_A1, "gb2021", "art20_1")
_s2("normative_docs", "行政规范性文件", _GB21_A1, "gb2021", "art20_1")
_s2("admin_licensing", "行政许可", [("decisions", "本年处理决定数量", "decisions made this year", "件")], "gb2021", "art20_5")
_s2("admin_penalty", "行政处罚", [("decisions", "本年处理决定数量", "decisions made this year", "件")], "gb2021", "art20_6")
_s2("admin_coercion", "行政强制", [("decisions", "本年处理决定数量", "decisions made this year", "件")], "gb2021", "art20_6")
_s2("admin_fees", "行政事业性收费", [("amount_wan_yuan", "本年收费金额（单位：万元）", "fees collected this year", "万元")], "gb2021", "art20_8")

_GB19_A1 = [("new_made", "本年新制作数量", "newly made this year", "件"),
            ("new_published", "本年新公开数量", "newly published this year", "件"),
            ("total_published", "对外公开总数量", "total published", "件")]
_GB19_ITEMS = [("prev_year_items", "上一年项目数量", "items in the previous year", "项"),
               ("change", "本年增/减", "change this year (signed)", "项"),
               ("decisions", "处理决定数量", "decisions made", "件")]
_s2("regulations", "规章", _GB19_A1, "gb2019", "art20_1")
_s2("normative_docs", "规范性文件", _GB19_A1, "gb2019", "art20_1")
_s2("admin_licensing", "行政许可", _GB19_ITEMS, "gb2019", "art20_5")
_s2("other_external_services", "其他对外管理服务事项", _GB19_ITEMS, "gb2019", "art20_5")
_s2("admin_penalty", "行政处罚", _GB19_ITEMS, "gb2019", "art20_6")
_s2("admin_coercion", "行政强制", _GB19_ITEMS, "gb2019", "art20_6")
_s2("admin_fees", "行政事业性收费", _GB19_ITEMS[:2], "gb2019", "art20_8")
_s2("centralized_procurement", "政府集中采购",
    [("project_count", "采购项目数量", "procurement projects", "项"),
     ("total_amount_yuan", "采购总金额", "total procurement amount, converted to yuan from the unit written in the cell", "元")],
    "gb2019", "art20_9")

S3_ROWS = [
    ("new_received", "一、本年新收政府信息公开申请数量", "new requests received this year", ("gb2019", "gb2021")),
    ("carried_over_in", "二、上年结转政府信息公开申请数量", "requests carried over from the previous year", ("gb2019", "gb2021")),
    ("granted", "（一）予以公开", "granted", ("gb2019", "gb2021")),
    ("partially_granted", "（二）部分公开", "partially granted", ("gb2019", "gb2021")),
    ("withheld_state_secret", "（三）不予公开 1.属于国家秘密", "withheld: state secret", ("gb2019", "gb2021")),
    ("withheld_law_prohibits", "（三）不予公开 2.其他法律行政法规禁止公开", "withheld: prohibited by other laws", ("gb2019", "gb2021")),
    ("withheld_three_security_one_stability", "（三）不予公开 3.危及“三安全一稳定”", "withheld: endangers the three securities and one stability", ("gb2019", "gb2021")),
    ("withheld_third_party_rights", "（三）不予公开 4.保护第三方合法权益", "withheld: third-party rights", ("gb2019", "gb2021")),
    ("withheld_internal_affairs", "（三）不予公开 5.属于三类内部事务信息", "withheld: internal affairs", ("gb2019", "gb2021")),
    ("withheld_process_info", "（三）不予公开 6.属于四类过程性信息", "withheld: process information", ("gb2019", "gb2021")),
    ("withheld_enforcement_file", "（三）不予公开 7.属于行政执法案卷", "withheld: enforcement case file", ("gb2019", "gb2021")),
    ("withheld_admin_inquiry", "（三）不予公开 8.属于行政查询事项", "withheld: administrative inquiry matter", ("gb2019", "gb2021")),
    ("unable_not_held", "（四）无法提供 1.本机关不掌握相关政府信息", "unable: information not held", ("gb2019", "gb2021")),
    ("unable_needs_creation", "（四）无法提供 2.没有现成信息需要另行制作", "unable: would need to be created", ("gb2019", "gb2021")),
    ("unable_unclear_after_correction", "（四）无法提供 3.补正后申请内容仍不明确", "unable: still unclear after correction", ("gb2019", "gb2021")),
    ("not_processed_petition", "（五）不予处理 1.信访举报投诉类申请", "not processed: petition or complaint", ("gb2019", "gb2021")),
    ("not_processed_duplicate", "（五）不予处理 2.重复申请", "not processed: duplicate request", ("gb2019", "gb2021")),
    ("not_processed_publication", "（五）不予处理 3.要求提供公开出版物", "not processed: asks for a publication", ("gb2019", "gb2021")),
    ("not_processed_excessive", "（五）不予处理 4.无正当理由大量反复申请", "not processed: excessive repeated requests", ("gb2019", "gb2021")),
    ("not_processed_confirm_reissue", "（五）不予处理 5.要求行政机关确认或重新出具已获取信息", "not processed: asks to confirm or reissue", ("gb2019", "gb2021")),
    ("other_no_correction", "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other: applicant did not correct in time", ("gb2021",)),
    ("other_fee_unpaid", "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other: fee not paid", ("gb2021",)),
    ("other_other", "（六）其他处理 3.其他", "other: other", ("gb2021",)),
    ("other_handling", "（六）其他处理", "other handling (gb2019: one row; gb2021: sum of the three rows above, derived)", ("gb2019", "gb2021")),
    ("results_total", "（七）总计", "results total", ("gb2019", "gb2021")),
    ("carried_over_out", "四、结转下年度继续办理", "carried over to next year", ("gb2019", "gb2021")),
]
S3_COLS = [
    ("natural_person", "自然人", "natural persons"),
    ("commercial_enterprise", "法人或其他组织 商业企业", "commercial enterprises"),
    ("research_institution", "法人或其他组织 科研机构", "research institutions"),
    ("social_welfare_org", "法人或其他组织 社会公益组织", "social welfare organisations"),
    ("legal_service_org", "法人或其他组织 法律服务机构", "legal service organisations"),
    ("other_org", "法人或其他组织 其他", "other organisations"),
    ("total", "总计", "total"),
]
S4_BLOCKS = [
    ("review", "行政复议", "administrative review"),
    ("litigation_direct", "行政诉讼 未经复议直接起诉", "litigation without prior review"),
    ("litigation_after_review", "行政诉讼 复议后起诉", "litigation after review"),
]
S4_COLS = [
    ("upheld", "结果维持", "upheld"),
    ("corrected", "结果纠正", "corrected"),
    ("other", "其他结果", "other result"),
    ("pending", "尚未审结", "pending"),
    ("total", "总计", "total"),
]


def _leaf(typ: str, zh: str, en: str, unit: str, fmts: tuple[str, ...], minimum: bool = True) -> dict:
    leaf: dict = {"type": [typ, "null"], "description": en, "x-label-zh": zh, "x-unit": unit,
                  "x-formats": list(fmts)}
    if minimum:
        leaf["minimum"] = 0
    return leaf


def _put(tree: dict, path: str, leaf: dict) -> None:
    node = tree
    parts = path.split(".")
    for p in parts[:-1]:
        node = node.setdefault("properties", {}).setdefault(p, {"type": "object", "additionalProperties": False})
    props = node.setdefault("properties", {})
    old = props.get(parts[-1])
    if old is not None:  # the same field in both eras (e.g. 处理决定数量): one field, both formats
        leaf = {**old, "x-formats": sorted(set(old["x-formats"]) | set(leaf["x-formats"]), reverse=True)}
    props[parts[-1]] = leaf


# ---- LEGACY: report years 2008–2018 (../shared/spec/legacy.md) ------------------------------------------
# Before 2019 there was no national table: figures come from the prose or an annex 统计表 (national form of
# 国办发〔2014〕32号, provincial forms). Fewer, looser fields than gb2019/gb2021; every value keeps its phrase
# (cells.value_raw). Labels follow the 2014 national form's wording. Self-contained: only build() below uses it.
LEGACY_FORMATS = ("legacy",)
# (path under ``legacy.``, type, zh label, en description, unit)
LEGACY: list[tuple[str, str, str, str, str]] = [
    ("proactive_items_total", INT, "主动公开政府信息数", "government information items proactively disclosed in the report year (never a cumulative figure)", "条"),
    ("proactive_normative_docs", INT, "其中：主动公开规范性文件数", "normative documents among the proactively disclosed items", "条"),
    ("normative_docs_issued", INT, "制发规范性文件总数", "normative documents issued in the report year", "件"),
    ("requests_received", INT, "收到申请数（受理依申请公开信息总数）", "disclosure requests received in the report year", "件"),
    ("requests_by_channel.in_person", INT, "当面申请数", "requests made in person", "件"),
    ("requests_by_channel.fax", INT, "传真申请数", "requests by fax", "件"),
    ("requests_by_channel.online", INT, "网络（网上）申请数", "requests made online", "件"),
    ("requests_by_channel.email", INT, "电子邮件申请数", "requests by e-mail", "件"),
    ("requests_by_channel.letter", INT, "信函申请数", "requests by letter", "件"),
    ("requests_by_channel.other", INT, "其他形式申请数", "requests by other channels", "件"),
    ("requests_closed", INT, "申请办结数", "requests closed", "件"),
    ("replies_total", INT, "申请答复数（对申请的答复总数）", "replies given to requests", "件"),
    ("replies.already_public", INT, "属于已主动公开范围数", "reply: already proactively disclosed", "件"),
    ("replies.granted", INT, "同意公开答复数", "reply: disclosure granted", "件"),
    ("replies.partially_granted", INT, "同意部分公开答复数", "reply: partially granted", "件"),
    ("replies.denied", INT, "不同意（否决）公开答复数", "reply: disclosure refused", "件"),
    ("replies.not_held", INT, "不属于本行政机关公开数", "reply: not held by this body", "件"),
    ("replies.not_exist", INT, "申请信息不存在数", "reply: the information does not exist", "件"),
    ("replies.unclear", INT, "申请内容不明确（告知作出更改补充）数", "reply: request unclear, applicant asked to amend it", "件"),
    ("replies.redirect", INT, "告知通过其他途径办理数", "reply: applicant directed to another procedure", "件"),
    ("replies.other", INT, "其他答复数", "reply: other", "件"),
    ("review_total", INT, "行政复议数量", "administrative reviews about disclosure", "件"),
    ("review.upheld", INT, "维持具体行政行为数", "reviews: decision upheld", "件"),
    ("review.corrected", INT, "被依法纠错数", "reviews: decision corrected", "件"),
    ("review.other", INT, "其他情形数", "reviews: other outcome", "件"),
    ("litigation_total", INT, "行政诉讼数量", "lawsuits about disclosure", "件"),
    ("litigation.upheld_or_dismissed", INT, "维持具体行政行为或者驳回原告诉讼请求数", "lawsuits: decision upheld or claim dismissed", "件"),
    ("litigation.corrected", INT, "被依法纠错数", "lawsuits: decision corrected", "件"),
    ("litigation.other", INT, "其他情形数", "lawsuits: other outcome", "件"),
    ("complaints_total", INT, "举报投诉（行政申诉）数量", "complaints and administrative appeals about disclosure", "件"),
    ("fees_collected", NUM, "依申请公开收取的费用", "fees charged to requesters, in the unit written (see legacy.fees_unit); 0 also from 未收取任何费用", "元 or 万元 (legacy.fees_unit)"),
    ("fee_waivers", NUM, "减免费用", "fees waived", "元"),
    ("consultations", INT, "咨询数", "consultations handled (a total the report states; never website visits)", "人次"),
    ("staff_fulltime", INT, "专职人员数", "full-time disclosure staff", "人"),
    ("staff_parttime", INT, "兼职人员数", "part-time disclosure staff", "人"),
    ("special_budget_wan_yuan", NUM, "政府信息公开专项经费", "dedicated disclosure budget (a budget, not fees)", "万元"),
    ("meetings", INT, "召开政府信息公开工作会议或专题会议数", "disclosure meetings held", "次"),
    ("trainings", INT, "举办各类培训班数", "training sessions held", "次"),
    ("trainees", INT, "接受培训人员数", "people trained", "人次"),
]


def legacy_object() -> dict:
    """The ``legacy`` object: every figure of a pre-2019 report (null = the report does not state it)."""
    tree: dict = {"type": "object", "additionalProperties": False, "x-label-zh": "2019年以前的年度报告数字",
                  "description": "figures of a legacy (2008–2018) report, read from its prose or annex statistics "
                                 "table (the annex wins when both state a field); null where the report is silent"}
    for path, typ, zh, en, unit in LEGACY:
        _put(tree, path, _leaf(typ, zh, en, unit, LEGACY_FORMATS))
    tree["properties"]["fees_unit"] = {"enum": ["元", "万元", None], "x-label-zh": "收费单位",
                                       "description": "unit of legacy.fees_collected as written (null when the amount is a zero in words)"}
    for name, node in tree["properties"].items():
        if node.get("type") == "object":
            node["x-label-zh"] = {"requests_by_channel": "申请渠道", "replies": "答复情况", "review": "行政复议结果",
                                  "litigation": "行政诉讼结果"}[name]
    return tree
# ---- LEGACY end ------------------------------------------------------------------------------------------


def build() -> dict:
    numbers: dict = {"type": "object"}
    for path, typ, zh, en, unit, fmts in S2:
        _put(numbers, path, _leaf(typ, zh, en, unit, fmts, minimum=not path.endswith(".change")))
    for row, zh_row, en_row, fmts in S3_ROWS:
        for col, zh_col, en_col in S3_COLS:
            _put(numbers, f"s3.{row}.{col}", _leaf(INT, f"{zh_row} / {zh_col}", f"{en_row}; {en_col}", "件", fmts))
    for block, zh_b, en_b in S4_BLOCKS:
        for col, zh_c, en_c in S4_COLS:
            _put(numbers, f"s4.{block}.{col}", _leaf(INT, f"{zh_b} / {zh_c}", f"{en_b}; {en_c}", "件", ("gb2019", "gb2021")))

    s = {"type": ["string", "null"]}
    meta = {
        "schema_version": {"type": "string", "description": "version of this schema", "x-label-zh": "模式版本"},
        "report_id": {"type": "string", "description": "deterministic id: sha256 of canonical source URL + report year (first 32 hex)", "x-label-zh": "报告标识"},
        "format_version": {"enum": ["gb2021", "gb2019", "legacy"], "description": "template era detected from the table labels, never from the year", "x-label-zh": "格式版本"},
        "report_year": {"type": ["integer", "null"], "description": "year the report covers (publication year - 1)", "x-label-zh": "报告年度"},
        "title": {**s, "description": "report title as published", "x-label-zh": "标题"},
        "agency_name": {**s, "description": "publishing body as named in the title or signature", "x-label-zh": "机关名称"},
        "region": {"type": "object", "additionalProperties": False, "description": "administrative region where known",
                   "x-label-zh": "行政区划", "properties": {
                       "province": {**s, "x-label-zh": "省"}, "city": {**s, "x-label-zh": "市"},
                       "county": {**s, "x-label-zh": "县"},
                       "code": {"type": ["string", "null"], "pattern": "^[0-9]{6}$", "x-label-zh": "行政区划代码"}}},
        "published_date": {"type": ["string", "null"], "format": "date", "description": "publication date (page metadata, else the closing date of the text)", "x-label-zh": "发布日期"},
        "published_date_source": {"enum": ["page_metadata", "closing_date", "html_meta", None], "description": "where published_date was read", "x-label-zh": "发布日期来源"},
        "source_url": {**s, "description": "URL or path the document was read from", "x-label-zh": "来源"},
        "document_sha256": {"type": "string", "description": "sha256 of the raw document bytes", "x-label-zh": "文档哈希"},
        "media_type": {"enum": ["html", "pdf", "docx", "doc", "wps", "xls", "xlsx", "et", "image", "text"], "description": "document format detected by content", "x-label-zh": "文档格式"},
        "extractor": {**s, "description": "extractor that turned the bytes into a document", "x-label-zh": "提取器"},
        "parser_version": {"type": "string", "description": "version of the parser that produced the record", "x-label-zh": "解析器版本"},
        "parse_warnings": {"type": "array", "items": {"type": "string"}, "description": "extraction problems: tables missing, rows lost, ambiguous columns", "x-label-zh": "解析警告"},
        "derived_fields": {"type": "array", "items": {"type": "string"}, "description": "number fields computed rather than read (e.g. gb2021 s3.other_handling)", "x-label-zh": "派生字段"},
        "format_deviations": {"type": "array", "items": {"type": "string"}, "description": "blocks printed in the other template's layout, as codes: s3.single_other_handling_row (gb2019 one 其他处理 row in a gb2021 report), s3.other_handling_subrows (gb2021 three rows in a gb2019 report), s2.normative_docs_gb2019_label / s2.normative_docs_gb2021_label (the other era's 规范性文件 label)", "x-label-zh": "格式偏差"},
        "derived": {"type": "object", "description": "derived figures, marked as derived: blank totals, subtotals, grant_rate", "x-label-zh": "派生指标",
                    "additionalProperties": {"type": ["number", "null"]}},
        "parse_status": {"enum": ["ok", "partial", "text_only"], "description": "ok: all tables read (legacy: figures read from the prose or annex); partial: some rows/tables missing (see parse_warnings); text_only: a legacy report stating no figure, or tables as images", "x-label-zh": "解析状态"},
        "agency_name_normalized": {**s, "description": "agency name without spaces, brackets or year, NFKC, simplified", "x-label-zh": "机关名称（规范化）"},
        "agency_level": {"enum": ["ministry", "province", "prefecture", "county", "township", "department", None], "description": "level guessed from the name", "x-label-zh": "机关层级"},
        "agency_type": {"enum": ["人民政府", "办公厅(室)", "部门", "垂直管理", "乡镇街道", None], "description": "kind of publisher guessed from the name", "x-label-zh": "机关类型"},
        "org_code": {**s, "description": "索引号 prefix (组织机构代码) or Hanweb area= code", "x-label-zh": "组织机构代码"},
        "index_number": {**s, "description": "索引号 as printed", "x-label-zh": "索引号"},
        "portal_id": {**s, "description": "portal slug from the portal YAML (crawled records)", "x-label-zh": "门户"},
        "listing_url": {**s, "description": "listing page where the report was found", "x-label-zh": "列表页"},
        "canonical_url": {**s, "description": "canonical URL (wap twins folded, fragments dropped)", "x-label-zh": "规范URL"},
        "cms_family": {**s, "description": "trs / hanweb / vsb / generic / ...", "x-label-zh": "CMS"},
        "attachment_urls": {"type": "array", "items": {"type": "string"}, "description": "attachments linked from the report page", "x-label-zh": "附件"},
        "encoding_detected": {**s, "description": "character encoding used to decode the page", "x-label-zh": "编码"},
        "http_status": {"type": ["integer", "null"], "x-label-zh": "HTTP状态"},
        "fetched_at": {"type": ["string", "null"], "format": "date-time", "x-label-zh": "抓取时间"},
        "prose": {"type": "object", "additionalProperties": False, "x-label-zh": "正文数字",
                  "description": "figures stated in the narrative text where found",
                  "properties": {
                      "proactive_items": {"type": ["integer", "null"], "x-label-zh": "主动公开信息条数"},
                      "press_conferences": {"type": ["integer", "null"], "x-label-zh": "新闻发布会场次"},
                      "policy_interpretations": {"type": ["integer", "null"], "x-label-zh": "政策解读条数"},
                      "requests_received": {"type": ["integer", "null"], "x-label-zh": "收到申请件数"},
                      "processing_fee_yuan": {"type": ["number", "null"], "x-label-zh": "收取信息处理费(元)"}}},
        "text": {"type": "object", "additionalProperties": False, "x-label-zh": "正文", "properties": {
            "s1_overview": {**s, "x-label-zh": "一、总体情况"},
            "s5_problems": {**s, "x-label-zh": "五、存在的主要问题及改进情况"},
            "s6_other": {**s, "x-label-zh": "六、其他需要报告的事项"},
            "full": {**s, "x-label-zh": "全文", "description": "full text (legacy reports keep their text here)"},
            "sections": {"type": ["array", "null"], "x-label-zh": "章节",
                         "description": "legacy reports: every section with its original title, in order",
                         "items": {"type": "object", "additionalProperties": False,
                                   "properties": {"title": {"type": "string"}, "text": {"type": "string"}}}}}},
        "validation": {"type": "array", "x-label-zh": "校验结果", "items": {"type": "object", "required": ["rule", "severity", "message"],
                       "properties": {"rule": {"type": "integer"}, "severity": {"enum": ["error", "warning", "info"]},
                                      "message": {"type": "string"}, "fields": {"type": "array", "items": {"type": "string"}}}}},
    }
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://xxgk-collector/schemas/report-record.v1.schema.json",
        "title": "政府信息公开工作年度报告 — standard record",
        "description": "One government information-disclosure annual report as a standard record. Numbers are null where the cell was blank.",
        "x-schema-version": SCHEMA_VERSION,
        "x-primary-key": ["report_id"],
        "x-partition": "report_year",
        "type": "object",
        "required": ["schema_version", "report_id", "format_version", "document_sha256", "media_type", "parser_version"],
        "properties": {**meta, **numbers["properties"], "legacy": legacy_object()},
    }
    return schema


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if OUT.exists() and OUT.read_text(encoding="utf-8") == text else 1)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
