"""Pure cut planning: GOP structure + a segment + a mode -> video steps.

No I/O here. ``scan.py`` reads the GOPs around a segment from the file (a
packet scan, no decode); this module decides, for each part of the segment,
whether its packets are copied or its frames re-encoded (smart cut), and where
the output window really starts and ends.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Gop:
    """A keyframe and the packets after it in decode order, up to the next keyframe.

    Times are PTS in the video stream's time base. ``frames`` are the GOP's
    presentation times, sorted. A GOP is *clean* (closed) when none of its
    frames is shown before its keyframe: such a GOP decodes on its own.
    """

    key_pts: int
    key_dts: int
    frames: tuple[int, ...]

    @property
    def clean(self) -> bool:
        return not self.frames or self.frames[0] >= self.key_pts


@dataclass(frozen=True, slots=True)
class Step:
    """Copy the packets, or decode and re-encode the frames, shown in [start, end).

    ``decode_from`` is the keyframe PTS the decoder must start at (encode steps);
    for copy steps it is the keyframe the copy starts at.
    """

    kind: str  # "copy" | "encode"
    start: int
    end: int
    decode_from: int


@dataclass(frozen=True, slots=True)
class SegmentPlan:
    """The source span [start, end) that goes to the output, and how."""

    start: int  # first PTS shown (the output's 0 for this segment)
    end: int  # PTS at which the segment ends (exclusive)
    steps: tuple[Step, ...]

    @property
    def encoded(self) -> int:
        """PTS span re-encoded (what a cut costs)."""
        return sum(s.end - s.start for s in self.steps if s.kind == "encode")


def gop_at(gops: list[Gop] | tuple[Gop, ...], pts: int) -> int:
    """Index of the GOP whose keyframe is the last one at or before ``pts`` (0 if none)."""
    index = 0
    for i, g in enumerate(gops):
        if g.key_pts <= pts:
            index = i
        else:
            break
    return index


def frame_at(gops, pts: int) -> int | None:
    """PTS of the frame on screen at ``pts``: the last frame shown at or before it."""
    best = None
    for g in gops:
        for f in g.frames:
            if f <= pts and (best is None or f > best):
                best = f
    return best


def plan_keyframe(gops, start: int, end: int) -> SegmentPlan:
    """Keyframe (lossless) mode: copy from the keyframe at or before ``start``.

    The copy stops at the first packet, in decode order, shown at or after
    ``end``, so nothing it keeps refers to a dropped frame.
    """
    g = gops[gop_at(gops, start)]
    return SegmentPlan(g.key_pts, end, (Step("copy", g.key_pts, end, g.key_pts),))


def plan_precise(gops, start: int, end: int, *, smart: bool) -> SegmentPlan:
    """Frame-accurate mode: the output starts on the frame shown at ``start``.

    With ``smart`` only the partial GOPs at each cut are re-encoded and every
    clean GOP that lies wholly inside the segment is copied; otherwise the
    whole span is re-encoded.
    """
    first = frame_at(gops, start)
    s = start if first is None else first
    if not smart:
        return SegmentPlan(s, end, (Step("encode", s, end, _decode_from(gops, s)),))

    steps: list[Step] = []
    for i, g in enumerate(gops):
        g_end = gops[i + 1].key_pts if i + 1 < len(gops) else None
        lo = max(g.key_pts, s)
        hi = end if g_end is None else min(g_end, end)
        if hi <= lo:
            continue
        # every frame of the GOP is inside the segment, and none of the frames it
        # shows is decoded from the next GOP (open GOPs): its packets can be copied
        whole = g.key_pts >= s and bool(g.frames) and g.frames[-1] < end
        next_clean = i + 1 >= len(gops) or gops[i + 1].clean
        if whole and g.clean and next_clean:
            _append(steps, Step("copy", g.key_pts, hi, g.key_pts))
        else:
            _append(steps, Step("encode", lo, hi, _decode_from(gops, lo)))
    return SegmentPlan(s, end, tuple(steps))


def _decode_from(gops, pts: int) -> int:
    """The keyframe to start decoding at so the frame at ``pts`` decodes correctly."""
    i = gop_at(gops, pts)
    # An open GOP's leading frames refer to the GOP before it.
    if not gops[i].clean and i > 0 and any(f < gops[i].key_pts for f in gops[i].frames):
        i -= 1
    return gops[i].key_pts


def _append(steps: list[Step], step: Step) -> None:
    """Add a step, merging it into the previous one when both are contiguous encodes or copies."""
    if steps and steps[-1].kind == step.kind and steps[-1].end == step.start:
        prev = steps[-1]
        steps[-1] = Step(step.kind, prev.start, step.end, prev.decode_from)
    else:
        steps.append(step)
