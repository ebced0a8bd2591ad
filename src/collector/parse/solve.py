"""Choose among the few possible readings of a row with the template's own arithmetic (pure).

A text layer that dropped a blank cell ("3 0 0 0 3" for seven columns), glued two numbers
("50 2" read as "502"), or a row printed twice with different values leaves a row with more
than one possible reading. The table's sums (rules 1–3 for 三, rule 5 for 四) are written into
the template itself, so a reading is kept when it is **the only one** under which every sum
involving the row holds. Anything else — no reading fits (the source's own totals may be
wrong), several fit, too many to enumerate, a sum that touches a row that was not read — leaves
the row blank with a warning. A number is never invented and a source's total never "fixed":
every candidate consists of the printed digits, in the printed order.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from collector.parse.assemble import Reading, fit
from collector.parse.normalize import parse_value

MAX_MISSING = 2        # at most this many cells lost (or glued) per row
MAX_JOINS = 3          # at most this many numbers broken over lines per row
MAX_COMBINATIONS = 20_000
_DIGITS = re.compile(r"^\d{2,}$")

Values = tuple[float | int | None, ...]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One way to read a row: raw cell text per column ('' for a blank) and where it was read."""

    raw: tuple[str, ...]
    where: str
    note: str = ""  # how it was derived from the printed text ("blank inserted", "'502' split")

    @property
    def values(self) -> Values:
        return tuple(parse_value(r).value for r in self.raw)

    @property
    def changed(self) -> tuple[int, ...]:
        """Cells not printed as read (a blank put back, digits split, joined or put back). Only a
        :class:`~collector.parse.rows.CellText` can be ``made``: a plain str is skipped unasked."""
        return tuple([i for i, r in enumerate(self.raw) if type(r) is not str and getattr(r, "made", False)])


def _splits(token: str) -> Iterator[tuple[str, str]]:
    """Ways a glued token ("502") was two cells: ("50", "2"), ("5", "02") is not (a leading 0)."""
    if not _DIGITS.match(token):
        return
    for i in range(1, len(token)):
        a, b = token[:i], token[i:]
        if (len(b) > 1 and b[0] == "0") or (len(a) > 1 and a[0] == "0"):
            continue
        yield a, b


def _like(src: str, text: str) -> str:
    """``text`` made from the printed ``src`` (marked ``made``), keeping its grid column and OCR
    confidence (see :class:`~collector.parse.rows.CellText`)."""
    from collector.parse.rows import CellText

    out = CellText(text)
    out.col, out.conf = getattr(src, "col", None), getattr(src, "conf", None)
    out.made = True
    return out


def _printable(token: str) -> bool:
    """Could this token be one cell as printed? "00" or "012" cannot: no count has a leading zero."""
    t = token.strip()
    return not (len(t) > 1 and t.isdigit() and t[0] == "0")


def _expand(tokens: tuple[str, ...], missing: int) -> Iterator[tuple[tuple[str, ...], str]]:
    """Sequences of ``len(tokens) + missing`` cells: blanks inserted and/or glued tokens split."""
    if missing == 0:
        if all(_printable(t) for t in tokens):
            yield tokens, ""
        return
    seen: set[tuple[str, ...]] = set()
    for i in range(len(tokens) + 1):
        out = (*tokens[:i], _like("", ""), *tokens[i:])
        for seq, how in _expand(out, missing - 1):
            if seq not in seen:
                seen.add(seq)
                yield seq, "; ".join(x for x in ("blank inserted", how) if x)
    for i, t in enumerate(tokens):
        for a, b in _splits(t.strip()):
            out = (*tokens[:i], _like(t, a), _like(t, b), *tokens[i + 1 :])
            for seq, how in _expand(out, missing - 1):
                if seq not in seen:
                    seen.add(seq)
                    yield seq, "; ".join(x for x in (f"{t!r} split", how) if x)


def candidates(readings: Sequence[Reading], width: int) -> list[Candidate]:
    """Every distinct reading of a row of ``width`` cells, from all its printings.

    A printing with all ``width`` cells (or the grid's known columns) is taken as printed; only
    when no printing is complete are the others expanded: cells lost or glued (at most
    :data:`MAX_MISSING`), numbers broken over lines (tokens joined, wrapped digits put back on the
    number they end).
    """
    whole: list[Candidate] = []
    other: list[Reading] = []
    for r in readings:
        vals = list(r.values)
        if r.exact:
            whole.append(Candidate(tuple(vals[:width]) + ("",) * (width - len(vals)), r.where))
            continue
        if len(vals) == 2 * width and vals[:width] == vals[width:] and not r.tail:
            vals = vals[:width]
        fitted = fit(vals, width) if not r.tail else None
        if fitted is not None and all(_printable(t) for t in fitted):
            whole.append(Candidate(tuple(fitted), r.where))
        else:
            other.append(r)
    if len(whole) == 1:
        return whole  # one printing, taken as printed (what _fullest(_distinct(...)) returns for it)
    out = _fullest(_distinct(whole))
    if out:
        return out
    expanded: list[Candidate] = []
    for r in other:
        for seq, how in _reshape(tuple(r.values), width):
            for full, how2 in _attach(seq, tuple(r.tail)):
                expanded.append(Candidate(full, r.where, "; ".join(x for x in (how, how2) if x)))
    return _distinct(expanded)


def _reshape(tokens: tuple[str, ...], width: int) -> Iterator[tuple[tuple[str, ...], str]]:
    """``width`` cells from the printed tokens: as printed, with cells lost or glued (fewer
    tokens), or with numbers broken over lines joined back (more tokens)."""
    n = len(tokens)
    if n <= width:
        if width - n <= MAX_MISSING:
            yield from _expand(tokens, width - n)
        return
    joins = n - width
    if joins > MAX_JOINS:
        return
    gaps = [i for i in range(n - 1) if tokens[i].strip().isdigit() and tokens[i + 1].strip().isdigit()]
    for chosen in itertools.combinations(gaps, joins):
        if any(b - a == 1 for a, b in itertools.pairwise(chosen)):
            continue  # a number broken into three pieces: not considered
        out: list[str] = []
        for i, t in enumerate(tokens):
            if i - 1 in chosen:
                out[-1] = _like(out[-1], out[-1].strip() + t.strip())
            else:
                out.append(t)
        seq = tuple(out)
        if all(_printable(t) for t in seq):
            yield seq, f"{joins} number(s) broken over lines joined"


def _attach(cells: tuple[str, ...], tail: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """Put wrapped digits back: each tail token ends one number cell, left to right."""
    if not tail:
        yield cells, ""
        return
    slots = [i for i, c in enumerate(cells) if c.strip().isdigit()]
    if len(tail) > MAX_JOINS or len(tail) > len(slots):
        return
    for chosen in itertools.combinations(slots, len(tail)):
        out = list(cells)
        for i, t in zip(chosen, tail, strict=True):
            out[i] = _like(out[i], out[i].strip() + t.strip())
        yield tuple(out), "wrapped digits put back"


def _fullest(cands: list[Candidate]) -> list[Candidate]:
    """A row printed twice where one printing lost cells (the copy at a page foot cut short): a
    reading that agrees with another wherever it has a number, and has blanks where the other
    has numbers, is that other printing with cells missing — the printed numbers are kept."""
    def covers(a: Values, b: Values) -> bool:
        return a != b and all(y is None or x == y for x, y in zip(a, b, strict=True))

    values = [c.values for c in cands]  # each parsed once, not once per pair
    kept = [c for c, v in zip(cands, values, strict=True) if not any(covers(o, v) for o in values)]
    if len(kept) == 1 and len(cands) > 1:
        c = kept[0]
        return [Candidate(c.raw, c.where, f"the fullest of {len(cands)} printings of the row")]
    return kept


def _distinct(cands: list[Candidate]) -> list[Candidate]:
    out: dict[Values, Candidate] = {}
    for c in cands:
        out.setdefault(c.values, c)
    return list(out.values())


# ------------------------------------------------------------------------------------ 三

def _total_or_sum(v: Values) -> float | int | None:
    """A row's 总计, or — when blank — the sum of its filled cells (as validation derives it)."""
    if v[-1] is not None:
        return v[-1]
    parts = [x for x in v[:-1] if x is not None]
    return sum(parts) if parts else None


def _row_ok(v: Values) -> bool:
    """Rule 3: a filled 总计 equals the sum of the six applicant columns."""
    if v[-1] is None or all(x is None for x in v[:-1]):
        return True
    return v[-1] == sum(x or 0 for x in v[:-1])


def _cell(vals: dict[str, Values], row: str, col: int) -> float | int | None:
    v = vals.get(row)
    if v is None:
        return None
    return _total_or_sum(v) if col == len(v) - 1 else v[col]


def _s3_constraints(result_rows: Sequence[str], width: int) -> list[tuple[str, int, tuple[str, ...]]]:
    out = []
    for col in range(width):
        out.append(("balance", col, ("new_received", "carried_over_in", "results_total", "carried_over_out")))
        out.append(("results", col, ("results_total", *result_rows)))
    return out


def _holds(kind: str, col: int, rows: tuple[str, ...], vals: dict[str, Values]) -> bool:
    """Rules 1 and 2 for one column, with validation's blank handling (blank = 0 once filled)."""
    cells = [_cell(vals, r, col) for r in rows]
    if kind == "balance":
        if all(c is None for c in cells) or (cells[2] is None and cells[3] is None):
            return True
        return (cells[0] or 0) + (cells[1] or 0) == (cells[2] or 0) + (cells[3] or 0)
    total = vals["results_total"][col] if "results_total" in vals else None
    if total is None:
        return True
    return total == sum(c or 0 for c in cells[1:])


@dataclass(slots=True)
class Solution:
    chosen: dict[str, Candidate]
    warnings: list[str]


def solve_rows(options: dict[str, list[Candidate]], *, result_rows: Sequence[str], width: int,
               section: str = "三") -> Solution:
    """Pick each 三 row's reading: the printed one when there is one, else the unique one that
    lets every sum involving the row hold (rules 1–3). Rows with no reading stay unread."""
    chosen: dict[str, Candidate] = {}
    warnings: list[str] = []
    ambiguous: dict[str, list[Candidate]] = {}
    for key, cands in options.items():
        if len(cands) == 1 and not cands[0].changed:
            chosen[key] = cands[0]
        elif cands:
            ambiguous[key] = cands  # several readings, or one that is not the printed text
    if not ambiguous:
        return Solution(chosen, warnings)
    fixed = {k: c.values for k, c in chosen.items()}
    known = set(options) | set(fixed)
    constraints = [c for c in _s3_constraints(result_rows, width)
                   if set(c[2]) & set(ambiguous) and set(c[2]) <= known]
    pruned = {k: [c for c in cands if _row_ok(c.values)] for k, cands in ambiguous.items()}
    # Readings the sums cannot tell apart (a blank or a 0 in the same place) form one class: the
    # search runs over classes, and a row is decided only if its class is one reading.
    classes = {k: _classes(k, cands) for k, cands in pruned.items()}
    keys = sorted(classes)
    total = 1
    for k in keys:
        total *= max(1, len(classes[k]))
    if total > MAX_COMBINATIONS or any(not pruned[k] for k in keys):
        for k in keys:
            warnings.append(_unresolved(section, k, ambiguous[k], "no reading satisfies rule 3" if not pruned[k]
                                        else "too many possible readings"))
        return Solution(chosen, warnings)
    fits: list[tuple[int, ...]] = []
    reps = {k: [members[0] for members in classes[k]] for k in keys}
    for combo in itertools.product(*(range(len(classes[k])) for k in keys)):
        vals = dict(fixed)
        vals.update({k: reps[k][i].values for k, i in zip(keys, combo, strict=True)})
        if all(_holds(kind, col, rows, vals) for kind, col, rows in constraints):
            fits.append(combo)
    for i, k in enumerate(keys):
        picked = {combo[i] for combo in fits}
        members = classes[k][next(iter(picked))] if len(picked) == 1 else []
        if len(members) == 1 and not _checked(k, members[0], constraints):
            warnings.append(_unresolved(section, k, ambiguous[k], "no sum of the table checks the reading"))
            continue
        if len(members) == 1:
            pick = members[0]
            chosen[k] = pick
            warnings.append(f"{section} row {k}: {len(ambiguous[k])} possible readings of the printed values; kept "
                            f"{_show(pick.values)} ({pick.note or 'as printed'}, {pick.where}), the only one under "
                            "which the table's sums (rules 1–3) hold")
        else:
            n = sum(len(classes[k][j]) for j in picked)
            why = "no reading satisfies the table's sums" if not picked else f"{n} readings satisfy the sums"
            warnings.append(_unresolved(section, k, ambiguous[k], why))
    return Solution(chosen, warnings)


_SPECIAL = ("new_received", "carried_over_in", "results_total", "carried_over_out")


def _checked(key: str, cand: Candidate, constraints: list[tuple[str, int, tuple[str, ...]]]) -> bool:
    """Is every cell the reading did not print as read inside a column sum the search checked?"""
    cols = {c for kind, c, rows in constraints if key in rows}
    return all(i in cols for i in cand.changed)


def _classes(key: str, cands: list[Candidate]) -> list[list[Candidate]]:
    """Group a row's readings by what rules 1 and 2 see of them: blank cells count as 0 and a
    blank 总计 as the row's sum; for the four rows of rule 1 which cells are blank matters too."""
    groups: dict[tuple[object, ...], list[Candidate]] = {}
    for c in cands:
        v = c.values
        seen: tuple[object, ...] = tuple(x or 0 for x in v[:-1]) + (_total_or_sum(v) or 0,)
        if key in _SPECIAL:
            seen += tuple(x is None for x in v)
        groups.setdefault(seen, []).append(c)
    return list(groups.values())


def _show(values: Values) -> str:
    return "[" + ", ".join("blank" if v is None else f"{v:g}" for v in values) + "]"


def _unresolved(section: str, key: str, cands: list[Candidate], why: str) -> str:
    sample = " | ".join(_show(c.values) for c in cands[:3]) + (" | …" if len(cands) > 3 else "")
    return (f"{section} row {key}: its values could not be placed unambiguously ({why}; readings: {sample}); "
            "left blank")


# ------------------------------------------------------------------------------------ 四

def block_ok(v: Values) -> bool:
    """Rule 5: a block's 总计 equals 维持 + 纠正 + 其他 + 尚未审结."""
    if v[-1] is None:
        return True
    return v[-1] == sum(x or 0 for x in v[:-1])


def solve_s4(cands: list[Candidate], blocks: int, per_block: int) -> tuple[Candidate | None, list[str]]:
    """四's one row of ``blocks * per_block`` cells: the printed reading, or the unique one that
    satisfies rule 5 in every block."""
    if len(cands) == 1 and not cands[0].changed:
        return cands[0], []
    if not cands:
        return None, []

    def checked(c: Candidate) -> bool:
        """Rule 5 holds in every block, and a block with a cell not printed as read has a 总计."""
        for b in range(blocks):
            v = c.values[b * per_block:(b + 1) * per_block]
            touched = any(b * per_block <= i < (b + 1) * per_block for i in c.changed)
            if not block_ok(v) or (touched and v[-1] is None):
                return False
        return True

    ok = [c for c in cands if checked(c)]
    if len(ok) == 1:
        return ok[0], [f"四: {len(cands)} possible readings of the printed values; kept {_show(ok[0].values)} "
                       f"({ok[0].note or 'as printed'}), the only one under which every block total (rule 5) holds"]
    why = "no reading satisfies rule 5" if not ok else f"{len(ok)} readings satisfy rule 5"
    return None, [_unresolved("四", "s4", cands, why)]
