"""Generate ``schemas/report-record.v2.schema.json`` from the template catalogue below.

The catalogue transcribes the national template (国办公开办函〔2021〕30号 and the 2019 trial
format, 国办公开办函〔2019〕60号). The generated JSON Schema is the contract: the library reads
it at run time (``collector.schema``). It holds the record (``properties``) and, under
``x-tables``, every column of the four Parquet tables with its type, description, Chinese label
and unit — the data dictionary that travels as field metadata in every file. The ``reports``
columns are generated from the record, so a field added to any block below (the template, the
metadata, a legacy block) becomes a documented column; a field without a description gets one
from its parent's description and its label, and a field with neither fails the build.
Run ``python scripts/build_schema.py`` after editing; ``tests/test_schema.py`` fails when the
committed file and this catalogue disagree. Version history: ``schemas/CHANGELOG.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from schema_tables import (  # the columns of the other three tables, kept beside this file
    CELLS,
    DATE,
    DOCUMENTS,
    FINDINGS,
    FLOAT64,
    INT64,
    LIST,
    RUN_ID,
    STRING,
    TABLES,
    TIMESTAMP,
    VALIDATION_COLUMNS,
)

SCHEMA_VERSION = "2.1.0"
SCHEMA_NAME = "report-record.v2.schema.json"
OUT = Path(__file__).resolve().parents[1] / "schemas" / SCHEMA_NAME

INT = "integer"
NUM = "number"

# (path, type, zh label, en description, unit, formats it belongs to)
S2: list[tuple[str, str, str, str, str, tuple[str, ...]]] = []


def _s2(item: str, zh_item: str, cols: list[tuple[str, str, str, str]], fmt: str, art: str) -> None:
    for key, zh, en, unit in cols:
        typ = NUM if unit in ("万元", "元") else INT
        en_full = f"二 proactive disclosure, 条例 art. 20({art.rsplit('_', 1)[-1]}), {item.replace('_', ' ')}: {en}"
        S2.append((f"s2.{art}.{item}.{key}", typ, f"{zh_item} {zh}", en_full, unit, (fmt,)))


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



# -- derived figures (record["derived"]; columns derived__*) -----------------------------------------
# (key, type, zh label, description, unit). Never mixed with read numbers: a derived value sits in
# its own column, and the ``cells`` table marks it ``derived = true``.
DERIVED_NAMED = [
    ("grant_rate", NUM, "公开率（予以公开+部分公开）/ 办理结果总计",
     "(三 granted + partially granted) / 三 results total (（七）总计, or the sum of the result rows when it "
     "is blank); null without a results total", "ratio 0–1"),
    ("not_held_share", NUM, "本机关不掌握相关政府信息 / 办理结果总计",
     "三 'unable: information not held' / 三 results total; null without a results total", "ratio 0–1"),
    ("natural_person_share", NUM, "本年新收申请中自然人占比",
     "三 new requests from natural persons / all new requests (row 总计); null without new requests", "ratio 0–1"),
    ("withheld_total", INT, "（三）不予公开 小计（派生）",
     "三 sum of the eight 不予公开 rows' totals (the template has no subtotal row)", "件"),
    ("unable_total", INT, "（四）无法提供 小计（派生）",
     "三 sum of the three 无法提供 rows' totals (the template has no subtotal row)", "件"),
    ("not_processed_total", INT, "（五）不予处理 小计（派生）",
     "三 sum of the five 不予处理 rows' totals (the template has no subtotal row)", "件"),
]

# Where a reports column's description says nothing about missing values, this is the rule.
NULLS = "Null where the report leaves the cell blank (never 0)."

_TEXT = {"type": ["string", "null"]}


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


def _numbers() -> dict:
    numbers: dict = {"type": "object"}
    for path, typ, zh, en, unit, fmts in S2:
        _put(numbers, path, _leaf(typ, zh, en, unit, fmts, minimum=not path.endswith(".change")))
    for row, zh_row, en_row, fmts in S3_ROWS:
        for col, zh_col, en_col in S3_COLS:
            _put(numbers, f"s3.{row}.{col}", _leaf(INT, f"{zh_row} / {zh_col}",
                                                    f"三 applications: {en_row} — applicant: {en_col}", "件", fmts))
    for block, zh_b, en_b in S4_BLOCKS:
        for col, zh_c, en_c in S4_COLS:
            _put(numbers, f"s4.{block}.{col}", _leaf(INT, f"{zh_b} / {zh_c}", f"四 {en_b}: {en_c}", "件",
                                                     ("gb2019", "gb2021")))
    for sec, zh, en in (("s2", "二、主动公开政府信息情况", "二 proactive disclosure tables (条例 art. 20)"),
                        ("s3", "三、收到和处理政府信息公开申请情况", "三 applications received and how they were handled"),
                        ("s4", "四、政府信息公开行政复议、行政诉讼情况", "四 administrative reviews and lawsuits")):
        numbers["properties"][sec].update({"description": en, "x-label-zh": zh})
    return numbers["properties"]


def _derived() -> dict:
    props: dict = {}
    for key, typ, zh, en, unit in DERIVED_NAMED:
        props[key] = {"type": [typ, "null"], "description": en, "x-label-zh": zh, "x-unit": unit}
    for row, zh_row, en_row, _ in S3_ROWS:
        # keyed by the dotted path of the blank cell it stands in for: derived["s3.granted.total"]
        props[f"s3.{row}.total"] = {
            "type": [INT, "null"], "x-label-zh": f"{zh_row} / 总计（派生）", "x-unit": "件",
            "description": f"三 {en_row}: the row 总计 derived as the sum of the six applicant columns, filled only "
                          f"when the report left 总计 blank (else null: read s3__{row}__total)"}
    return {"type": "object", "additionalProperties": False, "x-label-zh": "派生指标", "properties": props,
            "description": "figures computed from the tables, never mixed with the numbers read"}


def _meta() -> dict:
    s = _TEXT
    return {
        "schema_version": {"type": "string", "x-label-zh": "模式版本",
                           "description": "version of this schema the record was produced under (rows migrated "
                                          "from an older layout keep theirs until re-parsed)"},
        "report_id": {"type": "string", "x-label-zh": "报告标识",
                      "description": "deterministic id: sha256 of canonical source URL + report year (first 32 hex)"},
        "format_version": {"enum": ["gb2021", "gb2019", "legacy"], "x-label-zh": "格式版本",
                           "description": "template era detected from the table labels, never from the year"},
        "report_year": {"type": ["integer", "null"], "x-label-zh": "报告年度",
                        "description": "year the report covers (usually publication year - 1)"},
        "title": {**s, "description": "report title as published", "x-label-zh": "标题"},
        "agency_name": {**s, "description": "publishing body as named in the title or signature", "x-label-zh": "机关名称"},
        "region": {"type": "object", "additionalProperties": False, "description": "administrative region where known",
                   "x-label-zh": "行政区划", "properties": {
                       "province": {**s, "x-label-zh": "省", "description": "province-level region name (省/自治区/直辖市)"},
                       "city": {**s, "x-label-zh": "市", "description": "prefecture-level city name"},
                       "county": {**s, "x-label-zh": "县", "description": "county-level name (县/区/旗)"},
                       "code": {"type": ["string", "null"], "pattern": "^[0-9]{6}$", "x-label-zh": "行政区划代码",
                                "description": "6-digit administrative division code (GB/T 2260), from the portal "
                                               "configuration"}}},
        "published_date": {"type": ["string", "null"], "format": "date", "x-label-zh": "发布日期",
                           "description": "publication date (page metadata, else the closing date of the text)"},
        "published_date_source": {"enum": ["page_metadata", "closing_date", "html_meta", None],
                                  "description": "where published_date was read", "x-label-zh": "发布日期来源"},
        "source_url": {**s, "description": "URL or path the document was read from", "x-label-zh": "来源"},
        "document_sha256": {"type": "string", "description": "sha256 of the raw document bytes (raw/ab/cd/<sha256>)",
                            "x-label-zh": "文档哈希"},
        "media_type": {"enum": ["html", "pdf", "docx", "doc", "wps", "xls", "xlsx", "et", "image", "text"],
                       "description": "document format detected by content", "x-label-zh": "文档格式"},
        "extractor": {**s, "description": "extractor that turned the bytes into a document", "x-label-zh": "提取器"},
        "parser_version": {"type": "string", "description": "version of the parser that produced the record",
                           "x-label-zh": "解析器版本"},
        "parse_warnings": {"type": "array", "items": {"type": "string"}, "x-label-zh": "解析警告",
                           "description": "extraction problems: tables missing, rows lost, ambiguous columns"},
        "derived_fields": {"type": "array", "items": {"type": "string"}, "x-label-zh": "派生字段",
                           "description": "number fields computed rather than read (e.g. gb2021 s3.other_handling)"},
        "format_deviations": {"type": "array", "items": {"type": "string"}, "x-label-zh": "格式偏差",
                              "description": "blocks printed in the other template's layout, as codes: "
                                             "s3.single_other_handling_row (gb2019 one 其他处理 row in a gb2021 report), "
                                             "s3.other_handling_subrows (gb2021 three rows in a gb2019 report), "
                                             "s2.normative_docs_gb2019_label / s2.normative_docs_gb2021_label (the "
                                             "other era's 规范性文件 label)"},
        "parse_status": {"enum": ["ok", "partial", "text_only"], "x-label-zh": "解析状态",
                         "description": "ok: all tables read (legacy: figures read from the prose or annex); "
                                        "partial: some rows/tables missing (see parse_warnings); text_only: a legacy "
                                        "report stating no figure, or tables as images"},
        "agency_name_normalized": {**s, "x-label-zh": "机关名称（规范化）",
                                   "description": "agency name without spaces, brackets or year, NFKC, simplified"},
        "agency_level": {"enum": ["ministry", "province", "prefecture", "county", "township", "department", None],
                         "description": "level guessed from the name", "x-label-zh": "机关层级"},
        "agency_type": {"enum": ["人民政府", "办公厅(室)", "部门", "垂直管理", "乡镇街道", None], "x-label-zh": "机关类型",
                        "description": "kind of publisher guessed from the name; decides the legal deadline "
                                       "(departments 31 January, governments 31 March)"},
        "org_code": {**s, "description": "索引号 prefix (组织机构代码) or Hanweb area= code", "x-label-zh": "组织机构代码"},
        "index_number": {**s, "description": "索引号 as printed", "x-label-zh": "索引号"},
        "portal_id": {**s, "description": "portal slug from the portal YAML (crawled records)", "x-label-zh": "门户"},
        "listing_url": {**s, "description": "listing page where the report was found", "x-label-zh": "列表页"},
        "canonical_url": {**s, "description": "canonical URL (wap twins folded, fragments dropped)", "x-label-zh": "规范URL"},
        "cms_family": {**s, "description": "CMS family of the portal: trs / hanweb / vsb / generic", "x-label-zh": "CMS"},
        "attachment_urls": {"type": "array", "items": {"type": "string"}, "x-label-zh": "附件",
                            "description": "attachments linked from the report page"},
        "encoding_detected": {**s, "description": "character encoding used to decode the page", "x-label-zh": "编码"},
        "http_status": {"type": ["integer", "null"], "x-label-zh": "HTTP状态",
                        "description": "HTTP status of the fetch that delivered the document (null for local files)"},
        "fetched_at": {"type": ["string", "null"], "format": "date-time", "x-label-zh": "抓取时间",
                       "description": "when the document was fetched (UTC; null for local files)"},
        "sections": {"type": "array", "items": {"type": "string"}, "x-label-zh": "章节",
                     "description": "section ordinals (1–6 for 一…六) found, in document order (rule 11)"},
        "prose": {"type": "object", "additionalProperties": False, "x-label-zh": "正文数字",
                  "description": "figures stated in the narrative text where found",
                  "properties": {
                      "proactive_items": {"type": ["integer", "null"], "x-label-zh": "主动公开信息条数", "x-unit": "条",
                                          "description": "items proactively published, as stated in the text"},
                      "press_conferences": {"type": ["integer", "null"], "x-label-zh": "新闻发布会场次", "x-unit": "场",
                                            "description": "press conferences held, as stated in the text"},
                      "policy_interpretations": {"type": ["integer", "null"], "x-label-zh": "政策解读条数",
                                                 "x-unit": "条", "description": "policy interpretations published, "
                                                                               "as stated in the text"},
                      "requests_received": {"type": ["integer", "null"], "x-label-zh": "收到申请件数", "x-unit": "件",
                                            "description": "requests received, as stated in the text (rule 12 "
                                                           "compares it with 三)"},
                      "processing_fee_yuan": {"type": ["number", "null"], "x-label-zh": "收取信息处理费(元)",
                                              "x-unit": "元", "description": "information processing fees collected, "
                                                                            "as stated in the text"}}},
        "text": {"type": "object", "additionalProperties": False, "x-label-zh": "正文",
                 "description": "narrative sections", "properties": {
                     "s1_overview": {**s, "x-label-zh": "一、总体情况", "description": "section 一 overview text"},
                     "s5_problems": {**s, "x-label-zh": "五、存在的主要问题及改进情况",
                                     "description": "section 五 problems and improvements text"},
                     "s6_other": {**s, "x-label-zh": "六、其他需要报告的事项",
                                  "description": "section 六 other matters (incl. the 信息处理费 statement)"},
                     "full": {**s, "x-label-zh": "全文", "description": "full text (legacy reports keep their text here)"},
                     "sections": {"type": ["array", "null"], "x-label-zh": "章节",
                                  "description": "legacy reports: every section with its original title, in order",
                                  "items": {"type": "object", "additionalProperties": False,
                                            "properties": {"title": {"type": "string"}, "text": {"type": "string"}}}}}},
        "validation": {"type": "array", "x-label-zh": "校验结果",
                       "description": "validation findings; one row each in the findings table",
                       "items": {"type": "object", "required": ["rule", "severity", "message"],
                                 "properties": {"rule": {"type": "integer"}, "severity": {"enum": ["error", "warning", "info"]},
                                                "message": {"type": "string"},
                                                "fields": {"type": "array", "items": {"type": "string"}}}}},
    }



def _arrow(spec: dict) -> str:
    if "enum" in spec:
        return STRING
    types = spec.get("type", "string")
    t = next((x for x in ([types] if isinstance(types, str) else types) if x != "null"), "string")
    if t == "array":
        props = (spec.get("items") or {}).get("properties")
        if props:  # a list of objects (legacy text.sections): a list of structs of strings
            return f"list<struct<{', '.join(f'{k}: string' for k in props)}>>"
        return LIST
    if t == "integer":
        return INT64
    if t == "number":
        return FLOAT64
    if spec.get("format") == "date":
        return DATE
    if spec.get("format") == "date-time":
        return TIMESTAMP
    return STRING


def _document(node: dict, parent_en: str = "", parent_zh: str = "", path: str = "") -> None:
    """Give every field a description and a Chinese label; fail on a top-level field without them.

    A field some block left undescribed inherits from its parent: "<parent description>: <its label
    or name>", and a missing label becomes "<parent label> <name>".
    """
    for name, sub in (node.get("properties") or {}).items():
        here = f"{path}.{name}" if path else name
        if not sub.get("x-label-zh"):
            if not parent_zh:
                raise SystemExit(f"schema field {here} has no Chinese label (x-label-zh)")
            sub["x-label-zh"] = f"{parent_zh} {name}"
        if not sub.get("description"):
            if not parent_en:
                raise SystemExit(f"schema field {here} has no description")
            sub["description"] = f"{parent_en}: {sub['x-label-zh']}"
        if sub.get("type") == "object" and "properties" in sub:
            _document(sub, sub["description"], sub["x-label-zh"], here)


def _column(name: str, typ: str, zh: str, en: str, unit: str, path: str | None = None) -> dict:
    col = {"name": name, "type": typ, "description": en, "label_zh": zh}
    if unit:
        col["unit"] = unit
    if path:
        col["path"] = path
    return col


def _report_columns(props: dict, prefix: str = "") -> list[dict]:
    """Flatten the record into columns: ``a.b.c`` -> ``a__b__c``; validation -> its two counts."""
    cols: list[dict] = []
    for name, spec in props.items():
        path = f"{prefix}.{name}" if prefix else name
        if path == "validation":
            cols += [_column(*c, path="validation") for c in VALIDATION_COLUMNS]
        elif spec.get("type") == "object" and "properties" in spec:
            cols += _report_columns(spec["properties"], path)
        else:
            unit = spec.get("x-unit", "")
            en = spec["description"]
            if path.split(".")[0] in ("s2", "s3", "s4"):
                en = f"{en}. {NULLS}"
            cols.append(_column(path.replace(".", "__"), _arrow(spec), spec["x-label-zh"], en, unit, path))
    return cols


def _tables(props: dict) -> dict:
    listed = {"reports": _report_columns(props)}
    for name, cols in (("cells", CELLS), ("findings", FINDINGS), ("documents", DOCUMENTS)):
        listed[name] = [_column(*c) for c in cols]
    for cols in listed.values():  # every row of every table names the run that wrote it
        cols.append(_column(*RUN_ID))
    out = {}
    for name, spec in TABLES.items():
        names = [c["name"] for c in listed[name]]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise SystemExit(f"{name}: duplicate column(s) {sorted(dup)}")
        out[name] = {**spec, "columns": listed[name]}
    return out


def build() -> dict:
    props = {**_meta(), **_numbers(), "derived": _derived(), "legacy": legacy_object()}
    _document({"properties": props})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://xxgk-collector/schemas/{SCHEMA_NAME}",
        "title": "政府信息公开工作年度报告 — standard record",
        "description": "One government information-disclosure annual report as a standard record. Numbers are null "
                       "where the cell was blank. x-tables: the Parquet tables and their columns.",
        "x-schema-version": SCHEMA_VERSION,
        "x-primary-key": ["report_id"],
        "x-partition": "report_year",
        "type": "object",
        "additionalProperties": False,
        "required": ["schema_version", "report_id", "format_version", "document_sha256", "media_type", "parser_version"],
        "properties": props,
        "x-tables": _tables(props),
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if OUT.exists() and OUT.read_text(encoding="utf-8") == text else 1)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
