"""CutPreviewer: the latest PreviewAsk computed off the GUI thread, one at a time.

A preview is pure computation over the keyframe index (no decoding), but it walks the index's
packet table for every output, so on a long file with many segments it can take longer than a
frame; it runs on a thread of its own (not the shared adapter's, whose threads may be waiting on
thumbnails). Asks that come while one is computed are not queued: when it ends, only the latest
one is computed. ``ready`` says new previews are in; ``previews(ask)`` gives, for each output of
``ask``, the preview of the last finished ask when it had the same source, mode and settings and
that same output (a row that did not change keeps its text while the others are computed), or
None while it is not known yet.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from engine import CutPreview

from ..worker_adapter import WorkerAdapter, emit
from .asks import PreviewAsk, compute


class CutPreviewer(QObject):
    ready = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.adapter = WorkerAdapter(max_threads=1, parent=self)
        self.ask: PreviewAsk | None = None  # the latest ask
        self._done: PreviewAsk | None = None  # the last ask computed ...
        self._results: dict = {}  # ... its output -> CutPreview or the engine's message
        self._running: PreviewAsk | None = None
        self._task = None

    def request(self, ask: PreviewAsk | None) -> None:
        """Preview ``ask`` (None: nothing to preview; what was known is forgotten)."""
        if ask is None:
            self.ask, self._done, self._results = None, None, {}
            return
        if ask.same_as(self.ask):
            return
        self.ask = ask
        if self._task is None:
            self._start(ask)

    @property
    def pending(self) -> bool:
        """The latest ask is not computed yet."""
        return self.ask is not None and not self.ask.same_as(self._done)

    def previews(self, ask: PreviewAsk | None = None) -> list[CutPreview | str | None]:
        """For each output of ``ask`` (the latest by default): its preview, the engine's message, or
        None while it is not known."""
        ask = ask or self.ask
        if ask is None:
            return []
        done = self._done
        if done is None or done.index is not ask.index or done.info is not ask.info or \
                (done.mode, done.fmt, done.height, done.captions) != (ask.mode, ask.fmt, ask.height, ask.captions):
            return [None] * len(ask.outputs)
        return [self._results.get(out) for out in ask.outputs]

    def shutdown(self) -> None:
        self.ask = None
        self.adapter.shutdown()

    def _start(self, ask: PreviewAsk) -> None:
        self._running = ask
        self._task = self.adapter.run(compute, ask, _label="cut preview")
        self._task.finished.connect(self._finished)
        self._task.failed.connect(self._failed)

    def _finished(self, previews) -> None:
        ask, self._running, self._task = self._running, None, None
        if ask is not None:
            self._done, self._results = ask, dict(zip(ask.outputs, previews, strict=True))
        self._next()

    def _failed(self, error) -> None:
        ask, self._running, self._task = self._running, None, None
        if ask is not None:
            self._done, self._results = ask, dict.fromkeys(ask.outputs, f"No cut preview: {error}")
        self._next()

    def _next(self) -> None:
        if self.ask is None:
            return
        if not self.ask.same_as(self._done):
            self._start(self.ask)
        emit(self.ready)  # what is known now (rows that did not change keep their text)
