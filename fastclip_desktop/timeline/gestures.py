"""What the mouse, the wheel and the keys do on a TimelineWidget.

Dragging on the ruler, pictures or waveform scrubs (``scrub(t, final)``: keyframe seeks while
dragging, exact on release); a segment's edge resizes it, its bar in the lane moves it (in the lane,
only the sub-row under the mouse is hit); a click on a moment in the lane of moments is the widget's
``moment_clicked(index)``; a drag is shown live and pushed on release as one undoable
edit. The wheel zooms around the cursor, or around the playhead while playing (Shift+wheel scrolls).
The cursor says what a press would grab. A key press becomes a name for the keymap (``key_names``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QWheelEvent

from ..worker_adapter import emit
from .commands import MoveSegment, ResizeSegment

if TYPE_CHECKING:
    from .widget import TimelineWidget

KEY_NAMES = {
    Qt.Key.Key_Space: "Space", Qt.Key.Key_K: "K", Qt.Key.Key_J: "J", Qt.Key.Key_L: "L",
    Qt.Key.Key_Left: "Left", Qt.Key.Key_Right: "Right", Qt.Key.Key_Comma: "Comma",
    Qt.Key.Key_Period: "Period", Qt.Key.Key_Up: "Up", Qt.Key.Key_Down: "Down", Qt.Key.Key_I: "I",
    Qt.Key.Key_O: "O", Qt.Key.Key_Return: "Return", Qt.Key.Key_Enter: "Enter",
    Qt.Key.Key_Delete: "Delete", Qt.Key.Key_Backspace: "Backspace", Qt.Key.Key_Home: "Home",
    Qt.Key.Key_End: "End",
}
MODIFIER_NAMES = {
    Qt.KeyboardModifier.ControlModifier: "Ctrl", Qt.KeyboardModifier.AltModifier: "Alt",
    Qt.KeyboardModifier.MetaModifier: "Meta", Qt.KeyboardModifier.ShiftModifier: "Shift",
}


def key_names(event: QKeyEvent) -> tuple[str | None, frozenset[str]]:
    """The keymap's name of the key pressed (None for a key it does not know) and of the modifiers held."""
    name = KEY_NAMES.get(Qt.Key(event.key()))
    modifiers = frozenset(n for flag, n in MODIFIER_NAMES.items() if event.modifiers() & flag)
    return name, modifiers


class TimelineGestures:
    """The mouse and the wheel on ``widget``: its model, player, undo stack and cursor."""

    def __init__(self, widget: TimelineWidget):
        self.widget = widget
        self.drag: dict | None = None  # the left button's drag under way: scrub, move or resize

    def press(self, event: QMouseEvent) -> bool:
        """A button went down; False when it is not one for the timeline (the widget passes it on)."""
        w = self.widget
        if event.button() != Qt.MouseButton.LeftButton or w.model.duration <= 0:
            return False
        x, y = event.position().x(), event.position().y()
        geo = w.measure()
        t = geo.time_at(x)
        moment = geo.moment_at(x, y, w.painter.moments)
        if moment is not None:
            emit(w.moment_clicked, moment)
            event.accept()
            return True
        edge, hit = geo.hits(t, y)
        if edge:
            segment, which = edge
            w.model.select(segment.id)
            self.drag = {"kind": "resize", "id": segment.id, "edge": which, "before": (segment.start, segment.end)}
        elif hit:
            w.model.select(hit.id)
            self.drag = {"kind": "move", "id": hit.id, "grab": t - hit.start, "before": (hit.start, hit.end)}
            w.setCursor(Qt.CursorShape.ClosedHandCursor)
        else:
            if geo.in_lane(y):
                w.model.select(None)
            self.drag = {"kind": "scrub"}
            self._scrub(t, final=False)
        event.accept()
        return True

    def move(self, event: QMouseEvent) -> None:
        x, y = event.position().x(), event.position().y()
        t = self.widget.time_at(x)
        drag, model = self.drag, self.widget.model
        if drag is None:
            self._hover_cursor(t, y)
        elif drag["kind"] == "scrub":
            self._scrub(t, final=False)
        elif drag["kind"] == "resize":
            model.resize_segment(drag["id"], drag["edge"], t)
        elif drag["kind"] == "move":
            model.move_segment(drag["id"], t - drag["grab"])
        event.accept()

    def release(self, event: QMouseEvent) -> bool:
        """A button came up; False when it ends no drag (another button: the left one still drags)."""
        if self.drag is None or event.button() != Qt.MouseButton.LeftButton:
            return False
        w = self.widget
        drag, self.drag = self.drag, None
        t = w.time_at(event.position().x())
        if drag["kind"] == "scrub":
            self._scrub(t, final=True)
        else:
            segment = w.model.segment(drag["id"])
            after = (segment.start, segment.end)
            if after != drag["before"]:
                command = ResizeSegment if drag["kind"] == "resize" else MoveSegment
                w.undo_stack.push(command(w.model, drag["id"], drag["before"], after))
        self._hover_cursor(t, event.position().y())
        event.accept()
        return True

    def wheel(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        m = self.widget.model
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier or abs(delta.x()) > abs(delta.y()):
            steps = (delta.x() or delta.y()) / 120
            m.scroll(-steps * 0.1 * m.view_span)
        else:  # while playing, around the playhead: the view follows it, a zoom elsewhere would jump back
            anchor = m.playhead if self.widget.player.playing else self.widget.time_at(event.position().x())
            m.zoom(1.25 ** (delta.y() / 120), anchor)
        event.accept()

    def _scrub(self, t: float, final: bool) -> None:
        w = self.widget
        t = w.link.scrub(t, final)
        emit(w.scrub, t, final)

    def _hover_cursor(self, t: float, y: float) -> None:
        w = self.widget
        geo = w.measure()
        edge, hit = geo.hits(t, y)
        if geo.moment_at(geo.x_of(t), y, w.painter.moments) is not None:
            w.setCursor(Qt.CursorShape.PointingHandCursor)
        elif edge:
            w.setCursor(Qt.CursorShape.SizeHorCursor)
        elif hit:
            w.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            w.unsetCursor()
