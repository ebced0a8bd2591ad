"""OCR path (the [ocr] extra): real scans of a known report, the missing extra, the recogniser.

The scans are drawn from the committed gb2021 fixture PDF by :mod:`collector.sim.render_scan`
(seeded: the same bytes every run), read once per module, and scored like the accuracy corpus
(:func:`bench.accuracy.score_record`): cells right, and no wrong value that no finding names.
"""

from __future__ import annotations

from typing import Any

import pytest
from bench.accuracy import Case, score_record

from collector.errors import ExtractError
from collector.extract import bytes_to_document, ocr
from collector.pipeline import Outcome, SourceContext, process_document
from tests.extract_truth import all_mismatches, flat_numbers, load

needs_ocr = pytest.mark.skipif(not ocr.ocr_available(), reason="rapidocr-onnxruntime ([ocr] extra) is not installed")
META = ("format_version", "report_year", "agency_name", "published_date")


def _scan(style: dict[str, Any]) -> tuple[Outcome, Case]:
    from collector.sim.render_scan import ScanStyle, pdf_to_scan

    pdf, truth = load("gb2021.pdf")
    st = ScanStyle(**style)
    data = pdf_to_scan(pdf, st, seal_text=truth["agency_name"])
    hint = {"jpeg": "jpg", "png": "png", "pdf": "pdf"}[st.container]
    case = Case("test", "scan", f"gb2021-{st.dpi}dpi.{hint}", data, flat_numbers(truth), hint=hint,
                meta={k: truth[k] for k in META})
    return process_document(data, SourceContext(hint=hint)), case


@pytest.fixture(scope="module")
def grey_seal_scan() -> tuple[Outcome, Case]:
    """A grey 200-dpi scan, skewed by 1.8°, blurred, noisy, JPEG q=50, a red seal (now grey)
    over table 三 and over the signature — the scan issue #9 says "yields almost no cells"."""
    if not ocr.ocr_available():
        pytest.skip("rapidocr-onnxruntime ([ocr] extra) is not installed")
    return _scan(dict(dpi=200, skew=1.8, blur=0.8, noise=10.0, jpeg=50, seal=True, paper=215,
                      container="jpeg", seed=11))


@pytest.fixture(scope="module")
def colour_seal_pdf() -> tuple[Outcome, Case]:
    """The same report as an image-only PDF in colour at 150 dpi, skewed the other way."""
    if not ocr.ocr_available():
        pytest.skip("rapidocr-onnxruntime ([ocr] extra) is not installed")
    return _scan(dict(dpi=150, skew=-1.2, blur=0.6, noise=8.0, jpeg=60, seal=True, paper=225, color=True,
                      container="pdf", seed=12))


@needs_ocr
@pytest.mark.slow
@pytest.mark.parametrize("which", ["grey_seal_scan", "colour_seal_pdf"])
def test_skewed_noisy_sealed_scan_reads_95_percent_of_cells_with_no_silent_error(which: str,
                                                                               request: pytest.FixtureRequest) -> None:
    out, case = request.getfixturevalue(which)
    assert out.record is not None, out.document
    score = score_record(case, out.record)
    assert score.right / score.expected >= 0.95, score.errors
    assert score.silent == 0, score.errors
    assert score.meta_right == score.meta_total, score.errors
    assert out.record["extractor"] == "rapidocr"


@needs_ocr
@pytest.mark.slow
def test_every_ocr_cell_keeps_its_confidence_and_place(grey_seal_scan: tuple[Outcome, Case]) -> None:
    out, case = grey_seal_scan
    scored = {k: c for k, c in out.cells.items() if c.confidence is not None}
    assert len(scored) >= 0.95 * sum(v is not None for v in case.expected.values())
    assert all(0.0 <= c.confidence <= 1.0 and c.where.startswith("page ") for c in scored.values())
    # a value rule 16 doubts is named by a finding, so it never passes silently
    named = {f for fd in out.record["validation"] for f in fd["fields"]}
    doubtful = [k for k, c in scored.items() if c.value is not None and c.confidence < ocr.LOW_CONFIDENCE]
    assert set(doubtful) <= named


def test_missing_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: False)
    data, _ = load("gb2021_scan.pdf")
    with pytest.raises(ExtractError, match=r"scanned PDF needs the \[ocr\] extra"):
        bytes_to_document(data)
    png, _ = load("gb2021_scan.png")
    with pytest.raises(ExtractError, match=r"\[ocr\] extra"):
        bytes_to_document(png)


@needs_ocr
@pytest.mark.slow
@pytest.mark.parametrize("name", ["gb2021_scan.pdf", "gb2021_scan.png"])
def test_scans_hold_the_truth(name: str) -> None:
    data, truth = load(name)
    doc = bytes_to_document(data)
    assert doc.extractor == "rapidocr" and doc.media_type == ("pdf" if name.endswith(".pdf") else "image")
    assert all_mismatches(doc, truth) == []
    s3 = next(t for t in doc.tables if t.width == 10)
    assert s3.confidence and len(s3.rows) == 28  # stitched across the page break, with confidences
    assert all(0.0 <= p <= 1.0 for p in s3.confidence.values())
    assert isinstance(ocr.low_confidence_cells(doc), list)


@needs_ocr
@pytest.mark.parametrize("text", ["0", "7", "1203", "35.6"])
def test_recogniser_reads_a_lone_number_crisp_or_soft(text: str) -> None:
    """A lone "0" is the cell the stock pipeline loses most often: padded with white it reads as
    nothing, crisp 1-bit glyphs (fax-like scans) read as blank; both are read, as numbers."""
    import cv2
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from collector.extract.ocr import _crop
    from collector.extract.ocr_engine import engine

    page = Image.new("L", (60 + 30 * len(text), 80), 255)
    ImageDraw.Draw(page).text((20, 15), text, fill=0, font=ImageFont.load_default(size=40))  # Pillow's own font
    img = np.asarray(page)
    ys, xs = np.nonzero(img < 128)
    crop = _crop(img, (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)))
    crisp = np.where(crop < 128, 0, 255).astype(np.uint8)
    for view in (crop, crisp, cv2.GaussianBlur(crop, (0, 0), 1.0)):
        r = engine().read_one(view)
        assert (r.text, r.numeric) == (text, True) and r.confidence > 0.85, (text, r)
