"""Annex statistics tables of legacy reports -> readings (pure functions).

An annex arrives as a real grid (HTML/DOCX/PDF/XLSX tables, spans already resolved), as text lines
with ``|``/tab separators, as space-separated lines, or *flattened*: a page that lost its cell
separators prints ``主动公开信息数条4251516`` for 条 | 425 | 1516. Columns come from the header
(统计指标/指标名称, 单位/计量单位, 统计数/本年度/本期实际 — never a 累计 column: cumulative figures are
not this year's). A flattened row is split only when the split is determined: one value column, or
both columns single digits, or the prose states this year's number; otherwise the field is left out
and a warning says why. Rows nested under 否决公开 in provincial forms (其中：(2)"信息不存在"数) are
reasons for refusals, not replies of their own, and are not read as ``replies.*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from collector.models import Document, Paragraph, Table
from collector.parse.legacy import forms as F
from collector.parse.legacy.patterns import FIELDS
from collector.parse.legacy.prose import Reading
from collector.parse.normalize import nfkc, parse_value

_UNIT_ALT = "|".join(F.UNITS)
_FLAT = re.compile(rf"^(?P<label>.+?)(?P<unit>{_UNIT_ALT})(?P<digits>\d+(?:\.\d+)?)$")
_SPACED = re.compile(rf"^(?P<label>.*?\S)\s+(?P<unit>{_UNIT_ALT})(?P<vals>(?:\s+(?:\d+(?:\.\d+)?|[-—–/]|无))+)\s*$")
_MAYBE_ROW = re.compile(rf"(?:\d|{_UNIT_ALT}|[-—–/|]|无|累计|统计数|本年度|本期实际)\s*\|?\s*$|\t")
_NESTED_UNDER_DENIED = {"replies.not_exist", "replies.not_held", "replies.unclear", "replies.redirect",
                        "replies.already_public"}


@dataclass(slots=True)
class Layout:
    """Where the label, unit, this year's value and the cumulative value sit."""

    label: tuple[int, int] | None = None   # [start, end) columns of the label
    unit: int | None = None
    value: int | None = None               # this year's column
    cumulative: int | None = None
    code: int | None = None
    values: int | None = None              # number of value columns (flattened rows)


@dataclass(slots=True)
class AnnexResult:
    values: dict[str, Reading] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    blocks: set[int] = field(default_factory=set)   # document blocks that belong to an annex
    found: bool = False
    undetermined: int = 0                           # flattened rows the prose might settle


def _header(cells: list[str]) -> Layout | None:
    norm = [re.sub(r"\s+", "", nfkc(c)) for c in cells]
    lab = next((i for i, c in enumerate(norm) if F.HEADER_LABEL.search(c) and len(c) <= 8), None)
    unit = next((i for i, c in enumerate(norm) if F.HEADER_UNIT.fullmatch(c) or c in ("计量单位", "单位")), None)
    this = next((i for i, c in enumerate(norm) if i != lab and i != unit and F.HEADER_THIS_YEAR.search(c)
                 and not F.HEADER_CUMULATIVE.search(c)), None)
    cum = next((i for i, c in enumerate(norm) if F.HEADER_CUMULATIVE.search(c)), None)
    if lab is None or (unit is None and this is None):
        return None
    code = next((i for i, c in enumerate(norm) if F.HEADER_CODE.search(c)), None)
    nvals = sum(1 for i, c in enumerate(norm) if i not in (lab, unit, code) and c)
    label_end = min(x for x in (unit, this, cum, code, len(cells)) if x is not None and x > lab)
    return Layout((lab, label_end), unit, this, cum, code, nvals)


def _flat_header(line: str) -> Layout | None:
    """A header whose cells lost their separators: "指标名称计量单位本年度历年累计", "统计指标单位统计数"."""
    if "单位" not in line:
        return None
    t = re.sub(r"\s+", "", line)
    if not F.HEADER_LABEL.search(t) or len(t) > 40:
        return None
    rest = t.split("单位", 1)[1]
    code = bool(F.HEADER_CODE.search(rest))
    parts = re.findall(r"本年度|本期实际|本年累计|历年累计|统计数|累计|本期|(?:19|20)\d{2}年度?", rest)
    if not parts:
        return None
    cum = next((i for i, p in enumerate(parts) if "累计" in p), None)
    this = next((i for i, p in enumerate(parts) if "累计" not in p), None)
    return Layout(None, None, this, cum, 0 if code else None, len(parts))


def _level_guard(state: dict[str, int | str | None], name: str | None, level: int) -> bool:
    """True when a row sits under 否决公开 in a provincial form (a refusal reason, not a reply)."""
    denied = state.get("denied_level")
    if denied is not None and level <= int(denied):
        state["denied_level"] = None
        denied = None
    if name == "replies.denied":
        state["denied_level"] = level
        return False
    return denied is not None and name in _NESTED_UNDER_DENIED


def _value_of(name: str, raw: str, unit: str | None, where: str, warnings: list[str]) -> Reading | None:
    spec = FIELDS[name]
    text = re.sub(r"\s+", "", nfkc(raw))
    if text in ("无", "0"):
        return Reading(name, 0, raw.strip(), where, unit, "annex", in_words=text == "无")
    p = parse_value(raw)
    if p.value is None:
        if not p.ok:
            warnings.append(f"legacy.{name}: annex cell {raw.strip()!r} ({where}) is not a number; left out")
        return None
    value: int | float = p.value
    unit = unit or p.unit
    if isinstance(value, float) and not spec.money:
        if not value.is_integer():
            warnings.append(f"legacy.{name}: annex cell {raw.strip()!r} ({where}) is not a whole number; left out")
            return None
        value = int(value)
    if value < 0:
        warnings.append(f"legacy.{name}: annex cell {raw.strip()!r} ({where}) is negative; left out")
        return None
    if spec.money:
        value, unit = _money(name, value, unit, raw, where, warnings)
        if unit is None and value != 0:
            return None
    return Reading(name, value, raw.strip(), where, unit, "annex")


def _money(name: str, value: float, unit: str | None, raw: str, where: str, warnings: list[str]) -> tuple[float, str | None]:
    if name == "special_budget_wan_yuan" and unit == "元":
        return round(value / 10000, 6), "万元"
    if name == "fee_waivers" and unit == "万元":
        return round(value * 10000, 2), "元"
    if unit not in ("元", "万元") and value != 0:
        warnings.append(f"legacy.{name}: annex amount {raw.strip()!r} ({where}) has no unit; left out")
        return value, None
    return value, unit if unit in ("元", "万元") else None


class _Reader:
    """Reads rows of one annex in order, keeping the group (复议 / 诉讼) and the 否决公开 nesting."""

    def __init__(self, out: AnnexResult, prose: dict[str, Reading]) -> None:
        self.out, self.prose = out, prose
        self.group: str | None = None
        self.state: dict[str, int | str | None] = {}

    def field(self, label: str) -> tuple[str | None, int]:
        core, level = F.label_core(label), F.label_level(label)
        grp = F.match_group(core)
        if grp is not None:
            self.group = grp
        elif level == 1:
            self.group = None
        name = F.match_row(core, self.group)
        if _level_guard(self.state, name, level):
            self.out.warnings.append(f"annex row {label.strip()!r} is a reason under 否决公开, not a reply of its "
                                     f"own: not read as legacy.{name}")
            return None, level
        return name, level

    def put(self, r: Reading | None) -> None:
        if r is None:
            return
        old = self.out.values.get(r.field)
        if old is not None and old.value != r.value:
            self.out.warnings.append(f"legacy.{r.field}: two annex rows disagree ({old.value:g} at {old.where}, "
                                     f"{r.value:g} at {r.where}); left out")
            self.out.values.pop(r.field)
            self.state[f"conflict:{r.field}"] = 1
            return
        if self.state.get(f"conflict:{r.field}"):
            return
        self.out.values[r.field] = r

    def grid_row(self, cells: list[str], lay: Layout, where: str) -> None:
        lo, hi = lay.label or (0, 1)
        label = "".join(dict.fromkeys(c.strip() for c in cells[lo:hi] if c.strip()))
        if not label or label in ("甲", "乙", "丙"):
            return
        name, _ = self.field(label)
        if name is not None:
            self.cells(name, cells, lay, where)

    def spaced_row(self, label: str, unit: str, vals: list[str], lay: Layout | None, where: str) -> None:
        """"主动公开信息数 条 425 1516": columns from the (flattened) header when one was seen."""
        name, _ = self.field(label)
        if name is None:
            return
        spaced = Layout((0, 1), 1, None, None, None, len(vals))
        if lay is not None and lay.value is not None and lay.values is not None:
            code = 1 if lay.code is not None else 0
            if len(vals) == code:
                return  # only the row code: the row is blank
            if len(vals) != lay.values + code:
                self.out.warnings.append(f"legacy.{name}: annex row {where} has {len(vals)} cells for "
                                         f"{lay.values + code} columns; left out")
                return
            spaced.value, spaced.code = 2 + code + lay.value, (2 if code else None)
        self.cells(name, [label, unit, *vals], spaced, where)

    def cells(self, name: str, cells: list[str], lay: Layout, where: str) -> None:
        lo, hi = lay.label or (0, 1)
        unit = re.sub(r"\s+", "", cells[lay.unit]) if lay.unit is not None and lay.unit < len(cells) else None
        if lay.value is not None and lay.value < len(cells):
            self.put(_value_of(name, cells[lay.value], unit or None, where, self.out.warnings))
            return
        nums = [c for i, c in enumerate(cells) if i >= hi and i != lay.unit and i != lay.code and c.strip()
                and not re.fullmatch(r"0\d", c.strip())]  # "05": a row code, never a count
        if len(nums) == 1:
            self.put(_value_of(name, nums[0], unit or None, where, self.out.warnings))
        elif nums:
            self.out.warnings.append(f"legacy.{name}: annex row {where} has {len(nums)} numbers and no header to tell "
                                     "this year's; left out")

    def flat_row(self, line: str, lay: Layout | None, where: str) -> bool:
        t = re.sub(r"\s+", "", line)
        m = _FLAT.match(t)
        if not m:
            return False
        name, _ = self.field(m.group("label"))
        if name is None:
            return F.is_annex_label(F.label_core(m.group("label")))
        digits = m.group("digits")
        if lay is not None and lay.code is not None:
            digits = digits[2:]  # the 定西 form's two-digit row code (01–35) sits before the values
            if not digits:
                return True      # the row's cells are blank
        value = _split(name, digits, lay, self.prose.get(name))
        if value is None:
            self.out.undetermined += 1
            self.out.warnings.append(f"legacy.{name}: flattened annex row {t!r} ({where}) cannot be split into its "
                                     "columns with certainty; left out")
            return True
        self.put(_value_of(name, value, m.group("unit"), where, self.out.warnings))
        return True


def _split(name: str, digits: str, lay: Layout | None, prose: Reading | None) -> str | None:
    """This year's number in a run of digits that lost its column separators, or None when undetermined."""
    if "." in digits:
        return digits if lay is not None and lay.values == 1 else None
    if lay is not None and lay.values == 1:
        return digits
    two = lay is not None and lay.values == 2 and lay.value is not None and lay.cumulative is not None
    if two and lay is not None:
        splits = [(digits[:i], digits[i:]) for i in range(1, len(digits))]
        splits = [(a, b) for a, b in splits if (a == "0" or not a.startswith("0")) and (b == "0" or not b.startswith("0"))]
        if lay.value < lay.cumulative:  # type: ignore[operator]
            pairs = [(a, b) for a, b in splits if int(b) >= int(a)]   # a cumulative never falls below the year
            this = [a for a, _ in pairs]
        else:
            pairs = [(b, a) for a, b in splits if int(a) >= int(b)]
            this = [b for b, _ in pairs]
        if len(digits) == 2 and len(this) == 1:
            return this[0]
        if prose is not None and str(int(prose.value)) in this:
            return str(int(prose.value))
        return None
    if prose is not None and str(int(prose.value)) == digits:
        return digits  # no header: only a number the prose confirms
    return None


def _cells(line: str) -> list[str] | None:
    """The cells of a ``|``- or tab-separated line (None for any other line)."""
    if "|" not in line and "\t" not in line:
        return None
    cells = [c.strip() for c in re.split(r"[|\t]", line)]
    return cells[1:] if cells and not cells[0] else cells


def read_tables(doc: Document, prose: dict[str, Reading]) -> AnnexResult:
    """Every annex in ``doc``: grids first, then text lines (pipes/tabs, spaces, flattened)."""
    out = AnnexResult()
    for bi, b in enumerate(doc.blocks):
        if isinstance(b, Table):
            _read_grid(b, bi, out, prose)
    _read_lines(doc, out, prose)
    return out


def _read_grid(t: Table, bi: int, out: AnnexResult, prose: dict[str, Reading]) -> None:
    lay: Layout | None = None
    reader = _Reader(out, prose)
    hits = 0
    for r, row in enumerate(t.rows):
        cells = ["" if (r, c) in t.copies else text for c, text in enumerate(row)]  # a merged value counts once
        if lay is None:
            lay = _header(row)
            if lay is not None:
                continue
        where = f"{t.where} row {r + 1}".strip()
        if lay is None:
            label = next((c for c in row if c.strip()), "")
            if F.is_annex_label(F.label_core(label)):
                hits += 1
                reader.grid_row(cells, Layout((0, 1), 1 if len(row) > 2 else None, None, None, None, None), where)
            continue
        before = len(out.values)
        reader.grid_row(cells, lay, where)
        hits += len(out.values) > before
    if lay is not None or hits >= 3:
        out.found = True
        out.blocks.add(bi)


def _read_lines(doc: Document, out: AnnexResult, prose: dict[str, Reading]) -> None:
    lay: Layout | None = None
    reader = _Reader(out, prose)
    for bi, b in enumerate(doc.blocks):
        if not isinstance(b, Paragraph):
            continue
        line = b.text.strip()
        if len(line) > 160 or "。" in line or not _MAYBE_ROW.search(line):
            continue  # prose: an annex row is short and ends with a number, a unit, a blank mark or a header word
        line = nfkc(line)
        cells = _cells(line)
        head = _header(cells) if cells else _flat_header(line)
        if head is not None:  # a header starts an annex: "统计指标 | 单位 | 统计数", or its flattened form
            lay, reader = head, _Reader(out, prose)
            out.found = True
            out.blocks.add(bi)
            continue
        if cells:
            if lay is not None and lay.label is not None and F.is_annex_label(F.label_core(
                    "".join(cells[lay.label[0]:lay.label[1]]))):
                reader.grid_row(cells, lay, b.where)
                out.blocks.add(bi)
            continue
        m = _SPACED.match(line)
        if m and F.is_annex_label(F.label_core(m.group("label"))):
            reader.spaced_row(m.group("label"), m.group("unit"), m.group("vals").split(), lay, b.where)
            out.found = True
            out.blocks.add(bi)
            continue
        if reader.flat_row(line, lay, b.where):
            out.found = True
            out.blocks.add(bi)
        elif lay is not None:
            bare = re.sub(rf"(?:{_UNIT_ALT}|[-—–])$", "", re.sub(r"\s+", "", line))
            if F.is_annex_label(F.label_core(bare)):
                reader.field(bare)  # a blank row still opens or closes a group (复议 / 诉讼 / 否决公开)
                out.blocks.add(bi)


__all__ = ["AnnexResult", "read_tables"]
