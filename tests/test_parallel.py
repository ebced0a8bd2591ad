"""Parse in processes (issue #13): a real process pool over a real raw store.

The pool's outcomes must equal the in-process parse of the same documents, in the same order;
a worker must not import the crawler's or the store's libraries; a document whose raw bytes are
gone comes back as a recorded failure, not an exception. Top-level imports stay light: a worker
imports this module to run :func:`heavy_modules_after_parse`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from collector.parallel import ParsePool, pack, parse_group, unpack

# pyarrow (not its dataset module) comes with the raw store, which reads through pyarrow.fs (#11 part B)
HEAVY = ("httpx", "bs4", "pyarrow.dataset", "pandas", "prefect", "duckdb", "altair", "polars")


def heavy_modules_after_parse(out_root: str, group: list[Any]) -> tuple[int, list[str]]:
    """Runs in a worker: parse one group, then report which heavy libraries the worker holds."""
    outcomes = parse_group(out_root, group)
    return len(outcomes), sorted(m for m in HEAVY if m in sys.modules)


def _comparable(outcome: Any) -> tuple[Any, Any, Any]:
    doc = {k: v for k, v in outcome.document.items() if k != "processed_at"}
    return outcome.record, doc, outcome.cells


@pytest.fixture(scope="module")
def raw_groups(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[Any]]]:
    """Eight report pages (both eras, Word noise, GBK) and one page whose attachment's bytes are gone."""
    from collector.pipeline import SourceContext
    from collector.store.raw import RawStore
    from tests.reportgen import make_record, render_html

    out = tmp_path_factory.mktemp("parallel-out")
    raw = RawStore(out)
    groups: list[list[Any]] = []
    for i in range(8):
        fmt, year = ("gb2019", 2020) if i % 3 == 0 else ("gb2021", 2022)
        page = render_html(make_record(fmt, year, seed=i, agency=f"测试市第{i}局"), word_noise=i % 2 == 1,
                           charset="gbk" if i == 5 else "utf-8")
        sha = raw.put(page).rsplit("/", 1)[-1]
        groups.append([(sha, SourceContext(source_url=f"https://www.example.gov.cn/r{i}.html", portal_id="p"))])
    page_sha = groups[0][0][0]
    missing = "0" * 64
    groups.append([(page_sha, SourceContext(source_url="https://www.example.gov.cn/with-attachment.html")),
                   (missing, SourceContext(source_url="https://www.example.gov.cn/gone.pdf", hint="pdf"))])
    return out, groups


def test_pool_outcomes_equal_in_process_parse_in_order(raw_groups: tuple[Path, list[list[Any]]]) -> None:
    out, groups = raw_groups
    pool = ParsePool(workers=2)
    try:
        pooled = list(pool.map(out, groups))
    finally:
        pool.shutdown()
    local = [parse_group(str(out), g) for g in groups]
    assert [[_comparable(o) for o in g] for g in pooled] == [[_comparable(o) for o in g] for g in local]
    assert [g[0].record["source_url"] for g in pooled[:8]] == [f"https://www.example.gov.cn/r{i}.html"
                                                              for i in range(8)]
    assert all(g[0].record is not None and g[0].record["parse_status"] == "ok" for g in pooled[:8])


def test_packed_outcomes_come_back_equal(raw_groups: tuple[Path, list[list[Any]]]) -> None:
    """The pool sends cells as columns: every attribute and every cell (value, raw, where, unit,
    confidence) survives the trip through pickle, failures and extra attributes included."""
    import pickle

    from collector.models import CellValue

    out, groups = raw_groups
    outcomes = [o for g in groups for o in parse_group(str(out), g)]
    outcomes[0].cells["s1.rules.made"] = CellValue(3, "3（含修订1件）", "OCR p1 r2 c3", "件", 0.61)
    outcomes[0].superseded_ids = ["old-id"]  # type: ignore[attr-defined]
    back = unpack(pickle.loads(pickle.dumps(pack(outcomes))))

    def state(o: Any) -> dict[str, Any]:  # an exception equals only itself: compare its type and text
        return {**vars(o), "error": o.error and (type(o.error), str(o.error))}

    assert [state(o) for o in back] == [state(o) for o in outcomes]
    assert sum(len(o.cells) for o in back) > 8 * 50  # real reports' cells, not empty dicts
    assert any(o.error is not None for o in back) and back[0].superseded_ids == ["old-id"]  # type: ignore[attr-defined]


def test_missing_raw_bytes_are_a_recorded_failure(raw_groups: tuple[Path, list[list[Any]]]) -> None:
    out, groups = raw_groups
    outcomes = parse_group(str(out), groups[-1])
    assert outcomes[0].record is not None  # the page still makes the report
    gone = outcomes[-1]
    assert gone.record is None
    assert gone.document["status"] == "failed" and gone.document["error_code"] == "raw_missing"
    assert gone.document["source_url"] == "https://www.example.gov.cn/gone.pdf"
    assert gone.document["document_sha256"] == "0" * 64


def test_workers_import_only_the_parser(raw_groups: tuple[Path, list[list[Any]]]) -> None:
    out, groups = raw_groups
    pool = ParsePool(workers=2)
    try:
        n, heavy = pool._pool().submit(heavy_modules_after_parse, str(out), groups[1]).result(timeout=300)
    finally:
        pool.shutdown()
    assert n == 1
    assert heavy == []


def test_small_batches_and_one_worker_parse_in_process(raw_groups: tuple[Path, list[list[Any]]],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out, groups = raw_groups
    monkeypatch.setenv("XXGK_PARSE_WORKERS", "1")
    pool = ParsePool()
    assert pool.workers == 1
    assert [len(g) for g in pool.map(out, groups[:3])] == [1, 1, 1]
    assert pool._executor is None  # no process was started


def test_a_killed_worker_loses_no_group(raw_groups: tuple[Path, list[list[Any]]]) -> None:
    """A worker killed mid-batch (the OOM killer, on a hostile document): the rest is parsed here."""
    out, groups = raw_groups
    pool = ParsePool(workers=2)
    try:
        executor = pool._pool()
        executor.submit(int, "1").result(timeout=300)  # workers started
        for proc in list(executor._processes.values()):  # type: ignore[attr-defined]
            proc.kill()
        results = list(pool.map(out, groups))
    finally:
        pool.shutdown()
    assert pool.breaks == 1
    local = [parse_group(str(out), g) for g in groups]
    assert [[_comparable(o) for o in g] for g in results] == [[_comparable(o) for o in g] for g in local]


def test_a_worker_with_another_parser_version_hands_the_group_back(raw_groups: tuple[Path, list[list[Any]]],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Records carry the caller's parser version (the one the crawl state marks), never a worker's older one."""
    from collector.parse import record

    out, groups = raw_groups
    monkeypatch.setattr(record, "PARSER_VERSION", record.PARSER_VERSION + "+bump")
    pool = ParsePool(workers=2)
    try:
        results = list(pool.map(out, groups[:6]))
    finally:
        pool.shutdown()
    assert {g[0].record["parser_version"] for g in results} == {record.PARSER_VERSION}
    assert pool.breaks == 0


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie nobody reaps in a container counts as gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_workers_exit_when_the_caller_is_killed(tmp_path: Path) -> None:
    """A SIGKILLed caller (OOM killer, a killed run) leaves no pool workers behind."""
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import os, sys, time\n"
        "from collector.parallel import ParsePool\n"
        "pool = ParsePool(2)._pool()\n"
        "print(pool.submit(os.getpid).result(), flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(proc.stdout.readline())  # type: ignore[union-attr]
        assert _alive(worker)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 15
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker), f"pool worker {worker} outlived its killed caller"


def test_workers_see_the_callers_environment_of_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and endpoints set after the fork server started (AWS_* for an s3:// raw store) reach
    the workers: a changed environment restarts the pool with it."""
    import os

    pool = ParsePool(2)
    try:
        pool._pool().submit(os.getpid).result()  # the fork server and a worker exist before the change
        monkeypatch.setenv("XXGK_TEST_ENDPOINT", "http://127.0.0.1:9")
        assert pool._pool().submit(os.getenv, "XXGK_TEST_ENDPOINT").result() == "http://127.0.0.1:9"
    finally:
        pool.shutdown()
