"""LibreOffice path: DOC/WPS/ET/XLS conversion, batching, missing soffice, timeouts."""

from __future__ import annotations

import shutil
import time

import pytest

from collector.errors import CorruptFile, NeedsLibreOffice, ResourceLimit
from collector.extract import bytes_to_document, office
from collector.extract.docx import docx_to_document
from tests.extract_truth import all_mismatches, load

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")

EXCEL_2003_XML = b"""<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
<Worksheet ss:Name="S1"><Table>
<Row><Cell ss:MergeAcross="1"><Data ss:Type="String">\xe7\x94\xb3\xe8\xaf\xb7</Data></Cell></Row>
<Row><Cell><Data ss:Type="String">a</Data></Cell><Cell><Data ss:Type="Number">1965</Data></Cell></Row>
</Table></Worksheet></Workbook>"""


@needs_soffice
@pytest.mark.slow
def test_doc_round_trip_holds_the_truth() -> None:
    data, truth = load("gb2019.doc")
    doc = bytes_to_document(data)
    assert (doc.media_type, doc.extractor) == ("doc", "libreoffice+python-docx")
    assert all_mismatches(doc, truth) == []
    assert [t.width for t in doc.tables] == [4, 10, 15]


@needs_soffice
@pytest.mark.slow
def test_wps_hint_and_batch_conversion() -> None:
    data, truth = load("gb2019.doc")
    doc = bytes_to_document(data, hint="wps")  # an OLE Word file named .wps
    assert doc.media_type == "wps" and all_mismatches(doc, truth) == []
    started = time.perf_counter()
    out = office.convert_many([data] * 4 + [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 broken"], "docx")
    per_file = (time.perf_counter() - started) / 5
    assert all(isinstance(x, bytes) for x in out[:4]) and isinstance(out[4], CorruptFile)
    assert all_mismatches(docx_to_document(out[2]), truth) == []
    assert per_file < 2.0, f"batched conversion took {per_file:.2f} s/file"


@needs_soffice
@pytest.mark.slow
def test_xls_that_xlrd_cannot_read_goes_through_libreoffice() -> None:
    doc = bytes_to_document(EXCEL_2003_XML)
    assert (doc.media_type, doc.extractor) == ("xls", "libreoffice+openpyxl")
    assert doc.blocks[0].text == "申请"  # a full-width title row is a paragraph, as in the XLSX path
    assert doc.tables[0].rows == [["a", "1965"]]


@needs_soffice
def test_conversion_timeout_kills_soffice() -> None:
    data, _ = load("gb2019.doc")
    started = time.perf_counter()
    with pytest.raises(ResourceLimit):
        office.convert_one(data, "docx", limits={"soffice_timeout": 0.05, "soffice_timeout_per_file": 0.05})
    assert time.perf_counter() - started < 5


def test_missing_soffice_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "soffice_path", lambda: None)
    data, truth = load("gb2019.doc")
    with pytest.raises(NeedsLibreOffice, match="LibreOffice"):
        bytes_to_document(data)
    docx, truth21 = load("gb2021.docx")
    assert all_mismatches(bytes_to_document(docx), truth21) == []  # everything else still works


def test_ole_without_office_streams_is_corrupt_without_running_soffice() -> None:
    out = office.convert_many([b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000)], "docx")
    assert isinstance(out[0], CorruptFile)


def test_unknown_target_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        office.convert_many([b"x"], "odt")
