"""The OCR models (RapidOCR's PP-OCRv4 ONNX files, shipped in its wheel) behind two calls:
``detect`` (text-line boxes on a page) and ``read`` (recognise line crops).

Why not RapidOCR's own pipeline: it pads every crop to a 320-pixel-wide strip and batches six
(a three-digit cell costs as much as a sentence), runs the detector on the full-resolution page,
and keeps only the mean score of a line. Here a crop is resized to the model's 48-pixel height
and read alone at its own width, the detector sees a ~110 dpi copy, and the CTC output is
decoded twice from the same logits — freely, and restricted to the characters a number cell can
hold (a digit-shaped "l" or "O" is then read as the digit it most likely is, with the low
probability the model gave it, so rule 16 names it). A cell's confidence is its *least*
certain character: one doubtful digit is what makes a number wrong. Sessions run on one thread
(``threads``): the collector parallelises across documents, not inside one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from collector.errors import ExtractError

OCR_EXTRA = "pip install 'xxgk-collector[ocr]'"
REC_HEIGHT = 48
NUMBER_CHARS = set("0123456789.,-+%—－/无 ")
# glyphs a number cell cannot tell apart from a digit: their probability counts for the digit
# (full-width digits, which the model prefers for a lone large digit, are the same digits)
DIGIT_TWINS = {d: chr(ord(d) + 0xFEE0) for d in "0123456789"}
DIGIT_TWINS["0"] += "OoО〇○"
DIGIT_TWINS["1"] += "lI|丨"
DASHES = set("一—－-–_")  # alone in a cell, "一" is the blank dash, not the numeral
# a reading made only of these may be a number the free alphabet got wrong ("O", "l", a lone "。")
LOOKALIKE = NUMBER_CHARS | {t for twins in DIGIT_TWINS.values() for t in twins} | set("。．·")
MIN_WIDTH = 2 * REC_HEIGHT  # model input width at least
RETRY_BELOW = 0.9  # a reading less sure than this is read a second time
CHUNK = 7  # long lines are read in pieces about this many line heights wide


@dataclass(slots=True)
class Reading:
    text: str
    confidence: float                    # least certain character (0.0 when nothing was read)
    chars: list[tuple[str, float]]       # (character, probability) in reading order
    numeric: bool = False                # decoded with the number alphabet


class OcrEngine:
    """One detector and one recogniser session (ONNX Runtime, ``threads`` intra-op threads)."""

    def __init__(self, threads: int = 1) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError:
            raise ExtractError(f"OCR needs the [ocr] extra ({OCR_EXTRA})") from None
        import numpy as np

        rapid = RapidOCR(print_verbose=False, use_cls=False, intra_op_num_threads=threads, inter_op_num_threads=1)
        self._det = rapid.text_det
        self._rec = rapid.text_rec.session
        self.charset: list[str] = list(rapid.text_rec.postprocess_op.character)
        self._number_mask = np.array([i == 0 or c in NUMBER_CHARS for i, c in enumerate(self.charset)])
        index = {c: i for i, c in enumerate(self.charset)}
        self._twins = [(index[d], [index[t] for t in twins if t in index]) for d, twins in DIGIT_TWINS.items()
                       if d in index]

    # ------------------------------------------------------------ detection

    def detect(self, gray: Any, scale: float) -> list[tuple[float, float, float, float]]:
        """Axis-aligned boxes (x0, y0, x1, y1) of the text lines on ``gray``, detected on a copy
        scaled by ``scale`` (the DB detector finds body text reliably from ~100 dpi)."""
        import cv2
        import numpy as np

        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
        boxes, _ = self._det(cv2.cvtColor(small, cv2.COLOR_GRAY2BGR))
        if boxes is None or len(boxes) == 0:
            return []
        s = 1.0 / scale if scale < 1 else 1.0
        out = []
        for pts in np.asarray(boxes):
            xs, ys = pts[:, 0] * s, pts[:, 1] * s
            out.append((float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())))
        out.sort(key=lambda b: (b[1], b[0]))
        return out

    # ------------------------------------------------------------ recognition

    def read(self, crops: list[Any]) -> list[Reading]:
        """Recognise grey line crops, one model call each at the crop's own width."""
        return [self.read_one(c) for c in crops]

    def read_one(self, crop: Any) -> Reading:
        """One line crop; a long one (a line of a paragraph) is cut at blank gaps into pieces of
        about :data:`CHUNK` heights — the recogniser's cost grows faster than its input's width."""
        h, w = crop.shape[:2]
        if w <= (CHUNK + 2) * h:
            return self._read_view(crop)
        parts = [self._read_view(crop[:, a:b]) for a, b in split_long(crop, CHUNK)]
        parts = [p for p in parts if p.text]
        if not parts:
            return Reading("", 0.0, [])
        text = parts[0].text
        for p in parts[1:]:
            glue = " " if text[-1].isascii() and text[-1].isalnum() and p.text[0].isascii() and p.text[0].isalnum() else ""
            text += glue + p.text
        return Reading(text, min(p.confidence for p in parts), [c for p in parts for c in p.chars],
                       all(p.numeric for p in parts))

    def _read_view(self, crop: Any) -> Reading:
        """One crop; a reading that comes out empty or unsure is read again from a softened copy
        (the model learnt on anti-aliased text: a crisp 1-bit "0" can read as nothing). Two
        readings that disagree make a doubtful one: its confidence drops to the other's doubt."""
        import cv2

        first = self._read(crop)
        if first.text and first.confidence >= RETRY_BELOW or min(crop.shape[:2]) < 4:
            return first
        second = self._read(cv2.GaussianBlur(crop, (0, 0), max(0.8, crop.shape[0] / 35)))
        if not second.text:
            return first
        if not first.text:
            return second
        best, other = sorted((first, second), key=lambda r: r.confidence, reverse=True)
        if best.text == other.text:
            return best
        return Reading(best.text, min(best.confidence, 1.0 - other.confidence), best.chars, best.numeric)

    def _read(self, crop: Any) -> Reading:
        probs = self.logits(crop)
        if probs is None:
            return Reading("", 0.0, [])
        free = self.decode(probs)
        if free.text and set(free.text.replace(" ", "")) <= DASHES:
            return Reading("—", free.confidence, free.chars, True)
        if free.text and set(free.text) <= LOOKALIKE and (set(free.text) - set(" .,-+%—－/无")):
            num = self.decode(probs, numeric=True)
            if any(ch.isdigit() for ch in num.text):
                return num
        return free

    def logits(self, crop: Any) -> Any:
        """Per-timestep character probabilities (T x C) of one grey crop, or None if too small."""
        import cv2
        import numpy as np

        h, w = crop.shape[:2]
        if h < 4 or w < 2:
            return None
        width = max(2, int(np.ceil(REC_HEIGHT * w / h)))
        img = cv2.resize(crop, (width, REC_HEIGHT), interpolation=cv2.INTER_CUBIC if h < REC_HEIGHT else cv2.INTER_AREA)
        # a short crop is padded on the right with zeros of the normalised input, as in training
        # (mid-grey, not paper: padded with white, a lone "0" often reads as nothing at all)
        x = np.zeros((1, 3, REC_HEIGHT, max(width, MIN_WIDTH)), np.float32)
        x[0, :, :, :width] = img.astype(np.float32) / 127.5 - 1.0
        return self._rec(x)[0][0]

    def decode(self, probs: Any, *, numeric: bool = False) -> Reading:
        """Greedy CTC decoding; ``numeric`` restricts the alphabet to what a number cell holds.
        A character's probability is the highest the model gave it over its run of timesteps."""
        import numpy as np

        p = probs
        if numeric:
            p = np.where(self._number_mask[None, :], probs, 0.0)
            for digit, twins in self._twins:
                p[:, digit] += probs[:, twins].sum(axis=1)
        idx = p.argmax(axis=1)
        best = p[np.arange(len(idx)), idx]
        chars: list[tuple[str, float]] = []
        prev = 0
        for i, (k, pr) in enumerate(zip(idx, best, strict=True)):
            if k != 0 and k < len(self.charset):
                if k == prev and i > 0:
                    chars[-1] = (chars[-1][0], max(chars[-1][1], float(pr)))
                else:
                    chars.append((self.charset[k], float(pr)))
            prev = k
        if numeric:  # a dot or comma at either end is a speck of dust, not part of a number
            while chars and chars[0][0] in ".,· ":
                chars.pop(0)
            while chars and chars[-1][0] in ".,· ":
                chars.pop()
        text = "".join(c for c, _ in chars).strip()
        kept = [pr for c, pr in chars if c.strip()]
        return Reading(text, min(kept) if kept else 0.0, chars, numeric)


def split_long(crop: Any, chunk: float) -> list[tuple[int, int]]:
    """Column ranges of a long grey line crop, cut in the widest blank gap near every ``chunk``
    line heights (never inside a glyph; where no blank column is near, the line stays whole)."""
    import numpy as np

    h, w = crop.shape[:2]
    band = crop[h // 6: h - h // 6] if h >= 6 else crop
    blank = band.min(axis=0) > 170
    cuts, start = [], 0
    while w - start > (chunk + 2) * h:
        lo, hi = start + int((chunk - 1.5) * h), start + int((chunk + 1.5) * h)
        best, best_len, i = None, 0, lo
        while i < min(hi, w):
            if blank[i]:
                j = i
                while j < w and blank[j]:
                    j += 1
                if j - i > best_len:
                    best, best_len = (i + j) // 2, j - i
                i = j
            else:
                i += 1
        if best is None:
            break
        cuts.append(best)
        start = best
    edges = [0, *cuts, w]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b - a > 1 and np.any(~blank[a:b])]


@cache
def engine(threads: int = 1) -> OcrEngine:
    """The shared engine (loading the models takes ~1 s; sessions are reused across documents)."""
    return OcrEngine(threads)


def ocr_available() -> bool:
    try:
        import cv2  # noqa: F401
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True
