"""The crawl-state table: what was fetched, when, with which validators and result.

One row per URL (listing pages, report pages, attachments): the HTTP validators (ETag,
Last-Modified) that make the next run's requests conditional, the sha256 of the stored body, and
the last error. ``processed_sha256`` records which body version has already gone through the
parser into the dataset, so a second run over unchanged pages writes nothing;
``failure_recorded`` does the same for a fetch failure stored in ``documents``. ``spent`` /
``spent_since`` add up the seconds a failing URL has cost since its first failure, so the
Prefect task retries cannot give a URL more than its time budget (``FetchSettings.url_budget``).

**Where it lives.** In the output root, so a worker on another machine resumes from it, on any
filesystem the root can be (an object store has no SQLite and no rename): a log of small Parquet
files per portal, ``state/fetches/portal=<id>/<time_ns>-<id>.parquet``, each holding the full
rows of the URLs one process changed since its last sync; the newest file of a URL wins. A
process loads the log into memory when it opens the state and appends a file at most every
``sync_seconds`` and on close, only for the portals it touched — so workers crawling different
portals never write the same file, and appending needs neither a lock nor a read-modify-write.
When a portal holds more than :data:`COMPACT_AT` files, they are merged into one (named after the
newest file it replaces, so the order holds while the old files are deleted).

Why this is safe for resuming: the state only ever lags the dataset (``mark_processed`` follows
the dataset commit), and the dataset's writes are keyed, so a process killed before its last
sync re-fetches and re-parses at most its last few seconds of documents and writes the same
rows again — no duplicate, no hole. A root written by an older version (``state/crawl.sqlite``)
is migrated on open; the SQLite file is kept as ``crawl.sqlite.migrated``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from collector.store.faults import store_error
from collector.store.location import exists, is_local, normalise, open_root, write_file

log = logging.getLogger(__name__)

FETCHES = "state/fetches"
META = "state/meta.json"
LEGACY_SQLITE = "state/crawl.sqlite"
COMPACT_AT = 32           # files per portal before they are merged into one
SYNC_SECONDS = 5.0        # at most this much state is lost when a process is killed
_KEEP_ON_FAILURE = ("etag", "last_modified", "sha256", "content_type", "encoding")  # of the last good body
_KEPT = ("processed_sha256", "processed_at", "processed_version", "failure_recorded")  # not touched by record()


@dataclass(slots=True)
class StateRow:
    url: str
    portal_id: str | None = None
    kind: str | None = None        # listing | page | attachment
    status: str | None = None      # new | unchanged | failed | blocked
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    content_type: str | None = None
    encoding: str | None = None
    final_url: str | None = None
    parent_url: str | None = None
    fetched_at: str | None = None
    error_code: str | None = None
    error: str | None = None
    processed_sha256: str | None = None
    processed_at: str | None = None
    processed_version: str | None = None  # parser version that turned processed_sha256 into dataset rows
    failure_recorded: str | None = None   # the fetch failure (code:status) already written to documents
    spent: float | None = None            # seconds this URL has cost since spent_since (failures only)
    spent_since: str | None = None


_COLS = [f.name for f in fields(StateRow)]
_TYPES = {"http_status": pa.int64(), "spent": pa.float64()}
ARROW_SCHEMA = pa.schema([(c, _TYPES.get(c, pa.string())) for c in _COLS])


def utcnow_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def portal_dir(portal_id: str | None) -> str:
    return f"{FETCHES}/portal={quote(portal_id, safe='') if portal_id else '__none__'}"


class CrawlState:
    """The crawl state of an output root (local path or URI), held in memory while open; thread-safe."""

    def __init__(self, out_root: str | os.PathLike[str], *, sync_seconds: float = SYNC_SECONDS) -> None:
        self.uri = normalise(out_root)
        self.path = f"{self.uri}/state"  # for messages
        self.sync_seconds = sync_seconds
        self._lock = threading.RLock()
        self._rows: dict[str, StateRow] = {}
        self._meta: dict[str, str] = {}
        self._dirty: set[str] = set()
        self._files: dict[str, int] = {}  # portal dir -> files seen (load + own appends)
        self._last_sync = time.monotonic()
        self._closed = False
        try:
            self.fs, self.base = open_root(self.uri)
            self._migrate_sqlite()
            self._load()
        except (OSError, pa.ArrowException, sqlite3.Error) as exc:
            raise _state_error(exc, f"opening the crawl state in {self.path}") from None

    # -- the log in the root ---------------------------------------------------------------------
    def _abs(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def _load(self) -> None:
        for attempt in range(5):
            try:
                infos = self.fs.get_file_info(pafs.FileSelector(self._abs(FETCHES), allow_not_found=True,
                                                                recursive=True))
                files = sorted((i for i in infos if i.type == pafs.FileType.File and i.base_name.endswith(".parquet")
                                and not i.base_name.startswith(".")), key=lambda i: i.base_name)
                rows: dict[str, StateRow] = {}
                counts: dict[str, int] = {}
                for info in files:
                    rel_dir = info.path[len(self.base) + 1:].rsplit("/", 1)[0]
                    counts[rel_dir] = counts.get(rel_dir, 0) + 1
                    for d in _read_parquet(self.fs, info.path).to_pylist():
                        rows[d["url"]] = StateRow(**{c: d.get(c) for c in _COLS})
                break
            except FileNotFoundError:  # a compaction removed a file meanwhile: list again
                if attempt == 4:
                    raise
        self._rows, self._files = rows, counts
        if exists(self.fs, self._abs(META)):
            import json

            with self.fs.open_input_stream(self._abs(META)) as fh:
                self._meta = {str(k): str(v) for k, v in json.loads(fh.read() or b"{}").items()}

    def _append(self, pdir: str, rows: list[StateRow], name: str | None = None) -> None:
        table = pa.Table.from_pylist([asdict(r) for r in rows], schema=ARROW_SCHEMA)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        name = name or f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        write_file(self.fs, self._abs(f"{pdir}/{name}"), sink.getvalue().to_pybytes())
        self._files[pdir] = self._files.get(pdir, 0) + 1

    def sync(self) -> None:
        """Append the rows changed since the last sync to the root (one file per portal touched)."""
        with self._lock:
            self._last_sync = time.monotonic()
            if not self._dirty:
                return
            by_dir: dict[str, list[StateRow]] = {}
            for url in sorted(self._dirty):
                row = self._rows[url]
                by_dir.setdefault(portal_dir(row.portal_id), []).append(row)
            try:
                for pdir, rows in by_dir.items():
                    self._append(pdir, rows)
                    if self._files.get(pdir, 0) > COMPACT_AT:
                        self._compact(pdir)
            except (OSError, pa.ArrowException) as exc:
                raise _state_error(exc, f"writing the crawl state in {self.path}") from None
            self._dirty.clear()

    def _compact(self, pdir: str) -> None:
        """Merge a portal's files into one, named after the newest it replaces, then delete them."""
        infos = [i for i in self.fs.get_file_info(pafs.FileSelector(self._abs(pdir), allow_not_found=True))
                 if i.type == pafs.FileType.File and i.base_name.endswith(".parquet") and not i.base_name.startswith(".")]
        infos.sort(key=lambda i: i.base_name)
        if len(infos) < 2:
            return
        merged: dict[str, dict[str, Any]] = {}
        try:
            for info in infos:
                for d in _read_parquet(self.fs, info.path).to_pylist():
                    merged[d["url"]] = d
        except FileNotFoundError:
            return  # another process is compacting this portal
        newest = infos[-1].base_name.split("-", 1)[0]
        rows = [StateRow(**{c: d.get(c) for c in _COLS}) for d in merged.values()]
        self._append(pdir, rows, name=f"{newest}-~{uuid.uuid4().hex[:8]}.parquet")
        for info in infos:
            with contextlib.suppress(FileNotFoundError):
                self.fs.delete_file(info.path)
        self._files[pdir] = 1

    def _migrate_sqlite(self) -> None:
        """A root of an older version keeps its state in ``state/crawl.sqlite``: copy it into the log."""
        legacy = self._abs(LEGACY_SQLITE)
        if not exists(self.fs, legacy):
            return
        tmpdir = None
        try:
            if is_local(self.fs):
                db_path = legacy
            else:  # SQLite needs a local file (and its WAL, which may hold committed rows)
                tmpdir = tempfile.mkdtemp(prefix="xxgk-state-")
                db_path = os.path.join(tmpdir, "crawl.sqlite")
                for suffix in ("", "-wal"):
                    if exists(self.fs, legacy + suffix):
                        with self.fs.open_input_stream(legacy + suffix) as src, open(db_path + suffix, "wb") as dst:
                            dst.write(src.read())
            db = sqlite3.connect(db_path)
            try:
                have = {r[1] for r in db.execute("PRAGMA table_info(fetches)")}
                cols = [c if c in have else f"NULL AS {c}" for c in _COLS]
                rows = [StateRow(*r) for r in db.execute(f"SELECT {', '.join(cols)} FROM fetches")] if have else []
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall()) if have else {}
            finally:
                db.close()
        finally:
            if tmpdir:
                shutil.rmtree(tmpdir, ignore_errors=True)
        by_dir: dict[str, list[StateRow]] = {}
        for r in rows:
            by_dir.setdefault(portal_dir(r.portal_id), []).append(r)
        for pdir, prows in by_dir.items():  # a fixed name, the oldest: a repeated migration rewrites it
            self._append(pdir, prows, name=f"{0:020d}-sqlite.parquet")
        if meta:
            self._meta = {**meta}
            self._write_meta()
        for suffix in ("", "-wal", "-shm"):
            if exists(self.fs, legacy + suffix):
                with contextlib.suppress(FileNotFoundError):  # another process migrated it first
                    self.fs.move(legacy + suffix, legacy + ".migrated" + suffix)
        log.info("crawl state: migrated %d rows from %s", len(rows), LEGACY_SQLITE)

    def _write_meta(self) -> None:
        import json

        write_file(self.fs, self._abs(META), json.dumps(self._meta, ensure_ascii=False, indent=1).encode())

    # -- lifecycle -------------------------------------------------------------------------------
    def _changed(self, url: str) -> None:
        self._dirty.add(url)
        if time.monotonic() - self._last_sync >= self.sync_seconds:
            self.sync()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self.sync()
                self._closed = True

    def __enter__(self) -> CrawlState:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
            return
        try:  # keep what was learnt, but never hide the error that is propagating
            self.close()
        except Exception as err:  # noqa: BLE001
            log.warning("could not save the crawl state: %s", err)

    # -- the interface ---------------------------------------------------------------------------
    def get(self, url: str) -> StateRow | None:
        with self._lock:
            row = self._rows.get(url)
            return replace(row) if row is not None else None

    def record(self, row: StateRow) -> None:
        """Insert or update the fetch result of ``row.url``; keeps validators of failed re-fetches
        and the processed marker (those belong to the last good body)."""
        d = asdict(row)
        d["fetched_at"] = d["fetched_at"] or utcnow_iso()
        with self._lock:
            prev = self._rows.get(row.url)
            if prev is not None:
                for c in _KEPT:
                    d[c] = getattr(prev, c)
                if d["status"] in ("failed", "blocked"):
                    for c in _KEEP_ON_FAILURE:
                        d[c] = getattr(prev, c)
            self._rows[row.url] = StateRow(**d)
            self._changed(row.url)

    def _update(self, url: str, **values: Any) -> None:
        with self._lock:
            row = self._rows.get(url)
            if row is None:
                return
            for k, v in values.items():
                setattr(row, k, v)
            self._changed(url)

    def mark_processed(self, url: str, sha256: str, version: str | None = None) -> None:
        """The body ``sha256`` of ``url`` is in the dataset (and no fetch failure row is)."""
        self._update(url, processed_sha256=sha256, processed_at=utcnow_iso(), processed_version=version,
                     failure_recorded=None)

    def mark_failure_recorded(self, url: str, key: str) -> None:
        """The fetch failure ``key`` of ``url`` is in ``documents``: do not write it again."""
        self._update(url, failure_recorded=key)

    def forget_processed(self) -> None:
        """Every document goes through the parser again on the next run (rows were lost)."""
        with self._lock:
            for url, row in self._rows.items():
                row.processed_sha256 = row.processed_version = row.failure_recorded = None
                self._dirty.add(url)
            self.sync()

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._meta[key] = value
            try:
                self._write_meta()
            except (OSError, pa.ArrowException) as exc:
                raise _state_error(exc, f"writing the crawl state in {self.path}") from None

    def rows(self, portal_id: str | None = None) -> list[StateRow]:
        with self._lock:
            out = [replace(r) for r in self._rows.values() if not portal_id or r.portal_id == portal_id]
        return sorted(out, key=lambda r: r.url)


def _read_parquet(fs: pafs.FileSystem, path: str) -> pa.Table:
    with fs.open_input_file(path) as fh:
        return pq.read_table(fh)


def _state_error(exc: BaseException, what: str) -> Exception:
    """SQLite says "database or disk is full" / "attempt to write a readonly database"."""
    if isinstance(exc, sqlite3.Error) and "readonly" in str(exc):
        exc = OSError(30, "Read-only file system")
    return store_error(exc, what)
