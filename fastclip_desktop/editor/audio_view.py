"""AudioView: what the picture area shows for a file without a picture (a podcast, a song).

The whole file's waveform (the engine's ``Waveform``, the one the timeline draws, once it has
arrived), the playhead over it, and the file's name; never the last frame of another file. A file
with cover art has a picture (mpv shows the art as its video), so it never comes here. A click
or drag on the waveform asks for a seek (``seek_requested``), as the timeline's scrub does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..worker_adapter import emit

if TYPE_CHECKING:  # the types only: their modules import PyAV and numpy, which the GUI needs later
    from engine import Waveform

BACKGROUND, WAVE, TEXT, PLAYHEAD = "#111214", "#3f7fa8", "#a4a9b0", "#ff5252"
MARGIN = 24


class AudioView(QWidget):
    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.name = ""
        self.duration = 0.0
        self.position = 0.0
        self.waveform: Waveform | None = None
        self._gain = 1.0
        self._image: tuple[tuple, QImage] | None = None

    def set_file(self, path: str | None, duration: float = 0.0) -> None:
        self.name = Path(path).name if path else ""
        self.duration = float(duration)
        self.waveform, self._image = None, None
        self.update()

    def set_waveform(self, waveform: Waveform | None) -> None:
        self.waveform, self._image = waveform, None
        peak = 0.0
        if waveform is not None and waveform.buckets:
            peak = float(max(abs(waveform.mins).max(), abs(waveform.maxs).max()))
        self._gain = min(4.0, 0.95 / peak) if peak > 0 else 1.0
        self.update()

    def set_position(self, t: float) -> None:
        if abs(t - self.position) * max(1, self._wave_rect().width()) / max(self.duration, 1e-9) >= 0.5:
            self.position = t
            self.update()

    def _wave_rect(self) -> QRectF:
        return QRectF(MARGIN, MARGIN * 2, max(1, self.width() - 2 * MARGIN), max(1, self.height() - MARGIN * 3))

    def time_at(self, x: float) -> float:
        r = self._wave_rect()
        return min(self.duration, max(0.0, (x - r.left()) / r.width() * self.duration))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton and self.duration > 0:
            emit(self.seek_requested, self.time_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton and self.duration > 0:
            emit(self.seek_requested, self.time_at(event.position().x()))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(BACKGROUND))
        font = QFont(self.font())
        font.setPixelSize(14)
        p.setFont(font)
        p.setPen(QColor(TEXT))
        p.drawText(QRectF(MARGIN, 8, self.width() - 2 * MARGIN, MARGIN * 2 - 8),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   p.fontMetrics().elidedText(f"♪  {self.name}", Qt.TextElideMode.ElideMiddle,
                                              self.width() - 2 * MARGIN))
        r = self._wave_rect()
        if self.waveform is not None and self.waveform.buckets and self.duration > 0:
            key = (int(r.width()), int(r.height()), id(self.waveform))
            if self._image is None or self._image[0] != key:
                self._image = (key, self._wave_image(int(r.width()), int(r.height())))
            p.drawImage(r.topLeft(), self._image[1])
        else:
            p.setPen(QColor(TEXT))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, "Reading the sound…" if self.duration > 0 else "")
        if self.duration > 0:
            x = r.left() + self.position / self.duration * r.width()
            p.fillRect(QRectF(x - 1, r.top(), 2, r.height()), QColor(PLAYHEAD))
        p.end()

    def _wave_image(self, w: int, h: int) -> QImage:
        import numpy as np  # when the waveform has come (the GUI starts without numpy: ~0.2 s)

        lo, hi = self.waveform.columns(0.0, self.duration, w)
        mid, half = h / 2, h / 2 - 2
        g = self._gain * half
        top = np.floor(mid - np.maximum(hi * g, 0.5))
        bottom = np.ceil(mid - np.minimum(lo * g, -0.5))
        rows = np.arange(h)[:, None]
        inside = (rows >= top[None, :]) & (rows < bottom[None, :])
        pixels = np.where(inside, np.uint32(QColor(WAVE).rgba()), np.uint32(QColor(BACKGROUND).rgba()))
        pixels = np.ascontiguousarray(pixels)
        image = QImage(pixels.data, w, h, w * 4, QImage.Format.Format_ARGB32)
        return image.copy()  # own the pixels: the numpy buffer goes away

    def playhead_x(self) -> float:
        r = self._wave_rect()
        return r.left() + (self.position / self.duration * r.width() if self.duration > 0 else 0.0)

