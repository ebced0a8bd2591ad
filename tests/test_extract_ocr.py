"""OCR path (the [ocr] extra): grid finding on synthetic pages, scanned fixtures, missing extra."""

from __future__ import annotations

import pytest

from collector.errors import ExtractError
from collector.extract import bytes_to_document, ocr
from tests.extract_truth import all_mismatches, load

needs_ocr = pytest.mark.skipif(not ocr.ocr_available(), reason="rapidocr-onnxruntime ([ocr] extra) is not installed")


def _grid_image():  # noqa: ANN202 - numpy array
    import numpy as np

    img = np.full((400, 600), 255, dtype=np.uint8)
    for y in (50, 150, 250, 350):
        img[y - 1:y + 2, 50:551] = 0
    for x in (50, 250, 400, 550):
        img[50:351, x - 1:x + 2] = 0
    img[151:250, 398:403] = 255  # no border between (1,1) and (1,2): a merged cell
    img[90:110, 100:104] = 0     # a short stroke inside a cell is not a rule
    return img


@needs_ocr
def test_grid_with_a_merged_cell() -> None:
    img = _grid_image()
    grids = ocr.find_grids(img, ocr._line_masks(img, 20.0))
    assert len(grids) == 1
    x0, y0, x1, y1, xs, ys = grids[0]
    assert (len(xs), len(ys)) == (4, 4)
    cells = ocr._grid_cells(ocr._line_masks(img, 20.0), xs, ys)
    assert len(cells) == 8  # 9 slots, two of them merged
    wide = [c for c in cells if c[2] - c[0] > 250]
    assert len(wide) == 1 and abs(wide[0][1] - 150) < 3


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
