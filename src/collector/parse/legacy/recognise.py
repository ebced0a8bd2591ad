"""Is a document without the gb2019/gb2021 tables a legacy annual report? Every refusal says why.

A legacy report is recognised from its title *or its body*: mirror pages lose the title, some
reports say 信息公开年度报告 without 政府, and 集约化 pages open with a metadata table instead of a
heading. Body signals: the report's own wording ("本报告由…编制", "现公布…年度报告", "编制了…年度报告",
"现将…信息公开工作情况报告如下"), the old 条例's sections (概述 / 主动公开 / 依申请 / 收费及减免 /
复议·诉讼 / 问题及改进), an annex statistics table. Refused: 解读, 通知, 工作要点, 函, reports on one
topic (依申请公开工作情况的报告), and a statistics form without report text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from collector.discover.titles import classify_title
from collector.parse.legacy.text import Para

_OWN_WORDING = tuple(re.compile(p) for p in (
    r"本(?:年度)?(?:报告|年报)(?:是)?(?:根据|依据|按照)?[^。]{0,90}?编制",
    r"本(?:年度)?(?:报告|年报)(?:由|包括|分为|共分)[^。]{0,160}?(?:组成|部分)",
    r"(?:现|特)(?:将|予|向社会)?(?:公布|公开|发布)[^。]{0,40}?(?:年度报告|年报)",
    r"编制(?:了|的|完成)?[^。]{0,30}?(?:信息公开|政务公开)[^。]{0,8}?(?:年度报告|年报)",
    r"现将[^。]{0,40}?(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:情况)?(?:报告|年报)(?:如下|公开如下|公布如下)",
    r"(?:政府|政务)信息公开(?:工作)?年度报告(?:如下|全文)",
))
_REPORT_TOPICS = frozenset({"overview", "proactive", "requests", "fees", "review", "problems", "consultations"})
_REFUSE_BODY = (  # (pattern, where to look: characters from the start, reason)
    (re.compile(r"特此通知|现(?:将|就)有关事项通知如下"), 3000, "a notice (通知)"),
    (re.compile(r"特此函(?:告|复)?|函复如下|此复[。.]?$"), 3000, "a letter (函)"),
    (re.compile(r"解读|一图读懂|图解"), 60, "an interpretation (解读)"),
    (re.compile(r"工作要点"), 60, "a work plan (工作要点)"),
)
_NOT_ANNUAL = re.compile(r"(?:情况|专项|工作)的?报告$")
_TITLE_END = re.compile(r"(?:报告|年报|通知|要点|函|解读|方案|意见|办法|规定|统计表|公告|公示)$")


@dataclass(frozen=True, slots=True)
class Verdict:
    is_report: bool
    reason: str
    signals: tuple[str, ...] = field(default_factory=tuple)


def _meta_titles(meta: dict[str, object]) -> list[str]:
    out = []
    for key in ("ArticleTitle", "ucaptitle", "html_title"):
        v = meta.get(key)
        if isinstance(v, str) and v.strip():
            out.append(re.split(r"[_|]\s*[^_|]*(?:网|门户|政府)$", v.strip())[0] if key == "html_title" else v.strip())
    return out


def _line_titles(paras: list[Para]) -> list[str]:
    lines = [p.text for p in paras[:4] if p.heading is None and "|" not in p.text and "索引号" not in p.text]
    short = [t for t in lines if len(t) <= 60 and "。" not in t]
    out = short[:3]
    if len(short) >= 2:
        out.append(short[0] + short[1])  # a title split over two lines: "…政府信息公开" / "年 度 报 告"
    return out


def _judge_titles(titles: list[str]) -> tuple[list[str], str | None]:
    """(report-title signals, refusal) for one set of title candidates."""
    signals: list[str] = []
    refusal: str | None = None
    for t in titles:
        flat = re.sub(r"\s+", "", t)
        info = classify_title(t)
        if info.is_report:
            signals.append(f"title {t[:40]!r}")
        elif info.reason.startswith("excluded") and _TITLE_END.search(flat):
            refusal = refusal or f"titled {t[:40]!r} ({info.reason.split(': ')[-1]})"
        elif _NOT_ANNUAL.search(flat) and ("信息" in flat or "公开" in flat):
            refusal = refusal or f"a report on one topic, titled {t[:40]!r}"
    return signals, refusal


def recognise(meta: dict[str, object], paras: list[Para], annex_found: bool) -> Verdict:
    """Decide whether the document is a legacy annual report (pure). The page's own title decides
    first; a title line in the body counts when the page has none (mirrors, metadata-table pages)."""
    signals, refusal = _judge_titles(_meta_titles(meta))
    if not signals and not refusal:
        signals, refusal = _judge_titles(_line_titles(paras))
    head = "".join(p.text for p in paras[:60])[:8000]
    if not signals:
        for rx, span, why in _REFUSE_BODY:
            if rx.search(head[:span]):
                refusal = refusal or why
    if refusal:
        return Verdict(False, refusal, tuple(signals))
    own = next((m.group(0) for rx in _OWN_WORDING for m in [rx.search(head)] if m), None)
    if own:
        signals.append(f"wording {own[:30]!r}")
    topics = {t for p in paras if p.heading is not None for t in p.topics} & _REPORT_TOPICS
    if len(topics) >= 3:
        signals.append(f"sections {sorted(topics)}")
    prose_chars = sum(len(p.text) for p in paras)
    if annex_found and prose_chars < 150 and not signals:
        return Verdict(False, "a statistics form (统计表) without the report's text", ("annex",))
    if signals:
        return Verdict(True, "; ".join(signals), tuple(signals))
    weak = (["annex"] if annex_found else []) + ([f"sections {sorted(topics)}"] if len(topics) == 2 else [])
    if "年度报告" in head[:3000] or "年报" in head[:3000]:
        weak.append("mentions 年度报告")
    if len(weak) >= 2:
        return Verdict(True, "; ".join(weak), tuple(weak))
    return Verdict(False, "no report title, no report wording (本报告…编制 / 现公布…年度报告) and fewer than "
                          "three report sections", tuple(weak))


__all__ = ["Verdict", "recognise"]
