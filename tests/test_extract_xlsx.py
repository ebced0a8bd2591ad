"""Spreadsheet extractors: merged ranges, paragraphs split out of the sheet, XLS via xlrd."""

from __future__ import annotations

import io

import pytest

from collector.errors import ResourceLimit
from collector.extract import bytes_to_document
from collector.extract.limits import ExtractLimits
from collector.extract.xlsx import cell_text, sheet_blocks, xlsx_to_document
from collector.models import Paragraph, Table
from collector.sim.layout import record_to_layout
from tests.extract_truth import all_mismatches, load


@pytest.mark.parametrize(("name", "extractor"), [("gb2021.xlsx", "openpyxl"), ("gb2019.xls", "xlrd")])
def test_spreadsheet_tables_hold_the_truth(name: str, extractor: str) -> None:
    data, truth = load(name)
    doc = bytes_to_document(data)
    assert (doc.media_type, doc.extractor) == (name.rsplit(".", 1)[1], extractor)
    assert all_mismatches(doc, truth) == []


def test_sheet_splits_into_paragraphs_and_layout_tables() -> None:
    data, truth = load("gb2021.xlsx")
    doc = xlsx_to_document(data)
    lay = record_to_layout(truth)
    expected = [b.to_table() for b in lay.blocks if not isinstance(b, str)]
    assert [t.rows for t in doc.tables] == [t.rows for t in expected]
    assert [t.copies for t in doc.tables] == [t.copies for t in expected]
    assert all(t.where.startswith("sheet 年度报告") for t in doc.tables)
    heads = [b.text for b in doc.blocks if isinstance(b, Paragraph) and b.text[1:2] == "、"]
    assert heads[:3] == ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"]


def test_cell_text_formats_numbers_like_the_sheet() -> None:
    assert cell_text(12.0) == "12" and cell_text(35.6) == "35.6" and cell_text(2, "+0;-0;0") == "+2"
    assert cell_text(-1, "+0;-0;0") == "-1"


def test_merged_range_over_the_cell_cap_is_refused() -> None:
    with pytest.raises(ResourceLimit):
        sheet_blocks({(0, 0): "x", (0, 1): "y"}, [(0, 0, 100_000, 100)], "s", ExtractLimits(max_cells=1000))


def test_sheet_cell_cap() -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.cell(row=5000, column=50, value=1)
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ResourceLimit):
        xlsx_to_document(buf.getvalue(), limits={"max_cells": 10_000})


def test_blocks_are_tables_or_paragraphs() -> None:
    data, _ = load("gb2019.xls")
    assert all(isinstance(b, Table | Paragraph) for b in bytes_to_document(data).blocks)
