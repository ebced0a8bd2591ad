"""End to end: attachment bytes -> collector.pipeline.process_document -> the truth record.

Every number field of ``<fixture>.truth.json`` must come back in ``Outcome.record``; the
documents row must name the media type and extractor.
"""

from __future__ import annotations

import importlib.util
import shutil

import pytest

from collector.extract import ocr
from tests.extract_truth import flat_numbers, load

HAS_PIPELINE = importlib.util.find_spec("collector.pipeline") is not None
NO_SOFFICE = shutil.which("soffice") is None

CASES = [
    ("gb2021.docx", "docx", "python-docx", None),
    ("gb2019_sliver.docx", "docx", "python-docx", None),
    ("gb2021.pdf", "pdf", "pypdfium2+pdfplumber", None),
    ("gb2021_owner_password.pdf", "pdf", "pypdfium2+pdfplumber", None),
    ("gb2019_noborder.pdf", "pdf", "pypdfium2+pdfplumber", None),
    ("gb2021.xlsx", "xlsx", "openpyxl", None),
    ("gb2019.xls", "xls", "xlrd", None),
    ("gb2019.doc", "doc", "libreoffice+python-docx", "soffice"),
    ("gb2021_scan.pdf", "pdf", "rapidocr", "ocr"),
    ("gb2021_scan.png", "image", "rapidocr", "ocr"),
]


def _params():  # noqa: ANN202
    for name, media, extractor, needs in CASES:
        marks = [pytest.mark.skipif(not HAS_PIPELINE, reason="collector.pipeline is not there yet")]
        if needs == "soffice":
            marks += [pytest.mark.skipif(NO_SOFFICE, reason="LibreOffice (soffice) is not installed"),
                      pytest.mark.slow]
        if needs == "ocr":
            marks += [pytest.mark.skipif(not ocr.ocr_available(), reason="the [ocr] extra is not installed"),
                      pytest.mark.slow]
        yield pytest.param(name, media, extractor, marks=marks, id=name)


@pytest.mark.parametrize(("name", "media", "extractor"), list(_params()))
def test_attachment_to_record(name: str, media: str, extractor: str) -> None:
    from collector.pipeline import SourceContext, process_document

    data, truth = load(name)
    out = process_document(data, SourceContext(source_url=f"https://www.example.gov.cn/xxgk/{name}"))
    assert out.document["status"] == "parsed", out.document["error"]
    assert (out.document["media_type"], out.document["extractor"]) == (media, extractor)
    assert out.record is not None
    assert out.record["format_version"] == truth["format_version"]
    assert out.record["report_year"] == truth["report_year"]
    got = flat_numbers(out.record)
    expected = flat_numbers(truth)
    wrong = {k: (v, got.get(k)) for k, v in expected.items() if got.get(k) != v}
    assert wrong == {}, f"{len(wrong)} of {len(expected)} fields differ"
    assert len(expected) > 150


@pytest.mark.skipif(not HAS_PIPELINE, reason="collector.pipeline is not there yet")
def test_unreadable_attachment_is_a_recorded_failure() -> None:
    from collector.pipeline import SourceContext, process_document

    data, _ = load("gb2021.pdf")
    out = process_document(data[:5000], SourceContext(source_url="https://www.example.gov.cn/x.pdf"))
    assert out.record is None and out.document["status"] == "failed"
    assert out.document["error_code"] == "corrupt"
