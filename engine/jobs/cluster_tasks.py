"""What a Dask worker runs for a job of a cluster batch: the job runner's own tasks.

A cluster batch (``engine.jobs.cluster``) sends each job as one Dask task,
``run_job(kind, job_id, spec, topic)``. The worker runs the same ``engine.jobs.tasks`` function a
local worker process runs (``run_clip``, ``run_captions``, ``run_transcript``), so the output is
written the same way: a hidden temp file beside the destination, fsynced, renamed
(``engine.atomic``); a task that fails or is cancelled removes its temp file as it unwinds.

The report callback sends the job's progress back to the submitting machine as Dask events on
``topic`` (``Worker.log_event``; the submitting client subscribes to it): a new status at once, a
new percentage at most every PROGRESS_SEND_S. At each report the task also looks whether its
future was cancelled (Ctrl+C on the submitting machine, ``fastclip jobs cancel``): then it raises
``Cancelled`` and stops. A task is told its job's paths as the worker names them (the batch
mapped them, ``engine.jobs.path_map``); it uses the worker's own transcript cache
(``engine.paths.cache_dir`` here), and a transcript job sends its transcript back, so the
submitting machine keeps it in its own cache.

``engine_version()`` is what the batch compares worker by worker before it sends anything.
Importing this module is cheap: PyAV (``engine.jobs.tasks``) and ``distributed`` are loaded by
the first task, on the worker; the submitting machine only names the function.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import platform
import threading
import time
import traceback
from pathlib import Path

from ..errors import (
    Cancelled,
    FastClipError,
    InvalidRequest,
    NotFound,
    ProcessingFailed,
)
from ..paths import cache_dir

PROGRESS_SEND_S = 0.1  # a running task sends its percentage (and looks for a cancel) at most this often
DISTRIBUTION = "fastclip-desktop"
_STOPPED = ("cancelled", "released", "forgotten")  # a worker's task states once its future is let go
_LOCAL = threading.local()  # per worker thread: the tasks' Sources (probes, open containers)


@functools.cache
def engine_version() -> dict:
    """What the engine here is: its package version, an id of its source files, and the Python
    and PyAV it runs on. Two machines run the same engine when ``version`` and ``source`` agree."""
    root = Path(__file__).resolve().parents[1]  # engine/
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return {"version": _version(DISTRIBUTION), "source": digest.hexdigest()[:12],
            "python": platform.python_version(), "av": _version("av")}


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def run_job(kind: str, job_id: str, spec: dict, topic: str) -> dict:
    """Run one job on this Dask worker; returns ``{"value": the task's result, "worker": address}``
    (a transcript job's value carries the transcript as ``transcript``). Raises FastClipError."""
    from distributed import (
        get_worker,  # (imported on the worker, where it is loaded already)
    )

    from . import (
        tasks,  # PyAV and the media code: the worker's, never the submitting machine's
    )

    worker = get_worker()
    report = Reporter(worker, worker.get_current_task(), topic, job_id)
    report.start()
    spec = {**spec, "cache_dir": str(cache_dir())}  # this worker's own transcript cache
    sources = _sources(tasks)
    try:
        if not os.path.exists(spec["path"]):
            raise NotFound(f"{spec['path']} is not there on the worker {worker.address}: every machine needs the "
                           f"files at the same path, or a --path-map rule", field="source")
        if kind == "clip":
            value = tasks.run_clip(sources, spec, report, _writing)
        elif kind == "captions":
            value = tasks.run_captions(sources, spec, report, _writing)
        elif kind == "transcript":
            value = tasks.run_transcript(spec, report)
            value["transcript"] = _transcript_json(spec)
        else:
            raise InvalidRequest(f"a cluster batch runs clip, captions and transcript jobs, not {kind}", field="kind")
        report.flush()
    except FastClipError:
        sources.close()
        raise
    except Exception as e:  # a bug: one readable line, and the worker lives on
        sources.close()
        raise ProcessingFailed(f"unexpected error on the worker {worker.address}: {_one_line(e)}") from None
    return {"value": value, "worker": worker.address}


def _sources(tasks):
    """This worker thread's Sources (a worker may run several tasks at once, one per thread)."""
    sources = getattr(_LOCAL, "sources", None)
    if sources is None:
        sources = _LOCAL.sources = tasks.Sources()
    return sources


def _writing(out: str | None) -> None:
    """(The local worker remembers its output to clean it if it is killed; here the batch does.)"""


def _transcript_json(spec: dict) -> dict:
    """The transcript just made, as JSON, read back from this worker's cache."""
    from ..transcript import (  # (as engine.jobs.tasks: numpy, only to transcribe)
        cached_transcript,
        to_dict,
    )

    transcript = cached_transcript(spec["path"], cache_dir=spec["cache_dir"], model_path=spec.get("model_path"),
                                   language=spec.get("language"))
    if transcript is None:
        raise ProcessingFailed(f"the worker could not keep the transcript in its cache folder ({spec['cache_dir']}); "
                               "free some space there")
    return to_dict(transcript)


class Reporter:
    """A task's ``report(status, progress, message)``: Dask events to the submitting machine, and
    ``Cancelled`` once the task's future was cancelled (see the module doc)."""

    def __init__(self, worker, key, topic: str, job_id: str):
        self.worker, self.key, self.topic, self.job_id = worker, key, topic, job_id
        self.sent = None  # (status, progress, message) last sent
        self.held = None  # the last state not sent yet (it came too soon after the one before)
        self.checked_at = 0.0

    def start(self) -> None:
        """Say where this attempt runs (a retry on another worker says so again)."""
        if self.cancelled():
            raise Cancelled("cancelled")
        self._log({"event": "start"})

    def __call__(self, status: str, progress: int, message: str) -> None:
        now = time.monotonic()
        if self.sent is not None and status == self.sent[0] and now - self.checked_at < PROGRESS_SEND_S:
            self.held = (status, progress, message)
            return
        self.held, self.checked_at = None, now
        if self.cancelled():
            raise Cancelled("cancelled")
        self._send((status, progress, message))

    def flush(self) -> None:
        if self.held is not None:
            self._send(self.held)
            self.held = None

    def cancelled(self) -> bool:
        """Whether this task's future was let go (cancelled) since it started."""
        try:
            state = self.worker.state.tasks.get(self.key)
        except AttributeError:  # another distributed: no way to tell, so the task runs to its end
            return False
        return state is None or state.state in _STOPPED

    def _send(self, state: tuple) -> None:
        if state != self.sent:
            self.sent = state
            self._log({"status": state[0], "progress": int(state[1]), "message": str(state[2])})

    def _log(self, msg: dict) -> None:
        self.worker.log_event(self.topic, {"job": self.job_id, "key": str(self.key), "worker": self.worker.address,
                                           **msg})


def _one_line(e: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(e), e)).strip().splitlines()[-1]
