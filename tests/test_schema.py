"""One source of truth: the JSON Schema in schemas/ generates the Arrow schemas, and records follow it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from collector.errors import StoreError
from collector.pipeline import SourceContext, process_document
from collector.schema import (
    json_schema,
    number_fields,
    reports_schema,
    schema_version,
    table_specs,
    to_column,
)
from collector.store.dataset import Dataset
from collector.store.rows import record_to_report_row
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


# -- the data dictionary (schema 2.0.0) ----------------------------------------------------------------

TABLES = ("reports", "cells", "findings", "documents")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset with rows in all four tables: clean and broken reports, blank totals, a failed document."""
    root = tmp_path_factory.mktemp("dict")
    outs = []
    for seed, (fmt, year) in enumerate((("gb2021", 2023), ("gb2019", 2020), ("gb2021", 2022))):
        rec = make_record(fmt, year, seed=seed, agency=f"字典{seed}局", blanks=0.4)
        rec["s3"]["granted"]["total"] = None
        if seed == 1:
            rec["s3"]["granted"]["natural_person"] = (rec["s3"]["granted"]["natural_person"] or 0) + 1
        outs.append(process_document(render_html(rec), SourceContext(source_url=f"https://d.gov.cn/{seed}.html")))
    outs.append(process_document(b"not a report at all", SourceContext(source_url="https://d.gov.cn/x.txt")))
    Dataset(root).write(outs)
    return root


def test_every_column_of_every_table_is_documented_in_its_files(dataset: Path) -> None:
    for name in TABLES:
        spec = table_specs()[name]
        files = list((dataset / name).rglob("part-*.parquet"))
        assert files, name
        for f in files:
            schema = pq.read_schema(f)
            assert schema.metadata[b"xxgk:schema_version"].decode() == schema_version()
            for fld in schema:
                meta = fld.metadata or {}
                assert meta.get(b"description", b"").strip() and meta.get(b"label_zh", b"").strip(), (name, fld.name)
            documented = json.loads(pq.read_metadata(f).metadata[b"xxgk:columns"])  # every column, partition too
            assert [c["name"] for c in documented] == spec.schema.names
            assert all(c["description"] and c["label_zh"] for c in documented)
        # what a reader gets back (partition column included) carries the same docs
        read = Dataset(dataset, repair=False).read(name)
        assert all(f.metadata and f.metadata[b"description"] for f in read.schema), name
    numbers = [f for f in reports_schema() if f.name.startswith(("s2__", "s3__", "s4__", "derived__"))]
    assert numbers and all(f.metadata.get(b"unit") for f in numbers)
    assert reports_schema().field("s3__new_received__total").metadata[b"unit"].decode() == "件"


def test_duckdb_reads_the_column_docs_as_the_codebook_says(dataset: Path) -> None:
    from collector.store.codebook import render_readme

    readme = render_readme()
    query = readme.split("-- the column descriptions, from a file's metadata\n", 1)[1].split(";", 1)[0]
    for name in TABLES:
        pattern = f"{name}/*/*.parquet" if table_specs()[name].partition else f"{name}/*.parquet"
        rows = duckdb.sql(query.replace("cells/*/*.parquet", str(dataset / pattern))).fetchall()
        assert [r[0] for r in rows] == table_specs()[name].schema.names, name
        assert all(r[1] and r[3] for r in rows), name


def test_no_column_name_is_an_sql_reserved_word(dataset: Path) -> None:
    reserved = {r[0] for r in duckdb.sql("select keyword_name from duckdb_keywords() "
                                         "where keyword_category = 'reserved'").fetchall()}
    for name in TABLES:
        clash = set(table_specs()[name].schema.names) & reserved
        assert not clash, (name, clash)
    rows = duckdb.sql(f"select field, column_name, location from read_parquet('{dataset}/cells/**/*.parquet', "
                      "hive_partitioning = true) where derived = false limit 3").fetchall()
    assert len(rows) == 3 and all(r[1] == to_column(r[0]) and r[2] for r in rows)


def test_every_reports_column_is_in_the_schema_file() -> None:
    tables = json_schema()["x-tables"]
    names = [c["name"] for c in tables["reports"]["columns"]]
    assert names == reports_schema().names
    assert {"validation__errors", "validation__warnings", "derived__grant_rate", "derived__s3__granted__total",
            "sections"} <= set(names)
    assert "derived_json" not in names
    assert set(tables) == set(TABLES)
    for t in TABLES:
        assert [c["name"] for c in tables[t]["columns"]] == table_specs()[t].schema.names


def test_a_record_field_without_a_column_fails_the_write(tmp_path: Path) -> None:
    o = process_document(render_html(make_record("gb2021", 2023, seed=8)), SourceContext(source_url="https://d.gov.cn/8"))
    row = record_to_report_row(o.record)
    assert set(row) <= set(reports_schema().names)  # a whole record maps to known columns, nothing dropped
    o.record["reviewer"] = "x"
    with pytest.raises(StoreError, match="reviewer"):
        Dataset(tmp_path).write([o])


def test_derived_figures_are_columns_beside_the_read_ones(dataset: Path) -> None:
    rows = duckdb.sql(f"""select s3__granted__total, derived__s3__granted__total, derived__grant_rate,
                                 derived__withheld_total, s3__new_received__total, derived__s3__new_received__total
                          from read_parquet('{dataset}/reports/**/*.parquet', hive_partitioning = true)""").fetchall()
    assert len(rows) == 3
    for granted, derived_granted, rate, withheld, new, derived_new in rows:
        assert granted is None and derived_granted is not None  # blank 总计: read stays null, the sum is derived
        assert (new is None) != (derived_new is None)           # exactly one of the two holds the figure
        assert rate is None or 0 <= rate <= 1
        assert withheld is not None


def test_build_documents_any_block_and_refuses_an_undocumented_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A block added to the catalogue (as the legacy block was) gets documented columns, whatever it leaves out."""
    import importlib.util

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location("build_schema_under_test", ROOT / "scripts" / "build_schema.py")
        assert spec and spec.loader
        bs = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bs)
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    meta = bs._meta

    def with_block() -> dict:
        return {**meta(), "extra": {"type": "object", "x-label-zh": "新增", "description": "extra figures",
                                     "properties": {"requests_received": {"type": ["integer", "null"],
                                                                          "x-label-zh": "收到申请", "x-unit": "件"},
                                                    "replies": {"type": "object", "properties": {
                                                        "granted": {"type": ["integer", "null"]}}}}}}

    monkeypatch.setattr(bs, "_meta", with_block)
    cols = {c["name"]: c for c in bs.build()["x-tables"]["reports"]["columns"]}
    assert cols["extra__requests_received"]["description"] == "extra figures: 收到申请"
    assert cols["extra__requests_received"]["unit"] == "件"
    assert cols["extra__replies__granted"]["description"] and cols["extra__replies__granted"]["label_zh"]
    # the real legacy block (issue #8) is documented column by column too
    assert cols["legacy__requests_by_channel__online"]["description"] == "requests made online"
    assert cols["legacy__requests_by_channel__online"]["label_zh"] == "网络（网上）申请数"
    monkeypatch.setattr(bs, "_meta", lambda: {**meta(), "orphan": {"type": ["string", "null"]}})
    with pytest.raises(SystemExit, match="orphan"):
        bs.build()


def test_readme_codebook_and_xxgk_schema(dataset: Path) -> None:
    from tests.test_cli import xxgk

    readme = (dataset / "README.md").read_text("utf-8")
    for name in TABLES:
        assert f"## {name}" in readme
        for col in table_specs()[name].schema.names:
            assert f"| `{col}` |" in readme, (name, col)
    assert "| 3 | hard | record |" in readme  # the rules, named
    r = xxgk("schema", "--table", "cells", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(doc["tables"]) == ["cells"] and doc["schema_version"] == schema_version()
    assert [c["name"] for c in doc["tables"]["cells"]["columns"]] == table_specs()["cells"].schema.names
    md = xxgk("schema")
    assert md.returncode == 0 and "## documents" in md.stdout and "`location`" in md.stdout
    bad = xxgk("schema", "--table", "nope")
    assert bad.returncode == 2 and "unknown table" in bad.stderr and "Traceback" not in bad.stderr
