"""Scan preprocessing and grid finding on synthetic pages (numpy/OpenCV only, no OCR models):
deskew, seal removal, binarisation of faint rules, grids with broken rules and merged cells."""

from __future__ import annotations

import pytest

cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

from collector.extract.scan_grid import cell_lines, find_grids, grid_cells, line_masks  # noqa: E402
from collector.extract.scan_prep import (  # noqa: E402
    binarise,
    drop_seal,
    estimate_skew,
    flatten_background,
    prepare_page,
    rotate,
)

DPI = 200


def _page(seed: int = 0) -> np.ndarray:
    """A 200-dpi A4 page: a title, paragraphs of glyph-like blobs, a ruled 5 x 4 table."""
    rng = np.random.default_rng(seed)
    img = np.full((2339, 1654), 255, np.uint8)
    for y in range(200, 900, 48):  # text lines of 'characters' with gaps between them
        x = 180
        while x < 1450:
            w = int(rng.integers(18, 30))
            cv2.rectangle(img, (x, y), (x + w, y + 26), 0, 2)
            cv2.line(img, (x + 4, y + 13), (x + w - 4, y + 13), 0, 2)
            x += w + int(rng.integers(6, 12))
    _table(img, 1000, [180, 560, 780, 1000, 1220, 1440], [1000, 1060, 1120, 1180, 1240, 1300])
    return img


def _table(img: np.ndarray, _top: int, xs: list[int], ys: list[int], thick: int = 2) -> None:
    for y in ys:
        cv2.line(img, (xs[0], y), (xs[-1], y), 0, thick)
    for x in xs:
        cv2.line(img, (x, ys[0]), (x, ys[-1]), 0, thick)
    for r in range(len(ys) - 1):
        cv2.putText(img, str(17 * r + 3), (xs[1] + 20, ys[r] + 45), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2)


@pytest.mark.parametrize("angle", [-2.0, -1.3, -0.4, 0.0, 0.7, 1.6, 2.0])
def test_deskew_finds_the_angle_within_a_tenth_of_a_degree(angle: float) -> None:
    page = rotate(_page(), angle)
    est = estimate_skew(page, DPI)
    assert abs(est - angle) <= 0.1, (angle, est)


def test_prepared_page_is_upright_and_its_table_is_found() -> None:
    tilted = rotate(_page(1), 1.8)
    noisy = np.clip(tilted.astype(np.float32) * 0.85 + np.random.default_rng(2).normal(0, 8, tilted.shape), 0, 255)
    prep = prepare_page(cv2.GaussianBlur(noisy.astype(np.uint8), (0, 0), 0.8), DPI)
    assert abs(prep.angle - 1.8) <= 0.1
    masks = line_masks(prep.gray, 38.0)
    grids = find_grids(masks)
    assert len(grids) == 1
    g = grids[0]
    assert (len(g.xs), len(g.ys)) == (6, 6)
    # the rules are horizontal again: every row rule's run lies within a few pixels
    assert max(g.ys[1:]) - min(g.ys[1:]) > 200 and all(abs(b - a - 60) < 4 for a, b in zip(g.ys, g.ys[1:], strict=False))


def test_skew_of_a_blank_page_is_zero() -> None:
    assert estimate_skew(np.full((800, 600), 255, np.uint8), DPI) == 0.0


def test_red_seal_is_dropped_black_ink_under_it_kept() -> None:
    rgb = np.full((400, 400, 3), 235, np.uint8)
    rgb[100:103, :] = 0                                      # a rule
    cv2.circle(rgb, (200, 150), 90, (215, 40, 50), 8)        # the seal's ring crosses it
    gray, n = drop_seal(rgb)
    assert n > 1000
    assert gray[150, 290] > 200                              # ring: paper now
    assert gray[101, 200] < 60 and gray[101, 110] < 90        # the rule, also where the ring covers it
    # a grey scan has no colour to go by
    same, n_gray = drop_seal(rgb[..., 0])
    assert n_gray == 0 and same is not None


def test_faint_broken_rule_on_grey_paper_is_still_a_rule() -> None:
    img = np.full((600, 900), 210, np.uint8)                 # grey paper
    img[:, 450:] = 180                                       # lit unevenly
    _table(img, 100, [100, 400, 800], [100, 200, 300], thick=1)
    img[img < 100] = 140                                     # washed-out ink
    img[200, 150:160] = 205                                  # a break in a rule
    img[200, 610:625] = 200
    flat = flatten_background(img, DPI)
    assert np.median(flat[400:, :]) > 240                    # the paper is white again
    masks = line_masks(flat, 38.0)
    (g,) = find_grids(masks)
    assert (len(g.xs), len(g.ys)) == (3, 3)
    assert len(grid_cells(masks, g)) == 4                    # the break is not a merge


def test_glyph_strokes_in_a_one_line_row_are_not_rules() -> None:
    img = np.full((300, 900), 255, np.uint8)
    _table(img, 50, [50, 850], [50, 90, 130])
    for x in range(120, 700, 40):                            # tall strokes that almost touch the rules
        img[53:88, x:x + 3] = 0
    masks = line_masks(img, 38.0, text_boxes=[(100.0, 52.0, 720.0, 89.0)])
    (g,) = find_grids(masks)
    assert len(g.xs) == 2


def test_merged_cell_and_cell_lines() -> None:
    img = np.full((400, 600), 255, np.uint8)
    for y in (50, 150, 250, 350):
        img[y - 1:y + 2, 50:551] = 0
    for x in (50, 250, 400, 550):
        img[50:351, x - 1:x + 2] = 0
    img[151:250, 398:403] = 255                              # no border between (1,1) and (1,2)
    img[70:90, 80:200] = 0                                   # two text lines in the first cell
    img[110:130, 80:160] = 0
    img[160:162, 300:303] = 0                                # a speck
    masks = line_masks(img, 20.0)
    (g,) = find_grids(masks)
    cells = grid_cells(masks, g)
    assert len(cells) == 8
    wide = [c for c in cells if c[2] - c[0] > 250]
    assert len(wide) == 1 and abs(wide[0][1] - 150) < 3
    first = min(cells, key=lambda c: (c[1], c[0]))
    lines = cell_lines(binarise(img, DPI), first, 20.0, masks)
    assert [(ln[1], ln[3]) for ln in lines] == [(70, 90), (110, 130)]
    speck_cell = next(c for c in cells if c[0] < 300 < c[2] and c[1] < 160 < c[3])
    assert cell_lines(binarise(img, DPI), speck_cell, 20.0, masks) == []
