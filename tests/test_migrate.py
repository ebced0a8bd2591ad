"""Datasets written under schema 1.x still read (as 2.x), and are rewritten in the 2.x layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from collector.errors import StoreError
from collector.pipeline import SourceContext, process_document
from collector.schema import schema_version, table_specs
from collector.store.dataset import Dataset
from tests.reportgen import make_record, render_html
from tests.v1layout import to_v1, v1_report_columns

TABLES = ("reports", "cells", "findings", "documents")


def _outcomes() -> list[Any]:
    outs = []
    for seed in range(6):
        rec = make_record("gb2021" if seed % 2 else "gb2019", 2020 + seed % 4, seed=seed, agency=f"迁移{seed}局",
                          blanks=0.5)
        for row in ("granted", "new_received"):  # blank totals: derived__s3__*__total are filled
            rec["s3"][row]["total"] = None
        if seed == 3:
            rec["s3"]["granted"]["natural_person"] = (rec["s3"]["granted"]["natural_person"] or 0) + 1  # findings
        outs.append(process_document(render_html(rec), SourceContext(source_url=f"https://m.gov.cn/{seed}.html",
                                                                     portal_id="p1")))
    outs.append(process_document(b"\x00junk" * 100, SourceContext(source_url="https://m.gov.cn/junk.bin")))
    return outs


def _snapshot(ds: Dataset) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for name in TABLES:
        rows = ds.read(name).to_pylist()
        for r in rows:
            r.pop("sections", None)  # 1.x did not store it
            r.pop("processed_at", None)  # a document processed again gets a new time
        out[name] = sorted(rows, key=lambda r: repr(sorted(r.items(), key=lambda kv: kv[0])))
    return out


def _files(root: Path) -> list[Path]:
    return sorted(p for t in TABLES for p in (root / t).rglob("part-*.parquet"))


@pytest.fixture
def v1_root(tmp_path: Path) -> tuple[Path, dict[str, list[dict[str, Any]]]]:
    ds = Dataset(tmp_path)
    ds.write(_outcomes())
    before = _snapshot(ds)
    assert any(r["derived__s3__granted__total"] is not None for r in before["reports"])
    assert before["findings"] and any(d["status"] == "failed" for d in before["documents"])
    assert to_v1(tmp_path) == len(_files(tmp_path))
    return tmp_path, before


def test_the_fixture_really_is_1x(v1_root: tuple[Path, dict]) -> None:
    root, _ = v1_root
    cells = pq.read_schema(next((root / "cells").rglob("*.parquet")))
    assert "where" in cells.names and "column" in cells.names and cells.metadata is None
    reports = pq.read_schema(next((root / "reports").rglob("*.parquet")))
    assert reports.names == v1_report_columns() and "derived_json" in reports.names
    # and 1.x's reserved-word columns are what the issue said: unquoted, DuckDB refuses the query
    with pytest.raises(duckdb.ParserException):
        duckdb.sql(f"select where from read_parquet('{root}/cells/**/*.parquet')")


def test_1x_dataset_reads_as_current_schema(v1_root: tuple[Path, dict]) -> None:
    root, before = v1_root
    ds = Dataset(root, repair=False)
    for name in TABLES:
        t = ds.read(name)
        assert t.schema.names == table_specs()[name].schema.names, name
        assert all(f.metadata and f.metadata.get(b"description") for f in t.schema), name
    assert _snapshot(ds) == before  # renamed columns filled, derived_json spread into derived__* columns
    # filters and column selections work across old files too
    one = ds.read("cells", columns=["location", "value"], filter=pa.compute.field("field") == "s3.granted.natural_person")
    assert one.num_rows == 6 and all(loc for loc in one.column("location").to_pylist())


def test_migrate_rewrites_every_file_in_the_current_layout(v1_root: tuple[Path, dict]) -> None:
    root, before = v1_root
    ds = Dataset(root)
    n_files = len(_files(root))
    assert ds.migrate() == n_files
    for f in _files(root):
        sc = pq.read_schema(f)
        assert sc.metadata[b"xxgk:schema_version"].decode() == schema_version(), f
        assert all(fld.metadata and fld.metadata[b"description"] for fld in sc), f
    assert ds.migrate() == 0
    assert _snapshot(Dataset(root)) == before
    assert (root / "README.md").read_text("utf-8").startswith(f"# xxgk dataset — codebook (schema {schema_version()})")
    rows = duckdb.sql(f"select column_name, location from read_parquet('{root}/cells/**/*.parquet', "
                      "hive_partitioning = true) where field = 's3.granted.natural_person'").fetchall()
    assert len(rows) == 6 and all(c == "s3__granted__natural_person" and loc for c, loc in rows)


def test_writing_into_a_1x_dataset_upgrades_what_it_touches(v1_root: tuple[Path, dict]) -> None:
    root, before = v1_root
    ds = Dataset(root)
    again = _outcomes()[:2]
    ds.write(again)  # the same two reports again: their old rows are removed from the 1.x files
    assert _snapshot(Dataset(root))["reports"] == before["reports"]
    ds.compact()  # merges the new files with the old ones of the same partitions
    years = {o.record["report_year"] for o in again}
    for name in ("reports", "cells"):
        for y in years:
            files = list((root / name / f"report_year={y}").glob("part-*.parquet"))
            assert len(files) == 1, (name, y)
            assert pq.read_schema(files[0]).metadata[b"xxgk:schema_version"].decode() == schema_version()
    assert _snapshot(Dataset(root)) == before


def test_an_unknown_old_column_is_an_error_not_a_silent_drop(v1_root: tuple[Path, dict]) -> None:
    root, _ = v1_root
    f = next((root / "findings").rglob("part-*.parquet"))
    t = pq.read_table(f, partitioning=None)
    pq.write_table(t.append_column("reviewer_note", pa.array(["x"] * t.num_rows)), f)
    with pytest.raises(StoreError, match="reviewer_note"):
        Dataset(root, repair=False).read("findings")
