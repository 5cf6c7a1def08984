"""Segments laid out in lanes, free of Qt, and what lies under a time in a lane.

Overlapping segments are laid out in lanes (``LaneLayout``), so a view can draw each one where no
other hides it: greedy interval partitioning in timeline order, each segment taking the lowest lane
free at its start (segments that only touch share one), so it uses as few lanes as the deepest
overlap needs. A layout is made from the segments as they are; the TimelineModel makes a new one
after every change of its segments. In a lane (or in all of them), ``segment_at`` and ``edge_at``
find what the mouse is over: the selected segment first.
"""

from __future__ import annotations

from collections.abc import Iterable

from .segments import Segment, timeline_order


def lay_out_lanes(segments: Iterable[Segment]) -> dict[int, int]:
    """Segment id -> lane (0, 1, ...): overlapping segments never share a lane."""
    lane_ends: list[float] = []
    lanes: dict[int, int] = {}
    for s in sorted(segments, key=timeline_order):
        lane = next((i for i, end in enumerate(lane_ends) if end <= s.start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(s.end)
        else:
            lane_ends[lane] = s.end
        lanes[s.id] = lane
    return lanes


class LaneLayout:
    """``segments`` (in the model's order) laid out in lanes."""

    def __init__(self, segments: Iterable[Segment]):
        self.segments = list(segments)
        self.lanes = lay_out_lanes(self.segments)
        self.count = max(self.lanes.values(), default=-1) + 1

    def in_lane(self, lane: int | None) -> list[Segment]:
        """The segments of ``lane`` (all of them for None), in the model's order."""
        if lane is None:
            return self.segments
        return [s for s in self.segments if self.lanes[s.id] == lane]

    def segment_at(self, t: float, lane: int | None, selected: int | None) -> Segment | None:
        """The segment under ``t`` (in ``lane`` when given): the ``selected`` one first, then the latest
        added (the last in the model's order)."""
        hits = [s for s in self.in_lane(lane) if s.start <= t <= s.end]
        if not hits:
            return None
        return next((s for s in hits if s.id == selected), hits[-1])

    def edge_at(self, t: float, slack: float, lane: int | None, selected: int | None) -> tuple[Segment, str] | None:
        """The segment edge ("start" or "end") within ``slack`` seconds of ``t`` (in ``lane`` when
        given; closest first, the ``selected`` segment winning ties)."""
        best = None
        for s in self.in_lane(lane):
            for edge, at in (("start", s.start), ("end", s.end)):
                d = abs(at - t)
                if d <= slack:
                    key = (d, s.id != selected)
                    if best is None or key < best[0]:
                        best = (key, s, edge)
        return None if best is None else (best[1], best[2])
