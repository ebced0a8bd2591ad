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

import re
from dataclasses import dataclass, field
from functools import lru_cache

from collector.models import CellValue
from collector.parse.assemble import WIDTH, Reading, fit, numbers, s3_stream, split_label
from collector.parse.labels import (
    S2_COLUMNS,
    S3_COLUMNS,
    S3_RESULT_ROWS_2019,
    S3_RESULT_ROWS_2021,
    S4_BLOCKS,
    S4_COLUMNS,
    match_s2_item,
)
from collector.parse.normalize import is_blank, is_value_cell, norm_label, parse_value
from collector.parse.rows import Row
from collector.parse.solve import candidates, solve_rows, solve_s4


@dataclass(slots=True)
class Extracted:
    cells: dict[str, CellValue] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rows_found: set[str] = field(default_factory=set)
    blank_rows: set[str] = field(default_factory=set)  # label seen, no numbers (blank, or lost by a text layer)
    layout: str | None = None  # 三: "gb2021" (three 其他处理 rows) or "gb2019" (one row), as printed


def _store(out: Extracted, path: str, raw: str, where: str) -> None:
    p = parse_value(raw)
    col = getattr(raw, "col", None)
    if col is not None and " col " not in where:
        where = f"{where} col {col + 1}"
    # raw.strip() is an exact str for a CellText too (str(raw) first would copy it once more)
    out.cells[path] = CellValue(p.value, raw.strip(), where, p.unit, getattr(raw, "conf", None))


@lru_cache(maxsize=256)
def _s3_paths(key: str) -> tuple[str, ...]:
    """The 7 cell paths of a 三 row (built once per row key, not once per cell and report)."""
    return tuple(f"s3.{key}.{col}" for col in S3_COLUMNS)


def extract_s3(rows: list[Row], warnings: list[str], fmt: str | None = None) -> tuple[Extracted, list[Row]]:
    """Section 三. Returns the cells and the rows left over (candidates for 四).

    Rows are assembled from the label stream (:mod:`.assemble`); a row with one reading is taken
    as printed, a row with several is decided by the table's sums (:mod:`.solve`) or left blank.
    """
    out = Extracted(warnings=warnings)
    stream = s3_stream(rows)
    out.layout = stream.layout
    layout = stream.layout or ("gb2021" if fmt == "gb2021" else "gb2019")
    chosen = _printed_once(stream.readings)
    if chosen is None:
        chosen = _solved(stream.readings, warnings, layout)
    cells = out.cells
    for key, (raw_cells, where) in chosen.items():
        with_col = " col " not in where
        for path, raw in zip(_s3_paths(key), raw_cells, strict=True):
            # _store(out, path, raw, where), inlined: ~150 cells a report
            p = parse_value(raw)
            col = getattr(raw, "col", None)
            cells[path] = CellValue(p.value, raw.strip(), f"{where} col {col + 1}" if col is not None and with_col
                                    else where, p.unit, getattr(raw, "conf", None))
        out.rows_found.add(key)
    out.blank_rows = stream.labelled - set(stream.readings)
    return out, stream.leftovers


Chosen = dict[str, tuple[tuple[str, ...], str]]  # row key -> (its 7 raw cells, where they were read)


def _printed_once(readings: dict[str, list[Reading]]) -> Chosen | None:
    """Every row printed once in the grid's known columns (a clean table under its header): each
    is taken as printed, which is what :func:`_solved` makes of such rows (one candidate per row,
    no cell made, no warning) without building candidates and the solver's classes. None when any
    row was printed twice, without known columns, or with a cell not printed as read (``made``:
    the solver weighs such a row against the sums, as ``solve_rows`` does)."""
    chosen: Chosen = {}
    for key, rs in readings.items():
        if len(rs) != 1 or not rs[0].exact:
            return None
        r = rs[0]
        raw = tuple(r.values[:WIDTH]) + ("",) * (WIDTH - len(r.values))  # as solve.candidates reads it
        if any(type(v) is not str and getattr(v, "made", False) for v in raw):
            return None
        chosen[key] = (raw, r.where)
    return chosen


def _solved(readings: dict[str, list[Reading]], warnings: list[str], layout: str) -> Chosen:
    """Each row's reading from its candidates (:mod:`.solve`): the printed one, or the one the
    table's sums decide; rows that cannot be placed are left out, with a warning."""
    result_rows = S3_RESULT_ROWS_2021 if layout == "gb2021" else S3_RESULT_ROWS_2019
    options = {key: candidates(rs, WIDTH) for key, rs in readings.items()}
    for key, cands in options.items():
        if not cands:
            got = max(len(r.values) for r in readings[key])
            warnings.append(f"三 row {key}: {got} values for {WIDTH} columns could not be placed; left blank")
    solution = solve_rows({k: v for k, v in options.items() if v}, result_rows=result_rows, width=WIDTH)
    warnings.extend(solution.warnings)
    return {key: (c.raw, c.where if not c.note else f"{c.where} ({c.note})") for key, c in solution.chosen.items()}


_S4_BLOCK_LABELS = (("litigation_after_review", "复议后起诉"), ("litigation_direct", "直接起诉"), ("review", "行政复议"))


def _s4_block(label: str) -> str | None:
    for block, word in _S4_BLOCK_LABELS:
        if word in label:
            return block
    return None


def extract_s4(rows: list[Row], warnings: list[str]) -> Extracted:
    """Section 四: 15 cells (3 blocks x 5 columns) — one row, or one row per block under its label
    (a markdown rendering prints 行政复议 and 行政诉讼 as two 5-column tables)."""
    out = Extracted(warnings=warnings)
    per = len(S4_COLUMNS)
    n = len(S4_BLOCKS) * per
    blocks: dict[str, tuple[list[str], str]] = {}
    heading: str | None = None
    stream: list[str] = []
    tail: list[str] = []
    stream_where = ""
    for row in rows:
        label, values = split_label(row)
        block = _s4_block(label) if label else None
        if not values or (not numbers(values) and not row.positional and not row.from_table):
            if label:  # a heading ("#### 行政复议") names the block of the rows below it
                heading = block if (block or "诉讼" in label) else heading
            continue
        five = values if len(values) == per else None  # a block's own row: exactly its 5 cells
        target = block or (heading if not label and row.positional else None)
        if five is not None and target and target not in blocks:
            blocks[target] = (five, row.where)
            continue
        if not numbers(values):
            if len(stream) >= n:
                break
            continue
        if row.from_table or label:
            # a grid row is whole; a labelled line ("咨询电话 8036912") is never part of 四's row
            if fit(values, n) is not None and not stream:
                stream, stream_where = list(values), row.where
                break
            if len(stream) >= n:
                break
            continue
        if not stream:
            stream_where = row.where
        if len(stream) < n:
            stream.extend(values)  # the row goes on over lines (PDFium, one value per line)
        elif len(values) < n and all(v.strip().isdigit() for v in values):
            tail.extend(values)  # digits of numbers wrapped in their cells ("196" / "5")
        else:
            break
    if stream:
        reading = Reading(stream, False, stream_where, tail)
        pick, notes = solve_s4(candidates([reading], n), len(S4_BLOCKS), per)
        warnings.extend(notes)
        if pick is not None:
            cols = [(b, c) for b in S4_BLOCKS for c in S4_COLUMNS]
            for (b, c), raw in zip(cols, pick.raw, strict=True):
                _store(out, f"s4.{b}.{c}", raw, stream_where if not pick.note else f"{stream_where} ({pick.note})")
            out.rows_found.add("s4")
            return out
    if len(blocks) == len(S4_BLOCKS):
        for b in S4_BLOCKS:
            vals, where = blocks[b]
            for c, raw in zip(S4_COLUMNS, vals, strict=True):
                _store(out, f"s4.{b}.{c}", raw, where)
        out.rows_found.add("s4")
        return out
    if blocks:
        warnings.append(f"四: {len(blocks)} of {len(S4_BLOCKS)} blocks found; left blank")
    elif stream and not any(w.startswith("四") for w in warnings):
        warnings.append(f"四: {len(stream)} values for {n} columns; left blank")
    return out


S2_MARKERS = {
    "gb2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额"),
    "gb2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减", "本年增减",
               "采购项目数量", "采购总金额"),
}


def s2_layout(rows: list[Row]) -> str | None:
    """The era of 二 from its column headers (they changed between the two templates), or None."""
    text = "".join([norm_label(c.text) for r in rows for c in r.cells])
    score = {fmt: sum(m in text for m in markers) for fmt, markers in S2_MARKERS.items()}
    if score["gb2021"] == score["gb2019"]:
        return None
    return max(score, key=lambda k: score[k])


def _under_header(header: list[str], row: Row, ncols: int) -> list[str] | None:
    """A row whose cells do not line up one to one with the columns (merged cells flattened into
    empty ones: "| 行政许可 | 0 |  | 0 | 0 |"): the value under each column name is the one filled
    cell between that name and the next. None when that is not unique."""
    cells = ["" if c.copy else c.text for c in row.cells]
    if len(cells) != len(header):
        return None
    named = [i for i, h in enumerate(header) if i > 0 and norm_label(h)]
    if len(named) != ncols or any(not is_blank(cells[j]) and is_value_cell(cells[j]) for j in range(1, named[0])):
        return None
    out = []
    for k, start in enumerate(named):
        end = named[k + 1] if k + 1 < len(named) else len(cells)
        filled = [cells[j] for j in range(start, end) if not is_blank(cells[j])]
        if len(filled) > 1 or any(not is_value_cell(t) for t in filled):
            return None
        out.append(filled[0] if filled else "")
    return out


_OTHER_ERA_LABEL = {  # fmt -> (label of the other template, deviation code)
    "gb2021": ("规范性文件", "s2.normative_docs_gb2019_label"),
    "gb2019": ("行政规范性文件", "s2.normative_docs_gb2021_label"),
}


def _note_label_era(label: str, fmt: str, deviations: list[str], warnings: list[str]) -> None:
    """规范性文件 (2019) in a gb2021 table, or 行政规范性文件 (2021) in a gb2019 one: a deviation."""
    core = re.sub(r"^(\d+\.|[一二三四五六七八九十]+、)", "", re.sub(r"\(.*?\)", "", label))
    other = _OTHER_ERA_LABEL.get(fmt)
    if other is None or not core.startswith(other[0]) or (fmt == "gb2021" and core.startswith("行政")):
        return
    if other[1] not in deviations:
        deviations.append(other[1])
        warnings.append(f"二: row labelled {other[0]} (the other template's label) in a {fmt} table; read into the "
                        f"{fmt} columns")


def extract_s2(rows: list[Row], fmt: str, warnings: list[str], deviations: list[str] | None = None) -> Extracted:
    """Section 二: item rows (规章, 行政许可 …) with columns by position for the format.

    A label of the other era (规范性文件 in a gb2021 table) is read into the format's columns and
    recorded in ``deviations``.
    """
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
        if pending and numbers(pending[2]):
            warnings.append(f"二 row {pending[1]}: {len(pending[2])} values for {len(columns[pending[1]])} columns; left blank")
        pending = None

    header: list[str] | None = None  # the cells of the last 信息内容 row (its column names)
    for row in rows:
        label, values = split_label(row)
        if "采购总金额" in label and "万元" in label:
            procurement_in_wan = True
        if row.cells and norm_label(row.cells[0].text) == "信息内容" and len(row.cells) > 2:
            header = [c.text for c in row.cells]
        hit = match_s2_item(label) if label else None
        if hit is None and fragment and label and not row.from_table:
            hit = match_s2_item(fragment + label)
        fragment = label if (label and hit is None and not numbers(values) and not row.from_table) else ""
        if hit is None:
            if pending is not None and values and (not label or numbers(values)):
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
        if item == "normative_docs" and deviations is not None:
            _note_label_era(label, fmt, deviations, warnings)
        if item not in columns:
            warnings.append(f"二 row {item} is not part of the {fmt} template ({row.where})")
            continue
        if f"s2.{art}.{item}" in out.rows_found:
            continue
        if values and commit(art, item, values, row.where):
            continue
        spanned = _under_header(header, row, len(columns[item])) if header and (row.positional or row.from_table) else None
        if spanned is not None and commit(art, item, spanned, row.where):
            continue
        if values and numbers(values) and len(values) >= len(columns[item]):
            warnings.append(f"二 row {item}: {len(values)} values for {len(columns[item])} columns; left blank")
            continue
        pending = (art, item, list(values), row.where)
    drop()
    return out
