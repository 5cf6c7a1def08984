"""Which way a clip's video goes (copied, smart cut, or re-encoded whole, and why), and the plans.

The export and the preview both decide here, from the same facts (the source's MediaInfo, the
request, the packets around each segment), so a preview says what the export then does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..formats import MP4_VIDEO_COPY
from ..media.info import MediaInfo
from ..media.packets import VideoPacket
from .plan import SegmentPlan, plan_keyframe, plan_precise

# Codecs a precise cut copies in the middle of, re-encoding only the ends with the same encoder,
# and the pixel formats that encoder matches (x265 in the wheel does Main10; libvpx there no 10-bit).
SMART_CUT_PIX_FMTS = {
    "h264": frozenset({"yuv420p", "yuvj420p"}),
    "hevc": frozenset({"yuv420p", "yuvj420p", "yuv420p10le"}),
    "vp9": frozenset({"yuv420p"}),
}
SMART_CUT_CODECS = frozenset(SMART_CUT_PIX_FMTS)

# Seconds from a UI are floats: a time meant to be on a frame's boundary comes a few 1e-16 s
# either side of it (4.266666666666667 for frame 128 at 30 fps). A nanosecond is far below any
# time base's tick, so a time that close to a tick is that tick.
FLOAT_NOISE = Fraction(1, 10**9)


@dataclass(frozen=True, slots=True)
class VideoRoute:
    """``reencode``: every frame is decoded and re-encoded (H.264, or the GIF writer), because the
    picture changes or the codec cannot go into the output as it is; ``smart``: a precise cut
    re-encodes only its ends. ``reason`` says why the video is not copied or smart cut."""

    mode: str
    reencode: bool
    smart: bool
    reason: str = ""


def video_route(info: MediaInfo, *, fmt: str, mode: str, height: int | None, captions: bool) -> VideoRoute:
    v = info.video
    reasons = []
    if fmt == "gif":
        reasons.append("a GIF is drawn from decoded frames")
    if height is not None:
        reasons.append(f"scaled to {height}p")
    if captions:
        reasons.append("captions are burned into the picture")
    if v.codec not in MP4_VIDEO_COPY:
        reasons.append(f"{v.codec} cannot go into an MP4 as it is")
    if reasons:
        return VideoRoute(mode, True, False, "; ".join(reasons))
    if mode != "precise":
        return VideoRoute(mode, False, False)
    if v.codec not in SMART_CUT_CODECS:
        return VideoRoute(mode, False, False, f"no smart cut for {v.codec}: a precise cut re-encodes it whole")
    if (v.pix_fmt or "") not in SMART_CUT_PIX_FMTS[v.codec]:
        return VideoRoute(mode, False, False, f"no smart cut for {v.codec} in {v.pix_fmt or 'an unknown format'}: "
                                              f"a precise cut re-encodes it whole")
    return VideoRoute(mode, False, True)


def timeline_origin(info: MediaInfo) -> Fraction:
    """Where the timeline users see starts on the file's: request times count from the first
    sample or frame of the file (an MP3's stream starts at 25 ms, a TS-born MP4's later still)."""
    starts = [s.start_time for s in (info.video, info.audio) if s is not None]
    # an encoder's priming before 0 (AAC in MP4) is not where the timeline starts
    return max(Fraction(0), min(starts)) if starts else Fraction(0)


def pts_floor(t: Fraction, tb: Fraction) -> int:
    return math.floor((t + FLOAT_NOISE) / tb)


def pts_ceil(t: Fraction, tb: Fraction) -> int:
    return math.ceil((t - FLOAT_NOISE) / tb)


def segment_ticks(start: Fraction, end: Fraction, tb: Fraction, mode: str) -> tuple[int, int]:
    """A segment in seconds of the stream's timeline as [start, end) in its ticks."""
    first = int(start / tb) if mode == "keyframe" else pts_floor(start, tb)
    return first, pts_ceil(end, tb)


def plan_segment(packets: Sequence[VideoPacket], start: int, end: int, route: VideoRoute) -> SegmentPlan:
    if route.mode == "keyframe":
        return plan_keyframe(packets, start, end, reencode=route.reencode)
    return plan_precise(packets, start, end, smart=route.smart)


def video_kind(route: VideoRoute, plans: Sequence[SegmentPlan]) -> str:
    """How the output's video is made: "copy", "smart" or "encode"."""
    if route.reencode:
        return "encode"
    if all(st.kind == "copy" for p in plans for st in p.steps):
        return "copy"
    return "smart" if route.smart else "encode"


def reason_for(route: VideoRoute, kind: str) -> str:
    return route.reason if kind == "encode" else ""
