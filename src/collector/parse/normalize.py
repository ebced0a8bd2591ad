"""Text normalisation and cell-value parsing shared by the parser stages (pure functions).

Labels are compared after NFKC (full-width -> half-width, so "（一）" == "(一)"), removal of
all whitespace (PDF extraction spreads labels: "不 予 公 开"), unification of quotes/dashes,
and traditional -> simplified conversion (mirrors publish traditional copies).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


def no_space(text: str) -> str:
    r"""``re.sub(r"\s+", "", text)`` in two C passes: str.split() cuts at exactly the characters
    ``\s`` matches (both use Python's whitespace table); the regex pays a match per run of spaces."""
    return "".join(text.split())


_TRAD_HINT = set("這個們說開關會與為東處資訊報證詢復審結維糾訟書務權機構請體準覆內總數處")

BLANKS = {"", "—", "——", "–", "-", "--", "/", "\\", "无", "無", "空", "×", "x", "X", "－", "―", "……", "…", "·",
          "——/", "N/A", "n/a", "NA", "#", "*", "—/—"}


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    try:
        import opencc

        return opencc.OpenCC("t2s")
    except Exception:  # noqa: BLE001 - optional dependency problems must not break parsing
        return None


# the same test as a character class: the regex scans the text in C, where set.isdisjoint makes a
# one-character string per CJK character of the text (~20k for a report's head)
_TRAD_RE = re.compile("[" + "".join(sorted(_TRAD_HINT)) + "]")


def looks_traditional(text: str) -> bool:
    """Does ``text`` hold a character only a traditional text has (``_TRAD_HINT``)?"""
    return _TRAD_RE.search(text) is not None


def to_simplified(text: str, force: bool = False) -> str:
    """Convert traditional characters (only when the text looks traditional: conversion is slow)."""
    if not force and not looks_traditional(text):
        return text
    cc = _t2s()
    return cc.convert(text) if cc else text


# Full-width ASCII and the ideographic space, as NFKC maps them: str.translate does them at C speed,
# and unicodedata.normalize is then only needed when anything else remains (its slow path costs ~50 µs
# for a line of Chinese text with ，。 in it).
_FULLWIDTH = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}, 0x3000: 0x20}


class CharMap:
    """``str.translate(table)`` for a table of a few characters, at C speed: a regex finds them
    and only they are mapped (translate looks every character of the text up in Python)."""

    def __init__(self, table: dict[int, int | str | None]) -> None:
        self._map = {chr(k): "" if v is None else v if isinstance(v, str) else chr(v) for k, v in table.items()}
        self._re = re.compile("[" + "".join(re.escape(c) for c in self._map) + "]")
        self._sub = lambda m: self._map[m.group()]

    def __call__(self, text: str) -> str:
        return self._re.sub(self._sub, text)


def nfkc(text: str) -> str:
    return _nfkc_short(text) if len(text) <= 200 else _nfkc(text)


# str.translate with a dict looks every character up in Python (~150 ns each: 0.3 ms for a 2 KB
# report); a regex finds the few full-width characters in C and only those are mapped.
_FULLWIDTH_RE = re.compile("[\uff01-\uff5e\u3000]")
_FULLWIDTH_CHARS = {chr(k): chr(v) for k, v in _FULLWIDTH.items()}


def _to_halfwidth(m: re.Match[str]) -> str:
    return _FULLWIDTH_CHARS[m.group()]


def _nfkc(text: str) -> str:
    t = _FULLWIDTH_RE.sub(_to_halfwidth, text)  # == text.translate(_FULLWIDTH)
    return t if unicodedata.is_normalized("NFKC", t) else unicodedata.normalize("NFKC", t)


_nfkc_short = lru_cache(maxsize=16384)(_nfkc)  # labels and short lines recur in every report


@lru_cache(maxsize=65536)
def norm_label(text: str) -> str:
    """Canonical form of a label for matching: NFKC, no whitespace, ASCII punctuation."""
    return norm_text(text)


def norm_text(text: str) -> str:
    """:func:`norm_label` of a whole document's text: not cached (never seen twice, and a cache
    would keep every document alive)."""
    t = nfkc(text)
    t = no_space(t)
    t = t.replace("“", '"').replace("”", '"').replace("〝", '"').replace("〞", '"').replace("「", '"').replace("」", '"')
    t = t.replace("、", "、").replace("．", ".").replace("。", ".")
    return t


_NUM = re.compile(
    r"""^(?P<sign>[+\-])?\s*(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?\s*
        (?P<unit>万元|元|万|件|项|个|条|次|宗|份|%)?$""",
    re.X,
)
_CN_DIGITS = {"零": 0, "〇": 0, "○": 0}
# Footnote marks after a number ("5*", "12①", "3¹"). They must go before NFKC, which turns
# "①" and "¹" into the digit 1 ("12①" would read 121).
_FOOTNOTE_TAIL = re.compile(r"[\s*＊※†‡#＃\u2460-\u2473\u2474-\u2487\u2776-\u277f\u2780-\u2793"
                            r"\u00b9\u00b2\u00b3\u2070-\u2079]+$")
# A note in brackets after the number: "12（其中修订5件）", "3（含转办1件）", "5(件)".
_BRACKET_NOTE = re.compile(r"^(?P<num>[^()\[\]【】]*?\d[^()\[\]【】]*?)\s*(?P<note>[(\[【][^()\[\]【】]*[)\]】])$")


@dataclass(frozen=True, slots=True)
class Parsed:
    value: float | int | None
    raw: str
    unit: str | None = None
    ok: bool = True  # False: not blank, not a number (e.g. "见附件")
    note: str | None = None  # text after the number that is not part of it ("（其中修订5件）", "①")


def _split_note(raw: str) -> tuple[str, str | None]:
    """``"12（其中修订5件）"`` -> ``("12", "（其中修订5件）")``: the number part, and the note after it.

    Footnote marks are cut before NFKC; a bracketed note only when what precedes it is a number.
    """
    s = raw.strip()
    note = ""
    m = _FOOTNOTE_TAIL.search(s)
    if m and m.start() > 0 and s[: m.start()].rstrip()[-1:].isdigit():
        note = m.group(0).strip()
        s = s[: m.start()].rstrip()
    m2 = _BRACKET_NOTE.match(s) or _BRACKET_NOTE.match(s.replace("（", "(").replace("）", ")"))
    if m2 and _NUM.match(no_space(nfkc(m2.group("num")))):
        note = s[m2.start("note"):].strip() + note
        s = m2.group("num").rstrip()
    return s, (note or None)


@lru_cache(maxsize=65536)
def parse_value(raw: str) -> Parsed:
    """Parse one cell: blank markers -> None; numbers with signs, thousands commas, units.

    A note after the number is kept out of the value, never added to it: ``12（其中修订5件）``,
    ``3（含转办1件）``, ``5*`` and ``12①`` are 12, 3, 5 and 12 (the whole cell stays in ``raw``).
    """
    if raw.isdigit() and raw.isascii():  # most cells: what the path below gives "123", in one step
        return Parsed(int(raw), raw)
    core, note = _split_note(raw.replace("\u200b", ""))
    s = no_space(nfkc(core).strip())
    if s in BLANKS or set(s) <= {"-", "—", "/", "–", "－"}:
        return Parsed(None, raw, note=note)
    if s in _CN_DIGITS:
        return Parsed(0, raw, note=note)
    m = _NUM.match(s)
    if not m:
        return Parsed(None, raw, ok=False)
    num = m.group("num").replace(",", "")
    frac = m.group("frac")
    value: float | int = float(num + frac) if frac else int(num)
    if m.group("sign") == "-":
        value = -value
    return Parsed(value, raw, m.group("unit"), note=note)


@lru_cache(maxsize=65536)  # (called for every cell by several passes: one cached call, not two)
def is_value_cell(raw: str) -> bool:
    p = parse_value(raw)
    return p.ok


@lru_cache(maxsize=65536)
def is_blank(raw: str) -> bool:
    p = parse_value(raw)
    return p.ok and p.value is None


_CJK = re.compile("[\u4e00-\u9fff]")


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None
