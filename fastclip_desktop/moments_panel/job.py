"""MomentsJob: one search for the moments of the open source, as an analyze job of the one job runner.

The job is queued through the app's JobQueue (``submit_analyze``), so it shows in the Jobs panel and
in ``fastclip jobs``, can be cancelled and retried, and is recovered after a crash like any other.
When the source has no transcript in the cache, the job makes it first: its progress messages say
so ("Loading the speech model…", "Transcribing… 0:12 of 2:25"), then "Reading the transcript…",
"Ranking moments". An analysis asked before (same source, query and options) is reused by the
runner: its job comes back complete, holding the moments. The moments are in the job's result
(the API's ``segments``). Signals: ``progress(fraction, message)``, ``finished(moments)``,
``failed(str)``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from engine import AnalyzeRequest, FastClipError, JobUpdate, Moment

from ..job_queue import JobQueue
from ..worker_adapter import emit


def moments_of(result: dict | None) -> list[Moment]:
    """The moments an analyze job's result holds, best first."""
    return [Moment.from_dict(d) for d in (result or {}).get("segments", ())]


class MomentsJob(QObject):
    progress = Signal(float, str)  # 0..1, what is being done
    finished = Signal(object)  # list[Moment], best first
    failed = Signal(str)  # the reason, one sentence

    def __init__(self, jobs: JobQueue, file_id: str, query: str | None, parent: QObject | None = None):
        super().__init__(parent)
        self.jobs, self.file_id, self.query = jobs, file_id, query
        self.job_id: str | None = None
        self.done = False
        self._token = None
        jobs.submitted.connect(self._submitted)
        jobs.submit_failed.connect(self._submit_failed)
        jobs.job_updated.connect(self._updated)

    def start(self) -> None:
        self._token = self.jobs.submit_analyze(AnalyzeRequest(self.file_id, query=self.query))

    def cancel(self) -> None:
        """Stop it (the job ends cancelled; a later answer is ignored)."""
        if not self.done and self.job_id is not None:
            self.jobs.cancel(self.job_id)
        self._end()

    def _submitted(self, jobs, token: int) -> None:
        if token != self._token or not jobs:
            return
        job = jobs[0]
        self.job_id = job.job_id
        if job.status == "complete":  # asked before: the runner gave back that analysis
            self._finish(job.result)

    def _submit_failed(self, error, token: int) -> None:
        if token == self._token:
            self._fail(error.message if isinstance(error, FastClipError) else str(error))

    def _updated(self, update: JobUpdate) -> None:
        if self.done or update.job_id != self.job_id:
            return
        if update.status == "complete":
            self._finish(update.result)
        elif update.status == "failed":
            self._fail((update.error or {}).get("message") or update.status_message)
        else:
            emit(self.progress, update.progress / 100, update.status_message)

    def _finish(self, result: dict | None) -> None:
        self._end()
        emit(self.finished, moments_of(result))

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
