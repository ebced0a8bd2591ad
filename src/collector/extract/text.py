"""Plain text (and PDF text layers saved as text) -> Document: one paragraph per line.

Tables in text come as ``|``- or tab-separated lines, one cell per line, or scrambled by a
PDF text extraction; the parser reads all of them from lines, so the extractor does not guess
table structure here — it only decodes and drops page markers ("- 4 -", "— 5 —").
"""

from __future__ import annotations

import re

from collector.errors import CorruptFile
from collector.extract.charset import decode_bytes
from collector.extract.limits import ExtractLimits, check_size, guarded
from collector.models import Document, Paragraph

_PAGE_MARK = re.compile(r"^\s*[-—–－]+\s*\d{1,4}\s*[-—–－]+\s*$|^\s*第\s*\d+\s*页(\s*共\s*\d+\s*页)?\s*$")
_PAGE_MARK_LEADS = frozenset("-—–－第")


@guarded("text")
def text_to_document(data: bytes, *, source_url: str | None = None, encoding: str | None = None,
                     limits: ExtractLimits | dict[str, object] | None = None) -> Document:
    lim = ExtractLimits.resolve(limits)
    controls = check_size(data, lim, markup=True)
    text, enc = decode_bytes(data, encoding, c0_free=controls == 0)
    del data
    return str_to_document(text, encoding=enc, source_url=source_url, limits=lim)


def str_to_document(text: str, *, encoding: str | None = None, source_url: str | None = None,
                    limits: ExtractLimits | None = None) -> Document:
    lim = limits or ExtractLimits.resolve(None)
    blocks: list[Paragraph] = []
    # one line at a time (finditer, not split): a page of short lines never exists twice in memory
    for i, m in enumerate(re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text)):
        line = m.group().rstrip("\r\n")
        lead = line.lstrip()[:1]  # a page marker starts with a dash or 第 (\s is lstrip's whitespace)
        if not lead or (lead in _PAGE_MARK_LEADS and _PAGE_MARK.match(line)):
            if m.end() == len(text):
                break
            continue
        if len(blocks) >= lim.max_blocks:
            raise CorruptFile(f"text has more than {lim.max_blocks} non-empty lines (cap)")
        blocks.append(Paragraph(line.rstrip(" \r\u3000\xa0"), where=f"line {i + 1}"))  # trailing tabs: empty cells
        if m.end() == len(text):
            break
    return Document(blocks=blocks, media_type="text", extractor="text",
                    meta={"encoding": encoding, "source_url": source_url})
