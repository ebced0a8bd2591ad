"""Flat write cost: the key index finds the files a batch replaces without reading the others,
stays right when another writer adds files or the index is lost, and compaction bounds the files."""

from __future__ import annotations

import copy
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from collector.pipeline import Outcome, SourceContext, process_document
from collector.store import dataset as dataset_mod
from collector.store import keyindex
from collector.store.dataset import Dataset
from collector.store.rows import record_to_cell_rows
from tests.reportgen import make_record, render_html


@pytest.fixture(scope="module")
def template() -> Outcome:
    o = process_document(render_html(make_record("gb2021", 2022, seed=3, agency="测试3局")),
                         SourceContext(source_url="https://t.gov.cn/3.html", portal_id="p"))
    assert o.record is not None
    return o


def _report(t: Outcome, i: int, year: int = 2022, bump: int = 0) -> Outcome:
    url = f"https://p.gov.cn/{i}.html"
    rec = copy.deepcopy(t.record)
    assert rec is not None
    rec.update(report_id=f"{i:032x}", report_year=year, source_url=url, canonical_url=url,
               document_sha256=f"{i + bump:064x}")
    rec["s3"]["new_received"]["total"] = i + bump
    doc = dict(t.document, source_url=url, document_sha256=f"{i + bump:064x}", report_id=rec["report_id"],
               report_year=year)
    return Outcome(rec, doc, None, t.cells)


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    reads: Counter[str] = Counter()
    real = Dataset._read_file

    def counting(self: Dataset, f: Any, columns: list[str] | None = None) -> Any:
        reads[f.rel.split("/", 1)[0]] += 1
        return real(self, f, columns)

    monkeypatch.setattr(Dataset, "_read_file", counting)
    return reads


def test_a_batch_reads_only_the_files_holding_its_keys(tmp_path: Path, template: Outcome,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The store used to read the key columns of every file of every table on every batch."""
    monkeypatch.setattr(keyindex, "FANOUT", 1000)  # no merging here: only the lookups are counted
    for b in range(6):
        Dataset(tmp_path).write([_report(template, b * 10 + i) for i in range(10)])
    reads = _count_reads(monkeypatch)
    Dataset(tmp_path).write([_report(template, 100 + i) for i in range(10)])  # new reports
    assert sum(reads.values()) == 0, reads
    Dataset(tmp_path).write([_report(template, 12, bump=1000)])  # report 12 again: only its batch's files
    expect = Counter({"reports": 2, "cells": 2})  # its file's key columns, then the rewrite
    if template.record and template.record.get("validation"):
        expect["findings"] = 2
    assert reads == expect, reads
    ds = Dataset(tmp_path)
    assert ds.read("reports").num_rows == 70
    got = ds.read("reports", columns=["report_id", "s3__new_received__total"]).to_pylist()
    assert {r["s3__new_received__total"] for r in got if r["report_id"] == f"{12:032x}"} == {1012}


def test_the_index_is_a_cache_another_writer_and_a_lost_index_stay_right(tmp_path: Path, template: Outcome) -> None:
    a = Dataset(tmp_path)
    a.write([_report(template, i) for i in range(5)])
    b = Dataset(tmp_path)  # another worker writes report 7; a's index has never seen its files
    b.write([_report(template, 7)])
    a.write([_report(template, 7, bump=1), _report(template, 2, bump=1)])
    shutil.rmtree(tmp_path / "_store" / "index")  # lost: rebuilt from the files
    Dataset(tmp_path).write([_report(template, 3, bump=2)])
    (tmp_path / "_store" / "index" / "reports" / "report_year=2022.parquet").write_bytes(b"garbage")
    Dataset(tmp_path).write([_report(template, 4, bump=3)])
    ds = Dataset(tmp_path)
    for table, key in (("reports", "report_id"), ("cells", "report_id || field"),
                       ("documents", "source_url || coalesce(document_sha256, '')")):
        tab = ds.read(table)  # noqa: F841 - read by DuckDB
        dup = duckdb.sql(f"select {key} k, count(*) n from tab group by 1 having n > 1").fetchall()
        assert not dup, (table, dup[:3])
    totals = dict(duckdb.sql(f"""select report_id, s3__new_received__total from read_parquet(
        '{tmp_path}/reports/**/*.parquet', hive_partitioning=true)""").fetchall())
    assert totals == {f"{i:032x}": i + {2: 1, 3: 2, 4: 3, 7: 1}.get(i, 0) for i in (0, 1, 2, 3, 4, 7)}


def test_compaction_bounds_the_files_of_a_partition(tmp_path: Path, template: Outcome,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyindex, "FANOUT", 3)
    monkeypatch.setattr(dataset_mod, "merge_candidates", keyindex.merge_candidates)
    for b in range(30):
        Dataset(tmp_path).write([_report(template, b * 2 + i) for i in range(2)])
    files = list((tmp_path / "reports" / "report_year=2022").glob("part-*.parquet"))
    # size-tiered: fewer than FANOUT files per tier (tiers of 2, 6, 18, 54 rows)
    assert len(files) <= 2 * 4, len(files)
    cells = list((tmp_path / "cells" / "report_year=2022").glob("part-*.parquet"))
    assert len(cells) <= 2 * 6, len(cells)
    ids = [r[0] for r in duckdb.sql(f"select report_id from read_parquet('{tmp_path}/reports/**/*.parquet')").fetchall()]
    assert sorted(ids) == sorted(f"{i:032x}" for i in range(60))
    per_report = len(record_to_cell_rows(template.record, template.cells))  # type: ignore[arg-type]
    cells_ids = Counter(Dataset(tmp_path).read("cells", columns=["report_id"]).column(0).to_pylist())
    assert cells_ids == {f"{i:032x}": per_report for i in range(60)}
