"""The one caption renderer: a pure function from (style, words, active word, frame size)
to an RGBA image and where it goes on the frame.

Caption Studio's preview and the burn-in both call :func:`render_caption`, so what
the user designs is what gets exported. Same inputs, same pixels. Layers, bottom
to top: news-ticker bar, background box, shadow, glow, highlight box, stroke, fill.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from ..errors import InvalidRequest
from .fonts import load_font
from .layout import BOX_RADIUS, Layout, check_frame_size, layout_caption
from .style import CaptionStyle

DIM = 0.5  # opacity of the words not yet spoken on a news-ticker bar
GLOW_RADIUS = 0.14  # em
TICKER_PAD = 0.38  # em above and below the text on a news-ticker bar

Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class RenderedCaption:
    image: Image.Image  # RGBA, cropped to what the caption draws
    x: int  # where its top-left corner goes on the frame
    y: int
    word_boxes: tuple[Box, ...] = ()  # each word's line box on the frame (left, top, right, bottom)
    block: Box = (0, 0, 0, 0)  # the text block, centred on the style's position


def render_caption(
    style: CaptionStyle,
    words: list[str],
    active: int | None,
    frame_size: tuple[int, int],
    progress: float | None = None,
    *,
    font_file: Path | None = None,
) -> RenderedCaption:
    """Draw one caption state.

    ``active`` is the index of the word being spoken (None for none; ignored unless
    ``style.highlight_mode``). ``progress`` (0-1, through the active word) makes the
    karaoke colour sweep across the word instead of filling it at once. ``font_file``
    overrides the lookup of ``style.font_name`` (for fonts the user imported).
    """
    frame_size = check_frame_size(frame_size)
    texts = tuple(str(t).strip() for t in words if str(t).strip())
    if len(texts) != len(words):
        raise InvalidRequest("caption words must be non-empty text", field="words")
    if active is not None and not (isinstance(active, int) and 0 <= active < len(texts)):
        raise InvalidRequest(f"active must be the index of one of the {len(texts)} words", field="active")
    if not style.highlight_mode:
        active = None
    if progress is not None:
        progress = min(max(float(progress), 0.0), 1.0)
    if not texts:
        w, h = frame_size
        cx, cy = min(w - 1, round(style.position_x * w)), min(h - 1, round(style.position_y * h))
        return RenderedCaption(Image.new("RGBA", (1, 1)), cx, cy, (), (cx, cy, cx, cy))
    lay = layout_caption(style, texts, frame_size, font_file)
    return _draw(style, lay, active, progress, frame_size)


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _ibox(box) -> Box:
    return math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]), math.ceil(box[3])


def _grow(box, by: float) -> tuple[float, float, float, float]:
    return box[0] - by, box[1] - by, box[2] + by, box[3] + by


@functools.lru_cache(maxsize=256)
def _rounded_mask(width: int, height: int, radius: int) -> Image.Image:
    """An anti-aliased rounded rectangle (drawn at 4x, then reduced)."""
    k = 4
    big = Image.new("L", (width * k, height * k), 0)
    ImageDraw.Draw(big).rounded_rectangle((0, 0, width * k - 1, height * k - 1), radius * k, fill=255)
    return big.reduce(k)


def _paste_box(mask: Image.Image, box: Box, radius: float) -> None:
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        return
    radius = min(round(radius), (x1 - x0) // 2, (y1 - y0) // 2)
    mask.paste(255, (x0, y0), _rounded_mask(x1 - x0, y1 - y0, radius))


def _over(canvas: Image.Image, color: str, mask: Image.Image, opacity: float = 1.0, at=(0, 0), gain=1.0) -> None:
    """Composite ``color`` through ``mask`` (placed at ``at``, its values times ``gain``
    and ``opacity``, capped at 255) over the canvas."""
    bbox = mask.getbbox()
    if bbox is None or opacity <= 0:
        return
    alpha = mask.crop(bbox)
    if gain != 1 or opacity != 1:
        alpha = alpha.point([round(min(255, v * gain) * opacity) for v in range(256)])
    layer = Image.new("RGBA", alpha.size, (*_rgb(color), 0))
    layer.putalpha(alpha)
    x, y = at[0] + bbox[0], at[1] + bbox[1]
    if x < 0 or y < 0:  # alpha_composite wants a destination inside the canvas
        layer = layer.crop((max(0, -x), max(0, -y), layer.width, layer.height))
        x, y = max(0, x), max(0, y)
    canvas.alpha_composite(layer, (x, y))


def _text_mask(region: Box, lay: Layout, indices, stroke: float) -> Image.Image:
    """The words ``indices`` (with ``stroke``) drawn in white on a mask covering ``region``."""
    x0, y0, x1, y1 = region
    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
    draw = ImageDraw.Draw(mask)
    for i in indices:
        word = lay.words[i]
        for run in word.runs:
            draw.text(
                (word.x + run.dx - x0, word.baseline - y0),
                run.text,
                font=load_font(run.path, lay.size),
                fill=255,
                anchor="ls",
                stroke_width=stroke + run.bold,
            )
    return mask


def _blurred(mask: Image.Image, radius: float, at=(0, 0)) -> tuple[Image.Image, tuple[int, int]]:
    """``mask`` blurred by ``radius``, worked on its inked part only; returns it and its offset."""
    bbox = mask.getbbox()
    if bbox is None or radius <= 0:
        return mask, at
    m = math.ceil(3 * radius)
    part = mask.crop((bbox[0] - m, bbox[1] - m, bbox[2] + m, bbox[3] + m))
    return part.filter(ImageFilter.GaussianBlur(radius)), (at[0] + bbox[0] - m, at[1] + bbox[1] - m)


@dataclass(frozen=True, slots=True)
class _Base:
    """What a page looks like whatever word is active: reused by every state of a page."""

    region: Box  # the canvas on the frame
    under: Image.Image  # ticker bar, background box, shadow, glow
    silhouette: Image.Image  # text with its stroke
    fill: Image.Image  # text without stroke


@functools.lru_cache(maxsize=8)
def _base(style: CaptionStyle, lay: Layout, frame_size: tuple[int, int]) -> _Base:
    fw, fh = frame_size
    s, size, stroke = lay.scale, lay.size, lay.stroke
    bg_pad = style.background_padding * s if style.background_enabled else 0.0
    glow = GLOW_RADIUS * size if style.effect == "glow" else 0.0
    reach = 0.5 * size + stroke + bg_pad + 4 * glow + TICKER_PAD * size
    if style.shadow_enabled:
        reach += max(abs(style.shadow_offset_x), abs(style.shadow_offset_y)) * s + 1.5 * style.shadow_blur * s
    x0, y0, x1, y1 = _ibox(_grow(lay.block, reach))
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(fw, x1), min(fh, y1)
    if style.effect == "news_ticker":
        x0, x1 = 0, fw
    region = (x0, y0, x1, y1)
    size_px = (x1 - x0, y1 - y0)
    under = Image.new("RGBA", size_px, (0, 0, 0, 0))
    n = len(lay.words)

    def local(box) -> Box:
        b = _ibox(box)
        return b[0] - x0, b[1] - y0, b[2] - x0, b[3] - y0

    left, top, right, bottom = lay.block
    if style.effect == "news_ticker":
        pad = TICKER_PAD * size + stroke
        band = Image.new("L", size_px, 0)
        band.paste(255, local((0, top - pad, fw, bottom + pad)))
        _over(under, style.highlight_color, band)

    if style.background_enabled:
        boxes = Image.new("L", size_px, 0)
        pad = bg_pad + stroke
        for lx0, lx1, base in lay.lines:
            box = local((lx0 - pad, base - lay.cap - pad, lx1 + pad, base + lay.desc + pad))
            _paste_box(boxes, box, style.background_radius * s)
        _over(under, style.background_color, boxes, style.background_opacity)

    silhouette = _text_mask(region, lay, range(n), stroke)
    fill = _text_mask(region, lay, range(n), 0) if stroke else silhouette

    if style.shadow_enabled:
        dx, dy = round(style.shadow_offset_x * s), round(style.shadow_offset_y * s)
        shadow, at = _blurred(silhouette, style.shadow_blur * s / 2, (dx, dy))
        _over(under, style.shadow_color, shadow, style.shadow_opacity, at)

    if glow:
        soft, at = _blurred(silhouette, glow)
        _over(under, style.highlight_color, soft, 0.9, at, gain=1.7)
    return _Base(region, under, silhouette, fill)


def _draw(style: CaptionStyle, lay: Layout, active: int | None, progress: float | None, frame_size) -> RenderedCaption:
    base = _base(style, lay, frame_size)
    x0, y0 = base.region[:2]
    canvas = base.under.copy()
    size, stroke, n = lay.size, lay.stroke, len(lay.words)

    def word_region(i: int, margin: float) -> Box:
        b, r = _ibox(_grow(lay.word_box(i), margin)), base.region
        return max(b[0], r[0]), max(b[1], r[1]), min(b[2], r[2]), min(b[3], r[3])

    if style.effect == "glow" and active is not None:
        glow = GLOW_RADIUS * size
        region = word_region(active, 0.5 * size + stroke + 5 * glow)
        hot = _text_mask(region, lay, [active], stroke + glow * 0.15)
        hot, at = _blurred(hot, glow * 1.2, (region[0] - x0, region[1] - y0))
        _over(canvas, style.highlight_color, hot, at=at, gain=2.2)

    if style.effect == "highlight_box" and active is not None:
        px, py = lay.highlight_pad()
        x_0, y_0, x_1, y_1 = _ibox(lay.word_box(active, px, py))
        box = Image.new("L", (x_1 - x_0, y_1 - y_0), 0)
        _paste_box(box, (0, 0, x_1 - x_0, y_1 - y_0), BOX_RADIUS * size)
        _over(canvas, style.highlight_color, box, at=(x_0 - x0, y_0 - y0))

    if stroke:
        _over(canvas, style.stroke_color, base.silhouette)

    if style.effect == "news_ticker" and active is not None and active + 1 < n:
        _over(canvas, style.text_color, _text_mask(base.region, lay, range(active + 1), 0))
        _over(canvas, style.text_color, _text_mask(base.region, lay, range(active + 1, n), 0), DIM)
    else:
        _over(canvas, style.text_color, base.fill)

    if style.effect == "karaoke" and active is not None:
        region = word_region(active, 0.5 * size + stroke)
        accent = _text_mask(region, lay, [active], 0)
        if progress is not None and progress < 1:
            word = lay.words[active]
            cut = math.floor(word.x + word.width * progress) - region[0]
            accent.paste(0, (max(0, cut), 0, accent.width, accent.height))
        _over(canvas, style.highlight_color, accent, at=(region[0] - x0, region[1] - y0))

    bbox = canvas.getchannel("A").getbbox() or (0, 0, 1, 1)
    word_boxes = tuple(_ibox(lay.word_box(i)) for i in range(n))
    return RenderedCaption(canvas.crop(bbox), x0 + bbox[0], y0 + bbox[1], word_boxes, _ibox(lay.block))
