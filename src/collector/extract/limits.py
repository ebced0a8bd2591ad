"""Resource caps for extraction, and the guards that enforce them before a parser sees the bytes.

Attachments come from thousands of portals we do not control: a 400-page scan, a DOCX that
inflates to gigabytes, an XML entity bomb. Each is refused early and cheaply, with the specific
error (:class:`~collector.errors.ResourceLimit` for a cap, :class:`~collector.errors.CorruptFile`
for a malformed or malicious container), so one bad file costs milliseconds, not a worker.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ParamSpec, TypeVar

from collector.errors import CorruptFile, ExtractError, ResourceLimit

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class ExtractLimits:
    """Per-document caps. Defaults fit real annual reports (5-40 pages, < 10 MB) with headroom."""

    max_bytes: int = 64 * 1024 * 1024
    # HTML, plain text and each XML part of a DOCX/XLSX: a report is < 2 MB of it, and a parsed
    # tree costs up to ~20x its input (bench/bench_memory.py)
    max_markup_bytes: int = 16 * 1024 * 1024
    # '<' of an HTML page once Word runs are dropped: this many, plus one per 16 bytes (real pages
    # have one per 15-60 bytes; tag soup one per 3-4)
    max_tags: int = 50_000
    max_control_share: float = 0.01  # NUL/C0 bytes in HTML/text beyond this share: binary, not a page
    max_blocks: int = 50_000         # paragraphs + tables of one document (a report has < 5,000)
    max_pages: int = 300
    max_seconds: float = 120.0
    # zip containers (DOCX / XLSX)
    max_zip_members: int = 2000
    max_unzipped_bytes: int = 256 * 1024 * 1024
    max_zip_ratio: float = 150.0  # per member; real OOXML parts compress 3-20x, bombs 1000x
    # tables
    max_cells: int = 200_000
    # images / OCR
    max_image_pixels: int = 60_000_000
    ocr_max_seconds: float = 900.0  # OCR takes ~4-8 s a page on one core (bench_extract.py --ocr)
    ocr_dpi: int = 200
    # a PDF page with fewer text-layer characters than this counts as an image page
    min_chars_per_page: int = 25
    # LibreOffice: seconds per invocation plus per file in a batch
    soffice_timeout: float = 60.0
    soffice_timeout_per_file: float = 20.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"ExtractLimits.{f.name} must be a positive number, got {value!r}")
        if self.max_zip_ratio < 10:
            raise ValueError("ExtractLimits.max_zip_ratio below 10 would refuse ordinary OOXML files")
        if not 72 <= self.ocr_dpi <= 600:
            raise ValueError("ExtractLimits.ocr_dpi must be within 72..600")

    @classmethod
    def resolve(cls, value: ExtractLimits | dict[str, Any] | None) -> ExtractLimits:
        """Accept None (defaults), a dict of overrides or an instance."""
        if value is None:
            return DEFAULT_LIMITS
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            return cls(**value)
        raise TypeError(f"cannot make ExtractLimits from {type(value).__name__}")


DEFAULT_LIMITS = ExtractLimits()


class Deadline:
    """Wall-clock budget of one document; ``check()`` between pages/tables raises when spent."""

    __slots__ = ("end", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self, what: str = "document") -> None:
        if time.monotonic() > self.end:
            raise ResourceLimit(f"time cap of {self.seconds:g} s hit while extracting the {what}")


def check_size(data: bytes, limits: ExtractLimits, *, markup: bool = False) -> int | None:
    """The size cap, checked before any parsing; ``markup`` (HTML, text) also refuses binary data.

    NUL and other C0 control bytes never belong in a page (HTML makes them parse errors); a page
    made of them (19 MB of NULs behind 19 KB of gzip) is refused here in one pass, and the few a
    real page carries are stripped by the decoder. UTF-16 text is exempt: its NULs are letters.
    Returns the count of :data:`CONTROL_BYTES` found when it counted them (markup), else None: the
    decoder then need not scan a clean page's bytes a second time.
    """
    cap = min(limits.max_bytes, limits.max_markup_bytes) if markup else limits.max_bytes
    if len(data) > cap:
        raise ResourceLimit(f"document of {len(data)} bytes is over the {cap} byte cap")
    if markup and data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        controls = len(data) - len(data.translate(None, CONTROL_BYTES))
        if controls > limits.max_control_share * len(data) and controls > 64:
            raise CorruptFile(f"not a text document: {controls} of its {len(data)} bytes are NUL/control bytes")
        return controls
    return None


def check_markup(html: str, limits: ExtractLimits, size: int | None = None, bytes_per_tag: int = 16) -> None:
    """Refuse tag soup before it becomes a tree: lxml spends ~300 bytes per element (bs4 ~900),
    so the tag count, not the byte count, bounds the memory of a page like ``<p>x<p>x<p>x...``.

    ``size`` is the page's size in bytes (default: its length in characters). A page may hold
    ``max_tags`` tags plus one per ``bytes_per_tag`` bytes: report HTML without its Word runs has
    one per 15-60 bytes (16), a page with its ``<span>``/``<font>`` runs one per ~12 (10).
    """
    tags = html.count("<")
    cap = limits.max_tags + (len(html) if size is None else size) // bytes_per_tag
    if tags > cap:
        raise ResourceLimit(f"HTML page has {tags} tags (cap {cap} for its size)")


# C0 controls except TAB, LF, CR and FF (text layers break pages with it), and DEL
CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 32), 127])


_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def open_safe_zip(data: bytes, limits: ExtractLimits, kind: str) -> zipfile.ZipFile:
    """Open an OOXML container after refusing bombs: member count, total and per-member ratio,
    and any DTD/entity declaration in an XML part (OOXML never needs one; billion laughs does).

    Only the directory is trusted for sizes; reads are bounded, so a lying directory cannot
    inflate more than the cap either.
    """
    check_size(data, limits)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as e:
        raise CorruptFile(f"{kind} container is not a readable zip file ({e})") from None
    if len(infos) > limits.max_zip_members:
        raise ResourceLimit(f"{kind} has {len(infos)} zip members (cap {limits.max_zip_members})")
    total = 0
    for info in infos:
        total += info.file_size
        if info.flag_bits & 0x1:
            raise CorruptFile(f"{kind} is encrypted (password-protected zip member)")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1_000_000 and ratio > limits.max_zip_ratio:
            raise CorruptFile(
                f"{kind} refused as a zip bomb: a member inflates {ratio:.0f}x to {info.file_size} bytes"
            )
    if total > limits.max_unzipped_bytes:
        raise ResourceLimit(f"{kind} inflates to {total} bytes (cap {limits.max_unzipped_bytes})")
    for info in infos:  # XML becomes a tree at ~20x its size: capped like HTML, not like media
        if info.filename.lower().endswith(".xml") and info.file_size > limits.max_markup_bytes:
            raise ResourceLimit(f"{kind} part {info.filename} inflates to {info.file_size} bytes "
                                f"(cap {limits.max_markup_bytes} for an XML part)")
    for info in infos:
        name = info.filename.lower()
        if name.endswith((".xml", ".rels", ".vml")):
            try:
                with zf.open(info) as fh:
                    head = fh.read(4096)
            except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError) as e:
                raise CorruptFile(f"{kind} has a damaged part ({e})") from None
            if _DTD.search(head):
                raise CorruptFile(f"{kind} refused: an XML part declares a DTD/entities (XML bomb guard)")
    return zf


def read_member(zf: zipfile.ZipFile, name: str, limits: ExtractLimits) -> bytes:
    """Read one member with a hard cap, whatever the directory claims."""
    try:
        with zf.open(name) as fh:
            blob = fh.read(limits.max_unzipped_bytes + 1)
    except KeyError:
        raise CorruptFile(f"zip member {name} is missing") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError) as e:
        raise CorruptFile(f"zip member {name} is damaged ({e})") from None
    if len(blob) > limits.max_unzipped_bytes:
        raise ResourceLimit(f"zip member {name} inflates past {limits.max_unzipped_bytes} bytes")
    return blob


def guarded(kind: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Extractor boundary: library exceptions become :mod:`collector.errors` classes, so a
    batch only ever has to catch ``ExtractError`` (the original is logged for debugging)."""

    def deco(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except ExtractError:
                raise
            except MemoryError:
                raise ResourceLimit(f"{kind} exhausted memory while being read") from None
            except RecursionError:
                raise CorruptFile(f"{kind} is nested too deeply to read") from None
            except Exception as e:  # noqa: BLE001 - the boundary: anything a library raises
                log.warning("%s extraction failed", kind, exc_info=True)
                raise CorruptFile(f"{kind} could not be read ({type(e).__name__}: {e})") from None

        return wrapper

    return deco
