"""PictureLoader: small pictures of clips and sources, made by the engine in a worker process.

``request(paths)`` queues files that have no picture yet; they are made in batches by
``pictures.pictures`` inside ``engine.process.in_worker`` through the WorkerAdapter, one batch at a
time, and ``picture_ready(path, QPixmap)`` fires on the GUI thread for each one as it arrives.
Pictures are remembered for the loader's life (and the engine caches them on disk), so a
refresh of the panel does not make them again. A batch whose worker crashes (a damaged file)
gives up on the file it was reading and carries on with the rest.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QObject, QSize, Qt, Signal, Slot
from PySide6.QtGui import QImage, QPainter, QPixmap

from engine import in_worker

from ..worker_adapter import Task, WorkerAdapter, emit
from .pictures import PICTURE_HEIGHT, pictures

BATCH = 12
PICTURE_SIZE = QSize(64, 36)  # every picture is centred in a box this size, so titles line up


def boxed(image: QImage, size: QSize = PICTURE_SIZE) -> QPixmap:
    """``image`` scaled to fit ``size`` (keeping its shape), centred on a transparent box."""
    pixmap = QPixmap(size)
    pixmap.fill(Qt.GlobalColor.transparent)
    scaled = image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    painter = QPainter(pixmap)
    painter.drawImage((size.width() - scaled.width()) // 2, (size.height() - scaled.height()) // 2, scaled)
    painter.end()
    return pixmap


class PictureLoader(QObject):
    picture_ready = Signal(str, QPixmap)

    def __init__(self, adapter: WorkerAdapter, height: int = PICTURE_HEIGHT, parent: QObject | None = None):
        super().__init__(parent)
        self.adapter, self.height = adapter, height
        self._pictures: dict[str, QPixmap | None] = {}  # None: the file has no picture
        self._queue: deque[str] = deque()
        self._task: Task | None = None
        self._batch: list[str] = []
        self._delivered: set[str] = set()

    def picture(self, path: str) -> QPixmap | None:
        """The picture of ``path`` if it has arrived."""
        return self._pictures.get(path)

    @property
    def busy(self) -> bool:
        return self._task is not None or bool(self._queue)

    def request(self, paths) -> None:
        """Make pictures of the ``paths`` that have none yet (in this order, after those queued)."""
        queued = set(self._queue) | set(self._batch)
        for p in paths:
            if p not in self._pictures and p not in queued:
                self._queue.append(p)
                queued.add(p)
        self._next()

    def stop(self) -> None:
        """Forget what is queued and cancel the running batch."""
        self._queue.clear()
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self._batch = []

    def _next(self) -> None:
        if self._task is not None or not self._queue:
            return
        self._batch = [self._queue.popleft() for _ in range(min(BATCH, len(self._queue)))]
        self._delivered = set()
        self._task = self.adapter.run(in_worker, pictures, list(self._batch), self.height,
                                      _label="clip pictures", _min_interval=0.0)
        self._task.progress.connect(self._arrived)
        self._task.failed.connect(self._batch_failed)
        self._task.settled.connect(self._batch_settled)

    @Slot(object)
    def _arrived(self, item) -> None:
        path, jpeg = item
        self._delivered.add(path)
        pixmap = None
        if jpeg:
            image = QImage.fromData(jpeg, "JPG")
            pixmap = None if image.isNull() else boxed(image)
        self._pictures[path] = pixmap
        if pixmap is not None:
            emit(self.picture_ready, path, pixmap)

    @Slot(object)
    def _batch_failed(self, error) -> None:
        rest = [p for p in self._batch if p not in self._delivered]
        if rest:
            self._pictures[rest[0]] = None  # the file the worker was reading when it failed
            self._queue.extendleft(reversed(rest[1:]))

    @Slot()
    def _batch_settled(self) -> None:
        if self.sender() is not self._task:
            return  # a batch cancelled by stop()
        self._task, self._batch = None, []
        self._next()
