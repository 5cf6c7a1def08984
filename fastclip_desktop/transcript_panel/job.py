"""TranscriptJob: one transcription of the open source, as a transcript job of the one job runner.

The job is queued through the app's JobQueue, so it shows in the Jobs panel and in `fastclip jobs`,
can be cancelled and retried, and is recovered after a crash like any other. Its progress comes
as the runner's JobUpdates (one bar across decoding, loading the model and transcribing); when
it completes, the transcript is read from the transcript cache (where the job put it) off the
GUI thread. Signals: ``progress(fraction, message)``, ``finished(Transcript)``, ``failed(str)``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from engine import FastClipError, JobUpdate, cached_transcript

from ..job_queue import JobQueue
from ..worker_adapter import WorkerAdapter, emit


class TranscriptJob(QObject):
    progress = Signal(float, str)  # 0..1, what is being done
    finished = Signal(object)  # Transcript
    failed = Signal(str)  # the reason, one sentence

    def __init__(self, jobs: JobQueue, adapter: WorkerAdapter, source: str, path: str, cache_dir: str,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.jobs, self.adapter = jobs, adapter
        self.source, self.path, self.cache_dir = source, path, cache_dir
        self.job_id: str | None = None
        self.done = False
        self._token = None
        jobs.submitted.connect(self._submitted)
        jobs.submit_failed.connect(self._submit_failed)
        jobs.job_updated.connect(self._updated)

    def start(self) -> None:
        self._token = self.jobs.submit_transcript(self.source, self.cache_dir)

    def cancel(self) -> None:
        """Stop it (the job ends cancelled; a later answer is ignored)."""
        if not self.done and self.job_id is not None:
            self.jobs.cancel(self.job_id)
        self._end()

    def _submitted(self, jobs, token: int) -> None:
        if token == self._token and jobs:
            self.job_id = jobs[0].job_id

    def _submit_failed(self, error, token: int) -> None:
        if token == self._token:
            self._fail(error.message if isinstance(error, FastClipError) else str(error))

    def _updated(self, update: JobUpdate) -> None:
        if self.done or update.job_id != self.job_id:
            return
        if update.status == "complete":
            self._read((update.result or {}).get("model_path"))
        elif update.status == "failed":
            self._fail((update.error or {}).get("message") or update.status_message)
        else:
            emit(self.progress, update.progress / 100, update.status_message)

    def _read(self, model_path: str | None) -> None:
        task = self.adapter.run(cached_transcript, self.path, cache_dir=self.cache_dir, model_path=model_path,
                                _label="read transcript")

        def read(transcript) -> None:
            if self.done:
                return
            if transcript is None:
                self._fail("the transcript was made but could not be kept in the cache folder")
                return
            self._end()
            emit(self.finished, transcript)

        task.finished.connect(read)
        task.failed.connect(lambda e: self._fail(str(e)))

    def _fail(self, message: str) -> None:
        if not self.done:
            self._end()
            emit(self.failed, message)

    def _end(self) -> None:
        self.done = True
        for signal, slot in ((self.jobs.submitted, self._submitted), (self.jobs.submit_failed, self._submit_failed),
                             (self.jobs.job_updated, self._updated)):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
