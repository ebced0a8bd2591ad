"""Legacy (2008–2018) accuracy corpus: real texts with hand-made expectations, and renderings made from them.

Variants (``legacy/<variant>``):

* ``samples`` — the 14 texts of ../shared/samples/legacy with their JSON (skipped when absent); the
  one in-year work report (yingkou) is a ``not_report`` case here and a field-extraction case in
  ``samples-extract`` (parsed with ``assume_report``, as its README asks);
* ``samples-html``, ``samples-traditional``, ``samples-no-title``, ``samples-metadata-table`` — the same
  texts as a report page, in traditional characters (what mirrors serve), without their title, and
  with a 索引号/发布机构 metadata table instead of a title;
* ``real`` — further real legacy reports found while building the reader and labelled by hand
  (``legacy_real/*.json``: only what the text states explicitly), plus the two legacy texts of
  ../shared/samples;
* ``annex-<form>-<rendering>`` — generated reports (``collector.sim.legacy``) with the national 2014
  form, the Fujian form or the Dingxi form as an annex, rendered as HTML, DOCX, XLSX, PDF, text with
  ``|`` cells, and flattened text (cells without separators);
* ``prose-<rendering>`` — generated prose-only reports (zeros in words, multi-field sentences) with the
  spec's look-alike sentences mixed in; ``traps`` — reports made only of look-alikes (nothing to read).

Every case is ``complete=False``: a legacy field not in the expectation must come out null.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import SAMPLES

from bench.accuracy import Case, flatten

HERE = Path(__file__).resolve().parent
SEEDS = range(1, 6)
FORMS = ("national", "fujian", "dingxi")
OFFICE = {"national": ("docx", "xlsx", "pdf"), "fujian": ("docx", "xlsx", "pdf"), "dingxi": ("xlsx",)}


def _flat(legacy: dict[str, Any]) -> dict[str, Any]:
    return flatten({"legacy": legacy}, ("legacy",))


def _meta(exp: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: exp[k] for k in keys if k in exp}


def _page(lines: list[str], title: str | None, head: str = "") -> bytes:
    body = "".join(f"<p>{html.escape(x)}</p>" for x in lines if x.strip())
    t = html.escape(title or "政府信息公开")
    meta = f'<meta name="ArticleTitle" content="{t}">' if title else ""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t}</title>{meta}</head><body>'
            f'<div class="article">{head}<div class="article-content">{body}</div></div></body></html>').encode()


def _title_lines(lines: list[str]) -> int:
    """How many leading lines make up the title (0 when the text has none)."""
    for i, ln in enumerate(lines[:3]):
        if re.search(r"年度报告|年\s*度\s*报\s*告|年报", ln) and len(ln) <= 60:
            return i + 1
    return 0


def _samples() -> Iterator[Case]:
    folder = SAMPLES / "legacy"
    if not folder.is_dir():
        return
    from collector.sim.legacy import to_traditional

    for txt in sorted(folder.glob("*.txt")):
        exp = json.loads(txt.with_suffix(".json").read_text("utf-8"))
        data = txt.read_bytes()
        values = _flat(exp["legacy"])
        meta = _meta(exp, "format_version", "report_year", "agency_name", "published_date")
        url = exp.get("_source_url")
        if "_doc_type" in exp:
            yield Case("legacy", "samples", txt.stem, data, {}, hint="txt", source_url=url, doc_type="not_report",
                       complete=False)
            yield Case("legacy", "samples-extract", txt.stem, data, values, hint="txt", source_url=url,
                       meta={"report_year": exp["report_year"]}, complete=False, assume_report=True)
            continue
        yield Case("legacy", "samples", txt.stem, data, values, hint="txt", source_url=url, meta=meta, complete=False)
        lines = data.decode("utf-8").split("\n")
        n = _title_lines(lines) if "agency_name" in exp else 0
        title = "".join(x.strip() for x in lines[:n]) or None
        yield Case("legacy", "samples-html", txt.stem, _page(lines[n:], title), values, hint="html", source_url=url,
                   meta=_meta(exp, "format_version", "report_year", "published_date"), complete=False)
        yield Case("legacy", "samples-traditional", txt.stem, to_traditional(data.decode("utf-8")).encode(), values,
                   hint="txt", source_url=url, meta=_meta(exp, "report_year", "published_date"), complete=False)
        if n:
            yield Case("legacy", "samples-no-title", txt.stem, "\n".join(lines[n:]).encode(), values, hint="txt",
                       source_url=url, meta=_meta(exp, "report_year"), complete=False)
        agency = exp.get("agency_name") or ""
        date = exp.get("published_date") or ""
        table = (f'<table class="xxgk-meta"><tr><td>索引号：</td><td>000000000/{exp["report_year"] + 1}-00001</td>'
                 f'<td>发布机构：</td><td>{html.escape(agency)}</td></tr><tr><td>发布日期：</td><td>{date}</td>'
                 f"<td>分类：</td><td>政府信息公开年报</td></tr></table>")
        yield Case("legacy", "samples-metadata-table", txt.stem, _page(lines[n:], None, table), values, hint="html",
                   source_url=url, meta=_meta(exp, "report_year", "agency_name", "published_date"), complete=False)


def _real() -> Iterator[Case]:
    for txt in sorted((HERE / "legacy_real").glob("*.txt")):
        exp = json.loads(txt.with_suffix(".json").read_text("utf-8"))
        yield Case("legacy", "real", txt.stem, txt.read_bytes(), _flat(exp["legacy"]), hint="txt",
                   source_url=exp.get("_source_url"),
                   meta=_meta(exp, "format_version", "report_year", "agency_name", "published_date"), complete=False)
    # the two legacy texts among ../shared/samples, labelled here (only what the excerpt states)
    extra = {"beijing-culture-bureau_2009.txt": ({"legacy.proactive_items_total": 734, "legacy.requests_received": 1,
                                                  "legacy.staff_parttime": 6},
                                                 {"report_year": 2009, "agency_name": "北京市文化局",
                                                  "published_date": "2010-03-10"}),
             "taizhou-jiangsu-city_2017.txt": ({}, {"report_year": 2017, "agency_name": "泰州市人民政府",
                                                    "published_date": "2018-02-28"})}
    for name, (values, meta) in extra.items():
        path = SAMPLES / name
        if path.is_file():
            yield Case("legacy", "real", path.stem, path.read_bytes(), values, hint="txt", meta=meta, complete=False)


def _generated() -> Iterator[Case]:
    from collector.sim.attachments import available_formats, render_attachment
    from collector.sim.legacy import legacy_html, legacy_layout, legacy_text, make_legacy, trap_sentences

    office = available_formats()
    agencies = ("某县水务局", "某市统计局", "某镇人民政府", "某区审计局", "某县农业局")
    for seed in SEEDS:
        agency = agencies[seed % len(agencies)]
        for form in FORMS:
            rep = make_legacy(seed, agency, 2008 + (seed * 3 + len(form)) % 11, form=form, blanks=seed % 3)
            meta = {"report_year": rep.year}
            name = f"{form}-{seed}"
            yield Case("legacy", f"annex-{form}-html", name, legacy_html(rep).encode(), rep.expected("grid"), hint="html",
                       meta={**meta, "agency_name": rep.agency}, complete=False)
            yield Case("legacy", f"annex-{form}-text", name, legacy_text(rep, annex="pipes").encode(),
                       rep.expected("grid"), hint="txt", meta=meta, complete=False)
            yield Case("legacy", f"annex-{form}-flattened", name, legacy_text(rep, annex="flattened").encode(),
                       rep.expected("flattened"), hint="txt", meta=meta, complete=False)
            for fmt in OFFICE[form]:
                if fmt in office and (fmt != "pdf" or seed <= 3):
                    yield Case("legacy", f"annex-{form}-{fmt}", name, render_attachment(legacy_layout(rep), fmt),
                               rep.expected("grid"), hint=fmt, meta=meta, complete=False)
        rep = make_legacy(seed + 100, agency, 2008 + seed * 2)
        meta = {"report_year": rep.year}
        yield Case("legacy", "prose-html", f"prose-{seed}", legacy_html(rep).encode(), rep.expected(), hint="html",
                   meta={**meta, "agency_name": rep.agency, "published_date": rep.published}, complete=False)
        yield Case("legacy", "prose-traditional", f"prose-{seed}", legacy_html(rep, traditional=True).encode(),
                   rep.expected(), hint="html", meta={**meta, "agency_name": rep.agency}, complete=False)
        yield Case("legacy", "prose-no-title", f"prose-{seed}", legacy_html(rep, title=False).encode(), rep.expected(),
                   hint="html", meta=meta, complete=False)
        yield Case("legacy", "prose-metadata-table", f"prose-{seed}", legacy_html(rep, meta_table=True).encode(),
                   rep.expected(), hint="html", meta={**meta, "agency_name": rep.agency}, complete=False)
        traps = "\n".join(trap_sentences(rep.year, seed))
        page = (f"{agency}{rep.year}年政府信息公开工作年度报告\n现公布{agency}{rep.year}年政府信息公开工作年度报告。\n"
                f"一、概述\n{traps}\n二、主动公开政府信息情况\n{traps}\n三、依申请公开政府信息情况\n{traps}\n"
                f"四、政府信息公开收费及减免情况\n{traps}\n五、因政府信息公开申请行政复议、提起行政诉讼的情况\n{traps}\n")
        yield Case("legacy", "traps", f"traps-{seed}", page.encode(), {}, hint="txt", meta=meta, complete=False)


def cases() -> Iterator[Case]:
    yield from _samples()
    yield from _real()
    yield from _generated()
