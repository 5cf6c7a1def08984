"""TimelineWidget: draws a TimelineModel and turns mouse, wheel and keys into changes of it.

From the top (``ROWS``): a ruler with time labels and keyframe ticks, the thumbnail strip, the
waveform and the segment lane. Over them: the in/out band, the segments (in keyframe mode, a hatched
lead-in shows where a cut really starts), and the playhead. Overlapping segments are drawn in
sub-rows of the segment lane (the model's ``lanes``), which share the lane's fixed height, so none
hides another and the widget never changes height. A bar shows the segment's number, its label
(elided) and its length, as far as there is room.

Dragging on the ruler, pictures or waveform scrubs (``scrub(t, final)``: keyframe seeks while
dragging, exact on release); a segment's edge resizes it, its bar in the lane moves it (in the lane,
only the sub-row under the mouse is hit); the wheel zooms around the cursor, or around the playhead
while playing (Shift+wheel scrolls). Dropping a ``.csv`` of segments (start,end,label) adds them all
as one undoable edit; a file that cannot be read is reported through ``message``. Every segment
edit goes through the QUndoStack. Painting only reads what is already in memory.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetricsF,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QUndoStack,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine import FastClipError, ThumbnailStrip, Waveform, clock_text, from_csv

from ..player.controller import PlayerController
from ..worker_adapter import emit
from .commands import AddSegment, AddSegments, MoveSegment, RemoveSegment, ResizeSegment
from .keymap import action_for, perform
from .model import KEYFRAME, Segment, TimelineModel
from .player_link import PlayerLink

RULER_H, THUMBS_H, WAVE_H, LANE_H = 20, 44, 36, 30
# The rows from the top. Another lane (the AI's moments, say) is one more entry here and a painter.
ROWS = (("ruler", RULER_H), ("pictures", THUMBS_H), ("waveform", WAVE_H), ("segments", LANE_H))
HEIGHT = sum(h for _, h in ROWS)
MIN_SUBLANE_H = 6  # a sub-row of the segment lane is this high at least, while LANE_H holds them
EDGE_PX = 6  # how near an edge the mouse must be to grab it
MAX_CSV_BYTES = 2_000_000  # a segments file is small; a bigger one is surely not one
TICK_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)

COLORS = {
    "background": QColor("#1b1c1f"),
    "ruler": QColor("#25272b"),
    "ruler_text": QColor("#a4a9b0"),
    "tick": QColor("#50555c"),
    "keyframe": QColor("#8fd3ff"),
    "pictures": QColor("#101113"),
    "wave_bg": QColor("#15161a"),
    "wave": QColor("#4fb8e8"),
    "lane": QColor("#202226"),
    "segment": QColor(255, 183, 77, 52),
    "segment_bar": QColor("#c98a2e"),
    "segment_selected": QColor("#ffb74d"),
    "segment_text": QColor("#1b1c1f"),
    "lead_in": QColor(255, 183, 77, 150),
    "marks": QColor(102, 187, 106, 46),
    "mark_line": QColor("#66bb6a"),
    "playhead": QColor("#ff5252"),
}

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


def ruler_text(t: float, step: float) -> str:
    """A ruler label: m:ss (h:mm:ss past an hour), with tenths when the ticks are under a second apart."""
    return clock_text(t, 1 if step < 1 else 0)


def csv_paths(mime: QMimeData) -> list[Path]:
    """The local .csv files a drag carries."""
    return [Path(url.toLocalFile()) for url in mime.urls()
            if url.isLocalFile() and url.toLocalFile().lower().endswith(".csv")]


class TimelineWidget(QWidget):
    scrub = Signal(float, bool)  # time, final (mouse released)
    message = Signal(str)  # something the user should read (a dropped file that could not be used)

    def __init__(self, model: TimelineModel, player: PlayerController | None = None,
                 undo_stack: QUndoStack | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.player = player if player is not None else PlayerController()
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.link = PlayerLink(model, self.player)
        self._unsubscribe = model.subscribe(self._on_model)
        self.strip: ThumbnailStrip | None = None
        self._images: list[QImage] = []
        self.waveform: Waveform | None = None
        self._wave_gain = 1.0
        self._wave_cache: tuple[tuple, QImage] | None = None
        self._drag: dict | None = None
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

    def set_thumbnails(self, strip: ThumbnailStrip | None) -> None:
        self.strip = strip
        images: dict[bytes, QImage] = {}
        self._images = []
        for t in strip.thumbnails if strip else ():
            if t.jpeg not in images:  # slots that share a keyframe share a picture
                images[t.jpeg] = QImage.fromData(t.jpeg, "JPEG")
            self._images.append(images[t.jpeg])
        self.update()

    def set_waveform(self, waveform: Waveform | None) -> None:
        self.waveform = waveform
        peak = 0.0
        if waveform is not None and waveform.buckets:
            peak = float(max(np.abs(waveform.mins).max(), np.abs(waveform.maxs).max()))
        self._wave_gain = min(4.0, 0.95 / peak) if peak > 0 else 1.0  # quiet files still show
        self._wave_cache = None
        self.update()

    # -- segment edits through the undo stack (keymap's SegmentEdits) -------------------------------

    def add_segment(self, start: float, end: float) -> None:
        self.undo_stack.push(AddSegment(self.model, start, end))

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

    # -- geometry -----------------------------------------------------------------------------------

    def time_at(self, x: float) -> float:
        return self.model.time_at(x, self.width())

    def x_of(self, t: float) -> float:
        return self.model.x_of(t, self.width())

    def row_rect(self, name: str) -> QRectF:
        """Where a row of ``ROWS`` ("ruler", "pictures", "waveform", "segments") is drawn."""
        top = 0
        for row, height in ROWS:
            if row == name:
                return QRectF(0, top, self.width(), height)
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

    def segment_rect(self, segment_id: int) -> QRectF:
        """The bar of a segment in its sub-row of the lane."""
        return self._bar_rect(self.model.segment(segment_id), self.model.lanes(), self.model.lane_count())

    def _bar_rect(self, segment: Segment, lanes: dict[int, int], count: int) -> QRectF:
        row = self.sublane_rect(lanes[segment.id], count)
        pad = 3 if row.height() >= 18 else 1 if row.height() >= MIN_SUBLANE_H else 0
        x0, x1 = self.x_of(segment.start), self.x_of(segment.end)
        return QRectF(x0, row.top() + pad, max(2.0, x1 - x0), row.height() - 2 * pad)

    def bar_text(self, segment: Segment, number: int, width: float) -> str:
        """What a bar ``width`` px wide says: its number, its label and its length, as far as they fit
        (the label elided first, then the length dropped)."""
        metrics = QFontMetricsF(self._bar_font())
        length = clock_text(segment.duration, 1)
        head = f"{number}  {segment.label}" if segment.label else str(number)
        full = f"{head}  ·  {length}" if segment.label else f"{head}  {length}"
        if metrics.horizontalAdvance(full) <= width:
            return full
        if metrics.horizontalAdvance(str(number)) > width:
            return ""
        return metrics.elidedText(head, Qt.TextElideMode.ElideRight, width)

    def _bar_font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(11)
        return font

    def _in_lane(self, y: float) -> bool:
        return y >= self.lane_rect().top()

    def _hits(self, t: float, y: float) -> tuple[tuple[Segment, str] | None, Segment | None]:
        """(edge, body) under the mouse: on the pictures and the waveform, the edge of any segment; in
        the lane, the edge or the bar of a segment in the sub-row under the mouse; on the ruler, none."""
        if y < self.row_rect("pictures").top():
            return None, None
        slack = EDGE_PX / max(self.width(), 1) * self.model.view_span
        lane = self.lane_at(y)
        if lane is None:
            return self.model.edge_at(t, slack), None
        return self.model.edge_at(t, slack, lane), self.model.segment_at(t, lane)

    # -- mouse, wheel, keys -------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self.model.duration <= 0:
            return super().mousePressEvent(event)
        x, y = event.position().x(), event.position().y()
        t = self.time_at(x)
        edge, hit = self._hits(t, y)
        if edge:
            segment, which = edge
            self.model.select(segment.id)
            self._drag = {"kind": "resize", "id": segment.id, "edge": which, "before": (segment.start, segment.end)}
        elif hit:
            self.model.select(hit.id)
            self._drag = {"kind": "move", "id": hit.id, "grab": t - hit.start, "before": (hit.start, hit.end)}
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        else:
            if self._in_lane(y):
                self.model.select(None)
            self._drag = {"kind": "scrub"}
            self._scrub(t, final=False)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        x, y = event.position().x(), event.position().y()
        t = self.time_at(x)
        drag = self._drag
        if drag is None:
            self._hover_cursor(t, y)
        elif drag["kind"] == "scrub":
            self._scrub(t, final=False)
        elif drag["kind"] == "resize":
            self.model.resize_segment(drag["id"], drag["edge"], t)
        elif drag["kind"] == "move":
            self.model.move_segment(drag["id"], t - drag["grab"])
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)  # another button: the left one still drags
        drag, self._drag = self._drag, None
        t = self.time_at(event.position().x())
        if drag["kind"] == "scrub":
            self._scrub(t, final=True)
        else:
            segment = self.model.segment(drag["id"])
            after = (segment.start, segment.end)
            if after != drag["before"]:
                command = ResizeSegment if drag["kind"] == "resize" else MoveSegment
                self.undo_stack.push(command(self.model, drag["id"], drag["before"], after))
        self._hover_cursor(t, event.position().y())
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        delta = event.angleDelta()
        m = self.model
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier or abs(delta.x()) > abs(delta.y()):
            steps = (delta.x() or delta.y()) / 120
            m.scroll(-steps * 0.1 * m.view_span)
        else:  # while playing, around the playhead: the view follows it, a zoom elsewhere would jump back
            anchor = m.playhead if self.player.playing else self.time_at(event.position().x())
            m.zoom(1.25 ** (delta.y() / 120), anchor)
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

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        name = KEY_NAMES.get(Qt.Key(event.key()))
        modifiers = frozenset(n for flag, n in MODIFIER_NAMES.items() if event.modifiers() & flag)
        action = action_for(name, modifiers) if name else None
        if action is None:
            return super().keyPressEvent(event)
        perform(action, self.model, self.player, self)
        event.accept()

    def _scrub(self, t: float, final: bool) -> None:
        t = self.link.scrub(t, final)
        emit(self.scrub, t, final)

    def _hover_cursor(self, t: float, y: float) -> None:
        edge, hit = self._hits(t, y)
        if edge:
            self.setCursor(Qt.CursorShape.SizeHorCursor)
        elif hit:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()

    def _on_model(self, changed: set[str]) -> None:
        if "media" in changed:
            self._wave_cache = None
        self.update()

    # -- painting -----------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, COLORS["background"])
        if self.model.duration > 0:
            self._paint_ruler(p, w)
            self._paint_pictures(p, w)
            self._paint_waveform(p, w)
            self._paint_lane(p, w)
            self._paint_marks(p, h)
            self._paint_segments(p, h)
            self._paint_playhead(p, h)
        p.setPen(QPen(COLORS["background"], 1))
        for y in (RULER_H, RULER_H + THUMBS_H, RULER_H + THUMBS_H + WAVE_H):
            p.drawLine(QPointF(0, y - 0.5), QPointF(w, y - 0.5))
        p.end()

    def _paint_ruler(self, p: QPainter, w: int) -> None:
        m = self.model
        p.fillRect(QRectF(0, 0, w, RULER_H), COLORS["ruler"])
        step = next((s for s in TICK_STEPS if s / m.view_span * w >= 90), TICK_STEPS[-1])
        font = QFont(self.font())
        font.setPixelSize(10)
        p.setFont(font)
        first = math.ceil(m.view_start / step) * step
        count = int((m.view_end - first) / step) + 1
        for i in range(count):
            t = first + i * step
            x = round(self.x_of(t)) + 0.5
            p.setPen(COLORS["tick"])
            p.drawLine(QPointF(x, RULER_H - 7), QPointF(x, RULER_H))
            p.setPen(COLORS["ruler_text"])
            p.drawText(QPointF(x + 3, 11), ruler_text(t, step))
        keys = m.keyframe_times(m.view_start, m.view_end)
        if keys and len(keys) <= w / 4:  # too dense to read: not drawn
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(COLORS["keyframe"])
            for t in keys:  # a small notch on the ruler's lower edge at each keyframe
                x = self.x_of(t)
                p.drawPolygon(QPolygonF([QPointF(x - 3, RULER_H), QPointF(x + 3, RULER_H), QPointF(x, RULER_H - 5)]))
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_pictures(self, p: QPainter, w: int) -> None:
        top = RULER_H
        p.fillRect(QRectF(0, top, w, THUMBS_H), COLORS["pictures"])
        strip, m = self.strip, self.model
        if not strip or not self._images:
            return
        first = strip.thumbnails[0]
        tile_w = max(8.0, THUMBS_H * first.width / first.height)
        tile_t = tile_w / w * m.view_span
        i = math.floor((m.view_start - m.start) / tile_t)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        while True:
            t0 = m.start + i * tile_t
            if t0 >= m.view_end or t0 >= m.end:
                break
            slot = strip.slot_at(t0 + tile_t / 2)
            x0 = self.x_of(t0)
            target = QRectF(x0, top, tile_w, THUMBS_H)
            image = self._images[slot]
            p.drawImage(target, image, QRectF(image.rect()))
            i += 1
        p.fillRect(QRectF(self.x_of(m.end), top, w, THUMBS_H), COLORS["background"])

    def _paint_waveform(self, p: QPainter, w: int) -> None:
        top = RULER_H + THUMBS_H
        p.fillRect(QRectF(0, top, w, WAVE_H), COLORS["wave_bg"])
        wave, m = self.waveform, self.model
        if wave is None or not wave.buckets:
            return
        key = (m.view_start, m.view_end, w, id(wave))
        if self._wave_cache is None or self._wave_cache[0] != key:
            self._wave_cache = (key, self._wave_image(wave, w))
        p.drawImage(QPointF(0, top), self._wave_cache[1])

    def _wave_image(self, wave: Waveform, w: int) -> QImage:
        """The waveform's columns as a picture, made with numpy (no Python loop per pixel)."""
        m = self.model
        lo, hi = wave.columns(m.view_start, m.view_end, w)
        mid, half = WAVE_H / 2, WAVE_H / 2 - 2
        g = self._wave_gain * half
        top = np.floor(mid - np.maximum(hi * g, 0.5))
        bottom = np.ceil(mid - np.minimum(lo * g, -0.5))
        rows = np.arange(WAVE_H)[:, None]
        inside = (rows >= top[None, :]) & (rows < bottom[None, :])
        x1 = min(w, max(0, math.ceil(self.x_of(m.end))))
        inside[:, x1:] = False
        pixels = np.where(inside, np.uint32(COLORS["wave"].rgba()), np.uint32(COLORS["wave_bg"].rgba()))
        pixels = np.ascontiguousarray(pixels, dtype=np.uint32)
        image = QImage(pixels.data, w, WAVE_H, w * 4, QImage.Format.Format_ARGB32)
        return image.copy()  # own the pixels: the numpy buffer goes away

    def _paint_lane(self, p: QPainter, w: int) -> None:
        p.fillRect(self.lane_rect(), COLORS["lane"])

    def _paint_marks(self, p: QPainter, h: int) -> None:
        m = self.model
        if m.in_point is None and m.out_point is None:
            return
        if m.in_point is not None:
            end = m.out_point if m.out_point is not None else max(m.playhead, m.in_point)
            x0, x1 = self.x_of(m.in_point), self.x_of(end)
            p.fillRect(QRectF(x0, RULER_H, x1 - x0, h - RULER_H), COLORS["marks"])
        p.setPen(QPen(COLORS["mark_line"], 2))
        for t, sign in ((m.in_point, 1), (m.out_point, -1)):
            if t is None:
                continue
            x = self.x_of(t)
            p.drawLine(QPointF(x, RULER_H), QPointF(x, h))
            p.drawLine(QPointF(x, RULER_H + 1), QPointF(x + 6 * sign, RULER_H + 1))
            p.drawLine(QPointF(x, h - 1), QPointF(x + 6 * sign, h - 1))

    def _paint_segments(self, p: QPainter, h: int) -> None:
        m, lane = self.model, self.lane_rect()
        lanes, count = m.lanes(), m.lane_count()
        p.setFont(self._bar_font())
        for number, segment in enumerate(m.ordered(), start=1):
            x0, x1 = self.x_of(segment.start), self.x_of(segment.end)
            if x1 < 0 or x0 > self.width():
                continue
            selected = segment.id == m.selected
            p.fillRect(QRectF(x0, RULER_H, x1 - x0, lane.top() - RULER_H), COLORS["segment"])
            bar = self._bar_rect(segment, lanes, count)
            real_start, _ = m.real_span(segment)
            if m.mode == KEYFRAME and real_start < segment.start - 1e-6:
                rx = self.x_of(real_start)  # the cut really starts at this keyframe
                p.fillRect(QRectF(rx, bar.top(), x0 - rx, bar.height()),
                           QBrush(COLORS["lead_in"], Qt.BrushStyle.BDiagPattern))
            p.setPen(QPen(QColor("#ffffff") if selected else COLORS["segment_bar"], 1.5 if selected else 1))
            p.setBrush(COLORS["segment_selected"] if selected else COLORS["segment_bar"])
            p.drawRoundedRect(bar, min(3, bar.height() / 2), min(3, bar.height() / 2))
            p.setPen(QPen(COLORS["segment_selected"], 2 if selected else 1))
            for x in (x0, x1):
                p.drawLine(QPointF(x, RULER_H), QPointF(x, bar.bottom()))
            if bar.height() >= 12:
                text = self.bar_text(segment, number, bar.width() - 10)
                if text:
                    p.setPen(COLORS["segment_text"])
                    p.drawText(bar.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                               text)

    def _paint_playhead(self, p: QPainter, h: int) -> None:
        x = round(self.x_of(self.model.playhead))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(QRectF(x - 1, 4, 2, h - 4), COLORS["playhead"])  # crisp, two pixels wide
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(COLORS["playhead"])
        p.drawPolygon(QPolygonF([QPointF(x - 5, 0), QPointF(x + 5, 0), QPointF(x, 8)]))
