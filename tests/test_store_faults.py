"""The store under faults: SIGKILL and a full disk at every write step, damaged files, a read-only root.

The fault-injection test forks a writer for each fault point of a batch (``collector.store.faults``)
and either kills it there with SIGKILL or fills the disk there (a real tmpfs when root, else an
``ENOSPC`` raised at that point), then reopens the dataset: the batch is there entirely or not at
all, no temp or staged file is left, no row is orphaned, a ``**/*.parquet`` glob sees what the
library sees, and running the batch again gives exactly the dataset of a clean run.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.dataset as pads
import pytest

from collector.pipeline import Outcome, SourceContext, process_document
from collector.store.dataset import Dataset
from tests.reportgen import make_record, render_html

TABLES = ("reports", "cells", "findings", "documents")


def _outcome(seed: int, year: int, url: str, bump: int = 0) -> Outcome:
    truth = make_record("gb2021", year, seed=seed, agency=f"测试{seed}局")
    truth["s3"]["new_received"]["natural_person"] += bump
    truth["s3"]["new_received"]["total"] += bump
    o = process_document(render_html(truth), SourceContext(source_url=url, portal_id="p"))
    assert o.record is not None
    return o


def _failure(url: str) -> Outcome:
    return Outcome(None, {"source_url": url, "document_sha256": None, "status": "fetch_failed", "error_code": "http_status",
                          "error": f"HTTP 404 at {url}", "http_status": 404, "portal_id": "p"})


@pytest.fixture(scope="module")
def batches() -> tuple[list[Outcome], list[Outcome]]:
    b1 = [_outcome(1, 2022, "https://www.example.gov.cn/a.html"), _outcome(2, 2023, "https://www.example.gov.cn/b.html")]
    # b2 replaces report a (new numbers: its old rows in three tables must go), adds c, records a 404
    b2 = [_outcome(1, 2022, "https://www.example.gov.cn/a.html", bump=5), _outcome(3, 2023, "https://www.example.gov.cn/c.html"),
          _failure("https://www.example.gov.cn/gone.html")]
    return b1, b2


def _rows(ds: Dataset) -> dict[str, list[str]]:
    return {t: sorted(json.dumps(r, sort_keys=True, default=str) for r in ds.read(t).to_pylist()) for t in TABLES}


def _glob_ids(root: Path) -> dict[str, list[str]]:
    """What a reader globbing ``**/*.parquet`` sees (DuckDB), as sorted keys per table."""
    con = duckdb.connect()
    out = {}
    for t in TABLES:
        if not list((root / t).rglob("*.parquet")):
            out[t] = []
            continue
        col = "source_url || coalesce(document_sha256, '')" if t == "documents" else "report_id"
        hive = ", hive_partitioning=true" if t != "documents" else ""
        out[t] = sorted(r[0] for r in con.execute(f"select {col} from read_parquet('{root}/{t}/**/*.parquet'{hive})").fetchall())
    return out


def _lib_ids(ds: Dataset) -> dict[str, list[str]]:
    out = {}
    for t in TABLES:
        tab = ds.read(t)
        if t == "documents":
            out[t] = sorted(u + (s or "") for u, s in zip(tab.column("source_url").to_pylist(),
                                                          tab.column("document_sha256").to_pylist(), strict=True))
        else:
            out[t] = sorted(tab.column("report_id").to_pylist())
    return out


def _assert_consistent(root: Path, ds: Dataset) -> None:
    leftovers = [p for p in root.rglob("*") if p.is_file() and (p.name.endswith(".tmp") or "staging" in p.parts
                                                                 or "commits" in p.parts)]
    assert not leftovers, leftovers
    ids = _lib_ids(ds)
    reports = set(ids["reports"])
    assert set(ids["cells"]) <= reports and set(ids["findings"]) <= reports  # no orphan rows
    assert set(ids["cells"]) == reports  # every report has its cells
    docs = ds.read("documents", columns=["report_id"]).column(0).to_pylist()
    assert reports <= set(docs)  # ... and its document row
    assert _glob_ids(root) == ids  # a glob reader sees exactly the committed dataset


@contextlib.contextmanager
def _tmpfs(path: Path, size: str = "24m") -> Iterator[bool]:
    """A small tmpfs at ``path`` when we are root (real ENOSPC); False when it cannot be mounted."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                                                   capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill(path: Path) -> None:
    with open(path, "wb") as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()


def _points(root: Path, b1: list[Outcome], b2: list[Outcome]) -> list[str]:
    from collector.store import faults

    seen: list[str] = []
    Dataset(root).write(b1)
    faults.FAULT_HOOK = seen.append
    try:
        Dataset(root).write(b2)
    finally:
        faults.FAULT_HOOK = None
    counts: dict[str, int] = {}
    out = []
    for name in seen:
        counts[name] = counts.get(name, 0) + 1
        out.append(f"{name}#{counts[name]}")
    return out


def _child(root: Path, b2: list[Outcome], point: str, mode: str, filler: Path | None, report: Path) -> None:
    """In the forked writer: fault at ``point``, then write the batch; report how it ended."""
    from collector.errors import DiskFull
    from collector.store import faults

    seen: dict[str, int] = {}

    def hook(name: str) -> None:
        seen[name] = seen.get(name, 0) + 1
        if f"{name}#{seen[name]}" != point:
            return
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif filler is not None:
            _fill(filler)  # the disk is full from here on: the next write fails for real
        else:
            raise OSError(errno.ENOSPC, "No space left on device")

    faults.FAULT_HOOK = hook
    try:
        Dataset(root).write(b2)
        report.write_text("ok")
    except DiskFull as exc:
        report.write_text(f"DiskFull: {exc}")
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        report.write_text(f"{type(exc).__name__}: {exc}")


def _run_child(root: Path, b2: list[Outcome], point: str, mode: str, filler: Path | None, report: Path) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            _child(root, b2, point, mode, filler, report)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return status


def test_kill_and_disk_full_at_every_write_step(tmp_path: Path, batches: tuple[list[Outcome], list[Outcome]]) -> None:
    b1, b2 = batches
    clean = tmp_path / "clean"
    points = _points(clean, b1, b2)
    expect_b1b2 = _rows(Dataset(clean))
    only_b1 = tmp_path / "only-b1"
    Dataset(only_b1).write(b1)
    expect_b1 = _rows(Dataset(only_b1))
    assert {p.split("#")[0] for p in points} >= {"stage", "commit", "publish", "unpublish", "log", "cleanup"}
    assert expect_b1 != expect_b1b2

    _assert_consistent(clean, Dataset(clean))

    with _tmpfs(tmp_path / "fs") as real_disk:
        outcomes: dict[str, set[str]] = {"kill": set(), "enospc": set()}
        for point in points:
            for mode in ("kill", "enospc"):
                root = tmp_path / "fs" / uuid.uuid4().hex[:8]
                shutil.copytree(only_b1, root)
                filler = tmp_path / "fs" / "filler" if real_disk and mode == "enospc" else None
                report = tmp_path / f"report-{uuid.uuid4().hex[:8]}"
                status = _run_child(root, b2, point, mode, filler, report)
                if filler is not None:
                    filler.unlink(missing_ok=True)
                if mode == "kill":
                    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, point
                else:
                    ended = report.read_text()
                    assert ended == "ok" or ended.startswith("DiskFull: No space left on device"), (point, ended)
                    assert "\n" not in ended
                    outcomes["enospc"].add(ended[:8])

                ds = Dataset(root)  # reopen: roll forward or discard, collect garbage
                got = _rows(ds)
                assert got in (expect_b1, expect_b1b2), f"{mode} at {point}: a partial batch is visible"
                outcomes[mode].add("b1b2" if got == expect_b1b2 else "b1")
                _assert_consistent(root, ds)
                ds.write(b2)  # the rerun completes, and equals a clean run (checked consistent above)
                assert _rows(Dataset(root, repair=False)) == expect_b1b2, f"{mode} at {point}: rerun differs"
                shutil.rmtree(root)  # keep the small tmpfs for the next case (each dataset is ~1 MB with its docs)
    # both outcomes happen: killed before the commit point (discarded) and after it (rolled forward)
    assert outcomes["kill"] == {"b1", "b1b2"}
    assert "DiskFull" in outcomes["enospc"]


def test_unreadable_part_files_are_quarantined_and_the_write_goes_on(tmp_path: Path,
                                                                      batches: tuple[list[Outcome], list[Outcome]]) -> None:
    b1, b2 = batches
    ds = Dataset(tmp_path)
    ds.write(b1)
    part = tmp_path / "reports" / "report_year=2023"
    empty = part / "part-00000000000000000001-empty.parquet"
    empty.write_bytes(b"")
    cells = next((tmp_path / "cells" / "report_year=2022").glob("part-*.parquet"))
    cells.write_bytes(cells.read_bytes()[: cells.stat().st_size // 2])  # truncated: no footer
    ds = Dataset(tmp_path)  # opening repairs: both moved aside, the rest reads
    assert sorted(n["path"] for n in ds.quarantined) == sorted(
        str(p.relative_to(tmp_path)) for p in (empty, cells))
    assert all((tmp_path / "_quarantine" / n["path"]).is_file() for n in ds.quarantined)
    notes = {n["path"]: n for n in ds.quarantine_notes()}
    assert "empty" in notes[str(empty.relative_to(tmp_path))]["reason"]
    assert not empty.exists() and not cells.exists()
    stats = ds.write(b2)  # the write goes on
    assert stats.rows["reports"] == 2
    assert len(ds.read("reports")) == 3

    # a file damaged after the open: a read names it, sets it aside and goes on
    victim = next((tmp_path / "findings").rglob("part-*.parquet"))
    victim.write_bytes(b"PAR1 not really")
    assert ds.read("findings").num_rows >= 0
    assert any(n["path"] == str(victim.relative_to(tmp_path)) for n in ds.quarantine_notes())


def _xxgk(*args: str) -> subprocess.CompletedProcess[str]:
    from tests.test_cli import xxgk

    return xxgk(*args)


def test_cli_names_a_damaged_file_instead_of_a_traceback(tmp_path: Path) -> None:
    out = tmp_path / "out"
    good = tmp_path / "good.html"
    good.write_bytes(render_html(make_record("gb2021", 2023, seed=41, agency="某市统计局")))
    assert _xxgk("parse", str(good), "--out", str(out)).returncode == 0
    bad = out / "reports" / "report_year=2023" / "part-00000000000000000002-bad.parquet"
    bad.write_bytes(b"\x00" * 100)
    res = _xxgk("check", str(out))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "part-00000000000000000002-bad.parquet" in res.stderr and "Traceback" not in res.stderr
    res = _xxgk("check", str(out), "--json")
    assert res.returncode == 1
    summary = json.loads(res.stdout)
    assert summary["reports"] == 1 and summary["store"]["quarantined"][0]["path"].endswith("-bad.parquet")
    # the write goes on into the same root
    other = tmp_path / "other.html"
    other.write_bytes(render_html(make_record("gb2021", 2022, seed=42, agency="某县财政局")))
    bad.write_bytes(b"")
    res = _xxgk("parse", str(other), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "-bad.parquet" in res.stderr and "quarantine" in res.stderr
    assert Dataset(out).read("reports").num_rows == 2


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """``path`` read-only for real: a read-only bind mount (root), else permissions."""
    if os.geteuid() == 0:
        if subprocess.run(["mount", "--bind", "-o", "ro", str(path), str(path)], capture_output=True).returncode:
            pytest.skip("cannot make a read-only bind mount here")
        try:
            yield
        finally:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)
        return
    modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")]}
    for p in modes:
        p.chmod(modes[p] & ~0o222)
    try:
        yield
    finally:
        for p, m in modes.items():
            p.chmod(m)


def test_read_only_dataset_reads_and_refuses_writes(tmp_path: Path, batches: tuple[list[Outcome], list[Outcome]]) -> None:
    b1, b2 = batches
    root = tmp_path / "ro"
    Dataset(root).write(b1)
    with _read_only(root):
        with pytest.raises(OSError):
            (root / "probe").write_text("x")
        ds = Dataset(root)  # no lock file, no repair: just reads
        assert ds.read_only
        assert ds.read("reports").num_rows == 2
        con = duckdb.connect()
        tab = ds.read("cells")  # noqa: F841 - DuckDB reads the Arrow table the library returns
        assert con.execute("select count(distinct report_id) from tab").fetchone() == (2,)
        from collector.errors import ReadOnlyStore

        with pytest.raises(ReadOnlyStore, match="read-only"):
            ds.write(b2)
        res = _xxgk("check", str(root))
        assert res.returncode == 0, res.stderr
        assert "2 reports" in res.stdout and "Traceback" not in res.stderr
        res = _xxgk("check", str(root), "--json")
        assert res.returncode == 0 and json.loads(res.stdout)["store"]["read_only"] is True


def test_pending_commit_is_visible_to_readers_and_rolled_forward(tmp_path: Path,
                                                                batches: tuple[list[Outcome], list[Outcome]]) -> None:
    """Killed right after the commit point: a read-only reader already sees the batch; a writer publishes it."""
    b1, b2 = batches
    Dataset(tmp_path).write(b1)
    status = _run_child(tmp_path, b2, "publish#1", "kill", None, tmp_path / "report")
    assert os.WIFSIGNALED(status)
    assert list((tmp_path / "_store" / "commits").glob("*.json"))
    reader = Dataset(tmp_path, repair=False)
    assert reader.read("reports").num_rows == 3 and reader.pending_commits() == 1
    assert sorted(reader.read("reports", columns=["report_year"]).column(0).to_pylist()) == [2022, 2023, 2023]
    Dataset(tmp_path)  # a writer's open publishes it
    assert not list((tmp_path / "_store" / "commits").glob("*.json"))
    assert len(pads.dataset(tmp_path / "reports", partitioning="hive").to_table()) == 3


def _leave_free(root: Path, filler: Path, free: int) -> None:
    st = os.statvfs(root)
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - free))


def test_disk_full_fails_in_one_line_and_leaves_no_partial_report(tmp_path: Path) -> None:
    """``xxgk parse --out`` onto a nearly full disk: exit 1 with ``No space left on device`` on one
    line, no temp file left, and no report visible without its cells (to a glob reader too)."""
    inputs = []
    for seed in range(4):
        p = tmp_path / f"r{seed}.html"
        p.write_bytes(render_html(make_record("gb2021", 2023, seed=60 + seed, agency=f"某局{seed}")))
        inputs.append(str(p))
    with _tmpfs(tmp_path / "fs", size="2m") as mounted:
        if not mounted:
            pytest.skip("needs root to mount a small tmpfs (the fault-injection test covers ENOSPC with a shim)")
        out = tmp_path / "fs" / "out"
        assert _xxgk("parse", inputs[0], "--out", str(out)).returncode == 0
        _leave_free(out, tmp_path / "fs" / "filler", 48 * 1024)
        res = _xxgk("parse", *inputs[1:], "--out", str(out))
        assert res.returncode == 1, res.stderr
        errors = [line for line in res.stderr.splitlines() if "No space left on device" in line]
        assert len(errors) == 1 and "Traceback" not in res.stderr, res.stderr
        (tmp_path / "fs" / "filler").unlink()
        assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".tmp")]
        ds = Dataset(out)
        _assert_consistent(out, ds)
        assert ds.read("reports").num_rows == 1  # the failed batch is not there at all
