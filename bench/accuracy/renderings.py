"""Simulated reports (known truth) in every rendering real tools produce.

Records come from :mod:`collector.sim.truth` (consistent under rules 1–5; some with blank cells
and blank totals as real reports leave them), laid out as the official gb2019/gb2021 templates
and rendered as: HTML, DOCX, LibreOffice PDF, that PDF's text layer as ``pdftotext -layout``,
pdfplumber and pypdfium2 read it, markdown as PDF converters write it, tab text with labels
broken across lines and pages (rows and headers repeated at page breaks), DOCX with notes in
number cells, hybrid templates, and XLSX whose only year is in the sheet or file name. Titles
are broken across lines in a share of the cases. LibreOffice output is cached
(``bench/accuracy/cache``); without LibreOffice or pdftotext those variants are skipped.
"""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.reportgen import layout_to_html

from bench.accuracy import Case
from bench.accuracy.cache import cached, cached_conversions
from collector.schema import number_fields
from collector.sim.layout import Layout, record_to_layout
from collector.sim.render_office import layout_to_docx, layout_to_xlsx
from collector.sim.render_text import (
    TEXT_LAYERS,
    document_to_markdown,
    document_to_text,
    glue_numbers,
    layout_to_document,
    pdf_text_layer,
    text_with_breaks,
)
from collector.sim.truth import DEPARTMENTS, TOWNS, Agency, agency_chain
from collector.sim.variants import broken_title, hybrid_layout, hybrid_single_other_row, with_cell_notes

VERSION = "r1"  # bump when a generator changes, so cached LibreOffice output is rebuilt
N_RECORDS = 16
REGION = {"province": "测试省", "city": "测试市", "county": None, "code": None}
TITLE_STYLES = (None, "agency", "cut", "year-first", None, "tight")


@dataclass(slots=True)
class Spec:
    name: str
    record: dict[str, Any]       # the truth
    layout: Layout
    tight_title: bool = False

    @property
    def key(self) -> str:
        """Cache key: the name and a digest of everything drawn (a changed record renders anew)."""
        drawn = repr((self.layout.title, self.layout.blocks, self.layout.signature, self.tight_title))
        return f"{VERSION}/{self.name}/{hashlib.sha256(drawn.encode()).hexdigest()[:16]}"


def _agency(i: int) -> Agency:
    kind = ("government", "department", "township")[i % 3]
    if kind == "government":
        name = ("测试市", "东湖区", "清河县", "白云区", "南山市", "永宁县")[i // 3 % 6] + "人民政府"
    elif kind == "township":
        name = "清河县" + TOWNS[i % len(TOWNS)] + "人民政府"
    else:
        name = "测试市" + DEPARTMENTS[(i * 7) % len(DEPARTMENTS)]
    return Agency(name, kind, dict(REGION))


def _with_blanks(rec: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Zero cells left blank, and some row totals left blank, as many real tables are filled."""
    out = copy.deepcopy(rec)
    for row in out["s3"].values():
        for col, v in row.items():
            if v == 0 and rng.random() < 0.8:
                row[col] = None
        if row.get("total") and rng.random() < 0.25:
            row["total"] = None
    for block in out["s4"].values():
        for col, v in block.items():
            if v == 0 and rng.random() < 0.7:
                block[col] = None
    if out["format_version"] == "gb2021":
        # other_handling is derived from its three rows in gb2021; blanks there change the derivation
        s3 = out["s3"]
        for col in s3["other_handling"]:
            subs = [s3[r][col] for r in ("other_no_correction", "other_fee_unpaid", "other_other")]
            s3["other_handling"][col] = None if all(v is None for v in subs) else sum(v or 0 for v in subs)
    return out


def _has_blanks(rec: dict[str, Any]) -> bool:
    """Does the printed table have blank cells (rows the template does not print excluded)?"""
    hidden = {"other_handling"} if rec["format_version"] == "gb2021" else {
        "other_no_correction", "other_fee_unpaid", "other_other"}
    s3 = [v for k, row in rec["s3"].items() if k not in hidden for v in row.values()]
    s4 = [v for row in rec["s4"].values() for v in row.values()]
    return any(v is None for v in s3 + s4)


def _base_records() -> list[tuple[str, dict[str, Any], int]]:
    out = []
    for i in range(N_RECORDS):
        rng = random.Random(9000 + i)
        chain = agency_chain(rng, _agency(i), "acc")
        rec = (chain[2 + (i % 3)] if i % 2 == 0 else chain[(i // 2) % 2]).record  # 2021-23 / 2019-20
        rec = copy.deepcopy(rec)
        if i % 4 == 3:  # a quarter of the tables leave zero cells blank
            rec = _with_blanks(rec, rng)
        out.append((f"r{i:02d}-{rec['format_version']}-{rec['report_year']}", rec, i))
    return out


def _layout(rec: dict[str, Any], title_style: str | None) -> Layout:
    lay = record_to_layout(rec)
    if title_style in ("agency", "cut", "year-first"):
        lay = broken_title(lay, rec["agency_name"], rec["report_year"], title_style)
    elif title_style == "tight":
        lay = broken_title(lay, rec["agency_name"], rec["report_year"], "agency")
    return lay


def _meta(rec: dict[str, Any]) -> dict[str, Any]:
    return {"format_version": rec["format_version"], "report_year": rec["report_year"],
            "agency_name": rec["agency_name"], "published_date": rec["published_date"]}


def _expected(rec: dict[str, Any]) -> dict[str, Any]:
    """Every number field of the record's format: its value, or None where blank."""
    out: dict[str, Any] = {}
    fmt = rec["format_version"]
    for f in number_fields():
        if f.path.startswith("legacy."):
            continue  # 2008–2018 figures: the legacy suite scores them
        node: Any = rec
        for p in f.path.split("."):
            node = node.get(p) if isinstance(node, dict) else None
        out[f.path] = node if fmt in f.formats or node is not None else None
    return out


def _specs() -> list[Spec]:
    specs = []
    for name, rec, i in _base_records():
        style = TITLE_STYLES[i % len(TITLE_STYLES)]
        specs.append(Spec(name, rec, _layout(rec, style), tight_title=style == "tight"))
    return specs


def _hybrid_specs() -> list[Spec]:
    out = []
    for i in range(4):
        rng = random.Random(7700 + i)
        rec = copy.deepcopy(agency_chain(rng, _agency(i + 1), "hyb")[3 + i % 2].record)
        lay = record_to_layout(rec)
        single, label2019 = i % 2 == 0, i >= 1
        lay = hybrid_layout(lay, rec, single_other_row=single, normative_2019_label=label2019)
        truth = hybrid_single_other_row(rec) if single else rec
        kind = "+".join(k for k, on in (("single-other-row", single), ("规范性文件", label2019)) if on)
        out.append(Spec(f"h{i}-{kind}", truth, lay))
    return out


def cases() -> Iterator[Case]:
    specs = _specs()
    hybrids = _hybrid_specs()
    docx = {s.name: cached(f"{s.key}/docx", "docx",
                           lambda s=s: layout_to_docx(s.layout, intro_paragraphs=2, tight_title=s.tight_title))
            for s in specs + hybrids}
    pdfs = dict(zip([s.name for s in specs + hybrids],
                    cached_conversions([(f"{s.key}/pdf", docx[s.name]) for s in specs + hybrids],
                                       "docx", "pdf"), strict=True))
    for s in specs:
        exp, meta, url = _expected(s.record), _meta(s.record), f"https://www.example.gov.cn/{s.name}"

        def case(variant: str, data: bytes, hint: str, *, s: Spec = s, exp: dict = exp, meta: dict = meta,
                 url: str = url) -> Case:
            return Case("renderings", variant, s.name, data, exp, hint=hint, source_url=f"{url}.{hint}", meta=meta)

        yield case("html", layout_to_html(s.layout, pubdate=s.record["published_date"]), "html")
        yield case("docx", docx[s.name], "docx")
        doc = layout_to_document(s.layout)
        yield case("markdown", document_to_markdown(doc, style="split", seed=len(s.name)).encode(), "md")
        yield case("text-breaks", text_with_breaks(document_to_text(doc), seed=sum(map(ord, s.name))).encode(), "txt")
        lay_notes, _ = with_cell_notes(s.layout, random.Random(s.name))
        notes = cached(f"{s.key}/notes.docx", "docx", lambda lay=lay_notes: layout_to_docx(lay))
        yield case("docx-notes", notes, "docx")
        pdf = pdfs[s.name]
        if pdf is None:
            continue
        yield case("pdf", pdf, "pdf")
        for tool in TEXT_LAYERS:
            try:
                text = cached(f"{s.key}/{tool}", "txt", lambda tool=tool, pdf=pdf: pdf_text_layer(pdf, tool).encode())
            except Exception:  # noqa: BLE001 - a missing tool (pdftotext) skips the variant
                continue
            # a text layer keeps no trace of a blank cell: tables with blanks are their own variant
            yield case(tool + ("+blanks" if _has_blanks(s.record) else ""), text, "txt")
            if tool == "pdftotext-layout" and not _has_blanks(s.record):
                glued = glue_numbers(text.decode(), seed=sum(map(ord, s.name)))
                yield case("pdftotext-layout+glued", glued.encode(), "txt")
    for s in hybrids:
        exp, meta = _expected(s.record), _meta(s.record)
        url = f"https://www.example.gov.cn/{s.name}"
        yield Case("renderings", "hybrid", s.name + ".html", layout_to_html(s.layout), exp, hint="html",
                   source_url=url + ".html", meta=meta)
        pdf = pdfs[s.name]
        if pdf is not None:
            text = cached(f"{s.key}/pdftotext-layout", "txt",
                          lambda pdf=pdf: pdf_text_layer(pdf, "pdftotext-layout").encode())
            yield Case("renderings", "hybrid", s.name + ".txt", text, exp, hint="txt", source_url=url + ".txt",
                       meta=meta)
    yield from _xlsx_cases()


def _xlsx_cases() -> Iterator[Case]:
    """XLSX whose title has no year: the year is only in the sheet name or the file name."""
    for i in range(3):
        rng = random.Random(5100 + i)
        rec = copy.deepcopy(agency_chain(rng, _agency(i), "xls")[2 + i].record)
        lay = record_to_layout(rec)
        lay.title = f"{rec['agency_name']}政府信息公开工作年度报告"
        lay.signature = [rec["agency_name"]]  # no closing date: the year must come from the name
        lay.blocks = [b if not (isinstance(b, str) and str(rec["report_year"]) in b) else "本年度，本机关全面推进政务公开工作。"
                      for b in lay.blocks]
        where = ("sheet", "file", "sheet")[i]
        sheet = f"{rec['report_year']}年度" if where == "sheet" else "年度报告"
        key = hashlib.sha256(repr((lay.title, lay.blocks, lay.signature, sheet)).encode()).hexdigest()[:16]
        data = cached(f"{VERSION}/xlsx{i}/{key}", "xlsx", lambda lay=lay, sheet=sheet: layout_to_xlsx(lay, sheet_title=sheet))
        fname = f"{rec['report_year']}年政府信息公开年报.xlsx" if where == "file" else "nb.xlsx"
        meta = {**_meta(rec), "published_date": None}
        yield Case("renderings", "xlsx-year-in-name", f"x{i}-{where}", data, _expected(rec), hint="xlsx",
                   source_url=f"https://www.example.gov.cn/files/{fname}", meta=meta)
