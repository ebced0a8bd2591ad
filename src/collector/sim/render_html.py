"""Draw a :class:`~collector.sim.layout.Layout` as the HTML real portals carry: pasted from Word.

Real report pages (portals.md §3) wrap every run in ``<span style="font-family:…"><font face=…>``,
put digits in their own ``Times New Roman`` runs, break labels inside cells (``商业<br>企业``),
use ``rowspan``/``colspan`` and write blanks as ``&nbsp;``. The renderer reproduces that from a
seeded style so the parser meets the same noise the crawler will.
"""

from __future__ import annotations

import html
import random
import re

from collector.sim.layout import Layout, LayoutTable

_FONTS = ["仿宋_GB2312", "方正仿宋_GBK", "宋体", "微软雅黑"]
_WRAP_LABELS = {"商业企业": "商业<br/>企业", "科研机构": "科研<br/>机构", "社会公益组织": "社会公益<br/>组织",
                "法律服务机构": "法律服务<br/>机构"}


def _runs(text: str, font: str, split_digits: bool) -> str:
    """Text as Word runs; digits in their own Times New Roman runs when ``split_digits``."""
    if not text:
        return ""
    esc = html.escape(text, quote=False)
    if not split_digits:
        return f'<span style="font-family: {font}; font-size: 16px;">{esc}</span>'
    parts = re.split(r"(\d+(?:\.\d+)?)", esc)
    out = []
    for p in parts:
        if not p:
            continue
        if p[0].isdigit():
            out.append(f'<span style="font-family: \'Times New Roman\';"><font face="Times New Roman">{p}</font></span>')
        else:
            out.append(f'<span style="font-family: {font};"><font face="{font}">{p}</font></span>')
    return "".join(out)


def _cell(text: str, rowspan: int, colspan: int, font: str, blank: str, wrap: bool) -> str:
    attrs = ""
    if rowspan > 1:
        attrs += f' rowspan="{rowspan}"'
    if colspan > 1:
        attrs += f' colspan="{colspan}"'
    if text == "":
        inner = blank
    else:
        inner = _runs(text, font, split_digits=True)
        if wrap and text in _WRAP_LABELS:
            inner = f'<span style="font-family: {font};">{_WRAP_LABELS[text]}</span>'
    return (f'<td{attrs} valign="center" style="border: 1px solid windowtext; padding: 0px 7px;">'
            f'<p class="MsoNormal" align="center" style="text-align:center;">{inner}</p></td>')


def table_to_html(t: LayoutTable, *, font: str = "仿宋_GB2312", blank: str = "&nbsp;", wrap_labels: bool = False) -> str:
    rows = []
    for row in t.rows:
        cells = "".join(_cell(text, rs, cs, font, blank, wrap_labels) for text, rs, cs in row)
        rows.append(f'<tr style="height: 28px;">{cells}</tr>')
    return ('<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" width="600" '
            'style="border-collapse: collapse; border: none;"><tbody>' + "".join(rows) + "</tbody></table>")


def layout_to_html(layout: Layout, *, seed: int = 0, blank: str | None = None, wrap_labels: bool | None = None,
                   include_title: bool = False) -> str:
    """The report body (what sits inside ``.trs_editor_view`` / ``#zoom``), Word-pasted style."""
    rng = random.Random(seed)
    font = rng.choice(_FONTS)
    blank = blank if blank is not None else rng.choice(["&nbsp;", "", "&nbsp;"])
    wrap = rng.random() < 0.4 if wrap_labels is None else wrap_labels
    out = []
    if include_title:
        out.append(f'<p align="center" style="text-align:center;"><b>{_runs(layout.title, "方正小标宋简体", False)}</b></p>')
    for block in layout.blocks:
        if isinstance(block, LayoutTable):
            out.append(table_to_html(block, font=font, blank=blank, wrap_labels=wrap))
        elif re.match(r"^[一二三四五六]、", block):
            out.append(f'<p style="text-indent: 2em;"><strong>{_runs(block, "黑体", False)}</strong></p>')
        else:
            out.append(f'<p style="text-indent: 2em; line-height: 2;">{_runs(block, font, rng.random() < 0.7)}</p>')
    for line in layout.signature:
        out.append(f'<p style="text-align: right;">{_runs(line, font, True)}</p>')
    return "\n".join(out)
