"""What a cut will do, before it is done: a pure, decode-free preview for the GUI.

From a source's keyframe index (every video packet's time in decode order with its flags:
``engine.media.keyframe_index``), its MediaInfo and a segment, say where the cut really lands and
how much of it is re-encoded: the same packet range, route and planner the export uses
(``scan.index_range``, ``route.py``, ``plan.py``), so the two agree
(tests/engine/cut/test_preview.py checks it against real exports). Nothing here opens the file.

    index = engine.keyframe_index(path, cache)   # (a generator of Progress: drive it, as now)
    info = engine.probe(path)
    p = engine.preview_cut(index, info, 12.5, 40.0, "precise")
    p.to_dict()  # {"start": 12.5, "end": 40.0, "video": "smart", "reencode_head": 1.4,
                 #  "reencode_tail": 0.1, "copy": 26.0}

In keyframe mode ``start`` is the keyframe at or before the one asked for. ``preview_clip`` does
the same for a validated request: one preview per output file, as its job will make it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..errors import InvalidRequest
from ..media.info import MediaInfo
from ..media.keyframe_index import KeyframeIndex
from ..timeline import exact
from .plan import SegmentPlan
from .report import cut_report
from .request import ValidClip
from .route import plan_segment, reason_for, segment_ticks, timeline_origin, video_kind, video_route
from .scan import index_range


@dataclass(frozen=True, slots=True)
class CutPreview:
    """Where an output really starts and ends (seconds on the request's timeline) and how its video
    will be made: "copy", "smart" or "encode", with the seconds re-encoded at the head and the tail
    and the seconds copied (as the export's cut report will say them), and why it is re-encoded whole."""

    start: Fraction
    end: Fraction
    video: str
    reencode_head: Fraction
    reencode_tail: Fraction
    copy: Fraction
    reason: str = ""

    def to_dict(self) -> dict:
        d = {"start": _s(self.start), "end": _s(self.end), "video": self.video,
             "reencode_head": _s(self.reencode_head), "reencode_tail": _s(self.reencode_tail), "copy": _s(self.copy)}
        if self.reason:
            d["reason"] = self.reason
        return d


def preview_cut(index: KeyframeIndex, info: MediaInfo, start, end, mode: str = "precise", *, fmt: str = "mp4",
                height: int | None = None, captions: bool = False) -> CutPreview:
    """The preview of one output made of the segment [start, end) (seconds, as a request gives them).

    ``fmt``, ``height`` (the scaled height, None to keep the source's) and ``captions`` are the
    export's settings: a scaled, captioned or GIF output is re-encoded whole.
    """
    return _preview(index, info, ((exact(start), exact(end)),), mode, fmt=fmt, height=height, captions=captions)


def preview_clip(index: KeyframeIndex, info: MediaInfo, clip: ValidClip) -> list[CutPreview]:
    """One preview per output of a validated request (``engine.validate``), in the outputs' order."""
    return [_preview(index, info, tuple(out), clip.mode, fmt=clip.format, height=clip.height,
                     captions=clip.captions is not None) for out in clip.outputs]


def _preview(index: KeyframeIndex, info: MediaInfo, segments: Sequence[tuple[Fraction, Fraction]], mode: str, *,
             fmt: str, height: int | None, captions: bool) -> CutPreview:
    if info.video is None:
        raise InvalidRequest("the source has no video to preview a cut of", field="source")
    if not index.packets:
        raise InvalidRequest("this keyframe index has no packet table: index the file again", field="source")
    tb = index.time_base
    origin = timeline_origin(info)
    route = video_route(info, fmt=fmt, mode=mode, height=height, captions=captions)
    plans: list[SegmentPlan] = []
    for s, e in segments:
        a, b = segment_ticks(s + origin, e + origin, tb, mode)
        packets = index_range(index.packets, index.flags, a, b)
        if not packets:
            raise InvalidRequest("no video frames were found in the requested range", field="start")
        plans.append(plan_segment(packets, a, b, route))
    kind = video_kind(route, plans)
    report = cut_report(kind, plans, tb, reason=reason_for(route, kind))
    return CutPreview(plans[0].start * tb - origin, plans[-1].end * tb - origin, kind, report.reencode_head,
                      report.reencode_tail, report.copy, report.reason)


def _s(t: Fraction) -> float:
    return round(float(t), 6)
