"""The jobs panel's state, free of Qt: one row per job, newest first, and what a person reads of it.

``JobsModel.load(library)`` reads the most recent jobs; ``apply(update, library)`` follows the
``JobUpdate``s the job queue reports (a job it has not seen is read from the library, so it gets
its creation time and its source's name, and goes on top). A row says which actions it allows
(cancel a pending or running job, retry a failed one, open or show a finished clip's file) and
gives the texts of its cells: kind, source, status, message (the error's message for a failed
job), elapsed time. Elapsed time runs from the job's start to its end, or to now while it runs:
``tick()`` (the panel's 1 s timer) tells listeners which rows' elapsed text moved on, without
touching the library. ``follow(library)`` (on the same timer) reads the recent rows again for the
jobs another process runs (a ``fastclip batch`` here or on a cluster), which the queue never
reports: new ones go on top, changed ones change.

Listeners get ``(what, job_ids)``: "reset" (a load), "inserted" (new rows, on top), "changed",
"removed" (the oldest ended rows, past ``max_rows``) or "tick".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from engine import (
    ENDED,
    RUNNING,
    FastClipError,
    Job,
    JobUpdate,
    Library,
    clock_text,
    parse_iso,
)

from ..observable import Observable

KIND_NAMES = {"clip": "Clip", "import": "Import", "transcript": "Transcript", "captions": "Captions",
              "analyze": "Moments", "auto": "Auto-clip"}
LOAD_LIMIT = 50  # how many recent jobs a load reads
MAX_ROWS = 200  # past this, the oldest ended rows are dropped

CANCEL, RETRY, OPEN, SHOW = "cancel", "retry", "open", "show"
ACTIONS = (CANCEL, RETRY, OPEN, SHOW)



@dataclass(frozen=True, slots=True)
class JobRow:
    job_id: str
    kind: str
    status: str  # pending | downloading | processing | uploading | complete | failed
    progress: int  # 0-100
    status_message: str
    source_name: str
    file_id: str | None = None
    error: dict | None = None  # {"code", "message", "field"}
    result: dict | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    target: str | None = None  # where a clip job writes its output (the request's "out")
    worker_address: str | None = None  # the cluster worker running it (a batch on a cluster)

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def cancelled(self) -> bool:
        return self.status == "failed" and (self.error or {}).get("code") == "cancelled"

    @property
    def output_path(self) -> str | None:
        """The file a complete clip job made."""
        if self.kind != "clip" or self.status != "complete":
            return None
        return (self.result or {}).get("path") or None

    def allows(self, action: str) -> bool:
        if action == CANCEL:
            return self.status == "pending" or self.running
        if action == RETRY:
            return self.status == "failed"
        if action in (OPEN, SHOW):
            return self.output_path is not None
        raise ValueError(f"unknown job action {action!r}")

    # -- texts --------------------------------------------------------------------------------------

    @property
    def kind_text(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind.capitalize())

    @property
    def message_text(self) -> str:
        if self.status == "failed":
            return (self.error or {}).get("message") or self.status_message or "failed"
        if self.running and self.worker_address and self.worker_address not in self.status_message:
            return f"{self.status_message} (on {self.worker_address.split('://', 1)[-1]})"
        return self.status_message

    @property
    def output_name(self) -> str:
        """The name of a clip job's file: the one it made, or the one it will make."""
        return _file_name(self.output_path or (self.target if self.kind == "clip" else None) or "")

    def elapsed(self, now: datetime) -> float | None:
        """Seconds from the start to the end (to ``now`` while it runs); None before it starts."""
        if self.started_at is None:
            return None
        end = self.finished_at if self.ended and self.finished_at is not None else now
        return max(0.0, (end - self.started_at).total_seconds())

    def elapsed_text(self, now: datetime) -> str:
        seconds = self.elapsed(now)
        return "" if seconds is None else duration_text(seconds)


def duration_text(seconds: float) -> str:
    """m:ss, or h:mm:ss from an hour (engine.timeline.clock_text, whole seconds)."""
    return clock_text(max(0.0, seconds), 0)


def _file_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        return None


class JobsModel(Observable):
    def __init__(self, *, now: Callable[[], datetime] | None = None, max_rows: int = MAX_ROWS):
        self._now = now or (lambda: datetime.now(UTC))
        self.max_rows = max_rows
        self.rows: list[JobRow] = []  # newest first
        Observable.__init__(self)
        self._names: dict[str, str] = {}  # file_id -> the source's file name
        self._told: set[str] = set()  # jobs the queue reports (apply); follow() leaves them to it

    # -- observing ----------------------------------------------------------------------------------

    def _changed(self, what: str, job_ids: tuple[str, ...]) -> None:  # what happened, to which rows
        self._notify(what, job_ids)

    # -- reading ------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._now()

    def row(self, job_id: str) -> JobRow | None:
        return next((r for r in self.rows if r.job_id == job_id), None)

    def index(self, job_id: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.job_id == job_id), -1)

    def elapsed_text(self, job_id: str) -> str:
        row = self.row(job_id)
        return "" if row is None else row.elapsed_text(self._now())

    # -- changing -----------------------------------------------------------------------------------

    def load(self, library: Library, limit: int = LOAD_LIMIT) -> None:
        """The ``limit`` most recent jobs of ``library``, as they are now."""
        self.rows = [self._row_of(job, library) for job in library.list_jobs(limit=limit)]
        self._changed("reset", tuple(r.job_id for r in self.rows))

    def follow(self, library: Library, limit: int = LOAD_LIMIT) -> tuple[str, ...]:
        """Read the ``limit`` most recent jobs again and show what changed of those the queue does
        not report (run by another process); return their ids."""
        fresh = [job for job in library.list_jobs(limit=limit) if job.job_id not in self._told]
        changed, inserted = [], []
        for job in reversed(fresh):  # oldest first: the newest ends on top
            old = self.row(job.job_id)
            row = self._row_of(job, library)
            if old is None:
                self.rows.insert(0, row)
                inserted.append(row.job_id)
            elif row != old:
                self.rows[self.index(job.job_id)] = row
                changed.append(row.job_id)
        if inserted:
            self._changed("inserted", tuple(inserted))
            self._trim()
        if changed:
            self._changed("changed", tuple(changed))
        return (*inserted, *changed)

    def apply(self, update: JobUpdate, library: Library | None = None) -> JobRow:
        """Follow one JobUpdate; a job not shown yet is read from ``library`` and goes on top."""
        self._told.add(update.job_id)
        old = self.row(update.job_id)
        if old is None:
            return self._insert(update, library)
        now = self._now()
        started, finished = old.started_at, old.finished_at
        if update.status == "pending":  # queued (again: a retry)
            started = finished = None
        elif update.status in RUNNING:
            started, finished = started or now, None
        elif update.status in ENDED and (finished is None or not old.ended):
            finished = now
        row = replace(old, status=update.status, progress=update.progress,
                      status_message=update.status_message, file_id=update.file_id or old.file_id,
                      error=update.error if update.status == "failed" else None,
                      result=update.result if update.status == "complete" else None,
                      started_at=started, finished_at=finished)
        self.rows[self.index(update.job_id)] = row
        self._changed("changed", (row.job_id,))
        return row

    def tick(self) -> tuple[str, ...]:
        """Once a second: the running rows, whose elapsed text moves on (told to listeners)."""
        running = tuple(r.job_id for r in self.rows if r.running and r.started_at is not None)
        if running:
            self._changed("tick", running)
        return running

    def _insert(self, update: JobUpdate, library: Library | None) -> JobRow:
        job = None
        if library is not None:
            try:
                job = library.get_job(update.job_id)
            except FastClipError:
                job = None
        if job is not None:
            row = replace(self._row_of(job, library), status=update.status, progress=update.progress,
                          status_message=update.status_message, error=update.error, result=update.result)
        else:
            now = self._now()
            row = JobRow(update.job_id, update.kind, update.status, update.progress, update.status_message,
                         self._source_name(update.file_id, library), update.file_id, update.error,
                         update.result, now, now if update.status in RUNNING else None,
                         now if update.status in ENDED else None)
        if row.started_at is None and row.status in RUNNING:
            row = replace(row, started_at=self._now())
        self.rows.insert(0, row)
        self._changed("inserted", (row.job_id,))
        self._trim()
        return row

    def _trim(self) -> None:
        dropped: list[str] = []
        for r in reversed(list(self.rows)):
            if len(self.rows) <= self.max_rows:
                break
            if r.ended:
                self.rows.remove(r)
                dropped.append(r.job_id)
        if dropped:
            self._changed("removed", tuple(dropped))

    def _row_of(self, job: Job, library: Library | None) -> JobRow:
        return JobRow(job.job_id, job.kind, job.status, job.progress, job.status_message,
                      self._source_name(job.file_id, library, job.request), job.file_id, job.error, job.result,
                      _time(job.created_at), _time(job.started_at), _time(job.finished_at),
                      (job.request or {}).get("out") if job.kind == "clip" else None, job.worker_address)

    def _source_name(self, file_id: str | None, library: Library | None, request: dict | None = None) -> str:
        if file_id and file_id in self._names:
            return self._names[file_id]
        name = ""
        if file_id and library is not None:
            try:
                name = library.get_media(file_id).filename
            except FastClipError:
                name = ""
        if not name:
            name = _file_name(str((request or {}).get("path") or "")) or (file_id or "")
        if file_id and name != file_id:
            self._names[file_id] = name
        return name
