"""The job runner's housekeeping: jobs a stopped app left running, their temp files, expired clips.

At start-up (and while waiting for jobs another process runs), jobs a crashed or killed app left
running are re-queued once or failed with the reason (never while the process that claimed them
still runs), whatever their kind; the temp files of their outputs are removed; a failed import's
media row is failed too, with ``upload.failed``; a failed clip, captions or auto-clip job sends
``clip.failed``. Expired library clips are swept (the library queues their ``clip.expired``).
"""

from __future__ import annotations

import contextlib
import os
import sys

from ..atomic import remove_job_temps, remove_stale_temps
from ..errors import FastClipError
from ..library import Job, Library
from ..library.jobs import RUNNING, claimed_here, pid_alive
from .payloads import job_payload, media_payload
from .pool import WorkerPool
from .recorder import MAKES_A_CLIP, SENDS_CLIP_FAILED


class Recovery:
    def __init__(self, library: Library, pool: WorkerPool):
        self.library, self.pool = library, pool

    def at_start(self) -> tuple[list[Job], list]:
        """Recover interrupted jobs and sweep expired clips; returns (recovered jobs, expired clips)."""
        lib = self.library
        recovered = self.recover()
        if recovered and not any(lib.list_jobs(s, limit=1) for s in RUNNING):
            remove_stale_temps(lib.clips_dir)  # nobody is writing there now
        return recovered, lib.sweep_expired()

    def recover(self, also_running=None) -> list[Job]:
        """Re-queue or fail the jobs whose process is gone (see the module doc). ``also_running(row)``
        says which other jobs this process runs itself (a cluster batch: on another machine's worker)."""
        is_running = self.owner_running if also_running is None else (
            lambda row: also_running(row) or self.owner_running(row))
        jobs = self.library.recover_after_crash(is_running=is_running)
        for job in jobs:
            self._after(job)
        return jobs

    def _after(self, job: Job) -> None:
        lib = self.library
        if job.kind in MAKES_A_CLIP and job.request.get("out"):
            remove_job_temps(job.request["out"])
        if job.status != "failed":
            return
        if job.kind == "import" and job.file_id:
            with contextlib.suppress(FastClipError):
                media = lib.get_media(job.file_id)
                if media.status in ("pending", "processing"):
                    media = lib.mark_media_failed(job.file_id, job.error["message"])
                    lib.queue_event("upload.failed", media_payload(media))
        elif job.kind in SENDS_CLIP_FAILED:
            lib.queue_event("clip.failed", job_payload(job))

    def owner_running(self, row: dict) -> bool:
        """Whether the process that claimed a job (a row) may still be running it."""
        pid = row["worker_pid"]
        ours = next((w for w in self.pool.workers if w.pid == pid), None)
        if ours is not None:  # a worker of ours (maybe a dead one's pid, reused)
            return ours.job is not None and ours.job.job_id == row["job_id"]
        if claimed_here(row["worker_token"]):
            return False  # claimed by this process for a worker it no longer has
        if pid is None or pid == os.getpid():
            return False
        return pid_alive(pid) and not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A process that has exited but was not reaped still answers kill(pid, 0)."""
    if sys.platform != "linux":
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] in (b"Z", b"X")
    except (OSError, ValueError):
        return False
