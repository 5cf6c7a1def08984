"""The job runner's worker process: one job at a time, of any kind, in process.

:class:`engine.jobs.pool.WorkerPool` starts these with multiprocessing's "spawn" (or
"forkserver") start method, so a worker is a fresh interpreter that inherits nothing the host
loaded (Qt, a whisper model, threads); the CLI's first worker may be a fork of the CLI while it is
still clean (``engine.jobs.pool.StartedWorker.early``). Native code that crashes here kills only
this process; the runner fails the one job it was running and starts another worker when there
is more to do. A worker never touches the library's jobs: the runner claims the job, checks the
source, records progress and the outcome.

Messages, over one duplex pipe (``spec`` is a job's request plus what the runner added: ``path``,
the source file; ``out``, the file to write):

  runner -> worker   ("import", job_id, file_id, path)   (kind, job_id, spec) for clip, captions,
                     transcript, analyze, auto   ("probe", file_id, path)   ("cancel", job_id)   ("stop",)
  worker -> runner   ("ready", pid)   ("event", job_id, status, progress, message)
                     ("part", job_id, value): one clip of an auto job, made or failed, to record now
                     ("writing", job_id, path): the file an auto job writes now (for its temp files)
                     ("done", job_id, value)   ("failed", job_id, FastClipError)
                     ("reply", MediaInfo) or ("error", FastClipError), for a probe

What each kind does is ``engine.jobs.tasks`` (imported here at the worker's start: it brings
PyAV, which the host never imports). Importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import os
import signal
import sys
import time
import traceback

from ..atomic import remove_job_temps
from ..errors import Cancelled, FastClipError, ProcessingFailed
from .wire import WireConnection

PROGRESS_SEND_S = 0.1  # a running job tells the runner its percentage (and hears of a cancel) this often


def worker_main(conn, parent_pid: int | None, source: str | None = None) -> None:
    """The worker process: serve the runner until it says stop or goes away.

    ``conn`` is the worker's end of a multiprocessing Connection, or (a forked worker) the file
    descriptor of one. ``source``: a path the first job will probably read, opened early.
    """
    signal.signal(signal.SIGTERM, _stop)  # unwinds: the export removes its temp file
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the host decides what Ctrl+C means
    faulthandler.disable()  # a crash is reported by the runner, in one sentence
    worker = None
    try:
        # Now, while the host gets the first job ready: PyAV (most of the start-up), the source
        # opened on a helper thread (PyAV lets go of the GIL there), and meanwhile the rest of
        # the engine. Imports make little garbage, and collecting it while they run costs ~5 ms;
        # what they make lives as long as the worker, so later collections skip it (frozen).
        gc.disable()
        from ..media.probe import Inputs  # PyAV: most of the start-up

        early = open_early(Inputs, source) if source else None
        _die_with_parent(parent_pid)  # (its ctypes would delay PyAV; a parent gone meanwhile is seen here)
        from . import tasks  # the rest of the engine, while the source opens
        if isinstance(conn, int):  # a forked worker: not multiprocessing's Connection (see wire.py)
            conn = WireConnection(conn)
        gc.freeze()
        gc.enable()
        worker = Worker(conn, tasks, tasks.Sources(early))
        conn.send(("ready", os.getpid()))
        worker.serve()
    except (EOFError, OSError, KeyboardInterrupt):
        pass  # the runner is gone
    finally:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        finally:
            # The export removes its temp file as it unwinds, but a stop that lands while an
            # earlier error unwinds (the runner died: a broken pipe, then SIGTERM) can cut that
            # short. Whatever happened, nothing half-written stays.
            if worker is not None and worker.out is not None:
                remove_job_temps(worker.out)
            with contextlib.suppress(Exception):
                conn.close()
    os._exit(0)  # no interpreter teardown (tens of ms with PyAV loaded): nothing is left to flush


def open_early(inputs_type, path: str):
    """(path, Inputs) opening ``path`` on a helper thread, for the job that will read it: an import
    of the file as it is now, so the container must be unread when that job comes."""
    if not os.path.isfile(path):
        return None
    inputs = inputs_type(path)  # engine.media.probe.Inputs (imported by the caller: PyAV)
    inputs.prefetch("video")  # the one a probe reads; the audio one when the job comes
    return os.path.realpath(path), inputs


class Worker:
    """Answers the runner's messages, one at a time, with ``tasks`` (engine.jobs.tasks)."""

    def __init__(self, conn, tasks, sources):
        self.conn, self.tasks, self.sources = conn, tasks, sources
        self.out: str | None = None  # the output being written

    def serve(self) -> None:
        t = self.tasks
        while True:
            msg = self.conn.recv()
            kind = msg[0]
            if kind == "stop":
                return
            if kind == "probe":
                self._answer(lambda key=msg[1], path=msg[2]: self.sources.info(key, path, frames=False))
            elif kind == "import":
                self._job(msg[1], lambda report, m=msg: t.run_import(self.sources, m[2], m[3]))
            elif kind == "clip":
                self._job(msg[1], lambda report, spec=msg[2]: t.run_clip(self.sources, spec, report, self._writing))
            elif kind == "captions":
                self._job(msg[1], lambda report, spec=msg[2]: t.run_captions(self.sources, spec, report,
                                                                             self._writing))
            elif kind == "transcript":
                self._job(msg[1], lambda report, spec=msg[2]: t.run_transcript(spec, report))
            elif kind == "analyze":
                self._job(msg[1], lambda report, spec=msg[2]: t.run_analyze(spec, report))
            elif kind == "auto":
                self._job(msg[1], lambda report, spec=msg[2]: t.run_auto(self.sources, spec, report,
                                                                         self._auto_writing(report), report.part))
            # ("cancel", job_id) of a job that has ended already: nothing to do

    def _writing(self, out: str | None) -> None:
        self.out = out

    def _auto_writing(self, report):
        """An auto job writes one file after another: the runner hears of each (to clean its temp
        files should this worker die), as this process does."""
        def writing(out: str | None) -> None:
            self.out = out
            if out is not None:
                report.writing(out)

        return writing

    def _answer(self, fn) -> None:
        try:
            reply = ("reply", fn())
        except FastClipError as e:
            self.sources.close()
            reply = ("error", e)
        except Exception as e:  # a bug: one readable line, and the worker lives on
            self.sources.close()
            reply = ("error", ProcessingFailed(f"unexpected error: {_one_line(e)}"))
        self.conn.send(reply)

    def _job(self, job_id: str, fn) -> None:
        """Run ``fn(report)`` as job ``job_id`` and tell the runner how it ended."""
        report = Reporter(self.conn, job_id)
        try:
            value = fn(report)
            report.flush()  # the last progress it held back, so the runner has seen it before the end
            msg = ("done", job_id, value)
        except FastClipError as e:
            self.sources.close()
            msg = ("failed", job_id, e)
        except Exception as e:
            self.sources.close()
            msg = ("failed", job_id, ProcessingFailed(f"unexpected error: {_one_line(e)}"))
        self.conn.send(msg)


class Reporter:
    """Sends a running job's progress and raises Cancelled when the runner says so: a new status at
    once; a new percentage or message, and a look for the runner's cancel, at most every
    PROGRESS_SEND_S (an export steps up to a hundred times however short it is, a transcription
    says each sentence it hears, and each look and message costs both processes)."""

    def __init__(self, conn, job_id: str):
        self.conn, self.job_id = conn, job_id
        self.sent = None  # (status, progress, message) last sent
        self.held = None  # the last state not sent yet (it came too soon after the one before)
        self.checked_at = 0.0

    def __call__(self, status: str, progress: int, message: str) -> None:
        now = time.monotonic()
        news = self.sent is None or status != self.sent[0]
        if not news and now - self.checked_at < PROGRESS_SEND_S:
            self.held = (status, progress, message)
            return
        self.held = None
        self.checked_at = now
        while self.conn.poll():
            msg = self.conn.recv()
            if msg[0] == "cancel" and msg[1] == self.job_id:
                raise Cancelled("cancelled")
            if msg[0] == "stop":
                raise SystemExit(0)
        self._send((status, progress, message))

    def part(self, value) -> None:
        """One clip of an auto job, made or failed: the runner records it at once."""
        self.flush()
        self.conn.send(("part", self.job_id, value))

    def writing(self, path: str) -> None:
        self.conn.send(("writing", self.job_id, path))

    def flush(self) -> None:
        """Send the state held back, if any."""
        if self.held is not None:
            self._send(self.held)
            self.held = None

    def _send(self, state: tuple) -> None:
        if state != self.sent:
            self.sent = state
            self.conn.send(("event", self.job_id, *state))


def _stop(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second stop must not cut the unwinding short
    raise SystemExit(128 + signum)


def _die_with_parent(parent_pid: int | None) -> None:
    """Linux: get SIGTERM when the parent process dies, even by SIGKILL."""
    if sys.platform == "linux":
        try:
            import ctypes  # (here, not at the top: it would delay the worker's PyAV import)

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if parent_pid is not None and sys.platform != "win32" and os.getppid() != parent_pid:
        os._exit(1)  # it died before we could ask


def _one_line(e: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(e), e)).strip().splitlines()[-1]
