"""Bytes -> text for HTML and text documents (and the crawler's listing pages): header charset,
then ``<meta>``, then detection.

It lives with the extractors that decode (:mod:`.html`, :mod:`.text`); the crawler uses the
same function for listing pages, so a page decodes the same way wherever it is read.

GB2312/GBK are decoded as GB18030 (their superset; pages labelled GB2312 carry GBK-only
characters). A ``<meta>`` declaration is not trusted when it does not decode cleanly, nor a GB
declaration on a body that is valid UTF-8 (old 中国上海 templates, portals.md §4).
"""

from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HEADER = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.I)
# C0 controls but TAB/LF/CR (FF becomes a line break), DEL, C1 controls, the two non-characters
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffe\uffff]+")
_GB = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "euc-cn", "gb18030", "hz-gb-2312"}


# The same characters as bytes of their Latin-1 encoding (FF included): a page is checked with
# two C passes (encode, translate) instead of a regex scan, ~3x faster on a CJK page.
_CONTROL_LATIN1 = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def has_controls(text: str) -> bool:
    """Whether :func:`strip_controls` would change ``text``."""
    low = text.encode("latin-1", "ignore")  # every character below U+0100, in order
    return len(low.translate(None, _CONTROL_LATIN1)) != len(low) or "\ufffe" in text or "\uffff" in text


def strip_controls(text: str, page_break: str = "\n") -> str:
    """``text`` without NUL/control characters: HTML makes them parse errors, lxml refuses them,
    and a terminal obeys the escape sequences a hostile page could carry. Form feeds (page
    breaks of a text layer) become ``page_break``."""
    if not has_controls(text):
        return text
    if "\x0c" in text:
        text = text.replace("\x0c", page_break)
    return _CONTROL_CHARS.sub("", text)


def normalize_charset(name: str | None) -> str | None:
    """Python codec name for a declared charset (GB family -> gb18030), None when unknown."""
    if not name:
        return None
    n = name.strip().strip("\"'").lower()
    if n in _GB:
        return "gb18030"
    if n in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
        return "cp1252" if n.startswith(("iso", "latin")) else "ascii"
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    m = _HEADER.search(content_type or "")
    return normalize_charset(m.group(1)) if m else None


def meta_charset(body: bytes) -> str | None:
    m = _META.search(body[:4096])
    return normalize_charset(m.group(1).decode("ascii", "ignore")) if m else None


def _is_utf8(body: bytes) -> bool:
    """Valid UTF-8, allowing a multi-byte character cut at the end (a body read up to a cap)."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.start >= len(body) - 3
    return True


# The bytes a control character decoded from UTF-8 needs: C0 (but TAB/LF/CR) and DEL are their own
# byte, C1 (U+0080-U+009F) is C2 80-9F, U+FFFE/U+FFFF start with EF BF.
_C0_DEL = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# C2 never continues another character, so a match is a C1 character of any UTF-8 decoding
_C1_UTF8 = re.compile(b"\xc2[\x80-\x9f]")


def utf8_clean(body: bytes, text: str | None = None, *, c0_free: bool = False) -> bool:
    """True when no UTF-8 decoding of ``body`` (strict or replacing bad bytes) holds a character
    :func:`strip_controls` removes: checks on the bytes (memchr and one translate, in C) that
    spare the check of the decoded text, ~6x longer on a CJK page. False means "maybe".

    ``text``: that decoding, when the caller has it (U+FFFE/U+FFFF are then looked up in it: a
    search for their lead bytes EF BF trips on every fullwidth comma of a Chinese page).
    ``c0_free``: the caller found none of :data:`~collector.extract.limits.CONTROL_BYTES` in
    ``body`` (``check_size`` counts them), so only FF is left to look for.
    """
    if b"\xc2" in body and _C1_UTF8.search(body):
        return False
    if text is None:
        if b"\xef\xbf" in body:
            return False
    elif "\ufffe" in text or "\uffff" in text:
        return False
    if c0_free:
        return b"\x0c" not in body
    return len(body.translate(None, _C0_DEL)) == len(body)


def decode_page(body: bytes, content_type: str | None = None, *, c0_free: bool = False) -> tuple[str, str]:
    """Return ``(text, encoding)`` without control characters; never raises (the last resort
    replaces bad bytes). ``c0_free``: as for :func:`utf8_clean`."""
    text, enc = _decode(body, content_type)
    if enc == "utf-8" and utf8_clean(body, text, c0_free=c0_free):  # (a BOM cut off adds no such byte)
        return text, enc
    return strip_controls(text), enc


def page_encoding(body: bytes, content_type: str | None = None) -> str:
    """The encoding :func:`decode_page` would use (the crawl records it once per fetched page),
    without cleaning a text nobody reads."""
    return _decode(body, content_type)[1]


def _decode(body: bytes, content_type: str | None) -> tuple[str, str]:
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace"), "utf-8"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", "replace"), "utf-16"
    hdr = header_charset(content_type)
    # Error pages and misconfigured servers claim latin-1 for Chinese pages: not a real answer.
    if hdr and hdr not in ("cp1252", "ascii"):
        try:
            return body.decode(hdr), hdr
        except UnicodeDecodeError:
            pass
    meta = meta_charset(body)
    if meta == "gb18030" and not body.isascii() and _is_utf8(body):
        return body.decode("utf-8", "replace"), "utf-8"
    if meta and meta not in ("cp1252", "ascii"):
        try:
            return body.decode(meta), meta
        except UnicodeDecodeError:
            pass
    if _is_utf8(body):
        return body.decode("utf-8", "replace"), "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    enc = normalize_charset(best.encoding) if best is not None else None
    enc = enc or "gb18030"
    return body.decode(enc, "replace"), enc


def decode_bytes(data: bytes, encoding: str | None = None, *, c0_free: bool = False) -> tuple[str, str]:
    """``(text, encoding_used)`` of a document whose charset the caller may know (the HTTP
    header); then the document's own declaration, then detection. Never raises.
    ``c0_free``: as for :func:`utf8_clean`."""
    return decode_page(data, f"text/html; charset={encoding}" if encoding else None, c0_free=c0_free)
