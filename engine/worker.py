"""Run native media work in a child process.

PyAV/FFmpeg can crash on a malformed file. ``in_worker(fn, ...)`` runs the
generator function ``fn`` in a child process and re-yields what it yields; its
return value comes back as the return value; an engine error comes back as the
same error; a crash of the child becomes ``ProcessingFailed`` naming the signal.
Closing the generator (cancel) stops the child, which cleans up its temp files.
"""

from __future__ import annotations

import faulthandler
import multiprocessing as mp
import os
import signal
import sys
import traceback

from .errors import FastClipError, ProcessingFailed

_SIGNALS = {signal.SIGSEGV: "crashed", signal.SIGABRT: "aborted", signal.SIGBUS: "crashed",
            signal.SIGFPE: "crashed", signal.SIGILL: "crashed", signal.SIGKILL: "was killed"}


def _context():
    # fork is cheap and the CLI has no threads; elsewhere spawn is the safe choice
    return mp.get_context("fork" if sys.platform == "linux" else "spawn")


def in_worker(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` (a generator function) in a child process."""
    ctx = _context()
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(writer, fn, args, kwargs), daemon=True)
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


def _child(conn, fn, args, kwargs) -> None:
    def stop(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    faulthandler.disable()  # a crash is reported by the parent, in one sentence
    _die_with_parent()
    if os.getppid() == 1:  # the parent died before we could ask
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl+C means
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
