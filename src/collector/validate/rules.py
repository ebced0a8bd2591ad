"""Record-level validation rules, numbered as in report-template.md (pure functions).

Hard rules (severity ``error``) flag a record whose report or extraction is wrong; soft rules
(``warning``) flag deviations; ``info`` explains what was derived. Blank cells are null, not
zero: a blank 总计 is not an error — its value is derived (see ``record["derived"]``) and said
so. In a column where some cells are filled, blank cells count as 0 for the sums (that is how
the tables are filled in practice); a column that is entirely blank is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from collector.parse.labels import (
    S3_COLUMNS,
    S3_OTHER_SUBROWS,
    S4_BLOCKS,
    S4_COLUMNS,
    s3_result_rows,
)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: int
    severity: str  # error | warning | info
    message: str
    fields: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=4096)
def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def _get(rec: dict[str, Any], path: str) -> Any:
    node: Any = rec
    for p in _parts(path):
        if not isinstance(node, dict):
            return None
        node = node.get(p)
    return node


def _sum(vals: Iterable[Any]) -> int | float:
    return sum([v for v in vals if v])  # blanks (None) count as 0, as do zeros


def _fmt(v: Any) -> str:
    return "blank" if v is None else str(v)


def _numeric(fmt: str | None) -> bool:
    return fmt in ("gb2019", "gb2021")


def _cell(rec: dict[str, Any], row: str, col: str) -> Any:
    """A 三 cell; a blank row 总计 reads as its derived value (the sum of the row)."""
    s3 = rec.get("s3")  # _get(rec, f"s3.{row}.{col}") without building the path (hot: ~200 calls a record)
    node = s3.get(row) if isinstance(s3, dict) else None
    v = node.get(col) if isinstance(node, dict) else None
    if v is None and col == "total":
        v = (rec.get("derived") or {}).get(f"s3.{row}.total")
    return v


def _column(rec: dict[str, Any], rows: Sequence[str], col: str) -> list[Any]:
    """``[_cell(rec, r, col) for r in rows]`` with the record's sections looked up once."""
    s3 = rec.get("s3")
    if not isinstance(s3, dict):
        s3 = {}
    out = []
    for r in rows:
        node = s3.get(r)
        out.append(node.get(col) if isinstance(node, dict) else None)
    if col == "total" and None in out:
        derived = rec.get("derived") or {}
        out = [derived.get(f"s3.{r}.total") if v is None else v for r, v in zip(rows, out, strict=True)]
    return out


def _columns(rec: dict[str, Any], rows: Sequence[str]) -> dict[str, list[Any]]:
    """``{col: _column(rec, rows, col)}`` for all seven columns, each row read once (the table
    transposed by zip, in C)."""
    s3 = rec.get("s3")
    if not isinstance(s3, dict):
        s3 = {}
    table = []
    for r in rows:
        node = s3.get(r)
        table.append([node.get(c) for c in S3_COLUMNS] if isinstance(node, dict) else _NO_CELLS)
    if not table:
        return {c: [] for c in S3_COLUMNS}
    out = {c: list(col) for c, col in zip(S3_COLUMNS, zip(*table, strict=True), strict=True)}
    total = out["total"]
    if None in total:
        derived = rec.get("derived") or {}
        out["total"] = [derived.get(f"s3.{r}.total") if v is None else v for r, v in zip(rows, total, strict=True)]
    return out


_NO_CELLS = [None] * len(S3_COLUMNS)


def rule1_balance(rec: dict[str, Any]) -> list[Finding]:
    """三 per column: 一 + 二 == 三(七) + 四 (printed in the table header)."""
    out = []
    columns = _columns(rec, _BALANCE_ROWS)
    for col in S3_COLUMNS:
        vals = columns[col]
        if vals[2] is None and vals[3] is None:  # (all four blank is a case of it)
            continue
        left, right = _sum(vals[:2]), _sum(vals[2:])
        if left != right:
            paths = [f"s3.{r}.{col}" for r in _BALANCE_ROWS]
            out.append(Finding(1, "error", f"三 {col}: 本年新收 {_fmt(vals[0])} + 上年结转 {_fmt(vals[1])} = {left} "
                                           f"≠ 总计 {_fmt(vals[2])} + 结转下年 {_fmt(vals[3])} = {right}", paths))
    return out


_BALANCE_ROWS = ("new_received", "carried_over_in", "results_total", "carried_over_out")


def rule2_results_total(rec: dict[str, Any]) -> list[Finding]:
    """三 per column: （七）总计 == sum of the result rows (as the table prints them: a hybrid 三
    keeps the other era's 其他处理 rows, see ``format_deviations``)."""
    rows = s3_result_rows(rec)
    out = []
    s3 = rec.get("s3")
    node = s3.get("results_total") if isinstance(s3, dict) else None
    totals = [node.get(c) for c in S3_COLUMNS] if isinstance(node, dict) else [None] * len(S3_COLUMNS)
    row_present = any(t is not None for t in totals)
    columns = _columns(rec, rows)
    for col, total in zip(S3_COLUMNS, totals, strict=True):
        vals = columns[col]
        if total is None:
            if row_present and any(v is not None for v in vals):
                out.append(Finding(2, "info", f"三 {col}: （七）总计 blank; derived {_sum(vals)}", [f"s3.results_total.{col}"]))
            continue
        if total != _sum(vals):
            out.append(Finding(2, "error", f"三 {col}: （七）总计 {total} ≠ sum of result rows {_sum(vals)}",
                               [f"s3.results_total.{col}"] + [f"s3.{r}.{col}" for r in rows]))
    return out


_APPLICANT_COLUMNS = S3_COLUMNS[:-1]


def rule3_row_totals(rec: dict[str, Any]) -> list[Finding]:
    """三 per row: 总计 == sum of the six applicant columns, when 总计 is filled."""
    out = []
    for row, cols in (rec.get("s3") or {}).items():
        if not isinstance(cols, dict):
            continue
        parts = [cols.get(c) for c in _APPLICANT_COLUMNS]
        if parts.count(None) == len(parts):  # no applicant column filled: nothing to check or derive
            continue
        total = cols.get("total")
        if total is None:
            out.append(Finding(3, "info", f"三 {row}: 总计 blank; derived {_sum(parts)}", [f"s3.{row}.total"]))
            continue
        if total != _sum(parts):
            out.append(Finding(3, "error", f"三 {row}: 总计 {total} ≠ sum of applicant columns {_sum(parts)}",
                               [f"s3.{row}.{c}" for c in S3_COLUMNS]))
    return out


def rule4_counts(rec: dict[str, Any]) -> list[Finding]:
    """三/四: every count is an integer >= 0."""
    bad = []
    for sec in ("s3", "s4"):
        for row, cols in (rec.get(sec) or {}).items():
            for col, v in (cols or {}).items():
                if v is not None and (not float(v).is_integer() or v < 0):
                    bad.append((f"{sec}.{row}.{col}", v))
    return [Finding(4, "error", f"{p}: {v} is not a non-negative integer", [p]) for p, v in bad]


def rule5_s4_totals(rec: dict[str, Any]) -> list[Finding]:
    """四 per block: 总计 == 维持 + 纠正 + 其他 + 尚未审结."""
    out = []
    s4 = rec.get("s4")
    for b in S4_BLOCKS:
        node = s4.get(b) if isinstance(s4, dict) else None  # _get(rec, f"s4.{b}.{c}") per column, unbuilt
        vals = [node.get(c) for c in S4_COLUMNS] if isinstance(node, dict) else [None] * len(S4_COLUMNS)
        if vals[-1] is None:
            continue
        if vals[-1] != _sum(vals[:-1]):
            out.append(Finding(5, "error", f"四 {b}: 总计 {vals[-1]} ≠ {' + '.join(_fmt(v) for v in vals[:-1])}",
                               [f"s4.{b}.{c}" for c in S4_COLUMNS]))
    return out


def rule6_other_rows(rec: dict[str, Any]) -> list[Finding]:
    """gb2019 has one （六） row (sub-rows null); gb2021 has the three sub-rows.

    A table printed in the other era's layout (a gb2021 report whose 三 keeps the single
    （六）其他处理 row) was read as printed and listed in ``format_deviations``: a warning, not an error.
    """
    fmt = rec.get("format_version")
    subs = [p for _, _, p in _OTHER_SUBROW_CELLS]
    s3 = rec.get("s3")
    filled = []
    for row, col, path in _OTHER_SUBROW_CELLS:  # [p for p in subs if _get(rec, p) is not None], unsplit
        node = s3.get(row) if isinstance(s3, dict) else None
        if isinstance(node, dict) and node.get(col) is not None:
            filled.append(path)
    devs = rec.get("format_deviations") or ()
    if fmt == "gb2021" and "s3.single_other_handling_row" in devs:
        return [Finding(6, "warning", "gb2021 report whose 三 prints the gb2019 single （六）其他处理 row "
                                      "(read as printed; the three sub-rows are blank)",
                        [f"s3.other_handling.{c}" for c in S3_COLUMNS])]
    if fmt == "gb2019" and "s3.other_handling_subrows" in devs:
        return [Finding(6, "warning", "gb2019 report whose 三 prints the three gb2021 其他处理 rows (read as printed)",
                        filled)]
    if fmt == "gb2019" and filled:
        return [Finding(6, "error", "gb2019 record has values in the gb2021 其他处理 sub-rows", filled)]
    if fmt == "gb2021" and not filled and _get(rec, "s3.new_received.total") is not None:
        return [Finding(6, "error", "gb2021 record lacks the three 其他处理 sub-rows (not read or not in the table)", subs)]
    return []


_OTHER_SUBROW_CELLS = tuple((r, c, f"s3.{r}.{c}") for r in S3_OTHER_SUBROWS for c in S3_COLUMNS)


def rule7_s2_values(rec: dict[str, Any]) -> list[Finding]:
    """二 (gb2021): counts are integers >= 0; the fee amount is a decimal >= 0."""
    if rec.get("format_version") != "gb2021":
        return []
    out = []
    for art in ("art20_1.regulations", "art20_1.normative_docs"):
        for c in ("issued", "repealed", "in_force"):
            p = f"s2.{art}.{c}"
            v = _get(rec, p)
            if v is not None and (v < 0 or not float(v).is_integer()):
                out.append(Finding(7, "error", f"{p}: {v} is not a non-negative integer", [p]))
    for p in ("s2.art20_5.admin_licensing.decisions", "s2.art20_6.admin_penalty.decisions",
              "s2.art20_6.admin_coercion.decisions"):
        v = _get(rec, p)
        if v is not None and (v < 0 or not float(v).is_integer()):
            out.append(Finding(7, "error", f"{p}: {v} is not a non-negative integer", [p]))
    p = "s2.art20_8.admin_fees.amount_wan_yuan"
    v = _get(rec, p)
    if v is not None and v < 0:
        out.append(Finding(7, "error", f"{p}: {v} is negative", [p]))
    return out


def rule8_fee_unit(rec: dict[str, Any]) -> list[Finding]:
    """二: a fee that looks entered in 元 rather than 万元 — flagged, never rescaled."""
    p = "s2.art20_8.admin_fees.amount_wan_yuan"
    v = _get(rec, p)
    if v is None or v == 0:
        return []
    if (v >= 10000 and float(v) % 10000 == 0) or v >= 1_000_000:
        return [Finding(8, "warning", f"收费金额 {v} 万元 looks like an amount in 元 (= {v / 10000:g} 万元?)", [p])]
    return []


_SECTION_ORDER = ["1", "2", "3", "4", "5", "6"]


def rule11_sections(rec: dict[str, Any]) -> list[Finding]:
    """The six sections are present and in order."""
    if not _numeric(rec.get("format_version")):
        return []
    secs = rec.get("sections") or []
    missing = [s for s in _SECTION_ORDER if s not in secs]
    if missing:
        names = "、".join("一二三四五六"[int(s) - 1] for s in missing)
        return [Finding(11, "warning", f"section heading(s) {names} not found", [])]
    if secs != sorted(secs):
        return [Finding(11, "warning", "sections out of order", [])]
    return []


def rule12_prose(rec: dict[str, Any]) -> list[Finding]:
    """Numbers stated in the text agree with the tables (收到申请X件 vs 本年新收 总计)."""
    stated = _get(rec, "prose.requests_received")
    table = _get(rec, "s3.new_received.total")
    if table is None:
        table = (rec.get("derived") or {}).get("s3.new_received.total")
    if stated is None or table is None or stated == table:
        return []
    return [Finding(12, "warning", f"text states {stated} requests received, table 三 says {table}",
                    ["prose.requests_received", "s3.new_received.total"])]


def deadline(rec: dict[str, Any]) -> date | None:
    """Legal deadline: departments 31 Jan, governments 31 Mar of the next year (all 31 Mar before 2019).

    条例 (2019) art. 49; townships follow local rules, so they get the later date.
    """
    year = rec.get("report_year")
    if not year:
        return None
    kind = rec.get("agency_type")
    if year < 2019 or kind in ("人民政府", "办公厅(室)", "乡镇街道", None):
        return date(year + 1, 3, 31)
    return date(year + 1, 1, 31)


def rule13_deadline(rec: dict[str, Any]) -> list[Finding]:
    pub, due, year = rec.get("published_date"), deadline(rec), rec.get("report_year")
    if not pub or not due or not year:
        return []
    d = date.fromisoformat(str(pub)[:10])
    if d > due:
        return [Finding(13, "warning", f"published {d} after the legal deadline {due}", ["published_date"])]
    if d < date(year, 12, 1):
        return [Finding(13, "warning", f"published {d}, before the reporting year {year} ended", ["published_date"])]
    return []


def rule14_format_year(rec: dict[str, Any]) -> list[Finding]:
    """The layout matches the year; a 二 label of the other era (``format_deviations``) is a deviation too."""
    fmt, year = rec.get("format_version"), rec.get("report_year")
    out = []
    labels = [d for d in rec.get("format_deviations") or () if d.startswith("s2.")]
    if labels:
        out.append(Finding(14, "warning", f"{fmt} table with the other template's labels ({', '.join(labels)})",
                           ["format_version"]))
    if not year:
        return out
    expected = "gb2021" if year >= 2021 else "gb2019" if year >= 2019 else "legacy"
    if fmt == expected or (fmt == "legacy" and rec.get("parse_status") == "text_only" and year < 2019):
        return out
    return [*out, Finding(14, "warning", f"{year} report uses the {fmt} layout (expected {expected})", ["format_version"])]


# Rule 17 (project rule, beyond the spec's 1–15): a value no report of this kind can hold — a
# phone number or a code picked up from the page, digits of two cells run together — that no sum
# names (a blank 总计 switches rules 1–3 off). Caps are far above the largest real reports.
S3_CELL_CAP = 1_000_000        # requests in one cell of 三 (province-wide reports count ~10^5 at most)
S4_CELL_CAP = 10_000           # reviews or suits in one cell of 四
S4_PER_REQUEST = 3             # 四 counts above 3x the requests the report handled (+ S4_SLACK) ...
S4_SLACK = 20                  # ... are implausible: a review or suit follows a reply to a request
S2_CAPS: dict[str, float] = {   # field suffix -> cap (counts of documents, items, decisions)
    "regulations.issued": 1_000, "regulations.repealed": 1_000, "regulations.in_force": 5_000,
    "normative_docs.issued": 10_000, "normative_docs.repealed": 10_000, "normative_docs.in_force": 100_000,
    "regulations.new_made": 1_000, "regulations.new_published": 1_000, "regulations.total_published": 5_000,
    "normative_docs.new_made": 10_000, "normative_docs.new_published": 10_000,
    "normative_docs.total_published": 100_000, "prev_year_items": 100_000, "change": 10_000,
    "decisions": 100_000_000, "project_count": 100_000,
}


_S2_LEAST_CAP = min(S2_CAPS.values())


def _requests_handled(rec: dict[str, Any]) -> int | float | None:
    """The report's own total of requests: 一 + 二 (= 三(七) + 四 when the table balances)."""
    totals = _column(rec, _BALANCE_ROWS, "total")
    left = None if totals[0] is None and totals[1] is None else (totals[0] or 0) + (totals[1] or 0)
    right = None if totals[2] is None and totals[3] is None else (totals[2] or 0) + (totals[3] or 0)
    known = [v for v in (left, right) if v is not None]
    return max(known) if known else None


def _s3_may_fire(s3: dict[str, Any], handled: int | float | None) -> bool:
    """Can any 三 value fire rule 17? The per-row test below, once over the whole table (the
    common answer is no: one pass over ~180 values instead of two per row)."""
    others = [v for row, cols in s3.items() if row not in _BALANCE_ROWS for v in (cols or {}).values() if v is not None]
    balance = [v for row in _BALANCE_ROWS for v in (s3.get(row) or {}).values() if v is not None]
    if max(map(abs, others + balance), default=0) >= S3_CELL_CAP:
        return True
    return handled is not None and bool(others) and not max(others) <= handled


def rule17_plausible(rec: dict[str, Any]) -> list[Finding]:
    """Values outside what their cell can hold: far above the report's own totals, or above a cap."""
    out: list[Finding] = []
    handled = _requests_handled(rec)
    s3 = rec.get("s3") or {}
    for row, cols in s3.items() if _s3_may_fire(s3, handled) else ():
        filled = [v for v in (cols or {}).values() if v is not None]
        if not filled or (max(map(abs, filled)) < S3_CELL_CAP
                          and (handled is None or row in _BALANCE_ROWS or max(filled) <= handled)):
            continue  # no value of the row can fire (the common case: checked in C)
        for col, v in (cols or {}).items():
            if v is None:
                continue
            if abs(v) >= S3_CELL_CAP:
                p = f"s3.{row}.{col}"
                out.append(Finding(17, "warning", f"{p} = {v:g}: implausible for a count of requests "
                                                  f"(≥ {S3_CELL_CAP:,}); a number picked up from the page?", [p]))
            elif handled is not None and row not in _BALANCE_ROWS and v > handled:
                p = f"s3.{row}.{col}"
                out.append(Finding(17, "warning", f"{p} = {v:g} is more than all the requests the report handled "
                                                  f"({handled:g})", [p]))
    limit = S4_PER_REQUEST * handled + S4_SLACK if handled is not None else None
    s4 = rec.get("s4") or {}
    s4_filled = [v for cols in s4.values() for v in (cols or {}).values() if v is not None]
    if not s4_filled or (max(map(abs, s4_filled)) < S4_CELL_CAP and (limit is None or max(s4_filled) <= limit)):
        s4 = {}  # no value of 四 can fire (the per-block test below, once over the whole table)
    for block, cols in s4.items():
        filled = [v for v in (cols or {}).values() if v is not None]
        if not filled or (max(map(abs, filled)) < S4_CELL_CAP and (limit is None or max(filled) <= limit)):
            continue  # no value of the block can fire
        for col, v in (cols or {}).items():
            if v is None:
                continue
            p = f"s4.{block}.{col}"
            if abs(v) >= S4_CELL_CAP:
                out.append(Finding(17, "warning", f"{p} = {v:g}: implausible for a count of reviews or suits "
                                                  f"(≥ {S4_CELL_CAP:,}); a number picked up from the page?", [p]))
            elif limit is not None and v > limit:
                out.append(Finding(17, "warning", f"{p} = {v:g} reviews/suits against {handled:g} requests handled: "
                                                  "far above what the report's own totals allow", [p]))
    s2 = rec.get("s2") or {}
    s2_filled = [v for items in s2.values() for cols in (items or {}).values() for v in (cols or {}).values()
                 if v is not None]
    if max(map(abs, s2_filled), default=0) < _S2_LEAST_CAP:
        s2 = {}  # every value of 二 under every cap
    for art, items in s2.items():
        for item, cols in (items or {}).items():
            filled = [v for v in (cols or {}).values() if v is not None]
            if not filled or max(map(abs, filled)) < _S2_LEAST_CAP:
                continue  # under every cap
            for col, v in (cols or {}).items():
                cap = S2_CAPS.get(f"{item}.{col}", S2_CAPS.get(col))
                if v is not None and cap is not None and abs(v) >= cap:
                    p = f"s2.{art}.{item}.{col}"
                    out.append(Finding(17, "warning", f"{p} = {v:g}: implausible (≥ {cap:,g})", [p]))
    return out


RECORD_RULES: tuple[Callable[[dict[str, Any]], list[Finding]], ...] = (
    rule1_balance, rule2_results_total, rule3_row_totals, rule4_counts, rule5_s4_totals, rule6_other_rows,
    rule7_s2_values, rule8_fee_unit, rule11_sections, rule12_prose, rule13_deadline, rule14_format_year,
    rule17_plausible,
)


def validate_record(rec: dict[str, Any]) -> list[Finding]:
    """All record-level findings; tables-only rules are skipped for legacy records, which get
    their own soft rules 21–25 (:mod:`collector.validate.legacy`)."""
    from collector.validate.legacy import legacy_findings

    numeric = _numeric(rec.get("format_version"))
    out: list[Finding] = []
    for rule in RECORD_RULES:
        if not numeric and rule not in (rule13_deadline, rule14_format_year):
            continue
        out.extend(rule(rec))
    out.extend(legacy_findings(rec))
    return out
