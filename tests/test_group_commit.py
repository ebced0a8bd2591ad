"""Group commit: batches that reach the store while another thread writes go out in one
transaction (one file per partition for all of them), each caller with its own row counts and
its own error (issue #13: a reports file of 345 columns costs ~15 ms to write whatever its rows)."""

from __future__ import annotations

import copy
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from collector.errors import StoreError
from collector.pipeline import Outcome, SourceContext, process_document
from collector.store.dataset import Dataset
from collector.workspace import RunContext, Workspace
from tests.reportgen import make_record, render_html


@pytest.fixture(scope="module")
def template() -> Outcome:
    o = process_document(render_html(make_record("gb2021", 2022, seed=5, agency="测试5局")),
                         SourceContext(source_url="https://t.gov.cn/5.html", portal_id="p"))
    assert o.record is not None and o.cells
    return o


def _report(t: Outcome, i: int) -> Outcome:
    url = f"https://p.gov.cn/{i}.html"
    rec = copy.deepcopy(t.record)
    assert rec is not None
    rec.update(report_id=f"{i:032x}", source_url=url, canonical_url=url, document_sha256=f"{i:064x}")
    doc = dict(t.document, source_url=url, document_sha256=f"{i:064x}", report_id=rec["report_id"])
    return Outcome(rec, doc, None, t.cells)


def _commit_while_busy(ws: Workspace, batches: list[list[Outcome]]) -> list[Any]:
    """Start one committing thread per batch while the store is busy, then let them go."""
    results: list[Any] = [None] * len(batches)

    def run(i: int) -> None:
        try:
            results[i] = ws.commit(batches[i])
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            results[i] = exc

    ws._write_lock.acquire()  # another writer holds the store
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(ws._commit_queue) < len(batches) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(ws._commit_queue) == len(batches), "every batch queued behind the busy writer"
    ws._write_lock.release()
    for t in threads:
        t.join(30)
    return results


def test_waiting_batches_are_written_in_one_transaction(tmp_path: Path, template: Outcome) -> None:
    batches = [[_report(template, 10 * b + i) for i in range(n)] for b, n in enumerate((2, 3, 4))]
    with Workspace(RunContext.build(tmp_path)) as ws:
        results = _commit_while_busy(ws, batches)
    per_report = results[0][0].rows["cells"] // len(batches[0])
    assert per_report > 0
    for batch, (stats, quarantined) in zip(batches, results, strict=True):
        assert quarantined == []
        assert stats.rows["reports"] == len(batch) and stats.rows["documents"] == len(batch)
        assert stats.rows["cells"] == per_report * len(batch)
    # one transaction: one file per table and partition (year 2022), not one per batch
    assert len(list((tmp_path / "reports").rglob("*.parquet"))) == 1
    assert len(list((tmp_path / "cells").rglob("*.parquet"))) == 1
    n = duckdb.sql(f"select count(*) from read_parquet('{tmp_path}/reports/**/*.parquet', hive_partitioning=1)")
    assert n.fetchall() == [(9,)]


def test_counts_match_a_write_of_each_batch_alone(tmp_path: Path, template: Outcome) -> None:
    batches = [[_report(template, 10 * b + i) for i in range(n)] for b, n in enumerate((1, 3))]
    alone = [Dataset(tmp_path / f"alone{b}").write(batch).rows for b, batch in enumerate(batches)]
    with Workspace(RunContext.build(tmp_path / "grouped")) as ws:
        grouped = [r[0].rows for r in _commit_while_busy(ws, batches)]
    assert grouped == alone


def test_the_error_that_lost_a_group_reaches_every_caller(tmp_path: Path, template: Outcome,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def full(self: Dataset, batches: Any) -> Any:
        raise StoreError("No space left on device")

    monkeypatch.setattr(Dataset, "write_batches", full)
    batches = [[_report(template, 100 + b)] for b in range(3)]
    with Workspace(RunContext.build(tmp_path)) as ws:
        results = _commit_while_busy(ws, batches)
        assert ws._commit_queue == []
    assert all(isinstance(r, StoreError) for r in results), results
    assert not list(tmp_path.glob("reports/**/*.parquet"))
