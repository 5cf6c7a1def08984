"""Burn captions into a video's frames, in the same pass that re-encodes them.

The words are the source's transcript (cached by content) cut to the clip's
windows, paginated with the style. Each caption state (a page with one active
word, ``Page.states()``) is drawn once by the one renderer,
:func:`engine.captions.render_caption`, and turned once into a *patch*: the
caption's own rectangle as YUV 4:2:0 planes premultiplied by its alpha, at the
output's resolution. Every frame shown while that state is on screen gets the
patch blended into that rectangle of its planes with integer numpy arithmetic,
``out = (src * (255 - a) + colour * a) / 255``: no RGB conversion and no
full-frame blend, so captions cost little on top of the encode.

A burned-in frame therefore equals the renderer's image alpha-composited on
the source frame (in RGB, then converted), up to rounding and the 4:2:0
averaging of the chroma.

Preset refs: :func:`resolve_builtin` knows ``builtin:<slug>``; the library
passes its own ``resolve_preset(ref) -> (CaptionStyle, font_file | None)`` for
``preset:<id>`` and imported fonts.
"""

from __future__ import annotations

import bisect
import os
from collections import OrderedDict
from collections.abc import Callable, Generator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from ..errors import FastClipError, InvalidRequest, NotFound
from ..paths import cache_dir as default_cache_dir
from ..progress import Progress
from ..timeline import Window
from ..transcript import cut_transcript, transcribe
from . import CaptionStyle, Page, Word, get_builtin, paginate, render_caption

ResolvePreset = Callable[[str], tuple[CaptionStyle, "Path | None"]]

# Y'CbCr matrices (Kr, Kb) by AVColorSpace; anything else (unspecified included) is BT.601,
# as swscale assumes, so the blend agrees with how the frame is converted to RGB.
_MATRICES = {1: (0.2126, 0.0722), 9: (0.2627, 0.0593), 10: (0.2627, 0.0593), 7: (0.212, 0.087)}
_BT601 = (0.299, 0.114)
_JPEG_RANGE = 2  # AVCOL_RANGE_JPEG
_PATCH_CACHE = 8  # patches kept: states are met in time order, so a few suffice


# ------------------------------------------------------------------------------------ preset refs


def resolve_builtin(ref: str) -> tuple[CaptionStyle, Path | None]:
    """The style of a ``builtin:<slug>`` ref (bundled fonts only, so no font file)."""
    if ref.startswith("preset:"):
        raise NotFound(f"custom caption preset {ref!r} is not in the library", field="captions")
    if not ref.startswith("builtin:"):
        raise InvalidRequest(f"captions must be a preset ref like builtin:short-form-karaoke, not {ref!r}",
                             field="captions")
    return get_builtin(ref).style, None


def resolve_captions(ref: str, resolve_preset: ResolvePreset | None = None) -> tuple[CaptionStyle, Path | None]:
    """``(style, font_file)`` for a caption preset ref; errors name the ``captions`` field."""
    try:
        style, font_file = (resolve_preset or resolve_builtin)(ref)
    except FastClipError as e:
        raise type(e)(e.message, field="captions") from None
    if not isinstance(style, CaptionStyle):
        raise TypeError(f"resolve_preset({ref!r}) returned {type(style).__name__}, not a CaptionStyle")
    return style, (Path(font_file) if font_file else None)


# ------------------------------------------------------------------------------------------ words


def caption_pages(transcript, windows, style: CaptionStyle) -> list[Page]:
    """The pages of a clip: ``transcript`` (the source's) cut to ``windows``, paginated for ``style``."""
    cut = cut_transcript(transcript, windows)
    words = [Word(w.word.strip(), w.start, w.end) for w in cut.words if w.word.strip()]
    return paginate(words, style)


def source_transcript(path: str | os.PathLike, cache_dir=None) -> Generator[Progress, None, object]:
    """The source's transcript (from the cache when it was made before), as processing Progress."""
    gen = transcribe(path, cache_dir=default_cache_dir() if cache_dir is None else cache_dir)
    while True:
        try:
            p = next(gen)
        except StopIteration as done:
            return done.value
        pct = int(p.fraction * 100)
        yield Progress("processing", 0, 1, f"transcribing ({pct}%)" if p.stage == "transcribing" else p.message)


# -------------------------------------------------------------------------------------- the patch


@dataclass(slots=True)
class _Patch:
    """One caption state at the output's resolution, ready to blend into a yuv420p frame."""

    x: int  # top-left corner on the luma plane (even)
    y: int
    inv_a: np.ndarray  # uint16, 255 - alpha, luma resolution
    y_pre: np.ndarray  # uint16, Y * alpha
    inv_ac: np.ndarray  # uint16, 255 - alpha, chroma resolution (2x2 mean)
    u_pre: np.ndarray  # uint16, Cb * alpha (2x2 mean)
    v_pre: np.ndarray


def _coefficients(colorspace: int, color_range: int) -> tuple:
    kr, kb = _MATRICES.get(colorspace, _BT601)
    if color_range == _JPEG_RANGE:
        return kr, kb, 0.0, 255.0, 255.0
    return kr, kb, 16.0, 219.0, 224.0


def make_patch(image: Image.Image, x: int, y: int, frame_size: tuple[int, int],
               colorspace: int = 2, color_range: int = 1) -> _Patch | None:
    """The patch for an RGBA ``image`` placed at ``(x, y)`` on a frame of ``frame_size``
    (None when nothing of it is visible)."""
    fw, fh = frame_size
    w, h = image.size
    # widen to even coordinates so luma 2x2 blocks map onto whole chroma samples
    x0, y0 = max(0, x) & ~1, max(0, y) & ~1
    x1, y1 = min(fw, x + w), min(fh, y + h)
    x1, y1 = min(x1 + (x1 - x0) % 2, fw + fw % 2), min(y1 + (y1 - y0) % 2, fh + fh % 2)
    if x1 <= x0 or y1 <= y0:
        return None
    rgba = np.zeros((y1 - y0, x1 - x0, 4), np.float32)
    src = np.asarray(image.convert("RGBA"), np.float32)
    sx, sy = x0 - x, y0 - y  # where the box starts in the image (may be negative)
    ix0, iy0 = max(0, sx), max(0, sy)
    ix1, iy1 = min(w, sx + (x1 - x0)), min(h, sy + (y1 - y0))
    if ix1 <= ix0 or iy1 <= iy0:
        return None
    rgba[iy0 - sy:iy1 - sy, ix0 - sx:ix1 - sx] = src[iy0:iy1, ix0:ix1]
    if not rgba[..., 3].any():
        return None

    kr, kb, off, ky, kc = _coefficients(colorspace, color_range)
    r, g, b, a = (rgba[..., i] for i in range(4))
    luma = (kr * r + (1 - kr - kb) * g + kb * b) / 255
    cb = 128 + kc * (b / 255 - luma) / (2 * (1 - kb))
    cr = 128 + kc * (r / 255 - luma) / (2 * (1 - kr))
    yy = np.clip(off + ky * luma, 0, 255)

    def quarter(plane: np.ndarray) -> np.ndarray:  # mean of each 2x2 block
        return (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]) / 4

    a_c = quarter(a)
    u16 = np.uint16
    return _Patch(
        x0, y0,
        (255 - a).astype(u16),
        np.rint(yy * a).astype(u16),
        (255 - np.rint(a_c)).astype(u16),
        np.rint(np.clip(quarter(cb * a), 0, a_c * 255)).astype(u16),
        np.rint(np.clip(quarter(cr * a), 0, a_c * 255)).astype(u16),
    )


def _plane(frame: av.VideoFrame, i: int) -> np.ndarray:
    plane = frame.planes[i]
    rows = np.frombuffer(plane, np.uint8)[: plane.line_size * plane.height]
    return rows.reshape(plane.height, plane.line_size)


def _blend(region: np.ndarray, inv_a: np.ndarray, pre: np.ndarray) -> None:
    """region = round((region * inv_a + pre) / 255), in place, in uint16 (the sum is <= 255 * 255)."""
    h, w = region.shape
    inv_a, pre = inv_a[:h, :w], pre[:h, :w]
    t = region * inv_a
    t += pre
    t += 128
    t += t >> 8
    t >>= 8
    region[...] = t


def apply_patch(frame: av.VideoFrame, patch: _Patch) -> None:
    """Blend ``patch`` into a writable yuv420p ``frame``, touching only its rectangle."""
    h, w = patch.inv_a.shape
    _blend(_plane(frame, 0)[patch.y:patch.y + h, patch.x:frame.width][:, :w], patch.inv_a, patch.y_pre)
    cx, cy = patch.x // 2, patch.y // 2
    ch, cw = patch.inv_ac.shape
    for i, pre in ((1, patch.u_pre), (2, patch.v_pre)):
        _blend(_plane(frame, i)[cy:cy + ch, cx:cx + cw], patch.inv_ac, pre)


# ------------------------------------------------------------------------------------ the overlay


def _to_coded(image: Image.Image, x: int, y: int, display: tuple[int, int], rotation: int):
    """A caption drawn on the displayed picture, moved onto the coded (stored) picture of a
    stream shown rotated ``rotation`` degrees counter-clockwise."""
    dw, dh = display
    w, h = image.size
    r = rotation % 360
    if r == 90:  # coded = displayed turned 90 degrees clockwise
        return image.transpose(Image.Transpose.ROTATE_270), dh - (y + h), x
    if r == 180:
        return image.transpose(Image.Transpose.ROTATE_180), dw - (x + w), dh - (y + h)
    if r == 270:
        return image.transpose(Image.Transpose.ROTATE_90), y, dw - (x + w)
    return image, x, y


class CaptionOverlay:
    """The caption on screen at each output time, blended into frames of one coded size.

    ``pages`` are on the output's timeline. ``frame_size`` is the coded size of the
    frames to caption; with a display ``rotation`` (degrees counter-clockwise, as
    in the display matrix) the caption is laid out on the displayed picture.
    """

    def __init__(self, pages: list[Page], style: CaptionStyle, frame_size: tuple[int, int], *,
                 font_file: Path | None = None, rotation: int = 0):
        self.style, self.font_file = style, font_file
        self.frame_size = frame_size
        self.rotation = rotation % 360
        w, h = frame_size
        self.display_size = (h, w) if self.rotation % 180 else (w, h)
        self.states: list[tuple[Fraction, Fraction, Page, int]] = []
        for page in pages:
            for start, end, active in page.states():
                self.states.append((Fraction(start), Fraction(end), page, active))
        self.states.sort(key=lambda s: s[0])
        self._starts = [s[0] for s in self.states]
        self._patches: OrderedDict = OrderedDict()
        self.renders = 0  # how many caption images were drawn (each state once)

    def state_at(self, t: Fraction) -> int | None:
        """Index of the caption state on screen at output time ``t``, or None."""
        i = bisect.bisect_right(self._starts, t) - 1
        if i >= 0 and t < self.states[i][1]:
            return i
        return None

    def render(self, i: int):
        """The renderer's image of state ``i`` on the displayed picture (what a preview shows)."""
        _, _, page, active = self.states[i]
        return render_caption(self.style, page.texts, active, self.display_size, font_file=self.font_file)

    def patch(self, i: int, colorspace: int = 2, color_range: int = 1) -> _Patch | None:
        key = (i, colorspace, color_range)
        if key in self._patches:
            self._patches.move_to_end(key)
            return self._patches[key]
        cap = self.render(i)
        self.renders += 1
        image, x, y = _to_coded(cap.image, cap.x, cap.y, self.display_size, self.rotation)
        patch = make_patch(image, x, y, self.frame_size, colorspace, color_range)
        self._patches[key] = patch
        if len(self._patches) > _PATCH_CACHE:
            self._patches.popitem(last=False)
        return patch

    def apply(self, frame: av.VideoFrame) -> av.VideoFrame:
        """Caption a yuv420p ``frame`` of ``frame_size`` whose pts is on the output timeline."""
        if frame.pts is None or not self.states:
            return frame
        i = self.state_at(Fraction(frame.pts) * Fraction(frame.time_base))
        if i is None:
            return frame
        patch = self.patch(i, int(frame.colorspace), int(frame.color_range))
        if patch is not None:
            frame.make_writable()  # the decoder may still hold this picture as a reference
            apply_patch(frame, patch)
        return frame


class CaptionSink:
    """Stands where the H.264 sink does: scales like it, captions, then hands the frame on."""

    def __init__(self, sink, overlay: CaptionOverlay):
        self.sink, self.overlay = sink, overlay
        self.width, self.height = sink.width, sink.height

    def push(self, frame: av.VideoFrame):
        if (frame.width, frame.height) != (self.width, self.height) or frame.format.name != "yuv420p":
            pts, tb = frame.pts, frame.time_base
            frame = frame.reformat(width=self.width, height=self.height, format="yuv420p",
                                   interpolation="BICUBIC")
            frame.pts, frame.time_base = pts, tb
        return self.sink.push(self.overlay.apply(frame))

    def flush(self):
        return self.sink.flush()


def prepare_overlay(info, ref: str, windows: list[Window], frame_size: tuple[int, int], *,
                    resolve_preset: ResolvePreset | None = None, transcript=None,
                    cache_dir=None) -> Generator[Progress, None, CaptionOverlay]:
    """The overlay for one output of ``info``'s source: resolve the preset, get the source's
    transcript (``transcript``, else transcribed or found in the cache), cut it to ``windows``."""
    style, font_file = resolve_captions(ref, resolve_preset)
    if transcript is None:
        if not info.has_audio:
            raise InvalidRequest("captions come from speech, and the source has no audio track", field="captions")
        transcript = yield from source_transcript(info.path, cache_dir)
    pages = caption_pages(transcript, windows, style)
    return CaptionOverlay(pages, style, frame_size, font_file=font_file, rotation=info.video.rotation)
