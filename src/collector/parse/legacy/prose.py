"""Legacy figures stated in prose: the engine that applies :mod:`collector.parse.legacy.patterns`.

Precision first. A candidate reading survives only when every guard passes: the number carries a
count unit (or is a zero in words), it is not approximate (约/多/余/以上), not cumulative
(到目前/历年/以来 累计), not about another year, not a sub-count (其中) of a total, no look-alike
sits in the clause (微信 posts, 办事大厅 applications, 支出, 经费, 访问量), and the sentence is about
the field where the field needs it. A field stated twice with different values is left out and
the disagreement reported — never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from collector.parse.legacy import patterns as P
from collector.parse.legacy.text import Para, sentences

_BOUNDARY = "，,；;。：:"
_NUM = r"(?<!\d)(?<!\d[.,])(?<!第)(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_YEAR_IN = re.compile(r"((?:19|20)\d{2})年")
_YEARISH = re.compile(r"本年|全年|今年|年度|年内|年初|年底")


@dataclass(slots=True)
class Reading:
    """One figure and the text it was read from."""

    field: str                      # under ``legacy.``: "requests_received", "replies.granted"
    value: int | float
    raw: str                        # the phrase (prose) or the cell / row text (annex)
    where: str                      # "line 12", "paragraph 4", "table 2 row 7"
    unit: str | None = None
    source: str = "prose"           # prose | annex
    topics: frozenset[str] = frozenset()
    in_words: bool = False          # a zero written in words (未收到 / 没有 / 为零)


@dataclass(slots=True)
class ProseResult:
    values: dict[str, Reading] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    candidates: dict[str, list[Reading]] = field(default_factory=dict)


def _num_unit(units: str) -> str:
    return rf"(?:{_NUM}(?P<u>{units})|(?<=[为是])(?P<z>零))"


def _anchor(rx: str) -> str:
    """The longest literal a pattern cannot match without ("主动公开", "申请"): a cheap ``in`` test first."""
    try:
        from re import _parser  # the stdlib's own regex parser (Python >= 3.11)

        parsed = _parser.parse(rx)
    except Exception:  # noqa: BLE001 - no anchor is only slower, never wrong
        return ""
    best, run = "", ""
    for op, arg in parsed:
        if op is _parser.LITERAL:
            run += chr(arg)
            best = max(best, run, key=len)
        else:
            run = ""
    return best if len(best) >= 2 else ""


@cache
def _compiled() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    out = []
    for name, template in P.PHRASES:
        spec = P.FIELDS[name]
        rx = template.replace("{F}", P.FILLER).replace("{N}", _num_unit(spec.units))
        out.append((name, re.compile(rx), _anchor(rx)))
    return tuple(out)


@cache
def _kind_res() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], tuple[tuple[str, re.Pattern[str]], ...]]:
    kinds = "|".join(f"(?:{p})" for _, p in P.KINDS)
    item = f"{P.KIND_PREFIX}(?:{kinds})"
    lst = f"{item}(?:{P.KIND_SEP}{item})*"
    # "未发生…行政复议案、行政诉讼案和有关的申诉案" / "行政复议和行政诉讼均未发生" / "…的案件0件"
    neg = re.compile(rf"(?:{P.NEGATIONS})(?P<fill>[^\d{_BOUNDARY}]{{0,40}}?)(?P<list>{lst})")
    neg_after = re.compile(rf"(?P<list>{lst})(?:的)?(?:案件|案|情况|事件)?(?:均|都|也)?(?:{P.NEGATIONS}|无)(?=$|[{_BOUNDARY}])")
    count = re.compile(rf"(?P<list>{lst})(?:的)?(?:案件|案|情况|事件)?(?:数量|总数|数)?(?:均|都)?{P.FILLER}"
                       + _num_unit(P.FIELDS["review_total"].units))
    each = tuple((name, re.compile(p)) for name, p in P.KINDS)
    return neg, neg_after, count, each


@cache
def _zero_res() -> tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]:
    return tuple((fields, re.compile(p)) for fields, p in P.ZEROS)


@cache
def _outcome_res() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    units = P.FIELDS["review_total"].units
    return tuple((kind, name, re.compile(rf"(?:{p})(?:的)?(?:案件|案)?(?:数)?{P.FILLER}{_num_unit(units)}"))
                 for kind, name, p in P.OUTCOMES)


_BARE = tuple((name, re.compile(p)) for name, p in P.BARE_ENUMERATIONS)
# a sentence can state a count only if a number carries a unit (or says 零): the others skip the phrase table
_UNITS = sorted({u for spec in P.FIELDS.values() for u in spec.units.split("|")}, key=len, reverse=True)
_COUNTED = re.compile(r"\d(?:" + "|".join(_UNITS) + r")|零")
_CUMULATIVE = re.compile(P.CUMULATIVE)
_APPROX_BEFORE = re.compile(P.APPROX_BEFORE)
_APPROX_AFTER = re.compile(P.APPROX_AFTER)
_POST_KIND = re.compile(r"^(?:有关|相关)?的?(?:败诉|纠错|被纠错|被撤销|被改变|被确认违法|费用|支出|经费|赔偿)")
_KIND_CONTEXT = re.compile(r"信息公开|公开申请|依申请|公开工作")


def _clause(sentence: str, start: int, end: int) -> tuple[int, int]:
    a = max((sentence.rfind(ch, 0, start) for ch in _BOUNDARY), default=-1) + 1
    ends = [i for i in (sentence.find(ch, end) for ch in _BOUNDARY) if i >= 0]
    return a, (min(ends) if ends else len(sentence))


def _value(m: re.Match[str], money: bool) -> int | float | None:
    if m.group("z"):
        return 0
    s = m.group("n").replace(",", "")
    if "." in s:
        return float(s) if money else None  # a count is never fractional
    return int(s)


def _rejected(name: str, sentence: str, m: re.Match[str], para: Para, year: int | None) -> str | None:
    """Why this candidate is not a reading of ``name`` (None: it is)."""
    spec = P.FIELDS[name]
    num_at = m.start("n") if m.group("n") is not None else m.start("z")
    a, b = _clause(sentence, m.start(), m.end())
    clause = sentence[a:b]
    before = sentence[:num_at]
    if spec.guard and re.search(spec.guard, clause):
        return "look-alike"
    if spec.sentence_guard and re.search(spec.sentence_guard, sentence):
        return "look-alike"
    if spec.total and sentence[a:m.start()].startswith("其中"):
        return "sub-count"
    if _CUMULATIVE.search(before):
        return "cumulative"
    if "累计" in before[a:]:
        head = sentence[:a]
        has_year = bool(year and str(year) in before) or bool(_YEARISH.search(before))
        if not has_year or "截至" in head + before[a:] or "截止" in head + before[a:]:
            return "cumulative"
    years = _YEAR_IN.findall(before)
    if year and years and int(years[-1]) != year:
        return "another year"
    if _APPROX_BEFORE.search(before) or _APPROX_AFTER.search(sentence[m.end():]):
        return "approximate"
    if spec.context and not (para.topics & spec.home) and not re.search(spec.context, sentence):
        return "out of context"
    return None


def _phrase(sentence: str, start: int, end: int) -> str:
    a, _ = _clause(sentence, start, end)
    return sentence[a:end]


# add(field, value, phrase, paragraph, position in the paragraph, unit, zero in words)
Add = Callable[[str, "int | float", str, Para, int, "str | None", bool], None]


def _candidates(paras: Iterable[Para], year: int | None) -> dict[str, list[Reading]]:
    found: dict[str, list[Reading]] = {}

    def add(name: str, value: int | float, raw: str, para: Para, pos: int, unit: str | None, words: bool) -> None:
        found.setdefault(name, []).append(Reading(name, value, raw, para.where_at(pos), unit, "prose", para.topics, words))

    for para in paras:
        if para.heading is not None:
            continue
        for off, s in sentences(para):
            phrases = _compiled() if _COUNTED.search(s) else ()
            for name, rx, anchor in phrases:
                if anchor not in s:
                    continue
                for m in rx.finditer(s):
                    v = _value(m, P.FIELDS[name].money)
                    if v is None or _rejected(name, s, m, para, year):
                        continue
                    add(name, v, _phrase(s, m.start(), m.end()), para, off + m.start(), m.group("u"), bool(m.group("z")))
            if para.topics & {"proactive"} or "主动公开" in s:
                for name, rx in _BARE:
                    for m in rx.finditer(s):
                        add(name, int(m.group("n")), m.group(0).lstrip(";；,，。(（"), para, off + m.start(), None, False)
            for fields, rx in _zero_res():
                for m in rx.finditer(s):
                    a, b = _clause(s, m.start(), m.end())
                    if any(P.FIELDS[f].guard and re.search(P.FIELDS[f].guard, s[a:b]) for f in fields):
                        continue
                    for f in fields:
                        add(f, 0, _phrase(s, m.start(), m.end()), para, off + m.start(), None, True)
            _kinds(s, off, para, year, add)
    return found


def _kinds(s: str, off: int, para: Para, year: int | None, add: Add) -> None:
    """复议 / 诉讼 / 申诉: negated lists (all 0), counted lists (one kind, or 0 shared), outcomes."""
    if not ("复议" in s or "诉讼" in s or "申诉" in s or "投诉" in s):
        return
    if not (para.topics & {"review"}) and not _KIND_CONTEXT.search(s):
        return
    neg, neg_after, count, each = _kind_res()
    for m in [*neg.finditer(s), *neg_after.finditer(s)]:
        if _POST_KIND.search(s[m.end():]):
            continue
        names = [n for n, rx in each if rx.search(m.group("list"))]
        for n in dict.fromkeys(names):
            add(n, 0, _phrase(s, m.start(), m.end()), para, off + m.start(), None, True)
    for m in count.finditer(s):
        if _rejected("review_total", s, m, para, year) in ("cumulative", "another year", "approximate"):
            continue
        names = list(dict.fromkeys(n for n, rx in each if rx.search(m.group("list"))))
        v = _value(m, False)
        if v is None or (len(names) > 1 and v != 0):
            continue  # one count for several kinds is their sum: not any one field
        for n in names:
            add(n, v, _phrase(s, m.start(), m.end()), para, off + m.start(), m.group("u"), bool(m.group("z")))
        if len(names) == 1 and v:
            _outcomes(s, m.end(), off, para, each, add)


def _outcomes(s: str, start: int, off: int, para: Para, each: tuple[tuple[str, re.Pattern[str]], ...],
              add: Add) -> None:
    """"行政复议3件,其中维持2件,纠错1件": outcomes belong to the kind named last before them."""
    for kind, name, rx in _outcome_res():
        for o in rx.finditer(s, start):
            mentions = [(km.start(), k) for k, krx in each for km in krx.finditer(s, 0, o.start())]
            if mentions and max(mentions)[1] == kind and (v := _value(o, False)) is not None:
                add(name, v, _phrase(s, o.start(), o.end()), para, off + o.start(), o.group("u"), False)


def resolve(found: dict[str, list[Reading]]) -> tuple[dict[str, Reading], list[str]]:
    """One value per field: all readings agree (the field's own section first), else none and a warning."""
    values: dict[str, Reading] = {}
    warnings: list[str] = []
    for name, cands in found.items():
        distinct = {c.value for c in cands}
        if len(distinct) == 1:
            home = [c for c in cands if c.topics & P.FIELDS[name].home]
            values[name] = (home or cands)[0]
            continue
        home = [c for c in cands if c.topics & P.FIELDS[name].home]
        if home and len({c.value for c in home}) == 1:
            values[name] = home[0]
            continue
        shown = "; ".join(f"{c.value:g} ({c.where}: {c.raw})" for c in cands[:4])
        warnings.append(f"legacy.{name}: the text states different values ({shown}); left out")
    return values, warnings


def read_prose(paras: list[Para], year: int | None) -> ProseResult:
    found = _candidates(paras, year)
    values, warnings = resolve(found)
    return ProseResult(values, warnings, found)


__all__ = ["ProseResult", "Reading", "fee_statements", "read_prose", "resolve"]


def fee_statements(text: str) -> tuple[str | None, str | None]:
    """(a "no fees charged" phrase, a "fees of X charged" phrase) found in ``text`` — for rule 24."""
    from collector.parse.legacy.text import clean

    zero: str | None = None
    charged: str | None = None
    guard = P.FIELDS["fees_collected"].guard or "$^"
    zeros = [rx for fields, rx in _zero_res() if "fees_collected" in fields]
    phrases = [rx for name, rx, _ in _compiled() if name == "fees_collected"]
    for m0 in re.finditer(r"[^。；;!?！？\n]+", text):
        if "费" not in m0.group(0) and "費" not in m0.group(0):
            continue
        s = clean(m0.group(0))
        for rx in zeros:
            if zero is None and (m := rx.search(s)):
                a, b = _clause(s, m.start(), m.end())
                if not re.search(guard, s[a:b]):
                    zero = _phrase(s, m.start(), m.end())
        for rx in phrases:
            for m in rx.finditer(s):
                a, b = _clause(s, m.start(), m.end())
                v = _value(m, True)
                if charged is None and v and not re.search(guard, s[a:b]):
                    charged = _phrase(s, m.start(), m.end())
    return zero, charged
