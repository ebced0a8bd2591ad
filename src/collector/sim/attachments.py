"""Office attachments for the simulator (DOCX, XLSX; PDF and DOC through LibreOffice), cached on disk.

The renderers live in :mod:`collector.sim.render_office`; DOCX/XLSX need only python-docx and
openpyxl, PDF/DOC need ``soffice``. A conversion takes seconds, so results are cached under
``~/.cache/xxgk-collector/sim`` keyed by the layout and format: a test session pays once per
machine, not once per simulator start. Formats that cannot be produced are simply not offered.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from collector.sim.layout import Layout

NEEDS_SOFFICE = {"pdf", "doc"}


def available_formats() -> set[str]:
    try:
        from collector.sim import render_office  # noqa: F401
    except ImportError:
        return set()
    out = {"docx", "xlsx"}
    if shutil.which("soffice") or shutil.which("libreoffice"):
        out |= NEEDS_SOFFICE
    return out


def cache_dir() -> Path:
    base = os.environ.get("XXGK_SIM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "xxgk-collector", "sim")
    return Path(base)


def _key(layout: Layout, fmt: str) -> str:
    blob = json.dumps({"fmt": fmt, "layout": asdict(layout), "v": 1}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def render_attachment(layout: Layout, fmt: str) -> bytes:
    """The layout as a ``fmt`` file (docx, xlsx, pdf, doc)."""
    from collector.sim.render_office import convert_with_soffice, layout_to_docx, layout_to_xlsx

    if fmt == "docx":
        return layout_to_docx(layout)
    if fmt == "xlsx":
        return layout_to_xlsx(layout)
    if fmt not in NEEDS_SOFFICE:
        raise ValueError(f"cannot render {fmt}")
    path = cache_dir() / f"{_key(layout, fmt)}.{fmt}"
    if path.is_file():
        return path.read_bytes()
    data = convert_with_soffice(layout_to_docx(layout), "docx", fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return data
