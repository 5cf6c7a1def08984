"""The timeline's state, free of Qt: what a TimelineWidget draws and what its gestures and keys change.

Times are float seconds on the file's timeline (the UI edge of the engine's exact times); the
timeline spans [start, start + duration). The model holds the playhead, the visible range (zoom),
the in and out marks, the segments and the selected one, and the cut mode. In keyframe mode the
start of a cut snaps to a keyframe, because that is where a keyframe (lossless) cut really starts;
``real_span`` says where any segment's cut lands, so the view can show it. The end of a cut is not
snapped: a keyframe cut ends where it is asked to.

Listeners get the set of fields that changed: "media", "playhead", "view", "marks", "segments",
"selection", "mode", "keyframes".
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, replace
from fractions import Fraction

from engine.keyframe_index import KeyframeIndex

from ..observable import Observable

PRECISE, KEYFRAME = "precise", "keyframe"
MIN_VIEW = 0.25  # seconds: the narrowest visible range (the deepest zoom)
MIN_SEGMENT = 0.04  # seconds: the shortest segment an edit can leave (about a frame)
SNAP_SLACK = 1e-6  # a position a hair before a keyframe (float noise) still counts as on it



@dataclass(frozen=True, slots=True)
class Segment:
    id: int
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


class TimelineModel(Observable):
    def __init__(self, duration: float = 0.0, start: float = 0.0):
        Observable.__init__(self)
        self._ids = itertools.count(1)
        self.mode = PRECISE
        self.keyframes: KeyframeIndex | None = None
        self._keyframe_times: list[float] = []
        self._reset(duration, start)

    def _reset(self, duration: float, start: float) -> None:
        self.start = float(start)
        self.duration = max(0.0, float(duration))
        self.playhead = self.start
        self.view_start, self.view_end = self.start, self.end
        self.in_point: float | None = None
        self.out_point: float | None = None
        self.segments: list[Segment] = []
        self.selected: int | None = None

    # -- observing ----------------------------------------------------------------------------------

    # -- the media ----------------------------------------------------------------------------------

    def set_media(self, duration: float, start: float = 0.0) -> None:
        """A new file: everything else is cleared (keyframes too, until its index arrives)."""
        self._reset(duration, start)
        self.keyframes, self._keyframe_times = None, []
        self._changed("media", "playhead", "view", "marks", "segments", "selection", "keyframes")

    @property
    def end(self) -> float:
        return self.start + self.duration

    def clamp(self, t: float) -> float:
        return min(self.end, max(self.start, float(t)))

    def set_playhead(self, t: float, follow: bool = False) -> None:
        """Move the playhead; with ``follow`` (playback) the view pages along when it leaves it."""
        t = self.clamp(t)
        if t != self.playhead:
            self.playhead = t
            self._changed("playhead")
        if follow and not self.view_start <= t <= self.view_end:
            span = self.view_end - self.view_start
            self.set_view(t - 0.1 * span, t + 0.9 * span)

    # -- the visible range --------------------------------------------------------------------------

    @property
    def view_span(self) -> float:
        return self.view_end - self.view_start

    def set_view(self, t0: float, t1: float) -> None:
        """Show [t0, t1], kept inside the media and at least MIN_VIEW wide (or the whole media)."""
        span = min(max(t1 - t0, min(MIN_VIEW, self.duration)), self.duration)
        t0 = min(max(t0, self.start), self.end - span)
        if (t0, t0 + span) != (self.view_start, self.view_end):
            self.view_start, self.view_end = t0, t0 + span
            self._changed("view")

    def zoom(self, factor: float, anchor: float) -> None:
        """Zoom in (factor > 1) or out around ``anchor``: the time under the cursor stays under it."""
        if factor <= 0 or self.view_span <= 0:
            return
        share = (anchor - self.view_start) / self.view_span
        span = self.view_span / factor
        span = min(max(span, min(MIN_VIEW, self.duration)), self.duration)
        self.set_view(anchor - share * span, anchor - share * span + span)

    def scroll(self, seconds: float) -> None:
        self.set_view(self.view_start + seconds, self.view_end + seconds)

    def time_at(self, x: float, width: float) -> float:
        """The time under pixel column ``x`` of a view ``width`` pixels wide (not clamped)."""
        return self.view_start + x / max(width, 1) * self.view_span

    def x_of(self, t: float, width: float) -> float:
        return (t - self.view_start) / self.view_span * width if self.view_span > 0 else 0.0

    # -- keyframes and the cut mode -----------------------------------------------------------------

    def set_keyframes(self, index: KeyframeIndex | None) -> None:
        self.keyframes = index
        self._keyframe_times = [float(t) for t in index.times()] if index else []
        self._changed("keyframes")

    def keyframe_times(self, t0: float | None = None, t1: float | None = None) -> list[float]:
        """Keyframe times in [t0, t1] (all of them by default)."""
        times = self._keyframe_times
        lo = 0 if t0 is None else bisect.bisect_left(times, t0)
        hi = len(times) if t1 is None else bisect.bisect_right(times, t1)
        return times[lo:hi]

    def set_mode(self, mode: str) -> None:
        if mode not in (PRECISE, KEYFRAME):
            raise ValueError(f"cut mode is {PRECISE!r} or {KEYFRAME!r}, not {mode!r}")
        if mode != self.mode:
            self.mode = mode
            self._changed("mode")

    @property
    def snapping(self) -> bool:
        return self.mode == KEYFRAME and self.keyframes is not None

    def keyframe_at_or_before(self, t: float) -> float | None:
        if self.keyframes is None:
            return None
        k = self.keyframes.at_or_before(Fraction(t + SNAP_SLACK))
        return None if k is None else float(k)

    def keyframe_before(self, t: float) -> float | None:
        """The keyframe strictly before ``t`` (Up goes there)."""
        return self.keyframe_at_or_before(t - 2 * SNAP_SLACK - 1e-3)

    def keyframe_after(self, t: float) -> float | None:
        if self.keyframes is None:
            return None
        k = self.keyframes.after(Fraction(t + SNAP_SLACK))
        return None if k is None else float(k)

    def nearest_keyframe(self, t: float) -> float | None:
        if self.keyframes is None:
            return None
        k = self.keyframes.nearest(Fraction(t))
        return None if k is None else float(k)

    def snap_start(self, t: float, nearest: bool = False) -> float:
        """Where a cut asked to start at ``t`` starts: in keyframe mode the keyframe at or before it
        (or, for a drag, the ``nearest`` one); otherwise ``t``."""
        t = self.clamp(t)
        if not self.snapping:
            return t
        k = self.nearest_keyframe(t) if nearest else self.keyframe_at_or_before(t)
        return t if k is None else self.clamp(k)

    def real_span(self, segment: Segment) -> tuple[float, float]:
        """Where the cut of ``segment`` really lands in the current mode (keyframe: from the keyframe
        at or before its start)."""
        if self.mode == KEYFRAME and self.keyframes is not None:
            k = self.keyframe_at_or_before(segment.start)
            return (segment.start if k is None else k, segment.end)
        return (segment.start, segment.end)

    # -- in and out ---------------------------------------------------------------------------------

    def set_in(self, t: float) -> float:
        """Mark the in point (snapped in keyframe mode); an out point at or before it is cleared."""
        self.in_point = self.snap_start(t)
        if self.out_point is not None and self.out_point <= self.in_point:
            self.out_point = None
        self._changed("marks")
        return self.in_point

    def set_out(self, t: float) -> float:
        self.out_point = self.clamp(t)
        if self.in_point is not None and self.in_point >= self.out_point:
            self.in_point = None
        self._changed("marks")
        return self.out_point

    def clear_marks(self) -> None:
        if self.in_point is not None or self.out_point is not None:
            self.in_point = self.out_point = None
            self._changed("marks")

    def marked_span(self) -> tuple[float, float] | None:
        """The span Enter turns into a segment: in to out, or in to the playhead when out is unset."""
        if self.in_point is None:
            return None
        end = self.out_point if self.out_point is not None else self.playhead
        return (self.in_point, end) if end - self.in_point >= MIN_SEGMENT else None

    # -- segments -----------------------------------------------------------------------------------

    def segment(self, segment_id: int) -> Segment:
        for s in self.segments:
            if s.id == segment_id:
                return s
        raise KeyError(f"no segment {segment_id}")

    def index_of(self, segment_id: int) -> int:
        return self.segments.index(self.segment(segment_id))

    def ordered(self) -> list[Segment]:
        """The segments by start time (the order a joined export plays them)."""
        return sorted(self.segments, key=lambda s: (s.start, s.end, s.id))

    def add_segment(self, start: float, end: float) -> Segment:
        start, end = self._span(self.snap_start(start), end)
        segment = Segment(next(self._ids), start, end)
        self.segments.append(segment)
        self.selected = segment.id
        self._changed("segments", "selection")
        return segment

    def insert_segment(self, segment: Segment, index: int | None = None) -> None:
        """Put back a segment exactly as it was (undo of a removal, redo of an add)."""
        self.segments.insert(len(self.segments) if index is None else index, segment)
        self._changed("segments")

    def remove_segment(self, segment_id: int) -> tuple[Segment, int]:
        index = self.index_of(segment_id)
        segment = self.segments.pop(index)
        if self.selected == segment_id:
            self.selected = None
            self._changed("segments", "selection")
        else:
            self._changed("segments")
        return segment, index

    def set_segment(self, segment_id: int, start: float, end: float) -> Segment:
        """Set a segment's span as given (undo/redo: no snapping, only kept valid)."""
        index = self.index_of(segment_id)
        start, end = self._span(start, end)
        segment = replace(self.segments[index], start=start, end=end)
        if segment != self.segments[index]:
            self.segments[index] = segment
            self._changed("segments")
        return segment

    def move_segment(self, segment_id: int, start: float) -> Segment:
        """Move a segment to start at ``start`` (its keyframe in keyframe mode), keeping its length."""
        s = self.segment(segment_id)
        length = s.duration
        start = min(max(start, self.start), self.end - length)
        start = self.snap_start(start, nearest=True)
        start = min(start, self.end - length)
        return self.set_segment(segment_id, start, start + length)

    def resize_segment(self, segment_id: int, edge: str, t: float) -> Segment:
        """Drag one edge ("start" or "end") to ``t``; a start snaps to the nearest keyframe in keyframe
        mode; the segment keeps at least MIN_SEGMENT."""
        s = self.segment(segment_id)
        if edge == "start":
            start = min(self.snap_start(t, nearest=True), s.end - MIN_SEGMENT)
            if self.snapping and start != self.snap_start(start):
                start = self.snap_start(start)  # pulled back by the end: the keyframe before
            return self.set_segment(segment_id, start, s.end)
        if edge == "end":
            return self.set_segment(segment_id, s.start, max(self.clamp(t), s.start + MIN_SEGMENT))
        raise ValueError(f"edge is 'start' or 'end', not {edge!r}")

    def select(self, segment_id: int | None) -> None:
        if segment_id is not None:
            self.segment(segment_id)  # must exist
        if segment_id != self.selected:
            self.selected = segment_id
            self._changed("selection")

    def segment_at(self, t: float) -> Segment | None:
        """The segment under ``t``: the selected one first, then the latest added."""
        hits = [s for s in self.segments if s.start <= t <= s.end]
        if not hits:
            return None
        return next((s for s in hits if s.id == self.selected), hits[-1])

    def edge_at(self, t: float, slack: float) -> tuple[Segment, str] | None:
        """The segment edge within ``slack`` seconds of ``t`` (closest first, the selected one winning ties)."""
        best = None
        for s in self.segments:
            for edge, at in (("start", s.start), ("end", s.end)):
                d = abs(at - t)
                if d <= slack:
                    key = (d, s.id != self.selected)
                    if best is None or key < best[0]:
                        best = (key, s, edge)
        return None if best is None else (best[1], best[2])

    def _span(self, start: float, end: float) -> tuple[float, float]:
        start, end = self.clamp(min(start, end)), self.clamp(max(start, end))
        if end - start < MIN_SEGMENT:
            end = min(self.end, start + MIN_SEGMENT)
            start = max(self.start, end - MIN_SEGMENT)
        return start, end
