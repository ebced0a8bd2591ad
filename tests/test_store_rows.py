"""Record -> ``cells`` rows: the columnar builder the writer uses equals the row-dict definition.

The writer builds a batch's ``cells`` table from columns (issue #13: 50,000 dicts per batch cost the
writing process ~2 ms per report); every row, value, unit and location must be what
:func:`record_to_cell_rows` defines — derived figures and legacy units included.
"""

from __future__ import annotations

import tempfile
from typing import Any

import pyarrow as pa
import pytest

from collector.models import CellValue
from collector.pipeline import SourceContext, process_document
from collector.schema import conform, conform_columns
from collector.store.dataset import Dataset
from collector.store.rows import cell_columns, record_to_cell_rows
from tests.reportgen import make_record, render_html


def _outcomes() -> list[Any]:
    outs = []
    for i, (fmt, year) in enumerate([("gb2021", 2023), ("gb2019", 2020), ("gb2021", 2022)]):
        page = render_html(make_record(fmt, year, seed=i, agency=f"测试县第{i}局"))
        o = process_document(page, SourceContext(source_url=f"https://www.example.gov.cn/{i}.html"))
        assert o.record is not None and len(o.cells) > 50
        outs.append(o)
    # a blank 总计 derived from its row, a derived 其他处理 column, and a legacy figure in its own unit
    rec = outs[0].record
    rec["derived_fields"] = ["s3.other_handling.total"]
    rec["derived"] = {"s3.granted.total": 7, "not.a.field": 1}
    outs[0].cells["legacy.requests_received"] = CellValue(12, "12宗", "段落 3", "宗")
    return outs


@pytest.fixture(scope="module")
def schema() -> pa.Schema:
    return Dataset(tempfile.mkdtemp()).specs["cells"].schema


def test_columns_equal_rows(schema: pa.Schema) -> None:
    outs = _outcomes()
    rows = [r for o in outs for r in record_to_cell_rows(o.record, o.cells, "run-1")]
    cols = cell_columns([(o.record, o.cells) for o in outs], "run-1")
    by_rows, by_cols = conform(rows, schema, "cells"), conform_columns(cols, schema, "cells")
    assert by_cols.num_rows == len(rows) > 150
    assert by_cols.equals(by_rows)
    derived = by_cols.filter(pa.compute.field("derived")).column("location").to_pylist()
    assert "derived: blank 总计 = sum of the row" in derived and "derived: sum of the 其他处理 sub-rows" in derived
    legacy = by_cols.filter(pa.compute.equal(by_cols.column("field"), "legacy.requests_received"))
    assert legacy.column("unit").to_pylist() == ["宗"] and legacy.column("value").to_pylist() == [None]


def test_no_cells_and_unknown_columns(schema: pa.Schema) -> None:
    assert conform_columns(cell_columns([], None), schema, "cells").num_rows == 0
    from collector.errors import StoreError

    with pytest.raises(StoreError, match="unknown column"):
        conform_columns({"report_id": ["a"], "bogus": [1]}, schema, "cells")
