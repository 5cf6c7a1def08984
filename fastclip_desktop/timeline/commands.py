"""Segment edits as QUndoCommands on a TimelineModel: every edit the user makes can be undone.

Commands are idempotent: ``redo`` sets the state after the edit and ``undo`` the state before, so a
drag that already changed the model live (to show it) is pushed once, on release, as the change
from where it started to where it ended.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from .model import Segment, TimelineModel


def _span(s: Segment) -> str:
    return f"{s.start:.2f}–{s.end:.2f} s"


class AddSegment(QUndoCommand):
    def __init__(self, model: TimelineModel, start: float, end: float, label: str = ""):
        super().__init__("Add segment")
        self.model, self.start, self.end, self.label = model, start, end, label
        self.segment: Segment | None = None

    def redo(self) -> None:
        if self.segment is None:
            self.segment = self.model.add_segment(self.start, self.end, self.label)  # snaps in keyframe mode
            self.setText(f"Add segment {_span(self.segment)}")
        else:
            self.model.insert_segment(self.segment)

    def undo(self) -> None:
        self.model.remove_segment(self.segment.id)


class AddSegments(QUndoCommand):
    """Several segments added at once (an imported file): one undo removes them all."""

    def __init__(self, model: TimelineModel, spans, text: str):
        super().__init__(text)
        self.model, self.spans = model, list(spans)
        self.segments: list[Segment] | None = None

    def redo(self) -> None:
        if self.segments is None:
            self.segments = self.model.add_segments(self.spans)
        else:
            self.model.insert_segments(self.segments)

    def undo(self) -> None:
        self.model.remove_segments(s.id for s in self.segments)


class RemoveSegment(QUndoCommand):
    def __init__(self, model: TimelineModel, segment_id: int):
        self.model = model
        self.segment, self.index = model.segment(segment_id), model.index_of(segment_id)
        super().__init__(f"Remove segment {_span(self.segment)}")

    def redo(self) -> None:
        self.model.remove_segment(self.segment.id)

    def undo(self) -> None:
        self.model.insert_segment(self.segment, self.index)


class _SpanChange(QUndoCommand):
    verb = "Change"

    def __init__(self, model: TimelineModel, segment_id: int, before: tuple[float, float], after: tuple[float, float]):
        super().__init__(f"{self.verb} segment to {after[0]:.2f}–{after[1]:.2f} s")
        self.model, self.segment_id, self.before, self.after = model, segment_id, before, after

    def redo(self) -> None:
        self.model.set_segment(self.segment_id, *self.after)

    def undo(self) -> None:
        self.model.set_segment(self.segment_id, *self.before)


class MoveSegment(_SpanChange):
    verb = "Move"


class ResizeSegment(_SpanChange):
    verb = "Resize"


class RenameSegment(QUndoCommand):
    """A segment's label changed from ``before`` to ``after``."""

    def __init__(self, model: TimelineModel, segment_id: int, before: str, after: str):
        super().__init__(f"Rename segment to “{after}”" if after else "Clear segment label")
        self.model, self.segment_id, self.before, self.after = model, segment_id, before, after

    def redo(self) -> None:
        self.model.set_label(self.segment_id, self.after)

    def undo(self) -> None:
        self.model.set_label(self.segment_id, self.before)
