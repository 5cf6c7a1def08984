"""PreviewRenderer: renders the caption preview off the GUI thread, debounced, newest wins.

``request(style, font_file)`` asks for the preview of a style; requests are gathered for a short
while (150 ms by default from the first of them: typing a value never renders every keystroke, and
a long drag still renders a few times a second), then one render of the newest runs on the worker
adapter's thread pool. At most one render runs at a time; a render whose request was
overtaken by a newer one (or by a new background) is dropped when it comes back, and the newest
request starts. ``rendered(RenderedPreview)`` carries the states ready to paint.

``set_source(path, seconds)`` fetches the frame the caption is drawn over: ``frame_at`` decodes it
inside ``engine.process.in_worker`` (a damaged file crashes a worker process, not the app). Asked
again while a frame is on its way, it fetches only the newest frame once that one is back.
Without a source the engine's neutral backdrop is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from engine import CaptionStyle, frame_at, in_worker

from ..worker_adapter import Task, WorkerAdapter, emit
from .frames import PreviewStates, fit_background, render_states
from .model import error_text

RENDER_DELAY_MS = 150


@dataclass(frozen=True, slots=True)
class RenderedPreview:
    style: CaptionStyle  # what was drawn
    font_file: Path | None
    states: PreviewStates
    images: tuple[QImage, ...]  # one per state, ready to paint


def to_qimage(image: Image.Image) -> QImage:
    """An RGB PIL image as a QImage that owns its pixels (safe to make on a worker thread)."""
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


def _render(style: CaptionStyle, background: Image.Image, font_file: Path | None) -> RenderedPreview:
    states = render_states(style, background, font_file=font_file)
    images, seen = [], {}
    for state in states.states:
        key = id(state.image)  # states that share a picture share its QImage
        if key not in seen:
            seen[key] = to_qimage(state.image)
        images.append(seen[key])
    return RenderedPreview(style, font_file, states, tuple(images))


def _source_frame(path: str, seconds: float):
    """The frame at ``seconds``, decoded in a worker process, fitted to the preview size."""
    frame = yield from in_worker(frame_at, path, seconds)
    return fit_background(frame)


class PreviewRenderer(QObject):
    rendered = Signal(object)  # RenderedPreview
    failed = Signal(str)  # a render went wrong: a sentence for the status line
    source_failed = Signal(str)  # the frame could not be read: a sentence for the status line
    background_changed = Signal()

    def __init__(self, adapter: WorkerAdapter, parent: QObject | None = None, delay_ms: int = RENDER_DELAY_MS):
        super().__init__(parent)
        self.adapter = adapter
        self.delay_ms = delay_ms
        self.background: Image.Image = fit_background(None)
        self.source: tuple[str, float] | None = None  # the frame on the background
        self.generation = 0  # of the newest request; a render of an older one is dropped
        self.shown_generation = -1  # of the render last delivered
        self.latest: RenderedPreview | None = None  # the render last delivered
        self.dropped = 0  # renders that came back stale (for tests and curiosity)
        self._wanted: tuple[CaptionStyle, Path | None] | None = None
        self._render_task: Task | None = None
        self._render_again = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._start_render)
        self._frame_task: Task | None = None
        self._frame_wanted: tuple[str, float] | None = None

    @property
    def busy(self) -> bool:
        return self._timer.isActive() or self._render_task is not None or self._frame_task is not None

    @property
    def settled(self) -> bool:
        """Nothing on its way, and the newest request is the one shown."""
        return not self.busy and self.shown_generation == self.generation

    # -- renders ------------------------------------------------------------------------------------

    def request(self, style: CaptionStyle | None, font_file: Path | None = None, delay_ms: int | None = None) -> None:
        """Render ``style`` after ``delay_ms`` (default: the debounce delay) unless asked again before."""
        if style is None:
            return
        self.generation += 1
        self._wanted = (style, font_file)
        delay = self.delay_ms if delay_ms is None else delay_ms
        if not self._timer.isActive() or delay < self._timer.remainingTime():
            self._timer.start(max(0, delay))

    def _start_render(self) -> None:
        if self._wanted is None:
            return
        if self._render_task is not None:
            self._render_again = True  # the one running is stale: start the newest when it is back
            return
        style, font_file = self._wanted
        generation = self.generation
        task = self.adapter.run(_render, style, self.background, font_file, _label="caption preview")
        self._render_task = task
        task.finished.connect(lambda result: self._rendered(generation, result))
        task.failed.connect(lambda error: self._render_failed(generation, error))
        task.settled.connect(self._render_settled)

    def _rendered(self, generation: int, result: RenderedPreview) -> None:
        if generation != self.generation:
            self.dropped += 1
            return
        self.shown_generation, self.latest = generation, result
        emit(self.rendered, result)

    def _render_failed(self, generation: int, error: BaseException) -> None:
        if generation == self.generation:
            emit(self.failed, f"The preview could not be drawn: {error_text(error)}")

    def _render_settled(self) -> None:
        self._render_task = None
        if self._render_again:
            self._render_again = False
            self._start_render()

    # -- the frame under the caption ------------------------------------------------------------------

    def set_source(self, path: str | None, seconds: float = 0.0) -> None:
        """Draw over the frame of ``path`` at ``seconds``; None: over the neutral backdrop."""
        if path is None:
            self._frame_wanted = None
            if self.source is not None:
                self.source = None
                self._set_background(fit_background(None))
            return
        wanted = (str(path), max(0.0, float(seconds)))
        self._frame_wanted = wanted
        if self._frame_task is None and wanted != self.source:
            self._fetch(wanted)

    def _fetch(self, wanted: tuple[str, float]) -> None:
        task = self.adapter.run(_source_frame, *wanted, _label="caption preview frame")
        self._frame_task = task
        task.finished.connect(lambda image: self._frame_arrived(wanted, image))
        task.failed.connect(lambda error: self._frame_failed(wanted, error))
        task.settled.connect(self._frame_settled)

    def _frame_arrived(self, wanted: tuple[str, float], image: Image.Image) -> None:
        if self._frame_wanted is None:
            return  # the source was closed meanwhile
        self.source = wanted
        self._set_background(image)

    def _frame_failed(self, wanted: tuple[str, float], error: BaseException) -> None:
        if self._frame_wanted == wanted:
            self.source = wanted  # do not ask again for a frame that cannot be read
            emit(self.source_failed, f"No frame to preview on: {error_text(error)}")

    def _frame_settled(self) -> None:
        self._frame_task = None
        if self._frame_wanted is not None and self._frame_wanted != self.source:
            self._fetch(self._frame_wanted)

    def _set_background(self, image: Image.Image) -> None:
        self.background = image
        emit(self.background_changed)
        if self._wanted is not None:
            self.request(*self._wanted, delay_ms=0)

    def cancel(self) -> None:
        """Stop what is on its way (when the panel goes away)."""
        self._timer.stop()
        self._wanted = self._frame_wanted = None
        for task in (self._render_task, self._frame_task):
            if task is not None:
                task.cancel()
