"""Bytes -> str for HTML and text documents.

Order of trust: the charset the caller was told (HTTP header), then the document's own
declaration (``<meta charset>`` / ``http-equiv``), then detection. GB2312 and GBK are always
decoded as GB18030, their superset: real pages labelled GB2312 contain GBK-only characters.
A declaration that does not decode cleanly is not trusted (old 中国上海 templates declare
gb2312 on UTF-8 pages).
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "cp936": "gb18030",
            "iso-8859-1": "utf-8", "latin-1": "utf-8", "ascii": "utf-8", "us-ascii": "utf-8"}


def normalize_charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return normalize_charset(m.group(1).decode("ascii", "ignore")) if m else None


def decode_bytes(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding_used)``; never raises (falls back to replacement chars)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace"), "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace"), "utf-16"
    tried: list[str] = []
    for cand in (normalize_charset(encoding), declared_charset(data), "utf-8"):
        if cand and cand not in tried:
            tried.append(cand)
            try:
                return data.decode(cand), cand
            except (UnicodeDecodeError, LookupError):
                continue
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None and best.encoding:
            enc = normalize_charset(best.encoding) or best.encoding
            return data.decode(enc, "replace"), enc
    except Exception:  # noqa: BLE001 - detection is best effort
        pass
    return data.decode("gb18030", "replace"), "gb18030"
