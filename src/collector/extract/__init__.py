"""Extraction: raw bytes -> :class:`~collector.models.Document`, one extractor per format.

``EXTRACTORS`` is the registry (code, not strings). Each extractor is a function
``(data: bytes, *, source_url: str | None, encoding: str | None) -> Document`` that raises only
:class:`~collector.errors.ExtractError` subclasses.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain

from collector.errors import UnsupportedFormat
from collector.extract.charset import has_controls, strip_controls
from collector.extract.docx import docx_to_document
from collector.extract.html import html_to_document
from collector.extract.limits import DEFAULT_LIMITS, check_size
from collector.extract.ocr import image_to_document
from collector.extract.office import doc_to_document, wps_to_document
from collector.extract.pdf import pdf_to_document
from collector.extract.sniff import sniff
from collector.extract.text import text_to_document
from collector.extract.xlsx import et_to_document, xls_to_document, xlsx_to_document
from collector.models import Document, Paragraph, Table

Extractor = Callable[..., Document]

EXTRACTORS: dict[str, Extractor] = {
    "html": html_to_document,
    "text": text_to_document,
    "pdf": pdf_to_document,
    "docx": docx_to_document,
    "doc": doc_to_document,
    "wps": wps_to_document,
    "xlsx": xlsx_to_document,
    "xls": xls_to_document,
    "et": et_to_document,
    "image": image_to_document,
}

def bytes_to_document(
    data: bytes, *, source_url: str | None = None, hint: str | None = None, encoding: str | None = None
) -> Document:
    """Sniff ``data`` and run the matching extractor (size cap first; control characters out)."""
    check_size(data, DEFAULT_LIMITS)
    if not data or not data.strip():
        raise UnsupportedFormat("empty document")
    kind = sniff(data, hint)
    if kind is None:
        raise UnsupportedFormat("unknown format (not HTML, text, PDF, DOCX, DOC/WPS, XLS/XLSX or an image)")
    fn = EXTRACTORS.get(kind)
    if fn is None:
        raise UnsupportedFormat(f"no extractor for {kind} documents is installed")
    doc = fn(data, source_url=source_url, encoding=encoding)
    doc.meta.setdefault("sniffed", kind)
    return sanitize(doc)


def sanitize(doc: Document) -> Document:
    """Strip NUL/control characters from every string a binary format's extractor returned
    (a PDF text layer or a DOCX run can carry them; HTML and text are clean from the decoder)."""
    # one search over all paragraphs first (a character test: the joined text has controls iff a
    # paragraph has): almost every document is clean
    paragraphs_clean = not has_controls("".join([b.text for b in doc.blocks if isinstance(b, Paragraph)]))
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            if not paragraphs_clean:
                block.text = strip_controls(block.text, " ")  # a block stays one line
        elif isinstance(block, Table) and has_controls("".join(chain.from_iterable(block.rows))):
            # one search per table, not one per cell: almost every table is clean
            block.rows = [[strip_controls(c, " ") for c in row] for row in block.rows]
    for key, value in doc.meta.items():
        if isinstance(value, str):
            doc.meta[key] = strip_controls(value, " ")
    return doc


__all__ = ["EXTRACTORS", "bytes_to_document", "sanitize", "sniff"]
