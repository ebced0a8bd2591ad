"""Content-addressed raw store: every fetched body under ``OUT/raw/ab/cd/<sha256>``.

Keeping the exact bytes (not decoded text) means any document can be re-parsed later without
the network, with a better parser or a different decoding; the sha256 is also the
``document_sha256`` of the record. The root is a local path (plain file I/O) or a URI (its
pyarrow filesystem; :mod:`collector.store.files`).
Writes are atomic (a temp file and a rename on a local disk, one PUT on an object store), so a
crashed process never leaves a half-written body under its final name, and storing the same bytes
twice is free. ``fsync`` (off by default: it caps a crawl at the disk's sync latency) adds
durability against power loss on a local disk; without it, :meth:`RawStore.valid` re-hashes a
body before it is trusted again (the crawl does so before sending a conditional request for it).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from collector.store.faults import store_error
from collector.store.files import open_files
from collector.store.location import normalise

_HEX = frozenset("0123456789abcdef")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_relpath(sha256: str) -> str:
    """``raw/ab/cd/<sha256>`` — relative to the output root, POSIX separators."""
    if len(sha256) != 64 or not _HEX.issuperset(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return f"raw/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class RawStore:
    relpath = staticmethod(raw_relpath)

    def __init__(self, out_root: str | os.PathLike[str], fsync: bool = False) -> None:
        self.uri = normalise(out_root)
        self.files = open_files(self.uri)
        self.base = self.files.base
        self.local = self.files.local
        self.root = Path(self.base) if self.local else self.uri  # kept for messages and local callers
        self.fsync = fsync

    def _abs(self, sha256: str) -> str:
        return f"{self.base}/{raw_relpath(sha256)}"

    def path(self, sha256: str) -> Path | str:
        """Where the body is: a local :class:`Path`, or the object's path on the root's filesystem."""
        return Path(self._abs(sha256)) if self.local else self._abs(sha256)

    def _size(self, sha256: str) -> int | None:
        return self.files.size(self._abs(sha256))

    def exists(self, sha256: str | None) -> bool:
        return bool(sha256) and self._size(sha256) is not None  # type: ignore[arg-type]

    def put(self, data: bytes) -> str:
        """Store ``data``; return its path relative to the output root (``raw/ab/cd/<sha256>``)."""
        return self.store(data)[1]

    def store(self, data: bytes) -> tuple[str, str]:
        """Store ``data``; return ``(sha256, relative path)``. Idempotent."""
        sha = sha256_hex(data)
        rel = raw_relpath(sha)
        try:
            if self._size(sha) == len(data):
                return sha, rel
            self.files.write(self._abs(sha), data, fsync=self.fsync)
        except self.files.errors as exc:  # a full disk or a read-only root: one clear line
            raise store_error(exc, f"storing a {len(data)}-byte document in {self.uri}/raw") from None
        return sha, rel

    def get(self, sha256: str) -> bytes:
        return self.files.read(self._abs(sha256))

    def valid(self, sha256: str | None) -> bool:
        """The body is there and still hashes to its name (not truncated by a power loss)."""
        if not self.exists(sha256):
            return False
        try:
            return sha256_hex(self.get(sha256)) == sha256  # type: ignore[arg-type]
        except OSError:
            return False
