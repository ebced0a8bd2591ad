"""Report metadata from a Document: title, report year, agency, published date, region, 索引号.

The URL's year is often wrong (a 2020 report in a ``/2022/`` folder), so the year comes from
the title, then the statistics period stated in the text, then the caller's hint, and only
last from the publication date (reports cover the previous year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from collector.parse.normalize import CharMap, nfkc

_CN_NUM = CharMap(str.maketrans("〇零○一二三四五六七八九", "00012345678" + "9"))  # text.translate, faster
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
# 引 of 索引号: no other character's NFKC form holds it (a test checks every code point), so a text
# without it cannot match _INDEX_NO after NFKC.
_INDEX_CHAR = "引"
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
        return _clean_title(_join_title_lines(s, lines[:i]))
    if best:
        return best
    m = _TITLE_IN_TEXT.search(nfkc("".join(lines[:15]))[:4000])
    return _clean_title(m.group(1) + m.group(2)) if m else None


_BARE_TITLE = re.compile(r"^(?:(?:19|20)\d{2}年度?)?(?:政府)?(?:信息|政务)公开(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)$")
_YEAR_ONLY = re.compile(r"^(?:19|20)\d{2}年度?$")


def _join_title_lines(s: str, before: list[str]) -> str:
    """A title broken across lines: "X区人民政府" / "2023年政府信息公开工作年度报告", "X局2023年政府信息公开" /
    "工作年度报告", "2023年度" / "X局政府信息公开工作年度报告" — join the lines above while the
    part read so far is not a whole title."""
    for prev in reversed(before[-2:]):
        prev = _CJK_GAP.sub("", prev.strip())
        if not (2 <= len(prev) <= 40) or re.search(r"[。：:|]", prev) or _HEADING_LINE.match(prev):
            break
        if not (_BARE_TITLE.match(s) or "公开" not in s or _YEAR_ONLY.match(prev) or s.startswith("工作")):
            break
        s = prev + s
    return s


_HEADING_LINE = re.compile(r"^[一二三四五六七八九十]+、|^[（(][一二三四五六七八九十]+[)）]")

_TITLE_IN_TEXT = re.compile(r"(?:现(?:予)?公布|现将|特发布|发布)?([\u4e00-\u9fff（）()]{2,30}?)(" + _YEAR
                            + r"年度?(?:政府)?信息公开(?:工作)?年度报告)")


def _clean_title(t: str) -> str:
    t = nfkc(t).strip()
    t = re.sub(r"\s+", " ", t)
    t = re.sub(r"[_|\-–—]+\s*[^_|\-–—]*(网|门户|政府网站)$", "", t).strip()
    return t


_REPORT_PHRASE = re.compile(r"(?:关于)?(?:政府)?(?:信息|政务)公开(?:工作)?(?:年度)?(?:工作)?(?:报告|年报)|年度报告|年报")


def agency_from_title(title: str) -> str | None:
    t = _CN_NUM(title) if re.search(r"[〇零○][一二三四五六七八九〇零○]", title) else title
    t = re.sub(r"\s+", "", nfkc(t))
    t = re.sub(r"^.*?[:：]", "", t) if re.match(r"^(关键字|标题|第.篇)", t) else t
    t = _TITLE_SUFFIX.sub("", t)
    m = _REPORT_PHRASE.search(t)
    if m and m.end() < len(t):
        # "2023年政府信息公开工作年度报告 X局" (a text layer that put the agency line last)
        before, after = re.sub(_YEAR + r"年度?", "", t[: m.start()]), t[m.end():]
        t = after if not before.strip(" ，,") else t[: m.start()]
    t = re.sub(_YEAR + r"年度?", "", t)
    t = re.sub(r"^(关于|[(（][^)）]*[)）])", "", t)
    t = t.strip(" ，,:：()（）")
    return t or None


_AGENCY_END = re.compile(
    r"(局|委员会|委|厅|办公室|办公厅|办|政府|镇|乡|街道|办事处|中心|院|部|署|会|室|处|所|站|队|馆|集团|公司|苏木|旗|"
    r"区|县|市|州|盟|省|自治区|管委会|管理委员会|公署|行|社|场|园|台|关|学|校|狱|科|股|组)$")
# a year, or digits strewn between characters (two title lines interleaved: "X2区0人2民3政…"),
# the words of a title, or punctuation: not the name of a body ("第2中学", "测试0局" are)
_NOT_A_NAME = re.compile(r"(?:19|20)\d{2}|\d\D+\d\D+\d|年度|报告|信息公开|政务公开|[。，,；;：:]")


def plausible_agency(name: str | None) -> bool:
    """Does ``name`` look like the name of a body (not a title fragment like "工作", nor the
    characters of two title lines interleaved: digits, 年, 报告 inside)?"""
    if not name or not (2 <= len(name) <= 40):
        return False
    if _NOT_A_NAME.search(name):
        return False
    return bool(_AGENCY_END.search(name))


_COMPILED_BY = re.compile(r"由\s*([\u4e00-\u9fff（）()]{2,30}?)\s*(?:负责)?(?:编制|编写|制作|汇总编制|综合编制)")


_OPENING = re.compile(r"(?:19|20)\d{2}年度?[，,]([\u4e00-\u9fff（）()]{2,30}?)(?:坚持|认真|深入|严格|全面|紧紧|始终|按照|围绕|持续|不断|积极)")


def opening_agency(text: str) -> str | None:
    """"2019年，上海市人民政府办公厅坚持…" — how most overviews open; the last resort for the agency."""
    m = _OPENING.search(re.sub(r"\s+", "", nfkc(text[:6000])))
    if m and plausible_agency(m.group(1)) and not m.group(1).startswith(("我", "本")):
        return m.group(1)
    return None


def compiled_by(text: str) -> str | None:
    """"本报告由X编制" — the body the report names itself as author."""
    m = _COMPILED_BY.search(re.sub(r"\s+", "", nfkc(text[:4000])))
    if m and plausible_agency(m.group(1)):
        return m.group(1)
    return None


def report_year_from(title: str | None, text: str, hint: int | None, pub: date | None,
                     names: list[tuple[str, bool]] | None = None) -> tuple[int | None, str | None]:
    """The report year: title, the statistics period in the text, the caller's hint, sheet and
    file names (``names``: (name, whether a bare 2023 counts)), and last the publication date."""
    names = names or []
    if title:
        t = _CN_NUM(title)
        m = _TITLE_YEAR.search(t)
        if m:
            return int(m.group(1)), "title"
    head = _CN_NUM(text[:6000])
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
    for name, bare in names:
        y = _year_in_name(name, bare)
        if y:
            return y, "name"
    if pub:
        return pub.year - 1, "published_date"
    return None, None


def _year_in_name(name: str, bare: bool) -> int | None:
    """"2023年度" in a sheet or file name; a bare 2023 only where ``bare`` (a sheet, a spreadsheet's
    file name) and never inside a longer number or a date (t20240115, 2024-01-10)."""
    n = nfkc(name)
    m = re.search(r"(?<!\d)" + _YEAR + r"\s*年", n)
    if not m and bare:
        m = re.search(r"(?<![\d])" + _YEAR + r"(?![\d]|[-_.]\d)", n)
    return int(m.group(1)) if m else None


DateSeen = tuple[str, int, "date | None", str]  # (kind, rank, date, source) as found, before the year check


def _dates_seen(lines: list[str], meta: dict[str, object]) -> list[DateSeen]:
    """Every publication date the page states, in the order :func:`published_date_from` weighs
    them, unfiltered: the year check is the only part that depends on the report year, so the two
    passes of :func:`extract_metadata` share one scan (the page text's regex search is the cost)."""
    seen: list[DateSeen] = []
    page_text = meta.get("page_text") if isinstance(meta.get("page_text"), str) else ""
    head = "\n".join(lines[:25]) + "\n" + str(page_text or "")
    for m in _DATE_LABELLED.finditer(head):
        seen.append(("all", _LABEL_RANK.get(m.group(1), 2), _mk_date(m.group(2), m.group(3), m.group(4)),
                     "page_metadata"))
    for key in ("PubDate", "firstpublishedtime", "publishdate", "publishtime"):
        v = meta.get(key)
        if isinstance(v, str):
            m2 = _DATE_ANY.search(v) or _DATE_CN.search(v)
            seen.append(("all", 1, _mk_date(*m2.groups()) if m2 else None, "html_meta"))
    tail = [ln for ln in lines[-8:] if len(ln.strip()) <= 40]
    for ln in reversed(tail):
        m3 = _DATE_CN.search(_CN_NUM(nfkc(ln)))
        if m3:
            seen.append(("first", 2, _mk_date(*m3.groups()), "closing_date"))  # the last plausible closing date
    # a date in brackets under the title: "(2010年3月10日)"
    for ln in lines[:6]:
        m4 = re.match(r"^\s*[(（]\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[)）]\s*$", nfkc(ln))
        if m4:
            seen.append(("all", 2, _mk_date(*m4.groups()), "closing_date"))
    return seen


def published_date_from(lines: list[str], meta: dict[str, object], year: int | None,
                        seen: list[DateSeen] | None = None) -> tuple[date | None, str | None]:
    """The publication date: the best-ranked of the dates the page states that fit ``year`` (in
    the year or the two after it). ``seen``: :func:`_dates_seen` of the same lines and meta."""
    def plausible(d: date | None) -> bool:
        return d is not None and (year is None or year <= d.year <= year + 2)

    candidates: list[tuple[int, date, str]] = []
    closing = False
    for kind, rank, d, source in _dates_seen(lines, meta) if seen is None else seen:
        if kind == "first":
            if closing or not plausible(d):
                continue
            closing = True
        if plausible(d):
            candidates.append((rank, d, source))  # type: ignore[arg-type]
    if not candidates:
        return None, None
    candidates.sort(key=lambda c: c[0])
    return candidates[0][1], candidates[0][2]


def index_number_from(lines: list[str], meta: dict[str, object]) -> tuple[str | None, str | None]:
    blob = "\n".join(lines[:12]) + "\n" + str(meta.get("page_text") or "")
    if _INDEX_CHAR not in blob:
        return None, None  # no 索引号 can appear after NFKC either: skip normalising the page text
    m = _INDEX_NO.search(nfkc(blob))
    if not m:
        return None, None
    idx = re.sub(r"\s+", "", m.group(1))
    org = idx.split("/")[0] or None
    return idx, org


# (province, its name without 省/市/自治区), built once
_PROVINCE_SHORT = tuple((p, re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", p)) for p in PROVINCES)


def region_from_name(name: str | None) -> dict[str, str | None]:
    out: dict[str, str | None] = {"province": None, "city": None, "county": None, "code": None}
    if not name:
        return out
    for p, short in _PROVINCE_SHORT:
        if name.startswith(p) or (len(short) >= 2 and name.startswith(short) and not name.startswith(short + "县")):
            out["province"] = p
            break
    return out


def extract_metadata(lines: list[str], meta: dict[str, object], text: str, year_hint: int | None = None,
                     agency_hint: str | None = None) -> Metadata:
    md = Metadata()
    md.title = find_title(lines, meta)
    agency = agency_from_title(md.title) if md.title else None
    if not plausible_agency(agency) and (doc_title := _document_title(meta)):
        md.title, agency = doc_title  # the title in the PDF's / DOCX's properties
    if not plausible_agency(agency):
        # a broken or interleaved title: the report's signature, "本报告由X编制", the caller
        fallback = _signature_agency(lines) or compiled_by(text) or agency_hint or opening_agency(text)
        # else the title's reading, unless it is plainly a fragment ("工作") or two lines interleaved
        agency = fallback or (agency if agency and len(agency) >= 3 and not _NOT_A_NAME.search(agency) else None)
    md.agency_name = agency
    # First pass without a year constraint to read the date, then the year, then re-check.
    dates = _dates_seen(lines, meta)
    pub, src = published_date_from(lines, meta, None, dates)
    md.report_year, md.report_year_source = report_year_from(md.title, text, year_hint, pub, _names(meta))
    md.published_date, md.published_date_source = published_date_from(lines, meta, md.report_year, dates)
    md.index_number, md.org_code = index_number_from(lines, meta)
    md.region = region_from_name(md.agency_name)
    return md


def _document_title(meta: dict[str, object]) -> tuple[str, str] | None:
    """(title, agency) from the title a PDF or DOCX carries in its properties, when it names a body
    ("Microsoft Word - 年报.docx" does not)."""
    for key in ("pdf_title", "title"):
        t = meta.get(key)
        if isinstance(t, str) and _TITLE_HINT.search(t) and len(t) < 120:
            title = _clean_title(t)
            agency = agency_from_title(title)
            if agency and plausible_agency(agency):
                return title, agency
    return None


def _names(meta: dict[str, object]) -> list[tuple[str, bool]]:
    """Sheet names and the document's file name, where a year may be all that dates a spreadsheet."""
    out: list[tuple[str, bool]] = [(str(n), True) for n in meta.get("sheet_names") or [] if isinstance(n, str)]
    url = meta.get("source_url")
    if isinstance(url, str) and url:
        from urllib.parse import unquote, urlsplit

        base = unquote(urlsplit(url).path.rsplit("/", 1)[-1] if "://" in url else url.replace("\\", "/").rsplit("/", 1)[-1])
        spreadsheet = base.lower().endswith((".xlsx", ".xls", ".et", ".xlsm"))
        out.append((base, spreadsheet))
    return out


def _signature_agency(lines: list[str]) -> str | None:
    """The body named over the closing date ("X局" / "2024年1月10日")."""
    tail = [_CJK_GAP.sub("", nfkc(ln).strip()) for ln in lines[-4:]]
    for i, ln in enumerate(tail):
        if _DATE_CN.search(ln) and i > 0:
            cand = tail[i - 1]
            if 2 < len(cand) <= 30 and plausible_agency(cand):
                return cand
    return None


# ---- legacy pages (report years 2008–2018) --------------------------------------------------------------
# Mirror copies lose the title or inject their own domain into it ("puroview.com沙头镇"), Word/PDF copies
# run the title into the first sentence, 集约化 pages open with a metadata table, and signatures write
# dates in Chinese numerals (二○一二年二月二十日). These functions refine what extract_metadata found.

_CN_DIGIT = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN_DATE = re.compile(r"([〇零○Ｏ一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日")
_DOMAIN = re.compile(r"(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|info|cc|top|xyz|vip|site|tw|hk)"
                     r"(?:/[^\s\u4e00-\u9fff]*)?", re.I)
# words of a sentence, never of a name ("认真编制了", "特向社会公布", "我乡")
_NOT_AGENCY = re.compile(r"编制|公布|根据|认真|特向|现将|报告|条例|我(?:局|镇|乡|委|办|单位)|本(?:单位|局|机关)|以下简称|工作|情况")
# "由北京市统计局、国家统计局北京调查总队(以下简称统计局队)编制": several bodies, a short-name note
_LEGACY_COMPILED_BY = re.compile(r"由([^，,。；;:：()（）]{2,40}?)(?:[（(][^)）]{0,20}[)）])?(?:根据[^。]{0,80}?)?"
                                 r"(?:汇总|综合[^。]{0,40}?)?编制")
_META_AGENCY = re.compile(r"(?:发布机构|发文机关|信息来源|来源|发布单位)\s*[:：|]?\s*\|?\s*([^\s|:：]{2,30})")
_BARE_DATE = re.compile(r"^\s*[(（]?\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*[)）]?\s*$")


def cn_date_to_digits(text: str) -> str:
    """"二○一二年二月二十日" -> "2012年2月20日" (○ and 〇 are zero; 十, 二十, 三十一 as numbers)."""
    def num(s: str) -> int:
        if "十" not in s:
            return int("".join(str(_CN_DIGIT[c]) for c in s))
        tens, _, ones = s.partition("十")
        return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)

    def sub(m: re.Match[str]) -> str:
        try:
            return f"{num(m.group(1))}年{num(m.group(2))}月{num(m.group(3))}日"
        except KeyError:
            return m.group(0)

    return _CN_DATE.sub(sub, text)


def strip_domain(name: str | None) -> str | None:
    """A mirror's domain is never part of an agency name ("puroview.com沙头镇" -> "沙头镇")."""
    if not name:
        return name
    out = _DOMAIN.sub("", name).strip(" ·•-_|")
    return out or None


def legacy_plausible_agency(name: str | None) -> bool:
    """:func:`plausible_agency`, and no sentence words: legacy pages put sentences where titles were."""
    return plausible_agency(name) and not _NOT_AGENCY.search(name or "")


def legacy_title(title: str | None) -> str | None:
    """A Word/PDF copy runs the first sentence into the title line: cut it at 年度报告 / 年报."""
    if title:
        m = re.search(r"(?:年度报告|年报)", title)
        if m and m.end() < len(title) and re.match(r"(?:本|根据|为|按照|\()", title[m.end():]):
            title = title[: m.end()]
    return title


def legacy_agency(title_agency: str | None, paras: list[str], meta: dict[str, object], lines: list[str]) -> str | None:
    """The publishing body of a legacy page: the title, else "本报告由X编制", the metadata block, the signature.

    "由X编制" also wins over a title that names only X's region ("北京市政府信息公开工作年度报告" compiled
    by 北京市统计局): a cover title that names the whole city is a trap.
    """
    title_agency = strip_domain(title_agency)
    body = "".join(paras[:12])[:4000]
    m = _LEGACY_COMPILED_BY.search(body)
    compiled = strip_domain(m.group(1)) if m else None
    if compiled and not legacy_plausible_agency(compiled):
        compiled = None
    if legacy_plausible_agency(title_agency) or (title_agency and compiled and compiled.startswith(title_agency)):
        rest = compiled[len(title_agency or ""):] if compiled else ""
        if compiled and rest and compiled.startswith(title_agency or "") and not rest.startswith(("人民政府", "政府")):
            return compiled  # a department of the place the title names ("北京市" / "北京市统计局")
        return title_agency  # the government itself, or its own office that compiled the report
    if compiled:
        return compiled
    blob = "\n".join(lines[:8]) + "\n" + str(meta.get("page_text") or "")[:2000]
    for mm in _META_AGENCY.finditer(nfkc(blob)):
        cand = strip_domain(mm.group(1))
        if legacy_plausible_agency(cand) and cand not in ("本站原创", "本站"):
            return cand
    sig = _signature_agency([cn_date_to_digits(ln) for ln in lines])
    return sig if legacy_plausible_agency(sig) else None


def legacy_published_date(lines: list[str], meta: dict[str, object], year: int | None,
                          found: tuple[date | None, str | None]) -> tuple[date | None, str | None]:
    """Page date before signature date: a labelled page date (发布时间) or a bare cover date line
    ("2013/3/1") beats the closing date under the signature (often 12-31 of the report year)."""
    def plausible(d: date | None) -> bool:
        return d is not None and (year is None or year <= d.year <= year + 2)

    if found[0] is not None and found[1] in ("page_metadata", "html_meta"):
        return found
    for ln in lines[:8]:
        m = _BARE_DATE.match(nfkc(ln))
        if m:
            d = _mk_date(*m.groups())
            if plausible(d):
                return d, "page_metadata"
    if found[0] is not None:
        return found
    tail = [cn_date_to_digits(nfkc(ln)) for ln in lines[-8:] if len(ln.strip()) <= 40]
    for ln in reversed(tail):
        m3 = _DATE_CN.search(ln)
        if m3:
            d = _mk_date(*m3.groups())
            if plausible(d):
                return d, "closing_date"
    return None, None


def legacy_metadata(md: Metadata, lines: list[str], paras: list[str], meta: dict[str, object], text: str,
                    year_hint: int | None = None, agency_hint: str | None = None) -> Metadata:
    """Refine ``md`` (from :func:`extract_metadata`) for a legacy page; ``paras`` are whole paragraphs."""
    md.title = legacy_title(md.title)
    if md.title and md.title != (md.title or "").strip():
        md.title = md.title.strip()
    title_agency = agency_from_title(md.title) if md.title else None
    agency = legacy_agency(title_agency, paras, meta, lines)
    if not agency:  # what extract_metadata fell back to (signature, 本报告由X编制, the caller, the opening sentence)
        found = strip_domain(md.agency_name)
        agency = found if legacy_plausible_agency(found) else None
    md.agency_name = agency or (strip_domain(agency_hint) if legacy_plausible_agency(strip_domain(agency_hint)) else None)
    if md.report_year is None or md.report_year_source in ("published_date", "context"):
        year, src = report_year_from(md.title, cn_date_to_digits(text), year_hint, md.published_date)
        if year is not None and src not in ("published_date",):
            md.report_year, md.report_year_source = year, src
        elif (body := _body_year(paras)) is not None:
            md.report_year, md.report_year_source = body, "text"
    md.published_date, md.published_date_source = legacy_published_date(
        lines, meta, md.report_year, (md.published_date, md.published_date_source))
    md.region = region_from_name(md.agency_name)
    return md


_REPORTED_YEAR = re.compile(r"现(?:将|予)[^。]{0,12}?" + _YEAR + r"\s*年度?[^。]{0,20}?报告")


def _body_year(paras: list[str]) -> int | None:
    """A title-less page: "现将2013年工作情况报告如下", else the year most paragraphs open with."""
    head = "".join(paras[:8])
    m = _REPORTED_YEAR.search(head)
    if m:
        return int(m.group(1))
    starts = [int(m2.group(1)) for p in paras[:30] if (m2 := re.match(_YEAR + r"\s*年", p))]
    if starts:
        best = max(set(starts), key=starts.count)
        if starts.count(best) >= 2 and starts.count(best) > len(starts) / 2:
            return best
    return None
