"""The parser's fast paths of issue #13 give exactly what the plain code gave.

The memoised helpers must return what their uncached bodies return (long inputs bypass the
caches), and the bisection that finds a grid row's own occurrence in the 三 label stream must
pick what the list scan picked. Byte-identity on whole documents is checked by
``bench/record_identity.py`` (the accuracy and bench corpora, before/after a change).
"""

from __future__ import annotations

import random

from collector.parse.assemble import _occurrences, _own_occurrence, _Unit
from collector.parse.normalize import _nfkc, nfkc, norm_label, norm_text
from collector.parse.rows import Row, _heading_number, _split_text_line, heading_number, split_text_line


def _unit(start: int, end: int) -> _Unit:
    return _Unit("", [], True, "", Row([], 0, "", True), start=start, end=end)


def test_own_occurrence_equals_the_list_scan() -> None:
    rng = random.Random(13)
    text = "一、本年新收政府信息公开申请数量二、上年结转政府信息公开申请数量三、本年度办理结果(一)予以公开(二)部分公开" * 2
    occs = _occurrences(text, [])
    assert len(occs) >= 6
    starts = [o.start for o in occs]
    for _ in range(2000):
        a = rng.randint(0, len(text))
        u = _unit(a, a + rng.randint(0, 30))
        own = [o for o in occs if u.start <= o.start < u.end or (o.start < u.start < o.keyword_end)]
        assert _own_occurrence(occs, starts, u) is (own[-1] if own else None)


def test_memoised_helpers_equal_their_bodies() -> None:
    lines = ["一、总体情况", "（二）部分公开\t3\t0\t0\t0\t0\t0\t3", "| 1. 予以公开 | 5 | 0 |", "本年新收 12 0 — 3 元",
             "三、收到和处理政府信息公开申请情况", "ＡＢＣ　１２３", "x" * 250 + " 5 6", "二、上年结转", "|---|---|"]
    for ln in lines:
        assert split_text_line(ln) == list(_split_text_line(ln))
        assert heading_number(ln) == _heading_number.__wrapped__(ln)
        assert nfkc(ln) == _nfkc(ln)
        assert norm_label(ln) == norm_text(ln)
    assert split_text_line(lines[1]) is not split_text_line(lines[1])  # a fresh list: callers may change it


def test_halfwidth_mapping_equals_translate_for_every_character() -> None:
    from collector.parse.normalize import _FULLWIDTH, _FULLWIDTH_RE, _to_halfwidth

    text = "".join(chr(cp) for cp in [*range(0x0, 0x3100), *range(0xFE00, 0x10000)] if not 0xD800 <= cp < 0xE000)
    assert _FULLWIDTH_RE.sub(_to_halfwidth, text) == text.translate(_FULLWIDTH)


def test_charmap_equals_translate() -> None:
    from collector.parse.normalize import CharMap

    text = "".join(chr(cp) for cp in range(0x0, 0x3100) if not 0xD800 <= cp < 0xE000) + "二〇二一年十二月“谘询”「」‘’\\]^-"
    for table in (str.maketrans("〇零○一二三四五六七八九", "000123456789"),
                  str.maketrans({"“": '"', "”": '"', "「": '"', "‘": "'", "谘": "咨", "]": "x", "^": None, "-": "--"})):
        assert CharMap(table)(text) == text.translate(table)


def test_parse_value_of_ascii_digits_equals_the_general_path() -> None:
    from collector.parse.normalize import parse_value

    for raw in ["0", "7", "00", "0123", "123456789012", "999"]:
        got = parse_value.__wrapped__(raw)
        want = parse_value.__wrapped__(" " + raw)  # a leading space takes the general path
        assert (got.value, got.unit, got.ok, got.note, type(got.value)) == \
            (want.value, want.unit, want.ok, want.note, type(want.value))
        assert got.raw == raw
