"""Test-side report generation: consistent ground-truth records and HTML/text renderings.

Records satisfy the template's arithmetic (rules 1–3, 5) unless told otherwise, so a parser
that reads every cell right yields a record with no hard findings. Renderings cover the
variety seen on real portals: rowspan/colspan, blanks as ""/"—"/"/"/"无", labels wrapped with
<br>, full- and half-width brackets, traditional characters, GBK, and text as tab- or
pipe-separated lines or one cell per line.
"""

from __future__ import annotations

import html as htmlmod
import random
from typing import Any

from collector.parse.labels import S3_COLUMNS, S3_RESULT_ROWS_2019, S3_RESULT_ROWS_2021, S4_BLOCKS, S4_COLUMNS
from collector.parse.record import empty_numbers
from collector.sim.layout import Layout, LayoutTable, record_to_layout
from collector.sim.truth import flat_numbers


def make_record(fmt: str = "gb2021", year: int = 2023, seed: int = 1, agency: str = "测试市统计局",
                blanks: float = 0.0, big: bool = False) -> dict[str, Any]:
    """A consistent record; ``blanks`` is the share of zero cells to leave blank (null)."""
    rnd = random.Random(seed)
    rec: dict[str, Any] = {"format_version": fmt, "report_year": year, "agency_name": agency,
                           "published_date": f"{year + 1}-01-{rnd.randint(10, 28)}"}
    rec.update(empty_numbers())
    hi = 5000 if big else 40
    result_rows = S3_RESULT_ROWS_2021 if fmt == "gb2021" else S3_RESULT_ROWS_2019
    s3 = rec["s3"]
    for col in S3_COLUMNS[:-1]:
        vals = {r: (rnd.randint(0, hi) if rnd.random() < 0.5 else 0) for r in result_rows}
        carried_in = rnd.randint(0, hi // 4)
        results = sum(vals.values())
        carried_out = rnd.randint(0, hi // 4)
        new = results + carried_out - carried_in
        if new < 0:
            carried_in += new
            new = 0
        for r, v in vals.items():
            s3[r][col] = v
        s3["new_received"][col] = new
        s3["carried_over_in"][col] = carried_in
        s3["results_total"][col] = results
        s3["carried_over_out"][col] = carried_out
    if fmt == "gb2021":
        for col in S3_COLUMNS[:-1]:
            s3["other_handling"][col] = sum(s3[r][col] for r in ("other_no_correction", "other_fee_unpaid", "other_other"))
    for row in s3:
        if any(s3[row][c] is not None for c in S3_COLUMNS[:-1]):
            s3[row]["total"] = sum(s3[row][c] or 0 for c in S3_COLUMNS[:-1])
    for b in S4_BLOCKS:
        parts = [rnd.randint(0, hi // 10) for _ in S4_COLUMNS[:-1]]
        for c, v in zip(S4_COLUMNS[:-1], parts, strict=True):
            rec["s4"][b][c] = v
        rec["s4"][b]["total"] = sum(parts)
    s2 = rec["s2"]
    if fmt == "gb2021":
        for item in ("regulations", "normative_docs"):
            issued, repealed = rnd.randint(0, 30), rnd.randint(0, 10)
            s2["art20_1"][item].update(issued=issued, repealed=repealed, in_force=rnd.randint(repealed, 500))
        s2["art20_5"]["admin_licensing"]["decisions"] = rnd.randint(0, 30000)
        s2["art20_6"]["admin_penalty"]["decisions"] = rnd.randint(0, 900)
        s2["art20_6"]["admin_coercion"]["decisions"] = rnd.randint(0, 90)
        s2["art20_8"]["admin_fees"]["amount_wan_yuan"] = round(rnd.uniform(0, 500), 2)
    else:
        for item in ("regulations", "normative_docs"):
            m = rnd.randint(0, 60)
            s2["art20_1"][item].update(new_made=m, new_published=m, total_published=rnd.randint(m, 900))
        for art, items in (("art20_5", ("admin_licensing", "other_external_services")),
                           ("art20_6", ("admin_penalty", "admin_coercion"))):
            for item in items:
                s2[art][item].update(prev_year_items=rnd.randint(0, 50), change=rnd.randint(-5, 5),
                                     decisions=rnd.randint(0, 5000))
        s2["art20_8"]["admin_fees"].update(prev_year_items=rnd.randint(0, 5), change=rnd.randint(-2, 2))
        s2["art20_9"]["centralized_procurement"].update(project_count=rnd.randint(0, 20),
                                                        total_amount_yuan=rnd.randint(0, 900) * 1000)
    if blanks:
        for row in s3:
            for c in S3_COLUMNS[:-1]:
                if s3[row][c] == 0 and rnd.random() < blanks:
                    s3[row][c] = None
    return rec


numbers_of = flat_numbers


def _paragraphs() -> dict[int, list[str]]:
    return {1: ["本年度，我局认真贯彻落实《中华人民共和国政府信息公开条例》，全年主动公开政府信息120条。"],
            5: ["主要问题是公开内容不够全面。下一步将加强培训。"],
            6: ["本年度未收取信息处理费。"]}


def render_html(rec: dict[str, Any], *, blank: str = "", wrap_labels: bool = False, fullwidth: bool = True,
                charset: str = "utf-8", trs: bool = True, word_noise: bool = False) -> bytes:
    lay = record_to_layout(rec, blank=blank, paragraphs=_paragraphs())
    return layout_to_html(lay, wrap_labels=wrap_labels, fullwidth=fullwidth, charset=charset, trs=trs,
                          word_noise=word_noise, pubdate=rec.get("published_date"))


def layout_to_html(lay: Layout, *, wrap_labels: bool = False, fullwidth: bool = True, charset: str = "utf-8",
                   trs: bool = True, word_noise: bool = False, pubdate: str | None = None) -> bytes:
    def esc(t: str) -> str:
        if not fullwidth:
            t = t.replace("（", "(").replace("）", ")").replace("：", ":")
        s = htmlmod.escape(t)
        if wrap_labels and len(t) > 4 and not t[0].isdigit():
            s = s[: len(s) // 2] + "<br/>" + s[len(s) // 2 :]
        if word_noise and s and s[0].isdigit():
            s = f'<span style="font-family: 宋体"><font face="Times New Roman">{s}</font></span>'
        return s or "&nbsp;"

    parts = []
    for block in lay.blocks:
        if isinstance(block, LayoutTable):
            rows = []
            for row in block.rows:
                tds = []
                for text, rs, cs in row:
                    attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
                    tds.append(f"<td{attrs}><p>{esc(text)}</p></td>")
                rows.append("<tr>" + "".join(tds) + "</tr>")
            parts.append('<table border="1" cellspacing="0">' + "".join(rows) + "</table>")
        else:
            parts.append(f"<p>{esc(block)}</p>")
    sig = "".join(f'<p style="text-align:right">{htmlmod.escape(s)}</p>' for s in lay.signature)
    meta = f'<meta name="ArticleTitle" content="{htmlmod.escape(lay.title)}">' if trs else ""
    if trs and pubdate:
        meta += f'<meta name="PubDate" content="{pubdate} 09:00">'
    body_open = '<div class="trs_editor_view TRS_UEDITOR">' if trs else "<div>"
    doc = (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
           f"{meta}<title>{htmlmod.escape(lay.title)}</title></head><body>"
           f'<div class="nav">首页 &gt; 政府信息公开 &gt; 年报</div><h1>{htmlmod.escape(lay.title)}</h1>'
           f"{body_open}{''.join(parts)}{sig}</div><div class=\"footer\">版权所有</div></body></html>")
    enc = "gb18030" if charset.lower() in ("gbk", "gb2312", "gb18030") else charset
    return doc.encode(enc)


def render_text(rec: dict[str, Any], mode: str = "tabs", blank: str = "") -> bytes:
    """Text layouts: ``tabs`` / ``pipes`` (a row per line) or ``lines`` (one cell per line)."""
    lay = record_to_layout(rec, blank=blank, paragraphs=_paragraphs())
    out = [lay.title]
    for block in lay.blocks:
        if isinstance(block, LayoutTable):
            grid = block.to_table()
            for r, row in enumerate(grid.rows):
                cells = [("" if (r, c) in grid.copies else t) for c, t in enumerate(row)]
                if mode == "lines":
                    out.extend(t for t in cells if t)
                elif mode == "pipes":
                    out.append("| " + " | ".join(cells) + " |")
                else:
                    out.append("\t".join(cells))
        else:
            out.append(block)
    out.extend(lay.signature)
    return "\n".join(out).encode("utf-8")
