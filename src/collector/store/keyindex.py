"""Which keys each data file holds, so a batch's write cost does not grow with the dataset.

A write replaces the rows whose keys it writes again; finding them used to mean reading the key
columns of every file of every table on every batch. The index keeps, per partition directory,
each file's distinct keys (and, for ``reports``, each report's canonical URL, to find a report
whose year was re-read), in memory while a :class:`~collector.store.dataset.Dataset` is open and
in ``_store/index/<partition>.parquet`` between processes. It is a cache, never the truth: data
files are never rewritten in place and their names are unique, so a file the index does not know
(written by another worker, or the index file is missing or stale) is read once and added, and
an indexed file that is gone is dropped. Writing the index after a commit is best effort.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from collector.store.arrow import pa, pafs, pq
from collector.store.location import write_file

log = logging.getLogger(__name__)
INDEX_DIR = "_store/index"
_SCHEMA = pa.schema([("file", pa.string()), ("rows", pa.int64()), ("size", pa.int64()), ("key", pa.string()),
                     ("url", pa.string())])


@dataclass(slots=True)
class FileKeys:
    rel: str                       # the data file, relative to the root
    rows: int                      # its row count (compaction tiers)
    size: int | None               # its bytes: a file that changed size is read again
    keys: frozenset[str]           # distinct key strings (the table's key columns joined by \x1f)
    urls: dict[str, str] | None = None  # reports: report_id -> canonical (or source) URL


def partition_of(rel: str) -> str:
    return rel.rsplit("/", 1)[0]


FANOUT = 8            # files of one size tier that are merged into one
MAX_ROWS = 250_000    # a file this large is never merged (and a merge never makes one larger)


def tier(rows: int) -> int:
    """Size tier of a file: files within a factor FANOUT of each other share one."""
    return int(math.log(max(rows, 1), FANOUT))


def merge_candidates(files: list[FileKeys]) -> list[FileKeys]:
    """The files of one partition to merge now (size-tiered, as LSM trees do), oldest first; [] if none.

    A batch adds one small file per partition; FANOUT files of a tier become one file of the next,
    so a partition holds O(FANOUT x log(rows)) files and each row is rewritten O(log(rows)) times
    in all — the per-batch cost stays flat while the dataset grows."""
    by_tier: dict[int, list[FileKeys]] = {}
    for fk in files:
        if fk.rows < MAX_ROWS:
            by_tier.setdefault(tier(fk.rows), []).append(fk)
    for _, group in sorted(by_tier.items()):
        if len(group) >= FANOUT:
            picked, total = [], 0
            for fk in group:
                if total + fk.rows > MAX_ROWS:
                    break
                picked.append(fk)
                total += fk.rows
            if len(picked) >= 2:
                return picked
    return []


class KeyIndex:
    """The keys of every data file of a root, by partition directory (``reports/report_year=2023``)."""

    def __init__(self, fs: pafs.FileSystem, root: str) -> None:
        self.fs, self.root = fs, root
        self._parts: dict[str, dict[str, FileKeys]] = {}   # partition -> rel -> keys
        self._loaded: set[str] = set()
        self._staged: dict[str, FileKeys] = {}              # the open transaction's files
        self._dirty: set[str] = set()

    # -- persisted form --------------------------------------------------------------------------
    def _path(self, partition: str) -> str:
        return f"{self.root}/{INDEX_DIR}/{partition}.parquet"

    def _load(self, partition: str) -> dict[str, FileKeys]:
        if partition in self._loaded:
            return self._parts.setdefault(partition, {})
        self._loaded.add(partition)
        files: dict[str, FileKeys] = {}
        try:
            with self.fs.open_input_file(self._path(partition)) as fh:
                t = pq.read_table(fh)
        except FileNotFoundError:
            t = None
        except (OSError, pa.ArrowException) as exc:  # a damaged index is rebuilt from the files
            log.warning("ignoring the key index of %s: %s", partition, exc)
            t = None
        if t is not None:
            grouped: dict[str, tuple[int, int | None, set[str], dict[str, str]]] = {}
            cols = ("file", "rows", "size", "key", "url")
            for f, n, b, k, u in zip(*(t.column(c).to_pylist() for c in cols), strict=True):
                entry = grouped.setdefault(f, (n, b, set(), {}))
                if k is not None:
                    entry[2].add(k)
                    if u is not None:
                        entry[3][k] = u
            for f, (n, b, keys, urls) in grouped.items():
                files[f] = FileKeys(f, n, b, frozenset(keys), urls or None)
        self._parts[partition] = files
        return files

    def persist(self) -> None:
        """Write the index of every partition changed since the last call (best effort)."""
        for partition in sorted(self._dirty):
            files = self._parts.get(partition, {})
            cols: dict[str, list[object]] = {"file": [], "rows": [], "size": [], "key": [], "url": []}
            for fk in files.values():
                for k in sorted(fk.keys) or [None]:
                    cols["file"].append(fk.rel)
                    cols["rows"].append(fk.rows)
                    cols["size"].append(fk.size)
                    cols["key"].append(k)
                    cols["url"].append((fk.urls or {}).get(k) if k is not None else None)
            sink = pa.BufferOutputStream()
            pq.write_table(pa.table(cols, schema=_SCHEMA), sink, compression="zstd")
            try:
                write_file(self.fs, self._path(partition), sink.getvalue().to_pybytes())
            except (OSError, pa.ArrowException) as exc:
                log.warning("could not write the key index of %s (rebuilt on the next open): %s", partition, exc)
        self._dirty.clear()

    # -- lookups ---------------------------------------------------------------------------------
    def files(self, entries: Iterable[tuple[str, str, int | None]],
              read: Callable[[str, str], FileKeys | None]) -> list[FileKeys]:
        """The keys of ``entries`` (``(rel, path, size)`` of the committed view, oldest first); a file
        the index does not know (or of another size) is read with ``read(rel, path)`` (None: unreadable,
        left out)."""
        out = []
        seen: dict[str, set[str]] = {}
        for rel, path, size in entries:
            partition = partition_of(rel)
            known = self._staged.get(rel) or self._load(partition).get(rel)
            if known is None or (size is not None and known.size is not None and known.size != size):
                known = read(rel, path)
                if known is None:
                    continue
                self._parts[partition][rel] = known  # published, or staged by a pending commit
                self._dirty.add(partition)
            seen.setdefault(partition, set()).add(rel)
            out.append(known)
        for partition, rels in seen.items():  # files that are gone (replaced by another writer)
            stale = set(self._parts.get(partition, {})) - rels
            for rel in stale:
                del self._parts[partition][rel]
            if stale:
                self._dirty.add(partition)
        return out

    def known(self, rel: str, size: int | None) -> bool:
        """The file was read whole when it was indexed, and still has that size."""
        fk = self._staged.get(rel) or self._load(partition_of(rel)).get(rel)
        return fk is not None and fk.size is not None and fk.size == size

    # -- the open transaction ----------------------------------------------------------------------
    def stage(self, fk: FileKeys) -> None:
        self._staged[fk.rel] = fk

    def unstage(self, rel: str) -> None:
        self._staged.pop(rel, None)

    def committed(self, added: Iterable[str], removed: Iterable[str]) -> None:
        """The transaction committed: its files join the index, the files it replaced leave."""
        for rel in added:
            fk = self._staged.get(rel)
            if fk is not None:
                self._load(partition_of(rel))[rel] = fk
                self._dirty.add(partition_of(rel))
        for rel in removed:
            with contextlib.suppress(KeyError):
                del self._load(partition_of(rel))[rel]
            self._dirty.add(partition_of(rel))
        self._staged.clear()

    def aborted(self) -> None:
        self._staged.clear()


__all__ = ["FANOUT", "INDEX_DIR", "MAX_ROWS", "FileKeys", "KeyIndex", "merge_candidates", "partition_of", "tier"]
