"""Row labels of the legacy annex statistics forms, as one declarative table.

Forms seen: the national 《政府信息公开情况统计表》 of 国办发〔2014〕32号 (统计指标 / 单位 / 统计数; groups
一、主动公开情况 … 九、会议和培训), the Fujian form (指标名称 / 计量单位 / 本年度 / 历年累计, e.g. 莆田 2009)
and the Gansu 定西 form (指标名称 / 计量单位 / 代码 01–35 / 本期实际 / 本年累计). A label is matched on its
core: NFKC, no whitespace, numbering (一、 （一） 1. (1)), "其中：" and explanatory brackets removed.
"""

from __future__ import annotations

import re
from functools import lru_cache

# (field under legacy., label regex — fullmatch on the core label, group the row must sit in or None)
ANNEX_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("proactive_items_total", r"主动公开(?:政府)?信息(?:数|总数|条数)", None),
    ("proactive_normative_docs", r"主动公开(?:行政)?规范性文件(?:数|件数)", None),
    ("normative_docs_issued", r"制发(?:行政)?规范性文件(?:总数|数)", None),
    ("requests_received", r"收到申请(?:数|总数)|受理依申请公开(?:政府)?信息(?:申请)?总数|(?:依申请公开)?申请总数|受理申请(?:总)?数", None),
    ("requests_by_channel.in_person", r"当面申请数", None),
    ("requests_by_channel.fax", r"传真申请数", None),
    ("requests_by_channel.online", r"(?:网络|网上)申请数", None),
    ("requests_by_channel.email", r"电子邮件申请数", None),
    ("requests_by_channel.letter", r"信函申请数", None),
    ("requests_by_channel.other", r"其[他它]形式申请数", None),
    ("requests_closed", r"申请办结数", None),
    ("replies_total", r"申请答复数|(?:本年度)?对申请的答复总数|答复总数", None),
    ("replies.already_public", r"属于已主动公开范围数", None),
    ("replies.granted", r"同意公开答复数", None),
    ("replies.partially_granted", r"同意部分公开答复数", None),
    ("replies.denied", r"不同意公开答复数|否决公开答复(?:总)?数", None),
    ("replies.not_held", r"不属于本(?:行政)?机关公开数|\"?非本(?:部门|机关)掌握\"?数", None),
    ("replies.not_exist", r"申请信息不存在数|\"?信息不存在\"?数", None),
    ("replies.unclear", r"告知作出更改补充数|\"?申请内容不明确\"?数", None),
    ("replies.redirect", r"告知通过其他途径办理数", None),
    ("review_total", r"(?:政府信息公开)?行政复议(?:数量|数|案件数)", None),
    ("review.upheld", r"维持具体行政行为数", "review"),
    ("review.corrected", r"被依法纠错数", "review"),
    ("review.other", r"其他情形数", "review"),
    ("litigation_total", r"(?:政府信息公开)?行政诉讼(?:数量|数|案件数)", None),
    ("litigation.upheld_or_dismissed", r"维持具体行政行为或者驳回原告诉讼请求数", "litigation"),
    ("litigation.corrected", r"被依法纠错数", "litigation"),
    ("litigation.other", r"其他情形数", "litigation"),
    ("complaints_total", r"举报投诉(?:数量|数)|行政申诉数", None),
    ("fees_collected", r"依申请公开(?:政府)?信息收取的费用|收取(?:的)?费用", None),
    ("fee_waivers", r"减免(?:的)?费用|减免金额", None),
    ("consultations", r"(?:政府信息公开)?咨询(?:总)?(?:数|量|人次)|接受咨询(?:总)?数", None),
    ("staff_fulltime", r"专职人员数", None),
    ("staff_parttime", r"兼职人员数", None),
    ("special_budget_wan_yuan", r"政府信息公开专项经费", None),
    ("meetings", r"召开政府信息公开工作会议或专题会议数|召开(?:政府信息公开)?(?:工作)?会议(?:次)?数", None),
    ("trainings", r"举办各类培训班数|举办培训(?:班)?(?:次)?数|培训班数", None),
    ("trainees", r"接受培训人员数|培训人(?:员|次)数", None),
)

# group header rows: the 四/五 blocks share the labels 被依法纠错数 / 其他情形数
GROUPS: tuple[tuple[str, str], ...] = (
    ("review", r"行政复议(?:数量|数|案件数)"),
    ("litigation", r"行政诉讼(?:数量|数|案件数)"),
)

HEADER_LABEL = re.compile(r"统计指标|指标名称|指标|项目")
HEADER_UNIT = re.compile(r"计量单位|单位")
HEADER_THIS_YEAR = re.compile(r"统计数|本年度|本期实际|本年数|本期|(?:19|20)\d{2}年度?|数量|数值|实际数")
HEADER_CUMULATIVE = re.compile(r"累计")
HEADER_CODE = re.compile(r"代码|编号")
UNITS = ("万元", "人次", "条", "件", "人", "次", "个", "元", "项", "篇", "份", "宗", "期")

_NUMBERING = re.compile(
    r"^(?:其中[:：]?)?(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[.、．](?!\d)|[①-⑳])?(?:其中[:：]?)?")
_NOTE = re.compile(r"[(（][^()（）]*[)）]$")


_WS = re.compile(r"\s+")
_LEVEL4 = re.compile(r"^(?:其中|[(（]\d{1,2}[)）]|[①-⑳])")
_LEVEL1 = re.compile(r"^[一二三四五六七八九十]+[、.．]")
_LEVEL2 = re.compile(r"^[(（][一二三四五六七八九十]{1,3}[)）]")


@lru_cache(maxsize=8192)  # forms repeat the same labels in every report
def label_core(label: str) -> str:
    """"（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）" -> "主动公开政府信息数"."""
    t = _WS.sub("", label).replace("“", '"').replace("”", '"')
    t = _NUMBERING.sub("", t)
    prev = None
    while prev != t:
        prev, t = t, _NOTE.sub("", t)
    return t.strip(":：*＊ ")


@lru_cache(maxsize=8192)
def label_level(label: str) -> int:
    """Nesting depth from the numbering: 一、 1; （一） 2; 1. 3; (1) and 其中 4; none 3."""
    t = _WS.sub("", label)
    if _LEVEL4.match(t):
        return 4
    if _LEVEL1.match(t):
        return 1
    if _LEVEL2.match(t):
        return 2
    return 3


_ROWS = tuple((name, re.compile(rx), group) for name, rx, group in ANNEX_ROWS)
_GROUPS = tuple((name, re.compile(rx)) for name, rx in GROUPS)


@lru_cache(maxsize=8192)
def match_row(core: str, group: str | None) -> str | None:
    for name, rx, need in _ROWS:
        if rx.fullmatch(core) and (need is None or need == group):
            return name
    return None


@lru_cache(maxsize=8192)
def match_group(core: str) -> str | None:
    for name, rx in _GROUPS:
        if rx.fullmatch(core):
            return name
    return None


_ANY_ROW = re.compile("|".join(f"(?:{rx})" for _, rx, _ in ANNEX_ROWS))


def is_annex_label(core: str) -> bool:
    return _ANY_ROW.fullmatch(core) is not None


__all__ = ["ANNEX_ROWS", "GROUPS", "HEADER_CODE", "HEADER_CUMULATIVE", "HEADER_LABEL", "HEADER_THIS_YEAR", "HEADER_UNIT",
           "UNITS", "is_annex_label", "label_core", "label_level", "match_group", "match_row"]
