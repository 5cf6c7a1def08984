"""The one session of a command with the library: open it (sweeping expired clips), run, deliver the
webhooks that came due, close it; or the same with a job runner. Engine errors become the exit
code and one line naming the problem; Ctrl+C cancels what runs."""

from __future__ import annotations

from .common import reject
from .output import stdout_closed


def open_library(*, sweep: bool = True):
    """The library in the data dir; with ``sweep`` expired clips are swept first (start-up)."""
    from engine import Library

    lib = Library()
    if sweep:
        try:
            lib.sweep_expired()  # (their clip.expired webhooks are queued by the sweep)
        except BaseException:
            lib.close()
            raise
    return lib


def with_library(run, *, sweep: bool = True) -> int:
    from engine import FastClipError

    try:
        lib = open_library(sweep=sweep)
    except FastClipError as e:
        return reject(e)
    try:
        return run(lib)
    except FastClipError as e:
        return reject(e)
    except BrokenPipeError:
        return stdout_closed()
    finally:
        flush_webhooks(lib)
        lib.close()


def with_runner(run, *, workers: int | None = None, cap: int | None = None, adopt=(), wait: bool = True) -> int:
    """``run(lib, runner)`` with a job runner of ``workers`` workers (default: the setting, at most
    ``cap``), adopting the workers started early in ``adopt``; engine errors become the exit code and
    sentence, Ctrl+C cancels what runs. ``wait=False``: idle workers end by themselves as we exit."""
    from engine import FastClipError, Runner

    try:
        lib = open_library(sweep=False)  # the runner sweeps
    except FastClipError as e:
        for worker in adopt:
            worker.close()
        return reject(e)
    runner = None
    try:
        n = workers or max(1, min(lib.get_setting("workers"), cap or 64))
        runner = Runner(lib, workers=n, adopt=adopt)
        return run(lib, runner)
    except FastClipError as e:
        return reject(e)
    except BrokenPipeError:
        return stdout_closed()
    except KeyboardInterrupt:
        if runner is not None:
            runner.close(cancel_running=True)
        raise
    finally:
        if runner is not None:
            runner.close(wait=wait)
        flush_webhooks(lib)
        lib.close()


def flush_webhooks(lib, timeout_s: float = 5.0) -> None:
    """Send the webhook deliveries that are due, for a bounded time, before the command exits."""
    try:
        if not lib.due_deliveries(limit=1):
            return
        from engine import flush_deliveries
    except Exception:  # no deliveries module (yet), or the library is unreadable: nothing to send
        return
    try:
        flush_deliveries(lib, timeout_s)
    except Exception:
        pass  # what was not sent stays queued for the next run
