"""Plain text (and PDF text layers saved as text) -> Document: one paragraph per line.

Tables in text come as ``|``- or tab-separated lines, one cell per line, or scrambled by a
PDF text extraction; the parser reads all of them from lines, so the extractor does not guess
table structure here — it only decodes and drops page markers ("- 4 -", "— 5 —").
"""

from __future__ import annotations

import re

from collector.extract.decode import decode_bytes
from collector.models import Document, Paragraph

_PAGE_MARK = re.compile(r"^\s*[-—–－]+\s*\d{1,4}\s*[-—–－]+\s*$|^\s*第\s*\d+\s*页(\s*共\s*\d+\s*页)?\s*$")


def text_to_document(data: bytes, *, source_url: str | None = None, encoding: str | None = None) -> Document:
    text, enc = decode_bytes(data, encoding)
    return str_to_document(text, encoding=enc, source_url=source_url)


def str_to_document(text: str, *, encoding: str | None = None, source_url: str | None = None) -> Document:
    blocks = [
        Paragraph(line.rstrip(" \r\u3000\xa0"), where=f"line {i + 1}")  # trailing tabs are empty cells
        for i, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        if line.strip() and not _PAGE_MARK.match(line)
    ]
    return Document(blocks=blocks, media_type="text", extractor="text",
                    meta={"encoding": encoding, "source_url": source_url})
