"""Legacy (2008–2018) reports with known figures: truth, prose, annex forms, renderings.

The simulator serves them on the Hanweb ``xxgkAnnualReport.jsp`` module (where real 2008–2010
reports live), and the tests and the accuracy bench render the same reports as HTML, text (with
``|`` cells, spaces, or flattened annex rows), DOCX, XLSX and PDF. The prose says each figure the
way real legacy reports do (zeros in words, one sentence for several fields, enumerations) and
mixes in the spec's look-alikes (微信 posts, 办事大厅 applications, 经费, cumulative figures,
another year's figure, phone and article numbers), which a correct reader leaves alone.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, field
from typing import Any

from collector.sim.layout import Layout, LayoutTable
from collector.sim.legacy_forms import FORMS

CN_DIGITS = "○一二三四五六七八九"


def cn_year(y: int) -> str:
    return "".join(CN_DIGITS[int(c)] for c in str(y))


def cn_small(n: int) -> str:
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")) + (CN_DIGITS[ones] if ones else "")


# look-alikes: none of these states a legacy field (spec "Reading rules"); {y} year, {p} previous year
TRAPS: tuple[str, ...] = (
    "{y}年，制作、获取政府信息总数{a}条。",
    "{y}年政务网站、微信、微博共发布各类信息{a}条（含转发）。",
    "政府信息公开专栏网站访问量{a}人次，点击量{b}次。",
    "行政审批服务大厅全年受理各类审批事项{a}件，办结{b}件。",
    "政府信息公开工作经费{c}万元，已列入年度预算。",
    "全年依申请公开政府信息支出{d}元。",
    "本单位到目前累计主动公开政府信息{a}条。",
    "{p}年共主动公开政府信息{b}条。",
    "主动公开政府工作信息、动态{b}多条。",
    "如对本报告有疑问，请联系办公室，咨询电话：0571-8{a}，邮编：31{d}。",
    "根据《中华人民共和国政府信息公开条例》第三十二条的规定编制本报告。",
    "全文电子化率达100%，政务公开满意度达98.5%。",
    "设有{e}个信息申请受理点、{e}个公共查阅点。",
    "{b}个部门和单位的业务人员参加了会议。",
    "全年办理人大代表建议和政协提案{e}件。",
    "全年发生依申请和不予公开政府信息条数{e}条。",
    "未发生与诉讼有关的费用支出。",
    "本局未收到依申请公开信息的咨询。",
    "确定1名分管领导具体负责，1名同志具体负责信息公开业务工作。",
)


def trap_sentences(year: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    vals = {"y": year, "p": year - 1, "a": rng.randint(1200, 9000), "b": rng.randint(30, 900),
            "c": rng.randint(2, 30), "d": rng.randint(100, 900), "e": rng.randint(2, 9)}
    return [t.format(**vals) for t in TRAPS]


@dataclass(slots=True)
class LegacyReport:
    agency: str
    year: int
    title: str
    published: str
    values: dict[str, int | float] = field(default_factory=dict)      # every figure (annex or prose)
    prose: dict[str, int | float] = field(default_factory=dict)       # the figures the prose states
    form: str | None = None
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)   # row field -> (this year, cumulative)
    blanks: set[str] = field(default_factory=set)                     # annex rows left blank
    paragraphs: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)

    def expected(self, rendering: str = "grid") -> dict[str, Any]:
        """``{"legacy.requests_received": 3, ...}`` as a perfect reader of ``rendering`` returns it.

        ``flattened``: a two-column form's row is read only when determined (both numbers single
        digits, or the prose states this year's number) — the spec's rule, applied here independently.
        """
        out: dict[str, Any] = {f"legacy.{k}": v for k, v in self.prose.items()}
        unit = "元" if "fees_collected" in self.prose and self.prose["fees_collected"] and rendering != "no-units" else None
        if self.form is not None and rendering != "no-annex":
            two = self.form in ("fujian", "dingxi")
            for name, (this, cum) in self.cells.items():
                if name.startswith("x:") or name in self.blanks:
                    continue
                if rendering == "flattened" and two and name not in self.prose and not (len(this) == 1 and len(cum) == 1):
                    continue
                out[f"legacy.{name}"] = self.values[name]
                if name == "fees_collected":
                    unit = "万元"
        if unit and "legacy.fees_collected" in out:
            out["legacy.fees_unit"] = unit
        return out

    @property
    def meta(self) -> dict[str, Any]:
        return {"format_version": "legacy", "report_year": self.year, "agency_name": self.agency,
                "published_date": self.published}


def _partition(rng: random.Random, total: int, n: int) -> list[int]:
    cuts = sorted(rng.randint(0, total) for _ in range(n - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def _figures(rng: random.Random, form: str | None) -> dict[str, int | float]:
    v: dict[str, int | float] = {}
    v["proactive_items_total"] = rng.randint(20, 900)
    v["proactive_normative_docs"] = rng.randint(0, min(15, int(v["proactive_items_total"])))
    v["normative_docs_issued"] = rng.randint(v["proactive_normative_docs"], v["proactive_normative_docs"] + 3)
    req = rng.choice([0, 0, 1, 2, 5, rng.randint(3, 60)])
    v["requests_received"] = req
    channels = ("in_person", "fax", "online", "letter") if form in (None, "national") else \
        ("in_person", "fax", "email", "online", "letter", "other")
    for c, n in zip(channels, _partition(rng, req, len(channels)), strict=True):
        v[f"requests_by_channel.{c}"] = n
    v["requests_closed"] = req
    v["replies_total"] = req
    kinds = ("already_public", "granted", "partially_granted", "denied", "not_held", "not_exist", "unclear", "redirect")
    if form in ("fujian", "dingxi"):
        kinds = ("granted", "partially_granted", "denied")
    for k, n in zip(kinds, _partition(rng, req, len(kinds)), strict=True):
        v[f"replies.{k}"] = n
    review = rng.choice([0, 0, 0, 1, 2])
    v["review_total"] = review
    for k, n in zip(("upheld", "corrected", "other"), _partition(rng, review, 3), strict=True):
        v[f"review.{k}"] = n
    lit = rng.choice([0, 0, 0, 1])
    v["litigation_total"] = lit
    for k, n in zip(("upheld_or_dismissed", "corrected", "other"), _partition(rng, lit, 3), strict=True):
        v[f"litigation.{k}"] = n
    v["complaints_total"] = rng.choice([0, 0, 1])
    v["fees_collected"] = rng.choice([0, 0, 0, 35]) if form is None else rng.choice([0, 0, 0.0125]) if form == "national" else 0
    v["consultations"] = rng.randint(0, 400)
    v["staff_fulltime"] = rng.randint(0, 3)
    v["staff_parttime"] = rng.randint(1, 12)
    v["special_budget_wan_yuan"] = rng.choice([0, 1.5, 3, 12.8])
    v["meetings"] = rng.randint(0, 6)
    v["trainings"] = rng.randint(0, 5)
    v["trainees"] = rng.randint(0, 200) if v["trainings"] else 0
    return v


def _say(rng: random.Random, name: str, v: dict[str, int | float], who: str, y: int) -> str | None:
    """One sentence stating ``name`` (None when the field is not said alone)."""
    n = v[name]
    n_s = f"{n:g}"
    zero = n == 0
    options: dict[str, list[str]] = {
        "proactive_items_total": [f"{y}年，{who}主动公开政府信息共{n_s}条。", f"{y}年度共主动公开各类信息{n_s}条，全文电子化率达100%。",
                                  f"{y}年全年主动公开政府信息{n_s}条。", f"据统计，{y}年度共新增主动公开政府信息{n_s}条。"],
        "requests_received": ([f"{y}年，{who}没有收到政府信息公开申请。", "本年度尚未收到政府信息公开申请。",
                               f"{y}年度{who}没有接到群众主动要求公开政府信息的申请。"] if zero else
                              [f"{y}年，{who}共收到政府信息公开申请{n_s}件。", f"全年受理政府信息公开申请{n_s}件，均已按时答复。"]),
        "fees_collected": ([f"{who}未收取任何费用。", f"{y}年度，{who}政府信息公开没有收费。"] if zero
                           else [f"共收取检索、复制费用{n_s}元。"]),
        "consultations": [f"全年共接受群众咨询{n_s}人次。", f"{y}年，{who}共接受公民、法人和其他组织政府信息公开方面的咨询{n_s}人次。"],
        "staff_parttime": [f"配备了{n_s}名兼职工作人员。"],
        "staff_fulltime": [f"现有专职人员{n_s}名。"] if not zero else [],
        "trainings": [f"举办培训{n_s}次。"] if not zero else [],
        "trainees": [f"参加培训{n_s}人次。"] if not zero else [],
        "meetings": [f"召开政府信息公开专题会议{n_s}次。"] if not zero else [],
    }
    choices = options.get(name)
    return rng.choice(choices) if choices else None


def _cases_sentence(rng: random.Random, v: dict[str, int | float], who: str, y: int) -> tuple[str, list[str]]:
    r, lit, c = v["review_total"], v["litigation_total"], v["complaints_total"]
    if r == lit == c == 0:
        return rng.choice([
            (f"{y}年，{who}未发生针对本单位有关政府信息公开事务的行政复议案、行政诉讼案和有关的申诉案。",
             ["review_total", "litigation_total", "complaints_total"]),
            ("全年发生因政府信息公开而被申请行政复议、提起行政诉讼的案件0件。", ["review_total", "litigation_total"]),
            (f"{y}年未发生申请行政复议和提起行政诉讼情况。", ["review_total", "litigation_total"]),
        ])
    parts = [f"因政府信息公开被申请行政复议{r:g}件", f"被提起行政诉讼{lit:g}件"]
    return "，".join(parts) + "。", ["review_total", "litigation_total"]


def make_legacy(seed: int, agency: str, year: int, *, form: str | None = None, traps: bool = True,
                prose_share: float = 0.6, blanks: int = 0, figures: bool = True) -> LegacyReport:
    """A legacy report of ``agency`` for ``year``: figures, prose, and an annex ``form`` (national/fujian/dingxi).

    ``figures=False``: narrative and look-alikes only — a report that states no legacy figure."""
    rng = random.Random(seed * 7919 + year)
    month, day = rng.randint(1, 3), rng.randint(5, 28)
    rep = LegacyReport(agency, year, f"{agency}{year}年政府信息公开工作年度报告", f"{year + 1}-{month:02d}-{day:02d}",
                       form=form)
    v = _figures(rng, form)
    who = rng.choice(["我局", "本单位", "本机关"]) if not agency.endswith(("镇", "乡", "街道")) else \
        rng.choice(["我镇", "本单位"])
    if form is not None:
        _header, rows = FORMS[form]
        for _label, _unit, name in rows:
            if name is None:
                continue
            if name.startswith("x:"):
                this = rng.randint(0, 40)
                if name == "x:denied_not_exist":  # the reasons under 否决 add up to it
                    this = v["replies.denied"]
                elif name.startswith(("x:denied", "x:exempt")):
                    this = 0
                v[name] = this
            this_s = f"{v[name]:g}"
            cum = v[name] + rng.choice([0, rng.randint(0, 9), rng.randint(10, 2000)])
            rep.cells[name] = (this_s, f"{cum:g}")
        fields = [n for n in rep.cells if not n.startswith("x:")]
        rep.blanks = set(rng.sample(fields, k=min(blanks, len(fields))))
    rep.values = v
    said = ["proactive_items_total", "requests_received", "fees_collected", "consultations", "staff_parttime",
            "staff_fulltime", "trainings", "trainees", "meetings"]
    if not figures:
        said, form = [], None
        rep.form, rep.cells = None, {}
    if form is not None:
        said = [n for n in said if rng.random() < prose_share and not (n == "fees_collected" and v[n])]
        said = [n for n in said if n not in rep.cells or n in ("proactive_items_total", "requests_received")
                or rng.random() < 0.5]
    trap = trap_sentences(year, seed) if traps else []
    rng.shuffle(trap)
    paras = [f"根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求，现公布{agency}{year}年政府信息公开工作年度报告。"
             f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。", "一、概述"]
    sections: dict[str, list[str]] = {"概述": [], "主动": [], "依申请": [], "咨询": [], "收费": [], "复议": []}
    home = {"proactive_items_total": "主动", "requests_received": "依申请", "fees_collected": "收费",
            "consultations": "咨询", "staff_parttime": "概述", "staff_fulltime": "概述", "trainings": "概述",
            "trainees": "概述", "meetings": "概述"}
    for name in said:
        s = _say(rng, name, v, who, year)
        if s is not None:
            sections[home[name]].append(s)
            rep.prose[name] = v[name]
    if figures and (form is None or rng.random() < 0.7):
        s, names = _cases_sentence(rng, v, who, year)
        sections["复议"].append(s)
        rep.prose.update({n: v[n] for n in names})
    for i, t in enumerate(trap):
        sections[("概述", "主动", "依申请", "咨询", "收费", "复议")[i % 6]].append(t)
    titles = {"概述": None, "主动": "二、主动公开政府信息情况", "依申请": "三、依申请公开政府信息情况",
              "咨询": "四、政府信息公开咨询情况", "收费": "五、政府信息公开收费及减免情况",
              "复议": "六、因政府信息公开申请行政复议、提起行政诉讼的情况"}
    for key, body in sections.items():
        if titles[key]:
            paras.append(titles[key])
        paras.append("".join(body) or "无其他需要说明的情况。")
    paras += ["七、政府信息公开工作存在的主要问题和改进措施",
              "政府信息公开工作仍存在公开内容不够全面、更新不够及时等问题。下一步将加强培训，规范工作流程。"]
    rep.paragraphs = paras
    sig_date = f"{cn_year(year + 1)}年{cn_small(month)}月{cn_small(day)}日" if rng.random() < 0.5 else \
        f"{year + 1}年{month}月{day}日"
    rep.signature = [agency, sig_date]
    return rep


def annex_table(rep: LegacyReport) -> LayoutTable:
    header, rows = FORMS[rep.form or "national"]
    out: list[list[tuple[str, int, int]]] = [[(h, 1, 1) for h in header]]
    if rep.form == "dingxi":
        out.append([("甲", 1, 1), ("乙", 1, 1), ("丙", 1, 1), ("1", 1, 1), ("2", 1, 1)])
    for i, (label, unit, name) in enumerate(rows):
        this, cum = rep.cells.get(name, ("", "")) if name else ("", "")
        if name in rep.blanks:
            this, cum = "", ""
        cells = [label, unit]
        if rep.form == "dingxi":
            cells.append(f"{i + 1:02d}")
        cells.append(this)
        if rep.form in ("fujian", "dingxi"):
            cells.append(cum)
        out.append([(c, 1, 1) for c in cells])
    return LayoutTable(out, caption=f"{rep.agency}{rep.year}年政府信息公开情况统计表")


def legacy_layout(rep: LegacyReport, *, title: bool = True, annex: bool = True) -> Layout:
    blocks: list[str | LayoutTable] = list(rep.paragraphs)
    if annex and rep.form:
        blocks += [f"附表：{rep.agency}{rep.year}年政府信息公开情况统计表", annex_table(rep)]
    return Layout(rep.title if title else "", blocks, list(rep.signature))


def annex_lines(rep: LegacyReport, style: str) -> list[str]:
    """The annex as text: ``pipes`` ("a | b | c"), ``spaced`` ("a 条 12 30") or ``flattened`` (separators lost)."""
    table = annex_table(rep)
    lines = []
    for row in table.rows:
        cells = [t for t, _, _ in row]
        if style == "pipes":
            lines.append(" | ".join(cells))
        elif style == "spaced":
            lines.append(" ".join(c for c in cells if c))
        else:
            lines.append("".join(cells))
    return lines


def legacy_text(rep: LegacyReport, *, annex: str | None = "pipes", title: bool = True) -> str:
    lines = [rep.title] if title else []
    lines += [f"发布时间：{rep.published}", *rep.paragraphs]
    if rep.form and annex:
        lines.append(f"附表：{rep.agency}{rep.year}年政府信息公开情况统计表")
        lines += annex_lines(rep, annex)
    lines += rep.signature
    return "\n".join(lines) + "\n"


def legacy_html(rep: LegacyReport, *, title: bool = True, meta_table: bool = False, annex: bool = True,
                traditional: bool = False) -> str:
    """A report page: article HTML with the title heading (or a 索引号 metadata table instead of it)."""
    from collector.sim.render_html import layout_to_html

    body = layout_to_html(legacy_layout(rep, title=False, annex=annex), seed=rep.year, blank="")
    head = ""
    if meta_table:
        head = (f'<table class="xxgk-meta"><tr><td>索引号：</td><td>000000000/{rep.year + 1}-00012</td>'
                f'<td>发布机构：</td><td>{html.escape(rep.agency)}</td></tr><tr><td>发布日期：</td>'
                f"<td>{rep.published}</td><td>分类：</td><td>政府信息公开年报</td></tr></table>")
    elif title:
        head = f'<h1 class="title">{html.escape(rep.title)}</h1><p class="info">发布时间：{rep.published}</p>'
    metas = f'<meta name="ArticleTitle" content="{html.escape(rep.title)}">' if title and not meta_table else ""
    page_title = html.escape(rep.title) if title else "政府信息公开"
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{page_title}</title>{metas}</head>'
            f'<body><div class="article">{head}<div class="article-content">{body}</div></div></body></html>')
    if traditional:
        page = to_traditional(page)
    return page


def to_traditional(text: str) -> str:
    """What mirror sites do to a page: simplified -> traditional characters."""
    import opencc

    return opencc.OpenCC("s2t").convert(text)


__all__ = ["LegacyReport", "TRAPS", "annex_lines", "annex_table", "cn_year", "legacy_html", "legacy_layout",
           "legacy_text", "make_legacy", "to_traditional", "trap_sentences"]


# ---- the simulator's legacy reports ---------------------------------------------------------------------

LEGACY_YEARS = tuple(range(2008, 2019))
# annex form per report year (None: prose only), as they appear on real portals: provincial forms
# before 2014, the national form from 2014 on, many years with no annex at all
SIM_FORMS = {2009: "fujian", 2011: "fujian", 2013: "dingxi", 2014: "national", 2015: "national", 2016: "national",
             2017: "national"}
TEXT_ONLY_YEAR = 2012  # a report that states no figure at all (text_only)
ATTACHED_YEAR = 2016   # the annex is an attached spreadsheet (附表.xlsx), not part of the page


def truth_record(rep: LegacyReport, region: dict[str, Any], rendering: str = "grid") -> dict[str, Any]:
    """The record a perfect parser returns: every legacy field (null where the report is silent)."""
    from collector.schema import number_fields

    exp = rep.expected(rendering)
    legacy: dict[str, Any] = {}
    for f in number_fields():
        if f.path.startswith("legacy."):
            node = legacy
            parts = f.path.split(".")[1:]
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            node[parts[-1]] = exp.get(f.path)
    legacy["fees_unit"] = exp.get("legacy.fees_unit")
    return {"format_version": "legacy", "report_year": rep.year, "agency_name": rep.agency, "region": dict(region),
            "published_date": rep.published, "title": rep.title, "legacy": legacy}


def sim_legacy_reports(seed: int, agency: str, region: dict[str, Any], portal_id: str,
                       formats: set[str] | frozenset[str] = frozenset()) -> list[Any]:
    """SimReports of one government's legacy years (pages of the Hanweb 信息公开 annual module).

    With ``xlsx`` in ``formats`` the 2016 annex is an attached spreadsheet (else it is in the page)."""
    from collector.sim.render_html import layout_to_html
    from collector.sim.truth import Agency, SimReport

    out = []
    for year in LEGACY_YEARS:
        rep = make_legacy(seed, agency, year, form=SIM_FORMS.get(year), blanks=year % 2, figures=year != TEXT_ONLY_YEAR)
        attached = year == ATTACHED_YEAR and "xlsx" in formats
        body = layout_to_html(legacy_layout(rep, title=False, annex=not attached), seed=seed + year, blank="")
        style: dict[str, Any] = {"body_html": body}
        if attached:
            from collector.sim.attachments import render_attachment

            sheet = Layout(f"{agency}{year}年政府信息公开情况统计表", [annex_table(rep)])
            style["annex_file"] = ("xlsx", render_attachment(sheet, "xlsx"))
        sim = SimReport(key=f"{portal_id}-gov-{year}", portal_id=portal_id, agency=Agency(agency, "government", region),
                        record=truth_record(rep, region), title=rep.title, style=style)
        if attached:
            sim.attachment_url = f"/hanweb/picture/0/{year}nb-tjb.xlsx"
        out.append(sim)
    return out
