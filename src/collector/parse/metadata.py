"""Report metadata from a Document: title, report year, agency, published date, region, 索引号.

The URL's year is often wrong (a 2020 report in a ``/2022/`` folder), so the year comes from
the title, then the statistics period stated in the text, then the caller's hint, and only
last from the publication date (reports cover the previous year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from collector.parse.normalize import nfkc

_CN_NUM = str.maketrans("〇零○一二三四五六七八九", "00012345678" + "9")
_YEAR = r"((?:19|20)\d{2})"
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff\d])[ \t\u3000]+(?=[\u4e00-\u9fff\d])")
_TITLE_HINT = re.compile(r"(年度报告|年报|工作报告|年度工作报告)")
_TITLE_YEAR = re.compile(_YEAR + r"\s*年")
_YEAR_END = re.compile(r"截[止至]\s*" + _YEAR + r"\s*年\s*12\s*月\s*31\s*日")
_PERIOD_YEAR = re.compile(r"(?:统计期限|统计期|时间段|期限)[^。]{0,12}?" + _YEAR + r"\s*年\s*1\s*月\s*1\s*日|自\s*" + _YEAR + r"\s*年\s*1\s*月\s*1\s*日")
_TITLE_SUFFIX = re.compile(
    r"(关于)?(?:政府)?(?:信息|政务)公开(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)$|政府信息公开年度报告$|年度报告$|年报$")
_DATE_LABELLED = re.compile(
    r"(发布日期|发布时间|公开日期|成文日期|发文日期|生成日期|信息时间|时间|日期)\s*[:：]?\s*"
    r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")
_DATE_CN = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_ANY = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_INDEX_NO = re.compile(r"索\s*引\s*号\s*[:：|]?\s*\|?\s*([0-9A-Za-z\-]*\s*/\s*\d{4}-\d+|[0-9A-Za-z\-]{6,}/[0-9\-]+)")
_LABEL_RANK = {"发布日期": 0, "发布时间": 0, "公开日期": 0, "信息时间": 1, "日期": 2, "时间": 2, "发文日期": 3,
               "成文日期": 3, "生成日期": 3}

PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省", "浙江省",
    "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区", "海南省", "重庆市",
    "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区", "新疆维吾尔自治区",
    "香港特别行政区", "澳门特别行政区", "台湾省",
)


@dataclass(slots=True)
class Metadata:
    title: str | None = None
    report_year: int | None = None
    report_year_source: str | None = None
    agency_name: str | None = None
    published_date: date | None = None
    published_date_source: str | None = None
    index_number: str | None = None
    org_code: str | None = None
    region: dict[str, str | None] = field(default_factory=dict)


def _mk_date(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def find_title(lines: list[str], meta: dict[str, object]) -> str | None:
    for key in ("ArticleTitle", "ucaptitle", "html_title"):
        t = meta.get(key)
        if isinstance(t, str) and _TITLE_HINT.search(t) and len(t) < 120:
            return _clean_title(t)
    best: str | None = None
    for i, line in enumerate(lines[:40]):
        s = _CJK_GAP.sub("", line.strip())  # PDF text layers space out titles: "伊 宁 市 … 2 0 2 3 年"
        if not _TITLE_HINT.search(s) or len(s) > 80 or "。" in s or re.search(r"索\s*引\s*号|分\s*类|\|", s):
            continue
        if re.search(r"[:：]", s):
            # a metadata line ("关键字: …报告") is a fallback; a clean title line wins
            best = best or _clean_title(re.sub(r"^.*[:：]\s*", "", s))
            continue
        s = re.sub(r"^第[一二三四五六七八九十\d]+篇\s*[:：]\s*", "", s)
        if re.match(r"^(?:20\d{2}年度?)?(?:政府)?信息公开(?:工作)?年度报告$", s) and i > 0:
            prev = lines[i - 1].strip()
            if 2 <= len(prev) <= 30 and "。" not in prev:
                s = prev + s
        return _clean_title(s)
    if best:
        return best
    m = _TITLE_IN_TEXT.search(nfkc("".join(lines[:15]))[:4000])
    return _clean_title(m.group(1) + m.group(2)) if m else None


_TITLE_IN_TEXT = re.compile(r"(?:现(?:予)?公布|现将|特发布|发布)?([\u4e00-\u9fff（）()]{2,30}?)(" + _YEAR
                            + r"年度?(?:政府)?信息公开(?:工作)?年度报告)")


def _clean_title(t: str) -> str:
    t = nfkc(t).strip()
    t = re.sub(r"\s+", " ", t)
    t = re.sub(r"[_|\-–—]+\s*[^_|\-–—]*(网|门户|政府网站)$", "", t).strip()
    return t


def agency_from_title(title: str) -> str | None:
    t = title.translate(_CN_NUM) if re.search(r"[〇零○][一二三四五六七八九〇零○]", title) else title
    t = re.sub(r"\s+", "", nfkc(t))
    t = re.sub(r"^.*?[:：]", "", t) if re.match(r"^(关键字|标题|第.篇)", t) else t
    t = _TITLE_SUFFIX.sub("", t)
    t = re.sub(_YEAR + r"年度?", "", t)
    t = re.sub(r"^(关于|[(（][^)）]*[)）])", "", t)
    t = t.strip(" ，,:：()（）")
    return t or None


def report_year_from(title: str | None, text: str, hint: int | None, pub: date | None) -> tuple[int | None, str | None]:
    if title:
        t = title.translate(_CN_NUM)
        m = _TITLE_YEAR.search(t)
        if m:
            return int(m.group(1)), "title"
    head = text[:6000].translate(_CN_NUM)
    m = _PERIOD_YEAR.search(head)
    if m:
        return int(m.group(1) or m.group(2)), "text"
    m = _YEAR_END.search(head)
    if m:
        return int(m.group(1)), "text"
    if hint:
        return hint, "context"
    m = re.search(_YEAR + r"\s*年度?(?:政府)?信息公开", head)
    if m:
        return int(m.group(1)), "text"
    if pub:
        return pub.year - 1, "published_date"
    return None, None


def published_date_from(lines: list[str], meta: dict[str, object], year: int | None) -> tuple[date | None, str | None]:
    def plausible(d: date | None) -> bool:
        return d is not None and (year is None or year <= d.year <= year + 2)

    candidates: list[tuple[int, date, str]] = []
    page_text = meta.get("page_text") if isinstance(meta.get("page_text"), str) else ""
    head = "\n".join(lines[:25]) + "\n" + str(page_text or "")
    for m in _DATE_LABELLED.finditer(head):
        d = _mk_date(m.group(2), m.group(3), m.group(4))
        if plausible(d):
            candidates.append((_LABEL_RANK.get(m.group(1), 2), d, "page_metadata"))  # type: ignore[arg-type]
    for key in ("PubDate", "firstpublishedtime", "publishdate", "publishtime"):
        v = meta.get(key)
        if isinstance(v, str):
            m2 = _DATE_ANY.search(v) or _DATE_CN.search(v)
            d = _mk_date(*m2.groups()) if m2 else None
            if plausible(d):
                candidates.append((1, d, "html_meta"))  # type: ignore[arg-type]
    tail = [ln for ln in lines[-8:] if len(ln.strip()) <= 40]
    for ln in reversed(tail):
        m3 = _DATE_CN.search(nfkc(ln).translate(_CN_NUM))
        if m3:
            d = _mk_date(*m3.groups())
            if plausible(d):
                candidates.append((2, d, "closing_date"))  # type: ignore[arg-type]
                break
    # a date in brackets under the title: "(2010年3月10日)"
    for ln in lines[:6]:
        m4 = re.match(r"^\s*[(（]\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[)）]\s*$", nfkc(ln))
        if m4:
            d = _mk_date(*m4.groups())
            if plausible(d):
                candidates.append((2, d, "closing_date"))  # type: ignore[arg-type]
    if not candidates:
        return None, None
    candidates.sort(key=lambda c: c[0])
    return candidates[0][1], candidates[0][2]


def index_number_from(lines: list[str], meta: dict[str, object]) -> tuple[str | None, str | None]:
    blob = "\n".join(lines[:12]) + "\n" + str(meta.get("page_text") or "")
    m = _INDEX_NO.search(nfkc(blob))
    if not m:
        return None, None
    idx = re.sub(r"\s+", "", m.group(1))
    org = idx.split("/")[0] or None
    return idx, org


def region_from_name(name: str | None) -> dict[str, str | None]:
    out: dict[str, str | None] = {"province": None, "city": None, "county": None, "code": None}
    if not name:
        return out
    for p in PROVINCES:
        short = re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", p)
        if name.startswith(p) or (len(short) >= 2 and name.startswith(short) and not name.startswith(short + "县")):
            out["province"] = p
            break
    return out


def extract_metadata(lines: list[str], meta: dict[str, object], text: str, year_hint: int | None = None,
                     agency_hint: str | None = None) -> Metadata:
    md = Metadata()
    md.title = find_title(lines, meta)
    agency = agency_from_title(md.title) if md.title else None
    if not agency or len(agency) < 2:
        agency = agency_hint or _signature_agency(lines)
    md.agency_name = agency
    # First pass without a year constraint to read the date, then the year, then re-check.
    pub, src = published_date_from(lines, meta, None)
    md.report_year, md.report_year_source = report_year_from(md.title, text, year_hint, pub)
    md.published_date, md.published_date_source = published_date_from(lines, meta, md.report_year)
    md.index_number, md.org_code = index_number_from(lines, meta)
    md.region = region_from_name(md.agency_name)
    return md


def _signature_agency(lines: list[str]) -> str | None:
    tail = [ln.strip() for ln in lines[-4:]]
    for i, ln in enumerate(tail):
        if _DATE_CN.search(ln) and i > 0:
            cand = tail[i - 1]
            if 2 < len(cand) <= 30 and re.search(r"(局|委|厅|办|政府|镇|乡|街道|中心|院|部|署|会)$", cand):
                return cand
    return None
