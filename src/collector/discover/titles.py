"""Is this listing title an annual report, of which year, by whom? Pure functions.

Titles are the only reliable signal on a listing page: the URL's date folder is the publication
month (and on some 集约化 platforms not even that: 白银 files a 2020 report under ``art/2022/``),
so the year comes from the title. Pages with similar titles — 解读 (interpretations), 通知
(notices about compiling the reports), 工作要点 (the year's work plan), 图解 — must not be taken.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# 政府信息公开工作年度报告 / 政府信息公开年度报告 / 信息公开年报 / 政务公开工作年度报告 (portals.md §5)
_REPORT = re.compile(r"(信息公开|政务公开).{0,8}?(年度报告|年报|工作报告)")
_EXCLUDE = re.compile(
    r"解读|通知|工作要点|要点|图解|答记者问|一图读懂|一图看懂|发布会|征求意见|编制|报送|印发|关于做好|关于开展|"
    r"考核|评估|测评|培训|目录|指南|计划|方案|意见|决定|批复|函$|申请表|统计表样"
)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年度?|年)?")
_CN_DIGITS = {"〇": "0", "零": "0", "○": "0", "Ｏ": "0", "O": "0", "一": "1", "二": "2", "三": "3", "四": "4",
              "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_YEAR = re.compile(r"([〇零○Ｏ一二三四五六七八九]{4})\s*年")
_AGENCY_TAIL = re.compile(r"[\s（(【\[]*$")


@dataclass(frozen=True, slots=True)
class TitleInfo:
    is_report: bool
    year: int | None
    agency: str | None
    reason: str = ""


def normalize_title(title: str) -> str:
    """NFKC, collapse whitespace, drop decorations such as 《》 and trailing ellipses."""
    t = unicodedata.normalize("NFKC", title or "")
    t = re.sub(r"\s+", "", t)
    return t.strip("《》<>\"'“”·.…").strip()


def _cn_year_to_digits(text: str) -> str:
    return _CN_YEAR.sub(lambda m: "".join(_CN_DIGITS[c] for c in m.group(1)) + "年", text)


def title_year(title: str) -> int | None:
    """The report year named in the title (the first plausible 4-digit year), else None."""
    t = _cn_year_to_digits(normalize_title(title))
    for m in _YEAR.finditer(t):
        y = int(m.group(1))
        if 1990 <= y <= 2100:
            return y
    return None


def title_agency(title: str) -> str | None:
    """The publishing body: the text before the year, or between 年度 and 政府信息公开.

    ``XX局2022年政府信息公开工作年度报告`` -> ``XX局``; ``2022年度XX局政府信息公开工作年度报告`` ->
    ``XX局``; None when the title names no body (the portal's name is used then).
    """
    t = _cn_year_to_digits(normalize_title(title))
    m = _YEAR.search(t)
    head = t[: m.start()] if m else ""
    if not m:
        r = re.search(r"(政府信息公开|政务公开|信息公开)", t)
        head = t[: r.start()] if r else ""
    elif not head:
        rest = t[m.end():]
        r = re.search(r"(政府信息公开|政务公开|信息公开)", rest)
        head = rest[: r.start()] if r else ""
    head = _AGENCY_TAIL.sub("", head).strip("：:-—_ ")
    head = re.sub(r"(关于|的)$", "", head)
    return head if len(head) >= 2 else None


def classify_title(title: str) -> TitleInfo:
    """Decide whether ``title`` names an information-disclosure annual report."""
    t = normalize_title(title)
    if not _REPORT.search(t):
        return TitleInfo(False, None, None, "no report keyword")
    bad = _EXCLUDE.search(t)
    if bad:
        return TitleInfo(False, title_year(t), None, f"excluded: {bad.group(0)}")
    return TitleInfo(True, title_year(t), title_agency(t))


def is_report_title(title: str) -> bool:
    return classify_title(title).is_report


def year_column_year(text: str) -> int | None:
    """A sub-column link named after a year ("2022年", "2022年度", "2022年报"), else None."""
    t = normalize_title(text)
    m = re.fullmatch(r"((?:19|20)\d{2})(年度?)?(政府信息公开)?(工作)?(年度报告|年报|报告)?", t)
    return int(m.group(1)) if m else None


__all__ = ["TitleInfo", "classify_title", "is_report_title", "normalize_title", "title_agency", "title_year",
           "year_column_year"]
