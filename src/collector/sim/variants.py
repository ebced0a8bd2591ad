"""Layout variants seen on real portals, applied to a known record (its numbers stay the truth).

Each function takes a record or a :class:`~collector.sim.layout.Layout` and returns a changed
copy: notes typed into number cells ("12（其中修订5件）", "5*", "12①"), titles broken across
lines, and hybrid templates (a gb2021 report whose 三 keeps the gb2019 single （六）其他处理
row; a gb2021 二 that still says 规范性文件). The accuracy corpus and the tests render these.
"""

from __future__ import annotations

import copy
import random
import re
from typing import Any

from collector.sim.layout import Layout, LayoutTable, s3_table

NOTE_STYLES = ("（其中修订{k}件）", "（含转办{k}件）", "*", "①", "(含{k}件)", "※")
_INT = re.compile(r"^\d+$")


def with_cell_notes(layout: Layout, rng: random.Random, share: float = 0.15) -> tuple[Layout, int]:
    """Append a note to a share of the positive integer cells; returns the layout and how many.

    A note never changes the number (``12（其中修订5件）`` is 12): the record's truth still holds.
    """
    lay = copy.deepcopy(layout)
    n = 0
    for block in lay.blocks:
        if not isinstance(block, LayoutTable):
            continue
        for row in block.rows:
            for i, (text, rs, cs) in enumerate(row):
                if _INT.match(text) and int(text) > 0 and rng.random() < share:
                    note = rng.choice(NOTE_STYLES).format(k=max(1, int(text) // 2))
                    row[i] = (text + note, rs, cs)
                    n += 1
    return lay, n


def broken_title(layout: Layout, agency: str, year: int, style: str) -> Layout:
    """The title over two lines: ``agency`` | ``year…报告`` (``agency``), or cut inside a word (``cut``)."""
    lay = copy.deepcopy(layout)
    if style == "agency":
        lay.title = f"{agency}\n{year}年政府信息公开工作年度报告"
    elif style == "cut":
        lay.title = f"{agency}{year}年政府信息公开\n工作年度报告"
    elif style == "year-first":
        lay.title = f"{year}年度\n{agency}政府信息公开工作年度报告"
    else:
        raise ValueError(style)
    return lay


def hybrid_single_other_row(rec: dict[str, Any]) -> dict[str, Any]:
    """A gb2021 record whose 三 table keeps the gb2019 single （六）其他处理 row.

    Returns the truth: ``other_handling`` as printed (the sum of the three gb2021 rows), the
    three sub-rows blank because the table does not have them.
    """
    truth = copy.deepcopy(rec)
    s3 = truth["s3"]
    for row in ("other_no_correction", "other_fee_unpaid", "other_other"):
        s3[row] = {c: None for c in s3[row]}
    return truth


def hybrid_layout(layout: Layout, rec: dict[str, Any], *, single_other_row: bool = False,
                  normative_2019_label: bool = False) -> Layout:
    """Apply the hybrid deviations to ``layout`` (drawn from the gb2021 ``rec``)."""
    lay = copy.deepcopy(layout)
    tables = [b for b in lay.blocks if isinstance(b, LayoutTable)]
    if single_other_row:
        s3_index = lay.blocks.index(tables[1])
        lay.blocks[s3_index] = s3_table({**rec, "format_version": "gb2019"})
    if normative_2019_label:
        for row in tables[0].rows:
            for i, (text, rs, cs) in enumerate(row):
                if text == "行政规范性文件":
                    row[i] = ("规范性文件", rs, cs)
    return lay
