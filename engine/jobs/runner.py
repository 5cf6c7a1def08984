"""The job runner: library jobs, run in reusable worker processes, never lost.

Jobs are rows in the library (``engine.library``). A :class:`Runner` keeps up to ``workers``
worker processes (``engine.jobs.pool``), started with multiprocessing's "spawn" start method
(or "forkserver"): never a fork of a host that may hold a whisper model or Qt threads. For
each idle worker it claims the oldest pending job it was asked to run (the row names the
worker's pid), checks the source (``gone`` when it moved or changed) and hands the job over;
the worker runs it in process and streams its progress back, which the runner writes to the
row (at most every 0.25 s); the runner ends the job with its clip and webhook event in one
transaction. When a worker dies (a decoder segfault on a damaged file), the runner fails that
one job with "the decoder crashed on this file (signal 11)", removes its temp file and starts
another worker when there is more to do. Outputs are written by the export to a temp file
beside the destination, fsynced and renamed into place (``engine.atomic``).

At start-up it deals with what a stopped app left: jobs left running are queued again once,
then failed (``Library.recover_after_crash``; a job whose process still lives is left to it,
and looked at again while we wait for it), their temp files are removed, and expired clips
are swept. Another worker is started only when the jobs waiting are worth its start-up (many
quick jobs finish sooner in the workers there are). Imports, sources and planning requests
into jobs are :class:`engine.jobs.planner.JobRequests`. The CLI (and later the GUI) drives it::

    with Runner(library, workers=2) as runner:
        media = runner.resolve_source("talk.mp4")          # imported in a worker when needed
        jobs = runner.submit(ClipRequest(media.file_id, start=1, end=5))
        runner.run_until_idle(on_event=print, job_ids=[j.job_id for j in jobs])

Everything here is host-side and cheap to import; PyAV lives in the workers.
"""

from __future__ import annotations

import contextlib
import multiprocessing.connection
import time
from collections.abc import Iterable
from pathlib import Path

from ..errors import Conflict, FastClipError, Gone, InvalidRequest, ProcessingFailed
from ..library import Job, Library
from ..library.jobs import RUNNING
from .planner import (
    JobRequests,
    PlannedJob,
    clip_payload,
    job_payload,
    media_payload,
    source_kind,
)
from .pool import START_METHODS, StartedWorker, crash_message, remove_job_temps
from .recorder import ENDED, JobResults, JobUpdate, OnEvent
from .recovery import StartupHousekeeping

KINDS = ("clip", "import")  # the job kinds this runner runs (transcripts and captions come later)
PROGRESS_WRITE_S = 0.25  # a running job's progress is written to its row at most this often
RECHECK_S = 0.5  # how often jobs run by another process are looked at again
WORKER_START_S = 0.3  # about what starting one more worker costs: worth it only for more work than this
STOP_WAIT_S = 2.0

class _Handle:
    """A worker process as the runner sees it, and the job it runs."""

    def __init__(self, proc, conn):
        self.proc = proc
        self.conn = conn
        self.pid: int = proc.pid
        self.job: Job | None = None
        self.ready = False  # it has imported PyAV and waits for work
        self.started_at = 0.0  # when it was handed its job
        self.timed = False  # whether its job's duration says how long jobs take (it was ready for it)
        self.out: str | None = None  # the running clip job's output path
        self.written_at = 0.0  # when its progress was last written to the library
        self.written_status = ""
        self.probing = False
        self.reply = None


class Runner(StartupHousekeeping, JobRequests, JobResults):
    """Runs library jobs in up to ``workers`` worker processes (default: the ``workers`` setting).

    ``prestart`` workers are started at once (they import PyAV while the host does its start-up
    work), or ``adopt`` takes workers started earlier (``job_worker.StartedWorker.early``: the
    CLI forks one before it even imports this, while it is still clean); more start (spawned)
    when there are more jobs to run.
    ``housekeeping`` runs the start-up recovery and the expiry sweep. Use from one thread; close
    it (or use ``with``): closing stops the workers, and with ``cancel_running`` (Ctrl+C) cancels
    the jobs they had, which are otherwise left for the next start-up to queue again.
    """

    def __init__(self, library: Library, workers: int | None = None, *, start_method: str = "spawn",
                 prestart: int = 1, housekeeping: bool = True, adopt: Iterable[StartedWorker] = ()):
        if start_method not in START_METHODS:
            raise InvalidRequest(f"the job runner starts workers with {' or '.join(START_METHODS)}, never fork",
                                 field="start_method")
        self.library = library
        self.max_workers = max(1, int(workers or library.get_setting("workers")))
        self.start_method = start_method
        self._workers: list[_Handle] = [_Handle(s.proc, s.conn) for s in adopt]
        self._infos: dict[str, object] = {}  # file_id -> MediaInfo, from the workers
        self._status: dict[str, str] = {}  # job_id -> last known status, of the jobs being waited for
        self._on_event: OnEvent | None = None
        self._import_errors: dict[str, dict] = {}  # file_id -> the error of its last failed import job
        self._job_seconds: list[float] = []  # how long the last jobs took here
        self._running = False  # inside run_until_idle
        self._wanted: list[str] | None = None
        self.recovered: list[Job] = []
        self.expired: list = []
        self._closed = False
        for _ in range(min(prestart, self.max_workers) - len(self._workers)):
            self._start_worker()
        if housekeeping:
            self._housekeeping()

    # -- workers -----------------------------------------------------------------------------------

    def _start_worker(self) -> _Handle:
        started = StartedWorker(self.start_method)
        w = _Handle(started.proc, started.conn)
        self._workers.append(w)
        return w

    def _idle(self) -> _Handle | None:
        return next((w for w in self._workers if w.job is None and not w.probing), None)

    def _pump(self, timeout: float, wake: multiprocessing.connection.Connection | None = None) -> None:
        """Wait up to ``timeout`` for messages or deaths of workers (or bytes on ``wake``), and handle them."""
        by_conn = {w.conn: w for w in self._workers}
        by_sentinel = {w.proc.sentinel: w for w in self._workers if w.proc.sentinel is not None}
        waits = [*by_conn, *by_sentinel, *([wake] if wake is not None else [])]
        if not waits:
            time.sleep(timeout)
            return
        for ready in multiprocessing.connection.wait(waits, timeout):
            if ready is wake:
                while wake.poll():
                    wake.recv_bytes()
                continue
            w = by_conn.get(ready) or by_sentinel.get(ready)
            if w not in self._workers:
                continue
            try:
                while w.conn.poll():
                    self._handle(w, w.conn.recv())
            except (EOFError, OSError):
                self._lost(w)
                continue
            if ready in by_sentinel:
                self._lost(w)

    def _handle(self, w: _Handle, msg) -> None:
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
                self._record_done(job, out, msg[2])
            else:
                self._record_failed(job, out, msg[2])
        elif kind in ("reply", "error"):
            w.reply = msg
            w.probing = False

    def _progress(self, w: _Handle, job_id: str, status: str, progress: int, message: str) -> None:
        job = w.job
        if job is None or job.job_id != job_id:
            return
        now = time.monotonic()
        if status != w.written_status or now - w.written_at >= PROGRESS_WRITE_S:
            try:
                self.library.update_job(job_id, status, progress, message)
            except Conflict:  # ended elsewhere (`fastclip jobs cancel`): stop the work
                with contextlib.suppress(OSError):
                    w.conn.send(("cancel", job_id))
                return
            w.written_status, w.written_at = status, now
        self._emit(JobUpdate(job_id, job.kind, status, progress, message, job.file_id))

    def _release(self, w: _Handle) -> tuple[Job, str | None]:
        """Free worker ``w`` of its job (ended by the worker, or by its death); return job and output."""
        job, out = w.job, w.out
        if w.timed:
            self._job_seconds = [*self._job_seconds[-19:], time.monotonic() - w.started_at]
        w.job = w.out = None
        return job, out

    def _lost(self, w: _Handle) -> None:
        """A worker died: fail the job it had, and forget it."""
        self._workers.remove(w)
        w.proc.join(1.0)
        code = w.proc.exitcode
        with contextlib.suppress(OSError):
            w.conn.close()
        if w.probing:
            w.reply = ("error", ProcessingFailed(crash_message(code)))
            w.probing = False
        if w.job is not None:
            job, out = self._release(w)
            self._record_failed(job, out, ProcessingFailed(crash_message(code)))

    def _emit(self, update: JobUpdate) -> None:
        if update.job_id in self._status:
            self._status[update.job_id] = update.status
        if self._on_event is not None:
            self._on_event(update)

    # -- running jobs ------------------------------------------------------------------------------

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
        self._status = {j.job_id: j.status for j in jobs if j.kind in KINDS}  # others are not ours to wait for
        checked = time.monotonic()
        try:
            while True:
                self._assign(wanted)
                busy = any(w.job is not None for w in self._workers)
                if not busy:
                    if wanted is None:
                        if not self._pending_count():
                            break
                    elif all(s in ENDED for s in self._status.values()):
                        break
                if wanted is not None and time.monotonic() - checked >= RECHECK_S:
                    checked = time.monotonic()
                    self._recheck()
                self._pump(RECHECK_S if not busy else 1.0)
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
                self._pump(RECHECK_S, wake)
        finally:
            self._on_event, self._running = None, False

    def _recheck(self) -> None:
        """Jobs we wait for that another process runs: see if they ended, or if it died."""
        mine = {w.job.job_id for w in self._workers if w.job is not None}
        elsewhere = [j for j, s in self._status.items() if s not in ENDED and j not in mine]
        if not elsewhere:
            return
        if any(self._status[j] in RUNNING for j in elsewhere):
            for job in self.library.recover_after_crash(is_running=self._owner_running):
                self._after_recovery(job)
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
            w = self._idle()
            if w is None:
                waiting = len(pending) if pending is not None else self._pending_count()
                if not waiting or not self._worth_another_worker(waiting):
                    return
                w = self._start_worker()
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
        """How many jobs (up to 100) of the kinds we run are pending in the library."""
        return sum(len(self.library.list_jobs("pending", limit=100, kind=k)) for k in KINDS)

    def _worth_another_worker(self, waiting: int) -> bool:
        """Whether ``waiting`` jobs are enough work to pay for starting a worker (many quick jobs
        are done sooner by the workers there are: a new one takes a while to import PyAV)."""
        if len(self._workers) >= self.max_workers:
            return False
        busy = [w for w in self._workers if w.job is not None]
        if not busy:
            return True
        if self._job_seconds:
            typical = sorted(self._job_seconds)[len(self._job_seconds) // 2]
            return typical * waiting >= WORKER_START_S
        return time.monotonic() - min(w.started_at for w in busy) >= WORKER_START_S  # the first job is long

    def _hand_over(self, w: _Handle, job: Job) -> None:
        """Send a claimed job to worker ``w`` (or end it here when it cannot start)."""
        lib = self.library
        w.job, w.written_status, w.written_at = job, "downloading", time.monotonic()
        w.started_at, w.timed = w.written_at, w.ready
        try:
            if job.kind == "import":
                media = lib.get_media(job.file_id)
                if media.status == "ready":  # imported meanwhile, by another job or process
                    self._release(w)
                    self._ended(lib.complete_job(job.job_id, result=media_payload(media)), None)
                    return
                if media.status == "failed":  # a failed import's job, retried: the file again
                    if lib.add_media(media.path).file_id != media.file_id:
                        raise Gone(f"{media.filename} has changed since it was imported; import it again "
                                   f"({media.path})", field="file_id")
                lib.mark_media_processing(job.file_id)
                lib.update_job(job.job_id, "processing", 10, "analyzing")
                w.written_status = "processing"
                msg = ("import", job.job_id, job.file_id, media.path)
            elif job.kind == "clip":
                media = lib.check_source(job.file_id)  # Conflict (not ready), Gone (moved, changed)
                w.out = self._output_path(job.request["out"])
                msg = ("clip", job.job_id, {**job.request, "path": media.path, "out": w.out,
                                            "library": str(lib.path)})
            else:
                raise InvalidRequest(f"this runner does not run {job.kind} jobs", field="kind")
        except FastClipError as e:
            job, out = self._release(w)
            self._record_failed(job, out, e)
            return
        try:
            w.conn.send(msg)
        except OSError:  # it died already: the next pump notices and fails the job
            pass

    def _output_path(self, out: str) -> str:
        """The planned path; in the clips folder, another name if a live clip holds it (a planned
        path is overwritten otherwise: it is this job's own file from an interrupted attempt)."""
        p = Path(out)
        with contextlib.suppress(OSError, ValueError):
            if p.exists() and p.resolve().is_relative_to(self.library.clips_dir.resolve()) \
                    and self.library.clip_for_path(p) is not None:
                from ..naming import unique_path

                return str(unique_path(p.parent, p.name))
        return out

    def cancel(self, job_id: str) -> Job:
        """Cancel a pending or running job (a running one stops at its next progress step)."""
        job = self.library.cancel_job(job_id)
        for w in self._workers:
            if w.job is not None and w.job.job_id == job_id:
                with contextlib.suppress(OSError):
                    w.conn.send(("cancel", job_id))
        self._emit(JobUpdate.from_job(job))
        return job

    # -- closing -----------------------------------------------------------------------------------

    def close(self, *, cancel_running: bool = False, wait: bool = True) -> None:
        """Stop the workers. With ``cancel_running`` the jobs they were running are cancelled;
        otherwise such jobs are left for the next start-up's recovery. Without ``wait``, idle
        workers are told to stop and left to end by themselves (a front end about to exit need
        not wait the ~5 ms a worker takes to give back what PyAV held); busy ones are waited for."""
        if self._closed:
            return
        self._closed = True
        idle = []
        for w in self._workers:
            if w.job is not None and cancel_running:
                with contextlib.suppress(FastClipError):
                    self.library.cancel_job(w.job.job_id)
            with contextlib.suppress(OSError):
                if w.job is None and not w.probing:
                    w.conn.send(("stop",))
                    idle.append(w)
                else:
                    w.proc.terminate()  # SIGTERM: the worker removes its temp file and exits
        deadline = time.monotonic() + STOP_WAIT_S
        for w in self._workers:
            if not wait and w in idle:
                with contextlib.suppress(OSError):
                    w.conn.close()
                continue
            w.proc.join(max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():
                w.proc.terminate()
                w.proc.join(0.5)
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join()
            with contextlib.suppress(OSError):
                w.conn.close()
        self._workers.clear()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel_running=exc_type is not None and issubclass(exc_type, KeyboardInterrupt))


__all__ = ["JobUpdate", "PlannedJob", "Runner", "clip_payload", "job_payload", "media_payload", "remove_job_temps",
           "source_kind"]
