"""Content-addressed raw store: every fetched body under ``OUT/raw/ab/cd/<sha256>``.

Keeping the exact bytes (not decoded text) means any document can be re-parsed later without
the network, with a better parser or a different decoding; the sha256 is also the
``document_sha256`` of the record. Writes are atomic (temp file + ``os.replace``), so a crashed
process never leaves a half-written body under its final name, and storing the same bytes twice
is free. ``fsync`` (off by default: it caps a crawl at the disk's sync latency) adds durability
against power loss; without it, :meth:`RawStore.valid` re-hashes a body before it is trusted
again (the crawl does so before sending a conditional request for it).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from collector.store.faults import store_error


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_relpath(sha256: str) -> str:
    """``raw/ab/cd/<sha256>`` — relative to the output root, POSIX separators."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return f"raw/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class RawStore:
    relpath = staticmethod(raw_relpath)

    def __init__(self, out_root: str | Path, fsync: bool = False) -> None:
        self.root = Path(out_root)
        self.fsync = fsync

    def path(self, sha256: str) -> Path:
        return self.root / raw_relpath(sha256)

    def exists(self, sha256: str | None) -> bool:
        return bool(sha256) and self.path(sha256).is_file()  # type: ignore[arg-type]

    def put(self, data: bytes) -> str:
        """Store ``data``; return its path relative to the output root (``raw/ab/cd/<sha256>``)."""
        return self.store(data)[1]

    def store(self, data: bytes) -> tuple[str, str]:
        """Store ``data``; return ``(sha256, relative path)``. Idempotent."""
        sha = sha256_hex(data)
        rel = raw_relpath(sha)
        dest = self.root / rel
        if dest.is_file() and dest.stat().st_size == len(data):
            return sha, rel
        tmp = None
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if self.fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, dest)
        except BaseException as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):  # a full disk or a read-only root: one clear line
                raise store_error(exc, f"storing a {len(data)}-byte document in {self.root / 'raw'}") from None
            raise
        return sha, rel

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def valid(self, sha256: str | None) -> bool:
        """The body is there and still hashes to its name (not truncated by a power loss)."""
        if not self.exists(sha256):
            return False
        try:
            return sha256_hex(self.get(sha256)) == sha256  # type: ignore[arg-type]
        except OSError:
            return False
