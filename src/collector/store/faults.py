"""OS errors of the storage layer as :mod:`collector.errors` classes, and the fault points.

A full disk must end a run with one line that says so (``No space left on device``), and a
read-only root must fail a write cleanly while reads go on; both come from ``OSError`` (and
SQLite's "database or disk is full"), converted here once for the dataset, the raw store and
the crawl state.

:func:`fault_point` marks each step of a dataset write. It does nothing unless a test installed
``FAULT_HOOK``: the store fault-injection test kills the process (SIGKILL) or fills the disk at
every point in turn and checks that reopening leaves a consistent dataset.
"""

from __future__ import annotations

import errno
from collections.abc import Callable

from collector.errors import DiskFull, ReadOnlyStore, StoreError

FAULT_HOOK: Callable[[str], None] | None = None

_FULL = (errno.ENOSPC, errno.EDQUOT)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def fault_point(name: str) -> None:
    if FAULT_HOOK is not None:
        FAULT_HOOK(name)


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, DiskFull):
        return True
    if isinstance(exc, OSError) and exc.errno in _FULL:
        return True
    text = str(exc)  # pyarrow and SQLite put the errno in the message only
    return "No space left on device" in text or "Disk quota exceeded" in text or "database or disk is full" in text


def is_read_only(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in _READ_ONLY or "Read-only file system" in str(exc)


def store_error(exc: BaseException, what: str) -> StoreError:
    """``exc`` as a one-line :class:`StoreError` naming ``what`` was being done."""
    if isinstance(exc, StoreError):
        return exc
    if is_disk_full(exc):
        return DiskFull(f"No space left on device while {what}")
    if is_read_only(exc):
        return ReadOnlyStore(f"read-only: cannot write while {what} ({_reason(exc)})")
    return StoreError(f"{what} failed: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f": {exc.filename}" if exc.filename else "")
    return f"{type(exc).__name__}: {exc}"


__all__ = ["FAULT_HOOK", "fault_point", "is_disk_full", "is_read_only", "store_error"]
