"""The job runner's worker processes, as the host sees them: start them, hear them, stop them.

A :class:`WorkerPool` keeps up to ``max_workers`` worker processes (``engine.jobs.worker``),
started with multiprocessing's "spawn" (or "forkserver") start method: never a fork of a host that
may hold a whisper model or Qt threads. The one exception is :meth:`StartedWorker.early`, the
CLI's first worker: a fork of the CLI process taken before it has loaded anything but the standard
library and its own pure-Python modules, as clean as a fresh interpreter and ready ~70 ms sooner.
:meth:`WorkerPool.wait` waits for messages or deaths of the workers and hands them to the runner.

Importing this module is cheap, and imports neither SQLite nor multiprocessing: the CLI imports it
first thing, to fork its first worker while it is still clean (multiprocessing is imported only
once a process is started the multiprocessing way, ~12 ms of a command that takes ~200).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable

TYPE_CHECKING = False  # (typing.TYPE_CHECKING, without importing typing before the CLI forks)

from ..errors import InvalidRequest
from ..process import fork_is_safe, fork_with_pipe

if TYPE_CHECKING:
    import multiprocessing.connection

    from ..library import Job

START_METHODS = ("spawn", "forkserver")  # the runner's workers: never a fork of the host
STOP_WAIT_S = 2.0


def crash_message(exitcode: int | None) -> str:
    """What a job is failed with when its worker process died."""
    if exitcode is not None and exitcode < 0:
        n = -exitcode
        if n in (signal.SIGKILL, signal.SIGTERM):
            return f"the worker running this job was stopped (signal {n})"
        what = "aborted" if n == signal.SIGABRT else "crashed"
        return f"the decoder {what} on this file (signal {n}); the file is probably damaged"
    return f"the worker running this job stopped unexpectedly (exit code {exitcode})"


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
        self.taken = False  # adopted by a runner (which stops it), or closed
        if start_method == "fork":
            self.proc, self.conn = fork_with_pipe(_forked_worker, os.getpid(), source)
            return
        import multiprocessing  # (not at the top: see the module doc)

        from .worker import worker_main

        ctx = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            ctx.set_forkserver_preload(["engine.jobs.worker", "engine.jobs.tasks"])
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
        (~60 ms of a command that takes ~200). The runner's own workers, and the GUI's, are
        always spawned.
        """
        return cls("fork" if fork_is_safe() else "spawn", source=source)

    def close(self) -> None:
        """Stop it (when no runner adopted it)."""
        if self.taken:
            return
        self.taken = True
        with contextlib.suppress(OSError):
            self.conn.send(("stop",))
        self.proc.join(2.0)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        with contextlib.suppress(OSError):
            self.conn.close()


def _forked_worker(fd: int, parent_pid: int, source: str | None) -> None:
    """A forked worker's first code: it imports its own module after the fork, so the CLI forks
    before importing it (~10 ms sooner)."""
    from .worker import worker_main

    worker_main(fd, parent_pid, source)


class Worker:
    """One worker process as the runner sees it, and the job it runs."""

    def __init__(self, proc, conn):
        self.proc = proc
        self.conn = conn
        self.pid: int = proc.pid
        self.job: Job | None = None
        self.ready = False  # it has imported PyAV and waits for work
        self.started_at = 0.0  # when it was handed its job
        self.timed = False  # whether its job's duration says how long jobs take (it was ready for it)
        self.out: str | None = None  # the running job's output path
        self.written_at = 0.0  # when its progress was last written to the library
        self.written_status = ""
        self.probing = False
        self.reply = None

    def send(self, msg) -> None:
        with contextlib.suppress(OSError):  # it died already: the next wait notices
            self.conn.send(msg)


class WorkerPool:
    """Up to ``max_workers`` worker processes (see the module doc)."""

    def __init__(self, max_workers: int, start_method: str = "spawn", adopt: Iterable[StartedWorker] = ()):
        if start_method not in START_METHODS:
            raise InvalidRequest(f"the job runner starts workers with {' or '.join(START_METHODS)}, never fork",
                                 field="start_method")
        self.max_workers = max(1, int(max_workers))
        self.start_method = start_method
        self.workers: list[Worker] = []
        for started in adopt:
            started.taken = True
            self.workers.append(Worker(started.proc, started.conn))

    def start(self) -> Worker:
        started = StartedWorker(self.start_method)
        w = Worker(started.proc, started.conn)
        self.workers.append(w)
        return w

    def idle(self) -> Worker | None:
        return next((w for w in self.workers if w.job is None and not w.probing), None)

    def busy(self) -> list[Worker]:
        return [w for w in self.workers if w.job is not None]

    def running(self, job_id: str) -> Worker | None:
        return next((w for w in self.workers if w.job is not None and w.job.job_id == job_id), None)

    def wait(self, timeout: float, on_message: Callable[[Worker, tuple], None], on_lost: Callable[[Worker], None],
             wake: multiprocessing.connection.Connection | None = None) -> None:
        """Wait up to ``timeout`` for messages or deaths of workers (or bytes on ``wake``), and hand
        each to ``on_message(worker, msg)`` / ``on_lost(worker)`` (after it was taken out of the pool)."""
        from multiprocessing.connection import (
            wait as wait_for,  # (imported by then: workers started)
        )

        by_conn = {w.conn: w for w in self.workers}
        by_sentinel = {w.proc.sentinel: w for w in self.workers if w.proc.sentinel is not None}
        waits = [*by_conn, *by_sentinel, *([wake] if wake is not None else [])]
        if not waits:
            time.sleep(timeout)
            return
        for ready in wait_for(waits, timeout):
            if ready is wake:
                while wake.poll():
                    wake.recv_bytes()
                continue
            w = by_conn.get(ready) or by_sentinel.get(ready)
            if w not in self.workers:
                continue
            try:
                while w.conn.poll():
                    on_message(w, w.conn.recv())
            except (EOFError, OSError):
                self._lost(w, on_lost)
                continue
            if ready in by_sentinel:
                self._lost(w, on_lost)

    def _lost(self, w: Worker, on_lost) -> None:
        self.workers.remove(w)
        w.proc.join(1.0)
        with contextlib.suppress(OSError):
            w.conn.close()
        on_lost(w)

    def close(self, *, wait: bool = True) -> None:
        """Stop every worker: idle ones are told to stop (and, without ``wait``, left to end by
        themselves: a front end about to exit need not wait the ~5 ms a worker takes to give back
        what PyAV held); busy ones get SIGTERM (they remove their temp file and exit)."""
        idle = []
        for w in self.workers:
            with contextlib.suppress(OSError):
                if w.job is None and not w.probing:
                    w.conn.send(("stop",))
                    idle.append(w)
                else:
                    w.proc.terminate()
        deadline = time.monotonic() + STOP_WAIT_S
        for w in self.workers:
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
        self.workers.clear()


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
