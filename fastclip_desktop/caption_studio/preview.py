"""CaptionPreview: shows the rendered caption states in turn, and turns a drag into a position.

The pictures come from the engine's renderer (see ``rendering.py``); this widget only scales them
to fit and cycles through them (one word every 400 ms), so the active word moves along the sample
sentence as it will in the export. When the preset is editable, dragging the caption moves its
centre: ``position_dragged(x, y)`` (fractions of the frame) fires while the mouse moves and
``drag_finished()`` on release. Grabbing the caption keeps the point under the mouse; pressing
elsewhere on the picture puts the caption's centre there. A dashed outline shows where the caption
is going while the new render is on its way.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..worker_adapter import emit
from .frames import WORD_SECONDS, CaptionState
from .rendering import RenderedPreview

STEP_MS = round(WORD_SECONDS * 1000)
GRAB_MARGIN = 12  # image pixels around the text block that still grab the caption

COLORS = {
    "background": QColor("#141518"),
    "outline": QColor(255, 183, 77, 200),
    "hover": QColor(255, 255, 255, 110),
    "text": QColor("#8a9099"),
}


class CaptionPreview(QWidget):
    position_dragged = Signal(float, float)
    drag_finished = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.setMouseTracking(True)
        self.preview: RenderedPreview | None = None
        self.index = 0
        self.draggable = False
        self.message = "Drawing the preview…"
        self._drag: tuple[float, float] | None = None  # offset from the press to the caption's centre (image px)
        self._ghost: QPointF | None = None  # where the caption's centre is being dragged to (image px)
        self._hover = False
        self.timer = QTimer(self)
        self.timer.setInterval(STEP_MS)
        self.timer.timeout.connect(self.step)

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    # -- what it shows --------------------------------------------------------------------------------

    def show_preview(self, preview: RenderedPreview) -> None:
        self.preview = preview
        self.index %= max(1, len(preview.images))
        self.message = ""
        if self._drag is None:
            self._ghost = None
        self.update()

    def show_message(self, text: str) -> None:
        """A line over an empty preview (e.g. no preset selected)."""
        self.message = text
        self.update()

    def set_draggable(self, on: bool) -> None:
        self.draggable = on
        if not on:
            self._drag = self._ghost = None
            self.unsetCursor()
        self.update()

    @property
    def current_state(self) -> CaptionState | None:
        if self.preview is None or not self.preview.states.states:
            return None
        return self.preview.states.states[self.index % len(self.preview.states.states)]

    @property
    def current_image(self) -> QImage | None:
        if self.preview is None or not self.preview.images:
            return None
        return self.preview.images[self.index % len(self.preview.images)]

    def step(self) -> None:
        """The next word (the animation's tick)."""
        if self.preview is not None and len(self.preview.images) > 1:
            self.index = (self.index + 1) % len(self.preview.images)
            self.update()

    # -- geometry -------------------------------------------------------------------------------------

    def image_rect(self) -> QRectF:
        """Where the picture is drawn in the widget: scaled to fit, centred."""
        if self.preview is None:
            return QRectF()
        w, h = self.preview.states.size
        scale = min(self.width() / w, self.height() / h)
        dw, dh = w * scale, h * scale
        return QRectF((self.width() - dw) / 2, (self.height() - dh) / 2, dw, dh)

    def to_image(self, pos: QPointF) -> QPointF:
        """A widget point in image pixels."""
        rect = self.image_rect()
        w, _ = self.preview.states.size
        scale = rect.width() / w
        return QPointF((pos.x() - rect.x()) / scale, (pos.y() - rect.y()) / scale)

    def to_widget(self, x: float, y: float) -> QPointF:
        rect = self.image_rect()
        scale = rect.width() / self.preview.states.size[0]
        return QPointF(rect.x() + x * scale, rect.y() + y * scale)

    def caption_hit(self, point: QPointF) -> bool:
        state = self.current_state
        if state is None:
            return False
        x0, y0, x1, y1 = state.block
        m = GRAB_MARGIN
        return x0 - m <= point.x() <= x1 + m and y0 - m <= point.y() <= y1 + m

    # -- dragging -------------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        state = self.current_state
        if not self.draggable or state is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        point = self.to_image(event.position())
        x0, y0, x1, y1 = state.block
        if self.caption_hit(point):
            self._drag = ((x0 + x1) / 2 - point.x(), (y0 + y1) / 2 - point.y())
        else:
            self._drag = (0.0, 0.0)
        self.setCursor(Qt.CursorShape.ClosedHandCursor)
        self._move_to(point)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.preview is None:
            return super().mouseMoveEvent(event)
        point = self.to_image(event.position())
        if self._drag is not None:
            self._move_to(point)
            event.accept()
            return
        hover = self.draggable and self.caption_hit(point)
        if hover != self._hover:
            self._hover = hover
            if hover:
                self.setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.unsetCursor()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        self._move_to(self.to_image(event.position()))
        self._drag = None
        self.setCursor(Qt.CursorShape.OpenHandCursor if self.draggable else Qt.CursorShape.ArrowCursor)
        emit(self.drag_finished)
        event.accept()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.timer.stop()

    def leaveEvent(self, event) -> None:
        if self._hover:
            self._hover = False
            self.update()
        super().leaveEvent(event)

    def _move_to(self, point: QPointF) -> None:
        w, h = self.preview.states.size
        dx, dy = self._drag
        cx, cy = min(max(point.x() + dx, 0.0), w), min(max(point.y() + dy, 0.0), h)
        self._ghost = QPointF(cx, cy)
        self.update()
        emit(self.position_dragged, cx / w, cy / h)

    # -- painting -------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), COLORS["background"])
        image = self.current_image
        if image is None:
            p.setPen(COLORS["text"])
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(self.image_rect(), image)
        state = self.current_state
        if self.draggable and state is not None and (self._hover or self._ghost is not None):
            x0, y0, x1, y1 = state.block
            if self._ghost is not None:  # the block, moved to where the mouse is taking it
                hw, hh = (x1 - x0) / 2, (y1 - y0) / 2
                x0, y0, x1, y1 = self._ghost.x() - hw, self._ghost.y() - hh, self._ghost.x() + hw, self._ghost.y() + hh
            m = GRAB_MARGIN / 2
            box = QRectF(self.to_widget(x0 - m, y0 - m), self.to_widget(x1 + m, y1 + m))
            pen = QPen(COLORS["outline"] if self._ghost is not None else COLORS["hover"], 1.5, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(box, 4, 4)
