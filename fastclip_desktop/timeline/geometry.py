"""Where things are on a TimelineWidget: its rows, the sub-rows of the segment lane, the segment bars,
the moments, and what lies under the mouse.

From the top (``ROWS``): the ruler, the thumbnail strip, the waveform, the segment lane and the lane
of moments (the Moments panel's findings), each of a fixed height, so the widget never changes height. Overlapping segments are drawn in sub-rows of the
segment lane (the model's ``lanes``), which share the lane's height. A ``TimelineGeometry`` is made
for the widget's current width and reads the model's current view; painting and the mouse both ask
it, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF

from .model import TimelineModel
from .segments import Segment

# The rows from the top (another lane is one more entry here and a painter). Their sum is the room the
# picture gives up: on a 1280x720 screen it keeps half the window's width with these.
RULER_H, THUMBS_H, WAVE_H, LANE_H, MOMENTS_H = 20, 34, 36, 30, 16
ROWS = (("ruler", RULER_H), ("pictures", THUMBS_H), ("waveform", WAVE_H), ("segments", LANE_H),
        ("moments", MOMENTS_H))
HEIGHT = sum(h for _, h in ROWS)
MIN_SUBLANE_H = 6  # a sub-row of the segment lane is this high at least, while LANE_H holds them
EDGE_PX = 6  # how near an edge the mouse must be to grab it


@dataclass(frozen=True, slots=True)
class TimelineGeometry:
    """The places on a timeline ``width`` pixels wide that shows ``model``."""

    model: TimelineModel
    width: int

    def time_at(self, x: float) -> float:
        return self.model.time_at(x, self.width)

    def x_of(self, t: float) -> float:
        return self.model.x_of(t, self.width)

    def row_rect(self, name: str) -> QRectF:
        """Where a row of ``ROWS`` ("ruler", "pictures", "waveform", "segments") is drawn."""
        top = 0
        for row, height in ROWS:
            if row == name:
                return QRectF(0, top, self.width, height)
            top += height
        raise KeyError(name)

    def lane_rect(self) -> QRectF:
        return self.row_rect("segments")

    def sublane_rect(self, lane: int, count: int | None = None) -> QRectF:
        """Sub-row ``lane`` of the segment lane when there are ``count`` (the model's by default):
        they share the lane's height (MIN_SUBLANE_H each while it holds them; thinner past that)."""
        area = self.lane_rect()
        count = max(1, self.model.lane_count() if count is None else count)
        h = area.height() / count
        return QRectF(area.left(), area.top() + lane * h, area.width(), h)

    def lane_at(self, y: float) -> int | None:
        """The sub-row of the segment lane under ``y`` (None outside the lane)."""
        area = self.lane_rect()
        if not area.top() <= y <= area.bottom():
            return None
        count = max(1, self.model.lane_count())
        return min(count - 1, max(0, int((y - area.top()) / (area.height() / count))))

    def in_lane(self, y: float) -> bool:
        area = self.lane_rect()
        return area.top() <= y < area.bottom()

    def moment_rect(self, start: float, end: float) -> QRectF:
        """The bar of a moment from ``start`` to ``end`` in the lane of moments."""
        row = self.row_rect("moments")
        x0, x1 = self.x_of(start), self.x_of(end)
        return QRectF(x0, row.top() + 2, max(2.0, x1 - x0), row.height() - 4)

    def moment_at(self, x: float, y: float, spans: list[tuple[float, float]]) -> int | None:
        """The index of the moment under (x, y) in the lane of moments, or None."""
        row = self.row_rect("moments")
        if not row.top() <= y <= row.bottom():
            return None
        t = self.time_at(x)
        slack = 2 / max(self.width, 1) * self.model.view_span  # a bar is at least 2 px wide
        return next((k for k, (a, b) in enumerate(spans) if a - slack <= t <= b + slack), None)

    def segment_rect(self, segment_id: int) -> QRectF:
        """The bar of a segment in its sub-row of the lane."""
        return self.bar_rect(self.model.segment(segment_id), self.model.lanes(), self.model.lane_count())

    def bar_rect(self, segment: Segment, lanes: dict[int, int], count: int) -> QRectF:
        """The bar of ``segment`` when the lanes are ``lanes`` (id -> sub-row) and there are ``count``."""
        row = self.sublane_rect(lanes[segment.id], count)
        pad = 3 if row.height() >= 18 else 1 if row.height() >= MIN_SUBLANE_H else 0
        x0, x1 = self.x_of(segment.start), self.x_of(segment.end)
        return QRectF(x0, row.top() + pad, max(2.0, x1 - x0), row.height() - 2 * pad)

    def hits(self, t: float, y: float) -> tuple[tuple[Segment, str] | None, Segment | None]:
        """(edge, body) under the mouse: on the pictures and the waveform, the edge of any segment; in
        the lane, the edge or the bar of a segment in the sub-row under the mouse; on the ruler and the
        moments, none."""
        if y < self.row_rect("pictures").top() or y >= self.row_rect("moments").top():
            return None, None
        slack = EDGE_PX / max(self.width, 1) * self.model.view_span
        lane = self.lane_at(y)
        if lane is None:
            return self.model.edge_at(t, slack), None
        return self.model.edge_at(t, slack, lane), self.model.segment_at(t, lane)
