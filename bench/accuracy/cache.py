"""A file cache for generated corpus documents (``bench/accuracy/cache/``, gitignored).

Rendering through LibreOffice costs seconds per document, so generated files are kept under a
key that names everything they are made from (suite, case, generator version); deleting the
directory regenerates the same content (seeded generators).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

CACHE = Path(__file__).resolve().parent / "cache"


def path_for(key: str, ext: str) -> Path:
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return CACHE / f"{digest}.{ext}"


def cached(key: str, ext: str, make: Callable[[], bytes]) -> bytes:
    p = path_for(key, ext)
    if p.is_file():
        return p.read_bytes()
    data = make()
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(p)
    return data


def cached_conversions(items: Sequence[tuple[str, bytes]], source_ext: str, target: str) -> list[bytes | None]:
    """LibreOffice conversions of ``(key, bytes)`` items, converting the missing ones in one batch.

    ``None`` where LibreOffice is absent or the conversion failed (the case is then skipped).
    """
    from collector.extract.office import convert_many

    out: list[bytes | None] = [None] * len(items)
    todo: list[int] = []
    for i, (key, _) in enumerate(items):
        p = path_for(key, target)
        if p.is_file():
            out[i] = p.read_bytes()
        else:
            todo.append(i)
    if todo:
        results = convert_many([items[i][1] for i in todo], target, source_ext=source_ext)
        for i, res in zip(todo, results, strict=True):
            if isinstance(res, bytes):
                p = path_for(items[i][0], target)
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(res)
                out[i] = res
    return out
