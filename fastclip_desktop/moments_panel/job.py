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

from PySide6.QtCore import QObject

from engine import AnalyzeRequest, Moment

from ..job_queue import JobQueue
from ..panel_job import PanelJob


def moments_of(result: dict | None) -> list[Moment]:
    """The moments an analyze job's result holds, best first."""
    return [Moment.from_dict(d) for d in (result or {}).get("segments", ())]


class MomentsJob(PanelJob):
    """``finished`` gives the moments (list[Moment], best first)."""

    def __init__(self, jobs: JobQueue, file_id: str, query: str | None, parent: QObject | None = None):
        super().__init__(jobs, parent)
        self.file_id, self.query = file_id, query

    def _submit(self):
        return self.jobs.submit_analyze(AnalyzeRequest(self.file_id, query=self.query))

    def _complete(self, result: dict | None) -> None:
        self._finish(moments_of(result))
