"""Run native media work in a child process.

PyAV/FFmpeg can crash on a malformed file. ``in_worker(fn, ...)`` runs the
generator function ``fn`` in a child process and re-yields what it yields; its
return value comes back as the return value; an engine error comes back as the
same error; a crash of the child becomes ``ProcessingFailed`` naming the signal.
Closing the generator (cancel) stops the child, which cleans up its temp files.
The child is a fork when this process is single-threaded (the CLI), else a fork of a
forkserver, a fresh interpreter started once (the GUI): see ``_context``.

:func:`fork_is_safe` says when a fork of this process is as clean a child as a
fresh interpreter, and :func:`fork_with_pipe` makes one (the CLI's first job worker,
``engine.jobs.pool.StartedWorker.early``). Importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import sys
import traceback

from .errors import FastClipError, ProcessingFailed

_SIGNALS = {signal.SIGSEGV: "crashed", signal.SIGABRT: "aborted", signal.SIGBUS: "crashed",
            signal.SIGFPE: "crashed", signal.SIGILL: "crashed", signal.SIGKILL: "was killed"}


# What a forkserver loads once, so that each worker forked from it starts with PyAV imported.
FORKSERVER_PRELOAD = [
    "engine.process",
    "engine.media.probe",
    "engine.cut.export",
    "engine.media.thumbnails",
    "engine.media.waveform",
    "engine.media.keyframe_index",
]


def _context():
    """How ``in_worker`` starts its child.

    A fork is cheap, and as clean as a fresh interpreter for the work done here when this process
    has one thread and has not loaded a speech model (the CLI). A process with other threads (the
    GUI: Qt's, mpv's, the job runner's) could hand the child a lock held forever, and one that
    loaded a speech model a dead OpenMP pool: its children come from a forkserver, a fresh
    interpreter started once (PyAV preloaded) and forked for each. Elsewhere than Linux: spawn.
    """
    import multiprocessing

    if sys.platform != "linux":
        return multiprocessing.get_context("spawn")
    if _one_thread() and "ctranslate2" not in sys.modules:
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
    return ctx


def _one_thread() -> bool:
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def in_worker(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` (a generator function) in a child process."""
    ctx = _context()
    reader, writer = ctx.Pipe(duplex=False)
    # a child not forked from us (forkserver, spawn) gets our environment as it is now
    # (FASTCLIP_HOME says where caches go), not the one its server started with
    env = None if ctx.get_start_method() == "fork" else dict(os.environ)
    proc = ctx.Process(target=_child, args=(writer, fn, args, kwargs, env), daemon=True)
    proc.start()
    writer.close()
    finished = False
    try:
        while True:
            try:
                kind, payload = reader.recv()
            except (EOFError, OSError):
                proc.join(10)
                raise ProcessingFailed(_death(proc.exitcode)) from None
            if kind == "yield":
                yield payload
            elif kind == "return":
                finished = True
                return payload
            else:
                finished = True
                raise payload
    finally:
        reader.close()
        if not finished and proc.is_alive():
            proc.terminate()  # the child turns SIGTERM into a clean stop
        proc.join(10)
        if proc.is_alive():
            proc.kill()
            proc.join()


BACKGROUND_NICENESS = 10


def in_background(fn, *args, **kwargs):
    """Inside a worker: run the generator function ``fn`` at a lower CPU priority, for work the
    user is not waiting on (a timeline's thumbnails and waveform while the file already plays):
    ``in_worker(in_background, thumbnails, path, 100)``."""
    try:
        os.nice(BACKGROUND_NICENESS)
    except OSError:
        pass
    return (yield from fn(*args, **kwargs))


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        what = _SIGNALS.get(-code, f"stopped by signal {-code}")
        return f"the media decoder {what} on this file (signal {-code}); the file is probably damaged"
    return f"the media worker stopped unexpectedly (exit code {code})"


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when its parent dies (even by SIGKILL)."""
    if sys.platform != "linux":
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _child(conn, fn, args, kwargs, env: dict | None = None) -> None:
    def stop(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    faulthandler.disable()  # a crash is reported by the parent, in one sentence
    _die_with_parent()
    if os.getppid() == 1:  # the parent died before we could ask
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl+C means
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    try:
        gen = fn(*args, **kwargs)
        try:
            while True:
                conn.send(("yield", next(gen)))
        except StopIteration as done:
            conn.send(("return", done.value))
    except FastClipError as e:
        conn.send(("raise", e))
    except SystemExit:
        raise
    except BaseException as e:  # a bug or an unexpected library error: one clear message
        detail = "".join(traceback.format_exception_only(type(e), e)).strip()
        conn.send(("raise", ProcessingFailed(f"unexpected error: {detail}")))
    finally:
        conn.close()
        # skip atexit handlers inherited from the parent (fork)
    os._exit(0)


# Libraries whose state a forked child must not share: FFmpeg, Qt, mpv, a speech model's thread
# pools, BLAS pools, open SQLite connections. A process that loaded one is not forked.
_NOT_FORKABLE_WITH = ("av", "PySide6", "shiboken6", "mpv", "ctranslate2", "faster_whisper", "numpy", "sqlite3")


def fork_is_safe() -> bool:
    """Whether a fork of this process is as clean a worker as a fresh interpreter.

    A fork copies the whole process but only the calling thread: a lock another thread held stays
    locked in the child forever, and native libraries (FFmpeg, Qt, mpv, a speech model's OpenMP
    pool) keep state that a child must not share. So: Linux, where fork is the system's own way
    to start a process (macOS's frameworks do not survive it); exactly one thread in the whole
    process, native ones included (``/proc/self/task``); and none of those libraries loaded. The
    CLI passes at its start, when it has imported nothing but the standard library and its own
    pure-Python modules; the GUI, or a process that has loaded PyAV, never does.
    """
    if sys.platform != "linux":
        return False
    try:
        if len(os.listdir("/proc/self/task")) != 1:
            return False
    except OSError:
        return False
    return not any(name in sys.modules for name in _NOT_FORKABLE_WITH)


def fork_with_pipe(target, *args):
    """Fork a child that runs ``target(fd, *args)``, ``fd`` being its end of a duplex pipe (a file
    descriptor: it makes a multiprocessing Connection of it when it likes, so that a child that
    starts by importing something big need not import multiprocessing first). Returns the child
    (a :class:`ForkedProcess`) and our end (a Connection); multiprocessing is imported after the fork.
    """
    import socket

    ours, theirs = socket.socketpair()

    def child() -> None:
        ours.close()
        target(theirs.detach(), *args)

    proc = ForkedProcess(child)
    theirs.close()
    from multiprocessing.connection import Connection

    return proc, Connection(ours.detach())


class ForkedProcess:
    """A child made with ``os.fork`` that runs ``child()``, with what the job runner uses of a
    ``multiprocessing.Process``: ``pid``, ``sentinel`` (readable once the child is gone), ``join``,
    ``is_alive``, ``exitcode`` (negative: the signal that ended it), ``terminate`` and ``kill``."""

    def __init__(self, child):
        readable, writable = os.pipe()  # the child holds the write end until it ends
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:
                os.close(readable)
                child()
                code = 0
            finally:
                os._exit(code)  # never back into the host's code, nor its exit handlers
        os.close(writable)
        self.sentinel = readable
        self._exitcode: int | None = None

    def _reap(self, block: bool) -> int | None:
        if self._exitcode is None:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            if pid:
                self._exitcode = os.waitstatus_to_exitcode(status)
                os.close(self.sentinel)
        return self._exitcode

    @property
    def exitcode(self) -> int | None:
        return self._reap(block=False)

    def is_alive(self) -> bool:
        return self._reap(block=False) is None

    def join(self, timeout: float | None = None) -> None:
        if self._exitcode is None:
            import select

            if select.select([self.sentinel], [], [], timeout)[0]:
                self._reap(block=True)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        if self._reap(block=False) is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)
