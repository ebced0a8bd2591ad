"""Detect a document's format from its bytes (magic numbers), never from the name or Content-Type.

Mislabelled files are common on portals (a ``.doc`` that is really DOCX or HTML, a PDF served
as ``application/octet-stream``), so the content decides; the hint only breaks ties between
formats that share a container (OLE: doc / wps / xls / et).
"""

from __future__ import annotations

import io
import zipfile

from collector.models import MediaType

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")


def sniff(data: bytes, hint: str | None = None) -> MediaType | None:
    """Return the media type of ``data`` or None when it is no format we read."""
    head = data[:2048]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(data, hint)
    if any(head.startswith(m) for m in _IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    low = stripped[:1024].lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml")) or any(
        tag in low for tag in (b"<html", b"<body", b"<div", b"<p", b"<table", b"<meta", b"<head")
    ):
        return "html"
    if _looks_like_text(data):
        return "text"
    return None


def _zip_kind(data: bytes) -> MediaType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist()[:5000])
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _ole_kind(data: bytes, hint: str | None) -> MediaType:
    """OLE compound files: tell Word/WPS from Excel/ET by stream names in the directory."""
    blob = data[:65536 * 8]
    utf16 = lambda s: s.encode("utf-16-le")  # noqa: E731
    is_sheet = utf16("Workbook") in blob or utf16("Book") in blob
    is_wps = b"WPS" in blob[:4096] or utf16("WpsCustomData") in blob or b"Kingsoft" in blob
    h = (hint or "").lower().lstrip(".")
    if is_sheet:
        return "et" if h == "et" else "xls"
    if h == "wps" or (is_wps and h != "doc"):
        return "wps"
    return "doc"


def _looks_like_text(data: bytes) -> bool:
    sample = data[:8192]
    if not sample.strip() or b"\x00" in sample:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            text = sample.decode(enc)
        except UnicodeDecodeError:
            # a multi-byte char may be cut at the end of the sample
            try:
                text = sample[:-3].decode(enc)
            except UnicodeDecodeError:
                continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        return printable / max(1, len(text)) > 0.95
    return False
