"""The one job runner: every long operation is a library job it runs in worker processes, never lost.

Jobs are rows in the library (``engine.library``), of every kind: import, clip, captions,
transcript. A :class:`Runner` is made of a :class:`~engine.jobs.pool.WorkerPool` (the worker
processes), a :class:`~engine.jobs.planner.Planner` (requests into jobs), a
:class:`~engine.jobs.recorder.Recorder` (a job's end into the library, with its webhook), a
:class:`~engine.jobs.handover.Handover` (a claimed job into its worker's message) and a
:class:`~engine.jobs.recovery.Recovery` (what a stopped app left). For each idle worker it claims
the oldest pending job it was asked to run (the row names the worker's pid), checks its source
(``gone`` when it moved or changed) and hands the job over; the worker runs it in process and
streams its progress back, which the runner writes to the row (at most every 0.25 s) and tells
as :class:`~engine.jobs.recorder.JobUpdate` events. When a worker dies (a decoder segfault on a
damaged file), the runner fails that one job with "the decoder crashed on this file (signal 11)",
removes its temp file and starts another worker when there is more to do.

At start-up jobs left running are queued again once, then failed; a job whose process still lives
is left to it, and looked at again while we wait for it. Another worker is started only when the
jobs waiting are worth its start-up (many quick jobs finish sooner in the workers there are). The
CLI drives it directly, the GUI on a thread of its own (``engine.jobs.thread``)::

    with Runner(library, workers=2) as runner:
        media = runner.resolve_source("talk.mp4")          # imported in a worker when needed
        jobs = runner.submit(ClipRequest(media.file_id, start=1, end=5))
        runner.run_until_idle(on_event=print, job_ids=[j.job_id for j in jobs])

Everything here is host-side and cheap to import; PyAV lives in the workers.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ..errors import Conflict, FastClipError, ProcessingFailed
from ..library import Job, Library
from ..library.jobs import ENDED, JOB_KINDS, RUNNING
from .handover import Handover
from .planner import Planner
from .pool import StartedWorker, Worker, WorkerPool, crash_message
from .recorder import JobUpdate, OnEvent, Recorder, SourceFacts
from .recovery import Recovery

if TYPE_CHECKING:  # (multiprocessing, ~17 ms, loads when the first wait does: the CLI is idle then)
    import multiprocessing.connection

KINDS = JOB_KINDS  # the job kinds this runner runs: all of them
PROGRESS_WRITE_S = 0.25  # a running job's progress is written to its row at most this often
RECHECK_S = 0.5  # how often jobs run by another process are looked at again
WORKER_START_S = 0.3  # about what starting one more worker costs: worth it only for more work than this


class Runner:
    """Runs library jobs in up to ``workers`` worker processes (default: the ``workers`` setting).

    ``prestart`` workers are started at once (they import PyAV while the host does its start-up
    work), or ``adopt`` takes workers started earlier (``StartedWorker.early``: the CLI forks one
    before it even imports this, while it is still clean); more start (spawned) when there are
    more jobs to run. ``housekeeping`` runs the start-up recovery and the expiry sweep. Use from
    one thread; close it (or use ``with``): closing stops the workers, and with
    ``cancel_running`` (Ctrl+C) cancels the jobs they had, which are otherwise left for the next
    start-up to queue again.
    """

    def __init__(self, library: Library, workers: int | None = None, *, start_method: str = "spawn",
                 prestart: int = 1, housekeeping: bool = True, adopt: Iterable[StartedWorker] = ()):
        self.library = library
        self.pool = WorkerPool(workers or library.get_setting("workers"), start_method, adopt)
        self.facts = SourceFacts()
        self.recorder = Recorder(library, self.facts, self._emit)
        self.planner = Planner(library, self.facts, self._probe, self._run_jobs)
        self.recovery = Recovery(library, self.pool)
        self.handover = Handover(library, self.planner)
        self._status: dict[str, str] = {}  # job_id -> last known status, of the jobs being waited for
        self._on_event: OnEvent | None = None
        self._job_seconds: list[float] = []  # how long the last jobs took here
        self._running = False  # inside run_until_idle or serve
        self._wanted: list[str] | None = None
        self._closed = False
        self.recovered: list[Job] = []
        self.expired: list = []
        for _ in range(min(prestart, self.max_workers) - len(self.pool.workers)):
            self.pool.start()
        if housekeeping:
            self.recovered, self.expired = self.recovery.at_start()

    # -- what front ends ask (the planner answers) --------------------------------------------------

    @property
    def max_workers(self) -> int:
        return self.pool.max_workers

    @max_workers.setter
    def max_workers(self, n: int) -> None:
        self.pool.max_workers = max(1, int(n))

    def resolve_source(self, source: str, *, on_event: OnEvent | None = None):
        return self.planner.resolve_source(source, on_event=on_event)

    def import_paths(self, paths, *, on_event: OnEvent | None = None, clip_requested: bool = False):
        return self.planner.import_paths(paths, on_event=on_event, clip_requested=clip_requested)

    def queue_imports(self, paths, *, clip_requested: bool = False):
        return self.planner.queue_imports(paths, clip_requested=clip_requested)

    def media_info(self, file_id: str):
        return self.planner.media_info(file_id)

    def import_error(self, media):
        return self.planner.import_error(media)

    def plan(self, request, out=None, **options):
        return self.planner.plan(request, out, **options)

    def submit(self, request, out=None, **options) -> list[Job]:
        return self.planner.submit(request, out, **options)

    def submit_captions(self, request, out=None, **options) -> Job:
        return self.planner.submit_captions(request, out, **options)

    def submit_transcript(self, source: str, **options) -> Job:
        return self.planner.submit_transcript(source, **options)

    def submit_analyze(self, request, **options) -> Job:
        """POST /v1/clip/analyze: an ``AnalyzeRequest`` as an analyze job (its result: ``segments``)."""
        return self.planner.submit_analyze(request, **options)

    def submit_auto(self, request, out=None, **options) -> Job:
        """POST /v1/clip/auto: an ``AutoClipRequest`` as one auto job (its result: ``clips``)."""
        return self.planner.submit_auto(request, out, **options)

    def cancel(self, job_id: str) -> Job:
        """Cancel a pending or running job (a running one stops at its next progress step)."""
        job = self.library.cancel_job(job_id)
        w = self.pool.running(job_id)
        if w is not None:
            w.send(("cancel", job_id))
        self._emit(JobUpdate.from_job(job))
        return job

    # -- running jobs -------------------------------------------------------------------------------

    def run_until_idle(self, on_event: OnEvent | None = None, job_ids: Iterable[str] | None = None) -> dict[str, Job]:
        """Run jobs until there is nothing left to do; return the final rows of ``job_ids``.

        With ``job_ids``, only those jobs are claimed, and it returns when each has ended
        (one running in another process is waited for; one whose process died is queued
        again by the periodic recovery). Without, every pending job of the library runs.
        ``on_event`` gets a :class:`JobUpdate` at every change, and the final one of each job.
        """
        wanted = None if job_ids is None else list(dict.fromkeys(job_ids))
        self._on_event = on_event
        self._wanted, self._running = wanted, True
        jobs = [] if wanted is None else [self.library.get_job(j) for j in wanted]
        self._status = {j.job_id: j.status for j in jobs if j.kind in KINDS}
        checked = time.monotonic()
        try:
            while True:
                self._assign(wanted)
                busy = bool(self.pool.busy())
                if not busy:
                    if wanted is None:
                        if not self._pending_count():
                            break
                    elif all(s in ENDED for s in self._status.values()):
                        break
                if wanted is not None and time.monotonic() - checked >= RECHECK_S:
                    checked = time.monotonic()
                    self._recheck()
                self._wait(RECHECK_S if not busy else 1.0)
        finally:
            self._on_event, self._wanted, self._running = None, None, False
        return {} if wanted is None else {j: self.library.get_job(j) for j in wanted}

    def serve(self, on_event: OnEvent, wake: multiprocessing.connection.Connection,
              between: Callable[[], bool]) -> None:
        """Run every pending job of the library as it is queued, until ``between()`` returns False.

        For a front end that lives long (the GUI's job thread): ``between`` runs on this thread
        before every step, to take requests from other threads (``submit``, ``queue_imports``,
        ``cancel``, ...) and to say whether to go on; bytes sent to ``wake``'s other end cut a
        wait short, so a request is taken at once. ``on_event`` gets every :class:`JobUpdate`.
        """
        self._on_event, self._wanted, self._running = on_event, None, True
        try:
            while between():
                self._assign(None)
                self._wait(RECHECK_S, wake)
        finally:
            self._on_event, self._running = None, False

    def _run_jobs(self, on_event: OnEvent | None, job_ids: list[str]) -> dict:
        """The planner's way to run jobs (imports) before it goes on: inside a run, the run goes on."""
        if self._running:  # serving (the GUI): wait for them while the other jobs go on
            ids = set(job_ids)
            while any(self.library.get_job(j).status not in ENDED for j in ids):
                self._assign(self._wanted)
                self._wait(RECHECK_S)
            return {j: self.library.get_job(j) for j in job_ids}
        return self.run_until_idle(on_event, job_ids)

    def _wait(self, timeout: float, wake=None) -> None:
        self.pool.wait(timeout, self._message, self._lost, wake)

    def _message(self, w: Worker, msg) -> None:
        kind = msg[0]
        if kind == "ready":
            w.ready = True
        elif kind == "event":
            self._progress(w, *msg[1:])
        elif kind in ("done", "failed"):
            job, out = self._release(w)
            if self._running:  # the worker starts its next job while this one is recorded
                self._assign(self._wanted)
            if kind == "done":
                self.recorder.done(job, out, msg[2])
            else:
                self.recorder.failed(job, out, msg[2])
        elif kind == "part":  # an auto-clip job's clip, made or failed
            if w.job is not None and w.job.job_id == msg[1]:
                self.recorder.part(w.job, msg[2])
        elif kind == "writing":  # the file a job that makes several is writing now
            if w.job is not None and w.job.job_id == msg[1]:
                w.out = msg[2]
        elif kind in ("reply", "error"):
            w.reply, w.probing = msg, False

    def _progress(self, w: Worker, job_id: str, status: str, progress: int, message: str) -> None:
        job = w.job
        if job is None or job.job_id != job_id:
            return
        now = time.monotonic()
        if status != w.written_status or now - w.written_at >= PROGRESS_WRITE_S:
            try:
                self.library.update_job(job_id, status, progress, message)
            except Conflict:  # ended elsewhere (`fastclip jobs cancel`): stop the work
                w.send(("cancel", job_id))
                return
            w.written_status, w.written_at = status, now
        self._emit(JobUpdate(job_id, job.kind, status, progress, message, job.file_id))

    def _release(self, w: Worker) -> tuple[Job, str | None]:
        """Free worker ``w`` of its job (ended by the worker, or by its death); return job and output."""
        job, out = w.job, w.out
        if w.timed:
            self._job_seconds = [*self._job_seconds[-19:], time.monotonic() - w.started_at]
        w.job = w.out = None
        return job, out

    def _lost(self, w: Worker) -> None:
        """A worker died: fail the job it had."""
        error = ProcessingFailed(crash_message(w.proc.exitcode))
        if w.probing:
            w.reply, w.probing = ("error", error), False
        if w.job is not None:
            job, out = self._release(w)
            self.recorder.failed(job, out, error)

    def _emit(self, update: JobUpdate) -> None:
        if update.job_id in self._status:
            self._status[update.job_id] = update.status
        if self._on_event is not None:
            self._on_event(update)

    def _probe(self, key: str, path: str):
        """A MediaInfo of ``path``, from a worker (the planner's)."""
        w = self.pool.idle() or self.pool.start()
        w.probing, w.reply = True, None
        w.send(("probe", key, path))
        while w.probing:
            self._wait(1.0)
        kind, value = w.reply
        if kind == "error":
            raise value
        return value

    def _recheck(self) -> None:
        """Jobs we wait for that another process runs: see if they ended, or if it died."""
        mine = {w.job.job_id for w in self.pool.busy()}
        elsewhere = [j for j, s in self._status.items() if s not in ENDED and j not in mine]
        if not elsewhere:
            return
        if any(self._status[j] in RUNNING for j in elsewhere):
            self.recovery.recover()
        for j in elsewhere:
            job = self.library.get_job(j)
            if job.status != self._status[j]:
                self._emit(JobUpdate.from_job(job))

    def _assign(self, wanted: list[str] | None) -> None:
        """Give each idle worker the next pending job; start workers while jobs wait."""
        pending = None
        if wanted is not None:
            pending = [j for j, s in self._status.items() if s == "pending"]
            if not pending:
                return
        while True:
            w = self.pool.idle()
            if w is None:
                waiting = len(pending) if pending is not None else self._pending_count()
                if not waiting or not self._worth_another_worker(waiting):
                    return
                w = self.pool.start()
            job = self.library.claim_next_job(worker_pid=w.pid, kinds=KINDS, job_ids=pending)
            if job is None:
                return
            if pending is not None:
                pending.remove(job.job_id)
            self._emit(JobUpdate.from_job(job))
            self._hand_over(w, job)
            if pending is not None and not pending:
                return

    def _pending_count(self) -> int:
        """How many jobs (up to 100) are pending in the library."""
        return len(self.library.list_jobs("pending", limit=100))

    def _worth_another_worker(self, waiting: int) -> bool:
        """Whether ``waiting`` jobs are enough work to pay for starting a worker (many quick jobs
        are done sooner by the workers there are: a new one takes a while to import PyAV)."""
        if len(self.pool.workers) >= self.max_workers:
            return False
        busy = self.pool.busy()
        if not busy:
            return True
        if self._job_seconds:
            typical = sorted(self._job_seconds)[len(self._job_seconds) // 2]
            return typical * waiting >= WORKER_START_S
        return time.monotonic() - min(w.started_at for w in busy) >= WORKER_START_S  # the first job is long

    def _hand_over(self, w: Worker, job: Job) -> None:
        """Send a claimed job to worker ``w`` (or end it here when it cannot start)."""
        w.job, w.written_status, w.written_at = job, "downloading", time.monotonic()
        w.started_at, w.timed = w.written_at, w.ready
        try:
            msg = self.handover.message(job)
        except FastClipError as e:
            job, out = self._release(w)
            self.recorder.failed(job, out, e)
            return
        if isinstance(msg, Job):  # nothing to run: it ended here
            self._release(w)
            self.recorder.ended(msg, None)
            return
        if msg[0] == "import":
            w.written_status = "processing"
        else:
            w.out = msg[2].get("out")
        w.send(msg)

    # -- closing ------------------------------------------------------------------------------------

    def close(self, *, cancel_running: bool = False, wait: bool = True) -> None:
        """Stop the workers. With ``cancel_running`` the jobs they were running are cancelled;
        otherwise such jobs are left for the next start-up's recovery. Without ``wait``, idle
        workers are told to stop and left to end by themselves; busy ones are waited for."""
        if self._closed:
            return
        self._closed = True
        if cancel_running:
            for w in self.pool.busy():
                with contextlib.suppress(FastClipError):
                    self.library.cancel_job(w.job.job_id)
        self.pool.close(wait=wait)

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel_running=exc_type is not None and issubclass(exc_type, KeyboardInterrupt))


__all__ = ["JobUpdate", "Runner"]
