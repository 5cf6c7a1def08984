"""The job runner's start-up housekeeping: interrupted jobs, their temp files, expired clips.

A mixin of :class:`engine.jobs.runner.Runner` (kept apart so runner.py holds the worker loop):
at start-up, jobs a crashed or killed app left running are re-queued once or failed with
the reason (never while the process that claimed them still runs), the temp files of their
outputs are removed, and expired library clips are swept, each with its webhook event.
"""

from __future__ import annotations

import contextlib
import os
import sys

from ..atomic import remove_stale_temps
from ..errors import FastClipError
from ..library import Job
from ..library.jobs import RUNNING, claimed_here, pid_alive
from .planner import clip_payload, job_payload, media_payload
from .pool import remove_job_temps


class StartupHousekeeping:
    """Needs ``library`` and ``_workers`` (handles with ``pid`` and ``job``) from the Runner."""

    def _housekeeping(self) -> None:
        lib = self.library
        self.recovered = lib.recover_after_crash(is_running=self._owner_running)
        for job in self.recovered:
            self._after_recovery(job)
        if self.recovered and not any(lib.list_jobs(s, limit=1) for s in RUNNING):
            remove_stale_temps(lib.clips_dir)  # nobody is writing there now
        self.expired = lib.sweep_expired()
        for clip in self.expired:
            lib.queue_event("clip.expired", clip_payload(clip))

    def _after_recovery(self, job: Job) -> None:
        lib = self.library
        if job.kind == "clip" and job.request.get("out"):
            remove_job_temps(job.request["out"])
        if job.status != "failed":
            return
        if job.kind == "import" and job.file_id:
            with contextlib.suppress(FastClipError):
                media = lib.get_media(job.file_id)
                if media.status in ("pending", "processing"):
                    media = lib.mark_media_failed(job.file_id, job.error["message"])
                    lib.queue_event("upload.failed", media_payload(media))
        elif job.kind == "clip":
            lib.queue_event("clip.failed", job_payload(job))

    def _owner_running(self, row: dict) -> bool:
        """Whether the process that claimed a job (a row) may still be running it."""
        pid = row["worker_pid"]
        ours = next((w for w in self._workers if w.pid == pid), None)
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
