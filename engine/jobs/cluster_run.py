"""One run of jobs on a Dask cluster: the loop behind :meth:`engine.jobs.cluster.Cluster.run`.

Jobs are claimed (pending → downloading) and sent only as the usable workers can take them
(their threads, plus one each waiting), so a row shows as running when it is. The tasks' Dask
events (``engine.jobs.cluster_tasks.Reporter``) come back on a topic of this run and become row
updates (status, progress, the worker's address), written at most every PROGRESS_WRITE_S; each
end goes through the :class:`~engine.jobs.recorder.Recorder` (clip rows, ``clip.complete``; a
transcript into this machine's cache). Faults: see the module doc of ``engine.jobs.cluster``.
"""

from __future__ import annotations

import contextlib
import queue
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from ..atomic import remove_job_temps
from ..errors import Conflict, FastClipError, ProcessingFailed
from ..library import Job, Library
from ..library.jobs import ENDED, RUNNING
from ..paths import cache_dir
from ..transcript.cached import cache_entry
from ..transcript.formats import from_dict
from ..transcript.speech_model import resolve_model_path
from . import cluster_tasks
from .recorder import MAKES_A_CLIP, JobUpdate, Recorder
from .runner import Runner

CONNECT_TIMEOUT_S = 15.0  # to reach the scheduler, or fetch a result from it
NO_WORKER_S = 60.0  # a run with work left and no worker able to do it stops after this long
PROGRESS_WRITE_S = 0.25  # a running job's progress is written to its row at most this often
RECHECK_S = 0.5  # how often the rows of the batch's jobs are read again (cancelled, taken elsewhere)
WORKERS_CHECK_S = 1.0  # how often the scheduler is asked which workers there are
CANCEL_GRACE_S = 0.5  # after Ctrl+C: time for cancelled tasks to stop before their temp files are removed
RETRIES = 1  # a task that raises is run once more before its job fails


class SchedulerLost(ProcessingFailed):
    """The connection to the cluster's scheduler was lost while jobs ran (or no worker was left)."""


@dataclass
class Flight:
    """A job of ours on the cluster: its claimed row, its Dask future and what it has said."""

    job: Job
    future: object
    key: str
    local_path: str  # the source, as this machine names it
    local_out: str | None  # the output, as this machine names it
    status: str = "downloading"
    progress: int = 0
    message: str = ""
    address: str | None = None
    starts: int = 0
    written_status: str = ""
    written_at: float = 0.0


class ClusterRun:
    """One run of jobs on a cluster: the loop of :meth:`Cluster.run`."""

    def __init__(self, cluster, runner: Runner, job_ids: list[str], on_event, on_note):
        self.cluster, self.client = cluster, cluster.client
        self.library: Library = runner.library
        self.runner = runner
        self.on_event, self.on_note = on_event, on_note
        self.recorder = Recorder(self.library, runner.facts, self._emit)
        self.wanted = job_ids
        self.status = {j: self.library.get_job(j).status for j in job_ids}
        self.flights: dict[str, Flight] = {}
        self.topic = f"fastclip-{secrets.token_hex(6)}"
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.stopping = False
        self.no_worker_since: float | None = None

    def run(self) -> dict[str, Job]:
        self.client.subscribe_topic(self.topic, self.events.put)
        rechecked = workers_checked = time.monotonic()
        try:
            while True:
                now = time.monotonic()
                if now - workers_checked >= WORKERS_CHECK_S:
                    workers_checked = now
                    self._watch_workers()
                self._send()
                self._take_events(0.05 if self.flights else 0.2)
                self._collect()
                if time.monotonic() - rechecked >= RECHECK_S:
                    rechecked = time.monotonic()
                    self._recheck()
                if not self.flights and all(s in ENDED for s in self.status.values()):
                    break
                self._check_connection()
        except KeyboardInterrupt:
            self._cancel_all()
            raise
        except SchedulerLost:
            self._requeue_all()
            raise
        finally:
            with contextlib.suppress(Exception):
                self.client.unsubscribe_topic(self.topic)
        return {j: self.library.get_job(j) for j in self.wanted}

    # -- sending -----------------------------------------------------------------------------------

    def _capacity(self) -> int:
        usable = self.cluster.usable
        return sum(self.cluster.alive[a] for a in usable) + len(usable)

    def _send(self) -> None:
        """Claim pending jobs of ours and send them, while workers can take them."""
        while len(self.flights) < self._capacity():
            waiting = [j for j, s in self.status.items() if s == "pending" and j not in self.flights]
            if not waiting:
                return
            job = self.library.claim_next_job(job_ids=waiting)  # (this process runs it: its pid)
            if job is None:  # taken by another process meanwhile
                for j in waiting:
                    self.status[j] = self.library.get_job(j).status
                return
            self._emit(JobUpdate.from_job(job))
            try:
                msg = self.runner.handover.message(job)  # the source checked again, the output path
                if isinstance(msg, Job):  # (an import done meanwhile: not a kind a batch sends)
                    self.recorder.ended(msg, None)
                    continue
                kind, job_id, spec = msg
                worker_spec = self._worker_spec(kind, spec)
            except FastClipError as e:
                self.recorder.failed(job, job.request.get("out"), e)
                continue
            key = f"fastclip-{kind}-{job_id}-{secrets.token_hex(4)}"
            future = self.client.submit(cluster_tasks.run_job, kind, job_id, worker_spec, self.topic, key=key,
                                        pure=False, retries=RETRIES, workers=self.cluster.usable,
                                        allow_other_workers=False)
            flight = Flight(job, future, key, spec["path"], spec.get("out"), message="sent to the cluster")
            self.flights[job_id] = flight
            self._progress(flight, "downloading", 0, "sent to the cluster")

    def _worker_spec(self, kind: str, spec: dict) -> dict:
        """The job's spec as a worker needs it: its paths, no library (it cannot open ours)."""
        to_worker = self.cluster.path_map.to_worker
        out = {k: v for k, v in spec.items() if k not in ("library", "cache_dir")}
        out["path"] = to_worker(spec["path"])
        if spec.get("out"):
            out["out"] = to_worker(spec["out"])
        if spec.get("model_path"):
            out["model_path"] = to_worker(str(resolve_model_path(spec["model_path"])))
        ref = spec.get("preset_ref") if kind == "captions" else spec.get("captions")
        if ref and str(ref).startswith("preset:"):  # a custom preset lives in our library: send its style
            from ..captions.custom import (
                resolve_preset,  # (Pillow, fontTools: only for custom presets)
            )

            style, font_file = resolve_preset(ref, self.library)
            out["resolved_preset"] = (style, None if font_file is None else to_worker(str(font_file)))
        return out

    # -- hearing from the tasks ----------------------------------------------------------------------

    def _take_events(self, timeout: float) -> None:
        try:
            _, msg = self.events.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            self._event(msg)
            try:
                _, msg = self.events.get_nowait()
            except queue.Empty:
                return

    def _event(self, msg: dict) -> None:
        flight = self.flights.get(msg.get("job"))
        if flight is None or msg.get("key") != flight.key:
            return  # a job that has ended, or an older claim of it
        if msg.get("event") == "start":
            address = str(msg.get("worker"))
            again = flight.starts > 0
            flight.starts += 1
            flight.address = self.cluster.where[flight.job.job_id] = address
            try:
                self.library.set_job_worker(flight.job.job_id, address, claimed=flight.job)
            except Conflict:  # ended meanwhile (cancelled elsewhere)
                self._ended_elsewhere(flight)
                return
            message = f"started again on {address}" if again else f"on {address}"  # (a retry, or its worker died)
            self._progress(flight, flight.status, 0, message)
            return
        status = msg.get("status")
        if status in RUNNING:
            self._progress(flight, status, int(msg.get("progress") or 0), str(msg.get("message") or ""))

    def _progress(self, flight: Flight, status: str, progress: int, message: str) -> None:
        if RUNNING.index(status) < RUNNING.index(flight.status):
            status = flight.status  # a retry starts over; the row's status never goes back
        flight.status, flight.progress, flight.message = status, max(0, min(100, progress)), message
        job_id = flight.job.job_id
        now = time.monotonic()
        if status != flight.written_status or now - flight.written_at >= PROGRESS_WRITE_S:
            try:
                self.library.update_job(job_id, status, flight.progress, message)
            except Conflict:  # ended elsewhere (`fastclip jobs cancel`): stop the task
                self._ended_elsewhere(flight)
                return
            flight.written_status, flight.written_at = status, now
        self._emit(JobUpdate(job_id, flight.job.kind, status, flight.progress, message, flight.job.file_id))

    def _ended_elsewhere(self, flight: Flight) -> None:
        """Our job was ended by another process (cancelled): let its task go."""
        self.flights.pop(flight.job.job_id, None)
        with contextlib.suppress(Exception):
            self.client.cancel([flight.future])
        self._emit(JobUpdate.from_job(self.library.get_job(flight.job.job_id)))

    # -- ends --------------------------------------------------------------------------------------

    def _collect(self) -> None:
        for flight in list(self.flights.values()):
            status = flight.future.status
            if status == "finished":
                try:
                    payload = flight.future.result(timeout=CONNECT_TIMEOUT_S)
                except Exception as e:  # the result could not be fetched (the scheduler went away)
                    self._check_connection()
                    self._failed(flight, ProcessingFailed(f"its result could not be fetched: {one_line(e)}"))
                    continue
                self._done(flight, payload)
            elif status == "error":
                self._failed(flight, self._error(flight, flight.future.exception()))
            elif status in ("cancelled", "lost"):
                self._check_connection()  # (a lost connection cancels every future)
                self._failed(flight, ProcessingFailed("the cluster dropped this task"))

    def _done(self, flight: Flight, payload: dict) -> None:
        self.flights.pop(flight.job.job_id)
        value = payload["value"]
        address = payload.get("worker")
        if address:
            self.cluster.where[flight.job.job_id] = address
        try:
            if flight.job.kind in MAKES_A_CLIP:
                written = value["path"]
                value["path"] = self.cluster.path_map.to_local(written)
                if not Path(value["path"]).is_file():  # written on the worker's own disk, not shared storage
                    raise ProcessingFailed(
                        f"the worker {address} wrote {written}, which this machine does not see at {value['path']}: "
                        "outputs must be on storage every machine shares (an out path there, or a --path-map rule)",
                        field="out")
            elif flight.job.kind == "transcript":
                self._keep_transcript(flight, value.pop("transcript"))
                value["model_path"] = flight.job.request.get("model_path")  # (as this machine names it)
        except FastClipError as e:
            self.recorder.failed(flight.job, flight.local_out, e)
        else:
            self.recorder.done(flight.job, flight.local_out, value)
        self._tidy(flight)

    def _failed(self, flight: Flight, error: FastClipError) -> None:
        self.flights.pop(flight.job.job_id, None)
        self.recorder.failed(flight.job, flight.local_out, error)
        self._tidy(flight)

    def _tidy(self, flight: Flight) -> None:
        """A job has ended: the temp files a killed worker left beside its output go."""
        if flight.local_out:
            remove_job_temps(flight.local_out)

    def _error(self, flight: Flight, exc) -> FastClipError:
        if isinstance(exc, FastClipError):
            return exc
        if type(exc).__name__ == "KilledWorker":
            where = f" (last on {flight.address})" if flight.address else ""
            return ProcessingFailed(f"the workers running this job died, each time it was started{where}")
        if isinstance(exc, ImportError):
            return ProcessingFailed(f"the worker could not load the FastClip engine: {one_line(exc)}")
        return ProcessingFailed(f"unexpected error on the cluster: {one_line(exc)}")

    def _keep_transcript(self, flight: Flight, data: dict) -> None:
        """Put the transcript a worker made into this machine's transcript cache, where
        ``fastclip transcript`` and the app look for it (keyed by the file's content here)."""
        request = flight.job.request
        try:
            cache, key = cache_entry(Path(flight.local_path), request.get("cache_dir") or cache_dir(),
                                     resolve_model_path(request.get("model_path")), request.get("language"))
            cache.put(key, from_dict(data))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ProcessingFailed(f"the transcript came back but could not be kept in the cache: {one_line(e)}") \
                from None

    def _emit(self, update: JobUpdate) -> None:
        if update.job_id in self.status:
            self.status[update.job_id] = update.status
        if self.on_event is not None:
            self.on_event(update)

    # -- watching ----------------------------------------------------------------------------------

    def _watch_workers(self) -> None:
        self._check_connection()
        before = set(self.cluster.usable)
        try:
            self.cluster._poll_workers()
            checks = self.cluster.check_new_workers()
        except (OSError, TimeoutError) as e:
            self._check_connection()
            raise SchedulerLost(f"the scheduler at {self.cluster.address} stopped answering: {one_line(e)}") from None
        for check in checks:
            if check.reason is not None:
                self._note(f"worker {check.address} refused: {check.reason}")
        for gone in sorted(before - set(self.cluster.usable)):
            self._note(f"worker {gone} left the cluster; its tasks go to the others")
        waiting = any(s == "pending" for s in self.status.values()) or self.flights
        if self.cluster.usable or not waiting:
            self.no_worker_since = None
        elif self.no_worker_since is None:
            self.no_worker_since = time.monotonic()
            self._note(f"no worker of {self.cluster.address} can run jobs now; waiting up to {NO_WORKER_S:.0f} s "
                       "for one to join")
        elif time.monotonic() - self.no_worker_since >= NO_WORKER_S:
            raise SchedulerLost(f"no worker able to run FastClip jobs has been in the cluster at {self.cluster.address} "
                                f"for {NO_WORKER_S:.0f} s")

    def _recheck(self) -> None:
        """The rows of our jobs: ours cancelled from another process; the others' progress."""
        elsewhere_running = False
        for j, s in list(self.status.items()):
            if s in ENDED:
                continue
            job = self.library.get_job(j)
            flight = self.flights.get(j)
            if flight is not None:
                if job.ended:
                    self._ended_elsewhere(flight)
                    self.status[j] = job.status
                continue
            if job.status != s:
                self._emit(JobUpdate.from_job(job))
            self.status[j] = job.status
            elsewhere_running = elsewhere_running or job.status in RUNNING
        if elsewhere_running:  # run by another process: if it died, its jobs are queued again
            self.runner.recovery.recover(also_running=lambda row: row["job_id"] in self.flights)

    def _check_connection(self) -> None:
        if self.client.status != "running":
            raise SchedulerLost(f"lost the connection to the scheduler at {self.cluster.address}")

    def _note(self, text: str) -> None:
        if self.on_note is not None:
            self.on_note(text)

    # -- stopping ----------------------------------------------------------------------------------

    def _cancel_all(self) -> None:
        """Ctrl+C: record what finished, cancel the tasks still running and their jobs."""
        with contextlib.suppress(Exception):
            self._collect()
        flights = list(self.flights.values())
        with contextlib.suppress(Exception):
            self.client.cancel([f.future for f in flights])
        for f in flights:
            self.flights.pop(f.job.job_id, None)
            with contextlib.suppress(FastClipError):
                self._emit(JobUpdate.from_job(self.library.cancel_job(f.job.job_id)))
        if flights:
            time.sleep(CANCEL_GRACE_S)  # each task stops at its next report, removing its temp file
            for f in flights:
                if f.local_out:
                    remove_job_temps(f.local_out)

    def _requeue_all(self) -> None:
        """The scheduler went away: the jobs that were running are queued again for a later run."""
        for f in list(self.flights.values()):
            self.flights.pop(f.job.job_id, None)
            with contextlib.suppress(FastClipError):
                job = self.library.requeue_job(f.job.job_id, "queued again: the cluster's scheduler went away",
                                               claimed=f.job)
                self._emit(JobUpdate.from_job(job))


def one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__
