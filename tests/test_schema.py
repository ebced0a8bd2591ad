"""One source of truth: the JSON Schema in schemas/ generates the Arrow schemas, and records follow it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pyarrow as pa

from collector.pipeline import SourceContext, process_document
from collector.schema import json_schema, number_fields, reports_schema, to_column
from tests.reportgen import make_record, render_html

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_matches_generator() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_schema.py"), "--check"], capture_output=True)
    assert r.returncode == 0, "schemas/ is stale: run python scripts/build_schema.py"


def test_every_spec_field_is_a_parquet_column_with_the_right_type() -> None:
    arrow = reports_schema()
    fields = number_fields()
    assert len([f for f in fields if f.path.startswith("s3.")]) == 26 * 7
    assert len([f for f in fields if f.path.startswith("s4.")]) == 15
    for f in fields:
        col = arrow.field(to_column(f.path))
        assert col.type == (pa.int64() if f.kind == "integer" else pa.float64()), f.path
    assert arrow.field("s3__new_received__total").type == pa.int64()
    assert arrow.field("s2__art20_8__admin_fees__amount_wan_yuan").type == pa.float64()
    assert arrow.field("published_date").type == pa.date32()
    # every top-level property of the JSON Schema appears in the table (flattened)
    for name in json_schema()["properties"]:
        assert any(c == name or c.startswith(name + "__") or c == f"{name}_json" for c in arrow.names), name


def test_record_validates_against_json_schema() -> None:
    for fmt, year in (("gb2021", 2023), ("gb2019", 2020)):
        o = process_document(render_html(make_record(fmt, year, seed=4)), SourceContext(source_url="https://a.gov.cn/x.html"))
        rec = json.loads(json.dumps(o.record, default=str))
        jsonschema.validate(rec, json_schema())


def test_labels_cover_every_s3_row_of_the_schema() -> None:
    from collector.parse.labels import S3_ROW_ORDER

    rows = {f.path.split(".")[1] for f in number_fields() if f.path.startswith("s3.")}
    assert rows == set(S3_ROW_ORDER)
