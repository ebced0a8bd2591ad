"""The Parquet dataset: ``OUT/{reports,cells,findings}/report_year=YYYY/part-*.parquet`` + ``OUT/documents/``.

Guarantees, and how:

* **Atomic batches** — every write is a transaction of the commit log (:mod:`collector.store.commit`):
  data files are staged outside the table directories, one commit record makes the batch real,
  publishing moves the files into place. A report's rows in all four tables appear together or
  not at all, whatever kills the writer (SIGKILL, a full disk) at whatever step.
* **Idempotent writes** — rows are keyed (``report_id``; ``(source_url, document_sha256)`` for
  documents). A batch adds one new file per partition and rewrites the older files that held
  the same keys without them, in the same transaction. Writing the same report twice leaves one row.
* **Repair on open** — a writer first rolls pending commits forward, removes uncommitted staged
  files and temp files, moves unreadable part files (empty, truncated, not Parquet) to
  ``OUT/_quarantine/`` with a JSON note saying why, and drops duplicate keys a crash of an older
  version could leave.
* **Reads need no lock** — the library reads the committed view (published files plus pending
  commits) and writes nothing, so a read-only dataset reads; an unreadable file is named, set
  aside (quarantined when the root is writable) and the read goes on.
* **Clear failures** — a full disk raises :class:`~collector.errors.DiskFull` ("No space left on
  device"), a read-only root :class:`~collector.errors.ReadOnlyStore`; the batch is rolled back.
* **One writer** — a lock file serialises writers on a local root (Prefect's global concurrency
  limit does it across workers).
* **Self-describing, versioned files** — every file carries the schema version and each column's
  description, Chinese label and unit (Arrow field metadata, plus an ``xxgk:columns`` JSON entry
  DuckDB can read); the root gets a generated ``README.md`` codebook when data is written. Files
  of an older layout are upgraded when read and rewritten in the current one whenever a file is
  rewritten; :meth:`Dataset.migrate` rewrites them all (``collector.store.migrate``).

The root is a local path or any URI pyarrow.fs (or fsspec) understands (``s3://…``, ``gs://…``):
see :mod:`collector.store.location`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from collector.errors import ReadOnlyStore, StoreError
from collector.schema import TableSpec, conform, conform_columns, table_specs
from collector.store import commit
from collector.store.arrow import ds, pa, pafs, pc, pq
from collector.store.faults import fault_point, store_error
from collector.store.fileformat import file_format
from collector.store.keyindex import FileKeys, KeyIndex, merge_candidates, partition_of
from collector.store.location import is_local, makedirs, normalise, open_root
from collector.store.migrate import is_current, upgrade

log = logging.getLogger(__name__)
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
QUARANTINE_DIR = "_quarantine"
LOCK_NAME = ".writer.lock"
# (path, size, mtime) -> the file is in the current layout; files are never rewritten in place,
# size and mtime guard against anyone who does
_CURRENT: dict[tuple[str, int | None, int | None], bool] = {}
# path -> size of the files this process staged (always in the current layout): reading them back (the
# summary a run ends with, compaction) need not parse each ~350 KB footer to learn that (issue #13)
_WRITTEN: dict[str, int | None] = {}


@dataclass
class WriteStats:
    rows: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    files_written: int = 0


@dataclass(slots=True)
class _Listing:
    """What an open transaction listed, once: with the writer lock held only this writer changes
    the root, so each table directory's listing and the pending commits stay true until it ends
    (a transaction used to list them again on every lookup: ~12 table listings and as many of
    ``_store/commits/`` per batch, each a LIST request on an object store)."""

    tables: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> {rel: path}
    pending: tuple[list[tuple[str, commit.CommitRecord]], set[str]] | None = None


@dataclass(frozen=True, slots=True)
class _File:
    rel: str    # final path relative to the root (names the partition)
    path: str   # where to read it now (published, or staged while a commit is pending)


class Dataset:
    """A dataset root; holds the filesystem handle, the writer lock and the open transaction."""

    def __init__(self, root: str | os.PathLike[str], *, repair: bool = True, fsync: bool = False) -> None:
        self.root = normalise(root)
        self.fs, self.path = open_root(self.root)
        self.local = is_local(self.fs)
        self.specs = table_specs()
        self.fsync = fsync
        self.quarantined: list[dict[str, Any]] = []     # set aside by this instance
        self.unreadable: dict[str, str] = {}            # path -> why, when it could not be moved
        self._txn: commit.Txn | None = None
        self._listed: _Listing | None = None  # while a transaction is open
        self._index = KeyIndex(self.fs, self.path)
        self._stat: dict[str, tuple[int | None, int | None]] = {}
        self._lock_fh: TextIO | None = None
        self._lock_depth = 0
        self.read_only = False
        if repair:
            try:
                with self.lock():
                    self.repair()
            except ReadOnlyStore as exc:  # reads need neither the lock nor a repair
                self.read_only = True
                log.info("%s", exc)

    # -- locking -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """The writer lock (re-entrant); raises :class:`ReadOnlyStore` when the root cannot be written.

        Writers of one process queue on a lock per root (an object store has no lock file: the
        flows' tasks share a process); a lock file excludes other processes on a local root, and
        Prefect's writer slot other workers."""
        if self._lock_depth == 0:
            plock = _process_lock(self.root)
            plock.acquire()
            try:
                makedirs(self.fs, self.path)
                if self.local:
                    self._lock_fh = open(os.path.join(self.path, LOCK_NAME), "a+")  # noqa: SIM115
            except (OSError, pa.ArrowException) as exc:
                plock.release()
                raise store_error(exc, f"opening the dataset {self.root} for writing") from None
            if self._lock_fh is not None:
                fcntl.flock(self._lock_fh, fcntl.LOCK_EX)
        self._lock_depth += 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                if self._lock_fh is not None:
                    fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
                    self._lock_fh.close()
                    self._lock_fh = None
                _process_lock(self.root).release()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[commit.Txn]:
        """All writes inside the block commit together (a nested block joins the outer one)."""
        if self._txn is not None:
            yield self._txn
            return
        with self.lock():
            txn = commit.Txn(self.fs, self.path, local=self.local, fsync=self.fsync)
            self._txn, self._listed = txn, _Listing()
            try:
                yield txn
                done = txn.commit()
            except BaseException as exc:
                if not txn.committed:
                    txn.abort()
                    self._index.aborted()
                self._txn, self._listed = None, None
                if isinstance(exc, OSError | pa.ArrowException):
                    raise store_error(exc, f"writing to {self.root}") from None
                raise
            self._txn, self._listed = None, None
            self._index.committed(list(txn.adds), list(txn.removes))
            if done is not None:
                try:
                    commit.publish(self.fs, self.path, *done)
                except (OSError, pa.ArrowException) as exc:
                    # committed: readers see the batch; the next writer finishes the publish
                    raise store_error(exc, f"publishing a committed batch in {self.root}") from None
                self._index.persist()

    # -- paths -------------------------------------------------------------------------------
    def table_dir(self, table: str) -> str:
        return f"{self.path}/{table}"

    def _partition_rel(self, spec: TableSpec, value: Any) -> str:
        if spec.partition is None:
            return spec.name
        return f"{spec.name}/{spec.partition}={HIVE_NULL if value is None else value}"

    def _abs(self, rel: str) -> str:
        return f"{self.path}/{rel}"

    def _published(self, table: str) -> dict[str, str]:
        """Published part files of ``table``: final path relative to the root -> path (a fresh dict)."""
        if self._listed is None:
            return self._list_published(table)
        if table not in self._listed.tables:
            self._listed.tables[table] = self._list_published(table)
        return dict(self._listed.tables[table])

    def _list_published(self, table: str) -> dict[str, str]:
        base = self.table_dir(table)
        try:
            infos = self.fs.get_file_info(pafs.FileSelector(base, allow_not_found=True, recursive=True))
        except FileNotFoundError:
            return {}
        prefix = f"{self.path}/"
        files = [f for f in infos
                 if f.type == pafs.FileType.File and f.base_name.startswith("part-") and f.path.endswith(".parquet")]
        self._stat.update({f.path: (f.size, f.mtime_ns) for f in files})
        return {f.path[len(prefix):]: f.path for f in files}

    def _entries(self, table: str) -> list[_File]:
        """The committed view of ``table`` (plus the open transaction's changes), oldest first."""
        files = self._published(table)
        pend, staged = self._pending()
        if pend:
            for _, rec in pend:
                for add in rec.add:
                    if add.path.startswith(f"{table}/") and add.path not in files and add.staged in staged:
                        files[add.path] = self._abs(add.staged)
                for rel in rec.remove:
                    files.pop(rel, None)
        if self._txn is not None:
            for rel in self._txn.removes:
                files.pop(rel, None)
            for rel, add in self._txn.adds.items():
                if rel.startswith(f"{table}/"):
                    files[rel] = self._abs(add.staged)
        out = [_File(rel, path) for rel, path in files.items() if path not in self.unreadable]
        return sorted(out, key=lambda f: f.rel.rsplit("/", 1)[-1])

    def _pending(self) -> tuple[list[tuple[str, commit.CommitRecord]], set[str]]:
        """Pending commits and, when there are any, the staged files (once per transaction)."""
        if self._listed is not None and self._listed.pending is not None:
            return self._listed.pending
        pend = commit.pending(self.fs, self.path)
        out = (pend, commit.staged_paths(self.fs, self.path) if pend else set())
        if self._listed is not None:
            self._listed.pending = out
        return out

    def _files(self, table: str) -> list[str]:
        return [f.path for f in self._entries(table)]

    def committed_files(self, table: str) -> list[str]:
        """Paths of the committed files of ``table`` (for a reader that lists files itself)."""
        return self._files(table)

    # -- writing -----------------------------------------------------------------------------
    def _stage(self, table: pa.Table, partition_rel: str) -> str:
        """Stage one file in the current layout (an older table is upgraded on the way), documented."""
        assert self._txn is not None, "writes happen inside a transaction"
        spec = self.specs[partition_rel.split("/", 1)[0]]
        if not table.schema.equals(spec.file_schema, check_metadata=False):
            table = upgrade(table, spec)  # an older layout; its documentation comes with the footer either way
        rel = f"{partition_rel}/part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        added = self._txn.stage(rel, table, file_format(spec.name))
        _WRITTEN[self._abs(rel)] = added.bytes
        self._index.stage(self._file_keys(spec, rel, table, added.bytes))
        return rel

    def _file_keys(self, spec: TableSpec, rel: str, table: pa.Table, size: int | None) -> FileKeys:
        keys = self._key_strings(table, spec.key).to_pylist()
        urls = None
        if spec.name == "reports":
            url = pc.coalesce(table.column("canonical_url"), table.column("source_url")).to_pylist()
            urls = {k: u for k, u in zip(keys, url, strict=True) if u is not None}
        return FileKeys(rel, table.num_rows, size, frozenset(keys), urls)

    def _read_keys(self, spec: TableSpec) -> Any:
        """A reader of one file's keys for the index (None when the file is unreadable: set aside)."""
        cols = list(spec.key) + (["canonical_url", "source_url"] if spec.name == "reports" else [])

        def read(rel: str, path: str) -> FileKeys | None:
            t = self._read_file(_File(rel, path), cols)
            return None if t is None else self._file_keys(spec, rel, t, self._stat.get(path, (None, None))[0])

        return read

    def _indexed(self, spec: TableSpec, entries: list[_File]) -> list[FileKeys]:
        """The keys of each of ``entries`` from the index (a file it does not know is read once)."""
        return self._index.files(((f.rel, f.path, self._stat.get(f.path, (None, None))[0]) for f in entries),
                                 self._read_keys(spec))

    def _drop(self, rel: str) -> None:
        assert self._txn is not None
        self._txn.remove(rel)
        self._index.unstage(rel)

    def _key_strings(self, table: pa.Table, key: tuple[str, ...]) -> pa.Array:
        if len(key) == 1:
            return pc.cast(table.column(key[0]), pa.string()).combine_chunks()
        cols = [pc.fill_null(pc.cast(table.column(k), pa.string()), "") for k in key]
        return pc.binary_join_element_wise(*cols, "\x1f").combine_chunks()

    def write_rows(self, table: str, rows: list[dict[str, Any]] | dict[str, list[Any]], *,
                   drop_keys: set[str] | None = None) -> tuple[int, int]:
        """Write rows to ``table`` replacing rows with the same key; returns (written, replaced).

        ``rows``: row dicts, or the same rows as columns (name -> values). ``drop_keys`` removes
        further keys everywhere (a report whose year changed on re-parse moved partition: its old
        rows must go).
        """
        spec = self.specs[table]
        if isinstance(rows, dict):
            data = conform_columns(rows, spec.schema, table)
        else:
            data = conform(rows, spec.schema, table) if rows else spec.schema.empty_table()
        if not data.num_rows and not drop_keys:
            return 0, 0
        row_keys = self._key_strings(data, spec.key).to_pylist()
        keys = set(row_keys)
        # one row per key (reports, documents): the last row of a key within the batch wins
        if len(keys) < data.num_rows and table not in ("cells", "findings"):
            last = {k: i for i, k in enumerate(row_keys)}
            data = data.take(sorted(last.values()))
        remove = keys | (drop_keys or set())
        with self.transaction():
            new_files: set[str] = set()
            if spec.partition:
                part_col = data.column(spec.partition).to_pylist()
                groups: dict[Any, list[int]] = defaultdict(list)
                for i, v in enumerate(part_col):
                    groups[v].append(i)
                # one take puts each partition's rows together (in batch order), then zero-copy
                # slices: a take per partition cost a kernel call per column (345 for reports) each
                data = data.drop_columns([spec.partition])
                if len(groups) > 1:
                    data = data.take([i for idx in groups.values() for i in idx])
                start = 0
                for value, idx in groups.items():
                    chunk = data.slice(start, len(idx))
                    start += len(idx)
                    new_files.add(self._stage(chunk, self._partition_rel(spec, value)))
            elif data.num_rows:
                new_files.add(self._stage(data, spec.name))
            replaced = self._remove_keys(spec, remove, keep=new_files)
            for partition in sorted({partition_of(rel) for rel in new_files}):
                self._merge_small_files(spec, partition)
        return data.num_rows, replaced

    def _merge_small_files(self, spec: TableSpec, partition: str) -> int:
        """Merge a partition's files tier by tier (:func:`keyindex.merge_candidates`), in the open
        transaction; returns the files merged."""
        merged = 0
        while True:
            entries = {f.rel: f for f in self._entries(spec.name) if partition_of(f.rel) == partition}
            group = merge_candidates(self._indexed(spec, list(entries.values())))
            if not group:
                return merged
            tables = []
            for fk in group:
                f = entries[fk.rel]
                t = self._read_file(f)
                if t is None:  # unreadable: set aside; try again without it
                    break
                tables.append(t if is_current(t.schema, spec) else upgrade(t, spec))
            else:
                self._stage(pa.concat_tables(tables, promote_options="default"), partition)
                for fk in group:
                    self._drop(fk.rel)
                merged += len(group)

    def _read_file(self, f: _File, columns: list[str] | None = None) -> pa.Table | None:
        """One file's rows, or None when it is unreadable (then it is set aside)."""
        try:
            with self.fs.open_input_file(f.path) as fh:
                return pq.read_table(fh, columns=columns)
        except (OSError, pa.ArrowException) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            self._set_aside(f, f"unreadable Parquet file ({_one_line(exc)})")
            return None

    def _remove_keys(self, spec: TableSpec, keys: set[str], keep: set[str]) -> int:
        if not keys:
            return 0
        removed = 0
        key_set = pa.array(sorted(keys), pa.string())
        entries = {f.rel: f for f in self._entries(spec.name) if f.rel not in keep}
        for fk in self._indexed(spec, list(entries.values())):
            if fk.keys.isdisjoint(keys):
                continue  # the index says the file holds none of them: not read
            f = entries[fk.rel]
            existing = self._read_file(f, list(spec.key))
            if existing is None:
                continue
            mask = pc.is_in(self._key_strings(existing, spec.key), value_set=key_set)
            hits = pc.sum(mask).as_py() or 0
            if not hits:
                continue
            removed += self._rewrite_without(f, mask)
        return removed

    def _rewrite_without(self, f: _File, mask: pa.Array) -> int:
        """Replace ``f`` by a copy without the rows ``mask`` selects; returns the rows dropped."""
        full = self._read_file(f)
        if full is None:
            return 0
        kept = full.filter(pc.invert(mask))
        if kept.num_rows:
            self._stage(kept, f.rel.rsplit("/", 1)[0])
        self._drop(f.rel)
        return full.num_rows - kept.num_rows

    def write(self, outcomes: Iterable[Any]) -> WriteStats:
        """Write pipeline outcomes (records with their cells and findings, and document rows) as
        one transaction: all of a batch's rows in the four tables, or none."""
        return self.write_batches([outcomes])[0]

    def write_batches(self, batches: Sequence[Iterable[Any]]) -> list[WriteStats]:
        """Several writers' batches as ONE transaction (group commit): one file per partition and
        table for all of them instead of one per batch — a ``reports`` file of 345 columns costs
        ~15 ms to write whatever its rows — with the rows each batch wrote counted apart.

        A report in several batches: the last one wins (as within a batch); the first batch's
        stats carry the rows replaced and the files written.
        """
        from collector.store.rows import (
            cell_columns,
            document_row,
            record_to_finding_rows,
            record_to_report_row,
        )

        reports, findings, documents = [], [], []
        drop: set[str] = set()
        latest: dict[str, tuple[int, Any]] = {}
        last_doc: dict[tuple[Any, Any], int] = {}  # documents key -> batch of its last row (last wins)
        stats = [WriteStats() for _ in batches]
        for b, batch in enumerate(batches):
            for o in batch:
                if o.document is not None:
                    row = document_row(o.document, getattr(o, "run_id", None))
                    documents.append(row)
                    last_doc[(row.get("source_url"), row.get("document_sha256"))] = b
                if o.record is not None:
                    latest.pop(o.record["report_id"], None)  # the same report twice: last wins, in batch order
                    latest[o.record["report_id"]] = (b, o)
        for b in last_doc.values():
            stats[b].rows["documents"] = stats[b].rows.get("documents", 0) + 1
        cells: dict[str, list[Any]] = {}
        for b, o in latest.values():
            rec, run_id = o.record, getattr(o, "run_id", None)
            row = record_to_report_row(rec, run_id)
            reports.append(row)
            before = len(cells.get("field", ()))
            cell_columns([(rec, o.cells)], run_id, into=cells, rows=[row])  # each report with its own run id
            finding_rows = record_to_finding_rows(rec, run_id=run_id)
            findings.extend(finding_rows)
            st = stats[b].rows
            st["reports"] = st.get("reports", 0) + 1
            st["cells"] = st.get("cells", 0) + len(cells["field"]) - before
            st["findings"] = st.get("findings", 0) + len(finding_rows)
            drop.update(getattr(o, "superseded_ids", ()) or ())
        # a document fetched at last replaces the row that recorded its fetch failure (no sha256)
        doc_drop = {f"{d['source_url']}\x1f" for d in documents if d.get("document_sha256")}
        first = stats[0] if stats else WriteStats()
        with self.transaction() as txn:
            drop |= self._superseded(reports)
            for name, rows in (("documents", documents), ("cells", cells), ("findings", findings),
                               ("reports", reports)):
                keys = doc_drop if name == "documents" else drop
                if name == "findings":  # keyed (report_id, scope): a re-parse replaces record-scope rows
                    keys = {f"{k}\x1f{scope}" for k in drop for scope in ("record", "dataset")}
                    keys |= {f"{r['report_id']}\x1frecord" for r in reports}
                _, first.replaced[name] = self.write_rows(name, rows, drop_keys=keys)
            first.files_written = len(txn.adds)
        for st in stats:
            for name in ("documents", "cells", "findings", "reports"):
                st.rows.setdefault(name, 0)
        self.write_codebook()
        return stats

    def write_codebook(self) -> bool:
        """Write the root's ``README.md`` (tables, columns, rules) if missing or stale; True if written."""
        from collector.store.codebook import write_readme

        return write_readme(self.fs, self.path)

    def _superseded(self, reports: list[dict[str, Any]]) -> set[str]:
        """Ids of stored reports from the same source URL under a different id (year re-read)."""
        urls = {r.get("canonical_url") or r.get("source_url") for r in reports} - {None}
        entries = self._entries("reports")
        if not urls or not entries:
            return set()
        new_ids = {r["report_id"] for r in reports}
        out = set()
        for fk in self._indexed(self.specs["reports"], entries):
            out.update(rid for rid, url in (fk.urls or {}).items() if url in urls and rid not in new_ids)
        return out

    # -- reading -----------------------------------------------------------------------------------
    def read(self, table: str, columns: list[str] | None = None, filter: Any = None) -> pa.Table:  # noqa: A002
        """The committed rows of ``table``; unreadable files are named, set aside and skipped."""
        spec = self.specs[table]
        for _ in range(5):
            entries = self._entries(table)
            try:
                return self._read_entries(spec, entries, columns, filter)
            except FileNotFoundError:
                continue  # a writer published or replaced a file meanwhile: list again
            except (OSError, pa.ArrowException) as exc:
                bad = self._find_unreadable(entries)
                if not bad:
                    raise StoreError(f"cannot read {table} in {self.root}: {_one_line(exc)}") from None
        raise StoreError(f"cannot read {table} in {self.root}: its files kept changing")

    def _is_current(self, f: _File, spec: TableSpec) -> bool:
        size, mtime = self._stat.get(f.path, (None, None))
        if f.path in _WRITTEN and _WRITTEN[f.path] == size:
            return True
        key = (f.path, size, mtime)
        known = _CURRENT.get(key)
        if known is None:
            known = _CURRENT[key] = is_current(pq.read_schema(f.path, filesystem=self.fs), spec)
        return known

    def _read_older(self, f: _File, spec: TableSpec) -> pa.Table:
        """A file of an older layout, upgraded, with its partition column (from its final path)."""
        with self.fs.open_input_file(f.path) as fh:
            t = upgrade(pq.read_table(fh), spec)
        if spec.partition:
            value = f.rel.rsplit("/", 2)[-2].split("=", 1)[1]
            v = None if value == HIVE_NULL else int(value)
            t = t.append_column(spec.schema.field(spec.partition), pa.array([v] * t.num_rows, pa.int64()))
        return t.select(spec.schema.names).cast(spec.schema)

    def _read_entries(self, spec: TableSpec, entries: list[_File], columns: list[str] | None,
                      filter: Any) -> pa.Table:  # noqa: A002
        schema = spec.schema
        empty = schema.empty_table()
        if not entries:
            return empty if columns is None else empty.select(columns)
        older = [f for f in entries if not self._is_current(f, spec)]
        entries = [f for f in entries if f not in older]
        published = [f.path for f in entries if f.path == self._abs(f.rel)]
        parts: list[pa.Table] = []
        if published:
            part = ds.partitioning(pa.schema([(spec.partition, pa.int64())]), flavor="hive") if spec.partition else None
            dset = ds.dataset(published, filesystem=self.fs, format="parquet", partitioning=part,
                              partition_base_dir=self.table_dir(spec.name), schema=schema)
            parts.append(dset.to_table(columns=columns, filter=filter))
        for f in entries:
            if f.path != self._abs(f.rel):  # staged by a pending commit: the partition is in its final path
                t = ds.dataset([f.path], filesystem=self.fs, format="parquet", schema=schema).to_table()
                if spec.partition:
                    value = f.rel.rsplit("/", 2)[-2].split("=", 1)[1]
                    v = None if value == HIVE_NULL else int(value)
                    col = pa.array([v] * t.num_rows, schema.field(spec.partition).type)
                    t = t.set_column(schema.get_field_index(spec.partition), spec.partition, col)
                if filter is not None:
                    t = t.filter(filter)
                parts.append(t if columns is None else t.select(columns))
        for f in older:
            t = self._read_older(f, spec)
            if filter is not None:
                t = t.filter(filter)
            parts.append(t if columns is None else t.select(columns))
        if not parts:
            return empty if columns is None else empty.select(columns)
        return parts[0] if len(parts) == 1 else pa.concat_tables(parts)

    def _find_unreadable(self, entries: list[_File]) -> list[_File]:
        """Which files broke a read: footer first (cheap), then a full read of each."""
        bad = [f for f in entries if self._check_footer(f) is not None]
        if not bad:
            bad = [f for f in entries if self._read_file(f) is None]
        else:
            for f in bad:
                self._set_aside(f, self._check_footer(f) or "unreadable")
        return bad

    def _check_footer(self, f: _File) -> str | None:
        """Why ``f`` is not a readable Parquet file of this table, or None."""
        try:
            with self.fs.open_input_file(f.path) as fh:
                if fh.size() == 0:
                    return "empty file (0 bytes)"
                pq.read_metadata(fh)
        except FileNotFoundError:
            return None
        except (OSError, pa.ArrowException) as exc:
            return f"not a readable Parquet file ({_one_line(exc)})"
        return None

    # -- damaged files -------------------------------------------------------------------------------
    def _set_aside(self, f: _File, reason: str) -> None:
        """Move an unreadable file to ``OUT/_quarantine/`` (same relative path) with a note; on a
        read-only root, remember it and skip it."""
        if f.path in self.unreadable or f.path != self._abs(f.rel):
            self.unreadable[f.path] = reason
            return
        try:
            with self.lock():
                dest_rel = f"{QUARANTINE_DIR}/{f.rel}"
                if self.fs.get_file_info(self._abs(dest_rel)).type != pafs.FileType.NotFound:
                    dest_rel = f"{dest_rel}.{uuid.uuid4().hex[:6]}"
                size = self.fs.get_file_info(f.path).size
                note = {"path": f.rel, "quarantined_to": dest_rel, "reason": reason, "size": size,
                        "at": datetime.now(UTC).isoformat(timespec="seconds")}
                makedirs(self.fs, self._abs(dest_rel).rsplit("/", 1)[0])
                with self.fs.open_output_stream(self._abs(dest_rel) + ".json") as out:
                    out.write(json.dumps(note, ensure_ascii=False, indent=1).encode())
                self.fs.move(f.path, self._abs(dest_rel))
                if self._listed is not None:
                    self._listed.tables.pop(f.rel.split("/", 1)[0], None)
        except (ReadOnlyStore, OSError) as exc:
            self.unreadable[f.path] = reason
            log.warning("%s: %s; skipped (not moved: %s)", f.path, reason, _one_line(exc))
            return
        self.quarantined.append(note)
        log.warning("%s: %s; moved to %s", f.rel, reason, dest_rel)

    def quarantine_notes(self) -> list[dict[str, Any]]:
        """Every file ever set aside in ``OUT/_quarantine/`` (their notes), oldest first."""
        try:
            infos = self.fs.get_file_info(pafs.FileSelector(self._abs(QUARANTINE_DIR), allow_not_found=True,
                                                            recursive=True))
        except FileNotFoundError:
            return []
        notes = []
        for info in infos:
            if info.type == pafs.FileType.File and info.base_name.endswith(".json"):
                try:
                    with self.fs.open_input_stream(info.path) as fh:
                        notes.append(json.loads(fh.read()))
                except (OSError, ValueError):
                    continue
        return sorted(notes, key=lambda n: (str(n.get("at")), str(n.get("path"))))

    def pending_commits(self) -> int:
        return len(commit.pending(self.fs, self.path))

    # -- maintenance --------------------------------------------------------------------------------
    def repair(self) -> int:
        """Roll pending commits forward, collect garbage, quarantine unreadable files and drop
        duplicate keys (left by a crash of the pre-commit-log store). Returns rows/files fixed."""
        fixed = 0
        with self.lock():
            for name, rec in commit.pending(self.fs, self.path):
                commit.publish(self.fs, self.path, name, rec)
                fixed += 1
            fixed += commit.collect_garbage(self.fs, self.path)
            fixed += self._remove_temp_files()
            for table in self.specs:
                for f in self._entries(table):
                    if self._index.known(f.rel, self._stat.get(f.path, (None, None))[0]):
                        continue  # read whole when it was indexed, and the same size since
                    reason = self._check_footer(f)
                    if reason:
                        self._set_aside(f, reason)
                        fixed += 1
            with self.transaction():
                fixed += self._dedupe()
        return fixed

    def _remove_temp_files(self) -> int:
        """Temp files of the pre-commit-log store (``.part-….parquet.tmp``), never committed."""
        removed = 0
        for table in self.specs:
            try:
                infos = self.fs.get_file_info(pafs.FileSelector(self.table_dir(table), allow_not_found=True,
                                                                recursive=True))
            except FileNotFoundError:
                continue
            for info in infos:
                if info.type == pafs.FileType.File and info.base_name.startswith(".") and info.base_name.endswith(".tmp"):
                    self.fs.delete_file(info.path)
                    removed += 1
        return removed

    def _dedupe(self) -> int:
        fixed = 0
        for spec in self.specs.values():
            if spec.name in ("cells", "findings"):
                continue  # many rows per key; they follow their report (see write())
            owner: dict[str, str] = {}
            dup: dict[str, set[str]] = defaultdict(set)
            files = {f.rel: f for f in self._entries(spec.name)}
            for fk in self._indexed(spec, list(files.values())):  # oldest -> newest
                for k in fk.keys:
                    if k in owner and owner[k] != fk.rel:
                        dup[owner[k]].add(k)
                    owner[k] = fk.rel
            for rel, keys in dup.items():
                fixed += self._remove_keys_in(files[rel], spec, keys)
                if spec.name == "reports":
                    for child in ("cells", "findings"):
                        self._dedupe_children(child, keys)
        return fixed

    def _remove_keys_in(self, f: _File, spec: TableSpec, keys: set[str]) -> int:
        t = self._read_file(f, list(spec.key))
        if t is None:
            return 0
        mask = pc.is_in(self._key_strings(t, spec.key), value_set=pa.array(sorted(keys), pa.string()))
        return self._rewrite_without(f, mask)

    def _dedupe_children(self, table: str, report_ids: set[str]) -> None:
        """Keep only the newest file's rows of each report in cells/findings."""
        newest: dict[str, str] = {}
        ids_of: dict[str, set[str]] = {}
        entries = self._entries(table)
        for f in entries:
            t = self._read_file(f, ["report_id"])
            ids_of[f.rel] = set(t.column(0).to_pylist()) if t is not None else set()
            for rid in ids_of[f.rel] & report_ids:
                newest[rid] = f.rel
        for f in entries:
            stale = {rid for rid, rel in newest.items() if rel != f.rel} & ids_of[f.rel]
            if stale:
                t = self._read_file(f, ["report_id"])
                if t is not None:
                    mask = pc.is_in(t.column("report_id"), value_set=pa.array(sorted(stale), pa.string()))
                    self._rewrite_without(f, mask)

    def migrate(self) -> int:
        """Rewrite every file of an older layout in the current one (one transaction); returns the files rewritten."""
        done = 0
        with self.transaction():
            for spec in self.specs.values():
                for f in self._entries(spec.name):
                    if self._is_current(f, spec):
                        continue
                    old = self._read_file(f)
                    if old is None:
                        continue  # unreadable: set aside by _read_file
                    self._stage(old, f.rel.rsplit("/", 1)[0])
                    self._drop(f.rel)
                    done += 1
        if done:
            self.write_codebook()
        return done

    def compact(self, max_rows: int = 200_000, min_files: int = 2) -> int:
        """Merge each partition's small files into one (fewer files, faster scans); one transaction.

        ``min_files``: leave partitions with fewer files alone. Writes already merge files tier by
        tier (:func:`keyindex.merge_candidates`), so the end of a run only needs to merge partitions
        where those tiers left ``keyindex.FANOUT`` or more files (issue #13: rewriting every
        partition after every run cost as much as a tenth of a collect run)."""
        merged = 0
        with self.transaction():
            for spec in self.specs.values():
                by_dir: dict[str, list[_File]] = defaultdict(list)
                for f in self._entries(spec.name):
                    by_dir[f.rel.rsplit("/", 1)[0]].append(f)
                for directory, files in by_dir.items():
                    if len(files) < max(2, min_files):
                        continue
                    tables = [t if self._is_current(f, spec) else upgrade(t, spec)
                              for f, t in ((f, self._read_file(f)) for f in files) if t is not None]
                    try:
                        combined = pa.concat_tables(tables, promote_options="default")
                    except pa.ArrowInvalid as exc:  # pragma: no cover - schema drift
                        raise StoreError(f"cannot compact {directory}: {exc}") from exc
                    if combined.num_rows > max_rows:
                        continue
                    self._stage(combined, directory)
                    for f in files:
                        self._drop(f.rel)
                    merged += len(files)
        return merged


_PROCESS_LOCKS: dict[str, threading.RLock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def _process_lock(root: str) -> threading.RLock:
    with _PROCESS_LOCKS_GUARD:
        return _PROCESS_LOCKS.setdefault(root, threading.RLock())


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


__all__ = ["HIVE_NULL", "QUARANTINE_DIR", "Dataset", "WriteStats", "fault_point"]
