"""A still preview of a caption style over a frame (or a neutral backdrop).

Used by ``fastclip presets preview`` and Caption Studio's thumbnails. It draws
through :func:`render_caption`, the same renderer as the burn-in.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import Image, ImageOps

from ..errors import InvalidRequest
from .layout import check_frame_size
from .pages import Word, paginate
from .render import render_caption
from .style import CaptionStyle


@functools.lru_cache(maxsize=8)
def backdrop(size: tuple[int, int]) -> Image.Image:
    """A neutral dark gradient, light enough in places to judge stroke and shadow."""
    w, h = size
    ramp = Image.linear_gradient("L").resize((w, h))  # top to bottom, 0..255
    side = Image.linear_gradient("L").rotate(90, expand=True).resize((w, h))
    r = Image.blend(ramp.point(lambda v: 28 + v * 60 // 255), side.point(lambda v: 90 - v * 50 // 255), 0.5)
    g = Image.blend(ramp.point(lambda v: 34 + v * 50 // 255), side.point(lambda v: 60 + v * 30 // 255), 0.5)
    b = Image.blend(ramp.point(lambda v: 60 + v * 30 // 255), side.point(lambda v: 110 - v * 40 // 255), 0.5)
    return Image.merge("RGB", (r, g, b))


def render_preview(
    style: CaptionStyle,
    frame: Image.Image | None,
    text: str,
    size: tuple[int, int] = (1920, 1080),
    *,
    font_file: Path | None = None,
) -> Image.Image:
    """The first caption page of ``text`` over ``frame`` (scaled to cover ``size``), with
    its second word active when the style highlights words. Returns an RGB image."""
    size = check_frame_size(size)
    words = text.split()
    if not words:
        raise InvalidRequest("preview text must have at least one word", field="text")
    base = backdrop(size) if frame is None else ImageOps.fit(frame.convert("RGB"), size)
    timed = [Word(t, i * 0.4, i * 0.4 + 0.35) for i, t in enumerate(words)]
    page = paginate(timed, style)[0]
    active = min(1, len(page.words) - 1) if style.highlight_mode else None
    cap = render_caption(style, page.texts, active, size, font_file=font_file)
    out = base.convert("RGBA")
    out.alpha_composite(cap.image, (cap.x, cap.y))
    return out.convert("RGB")
