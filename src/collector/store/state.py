"""The crawl-state table: what was fetched, when, with which validators and result.

One row per URL (listing pages, report pages, attachments): the HTTP validators (ETag,
Last-Modified) that make the next run's requests conditional, the sha256 of the stored body, and
the last error. ``processed_sha256`` records which body version has already gone through the
parser into the dataset, so a second run over unchanged pages writes nothing;
``failure_recorded`` does the same for a fetch failure stored in ``documents``. ``spent`` /
``spent_since`` add up the seconds a failing URL has cost since its first failure, so the
Prefect task retries cannot give a URL more than its time budget (``FetchSettings.url_budget``).

**Where it lives.** In the output root, so a worker on another machine resumes from it, on any
filesystem the root can be (an object store has no SQLite and no rename): a log of small files
per portal, ``state/fetches/portal=<id>/<time_ns>-<id>.jsonl.gz`` (gzipped JSON Lines, one
object per row: DuckDB's ``read_json``, pandas and ``zcat`` read them), each holding the full
rows of the URLs one process changed since its last sync; the newest file of a URL wins. A
process loads the log into memory when it opens the state and appends a file at most every
``sync_seconds`` and on close, only for the portals it touched — so workers crawling different
portals never write the same file, and appending needs neither a lock nor a read-modify-write.
When a portal holds more than :data:`COMPACT_AT` files, they are merged into one (named after the
newest file it replaces, so the order holds while the old files are deleted).

Why JSON Lines, not Parquet: writing Parquet needs pyarrow, and pyarrow building an array loads
pandas — ~140 MB and 600 modules in a crawler that is otherwise ~60 MB (issue #13). The log is a
few hundred bytes per URL, written every few seconds; nothing queries it but this class. Log
files of the previous version (``*.parquet``) are still read (pyarrow then loads, once) and are
merged into one JSON Lines file the next time this process writes that portal's state.

Why this is safe for resuming: the state only ever lags the dataset (``mark_processed`` follows
the dataset commit), and the dataset's writes are keyed, so a process killed before its last
sync re-fetches and re-parses at most its last few seconds of documents and writes the same
rows again — no duplicate, no hole. A root written by an older version (``state/crawl.sqlite``)
is migrated on open; the SQLite file is kept as ``crawl.sqlite.migrated``.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from collector.store.faults import store_error
from collector.store.files import Files, open_files
from collector.store.location import normalise

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
LOG_SUFFIX = ".jsonl.gz"
_LEGACY_SUFFIX = ".parquet"  # the log's files before issue #13: read, and merged away on the next write


def _as_dict(row: StateRow) -> dict[str, Any]:
    """The row's fields (``dataclasses.asdict`` deep-copies each value: a third of a fetch's bookkeeping)."""
    return {c: getattr(row, c) for c in _COLS}


_now_iso: tuple[int, str] = (0, "")


def utcnow_iso() -> str:
    """The current UTC second, ISO 8601 (every fetch stamps its row: formatted once a second)."""
    global _now_iso
    sec = int(time.time())
    if sec != _now_iso[0]:
        _now_iso = (sec, datetime.fromtimestamp(sec, UTC).isoformat(timespec="seconds"))
    return _now_iso[1]


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
        self._legacy: set[str] = set()    # portal dirs holding files of the Parquet log
        self._last_sync = time.monotonic()
        self._closed = False
        self._fs: Files = open_files(self.uri)  # BadLocation for a URI nothing here can open
        self.base = self._fs.base
        try:
            self._migrate_sqlite()
            self._load()
        except (*self._fs.errors, sqlite3.Error, ValueError) as exc:  # ValueError: a damaged log file
            raise _state_error(exc, f"opening the crawl state in {self.path}") from None

    # -- the log in the root ---------------------------------------------------------------------
    def _abs(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def _log_files(self, directory: str, *, recursive: bool = False) -> list[str]:
        """The log's files under ``directory``, oldest first (names start with the time they were written)."""
        paths = [p for p in self._fs.list(directory, recursive=recursive) if _is_log_file(p.rsplit("/", 1)[-1])]
        return sorted(paths, key=lambda p: p.rsplit("/", 1)[-1])

    def _load(self) -> None:
        for attempt in range(5):
            try:
                rows: dict[str, StateRow] = {}
                counts: dict[str, int] = {}
                legacy: set[str] = set()
                for path in self._log_files(self._abs(FETCHES), recursive=True):
                    rel_dir = path[len(self.base) + 1:].rsplit("/", 1)[0]
                    counts[rel_dir] = counts.get(rel_dir, 0) + 1
                    if path.endswith(_LEGACY_SUFFIX):
                        legacy.add(rel_dir)
                    for d in self._read_log(path):
                        rows[d["url"]] = StateRow(**{c: d.get(c) for c in _COLS})
                break
            except FileNotFoundError:  # a compaction removed a file meanwhile: list again
                if attempt == 4:
                    raise
        self._rows, self._files, self._legacy = rows, counts, legacy
        if self._fs.exists(self._abs(META)):
            self._meta = {str(k): str(v) for k, v in json.loads(self._fs.read(self._abs(META)) or b"{}").items()}

    def _read_log(self, path: str) -> list[dict[str, Any]]:
        data = self._fs.read(path)
        if path.endswith(_LEGACY_SUFFIX):
            return _read_parquet(data)
        return [json.loads(line) for line in gzip.decompress(data).splitlines() if line.strip()]

    def _append(self, pdir: str, rows: list[StateRow], name: str | None = None) -> None:
        lines = [json.dumps(_as_dict(r), ensure_ascii=False, separators=(",", ":")) for r in rows]
        data = gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=6, mtime=0)
        name = name or f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}{LOG_SUFFIX}"
        self._fs.write(self._abs(f"{pdir}/{name}"), data)
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
                    if self._files.get(pdir, 0) > COMPACT_AT or pdir in self._legacy:
                        self._compact(pdir)
            except (*self._fs.errors, ValueError) as exc:
                raise _state_error(exc, f"writing the crawl state in {self.path}") from None
            self._dirty.clear()

    def _compact(self, pdir: str) -> None:
        """Merge a portal's files into one, named after the newest it replaces, then delete them
        (files of the Parquet log included: that is their migration)."""
        paths = self._log_files(self._abs(pdir))
        if len(paths) < 2 and not any(p.endswith(_LEGACY_SUFFIX) for p in paths):
            return
        merged: dict[str, dict[str, Any]] = {}
        try:
            for path in paths:
                for d in self._read_log(path):
                    merged[d["url"]] = d
        except FileNotFoundError:
            return  # another process is compacting this portal
        newest = paths[-1].rsplit("/", 1)[-1].split("-", 1)[0]
        rows = [StateRow(**{c: d.get(c) for c in _COLS}) for d in merged.values()]
        self._append(pdir, rows, name=f"{newest}-~{uuid.uuid4().hex[:8]}{LOG_SUFFIX}")
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                self._fs.delete(path)
        self._files[pdir] = 1
        self._legacy.discard(pdir)

    def _migrate_sqlite(self) -> None:
        """A root of an older version keeps its state in ``state/crawl.sqlite``: copy it into the log."""
        fs = self._fs
        legacy = self._abs(LEGACY_SQLITE)
        if not fs.exists(legacy):
            return
        tmpdir = None
        try:
            if fs.local:
                db_path = legacy
            else:  # SQLite needs a local file (and its WAL, which may hold committed rows)
                tmpdir = tempfile.mkdtemp(prefix="xxgk-state-")
                db_path = os.path.join(tmpdir, "crawl.sqlite")
                for suffix in ("", "-wal"):
                    if fs.exists(legacy + suffix):
                        with open(db_path + suffix, "wb") as dst:
                            dst.write(fs.read(legacy + suffix))
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
            self._append(pdir, prows, name=f"{0:020d}-sqlite{LOG_SUFFIX}")
        if meta:
            self._meta = {**meta}
            self._write_meta()
        for suffix in ("", "-wal", "-shm"):
            if fs.exists(legacy + suffix):
                with contextlib.suppress(FileNotFoundError):  # another process migrated it first
                    fs.move(legacy + suffix, legacy + ".migrated" + suffix)
        log.info("crawl state: migrated %d rows from %s", len(rows), LEGACY_SQLITE)

    def _write_meta(self) -> None:
        self._fs.write(self._abs(META), json.dumps(self._meta, ensure_ascii=False, indent=1).encode())

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
        d = _as_dict(row)
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
            except self._fs.errors as exc:
                raise _state_error(exc, f"writing the crawl state in {self.path}") from None

    def rows(self, portal_id: str | None = None) -> list[StateRow]:
        with self._lock:
            out = [replace(r) for r in self._rows.values() if not portal_id or r.portal_id == portal_id]
        return sorted(out, key=lambda r: r.url)


def _is_log_file(name: str) -> bool:
    return not name.startswith(".") and (name.endswith(LOG_SUFFIX) or name.endswith(_LEGACY_SUFFIX))


def _read_parquet(data: bytes) -> list[dict[str, Any]]:
    """Rows of a file of the Parquet log (written before issue #13)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pq.read_table(pa.BufferReader(data)).to_pylist()


def _state_error(exc: BaseException, what: str) -> Exception:
    """SQLite says "database or disk is full" / "attempt to write a readonly database"."""
    if isinstance(exc, sqlite3.Error) and "readonly" in str(exc):
        exc = OSError(30, "Read-only file system")
    return store_error(exc, what)
