"""What every endpoint shares: the library, the one job runner (on its own thread, as the app runs it),
the URL signer and the webhook dispatcher; and the server's background duty (one-shot clips).

Library calls run on the threadpool (SQLite blocks); runner calls run on the job thread
(``JobThread.call``), so a job queued here is the same kind of row, run by the same runner, as
one queued by the app or the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from pathlib import Path

import anyio.to_thread
from starlette.requests import Request

from engine import ClipRequest, Dispatcher, FastClipError, JobThread, Library

from .errors import ApiError
from .signing import DOWNLOAD_URL_S, Signer

log = logging.getLogger("fastclip.api")
ONE_SHOT_POLL_S = 0.5
STARTUP_TIMEOUT_S = 60.0


class ApiState:
    """``library_path``: the library.db to serve (default: the data dir's). ``jobs``: a JobThread to
    share (the app's); without, the server starts its own with ``workers`` workers and stops it at
    the end, after giving running jobs ``grace_s`` seconds to finish (the rest are queued again by
    the next start's recovery)."""

    def __init__(self, library_path: str | Path | None = None, *, jobs: JobThread | None = None,
                 workers: int | None = None, grace_s: float = 10.0):
        self.library_path = library_path
        self.workers = workers
        self.grace_s = grace_s
        self._own_jobs = jobs is None
        self.jobs = jobs
        self.library: Library | None = None
        self.signer: Signer | None = None
        self.dispatcher: Dispatcher | None = None
        self._task: asyncio.Task | None = None
        self.upload_locks: dict[str, asyncio.Lock] = {}

    # -- life -----------------------------------------------------------------------------------------

    async def open(self) -> None:
        self.library = await anyio.to_thread.run_sync(functools.partial(Library, self.library_path))
        self.signer = Signer(await self.db(self.library.api_signing_secret))
        await self.db(self.library.sweep_uploads)
        if self.jobs is None:
            self.jobs = JobThread(library_path=self.library.path, workers=self.workers, prestart=1,
                                  name="fastclip-api-jobs")
        await anyio.to_thread.run_sync(functools.partial(self.jobs.started, STARTUP_TIMEOUT_S))
        self.dispatcher = Dispatcher(self.library)
        self.dispatcher.start()
        self._task = asyncio.create_task(self._one_shot_clips())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.jobs is not None and self._own_jobs:
            await anyio.to_thread.run_sync(self._stop_jobs)
        if self.dispatcher is not None:
            await anyio.to_thread.run_sync(functools.partial(self.dispatcher.stop, 2.0))
        if self.library is not None:
            self.library.close()

    def _stop_jobs(self) -> None:
        """Let running jobs finish for up to ``grace_s``, then stop the runner (what still runs is
        queued again by the next start-up's recovery, its temp file removed)."""
        deadline = time.monotonic() + self.grace_s
        while time.monotonic() < deadline and self.jobs.alive:
            try:
                busy = self.jobs.call(lambda r: len(r.pool.busy())).result(2.0)
            except Exception:  # noqa: BLE001 - the thread has stopped
                break
            if not busy:
                break
            time.sleep(0.2)
        self.jobs.stop()

    # -- helpers for endpoints ------------------------------------------------------------------------

    async def db(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` (a library call) on the threadpool."""
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))

    async def run(self, fn):
        """``fn(runner)`` on the job thread, between two steps of the runner."""
        return await asyncio.wrap_future(self.jobs.call(fn))

    async def wait_job(self, job_id: str, poll_s: float = 0.2):
        """The job once it has ended (polled in the library: it may run in any process)."""
        while True:
            job = await self.db(self.library.get_job, job_id)
            if job.ended:
                return job
            await asyncio.sleep(poll_s)

    async def authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "unauthorized", "send an API key as Authorization: Bearer <key> "
                           "(make one with `fastclip keys create NAME`)", "Authorization",
                           {"WWW-Authenticate": "Bearer"})
        if await self.db(self.library.check_api_key, key.strip()) is None:
            raise ApiError(401, "unauthorized", "this API key is not one of this library's keys (or was deleted)",
                           "Authorization", {"WWW-Authenticate": "Bearer"})

    @staticmethod
    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def download_url(self, request: Request, clip_id: str | None) -> str | None:
        if not clip_id:
            return None
        return self.signer.url(self.base_url(request), f"/v1/files/{clip_id}", DOWNLOAD_URL_S)

    # -- one-shot clips (POST /v1/upload/request with "clip") -------------------------------------------

    async def _one_shot_clips(self) -> None:
        while True:
            await asyncio.sleep(ONE_SHOT_POLL_S)
            try:
                for upload, media in await self.db(self.library.one_shot_clips_due):
                    await self._queue_one_shot(upload, media)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the library busy: try at the next poll
                log.exception("queueing one-shot clips failed")

    async def _queue_one_shot(self, upload, media) -> None:
        clip = upload.clip
        request = ClipRequest(media.file_id, start=clip.get("start"), end=clip.get("end"), mode=None)
        title = clip.get("source_title")
        try:
            jobs = await self.run(lambda r: r.submit(request, names=[title] if title else None))
            job_id = jobs[0].job_id
        except FastClipError as e:  # the clip breaks a rule for this file: a failed job says why
            job_id = await self.db(self._failed_clip_job, media.file_id, clip, e)
        await self.db(self.library.set_media_clip_job, media.file_id, job_id)

    def _failed_clip_job(self, file_id: str, clip: dict, error: FastClipError) -> str:
        lib = self.library
        with lib.transaction():  # never seen pending by a runner
            job = lib.create_job("clip", {"file_id": file_id, **clip, "one_shot": True})
            lib.fail_job(job.job_id, error)
        return job.job_id
