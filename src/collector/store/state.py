"""The crawl-state table: what was fetched, when, with which validators and result.

One row per URL (listing pages, report pages, attachments): the HTTP validators (ETag,
Last-Modified) that make the next run's requests conditional, the sha256 of the stored body, and
the last error. ``processed_sha256`` records which body version has already gone through the
parser into the dataset, so a second run over unchanged pages writes nothing;
``failure_recorded`` does the same for a fetch failure stored in ``documents``. ``spent`` /
``spent_since`` add up the seconds a failing URL has cost since its first failure, so the
Prefect task retries cannot give a URL more than its time budget (``FetchSettings.url_budget``).
SQLite in WAL mode, one commit per document: a crash loses at most the document in flight.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collector.store.faults import store_error

STATE_RELPATH = "state/crawl.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fetches (
    url TEXT PRIMARY KEY,
    portal_id TEXT,
    kind TEXT,                 -- listing | page | attachment
    status TEXT,               -- new | unchanged | failed | blocked
    http_status INTEGER,
    etag TEXT,
    last_modified TEXT,
    sha256 TEXT,
    content_type TEXT,
    encoding TEXT,
    final_url TEXT,
    parent_url TEXT,
    fetched_at TEXT,
    error_code TEXT,
    error TEXT,
    processed_sha256 TEXT,
    processed_at TEXT,
    processed_version TEXT,    -- parser version that turned processed_sha256 into dataset rows
    failure_recorded TEXT,     -- the fetch failure (code:status) already written to documents
    spent REAL,                -- seconds this URL has cost since spent_since (failures only)
    spent_since TEXT
);
CREATE INDEX IF NOT EXISTS fetches_portal ON fetches(portal_id, kind);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""
_ADDED = ("processed_version", "failure_recorded", "spent REAL", "spent_since")  # columns older files lack
_KEPT = ("processed_sha256", "processed_at", "processed_version", "failure_recorded")  # not touched by record()


@dataclass(slots=True)
class StateRow:
    url: str
    portal_id: str | None = None
    kind: str | None = None
    status: str | None = None
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
    processed_version: str | None = None
    failure_recorded: str | None = None
    spent: float | None = None
    spent_since: str | None = None


_COLS = [f.name for f in fields(StateRow)]


def utcnow_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class CrawlState:
    """Thread-safe wrapper over the SQLite state file (``OUT/state/crawl.sqlite``)."""

    def __init__(self, out_root: str | Path) -> None:
        path = Path(out_root) / STATE_RELPATH
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._migrate()
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise _state_error(exc, f"opening the crawl state {path}") from None

    def _migrate(self) -> None:
        """Add columns that older state files lack (processed_version: re-parse after a parser upgrade)."""
        have = {r[1] for r in self._db.execute("PRAGMA table_info(fetches)")}
        for col in _ADDED:
            name, _, kind = col.partition(" ")
            if name not in have:
                with contextlib.suppress(sqlite3.OperationalError):  # another process added it first
                    self._db.execute(f"ALTER TABLE fetches ADD COLUMN {name} {kind or 'TEXT'}")

    def _write(self, sql: str, args: Any = ()) -> None:
        with self._lock:
            try:
                self._db.execute(sql, args)
                self._db.commit()
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise  # transient: the caller's retry policy decides
                raise _state_error(exc, f"writing the crawl state {self.path}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> CrawlState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str) -> StateRow | None:
        with self._lock:
            cur = self._db.execute(f"SELECT {', '.join(_COLS)} FROM fetches WHERE url = ?", (url,))
            row = cur.fetchone()
        return StateRow(*row) if row else None

    def record(self, row: StateRow) -> None:
        """Insert or update the fetch result of ``row.url``; keeps validators of failed re-fetches
        and the processed marker (those belong to the last good body)."""
        d = asdict(row)
        d["fetched_at"] = d["fetched_at"] or utcnow_iso()
        keep_on_failure = ("etag", "last_modified", "sha256", "content_type", "encoding")
        sets = []
        for c in _COLS[1:]:
            if c in _KEPT:
                continue
            if c in keep_on_failure:
                sets.append(f"{c} = CASE WHEN excluded.status IN ('failed','blocked') THEN fetches.{c} "
                            f"ELSE excluded.{c} END")
            else:
                sets.append(f"{c} = excluded.{c}")
        sql = (f"INSERT INTO fetches ({', '.join(_COLS)}) VALUES ({', '.join('?' * len(_COLS))}) "
               f"ON CONFLICT(url) DO UPDATE SET {', '.join(sets)}")
        self._write(sql, [d[c] for c in _COLS])

    def mark_processed(self, url: str, sha256: str, version: str | None = None) -> None:
        """The body ``sha256`` of ``url`` is in the dataset (and no fetch failure row is)."""
        self._write("UPDATE fetches SET processed_sha256 = ?, processed_at = ?, processed_version = ?, "
                    "failure_recorded = NULL WHERE url = ?", (sha256, utcnow_iso(), version, url))

    def mark_failure_recorded(self, url: str, key: str) -> None:
        """The fetch failure ``key`` of ``url`` is in ``documents``: do not write it again."""
        self._write("UPDATE fetches SET failure_recorded = ? WHERE url = ?", (key, url))

    def forget_processed(self) -> None:
        """Every document goes through the parser again on the next run (rows were lost)."""
        self._write("UPDATE fetches SET processed_sha256 = NULL, processed_version = NULL, failure_recorded = NULL")

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._write("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value))

    def rows(self, portal_id: str | None = None) -> list[StateRow]:
        sql = f"SELECT {', '.join(_COLS)} FROM fetches"
        args: tuple[str, ...] = ()
        if portal_id:
            sql += " WHERE portal_id = ?"
            args = (portal_id,)
        with self._lock:
            return [StateRow(*r) for r in self._db.execute(sql + " ORDER BY url", args)]


def _state_error(exc: BaseException, what: str) -> Exception:
    """SQLite says "database or disk is full" / "attempt to write a readonly database"."""
    if isinstance(exc, sqlite3.Error) and "readonly" in str(exc):
        exc = OSError(30, "Read-only file system")
    return store_error(exc, what)
