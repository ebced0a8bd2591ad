"""Rows -> template cells for sections 二, 三 and 四 (pure functions).

Each data row is read as *label cells, then value cells*. Labels anchor the row (see
:mod:`collector.parse.labels`); values map to columns by position inside the template block.
Where a table header fixes the first data column (the 自然人 column of 三), positions come from
the grid; otherwise values are the cells after the label, with layout blanks at the edges
trimmed. A label whose values arrive on the following lines (one cell per line, a label
wrapped across a page break) stays pending until its block is complete. A row that cannot be
placed unambiguously is left null and reported in ``warnings`` — never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.parse.labels import (
    S2_COLUMNS,
    S3_COLUMNS,
    S4_BLOCKS,
    S4_COLUMNS,
    match_s2_item,
    match_s3_row,
)
from collector.parse.normalize import has_cjk, is_blank, is_value_cell, norm_label, parse_value
from collector.parse.rows import Row


@dataclass(slots=True)
class CellValue:
    value: float | int | None
    raw: str
    where: str
    unit: str | None = None
    confidence: float | None = None  # OCR confidence of the cell, None for a text layer


@dataclass(slots=True)
class Extracted:
    cells: dict[str, CellValue] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rows_found: set[str] = field(default_factory=set)


def split_label(row: Row) -> tuple[str, list[str]]:
    """(label text, value cell texts) of a row; copies of merged cells count for labels only."""
    last = -1
    for i, c in enumerate(row.cells):
        t = c.text.strip()
        if t and not is_value_cell(t) and (has_cjk(t) or any(ch.isalpha() for ch in t)):
            last = i
    parts: list[str] = []
    for c in row.cells[: last + 1]:
        t = norm_label(c.text)
        if t and (not parts or parts[-1] != t):
            parts.append(t)
    values = [c.text for c in row.cells[last + 1 :] if not c.copy]
    return "".join(parts), values


def fit(values: list[str], n: int) -> list[str] | None:
    """Trim layout blanks at the edges until ``n`` cells remain; None when that is impossible."""
    vals = list(values)
    while len(vals) > n and is_blank(vals[-1]):
        vals.pop()
    while len(vals) > n and is_blank(vals[0]):
        vals.pop(0)
    return vals if len(vals) == n else None


def _numbers(values: list[str]) -> int:
    return sum(1 for v in values if not is_blank(v))


def _store(out: Extracted, path: str, raw: str, where: str) -> None:
    p = parse_value(raw)
    col = getattr(raw, "col", None)
    if col is not None and " col " not in where:
        where = f"{where} col {col + 1}"
    out.cells[path] = CellValue(p.value, str(raw).strip(), where, p.unit, getattr(raw, "conf", None))


def _header_start(rows: list[Row]) -> dict[str, int]:
    """Per table: the grid column of 自然人, i.e. where the 7 value columns of 三 begin."""
    starts: dict[str, int] = {}
    for row in rows:
        if not row.from_table:
            continue
        table = row.where.rsplit(" row ", 1)[0]
        if table in starts:
            continue
        for i, c in enumerate(row.cells):
            if norm_label(c.text) == "自然人" and len(row.cells) - i >= 7:
                starts[table] = i
                break
    return starts


def extract_s3(rows: list[Row], warnings: list[str]) -> tuple[Extracted, list[Row]]:
    """Section 三. Returns the cells and the rows left over (candidates for 四)."""
    out = Extracted(warnings=warnings)
    starts = _header_start(rows)
    pending: tuple[str, list[str], str] | None = None  # (row key, values so far, where)
    leftovers: list[Row] = []
    n = len(S3_COLUMNS)
    started = False
    fragment = ""

    def commit(key: str, values: list[str], where: str) -> bool:
        vals = fit(values, n)
        if vals is None:
            return False
        for col, raw in zip(S3_COLUMNS, vals, strict=True):
            _store(out, f"s3.{key}.{col}", raw, where)
        out.rows_found.add(key)
        return True

    def drop_pending(overflow: bool = False) -> None:
        nonlocal pending
        if pending and (overflow or _numbers(pending[1])):
            warnings.append(f"三 row {pending[0]}: its values could not be placed in the {n} columns; left blank")
        elif pending and pending[1]:
            out.rows_found.add(pending[0])  # label present, all cells explicitly blank
        pending = None

    for row in rows:
        table = row.where.rsplit(" row ", 1)[0]
        if row.from_table and table in starts:
            s = starts[table]
            label = "".join(dict.fromkeys(norm_label(c.text) for c in row.cells[:s] if c.text.strip()))
            values = ["" if c.copy else c.text for c in row.cells[s : s + n]]
        else:
            label, values = split_label(row)
        key = match_s3_row(label) if label else None
        if fragment and label and not row.from_table:
            # a label broken across lines or pages ("4.保护第" / "三方合法权益  0  3 …")
            joined = match_s3_row(fragment + label)
            if joined is not None:
                key, label = joined, fragment + label
        fragment = label if (label and key is None and not _numbers(values) and not row.from_table) else ""
        if key is not None and not started:
            # the header ("…总计", "其他") precedes the rows: nothing counts before 一、本年新收
            if key not in ("new_received", "carried_over_in"):
                key = None
            else:
                started = True
        if key is not None and key in out.rows_found:
            if _numbers(values):
                warnings.append(f"三 row {key} appears twice ({row.where}); kept the first")
            continue
        if key is not None:
            drop_pending()
            if values and commit(key, values, row.where):
                continue
            pending = (key, list(values), row.where)
            continue
        if pending is not None:
            merged = pending[1] + values
            if _numbers(values) == 0 and label:
                continue  # continuation of a wrapped label
            if len(merged) >= n:
                if commit(pending[0], merged, pending[2]):
                    pending = None
                    continue
                drop_pending(overflow=True)
                leftovers.append(row)
                continue
            pending = (pending[0], merged, pending[2])
            continue
        if _numbers(values):
            leftovers.append(row)
    drop_pending()
    return out, leftovers


def extract_s4(rows: list[Row], warnings: list[str]) -> Extracted:
    """Section 四: the one data row of 15 numbers (3 blocks x 5 columns)."""
    out = Extracted(warnings=warnings)
    n = len(S4_BLOCKS) * len(S4_COLUMNS)
    stream: list[str] = []
    stream_where = ""
    for row in rows:
        label, values = split_label(row)
        if not _numbers(values):
            continue
        vals = fit(values, n)
        if vals is None and len(values) < n and not row.from_table:
            if not stream:
                stream_where = row.where
            stream.extend(values)
            vals = fit(stream, n) if len(stream) >= n else None
        if vals is not None:
            cols = [(b, c) for b in S4_BLOCKS for c in S4_COLUMNS]
            for (b, c), raw in zip(cols, vals, strict=True):
                _store(out, f"s4.{b}.{c}", raw, row.where if not stream else stream_where)
            out.rows_found.add("s4")
            return out
    if stream:
        warnings.append(f"四: {len(stream)} values for {n} columns; left blank")
    return out


def extract_s2(rows: list[Row], fmt: str, warnings: list[str]) -> Extracted:
    """Section 二: item rows (规章, 行政许可 …) with columns by position for the format."""
    out = Extracted(warnings=warnings)
    columns = S2_COLUMNS.get(fmt, {})
    procurement_in_wan = False
    pending: tuple[str, str, list[str], str] | None = None  # one cell per line: values follow the label
    fragment = ""

    def commit(art: str, item: str, values: list[str], where: str) -> bool:
        cols = columns[item]
        vals = fit(values, len(cols))
        if vals is None:
            return False
        out.rows_found.add(f"s2.{art}.{item}")
        for col, raw in zip(cols, vals, strict=True):
            path = f"s2.{art}.{item}.{col}"
            _store(out, path, raw, where)
            cv = out.cells[path]
            in_wan = cv.unit in ("万元", "万") or (cv.unit is None and procurement_in_wan)
            if col == "total_amount_yuan" and cv.value is not None and in_wan:
                cv.value = round(float(cv.value) * 10000, 2)
                cv.unit = "元"
            if col == "amount_wan_yuan" and cv.value is not None and cv.unit == "元":
                cv.value = float(cv.value) / 10000
                warnings.append(f"二 {item}: amount written in 元 ({raw}); converted to 万元")
        return True

    def drop() -> None:
        nonlocal pending
        if pending and _numbers(pending[2]):
            warnings.append(f"二 row {pending[1]}: {len(pending[2])} values for {len(columns[pending[1]])} columns; left blank")
        pending = None

    for row in rows:
        label, values = split_label(row)
        if "采购总金额" in label and "万元" in label:
            procurement_in_wan = True
        hit = match_s2_item(label) if label else None
        if hit is None and fragment and label and not row.from_table:
            hit = match_s2_item(fragment + label)
        fragment = label if (label and hit is None and not _numbers(values) and not row.from_table) else ""
        if hit is None:
            if pending is not None and values and (not label or _numbers(values)):
                # values on the following line(s), possibly after the rest of a broken label
                merged = pending[2] + values
                if len(merged) >= len(columns[pending[1]]):
                    if not commit(pending[0], pending[1], merged, pending[3]):
                        drop()
                    pending = None
                else:
                    pending = (pending[0], pending[1], merged, pending[3])
            elif pending is not None and label:
                drop()
            continue
        drop()
        art, item = hit
        if item not in columns:
            warnings.append(f"二 row {item} is not part of the {fmt} template ({row.where})")
            continue
        if f"s2.{art}.{item}" in out.rows_found:
            continue
        if values and commit(art, item, values, row.where):
            continue
        if values and _numbers(values) and len(values) >= len(columns[item]):
            warnings.append(f"二 row {item}: {len(values)} values for {len(columns[item])} columns; left blank")
            continue
        pending = (art, item, list(values), row.where)
    drop()
    return out
