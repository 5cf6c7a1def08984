"""Segments as plain data, free of Qt: the ``Segment`` and ``Marks`` values, how a label is kept, the
timeline order, and segments made of plain (start, end, label) data.

``Marks`` is a snapshot of the user's marking work on one file (segments with their ids and labels,
in/out, selection, the visible range): what a TimelineModel's ``marks()`` gives and its
``restore_marks`` puts back exactly, for keeping the work between sessions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from engine import MAX_LABEL


@dataclass(frozen=True, slots=True)
class Segment:
    id: int
    start: float
    end: float
    label: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start


def timeline_order(segment: Segment) -> tuple[float, float, int]:
    """The sort key of timeline order: by start, then end, then id."""
    return (segment.start, segment.end, segment.id)


@dataclass(frozen=True, slots=True)
class Marks:
    """A snapshot of the marking work on one file: what ``restore_marks`` puts back exactly.

    ``segments`` are in the model's order (the order they were added), with their ids and labels.
    """

    segments: tuple[Segment, ...] = ()
    in_point: float | None = None
    out_point: float | None = None
    selected: int | None = None
    view_start: float = 0.0
    view_end: float = 0.0

    def segment_tuples(self) -> list[tuple[float, float, str]]:
        """The segments as plain (start, end, label) data, in timeline order (for the library)."""
        ordered = sorted(self.segments, key=timeline_order)
        return [(s.start, s.end, s.label) for s in ordered]


def clean_label(text: str) -> str:
    """A label as kept: one line (control characters become spaces), stripped, at most MAX_LABEL long."""
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in str(text))
    return text.strip()[:MAX_LABEL].strip()


def segments_from(items: Iterable, new_id: Callable[[], int]) -> tuple[Segment, ...]:
    """Segments made of plain data: each item is (start, end[, label]) or an object with start, end
    and label (the library's MarkedSegment); each gets an id from ``new_id`` and a cleaned label."""
    made = []
    for item in items:
        if hasattr(item, "start"):
            start, end, label = item.start, item.end, getattr(item, "label", "")
        else:
            start, end, label = (*item, "")[:3]
        made.append(Segment(new_id(), float(start), float(end), clean_label(label or "")))
    return tuple(made)
