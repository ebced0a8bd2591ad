"""Hostile and broken files: each is refused quickly with its specific error."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest

from collector.errors import CorruptFile, ExtractError, ResourceLimit, UnsupportedFormat
from collector.extract import EXTRACTORS, bytes_to_document
from collector.extract.limits import ExtractLimits
from collector.extract.pdf import pdf_to_document
from tests.extract_truth import load
from tests.test_extract_docx import CT, RELS, make_docx, p


@contextmanager
def quickly(seconds: float = 3.0) -> Iterator[None]:
    started = time.perf_counter()
    yield
    assert time.perf_counter() - started < seconds


def test_zip_bomb_docx_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", CT)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("word/document.xml", b"<w:document/>" + b" " * 60_000_000)
    data = buf.getvalue()
    assert len(data) < 200_000
    with quickly(), pytest.raises(CorruptFile, match="zip bomb"):
        bytes_to_document(data)


def test_unzipped_size_cap() -> None:
    data, _ = load("gb2021.docx")
    with quickly(), pytest.raises(ResourceLimit, match="inflates"):
        EXTRACTORS["docx"](data, limits={"max_unzipped_bytes": 10_000})


def test_billion_laughs_docx_is_refused() -> None:
    doctype = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
               '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
    data = make_docx(p("&lol3;"), doctype=doctype)
    with quickly(), pytest.raises(CorruptFile, match="XML bomb"):
        bytes_to_document(data)


def test_billion_laughs_xlsx_is_refused() -> None:
    data, _ = load("gb2021.xlsx")
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            blob = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                blob = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + blob
            zf.writestr(info, blob)
    with quickly(), pytest.raises(CorruptFile, match="XML bomb"):
        bytes_to_document(buf.getvalue())


@pytest.mark.parametrize("cut", [0.5, 0.97])
def test_truncated_pdf_is_corrupt(cut: float) -> None:
    data, _ = load("gb2021.pdf")
    with quickly(), pytest.raises(CorruptFile):
        bytes_to_document(data[: int(len(data) * cut)])


def test_encrypted_pdf_is_corrupt_with_a_clear_message() -> None:
    data = load_raw("encrypted_open_password.pdf")
    with quickly(), pytest.raises(CorruptFile, match="password"):
        bytes_to_document(data)


def test_random_bytes_are_unsupported() -> None:
    import random

    with quickly(), pytest.raises(UnsupportedFormat):
        bytes_to_document(random.Random(3).randbytes(100_000))


def test_page_cap() -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(400):
        pdf.new_page(200, 200)
    buf = io.BytesIO()
    pdf.save(buf)
    with quickly(), pytest.raises(ResourceLimit, match="400 pages"):
        bytes_to_document(buf.getvalue())
    data, _ = load("gb2021.pdf")
    with pytest.raises(ResourceLimit, match="pages"):
        pdf_to_document(data, limits={"max_pages": 2})


def test_time_and_size_caps() -> None:
    data, _ = load("gb2021.pdf")
    with pytest.raises(ResourceLimit, match="time cap"):
        pdf_to_document(data, limits=ExtractLimits(max_seconds=1e-6))
    with pytest.raises(ResourceLimit, match="byte cap"):
        pdf_to_document(data, limits={"max_bytes": 1000})


def test_image_pixel_bomb_is_refused_before_decoding() -> None:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 1, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    with quickly(), pytest.raises(ResourceLimit, match="pixel cap"):
        bytes_to_document(png)


def test_only_collector_errors_escape_extractors() -> None:
    """Damaged variants of every fixture: whatever breaks, it is an ExtractError."""
    cases: list[tuple[str, Callable[[bytes], bytes]]] = [
        ("gb2021.docx", lambda d: d[:2000] + bytes(len(d) - 2000)),
        ("gb2021.xlsx", lambda d: d[: len(d) // 2]),
        ("gb2019.xls", lambda d: d[:3000]),
        ("gb2021.pdf", lambda d: d.replace(b"/Root", b"/Rxxx")),
        ("gb2021_scan.png", lambda d: d[:200]),
    ]
    for name, damage in cases:
        data, _ = load(name)
        with suppress(ExtractError):  # anything else fails the test
            bytes_to_document(damage(data))


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        ExtractLimits(max_pages=0)
    with pytest.raises(ValueError):
        ExtractLimits(max_zip_ratio=2)
    assert ExtractLimits.resolve({"max_pages": 5}).max_pages == 5
    assert ExtractLimits.resolve(None) == ExtractLimits()
    with pytest.raises(TypeError):
        ExtractLimits.resolve(5)  # type: ignore[arg-type]


def load_raw(name: str) -> bytes:
    from tests.extract_truth import FIXTURES

    return (FIXTURES / name).read_bytes()


# -- markup: NULs, tag soup, sizes, control characters (issue #10, item 5) ----------------------------------


def test_html_of_nuls_is_refused_in_one_pass() -> None:
    page = b"<html><body><div class='content'>" + b"\x00" * 8_000_000 + b"</div></body></html>"
    with quickly(), pytest.raises(CorruptFile, match="NUL/control bytes"):
        bytes_to_document(page)


def test_markup_over_its_size_cap_is_refused_before_parsing() -> None:
    row = "<tr><td>一、行政许可</td><td>12</td><td>3</td></tr>".encode()
    page = b"<html><body><table>" + row * (17 * 2**20 // len(row)) + b"</table></body></html>"
    with quickly(1.0), pytest.raises(ResourceLimit, match="byte cap"):
        bytes_to_document(page)
    with quickly(1.0), pytest.raises(ResourceLimit, match="byte cap"):
        bytes_to_document("一、总体情况\n".encode() * (17 * 2**20 // 19))


def test_tag_soup_is_refused_before_a_tree_is_built() -> None:
    soup = b"<html><body>" + b"<p>x" * 1_000_000 + b"</body></html>"  # 4 MB, a million elements
    with quickly(), pytest.raises(ResourceLimit, match="tags"):
        bytes_to_document(soup)


def test_control_characters_never_reach_the_document() -> None:
    html = ("<html><body><div class='content'><p>\x1b[31m某县\x07统计局\x00</p>"
            "<table><tr><td>申请\x0b人</td><td>1\x7f2</td></tr><tr><td>x</td><td>y</td></tr></table></div></body></html>")
    doc = bytes_to_document(html.encode())
    texts = [b.text for b in doc.blocks if hasattr(b, "text")] + [c for b in doc.blocks if hasattr(b, "rows")
                                                                  for r in b.rows for c in r]
    assert "[31m某县统计局" in texts and "申请人" in texts and "12" in texts  # ESC gone: no terminal escape left
    assert not [t for t in texts if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in t)]
    body = "本机关2023年政府信息公开工作年度报告正文。" * 3
    text = bytes_to_document(f"{body}\x1b]0;pwned\x07\n第二行\x0c第三行\n".encode())
    assert [b.text for b in text.blocks] == [f"{body}]0;pwned", "第二行", "第三行"]  # FF: a page break


def test_text_with_too_many_lines_is_refused() -> None:
    with quickly(), pytest.raises(CorruptFile, match="lines"):
        EXTRACTORS["text"](b"a\n" * 200_000)


@pytest.mark.parametrize("name", ["gb2021.docx", "gb2021.xlsx", "gb2019.xls", "gb2019.doc", "gb2021.pdf",
                                  "gb2021_scan.png"])
def test_every_extractor_applies_the_size_cap_first(name: str) -> None:
    from collector.extract.sniff import sniff

    data, _ = load(name)
    kind = sniff(data, name.rsplit(".", 1)[1])
    assert kind is not None
    with quickly(1.0), pytest.raises(ResourceLimit, match="byte cap"):
        EXTRACTORS[kind](data, limits={"max_bytes": 1024})


@pytest.mark.parametrize("kind", ["html", "text"])
def test_markup_extractors_apply_the_size_cap_first(kind: str) -> None:
    with quickly(1.0), pytest.raises(ResourceLimit, match="byte cap"):
        EXTRACTORS[kind](b"<p>" + b"x" * 5000, limits={"max_markup_bytes": 1024})


def test_docx_xml_part_over_the_markup_cap_is_refused() -> None:
    """A DOCX's document.xml becomes a tree at ~20x its size: capped like HTML, before parsing."""
    data = make_docx(p("一、总体情况") * 2000)
    with quickly(1.0), pytest.raises(ResourceLimit, match="XML part"):
        EXTRACTORS["docx"](data, limits={"max_markup_bytes": 50_000})
