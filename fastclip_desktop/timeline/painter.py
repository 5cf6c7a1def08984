"""How a TimelineWidget is drawn, and the pictures it draws from.

``TimelinePainter`` keeps what arrives from the worker adapter in a form that is quick to draw (the
thumbnails decoded once, the waveform's gain, its last rendered image) and paints every row from the
top: a ruler with time labels and keyframe ticks, the thumbnail strip, the waveform and the segment
lane and the lane of moments; over them the in/out band, the segments (in keyframe mode, a hatched
lead-in shows where a cut really starts), the moments (numbered by rank, the chosen one lit) and the
playhead. A bar shows the segment's number, its label (elided) and its length, as far as there is room. Painting only reads what is already in memory.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPen,
    QPolygonF,
)

from engine import clock_text

from .geometry import RULER_H, THUMBS_H, WAVE_H, TimelineGeometry
from .model import KEYFRAME
from .segments import Segment

if TYPE_CHECKING:  # the types only: their modules import PyAV and numpy, which the GUI needs later
    from engine import ThumbnailStrip, Waveform

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
    "moments_lane": QColor("#1d1b24"),
    "moment": QColor("#7e67b0"),
    "moment_selected": QColor("#b39ddb"),
    "moment_text": QColor("#15161a"),
}


def ruler_text(t: float, step: float) -> str:
    """A ruler label: m:ss (h:mm:ss past an hour), with tenths when the ticks are under a second apart."""
    return clock_text(t, 1 if step < 1 else 0)


def bar_font(base: QFont) -> QFont:
    """The font of the segment bars' text: ``base`` (the widget's) at 11 px."""
    font = QFont(base)
    font.setPixelSize(11)
    return font


def bar_text(segment: Segment, number: int, width: float, base: QFont) -> str:
    """What a bar ``width`` px wide says: its number, its label and its length, as far as they fit
    (the label elided first, then the length dropped)."""
    metrics = QFontMetricsF(bar_font(base))
    length = clock_text(segment.duration, 1)
    head = f"{number}  {segment.label}" if segment.label else str(number)
    full = f"{head}  ·  {length}" if segment.label else f"{head}  {length}"
    if metrics.horizontalAdvance(full) <= width:
        return full
    if metrics.horizontalAdvance(str(number)) > width:
        return ""
    return metrics.elidedText(head, Qt.TextElideMode.ElideRight, width)


class TimelinePainter:
    def __init__(self) -> None:
        self.strip: ThumbnailStrip | None = None
        self._images: list[QImage] = []
        self.waveform: Waveform | None = None
        self._wave_gain = 1.0
        self._wave_cache: tuple[tuple, QImage] | None = None
        self.moments: list[tuple[float, float]] = []  # best first (the Moments panel's)
        self.moment_selected: int | None = None

    # -- the pictures -------------------------------------------------------------------------------

    def set_thumbnails(self, strip: ThumbnailStrip | None) -> None:
        self.strip = strip
        images: dict[bytes, QImage] = {}
        self._images = []
        for t in strip.thumbnails if strip else ():
            if t.jpeg not in images:  # slots that share a keyframe share a picture
                images[t.jpeg] = QImage.fromData(t.jpeg, "JPEG")
            self._images.append(images[t.jpeg])

    def set_waveform(self, waveform: Waveform | None) -> None:
        self.waveform = waveform
        peak = 0.0
        if waveform is not None and waveform.buckets:
            peak = float(max(abs(waveform.mins).max(), abs(waveform.maxs).max()))
        self._wave_gain = min(4.0, 0.95 / peak) if peak > 0 else 1.0  # quiet files still show
        self._wave_cache = None

    def media_changed(self) -> None:
        """Another file: the last one's pictures and sound are not its own (its own come as read)."""
        self.set_thumbnails(None)
        self.set_waveform(None)

    # -- painting -----------------------------------------------------------------------------------

    def paint(self, p: QPainter, geo: TimelineGeometry, h: int, font: QFont) -> None:
        """Paint the whole timeline, ``geo.width`` by ``h`` px, with ``font`` (the widget's) as the base."""
        w = geo.width
        p.fillRect(0, 0, w, h, COLORS["background"])
        if geo.model.duration > 0:
            self._paint_ruler(p, geo, font)
            self._paint_pictures(p, geo)
            self._paint_waveform(p, geo)
            p.fillRect(geo.lane_rect(), COLORS["lane"])
            self._paint_marks(p, geo, h)
            self._paint_segments(p, geo, font)
            self._paint_moments(p, geo, font)
            self._paint_playhead(p, geo, h)
        p.setPen(QPen(COLORS["background"], 1))
        for y in (RULER_H, RULER_H + THUMBS_H, RULER_H + THUMBS_H + WAVE_H, geo.row_rect("moments").top()):
            p.drawLine(QPointF(0, y - 0.5), QPointF(w, y - 0.5))

    def _paint_ruler(self, p: QPainter, geo: TimelineGeometry, base: QFont) -> None:
        m, w = geo.model, geo.width
        p.fillRect(QRectF(0, 0, w, RULER_H), COLORS["ruler"])
        step = next((s for s in TICK_STEPS if s / m.view_span * w >= 90), TICK_STEPS[-1])
        font = QFont(base)
        font.setPixelSize(10)
        p.setFont(font)
        first = math.ceil(m.view_start / step) * step
        count = int((m.view_end - first) / step) + 1
        for i in range(count):
            t = first + i * step
            x = round(geo.x_of(t)) + 0.5
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
                x = geo.x_of(t)
                p.drawPolygon(QPolygonF([QPointF(x - 3, RULER_H), QPointF(x + 3, RULER_H), QPointF(x, RULER_H - 5)]))
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_pictures(self, p: QPainter, geo: TimelineGeometry) -> None:
        top, w = RULER_H, geo.width
        p.fillRect(QRectF(0, top, w, THUMBS_H), COLORS["pictures"])
        strip, m = self.strip, geo.model
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
            x0 = geo.x_of(t0)
            target = QRectF(x0, top, tile_w, THUMBS_H)
            image = self._images[slot]
            p.drawImage(target, image, QRectF(image.rect()))
            i += 1
        p.fillRect(QRectF(geo.x_of(m.end), top, w, THUMBS_H), COLORS["background"])

    def _paint_waveform(self, p: QPainter, geo: TimelineGeometry) -> None:
        top, w = RULER_H + THUMBS_H, geo.width
        p.fillRect(QRectF(0, top, w, WAVE_H), COLORS["wave_bg"])
        wave, m = self.waveform, geo.model
        if wave is None or not wave.buckets:
            return
        key = (m.view_start, m.view_end, w, id(wave))
        if self._wave_cache is None or self._wave_cache[0] != key:
            self._wave_cache = (key, self._wave_image(wave, geo))
        p.drawImage(QPointF(0, top), self._wave_cache[1])

    def _wave_image(self, wave: Waveform, geo: TimelineGeometry) -> QImage:
        """The waveform's columns as a picture, made with numpy (no Python loop per pixel)."""
        import numpy as np  # when the waveform has come (the GUI starts without numpy: ~0.2 s)

        m, w = geo.model, geo.width
        lo, hi = wave.columns(m.view_start, m.view_end, w)
        mid, half = WAVE_H / 2, WAVE_H / 2 - 2
        g = self._wave_gain * half
        top = np.floor(mid - np.maximum(hi * g, 0.5))
        bottom = np.ceil(mid - np.minimum(lo * g, -0.5))
        rows = np.arange(WAVE_H)[:, None]
        inside = (rows >= top[None, :]) & (rows < bottom[None, :])
        x1 = min(w, max(0, math.ceil(geo.x_of(m.end))))
        inside[:, x1:] = False
        pixels = np.where(inside, np.uint32(COLORS["wave"].rgba()), np.uint32(COLORS["wave_bg"].rgba()))
        pixels = np.ascontiguousarray(pixels, dtype=np.uint32)
        image = QImage(pixels.data, w, WAVE_H, w * 4, QImage.Format.Format_ARGB32)
        return image.copy()  # own the pixels: the numpy buffer goes away

    def _paint_marks(self, p: QPainter, geo: TimelineGeometry, h: int) -> None:
        m = geo.model
        if m.in_point is None and m.out_point is None:
            return
        if m.in_point is not None:
            end = m.out_point if m.out_point is not None else max(m.playhead, m.in_point)
            x0, x1 = geo.x_of(m.in_point), geo.x_of(end)
            p.fillRect(QRectF(x0, RULER_H, x1 - x0, h - RULER_H), COLORS["marks"])
        p.setPen(QPen(COLORS["mark_line"], 2))
        for t, sign in ((m.in_point, 1), (m.out_point, -1)):
            if t is None:
                continue
            x = geo.x_of(t)
            p.drawLine(QPointF(x, RULER_H), QPointF(x, h))
            p.drawLine(QPointF(x, RULER_H + 1), QPointF(x + 6 * sign, RULER_H + 1))
            p.drawLine(QPointF(x, h - 1), QPointF(x + 6 * sign, h - 1))

    def _paint_segments(self, p: QPainter, geo: TimelineGeometry, base: QFont) -> None:
        m, lane = geo.model, geo.lane_rect()
        lanes, count = m.lanes(), m.lane_count()
        p.setFont(bar_font(base))
        for number, segment in enumerate(m.ordered(), start=1):
            x0, x1 = geo.x_of(segment.start), geo.x_of(segment.end)
            if x1 < 0 or x0 > geo.width:
                continue
            selected = segment.id == m.selected
            p.fillRect(QRectF(x0, RULER_H, x1 - x0, lane.top() - RULER_H), COLORS["segment"])
            bar = geo.bar_rect(segment, lanes, count)
            real_start, _ = m.real_span(segment)
            if m.mode == KEYFRAME and real_start < segment.start - 1e-6:
                rx = geo.x_of(real_start)  # the cut really starts at this keyframe
                p.fillRect(QRectF(rx, bar.top(), x0 - rx, bar.height()),
                           QBrush(COLORS["lead_in"], Qt.BrushStyle.BDiagPattern))
            p.setPen(QPen(QColor("#ffffff") if selected else COLORS["segment_bar"], 1.5 if selected else 1))
            p.setBrush(COLORS["segment_selected"] if selected else COLORS["segment_bar"])
            p.drawRoundedRect(bar, min(3, bar.height() / 2), min(3, bar.height() / 2))
            p.setPen(QPen(COLORS["segment_selected"], 2 if selected else 1))
            for x in (x0, x1):
                p.drawLine(QPointF(x, RULER_H), QPointF(x, bar.bottom()))
            if bar.height() >= 12:
                text = bar_text(segment, number, bar.width() - 10, base)
                if text:
                    p.setPen(COLORS["segment_text"])
                    p.drawText(bar.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                               text)

    def _paint_moments(self, p: QPainter, geo: TimelineGeometry, base: QFont) -> None:
        p.fillRect(geo.row_rect("moments"), COLORS["moments_lane"])
        font = QFont(base)
        font.setPixelSize(10)
        p.setFont(font)
        metrics = QFontMetricsF(font)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        order = [k for k in range(len(self.moments)) if k != self.moment_selected]
        if self.moment_selected is not None and self.moment_selected < len(self.moments):
            order.append(self.moment_selected)  # the chosen one drawn last: on top
        for k in order:
            start, end = self.moments[k]
            bar = geo.moment_rect(start, end)
            if bar.right() < 0 or bar.left() > geo.width:
                continue
            selected = k == self.moment_selected
            p.setPen(QPen(QColor("#ffffff"), 1.5) if selected else Qt.PenStyle.NoPen)
            p.setBrush(COLORS["moment_selected"] if selected else COLORS["moment"])
            p.drawRoundedRect(bar, 3, 3)
            rank = str(k + 1)
            if metrics.horizontalAdvance(rank) + 8 <= bar.width():
                p.setPen(COLORS["moment_text"])
                p.drawText(bar.adjusted(4, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, rank)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_playhead(self, p: QPainter, geo: TimelineGeometry, h: int) -> None:
        x = round(geo.x_of(geo.model.playhead))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(QRectF(x - 1, 4, 2, h - 4), COLORS["playhead"])  # crisp, two pixels wide
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(COLORS["playhead"])
        p.drawPolygon(QPolygonF([QPointF(x - 5, 0), QPointF(x + 5, 0), QPointF(x, 8)]))
