"""A job runner on a thread of its own, for a front end that lives long (the GUI).

:class:`JobThread` opens its own :class:`~engine.library.Library` and :class:`~engine.jobs.runner.Runner`
on a background thread (a SQLite connection and the runner belong to one thread) and runs every
pending job of the library as it is queued (``Runner.serve``). Other threads hand it work with
:meth:`JobThread.call`: ``fn(runner)`` runs on the job thread between two steps of the runner, and
its result or exception comes back in a ``concurrent.futures.Future``. A wake-up pipe cuts the
runner's wait short, so a request is taken at once::

    jobs = JobThread(on_event=print)                 # every JobUpdate, on the job thread
    media = jobs.call(lambda r: r.queue_imports(["talk.mp4"])).result()
    jobs.call(lambda r: r.submit(ClipRequest(file_id, start=1, end=5)))
    ...
    jobs.stop()                                      # running jobs are left to the next start-up

Nothing here blocks the caller except ``Future.result()``; the GUI turns futures into signals.
"""

from __future__ import annotations

import contextlib
import multiprocessing.connection
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ..library import Library
from .recorder import JobUpdate
from .runner import Runner

STOP_TIMEOUT_S = 10.0


class JobThread:
    """Runs the library's jobs on a background thread; see the module docstring.

    ``library_path`` (default: the library of ``FASTCLIP_HOME``) and ``workers`` (default: the
    ``workers`` setting) are handed to the Library and Runner made on the thread; ``on_event``
    gets every :class:`JobUpdate` there (a front end re-posts it to its own thread).
    """

    def __init__(self, on_event: Callable[[JobUpdate], None] | None = None, *,
                 library_path: str | Path | None = None, workers: int | None = None,
                 prestart: int = 0, name: str = "fastclip-jobs"):
        self._on_event = on_event
        self._library_path = library_path
        self._workers = workers
        self._prestart = prestart
        self._calls: queue.SimpleQueue[tuple[Callable[[Runner], Any], Future]] = queue.SimpleQueue()
        self._wake_read, self._wake_write = multiprocessing.connection.Pipe(duplex=False)
        self._stopping = threading.Event()
        self._started = Future()  # the runner's start-up (housekeeping): its result or error
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    # -- from any thread ----------------------------------------------------------------------------

    def call(self, fn: Callable[[Runner], Any]) -> Future:
        """Run ``fn(runner)`` on the job thread as soon as it is between two steps."""
        future: Future = Future()
        if self._stopping.is_set():
            future.set_exception(RuntimeError("the job thread has stopped"))
            return future
        self._calls.put((fn, future))
        self._wake()
        return future

    def started(self, timeout: float | None = None) -> Runner:
        """Wait until the runner is up (its start-up recovery and expiry sweep are done)."""
        return self._started.result(timeout)

    def stop(self, *, cancel_running: bool = False, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop the runner and its workers. Jobs still running are left for the next start-up's
        recovery, or with ``cancel_running`` cancelled now. Calls not taken yet fail."""
        self._cancel_running = cancel_running
        self._stopping.set()
        self._wake()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- on the job thread --------------------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_write.send_bytes(b"!")

    def _main(self) -> None:
        self._cancel_running = False
        try:
            library = Library(self._library_path)
            runner = Runner(library, self._workers, prestart=self._prestart)
        except BaseException as e:  # noqa: BLE001 - handed to whoever waits for the start
            self._started.set_exception(e)
            self._stopping.set()
            self._fail_calls()
            return
        self._started.set_result(runner)
        try:
            runner.serve(self._event, self._wake_read, self._between)
        finally:
            runner.close(cancel_running=self._cancel_running)
            library.close()
            self._fail_calls()
            with contextlib.suppress(OSError):
                self._wake_read.close()
                self._wake_write.close()

    def _between(self) -> bool:
        while not self._stopping.is_set():
            try:
                fn, future = self._calls.get_nowait()
            except queue.Empty:
                break
            if not future.set_running_or_notify_cancel():
                continue
            runner = self._started.result()
            try:
                future.set_result(fn(runner))
            except BaseException as e:  # noqa: BLE001 - the caller gets it from the future
                future.set_exception(e)
        return not self._stopping.is_set()

    def _event(self, update: JobUpdate) -> None:
        if self._on_event is not None:
            self._on_event(update)

    def _fail_calls(self) -> None:
        while True:
            try:
                _, future = self._calls.get_nowait()
            except queue.Empty:
                return
            if future.set_running_or_notify_cancel():
                future.set_exception(RuntimeError("the job thread has stopped"))
