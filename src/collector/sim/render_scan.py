"""Render a PDF as a *scan*: rasterised at 150–300 dpi, skewed, blurred, noisy, JPEG-compressed,
on grey paper, with a red seal stamped over the table — the way reports reach portals after a
round trip through a scanner or a phone.

The OCR path is judged on these (``bench/accuracy/scans.py``, ``tests/test_extract_ocr.py``):
the page content comes from a PDF whose ground truth is known, every degradation is seeded, so
a variant is the same bytes on every run of the same machine. Needs the ``[ocr]`` extra (numpy,
OpenCV, Pillow); seals use a CJK font when one is installed and are plain rings otherwise.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


@dataclass(frozen=True, slots=True)
class ScanStyle:
    """How one scan variant degrades the page (all randomness drawn from ``seed``)."""

    dpi: int = 200
    skew: float = 0.0            # degrees, counter-clockwise; real scans stay within ±2°
    blur: float = 0.0            # Gaussian sigma in pixels
    noise: float = 0.0           # standard deviation of the sensor noise, grey levels
    jpeg: int | None = None      # JPEG quality, None for lossless
    seal: bool = False           # a red seal over the main table and one over the signature
    paper: int = 255             # paper grey level (a grey scan: ~215)
    faint: bool = False          # washed-out ink: thin rules break when binarised
    color: bool = False          # keep colour (a seal stays red) or convert to grey
    container: Literal["png", "jpeg", "pdf"] = "png"
    seed: int = 0

    def __post_init__(self) -> None:
        if not 72 <= self.dpi <= 600:
            raise ValueError("ScanStyle.dpi must be within 72..600")
        if abs(self.skew) > 5:
            raise ValueError("ScanStyle.skew must be within ±5°")
        if self.jpeg is not None and not 5 <= self.jpeg <= 100:
            raise ValueError("ScanStyle.jpeg must be within 5..100")

    def with_seed(self, seed: int) -> ScanStyle:
        return replace(self, seed=seed)


def rasterise(pdf: bytes, dpi: int) -> list[Any]:
    """PDF pages -> RGB uint8 arrays at ``dpi``, with the table boxes of each page (in pixels)."""
    import numpy as np
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return [np.asarray(doc[i].render(scale=dpi / 72).to_pil().convert("RGB")).copy() for i in range(len(doc))]
    finally:
        doc.close()


def _table_boxes(pdf: bytes, dpi: int) -> list[list[tuple[float, float, float, float]]]:
    """Bounding boxes of the ruled tables per page (pixels), to know where to stamp the seal."""
    import pdfplumber

    out = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            boxes = [t.bbox for t in page.find_tables()]
            out.append([tuple(v * dpi / 72 for v in b) for b in boxes])
    return out


def _font(size: int) -> Any:
    from PIL import ImageFont

    for path in CJK_FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return None


def seal_mask(radius: int, text: str, rng: Any) -> Any:
    """A round official seal (ring, arc of characters, star) as an ink-coverage mask in [0, 1]."""
    import cv2
    import numpy as np
    from PIL import Image, ImageDraw

    size = 2 * radius + 8
    c = size // 2
    m = np.zeros((size, size), np.uint8)
    cv2.circle(m, (c, c), radius, 255, max(3, radius // 22), lineType=cv2.LINE_AA)
    star = [(c + 0.28 * radius * math.cos(math.pi / 2 + k * 4 * math.pi / 5),
             c - 0.28 * radius * math.sin(math.pi / 2 + k * 4 * math.pi / 5)) for k in range(5)]
    cv2.fillPoly(m, [np.array(star, np.int32)], 255, lineType=cv2.LINE_AA)
    font = _font(int(radius * 0.30))
    if font is not None and text:
        chars = list(text)[:16]
        span = min(250.0, 20.0 * len(chars))
        for k, ch in enumerate(chars):
            ang = math.radians(90 + span / 2 - (k + 0.5) * span / len(chars))
            glyph = Image.new("L", (int(radius * 0.4), int(radius * 0.4)), 0)
            ImageDraw.Draw(glyph).text((radius * 0.2, radius * 0.2), ch, fill=255, font=font, anchor="mm")
            glyph = glyph.rotate(math.degrees(ang) - 90, resample=Image.Resampling.BICUBIC)
            g = np.asarray(glyph)
            gx = int(c + 0.72 * radius * math.cos(ang) - g.shape[1] / 2)
            gy = int(c - 0.72 * radius * math.sin(ang) - g.shape[0] / 2)
            region = m[gy:gy + g.shape[0], gx:gx + g.shape[1]]
            np.maximum(region, g[:region.shape[0], :region.shape[1]], out=region)
    mask = m.astype(np.float32) / 255
    # uneven stamping pressure: blotchy coverage between 55 % and 100 %
    blotch = cv2.GaussianBlur(rng.random((size, size)).astype(np.float32), (0, 0), radius / 8)
    blotch = (blotch - blotch.min()) / max(float(blotch.max() - blotch.min()), 1e-6)
    return mask * (0.55 + 0.45 * blotch)


def _stamp(img: Any, mask: Any, cx: float, cy: float, color: tuple[int, int, int]) -> None:
    """Multiply-blend a seal of ``color`` onto ``img`` (RGB float) centred at (cx, cy)."""
    import numpy as np

    h, w = mask.shape
    x0, y0 = int(cx - w / 2), int(cy - h / 2)
    ix0, iy0 = max(x0, 0), max(y0, 0)
    ix1, iy1 = min(x0 + w, img.shape[1]), min(y0 + h, img.shape[0])
    if ix1 <= ix0 or iy1 <= iy0:
        return
    m = mask[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0, None]
    tint = np.array(color, np.float32) / 255
    img[iy0:iy1, ix0:ix1] *= 1 - m * (1 - tint)


def degrade_page(rgb: Any, style: ScanStyle, rng: Any, seals: list[tuple[float, float]], seal_text: str) -> Any:
    """One clean RGB page -> the scanned page (RGB or grey uint8)."""
    import cv2
    import numpy as np

    img = rgb.astype(np.float32)
    if style.faint:  # washed-out ink: black becomes mid grey, thin rules fade
        img = 255 - (255 - img) * 0.55
    h, w = img.shape[:2]
    # paper: grey level with a slow illumination gradient (a scanner lid, a phone's light)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1.0 - 0.06 * (xx / w) - 0.04 * (yy / h)
    paper = np.array([style.paper, style.paper, max(style.paper - 12, 0)], np.float32) / 255
    img = img * paper * light[..., None]
    radius = int(round(21 / 25.4 * style.dpi))  # a 42 mm official seal
    for cx, cy in seals:
        mask = seal_mask(radius, seal_text, rng)
        _stamp(img, mask, cx, cy, (int(rng.integers(200, 230)), int(rng.integers(30, 60)), int(rng.integers(40, 70))))
    if style.skew:
        paper_rgb = tuple(float(v) for v in img[2, 2])
        m = cv2.getRotationMatrix2D((w / 2, h / 2), style.skew, 1.0)
        img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=paper_rgb)
    if style.blur:
        img = cv2.GaussianBlur(img, (0, 0), style.blur)
    if style.noise:
        img += rng.normal(0.0, style.noise, img.shape[:2])[..., None].astype(np.float32)
        specks = rng.random(img.shape[:2]) < 0.0004
        img[specks] = rng.integers(0, 120)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if not style.color:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    return img


def pdf_to_scan(pdf: bytes, style: ScanStyle, *, seal_text: str = "") -> bytes:
    """The whole document as one scan: a tall PNG/JPEG of the stacked pages, or an image-only PDF."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(style.seed)
    pages = rasterise(pdf, style.dpi)
    seals: list[list[tuple[float, float]]] = [[] for _ in pages]
    if style.seal:
        boxes = _table_boxes(pdf, style.dpi)
        sized = [(p, b) for p, bs in enumerate(boxes) for b in bs]
        if sized:  # over the biggest table's value columns
            p, (x0, y0, x1, y1) = max(sized, key=lambda pb: (pb[1][2] - pb[1][0]) * (pb[1][3] - pb[1][1]))
            seals[p].append((x0 + 0.72 * (x1 - x0), y0 + float(rng.uniform(0.3, 0.7)) * (y1 - y0)))
        h, w = pages[-1].shape[:2]
        ink_rows = np.nonzero(pages[-1].min(axis=(1, 2)) < 128)[0]
        if len(ink_rows):  # over the signature (the last lines of the document)
            seals[-1].append((0.72 * w, float(ink_rows[-1]) - 0.02 * h))
    out = [degrade_page(pg, style, rng, seals[i], seal_text) for i, pg in enumerate(pages)]
    ims = [Image.fromarray(a) for a in out]
    buf = io.BytesIO()
    if style.container == "pdf":
        quality = style.jpeg or 85  # Pillow stores RGB/L pages as JPEG (DCTDecode)
        ims[0].save(buf, "PDF", resolution=float(style.dpi), save_all=True, append_images=ims[1:], quality=quality)
        return buf.getvalue()
    gap = style.dpi // 5
    mode = ims[0].mode
    fill = (style.paper,) * 3 if mode == "RGB" else style.paper
    tall = Image.new(mode, (max(i.width for i in ims), sum(i.height for i in ims) + gap * (len(ims) - 1)), fill)
    y = 0
    for im in ims:
        tall.paste(im, (0, y))
        y += im.height + gap
    if style.container == "jpeg":
        tall.save(buf, "JPEG", quality=style.jpeg or 85, dpi=(style.dpi, style.dpi))
    else:
        tall.save(buf, "PNG", dpi=(style.dpi, style.dpi))
    return buf.getvalue()
