"""The job runner's worker process: the media work of one job at a time, in process.

:class:`engine.jobs.runner.Runner` starts these with multiprocessing's "spawn" (or "forkserver")
start method, so a worker is a fresh interpreter that inherits nothing the host loaded (Qt,
a whisper model, threads). The one exception is :meth:`StartedWorker.early`, the CLI's first
worker: a fork of the CLI process taken before it has loaded anything but the standard library
and its own pure-Python modules, as clean as a fresh interpreter and ready ~70 ms sooner.
Native code that crashes here kills only this process; the runner fails the one job it was
running and starts another worker when there is more to do.

A worker never touches the library: the runner claims the job, checks the source, records
progress and the outcome. What it does with each message is ``engine.jobs.worker``; what it
keeps between jobs is what makes the next one fast: the probe of each source, and the open
containers of the last one. Messages, over one duplex pipe (``spec`` is a job's request plus ``path``, the source file):

  runner -> worker   ("import", job_id, file_id, path)   ("clip", job_id, spec)
                     ("probe", file_id, path)   ("cancel", job_id)   ("stop",)
  worker -> runner   ("ready", pid)   ("event", job_id, status, progress, message)
                     ("done", job_id, value)   ("failed", job_id, FastClipError)
                     ("reply", MediaInfo) or ("error", FastClipError), for a probe

An import's value is the source's MediaInfo; a clip's is the ClipResult's fields as a dict.
Importing this module is cheap (the host imports it for ``worker_main``).
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import os
import signal
import sys

from ..errors import InvalidRequest
from .process import fork_is_safe, fork_with_pipe


def crash_message(exitcode: int | None) -> str:
    """What a job is failed with when its worker process died."""
    if exitcode is not None and exitcode < 0:
        n = -exitcode
        if n in (signal.SIGKILL, signal.SIGTERM):
            return f"the worker running this job was stopped (signal {n})"
        what = "aborted" if n == signal.SIGABRT else "crashed"
        return f"the decoder {what} on this file (signal {n}); the file is probably damaged"
    return f"the worker running this job stopped unexpectedly (exit code {exitcode})"


START_METHODS = ("spawn", "forkserver")  # the runner's workers: never a fork of the host


class StartedWorker:
    """A worker process just started (it is still importing PyAV) and the runner's end of its pipe.

    ``start_method`` is multiprocessing's "spawn" or "forkserver": a fresh interpreter (or a fork
    of a server that is one), never a fork of the host; only :meth:`early` forks, and only a
    process that is still clean. ``source``, a path the first job will read, is opened by the
    worker as soon as PyAV is imported, while the host gets that job ready.
    """

    def __init__(self, start_method: str = "spawn", *, source: str | None = None):
        if start_method not in START_METHODS and not (start_method == "fork" and fork_is_safe()):
            raise InvalidRequest(f"workers start with {' or '.join(START_METHODS)}, never fork", field="start_method")
        self.start_method = start_method
        if start_method == "fork":
            self.proc, self.conn = fork_with_pipe(worker_main, os.getpid(), source)
            return
        import multiprocessing

        ctx = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            ctx.set_forkserver_preload(["engine.jobs.pool", "engine.cut.export", "engine.media.probe"])
        self.conn, child_end = ctx.Pipe(duplex=True)
        # a forkserver's children are the server's, not ours: they learn of our death through it
        parent = os.getpid() if start_method == "spawn" else None
        self.proc = ctx.Process(target=worker_main, args=(child_end, parent, source), name="fastclip-worker",
                                daemon=True)
        with _main_module_hidden():
            self.proc.start()
        child_end.close()

    @classmethod
    def early(cls, source: str | None = None) -> StartedWorker:
        """The first worker of a short-lived front end (the CLI), started before it imports anything else.

        A fork of this process when :func:`fork_is_safe`, else spawned. A fork skips starting an
        interpreter, importing again what this one has, and multiprocessing's resource tracker
        (~60 ms of a command that takes ~200); it is made with ``os.fork`` before multiprocessing
        is even imported (~12 ms more), which the worker imports while its source opens. The
        runner's own workers, and the GUI's, are always spawned.
        """
        return cls("fork" if fork_is_safe() else "spawn", source=source)

    def close(self) -> None:
        """Stop it (when no runner adopted it)."""
        with contextlib.suppress(OSError):
            self.conn.send(("stop",))
        self.proc.join(2.0)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        with contextlib.suppress(OSError):
            self.conn.close()


@contextlib.contextmanager
def _main_module_hidden():
    """Start a process without it re-running the host's main script.

    multiprocessing's spawn (and forkserver) import the parent's ``__main__`` again in the child,
    so that objects defined there can be unpickled. A worker needs nothing from it (its target
    and arguments come from this module), and importing it costs start-up time (the whole CLI
    for ``fastclip``) or worse, re-runs a script that lacks an ``if __name__ == "__main__"``
    guard. While hidden, the child is told there is no main module to import.
    """
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main is not None and k in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__dict__["__spec__"] = None
        yield
    finally:
        if main is not None:
            main.__dict__.pop("__spec__", None)
            main.__dict__.update(saved)


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
        from ..media import probe
        from .worker import WorkerJobs, open_early

        early = open_early(source) if source else None
        _die_with_parent(parent_pid)  # (its ctypes would delay PyAV; a parent gone meanwhile is seen here)
        from ..cut import export

        if isinstance(conn, int):
            from multiprocessing.connection import Connection

            conn = Connection(conn)
        gc.freeze()
        gc.enable()
        worker = WorkerJobs(conn, early)
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


def _stop(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second stop must not cut the unwinding short
    raise SystemExit(128 + signum)


def remove_job_temps(out) -> int:
    """Remove the temp files an interrupted export of ``out`` left beside it (only that output's:
    other jobs may be writing in the same folder)."""
    import re
    from pathlib import Path

    from ..atomic import TEMP_MARK

    dest = Path(out)
    pattern = re.compile(rf"^\.{re.escape(dest.stem)}\.[0-9a-f]{{8}}{re.escape(TEMP_MARK)}{re.escape(dest.suffix)}$")
    n = 0
    with contextlib.suppress(OSError):
        for p in dest.parent.iterdir():
            if pattern.match(p.name):
                with contextlib.suppress(OSError):
                    p.unlink()
                    n += 1
    return n


def _die_with_parent(parent_pid: int | None) -> None:
    """Linux: get SIGTERM when the parent process dies, even by SIGKILL."""
    if sys.platform == "linux":
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if parent_pid is not None and sys.platform != "win32" and os.getppid() != parent_pid:
        os._exit(1)  # it died before we could ask
