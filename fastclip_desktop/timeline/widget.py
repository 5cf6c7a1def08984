"""TimelineWidget: draws a TimelineModel and turns mouse, wheel, keys and drops into changes of it.

The widget composes the parts that do the work: ``TimelineGeometry`` (geometry.py) says where the
rows, lanes and segment bars are; ``TimelinePainter`` (painter.py) keeps the pictures and paints;
``TimelineGestures`` (gestures.py) handles the mouse and the wheel; the keymap (keymap.py) says what
a key does; ``PlayerLink`` keeps the model in step with the player. The widget has the fixed height
of its rows and never changes it.

Dropping a ``.csv`` of segments (start,end,label) adds them all as one undoable edit; a file that
cannot be read is reported through ``message``. Every segment edit goes through the QUndoStack.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QUndoStack,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine import FastClipError, from_csv

from ..player.controller import PlayerController
from ..worker_adapter import emit
from .commands import AddSegment, AddSegments, RemoveSegment
from .geometry import HEIGHT, TimelineGeometry
from .gestures import TimelineGestures, key_names
from .keymap import action_for, perform
from .model import TimelineModel
from .painter import TimelinePainter, bar_text
from .player_link import PlayerLink
from .segments import Segment

if TYPE_CHECKING:  # the types only: their modules import PyAV and numpy, which the GUI needs later
    from engine import ThumbnailStrip, Waveform

MAX_CSV_BYTES = 2_000_000  # a segments file is small; a bigger one is surely not one


def csv_paths(mime: QMimeData) -> list[Path]:
    """The local .csv files a drag carries."""
    return [Path(url.toLocalFile()) for url in mime.urls()
            if url.isLocalFile() and url.toLocalFile().lower().endswith(".csv")]


class TimelineWidget(QWidget):
    scrub = Signal(float, bool)  # time, final (mouse released)
    message = Signal(str)  # something the user should read (a dropped file that could not be used)
    moment_clicked = Signal(int)  # a moment in the lane of moments was clicked: its index (0 the best)

    def __init__(self, model: TimelineModel, player: PlayerController | None = None,
                 undo_stack: QUndoStack | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.player = player if player is not None else PlayerController()
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.link = PlayerLink(model, self.player)
        self._unsubscribe = model.subscribe(self._on_model)
        self.painter = TimelinePainter()
        self.gestures = TimelineGestures(self)
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        unsubscribe_model, unsubscribe_player = self._unsubscribe, self.link.unsubscribe
        self.destroyed.connect(lambda: (unsubscribe_model(), unsubscribe_player()))  # nothing of self: it is gone

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(800, HEIGHT)

    # -- data that arrives from the worker adapter --------------------------------------------------

    @property
    def strip(self) -> ThumbnailStrip | None:
        return self.painter.strip

    @property
    def waveform(self) -> Waveform | None:
        return self.painter.waveform

    def set_thumbnails(self, strip: ThumbnailStrip | None) -> None:
        self.painter.set_thumbnails(strip)
        self.update()

    def set_waveform(self, waveform: Waveform | None) -> None:
        self.painter.set_waveform(waveform)
        self.update()

    def set_moments(self, spans, selected: int | None = None) -> None:
        """The lane of moments: (start, end) each, best first, and the chosen one (lit)."""
        self.painter.moments = [(float(a), float(b)) for a, b in spans]
        self.painter.moment_selected = selected
        self.update()

    @property
    def moments(self) -> list[tuple[float, float]]:
        return list(self.painter.moments)

    # -- segment edits through the undo stack (keymap's SegmentEdits) -------------------------------

    def add_segment(self, start: float, end: float, label: str = "") -> None:
        self.undo_stack.push(AddSegment(self.model, start, end, label))

    def remove_segment(self, segment_id: int) -> None:
        self.undo_stack.push(RemoveSegment(self.model, segment_id))

    def add_segments(self, spans, text: str = "Add segments") -> None:
        """Add (start, end[, label]) spans as one undoable edit: one undo removes them all."""
        spans = list(spans)
        if spans:
            self.undo_stack.push(AddSegments(self.model, spans, text))

    def import_csv(self, paths: list[Path]) -> int:
        """Add the segments of CSV files (start,end,label) as one undoable edit; returns how many.
        If any file cannot be read or parsed, nothing is added and ``message`` says why."""
        spans, names = [], []
        for path in paths:
            try:
                if path.stat().st_size > MAX_CSV_BYTES:
                    raise ValueError("it is too large for a list of segments")
                raw = path.read_bytes()
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:  # a spreadsheet's export on Windows, most likely
                    text = raw.decode("cp1252", errors="replace")
                spans += [(s.start, s.end, s.label) for s in from_csv(text, duration=self.model.duration)]
            except FastClipError as e:
                emit(self.message, f"{path.name}: {e.message}. No segments were added.")
                return 0
            except (OSError, ValueError) as e:
                emit(self.message, f"Could not read {path.name}: {e}. No segments were added.")
                return 0
            names.append(path.name)
        if not spans:
            emit(self.message, f"No segments in {', '.join(names)}.")
            return 0
        n = len(spans)
        self.add_segments(spans, f"Import {n} segment{'s' if n != 1 else ''} from {', '.join(names)}")
        return n

    # -- geometry (geometry.py, at the widget's current width) --------------------------------------

    def measure(self) -> TimelineGeometry:
        """Where things are now: the rows, lanes and bars at the current width and view."""
        return TimelineGeometry(self.model, self.width())

    def time_at(self, x: float) -> float:
        return self.model.time_at(x, self.width())

    def x_of(self, t: float) -> float:
        return self.model.x_of(t, self.width())

    def row_rect(self, name: str) -> QRectF:
        """Where a row ("ruler", "pictures", "waveform", "segments") is drawn."""
        return self.measure().row_rect(name)

    def lane_rect(self) -> QRectF:
        return self.measure().lane_rect()

    def sublane_rect(self, lane: int, count: int | None = None) -> QRectF:
        """Sub-row ``lane`` of the segment lane when there are ``count`` (the model's by default)."""
        return self.measure().sublane_rect(lane, count)

    def lane_at(self, y: float) -> int | None:
        """The sub-row of the segment lane under ``y`` (None outside the lane)."""
        return self.measure().lane_at(y)

    def segment_rect(self, segment_id: int) -> QRectF:
        """The bar of a segment in its sub-row of the lane."""
        return self.measure().segment_rect(segment_id)

    def moment_rect(self, index: int) -> QRectF:
        """The bar of moment ``index`` in the lane of moments."""
        return self.measure().moment_rect(*self.painter.moments[index])

    def bar_text(self, segment: Segment, number: int, width: float) -> str:
        """What a bar ``width`` px wide says: its number, its label and its length, as far as they fit."""
        return bar_text(segment, number, width, self.font())

    # -- mouse, wheel, keys, drops (the mouse and the wheel: gestures.py) ---------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.gestures.press(event):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.gestures.move(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.gestures.release(event):
            super().mouseReleaseEvent(event)  # another button: the left one still drags

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        self.gestures.wheel(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        name, modifiers = key_names(event)
        action = action_for(name, modifiers) if name else None
        if action is None:
            return super().keyPressEvent(event)
        perform(action, self.model, self.player, self)
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self.model.duration > 0 and csv_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()  # not ours: a parent may take it (a media file, say)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = csv_paths(event.mimeData())
        if self.model.duration <= 0 or not paths:
            return event.ignore()
        event.acceptProposedAction()
        self.import_csv(paths)

    def _on_model(self, changed: set[str]) -> None:
        if "media" in changed:
            self.painter.media_changed()
        self.update()

    # -- painting (painter.py) ----------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        self.painter.paint(p, self.measure(), self.height(), self.font())
        p.end()
