"""The timeline's state, free of Qt: what a TimelineWidget draws and what its gestures and keys change.

Times are float seconds on the file's timeline (the UI edge of the engine's exact times); the
timeline spans [start, start + duration). The model holds the playhead, the visible range (zoom),
the in and out marks, the segments and the selected one, and the cut mode. In keyframe mode the
start of a cut snaps to a keyframe, because that is where a keyframe (lossless) cut really starts;
``real_span`` says where any segment's cut lands, so the view can show it. The end of a cut is not
snapped: a keyframe cut ends where it is asked to.

Segments carry a label. Overlapping segments are laid out in lanes (``lanes``), so a view can draw
each one where no other hides it. ``marks()`` is a snapshot of the marking work (a ``Marks``) and
``restore_marks`` puts one back exactly, for keeping the work between sessions.

The model holds the state and tells its listeners the set of fields that changed: "media",
"playhead", "view", "marks", "segments", "selection", "mode", "keyframes". The rules that need no
state are beside it: segments.py (the values), lanes.py, view_range.py and keyframes.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from ..observable import Observable
from .keyframes import KeyframeTimes
from .lanes import LaneLayout
from .segments import Marks, Segment, clean_label, segments_from, timeline_order
from .view_range import fit_view, page_view, reveal_view, zoom_view

if TYPE_CHECKING:  # the types only: their modules import PyAV and numpy, which the GUI needs later
    from engine import KeyframeIndex

PRECISE, KEYFRAME = "precise", "keyframe"
MIN_SEGMENT = 0.04  # seconds: the shortest segment an edit can leave (about a frame)


class TimelineModel(Observable):
    def __init__(self, duration: float = 0.0, start: float = 0.0):
        Observable.__init__(self)
        self._next_id = 1
        self._lanes: LaneLayout | None = None  # until the segments change
        self.mode = PRECISE
        self.keyframes: KeyframeIndex | None = None
        self._keys = KeyframeTimes()
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

    # -- the media ----------------------------------------------------------------------------------

    def set_media(self, duration: float, start: float = 0.0) -> None:
        """A new file: everything else is cleared (keyframes too, until its index arrives)."""
        self._reset(duration, start)
        self.keyframes, self._keys = None, KeyframeTimes()
        self._changed("media", "playhead", "view", "marks", "segments", "selection", "keyframes")

    @property
    def end(self) -> float:
        return self.start + self.duration

    def clamp(self, t: float) -> float:
        return min(self.end, max(self.start, float(t)))

    def set_playhead(self, t: float, follow: bool = False) -> None:
        """Move the playhead; with ``follow`` (the player moved it: playback, keys, seeks) the view
        turns a page when the playhead leaves it: past the right edge the new page shows it near its
        left edge, past the left edge (reverse playback, a jump back) near its right edge."""
        t = self.clamp(t)
        if t == self.playhead:
            return
        self.playhead = t
        changed = {"playhead"}
        if follow and not self.view_start <= t <= self.view_end:
            self.view_start, self.view_end = self._fit_view(*page_view(t, (self.view_start, self.view_end)))
            changed.add("view")
        self._changed(*changed)

    # -- the visible range --------------------------------------------------------------------------

    @property
    def view_span(self) -> float:
        return self.view_end - self.view_start

    def set_view(self, t0: float, t1: float) -> None:
        """Show [t0, t1], kept inside the media and at least MIN_VIEW wide (or the whole media)."""
        view = self._fit_view(t0, t1)
        if view != (self.view_start, self.view_end):
            self.view_start, self.view_end = view
            self._changed("view")

    def _fit_view(self, t0: float, t1: float) -> tuple[float, float]:
        return fit_view(t0, t1, self.start, self.duration)

    def reveal(self, t0: float, t1: float) -> None:
        """Scroll so [t0, t1] is fully visible (with a small margin), keeping the zoom when it fits;
        zoom out just enough when it does not. Nothing moves when it is already visible."""
        self._changed(*self._reveal(t0, t1))

    def _reveal(self, t0: float, t1: float) -> set[str]:
        """``reveal`` without telling the listeners: {"view"} if the view moved, else {}."""
        t0, t1 = self.clamp(min(t0, t1)), self.clamp(max(t0, t1))
        wanted = reveal_view(t0, t1, (self.view_start, self.view_end))
        if wanted is None:
            return set()
        view = self._fit_view(*wanted)
        if view == (self.view_start, self.view_end):
            return set()
        self.view_start, self.view_end = view
        return {"view"}

    def zoom(self, factor: float, anchor: float) -> None:
        """Zoom in (factor > 1) or out around ``anchor``: the time under the cursor stays under it."""
        view = zoom_view(factor, anchor, (self.view_start, self.view_end), self.duration)
        if view is not None:
            self.set_view(*view)

    def scroll(self, seconds: float) -> None:
        self.set_view(self.view_start + seconds, self.view_end + seconds)

    def time_at(self, x: float, width: float) -> float:
        """The time under pixel column ``x`` of a view ``width`` pixels wide (not clamped)."""
        return self.view_start + x / max(width, 1) * self.view_span

    def x_of(self, t: float, width: float) -> float:
        return (t - self.view_start) / self.view_span * width if self.view_span > 0 else 0.0

    # -- keyframes and the cut mode -----------------------------------------------------------------

    def set_keyframes(self, index: KeyframeIndex | None) -> None:
        self.keyframes, self._keys = index, KeyframeTimes(index)
        self._changed("keyframes")

    def keyframe_times(self, t0: float | None = None, t1: float | None = None) -> list[float]:
        """Keyframe times in [t0, t1] (all of them by default)."""
        return self._keys.between(t0, t1)

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
        return self._keys.at_or_before(t)

    def keyframe_before(self, t: float) -> float | None:
        """The keyframe strictly before ``t`` (Up goes there)."""
        return self._keys.before(t)

    def keyframe_after(self, t: float) -> float | None:
        return self._keys.after(t)

    def nearest_keyframe(self, t: float) -> float | None:
        return self._keys.nearest(t)

    def snap_start(self, t: float, nearest: bool = False) -> float:
        """Where a cut asked to start at ``t`` starts: in keyframe mode the keyframe at or before it
        (or, for a drag, the ``nearest`` one); otherwise ``t``."""
        t = self.clamp(t)
        k = self._keys.snap(t, nearest) if self.snapping else None
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
        return sorted(self.segments, key=timeline_order)

    def add_segment(self, start: float, end: float, label: str = "") -> Segment:
        """A new segment (its start snapped in keyframe mode), selected and scrolled into view."""
        return self.add_segments([(start, end, label)])[0]

    def add_segments(self, spans: Iterable) -> list[Segment]:
        """New segments from (start, end[, label]) each, in one change (an import): starts snapped
        in keyframe mode, the first in timeline order selected, all of them scrolled into view."""
        made = []
        for item in spans:
            start, end, label = (*item, "")[:3]
            start, end = self._span(self.snap_start(start), end)
            made.append(Segment(self._new_id(), start, end, clean_label(label)))
        if made:
            self.insert_segments(made)
        return made

    def insert_segments(self, segments: Iterable[Segment], index: int | None = None) -> None:
        """Put segments back exactly as they were (undo of a removal, redo of an add), at ``index``
        of the model's order (the end by default), the first in timeline order selected and all
        scrolled into view, in one change."""
        segments = list(segments)
        ids = {s.id for s in self.segments}
        if any(s.id in ids for s in segments) or len({s.id for s in segments}) != len(segments):
            raise ValueError("a segment with that id is already there")
        at = len(self.segments) if index is None else index
        self.segments[at:at] = segments
        self._next_id = max([self._next_id, *(s.id + 1 for s in segments)])
        first = min(segments, key=timeline_order)
        self.selected = first.id
        changed = {"segments", "selection"}
        changed |= self._reveal(min(s.start for s in segments), max(s.end for s in segments))
        self._changed(*changed)

    def insert_segment(self, segment: Segment, index: int | None = None) -> None:
        self.insert_segments([segment], index)

    def remove_segments(self, segment_ids: Iterable[int]) -> None:
        """Remove several segments in one change (undo of an import)."""
        gone = set(segment_ids)
        for segment_id in gone:
            self.segment(segment_id)  # each must exist
        self.segments = [s for s in self.segments if s.id not in gone]
        changed = {"segments"}
        if self.selected in gone:
            self.selected = None
            changed.add("selection")
        self._changed(*changed)

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
        return self._put(index, replace(self.segments[index], start=start, end=end))

    def set_label(self, segment_id: int, label: str) -> Segment:
        """Name a segment (the label is kept as one stripped line of at most MAX_LABEL characters)."""
        index = self.index_of(segment_id)
        return self._put(index, replace(self.segments[index], label=clean_label(label)))

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

    def lanes(self) -> dict[int, int]:
        """Segment id -> lane (0, 1, ...): overlapping segments never share a lane (lanes.py)."""
        return dict(self._layout().lanes)

    def lane_count(self) -> int:
        return self._layout().count

    def segment_at(self, t: float, lane: int | None = None) -> Segment | None:
        """The segment under ``t`` (in ``lane`` when given): the selected one first, then the latest added."""
        return self._layout().segment_at(t, lane, self.selected)

    def edge_at(self, t: float, slack: float, lane: int | None = None) -> tuple[Segment, str] | None:
        """The segment edge within ``slack`` seconds of ``t`` (in ``lane`` when given; closest first,
        the selected one winning ties)."""
        return self._layout().edge_at(t, slack, lane, self.selected)

    def _layout(self) -> LaneLayout:
        if self._lanes is None:
            self._lanes = LaneLayout(self.segments)
        return self._lanes

    # -- keeping the work ---------------------------------------------------------------------------

    def marks(self) -> Marks:
        """A snapshot of the marking work: segments (ids, labels), in/out, selection and the view."""
        return Marks(tuple(self.segments), self.in_point, self.out_point, self.selected,
                     self.view_start, self.view_end)

    def marks_from(self, segments: Iterable, in_point: float | None = None, out_point: float | None = None,
                   view: tuple[float, float] | None = None) -> Marks:
        """Marks made of plain data, for ``restore_marks``: ``segments`` are (start, end[, label]) or
        objects with start, end and label (the library's MarkedSegment); each gets a new id, so it never
        collides with one an undo command holds. No view: the whole file."""
        t0, t1 = view if view is not None else (self.start, self.end)
        return Marks(segments_from(segments, self._new_id), in_point, out_point, None, float(t0), float(t1))

    def restore_marks(self, marks: Marks) -> None:
        """Put ``marks`` back exactly: the same segments with the same ids (new ids start past them),
        in/out, selection and view (kept inside the media). The undo stack is not touched: commands
        made before still apply, as they name segments by id."""
        ids = [s.id for s in marks.segments]
        if len(set(ids)) != len(ids):
            raise ValueError("each segment of the marks needs its own id")
        self.segments = list(marks.segments)
        self._next_id = max([self._next_id, *(i + 1 for i in ids)])
        self.in_point, self.out_point = marks.in_point, marks.out_point
        self.selected = marks.selected if marks.selected in ids else None
        if marks.view_end > marks.view_start:
            self.view_start, self.view_end = self._fit_view(marks.view_start, marks.view_end)
        else:
            self.view_start, self.view_end = self.start, self.end
        self._changed("segments", "marks", "selection", "view")

    def _changed(self, *what: str) -> None:
        if "segments" in what:  # every change of the segments is told: the lanes are laid out again
            self._lanes = None
        Observable._changed(self, *what)

    def _put(self, index: int, segment: Segment) -> Segment:
        """``segment`` in the place of the one at ``index``; the listeners are told if that changed it."""
        if segment != self.segments[index]:
            self.segments[index] = segment
            self._changed("segments")
        return segment

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _span(self, start: float, end: float) -> tuple[float, float]:
        start, end = self.clamp(min(start, end)), self.clamp(max(start, end))
        if end - start < MIN_SEGMENT:
            end = min(self.end, start + MIN_SEGMENT)
            start = max(self.start, end - MIN_SEGMENT)
        return start, end
