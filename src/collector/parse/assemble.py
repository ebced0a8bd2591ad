"""Section 三 rows -> the readings of each template row, from any rendering (pure functions).

Every rendering of table 三 reduces to a sequence of *units*, each a label (whole, or a
fragment) followed by the values printed with it: a grid row, a text line, a markdown row, a
heading. Text layers break labels anywhere and put the values on the first line of a wrapped
label (``pdftotext -layout``, pdfplumber: "5.属于三类内部事  1 0 0 …" / "务信息"), on the last one
(PDFium: "4.保护第三方合法" / "权益" / "0 0 0 …"), or on their own lines (one cell per line).
Reading units one at a time cannot serve all of these, so the labels are joined into one stream
of text, the template's row keywords are found in it, each keyword is traced back to the ordinal
that starts its label ("5.", "(三)"), and a group of values belongs to **the row whose label
started last before it**. A row printed twice (a page break, a markdown heading that repeats
the row label) simply gets two readings; :mod:`collector.parse.solve` decides between them.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

from collector.parse.labels import ENUMERATOR_NORM, S3_COLUMNS, S3_OTHER_SUBROWS, S3_STREAM_PATTERNS
from collector.parse.normalize import has_cjk, is_blank, is_value_cell, norm_label
from collector.parse.rows import SHORT, Row

WIDTH = len(S3_COLUMNS)
MAX_EXTRA = 3  # a reading may hold this many tokens more than its cells (numbers wrapped or broken)
_DIGITS = re.compile(r"^\d+$")
_BACKOFF = 16  # an ordinal starts a label at most this many characters before its keyword


@dataclass(slots=True)
class Reading:
    """One printing of a row's values: the raw cells, and whether their columns are known."""

    values: list[str]
    exact: bool  # True: the 7 grid columns under the table header (blanks kept in place)
    where: str
    # digits printed on the next line, each the end of one of the values (a number wrapped in a
    # narrow cell: "184 79 0 4 9 23 195" / "4 9" is 1844 … 1959), in left-to-right order
    tail: list[str] = field(default_factory=list)


@dataclass(slots=True)
class S3Stream:
    readings: dict[str, list[Reading]] = field(default_factory=dict)
    labelled: set[str] = field(default_factory=set)  # rows whose label was seen, with or without values
    layout: str | None = None  # "gb2021": three 其他处理 rows; "gb2019": one row; None: not seen
    leftovers: list[Row] = field(default_factory=list)


@dataclass(slots=True)
class _Unit:
    label: str
    values: list[str]
    exact: bool
    where: str
    row: Row
    whole_label: bool = False  # a grid row: its label cells hold the whole label
    tail: list[str] = field(default_factory=list)  # wrapped digits on the lines below
    rows: list[Row] = field(default_factory=list)  # the rows merged into this unit after ``row``
    start: int = 0  # span of the label in the stream
    end: int = 0


@dataclass(slots=True)
class _Occurrence:
    key: str
    start: int
    keyword_end: int
    taken: bool = False


def split_label(row: Row) -> tuple[str, list[str]]:
    """(label text, value cell texts) of a row; copies of merged cells count for labels only."""
    texts = [c.text for c in row.cells]
    flags = list(map(_is_label, map(str.strip, texts)))  # per cell, in C (the checks are memoised)
    last = len(flags) - 1 - flags[::-1].index(True) if True in flags else -1  # the last label cell
    parts: list[str] = []
    for text in texts[: last + 1]:
        t = norm_label(text)
        if t and (not parts or parts[-1] != t):
            parts.append(t)
    values = [c.text for c in row.cells[last + 1 :] if not c.copy]
    return "".join(parts), values


@lru_cache(maxsize=16384)
def _is_label(t: str) -> bool:
    """Is this (stripped) cell text part of a row's label: words, not a number or a blank marker?"""
    return bool(t) and not is_value_cell(t) and (has_cjk(t) or any(ch.isalpha() for ch in t))


def fit(values: list[str], n: int) -> list[str] | None:
    """Trim layout blanks at the edges until ``n`` cells remain; None when that is impossible."""
    vals = list(values)
    while len(vals) > n and is_blank(vals[-1]):
        vals.pop()
    while len(vals) > n and is_blank(vals[0]):
        vals.pop(0)
    return vals if len(vals) == n else None


def numbers(values: list[str]) -> int:
    return sum(1 for v in values if not is_blank(v))


def header_starts(rows: list[Row]) -> dict[str, int]:
    """Per table: the grid column of 自然人, i.e. where the 7 value columns of 三 begin."""
    starts: dict[str, int] = {}
    for row in rows:
        if not row.from_table:
            continue
        table = row.where.rsplit(" row ", 1)[0]
        if table in starts:
            continue
        for i, c in enumerate(row.cells):
            if norm_label(c.text) == "自然人" and len(row.cells) - i >= WIDTH:
                starts[table] = i
                break
    return starts


def _positional(row: Row, start: int) -> tuple[str, list[str]] | None:
    """A tab/pipe text row under a header whose 自然人 column is ``start``: (label, 7 values), or
    None when the row does not line up (a label broken onto its own line shifts the cells)."""
    cells = [c.text for c in row.cells]
    if len(cells) < start + 1:
        return None
    if any(map(str.strip, cells[start + WIDTH:])):  # text after the 7 columns
        return None
    head, vals = tuple(cells[:start]), cells[start : start + WIDTH]
    label = joined_label(head, numbers_ok=False)
    if label is None or not all(map(is_value_cell, vals)):
        return None
    vals += [""] * (WIDTH - len(vals))
    return label, vals


def joined_label(texts: tuple[str, ...], numbers_ok: bool = True) -> str | None:
    """A row's label from its label cells: their distinct normalised texts, joined ("三、本年度办理
    结果" + "(一)予以公开"); with ``numbers_ok=False`` None when one of them is a number.
    Memoised for short cells: the template's labels recur in every report."""
    if sum(map(len, texts)) <= SHORT:
        return _joined_label(texts, numbers_ok)
    return _joined_label.__wrapped__(texts, numbers_ok)


@lru_cache(maxsize=8192)
def _joined_label(texts: tuple[str, ...], numbers_ok: bool) -> str | None:
    if not numbers_ok:
        for t in texts:
            if t.strip() and is_value_cell(t):
                return None
    return "".join(dict.fromkeys([norm_label(t) for t in texts if t.strip()]))


def _units(rows: list[Row]) -> list[_Unit]:
    starts = header_starts(rows)
    text_start: int | None = None
    units: list[_Unit] = []
    for row in rows:
        if row.positional and text_start is None:
            names = [norm_label(c.text) for c in row.cells]
            if "自然人" in names and len(names) - names.index("自然人") >= WIDTH:
                text_start = names.index("自然人")
        placed = _positional(row, text_start) if row.positional and text_start is not None else None
        if placed is not None and placed[0] and any(t.strip() for t in placed[1]):
            units.append(_Unit(placed[0], placed[1], True, row.where, row))
            continue
        if row.from_table and starts and (s := starts.get(row.where.rsplit(" row ", 1)[0])) is not None:
            label = joined_label(tuple([c.text for c in row.cells[:s]])) or ""
            values = ["" if c.copy else c.text for c in row.cells[s : s + WIDTH]]
            unit = _Unit(label, values, True, row.where, row, whole_label=True)
        else:
            label, values = split_label(row)
            if len(values) > WIDTH:
                values = fit(values, WIDTH) or values  # empty cells at the edges of a tab/pipe row
            unit = _Unit(label, values, False, row.where, row)
        prev = units[-1] if units else None
        if (not unit.label and not unit.exact and prev is not None and not prev.exact and row.positional
                and not numbers(prev.values) and (prev.values or prev.label) and len(prev.values) < WIDTH):
            prev.values = prev.values + unit.values  # one cell per line, "|" marking the blank ones
            prev.rows.append(row)
            continue
        if not unit.label and not unit.exact and prev is not None and numbers(prev.values) and not prev.exact:
            if len(prev.values) < WIDTH:
                prev.values = prev.values + unit.values  # the row goes on (one value per line, PDFium)
                prev.rows.append(row)
                continue
            if len(unit.values) < WIDTH and all(_DIGITS.match(v.strip()) for v in unit.values):
                prev.tail = prev.tail + unit.values  # the ends of numbers wrapped in their cells
                prev.rows.append(row)
                continue
        units.append(unit)
    return units


STREAM_CACHE_CHARS = 4000  # label streams up to this long are memoised (a template's is ~600)


def _occurrences(text: str, units: list[_Unit]) -> list[_Occurrence]:
    """The row keywords in the label stream, each traced back to the ordinal starting its label.

    Memoised on the stream and its bare 总计/合计 labels (every report printed in the template's
    own words has the same stream); fresh :class:`_Occurrence` objects each call (they are marked
    ``taken``)."""
    totals = tuple((u.start, u.end) for u in units if u.values and u.label in ("总计", "合计"))
    spans = (_occurrence_spans(text, totals) if len(text) <= STREAM_CACHE_CHARS
             else _occurrence_spans.__wrapped__(text, totals))
    return [_Occurrence(key, start, end) for key, start, end in spans]


@lru_cache(maxsize=256)
def _occurrence_spans(text: str, totals: tuple[tuple[int, int], ...]) -> tuple[tuple[str, int, int], ...]:
    """(key, start, keyword end) of every row occurrence, in order of start (see :func:`_occurrences`)."""
    found: list[tuple[int, int, str]] = []
    for key, pat in S3_STREAM_PATTERNS:
        found += [(m.start(), m.end(), key) for m in pat.finditer(text)]
    for start, end in totals:  # a row labelled just 总计 / 合计
        found.append((start, end, "results_total"))
    found.sort()
    out: list[_Occurrence] = []
    by_key: dict[str, list[_Occurrence]] = {}  # the same occurrences per key (the check below is per key)
    prev_end = 0
    seen: set[tuple[str, int]] = set()
    for kw_start, kw_end, key in found:
        start = kw_start
        window_from = max(prev_end, kw_start - _BACKOFF)
        for m in ENUMERATOR_NORM.finditer(text, window_from, kw_start):
            start = m.start()
        same = by_key.setdefault(key, [])
        if (key, start) not in seen and not any(o.start <= kw_start < o.keyword_end for o in same):
            seen.add((key, start))
            occ = _Occurrence(key, start, kw_end)
            out.append(occ)
            same.append(occ)
        prev_end = max(prev_end, kw_end)
    out.sort(key=lambda o: o.start)
    return tuple((o.key, o.start, o.keyword_end) for o in out)


def s3_stream(rows: list[Row]) -> S3Stream:
    """The readings of every 三 row in ``rows`` (see the module docstring)."""
    units = _units(rows)
    text = ""
    for u in units:
        u.start = len(text)
        text += u.label
        u.end = len(text)
    occs = _occurrences(text, units)
    first = next((o.start for o in occs if o.key in ("new_received", "carried_over_in")), None)
    occs = [o for o in occs if first is not None and o.start >= first]  # the header precedes the rows
    out = S3Stream()
    if any(o.key in S3_OTHER_SUBROWS for o in occs):
        out.layout = "gb2021"
        occs = [o for o in occs if o.key != "other_handling"]  # the group label of the three rows
    elif any(o.key == "other_handling" for o in occs):
        out.layout = "gb2019"
    out.labelled = {o.key for o in occs}
    # values before the table's first row (二's rows when 三 lost its heading) are not 三's, nor 四's
    value_units = [u for u in units if u.values and (u.exact or numbers(u.values)) and first is not None
                   and u.end > first]
    last_reading: dict[str, Reading] = {}
    last_unit: dict[str, _Unit] = {}
    starts = [o.start for o in occs]  # sorted: occurrences before a position are a prefix
    for n, u in enumerate(value_units):
        if u.whole_label:
            # a grid row's label is whole: its values belong to the row its own label names
            target = _own_occurrence(occs, starts, u)
            if target is None:
                if numbers(u.values):
                    out.leftovers += [u.row, *u.rows]
                continue
        else:
            pos = u.end
            next_start = value_units[n + 1].start if n + 1 < len(value_units) else len(text) + 1
            i = bisect_left(starts, pos)  # the last occurrence starting before pos
            target = occs[i - 1] if i else None
            if target is not None and target.taken:
                if n and last_unit.get(target.key) is value_units[n - 1] and _continues(
                        u, occs, last_reading.get(target.key)):
                    # digits of numbers wrapped in their cells, on the line of a group label's
                    # fragment ("度办理结  3  8" under "…予以公开  120 45 … 126")
                    last_reading[target.key].tail.extend(u.values)
                    continue
                # the keyword came after the values ("要求行政机关 [values] 确认或重新出具"), or a
                # label-less repeat of the row: only a label printed with these values decides
                after = next((o for o in occs if pos <= o.start < next_start and not o.taken), None)
                target = after if after is not None and u.label else None
            if target is None or (len(u.values) > WIDTH + MAX_EXTRA and not _doubled(u.values)):
                out.leftovers += [u.row, *u.rows]
                continue
        target.taken = True
        reading = Reading(list(u.values), u.exact, u.where, list(u.tail))
        out.readings.setdefault(target.key, []).append(reading)
        last_reading[target.key] = reading
        last_unit[target.key] = u
    return out


def _own_occurrence(occs: list[_Occurrence], starts: list[int], u: _Unit) -> _Occurrence | None:
    """The last occurrence (in ``occs`` order, sorted by start) that starts inside ``u``'s label, or
    whose keyword spans its start: ``[o for o in occs if u.start <= o.start < u.end or
    o.start < u.start < o.keyword_end][-1]``, found by bisection."""
    i = bisect_left(starts, u.end) - 1  # the last occurrence starting before the label's end
    if i >= 0 and occs[i].start >= u.start:
        return occs[i]  # later ones start at or after u.end; earlier ones come before it in order
    for o in reversed(occs[: i + 1]):  # all start before u.start: the keyword must span it
        if u.start < o.keyword_end:
            return o
    return None


def _continues(u: _Unit, occs: list[_Occurrence], prev: Reading | None) -> bool:
    """Is ``u`` a line of wrapped digits under the previous row (not a row of its own)?"""
    if prev is None or prev.exact or u.exact or len(prev.values) < WIDTH:
        return False
    if len(u.values) >= WIDTH or not all(_DIGITS.match(v.strip()) for v in u.values):
        return False
    return not any(u.start <= o.start < u.end for o in occs)  # its label starts no row


def _doubled(values: list[str]) -> bool:
    """The same row's values twice on one line (a text layer that read a cell twice)."""
    n = len(values)
    return n == 2 * WIDTH and values[:WIDTH] == values[WIDTH:]
