"""Caption layout: measure the words, fit them to the safe area, place the block.

Pure and cached: the same style, words and frame size give the same layout, so
burn-in measures a page once and only redraws the active word's state.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidRequest
from .fonts import font_path, line_metrics, load_font, split_runs, synthetic_bold
from .style import CaptionStyle

SAFE_X, SAFE_Y = 0.05, 0.04  # the safe area leaves these fractions of the frame free at each side
MIN_SIZE = 6  # px: a caption is shrunk to fit, never below this
LINE_GAP = 0.2  # em between one line's descent and the next line's caps
BOX_PAD_X, BOX_PAD_Y, BOX_RADIUS = 0.14, 0.1, 0.16  # em, the highlight box around a word


@dataclass(frozen=True, slots=True)
class Run:
    path: Path
    text: str
    dx: float  # from the word's left edge
    bold: float = 0.0  # synthetic emboldening in output pixels (regular-weight fallback fonts)


@dataclass(frozen=True, slots=True)
class PlacedWord:
    text: str  # as drawn (upper-cased if the style says so)
    runs: tuple[Run, ...]
    x: float  # left edge, frame pixels
    baseline: float  # frame pixels
    width: float
    line: int


@dataclass(frozen=True, slots=True)
class Layout:
    scale: float  # output pixels per 1080p pixel
    size: int  # font size in output pixels, after any shrinking to fit
    stroke: float  # stroke width in output pixels (0 without stroke)
    cap: float  # line box height above the baseline
    desc: float  # line box depth below the baseline
    words: tuple[PlacedWord, ...]
    lines: tuple[tuple[float, float, float], ...]  # (left, right, baseline) of each line
    block: tuple[float, float, float, float]  # left, top, right, bottom of the text block

    def word_box(self, i: int, pad_x: float = 0, pad_y: float = 0) -> tuple[float, float, float, float]:
        w = self.words[i]
        return (w.x - pad_x, w.baseline - self.cap - pad_y, w.x + w.width + pad_x, w.baseline + self.desc + pad_y)

    def highlight_pad(self) -> tuple[float, float]:
        return BOX_PAD_X * self.size + self.stroke, BOX_PAD_Y * self.size + self.stroke


def frame_scale(frame_size: tuple[int, int]) -> float:
    """Output pixels per style pixel: styles are designed on a 1080p frame (its short side)."""
    return min(frame_size) / 1080


def check_frame_size(frame_size) -> tuple[int, int]:
    try:
        w, h = frame_size
    except (TypeError, ValueError):
        raise InvalidRequest("frame_size must be (width, height)", field="frame_size") from None
    if not all(isinstance(v, int) and not isinstance(v, bool) and 16 <= v <= 16384 for v in (w, h)):
        raise InvalidRequest(f"frame_size must be two whole numbers of pixels, not {frame_size!r}", field="frame_size")
    return w, h


def _measure(texts: tuple[str, ...], path: Path, size: int) -> list[tuple[tuple[Run, ...], float]]:
    measured = []
    for text in texts:
        runs, dx = [], 0.0
        for run_path, run_text in split_runs(text, path):
            bold = synthetic_bold(run_path) * size
            runs.append(Run(run_path, run_text, dx + bold, bold))
            dx += load_font(run_path, size).getlength(run_text) + 2 * bold
        measured.append((tuple(runs), dx))
    return measured


def _wrap(widths: list[float], gap: float, max_lines: int, max_w: float) -> tuple[list[int], float]:
    """Line breaks (index of each line's first word) and the widest line: one line if it
    fits, else the two-line split with the narrowest wider line."""

    def span(a: int, b: int) -> float:
        return sum(widths[a:b]) + gap * (b - a - 1)

    n = len(widths)
    one = span(0, n)
    if one <= max_w or max_lines == 1 or n == 1:
        return [0], one
    best = min(range(1, n), key=lambda k: (max(span(0, k), span(k, n)), -k))
    return [0, best], max(span(0, best), span(best, n))


@functools.lru_cache(maxsize=512)
def layout_caption(
    style: CaptionStyle,
    words: tuple[str, ...],
    frame_size: tuple[int, int],
    font_file: Path | None = None,
) -> Layout:
    """Where each word of one caption goes on a frame of ``frame_size``."""
    w, h = frame_size
    scale = frame_scale(frame_size)
    path = Path(font_file) if font_file else font_path(style.font_name)
    texts = tuple(t.upper() if style.uppercase else t for t in words)
    stroke = style.stroke_width * scale if style.stroke_enabled else 0.0
    bg_pad = style.background_padding * scale if style.background_enabled else 0.0

    size = max(MIN_SIZE, round(style.font_size * scale))
    while True:
        font = load_font(path, size)
        box_pad = BOX_PAD_X * size + stroke if style.effect == "highlight_box" else 0.0
        gap = font.getlength(" ") + stroke  # strokes must not close the space between words
        if style.effect == "highlight_box":
            gap = max(gap, 2 * box_pad + 0.08 * size)
        max_w = w * min(style.max_width, 1 - 2 * SAFE_X) - 2 * (stroke + max(bg_pad, box_pad))
        measured = _measure(texts, path, size)
        breaks, widest = _wrap([m[1] for m in measured], gap, style.max_lines, max_w)
        if widest <= max_w or size <= MIN_SIZE:
            break
        size = max(MIN_SIZE, min(size - 1, math.floor(size * max(0.5, max_w / widest))))

    cap_em, desc_em = line_metrics(path, style.uppercase)
    cap, desc = cap_em * size, desc_em * size
    pitch = cap + desc + LINE_GAP * size
    n_lines = len(breaks)
    block_w = 0.0
    line_spans = []
    for li, first in enumerate(breaks):
        last = breaks[li + 1] if li + 1 < n_lines else len(texts)
        line_w = sum(m[1] for m in measured[first:last]) + gap * (last - first - 1)
        line_spans.append((first, last, line_w))
        block_w = max(block_w, line_w)
    block_h = cap + desc + pitch * (n_lines - 1)

    # Centre the block on the position, kept inside the safe area with its padding.
    ext_x = block_w / 2 + stroke + max(bg_pad, box_pad)
    ext_y = block_h / 2 + stroke + max(bg_pad, BOX_PAD_Y * size if style.effect == "highlight_box" else 0.0)
    cx = _clamp(style.position_x * w, w * SAFE_X + ext_x, w * (1 - SAFE_X) - ext_x, w / 2)
    cy = _clamp(style.position_y * h, h * SAFE_Y + ext_y, h * (1 - SAFE_Y) - ext_y, h / 2)
    left, top = cx - block_w / 2, cy - block_h / 2

    placed, lines = [], []
    for li, (first, last, line_w) in enumerate(line_spans):
        baseline = top + cap + pitch * li
        x = left + (block_w - line_w) / 2
        lines.append((x, x + line_w, baseline))
        for i in range(first, last):
            runs, width = measured[i]
            placed.append(PlacedWord(texts[i], runs, x, baseline, width, li))
            x += width + gap
    block = (left, top, left + block_w, top + block_h)
    return Layout(scale, size, stroke, cap, desc, tuple(placed), tuple(lines), block)


def _clamp(value: float, low: float, high: float, fallback: float) -> float:
    if low > high:
        return fallback
    return min(max(value, low), high)
