"""The dataset's commit log: a batch of files across the four tables becomes visible at once.

A write stages its data files under ``_store/staging/<txn>/`` — outside every table directory,
so neither a reader of the library nor a ``**/*.parquet`` glob nor pyarrow's directory discovery
sees them — and then writes one small JSON commit record, ``_store/commits/<stamp>-<txn>.json``,
naming the files it adds and the published files it replaces. That record is the commit point
(the Delta Lake / Iceberg idea, without their generality):

* before it exists, the batch does not: its staged files are garbage, removed on the next open;
* once it exists, the batch does, even if the writer dies while *publishing* it (moving the
  staged files into the table directories and deleting the replaced ones). Readers of the
  library overlay pending records on the table listing, so they see the batch at once; the next
  writer finishes the publish. Every step is idempotent, so a crash inside the roll-forward is
  rolled forward again.

Correctness needs only that one object (the record) appears whole or not at all: a rename on a
local disk, a single PUT on an object store — never a rename of data files or a lock. Writers
are serialised outside this module (the dataset's lock file; Prefect's writer slot across
machines). Publishing moves the child tables first and ``reports`` last, and deletes replaced
``reports`` files before their children, so a glob reader never sees a report row whose cells,
findings and documents are not there. Published records move to ``_store/log/`` (the history).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from collector.store.arrow import pa, pafs, pq
from collector.store.faults import fault_point
from collector.store.fileformat import FileFormat
from collector.store.location import makedirs

log = logging.getLogger(__name__)

STORE_DIR = "_store"
STAGING = f"{STORE_DIR}/staging"
COMMITS = f"{STORE_DIR}/commits"
LOG = f"{STORE_DIR}/log"
# children before parents when adding, parents before children when removing
PUBLISH_ORDER = ("documents", "cells", "findings", "reports")


@dataclass(slots=True)
class Added:
    path: str     # final path, relative to the root: reports/report_year=2023/part-….parquet
    staged: str   # where it waits until published, relative to the root
    rows: int
    bytes: int


@dataclass(slots=True)
class CommitRecord:
    txn: str
    created: str
    add: list[Added] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    format: int = 1

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> CommitRecord:
        d = json.loads(data)
        return cls(txn=d["txn"], created=d["created"], add=[Added(**a) for a in d["add"]],
                   remove=list(d["remove"]), format=d.get("format", 1))


def _table_of(rel: str) -> str:
    return rel.split("/", 1)[0]


def _rank(rel: str) -> int:
    t = _table_of(rel)
    return PUBLISH_ORDER.index(t) if t in PUBLISH_ORDER else -1


class Txn:
    """One batch of writes: stage files, mark files replaced, then commit (or abort)."""

    def __init__(self, fs: pafs.FileSystem, root: str, *, local: bool, fsync: bool = False) -> None:
        self.fs, self.root, self.local, self.fsync = fs, root, local, fsync
        self.id = uuid.uuid4().hex[:12]
        self.adds: dict[str, Added] = {}   # final rel -> staged file
        self.removes: set[str] = set()
        self.committed = False

    @property
    def staging(self) -> str:
        return f"{STAGING}/{self.id}"

    def stage(self, rel: str, table: pa.Table, fmt: FileFormat) -> Added:
        """Write ``table`` (of ``fmt.schema``) as the data file that will be published at ``rel``."""
        if not table.schema.equals(fmt.schema, check_metadata=False):
            raise ValueError(f"{rel}: the table's columns are not its file schema's; the footer would not describe them")
        staged = f"{self.staging}/{rel}"
        path = f"{self.root}/{staged}"
        fault_point("stage")
        makedirs(self.fs, path.rsplit("/", 1)[0])
        with self.fs.open_output_stream(path) as out:
            with pq.ParquetWriter(out, fmt.schema, **fmt.writer_options(table.num_rows)) as w:
                w.write_table(table)
                w.add_key_value_metadata(fmt.footer)
            size = out.tell()  # the file's size, without asking the filesystem (a HEAD request on S3)
        if self.fsync and self.local:
            _fsync(path)
        added = Added(rel, staged, table.num_rows, size)
        self.adds[rel] = added
        return added

    def remove(self, rel: str) -> None:
        """Replace (drop) ``rel``: a staged file of this batch is simply forgotten."""
        added = self.adds.pop(rel, None)
        if added is not None:
            self.fs.delete_file(f"{self.root}/{added.staged}")
        else:
            self.removes.add(rel)

    def commit(self) -> tuple[str, CommitRecord] | None:
        """Write the commit record (the commit point); None when the batch changed nothing."""
        if not self.adds and not self.removes:
            self.abort()
            return None
        record = CommitRecord(self.id, datetime.now(UTC).isoformat(timespec="milliseconds"),
                              sorted(self.adds.values(), key=lambda a: a.path), sorted(self.removes))
        name = f"{time.time_ns():020d}-{self.id}.json"
        final = f"{self.root}/{COMMITS}/{name}"
        makedirs(self.fs, f"{self.root}/{COMMITS}")
        fault_point("commit")
        if self.local:  # one rename makes the record appear whole
            tmp = f"{self.root}/{COMMITS}/.{name}.tmp"
            with self.fs.open_output_stream(tmp) as out:
                out.write(record.to_json())
            if self.fsync:
                _fsync(tmp)
            self.fs.move(tmp, final)
        else:  # an object store PUT is atomic
            with self.fs.open_output_stream(final) as out:
                out.write(record.to_json())
        self.committed = True
        return name, record

    def abort(self) -> None:
        """Forget the batch: remove its staged files (best effort; the next open collects the rest)."""
        try:
            _delete_dir(self.fs, f"{self.root}/{self.staging}")
        except OSError as exc:
            log.warning("could not remove staged files of %s: %s", self.id, exc)
        self.adds.clear()
        self.removes.clear()


def pending(fs: pafs.FileSystem, root: str) -> list[tuple[str, CommitRecord]]:
    """Committed records whose publish has not finished, oldest first (unreadable ones skipped:
    a record that cannot be read was never committed)."""
    out = []
    for info in _listing(fs, f"{root}/{COMMITS}", recursive=False):
        if info.type != pafs.FileType.File or not info.base_name.endswith(".json") or info.base_name.startswith("."):
            continue
        try:
            with fs.open_input_stream(info.path) as fh:
                out.append((info.base_name, CommitRecord.from_json(fh.read())))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable commit record %s: %s", info.path, exc)
    return sorted(out, key=lambda x: x[0])


def publish(fs: pafs.FileSystem, root: str, name: str, record: CommitRecord) -> None:
    """Move the record's staged files into place, delete the files it replaces, file the record
    in the log. Idempotent: safe to repeat after a crash at any step."""
    for add in sorted(record.add, key=lambda a: _rank(a.path)):
        src, dest = f"{root}/{add.staged}", f"{root}/{add.path}"
        fault_point("publish")
        if _exists(fs, src):
            makedirs(fs, dest.rsplit("/", 1)[0])
            fs.move(src, dest)
        elif not _exists(fs, dest):
            log.error("commit %s names %s, which is neither staged nor published", name, add.path)
    for rel in sorted(record.remove, key=_rank, reverse=True):
        fault_point("unpublish")
        if _exists(fs, f"{root}/{rel}"):
            fs.delete_file(f"{root}/{rel}")
    fault_point("log")
    makedirs(fs, f"{root}/{LOG}")
    if _exists(fs, f"{root}/{COMMITS}/{name}"):
        fs.move(f"{root}/{COMMITS}/{name}", f"{root}/{LOG}/{name}")
    fault_point("cleanup")
    _delete_dir(fs, f"{root}/{STAGING}/{record.txn}")


def collect_garbage(fs: pafs.FileSystem, root: str) -> int:
    """Remove what no commit names: staged batches without a pending record, half-written records.

    Call with the writer lock held, after rolling pending records forward (so every staged batch
    left is uncommitted)."""
    keep = {rec.txn for _, rec in pending(fs, root)}
    removed = 0
    for info in _listing(fs, f"{root}/{STAGING}", recursive=False):
        if info.base_name not in keep:
            _delete_dir(fs, info.path)
            removed += 1
    for info in _listing(fs, f"{root}/{COMMITS}", recursive=False):
        if info.type == pafs.FileType.File and info.base_name.startswith("."):
            fs.delete_file(info.path)
            removed += 1
    return removed


def staged_paths(fs: pafs.FileSystem, root: str) -> set[str]:
    """Relative paths of every staged file (only needed while a record is pending)."""
    base = f"{root}/"
    return {i.path[len(base):] for i in _listing(fs, f"{root}/{STAGING}", recursive=True)
            if i.type == pafs.FileType.File}


def _listing(fs: pafs.FileSystem, path: str, *, recursive: bool) -> list[pafs.FileInfo]:
    try:
        return list(fs.get_file_info(pafs.FileSelector(path, allow_not_found=True, recursive=recursive)))
    except FileNotFoundError:
        return []


def _exists(fs: pafs.FileSystem, path: str) -> bool:
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def _delete_dir(fs: pafs.FileSystem, path: str) -> None:
    if _exists(fs, path):
        fs.delete_dir(path)


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def record_summary(record: CommitRecord) -> dict[str, Any]:
    """Rows added per table (for logs and ``xxgk check``)."""
    out: dict[str, int] = {}
    for a in record.add:
        out[_table_of(a.path)] = out.get(_table_of(a.path), 0) + a.rows
    return {"txn": record.txn, "created": record.created, "rows": out, "replaced_files": len(record.remove)}


__all__ = ["COMMITS", "LOG", "PUBLISH_ORDER", "STAGING", "STORE_DIR", "Added", "CommitRecord", "Txn",
           "collect_garbage", "pending", "publish", "record_summary", "staged_paths"]
