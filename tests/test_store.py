"""The Parquet dataset: round trip through DuckDB, idempotence, atomicity, crash repair."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from collector.pipeline import SourceContext, process_document
from collector.store.dataset import Dataset
from tests.reportgen import make_record, render_html


def _outcome(seed: int, year: int = 2023, url: str | None = None, fmt: str = "gb2021"):  # type: ignore[no-untyped-def]
    truth = make_record(fmt, year, seed=seed, agency=f"测试{seed}局")
    o = process_document(render_html(truth), SourceContext(source_url=url or f"https://www.example.gov.cn/{seed}.html"))
    assert o.record is not None
    return truth, o


def _q(root: Path, sql: str) -> list[tuple]:
    con = duckdb.connect()
    return con.execute(sql.replace("OUT", str(root))).fetchall()


def test_round_trip_duckdb_same_numbers(tmp_path: Path) -> None:
    outs = [_outcome(s, 2022 + s % 2) for s in range(4)]
    Dataset(tmp_path).write([o for _, o in outs])
    rows = _q(tmp_path, "select agency_name, report_year, s3__new_received__total, s3__results_total__natural_person, "
                        "s2__art20_8__admin_fees__amount_wan_yuan, s4__review__total "
                        "from read_parquet('OUT/reports/**/*.parquet', hive_partitioning=true) order by agency_name")
    assert len(rows) == 4
    for truth, _ in outs:
        row = next(r for r in rows if r[0] == truth["agency_name"])
        assert row[1] == truth["report_year"]
        assert row[2] == truth["s3"]["new_received"]["total"]
        assert row[3] == truth["s3"]["results_total"]["natural_person"]
        assert row[4] == pytest.approx(truth["s2"]["art20_8"]["admin_fees"]["amount_wan_yuan"])
        assert row[5] == truth["s4"]["review"]["total"]
    # long cells table: raw text and location beside every value
    cells = _q(tmp_path, "select field, value, value_raw, location from read_parquet('OUT/cells/**/*.parquet', "
                         "hive_partitioning=true) where field = 's3.new_received.total'")
    assert len(cells) == 4 and all(c[2] == str(int(c[1])) and c[3].startswith("table") for c in cells)
    # a report whose table does not balance: its findings are queryable beside it
    bad = make_record("gb2021", 2023, seed=99, agency="不平衡局")
    bad["s3"]["granted"]["natural_person"] += 1
    o = process_document(render_html(bad), SourceContext(source_url="https://www.example.gov.cn/bad.html"))
    Dataset(tmp_path).write([o])
    found = _q(tmp_path, "select rule, severity, agency_name from read_parquet('OUT/findings/**/*.parquet', "
                         "hive_partitioning=true) where severity = 'error'")
    assert {(2, "error", "不平衡局"), (3, "error", "不平衡局")} <= set(found)
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["report_year=2022", "report_year=2023"]


def test_polars_and_pandas_read_it(tmp_path: Path) -> None:
    import pandas as pd
    import polars as pl

    Dataset(tmp_path).write([_outcome(1)[1]])
    df = pl.read_parquet(str(tmp_path / "reports" / "**" / "*.parquet"), hive_partitioning=True)
    assert df.height == 1 and "s3__new_received__total" in df.columns
    pdf = pd.read_parquet(tmp_path / "reports")
    assert len(pdf) == 1 and int(pdf["report_year"].iloc[0]) == 2023


def test_writing_twice_leaves_one_row(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    _, o = _outcome(7)
    ds.write([o])
    ds.write([o])
    ds.write([o, o])
    for table in ("reports", "documents"):
        assert ds.read(table).num_rows == 1, table
    n_cells = ds.read("cells").num_rows
    ds.write([o])
    assert ds.read("cells").num_rows == n_cells
    assert _q(tmp_path, "select count(*) from read_parquet('OUT/reports/**/*.parquet', hive_partitioning=true)") == [(1,)]


def test_year_change_on_reparse_moves_the_report(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    _, o = _outcome(3, 2022, url="https://www.example.gov.cn/a.html")
    ds.write([o])
    o2 = process_document(render_html(make_record("gb2021", 2023, seed=3, agency="测试3局")),
                          SourceContext(source_url="https://www.example.gov.cn/a.html"))
    ds.write([o2])
    t = ds.read("reports", columns=["report_id", "report_year"]).to_pylist()
    assert [r["report_year"] for r in t] == [2023]
    assert set(ds.read("cells", columns=["report_id"]).column(0).to_pylist()) == {o2.record["report_id"]}


def test_no_partial_files_visible_and_crash_repair(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    _, o = _outcome(5)
    ds.write([o])
    files = list((tmp_path / "reports").rglob("*"))
    assert not [f for f in files if f.name.startswith(".")]  # temp names are gone
    # Simulate a crash after the new file landed but before the old rows were removed.
    part = next((tmp_path / "reports").rglob("part-*.parquet"))
    dup = part.with_name("part-99999999999999999999-crash.parquet")
    dup.write_bytes(part.read_bytes())
    assert pq.read_table(tmp_path / "reports").num_rows == 2
    Dataset(tmp_path)  # opening repairs
    assert Dataset(tmp_path).read("reports").num_rows == 1


def test_unknown_column_is_refused(tmp_path: Path) -> None:
    from collector.errors import StoreError

    with pytest.raises(StoreError, match="unknown column"):
        Dataset(tmp_path).write_rows("documents", [{"source_url": "x", "document_sha256": "y", "bogus": 1}])


def test_compact_keeps_rows(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    for s in range(3):
        ds.write([_outcome(s)[1]])
    before = ds.read("reports").num_rows
    assert ds.compact() > 0
    assert ds.read("reports").num_rows == before == 3
    assert len(list((tmp_path / "reports").rglob("part-*.parquet"))) == 1
