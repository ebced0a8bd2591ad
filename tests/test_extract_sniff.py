"""Content sniffing: the bytes decide, mislabelled files still parse, unknown ones are refused."""

from __future__ import annotations

import random

import pytest

from collector.errors import UnsupportedFormat
from collector.extract import bytes_to_document
from collector.extract.sniff import ole_stream_names, sniff
from tests.extract_truth import all_mismatches, load


@pytest.mark.parametrize(("name", "kind"), [
    ("gb2021.docx", "docx"), ("gb2021.xlsx", "xlsx"), ("gb2021.pdf", "pdf"), ("gb2019.doc", "doc"),
    ("gb2019.xls", "xls"), ("gb2021_scan.png", "image"), ("gb2021_scan.pdf", "pdf"),
])
def test_fixture_kinds(name: str, kind: str) -> None:
    data, _ = load(name)
    assert sniff(data) == kind


@pytest.mark.parametrize("hint", ["doc", "xls", "pdf", "wps", None])
def test_mislabelled_docx_still_parses(hint: str | None) -> None:
    data, truth = load("gb2021.docx")
    doc = bytes_to_document(data, hint=hint)  # a DOCX served as .doc / .xls / .pdf
    assert doc.media_type == "docx" and all_mismatches(doc, truth) == []


def test_ole_container_kind_comes_from_its_streams_not_the_name() -> None:
    doc, _ = load("gb2019.doc")
    xls, _ = load("gb2019.xls")
    assert "WordDocument" in ole_stream_names(doc) and "Workbook" in ole_stream_names(xls)
    assert sniff(xls, "doc") == "xls" and sniff(doc, "xls") == "doc"
    assert sniff(xls, "et") == "et" and sniff(doc, "wps") == "wps"


def test_pdf_with_junk_before_the_header() -> None:
    data, _ = load("gb2021.pdf")
    assert sniff(b"\r\n\xef\xbb\xbf  " + data) == "pdf"


@pytest.mark.parametrize(("data", "kind"), [
    (b"{\\rtf1\\ansi hello}", "doc"),
    (b'<?xml version="1.0"?>\n<?mso-application progid="Word.Document"?><w:wordDocument/>', "doc"),
    (b"BMW \xe5\xb9\xb4\xe5\xba\xa6\xe6\x8a\xa5\xe5\x91\x8a text", "text"),  # text starting "BM" is not a bitmap
    (b"BM" + (1000).to_bytes(4, "little") + bytes(4) + (54).to_bytes(4, "little") + bytes(40), "image"),
    ("政府信息公开工作年度报告".encode("gb18030"), "text"),
    (b"<html><body><table></table></body></html>", "html"),
])
def test_small_formats(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


def test_truncated_docx_is_still_recognised_as_docx() -> None:
    data, _ = load("gb2021.docx")
    assert sniff(data[: len(data) // 3]) == "docx"


def test_unknown_bytes_are_unsupported() -> None:
    junk = random.Random(7).randbytes(5000)
    assert sniff(junk) is None
    with pytest.raises(UnsupportedFormat):
        bytes_to_document(junk)
    with pytest.raises(UnsupportedFormat):
        bytes_to_document(b"PK\x03\x04" + junk)  # a zip that is no OOXML
    with pytest.raises(UnsupportedFormat):
        bytes_to_document(b"")
