"""Whole-file access under the output root for the crawl's stores: plain ``os`` calls for a local
path, pyarrow.fs for a URI.

The raw store and the crawl state only ever read, write (atomically), list, move and delete whole
files. On a local disk that needs nothing beyond the standard library, so a crawl of a local root
does not load pyarrow (and, through it, numpy and pandas: ~100 MB and 500 modules, more than the
whole crawler; issue #13). A URI (``s3://``, ``gs://``, any scheme fsspec knows) goes through the
filesystem :func:`collector.store.location.open_root` opens, as the dataset does.

Paths are POSIX strings below :attr:`Files.base` (an absolute local path, or the filesystem's path
of the root). Errors are ``OSError`` (``FileNotFoundError`` for a missing file) or, on a URI,
pyarrow's own: catch :attr:`Files.errors`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import uuid
from typing import TYPE_CHECKING

from collector.store.location import normalise, scheme

if TYPE_CHECKING:
    import pyarrow.fs as pafs


# temp file names: unique per process (its pid and a random prefix: a forked child keeps the
# prefix) and per call (a counter); a uuid4 per file cost a urandom call per stored body
_TMP_PREFIX = uuid.uuid4().hex[:8]
_tmp_ids = itertools.count()


class Files:
    """The file operations the crawl's stores use; :func:`open_files` picks the implementation."""

    base: str
    local: bool
    errors: tuple[type[BaseException], ...] = (OSError,)

    def size(self, path: str) -> int | None:
        """Size of the regular file ``path``; None if there is none."""
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def read(self, path: str) -> bytes:
        raise NotImplementedError

    def write(self, path: str, data: bytes, *, fsync: bool = False) -> None:
        """``path`` appears whole or not at all."""
        raise NotImplementedError

    def list(self, directory: str, *, recursive: bool = False) -> list[str]:
        """Paths of the regular files under ``directory`` (none if it does not exist), unsorted."""
        raise NotImplementedError

    def delete(self, path: str) -> None:
        """Remove a file; ``FileNotFoundError`` if it is gone."""
        raise NotImplementedError

    def move(self, src: str, dst: str) -> None:
        raise NotImplementedError


class LocalFiles(Files):
    """A local directory through the standard library: temp file + rename for atomic writes."""

    local = True

    def __init__(self, base: str) -> None:
        self.base = base
        self._dirs: set[str] = set()  # directories known to exist (a crawl writes thousands of bodies)

    def size(self, path: str) -> int | None:
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return st.st_size if (st.st_mode & 0o170000) == 0o100000 else None

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def read(self, path: str) -> bytes:
        with open(path, "rb") as fh:
            return fh.read()

    def write(self, path: str, data: bytes, *, fsync: bool = False) -> None:
        parent, name = path.rsplit("/", 1)
        if parent not in self._dirs:
            try:  # usually only the last level is new (raw/ab/cd): one mkdir, not makedirs' walk
                os.mkdir(parent)
            except FileExistsError:
                pass
            except FileNotFoundError:
                os.makedirs(parent, exist_ok=True)
            self._dirs.add(parent)
        try:
            write_atomic(path, data, fsync=fsync)
        except FileNotFoundError:  # the directory was removed meanwhile: once more, creating it
            self._dirs.discard(parent)
            if not os.path.isdir(parent):
                self.write(path, data, fsync=fsync)
                return
            raise

    def list(self, directory: str, *, recursive: bool = False) -> list[str]:
        out: list[str] = []
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return out
        for e in entries:
            if e.is_file(follow_symlinks=False):
                out.append(f"{directory}/{e.name}")
            elif recursive and e.is_dir(follow_symlinks=False):
                out.extend(self.list(f"{directory}/{e.name}", recursive=True))
        return out

    def delete(self, path: str) -> None:
        os.unlink(path)

    def move(self, src: str, dst: str) -> None:
        os.replace(src, dst)


class ArrowFiles(Files):
    """A URI's filesystem (pyarrow.fs, or fsspec wrapped by it): one PUT per write."""

    local = False

    def __init__(self, fs: pafs.FileSystem, base: str) -> None:
        import pyarrow as pa

        self.fs, self.base = fs, base
        self.errors = (OSError, pa.ArrowException)

    def size(self, path: str) -> int | None:
        import pyarrow.fs as pafs

        info = self.fs.get_file_info(path)
        return info.size if info.type == pafs.FileType.File else None

    def exists(self, path: str) -> bool:
        from collector.store.location import exists

        return exists(self.fs, path)

    def read(self, path: str) -> bytes:
        with self.fs.open_input_stream(path) as fh:
            return fh.read()

    def write(self, path: str, data: bytes, *, fsync: bool = False) -> None:
        from collector.store.location import write_file

        write_file(self.fs, path, data, fsync=fsync)

    def list(self, directory: str, *, recursive: bool = False) -> list[str]:
        import pyarrow.fs as pafs

        sel = pafs.FileSelector(directory, allow_not_found=True, recursive=recursive)
        return [i.path for i in self.fs.get_file_info(sel) if i.type == pafs.FileType.File]

    def delete(self, path: str) -> None:
        self.fs.delete_file(path)

    def move(self, src: str, dst: str) -> None:
        self.fs.move(src, dst)


def write_atomic(path: str, data: bytes, *, fsync: bool = False) -> None:
    """Write a local file whole or not at all: a temp file beside it, then a rename."""
    parent, name = path.rsplit("/", 1)
    tmp = f"{parent}/.tmp-{os.getpid()}-{_TMP_PREFIX}-{next(_tmp_ids)}-{name}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def open_files(out: str | os.PathLike[str]) -> Files:
    """The files of root ``out`` (a local path: the standard library; a URI: its pyarrow filesystem)."""
    text = normalise(out)
    if scheme(text) is None:
        return LocalFiles(text.rstrip("/") or "/")
    from collector.store.location import open_root

    return ArrowFiles(*open_root(text))


__all__ = ["ArrowFiles", "Files", "LocalFiles", "open_files", "write_atomic"]
