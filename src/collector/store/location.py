"""Where the output root lives: a local path or any URI pyarrow (or fsspec) can write.

The raw store, the crawl state and the dataset all open their root here, so ``--out
s3://bucket/prefix`` means the bucket for all three (before, ``Path("s3://b/p")`` quietly became a
local folder named ``s3:``). :func:`check_writable` is the up-front test every entry point runs
before a run starts: it writes and deletes one probe object, so an unknown scheme, a missing
bucket, refused credentials or a read-only directory fail in one line instead of after the
crawl. Credentials and endpoints come from the environment as the SDKs read them (``AWS_*``,
``AWS_ENDPOINT_URL``; ``GOOGLE_APPLICATION_CREDENTIALS``), or from the URI's query string
(pyarrow's ``?endpoint_override=…&region=…``).

pyarrow's own filesystems (local, ``file://``, ``s3://``, ``gs://``, ``hdfs://``, ``abfs://``)
come first: the dataset already reads and writes through them and they need no extra package;
any other scheme is tried through fsspec (installed with Prefect) wrapped as a pyarrow
filesystem. pyarrow loads only for a URI (or for the dataset): a crawl of a local root works
with plain files (:mod:`collector.store.files`) and never imports it.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from collector.errors import BadLocation, StoreError
from collector.store.faults import store_error

if TYPE_CHECKING:
    import pyarrow.fs as pafs

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
PROBE_DIR = "_store"


def scheme(out: str | os.PathLike[str]) -> str | None:
    """``"s3"`` for ``s3://b/p``; None for a local path."""
    m = _SCHEME.match(str(out))
    return m.group(1).lower() if m else None


def normalise(out: str | os.PathLike[str]) -> str:
    """The root as one canonical string: a URI as given (no trailing slash), a local path absolute
    with ``~`` expanded (deployment parameters name the worker user's home)."""
    text = str(out).strip()
    if not text:
        raise BadLocation("empty output location")
    if scheme(text) is not None:
        return text.rstrip("/") if not text.endswith("://") else text
    return str(Path(os.path.expanduser(text)).resolve())


def is_local(fs: pafs.FileSystem) -> bool:
    import pyarrow.fs as pafs

    return isinstance(fs, pafs.LocalFileSystem)


def open_root(out: str | os.PathLike[str]) -> tuple[pafs.FileSystem, str]:
    """``(filesystem, path)`` of the root ``out``; raises :class:`BadLocation` for a scheme no
    filesystem library here understands (nothing is written)."""
    import pyarrow as pa
    import pyarrow.fs as pafs

    text = normalise(out)
    sch = scheme(text)
    if sch is None:
        return pafs.LocalFileSystem(), text
    try:
        fs, path = pafs.FileSystem.from_uri(text)
    except pa.ArrowInvalid as exc:
        if "Unrecognized filesystem type" not in str(exc):
            raise BadLocation(f"{text}: not a usable location ({_one_line(exc)})") from None
        fs, path = _fsspec(text, sch)
    except (OSError, pa.ArrowException) as exc:  # e.g. an S3 bucket whose region cannot be resolved
        raise BadLocation(f"{text}: cannot open ({_one_line(exc)})") from None
    return fs, path.rstrip("/")


def _fsspec(uri: str, sch: str) -> tuple[pafs.FileSystem, str]:
    import pyarrow.fs as pafs

    try:
        import fsspec
    except ImportError:  # pragma: no cover - installed with Prefect
        fsspec = None
    if fsspec is not None:
        try:
            ffs, path = fsspec.core.url_to_fs(uri)
        except (ValueError, ImportError) as exc:
            reason = _one_line(exc)
        else:
            return pafs.PyFileSystem(pafs.FSSpecHandler(ffs)), path
    else:  # pragma: no cover
        reason = "fsspec is not installed"
    raise BadLocation(f"{uri}: unknown storage scheme {sch}:// ({reason}); use a local path, file://, s3://, gs:// "
                      "or a scheme fsspec knows")


def check_writable(out: str | os.PathLike[str]) -> str:
    """Refuse, in one line, a root that cannot be written; returns the normalised root.

    Creates the root (never an S3 bucket) and writes and deletes a probe object under ``_store/``.
    Raises :class:`BadLocation` (unknown scheme, missing bucket, refused credentials),
    :class:`~collector.errors.ReadOnlyStore` or :class:`~collector.errors.DiskFull`.
    """
    text = normalise(out)
    if scheme(text) is None:  # a local directory: no filesystem library needed
        probe = f"{text}/{PROBE_DIR}/.probe-{uuid.uuid4().hex[:12]}"
        try:
            os.makedirs(f"{text}/{PROBE_DIR}", exist_ok=True)
            with open(probe, "wb") as fh:
                fh.write(b"xxgk write probe\n")
            os.unlink(probe)
        except OSError as exc:
            raise store_error(exc, f"writing to {text}") from None
        return text
    import pyarrow as pa

    fs, path = open_root(text)
    probe = f"{path}/{PROBE_DIR}/.probe-{uuid.uuid4().hex[:12]}"
    try:
        fs.create_dir(f"{path}/{PROBE_DIR}", recursive=True)
        with fs.open_output_stream(probe) as fh:
            fh.write(b"xxgk write probe\n")
        fs.delete_file(probe)
    except (OSError, pa.ArrowException) as exc:
        err = store_error(exc, f"writing to {text}")
        if is_local(fs) or type(err) is not StoreError:
            raise err from None
        raise BadLocation(f"{text}: cannot write there ({_one_line(exc)})") from None
    return text


def write_file(fs: pafs.FileSystem, path: str, data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` so that ``path`` appears whole or not at all: a temp file and a rename on a
    local disk, one PUT (which is atomic) on an object store."""
    parent = path.rsplit("/", 1)[0]
    makedirs(fs, parent)
    if not is_local(fs):
        with fs.open_output_stream(path) as fh:
            fh.write(data)
        return
    from collector.store.files import write_atomic

    write_atomic(path, data, fsync=fsync)


def makedirs(fs: pafs.FileSystem, path: str) -> None:
    """Create directory ``path`` where directories exist; an object store has none (pyarrow would
    write marker objects, several requests each time)."""
    if fs.type_name not in ("s3", "gcs"):
        fs.create_dir(path, recursive=True)


def exists(fs: pafs.FileSystem, path: str) -> bool:
    import pyarrow.fs as pafs

    return fs.get_file_info(path).type != pafs.FileType.NotFound


def holds(out: str | os.PathLike[str], rel: str = "") -> bool:
    """The root (or ``rel`` under it) exists: ``xxgk check``/``report``/``reparse`` refuse a root
    that holds no dataset without creating anything."""
    text = normalise(out)
    if scheme(text) is None:
        return os.path.exists(f"{text}/{rel}" if rel else text)
    fs, path = open_root(text)
    return exists(fs, f"{path}/{rel}" if rel else path)


def has_dataset(out: str | os.PathLike[str]) -> bool:
    """The root holds at least one of the dataset's tables."""
    return any(holds(out, t) for t in ("reports", "documents", "cells", "findings"))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


__all__ = ["check_writable", "exists", "has_dataset", "holds", "is_local", "makedirs", "normalise", "open_root", "scheme", "write_file"]
