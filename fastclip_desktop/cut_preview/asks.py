"""What to preview, as plain data, and the preview itself: pure and Qt-free, safe on any thread.

A ``PreviewAsk`` names a source's keyframe index and MediaInfo (by identity: comparing two asks
never walks the packet table), the cut mode, the export's settings (format, scaled height,
captions) and the outputs, each a tuple of (start, end) segments in seconds: one per segment for
separate clips, all of them for a joined one (``for_clip`` makes the ask of a validated request,
which a joined output is previewed from). ``compute`` previews each output with the engine's
``preview_cut`` / ``preview_clip`` (the export's own packet ranges and planner, no decoding): a
``CutPreview``, or the engine's message when it cannot say (no frame in the range).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from engine import (
    CutPreview,
    FastClipError,
    KeyframeIndex,
    MediaInfo,
    ValidClip,
    preview_clip,
    preview_cut,
)

Outputs = tuple[tuple[tuple[float, float], ...], ...]


@dataclass(frozen=True, slots=True)
class PreviewAsk:
    index: KeyframeIndex = field(compare=False)
    info: MediaInfo = field(compare=False)
    mode: str
    outputs: Outputs
    fmt: str = "mp4"
    height: int | None = None
    captions: bool = False
    clip: ValidClip | None = field(default=None, compare=False)  # what a joined output is previewed from

    @classmethod
    def for_segments(cls, index: KeyframeIndex, info: MediaInfo, mode: str, segments: Sequence[tuple[float, float]],
                     *, fmt: str = "mp4", height: int | None = None, captions: bool = False) -> PreviewAsk:
        """Each segment as a clip of its own (the segment list's rows)."""
        outputs = tuple(((float(s), float(e)),) for s, e in segments)
        return cls(index, info, mode, outputs, fmt, height, captions)

    @classmethod
    def for_clip(cls, index: KeyframeIndex, info: MediaInfo, clip: ValidClip) -> PreviewAsk:
        """The outputs of a validated request, as its jobs will make them (the export panel's)."""
        outputs = tuple(tuple((float(s), float(e)) for s, e in out) for out in clip.outputs)
        return cls(index, info, clip.mode, outputs, clip.format, clip.height, clip.captions is not None, clip)

    def same_as(self, other: PreviewAsk | None) -> bool:
        """The same question: the same index and info objects, and equal settings and outputs."""
        return (other is not None and self.index is other.index and self.info is other.info
                and self == other)


def compute(ask: PreviewAsk) -> tuple[CutPreview | str, ...]:
    """Each output's preview (in the ask's order), or the engine's message for that output."""
    previews: list[CutPreview | str] = []
    for segments in ask.outputs:
        try:
            previews.append(_preview_output(ask, segments))
        except FastClipError as e:
            previews.append(str(e))
    return tuple(previews)


def _preview_output(ask: PreviewAsk, segments) -> CutPreview:
    if len(segments) == 1:
        (start, end), = segments
        return preview_cut(ask.index, ask.info, start, end, ask.mode, fmt=ask.fmt, height=ask.height,
                           captions=ask.captions)
    if ask.clip is None or not ask.clip.join:
        raise ValueError("a joined output is previewed from its validated request (PreviewAsk.for_clip)")
    [joined] = preview_clip(ask.index, ask.info, ask.clip)
    return joined
