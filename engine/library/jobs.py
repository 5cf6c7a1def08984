"""Jobs: background work with the API's statuses, safe across processes and crashes.

``pending → downloading → processing → uploading → complete | failed``. A worker takes the
oldest pending job with :meth:`JobRecords.claim_next_job` (one write transaction, so two
processes never take the same job) and reports with ``update_job``; a job ends exactly once,
by ``complete_job``, ``fail_job`` or ``cancel_job`` (ending it again is a Conflict, which is
also how a worker learns its job was cancelled). At start-up, ``recover_after_crash`` re-queues
or fails the jobs a stopped process left running.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Callable
from fractions import Fraction
from pathlib import PurePath

from ..errors import Conflict, FastClipError, InvalidRequest, NotFound
from ..naming import new_job_id
from .database import Database, check_page, iso
from .rows import ENDED, JOB_KINDS, RUNNING, STATUSES, Clip, Job  # noqa: F401 (re-exported)

APP_STOPPED = "the app stopped while this job was running"
# Who claimed a job: its pid can be reused by a later process (always so in a container), this not.
PROCESS_TOKEN = secrets.token_hex(8)


def canonical_json(obj) -> str:
    """Sorted keys, compact separators: equal requests give equal text."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = dataclasses.asdict(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_value)


def request_fingerprint(request) -> str:
    """What ``find_completed_job`` looks up: the SHA-256 of the request's canonical JSON."""
    return hashlib.sha256(canonical_json(request).encode()).hexdigest()


def _json_value(v):
    if isinstance(v, Fraction):  # exact when a float can say it, else "1/3"
        return int(v) if v.denominator == 1 else (float(v) if Fraction(float(v)) == v else str(v))
    if isinstance(v, PurePath):
        return str(v)
    if isinstance(v, (set, frozenset)):
        return sorted(v)
    raise TypeError(f"{type(v).__name__} is not JSON")


def error_dict(error) -> dict:
    """``{"code", "message", "field"}`` from a FastClipError, a dict or a message."""
    if isinstance(error, FastClipError):
        return error.to_dict()
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return {"code": error.get("code") or "processing_failed", "message": error["message"],
                "field": error.get("field")}
    if isinstance(error, str) and error:
        return {"code": "processing_failed", "message": error, "field": None}
    raise InvalidRequest(f"a job error must be an engine error, a message or a dict with one, not {error!r}",
                         field="error")


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel32.GetLastError() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claimed_here(worker_token: str | None) -> bool:
    """Whether a job's claim was made by this very process (its token is PROCESS_TOKEN.<claim>)."""
    return (worker_token or "").split(".")[0] == PROCESS_TOKEN


def owner_running(job: dict) -> bool:
    """Whether the process that claimed ``job`` (a row) may still be running it."""
    if claimed_here(job["worker_token"]):
        return True  # claimed by this very process
    pid = job["worker_pid"]
    if pid is None or pid == os.getpid():
        return False  # an earlier process that had our pid
    return pid_alive(pid)


class JobRecords:
    """The job methods of :class:`~engine.library.Library`."""

    _db: Database
    _now: Callable
    _insert_clip: Callable

    def create_job(self, kind: str, request, *, job_id: str | None = None,
                   fingerprint: str | None = None) -> Job:
        """Queue a job. ``request`` is the JSON-able request (a dict or a dataclass).

        ``fingerprint`` (default: the SHA-256 of the request's canonical JSON) is what
        ``find_completed_job`` and ``latest_job_with_fingerprint`` look up: a front end that
        stores derived details in the request (an output path it chose) passes the
        fingerprint of what the user asked for, so asking again finds this job.
        """
        if kind not in JOB_KINDS:
            raise InvalidRequest(f"unknown job kind {kind!r} (kinds: {', '.join(JOB_KINDS)})", field="kind")
        try:
            text = canonical_json(request)
        except (TypeError, ValueError) as e:
            raise InvalidRequest(f"the job request cannot be stored as JSON: {e}", field="request") from None
        data = json.loads(text)
        if not isinstance(data, dict):
            raise InvalidRequest("a job request must be an object", field="request")
        job_id = job_id or new_job_id()
        try:
            with self._db.write() as conn:
                conn.execute(
                    "INSERT INTO jobs (job_id, kind, request, request_fingerprint, file_id, status_message, "
                    "created_at) VALUES (?, ?, ?, ?, ?, 'queued', ?)",
                    (job_id, kind, text, fingerprint or hashlib.sha256(text.encode()).hexdigest(), data.get("file_id"),
                     iso(self._now())))
        except sqlite3.IntegrityError:
            raise Conflict(f"there is already a job {job_id}", field="job_id") from None
        return self.get_job(job_id)

    def get_job(self, job_id: str) -> Job:
        row = self._db.row("SELECT * FROM jobs WHERE job_id = ?", (job_id,))
        if row is None:
            raise NotFound(f"no job {job_id}", field="job_id")
        return Job.from_row(row)

    def list_jobs(self, status: str | None = None, offset: int = 0, limit: int = 20, *,
                  kind: str | None = None, file_id: str | None = None) -> list[Job]:
        """Jobs, newest first (of one kind, of one import's file_id)."""
        check_page(offset, limit)
        terms, params = [], []
        if status is not None:
            if status not in STATUSES:
                raise InvalidRequest(f"unknown job status {status!r} (statuses: {', '.join(STATUSES)})",
                                     field="status")
            terms.append("status = ?")
            params.append(status)
        if kind is not None:
            terms.append("kind = ?")
            params.append(kind)
        if file_id is not None:
            terms.append("file_id = ?")
            params.append(file_id)
        where = "WHERE " + " AND ".join(terms) if terms else ""
        rows = self._db.rows(f"SELECT * FROM jobs {where} ORDER BY created_at DESC, rowid DESC "
                             "LIMIT ? OFFSET ?", (*params, limit, offset))
        return [Job.from_row(r) for r in rows]

    def claim_next_job(self, worker_pid: int | None = None, *, kinds: tuple[str, ...] | None = None,
                       job_ids=None) -> Job | None:
        """Take the oldest pending job (pending → downloading, attempts + 1), or None.

        ``worker_pid`` is the process that will run it (default: this one); start-up recovery
        leaves a job alone while that process lives. ``job_ids`` limits the choice to those
        jobs (a CLI run takes its own jobs, not everything queued).
        """
        kinds = tuple(kinds or JOB_KINDS)
        marks = ", ".join("?" * len(kinds))
        only, params = "", list(kinds)
        if job_ids is not None:
            ids = list(dict.fromkeys(job_ids))
            if not ids:
                return None
            only = " AND job_id IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(ids))
        with self._db.write() as conn:
            row = conn.execute(f"SELECT job_id FROM jobs WHERE status = 'pending' AND kind IN ({marks}){only} "
                               "ORDER BY created_at, rowid LIMIT 1", params).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET status = 'downloading', attempts = attempts + 1, started_at = ?, "
                "progress = 0, status_message = 'starting', worker_pid = ?, worker_token = ?, "
                "worker_address = NULL, error = NULL, result = NULL, finished_at = NULL "
                "WHERE job_id = ? AND status = 'pending'",
                (iso(self._now()), os.getpid() if worker_pid is None else int(worker_pid),
                 f"{PROCESS_TOKEN}.{secrets.token_hex(4)}",  # this process, and which claim
                 row[0]))
        return self.get_job(row[0])

    def update_job(self, job_id: str, status: str | None = None, progress: int | None = None,
                   message: str | None = None) -> Job:
        """Report on a running job. Statuses only move forward; an ended job is a Conflict."""
        if status is not None and status not in RUNNING:
            raise InvalidRequest(f"update_job sets {', '.join(RUNNING)}; end a job with complete_job, "
                                 f"fail_job or cancel_job (not {status!r})", field="status")
        if progress is not None and (isinstance(progress, bool) or not isinstance(progress, int)
                                     or not 0 <= progress <= 100):
            raise InvalidRequest(f"progress must be a whole number from 0 to 100, not {progress!r}",
                                 field="progress")
        with self._db.write() as conn:
            job = self.get_job(job_id)
            if job.status not in RUNNING:
                raise Conflict(_not_running(job), field="job_id")
            if status is not None and RUNNING.index(status) < RUNNING.index(job.status):
                raise Conflict(f"job {job_id} is {job.status}; it cannot go back to {status}", field="status")
            conn.execute(
                "UPDATE jobs SET status = coalesce(?, status), progress = coalesce(?, progress), "
                "status_message = coalesce(?, status_message) WHERE job_id = ?",
                (status, progress, message, job_id))
        return self.get_job(job_id)

    def set_job_worker(self, job_id: str, address: str, *, claimed: Job | None = None) -> Job:
        """Say where a running job's attempt runs (a cluster worker's address). An ended job, or
        (with ``claimed``) another claim of it, is a Conflict."""
        claim, params = "", ()
        if claimed is not None:
            claim, params = " AND worker_token IS ?", (claimed.worker_token,)
        marks = ", ".join("?" * len(RUNNING))
        with self._db.write() as conn:
            cur = conn.execute(f"UPDATE jobs SET worker_address = ? WHERE job_id = ? AND status IN ({marks}){claim}",
                               (str(address), job_id, *RUNNING, *params))
            if cur.rowcount == 0:
                raise Conflict(_not_running(self.get_job(job_id)), field="job_id")
        return self.get_job(job_id)

    def requeue_job(self, job_id: str, message: str, *, claimed: Job | None = None) -> Job:
        """Put a running job back in the queue (pending, with ``message``) when what ran it went
        away before it ended (a cluster's scheduler): a later run takes it up. With ``claimed``,
        only that claim of the job; an ended job is a Conflict."""
        claim, params = "", ()
        if claimed is not None:
            claim, params = " AND worker_token IS ?", (claimed.worker_token,)
        marks = ", ".join("?" * len(RUNNING))
        with self._db.write() as conn:
            cur = conn.execute(
                "UPDATE jobs SET status = 'pending', progress = 0, status_message = ?, started_at = NULL, "
                f"worker_pid = NULL, worker_token = NULL WHERE job_id = ? AND status IN ({marks}){claim}",
                (message, job_id, *RUNNING, *params))
            if cur.rowcount == 0:
                raise Conflict(_not_running(self.get_job(job_id)), field="job_id")
        return self.get_job(job_id)

    def complete_job(self, job_id: str, result: dict | None = None, *, claimed: Job | None = None) -> Job:
        """End a running job as complete, with its result (JSON). With ``claimed`` (the row
        ``claim_next_job`` returned), only that claim of the job is ended: the end of an
        attempt that was cancelled, and whose job was retried and claimed again meanwhile (even
        by the same worker, in the same second), is a Conflict."""
        with self._db.write() as conn:
            self._end(conn, job_id, RUNNING, "complete", result=result, claimed=claimed)
        return self.get_job(job_id)

    def complete_clip_job(self, job_id: str, *, source_file_id: str, path, format: str, duration,
                          quality: str = "", aspect_ratio: str = "", captioned: bool = False,
                          title: str | None = None, result: dict | None = None,
                          claimed: Job | None = None) -> tuple[Job, Clip]:
        """Record the clip and complete its job in one transaction: both, or neither (a crash
        between the two can never leave a clip whose job is re-run)."""
        with self._db.write() as conn:
            clip_id = self._insert_clip(conn, path=path, format=format, duration=duration,
                                        source_file_id=source_file_id, job_id=job_id, quality=quality,
                                        aspect_ratio=aspect_ratio, captioned=captioned, pinned=False,
                                        title=title)
            clip = self._clip(clip_id)
            summary = {k: v for k, v in clip.to_dict().items() if k in (
                "clip_id", "file_name", "path", "format", "quality", "duration", "aspect_ratio",
                "captioned", "saved_to_library", "expires_at")}
            self._end(conn, job_id, RUNNING, "complete", result={**(result or {}), **summary}, claimed=claimed)
        return self.get_job(job_id), clip

    def fail_job(self, job_id: str, error, *, claimed: Job | None = None) -> Job:
        """End a pending or running job as failed; ``error`` is a FastClipError, a message or a dict.
        With ``claimed``, only that claim of the job (see complete_job)."""
        err = error_dict(error)
        with self._db.write() as conn:
            self._end(conn, job_id, ("pending", *RUNNING), "failed", error=err, claimed=claimed)
        return self.get_job(job_id)

    def cancel_job(self, job_id: str) -> Job:
        """Fail a pending or running job with 'cancelled'. A worker running it learns so from the
        Conflict its next update_job raises."""
        with self._db.write() as conn:
            self._end(conn, job_id, ("pending", *RUNNING), "failed",
                      error={"code": "cancelled", "message": "cancelled", "field": None})
        return self.get_job(job_id)

    def retry_job(self, job_id: str) -> Job:
        """Queue a failed job again, as new (attempts back to 0)."""
        with self._db.write() as conn:
            job = self.get_job(job_id)
            if job.status != "failed":
                raise Conflict(f"only a failed job can be retried; job {job_id} is {job.status}", field="job_id")
            conn.execute(
                "UPDATE jobs SET status = 'pending', progress = 0, status_message = 'queued', error = NULL, "
                "result = NULL, started_at = NULL, finished_at = NULL, attempts = 0, worker_pid = NULL, "
                "worker_token = NULL WHERE job_id = ?", (job_id,))
        return self.get_job(job_id)

    def recover_after_crash(self, max_attempts: int = 2, *,
                            is_running: Callable[[dict], bool] = owner_running) -> list[Job]:
        """Deal with jobs a stopped process left running; call once at start-up, before claiming.

        Each is queued again if it has had fewer than ``max_attempts`` attempts, else failed
        with "the app stopped while this job was running". A job whose process still runs
        (another window, a CLI run) is left alone. Returns the jobs changed.
        """
        changed = []
        now = iso(self._now())
        with self._db.write() as conn:
            for row in self._db.rows(f"SELECT * FROM jobs WHERE status IN ({', '.join('?' * len(RUNNING))}) "
                                     "ORDER BY created_at, rowid", RUNNING):
                if is_running(row):
                    continue
                if row["attempts"] < max_attempts:
                    conn.execute(
                        "UPDATE jobs SET status = 'pending', progress = 0, status_message = ?, "
                        "started_at = NULL, worker_pid = NULL, worker_token = NULL WHERE job_id = ?",
                        (f"queued again: {APP_STOPPED}", row["job_id"]))
                else:
                    self._end(conn, row["job_id"], RUNNING, "failed", now=now, error={
                        "code": "processing_failed", "message": APP_STOPPED, "field": None})
                changed.append(row["job_id"])
        return [self.get_job(j) for j in changed]

    def find_completed_job(self, fingerprint: str) -> Job | None:
        """The latest complete job whose request had this fingerprint (see request_fingerprint).

        Its output may have expired or been deleted since: check the clip before reusing it.
        """
        row = self._db.row("SELECT * FROM jobs WHERE request_fingerprint = ? AND status = 'complete' "
                           "ORDER BY finished_at DESC, rowid DESC LIMIT 1", (fingerprint,))
        return Job.from_row(row) if row else None

    def latest_job_with_fingerprint(self, fingerprint: str) -> Job | None:
        """The newest job, in any status, whose request had this fingerprint."""
        row = self._db.row("SELECT * FROM jobs WHERE request_fingerprint = ? ORDER BY created_at DESC, rowid DESC "
                           "LIMIT 1", (fingerprint,))
        return Job.from_row(row) if row else None

    def _end(self, conn: sqlite3.Connection, job_id: str, allowed: tuple[str, ...], status: str, *,
             result: dict | None = None, error: dict | None = None, now: str | None = None,
             claimed: Job | None = None) -> None:
        try:
            result_text = None if result is None else canonical_json(result)
        except (TypeError, ValueError) as e:
            raise InvalidRequest(f"the job result cannot be stored as JSON: {e}", field="result") from None
        marks = ", ".join("?" * len(allowed))
        done = status == "complete"
        claim, claim_params = "", ()
        if claimed is not None:  # this claim, not a later one of the same job
            claim, claim_params = " AND worker_token IS ?", (claimed.worker_token,)
        cur = conn.execute(
            f"UPDATE jobs SET status = ?, progress = CASE WHEN ? THEN 100 ELSE progress END, "
            f"status_message = ?, result = ?, error = ?, finished_at = ?, worker_token = NULL "
            f"WHERE job_id = ? AND status IN ({marks}){claim}",
            (status, done, "Done!" if done else error["message"], result_text,
             None if error is None else canonical_json(error), now or iso(self._now()), job_id, *allowed,
             *claim_params))
        if cur.rowcount == 0:
            raise Conflict(_not_running(self.get_job(job_id)), field="job_id")


def _not_running(job: Job) -> str:
    if job.ended:
        how = f": {job.error['message']}" if job.error else ""
        return f"job {job.job_id} has already ended ({job.status}{how})"
    return f"job {job.job_id} is {job.status}; a worker must claim it first"
