"""The Parquet dataset: ``OUT/{reports,cells,findings}/report_year=YYYY/part-*.parquet`` + ``OUT/documents/``.

Guarantees, and how:

* **Atomic files** — every file is written under a dot-name and renamed into place, so a reader
  (DuckDB's ``**/*.parquet`` glob included) never sees half a file.
* **Idempotent writes** — rows are keyed (``report_id``; ``(source_url, document_sha256)`` for
  documents). A write adds one new file per partition, then rewrites the older files that held
  the same keys without them. Writing the same report twice leaves one row.
* **Crash-safe** — a crash between those two steps leaves a key in two files; :meth:`Dataset.repair`
  (run on open) keeps the newest file's row. File names sort by creation time.
* **One writer** — a lock file serialises writers on a local root (Prefect's concurrency limit
  does it across workers).

* **Self-describing, versioned files** — every file carries the schema version and each column's
  description, Chinese label and unit (Arrow field metadata, plus an ``xxgk:columns`` JSON entry
  DuckDB can read); the root gets a generated ``README.md`` codebook when data is written. Files
  of an older layout are upgraded when read and rewritten in the current one whenever a file is
  rewritten; :meth:`Dataset.migrate` rewrites them all (``collector.store.migrate``).

The root is a local path or any URI pyarrow.fs understands (``s3://…``, ``gs://…``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from collector.errors import StoreError
from collector.schema import TableSpec, columns_kv, conform, table_specs
from collector.store.migrate import is_current, upgrade

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
# (path, size, mtime) -> the file is in the current layout; the project never rewrites a file in place,
# size and mtime guard against anyone who does
_CURRENT: dict[tuple[str, int | None, int | None], bool] = {}


@dataclass
class WriteStats:
    rows: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    files_written: int = 0


class Dataset:
    """A dataset root; holds the filesystem handle and the writer lock."""

    def __init__(self, root: str | os.PathLike[str], *, repair: bool = True) -> None:
        root = str(root)
        if "://" in root:
            self.fs, self.path = pafs.FileSystem.from_uri(root)
            self.local = isinstance(self.fs, pafs.LocalFileSystem)
        else:
            self.fs, self.path, self.local = pafs.LocalFileSystem(), str(Path(root).resolve()), True
        self.root = root
        self.specs = table_specs()
        self._stat: dict[str, tuple[int | None, int | None]] = {}
        self.fs.create_dir(self.path, recursive=True)
        if repair:
            with self.lock():
                self.repair()

    # -- locking -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        if not self.local:
            yield
            return
        lock_path = os.path.join(self.path, ".writer.lock")
        with open(lock_path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- paths -------------------------------------------------------------------------------
    def table_dir(self, table: str) -> str:
        return f"{self.path}/{table}"

    def _partition_dir(self, spec: TableSpec, value: Any) -> str:
        if spec.partition is None:
            return self.table_dir(spec.name)
        v = HIVE_NULL if value is None else value
        return f"{self.table_dir(spec.name)}/{spec.partition}={v}"

    def _files(self, table: str) -> list[str]:
        base = self.table_dir(table)
        info = self.fs.get_file_info(base)
        if info.type == pafs.FileType.NotFound:
            return []
        sel = pafs.FileSelector(base, recursive=True)
        infos = [f for f in self.fs.get_file_info(sel)
                 if f.type == pafs.FileType.File and f.base_name.startswith("part-") and f.path.endswith(".parquet")]
        self._stat.update({f.path: (f.size, f.mtime_ns) for f in infos})
        return sorted((f.path for f in infos), key=lambda p: p.rsplit("/", 1)[-1])

    # -- writing -----------------------------------------------------------------------------
    def _atomic_write(self, table: pa.Table, directory: str, spec: TableSpec) -> str:
        """Write one file in the current layout (an older table is upgraded on the way)."""
        if not table.schema.equals(spec.file_schema, check_metadata=True):
            table = upgrade(table, spec)  # also drops metadata read from an older file
        self.fs.create_dir(directory, recursive=True)
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = f"{directory}/.{name}.tmp"
        final = f"{directory}/{name}"
        with self.fs.open_output_stream(tmp) as out, pq.ParquetWriter(out, table.schema, compression="zstd") as w:
            w.write_table(table)
            w.add_key_value_metadata(columns_kv(spec.name))
        self.fs.move(tmp, final)
        return final

    def _key_strings(self, table: pa.Table, key: tuple[str, ...]) -> pa.Array:
        if len(key) == 1:
            return pc.cast(table.column(key[0]), pa.string()).combine_chunks()
        cols = [pc.fill_null(pc.cast(table.column(k), pa.string()), "") for k in key]
        return pc.binary_join_element_wise(*cols, "\x1f").combine_chunks()

    def write_rows(self, table: str, rows: list[dict[str, Any]], *, drop_keys: set[str] | None = None) -> tuple[int, int]:
        """Write rows to ``table`` replacing rows with the same key; returns (written, replaced).

        ``drop_keys`` removes further keys everywhere (a report whose year changed on re-parse
        moved partition: its old rows must go).
        """
        spec = self.specs[table]
        if not rows and not drop_keys:
            return 0, 0
        data = conform(rows, spec.schema, table) if rows else spec.schema.empty_table()
        row_keys = self._key_strings(data, spec.key).to_pylist()
        keys = set(row_keys)
        # one row per key (reports, documents): the last row of a key within the batch wins
        if len(keys) < data.num_rows and table not in ("cells", "findings"):
            last = {k: i for i, k in enumerate(row_keys)}
            data = data.take(sorted(last.values()))
        remove = keys | (drop_keys or set())
        new_files: set[str] = set()
        if spec.partition:
            part_col = data.column(spec.partition).to_pylist()
            groups: dict[Any, list[int]] = defaultdict(list)
            for i, v in enumerate(part_col):
                groups[v].append(i)
            for value, idx in groups.items():
                chunk = data.take(idx).drop_columns([spec.partition])
                new_files.add(self._atomic_write(chunk, self._partition_dir(spec, value), spec))
        elif data.num_rows:
            new_files.add(self._atomic_write(data, self.table_dir(table), spec))
        replaced = self._remove_keys(spec, remove, keep=new_files)
        return data.num_rows, replaced

    def _remove_keys(self, spec: TableSpec, keys: set[str], keep: set[str]) -> int:
        if not keys:
            return 0
        removed = 0
        key_set = pa.array(sorted(keys), pa.string())
        for path in self._files(spec.name):
            if path in keep:
                continue
            with self.fs.open_input_file(path) as fh:
                existing = pq.read_table(fh, columns=list(spec.key))
            mask = pc.is_in(self._key_strings(existing, spec.key), value_set=key_set)
            hits = pc.sum(mask).as_py() or 0
            if not hits:
                continue
            with self.fs.open_input_file(path) as fh:
                full = pq.read_table(fh)
            kept = full.filter(pc.invert(mask))
            removed += hits
            if kept.num_rows:
                self._atomic_write(kept, path.rsplit("/", 1)[0], spec)
            self.fs.delete_file(path)
        return removed

    def write(self, outcomes: Iterable[Any]) -> WriteStats:
        """Write pipeline outcomes (records with their cells and findings, and document rows)."""
        from collector.store.rows import record_to_cell_rows, record_to_finding_rows, record_to_report_row

        reports, cells, findings, documents = [], [], [], []
        drop: set[str] = set()
        latest: dict[str, Any] = {}
        for o in outcomes:
            if o.document is not None:
                documents.append(o.document)
            if o.record is not None:
                latest[o.record["report_id"]] = o  # the same report twice in a batch: last wins
        for o in latest.values():
            rec = o.record
            reports.append(record_to_report_row(rec))
            cells.extend(record_to_cell_rows(rec, o.cells))
            findings.extend(record_to_finding_rows(rec))
            drop.update(getattr(o, "superseded_ids", ()) or ())
        stats = WriteStats()
        with self.lock():
            drop |= self._superseded(reports)
            for name, rows in (("reports", reports), ("cells", cells), ("findings", findings), ("documents", documents)):
                keys = drop
                if name == "findings":  # keyed (report_id, scope): a re-parse replaces record-scope rows
                    keys = {f"{k}\x1f{scope}" for k in drop for scope in ("record", "dataset")}
                    keys |= {f"{r['report_id']}\x1frecord" for r in reports}
                written, replaced = self.write_rows(name, rows, drop_keys=None if name == "documents" else keys)
                stats.rows[name], stats.replaced[name] = written, replaced
            self.write_codebook()
        return stats

    def write_codebook(self) -> bool:
        """Write the root's ``README.md`` (tables, columns, rules) if missing or stale; True if written."""
        from collector.store.codebook import render_readme

        text = render_readme()
        path = f"{self.path}/README.md"
        info = self.fs.get_file_info(path)
        if info.type == pafs.FileType.File:
            with self.fs.open_input_stream(path) as fh:
                if fh.read().decode("utf-8", "replace") == text:
                    return False
        tmp = f"{self.path}/.README.md.{uuid.uuid4().hex[:8]}.tmp"
        with self.fs.open_output_stream(tmp) as out:
            out.write(text.encode("utf-8"))
        self.fs.move(tmp, path)
        return True

    def _superseded(self, reports: list[dict[str, Any]]) -> set[str]:
        """Ids of stored reports from the same source URL under a different id (year re-read)."""
        urls = {r.get("canonical_url") or r.get("source_url") for r in reports} - {None}
        if not urls or not self._files("reports"):
            return set()
        new_ids = {r["report_id"] for r in reports}
        t = self.read("reports", columns=["report_id", "source_url", "canonical_url"])
        out = set()
        for rid, su, cu in zip(*(t.column(c).to_pylist() for c in ("report_id", "source_url", "canonical_url")), strict=True):
            if (cu or su) in urls and rid not in new_ids:
                out.add(rid)
        return out

    # -- reading & maintenance ---------------------------------------------------------------------
    def _is_current(self, path: str, spec: TableSpec) -> bool:
        key = (path, *self._stat.get(path, (None, None)))
        known = _CURRENT.get(key)
        if known is None:
            known = _CURRENT[key] = is_current(pq.read_schema(path, filesystem=self.fs), spec)
        return known

    def _read_file(self, path: str, spec: TableSpec) -> pa.Table:
        """One file in the current layout (upgraded if older), with its partition column."""
        with self.fs.open_input_file(path) as fh:
            t = upgrade(pq.read_table(fh), spec)
        if spec.partition:
            seg = path.rsplit("/", 2)[-2]
            raw = seg.split("=", 1)[1] if seg.startswith(f"{spec.partition}=") else HIVE_NULL
            value = None if raw == HIVE_NULL else int(raw)
            t = t.append_column(spec.schema.field(spec.partition), pa.array([value] * t.num_rows, pa.int64()))
        return t.select(spec.schema.names).cast(spec.schema)

    def read(self, table: str, columns: list[str] | None = None, filter: Any = None) -> pa.Table:  # noqa: A002
        """The table in the current layout, every column documented; files of an older layout are upgraded."""
        spec = self.specs[table]
        files = self._files(table)
        if not files:
            schema = spec.schema
            return schema.empty_table() if columns is None else schema.empty_table().select(columns)
        current = [f for f in files if self._is_current(f, spec)]
        parts = []
        if current:
            part = ds.partitioning(pa.schema([(spec.partition, pa.int64())]), flavor="hive") if spec.partition else None
            dset = ds.dataset(current, filesystem=self.fs, format="parquet", partitioning=part,
                              partition_base_dir=self.table_dir(table), schema=spec.schema)
            parts.append(dset.to_table(columns=columns, filter=filter))
        for path in (f for f in files if f not in set(current)):
            t = self._read_file(path, spec)
            if filter is not None:
                t = t.filter(filter)
            parts.append(t.select(columns) if columns is not None else t)
        return parts[0] if len(parts) == 1 else pa.concat_tables(parts)

    def migrate(self) -> int:
        """Rewrite every file of an older layout in the current one; returns the files rewritten."""
        done = 0
        with self.lock():
            for spec in self.specs.values():
                for path in self._files(spec.name):
                    if self._is_current(path, spec):
                        continue
                    with self.fs.open_input_file(path) as fh:
                        old = pq.read_table(fh)
                    self._atomic_write(old, path.rsplit("/", 1)[0], spec)
                    self.fs.delete_file(path)
                    done += 1
            if done:
                self.write_codebook()
        return done

    def repair(self) -> int:
        """Drop older duplicates of a key left by a crash between writing and replacing."""
        fixed = 0
        for spec in self.specs.values():
            if spec.name in ("cells", "findings"):
                continue  # many rows per key; they follow their report (see write())
            files = self._files(spec.name)
            owner: dict[str, str] = {}
            dup: dict[str, set[str]] = defaultdict(set)
            for path in files:  # sorted oldest -> newest
                with self.fs.open_input_file(path) as fh:
                    keys = self._key_strings(pq.read_table(fh, columns=list(spec.key)), spec.key).to_pylist()
                for k in keys:
                    if k in owner and owner[k] != path:
                        dup[owner[k]].add(k)
                    owner[k] = path
            for path, keys in dup.items():
                fixed += self._remove_keys_in(path, spec, keys)
                if spec.name == "reports":
                    for child in ("cells", "findings"):
                        self._dedupe_children(child, keys)
        return fixed

    def _remove_keys_in(self, path: str, spec: TableSpec, keys: set[str]) -> int:
        with self.fs.open_input_file(path) as fh:
            full = pq.read_table(fh)
        mask = pc.is_in(self._key_strings(full, spec.key), value_set=pa.array(sorted(keys), pa.string()))
        kept = full.filter(pc.invert(mask))
        if kept.num_rows:
            self._atomic_write(kept, path.rsplit("/", 1)[0], spec)
        self.fs.delete_file(path)
        return full.num_rows - kept.num_rows

    def _dedupe_children(self, table: str, report_ids: set[str]) -> None:
        """Keep only the newest file's rows of each report in cells/findings."""
        spec = self.specs[table]
        newest: dict[str, str] = {}
        for path in self._files(table):
            with self.fs.open_input_file(path) as fh:
                ids = set(pq.read_table(fh, columns=["report_id"]).column(0).to_pylist())
            for rid in ids & report_ids:
                newest[rid] = path
        for path in self._files(table):
            stale = {rid for rid, p in newest.items() if p != path}
            if stale:
                with self.fs.open_input_file(path) as fh:
                    ids = set(pq.read_table(fh, columns=["report_id"]).column(0).to_pylist())
                if ids & stale:
                    self._remove_keys_in(path, spec, ids & stale)

    def compact(self, max_rows: int = 200_000) -> int:
        """Merge each partition's small files into one (fewer files, faster scans)."""
        merged = 0
        with self.lock():
            for spec in self.specs.values():
                by_dir: dict[str, list[str]] = defaultdict(list)
                for path in self._files(spec.name):
                    by_dir[path.rsplit("/", 1)[0]].append(path)
                for directory, files in by_dir.items():
                    if len(files) < 2:
                        continue
                    tables = []
                    for p in files:
                        with self.fs.open_input_file(p) as fh:
                            t = pq.read_table(fh)
                        tables.append(t if self._is_current(p, spec) else upgrade(t, spec))
                    try:
                        combined = pa.concat_tables(tables, promote_options="default")
                    except pa.ArrowInvalid as exc:  # pragma: no cover - schema drift
                        raise StoreError(f"cannot compact {directory}: {exc}") from exc
                    if combined.num_rows > max_rows:
                        continue
                    self._atomic_write(combined, directory, spec)
                    for p in files:
                        self.fs.delete_file(p)
                    merged += len(files)
        return merged
