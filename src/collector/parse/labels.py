"""Row and column labels of the template, as patterns over normalised label text.

Row labels are matched by the words that make them unique (PDF extraction and Word pasting
truncate, split and space them: "不 予 公 开", "二、上年结转政府信息公" / "开申请数量"), most specific
first: the 其他处理 sub-rows before the one-row gb2019 label, 不予公开 items before 予以公开.
Columns are mapped by position within the template's 7-column (三) and 15-column (四) blocks.
Sources: 国办公开办函〔2021〕30号 and 〔2019〕60号.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

S3_COLUMNS = ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
              "legal_service_org", "other_org", "total")
S4_BLOCKS = ("review", "litigation_direct", "litigation_after_review")
S4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")

S3_OTHER_SUBROWS = ("other_no_correction", "other_fee_unpaid", "other_other")
S3_RESULT_ROWS_2019 = (
    "granted", "partially_granted", "withheld_state_secret", "withheld_law_prohibits",
    "withheld_three_security_one_stability", "withheld_third_party_rights", "withheld_internal_affairs",
    "withheld_process_info", "withheld_enforcement_file", "withheld_admin_inquiry", "unable_not_held",
    "unable_needs_creation", "unable_unclear_after_correction", "not_processed_petition", "not_processed_duplicate",
    "not_processed_publication", "not_processed_excessive", "not_processed_confirm_reissue", "other_handling",
)
S3_RESULT_ROWS_2021 = S3_RESULT_ROWS_2019[:-1] + S3_OTHER_SUBROWS


# format_deviations codes: a block printed in the other era's layout (see README, "Hybrid layouts")
S3_DEVIATION = {"gb2019": "s3.single_other_handling_row", "gb2021": "s3.other_handling_subrows"}


def s3_result_rows(rec: dict[str, Any]) -> tuple[str, ...]:
    """三's result rows as the record's table prints them (its era, unless a deviation says otherwise)."""
    devs = rec.get("format_deviations") or ()
    if "s3.single_other_handling_row" in devs:
        return S3_RESULT_ROWS_2019
    if "s3.other_handling_subrows" in devs:
        return S3_RESULT_ROWS_2021
    return S3_RESULT_ROWS_2021 if rec.get("format_version") == "gb2021" else S3_RESULT_ROWS_2019




# The same rows as keywords to find in a *stream* of label text (a text layer breaks a label
# anywhere: "5.属于三类内部事" / "务信息"), in template order. Each must be specific enough not
# to occur in a neighbouring row's label; 其他处理 is a row only where the three gb2021 sub-rows
# are absent (else it is their group label).
S3_STREAM_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (k, re.compile(p))
    for k, p in (
        ("new_received", r"本年新收|本年度新收"),
        ("carried_over_in", r"上年结转|上年度结转"),
        ("granted", r"予以公开"),
        ("partially_granted", r"部分公开"),
        ("withheld_state_secret", r"国家秘密"),
        ("withheld_law_prohibits", r"法律行政法规禁止|其他法律|禁止公开"),
        ("withheld_three_security_one_stability", r"三安全|一稳定"),
        ("withheld_third_party_rights", r"第三方"),
        ("withheld_internal_affairs", r"内部事务"),
        ("withheld_process_info", r"过程性"),
        ("withheld_enforcement_file", r"执法案卷"),
        ("withheld_admin_inquiry", r"行政查询"),
        ("unable_not_held", r"不掌握"),
        ("unable_needs_creation", r"另行制作|没有现成"),
        ("unable_unclear_after_correction", r"仍不明确|补正后申请"),
        ("not_processed_petition", r"信访|举报投诉"),
        ("not_processed_duplicate", r"重复申请"),
        ("not_processed_publication", r"出版物"),
        ("not_processed_excessive", r"大量反复|反复申请"),
        ("not_processed_confirm_reissue", r"重新出具|确认或重新"),
        ("other_no_correction", r"逾期不补正|无正当理由逾期|申请人无正"),
        ("other_fee_unpaid", r"缴纳费用|收费通知|逾期未按"),
        ("other_other", r"3[.、]?其他(?!法律|处理|对外|组织|情形)"),
        ("other_handling", r"其他处理"),
        ("results_total", r"\(七\)(?:总计|合计)|七\)(?:总计|合计)|结果总计|结果合计"),
        ("carried_over_out", r"结转下年|下年度继续"),
    )
)
S3_ROW_ORDER = tuple(k for k, _ in S3_STREAM_PATTERNS)

def match_s3_row(label: str) -> str | None:
    """The 三 row a whole label names (its first keyword; the 其他处理 group label counts as the
    gb2019 row). Text layers break labels, so the parser reads 三 from a label stream instead."""
    hits = [(m.start(), k) for k, pat in S3_STREAM_PATTERNS if (m := pat.search(label))]
    subrows = [k for _, k in hits if k in S3_OTHER_SUBROWS]
    if subrows:
        return subrows[0]
    return min(hits)[1] if hits else None

# Row ordinals a label starts with: "1." "2、" "(三)" "四、" (after NFKC, no spaces)
ENUMERATOR_NORM = re.compile(r"\d{1,2}[.、](?!\d)|\([一二三四五六七八九十]{1,3}\)|[一二三四五六七八九十]{1,3}、")


# 二 主动公开: item label -> (article, item key)
S2_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("规章", "art20_1", "regulations"),
    ("行政规范性文件", "art20_1", "normative_docs"),
    ("规范性文件", "art20_1", "normative_docs"),
    ("行政许可", "art20_5", "admin_licensing"),
    ("其他对外管理服务事项", "art20_5", "other_external_services"),
    ("其他对外管理", "art20_5", "other_external_services"),
    ("行政处罚", "art20_6", "admin_penalty"),
    ("行政强制", "art20_6", "admin_coercion"),
    ("行政事业性收费", "art20_8", "admin_fees"),
    ("政府集中采购", "art20_9", "centralized_procurement"),
)
S2_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "gb2021": {
        "regulations": ("issued", "repealed", "in_force"),
        "normative_docs": ("issued", "repealed", "in_force"),
        "admin_licensing": ("decisions",),
        "admin_penalty": ("decisions",),
        "admin_coercion": ("decisions",),
        "admin_fees": ("amount_wan_yuan",),
    },
    "gb2019": {
        "regulations": ("new_made", "new_published", "total_published"),
        "normative_docs": ("new_made", "new_published", "total_published"),
        "admin_licensing": ("prev_year_items", "change", "decisions"),
        "other_external_services": ("prev_year_items", "change", "decisions"),
        "admin_penalty": ("prev_year_items", "change", "decisions"),
        "admin_coercion": ("prev_year_items", "change", "decisions"),
        "admin_fees": ("prev_year_items", "change"),
        "centralized_procurement": ("project_count", "total_amount_yuan"),
    },
}


def match_s2_item(label: str) -> tuple[str, str] | None:
    """Whole-cell match: the label is the item name, possibly with a unit in brackets."""
    return _match_s2_item(label) if len(label) <= 200 else _match_s2_item.__wrapped__(label)


@lru_cache(maxsize=8192)  # labels recur in every report; long ones (paragraphs) are not kept
def _match_s2_item(label: str) -> tuple[str, str] | None:
    core = re.sub(r"\(.*?\)|（.*?）|[:：]", "", label)
    core = re.sub(r"^(\d+\.|[一二三四五六七八九十]+、)", "", core)
    for name, art, key in S2_ITEMS:
        if core == name or (core.startswith(name) and len(core) <= len(name) + 4):
            return art, key
    return None


GB2021_MARKERS = ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额", "逾期不补正",
                  "缴纳费用")
GB2019_MARKERS = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减", "本年增减",
                  "政府集中采购", "采购总金额", "其他对外管理服务事项", "采购项目数量")
S3_MARKERS = ("本年新收政府信息公开申请", "上年结转政府信息公开申请", "本年度办理结果", "结转下年度继续办理")
S4_MARKERS = ("未经复议直接起诉", "复议后起诉", "尚未审结", "结果维持")
