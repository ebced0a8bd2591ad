"""Bytes -> str for HTML and text documents: the crawler's decoding, one implementation.

``encoding`` is the charset the caller was told (the HTTP header); then the document's own
declaration, then detection — see :func:`collector.fetch.charset.decode_page`.
"""

from __future__ import annotations

from collector.fetch.charset import decode_page


def decode_bytes(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding_used)``; never raises (falls back to replacement chars)."""
    return decode_page(data, f"text/html; charset={encoding}" if encoding else None)
