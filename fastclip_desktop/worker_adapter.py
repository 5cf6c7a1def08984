"""The one way the GUI runs engine work: off the GUI thread, results back on it as signals.

Every long engine operation is a generator that yields Progress and returns its result. ``WorkerAdapter.run``
drives one on a thread of a QThreadPool and hands back a ``Task`` whose signals fire on the main thread:
``progress(item)`` for what it yields (throttled), then exactly one of ``finished(result)``,
``failed(exception)`` or ``cancelled()``. ``Task.cancel()`` stops delivery at once and closes the
generator at its next yield, on the worker thread, so its ``finally`` blocks run and a worker process
behind it (``engine.process.in_worker``) is stopped. Plain functions work too (no progress).

Native decoding that could crash belongs in a worker process: ``adapter.run(in_worker, thumbnails, path, 100)``.
"""

from __future__ import annotations

import ctypes
import inspect
import sys
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

# ---------------------------------------------------------------------------------- a safe emit()
# PySide6 6.12.0 on CPython 3.11 returns the bool from SignalInstance.emit() without a new reference,
# so every emit from Python takes one reference away from True; after a few thousand emits the
# interpreter aborts ("bool_dealloc: deallocating True or False"). From 3.12 bools are immortal and
# nothing happens. Until the dependency is pinned past the defect, every emit in this package goes
# through `emit`, which gives the reference back when (and only when) the defect is present.


class _Probe(QObject):
    ping = Signal()


def _emit_loses_a_reference() -> bool:
    if sys.version_info >= (3, 12):
        return False
    probe, n = _Probe(), 16
    before = sys.getrefcount(True)
    for _ in range(n):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    if lost > 0:
        for _ in range(lost):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return lost >= n // 2


_EMIT_LOSES_A_REFERENCE = _emit_loses_a_reference()


def emit(signal, *args) -> None:
    """``signal.emit(*args)``, safe from the PySide6 6.12.0 reference leak described above."""
    returned = signal.emit(*args)
    if _EMIT_LOSES_A_REFERENCE and isinstance(returned, bool):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(returned))


QUEUED, RUNNING, FINISHED, FAILED, CANCELLED = "queued", "running", "finished", "failed", "cancelled"


class Task(QObject):
    """One run of an engine generator. Its public signals are emitted on the main thread."""

    started = Signal()
    progress = Signal(object)  # what the generator yielded (a Progress for engine work)
    finished = Signal(object)  # its return value
    failed = Signal(object)  # the exception it raised
    cancelled = Signal()
    settled = Signal()  # after finished, failed or cancelled: one place for clean-up
    released = Signal()  # the worker thread has let go (after settled; a cancelled generator is closed)

    _event = Signal(str, object)  # worker thread -> main thread

    def __init__(self, label: str = "", min_interval: float = 0.05, parent: QObject | None = None):
        super().__init__(parent)
        self.label = label
        self.min_interval = min_interval
        self.state = QUEUED
        self.result = None
        self.error: BaseException | None = None
        self.last_progress = None
        self._stop = threading.Event()
        self._released = threading.Event()  # the worker thread has let go of the generator
        self._event.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def done(self) -> bool:
        return self.state in (FINISHED, FAILED, CANCELLED)

    @property
    def is_released(self) -> bool:
        """True once the worker thread is finished with the work (a cancelled generator is closed)."""
        return self._released.is_set()

    def cancel(self) -> None:
        """Stop: nothing more is delivered; the generator is closed at its next yield."""
        if self.done:
            return
        self._stop.set()
        self.state = CANCELLED
        emit(self.cancelled)
        emit(self.settled)

    def wait_released(self, timeout: float | None = None) -> bool:
        """Block until the worker thread has let go (for shutdown and tests, never in a GUI slot)."""
        return self._released.wait(timeout)

    @Slot(str, object)
    def _deliver(self, kind: str, payload) -> None:
        if kind == "released":
            emit(self.released)
            return
        if self.done:
            return  # cancelled: what was already on its way is dropped
        if kind == "started":
            self.state = RUNNING
            emit(self.started)
        elif kind == "progress":
            self.last_progress = payload
            emit(self.progress, payload)
        elif kind == "finished":
            self.state, self.result = FINISHED, payload
            emit(self.finished, payload)
            emit(self.settled)
        elif kind == "failed":
            self.state, self.error = FAILED, payload
            emit(self.failed, payload)
            emit(self.settled)

    # -- on the worker thread ---------------------------------------------------------------------

    def _drive(self, fn: Callable, args, kwargs) -> None:
        try:
            if self._stop.is_set():
                return
            emit(self._event, "started", None)
            try:
                outcome = self._run(fn, args, kwargs)
            except BaseException as e:  # noqa: BLE001 - every failure goes back to the GUI as a signal
                emit(self._event, "failed", e)
                return
            if outcome is not None:
                emit(self._event, "finished", outcome[0])
        finally:
            self._released.set()
            emit(self._event, "released", None)

    def _run(self, fn, args, kwargs):
        """Drive ``fn``; (result,) when it ran to the end, None when cancelled."""
        gen = fn(*args, **kwargs)
        if not inspect.isgenerator(gen):
            return (gen,)
        last_sent, pending = 0.0, None
        try:
            while True:
                try:
                    item = next(gen)
                except StopIteration as done:
                    if pending is not None:
                        emit(self._event, "progress", pending)  # the latest progress is never lost
                    return (done.value,)
                if self._stop.is_set():
                    return None
                now = time.monotonic()
                if now - last_sent >= self.min_interval:
                    emit(self._event, "progress", item)
                    last_sent, pending = now, None
                else:
                    pending = item
        finally:
            gen.close()  # a no-op after StopIteration; on cancel, runs the generator's finally blocks


class _Job(QRunnable):
    """The pool owns it and deletes it after ``run`` (auto-delete)."""

    def __init__(self, task: Task, fn, args, kwargs):
        super().__init__()
        self.task, self.work = task, (fn, args, kwargs)

    def run(self) -> None:
        task, (fn, args, kwargs) = self.task, self.work
        self.task = self.work = None  # the job holds nothing once it has run
        task._drive(fn, args, kwargs)


class WorkerAdapter(QObject):
    """Runs engine generators on its own thread pool; keeps each Task alive until its thread lets go."""

    def __init__(self, max_threads: int = 3, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._live: set[Task] = set()
        self._lock = threading.Lock()

    def run(self, fn: Callable, *args, _label: str = "", _min_interval: float = 0.05, **kwargs) -> Task:
        """Start ``fn(*args, **kwargs)`` (a generator function, or a plain one) on a worker thread.

        Call it on the main thread (the Task lives there). Connect to the returned Task's signals right away: nothing is delivered before control returns
        to the event loop.
        """
        task = Task(_label or getattr(fn, "__name__", "task"), _min_interval)
        with self._lock:
            self._live.add(task)
        task.released.connect(self._forget_sender)  # a slot of ours, not a closure: no reference cycle
        self.pool.start(_Job(task, fn, args, kwargs))
        return task

    def tasks(self) -> list[Task]:
        """Tasks whose worker thread has not let go yet (running, queued, or closing after a cancel)."""
        with self._lock:
            return list(self._live)

    def cancel_all(self) -> None:
        for task in self.tasks():
            task.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and wait for the threads (at exit only: it blocks)."""
        self.cancel_all()
        self.pool.clear()  # jobs not started yet never start
        ok = self.pool.waitForDone(timeout_ms)
        with self._lock:
            self._live.clear()
        return ok

    @Slot()
    def _forget_sender(self) -> None:
        task = self.sender()
        with self._lock:
            self._live.discard(task)
