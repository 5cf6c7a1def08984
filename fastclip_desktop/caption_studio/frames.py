"""What the preview shows, free of Qt: the sample words paged by the engine and drawn by its renderer.

``render_states`` is the work a preview render does (off the GUI thread): the sample text becomes
timed words, ``engine.captions.paginate`` groups them into pages for the style, and every state of
every page (each word in turn active) is drawn by ``engine.captions.render_caption`` — the one
renderer the burn-in uses — and composited over the background exactly as
``engine.captions.preview.render_preview`` does. Cycling through the states animates the caption.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from engine import CaptionStyle, Word, backdrop, paginate, render_caption

SAMPLE_TEXT = "Captions that pop on every frame"
WORD_SECONDS = 0.4  # each sample word is spoken for this long (the preview advances at this pace)
PREVIEW_BOX = (960, 540)  # the preview is rendered to fit in this box, in the frame's aspect


@dataclass(frozen=True, slots=True)
class CaptionState:
    """One picture of the animation: a page with one word active."""

    image: Image.Image  # RGB, the background with the caption composited over it
    words: tuple[str, ...]
    active: int | None
    block: tuple[int, int, int, int]  # the caption's text block on the image (left, top, right, bottom)


@dataclass(frozen=True, slots=True)
class PreviewStates:
    size: tuple[int, int]
    states: tuple[CaptionState, ...]


def preview_size(frame_size: tuple[int, int] | None, box: tuple[int, int] = PREVIEW_BOX) -> tuple[int, int]:
    """The size the preview is rendered at: ``frame_size``'s aspect, fitted in ``box``."""
    if not frame_size or min(frame_size) <= 0:
        return box
    w, h = frame_size
    scale = min(box[0] / w, box[1] / h)
    return max(16, round(w * scale)), max(16, round(h * scale))


def fit_background(frame: Image.Image | None, box: tuple[int, int] = PREVIEW_BOX) -> Image.Image:
    """The picture a caption is previewed over: ``frame`` scaled to the preview size, or the engine's
    neutral backdrop."""
    if frame is None:
        return backdrop(box)
    size = preview_size(frame.size, box)
    return ImageOps.fit(frame.convert("RGB"), size)


def sample_words(text: str = SAMPLE_TEXT) -> list[Word]:
    return [Word(t, i * WORD_SECONDS, i * WORD_SECONDS + WORD_SECONDS * 0.9) for i, t in enumerate(text.split())]


def render_states(
    style: CaptionStyle,
    background: Image.Image,
    *,
    font_file: Path | None = None,
    text: str = SAMPLE_TEXT,
) -> PreviewStates:
    """Every state of the sample caption over ``background`` (see the module docstring)."""
    size = background.size
    base = background.convert("RGBA")
    states = []
    for page in paginate(sample_words(text), style):
        still = None  # without highlighting every state of a page is the same picture
        for i in range(len(page.words)):
            active = i if style.highlight_mode else None
            if still is None or active is not None:
                cap = render_caption(style, page.texts, active, size, font_file=font_file)
                out = base.copy()
                out.alpha_composite(cap.image, (cap.x, cap.y))
                still = CaptionState(out.convert("RGB"), tuple(page.texts), active, cap.block)
            states.append(still)
    return PreviewStates(size, tuple(states))
