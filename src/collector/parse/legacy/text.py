"""A legacy report's prose as logical paragraphs, sentences and sections (pure functions).

Legacy texts come as Word/PDF copies with hard line breaks inside words ("政府信\\n息公开", "4 名"),
page scrapes with one paragraph per ``<p>``, and mirrors that dropped the title. The prose readers
need sentences whose words are whole and whose every character maps back to the line it came
from (``where`` of the value), so this module

* joins wrapped lines into logical paragraphs (a long line that does not end a sentence, followed
  by a line that does not start a heading or a list item),
* removes whitespace (NFKC first: full-width digits and punctuation become ASCII),
* tags each paragraph with the section it sits in, by the topic words of the heading
  (概述 / 主动公开 / 依申请 / 收费 / 复议·诉讼 / 咨询 / 问题 / 其他), because legacy numbering varies
  (一 … 八, "一 概 述", sections that jump 一 → 三).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from collector.models import Document, Paragraph, Table
from collector.parse.normalize import CharMap, nfkc

_WS = re.compile(r"\s+")
_END = re.compile(r"[。！？；;!?：:]$")
_STARTS_ITEM = re.compile(
    r"^(?:[一二三四五六七八九十]+\s*[、.．,，\s]|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}\s*[.、．]|第[一二三四五六七八九十]+|其中|附件|附表)")
_HEADING = re.compile(r"^(?:第)?(?P<ord>[一二三四五六七八九十]{1,3})(?:\s*[、.．,，]\s*|\s+)(?P<title>\S.{0,48})$")
_TITLE_LIKE = re.compile(r"(?:报告|年报|通知|要点|解读|[^\d]函)\s*$")  # a title line is never wrapped into the body
_SUBHEADING = re.compile(r"^[（(][一二三四五六七八九十]{1,3}[)）]")

# Section topics, by the words of the heading; checked in this order (申请行政复议 is review, not requests).
TOPICS: tuple[tuple[str, str], ...] = (
    ("review", r"复议|诉讼|申诉"),
    ("fees", r"收费|减免|费用|收支|支出"),
    ("consultations", r"咨询"),
    ("requests", r"依申请|申请公开|公开申请|申请情况|受理"),
    ("proactive", r"主动公开|主动发布|^(?:政府)?信息公开(?:的)?情况|信息发布"),
    ("staff", r"人员|机构建设|机构设置|经费|保障"),
    ("problems", r"问题|改进|不足|打算|措施|努力方向"),
    ("other", r"其他|其它"),
    ("overview", r"概述|概况|基本情况|总体情况|工作情况|引言|基本工作"),
)
_TOPIC_RES = tuple((name, re.compile(p)) for name, p in TOPICS)


def heading_topics(title: str) -> frozenset[str]:
    """Topics a section heading names (several for "人员、收费及减免情况")."""
    t = _WS.sub("", title)
    found = {name for name, rx in _TOPIC_RES if rx.search(t)}
    if "review" in found and "requests" in found:
        found.discard("requests")  # 因政府信息公开申请行政复议 is about reviews
    return frozenset(found)


@dataclass(slots=True)
class Para:
    """A logical paragraph: whitespace-free NFKC text, where each character came from, its section."""

    text: str
    wheres: list[str]               # source ``where`` of each piece
    starts: list[int]               # offset in ``text`` where each piece starts
    index: int                      # 1-based logical paragraph number
    section: int = 0                # ordinal of the top-level heading above (0 = before any)
    topics: frozenset[str] = frozenset()
    heading: str | None = None      # set when the paragraph is itself a top-level heading

    def where_at(self, pos: int) -> str:
        i = max(0, bisect.bisect_right(self.starts, pos) - 1)
        return self.wheres[i] or f"paragraph {self.index}"


@dataclass(slots=True)
class Section:
    ordinal: int
    title: str
    topics: frozenset[str]
    paras: list[Para] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paras)


_QUOTES = CharMap(str.maketrans({"“": '"', "”": '"', "〝": '"', "〞": '"', "「": '"', "」": '"', "‘": "'", "’": "'",
                                  "谘": "咨"}))  # 谘询: the variant traditional→simplified conversion leaves in place


def clean(text: str, normalized: bool = False) -> str:
    """NFKC, no whitespace (PDF copies space out digits and break words), one kind of quote, 谘 -> 咨."""
    return _QUOTES(_WS.sub("", text if normalized else nfkc(text)))


def _pieces(doc: Document, skip: set[int]) -> list[tuple[str, str]]:
    """(text, where) of the document's prose in reading order; long cells of non-annex tables count as prose."""
    out: list[tuple[str, str]] = []
    for i, b in enumerate(doc.blocks):
        if i in skip:
            continue
        if isinstance(b, Paragraph):
            out.append((b.text, b.where))
        elif isinstance(b, Table):
            for r, row in enumerate(b.rows):
                for c, cell in enumerate(row):
                    if len(cell) >= 30 and (r, c) not in b.copies:
                        out.append((cell, f"{b.where} row {r + 1}".strip()))
    return out


def logical_paragraphs(pieces: list[tuple[str, str]]) -> list[Para]:
    """Join wrapped lines; tag sections. ``pieces`` are (raw text, where) in reading order."""
    paras: list[Para] = []
    cur: Para | None = None
    prev_raw = ""
    for raw, where in pieces:
        n = nfkc(raw).strip()
        if not n:
            continue
        text = clean(n, normalized=True)
        join = (cur is not None and len(_WS.sub("", prev_raw)) >= 18 and not _END.search(cur.text)
                and not _STARTS_ITEM.match(n) and cur.heading is None and not _looks_heading(n)
                and not _is_subheading(prev_raw) and not _TITLE_LIKE.search(prev_raw))
        if join and cur is not None:
            cur.starts.append(len(cur.text))
            cur.wheres.append(where)
            cur.text += text
        else:
            cur = Para(text, [where], [0], len(paras) + 1)
            paras.append(cur)
            if _looks_heading(n):
                cur.heading = n
        prev_raw = n
    _tag_sections(paras)
    return paras


def _looks_heading(line: str) -> bool:
    m = _HEADING.match(line.strip())
    return bool(m) and not _END.search(line.strip()) and len(_WS.sub("", line)) <= 40 and "。" not in line


def _is_subheading(line: str) -> bool:
    """"(一)镇政府信息公开网站主动公开政府信息情况": a title line, never the start of a wrapped sentence."""
    t = line.strip()
    return bool(_SUBHEADING.match(t) or re.match(r"^\d{1,2}\s*[.、．]", t)) and len(t) <= 40 and not re.search(r"[。，,；;]", t)


def _heading_title(line: str) -> str:
    m = _HEADING.match(line.strip())
    return m.group("title") if m else line


def _tag_sections(paras: list[Para]) -> None:
    section, topics = 0, frozenset[str]()
    for p in paras:
        if p.heading is not None:
            section += 1
            topics = heading_topics(_heading_title(p.heading))
        p.section, p.topics = section, topics


def sections(paras: list[Para]) -> list[Section]:
    out: list[Section] = []
    for p in paras:
        if p.heading is not None:
            out.append(Section(p.section, p.heading, p.topics))
        elif out and p.section == out[-1].ordinal:
            out[-1].paras.append(p)
    return out


def document_paragraphs(doc: Document, skip_blocks: set[int] | None = None) -> list[Para]:
    return logical_paragraphs(_pieces(doc, skip_blocks or set()))


_SENT = re.compile(r"[^。！？；;!?]+[。！？；;!?]?")


def sentences(para: Para) -> list[tuple[int, str]]:
    """(offset in the paragraph, sentence) — a sentence ends at 。！？； (commas stay inside)."""
    return [(m.start(), m.group(0)) for m in _SENT.finditer(para.text)]


__all__ = ["Para", "Section", "TOPICS", "clean", "document_paragraphs", "heading_topics", "logical_paragraphs",
           "sections", "sentences"]
