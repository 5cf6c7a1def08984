"""PanelJob: one job a panel starts and follows through the app's JobQueue (a transcript for the
transcript panel, an analysis for the moments panel), so it shows in the Jobs panel and in
`fastclip jobs`, can be cancelled and retried, and is recovered after a crash like any other.

A subclass says how to submit it (``_submit``, returning the queue's token) and what its complete
job gives (``_complete(result)``, which ends with ``_finish(value)`` or ``_fail(message)``).
Signals: ``progress(fraction, message)``, ``finished(value)``, ``failed(str)``; once it has ended,
later answers are ignored.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from engine import FastClipError, JobUpdate

from .job_queue import JobQueue
from .worker_adapter import emit


class PanelJob(QObject):
    progress = Signal(float, str)  # 0..1, what is being done
    finished = Signal(object)  # what the job made (the subclass says what)
    failed = Signal(str)  # the reason, one sentence

    def __init__(self, jobs: JobQueue, parent: QObject | None = None):
        super().__init__(parent)
        self.jobs = jobs
        self.job_id: str | None = None
        self.done = False
        self._token = None
        jobs.submitted.connect(self._submitted)
        jobs.submit_failed.connect(self._submit_failed)
        jobs.job_updated.connect(self._updated)

    def start(self) -> None:
        self._token = self._submit()

    def cancel(self) -> None:
        """Stop it (the job ends cancelled; a later answer is ignored)."""
        if not self.done and self.job_id is not None:
            self.jobs.cancel(self.job_id)
        self._end()

    # -- what a subclass gives ----------------------------------------------------------------------

    def _submit(self):
        raise NotImplementedError

    def _complete(self, result: dict | None) -> None:
        raise NotImplementedError

    # -- following the queue ------------------------------------------------------------------------

    def _submitted(self, jobs, token: int) -> None:
        if token != self._token or not jobs:
            return
        job = jobs[0]
        self.job_id = job.job_id
        if job.status == "complete":  # asked before: the runner gave back that job, done
            self._complete(job.result)

    def _submit_failed(self, error, token: int) -> None:
        if token == self._token:
            self._fail(error.message if isinstance(error, FastClipError) else str(error))

    def _updated(self, update: JobUpdate) -> None:
        if self.done or update.job_id != self.job_id:
            return
        if update.status == "complete":
            self._complete(update.result)
        elif update.status == "failed":
            self._fail((update.error or {}).get("message") or update.status_message)
        else:
            emit(self.progress, update.progress / 100, update.status_message)

    def _finish(self, value) -> None:
        if not self.done:
            self._end()
            emit(self.finished, value)

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
