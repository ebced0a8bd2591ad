"""Scanned page -> clean, upright page: seal removal, flat background, deskew, binarisation.

Pure functions on numpy arrays (OpenCV from the ``[ocr]`` extra). Real scans of annual reports
are grey or yellowish, lit unevenly, skewed by up to ±2°, blurred, noisy and JPEG-compressed,
with a red seal stamped over the table; the grid finder needs straight, black-on-white rules
and the recogniser needs glyphs without red rings through them. The order matters: the seal is
dropped while colour still tells it apart, the background is flattened before any threshold, the
skew is measured on the ink and corrected on the grey page (recognition reads grey, not binary).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_SKEW = 4.0  # degrees searched either way; real scans stay within ±2°


@dataclass(slots=True)
class PreparedPage:
    gray: Any      # uint8, white background, upright: what the recogniser reads
    ink: Any       # uint8 0/255, 255 = ink: what the grid finder reads
    angle: float   # degrees the scan was rotated by (counter-clockwise); undone in ``gray``/``ink``
    seal_pixels: int  # red pixels dropped (0 for a grey scan)


def prepare_page(img: Any, dpi: float) -> PreparedPage:
    """Grey or RGB page at ``dpi`` -> :class:`PreparedPage`."""
    gray, sealed = drop_seal(img)
    flat = flatten_background(gray, dpi)
    angle = estimate_skew(flat, dpi)
    if abs(angle) >= 0.05:
        flat = rotate(flat, -angle)
    ink = binarise(flat, dpi)
    return PreparedPage(flat, ink, angle, sealed)


def drop_seal(img: Any) -> tuple[Any, int]:
    """Grey page without red ink, and the number of red pixels removed.

    Black text is dark in every channel, a red seal only in green and blue: where a pixel is
    clearly red its red channel (bright for red ink, dark where black text runs under the seal)
    replaces the luminance. A grey scan has lost that distinction and is returned as is.
    """
    import cv2
    import numpy as np

    if img.ndim == 2:
        return img, 0
    if img.shape[2] == 4:
        img = img[..., :3]
    r = img[..., 0].astype(np.int16)
    gb = np.maximum(img[..., 1], img[..., 2]).astype(np.int16)
    gray = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
    red = (r - gb) > 40
    n = int(red.sum())
    if n == 0:
        return gray, 0
    # JPEG chroma is subsampled: widen the mask by a pixel so pink fringes go too
    red = cv2.dilate(red.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & ((r - gb) > 15)
    out = gray.copy()
    out[red] = np.maximum(img[..., 0][red], gray[red])
    return out, n


SEAL_RADIUS_MM = (14.0, 24.0)  # round official seals are 28-48 mm across (42 mm for most)


def find_seals(flat: Any, dpi: float) -> list[tuple[float, float, float, float]]:
    """Round seals on a flattened grey page: (cx, cy, radius, ring grey level) in pixels.

    Candidate circles come from a Hough transform on a 50 dpi copy; one is a seal when, seen
    from its (refined) centre, a thin ring darker than the paper on both sides runs around
    more than 60 % of the circle — a table's grid or a paragraph crossed by a circle never does.
    """
    import cv2

    s50 = 50.0 / dpi
    small = cv2.resize(flat, None, fx=s50, fy=s50, interpolation=cv2.INTER_AREA)
    rmin, rmax = (int(mm / 25.4 * 50) for mm in SEAL_RADIUS_MM)
    found = cv2.HoughCircles(cv2.GaussianBlur(small, (3, 3), 0), cv2.HOUGH_GRADIENT, dp=1, minDist=2 * rmin,
                             param1=80, param2=20, minRadius=rmin, maxRadius=rmax)
    if found is None:
        return []
    s100 = min(1.0, 100.0 / dpi)
    mid = cv2.resize(flat, None, fx=s100, fy=s100, interpolation=cv2.INTER_AREA) if s100 < 1 else flat
    seals = []
    for cx, cy, r in found[0][:6]:
        cx, cy, r = cx / s50 * s100, cy / s50 * s100, r / s50 * s100
        best = _ring(mid, cx, cy, r)
        step = 0.06 * r  # the centre found on a 50 dpi copy is off by a few pixels: hill-climb
        for _ in range(3):
            best = max((_ring(mid, best[3] + dx, best[4] + dy, r) for dx in (-step, 0, step) for dy in (-step, 0, step)),
                       key=lambda t: t[0])
            if best[0] < 0.25:
                break
            step /= 2
        cover, radius, level, bx, by = best
        if cover >= 0.6:
            seals.append((bx / s100, by / s100, radius / s100, level))
    return seals


def _ring(img: Any, cx: float, cy: float, r: float) -> tuple[float, float, float, float, float]:
    """(share of angles crossing a ring, its radius, its median grey, cx, cy) for the best
    radius within ±15 % of ``r``: a ring pixel is darker than the paper just inside and just
    outside it."""
    import cv2
    import numpy as np

    outer = int(1.35 * r)
    polar = cv2.warpPolar(img, (outer, 180), (float(cx), float(cy)), outer, cv2.INTER_LINEAR | cv2.WARP_POLAR_LINEAR)
    polar = polar.astype(np.int16)  # rows: angles, columns: radius in pixels
    rhos = np.arange(max(int(0.85 * r), 2), min(int(1.15 * r) + 1, outer - 2))
    ring = np.minimum(np.minimum(polar[:, rhos - 1], polar[:, rhos]), polar[:, rhos + 1])
    inside = polar[:, (rhos * 0.88).astype(int)]
    outside = polar[:, np.minimum((rhos * 1.12).astype(int), outer - 1)]
    hit = (ring < 225) & (ring < inside - 20) & (ring < outside - 20)
    cover = hit.mean(axis=0)
    k = int(cover.argmax())
    level = float(np.median(ring[hit[:, k], k])) if hit[:, k].any() else 255.0
    return float(cover[k]), float(rhos[k]), level, float(cx), float(cy)


def lift_grey_seals(flat: Any, dpi: float, keep: Any | None = None) -> tuple[Any, int]:
    """A grey page with its round seals' ink lifted to paper, and the number of pixels lifted.

    In a grey scan a red seal is a mid-grey ring, arc of characters and star over the table,
    and nothing but its shape (:func:`find_seals`) and its ink, lighter than the text's, sets
    it apart. Inside a seal's disc, text cores (darker than halfway between the ring and the
    page's text) stay with a two-pixel rim, and so do the pixels of ``keep`` (the table rules,
    as grey as the seal); the rest goes. A seal as dark as the text is left alone.
    """
    import cv2
    import numpy as np

    seals = find_seals(flat, dpi)
    if not seals:
        return flat, 0
    ink = flat[flat < 200]
    text = float(np.percentile(ink, 10)) if ink.size else 0.0
    out = flat.copy()
    h, w = flat.shape
    lifted = 0
    for cx, cy, r, level in seals:
        if level - text < 40:
            continue
        cut = (level + text) / 2
        x0, x1 = max(int(cx - 1.1 * r), 0), min(int(cx + 1.1 * r) + 1, w)
        y0, y1 = max(int(cy - 1.1 * r), 0), min(int(cy + 1.1 * r) + 1, h)
        yy, xx = np.ogrid[y0:y1, x0:x1]
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= (1.1 * r) ** 2
        region = out[y0:y1, x0:x1]
        core = (region < cut).astype(np.uint8)
        stay = cv2.dilate(core, np.ones((5, 5), np.uint8)).astype(bool) & (region < 200)
        if keep is not None:
            stay |= keep[y0:y1, x0:x1] > 0
        seal = disc & ~stay & (region < 250)
        lifted += int(seal.sum())
        region[seal] = 255
    return out, lifted


def flatten_background(gray: Any, dpi: float) -> Any:
    """Divide by the paper's own brightness (a max filter over a few character sizes, on a
    quarter-size copy): grey paper and uneven light become white, ink keeps its contrast."""
    import cv2
    import numpy as np

    h, w = gray.shape
    small = cv2.resize(gray, (max(w // 4, 1), max(h // 4, 1)), interpolation=cv2.INTER_AREA)
    k = max(3, int(dpi / 4 / 4 * 0.5) * 2 + 1)  # ~1/8 inch at quarter size
    bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.GaussianBlur(bg, (0, 0), k / 2)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    flat = gray.astype(np.float32) * (255.0 / np.maximum(bg, 1.0))
    return np.clip(flat, 0, 255).astype(np.uint8)


def binarise(gray: Any, dpi: float, k: float = 0.25) -> Any:
    """Sauvola threshold (window ~1/7 inch): ink where the pixel is darker than the local mean
    by a margin that grows in flat areas — faint rules survive, noise on blank paper does not."""
    import cv2
    import numpy as np

    smooth = cv2.medianBlur(gray, 3)
    f = smooth.astype(np.float32)
    win = max(15, int(dpi / 7) | 1)
    mean = cv2.boxFilter(f, -1, (win, win), borderType=cv2.BORDER_REPLICATE)
    sq = cv2.boxFilter(f * f, -1, (win, win), borderType=cv2.BORDER_REPLICATE)
    std = np.sqrt(np.maximum(sq - mean * mean, 0))
    thresh = mean * (1 + k * (std / 128.0 - 1))
    ink = (f < thresh) & (f < 200)
    return ink.astype(np.uint8) * 255


def estimate_skew(gray: Any, dpi: float, max_angle: float = MAX_SKEW) -> float:
    """Skew in degrees (counter-clockwise positive) of a flattened grey page, by projection
    profiles: text lines and table rules give the sharpest row histogram when projected along
    the true horizontal. Pixels are weighted by their darkness, so hairline rules count even
    where a threshold would drop them. Coarse 0.25° steps on a 50 dpi copy, then 0.02° steps
    on a 100 dpi copy; 0 when no angle is clearly better than none (a near-blank page)."""
    import cv2
    import numpy as np

    dark = cv2.subtract(np.full_like(gray, 255), gray)

    def points(target_dpi: float, limit: int) -> tuple[Any, Any, Any, int]:
        scale = min(1.0, target_dpi / dpi)
        small = cv2.resize(dark, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else dark
        ys, xs = np.nonzero(small > 32)
        if len(ys) > limit:
            step = len(ys) // limit + 1
            ys, xs = ys[::step], xs[::step]
        return ys.astype(np.float64), xs - small.shape[1] / 2.0, small[ys, xs].astype(np.float64), small.shape[0]

    def scorer(pts: tuple[Any, Any, Any, int]) -> Any:
        ys, xc, w, _ = pts

        def score(deg: float) -> float:
            proj = ys + xc * np.tan(np.radians(deg))
            hist = np.bincount(np.round(proj - proj.min()).astype(np.int64), weights=w)
            return float((hist * hist).sum())

        return score

    coarse_pts = points(50.0, 60_000)
    if len(coarse_pts[0]) < 100:
        return 0.0
    coarse = scorer(coarse_pts)
    best = max(np.arange(-max_angle, max_angle + 1e-9, 0.25), key=coarse)
    fine = scorer(points(100.0, 200_000))
    angle = float(max(np.arange(best - 0.3, best + 0.3 + 1e-9, 0.02), key=fine))
    if fine(angle) < 1.02 * fine(0.0):
        return 0.0
    return round(angle, 2)


def rotate(gray: Any, angle: float) -> Any:
    """Rotate by ``angle`` degrees counter-clockwise about the centre, filling with white."""
    import cv2

    h, w = gray.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
