"""TranscriptJob: one transcription of the open source, as a transcript job of the one job runner.

The job is queued through the app's JobQueue, so it shows in the Jobs panel and in `fastclip jobs`,
can be cancelled and retried, and is recovered after a crash like any other. Its progress comes
as the runner's JobUpdates (one bar across decoding, loading the model and transcribing); when
it completes, the transcript is read from the transcript cache (where the job put it) off the
GUI thread. Signals: ``progress(fraction, message)``, ``finished(Transcript)``, ``failed(str)``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from engine import cached_transcript

from ..job_queue import JobQueue
from ..panel_job import PanelJob
from ..worker_adapter import WorkerAdapter


class TranscriptJob(PanelJob):
    """``finished`` gives the Transcript, read from the cache where the job put it."""

    def __init__(self, jobs: JobQueue, adapter: WorkerAdapter, source: str, path: str, cache_dir: str,
                 parent: QObject | None = None):
        super().__init__(jobs, parent)
        self.adapter = adapter
        self.source, self.path, self.cache_dir = source, path, cache_dir

    def _submit(self):
        return self.jobs.submit_transcript(self.source, self.cache_dir)

    def _complete(self, result: dict | None) -> None:
        task = self.adapter.run(cached_transcript, self.path, cache_dir=self.cache_dir,
                                model_path=(result or {}).get("model_path"), _label="read transcript")

        def read(transcript) -> None:
            if transcript is None:
                self._fail("the transcript was made but could not be kept in the cache folder")
            else:
                self._finish(transcript)

        task.finished.connect(read)
        task.failed.connect(lambda e: self._fail(str(e)))
