"""The real samples of ../shared/samples with hand-made expectations (skipped when absent).

* the Shanghai 2019 article page as published (``html``) and rendered the way mirrors and tools
  pass it on: LibreOffice DOCX and PDF of the page, that PDF's text layer (``pdftotext -layout``,
  pdfplumber, pypdfium2 — ``+blanks``: its table leaves cells blank), and markdown;
* the 伊宁 2023 PDF text layer (``pdf-text-layer``), whose last rows of 三 are lost in the source:
  they are expected blank;
* the openings of four more reports (``text-opening``): what the text holds is expected, every
  number after the cut is expected blank.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.conftest import SAMPLES
from tests.test_samples import (
    SHANGHAI_S2,
    SHANGHAI_S3,
    SHANGHAI_S4,
    YINING_S2,
    YINING_S3,
    YINING_S4,
    _expected,
)

from bench.accuracy import Case
from bench.accuracy.cache import cached, cached_conversions
from collector.sim.render_text import TEXT_LAYERS, document_to_markdown, pdf_text_layer

VERSION = "s1"
ZEROS = (0,) * 7
_ = None

SHANGHAI_META = {"format_version": "gb2019", "report_year": 2019, "agency_name": "上海市人民政府办公厅",
                 "published_date": "2020-01-31"}

# Openings ("the first 1–2 KB of the page text"): transcribed by hand from the files.
OPENINGS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "changchun-veterans-affairs-bureau_2023.txt": (
        {"s2.art20_1.regulations.issued": 0, "s2.art20_1.regulations.repealed": 0,
         "s2.art20_1.regulations.in_force": 0, "s2.art20_1.normative_docs.issued": 0,
         "s2.art20_1.normative_docs.repealed": 0, "s2.art20_1.normative_docs.in_force": 0,
         "s2.art20_5.admin_licensing.decisions": 0, "s2.art20_6.admin_penalty.decisions": 0,
         "s2.art20_6.admin_coercion.decisions": 0, "s2.art20_8.admin_fees.amount_wan_yuan": 0},
        {"new_received": (3, 0, 0, 0, 0, 0, 3), "carried_over_in": ZEROS},
        {"format_version": "gb2021", "report_year": 2023},
    ),
    "wuhai-industry-it-bureau_2020.txt": (
        {"s2.art20_1.regulations.new_made": 0, "s2.art20_1.regulations.new_published": 0,
         "s2.art20_1.regulations.total_published": 0, "s2.art20_1.normative_docs.new_made": 0,
         "s2.art20_1.normative_docs.new_published": 0, "s2.art20_1.normative_docs.total_published": 0,
         "s2.art20_5.admin_licensing.prev_year_items": 1, "s2.art20_5.admin_licensing.change": 0,
         "s2.art20_5.admin_licensing.decisions": 0,
         "s2.art20_5.other_external_services.prev_year_items": 2, "s2.art20_5.other_external_services.change": 2,
         "s2.art20_5.other_external_services.decisions": 114,
         "s2.art20_6.admin_penalty.prev_year_items": 25, "s2.art20_6.admin_penalty.change": -1,
         "s2.art20_6.admin_penalty.decisions": 0,
         "s2.art20_6.admin_coercion.prev_year_items": 0, "s2.art20_6.admin_coercion.change": 0,
         "s2.art20_6.admin_coercion.decisions": 0},
        {},
        {"format_version": "gb2019", "report_year": 2020, "agency_name": "乌海市工业和信息化局"},
    ),
    "jiaxian-xi-town_2022.txt": (
        {}, {},
        {"format_version": "gb2019", "report_year": 2022, "agency_name": "螅镇", "published_date": "2023-01-31"},
    ),
}


def cases() -> Iterator[Case]:
    page = SAMPLES / "shanghai-gov-office-2019.html"
    if not page.is_file():
        return
    url = "https://www.shanghai.gov.cn/nw12344/20200131/0001-12344_62938.html"
    html = page.read_bytes()
    sh = _expected(SHANGHAI_S2, SHANGHAI_S3, SHANGHAI_S4)
    yield Case("samples", "html", page.name, html, sh, hint="html", source_url=url, meta=SHANGHAI_META)
    yield from _shanghai_renderings(html, sh)
    yining = SAMPLES / "yining-amr-2023.pdf.txt"
    if yining.is_file():
        yield Case("samples", "pdf-text-layer", yining.name, yining.read_bytes(), _expected(YINING_S2, YINING_S3, YINING_S4),
                   hint="txt", source_url=str(yining),
                   meta={"format_version": "gb2021", "report_year": 2023, "agency_name": "伊宁市市场监督管理局",
                         "published_date": "2024-01-10"})
    for name, (s2, s3, meta) in OPENINGS.items():
        path = SAMPLES / name
        if path.is_file():
            yield Case("samples", "text-opening", name, path.read_bytes(), _expected(s2, s3, {}), hint="txt",
                       source_url=str(path), meta=meta)
    baiyin = SAMPLES / "baiyin-district-statistics-bureau_2020.txt"
    if baiyin.is_file():  # the opening stops before the tables: metadata only
        yield Case("samples", "text-opening", baiyin.name, baiyin.read_bytes(), {}, hint="txt", source_url=str(baiyin),
                   meta={"report_year": 2020, "agency_name": "白银区统计局", "published_date": "2021-01-06"})


def _shanghai_renderings(html: bytes, expected: dict[str, Any]) -> Iterator[Case]:
    """The page as LibreOffice renders it (DOCX, PDF), the PDF's text layers, and markdown."""
    from collector.extract import bytes_to_document

    name = "shanghai-gov-office-2019"
    meta = dict(SHANGHAI_META)
    doc = bytes_to_document(html, hint="html")
    md = document_to_markdown(doc, style="split", seed=7)
    yield Case("samples", "markdown", f"{name}.md", md.encode(), expected, hint="md", source_url=f"{name}.md", meta=meta)
    docx, pdf = cached_conversions([(f"{VERSION}/{name}/docx", html)], "html", "docx")[0], \
        cached_conversions([(f"{VERSION}/{name}/pdf", html)], "html", "pdf")[0]
    if docx is not None:
        yield Case("samples", "docx", f"{name}.docx", docx, expected, hint="docx", source_url=f"{name}.docx", meta=meta)
    if pdf is None:
        return
    yield Case("samples", "pdf", f"{name}.pdf", pdf, expected, hint="pdf", source_url=f"{name}.pdf", meta=meta)
    for tool in TEXT_LAYERS:
        try:
            text = cached(f"{VERSION}/{name}/{tool}", "txt", lambda tool=tool: pdf_text_layer(pdf, tool).encode())
        except Exception:  # noqa: BLE001 - a missing tool (pdftotext) skips the variant
            continue
        yield Case("samples", f"{tool}+blanks", f"{name}.{tool}.txt", text, expected, hint="txt",
                   source_url=f"{name}.txt", meta=meta)
