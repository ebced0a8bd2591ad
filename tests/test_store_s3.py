"""The output root anywhere: raw store, crawl state and dataset on S3 (moto's server on loopback),
an unusable root refused up front in one line, the crawl state's log and its SQLite migration."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collector.errors import BadLocation, ReadOnlyStore
from collector.pipeline import Outcome
from collector.store import state as state_mod
from collector.store.dataset import Dataset
from collector.store.location import check_writable, open_root
from collector.store.raw import RawStore, sha256_hex
from collector.store.state import CrawlState, StateRow
from tests.reportgen import make_record, render_html
from tests.s3server import S3, moto_s3
from tests.test_store_faults import _read_only, _rows, batches  # noqa: F401 - fixture

XXGK = str(Path(sys.executable).with_name("xxgk"))


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    with moto_s3() as server:
        yield server


# -- refused up front -------------------------------------------------------------------------------


def test_unusable_roots_are_refused_in_one_line(s3: S3, tmp_path: Path) -> None:
    with pytest.raises(BadLocation, match=r"unknown storage scheme nosuch://"):
        check_writable("nosuch://x/y")
    with pytest.raises(BadLocation, match="xxgk-missing-bucket") as err:
        check_writable("s3://xxgk-missing-bucket/out")
    assert "\n" not in str(err.value)
    root = s3.bucket()
    assert check_writable(root + "/") == root  # normalised, and the probe is gone
    assert not [k for k in s3.keys(root) if ".probe" in k]
    ro = tmp_path / "ro"
    ro.mkdir()
    with _read_only(ro), pytest.raises(ReadOnlyStore, match="read-only"):
        check_writable(ro)


def test_cli_refuses_an_unusable_out_instead_of_writing_a_local_folder(s3: S3, tmp_path: Path) -> None:
    """``--out s3://…`` used to exit 0 and write a local folder named ``s3:``."""
    page = tmp_path / "r.html"
    page.write_bytes(render_html(make_record("gb2021", 2023, seed=7, agency="某市统计局")))
    env = {**os.environ, **s3.env}
    for args in (["parse", str(page), "--out", "s3://xxgk-missing-bucket/out"],
                 ["collect", "--portals", str(tmp_path / "none.yaml"), "--out", "nosuch://x/y"],
                 ["reparse", "--out", "s3://xxgk-missing-bucket/out"]):
        res = subprocess.run([XXGK, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr, res.stderr
        assert not (tmp_path / "s3:").exists() and not (tmp_path / "nosuch:").exists()
    res = subprocess.run([XXGK, "check", "s3://xxgk-missing-bucket/out"], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 1 and "no such dataset" in res.stderr
    # and a good URI is written: raw bytes and the dataset in the bucket, nothing local
    root = s3.bucket()
    res = subprocess.run([XXGK, "parse", str(page), "--out", root], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    keys = s3.keys(root)
    prefix = root[len("s3://"):].split("/", 1)[1]
    assert any(k.startswith(f"{prefix}/raw/") for k in keys)
    assert any(k.startswith(f"{prefix}/reports/report_year=2023/part-") for k in keys)
    assert Dataset(root).read("reports").num_rows == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


# -- the three stores on S3 -------------------------------------------------------------------------


def test_raw_store_on_s3(s3: S3) -> None:
    root = s3.bucket()
    raw = RawStore(root)
    data = b"%PDF-1.4 not really" * 100
    sha, rel = raw.store(data)
    assert sha == sha256_hex(data) and rel == f"raw/{sha[:2]}/{sha[2:4]}/{sha}"
    assert raw.store(data) == (sha, rel)  # idempotent
    assert raw.exists(sha) and raw.valid(sha) and raw.get(sha) == data
    assert not raw.exists("0" * 64)
    fs, path = open_root(root)
    with fs.open_output_stream(f"{path}/{rel}") as fh:  # truncated by someone: no longer valid
        fh.write(data[:10])
    assert raw.exists(sha) and not raw.valid(sha)


def _row(url: str, portal: str, **kw: Any) -> StateRow:
    return StateRow(url=url, portal_id=portal, kind="page", status="new", http_status=200, sha256="a" * 64,
                    etag=f'"{url}"', **kw)


def test_crawl_state_lives_in_the_root(s3: S3, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second process (another machine) resumes from the root; workers of different portals
    append to different files; many syncs are compacted, newest value kept."""
    root = s3.bucket()
    with CrawlState(root) as st:
        st.record(_row("https://a.gov.cn/1", "a"))
        st.record(_row("https://b.gov.cn/1", "b"))
        st.mark_processed("https://a.gov.cn/1", "a" * 64, "9.9")
        st.set_meta("quarantine_epoch", "x")
    prefix = root.split("/", 3)[3]
    keys = [k for k in s3.keys(root) if k.startswith(f"{prefix}/state/")]
    assert {k.rsplit("/", 1)[0] for k in keys if k.endswith(".jsonl.gz")} == {
        f"{prefix}/state/fetches/portal=a", f"{prefix}/state/fetches/portal=b"}
    with CrawlState(root) as again:
        a = again.get("https://a.gov.cn/1")
        assert a is not None and a.processed_sha256 == "a" * 64 and a.processed_version == "9.9"
        assert again.get_meta("quarantine_epoch") == "x" and len(again.rows()) == 2
        # a failed re-fetch keeps the validators of the body it has
        again.record(StateRow(url="https://a.gov.cn/1", portal_id="a", kind="page", status="failed",
                              error_code="http_status", http_status=500))
    with CrawlState(root) as third:
        a = third.get("https://a.gov.cn/1")
        assert a is not None and a.status == "failed" and a.etag == '"https://a.gov.cn/1"'
        assert a.processed_sha256 == "a" * 64

    monkeypatch.setattr(state_mod, "COMPACT_AT", 4)
    with CrawlState(root, sync_seconds=0) as st:
        for i in range(12):
            st.record(_row("https://a.gov.cn/1", "a", error=f"v{i}"))
    files = [k for k in s3.keys(root) if "/portal=a/" in k]
    assert len(files) <= 4, files
    with CrawlState(root) as st:
        assert st.get("https://a.gov.cn/1").error == "v11"  # type: ignore[union-attr]
        assert st.get("https://b.gov.cn/1") is not None


def _write_parquet_log(root: str, pdir: str, name: str, rows: list[StateRow]) -> None:
    """A file of the crawl state's log as the version before issue #13 wrote it (Parquet, zstd)."""
    from dataclasses import asdict

    import pyarrow as pa
    import pyarrow.parquet as pq

    from collector.store.location import write_file

    types = {"http_status": pa.int64(), "spent": pa.float64()}
    schema = pa.schema([(c, types.get(c, pa.string())) for c in state_mod._COLS])
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist([asdict(r) for r in rows], schema=schema), sink, compression="zstd")
    fs, path = open_root(root)
    write_file(fs, f"{path}/{pdir}/{name}", sink.getvalue().to_pybytes())


@pytest.mark.parametrize("where", ["local", "s3"])
def test_parquet_state_log_of_the_previous_version_is_read_and_merged(where: str, s3: S3, tmp_path: Path) -> None:
    """The log was Parquet before issue #13: its files are read (newest wins), and a portal's are
    merged into one JSON Lines file when its state is next written; an untouched portal's stay."""
    root = str(tmp_path / "out") if where == "local" else s3.bucket()
    old, new = "0" * 8, "9" * 8
    _write_parquet_log(root, "state/fetches/portal=a", f"{1:020d}-{old}.parquet",
                       [_row("https://a.gov.cn/1", "a", error="old"), _row("https://a.gov.cn/2", "a")])
    _write_parquet_log(root, "state/fetches/portal=a", f"{2:020d}-{new}.parquet",
                       [_row("https://a.gov.cn/1", "a", error="new", processed_sha256="a" * 64)])
    _write_parquet_log(root, "state/fetches/portal=b", f"{1:020d}-{old}.parquet",
                       [_row("https://b.gov.cn/1", "b", spent=1.5)])
    with CrawlState(root) as st:
        a1, b1 = st.get("https://a.gov.cn/1"), st.get("https://b.gov.cn/1")
        assert a1 is not None and a1.error == "new" and a1.processed_sha256 == "a" * 64 and a1.http_status == 200
        assert b1 is not None and b1.spent == 1.5 and len(st.rows()) == 3
        st.record(_row("https://a.gov.cn/3", "a"))
    fs, path = open_root(root)
    import pyarrow.fs as pafs

    def names(portal: str) -> list[str]:
        sel = pafs.FileSelector(f"{path}/state/fetches/portal={portal}", allow_not_found=True)
        return sorted(i.base_name for i in fs.get_file_info(sel))

    assert len(names("a")) == 1 and names("a")[0].endswith(".jsonl.gz")  # merged: the Parquet files are gone
    assert names("b") == [f"{1:020d}-{old}.parquet"]                     # not written by this process
    with CrawlState(root) as st:
        assert {r.url for r in st.rows()} == {"https://a.gov.cn/1", "https://a.gov.cn/2", "https://a.gov.cn/3",
                                             "https://b.gov.cn/1"}
        assert st.get("https://a.gov.cn/1").error == "new"  # type: ignore[union-attr]


_OLD_SCHEMA = """
CREATE TABLE fetches (url TEXT PRIMARY KEY, portal_id TEXT, kind TEXT, status TEXT, http_status INTEGER, etag TEXT,
    last_modified TEXT, sha256 TEXT, content_type TEXT, encoding TEXT, final_url TEXT, parent_url TEXT, fetched_at TEXT,
    error_code TEXT, error TEXT, processed_sha256 TEXT, processed_at TEXT);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
"""


def test_sqlite_state_of_an_older_version_is_migrated(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    db = sqlite3.connect(tmp_path / "state" / "crawl.sqlite")
    db.executescript(_OLD_SCHEMA)  # an old file: without processed_version, failure_recorded, spent
    db.execute("INSERT INTO fetches (url, portal_id, kind, status, http_status, etag, sha256, processed_sha256) "
               "VALUES ('https://a.gov.cn/1', 'a', 'page', 'new', 200, '\"e1\"', ?, ?)", ("b" * 64, "b" * 64))
    db.execute("INSERT INTO meta VALUES ('quarantine_epoch', 'q')")
    db.commit()
    db.close()
    with CrawlState(tmp_path) as st:
        row = st.get("https://a.gov.cn/1")
        assert row is not None and row.etag == '"e1"' and row.processed_sha256 == "b" * 64
        assert row.processed_version is None and st.get_meta("quarantine_epoch") == "q"
    assert not (tmp_path / "state" / "crawl.sqlite").exists()
    assert (tmp_path / "state" / "crawl.sqlite.migrated").exists()
    with CrawlState(tmp_path) as st:  # from the log now
        assert st.get("https://a.gov.cn/1").etag == '"e1"'  # type: ignore[union-attr]


def test_dataset_on_s3_is_atomic_and_idempotent(s3: S3, batches: tuple[list[Outcome], list[Outcome]],  # noqa: F811
                                                tmp_path: Path) -> None:
    b1, b2 = batches
    root = s3.bucket()
    ds = Dataset(root)
    ds.write(b1)
    ds.write(b1)  # the same batch again: nothing doubles
    assert ds.read("reports").num_rows == 2
    ds.write(b2)
    again = Dataset(root)
    local = Dataset(tmp_path / "local")
    local.write(b1)
    local.write(b2)
    assert _rows(again) == _rows(local)  # the same rows as on a local disk
    assert again.compact() > 0 and _rows(Dataset(root)) == _rows(local)
    prefix = root.split("/", 3)[3]
    keys = [k for k in s3.keys(root) if not k.endswith("/")]  # (pyarrow's directory markers aside)
    assert not [k for k in keys if k.startswith((f"{prefix}/_store/staging/", f"{prefix}/_store/commits/"))]
    assert f"{prefix}/README.md" in keys  # the codebook, written into the bucket
    assert again.read("documents").num_rows == 5  # a (two versions), b, c, the 404
