"""Ground-truth checks for attachment fixtures at the Document level (shared by test_extract_*).

A fixture ``X`` in ``tests/fixtures/attachments`` has ``X.truth.json`` (the record it was drawn
from). These helpers find the row whose label matches a template label (fuzzy, so an OCR'd
label with one wrong character still matches) and compare the value cells with the record.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

from collector.models import Document, Table
from collector.sim.layout import S3_COLS, S3_OTHER_2021, S3_RESULT_GROUPS, S4_BLOCKS, S4_COLS
from collector.sim.truth import flat_numbers  # noqa: F401 - re-exported for the extract tests

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "attachments"
BLANKS = {"", "—", "-", "/", "无", "－"}


def load(name: str) -> tuple[bytes, dict[str, Any]]:
    return (FIXTURES / name).read_bytes(), json.loads((FIXTURES / f"{name}.truth.json").read_text("utf-8"))


def s3_labels(fmt: str) -> dict[str, str]:
    labels = {"new_received": "一、本年新收政府信息公开申请数量", "carried_over_in": "二、上年结转政府信息公开申请数量"}
    for _, items in S3_RESULT_GROUPS:
        labels.update({k: v for k, v in items})
    if fmt == "gb2021":
        labels.update({k: v for k, v in S3_OTHER_2021})
    else:
        labels["other_handling"] = "（六）其他处理"
    labels["results_total"] = "（七）总计"
    labels["carried_over_out"] = "四、结转下年度继续办理"
    return labels


def _norm(s: str) -> str:
    return re.sub(r"[\s()（）“”\"、.．,，]", "", s)


def cell_is(cell: str, value: Any) -> bool:
    cell = cell.strip()
    if value is None:
        return cell in BLANKS
    text = cell.replace(",", "").replace(" ", "").removesuffix("元").lstrip("+")
    try:
        return float(text) == float(value)
    except ValueError:
        return False


def find_table(doc: Document, marker: str, min_width: int = 1) -> Table:
    for t in doc.tables:
        if t.width >= min_width and any(marker in c for row in t.rows for c in row):
            return t
    raise AssertionError(f"no table with {marker!r}; tables: {[t.where for t in doc.tables]}")


def find_row(table: Table, label: str, n_values: int) -> list[str]:
    """The row whose label cells best match ``label`` (ratio >= 0.75)."""
    best, best_row = 0.0, None
    target = _norm(label)
    for row in table.rows:
        label_cells = row[:-n_values] if len(row) > n_values else row[:1]
        for cell in dict.fromkeys(label_cells):
            score = difflib.SequenceMatcher(None, _norm(cell), target).ratio()
            if score > best:
                best, best_row = score, row
    assert best_row is not None and best >= 0.75, f"row {label!r} not found (best {best:.2f})"
    return best_row


def s3_mismatches(doc: Document, truth: dict[str, Any]) -> list[str]:
    table = find_table(doc, "本年新收", min_width=8)
    bad = []
    for key, label in s3_labels(truth["format_version"]).items():
        row = find_row(table, label, 7)
        for col, cell in zip(S3_COLS, row[-7:], strict=True):
            if not cell_is(cell, truth["s3"][key][col]):
                bad.append(f"s3.{key}.{col}: cell {cell!r} != {truth['s3'][key][col]!r}")
    return bad


def s4_mismatches(doc: Document, truth: dict[str, Any]) -> list[str]:
    table = find_table(doc, "行政复议", min_width=15)
    row = table.rows[-1][-15:]
    expected = [truth["s4"][b][c] for b in S4_BLOCKS for c in S4_COLS]
    return [f"s4 col {i}: {cell!r} != {v!r}" for i, (cell, v) in enumerate(zip(row, expected, strict=True))
            if not cell_is(cell, v)]


def s2_mismatches(doc: Document, truth: dict[str, Any]) -> list[str]:
    table = find_table(doc, "第二十条")
    s2 = truth["s2"]
    if truth["format_version"] == "gb2021":
        checks = {"规章": [s2["art20_1"]["regulations"][k] for k in ("issued", "repealed", "in_force")],
                  "行政规范性文件": [s2["art20_1"]["normative_docs"][k] for k in ("issued", "repealed", "in_force")],
                  "行政许可": [s2["art20_5"]["admin_licensing"]["decisions"]],
                  "行政强制": [s2["art20_6"]["admin_coercion"]["decisions"]],
                  "行政事业性收费": [s2["art20_8"]["admin_fees"]["amount_wan_yuan"]]}
    else:
        checks = {"规范性文件": [s2["art20_1"]["normative_docs"][k] for k in ("new_made", "new_published", "total_published")],
                  "行政许可": [s2["art20_5"]["admin_licensing"][k] for k in ("prev_year_items", "change", "decisions")],
                  "其他对外管理服务事项": [s2["art20_5"]["other_external_services"][k]
                                 for k in ("prev_year_items", "change", "decisions")],
                  "行政事业性收费": [s2["art20_8"]["admin_fees"][k] for k in ("prev_year_items", "change")],
                  "政府集中采购": [s2["art20_9"]["centralized_procurement"][k]
                             for k in ("project_count", "total_amount_yuan")]}
    bad = []
    for label, values in checks.items():
        row = find_row(table, label, 3)
        cells = list(dict.fromkeys(row[1:])) if len(values) == 1 else _distinct_run(row[1:], len(values))
        for cell, v in zip(cells, values, strict=False):
            if not cell_is(cell, v):
                bad.append(f"s2 {label}: {cell!r} != {v!r}")
    return bad


def _distinct_run(cells: list[str], n: int) -> list[str]:
    """Value cells of a row where the last value may span two columns (gb2019 (八)/(九))."""
    out: list[str] = []
    for c in cells:
        if out and c == out[-1] and len(out) == n:
            continue
        out.append(c)
    return out[:n]


def all_mismatches(doc: Document, truth: dict[str, Any]) -> list[str]:
    return s2_mismatches(doc, truth) + s3_mismatches(doc, truth) + s4_mismatches(doc, truth)
