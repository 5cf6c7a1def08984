"""JobQueue: the GUI's face of the engine's job thread (``engine.jobs.thread.JobThread``).

It owns one JobThread, which opens its own Library and Runner on a background thread and runs every
pending job of the library as it is queued, in worker processes. Every method here returns at once
and answers through signals, emitted on the GUI thread:

    queue = JobQueue(parent=window)
    queue.job_updated.connect(panel.on_update)          # every JobUpdate of every job
    token = queue.import_paths(["talk.mp4", "clips/"])  # -> imported(results, token)
    token = queue.submit(ClipRequest(file_id, start=1, end=5), "/home/me/cut.mp4")
    token = queue.submit_analyze(AnalyzeRequest(file_id, query="the launch"))  # (and submit_transcript)
    #       -> submitted(jobs, token) | submit_failed(error, token)
    queue.cancel(job_id); queue.retry(job_id)           # errors -> action_failed(job_id, error)
    queue.close()                                       # on quit: running jobs are left to the next start-up

What the job thread reports (its JobUpdates and the results of calls, which come back in
``concurrent.futures.Future``s whose callbacks run on the job thread) is posted through one queued
signal, so it reaches the GUI thread in the order it happened there.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot

from engine import (
    AUDIO_CONTAINERS,
    VIDEO_CONTAINERS,
    FastClipError,
    JobThread,
    JobUpdate,
    ProcessingFailed,
    UnsupportedMedia,
)

from .worker_adapter import emit

log = logging.getLogger(__name__)

MEDIA_EXTENSIONS = frozenset("." + name for name in (*VIDEO_CONTAINERS, *AUDIO_CONTAINERS))


def media_files(paths: Iterable[str | os.PathLike]) -> list[str | os.PathLike | FastClipError]:
    """``paths`` with each folder replaced by the media files inside it (and its sub-folders), by
    name; hidden files and folders are skipped, and a folder with none is an UnsupportedMedia
    error in its place. Files are kept as given (the import judges them)."""
    out: list[str | os.PathLike | FastClipError] = []
    for p in paths:
        folder = Path(p)
        if not folder.is_dir():
            out.append(p)
            continue
        found = sorted(
            (f for f in folder.rglob("*")
             if f.suffix.lower() in MEDIA_EXTENSIONS and f.is_file()
             and not any(part.startswith(".") for part in f.relative_to(folder).parts)),
            key=lambda f: str(f.relative_to(folder)).lower())
        out.extend(found)
        if not found:
            out.append(UnsupportedMedia(f"there are no media files in the folder {folder}", field="source"))
    return out


def as_engine_error(e: BaseException) -> FastClipError:
    """What the GUI shows: an engine error as it is; anything else as a readable ProcessingFailed."""
    if isinstance(e, FastClipError):
        return e
    if isinstance(e, RuntimeError) and "stopped" in str(e):
        return ProcessingFailed("the job queue has stopped; restart the app to run jobs")
    log.error("a job queue call failed", exc_info=(type(e), e, e.__traceback__))
    return ProcessingFailed(f"something went wrong in the job queue ({type(e).__name__}: {e})")


class JobQueue(QObject):
    """Runs the library's jobs off the GUI thread; see the module docstring."""

    job_updated = Signal(object)  # JobUpdate
    imported = Signal(object, int)  # [Media | FastClipError per file], token
    submitted = Signal(object, int)  # [Job] in output order, token
    submit_failed = Signal(object, int)  # FastClipError (InvalidRequest with .field, Gone, Conflict, ...), token
    action_failed = Signal(str, object)  # job_id, FastClipError (cancel or retry refused)
    media_info_ready = Signal(str, object)  # file_id, MediaInfo (probed in a worker)
    media_info_failed = Signal(str, object)  # file_id, FastClipError (gone, changed, not ready, ...)
    ready = Signal()  # the runner is up: its start-up recovery and expiry sweep are done
    start_failed = Signal(object)  # FastClipError: the library could not be opened; nothing will run

    _posted = Signal(str, object, object)  # (kind, payload, extra): job thread -> GUI thread

    def __init__(self, library_path: str | os.PathLike | None = None, workers: int | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._tokens = itertools.count(1)
        self._closed = False
        self._posted.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._thread = JobThread(self._on_event, library_path=library_path, workers=workers)
        thread = self._thread
        self.destroyed.connect(lambda: thread.stop(timeout=0))  # a safety net: close() is the way
        self._thread.call(lambda runner: None).add_done_callback(self._started)

    @property
    def job_thread(self) -> JobThread:
        """The runner's thread, for a front end that shares it (the app's local API)."""
        return self._thread

    # -- requests (GUI thread) ----------------------------------------------------------------------

    def import_paths(self, paths: Iterable[str | os.PathLike]) -> int:
        """Import files (a folder: the media files inside it). Answers ``imported(results, token)``
        with each file's Media row or the error that refused it, then ``job_updated`` as the
        import jobs run. Returns the token."""
        paths = list(paths)
        token = next(self._tokens)

        def work(runner):
            results = []
            for item in media_files(paths):  # a big folder is walked here, off the GUI thread
                if isinstance(item, FastClipError):
                    results.append(item)
                    continue
                [result], jobs = runner.queue_imports([item])
                self._post_pending(jobs)
                results.append(result)
            return results

        def done(future: Future) -> None:
            error = future.exception()
            results = future.result() if error is None else [as_engine_error(error)] * max(1, len(paths))
            self._post("imported", results, token)

        self._call(work, done)
        return token

    def submit(self, request, out: str | os.PathLike | None = None) -> int:
        """Validate and queue a ClipRequest (its source a file_id); ``out`` is the user's file or
        folder, None a library clip. Answers ``submitted(jobs, token)`` or
        ``submit_failed(error, token)``; returns the token."""
        return self._submit(lambda runner: runner.submit(request, out))

    def submit_transcript(self, source: str, cache_dir: str | None = None) -> int:
        """Queue the transcript job of ``source`` (a file_id or a path); answers as ``submit`` does
        (``submitted([job], token)``), then ``job_updated`` as it runs. ``cache_dir``: the
        transcript cache (default: the app's)."""
        return self._submit(lambda runner: [runner.submit_transcript(source, cache_dir=cache_dir)])

    def submit_analyze(self, request) -> int:
        """Queue the analysis of an ``AnalyzeRequest`` (its moments); one asked before with the same
        source, query and options is reused (complete: its ``submitted`` job already holds the
        moments). Answers as ``submit`` does, then ``job_updated`` as it runs."""
        return self._submit(lambda runner: [runner.submit_analyze(request, reuse=True)])

    def _submit(self, make_jobs: Callable) -> int:
        token = next(self._tokens)

        def work(runner):
            jobs = make_jobs(runner)
            self._post_pending(jobs)
            return jobs

        def done(future: Future) -> None:
            error = future.exception()
            if error is None:
                self._post("submitted", future.result(), token)
            else:
                self._post("submit_failed", as_engine_error(error), token)

        self._call(work, done)
        return token

    def media_info(self, file_id: str) -> None:
        """The MediaInfo of a ready import (probed in a job worker, once per runner): answers
        ``media_info_ready(file_id, info)`` or ``media_info_failed(file_id, error)``."""

        def done(future: Future) -> None:
            error = future.exception()
            if error is None:
                self._post("media_info", file_id, future.result())
            else:
                self._post("media_info_failed", file_id, as_engine_error(error))

        self._call(lambda runner: runner.media_info(file_id), done)

    def cancel(self, job_id: str) -> None:
        """Cancel a pending or running job (it ends failed, "cancelled"); ``action_failed`` if it cannot."""

        self._call(lambda runner: runner.cancel(job_id), self._action_done(job_id))

    def retry(self, job_id: str) -> None:
        """Queue a failed job again; it runs as soon as a worker is free. ``action_failed`` if it
        cannot. (A cancelled attempt still stopping cannot end the new one: the runner ends
        only the claim it made.)"""
        self._call(lambda runner: self._retry_now(runner.library, job_id), self._action_done(job_id))

    def close(self) -> None:
        """Stop the job thread and its worker processes (blocks while they stop: call on quit).
        Jobs still running are left for the next start-up's recovery, as the engine does."""
        if self._closed:
            return
        self._closed = True
        self._thread.stop()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- plumbing -----------------------------------------------------------------------------------

    def _call(self, work: Callable, done: Callable[[Future], None]) -> None:
        # done may run here at once when the thread has stopped: _post queues it, so a caller
        # always gets its token before the answer arrives
        self._thread.call(work).add_done_callback(done)

    def _action_done(self, job_id: str) -> Callable[[Future], None]:
        def done(future: Future) -> None:
            error = future.exception()
            if error is not None:
                self._post("action_failed", job_id, as_engine_error(error))

        return done

    def _started(self, future: Future) -> None:
        if future.exception() is None:
            self._post("ready", None, None)
            return
        try:
            self._thread.started(timeout=0)  # the start-up's own error, rather than "stopped"
            error = future.exception()
        except BaseException as e:  # noqa: BLE001 - reported as a signal
            error = e
        self._post("start_failed", as_engine_error(error), None)

    def _post_pending(self, jobs) -> None:
        """On the job thread: newly queued jobs, before the runner claims them."""
        for job in jobs:
            self._on_event(JobUpdate.from_job(job))

    def _on_event(self, update: JobUpdate) -> None:
        """On the job thread: every JobUpdate, posted to the GUI thread."""
        self._post("update", update, None)

    def _retry_now(self, library, job_id: str):
        job = library.retry_job(job_id)
        self._on_event(JobUpdate.from_job(job))  # pending again, before a worker claims it
        return job

    def _post(self, kind: str, payload, extra) -> None:
        try:
            emit(self._posted, kind, payload, extra)
        except RuntimeError:  # the QObject is gone (the app is quitting): nobody to tell
            pass

    @Slot(str, object, object)
    def _deliver(self, kind: str, payload, extra) -> None:
        if kind == "update":
            emit(self.job_updated, payload)
        elif kind == "imported":
            emit(self.imported, payload, extra)
        elif kind == "submitted":
            emit(self.submitted, payload, extra)
        elif kind == "submit_failed":
            emit(self.submit_failed, payload, extra)
        elif kind == "action_failed":
            emit(self.action_failed, payload, extra)
        elif kind == "media_info":
            emit(self.media_info_ready, payload, extra)
        elif kind == "media_info_failed":
            emit(self.media_info_failed, payload, extra)
        elif kind == "ready":
            emit(self.ready)
        elif kind == "start_failed":
            emit(self.start_failed, payload)
